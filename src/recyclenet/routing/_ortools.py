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
from recyclenet.routing.timing import UNLOAD, day_result, timed_route

_DROP_PENALTY_FEN = 10**10


def _unload_copies(problem: DayProblem) -> int:
    """Unload visits to offer: enough for every truck to fill up as often as needed."""
    if not problem.reload:
        return 0
    kg_trips = problem.load_kg.sum() / problem.capacity_kg
    m3_trips = problem.load_m3.sum() / problem.capacity_m3
    copies = int(min(problem.num_stops, math.ceil(max(kg_trips, m3_trips)) + problem.num_vehicles))
    if problem.initial_routes is not None:
        copies = max(copies, sum(j < 0 for route in problem.initial_routes for j in route))
    return copies


def _initial_assignment(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    p: DayProblem,
    n: int,
    r: int,
    params: pywrapcp.RoutingSearchParameters,
) -> pywrapcp.Assignment | None:
    """The problem's known plan as a starting assignment (``None``: none, or it is invalid)."""
    if p.initial_routes is None:
        return None
    routes: list[list[int]] = []
    next_unload = n + 1
    for v in range(p.num_vehicles):
        seq = p.initial_routes[v] if v < len(p.initial_routes) else ()
        nodes = []
        for j in seq:
            if j < 0:
                if next_unload >= n + 1 + r:
                    return None
                nodes.append(manager.NodeToIndex(next_unload))
                next_unload += 1
            else:
                nodes.append(manager.NodeToIndex(j + 1))
        routes.append(nodes)
    if len(p.initial_routes) > p.num_vehicles:
        return None
    routing.CloseModelWithParameters(params)
    return routing.ReadAssignmentFromRoutes(routes, True)


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
        if p.slot_min is not None and np.isfinite(p.slot_min[node - 1]):
            # Soft window around the published slot: fen per second beyond the tolerance.
            coef = max(1, int(round(p.slot_penalty_cny_per_min * 100 / 60)))
            slot_s = (p.slot_min[node - 1] - p.shift_start_min) * 60
            tol_s = p.slot_tolerance_min * 60
            index = manager.NodeToIndex(node)
            time_dim.SetCumulVarSoftUpperBound(index, int(math.floor(slot_s + tol_s)), coef)
            time_dim.SetCumulVarSoftLowerBound(index, max(0, int(math.ceil(slot_s - tol_s))), coef)
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
    initial = _initial_assignment(routing, manager, p, n, r, params)
    if initial is not None:
        solution = routing.SolveFromAssignmentWithParameters(initial, params)
    else:
        solution = routing.SolveWithParameters(params)
    runtime = time.perf_counter() - start
    if solution is None:
        return DayResult(p, "no_solution", (), tuple(range(n)), math.nan, runtime)

    routes: list[tuple[Event, ...]] = []
    for v in range(p.num_vehicles):
        index = routing.Start(v)
        if routing.IsEnd(solution.Value(routing.NextVar(index))):
            continue
        order: list[int] = []
        arrival_min: list[float] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            order.append(node - 1 if node <= n else UNLOAD)
            arrival_min.append(solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min)
            index = solution.Value(routing.NextVar(index))
        arrival_min.append(solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min)
        lunch_before = None
        intervals = solution.IntervalVarContainer()
        for b in range(intervals.Size()):
            brk = intervals.Element(b)
            if brk.Var().Name() == f"lunch {v}" and brk.PerformedValue():
                at = brk.StartValue() / 60.0 + p.shift_start_min
                # Taken on leaving the last visit before the solver's lunch start.
                lunch_before = next((k for k, t in enumerate(arrival_min) if at < t), len(order))
        routes.append(
            timed_route(p, order, lunch_before=lunch_before, engine_arrival_min=arrival_min)
        )
    return day_result(p, routes, "feasible", time.perf_counter() - start)
