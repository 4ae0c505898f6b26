"""What a collection point's sign says: for each collection day, when the truck comes.

A sign is a list of lines, each naming its days, a time and how long the truck stays
("周一、周三、周五 09:30，停留 30 分钟"). Every time a line shows is kept, within the
tolerance, on every day it lists, so a resident never waits on a day the truck does not
come then. Built from the week's visits of one point (:func:`sign_lines`):

1. A day's loads at the point whose arrivals lie within the tolerance of the day's first
   one are one *visit*: one arrival and a longer stay (two trucks minutes apart), not two
   times on the sign. A load later than that is a visit of its own (a second line).
2. The week's visits are grouped into lines: the time that keeps the most visits (on
   distinct days) within the tolerance first, then the same for the rest, and so on; the
   time already on the sign (a kept timetable) wherever it keeps as many.
3. A line's time is the middle of its arrivals where they all fit, to the whole minute
   (:func:`line_time_min`); its stay the longest of its visits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_EPS = 1e-9


@dataclass(frozen=True)
class SignLine:
    """One line of a sign.

    Attributes
    ----------
    days
        Day labels the line lists, in the week's order.
    time_min
        The time on the line, minutes after midnight.
    stay_min
        How long the truck stays from that time (the longest of the line's visits).
    """

    days: tuple[str, ...]
    time_min: float
    stay_min: float


def line_time_min(arrivals_min: NDArray[np.float64], tol_min: float) -> float:
    """The time for arrivals that fit one line (their spread at most twice ``tol_min``):
    the middle of the earliest and latest, a whole minute where one keeps them all
    within the tolerance."""
    a = np.asarray(arrivals_min, dtype=float)
    lo, hi = float(a.min()), float(a.max())
    middle = (lo + hi) / 2
    earliest, latest = hi - tol_min, lo + tol_min
    for m in (round(middle), math.floor(middle), math.ceil(middle)):
        if earliest - _EPS <= m <= latest + _EPS:
            return float(m)
    return middle


@dataclass(frozen=True)
class _Visit:
    day: int  # index into the week's days
    rows: tuple[int, ...]  # the point's rows (loads) of this visit
    first_min: float
    last_min: float  # the latest arrival among its loads
    stay_min: float  # from its first arrival to its last departure


def _visits(
    day_idx: NDArray[np.int64],
    arrival_min: NDArray[np.float64],
    departure_min: NDArray[np.float64],
    tol_min: float,
) -> list[_Visit]:
    """A point's loads grouped into visits (see the module docstring, step 1)."""
    out: list[_Visit] = []
    order = np.lexsort((arrival_min, day_idx))
    current: list[int] = []

    def close() -> None:
        if current:
            a = arrival_min[current]
            out.append(
                _Visit(
                    int(day_idx[current[0]]),
                    tuple(current),
                    float(a.min()),
                    float(a.max()),
                    float(departure_min[current].max() - a.min()),
                )
            )

    for r in order:
        if (
            current
            and day_idx[r] == day_idx[current[0]]
            and arrival_min[r] - arrival_min[current[0]] <= tol_min + _EPS
        ):
            current.append(int(r))
        else:
            close()
            current = [int(r)]
    close()
    return out


def _fitting(visits: list[_Visit], lo: float, hi: float) -> list[int]:
    """Visits wholly within ``[lo, hi]``, at most one a day (the earliest)."""
    taken: dict[int, int] = {}
    for i, v in enumerate(visits):
        if v.first_min >= lo - _EPS and v.last_min <= hi + _EPS and v.day not in taken:
            taken[v.day] = i
    return sorted(taken.values())


def sign_lines(
    day_idx: Sequence[int] | NDArray[np.int64],
    arrival_min: Sequence[float] | NDArray[np.float64],
    departure_min: Sequence[float] | NDArray[np.float64],
    day_labels: Sequence[str],
    tol_min: float,
    keep_min: Sequence[float] = (),
) -> tuple[list[SignLine], NDArray[np.float64]]:
    """The lines of one point's sign from its loads of the week.

    Parameters
    ----------
    day_idx, arrival_min, departure_min
        Per load (a timetable row): its day (index into ``day_labels``), arrival and
        departure in minutes after midnight.
    day_labels
        The working days in order.
    tol_min
        How far a truck may arrive from the time on the sign.
    keep_min
        Times already on the sign (a kept timetable): each stays where it keeps as many
        visits as any other time.

    Returns
    -------
    The lines (by time, then first day) and, per load, the time of its line (the slot
    it is checked against: within ``tol_min`` of its arrival).
    """
    days = np.asarray(day_idx, dtype=np.int64)
    arr = np.asarray(arrival_min, dtype=float)
    dep = np.asarray(departure_min, dtype=float)
    left = _visits(days, arr, dep, tol_min)
    slot = np.full(len(arr), np.nan)
    lines: list[SignLine] = []
    while left:
        # the window of twice the tolerance that holds the most visits, earliest first
        anchors = sorted(v.first_min for v in left)
        best = max((_fitting(left, lo, lo + 2 * tol_min) for lo in anchors), key=len)
        time_min: float | None = None
        for kept in keep_min:  # a kept time that keeps as many stays
            mine = _fitting(left, kept - tol_min, kept + tol_min)
            if len(mine) >= len(best):
                best, time_min = mine, float(kept)
                break
        members = [left[i] for i in best]
        if time_min is None:
            time_min = line_time_min(
                np.array([x for v in members for x in (v.first_min, v.last_min)]), tol_min
            )
        for v in members:
            slot[list(v.rows)] = time_min
        lines.append(
            SignLine(
                days=tuple(day_labels[d] for d in sorted({v.day for v in members})),
                time_min=time_min,
                stay_min=round(max(v.stay_min for v in members)),
            )
        )
        chosen = set(best)
        left = [v for i, v in enumerate(left) if i not in chosen]
    order = {d: i for i, d in enumerate(day_labels)}
    lines.sort(key=lambda ln: (ln.time_min, order[ln.days[0]]))
    return lines, slot
