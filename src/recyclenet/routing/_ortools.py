"""The daily truck-as-depot routing model in OR-Tools routing.

Nodes: 0 the base, ``1..n`` the stops, ``n+1..n+S`` the extra sites, then ``R`` copies
of every unload site used as optional unload visits. Each truck starts and ends at its
group's depot. Two capacity dimensions (kg, m3) with the truck's own capacity: a stop
adds its load, an unload copy subtracts the largest truck's capacity and its slack (0..that
capacity) lets the load fall to any value down to zero, i.e. the truck empties; at every other node
the slack is 0; an unload visit may not follow the start or another unload (it would
empty an empty truck). Unload visits fall within their site's opening hours. A truck
whose depot is not an unload site ends its day with an unload: its arcs into the depot
run through an unload site (travel, unloading and the drive home in one arc; see
:func:`recyclenet.routing.homing.route_home_via_unload`), so a new route needs no unload
visit inserted with its first stop and the search can open trucks one stop at a time.
Deliveries (送新收旧) are two more dimensions counting new goods still on board: loaded
by the slack at a trip's start (the depot or an unload copy), handed over at stops, and
added to the collected load at every node against the truck's capacity. A time dimension
per truck type counts travel, dwell at stops and unloading, with waiting allowed (its
slack); a stop's cumul is its arrival, bounded by its window; the route start and end are
bounded by the shift and the group's permitted hours (minus the final unload where the
depot is an unload site). Stops a type may not serve are closed to its trucks
(their vehicle variable); arc costs and travel times are per truck type. A lunch
break is an interval per truck, started in its window, that may not overlap a visit
(OR-Tools' break intervals). A limit on what a truck collects in a day is one more
dimension that unloads do not reset. Stops may be dropped only at a penalty far above any
route cost, so drops happen only when the fleet cannot serve a stop, and are reported; a
booking's stop can instead be deferred at its own penalty.

The model is in integers: distances in metres, times in seconds and loads in grams and
litres (rounded by :mod:`recyclenet.routing.scaling`), costs in fen (0.01 CNY).
This is the only module of ``recyclenet.routing`` that imports OR-Tools.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from recyclenet.routing.budget import Meter
from recyclenet.routing.homing import route_home_via_unload
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult, Event
from recyclenet.routing.scaling import seconds, thousandths
from recyclenet.routing.timing import day_result, timed_route, unload_code

_DROP_PENALTY_FEN = 10**10
# Share of a day's limit kept back from the first search, for repairing a plan that
# leaves stops out and for searching again from the best plan (see :func:`solve_day`).
REPAIR_SHARE = 0.15
# Least time a search stage gets once its share of the limit has run out (a stage that
# starts late still returns a plan), unless the caller's whole limit is shorter: a small
# day routed inside a larger search (the PVRP-IF benchmark's pattern search) asks for a
# tenth of a second and gets it.
MIN_STAGE_S = 0.2


def _unload_copies(problem: DayProblem) -> int:
    """Unload visits to offer per unload site: enough for every truck to fill up (with
    what it collects and what it brings) as often as needed, and for the starting plan.

    Each stop counts the share of a trip it takes on the largest truck allowed to serve
    it, whole stops to a trip (a 330 kg stop fills a 500 kg tricycle's trip alone): the
    trips of stops only small trucks may serve are counted on those trucks (measured:
    twelve 330 kg stops closed to the box truck, two tricycles, enough time for twelve
    trips; counted on the box truck's capacity, four of them were left out).
    """
    p = problem
    if not p.reload:  # the final unload of trucks kept away is part of their arc home
        copies = 0
    else:
        deliver_kg, deliver_m3 = p.deliveries()  # loaded where trips start: room too
        kg = p.load_kg + deliver_kg
        m3 = p.load_m3 + deliver_m3
        share = np.full(p.num_stops, np.inf)
        for g in range(len(p.groups())):
            cap_kg, cap_m3 = p.group_capacity(g)
            with np.errstate(divide="ignore"):
                per_trip = np.minimum(np.floor(cap_kg / kg + 1e-9), np.floor(cap_m3 / m3 + 1e-9))
            # (a stop too large for the truck counts one trip: it is dropped anyway)
            one = 1.0 / np.maximum(per_trip, 1.0)
            share = np.where(p.served_by(g), np.minimum(share, one), share)
        trips = float(np.where(np.isfinite(share), share, 1.0).sum())
        copies = int(min(p.num_stops, math.ceil(trips - 1e-9)) + p.num_trucks)
    if p.initial_routes is not None:
        copies = max(copies, sum(j < 0 for route in p.initial_routes for j in route))
    return copies


def _window_s(p: DayProblem, open_min: float, close_min: float) -> tuple[int, int]:
    """A time window in the model's whole seconds after the shift start, rounded inwards."""
    return (
        int(seconds(open_min - p.shift_start_min)),
        int(seconds(close_min - p.shift_start_min, up=False)),
    )


# Construction heuristics tried for a first plan, the cheapest kept: parallel insertion
# spreads stops over the fleet (good with tight windows), the path heuristic fills one
# truck's day, trip after trip, before it opens the next (good where trucks cost a day).
_FIRST_SOLUTIONS = (
    routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
)


def _limit(
    params: pywrapcp.RoutingSearchParameters, deadline: float, least: float, meter: Meter
) -> float:
    """Let a search stage run until ``deadline`` (on ``meter``), at least ``least``:
    its solution limit in work mode, else its time limit. Returns the stage's budget."""
    units = max(least, deadline - meter.now())
    if (solutions := meter.solutions(units)) is not None:
        params.solution_limit = solutions
    params.time_limit.FromMilliseconds(max(1, int(meter.stage_s(units) * 1000)))
    return units


def _search(
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


def _best_first_solution(
    routing: pywrapcp.RoutingModel, deadline: float, min_stage_s: float, meter: Meter
) -> tuple[pywrapcp.Assignment | None, int | None]:
    """The cheapest first plan of :data:`_FIRST_SOLUTIONS` and the strategy that built it
    (``None, None``: none found). Each stops at its first plan; without work mode it is
    also given at most a quarter of the time left (at least half of ``min_stage_s``)."""
    best, best_strategy = None, None
    for strategy in _FIRST_SOLUTIONS:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = strategy
        params.solution_limit = 1
        left = max(min_stage_s / 2, (deadline - meter.now()) / 4)
        params.time_limit.FromMilliseconds(max(1, int(meter.stage_s(left) * 1000)))
        found = _search(routing.SolveWithParameters, params, 0.0, meter)
        if found is not None and (best is None or found.ObjectiveValue() < best.ObjectiveValue()):
            best = routing.solver().Assignment(found)  # a copy: the next solve reuses it
            best_strategy = strategy
    return best, best_strategy


def _initial_assignment(
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


def _add_releases(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    p: DayProblem,
    time_dim: pywrapcp.RoutingDimension,
    service_s: np.ndarray,
    horizon_s: int,
    num_v: int,
    base_nodes: int,
) -> None:
    """Release times: each trip leaves its depot or unload site no earlier than the
    latest release among its stops.

    A ``release`` dimension with zero transits is constant along a trip: at least each
    stop's release, it may only rise at a trip's start (the vehicle start or an unload
    copy, through its slack), where it must not exceed the departure. Keeping it
    non-decreasing loses nothing, as departures of later trips are later.
    """
    solver = routing.solver()
    zero = routing.RegisterUnaryTransitVector([0] * manager.GetNumberOfNodes())
    routing.AddDimension(zero, horizon_s, horizon_s, True, "release")
    dim = routing.GetDimensionOrDie("release")
    release = p.releases()
    for node in range(1, p.num_stops + 1):
        index = manager.NodeToIndex(node)
        dim.SlackVar(index).SetValue(0)
        if release[node - 1] > p.shift_start_min:
            dim.CumulVar(index).SetMin(int(seconds(release[node - 1] - p.shift_start_min)))
    trip_starts = [routing.Start(v) for v in range(num_v)] + [
        manager.NodeToIndex(node) for node in range(base_nodes, manager.GetNumberOfNodes())
    ]
    for index in trip_starts:
        node = manager.IndexToNode(index)
        solver.Add(
            dim.CumulVar(index) + dim.SlackVar(index)
            <= time_dim.CumulVar(index) + time_dim.SlackVar(index) + int(service_s[node])
        )


def solve_day(problem: DayProblem, *, time_limit_s: float, meter: Meter | None = None) -> DayResult:
    """Route one day's trucks; see the module docstring for the model.

    A starting plan that leaves stops out (today's new bookings, the stops of a route
    taken away) is first completed by a descent with insertion moves only: OR-Tools'
    local search tries them after its other moves, and on a day of a few hundred stops
    these may fill the whole time limit (measured: three stops of a 99-stop day left
    out for 20 s, inserted in 0.05 s by the insertion moves alone). The search gets
    ``1 - REPAIR_SHARE`` of the limit; a plan it returns with stops left out goes
    through the same descent, and the rest of the time searches again from the best
    plan.

    ``meter``: the clock the budget is read from (see :mod:`recyclenet.routing.budget`);
    ``None``: the wall clock, ``time_limit_s`` in seconds.
    """
    meter = meter if meter is not None else Meter()
    began = time.perf_counter()
    start = meter.now()
    p = problem
    bandit = False
    floor_s = min(MIN_STAGE_S, time_limit_s)
    if p.initial_routes is not None and p.num_stops > 0:
        planned = {j for route in p.initial_routes for j in route if j >= 0}
        if len(planned) < p.num_stops:
            share = max(floor_s, time_limit_s / 10)
            filled = _solve(
                p, time_limit_s=share, insert_only=True, min_stage_s=floor_s, meter=meter
            )
            if filled.status != "no_solution":
                p = dataclasses.replace(p, initial_routes=filled.plan())
                # Stops still out need room made for them: the search then picks its
                # moves by their past gains (multi-armed bandit), so the insertions,
                # which gain a drop penalty each, come round often (measured: the
                # last stop of a 6-truck Kim 804 plan inserted in 27 s; never with
                # the fixed order).
                bandit = bool(filled.dropped)
    deadline = start + time_limit_s
    left = max(floor_s, deadline - meter.now())
    result = _solve(
        p,
        time_limit_s=(1 - REPAIR_SHARE) * left,
        bandit=bandit,
        min_stage_s=floor_s,
        meter=meter,
    )
    if result.dropped and result.status != "no_solution":
        # Guided local search weighs its moves with arc penalties scaled to the whole
        # cost, drop penalties included: a stop it leaves out may still fit where an
        # insertion descent, which sees only the true cost, finds it at once (measured
        # on Kim 804 with 5 trucks: one stop left out after 120 s of search, inserted in
        # under 0.5 s; the search then goes on from the completed plan).
        left = deadline - meter.now()
        filled = _solve(
            dataclasses.replace(p, initial_routes=result.plan()),
            time_limit_s=max(floor_s / 2, left / 3),
            insert_only=True,
            min_stage_s=floor_s,
            meter=meter,
        )
        if _rank(filled) < _rank(result):
            result = filled
    left = deadline - meter.now()
    if left > floor_s and result.status != "no_solution":
        more = _solve(
            dataclasses.replace(p, initial_routes=result.plan()),
            time_limit_s=left,
            min_stage_s=floor_s,
            meter=meter,
        )
        if _rank(more) < _rank(result):
            result = more
    return dataclasses.replace(result, problem=problem, runtime_s=time.perf_counter() - began)


def _rank(result: DayResult) -> tuple[int, float]:
    """Order of plans of one day: fewer stops left out that must be served, then the
    lower objective (a plan that is none comes last)."""
    if result.status == "no_solution":
        return (result.unserved(), math.inf)
    objective = result.objective_cny()
    return (result.unserved(), result.cost_cny if math.isinf(objective) else objective)


# Moves that bring stops left out into the routes (the insertion descent).
_INSERT_OPERATORS = (
    "use_make_active",
    "use_relocate_and_make_active",
    "use_exchange_and_make_active",
    "use_swap_active",
    "use_extended_swap_active",
)


def _solve(
    problem: DayProblem,
    *,
    time_limit_s: float,
    insert_only: bool = False,
    bandit: bool = False,
    min_stage_s: float = MIN_STAGE_S,
    meter: Meter | None = None,
) -> DayResult:
    """The routing model solved from the problem's starting plan, or from the cheaper of
    two first plans; ``insert_only``: a descent with the moves of :data:`_INSERT_OPERATORS`;
    ``bandit``: local search moves chosen by a multi-armed bandit; each search stage gets
    at least ``min_stage_s``; ``meter``: the clock of the budget (``None``: the wall
    clock)."""
    meter = meter if meter is not None else Meter()
    began = time.perf_counter()
    start = meter.now()
    p = problem
    n = p.num_stops
    if n == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    groups = p.groups()
    truck_group = p.truck_groups()
    num_v = len(truck_group)
    r = _unload_copies(p)
    base_nodes = 1 + n + len(p.sites)
    # node -> row of the problem's matrices; copies point at their unload site's row
    row_of = list(range(base_nodes))
    copy_nodes: dict[int, list[int]] = {}
    copy_site: dict[int, int] = {}
    for site in p.unload_at:
        for _ in range(r):
            copy_nodes.setdefault(site, []).append(len(row_of))
            copy_site[len(row_of)] = site
            row_of.append(p.site_node(site))
    size = len(row_of)
    rows = np.asarray(row_of)
    service_s = np.zeros(size, dtype=np.int64)
    service_s[1 : n + 1] = seconds(p.dwell_min)
    for node, site in copy_site.items():
        service_s[node] = int(seconds(p.unload_min_at(site)))
    is_copy = np.zeros(size, dtype=bool)
    is_copy[base_nodes:] = True

    g_dist_m = [
        np.rint(p.group_distance_km(g)[np.ix_(rows, rows)] * 1000).astype(np.int64)
        for g in range(len(groups))
    ]
    g_travel_s = [seconds(p.group_duration_min(g)[np.ix_(rows, rows)]) for g in range(len(groups))]
    g_cost_fen = [
        np.rint(d / 1000.0 * groups[g].vehicle.cost_cny_per_km * 100).astype(np.int64)
        for g, d in enumerate(g_dist_m)
    ]
    # Trucks kept away from unload sites: arcs into their depot pass an unload site.
    final_site, home_window = zip(
        *(
            route_home_via_unload(p, g, rows, is_copy, g_cost_fen[g], g_travel_s[g])
            for g in range(len(groups))
        ),
        strict=True,
    )
    g_cap = [
        (
            int(math.floor(p.group_capacity(g)[0] * 1000)),
            int(math.floor(p.group_capacity(g)[1] * 1000)),
        )
        for g in range(len(groups))
    ]

    starts = [p.site_node(groups[g].depot) for g in truck_group]
    manager = pywrapcp.RoutingIndexManager(size, num_v, starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # Matrices and vectors by node, registered in C++ (no Python call per arc evaluated).
    cost_cb = [routing.RegisterTransitMatrix(c.tolist()) for c in g_cost_fen]
    time_cb = [routing.RegisterTransitMatrix((service_s[:, None] + t).tolist()) for t in g_travel_s]
    for v, g in enumerate(truck_group):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[g], v)
        routing.SetFixedCostOfVehicle(int(round(groups[g].vehicle.fixed_cost_cny_per_day * 100)), v)

    deliver_kg, deliver_m3 = p.deliveries()
    load_dims = {}
    for axis, name, load, new in (
        (0, "kg", p.load_kg, deliver_kg),
        (1, "m3", p.load_m3, deliver_m3),
    ):
        demand = np.zeros(size, dtype=np.int64)
        demand[1 : n + 1] = thousandths(load)
        caps = [g_cap[g][axis] for g in truck_group]
        # One callback for every truck: an unload copy subtracts the largest capacity,
        # and its slack (0..largest) lets the load fall to any value down to zero on
        # every truck alike. (With per-type callbacks, each subtracting its own
        # capacity, OR-Tools 9.15 found no plan at all, not even from a valid starting
        # plan, once the day could not serve every loaded stop: a dispatch day lost its
        # published stops to a booking that did not fit; google/or-tools#5283.)
        unload = -max(caps)
        pickup = routing.RegisterUnaryTransitVector(np.where(is_copy, unload, demand).tolist())
        routing.AddDimensionWithVehicleCapacity(pickup, max(caps), caps, True, name)
        dim = routing.GetDimensionOrDie(name)
        for node in range(1, n + 1):
            dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
        for v in range(num_v):
            dim.SlackVar(routing.Start(v)).SetValue(0)
        if not p.has_deliveries():
            load_dims[name] = (dim, None, caps)
            continue
        handed = np.zeros(size, dtype=np.int64)
        handed[1 : n + 1] = thousandths(new)
        cb = routing.RegisterUnaryTransitVector((-handed).tolist())
        routing.AddDimensionWithVehicleCapacity(cb, max(caps), caps, False, f"new_{name}")
        new_dim = routing.GetDimensionOrDie(f"new_{name}")
        for node in range(1, n + 1):
            new_dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
        load_dims[name] = (dim, new_dim, caps)

    if p.has_deliveries():
        # Collected load plus new goods on board within the truck's capacity, at every node.
        for dim, new_dim, caps in load_dims.values():
            assert new_dim is not None  # with deliveries, each load has its new-goods twin
            by_vehicle = [max(caps), *caps]  # index 0: an unperformed node
            indices = [
                manager.NodeToIndex(node)
                for node in range(1, size)
                if node >= base_nodes or 1 <= node <= n
            ]
            indices += [routing.End(v) for v in range(num_v)] + [
                routing.Start(v) for v in range(num_v)
            ]
            for index in indices:
                cap_var = solver.Element(by_vehicle, (routing.VehicleVar(index) + 1).Var())
                solver.Add(dim.CumulVar(index) + new_dim.CumulVar(index) <= cap_var)

    if p.max_kg_per_truck_day is not None:  # collected over the whole day, never reset
        day_g = np.zeros(size, dtype=np.int64)
        day_g[1 : n + 1] = thousandths(p.load_kg)
        limit_g = int(math.floor(p.max_kg_per_truck_day * 1000 + 1e-6))
        routing.AddDimension(
            routing.RegisterUnaryTransitVector(day_g.tolist()),
            0,
            limit_g,
            True,
            "kg_per_day",
        )

    horizon_s = int(round((p.shift_end_min - p.shift_start_min) * 60))
    routing.AddDimensionWithVehicleTransits(
        [time_cb[g] for g in truck_group], horizon_s, horizon_s, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for v, g in enumerate(truck_group):
        earliest, latest = p.group_hours_min(g)
        time_dim.CumulVar(routing.Start(v)).SetRange(
            int(seconds(earliest - p.shift_start_min)), horizon_s
        )
        depot = groups[g].depot
        end_unload = int(seconds(p.unload_min_at(depot))) if depot in p.unload_at else 0
        end_max = int(seconds(latest - p.shift_start_min, up=False)) - end_unload
        if depot in p.unload_at:  # the final unload within the depot's opening hours
            open_s, close_s = _window_s(p, *p.site_hours(depot))
            time_dim.CumulVar(routing.End(v)).SetMin(open_s)
            end_max = min(end_max, close_s)
        if home_window[g] is not None:  # the unload in the arc home within its hours
            time_dim.CumulVar(routing.End(v)).SetMin(home_window[g][0])
            end_max = min(end_max, home_window[g][1])
        time_dim.CumulVar(routing.End(v)).SetMax(end_max)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
    # Each truck's day as short as it can be, a fen a second: per truck, so that OR-Tools
    # prices a move on the routes it changes (a global span cost, the longest day, is
    # priced by an LP over every route at each move: 14x fewer solutions a second on a
    # 27-stop Cuiping day with slots, for the same plans).
    time_dim.SetSpanCostCoefficientForAllVehicles(1)
    for node, site in copy_site.items():  # unloads within the site's opening hours
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(*_window_s(p, *p.site_hours(site)))
    lo, hi = p.windows_min()
    for node in range(1, n + 1):
        a, b = _window_s(p, lo[node - 1], hi[node - 1])
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
    if p.has_releases():
        _add_releases(routing, manager, p, time_dim, service_s, horizon_s, num_v, base_nodes)
    if p.lunch is not None or any(p.group_bans_min(g) for g in range(len(groups))):
        visit_s = [int(service_s[manager.IndexToNode(i)]) for i in range(routing.Size())]
        for v, g in enumerate(truck_group):
            breaks = []
            if p.lunch is not None:
                earliest, latest, length = p.lunch
                breaks.append(
                    solver.FixedDurationIntervalVar(
                        int(round((earliest - p.shift_start_min) * 60)),
                        int(round((latest - p.shift_start_min) * 60)),
                        int(round(length * 60)),
                        False,
                        f"lunch {v}",
                    )
                )
            for b, (ban_from, ban_to) in enumerate(p.group_bans_min(g)):
                # No-driving hours: a break fixed in time (rounded outwards to seconds).
                at = seconds(ban_from - p.shift_start_min, up=False)
                breaks.append(
                    solver.FixedDurationIntervalVar(
                        at, at, seconds(ban_to - p.shift_start_min) - at, False, f"ban {v} {b}"
                    )
                )
            if breaks:
                time_dim.SetBreakIntervalsOfVehicle(breaks, v, visit_s)

    for node in range(1, n + 1):
        index = manager.NodeToIndex(node)
        penalty = (
            _DROP_PENALTY_FEN
            if p.defer_penalty_cny is None
            else int(round(p.defer_penalty_cny[node - 1] * 100))
        )
        routing.AddDisjunction([index], penalty)
        if lo[node - 1] > hi[node - 1]:  # an empty window (e.g. already past): drop it
            routing.ActiveVar(index).SetValue(0)
        allowed = [v for v, g in enumerate(truck_group) if p.served_by(g)[node - 1]]
        if len(allowed) < num_v:
            # (SetAllowedVehiclesForIndex's span argument does not bind from Python here)
            routing.VehicleVar(index).SetValues([-1, *allowed])
    depots = set(starts)
    for node in range(base_nodes):  # sites that are nobody's depot are not visited
        if node not in depots and not 1 <= node <= n:
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)
            routing.ActiveVar(index).SetValue(0)
    copy_indices = [manager.NodeToIndex(node) for node in range(base_nodes, size)]
    for index in copy_indices:
        routing.AddDisjunction([index], 0)
    if copy_indices:
        # An unload right after the start or another unload empties an empty truck:
        # never useful, and insertion heuristics otherwise fill the day with them.
        for index in [*copy_indices, *(routing.Start(v) for v in range(num_v))]:
            routing.NextVar(index).RemoveValues([c for c in copy_indices if c != index])
    if not p.reload:  # a copy may only be a final unload, right before the depot
        for node in range(base_nodes, size):
            index = manager.NodeToIndex(node)
            routing.NextVar(index).SetValues([routing.End(v) for v in range(num_v)] + [index])

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
                on = field.name in _INSERT_OPERATORS
                setattr(
                    operators,
                    field.name,
                    optional_boolean_pb2.BOOL_TRUE if on else optional_boolean_pb2.BOOL_FALSE,
                )
    deadline = start + time_limit_s
    units = _limit(params, deadline, min_stage_s, meter)
    initial = _initial_assignment(routing, manager, p, copy_nodes, params)
    solution = None
    if initial is not None:
        units = _limit(params, deadline, min_stage_s, meter)
        solution = _search(
            lambda ps: routing.SolveFromAssignmentWithParameters(initial, ps), params, units, meter
        )
    if solution is None:  # no starting plan, or one the model rejects
        first, strategy = _best_first_solution(routing, deadline, min_stage_s, meter)
        units = _limit(params, deadline, min_stage_s, meter)
        if first is not None:
            solution = _search(
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
            units = _limit(params, deadline, min_stage_s, meter)
            solution = _search(routing.SolveWithParameters, params, units, meter)
    runtime = time.perf_counter() - began
    if solution is None:
        return DayResult(p, "no_solution", (), tuple(range(n)), math.nan, runtime)

    routes: list[tuple[Event, ...]] = []
    route_group: list[int] = []
    intervals = solution.IntervalVarContainer()
    for v, g in enumerate(truck_group):
        index = routing.Start(v)
        if routing.IsEnd(solution.Value(routing.NextVar(index))):
            continue
        order: list[int] = []
        arrival_min: list[float] = []
        index = solution.Value(routing.NextVar(index))
        node = 0
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            order.append(node - 1 if node <= n else unload_code(copy_site[node]))
            arrival_min.append(solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min)
            index = solution.Value(routing.NextVar(index))
        end_min = solution.Value(time_dim.CumulVar(index)) / 60.0 + p.shift_start_min
        if final_site[g] is not None and not is_copy[node]:
            # The unload folded into the arc home; free again once unloaded.
            site = int(final_site[g][node])
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
        routes.append(events)
        route_group.append(g)
    return day_result(p, routes, "feasible", time.perf_counter() - began, route_group)
