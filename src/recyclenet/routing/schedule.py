"""Weekly truck-as-depot schedule: visit frequency and visit days of every collection point.

A plain truck stop has no storage: residents bring everything to the truck, so its
frequency is the fewest visits per week at which one truckload holds what they hand over
between visits (at least once a week, at most every working day). When even a daily
visit exceeds a truckload, the visit is split into several loads, each a separate stop
(the truck unloads in between, or a second truck comes).

A point with storage (a room, a cage: ``storage_m3``, ``storage_kg``) takes material in
every day of the week and must be emptied before it is full: its visit days may leave no
gap (in calendar days, over the rest days too) longer than the storage lasts, which can
ask for more visits than the truck does (:func:`storage_days`, :func:`longest_gap_days`).
The planner may also fix a point's visits a week; the truck then takes as many loads a
visit as that needs.

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
        What each stop collects (a week's amount over the visits and loads).
    basis
        What set the frequency: ``"truck"`` (one truckload a visit), ``"storage"`` (the
        point's storage is full sooner) or ``"planner"`` (fixed in the candidates table).
    storage_full_days
        Days the point's storage lasts (``inf``: a plain truck stop).
    longest_gap_days
        The longest time between two visits, in calendar days (rest days included).
    """

    frequency_per_week: int
    day_idx: tuple[int, ...]
    loads_per_visit: int
    kg_per_load: float
    m3_per_load: float
    basis: str = "truck"
    storage_full_days: float = math.inf
    longest_gap_days: int = 7

    @property
    def storage_overflows(self) -> bool:
        """Whether the storage is full before the truck comes again."""
        return self.longest_gap_days > self.storage_full_days + 1e-9


def visit_frequency(
    kg_per_day: float,
    m3_per_day: float,
    *,
    payload_kg: float,
    volume_m3: float,
    max_fill: float,
    working_days: int,
    frequency: int | None = None,
) -> tuple[int, int]:
    """Visits per week and truckloads per visit for one point.

    ``frequency``: visits a week set otherwise (by the storage or the planner); only the
    loads per visit are then worked out.

    Returns
    -------
    tuple of int
        ``(frequency_per_week, loads_per_visit)``.
    """
    cap_kg, cap_m3 = payload_kg * max_fill, volume_m3 * max_fill
    loads_per_week = max(7 * kg_per_day / cap_kg, 7 * m3_per_day / cap_m3)
    freq = frequency or int(min(working_days, max(1, math.ceil(loads_per_week - 1e-9))))
    loads = max(1, math.ceil(loads_per_week / freq - 1e-9))
    return freq, loads


def storage_days(
    kg_per_day: float, m3_per_day: float, storage_kg: float, storage_m3: float
) -> float:
    """Days until a point's storage is full (``inf`` where it has none: a plain truck
    stop, or nothing to store). A storage of 0 or NaN is none; one given in m³ only
    holds any weight, and the other way round."""
    days = math.inf
    for amount, room in ((kg_per_day, storage_kg), (m3_per_day, storage_m3)):
        if room > 0 and amount > 0:  # (NaN compares false)
            days = min(days, room / amount)
    return days


def longest_gap_days(pattern: tuple[int, ...], weekdays: tuple[int, ...]) -> int:
    """The longest time between two visits of a pattern, in calendar days over the week.

    ``pattern`` holds indices into ``weekdays``, the working days' places in the week
    (Monday 0 ... Sunday 6): visits on Monday and Thursday are 3 and 4 days apart.
    """
    places = sorted(weekdays[d] for d in pattern)
    return max(b - a for a, b in zip(places, [*places[1:], places[0] + 7], strict=True))


def storage_patterns(
    frequency: int, full_days: float, weekdays: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The evenly spaced patterns of ``frequency`` visits that empty a storage full after
    ``full_days`` in time (their longest gap no longer); empty where none does."""
    return [
        p
        for p in day_patterns(frequency, len(weekdays))
        if longest_gap_days(p, weekdays) <= full_days + 1e-9
    ]


def storage_frequency(full_days: float, weekdays: tuple[int, ...]) -> int:
    """The fewest visits a week that empty a storage full after ``full_days`` in time;
    every working day where none does."""
    n = len(weekdays)
    return next((f for f in range(1, n + 1) if storage_patterns(f, full_days, weekdays)), n)


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
    options: list[list[tuple[int, ...]] | None] | None = None,
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
    options
        Per point, the patterns it may take (those that empty its storage in time), or
        ``None``: every evenly spaced pattern of its frequency.

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
    options = options if options is not None else [None] * n
    # Kept days first, then the largest frequency (least flexible), then the largest
    # workload; ties by index.
    order = sorted(
        range(n),
        key=lambda j: (fixed[j] is None, -int(frequency[j]), -float(workload_min[j]), j),
    )
    for j in order:
        best, best_score = None, math.inf
        kept = fixed[j]
        allowed = options[j] or day_patterns(int(frequency[j]), working_days)
        for pattern in [kept] if kept is not None else allowed:
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
