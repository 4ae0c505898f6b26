"""The daily model in PyVRP, for days it models exactly: no lunch, no soft slots.

PyVRP (hybrid genetic search) finds shorter routes than OR-Tools' guided local search on
the time-window and capacity benchmarks (see benchmarks/README.md), so days without a
lunch break, slot targets or a starting plan go to it. Mapping:

* base = depot and reload depot (``reload``): an unload trip is a depot visit mid-route;
  unloading time is added to every drive into the base, so the route end includes the
  final unload, as in the OR-Tools model;
* stops = clients with pickups in grams and litres, dwell as service, windows in seconds
  after the shift start; every client is optional with a prize (a booking's defer
  penalty, or a prize far above any route cost for a stop that must be served);
* cost: distance edges in metres at 1 per metre, fixed vehicle cost and prizes converted
  to metres at the vehicle's cost per km.

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
from recyclenet.routing.timing import UNLOAD, day_result, timed_route

_MUST_SERVE_M = 10**9  # prize of a stop that must be served: 1,000,000 km


def models(problem: DayProblem) -> bool:
    """Whether PyVRP models every constraint of the day."""
    has_slots = problem.slot_min is not None and bool(np.isfinite(problem.slot_min).any())
    return problem.lunch is None and not has_slots and problem.initial_routes is None


def solve_day(problem: DayProblem, *, time_limit_s: float, seed: int = 0) -> DayResult:
    """Route one base's trucks for one day with PyVRP (see the module docstring)."""
    start = time.perf_counter()
    p = problem
    if not models(p):
        raise ValueError("PyVRP does not model lunch breaks, slots or starting plans")
    n = p.num_stops
    if n == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    lo, hi = p.windows_min()
    live = [j for j in range(n) if lo[j] <= hi[j]]  # empty windows cannot be served
    per_km = p.vehicle.cost_cny_per_km if p.vehicle.cost_cny_per_km > 0 else 1.0

    def metres(cny: float) -> int:
        return int(round(cny / per_km * 1000))

    shift_s = int(round((p.shift_end_min - p.shift_start_min) * 60))
    unload_s = int(math.ceil(p.unload_min * 60 - 1e-9))
    m = Model()
    nodes = [0, *[j + 1 for j in live]]
    locs = [m.add_location(0.0, 0.0) for _ in nodes]
    depot = m.add_depot(locs[0], tw_early=0, tw_late=shift_s)
    m.add_vehicle_type(
        num_available=p.num_vehicles,
        capacity=[int(math.floor(p.capacity_kg * 1000)), int(math.floor(p.capacity_m3 * 1000))],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=metres(p.vehicle.fixed_cost_cny_per_day),
        tw_early=0,
        tw_late=shift_s,
        reload_depots=[depot] if p.reload else [],
    )
    for k, j in enumerate(live, start=1):
        penalty = None if p.defer_penalty_cny is None else float(p.defer_penalty_cny[j])
        m.add_client(
            locs[k],
            pickup=[
                int(math.ceil(p.load_kg[j] * 1000 - 1e-6)),
                int(math.ceil(p.load_m3[j] * 1000 - 1e-6)),
            ],
            service_duration=int(math.ceil(p.dwell_min[j] * 60 - 1e-9)),
            tw_early=int(math.ceil((lo[j] - p.shift_start_min) * 60 - 1e-9)),
            tw_late=int(math.floor((hi[j] - p.shift_start_min) * 60 + 1e-9)),
            prize=_MUST_SERVE_M if penalty is None else min(_MUST_SERVE_M, metres(penalty)),
            required=False,
        )
    idx = np.asarray(nodes)
    dist_m = np.rint(p.distance_km[np.ix_(idx, idx)] * 1000).astype(np.int64)
    travel_s = np.ceil(p.duration_min()[np.ix_(idx, idx)] * 60 - 1e-9).astype(np.int64)
    travel_s[:, 0] += unload_s  # every arrival at the base is followed by an unload
    for a in range(len(nodes)):
        for b in range(len(nodes)):
            if a != b:
                m.add_edge(
                    locs[a], locs[b], distance=int(dist_m[a, b]), duration=int(travel_s[a, b])
                )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - start))
    res = m.solve(stop=MaxRuntime(remaining), seed=seed, display=False)
    best = res.best
    if not best.is_feasible():
        return DayResult(
            p, "no_solution", (), tuple(range(n)), math.nan, time.perf_counter() - start
        )
    routes = []
    for route in best.routes():
        acts = list(route)[1:-1]
        order = [UNLOAD if a.is_depot() else live[a.idx] for a in acts]
        routes.append(timed_route(p, order))
    return day_result(p, routes, "feasible", time.perf_counter() - start)
