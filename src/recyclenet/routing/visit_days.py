"""A station's visit days searched by routing (:mod:`recyclenet.routing.periodic`).

:func:`~recyclenet.routing.schedule.assign_days` chooses each point's days by balancing
estimated workload; :func:`search_station_days` then looks, by routing the days, for the
days that drive fewest kilometres and trucks. The week's routing model is read as a
periodic problem: the station is the depot and the unload site, each point one stop a
visit of what it gives a visit (its weight or volume share of a truckload, whichever
fills more), the shift less lunch the longest a truck works.

Where that reading does not hold, the station keeps the balanced days: a mixed fleet,
trucks kept away from the station, points with hours or that some trucks may not serve.
A point keeps its balanced days (and is left out of the routing) where a visit takes
more than one truckload; so does a point with published days it keeps; and a station
whose other points carry more than a tenth of its work keeps all its balanced days
(:data:`FREE_SHARE`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from recyclenet.routing.periodic import (
    START_ITERATIONS,
    TRIAL_ITERATIONS,
    DayRouter,
    PatternBudget,
    routed,
    search_patterns,
)
from recyclenet.routing.periodic_problem import PeriodicProblem
from recyclenet.routing.problem import Vehicle
from recyclenet.routing.schedule import gaps_before, loads_after

FREE_SHARE = 0.9
"""The least share of a station's workload its searched points must carry: the search
does not see the rest (points of several loads a visit, kept days), and where that is
much, it piles the searched points on a few days that the rest already fills (an urban
station of Cuiping: 13 of its points on 3 of 6 days, 4 to 5 or 6 trucks a day)."""


def search_station_days(
    *,
    station_id: str,
    days: list[tuple[int, ...]],
    options: list[list[tuple[int, ...]]],
    fixed: list[tuple[int, ...] | None],
    truckload_days: list[float],
    kg_per_day: NDArray[np.float64],
    m3_per_day: NDArray[np.float64],
    weekdays: tuple[int, ...],
    full_km: NDArray[np.float64],
    full_min: NDArray[np.float64],
    vehicle: Vehicle,
    trucks: int,
    max_fill: float,
    dwell_min: float,
    unload_min: float,
    work_min: float,
    workload_min: NDArray[np.float64],
    xy_km: NDArray[np.float64],
    work: float,
    seed: int,
    cap_s: float,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """The points' days after the search (``days``: the balanced ones, the start) and
    what chose each (:attr:`~recyclenet.routing.schedule.PointVisits.days_from`).

    ``full_km`` and ``full_min`` are the station's matrices (the station first, then the
    points); ``work_min`` the longest a truck works a day; ``work`` the search's
    stop-iterations (:class:`~recyclenet.routing.periodic.PatternBudget`).
    ``workload_min`` is each point's work a visit (its loads' stays and unloads and the
    way out): a station whose points in the search carry less than
    :data:`FREE_SHARE` of it keeps the balanced days.
    """
    n = len(days)

    def one_load(j: int, pattern: tuple[int, ...]) -> bool:
        gaps = gaps_before(pattern, weekdays)
        return all(loads_after(g, truckload_days[j]) == 1 for g in gaps)

    free = [
        j
        for j in range(n)
        if fixed[j] is None and all(one_load(j, p) for p in options[j]) and len(options[j]) > 1
    ]
    if len(free) < 2 or workload_min[free].sum() < FREE_SHARE * workload_min.sum():
        return days, ["balanced"] * n
    payload = vehicle.payload_kg * max_fill
    volume = vehicle.volume_m3 * max_fill
    # A visit's share of a truckload after the longest gap its options leave.
    longest = [max(max(gaps_before(p, weekdays)) for p in options[j]) for j in free]
    share = np.array(
        [
            max(kg_per_day[j] * g / payload, m3_per_day[j] * g / volume)
            for j, g in zip(free, longest, strict=True)
        ]
    )
    nodes = [0, *(j + 1 for j in free), 0]  # the station twice: depot, unload site
    truck = replace(vehicle, payload_kg=payload, volume_m3=1e9)
    problem = PeriodicProblem(
        base_id=station_id,
        horizon=len(weekdays),
        patterns=tuple(tuple(options[j]) for j in free),
        demand_kg=np.minimum(share, 1.0) * payload,
        service_min=np.r_[0.0, np.full(len(free), dwell_min), unload_min],
        time_min=full_min[np.ix_(nodes, nodes)],
        distance_km=full_km[np.ix_(nodes, nodes)],
        vehicle=truck,
        num_vehicles=trucks,
        max_duration_min=work_min,
        num_facilities=1,
        xy_km=xy_km[free],
    )
    start = {k + 1: days[j] for k, j in enumerate(free)}
    # The fleet is sized by its busiest day: the search may not need more trucks on any
    # day than the balanced days do.
    first = routed(
        DayRouter(problem, seed, time.time() + cap_s), start, START_ITERATIONS / TRIAL_ITERATIONS
    )
    busiest = max(len(plan.routes) for plan in first)
    problem = replace(problem, num_vehicles=max(1, min(trucks, busiest)))
    found = search_patterns(problem, start, PatternBudget(work=work, cap_s=cap_s), seed=seed)
    out, by = list(days), ["balanced"] * n
    for k, j in enumerate(free):
        out[j] = found.patterns[k + 1]
        by[j] = "search_capped" if found.capped else "searched"
    return out, by
