"""The search on a day's OR-Tools model: parameters, stages counted on the budget's
meter, the starting plan, and the plan read back as timed routes."""

from __future__ import annotations

import time
from collections.abc import Callable

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from recyclenet.routing._ortools.model import Model
from recyclenet.routing.budget import Meter
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import Event
from recyclenet.routing.timing import timed_route, unload_code

# Construction heuristics tried for a first plan, the cheapest kept: parallel insertion
# spreads stops over the fleet (good with tight windows), the path heuristic fills one
# truck's day, trip after trip, before it opens the next (good where trucks cost a day).
FIRST_SOLUTIONS = (
    routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
)


# Moves that bring stops left out into the routes (the insertion descent).
INSERT_OPERATORS = (
    "use_make_active",
    "use_relocate_and_make_active",
    "use_exchange_and_make_active",
    "use_swap_active",
    "use_extended_swap_active",
)


def limit(
    params: pywrapcp.RoutingSearchParameters, deadline: float, least: float, meter: Meter
) -> float:
    """Let a search stage run until ``deadline`` (on ``meter``), at least ``least``:
    its solution limit in work mode, else its time limit. Returns the stage's budget."""
    units = max(least, deadline - meter.now())
    if (solutions := meter.solutions(units)) is not None:
        params.solution_limit = solutions
    params.time_limit.FromMilliseconds(max(1, int(meter.stage_s(units) * 1000)))
    return units


def run_stage(
    solve: Callable[[pywrapcp.RoutingSearchParameters], pywrapcp.Assignment | None],
    params: pywrapcp.RoutingSearchParameters,
    units: float,
    meter: Meter,
) -> pywrapcp.Assignment | None:
    """Run one search stage of ``units`` and charge it to ``meter``."""
    began = time.perf_counter()
    found = solve(params)
    meter.ran(time.perf_counter() - began, params.time_limit.ToMilliseconds() / 1000)
    meter.charge(units)
    return found


def best_first_solution(
    routing: pywrapcp.RoutingModel, deadline: float, min_stage_s: float, meter: Meter
) -> tuple[pywrapcp.Assignment | None, int | None]:
    """The cheapest first plan of :data:`FIRST_SOLUTIONS` and the strategy that built it
    (``None, None``: none found). Each stops at its first plan; without work mode it is
    also given at most a quarter of the time left (at least half of ``min_stage_s``)."""
    best, best_strategy = None, None
    for strategy in FIRST_SOLUTIONS:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = strategy
        params.solution_limit = 1
        left = max(min_stage_s / 2, (deadline - meter.now()) / 4)
        params.time_limit.FromMilliseconds(max(1, int(meter.stage_s(left) * 1000)))
        found = run_stage(routing.SolveWithParameters, params, 0.0, meter)
        if found is not None and (best is None or found.ObjectiveValue() < best.ObjectiveValue()):
            best = routing.solver().Assignment(found)  # a copy: the next solve reuses it
            best_strategy = strategy
    return best, best_strategy


def initial_assignment(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    p: DayProblem,
    copy_nodes: dict[int, list[int]],
    params: pywrapcp.RoutingSearchParameters,
) -> pywrapcp.Assignment | None:
    """The problem's known plan as a starting assignment (``None``: none, or it is invalid)."""
    if p.initial_routes is None or len(p.initial_routes) > p.num_trucks:
        return None
    free = {site: list(nodes) for site, nodes in copy_nodes.items()}
    routes: list[list[int]] = []
    for v in range(p.num_trucks):
        seq = p.initial_routes[v] if v < len(p.initial_routes) else ()
        nodes = []
        for j in seq:
            if j < 0:
                site = -1 - j
                if not free.get(site):
                    return None
                nodes.append(manager.NodeToIndex(free[site].pop(0)))
            else:
                nodes.append(manager.NodeToIndex(j + 1))
        routes.append(nodes)
    routing.CloseModelWithParameters(params)
    # (not ReadAssignmentFromRoutes: it re-solves the plan in a search that, on a day of
    # a hundred stops, ran until the time limit, leaving the local search nothing)
    assignment = routing.solver().Assignment()
    if not routing.RoutesToAssignment(routes, True, True, assignment):
        return None
    return assignment


def parameters(insert_only: bool, bandit: bool) -> pywrapcp.RoutingSearchParameters:
    """Guided local search (``bandit``: moves picked by their past gains), or with
    ``insert_only`` a descent with the moves of :data:`INSERT_OPERATORS` only."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.use_multi_armed_bandit_concatenate_operators = bandit
    if insert_only:
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
        operators = params.local_search_operators
        for field in operators.DESCRIPTOR.fields:
            if field.name.startswith("use_"):
                on = field.name in INSERT_OPERATORS
                setattr(
                    operators,
                    field.name,
                    optional_boolean_pb2.BOOL_TRUE if on else optional_boolean_pb2.BOOL_FALSE,
                )
    return params


def search(
    m: Model,
    params: pywrapcp.RoutingSearchParameters,
    deadline: float,
    min_stage_s: float,
    meter: Meter,
) -> pywrapcp.Assignment | None:
    """Search from the problem's starting plan, else from the cheaper first plan of
    :data:`FIRST_SOLUTIONS`, until ``deadline`` on ``meter``."""
    routing = m.routing
    units = limit(params, deadline, min_stage_s, meter)
    initial = initial_assignment(routing, m.manager, m.p, m.copy_nodes, params)
    solution = None
    if initial is not None:
        units = limit(params, deadline, min_stage_s, meter)
        solution = run_stage(
            lambda ps: routing.SolveFromAssignmentWithParameters(initial, ps), params, units, meter
        )
    if solution is None:  # no starting plan, or one the model rejects
        first, strategy = best_first_solution(routing, deadline, min_stage_s, meter)
        units = limit(params, deadline, min_stage_s, meter)
        if first is not None:
            solution = run_stage(
                lambda ps: routing.SolveFromAssignmentWithParameters(first, ps),
                params,
                units,
                meter,
            )
        if first is None or solution is None:
            # (measured on Kim 1051: the copied first plan failed to restore, in 0.2 s;
            # the search that builds it again with the same strategy goes on from it)
            if strategy is not None:
                params.first_solution_strategy = strategy
            units = limit(params, deadline, min_stage_s, meter)
            solution = run_stage(routing.SolveWithParameters, params, units, meter)
    return solution


def read_routes(
    m: Model, solution: pywrapcp.Assignment
) -> tuple[list[tuple[Event, ...]], list[int]]:
    """Each used truck's timed route (with its final unload and lunch) and its group."""
    p, routing, manager, time_dim = m.p, m.routing, m.manager, m.time_dim
    assert time_dim is not None
    n, groups = p.num_stops, p.groups()
    routes: list[tuple[Event, ...]] = []
    route_group: list[int] = []
    intervals = solution.IntervalVarContainer()
    for v, g in enumerate(m.truck_group):
        index = routing.Start(v)
        if routing.IsEnd(solution.Value(routing.NextVar(index))):
            continue
        order: list[int] = []
        arrival_min: list[float] = []
        index = solution.Value(routing.NextVar(index))
        node = 0
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            order.append(node - 1 if node <= n else unload_code(m.copy_site[node]))
            arrival_min.append(solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min)
            index = solution.Value(routing.NextVar(index))
        end_min = solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min
        final = m.final_site[g]
        if final is not None and not m.is_copy[node]:
            # The unload folded into the arc home; free again once unloaded.
            site = int(final[node])
            back = p.group_duration_min(g)[p.site_node(site), p.site_node(groups[g].depot)]
            order.append(unload_code(site))
            arrival_min.append(end_min - float(back))
        arrival_min.append(end_min)
        lunch_before = None
        for b in range(intervals.Size()):
            brk = intervals.Element(b)
            if brk.Var().Name() == f"lunch {v}" and brk.PerformedValue():
                at = brk.StartValue() / 60.0 + p.shift_start_min
                # Taken on leaving the last visit before the solver's lunch start.
                lunch_before = next((k for k, t in enumerate(arrival_min) if at < t), len(order))
        routes.append(timed(p, g, order, arrival_min, lunch_before))
        route_group.append(g)
    return routes, route_group


def timed(
    p: DayProblem, g: int, order: list[int], arrival_min: list[float], lunch_before: int | None
) -> tuple[Event, ...]:
    """A route's events timed in exact arithmetic, lunch where the solver took it (or,
    where that brings the truck back late, where it fits)."""
    events = timed_route(
        p, order, group=g, lunch_before=lunch_before, engine_arrival_min=arrival_min
    )
    if lunch_before is not None and events[-1].departure_min > p.group_hours_min(g)[1]:
        # The solver may overlap lunch with the unload folded into the arc home; an
        # earlier break, where one fits, can still bring the truck back in time.
        assert p.lunch is not None  # a lunch position implies a lunch window
        lunch_latest = p.lunch[1]
        events = min(
            (
                timed_route(p, order, group=g, lunch_before=k, engine_arrival_min=arrival_min)
                for k in range(len(order) + 1)
            ),
            key=lambda ev: (
                any(e.kind == "lunch" and e.arrival_min > lunch_latest + 1e-9 for e in ev),
                ev[-1].departure_min,
            ),
        )
    return events
