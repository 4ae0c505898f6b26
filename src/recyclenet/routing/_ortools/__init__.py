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
This package (the model in ``model``, the search in ``search``) is the only part of
``recyclenet.routing`` that imports OR-Tools.
"""

from __future__ import annotations

import dataclasses
import math
import time

from recyclenet.routing._ortools.model import (
    add_breaks,
    add_daily_limit,
    add_loads,
    add_releases,
    add_time,
    add_visits,
    build,
)
from recyclenet.routing._ortools.search import parameters, read_routes, search
from recyclenet.routing.budget import Meter
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult
from recyclenet.routing.timing import day_result

# Share of a day's limit kept back from the first search, for repairing a plan that
# leaves stops out and for searching again from the best plan (see :func:`solve_day`).
REPAIR_SHARE = 0.15


# Least time a search stage gets once its share of the limit has run out (a stage that
# starts late still returns a plan), unless the caller's whole limit is shorter: a small
# day routed inside a larger search (the PVRP-IF benchmark's pattern search) asks for a
# tenth of a second and gets it.
MIN_STAGE_S = 0.2


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
    two first plans; ``insert_only``: a descent with the moves of :data:`INSERT_OPERATORS`;
    ``bandit``: local search moves chosen by a multi-armed bandit; each search stage gets
    at least ``min_stage_s``; ``meter``: the clock of the budget (``None``: the wall
    clock)."""
    meter = meter if meter is not None else Meter()
    began = time.perf_counter()
    start = meter.now()
    p = problem
    if p.num_stops == 0:
        return DayResult(p, "optimal", (), (), 0.0, 0.0)
    m = build(p)
    add_loads(m)
    add_daily_limit(m)
    add_time(m)
    add_releases(m)
    add_breaks(m)
    add_visits(m)
    params = parameters(insert_only, bandit)
    solution = search(m, params, start + time_limit_s, min_stage_s, meter)
    if solution is None:
        return DayResult(
            p, "no_solution", (), tuple(range(p.num_stops)), math.nan, time.perf_counter() - began
        )
    routes, route_group = read_routes(m, solution)
    return day_result(p, routes, "feasible", time.perf_counter() - began, route_group)
