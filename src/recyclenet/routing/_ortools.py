"""The daily truck-as-depot routing model in OR-Tools routing.

Nodes: 0 the base (start and end of every truck), ``1..n`` the stops, then ``R`` copies
of the base used as optional unload visits. Two capacity dimensions (kg, m3): a stop adds
its load, an unload copy subtracts the capacity and its slack (0..capacity) lets the load
fall to any value down to zero, i.e. the truck empties; at every other node the slack is 0.
A time dimension counts travel, dwell at stops and unloading, with waiting allowed (its
slack); a stop's cumul is its arrival, bounded by its window; the route end is bounded by
the shift end minus the final unload. A lunch break is an interval per truck, started in
its window, that may not overlap a visit (OR-Tools' break intervals). Stops may be dropped
only at a penalty far above any route cost, so drops happen only when the fleet cannot
serve a stop, and are reported; a booking's stop can instead be deferred at its own
penalty.

Integers appear only here: distances in metres, times in seconds, loads in grams and
litres, costs in fen (0.01 CNY).
This is the only module of ``recyclenet.routing`` that imports OR-Tools.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult, Event

_DROP_PENALTY_FEN = 10**10


def _unload_copies(problem: DayProblem) -> int:
    """Unload visits to offer: enough for every truck to fill up as often as needed."""
    kg_trips = problem.load_kg.sum() / problem.capacity_kg
    m3_trips = problem.load_m3.sum() / problem.capacity_m3
    return int(min(problem.num_stops, math.ceil(max(kg_trips, m3_trips)) + problem.num_vehicles))


def solve_day(problem: DayProblem, *, time_limit_s: float) -> DayResult:
    """Route one base's trucks for one day; see the module docstring for the model."""
    start = time.perf_counter()
    p = problem
    n = p.num_stops
    if n == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    r = _unload_copies(p)
    size = 1 + n + r
    base_of = np.zeros(size, dtype=int)
    base_of[1 : n + 1] = np.arange(1, n + 1)  # node -> index into distance matrix (0 = base)
    dist_m = np.rint(p.distance_km[np.ix_(base_of, base_of)] * 1000).astype(np.int64)
    travel_s = np.ceil(p.duration_min()[np.ix_(base_of, base_of)] * 60 - 1e-9).astype(np.int64)
    service_s = np.zeros(size, dtype=np.int64)
    service_s[1 : n + 1] = np.ceil(p.dwell_min * 60 - 1e-9).astype(np.int64)
    service_s[n + 1 :] = int(math.ceil(p.unload_min * 60 - 1e-9))
    cap_g = int(math.floor(p.capacity_kg * 1000))
    cap_l = int(math.floor(p.capacity_m3 * 1000))
    demand_g = np.zeros(size, dtype=np.int64)
    demand_l = np.zeros(size, dtype=np.int64)
    demand_g[1 : n + 1] = np.ceil(p.load_kg * 1000 - 1e-6).astype(np.int64)
    demand_l[1 : n + 1] = np.ceil(p.load_m3 * 1000 - 1e-6).astype(np.int64)
    demand_g[n + 1 :] = -cap_g
    demand_l[n + 1 :] = -cap_l
    cost_fen = np.rint(dist_m / 1000.0 * p.vehicle.cost_cny_per_km * 100).astype(np.int64)

    manager = pywrapcp.RoutingIndexManager(size, p.num_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc_cost(i: int, j: int) -> int:
        return int(cost_fen[manager.IndexToNode(i), manager.IndexToNode(j)])

    def transit(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(service_s[a] + travel_s[a, b])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.SetFixedCostOfAllVehicles(int(round(p.vehicle.fixed_cost_cny_per_day * 100)))

    for name, demand, cap in (("kg", demand_g, cap_g), ("m3", demand_l, cap_l)):
        cb = routing.RegisterUnaryTransitCallback(
            lambda i, d=demand: int(d[manager.IndexToNode(i)])
        )
        routing.AddDimension(cb, cap, cap, True, name)
        dim = routing.GetDimensionOrDie(name)
        for node in range(1, n + 1):
            dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
        for v in range(p.num_vehicles):
            dim.SlackVar(routing.Start(v)).SetValue(0)

    shift_s = int(round((p.shift_end_min - p.shift_start_min) * 60))
    unload_s = int(math.ceil(p.unload_min * 60 - 1e-9))
    routing.AddDimension(routing.RegisterTransitCallback(transit), shift_s, shift_s, True, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for v in range(p.num_vehicles):
        time_dim.CumulVar(routing.End(v)).SetMax(shift_s - unload_s)
    time_dim.SetGlobalSpanCostCoefficient(1)
    lo, hi = p.windows_min()
    for node in range(1, n + 1):
        a = int(math.ceil((lo[node - 1] - p.shift_start_min) * 60 - 1e-9))
        b = int(math.floor((hi[node - 1] - p.shift_start_min) * 60 + 1e-9))
        if a <= b:
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(a, b)
    breaks = []
    if p.lunch is not None:
        earliest, latest, length = p.lunch
        visit_s = [int(service_s[manager.IndexToNode(i)]) for i in range(routing.Size())]
        for v in range(p.num_vehicles):
            brk = routing.solver().FixedDurationIntervalVar(
                int(round((earliest - p.shift_start_min) * 60)),
                int(round((latest - p.shift_start_min) * 60)),
                int(round(length * 60)),
                False,
                f"lunch {v}",
            )
            breaks.append(brk)
            time_dim.SetBreakIntervalsOfVehicle([brk], v, visit_s)

    for node in range(1, n + 1):
        penalty = (
            _DROP_PENALTY_FEN
            if p.defer_penalty_cny is None
            else int(round(p.defer_penalty_cny[node - 1] * 100))
        )
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
        if lo[node - 1] > hi[node - 1]:  # an empty window (e.g. already past): drop it
            routing.ActiveVar(manager.NodeToIndex(node)).SetValue(0)
    for node in range(n + 1, size):
        routing.AddDisjunction([manager.NodeToIndex(node)], 0)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.2, time_limit_s - (time.perf_counter() - start))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(params)
    runtime = time.perf_counter() - start
    if solution is None:
        return DayResult(p, "no_solution", (), tuple(range(n)), math.nan, runtime)

    routes: list[tuple[Event, ...]] = []
    served: set[int] = set()
    cost = 0.0
    dur = p.duration_min()
    for v in range(p.num_vehicles):
        index = routing.Start(v)
        if routing.IsEnd(solution.Value(routing.NextVar(index))):
            continue
        nodes = []
        cumul_min = []
        while True:
            nodes.append(manager.IndexToNode(index))
            cumul_min.append(solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min)
            if routing.IsEnd(index):
                break
            index = solution.Value(routing.NextVar(index))
        nodes[-1] = 0
        lunch_at = None
        intervals = solution.IntervalVarContainer()
        for b in range(intervals.Size()):
            brk = intervals.Element(b)
            if brk.Var().Name() == f"lunch {v}" and brk.PerformedValue():
                lunch_at = brk.StartValue() / 60.0 + p.shift_start_min
        # Times and loads in exact arithmetic from the sequence: each stop at its earliest
        # arrival (travel, dwell, unloading, its window's opening), the lunch taken on
        # leaving the stop after which the solver placed it; the solver's whole-second
        # times only decide the order and where lunch falls.
        events = [Event("start", -1, p.shift_start_min, p.shift_start_min, 0.0, 0.0, 0.0, 1)]
        kg = m3 = 0.0
        trip = 1
        clock = p.shift_start_min
        prev = 0
        for pos, node in enumerate(nodes[1:], start=1):
            here = int(base_of[node])
            d_km = float(p.distance_km[prev, here])
            if lunch_at is not None and lunch_at < cumul_min[pos]:
                assert p.lunch is not None
                begin = max(clock, p.lunch[0])
                events.append(Event("lunch", -1, begin, begin + p.lunch[2], kg, m3, 0.0, trip))
                clock = begin + p.lunch[2]
                lunch_at = None
            arrival = clock + float(dur[prev, here])
            if 1 <= node <= n:
                arrival = max(arrival, float(lo[node - 1]))
            if pos == len(nodes) - 1:
                events.append(
                    Event("end", -1, arrival, arrival + p.unload_min, 0.0, 0.0, d_km, trip)
                )
                clock = arrival + p.unload_min
            elif node <= n:
                j = node - 1
                served.add(j)
                kg += float(p.load_kg[j])
                m3 += float(p.load_m3[j])
                clock = arrival + float(p.dwell_min[j])
                events.append(Event("stop", j, arrival, clock, kg, m3, d_km, trip))
            else:
                kg = m3 = 0.0
                clock = arrival + p.unload_min
                events.append(Event("unload", -1, arrival, clock, 0.0, 0.0, d_km, trip))
                trip += 1
            prev = here
        routes.append(tuple(events))
        cost += p.vehicle.fixed_cost_cny_per_day + p.vehicle.cost_cny_per_km * sum(
            e.distance_km for e in events
        )
    dropped = tuple(j for j in range(n) if j not in served)
    return DayResult(p, "feasible", tuple(routes), dropped, cost, runtime)
