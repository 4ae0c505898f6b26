"""Route elimination: a day's plan with fewer trucks than the local search leaves it.

OR-Tools' local search moves one stop or a short chain at a time, so a route, once
opened, closes only when every one of its stops has moved elsewhere, each move paying
its detour: the truck's fixed cost is saved only by the last. On Kim et al.'s 804-stop
day the search keeps the 7 trucks its first plan opened for 600 s, although a plan with 5
exists. Route elimination takes that step at once: the route with the fewest stops is
taken away, the day is solved again with one truck fewer from the other routes (the
stops taken away are inserted first; see :func:`recyclenet.routing._ortools.solve_day`),
or, where that leaves stops out, from scratch for the smaller fleet, and the new plan is
kept when it serves as many stops at a lower objective
(:meth:`~recyclenet.routing.result.DayResult.objective_cny`). This repeats until an
attempt fails, the plan reaches a lower bound on the trucks (:func:`min_trucks`), or the
time runs out. When the work of the first plan would fill two or more trucks fewer
than it uses (:func:`fleet_estimate`), the first attempt plans that fleet from scratch;
where that plan serves every stop but pays more, one truck more is planned from scratch
too (on a day of kept signs the estimate may miss them where one truck more keeps them).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from recyclenet.routing.budget import Meter
from recyclenet.routing.problem import DayProblem, TruckGroup
from recyclenet.routing.result import DayResult
from recyclenet.routing.timing import regrouped

# Share of the limit for the first search; each attempt then gets half of what is left.
FIRST_SHARE = 0.5
# An attempt with less than this share of the limit left is not started.
MIN_ATTEMPT_SHARE = 0.1


def min_trucks(problem: DayProblem) -> int:
    """A lower bound on the trucks that can serve every stop of the day: what the
    daily limit per truck, the time parked at stops (within the longest permitted
    hours) and, without reloading, one load per truck leave no way around."""
    p = problem
    bound = 1
    if p.max_kg_per_truck_day is not None and p.max_kg_per_truck_day > 0:
        bound = max(bound, math.ceil(p.load_kg.sum() / p.max_kg_per_truck_day - 1e-9))
    groups = range(len(p.groups()))
    longest_min = max(_working_min(p, g) for g in groups)
    if longest_min > 0:
        bound = max(bound, math.ceil(p.dwell_min.sum() / longest_min - 1e-9))
    if not p.reload:
        cap_kg = max(p.group_capacity(g)[0] for g in groups)
        cap_m3 = max(p.group_capacity(g)[1] for g in groups)
        bound = max(
            bound,
            math.ceil(p.load_kg.sum() / cap_kg - 1e-9),
            math.ceil(p.load_m3.sum() / cap_m3 - 1e-9),
        )
    return int(bound)


def _working_min(p: DayProblem, group: int) -> float:
    """Minutes a group's truck may work: its permitted hours less its no-driving hours."""
    lo, hi = p.group_hours_min(group)
    return hi - lo - sum(b - a for a, b in p.group_bans_min(group))


def fleet_estimate(result: DayResult) -> int:
    """Trucks the work of ``result`` would fill if it were spread evenly: its minutes of
    driving, dwelling and unloading over the longest permitted hours of a truck less
    its lunch (an estimate, not a bound: a smaller fleet drives differently)."""
    p = result.problem
    busy_min = 0.0
    for r, route in enumerate(result.routes):
        duration = p.group_duration_min(result.group_of(r))
        prev = None
        for e in route:
            if e.kind in ("lunch", "parked"):
                continue
            node = e.stop_idx + 1 if e.kind == "stop" else p.site_node(e.site)
            if prev is not None:  # the drive here, then the time spent here
                busy_min += float(duration[prev, node]) + e.departure_min - e.arrival_min
            prev = node
    groups = range(len(p.groups()))
    longest_min = max(_working_min(p, g) for g in groups)
    longest_min -= p.lunch[2] if p.lunch is not None else 0.0
    if longest_min <= 0:
        return result.num_trucks
    return max(1, math.ceil(busy_min / longest_min - 1e-9))


def without_lightest_routes(
    result: DayResult, count: int = 1
) -> tuple[DayProblem, list[int]] | None:
    """The day with ``count`` trucks fewer than ``result`` uses, starting from its routes
    less the ``count`` with the fewest stops.

    Each fleet group keeps the trucks its remaining routes use (groups left with none
    are left out). Returns the day and, per group of it, the group of
    ``result.problem``; ``None`` when ``result`` uses no more than ``count`` trucks.
    """
    orders = result.orders()
    if len(orders) <= count:
        return None
    lightest = sorted(range(len(orders)), key=lambda r: (sum(j >= 0 for j in orders[r]), r))
    victims = set(lightest[:count])
    kept = [r for r in range(len(orders)) if r not in victims]
    used = Counter(result.group_of(r) for r in kept)
    groups: list[TruckGroup] = []
    group_of: list[int] = []
    plan: list[tuple[int, ...]] = []
    for g, group in enumerate(result.problem.groups()):
        if used[g]:
            groups.append(replace(group, count=used[g]))
            group_of.append(g)
            plan.extend(orders[r] for r in kept if result.group_of(r) == g)
    day = replace(result.problem, fleet=tuple(groups), initial_routes=tuple(plan))
    return day, group_of


def one_truck_fewer(
    week: Sequence[DayResult], days: Sequence[DayProblem]
) -> list[DayProblem] | None:
    """A base's ``days`` offered one truck fewer than its ``week`` (their plans) runs.

    A station keeps the most trucks it runs on any day, so a week whose search opened a
    truck more on one day than the others need pays for it every day. The truck is
    taken from the fleet group with the dearest day rate among those that run more than
    one truck and, on some day with stops, fewer than on their busiest day (a week that
    runs as many every day gives no sign that fewer would do). ``None`` where no group
    qualifies, or where a day cannot do with the trucks left (:func:`min_trucks`) or its
    plan's work would already fill them (:func:`fleet_estimate`).
    """
    groups = days[0].groups()
    used = [r.trucks_by_group() for r in week]
    busy = [u for u, r in zip(used, week, strict=True) if r.problem.num_stops > 0]
    most = [max((u[g] for u in busy), default=0) for g in range(len(groups))]
    uneven = [g for g in range(len(groups)) if most[g] > 1 and any(u[g] < most[g] for u in busy)]
    if not uneven:
        return None
    if any(fleet_estimate(r) > sum(most) - 1 for r in week if r.problem.num_stops > 0):
        return None  # a day's work already fills its trucks
    cut = max(uneven, key=lambda g: (groups[g].vehicle.fixed_cost_cny_per_day, -g))
    out = []
    for day in days:
        fleet = tuple(
            replace(group, count=min(group.count, most[g] - 1)) if g == cut else group
            for g, group in enumerate(day.groups())
        )
        fewer = replace(day, fleet=fleet)
        if day.num_stops > 0 and min_trucks(fewer) > sum(group.count for group in fleet):
            return None
        out.append(fewer)
    return out


def solve_with_elimination(
    problem: DayProblem,
    solve: Callable[[DayProblem, float], DayResult],
    time_limit_s: float,
    meter: Meter | None = None,
) -> DayResult:
    """Solve the day with ``solve(day, limit)``, then take trucks away while that pays.

    The first search gets :data:`FIRST_SHARE` of the limit; each elimination attempt half
    of the time left; what remains after the last goes on searching from the best plan.
    ``meter``: the clock ``solve`` charges its budgets to (see
    :mod:`recyclenet.routing.budget`; ``None``: the wall clock, in seconds).
    """
    meter = meter if meter is not None else Meter()
    began = time.perf_counter()
    deadline = meter.now() + time_limit_s
    best = solve(problem, FIRST_SHARE * time_limit_s)
    floor = min_trucks(problem)
    # The first attempt goes straight to the estimated fleet when that is two or more
    # trucks below the plan's, with a plan built afresh (measured on Kim 804: the first
    # search keeps 7 trucks; squeezing one route at a time reaches 6 and then leaves
    # 60-80 stops out, where a fresh 5-truck plan serves all of them in 60 s).
    jump = best.num_trucks - max(floor, fleet_estimate(best)) if not best.dropped else 0

    def time_for_attempt() -> bool:
        return deadline - meter.now() > MIN_ATTEMPT_SHARE * time_limit_s

    def half_left() -> float:
        return (deadline - meter.now()) / 2

    def afresh(day: DayProblem) -> DayResult:
        return solve(replace(day, initial_routes=None), half_left())

    while time_for_attempt():
        if best.dropped or best.num_trucks <= floor:
            break
        fewer = without_lightest_routes(best, max(1, jump))
        if fewer is None:
            break
        day, group_of = fewer
        if jump > 1:
            size, jump = jump, 0  # one jump; after it, one truck at a time
            found = afresh(day)
            mapped = regrouped(found, problem, group_of)
            if found.status != "no_solution" and mapped.objective_cny() < best.objective_cny():
                best = mapped
            elif found.status != "no_solution" and not found.dropped and size > 2:
                # The estimated fleet serves every stop but pays more (arrivals off their
                # slots, longer days): one truck more, planned afresh, may pay less than
                # the plan the search left (measured on a Cuiping station-day re-planned
                # with a shorter shift: 7 trucks, 5,006 CNY; 4 afresh, 9,222; 5 afresh,
                # 4,202), where OR-Tools, given the whole fleet from the 4-truck plan,
                # spreads back to 7.
                up = without_lightest_routes(best, size - 1)
                if up is not None and time_for_attempt():
                    found = afresh(up[0])
                    mapped = regrouped(found, problem, up[1])
                    if found.status != "no_solution" and _rank(mapped) < _rank(best):
                        best = mapped
            continue
        found = solve(day, half_left())
        if found.dropped and time_for_attempt():
            # Squeezing a route's stops into the others may fail where a plan built
            # afresh for the smaller fleet serves them all.
            fresh = afresh(day)
            if _rank(fresh) < _rank(found):
                found = fresh
        mapped = regrouped(found, problem, group_of)
        if found.status == "no_solution" or mapped.objective_cny() >= best.objective_cny():
            break
        best = mapped
    left = deadline - meter.now()
    if left > 0.05 * time_limit_s and best.status != "no_solution":
        more = solve(replace(problem, initial_routes=best.plan()), left)
        more = replace(more, problem=problem)
        if _rank(more) < _rank(best):
            best = more
    return replace(best, runtime_s=time.perf_counter() - began)


def _rank(result: DayResult) -> tuple[int, float]:
    """Order of plans of one day: fewer stops left out, then the lower objective."""
    return len(result.dropped), result.objective_cny()
