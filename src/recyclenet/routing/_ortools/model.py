"""The OR-Tools routing model of one day (the model is described in
:mod:`recyclenet.routing._ortools`): its nodes, arc costs, dimensions and visit rules."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from ortools.constraint_solver import pywrapcp

from recyclenet.routing.homing import route_home_via_unload
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.scaling import seconds, thousandths

DROP_PENALTY_FEN = 10**10


@dataclasses.dataclass
class Model:
    """The routing model of one day and what is needed to read its plans back."""

    p: DayProblem
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    truck_group: list[int]
    base_nodes: int
    copy_nodes: dict[int, list[int]]
    copy_site: dict[int, int]
    is_copy: np.ndarray
    service_s: np.ndarray
    final_site: tuple[np.ndarray | None, ...]
    home_window: tuple[tuple[int, int] | None, ...]
    time_cb: list[int] = dataclasses.field(default_factory=list)  # per group
    time_dim: pywrapcp.RoutingDimension | None = None

    @property
    def num_v(self) -> int:
        return len(self.truck_group)

    @property
    def size(self) -> int:
        return len(self.is_copy)


def unload_copies(problem: DayProblem) -> int:
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


def window_s(p: DayProblem, open_min: float, close_min: float) -> tuple[int, int]:
    """A time window in the model's whole seconds after the shift start, rounded inwards."""
    return (
        int(seconds(open_min - p.shift_start_min)),
        int(seconds(close_min - p.shift_start_min, up=False)),
    )


def shift_length_s(p: DayProblem) -> int:
    """The shift's length in whole seconds."""
    return int(round((p.shift_end_min - p.shift_start_min) * 60))


def build(p: DayProblem) -> Model:
    """The day's nodes (stops, sites, unload copies), its trucks with their arc costs and
    fixed costs, and the arcs home through an unload site."""
    n = p.num_stops
    groups = p.groups()
    truck_group = p.truck_groups()
    r = unload_copies(p)
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
    starts = [p.site_node(groups[g].depot) for g in truck_group]
    manager = pywrapcp.RoutingIndexManager(size, len(truck_group), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    m = Model(
        p,
        manager,
        routing,
        truck_group,
        base_nodes,
        copy_nodes,
        copy_site,
        is_copy,
        service_s,
        final_site,
        home_window,
    )
    # Matrices and vectors by node, registered in C++ (no Python call per arc evaluated).
    cost_cb = [routing.RegisterTransitMatrix(c.tolist()) for c in g_cost_fen]
    m.time_cb = [
        routing.RegisterTransitMatrix((service_s[:, None] + t).tolist()) for t in g_travel_s
    ]
    for v, g in enumerate(truck_group):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[g], v)
        routing.SetFixedCostOfVehicle(int(round(groups[g].vehicle.fixed_cost_cny_per_day * 100)), v)
    return m


def add_loads(m: Model) -> None:
    """The kg and m3 dimensions (emptied at unload copies) and, with deliveries, the new
    goods on board, which count against the truck's capacity with what it collected."""
    p, routing, manager = m.p, m.routing, m.manager
    n, size, num_v = p.num_stops, m.size, m.num_v
    deliver_kg, deliver_m3 = p.deliveries()
    load_dims = {}
    for axis, name, load, new in (
        (0, "kg", p.load_kg, deliver_kg),
        (1, "m3", p.load_m3, deliver_m3),
    ):
        demand = np.zeros(size, dtype=np.int64)
        demand[1 : n + 1] = thousandths(load)
        caps = [int(math.floor(p.group_capacity(g)[axis] * 1000)) for g in m.truck_group]
        # One callback for every truck: an unload copy subtracts the largest capacity,
        # and its slack (0..largest) lets the load fall to any value down to zero on
        # every truck alike. (With per-type callbacks, each subtracting its own
        # capacity, OR-Tools 9.15 found no plan at all, not even from a valid starting
        # plan, once the day could not serve every loaded stop: a dispatch day lost its
        # published stops to a booking that did not fit; google/or-tools#5283.)
        unload = -max(caps)
        pickup = routing.RegisterUnaryTransitVector(np.where(m.is_copy, unload, demand).tolist())
        routing.AddDimensionWithVehicleCapacity(pickup, max(caps), caps, True, name)
        dim = routing.GetDimensionOrDie(name)
        for node in range(1, n + 1):
            dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
        for v in range(num_v):
            dim.SlackVar(routing.Start(v)).SetValue(0)
        if not p.has_deliveries():
            continue
        handed = np.zeros(size, dtype=np.int64)
        handed[1 : n + 1] = thousandths(new)
        cb = routing.RegisterUnaryTransitVector((-handed).tolist())
        routing.AddDimensionWithVehicleCapacity(cb, max(caps), caps, False, f"new_{name}")
        new_dim = routing.GetDimensionOrDie(f"new_{name}")
        for node in range(1, n + 1):
            new_dim.SlackVar(manager.NodeToIndex(node)).SetValue(0)
        load_dims[name] = (dim, new_dim, caps)

    solver = routing.solver()
    # Collected load plus new goods on board within the truck's capacity, at every node.
    for dim, new_dim, caps in load_dims.values():
        by_vehicle = [max(caps), *caps]  # index 0: an unperformed node
        indices = [
            manager.NodeToIndex(node)
            for node in range(1, size)
            if node >= m.base_nodes or 1 <= node <= n
        ]
        indices += [routing.End(v) for v in range(num_v)] + [routing.Start(v) for v in range(num_v)]
        for index in indices:
            cap_var = solver.Element(by_vehicle, (routing.VehicleVar(index) + 1).Var())
            solver.Add(dim.CumulVar(index) + new_dim.CumulVar(index) <= cap_var)


def add_daily_limit(m: Model) -> None:
    """What a truck collects over the whole day, never reset by unloads."""
    p = m.p
    if p.max_kg_per_truck_day is None:
        return
    day_g = np.zeros(m.size, dtype=np.int64)
    day_g[1 : p.num_stops + 1] = thousandths(p.load_kg)
    limit_g = int(math.floor(p.max_kg_per_truck_day * 1000 + 1e-6))
    m.routing.AddDimension(
        m.routing.RegisterUnaryTransitVector(day_g.tolist()),
        0,
        limit_g,
        True,
        "kg_per_day",
    )


def add_time(m: Model) -> None:
    """The time dimension: each truck's hours and final unload, the span cost, the
    unload sites' hours, the stops' windows and the published slots (soft)."""
    p, routing, manager = m.p, m.routing, m.manager
    groups = p.groups()
    horizon_s = shift_length_s(p)
    routing.AddDimensionWithVehicleTransits(
        [m.time_cb[g] for g in m.truck_group], horizon_s, horizon_s, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    m.time_dim = time_dim
    for v, g in enumerate(m.truck_group):
        earliest, latest = p.group_hours_min(g)
        time_dim.CumulVar(routing.Start(v)).SetRange(
            int(seconds(earliest - p.shift_start_min)), horizon_s
        )
        depot = groups[g].depot
        end_unload = int(seconds(p.unload_min_at(depot))) if depot in p.unload_at else 0
        end_max = int(seconds(latest - p.shift_start_min, up=False)) - end_unload
        if depot in p.unload_at:  # the final unload within the depot's opening hours
            open_s, close_s = window_s(p, *p.site_hours(depot))
            time_dim.CumulVar(routing.End(v)).SetMin(open_s)
            end_max = min(end_max, close_s)
        home = m.home_window[g]
        if home is not None:  # the unload in the arc home within its hours
            time_dim.CumulVar(routing.End(v)).SetMin(home[0])
            end_max = min(end_max, home[1])
        time_dim.CumulVar(routing.End(v)).SetMax(end_max)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
    # Each truck's day as short as it can be, a fen a second: per truck, so that OR-Tools
    # prices a move on the routes it changes (a global span cost, the longest day, is
    # priced by an LP over every route at each move: 14x fewer solutions a second on a
    # 27-stop Cuiping day with slots, for the same plans).
    time_dim.SetSpanCostCoefficientForAllVehicles(1)
    for node, site in m.copy_site.items():  # unloads within the site's opening hours
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(*window_s(p, *p.site_hours(site)))
    lo, hi = p.windows_min()
    for node in range(1, p.num_stops + 1):
        a, b = window_s(p, lo[node - 1], hi[node - 1])
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


def add_releases(m: Model) -> None:
    """Release times: each trip leaves its depot or unload site no earlier than the
    latest release among its stops.

    A ``release`` dimension with zero transits is constant along a trip: at least each
    stop's release, it may only rise at a trip's start (the vehicle start or an unload
    copy, through its slack), where it must not exceed the departure. Keeping it
    non-decreasing loses nothing, as departures of later trips are later.
    """
    p, routing, manager, time_dim = m.p, m.routing, m.manager, m.time_dim
    if not p.has_releases():
        return
    assert time_dim is not None
    horizon_s, num_v, base_nodes = shift_length_s(p), m.num_v, m.base_nodes
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
            <= time_dim.CumulVar(index) + time_dim.SlackVar(index) + int(m.service_s[node])
        )


def add_breaks(m: Model) -> None:
    """Each truck's lunch break (in its window) and its type's no-driving hours (fixed)."""
    p, routing, manager, time_dim = m.p, m.routing, m.manager, m.time_dim
    if p.lunch is None and not any(p.group_bans_min(g) for g in range(len(p.groups()))):
        return
    assert time_dim is not None
    solver = routing.solver()
    visit_s = [int(m.service_s[manager.IndexToNode(i)]) for i in range(routing.Size())]
    for v, g in enumerate(m.truck_group):
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


def add_visits(m: Model) -> None:
    """Which nodes may be visited, and by whom: stops dropped at a penalty (a booking at
    its defer penalty), empty windows and closed stops, sites that are nobody's depot,
    unload copies optional and never right after a start or another unload (with single
    trips only right before the depot)."""
    p, routing, manager = m.p, m.routing, m.manager
    n, num_v = p.num_stops, m.num_v
    lo, hi = p.windows_min()
    for node in range(1, n + 1):
        index = manager.NodeToIndex(node)
        penalty = (
            DROP_PENALTY_FEN
            if p.defer_penalty_cny is None
            else int(round(p.defer_penalty_cny[node - 1] * 100))
        )
        routing.AddDisjunction([index], penalty)
        if lo[node - 1] > hi[node - 1]:  # an empty window (e.g. already past): drop it
            routing.ActiveVar(index).SetValue(0)
        allowed = [v for v, g in enumerate(m.truck_group) if p.served_by(g)[node - 1]]
        if len(allowed) < num_v:
            # (SetAllowedVehiclesForIndex's span argument does not bind from Python here)
            routing.VehicleVar(index).SetValues([-1, *allowed])
    depots = {p.site_node(p.groups()[g].depot) for g in m.truck_group}
    for node in range(m.base_nodes):  # sites that are nobody's depot are not visited
        if node not in depots and not 1 <= node <= n:
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)
            routing.ActiveVar(index).SetValue(0)
    copy_indices = [manager.NodeToIndex(node) for node in range(m.base_nodes, m.size)]
    for index in copy_indices:
        routing.AddDisjunction([index], 0)
    if copy_indices:
        # An unload right after the start or another unload empties an empty truck:
        # never useful, and insertion heuristics otherwise fill the day with them.
        for index in [*copy_indices, *(routing.Start(v) for v in range(num_v))]:
            routing.NextVar(index).RemoveValues([c for c in copy_indices if c != index])
    if not p.reload:  # a copy may only be a final unload, right before the depot
        for node in range(m.base_nodes, m.size):
            index = manager.NodeToIndex(node)
            routing.NextVar(index).SetValues([routing.End(v) for v in range(num_v)] + [index])
