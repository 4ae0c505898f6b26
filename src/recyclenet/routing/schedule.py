"""Weekly truck-as-depot schedule: visit frequency and visit days of every collection point.

A point's frequency is the fewest visits per week at which one truckload holds what its
residents hand over between visits (at least once a week, at most every working day).
When even a daily visit exceeds a truckload, the visit is split into several loads, each a
separate stop (the truck unloads in between, or a second truck comes).

Visit days follow evenly spaced patterns (2 a week over 6 days: Mon/Thu, Tue/Fri or
Wed/Sat). Patterns are chosen greedily, largest points first, to balance each station's
daily workload and to keep each day's stops close together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class PointVisits:
    """How often and on which days one point is visited.

    Attributes
    ----------
    frequency_per_week
        Visits per week.
    day_idx
        Indices into the working days, one per visit.
    loads_per_visit
        Number of truckloads (separate stops) each visit needs.
    kg_per_load, m3_per_load
        What each stop collects.
    """

    frequency_per_week: int
    day_idx: tuple[int, ...]
    loads_per_visit: int
    kg_per_load: float
    m3_per_load: float


def visit_frequency(
    kg_per_day: float,
    m3_per_day: float,
    *,
    payload_kg: float,
    volume_m3: float,
    max_fill: float,
    working_days: int,
) -> tuple[int, int]:
    """Visits per week and truckloads per visit for one point.

    Returns
    -------
    tuple of int
        ``(frequency_per_week, loads_per_visit)``.
    """
    cap_kg, cap_m3 = payload_kg * max_fill, volume_m3 * max_fill
    loads_per_week = max(7 * kg_per_day / cap_kg, 7 * m3_per_day / cap_m3)
    freq = int(min(working_days, max(1, math.ceil(loads_per_week - 1e-9))))
    loads = max(1, math.ceil(loads_per_week / freq - 1e-9))
    return freq, loads


def day_patterns(frequency: int, working_days: int) -> list[tuple[int, ...]]:
    """Evenly spaced visit-day patterns (indices into the working days)."""
    if frequency >= working_days:
        return [tuple(range(working_days))]
    patterns = set()
    for shift in range(working_days):
        days = tuple(
            sorted(
                {
                    (shift + round(i * working_days / frequency)) % working_days
                    for i in range(frequency)
                }
            )
        )
        if len(days) == frequency:
            patterns.add(days)
    return sorted(patterns)


def assign_days(
    workload_min: NDArray[np.float64],
    frequency: NDArray[np.int64],
    xy_km: NDArray[np.float64],
    working_days: int,
    *,
    compactness_weight: float = 2.0,
    fixed: list[tuple[int, ...] | None] | None = None,
) -> list[tuple[int, ...]]:
    """Choose a visit-day pattern per point, balancing workload and keeping days compact.

    Parameters
    ----------
    workload_min
        Minutes one visit of each point adds to its day (dwell plus a share of travel).
    frequency
        Visits per week of each point.
    xy_km
        Planar positions (km) of the points, for compactness.
    working_days
        Number of working days.
    compactness_weight
        Minutes of workload one km of distance to a day's centroid is worth.
    fixed
        Per point, days it keeps (a published timetable), or ``None`` to choose; kept
        days count in the balance before the others are chosen.

    Returns
    -------
    list of tuple of int
        The chosen days of each point. Deterministic for the same inputs.
    """
    n = len(workload_min)
    load = np.zeros(working_days)
    sum_xy = np.zeros((working_days, 2))
    count = np.zeros(working_days)
    chosen: list[tuple[int, ...]] = [()] * n
    fixed = fixed if fixed is not None else [None] * n
    # Kept days first, then the largest frequency (least flexible), then the largest
    # workload; ties by index.
    order = sorted(
        range(n),
        key=lambda j: (fixed[j] is None, -int(frequency[j]), -float(workload_min[j]), j),
    )
    for j in order:
        best, best_score = None, math.inf
        kept = fixed[j]
        options = [kept] if kept is not None else day_patterns(int(frequency[j]), working_days)
        for pattern in options:
            idx = list(pattern)
            new = load.copy()
            new[idx] += workload_min[j]
            spread = 0.0
            for d in idx:
                if count[d] > 0:
                    spread += float(np.linalg.norm(xy_km[j] - sum_xy[d] / count[d]))
            score = float(new.max()) + 0.1 * float(new[idx].sum()) + compactness_weight * spread
            if score < best_score - 1e-9:
                best, best_score = pattern, score
        assert best is not None
        chosen[j] = best
        for d in best:
            load[d] += workload_min[j]
            sum_xy[d] += xy_km[j]
            count[d] += 1
    return chosen
