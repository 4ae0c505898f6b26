"""The daily model in PyVRP, for the days it models exactly (see :func:`models`).

PyVRP (hybrid genetic search) finds shorter routes than OR-Tools' guided local search on
the time-window and capacity benchmarks (see benchmarks/README.md), so days without a
lunch break, slot targets or a starting plan go to it. Mapping:

* depots and unload sites = PyVRP depots; unload sites are the reload depots
  (``reload``): an unload trip is a depot visit mid-route; unloading time is added to
  every drive into an unload site, so the route end includes the final unload, as in
  the OR-Tools model;
* fleet groups = vehicle types with their capacity, depot, permitted hours (type time
  window), cost per km and per day, and their own matrices (a PyVRP profile each);
* stops = clients with pickups (and deliveries, 送新收旧) in grams and litres, dwell as
  service, windows and release times in seconds after the shift start; every client
  is optional with a prize (a booking's defer penalty, or a prize far above any route
  cost for a stop that must be served);
* cost in tenths of a metre driven by the cheapest type: each type's metres weigh its
  cost per km relative to it, fixed costs and prizes are converted alike; a stop that
  must be served has a prize ten times a truck's fixed cost plus the longest round trip,
  enough to prefer any feasible service, yet small enough for PyVRP's penalties on time
  and load excess to keep solutions feasible.

Days it does not model go to OR-Tools: lunch breaks, slot targets, starting plans, stops
closed to a truck type, trucks kept where they cannot unload (they must end empty), a
limit on what a truck collects in a day, and unload sites with opening hours.

Only this module of ``recyclenet.routing`` imports PyVRP; times and loads reported are
recomputed in exact arithmetic by :func:`recyclenet.routing.timing.timed_route`.
"""

from __future__ import annotations

import math
import time

import numpy as np
from pyvrp import Model
from pyvrp.stop import MaxRuntime

from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult
from recyclenet.routing.scaling import seconds, thousandths
from recyclenet.routing.timing import day_result, timed_route, unload_code


def models(problem: DayProblem) -> bool:
    """Whether PyVRP models every constraint of the day."""
    p = problem
    has_slots = p.slot_min is not None and bool(np.isfinite(p.slot_min).any())
    closed = any(g.can_serve is not None and not np.all(g.can_serve) for g in p.groups())
    away = any(g.depot not in p.unload_at for g in p.groups())
    return (
        p.lunch is None
        and not has_slots
        and p.initial_routes is None
        and not closed
        and not away
        and p.max_kg_per_truck_day is None
        and all(p.open_all_shift(k) for k in p.unload_at)
    )


def solve_day(problem: DayProblem, *, time_limit_s: float, seed: int = 0) -> DayResult:
    """Route one day's trucks with PyVRP (see the module docstring)."""
    start = time.perf_counter()
    p = problem
    if not models(p):
        raise ValueError(
            "PyVRP does not model lunch breaks, slots, starting plans, closed stops, "
            "trucks kept away from unload sites, daily limits or opening hours"
        )
    n = p.num_stops
    if n == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    groups = p.groups()
    lo, hi = p.windows_min()
    live = [j for j in range(n) if lo[j] <= hi[j]]  # empty windows cannot be served
    deliver_kg, deliver_m3 = p.deliveries()
    release = p.releases()
    horizon_s = int(round((p.shift_end_min - p.shift_start_min) * 60))

    per_km = [g.vehicle.cost_cny_per_km for g in groups]
    ref = min([c for c in per_km if c > 0], default=1.0)

    def units(cny: float) -> int:
        return int(round(cny / ref * 10_000))

    round_trip_km = 2 * max(float(p.group_distance_km(g).max()) for g in range(len(groups)))
    must_serve = 10 * units(
        max(g.vehicle.fixed_cost_cny_per_day for g in groups) + max(per_km) * round_trip_km
    )

    m = Model()
    site_list = sorted({g.depot for g in groups} | set(p.unload_at))
    nodes = [p.site_node(k) for k in site_list] + [j + 1 for j in live]
    locs = [m.add_location(0.0, 0.0) for _ in nodes]
    depots = {
        k: m.add_depot(locs[i], tw_early=0, tw_late=horizon_s) for i, k in enumerate(site_list)
    }
    profiles = [m.add_profile() for _ in groups] if len(groups) > 1 else [None]
    for g, group in enumerate(groups):
        cap_kg, cap_m3 = p.group_capacity(g)
        earliest, latest = p.group_hours_min(g)
        m.add_vehicle_type(
            num_available=group.count,
            capacity=[int(math.floor(cap_kg * 1000)), int(math.floor(cap_m3 * 1000))],
            start_depot=depots[group.depot],
            end_depot=depots[group.depot],
            fixed_cost=units(group.vehicle.fixed_cost_cny_per_day),
            unit_distance_cost=max(1, int(round(10 * group.vehicle.cost_cny_per_km / ref))),
            tw_early=seconds(earliest - p.shift_start_min),
            tw_late=seconds(latest - p.shift_start_min, up=False),
            reload_depots=[depots[k] for k in p.unload_at] if p.reload else [],
            profile=profiles[min(g, len(profiles) - 1)],
        )
    for k, j in enumerate(live, start=len(site_list)):
        penalty = None if p.defer_penalty_cny is None else float(p.defer_penalty_cny[j])
        m.add_client(
            locs[k],
            pickup=[thousandths(p.load_kg[j]), thousandths(p.load_m3[j])],
            delivery=[thousandths(deliver_kg[j]), thousandths(deliver_m3[j])],
            service_duration=seconds(p.dwell_min[j]),
            tw_early=seconds(lo[j] - p.shift_start_min),
            tw_late=seconds(hi[j] - p.shift_start_min, up=False),
            prize=must_serve if penalty is None else min(must_serve, units(penalty)),
            required=False,
            release_time=seconds(max(0.0, release[j] - p.shift_start_min)),
        )
    idx = np.asarray(nodes)
    into_unload = np.zeros(len(nodes), dtype=np.int64)
    for i, k in enumerate(site_list):
        if k in p.unload_at:
            into_unload[i] = seconds(p.unload_min_at(k))
    for g, profile in enumerate(profiles):
        dist_m = np.rint(p.group_distance_km(g)[np.ix_(idx, idx)] * 1000).astype(np.int64)
        travel_s = seconds(p.group_duration_min(g)[np.ix_(idx, idx)])
        travel_s += into_unload[None, :]  # every arrival at an unload site: an unload
        for a in range(len(nodes)):
            for b in range(len(nodes)):
                if a != b:
                    m.add_edge(
                        locs[a],
                        locs[b],
                        distance=int(dist_m[a, b]),
                        duration=int(travel_s[a, b]),
                        profile=profile,
                    )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - start))
    res = m.solve(stop=MaxRuntime(remaining), seed=seed, display=False)
    best = res.best
    if not best.is_feasible():
        return DayResult(
            p, "no_solution", (), tuple(range(n)), math.nan, time.perf_counter() - start
        )
    routes = []
    route_group = []
    for route in best.routes():
        g = route.vehicle_type()
        acts = list(route)[1:-1]
        order = [unload_code(site_list[a.idx]) if a.is_depot() else live[a.idx] for a in acts]
        routes.append(timed_route(p, order, group=g))
        route_group.append(g)
    return day_result(p, routes, "feasible", time.perf_counter() - start, route_group)
