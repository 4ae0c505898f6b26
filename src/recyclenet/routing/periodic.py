"""The week's visit days searched: simulated annealing over each stop's day patterns.

Given a :class:`~recyclenet.routing.periodic_problem.PeriodicProblem` (a base's stops,
their allowed patterns, the day's rules) and a first choice of patterns, the search
looks for the patterns whose days route cheapest, every day routed by the product's day
model (:func:`recyclenet.routing.solve_day`, PyVRP). It is counted in work: a number of
annealing trials, each routing given a number of PyVRP iterations, so the same problem,
budget and seed give the same patterns on any machine and any load; a wall-clock cap is
a safety net, reported where it bites (:attr:`PatternResult.capped`).

The steps (:func:`search_patterns`):

1. **Classes of days routed at once.** Where one frequency's patterns split the week into
   classes (2 in 4 days: days 0 and 2, days 1 and 3), all classes are routed in one day
   problem, one truck group per class (:func:`aggregated_patterns`): which group serves
   a stop is its pattern. This is tried with one truck a class, two, ... and the
   problem's trucks; the start that routes cheapest after a longer routing of each day
   is kept (a routing free to use two trucks a class rarely packs a class into one
   truck's hours, which the best plans do).
2. **Annealing.** A trial moves one stop to another of its patterns, swaps the patterns
   of two stops, ruins and recreates a few, or ruins a day's least busy truck (its stops
   off all their days, put back with no new truck that day: the truck count of a day is
   a cliff the small moves rarely cross). The moved stops are inserted, cheapest, into
   the current routes: those routes bound the trial's cost, and a trial more than 3 %
   (plus three temperatures) above the current days is dropped unrouted. The others have
   their changed days routed from those routes; one that looks no worse than a
   temperature gets four times the search on both sides before the decision.
3. **Polish.** The best plan's days are routed once more, longer.

A routed set of stops is kept and reused on any day it falls on (:class:`DayRouter`).
With several ``workers``, independent searches (seeds ``seed`` to ``seed + N - 1``) run
in as many processes; every second one starts from the caller's patterns without step 1
(the two starts lead to different plans); the cheapest plan is kept, the lower seed
among equals.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from recyclenet.routing.day import RoutingParams, solve_day
from recyclenet.routing.periodic_problem import (
    PeriodicProblem,
    Routes,
    insert,
    insertion,
    remove,
)
from recyclenet.routing.problem import DayProblem, TruckGroup
from recyclenet.routing.result import DayResult

Patterns = dict[int, tuple[int, ...]]
"""Visit days by stop (node id)."""

TRIAL_ITERATIONS = 60
"""PyVRP iterations a trial's day is routed with (a closer look: four times as many)."""

START_TEMPERATURE_SHARE = 0.005
"""The annealing's first temperature, as a share of the first plan's cost."""

SMALL_STOPS = 20
"""A base of at most this many stops affords many trials: it is annealed hotter
(:data:`SMALL_TEMPERATURE_SHARE`) in :data:`SMALL_CYCLES` annealings, each from the best
plan."""

SMALL_TEMPERATURE_SHARE = 0.02
SMALL_CYCLES = 4
EMPTY_TRUCK_SHARE = 0.2
"""Share of the trials that ruin a day's least busy truck."""


@dataclass(frozen=True)
class PatternBudget:
    """The search's work, in stop-iterations: a routing of ``s`` stops for ``i`` PyVRP
    iterations does ``s * i``, a trial's insertion estimates :data:`TRIAL_WORK` per stop
    of the base. The annealing does ``work``; the routings of the classes of days at
    once and the polish do :data:`AGGREGATE_SHARE` and :data:`POLISH_SHARE` of it.

    Attributes
    ----------
    work
        Stop-iterations of the annealing.
    cap_s
        Wall-clock safety cap of the whole search.
    """

    work: float
    cap_s: float = 3600.0

    def __post_init__(self) -> None:
        if not self.work > 0:
            raise ValueError(f"work must be positive, got {self.work}")


TRIAL_WORK = 5.0
"""Work a trial's insertion estimates count per stop of the base."""

START_ITERATIONS = 16 * TRIAL_ITERATIONS
"""PyVRP iterations each day of a starting plan is routed with before starts compare."""

AGGREGATE_SHARE = 0.1
"""Share of the work for each routing of the classes of days at once."""

POLISH_SHARE = 0.1
"""Share of the work for the best plan's last routing, all days together."""


@dataclass
class DayPlan:
    """A day's stops routed by the day model."""

    cost: float  # driving and trucks, plus the penalty for stops left out
    routes: Routes
    result: DayResult
    spent: int = 0  # iterations of search spent on this set so far
    runs: int = 0


@dataclass
class PatternResult:
    """What the search found: the patterns, each day's plan and counts."""

    patterns: Patterns
    days: list[DayPlan]
    cost: float
    stats: dict[str, float] = field(default_factory=dict)
    capped: bool = False


class DayRouter:
    """Routes a day's stops with :func:`~recyclenet.routing.solve_day`, keeping the best
    plan found per set of stops.

    Every day has the same depot, trucks and rules, so a routed set serves any day it
    falls on. ``router(stops, effort)`` makes sure the set has had at least ``effort``
    times :data:`TRIAL_ITERATIONS` iterations of PyVRP's search, routing it again with a
    new seed from the best plan so far when not, and returns the best plan.
    """

    def __init__(self, problem: PeriodicProblem, seed: int, cap_at: float) -> None:
        self.problem = problem
        self.seed = seed
        self.cap_at = cap_at  # time.time() at which every search stops
        self.capped = False
        self.cache: dict[frozenset[int], DayPlan] = {}
        self.calls = 0
        self.work = 0.0  # stop-iterations done (see PatternBudget)
        # A stop left out (a day with more than its trucks can do) weighs more than any
        # detour to serve it, so the search leaves such days first.
        p = problem
        self.drop_penalty = 10 * (
            2 * float(p.distance_km.max()) * p.cost_per_km() + p.vehicle.fixed_cost_cny_per_day
        )

    def search(self, stops: Iterable[int], start: Routes | None, iterations: int) -> DayPlan:
        """Route the set once more from ``start`` (a new seed per run), keep the better
        of it and the best plan so far, and return that."""
        key = frozenset(stops)
        known = self.cache.get(key)
        spent, runs = (0, 0) if known is None else (known.spent, known.runs)
        self.calls += 1
        customers = sorted(key)
        day = self.problem.day_problem(customers)
        if start:
            day = dataclasses.replace(day, initial_routes=self.problem.orders(customers, start))
        result = self.solve(day, iterations, self.seed + runs)
        routes = route_nodes(self.problem, result, customers)
        cost = self.problem.day_cost(routes) + self.drop_penalty * len(result.dropped)
        plan = DayPlan(cost, routes, result)
        best = plan if known is None or plan.cost < known.cost - 1e-9 else known
        best.spent, best.runs = spent + iterations, runs + 1
        self.cache[key] = best
        return best

    def solve(self, day: DayProblem, iterations: int, seed: int) -> DayResult:
        """PyVRP on a day for ``iterations``, stopped at the cap (noted) if sooner."""
        left = max(0.01, self.cap_at - time.time())
        params = RoutingParams(
            time_limit_s=left, seed=seed, max_iterations=iterations, engine="pyvrp"
        )
        began = time.perf_counter()
        self.work += iterations * len(day.stop_ids)
        result = solve_day(day, params)
        if time.perf_counter() - began >= 0.98 * left:
            self.capped = True
        return result

    def __call__(
        self, stops: Iterable[int], effort: float = 1.0, start: Routes | None = None
    ) -> DayPlan:
        """The best plan for the set after at least ``effort`` trial budgets; a first
        routing starts from ``start`` (routes over these stops, some may be missing), a
        further one from the best plan so far."""
        key = frozenset(stops)
        target = int(effort * TRIAL_ITERATIONS)
        known = self.cache.get(key)
        if known is None or known.spent < target:
            spent = 0 if known is None else known.spent
            start = start if known is None else known.routes
            known = self.search(key, start, max(target - spent, TRIAL_ITERATIONS))
        return known


def route_nodes(p: PeriodicProblem, result: DayResult, customers: list[int]) -> Routes:
    """Node ids along each route of a day result (depot and facilities included)."""
    fac = p.facilities
    routes = []
    for route in result.routes:
        nodes = [0]
        for e in route[1:]:
            if e.kind == "stop":
                nodes.append(customers[e.stop_idx])
            elif e.kind == "unload":
                nodes.append(fac[e.site - 1])
            elif e.kind == "end":
                nodes.append(0)
        routes.append(nodes)
    return routes


def on_days(patterns: Patterns, horizon: int) -> list[list[int]]:
    """The stops of each day."""
    out: list[list[int]] = [[] for _ in range(horizon)]
    for c, days in sorted(patterns.items()):
        for d in days:
            out[d].append(c)
    return out


def routed(router: DayRouter, patterns: Patterns, effort: float = 1.0) -> list[DayPlan]:
    """Every day of a pattern plan, routed with at least ``effort`` trial budgets."""
    days = on_days(patterns, router.problem.horizon)
    return [router(day, effort=effort) for day in days]


def day_classes(p: PeriodicProblem) -> tuple[int, list[tuple[int, ...]]] | None:
    """The frequency whose stops' patterns split the week into classes of days (2 in 4
    days: days 0 and 2, days 1 and 3), and those classes; ``None`` where none does.
    Where several do, the one with the most stops (the lower frequency among equals)."""
    best: tuple[int, int] | None = None  # (stops, -frequency)
    found: dict[int, list[tuple[int, ...]]] = {}
    for f in sorted({p.frequency(c) for c in p.customers}):
        if not 1 < f < p.horizon:
            continue
        members = [c for c in p.customers if p.frequency(c) == f]
        classes = sorted({o for c in members for o in p.options(c)})
        if sorted(d for o in classes for d in o) == list(range(p.horizon)) and all(
            len(p.options(c)) == len(classes) for c in members
        ):
            found[f] = classes
            best = max(best or (0, 0), (len(members), -f))
    return None if best is None else (-best[1], found[-best[1]])


def aggregated_patterns(
    router: DayRouter, trucks_per_class: int, iterations: int
) -> Patterns | None:
    """Visit days from one routing of every class of days at once (``None`` where the
    patterns form no classes, see :func:`day_classes`, or the routing leaves one out).

    The days of a class see the same stops of the class frequency, so their routes are
    much alike: one day problem holds a truck group per class (``trucks_per_class``
    trucks for the class's days), every stop of the class frequency, once, and a copy
    per class of every stop visited every day (each copy reachable by its class's
    trucks only). A stop served by class ``k``'s trucks takes pattern ``k``. The other
    stops then join, most visits first, the pattern whose days' routes take them
    cheapest (fewest days where they fit nowhere first: the routing of those days
    places them).
    """
    p = router.problem
    found = day_classes(p)
    if found is None:
        return None
    every, classes = found
    stops: list[int] = []
    only: list[int] = []  # the class whose trucks may serve the stop, -1: any
    for c in p.customers:
        f = p.frequency(c)
        if f == every or f >= p.horizon:
            for k in range(len(classes)) if f >= p.horizon else [-1]:
                stops.append(c)
                only.append(k)
    # (the trucks of all classes together cannot serve more than their hours)
    if float(p.service_min[stops].sum()) > len(classes) * trucks_per_class * p.max_duration_min:
        return None
    day = p.day_problem(stops)
    nodes = [0, *stops, *p.facilities]  # (the day's nodes)
    closed = float(max(p.time_min.max(), p.distance_km.max())) * 1e3  # beyond any shift
    fleet = []
    for k in range(len(classes)):
        dist, dur = p.distance_km[np.ix_(nodes, nodes)], p.time_min[np.ix_(nodes, nodes)]
        for j, o in enumerate(only):
            if o >= 0 and o != k:
                for m in (dist, dur):
                    m[j + 1, :] = m[:, j + 1] = closed
                    m[j + 1, j + 1] = 0.0
        fleet.append(TruckGroup(day.vehicle, trucks_per_class, distance_km=dist, time_min=dur))
    day = dataclasses.replace(day, fleet=tuple(fleet), num_vehicles=len(classes) * trucks_per_class)
    result = router.solve(day, iterations, router.seed)
    if result.dropped or result.status == "no_solution":
        return None
    out: Patterns = {}
    routes: list[Routes] = [[] for _ in range(p.horizon)]
    for r, nodes in enumerate(route_nodes(p, result, stops)):
        days = classes[result.group_of(r)]
        for d in days:
            routes[d].append(list(nodes))
        for c in nodes:
            if 1 <= c <= len(p.patterns) and c not in out:
                out[c] = p.options(c)[0] if p.frequency(c) >= p.horizon else days
    rest = [c for c in p.customers if c not in out]
    for c in sorted(rest, key=lambda c: (-p.frequency(c), -p.demand(c))):
        options = []
        for pattern in p.options(c):
            moves = [insertion(p, routes[d], c) for d in pattern]
            # (days it fits on nowhere first, then the added cost where it fits)
            nowhere = sum(not math.isfinite(m[0]) for m in moves)
            added = sum(m[0] for m in moves if math.isfinite(m[0]))
            options.append((nowhere, added, pattern, moves))
        *_, pattern, moves = min(options, key=lambda o: o[:3])
        for d, (cost, r, k, f) in zip(pattern, moves, strict=True):
            if math.isfinite(cost):  # (else left out: the day's routing places it)
                insert(p, routes[d], c, r, k, f)
        out[c] = pattern
    return out


def _moved_routes(
    p: PeriodicProblem,
    plans: list[DayPlan],
    current: Patterns,
    trial: Patterns,
    picked: Iterable[int],
) -> list[Routes]:
    """The current routes with the ``picked`` stops taken off the days they leave and
    inserted, cheapest, on the days they join (left out where they fit nowhere: the
    router then places them)."""
    routes = [[list(nodes) for nodes in plan.routes] for plan in plans]
    for c in picked:
        for d in set(current[c]) - set(trial[c]):
            remove(p, routes[d], c)
    for c in picked:
        for d in sorted(set(trial[c]) - set(current[c])):
            cost, r, k, f = insertion(p, routes[d], c)
            if math.isfinite(cost):
                insert(p, routes[d], c, r, k, f)
    return routes


def _reinsert(
    p: PeriodicProblem,
    trial: Patterns,
    plans: list[DayPlan],
    rng: np.random.Generator,
    picked: list[int],
    closed_day: int | None = None,
) -> tuple[list[int], list[Routes]] | None:
    """The ``picked`` stops off all their days, each put back, in random order, on the
    pattern whose days' routes take it cheapest (insertion estimates, randomised by
    5 %; no new truck on ``closed_day``). Changes ``trial``; returns the stops and the
    routes with them inserted (``None``: one fits nowhere)."""
    trial_routes = [[list(nodes) for nodes in plan.routes] for plan in plans]
    for c in picked:
        for d in trial[c]:
            remove(p, trial_routes[d], c)
    for c in rng.permutation(picked):
        c = int(c)
        best = None
        for option in p.options(c):
            places = {
                d: insertion(p, trial_routes[d], c, new_truck=d != closed_day) for d in option
            }
            cost = sum(q[0] for q in places.values()) * rng.uniform(0.95, 1.05)
            if best is None or cost < best[0]:
                best = (cost, option, places)
        if best is None or not math.isfinite(best[0]):
            return None
        for d, (_, r, k, f) in best[2].items():
            insert(p, trial_routes[d], c, r, k, f)
        trial[c] = best[1]
    return picked, trial_routes


def _recreate(
    p: PeriodicProblem,
    trial: Patterns,
    plans: list[DayPlan],
    rng: np.random.Generator,
    largest: int,
) -> tuple[list[int], list[Routes]] | None:
    """Ruin and recreate: a few stops (at random, or one and its nearest neighbours) off
    all their days, put back by :func:`_reinsert`."""
    cust, dist = p.customers, p.distance_km
    size = int(rng.integers(1, largest + 1))
    if rng.random() < 0.5:
        picked = [cust[i] for i in rng.choice(len(cust), size=size, replace=False)]
    else:
        seed_c = cust[int(rng.integers(len(cust)))]
        picked = sorted(cust, key=lambda c: dist[seed_c, c] + dist[c, seed_c])[:size]
    return _reinsert(p, trial, plans, rng, picked)


def _empty_truck(
    p: PeriodicProblem, trial: Patterns, plans: list[DayPlan], rng: np.random.Generator
) -> tuple[list[int], list[Routes]] | None:
    """Ruin a truck: on a random day with several trucks, the stops of the truck that
    works least off all their days, put back by :func:`_reinsert` with no new truck on
    that day, so that the day loses one; ``None`` where no day has two trucks."""
    busy = [d for d, plan in enumerate(plans) if len(plan.routes) >= 2]
    if not busy:
        return None
    d = busy[int(rng.integers(len(busy)))]
    lightest = min(plans[d].routes, key=p.route_minutes)
    picked = [a for a in lightest if 1 <= a <= len(p.patterns)]
    return _reinsert(p, trial, plans, rng, picked, closed_day=d)


def _trial(
    p: PeriodicProblem,
    current: Patterns,
    plans: list[DayPlan],
    rng: np.random.Generator,
    largest: int,
    empty_share: float,
) -> tuple[Patterns, list[int], list[Routes]] | None:
    """One move: the trial patterns, the stops moved and the routes with them inserted
    (``None``: no move found)."""
    cust = p.customers
    trial = dict(current)
    move = rng.random()
    if move < 0.35:  # one stop to another of its patterns
        c = cust[int(rng.integers(len(cust)))]
        options = [o for o in p.options(c) if o != trial[c]]
        if not options:
            return None
        trial[c] = options[int(rng.integers(len(options)))]
        picked = [c]
    elif move < 0.7:  # two stops swap patterns
        c = cust[int(rng.integers(len(cust)))]
        mates = [
            e
            for e in cust
            if trial[e] != trial[c] and trial[e] in p.options(c) and trial[c] in p.options(e)
        ]
        if not mates:
            return None
        e = mates[int(rng.integers(len(mates)))]
        trial[c], trial[e] = trial[e], trial[c]
        picked = [c, e]
    else:
        moved = (
            _empty_truck(p, trial, plans, rng)
            if move < 0.7 + empty_share
            else _recreate(p, trial, plans, rng, largest)
        )
        if moved is None:
            return None
        picked, routes = moved
        return (trial, picked, routes) if trial != current else None
    if trial == current:
        return None
    return trial, picked, _moved_routes(p, plans, current, trial, picked)


def anneal(
    router: DayRouter,
    patterns: Patterns,
    rng: np.random.Generator,
    work: float,
    cycles: int = 1,
    temperature_share: float = START_TEMPERATURE_SHARE,
    empty_share: float = EMPTY_TRUCK_SHARE,
) -> tuple[Patterns, dict[str, float]]:
    """Simulated annealing over the patterns until the router has done ``work`` more
    (see :class:`PatternBudget`; the module docstring for the moves): the best patterns
    seen and counts of trials, routed trials and accepted ones. A worse plan is accepted
    with probability ``exp(-increase / T)``, T falling linearly with the work done from
    ``temperature_share`` of the first plan's cost to 0; with ``cycles`` above 1 the
    work is cut into that many annealings, each from the best plan."""
    p = router.problem
    plans = routed(router, patterns)
    total = sum(plan.cost for plan in plans)
    best_total, best = total, dict(patterns)
    current = dict(patterns)
    dropped = sum(len(plan.result.dropped) for plan in plans)
    temp0 = temperature_share * (total - router.drop_penalty * dropped)
    stats: dict[str, float] = {"trials": 0, "routed": 0, "accepted": 0}
    largest = max(2, len(p.customers) // 8)
    per_cycle = work / cycles
    cycle = 0
    begin = router.work
    while (done := router.work - begin) < work:
        stats["trials"] += 1
        router.work += TRIAL_WORK * len(p.customers)
        if done >= (cycle + 1) * per_cycle:  # hot again, from the best
            cycle += 1
            current = dict(best)
            plans = routed(router, current)
            total = sum(plan.cost for plan in plans)
            continue
        moved = _trial(p, current, plans, rng, largest, empty_share)
        if moved is None:
            continue
        trial, picked, routes = moved
        touched = sorted({d for c in picked for d in (*current[c], *trial[c])})
        temp = temp0 * max(0.0, 1.0 - (done - cycle * per_cycle) / per_cycle)
        bound = sum(p.day_cost(routes[d]) for d in touched)
        before = sum(plans[d].cost for d in touched)
        # Routing rarely saves more than a few per cent on insertion: beyond that the
        # trial is not worth routing.
        if bound - before > 0.03 * before + 3 * temp:
            continue
        stats["routed"] += 1
        trial_days = on_days(trial, p.horizon)
        new = {d: router(trial_days[d], start=routes[d]) for d in touched}
        rise = sum(plan.cost for plan in new.values()) - before
        if not math.isfinite(rise):
            continue
        if rise < temp:  # worth a closer look at both sides before deciding
            days_now = on_days(current, p.horizon)
            for d in touched:
                plans[d] = router(days_now[d], effort=4.0)
                new[d] = router(trial_days[d], effort=4.0)
            before = sum(plans[d].cost for d in touched)
            rise = sum(plan.cost for plan in new.values()) - before
            total = sum(plan.cost for plan in plans)
            if current == best:
                best_total = min(best_total, total)
        if rise < -1e-9 or (temp > 0 and rng.random() < math.exp(-rise / temp)):
            stats["accepted"] += 1
            current = trial
            for d, plan in new.items():
                plans[d] = plan
            total += rise
            if total < best_total - 1e-9:
                best_total, best = total, dict(current)
    return best, stats


def _search_once(
    problem: PeriodicProblem, start: Patterns, budget: PatternBudget, seed: int, classes: bool
) -> PatternResult:
    """One search with its own seed: the starts (with ``classes``, the classes of days
    routed at once, see :func:`aggregated_patterns`), the annealing and the polish."""
    router = DayRouter(problem, seed, time.time() + budget.cap_s)
    start_effort = START_ITERATIONS / TRIAL_ITERATIONS
    stops = len(problem.customers)
    patterns = dict(start)
    costs = {"balanced": sum(plan.cost for plan in routed(router, patterns, start_effort))}
    if classes:
        # each class's trucks limited to one, two ..., then the problem's
        for trucks in range(1, problem.num_vehicles + 1):
            its = int(AGGREGATE_SHARE * budget.work / stops)
            joint = aggregated_patterns(router, trucks, max(TRIAL_ITERATIONS, its))
            if joint is None:
                continue
            cost = sum(plan.cost for plan in routed(router, joint, start_effort))
            if cost < min(costs.values()) - 1e-9:
                patterns = joint
            costs[f"aggregated_{trucks}"] = cost
    small = len(problem.customers) <= SMALL_STOPS
    patterns, stats = anneal(
        router,
        patterns,
        np.random.default_rng(seed),
        budget.work,
        cycles=SMALL_CYCLES if small else 1,
        temperature_share=SMALL_TEMPERATURE_SHARE if small else START_TEMPERATURE_SHARE,
    )
    visits = sum(len(days) for days in patterns.values())
    polish = max(TRIAL_ITERATIONS, int(POLISH_SHARE * budget.work / visits))
    for day in on_days(patterns, problem.horizon):
        if day:
            router.search(day, router(day).routes, polish)
    days = routed(router, patterns)
    stats = {**stats, "day_routings": router.calls, "work": router.work}
    stats.update({f"start_{k}": round(v, 2) for k, v in costs.items()})
    return PatternResult(
        patterns, days, sum(plan.cost for plan in days), stats, capped=router.capped
    )


def search_patterns(
    problem: PeriodicProblem,
    start: Patterns,
    budget: PatternBudget,
    *,
    seed: int = 0,
    workers: int = 1,
) -> PatternResult:
    """The visit days of ``problem`` searched from ``start`` (patterns by stop node id,
    each one of its options) within ``budget``; see the module docstring.

    With ``workers`` above 1, that many searches (seeds ``seed`` on) run in as many
    processes, odd ones without the classes of days; the cheapest is returned (the
    lowest seed among equals), so the answer depends on ``workers`` but not on how busy
    the machine is.
    """
    for c in problem.customers:
        if start.get(c) not in problem.options(c):
            raise ValueError(f"stop {c}: start pattern {start.get(c)} is not one of its options")
    if workers == 1:
        return _search_once(problem, start, budget, seed, True)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [
            pool.submit(_search_once, problem, start, budget, seed + k, k % 2 == 0)
            for k in range(workers)
        ]
        runs = [f.result() for f in futures]
    return min(runs, key=lambda r: r.cost)
