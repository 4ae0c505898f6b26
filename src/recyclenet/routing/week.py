"""The week solved: each base's days in turn, slots kept from day to day, the fleet
levelled over the week, a second pass from the hardest day, kept timetables."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from recyclenet.routing.budget import Meter
from recyclenet.routing.day import RoutingParams, solve_day
from recyclenet.routing.elimination import min_trucks, one_truck_fewer
from recyclenet.routing.problem import SLOT_PENALTY_CNY_PER_MIN, DayProblem, TruckGroup
from recyclenet.routing.result import DayResult, check_day, truck_plan
from recyclenet.routing.timing import day_result, regrouped, timed_route, unload_code

# Share of a later day's time for the trucks the station already runs alone (the rest
# searches with every truck the day is offered; see _solve_levelled), and the least
# time a day needs for two searches to beat one.
RUNNING_SHARE = 0.5
TWO_SEARCHES_MIN_S = 8.0
# Share of a week's time kept for routing a base's week again from its hardest day
# (see solve_week).
SECOND_PASS_SHARE = 0.5
# Search time of a day a kept timetable's published rounds still drive, as a share of a
# day that must be routed again (see solve_week).
PUBLISHED_SHARE = 0.25


def _occurrences(stop_ids: tuple[str, ...]) -> list[tuple[str, int]]:
    """``(point_id, k)`` per stop: the k-th load of that point on the day."""
    seen: dict[str, int] = {}
    out = []
    for sid in stop_ids:
        out.append((sid, seen.get(sid, 0)))
        seen[sid] = seen.get(sid, 0) + 1
    return out


def _with_slots(
    problem: DayProblem,
    slots: dict[tuple[str, int], float],
    tol: float,
    penalty: float,
    day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> DayProblem:
    """The day with every stop that already has a slot asked to keep it (a soft window).

    ``day_signs``: the sign times a kept timetable's visits kept on this weekday, by
    ``(point_id, day)``. A point's loads today aim at those times first (a point
    collected twice on Tuesday at the first and the third time on its sign keeps those
    two; with one load now, the first of them), and where it has more loads than that
    day had, also at the sign's other times, earliest first, all in time order
    (:func:`_day_targets`); without such times the k-th load aims at the k-th time of
    ``slots``. A load beyond the times on the sign has no slot."""
    count = Counter(problem.stop_ids)
    targets: dict[str, list[float]] = {}
    for pid, n in count.items():
        sign: list[float] = []
        while (pid, len(sign)) in slots:
            sign.append(slots[(pid, len(sign))])
        targets[pid] = _day_targets((day_signs or {}).get((pid, problem.day)), sign, n)
    target = np.array([targets[pid][k] for pid, k in _occurrences(problem.stop_ids)])
    return replace(
        problem, slot_min=target, slot_tolerance_min=tol, slot_penalty_cny_per_min=penalty
    )


def _day_targets(today: tuple[float, ...] | None, sign: list[float], loads: int) -> list[float]:
    """The times a point's ``loads`` loads of a day aim at, in order: the times its visits
    kept that weekday (``today``), the earliest where fewer loads come now, and where
    more come, the other times on its ``sign`` too, earliest first; ``nan`` beyond."""
    if today is None:
        chosen = sign[:loads]
    elif loads <= len(today):
        chosen = list(today[:loads])
    else:
        others = [t for t in sign if t not in today]
        chosen = sorted([*today, *others[: loads - len(today)]])
    return chosen + [math.nan] * (loads - len(chosen))


def _levelled(
    problem: DayProblem, in_use: list[int], days: int
) -> tuple[DayProblem, list[int], list[bool]]:
    """The day with each fleet group split into the trucks the station already runs on
    an earlier day (their day's fixed cost) and the rest, whose fixed cost is a week's
    (``days`` days): the station must keep such a truck all week, so a later day takes
    one only where it saves more than that. Returns the day and, per new group, its
    original group and whether its trucks are ones the station already runs."""
    groups: list[TruckGroup] = []
    group_of: list[int] = []
    running: list[bool] = []
    for g, group in enumerate(problem.groups()):
        have = min(in_use[g], group.count)
        if have > 0:
            groups.append(replace(group, count=have))
            group_of.append(g)
            running.append(True)
        if group.count > have:
            weekly = replace(
                group.vehicle, fixed_cost_cny_per_day=group.vehicle.fixed_cost_cny_per_day * days
            )
            groups.append(replace(group, vehicle=weekly, count=group.count - have))
            group_of.append(g)
            running.append(False)
    return replace(problem, fleet=tuple(groups)), group_of, running


def _carried_plan(
    previous: DayResult, problem: DayProblem, group_of: list[int]
) -> tuple[tuple[int, ...], ...]:
    """The routes of an earlier day of the base as a starting plan for ``problem``.

    Each route keeps, in its order, the stops that recur today (the same point's same
    load) and its unloads between trips; today's other stops are left out, for the
    search to insert first. Stops only fall away, so each trip's load and each truck's
    day stay within limits, and a truck reaching a stop early waits for its slot.
    ``group_of`` maps each fleet group of ``problem`` to the group of
    ``previous.problem`` it stands for; a route goes to the first such group with a
    truck left.
    """
    today = {key: j for j, key in enumerate(_occurrences(problem.stop_ids))}
    before = _occurrences(previous.problem.stop_ids)
    groups = problem.groups()
    plans: dict[int, list[tuple[int, ...]]] = {}
    for r, order in enumerate(previous.orders()):
        kept: list[int] = []
        for j in order:
            if j < 0:  # an unload: kept between two stops only
                if kept and kept[-1] >= 0:
                    kept.append(j)
            elif before[j] in today:
                kept.append(today[before[j]])
        while kept and kept[-1] < 0:
            kept.pop()
        if not kept:
            continue
        for g, group in enumerate(groups):
            if group_of[g] == previous.group_of(r) and len(plans.get(g, [])) < group.count:
                plans.setdefault(g, []).append(tuple(kept))
                break
    return truck_plan(problem, plans)


def _capped(levelled: DayProblem, running: list[bool]) -> DayProblem:
    """The levelled day (see :func:`_levelled`) with each group of trucks the station
    does not run yet cut to as many as the day needs beyond those it runs: at least one,
    more only where :func:`~recyclenet.routing.elimination.min_trucks` says the day
    cannot do without. A day with no trucks running yet keeps its whole fleet."""
    groups = levelled.groups()
    have = sum(g.count for g, run in zip(groups, running, strict=True) if run)
    if have == 0:
        return levelled
    new = max(1, min_trucks(levelled) - have)
    return replace(
        levelled,
        fleet=tuple(
            g if run else replace(g, count=min(g.count, new))
            for g, run in zip(groups, running, strict=True)
        ),
    )


def _solve_levelled(
    levelled: DayProblem,
    group_of: list[int],
    running: list[bool],
    previous: DayResult,
    params: RoutingParams,
    limit_s: float,
    meter: Meter,
) -> DayResult:
    """Route a later day of a base (see :func:`_levelled`) by two searches, the better
    plan kept: the trucks the station already runs alone (:data:`RUNNING_SHARE` of the
    time), starting, where the day has published slots, from ``previous`` (the day
    before, see :func:`_carried_plan`); then, from scratch, those trucks and as many new
    ones as :func:`_capped` allows. A day with less than :data:`TWO_SEARCHES_MIN_S`
    gets one search, the capped fleet's. Where the capped fleet leaves stops unserved,
    the whole fleet searches again for the time left, at least a fifth of the limit.

    OR-Tools' first plans spread a day's stops over every truck it may use, and with
    slots to keep its search closes a truck only slowly; the two searches also fail
    differently (one keeps every slot where the other misses some), so both are tried.
    Searched with the whole fleet rather than the capped one, a station's trucks grow
    day after day. The figures are in the git history of benchmarks/README.md.
    """
    start = meter.now()
    capped = _capped(levelled, running)

    def or_whole_fleet(found: DayResult) -> DayResult:
        if found.unserved() == 0 or capped is levelled:
            return found
        left = max(0.2 * limit_s, limit_s - (meter.now() - start))
        return solve_day(levelled, params, time_limit_s=left, meter=meter)

    if not any(running):
        return or_whole_fleet(solve_day(capped, params, time_limit_s=limit_s, meter=meter))
    groups = levelled.groups()
    own_index = [g for g, run in enumerate(running) if run]
    own = replace(levelled, fleet=tuple(groups[g] for g in own_index), initial_routes=None)
    if levelled.slot_min is not None:
        own = replace(
            own, initial_routes=_carried_plan(previous, own, [group_of[g] for g in own_index])
        )
    if all(running):  # no other trucks: one search with all the time
        return solve_day(own, params, time_limit_s=limit_s, meter=meter)
    first = solve_day(own, params, time_limit_s=RUNNING_SHARE * limit_s, meter=meter)
    if limit_s < TWO_SEARCHES_MIN_S and first.status != "no_solution" and not first.unserved():
        # Too little time for both searches to pay: the running trucks serve the day
        # (trucks first; on the Cuiping default at 4 units a day, 12 trucks where the
        # capped fleet's search alone, never closing the truck it adds, ran 20).
        return regrouped(first, capped, own_index)
    left = max(0.05 * limit_s, limit_s - (meter.now() - start))
    second = solve_day(capped, params, time_limit_s=left, meter=meter)
    if first.status == "no_solution":
        return or_whole_fleet(second)
    mapped = regrouped(first, capped, own_index)
    return or_whole_fleet(min(mapped, second, key=lambda r: (r.unserved(), r.objective_cny())))


def _solve_chain(
    args: tuple[
        list[DayProblem],
        RoutingParams,
        list[float],
        float | None,
        float,
        dict[tuple[str, int], float],
        dict[tuple[str, str], tuple[float, ...]],
        float,
    ],
) -> list[DayResult]:
    """Solve one base's days in order, keeping each point's arrival near its first one.

    The first day a point is visited fixes its slot (the time on its sign), unless its
    sign is already up (a kept timetable: then every day aims at it). On later days
    arriving more than the tolerance away from it is penalised per minute, so a slot moves
    only where keeping it would cost a truck or long detours; the timetable reports every
    deviation. A truck beyond those the station already runs on an earlier day costs a
    week of its fixed cost (see :func:`_levelled`): the station needs the most trucks it
    uses on any day. A later day is routed by :func:`_solve_levelled`. The days' budgets
    are counted on one clock (:meth:`RoutingParams.meter`, capped at ``cap_at``).
    """
    problems, params, limits, tol, penalty, kept, day_signs, cap_at = args
    meter = params.meter(cap_at)
    slots: dict[tuple[str, int], float] = dict(kept)  # the signs already up, if any
    in_use: list[int] = []  # per fleet group, the most trucks used on a day so far
    results: list[DayResult] = []
    for problem, limit in zip(problems, limits, strict=True):
        if tol is not None and slots:
            problem = _with_slots(problem, slots, tol, penalty, day_signs)
        meter.capped = False  # (each day says whether a limit cut its own searches)
        if in_use:
            levelled, group_of, running = _levelled(problem, in_use, len(problems))
            found = _solve_levelled(levelled, group_of, running, results[-1], params, limit, meter)
            result = regrouped(found, problem, group_of)
        else:
            result = solve_day(problem, params, time_limit_s=limit, meter=meter)
        result = replace(result, capped=meter.capped)
        used = result.trucks_by_group()
        in_use = [max(a, b) for a, b in zip(in_use or used, used, strict=True)]
        keys = _occurrences(problem.stop_ids)
        for route in result.routes:
            for e in route:
                if e.kind == "stop":
                    slots.setdefault(keys[e.stop_idx], e.arrival_min)
        results.append(result)
    return results


def _busy_days_in_turn(busy_days: list[float], workers: int) -> float:
    """The most days with stops one worker routes in turn when the bases' chains (their
    busy days, given in order, each weighed by its share of a day's time) go, in that
    order, each to the worker free first: the share of the time limit a day gets divides
    by it, so that the week ends within the limit (a base with every day busy, alone,
    gets a sixth of it a day, not a third)."""
    loads = [0.0] * workers
    for n in busy_days:
        loads[loads.index(min(loads))] += n
    return max(loads)


def _week_plan(
    problems: list[DayProblem],
    params: RoutingParams,
    *,
    slots: bool = False,
    drivable: Sequence[bool] = (),
) -> tuple[dict[str, list[int]], int, float, list[float]]:
    """How :func:`solve_week` runs: each base's days (indices, in order), longest chains
    first so that the workers finish together; the worker processes; the time limit
    in the first pass of a day that must be routed (see :func:`_busy_days_in_turn`),
    with ``slots`` half of the limit being kept for routing a base's week again from its
    hardest day (see :func:`solve_week`); and each day's share of that limit (a day
    ``drivable`` as published: :data:`PUBLISHED_SHARE`, see :func:`_day_shares`)."""
    by_base: dict[str, list[int]] = {}
    for i, p in enumerate(problems):
        by_base.setdefault(p.base_id, []).append(i)
    share_of = _day_shares(problems, drivable)

    def busy_days(idx: list[int]) -> float:
        return sum(share_of[i] for i in idx if problems[i].num_stops > 0)

    chains = {b: by_base[b] for b in sorted(by_base, key=lambda b: -busy_days(by_base[b]))}
    workers = max(1, min(params.workers, len(chains), os.cpu_count() or 1))
    in_turn = _busy_days_in_turn([busy_days(idx) for idx in chains.values()], workers)
    if params.work_per_day is not None:  # the same budget a day whatever the workers
        return chains, workers, params.work_per_day, share_of
    share = SECOND_PASS_SHARE if slots else 0.0
    return chains, workers, (1 - share) * params.time_limit_s / (in_turn or 1.0), share_of


def _day_shares(problems: list[DayProblem], drivable: Sequence[bool]) -> list[float]:
    """Each day's share of the search time of a day that must be routed: less
    (:data:`PUBLISHED_SHARE`) where the published rounds still drive it."""
    return [
        PUBLISHED_SHARE if k < len(drivable) and drivable[k] else 1.0 for k in range(len(problems))
    ]


def day_time_limit_s(
    problems: list[DayProblem],
    params: RoutingParams,
    *,
    slots: bool = False,
    drivable: Sequence[bool] = (),
) -> float:
    """The search time :func:`solve_week` gives each day with stops in its first pass
    (``slots``: as when it keeps slots without signs already up; ``drivable``: the days
    a kept timetable still drives as published, which get less, see
    :func:`published_week`): what decides how good a day's routes get, so runs compare
    on equal terms only where it is equal (the same total limit gives a network of more
    stations less time a day)."""
    return _week_plan(problems, params, slots=slots, drivable=drivable)[2]


def _paid_cny(result: DayResult) -> float:
    """What a day pays beyond its trucks' cost: for arrivals off their slots and for
    deferred bookings (0 where a stop that must be served is left out)."""
    objective = result.objective_cny()
    return objective - result.cost_cny if math.isfinite(objective) else 0.0


def _hardest_day(chain: list[DayResult]) -> int | None:
    """The day of a base's week that runs the most trucks, then pays the most for
    arrivals off their slots; ``None`` where that is the first day, or where every day
    runs as many trucks and none pays (nothing to gain from routing it first)."""
    busy = [k for k, r in enumerate(chain) if r.problem.num_stops > 0]
    if not busy:
        return None

    def strain(k: int) -> tuple[int, float]:
        return (len(chain[k].routes), round(_paid_cny(chain[k]), 6))

    hardest = max(busy, key=strain)  # the first of equals
    flat = all(len(chain[k].routes) == len(chain[hardest].routes) for k in busy)
    if hardest == busy[0] or (flat and strain(hardest)[1] == 0):
        return None
    return hardest


def _week_rank(chain: list[DayResult]) -> tuple[int, float]:
    """Order of weeks of a base: fewer stops left out that must be served, then what the
    week costs with the fleet it needs (each group's most trucks on a day at their day
    rate on every day, the routes' running cost, and what the days pay for arrivals off
    their slots and for deferred bookings)."""
    day_rates = [g.vehicle.fixed_cost_cny_per_day for g in chain[0].problem.groups()]
    most = [0] * len(day_rates)
    running = 0.0
    for r in chain:
        used = r.trucks_by_group()
        most = [max(a, b) for a, b in zip(most, used, strict=True)]
        fixed = sum(n * rate for n, rate in zip(used, day_rates, strict=True))
        running += r.cost_cny - fixed + _paid_cny(r)
    fleet = len(chain) * sum(n * rate for n, rate in zip(most, day_rates, strict=True))
    return sum(r.unserved() for r in chain), running + fleet


Days = list[DayProblem]
Week = list[DayResult]
Rounds = list[tuple[str, str, list[tuple[str, int, float]]]]
"""A day's published rounds: per truck, its id, vehicle type (``""``: any) and stops in
order as ``(point_id, trip, arrival_min)`` (see
:attr:`recyclenet.inputs.KeptTimetable.rounds`)."""


def published_day(problem: DayProblem, rounds: Rounds) -> DayResult | None:
    """The day driven as published: each of the base's published trucks (those whose
    first stop is one of the day's points) visits its stops in their published order,
    unloading where its trip changes, and waits for each stop's slot (within the
    tolerance, as the engines do). Of a point's loads that day, a stop is the one whose
    slot lies nearest its published arrival.

    ``None`` where that is not a plan of the day any more: a stop of the day on no round
    or a round's stop no longer on the day (visits or loads changed), more trucks of a
    type than the day has, a lunch break to place, or any rule broken
    (:func:`~recyclenet.routing.check_day`: loads grown past a truck, longer stays past
    the shift or a point's hours).
    """
    if problem.lunch is not None:
        return None
    ours = set(problem.stop_ids)
    free: dict[str, list[int]] = {}
    for j, (pid, _) in enumerate(_occurrences(problem.stop_ids)):
        free.setdefault(pid, []).append(j)
    slot = problem.slot_min if problem.slot_min is not None else np.full(problem.num_stops, np.nan)
    groups = problem.groups()
    left = [g.count for g in groups]
    unload = unload_code(problem.unload_at[0])
    plans: list[tuple[list[int], int]] = []
    for _, vehicle_type, stops in rounds:
        if not stops or stops[0][0] not in ours:
            continue  # another base's truck
        order: list[int] = []
        for k, (pid, trip, arrival) in enumerate(stops):
            if not free.get(pid):
                return None
            if k and trip != stops[k - 1][1]:
                order.append(unload)
            nearest = min(free[pid], key=lambda j: abs(np.nan_to_num(slot[j] - arrival)))
            free[pid].remove(nearest)
            order.append(nearest)
        g = next(
            (
                g
                for g, group in enumerate(groups)
                if left[g] > 0 and vehicle_type in ("", group.vehicle.vehicle_type)
            ),
            None,
        )
        if g is None:
            return None
        left[g] -= 1
        if groups[g].depot not in problem.unload_at:
            order.append(unload)  # (the trip home ends at the unload site)
        plans.append((order, g))
    if any(free.values()):
        return None
    routes = [
        timed_route(
            problem,
            order,
            group=g,
            engine_arrival_min=[slot[j] if j >= 0 else np.nan for j in order],
        )
        for order, g in plans
    ]
    result = day_result(problem, routes, "published", 0.0, [g for _, g in plans])
    return None if check_day(result) else result


def _best_mix(routed: list[DayResult], driven: list[DayResult | None]) -> list[DayResult]:
    """A base's best week (:func:`_week_rank`) of its days each taken as routed or, where
    it can still be driven so (``driven``, see :func:`published_day`), as published; of
    weeks that rank alike, the one with the most days as published (the drivers' and
    residents' week changes least). Every choice is tried: a week has at most 7 days."""
    can = [(k, d) for k, d in enumerate(driven) if d is not None]
    best: tuple[tuple[int, float, int], list[DayResult]] | None = None
    for taken in itertools.product((False, True), repeat=len(can)):
        week = list(routed)
        for (k, as_published), take in zip(can, taken, strict=True):
            if take:
                week[k] = as_published
        lost, cost = _week_rank(week)
        key = (lost, round(cost, 6), -sum(taken))
        if best is None or key < best[0]:
            best = (key, week)
    assert best is not None
    return best[1]


def published_week(
    problems: list[DayProblem],
    published: dict[str, Rounds] | None,
    *,
    slot_tolerance_min: float | None = None,
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN,
    kept_signs: dict[tuple[str, int], float] | None = None,
    kept_day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> list[DayResult | None]:
    """Each day driven as its published rounds drive it (see :func:`published_day`),
    with its points aiming at their kept signs; ``None`` where the rounds no longer
    drive it, or there are none: :func:`solve_week`'s ``as_published``. ``published``,
    by day label: the rounds of the published trucks; the other arguments as
    :func:`solve_week`'s."""
    rounds = published or {}
    if not rounds:
        return [None] * len(problems)
    signs = kept_signs or {}
    if slot_tolerance_min is not None and signs:
        problems = [
            _with_slots(d, signs, slot_tolerance_min, slot_penalty_cny_per_min, kept_day_signs)
            for d in problems
        ]
    return [published_day(d, rounds.get(d.day, [])) for d in problems]


def _fewer_trucks(
    problems: list[DayProblem],
    chains: list[list[int]],
    results: list[DayResult | None],
    run: Callable[[list[list[int]], float, Days], Iterator[Week]],
    limit: float,
) -> None:
    """Route each base's week (``chains``: its days' indices, in order) once more with a
    truck fewer (:func:`~recyclenet.routing.elimination.one_truck_fewer`), by ``run``
    with ``limit`` a day, and put it in ``results`` where it ranks better
    (:func:`_week_rank`)."""
    fewer, orders = list(problems), []
    for idx in chains:
        planned = [r for r in (results[i] for i in idx) if r is not None]
        cut = one_truck_fewer(planned, [problems[i] for i in idx])
        if cut is not None:
            for i, day in zip(idx, cut, strict=True):
                fewer[i] = day
            orders.append(idx)
    if not orders:  # (no base to route again: no pool to start)
        return
    for order, chain in zip(orders, run(orders, limit, fewer), strict=True):
        _keep_better(results, order, chain)


def solve_week(
    problems: list[DayProblem],
    params: RoutingParams,
    progress: Callable[[int, int], None] | None = None,
    *,
    slot_tolerance_min: float | None = None,
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN,
    kept_signs: dict[tuple[str, int], float] | None = None,
    as_published: Sequence[DayResult | None] = (),
    kept_day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> list[DayResult]:
    """Solve every base-day; bases run in parallel processes when ``params.workers > 1``.

    With ``slot_tolerance_min`` a point visited on several days is asked to arrive within
    that many minutes of its first arrival of the week (its published slot), day after
    day; each minute beyond costs ``slot_penalty_cny_per_min``. ``kept_signs``, by
    ``(point_id, load)``: times already on the signs, which every day aims at instead;
    ``kept_day_signs``: the times each weekday's visits kept, which that day's loads aim
    at (points that collect several loads a day keep their signs so; see
    :func:`_with_slots`).

    The first day a point is visited sets its slot, so the order of the days matters.
    With slots and no signs up yet, the first pass gets half the limit; a base whose
    hardest day (:func:`_hardest_day`) is not its first is routed again in the same
    rotation from that day, and keeps the better week (:func:`_week_rank`). Counted in
    work, each base's week is then routed once more with a truck fewer
    (``params.fewer_trucks``, :func:`_fewer_trucks`).

    ``as_published``, per day: the day as the published trucks of a kept timetable drive
    it, ``None`` where they no longer can (see :func:`published_week`). Each day of a
    base that can still be driven as published is kept so where the week does not rank
    worse (:func:`_best_mix`): re-planning never asks for more trucks, or more arrivals
    off their signs, than the published days that still work, and a day that no longer
    works (a shorter shift, a grown load) is routed again alone, not with its whole
    week. A day the published rounds still drive is routed with :data:`PUBLISHED_SHARE`
    of the time of one they no longer drive, which gets the rest.
    """
    start = time.perf_counter()
    cap_at = time.time() + params.time_limit_s  # (work mode: the safety cap)
    second_pass = slot_tolerance_min is not None and not kept_signs
    signs = dict(kept_signs or {}) if slot_tolerance_min is not None else {}
    day_signs = dict(kept_day_signs or {}) if signs else {}
    driven = list(as_published) or [None] * len(problems)
    drivable = [d is not None for d in driven]
    chains, workers, per_day, shares = _week_plan(
        problems, params, slots=second_pass, drivable=drivable
    )
    results: list[DayResult | None] = [None] * len(problems)
    done = 0

    def run(orders: list[list[int]], limit: float, days: Days = problems) -> Iterator[Week]:
        """Each base's days (of ``days``) routed in the order given, as each base is
        done, a day getting its share (:func:`_day_shares`) of ``limit``."""
        jobs = [
            (
                [days[i] for i in idx],
                params,
                [limit * shares[i] for i in idx],
                slot_tolerance_min,
                slot_penalty_cny_per_min,
                signs,
                day_signs,
                cap_at,
            )
            for idx in orders
        ]
        if workers == 1 or len(jobs) == 1:
            yield from map(_solve_chain, jobs)
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                yield from pool.map(_solve_chain, jobs)

    again: list[list[int]] = []
    for idx, chain in zip(chains.values(), run(list(chains.values()), per_day), strict=True):
        for i, res in zip(idx, chain, strict=True):
            results[i] = res
        if second_pass and (k := _hardest_day(chain)) is not None:
            again.append(idx[k:] + idx[:k])
        done += len(idx)
        if progress:
            progress(done, len(problems))
    left = params.time_limit_s - (time.perf_counter() - start)
    if params.work_per_day is not None:  # work mode: each day of the pass its budget
        left = params.work_per_day
    if again and left > 0:
        total = len(problems) + sum(len(order) for order in again)
        if progress:
            progress(done, total)
        busy = [sum(shares[i] for i in order if problems[i].num_stops > 0) for order in again]
        in_turn = _busy_days_in_turn(busy, max(1, min(workers, len(again))))
        per_day = left if params.work_per_day is not None else left / (in_turn or 1.0)
        for order, chain in zip(again, run(again, per_day), strict=True):
            _keep_better(results, order, chain)
            done += len(order)
            if progress:
                progress(done, total)
    if params.fewer_trucks and params.work_per_day is not None and not kept_signs:
        _fewer_trucks(problems, list(chains.values()), results, run, params.work_per_day)
    for idx in chains.values() if any(drivable) else ():
        routed = [r for r in (results[i] for i in idx) if r is not None]
        if len(routed) == len(idx):
            for i, res in zip(idx, _best_mix(routed, [driven[i] for i in idx]), strict=True):
                results[i] = res
    week = [r for r in results if r is not None]
    floor = params.floor_work_per_day
    if floor is not None and params.work_per_day is not None and floor < params.work_per_day:
        smaller = solve_week(
            problems,
            replace(params, work_per_day=floor, floor_work_per_day=None),
            slot_tolerance_min=slot_tolerance_min,
            slot_penalty_cny_per_min=slot_penalty_cny_per_min,
            kept_signs=kept_signs,
            as_published=as_published,
            kept_day_signs=kept_day_signs,
        )
        for idx in chains.values():  # each base's better week, the larger budget's on a tie
            _keep_better(week, idx, [smaller[i] for i in idx])
    return week


def _keep_better(week: list[DayResult | None] | Week, order: list[int], chain: Week) -> None:
    """Put a base's days ``chain`` (``order``: their indices) in ``week`` where they rank
    better than the days there (:func:`_week_rank`; ``week``'s on a tie)."""
    before = [r for r in (week[i] for i in order) if r is not None]
    if _week_rank(chain) < _week_rank(before):
        for i, res in zip(order, chain, strict=True):
            week[i] = res
