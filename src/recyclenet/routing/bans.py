"""Time a truck may not use: no-driving hours (a rush-hour ban) and breaks.

A truck drives and serves stops only outside its blocked intervals: a drive that reaches
one pulls over and goes on when it ends, and a stop whose service would run into one is
served after it. The timing of routes (:mod:`recyclenet.routing.timing`) and their check
(:func:`recyclenet.routing.result.check_day`) both count time this way.
"""

from __future__ import annotations

from collections.abc import Iterable


def merged(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The intervals in order, overlapping ones joined, empty ones left out."""
    out: list[tuple[float, float]] = []
    for a, b in sorted((float(a), float(b)) for a, b in intervals if b > a):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def drive_through(
    clock: float, minutes: float, blocked: Iterable[tuple[float, float]]
) -> tuple[float, list[tuple[float, float]]]:
    """Arrival of a drive of ``minutes`` that leaves at ``clock`` and stops moving during
    the ``blocked`` intervals, and the intervals it spends parked (``(from, to)``)."""
    remaining = float(minutes)
    parked: list[tuple[float, float]] = []
    for a, b in merged(blocked):
        if b <= clock:
            continue
        if clock + remaining <= a:
            break
        remaining -= max(0.0, a - clock)
        parked.append((max(clock, a), b))
        clock = b
    return clock + remaining, parked


def clear_start(start: float, length: float, blocked: Iterable[tuple[float, float]]) -> float:
    """The earliest time at or after ``start`` at which ``length`` minutes of work run
    clear of every ``blocked`` interval."""
    for a, b in merged(blocked):
        if start < b and start + length > a:
            start = b
    return start


def overlaps(start: float, end: float, blocked: Iterable[tuple[float, float]], tol: float) -> bool:
    """Whether ``[start, end]`` runs into a ``blocked`` interval by more than ``tol``."""
    return any(start < b - tol and end > a + tol for a, b in blocked)
