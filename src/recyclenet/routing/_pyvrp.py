"""The daily model in PyVRP, for the days it models exactly (see :func:`models`).

PyVRP (iterated local search) finds shorter routes than OR-Tools' guided local search
on the time-window and capacity benchmarks (see benchmarks/README.md), so the days it
models go to it. Mapping:

* depots and unload sites = PyVRP depots; unload sites are the reload depots
  (``reload``): an unload trip is a depot visit mid-route; unloading time is added to
  every drive into an unload site, so the route end includes the final unload, as in
  the OR-Tools model;
* fleet groups = vehicle types with their capacity, depot, permitted hours (type time
  window), cost per km and per day, and their own matrices (a PyVRP profile each);
* stops = clients with pickups (and deliveries, 送新收旧), dwell as service, windows and
  release times after the shift start, in the day's units (see :data:`COST_PER_M`: PyVRP's
  penalties need a unit of time and of load worth about a unit of cost). PyVRP opens an
  unload trip for a required client but not for an optional one (a truck full after
  one 600 kg stop left the second stop out through 10,000 iterations; required, it
  served both in 10), while optional clients let its perturbation take stops out and
  put them back, which finds shorter days. So the search first makes every stop
  required, then (where no plan serves them all) only the stops that must be served,
  each try until a plan serves its stops or :data:`REQUIRED_SHARE` of the time (or
  iterations) is gone; the rest of the search starts from the last try's plan with every
  stop optional (on a day of single trips where a try served every stop that must be,
  those stay required): a booking's prize is its defer penalty, so it is deferred where
  that is cheaper than its detour, and a stop that must be served carries a prize far
  above any route cost, so that what cannot be served (out of reach, more than the
  fleet can do) is left out and reported;
* on a day of single trips with one truck type, every stop required, and trucks first
  (a truck costs more than driving to the farthest stop and back), the search first
  looks for plans with fewer trucks, as PyVRP's own ``minimise_fleet`` does: from its
  first feasible plan, the route with the fewest stops is taken out and a search with
  one truck fewer puts those stops back; again while a try finds a feasible plan
  (:data:`FLEET_SHARE` of the iterations in all, :data:`FLEET_TRY_SHARE` a try). The
  rest of the search starts from the plan with the fewest trucks, the whole fleet
  available, and keeps the cheapest plan it finds. PyVRP's price on a truck
  alone left Gehring-Homberger days up to three trucks above the best known where a
  plan with fewer was there to find (benchmarks/README.md);
* cost in tenths of a metre driven by the cheapest type (:data:`COST_PER_M`): each
  type's metres weigh its cost per km relative to it, fixed costs and prizes are
  converted alike; in the day with every stop optional, a stop that must be served has
  a prize ten times a truck's fixed cost plus the longest round trip, enough to prefer
  any feasible service, yet small enough for PyVRP's penalties on time and load excess
  to keep solutions feasible;
* trucks kept where they cannot unload (they end the day empty): their arcs into the
  depot run through an unload site (:func:`~recyclenet.routing.homing.route_home_via_unload`),
  and that unload is written back into the route;
* a starting plan (``initial_routes``) is PyVRP's initial solution (an unload that ends a
  route is left to the route's end, which includes it); a plan that does not fit the
  fleet is ignored.

Days it does not model go to OR-Tools: lunch breaks, no-driving hours, slot targets,
stops closed to a truck type, a limit on what a truck collects in a day, and unload
sites with opening hours.

Only this module of ``recyclenet.routing`` imports PyVRP; times and loads reported are
recomputed in exact arithmetic by :func:`recyclenet.routing.timing.timed_route`.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import NDArray
from pyvrp import Activity, ActivityType, Client, Model, ProblemData, Route, Solution, solve
from pyvrp.stop import (
    FirstFeasible,
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    StoppingCriterion,
)

from recyclenet.routing.budget import Meter
from recyclenet.routing.homing import route_home_via_unload
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult
from recyclenet.routing.scaling import load_units, ticks
from recyclenet.routing.timing import day_result, timed_route, unload_code


def models(problem: DayProblem) -> bool:
    """Whether PyVRP models every constraint of the day."""
    p = problem
    has_slots = p.slot_min is not None and bool(np.isfinite(p.slot_min).any())
    closed = any(g.can_serve is not None and not np.all(g.can_serve) for g in p.groups())
    return (
        p.lunch is None
        and not has_slots
        and not closed
        and p.max_kg_per_truck_day is None
        and not any(p.group_bans_min(g) for g in range(len(p.groups())))
        and all(p.open_all_shift(k) for k in p.unload_at)
    )


# Share of the time (and iterations) each try with required stops may take.
REQUIRED_SHARE = 0.15
# On a day of one truck type whose stops are all required and whose trucks cost a day,
# the share of the iterations (or time) the search spends first on plans with fewer
# trucks (see :func:`_fewer_routes`), and the share each try with one truck fewer may
# take. Measured in benchmarks/README.md (Gehring-Homberger, hierarchical).
FLEET_SHARE = 0.2
FLEET_TRY_SHARE = 0.02
# PyVRP's cost of a plan that is not feasible.
_INT_MAX = int(np.iinfo(np.int64).max)


def solve_day(
    problem: DayProblem,
    *,
    time_limit_s: float,
    seed: int = 0,
    max_iterations: int | None = None,
    meter: Meter | None = None,
) -> DayResult:
    """Route one day's trucks with PyVRP (see the module docstring), until the time
    limit or after ``max_iterations`` iterations, whichever comes first.

    With a work-mode ``meter`` (see :mod:`recyclenet.routing.budget`), ``time_limit_s``
    is the day's work units: the search stops after their iterations, or at the meter's
    safety cap, and is charged them."""
    if meter is not None and meter.work:
        work = time_limit_s
        cap_s = meter.cap_left_s()
        began = time.perf_counter()
        result = solve_day(
            problem, time_limit_s=cap_s, seed=seed, max_iterations=meter.iterations(work)
        )
        meter.ran(time.perf_counter() - began, cap_s)
        meter.charge(work)
        return result
    start = time.perf_counter()
    p = problem
    if not models(p):
        raise ValueError(
            "PyVRP does not model lunch breaks, slots, closed stops, daily limits or opening hours"
        )
    n = p.num_stops
    if n == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    relaxed, site_list, live, final_site, must_serve = _build(p)
    clients = relaxed.clients()
    must = [c.prize >= must_serve for c in clients]
    remaining = max(0.005, time_limit_s - (time.perf_counter() - start))
    try_its = _share(max_iterations, REQUIRED_SHARE)
    used, found = 0, None
    # Required stops first, then every stop optional (see the module docstring).
    tries = [[True] * len(clients)]
    if any(must) and not all(must):
        tries.append(must)
    if all(must) and not p.reload:
        # Every stop must be served and stays required: one search, which gives up
        # where it has no plan serving them all by its share of the try (a restart
        # from the try's first plan lost what the search had learnt of its penalties).
        required = relaxed.replace(clients=[_client(c, True) for c in clients])
        init = _initial_solution(required, p, site_list, live)
        best, used = _required_search(required, init, seed, remaining, max_iterations)
        if best.is_feasible():
            return _day(p, best, site_list, live, final_site, start)
        tries = []
    for mask in tries:
        data = relaxed.replace(clients=[_client(c, r) for c, r in zip(clients, mask, strict=True)])
        stop = _limits(REQUIRED_SHARE * remaining, try_its, FirstFeasible())
        init = _initial_solution(data, p, site_list, live)
        res = solve(data, stop, seed, False, False, initial_solution=init)
        used += res.num_iterations
        if res.best.is_feasible():
            found = res.best
            break
    # On a day of single trips, once a plan serves every stop that must be served, those
    # stay required: optional, PyVRP spends its search on plans that leave some out
    # (Gehring-Homberger 200 customers, 30 s: RC1_2_2 3,708 -> 3,355, R1_2_2 4,388 ->
    # 4,223). Where trucks unload and go out again, taking stops out and putting them
    # back moves them between trips and finds shorter days (Cuiping: 12 trucks instead
    # of 15 with them required).
    final = relaxed
    if found is not None and not p.reload:
        final = relaxed.replace(clients=[_client(c, m) for c, m in zip(clients, must, strict=True)])
    if found is not None:
        init = _same_plan(found, final)
    else:
        init = _initial_solution(relaxed, p, site_list, live)
    left = time_limit_s - (time.perf_counter() - start)
    its = None if max_iterations is None else max(0, max_iterations - used)
    res = solve(final, _limits(left, its), seed, False, False, initial_solution=init)
    return _day(p, res.best, site_list, live, final_site, start)


def _required_search(
    data: ProblemData,
    init: Solution | None,
    seed: int,
    limit_s: float,
    iterations: int | None,
) -> tuple[Solution, int]:
    """One search over a day whose stops are all required, which gives up where it has
    no plan serving them all by :data:`REQUIRED_SHARE` of its budget. Where trucks come
    first (:func:`_fleet_applies`), its first plan goes through :func:`_fewer_routes` for
    :data:`FLEET_SHARE` of the budget, and the rest of the search starts from the plan
    with the fewest trucks, the whole fleet available. The best plan, and the
    iterations used."""
    began = time.perf_counter()
    fleet = _fleet_applies(data)
    stop = _limits(
        limit_s,
        iterations,
        _NoPlanBy(_share(iterations, REQUIRED_SHARE), REQUIRED_SHARE * limit_s),
        *([FirstFeasible()] if fleet else []),
    )
    res = solve(data, stop, seed, False, False, initial_solution=init)
    used = res.num_iterations
    if not (fleet and res.best.is_feasible()):
        return res.best, used
    phase = _share(iterations, FLEET_SHARE)
    plan, more = _fewer_routes(
        data,
        res.best,
        seed,
        iterations=None if phase is None else phase - used,
        limit_s=FLEET_SHARE * limit_s - (time.perf_counter() - began),
        try_iterations=_share(iterations, FLEET_TRY_SHARE),
        try_s=FLEET_TRY_SHARE * limit_s,
    )
    used += more
    left_s = limit_s - (time.perf_counter() - began)
    its = None if iterations is None else max(0, iterations - used)
    # From the plan with the fewest trucks: started afresh with only those trucks, as
    # PyVRP's minimise_fleet is meant to be used, Gehring-Homberger RC1 at 200 customers
    # ended 2.6 % longer against PyVRP alone, C1 and C2 0.4-0.7 % shorter (seed 0).
    res = solve(data, _limits(left_s, its), seed, False, False, initial_solution=plan)
    return res.best, used + res.num_iterations


def _share(iterations: int | None, share: float) -> int | None:
    """``share`` of ``iterations`` (``None``: no iteration limit)."""
    return None if iterations is None else int(share * iterations)


def _fleet_applies(data: ProblemData) -> bool:
    """Whether the search first looks for plans with fewer trucks (:func:`_fewer_routes`):
    one truck type, more than one truck, and trucks first: a truck costs more than
    driving to the farthest stop and back."""
    if data.num_vehicle_types != 1 or FLEET_SHARE <= 0:
        return False
    vt = data.vehicle_type(0)
    if vt.num_available < 2:
        return False
    dist = np.asarray(data.distance_matrix(vt.profile))
    depot = vt.start_depot
    round_trip = int((dist[depot, :] + dist[:, depot]).max())
    return vt.fixed_cost >= vt.unit_distance_cost * round_trip


def _fewer_routes(
    data: ProblemData,
    plan: Solution,
    seed: int,
    *,
    iterations: int | None,
    limit_s: float,
    try_iterations: int | None,
    try_s: float,
) -> tuple[Solution, int]:
    """From a feasible ``plan``, plans with one truck fewer each: its route with the
    fewest stops is taken out, and a search with one truck fewer puts them back until a
    plan is feasible, in at most ``try_iterations`` iterations and ``try_s`` seconds;
    this goes on while a try succeeds, within ``iterations`` in all (``None``: no such
    limit) and ``limit_s``. The feasible plan with the fewest routes, and the iterations
    used. (OR-Tools days get the same step as whole re-solves of the day,
    :mod:`recyclenet.routing.elimination`; here each try is a search warm-started on
    PyVRP's own data, stopped at its first feasible plan.)"""
    began = time.perf_counter()
    used = 0
    vt = data.vehicle_type(0)
    while plan.num_routes() > 1:
        its = None if iterations is None else iterations - used
        if its is not None and try_iterations is not None:
            its = min(its, try_iterations)
        left_s = min(try_s, limit_s - (time.perf_counter() - began))
        if (its is not None and its <= 0) or left_s <= 0:
            break
        fewer = data.replace(vehicle_types=[vt.replace(num_available=plan.num_routes() - 1)])
        kept = sorted(plan.routes(), key=lambda r: (r.num_clients(), r.distance()))[1:]
        start = Solution(fewer, [Route(fewer, _visits(r), r.vehicle_type()) for r in kept])
        stop = _limits(left_s, its, FirstFeasible())
        res = solve(fewer, stop, seed, False, False, initial_solution=start)
        used += res.num_iterations
        if not res.best.is_feasible():
            break
        plan = _same_plan(res.best, data)
    return plan, used


class _NoPlanBy:
    """Stop where no plan is feasible after ``iterations`` iterations (``None``: no such
    count) or ``limit_s`` seconds, whichever comes first; once one is, never."""

    def __init__(self, iterations: int | None, limit_s: float) -> None:
        self._iterations = iterations
        self._until = time.perf_counter() + limit_s
        self._done = 0

    def __call__(self, best_cost: float) -> bool:
        self._done += 1
        if best_cost < _INT_MAX:  # a feasible plan (PyVRP's cost of one that is not)
            self._iterations, self._until = None, math.inf
            return False
        late = self._iterations is not None and self._done > self._iterations
        return late or time.perf_counter() > self._until


def _day(
    p: DayProblem,
    best: Solution,
    site_list: list[int],
    live: list[int],
    final_site: list[NDArray[np.int64] | None],
    start: float,
) -> DayResult:
    """PyVRP's best plan as the day's timed routes (``no_solution`` if not feasible)."""
    if not best.is_feasible():
        return DayResult(
            p, "no_solution", (), tuple(range(p.num_stops)), math.nan, time.perf_counter() - start
        )
    routes = []
    route_group = []
    for route in best.routes():
        g = route.vehicle_type()
        acts = list(route)[1:-1]
        order = [unload_code(site_list[a.idx]) if a.is_depot() else live[a.idx] for a in acts]
        via = final_site[min(g, len(final_site) - 1)]
        if via is not None and order and order[-1] >= 0:  # the unload on the way home
            order.append(unload_code(int(via[len(site_list) + live.index(order[-1])])))
        routes.append(timed_route(p, order, group=g))
        route_group.append(g)
    return day_result(p, routes, "feasible", time.perf_counter() - start, route_group)


# PyVRP prices a unit of excess load or of time warp at a penalty it adapts between 0.1
# and 100,000 from their midpoint (PenaltyParams), the same for every dimension: these
# work where a unit of each is worth about a unit of cost, as in the benchmark formats
# it is tuned on. COST_PER_M units of cost a metre driven by the cheapest type; on a day
# of single trips, time units such that driving one costs about one (at the day's median
# speed) and loads in units of 1 / LOAD_UNITS of the largest capacity (measured on
# Gehring-Homberger RC1_2_5, R1_2_5 and C1_2_10 at 10,000 iterations, 3 seeds: with
# seconds and grams 19 trucks where PyVRP alone on the instance's own units needs 18,
# or 18 with 5-25 % more distance). Days of several trips keep seconds, grams and
# litres: Cuiping's week at `standard` needed 12, 15, 14 and 14 trucks with them (seeds
# 0-3) and 13, 15, 15 and 15 with the units of single-trip days.
COST_PER_M = 10
LOAD_UNITS = 10_000


def _units(p: DayProblem) -> tuple[float, float, float]:
    """The day's engine units: time units in a minute, and the kg and the m3 in a unit
    of load (see :data:`COST_PER_M`)."""
    if p.reload:
        return 60.0, 0.001, 0.001
    groups = range(len(p.groups()))
    km = np.concatenate([p.group_distance_km(g).ravel() for g in groups])
    minutes = np.concatenate([p.group_duration_min(g).ravel() for g in groups])
    moving = (km > 0) & (minutes > 0) & np.isfinite(km) & np.isfinite(minutes)
    m_per_min = float(np.median(km[moving] / minutes[moving])) * 1000 if moving.any() else 0.0
    caps = [p.group_capacity(g) for g in groups]
    return (
        max(60.0, COST_PER_M * m_per_min),
        max(c[0] for c in caps) / LOAD_UNITS,
        max(c[1] for c in caps) / LOAD_UNITS,
    )


def _build(
    p: DayProblem,
) -> tuple[ProblemData, list[int], list[int], list[NDArray[np.int64] | None], int]:
    """The day as PyVRP data with every stop optional (see the module docstring):
    the data, its depots (sites) and clients (stops) in order, each group's unload site
    on the way home (``None``: its depot), and the prize of a stop that must be served."""
    n = p.num_stops
    groups = p.groups()
    lo, hi = p.windows_min()
    live = [j for j in range(n) if lo[j] <= hi[j]]  # empty windows cannot be served
    deliver_kg, deliver_m3 = p.deliveries()
    release = p.releases()
    per_min, kg_unit, m3_unit = _units(p)

    def time_units(minutes: float, up: bool = True) -> int:
        return ticks(minutes, per_min, up=up)

    horizon = time_units(p.shift_end_min - p.shift_start_min, up=False)
    caps = [p.group_capacity(g) for g in range(len(groups))]

    per_km = [g.vehicle.cost_cny_per_km for g in groups]
    ref = min([c for c in per_km if c > 0], default=1.0)

    def units(cny: float) -> int:
        return int(round(cny / ref * 1000 * COST_PER_M))

    round_trip_km = 2 * max(float(p.group_distance_km(g).max()) for g in range(len(groups)))
    must_serve = 10 * units(
        max(g.vehicle.fixed_cost_cny_per_day for g in groups) + max(per_km) * round_trip_km
    )

    m = Model()
    site_list = sorted({g.depot for g in groups} | set(p.unload_at))
    nodes = [p.site_node(k) for k in site_list] + [j + 1 for j in live]
    locs = [m.add_location(0.0, 0.0) for _ in nodes]
    depots = {k: m.add_depot(locs[i], tw_early=0, tw_late=horizon) for i, k in enumerate(site_list)}
    profiles = [m.add_profile() for _ in groups] if len(groups) > 1 else [None]
    for g, group in enumerate(groups):
        cap_kg, cap_m3 = caps[g]
        earliest, latest = p.group_hours_min(g)
        m.add_vehicle_type(
            num_available=group.count,
            capacity=[
                int(math.floor(cap_kg / kg_unit + 1e-9)),
                int(math.floor(cap_m3 / m3_unit + 1e-9)),
            ],
            start_depot=depots[group.depot],
            end_depot=depots[group.depot],
            fixed_cost=units(group.vehicle.fixed_cost_cny_per_day),
            unit_distance_cost=max(1, int(round(COST_PER_M * group.vehicle.cost_cny_per_km / ref))),
            tw_early=time_units(earliest - p.shift_start_min),
            tw_late=time_units(latest - p.shift_start_min, up=False),
            reload_depots=[depots[k] for k in p.unload_at] if p.reload else [],
            profile=profiles[min(g, len(profiles) - 1)],
        )
    for k, j in enumerate(live, start=len(site_list)):
        penalty = None if p.defer_penalty_cny is None else float(p.defer_penalty_cny[j])
        m.add_client(
            locs[k],
            pickup=[load_units(p.load_kg[j], kg_unit), load_units(p.load_m3[j], m3_unit)],
            delivery=[load_units(deliver_kg[j], kg_unit), load_units(deliver_m3[j], m3_unit)],
            service_duration=time_units(p.dwell_min[j]),
            tw_early=time_units(lo[j] - p.shift_start_min),
            tw_late=time_units(hi[j] - p.shift_start_min, up=False),
            prize=must_serve if penalty is None else min(must_serve, units(penalty)),
            required=False,
            release_time=time_units(max(0.0, release[j] - p.shift_start_min)),
        )
    idx = np.asarray(nodes)
    into_unload = np.zeros(len(nodes), dtype=np.int64)
    for i, k in enumerate(site_list):
        if k in p.unload_at:
            into_unload[i] = time_units(p.unload_min_at(k))
    is_unload = np.array([k in p.unload_at for k in site_list] + [False] * len(live))
    final_site: list[NDArray[np.int64] | None] = []
    for g, profile in enumerate(profiles):
        dist_m = np.rint(p.group_distance_km(g)[np.ix_(idx, idx)] * 1000).astype(np.int64)
        travel = ticks(p.group_duration_min(g)[np.ix_(idx, idx)], per_min)
        # One profile per group (or one group): a kept-away depot's arcs are its own.
        final_site.append(route_home_via_unload(p, g, idx, is_unload, dist_m, travel, per_min)[0])
        travel += into_unload[None, :]  # every arrival at an unload site: an unload
        for a in range(len(nodes)):
            for b in range(len(nodes)):
                if a != b:
                    m.add_edge(
                        locs[a],
                        locs[b],
                        distance=int(dist_m[a, b]),
                        duration=int(travel[a, b]),
                        profile=profile,
                    )
    relaxed = m.data()  # every stop optional
    return relaxed, site_list, live, final_site, must_serve


def _limits(limit_s: float, iterations: int | None, *more: StoppingCriterion) -> MultipleCriteria:
    """Stop after ``limit_s`` seconds, ``iterations`` iterations (``None``: no such
    limit) or when one of ``more`` says so."""
    stops: list[StoppingCriterion] = [MaxRuntime(max(0.005, limit_s)), *more]
    if iterations is not None:
        stops.append(MaxIterations(iterations))
    return MultipleCriteria(stops)


def _same_plan(solution: Solution, data: ProblemData) -> Solution:
    """A solution's routes on another problem of the same places and fleet."""
    return Solution(data, [Route(data, _visits(r), r.vehicle_type()) for r in solution.routes()])


def _visits(route: Route) -> list[Activity]:
    """A route's activities between its start and its end."""
    return [a for a in list(route)[1:-1]]


def _client(client: Client, required: bool) -> Client:
    """The client, required or optional (same place, loads, times and prize)."""
    c = client
    return Client(
        c.location,
        delivery=c.delivery,
        pickup=c.pickup,
        service_duration=c.service_duration,
        tw_early=c.tw_early,
        tw_late=c.tw_late,
        release_time=c.release_time,
        prize=c.prize,
        required=required,
        group=c.group,
        name=c.name,
    )


def _initial_solution(
    data: ProblemData, p: DayProblem, site_list: list[int], live: list[int]
) -> Solution | None:
    """The day's starting plan as a PyVRP solution (``None``: none, or it does not fit)."""
    if p.initial_routes is None or len(p.initial_routes) > p.num_trucks:
        return None
    depot_of = {k: i for i, k in enumerate(site_list)}
    client_of = {j: i for i, j in enumerate(live)}
    groups = p.truck_groups()
    routes = []
    for v, seq in enumerate(p.initial_routes):
        order = list(seq)
        while order and order[-1] < 0:  # the route's end includes its last unload
            order.pop()
        acts = []
        for j in order:
            if j < 0:
                site = -1 - j
                if site not in p.unload_at or not p.reload:
                    return None
                acts.append(Activity(ActivityType.DEPOT, depot_of[site]))
            elif j in client_of:
                acts.append(Activity(ActivityType.CLIENT, client_of[j]))
        if any(a.type == ActivityType.CLIENT for a in acts):
            routes.append((acts, groups[v]))
    try:
        return Solution(data, [Route(data, acts, g) for acts, g in routes])
    except (ValueError, RuntimeError):
        return None
