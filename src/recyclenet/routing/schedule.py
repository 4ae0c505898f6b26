"""Weekly truck-as-depot schedule: visit frequency and visit days of every collection point.

A plain truck stop has no storage: residents keep their recyclables at home and bring
to the truck what has gathered since its last visit, rest days included (a Monday visit
after a Saturday one collects two days). So a visit's load follows the calendar days
before it (:func:`gaps_before`). A visit that exceeds a truckload is split into several
loads, each a separate stop (the truck unloads in between, or a second truck comes). The
frequency: at least as many visits as the week's material fills truckloads (at least
once a week, at most every working day), and from there the one whose days take the
fewest truckloads a week, the most visits among equals (:func:`visit_frequency`).

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
        The most truckloads (separate stops) one of its visits needs.
    kg_per_load, m3_per_load
        What a stop collects on average (a week's amount over the week's loads).
    basis
        What set the frequency: ``"truck"`` (one truckload a visit), ``"storage"`` (the
        point's storage is full sooner) or ``"planner"`` (fixed in the candidates table).
    storage_full_days
        Days the point's storage lasts (``inf``: a plain truck stop).
    longest_gap_days
        The longest time between two visits, in calendar days (rest days included).
    days_from
        What chose the days: ``"balanced"`` (workload balanced, days compact),
        ``"searched"`` (the visit-day search, :mod:`recyclenet.routing.visit_days`) or
        ``"search_capped"`` (that search, cut short by the wall-clock safety cap: not
        reproducible).
    """

    frequency_per_week: int
    day_idx: tuple[int, ...]
    loads_per_visit: int
    kg_per_load: float
    m3_per_load: float
    basis: str = "truck"
    storage_full_days: float = math.inf
    longest_gap_days: int = 7
    loads_by_visit: tuple[int, ...] = ()
    kg_by_visit: tuple[float, ...] = ()
    m3_by_visit: tuple[float, ...] = ()
    days_from: str = "balanced"

    def stops_on(self, day: int) -> tuple[int, float, float]:
        """``(loads, kg, m3)`` of the visit on working day ``day``: the stops it takes and
        what each collects (the days since the visit before, over its loads)."""
        k = self.day_idx.index(day)
        if not self.loads_by_visit:  # built without per-visit amounts
            return self.loads_per_visit, self.kg_per_load, self.m3_per_load
        return self.loads_by_visit[k], self.kg_by_visit[k], self.m3_by_visit[k]

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
    weekdays: tuple[int, ...],
) -> tuple[int, int]:
    """Visits per week and the most truckloads a visit then takes, for one plain stop.

    Each visit collects what gathered since the one before (:func:`gaps_before`) and
    takes as many truckloads (stops) as that fills. At least as many visits as the
    week's material fills truckloads; from there, the frequency with the fewest
    truckloads a week over its best evenly spaced days, the most visits among equals
    (:func:`fewest_loads_frequency`). 250 kg a day on a 900 kg truck over Monday to
    Saturday fills two loads a week, but twice a week the visit after four days takes
    1,000 kg, two loads: three loads either way, so three visits of one load each.

    Parameters
    ----------
    kg_per_day, m3_per_day
        What the point's residents hand over per calendar day.
    payload_kg, volume_m3, max_fill
        The truck, filled to ``max_fill``.
    weekdays
        The working days' places in the week (Monday 0 ... Sunday 6).

    Returns
    -------
    tuple of int
        ``(frequency_per_week, loads_per_visit)``.
    """
    full = truckload_days(
        kg_per_day, m3_per_day, payload_kg=payload_kg, volume_m3=volume_m3, max_fill=max_fill
    )
    freq = fewest_loads_frequency(full, weekdays)
    best = least_loads_patterns(freq, full, weekdays)[0]
    return freq, max(loads_after(g, full) for g in gaps_before(best, weekdays))


def week_loads(pattern: tuple[int, ...], truck_days: float, weekdays: tuple[int, ...]) -> int:
    """Truckloads a week a pattern's visits take, each after its gap."""
    return sum(loads_after(g, truck_days) for g in gaps_before(pattern, weekdays))


def least_loads_patterns(
    frequency: int,
    truck_days: float,
    weekdays: tuple[int, ...],
    among: list[tuple[int, ...]] | None = None,
) -> list[tuple[int, ...]]:
    """The patterns of ``frequency`` visits (or of ``among``) taking the fewest
    truckloads a week."""
    options = among or day_patterns(frequency, len(weekdays))
    loads = [week_loads(p, truck_days, weekdays) for p in options]
    return [p for p, k in zip(options, loads, strict=True) if k == min(loads)]


def fewest_loads_frequency(truck_days: float, weekdays: tuple[int, ...]) -> int:
    """Visits a week for a plain stop: at least as many as the week's material fills
    truckloads (one load a visit on average; at least one, at most every working day),
    and from there the frequency whose best days take the fewest truckloads a week, the
    most visits among equals."""
    n = len(weekdays)
    least = min(n, max(1, math.ceil(7 / truck_days - 1e-9))) if math.isfinite(truck_days) else 1
    best = [
        (min(week_loads(p, truck_days, weekdays) for p in day_patterns(f, n)), -f)
        for f in range(least, n + 1)
    ]
    return -min(best)[1]


def truckload_days(
    kg_per_day: float, m3_per_day: float, *, payload_kg: float, volume_m3: float, max_fill: float
) -> float:
    """Days of a point's material one truckload (filled to ``max_fill``) holds (``inf``:
    nothing to collect)."""
    return storage_days(kg_per_day, m3_per_day, payload_kg * max_fill, volume_m3 * max_fill)


def loads_after(gap_days: float, truckload_days: float) -> int:
    """Truckloads (separate stops) a visit takes after ``gap_days`` days of material."""
    if math.isinf(truckload_days):
        return 1
    return max(1, math.ceil(gap_days / truckload_days - 1e-9))


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


def gaps_before(pattern: tuple[int, ...], weekdays: tuple[int, ...]) -> tuple[int, ...]:
    """Calendar days since the visit before, for each visit of a pattern (in its order).

    ``pattern`` holds indices into ``weekdays``, the working days' places in the week
    (Monday 0 ... Sunday 6): visits on Monday and Thursday come 4 and 3 days after the
    one before (Thursday to Monday over the weekend). They add up to 7.
    """
    places = [weekdays[d] for d in pattern]
    ordered = sorted(places)
    before = {
        b: (b - a) % 7 or 7 for a, b in zip([ordered[-1], *ordered[:-1]], ordered, strict=True)
    }
    return tuple(before[p] for p in places)


def longest_gap_days(pattern: tuple[int, ...], weekdays: tuple[int, ...]) -> int:
    """The longest time between two visits of a pattern, in calendar days over the week
    (visits on Monday and Thursday are 3 and 4 days apart: 4)."""
    return max(gaps_before(pattern, weekdays))


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
    pattern_workload: list[dict[tuple[int, ...], NDArray[np.float64]]] | None = None,
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
    pattern_workload
        Per point, for a pattern, the minutes its visits add to each working day, where
        they differ by day (the visit after the rest days collects more and may take
        more loads); a pattern not listed adds ``workload_min`` on each of its days.

    Returns
    -------
    list of tuple of int
        The chosen days of each point. Deterministic for the same inputs.
    """
    n = len(workload_min)
    by_pattern = pattern_workload if pattern_workload is not None else [{} for _ in range(n)]

    def adds(j: int, pattern: tuple[int, ...]) -> NDArray[np.float64]:
        known = by_pattern[j].get(pattern)
        if known is not None:
            return known
        out = np.zeros(working_days)
        out[list(pattern)] = workload_min[j]
        return out

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
            new = load + adds(j, pattern)
            spread = 0.0
            for d in idx:
                if count[d] > 0:
                    spread += float(np.linalg.norm(xy_km[j] - sum_xy[d] / count[d]))
            score = float(new.max()) + 0.1 * float(new[idx].sum()) + compactness_weight * spread
            if score < best_score - 1e-9:
                best, best_score = pattern, score
        assert best is not None
        chosen[j] = best
        load += adds(j, best)
        for d in best:
            sum_xy[d] += xy_km[j]
            count[d] += 1
    return chosen
