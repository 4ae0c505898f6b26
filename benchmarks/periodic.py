"""Periodic routing with intermediate facilities through the project's weekly model.

``python -m benchmarks pvrpif FILE --time-limit-s S [--seed N]``: the UniUD PVRP-IF
instances (Taverna & Tilk; ``../shared/data/routing/pvrpif_uniud/``). Every customer is
visited a given number of times over the horizon on one of its evenly spaced day
patterns (2 in 4 days: days 0 and 2, or 1 and 3); each day, at most ``numVehicles``
trucks of ``maxCapacity`` leave the depot, empty at an intermediate facility whenever
full and always before driving home, and are back within ``maxDuration`` (travel plus
service). The cost is the travel time over the horizon (service excluded), on the
instance's asymmetric OSRM road matrix.

The path is the product's: visit days from :func:`recyclenet.routing.schedule.day_patterns`
and :func:`~recyclenet.routing.schedule.assign_days` (balanced, compact days), then one
:class:`~recyclenet.routing.DayProblem` per day (depot where nobody unloads, facilities as
unload sites) solved by :func:`~recyclenet.routing.solve_day` (its PyVRP engine, with the
final unload in the arc home, warm-started and stopped after a number of iterations) and
re-checked by :func:`~recyclenet.routing.check_day`. The patterns are chosen by
simulated annealing in which every trial's changed days are routed by the daily model
(:func:`pattern_search`; a routed set of customers is kept and reused on any day, see
:class:`DayRouter`). A fifth of its trials ruin a truck: the customers of a day's least
busy truck leave all their days and are put back with no new truck on that day
(:func:`_empty_truck`), a cliff that moves of one or two customers rarely cross; the
last tenth of the time routes the best plan's days again.

Where the patterns split the horizon into classes of days (2 in 4 days: days 0 and 2,
days 1 and 3), the first fifth of the time routes all classes at once, one truck group
per class, in one day problem (:func:`aggregated_patterns`): which group serves a
customer is its pattern. The annealing starts from those visit days where they route
cheaper than the balanced ones (on the 28 horizon-4 instances, one search each: mean
gap 0.76 % -> 0.28 %, see benchmarks/README.md). In 6 days the patterns of 2
visits (days 0 and 3, 1 and 4, 2 and 5) are the classes, and a customer visited 3 times
(days 0, 2, 4 or 1, 3, 5) joins, like one visited once, the pattern whose routes take it
cheapest. With several workers (``--workers``), every second one starts from the
balanced days instead (``--mixed-starts``, the default): the two starts lead to different
plans, and each wins on some instances (on all 56, two workers: 51 within 1 % of the best
known, 49 before). The classes are routed with one truck each, then with two, up to the
instance's trucks (``--tight-share``, a tenth of the time, before the fifth for the
instance's trucks): a routing free to use two trucks a class rarely packs a class into
one truck's hours, which the best plans of some instances do (Milano_030_4_9: 679,
below the best known 683, from the one-truck classes; 695 from the free ones). The
starts are compared after a routing of each day 16 times as long as a trial's
(``--start-effort``): at a trial's budget PyVRP keeps a second truck on such packed
days and the packed start looks the worse one (753 against 713 there).

Two engines: PyVRP routes every trial in a few milliseconds but, on a day packed to the
duration limit, keeps a second truck where one would do (Milano_040_4_3's optimal day 0:
149 on two trucks at 60 to 1,000 iterations, 141 on one); OR-Tools, started from PyVRP's
plan, finds the one-truck route in 0.1 s. So a day about to decide a trial, whose trucks
might do it with one truck fewer, can be routed once more by OR-Tools
(``--check-engine ortools``). The annealing can start from sweep plans too
(``--sweep-starts N``, sectors around the depot, :func:`sweep_patterns`) before it goes
on from the best plan. Both are off by default: on all 56 instances together they did
not beat the plain search (see benchmarks/README.md). So is ``--truck-cost U``, which
charges each truck ``U`` travel units inside the day model only (the objective reported
stays the travel), to steer PyVRP towards the packed days the best plans drive: on 14
paired runs of the instances most often above 1 % it moved the sum by -0.13 %, less than
one seed moves it.

A small instance (at most 20 customers) routes a trial in milliseconds and affords tens
of thousands of trials: its annealing starts at 2 % of the travel instead of 0.5 % and
runs four times, each from the best plan (``SMALL_*``). On the 14 instances of 20
customers, two searches side by side: 12 within 1 % of the best known instead of 10.

The search is limited by compute, not by its model: PyVRP routes a 24-customer day at its
optimum in about a second, but the annealing can give a trial some 60 iterations
(20 ms), and single 60 s runs of one instance differ by several per cent. With
``--workers N`` that many independent searches (seeds ``SEED`` to ``SEED + N - 1``) run
side by side in their own processes, each on one core, and the cheapest plan is kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import contract_parser
from benchmarks.routing import bks as known_best
from recyclenet.routing import (
    DayProblem,
    RoutingParams,
    TruckGroup,
    Vehicle,
    check_day,
    solve_day,
)
from recyclenet.routing.result import DayResult
from recyclenet.routing.schedule import assign_days, day_patterns
from recyclenet.routing.timing import unload_code

# Travel-time units are weighed far above the model's 1 fen/s time-span tie-breaker.
COST_PER_UNIT = 100.0
# The annealing's first temperature, as a share of the first plan's travel.
START_TEMPERATURE_SHARE = 0.005
# A small instance (at most SMALL_CUSTOMERS customers) routes a trial in a few
# milliseconds and affords tens of thousands of trials in a minute: it anneals hotter, in
# several annealings each from the best plan (defaults of --start-temperature and
# --annealing-cycles).
SMALL_CUSTOMERS = 20
SMALL_TEMPERATURE_SHARE = 0.02
SMALL_CYCLES = 4
# Share of the annealing's trials that ruin a truck (_empty_truck).
EMPTY_TRUCK_SHARE = 0.2
# Share of the time for the routing of all classes of days at once (aggregated_patterns).
AGGREGATE_SHARE = 0.2
# Share of the time for the same with fewer trucks a class (one, two ...).
TIGHT_SHARE = 0.1
# Search budget, in trial budgets (DayRouter.BASE_ITERATIONS), for the days of each
# starting plan before the cheapest is chosen.
START_EFFORT = 16.0
# Travel-time units a truck costs in the day model (not in the reported objective).
TRUCK_COST = 0.0


def read_pvrpif(path: Path) -> dict:
    """A UniUD PVRP-IF instance: depot, customers, facilities and the travel matrix."""
    data = json.loads(path.read_text())
    info = data["info"]
    props = [f["properties"] for f in data["features"]]
    coords = np.array([f["geometry"]["coordinates"] for f in data["features"]], float)
    kind = [p["type"] for p in props]
    ids = [int(p["id"]) for p in props]
    if ids != list(range(len(ids))):
        raise ValueError(f"{path}: feature ids must be 0..{len(ids) - 1} in order")
    return {
        "name": path.stem,
        "horizon": int(info["planningHorizon"]),
        "vehicles": int(info["numVehicles"]),
        "capacity": float(info["maxCapacity"]),
        "max_duration": float(info["maxDuration"]),
        "depot": kind.index("depot"),
        "customers": [i for i, k in enumerate(kind) if k == "customer"],
        "facilities": [i for i, k in enumerate(kind) if k == "intermediateFacility"],
        "frequency": np.array([int(round(p["frequency"])) for p in props]),
        "demand": np.array([float(p["demand"]) for p in props]),
        "service": np.array([float(p["service"]) for p in props]),
        "lonlat": coords,
        "duration": np.asarray(data["duration"], dtype=float),
        "truck_cost": TRUCK_COST,  # travel units a truck costs in the day model (--truck-cost)
    }


def day_problem(inst: dict, day: int, customers: list[int]) -> DayProblem:
    """One day: the depot (site 0, nobody unloads), its customers, the facilities."""
    nodes = [inst["depot"], *customers, *inst["facilities"]]
    travel = inst["duration"][np.ix_(nodes, nodes)]
    truck = Vehicle(
        "truck",
        payload_kg=inst["capacity"],
        volume_m3=1e9,
        speed_kmh=60.0,  # unused: times are given
        cost_cny_per_km=COST_PER_UNIT,
        fixed_cost_cny_per_day=inst["truck_cost"] * COST_PER_UNIT,
    )
    facilities = inst["facilities"]
    return DayProblem(
        base_id=str(inst["depot"]),
        day=str(day),
        stop_ids=tuple(str(c) for c in customers),
        load_kg=inst["demand"][customers],
        load_m3=np.zeros(len(customers)),
        dwell_min=inst["service"][customers],
        distance_km=travel,
        time_min=travel,
        vehicle=truck,
        num_vehicles=inst["vehicles"],
        shift_start_min=0.0,
        shift_end_min=inst["max_duration"],
        unload_min=0.0,
        sites=tuple(str(f) for f in facilities),
        unload_at=tuple(range(1, len(facilities) + 1)),
        site_unload_min=(0.0, *inst["service"][facilities]),
    )


def initial_patterns(inst: dict) -> dict[int, tuple[int, ...]]:
    """Visit days per customer by the product's balancing rule."""
    cust = inst["customers"]
    lon, lat = inst["lonlat"][cust, 0], inst["lonlat"][cust, 1]
    # Local plane in km (fine at city scale), for the compactness term.
    xy_km = np.c_[
        (lon - lon.mean()) * 111.32 * math.cos(math.radians(float(lat.mean()))),
        (lat - lat.mean()) * 110.57,
    ]
    days = assign_days(_workload(inst), inst["frequency"][cust], xy_km, inst["horizon"])
    return dict(zip(cust, days, strict=True))


def _workload(inst: dict) -> np.ndarray:
    """A visit's workload per customer: its service plus the nearest arrival and
    departure, halved."""
    cust = inst["customers"]
    d = inst["duration"][np.ix_(cust, cust)].copy()
    np.fill_diagonal(d, np.inf)
    return inst["service"][cust] + 0.5 * (d.min(axis=0) + d.min(axis=1))


def sweep_patterns(inst: dict, offset_deg: float) -> dict[int, tuple[int, ...]]:
    """Visit days by sectors around the depot: the customers of each frequency, in order
    of their bearing from ``offset_deg`` on, are cut into as many sectors of equal
    workload as the frequency has patterns, and sector ``k`` gets pattern ``k`` (a
    classic sweep start for periodic routing; the pattern search mends the seams)."""
    cust = inst["customers"]
    lon_lat = inst["lonlat"][cust] - inst["lonlat"][inst["depot"]]
    bearing = (np.degrees(np.arctan2(lon_lat[:, 1], lon_lat[:, 0])) - offset_deg) % 360.0
    workload = _workload(inst)
    freq = inst["frequency"][cust]
    out: dict[int, tuple[int, ...]] = {}
    for f in np.unique(freq):
        options = day_patterns(int(f), inst["horizon"])
        members = np.flatnonzero(freq == f)
        members = members[np.argsort(bearing[members], kind="stable")]
        weight = workload[members]
        middle = (np.cumsum(weight) - weight / 2) / weight.sum()  # in (0, 1)
        for j, share in zip(members, middle, strict=True):
            out[cust[j]] = options[min(len(options) - 1, int(share * len(options)))]
    return out


def day_classes(inst: dict) -> tuple[int, list[tuple[int, ...]]] | None:
    """The frequency whose patterns split the horizon into classes of days, and those
    classes (2 in 4 days: days 0 and 2, days 1 and 3); ``None`` where no frequency
    between 1 and the horizon does. Where several do (2 and 3 in 6 days), the one with
    the most customers (the lower frequency among equals)."""
    horizon, freq = inst["horizon"], inst["frequency"][inst["customers"]]
    best: tuple[int, int] | None = None  # (customers, -frequency)
    for f in {int(f) for f in freq if 1 < f < horizon}:
        classes = day_patterns(f, horizon)
        if sorted(d for c in classes for d in c) == list(range(horizon)):
            best = max(best or (0, 0), (int((freq == f).sum()), -f))
    if best is None:
        return None
    return -best[1], day_patterns(-best[1], horizon)


def aggregated_patterns(
    inst: dict, params: RoutingParams, trucks_per_class: int | None = None
) -> dict[int, tuple[int, ...]] | None:
    """Visit days from one routing of every class of days at once (``None`` where the
    patterns form no classes, see :func:`day_classes`, or the routing leaves one out).

    The days of a class see the same customers of the class frequency, so their routes
    are much alike: one day problem holds a truck group per class (its trucks for the
    class's days), every customer of the class frequency, once, and a copy per class of
    every customer visited every day (each copy reachable by its class's trucks only).
    A customer served by class ``k``'s trucks takes pattern ``k``. The other customers
    (visited once, or, in 6 days, three times where the classes are of two visits) then
    join, most visits first, the pattern whose days' routes take them cheapest (fewest
    days where they fit nowhere first: the routing of those days places them).

    ``trucks_per_class`` (default: the instance's trucks a day) limits each class's
    group: with one truck a class, the routing must pack each class's days into one
    truck's hours, which a routing free to use two rarely does (Milano_030_4_9: the
    classes on one truck each route the days at 679 after a longer routing, the free
    one at 695; the customers left over may still take a second truck on a day).
    """
    found = day_classes(inst)
    if found is None:
        return None
    every, classes = found
    horizon, freq = inst["horizon"], inst["frequency"]
    stops: list[int] = []
    only: list[int] = []  # the class whose trucks may serve the stop, -1: any
    for c in inst["customers"]:
        if freq[c] == every or freq[c] >= horizon:
            for k in range(len(classes)) if freq[c] >= horizon else [-1]:
                stops.append(c)
                only.append(k)
    trucks = inst["vehicles"] if trucks_per_class is None else trucks_per_class
    problem = day_problem(inst, 0, stops)
    # (the trucks of all classes together cannot serve more than their hours)
    if float(inst["service"][stops].sum()) > len(classes) * trucks * inst["max_duration"]:
        return None
    closed = float(inst["duration"].max()) * 1e3  # far beyond any shift
    fleet = []
    for k in range(len(classes)):
        matrix = problem.distance_km.copy()
        for j, o in enumerate(only):
            if o >= 0 and o != k:
                matrix[j + 1, :] = matrix[:, j + 1] = closed
                matrix[j + 1, j + 1] = 0.0
        fleet.append(TruckGroup(problem.vehicle, trucks, distance_km=matrix, time_min=matrix))
    problem = dataclasses.replace(problem, fleet=tuple(fleet), num_vehicles=len(classes) * trucks)
    result = solve_day(problem, params)
    if result.dropped or result.status == "no_solution":
        return None
    out: dict[int, tuple[int, ...]] = {}
    routes: list[list[list[int]]] = [[] for _ in range(horizon)]
    for r, nodes in enumerate(_route_nodes(result, stops, inst)):
        days = classes[result.group_of(r)]
        for d in days:
            routes[d].append(list(nodes))
        for c in nodes:
            if freq[c] > 0 and c not in out:  # (the depot and facilities have none)
                out[c] = tuple(range(horizon)) if freq[c] >= horizon else days
    rest = [c for c in inst["customers"] if c not in out]
    for c in sorted(rest, key=lambda c: (-freq[c], -inst["demand"][c])):
        options = []
        for pattern in day_patterns(int(freq[c]), horizon):
            moves = [_insertion(inst, routes[d], c) for d in pattern]
            # (days it fits on nowhere first, then the added travel where it fits)
            nowhere = sum(not math.isfinite(m[0]) for m in moves)
            added = sum(m[0] for m in moves if math.isfinite(m[0]))
            options.append((nowhere, added, pattern, moves))
        *_, pattern, moves = min(options, key=lambda o: o[:3])
        for d, (cost, r, k, f) in zip(pattern, moves, strict=True):
            if math.isfinite(cost):  # (else left out: the day's routing places it)
                _insert(routes[d], c, r, k, f, inst)
        out[c] = pattern
    return out


def _days(patterns: dict[int, tuple[int, ...]], horizon: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(horizon)]
    for c, days in sorted(patterns.items()):
        for d in days:
            out[d].append(c)
    return out


def _routed(
    router: DayRouter, patterns: dict[int, tuple[int, ...]], horizon: int, effort: float = 1.0
) -> list[DayPlan]:
    """Every day of a pattern plan, routed by ``router`` with at least ``effort`` trial
    budgets (its best plan per day)."""
    days = _days(patterns, horizon)
    return [router(days[d], effort=effort) for d in range(horizon)]


def _route_nodes(result, customers: list[int], inst: dict) -> list[list[int]]:
    """Instance node ids along each route (depot and facilities included)."""
    fac = inst["facilities"]
    routes = []
    for route in result.routes:
        nodes = [inst["depot"]]
        for e in route[1:]:
            if e.kind == "stop":
                nodes.append(customers[e.stop_idx])
            elif e.kind == "unload":
                nodes.append(fac[e.site - 1])
            elif e.kind == "end":
                nodes.append(inst["depot"])
        routes.append(nodes)
    return routes


def _travel(inst: dict, nodes: list[int]) -> float:
    dur = inst["duration"]
    return float(sum(dur[a, b] for a, b in zip(nodes[:-1], nodes[1:], strict=True)))


def _route_minutes(inst: dict, nodes: list[int]) -> float:
    """A route's working time: travel plus service (what ``maxDuration`` bounds)."""
    return _travel(inst, nodes) + float(inst["service"][nodes].sum())


def _insertion(
    inst: dict, routes: list[list[int]], c: int, new_truck: bool = True
) -> tuple[float, int, int, int]:
    """Cheapest insertion of customer ``c`` into a day's routes, within the trip's
    capacity and the route's duration: ``(added travel, route, position, facility)``;
    ``facility`` is -1 to join a trip, else a new trip ``c -> facility`` starts at the
    position (after the depot or a facility), or (``route == len(routes)``, only with
    ``new_truck``) a truck of its own; ``inf`` where it fits nowhere."""
    dur, svc, dem = inst["duration"], inst["service"], inst["demand"]
    fac = inst["facilities"]
    ends_trip = set(fac) | {inst["depot"]}
    best = (math.inf, -1, -1, -1)
    if dem[c] > inst["capacity"] + 1e-9:
        return best
    for r, nodes in enumerate(routes):
        length = _route_minutes(inst, nodes)
        # the load of the trip each arc (k, k + 1) lies on
        trip_of_arc: list[int] = []
        totals: list[float] = []
        acc = 0.0
        for a in nodes[1:]:
            trip_of_arc.append(len(totals))
            if a in ends_trip:
                totals.append(acc)
                acc = 0.0
            else:
                acc += dem[a]
        for k in range(len(nodes) - 1):
            a, b = nodes[k], nodes[k + 1]
            if k == 0 or a in ends_trip:  # a trip of its own, starting here
                for f in fac:
                    delta = float(dur[a, c] + dur[c, f] + dur[f, b] - dur[a, b])
                    busy = length + delta + svc[c] + svc[f]
                    if delta < best[0] and busy <= inst["max_duration"] + 1e-9:
                        best = (delta, r, k + 1, f)
            if k == len(nodes) - 2 or totals[trip_of_arc[k]] + dem[c] > inst["capacity"] + 1e-9:
                continue  # (the last arc, facility to depot, carries nothing)
            delta = float(dur[a, c] + dur[c, b] - dur[a, b])
            if length + delta + svc[c] > inst["max_duration"] + 1e-9 or delta >= best[0]:
                continue
            best = (delta, r, k + 1, -1)
    if new_truck and len(routes) < inst["vehicles"]:  # a truck of its own
        home = inst["depot"]
        f = min(fac, key=lambda f: dur[c, f] + dur[f, home])
        alone = float(dur[home, c] + dur[c, f] + dur[f, home])
        if alone < best[0] and alone + svc[c] + svc[f] <= inst["max_duration"] + 1e-9:
            best = (alone, len(routes), 1, f)
    return best


def _insert(routes: list[list[int]], c: int, r: int, k: int, f: int, inst: dict) -> None:
    """Apply an insertion found by :func:`_insertion`."""
    if r == len(routes):
        routes.append([inst["depot"], c, f, inst["depot"]])
    elif f >= 0:
        routes[r][k:k] = [c, f]
    else:
        routes[r].insert(k, c)


def _remove(routes: list[list[int]], c: int, inst: dict) -> None:
    """Take customer ``c`` out; a route left with no customer is dropped."""
    customers = set(inst["customers"])
    for r, nodes in enumerate(routes):
        if c in nodes:
            nodes.remove(c)
            if not customers.intersection(nodes):
                del routes[r]
                return
            # A trip left empty: drop its facility visit.
            fac = set(inst["facilities"])
            for k in range(len(nodes) - 2, 0, -1):
                if nodes[k] in fac and (k == 1 or nodes[k - 1] in fac):
                    del nodes[k]
            return


def _orders(inst: dict, customers: list[int], routes: list[list[int]]) -> tuple:
    """Routes as a DayProblem's starting plan (stop indices, unload codes)."""
    index = {c: i for i, c in enumerate(customers)}
    fac = {f: k + 1 for k, f in enumerate(inst["facilities"])}
    return tuple(
        tuple(index[a] if a in index else unload_code(fac[a]) for a in nodes[1:-1])
        for nodes in routes
        if len(nodes) > 2
    )


@dataclasses.dataclass
class DayPlan:
    """A day's customers routed by the product's daily model."""

    cost: float  # travel time (service excluded) plus the penalty for dropped customers
    routes: list[list[int]]  # instance node ids, depot to depot
    result: DayResult
    spent: int = 0  # iterations of search spent on this set so far
    runs: int = 0
    checked: bool = False  # routed by the second engine (see DayRouter.check_engine)


class DayRouter:
    """Routes a day's customers with :func:`recyclenet.routing.solve_day`, keeping the
    best plan found per set of customers.

    Every day of an instance has the same depot, fleet and rules, so a routed set serves
    any day it falls on. ``router(customers, effort)`` makes sure the set has had at
    least ``effort`` times :attr:`BASE_ITERATIONS` iterations of PyVRP's search (so that
    results do not depend on how busy the machine is), routing it again with a new seed
    from the best plan so far when not, and returns the best plan.
    """

    BASE_ITERATIONS = 60
    CHECK_S = 0.1

    def __init__(
        self,
        inst: dict,
        params: RoutingParams,
        deadline: float,
        check_engine: str | None = None,
    ) -> None:
        self.inst = inst
        self.params = params
        self.deadline = deadline  # time.perf_counter() at which every search stops
        self.check_engine = check_engine
        self.cache: dict[frozenset[int], DayPlan] = {}
        self.calls = 0
        self.checks = 0
        # A customer left out (a day with more than its trucks can do) weighs more than
        # any detour to serve it, so the search leaves such days first.
        self.drop_penalty = 10 * 2 * float(inst["duration"].max())

    def _search(
        self,
        key: frozenset[int],
        start: list[list[int]] | None,
        iterations: int | None,
        limit_s: float | None = None,
        engine: str | None = None,
    ) -> DayPlan:
        """Route the set once more from ``start`` (a new seed per run; ``engine``
        overrides the parameters' engine), keep the better of it and the best plan so
        far, and return that."""
        known = self.cache.get(key)
        spent, runs = (0, 0) if known is None else (known.spent, known.runs)
        self.calls += 1
        left = max(0.01, self.deadline - time.perf_counter())
        params = dataclasses.replace(
            self.params,
            seed=self.params.seed + runs,
            max_iterations=iterations,
            time_limit_s=left if limit_s is None else min(left, limit_s),
            engine=engine or self.params.engine,
        )
        customers = sorted(key)
        problem = day_problem(self.inst, 0, customers)
        if start:
            problem = dataclasses.replace(
                problem, initial_routes=_orders(self.inst, customers, start)
            )
        result = solve_day(problem, params)
        routes = _route_nodes(result, customers, self.inst)
        cost = sum(_travel(self.inst, n) for n in routes)
        cost += self.drop_penalty * len(result.dropped)
        plan = DayPlan(cost, routes, result)
        best = plan if known is None or plan.cost < known.cost - 1e-9 else known
        best.spent, best.runs = spent + (iterations or 0), runs + 1
        best.checked = known is not None and known.checked
        self.cache[key] = best
        return best

    def __call__(
        self, customers, effort: float = 1.0, start: list[list[int]] | None = None
    ) -> DayPlan:
        """The best plan for the set after at least ``effort`` base budgets; a first
        routing starts from ``start`` (routes over these customers, some may be missing),
        a further one from the best plan so far."""
        key = frozenset(customers)
        target = int(effort * self.BASE_ITERATIONS)
        known = self.cache.get(key)
        if known is None or known.spent < target:
            spent = 0 if known is None else known.spent
            start = start if known is None else known.routes
            known = self._search(key, start, max(target - spent, self.BASE_ITERATIONS))
        if effort > 1 and self.check_engine and not known.checked and self._loose(known):
            known = self._search(key, known.routes, None, self.CHECK_S, self.check_engine)
            known.checked = True
            self.checks += 1
        return known

    def _loose(self, plan: DayPlan) -> bool:
        """Whether the plan's trucks might do the day with one truck fewer: their hours
        together (travel and service) within a tenth over what one truck fewer works."""
        k = len(plan.routes)
        busy = sum(_route_minutes(self.inst, n) for n in plan.routes)
        return k >= 2 and busy <= 1.1 * (k - 1) * self.inst["max_duration"]

    def polish(self, customers, limit_s: float, engine: str | None = None) -> DayPlan:
        """Route the set again from its best plan for ``limit_s`` seconds (no iteration
        limit; ``engine``: another engine than the search's) and return the better plan."""
        known = self(customers)
        return self._search(frozenset(customers), known.routes, None, limit_s, engine)


def _moved_routes(
    inst: dict,
    plans: list[DayPlan],
    current: dict[int, tuple[int, ...]],
    trial: dict[int, tuple[int, ...]],
    picked: list[int],
) -> list[list[list[int]]]:
    """The current routes with the ``picked`` customers taken off the days they leave
    and inserted, cheapest, on the days they join (left out where they fit nowhere: the
    router then places them)."""
    routes = [[list(nodes) for nodes in p.routes] for p in plans]
    for c in picked:
        for d in set(current[c]) - set(trial[c]):
            _remove(routes[d], c, inst)
    for c in picked:
        for d in set(trial[c]) - set(current[c]):
            cost, r, k, f = _insertion(inst, routes[d], c)
            if math.isfinite(cost):
                _insert(routes[d], c, r, k, f, inst)
    return routes


def _recreate(
    inst: dict,
    trial: dict[int, tuple[int, ...]],
    plans: list[DayPlan],
    rng: np.random.Generator,
    largest: int,
) -> tuple[list[int], list[list[list[int]]]] | None:
    """Ruin and recreate: a few customers (at random, or one and its nearest neighbours)
    off all their days, put back by :func:`_reinsert`. Changes ``trial``; returns the
    customers moved and the routes with them inserted (``None``: one fits nowhere)."""
    dur, cust = inst["duration"], list(inst["customers"])
    size = int(rng.integers(1, largest + 1))
    if rng.random() < 0.5:  # random customers
        picked = [cust[i] for i in rng.choice(len(cust), size=size, replace=False)]
    else:  # one customer and its nearest neighbours
        seed_c = cust[int(rng.integers(len(cust)))]
        picked = sorted(cust, key=lambda c: dur[seed_c, c] + dur[c, seed_c])[:size]
    return _reinsert(inst, trial, plans, rng, picked)


def _empty_truck(
    inst: dict,
    trial: dict[int, tuple[int, ...]],
    plans: list[DayPlan],
    rng: np.random.Generator,
) -> tuple[list[int], list[list[list[int]]]] | None:
    """Ruin a truck: on a random day with several trucks, the customers of the truck
    that works least (travel and service) off all their days, put back by
    :func:`_reinsert` with no new truck on that day, so that the day loses one. A day's
    truck count is a cliff the one- and two-customer moves rarely cross: each of them
    leaves the day over what one truck fewer can work, and only the last saves (on
    Milano_040_4_3 the optimum drives one truck a day, 4 truck-days; the search stopped
    at 5). Changes ``trial``; ``None`` where no day has two trucks or a customer fits
    nowhere."""
    busy = [d for d, p in enumerate(plans) if len(p.routes) >= 2]
    if not busy:
        return None
    d = busy[int(rng.integers(len(busy)))]
    customers = set(inst["customers"])
    lightest = min(plans[d].routes, key=lambda nodes: _route_minutes(inst, nodes))
    picked = [a for a in lightest if a in customers]
    return _reinsert(inst, trial, plans, rng, picked, closed_day=d)


def _reinsert(
    inst: dict,
    trial: dict[int, tuple[int, ...]],
    plans: list[DayPlan],
    rng: np.random.Generator,
    picked: list[int],
    closed_day: int | None = None,
) -> tuple[list[int], list[list[list[int]]]] | None:
    """The ``picked`` customers off all their days, each put back, in random order, on
    the pattern whose days' routes take it cheapest (insertion estimates, randomised by
    5 %; no new truck on ``closed_day``). Changes ``trial``; returns the customers and
    the routes with them inserted (``None``: one fits nowhere)."""
    horizon = inst["horizon"]
    trial_routes = [[list(nodes) for nodes in p.routes] for p in plans]
    for c in picked:
        for d in trial[c]:
            _remove(trial_routes[d], c, inst)
    for c in rng.permutation(picked):
        best = None
        for option in day_patterns(int(inst["frequency"][c]), horizon):
            places = {
                d: _insertion(inst, trial_routes[d], int(c), new_truck=d != closed_day)
                for d in option
            }
            cost = sum(p[0] for p in places.values()) * rng.uniform(0.95, 1.05)
            if best is None or cost < best[0]:
                best = (cost, option, places)
        if best is None or not math.isfinite(best[0]):
            return None
        for d, (_, r, k, f) in best[2].items():
            _insert(trial_routes[d], int(c), r, k, f, inst)
        trial[int(c)] = best[1]
    return picked, trial_routes


def pattern_search(
    inst: dict,
    patterns: dict[int, tuple[int, ...]],
    router: DayRouter,
    rng: np.random.Generator,
    until: float,
    cycles: int = 1,
    starts: tuple[dict[int, tuple[int, ...]], ...] = (),
    temperature_share: float = START_TEMPERATURE_SHARE,
    empty_share: float = EMPTY_TRUCK_SHARE,
) -> dict[str, int]:
    """Simulated annealing over visit patterns, each trial's days routed by the daily model.

    A trial moves one customer to another of its patterns, swaps the patterns of two
    customers of one frequency, ruins and recreates a few (:func:`_recreate`), or, in
    ``empty_share`` of the trials (a fifth), ruins a day's least busy truck
    (:func:`_empty_truck`). The moved customers are taken off the current routes and
    inserted, cheapest, on their new days: those routes are a feasible plan, so their travel
    bounds what the trial costs, and a trial whose bound lies more than 3 % (plus three
    temperatures) above the current days is dropped unrouted. The others have their changed
    days routed by ``router``, starting from those routes (a short search); a trial that
    looks no worse than one temperature gets four times the search on both its days and the
    current ones before the decision. A worse plan is accepted with probability
    ``exp(-increase / T)``, T falling linearly from ``temperature_share`` (0.5 %) of the
    travel to 0 at ``until`` (``time.perf_counter``). ``patterns`` ends as the best plan
    seen; returns counts of trials, routed trials and accepted ones. With ``cycles`` above 1
    the time is cut into that many annealings, each starting hot again from the best plan.
    Other ``starts`` (plans to start from besides ``patterns``) take the first half of the
    time, an annealing from each start in turn (``patterns`` first); the annealings from the
    best plan then share the second half.
    """
    horizon = inst["horizon"]
    cust = list(inst["customers"])
    plans = _routed(router, patterns, horizon)
    total = sum(p.cost for p in plans)
    best_total, best_patterns = total, dict(patterns)
    current = dict(patterns)
    begin = time.perf_counter()
    span = max(until - begin, 1e-9)
    travel = total - router.drop_penalty * sum(len(p.result.dropped) for p in plans)
    temp0 = temperature_share * travel
    stats = {"trials": 0, "routed": 0, "accepted": 0}
    largest = max(2, len(cust) // 8)
    # The annealings: the plan each starts from (None: the best so far) and when it ends,
    # as a share of the time.
    legs: list[dict[int, tuple[int, ...]] | None] = [*starts, *[None] * cycles]
    explore, head = (len(starts) + 1, 0.5) if starts else (0, 0.0)
    ends = [head * (k + 1) / explore for k in range(explore)]
    ends += [head + (1 - head) * (k + 1) / cycles for k in range(cycles)]
    leg = 0
    while (now := time.perf_counter()) < until:
        stats["trials"] += 1
        trial = dict(current)
        move = rng.random()
        if move < 0.35:  # one customer to another of its patterns
            c = cust[int(rng.integers(len(cust)))]
            options = [o for o in day_patterns(int(inst["frequency"][c]), horizon) if o != trial[c]]
            if not options:
                continue
            trial[c] = options[int(rng.integers(len(options)))]
            picked = [c]
        elif move < 0.7:  # two customers of one frequency swap patterns
            c = cust[int(rng.integers(len(cust)))]
            mates = [
                e
                for e in cust
                if inst["frequency"][e] == inst["frequency"][c] and trial[e] != trial[c]
            ]
            if not mates:
                continue
            e = mates[int(rng.integers(len(mates)))]
            trial[c], trial[e] = trial[e], trial[c]
            picked = [c, e]
        else:
            if move < 0.7 + empty_share:
                moved = _empty_truck(inst, trial, plans, rng)
            else:
                moved = _recreate(inst, trial, plans, rng, largest)
            if moved is None:
                continue
            picked, routes = moved
        if trial == current:
            continue
        if move < 0.7:
            routes = _moved_routes(inst, plans, current, trial, picked)
        touched = sorted({d for c in picked for d in (*current[c], *trial[c])})
        elapsed = (now - begin) / span
        if elapsed >= ends[leg]:  # the next annealing starts hot again
            leg = next(k for k, end in enumerate(ends) if elapsed < end)
            start = legs[leg - 1]
            current = dict(best_patterns if start is None else start)
            plans = _routed(router, current, horizon)
            total = sum(p.cost for p in plans)
            if total < best_total - 1e-9:
                best_total, best_patterns = total, dict(current)
            continue
        begun = ends[leg - 1] if leg else 0.0
        temp = temp0 * (1.0 - (elapsed - begun) / (ends[leg] - begun))
        bound = sum(_travel(inst, nodes) for d in touched for nodes in routes[d])
        before = sum(plans[d].cost for d in touched)
        # Routing rarely saves more than a few per cent on insertion: beyond that the
        # trial is not worth routing.
        if bound - before > 0.03 * before + 3 * temp:
            continue
        stats["routed"] += 1
        trial_days = _days(trial, horizon)
        new = {d: router(trial_days[d], start=routes[d]) for d in touched}
        rise = sum(p.cost for p in new.values()) - before
        if not math.isfinite(rise):
            continue
        if rise < temp:  # worth a closer look at both sides before deciding
            days_now = _days(current, horizon)
            for d in touched:
                plans[d] = router(days_now[d], effort=4.0)
                new[d] = router(trial_days[d], effort=4.0)
            before = sum(plans[d].cost for d in touched)
            rise = sum(p.cost for p in new.values()) - before
            total = sum(p.cost for p in plans)
            best_total = min(best_total, total) if current == best_patterns else best_total
        if rise < -1e-9 or (temp > 0 and rng.random() < math.exp(-rise / temp)):
            stats["accepted"] += 1
            current = trial
            for d, p in new.items():
                plans[d] = p
            total += rise
            if total < best_total - 1e-9:
                best_total, best_patterns = total, dict(current)
    patterns.clear()
    patterns.update(best_patterns)
    return stats


def verify(inst: dict, day_routes: list[list[list[int]]]) -> list[str]:
    """The instance's own rules on plain node lists, independent of the routing model:
    depot to depot, a facility right before the depot, trip loads within capacity,
    travel plus service within the duration limit, at most ``numVehicles`` routes a
    day, and every customer on exactly the days of one of its patterns."""
    issues = []
    dem = inst["demand"]
    fac, home = set(inst["facilities"]), inst["depot"]
    seen: dict[int, list[int]] = {c: [] for c in inst["customers"]}
    for d, routes in enumerate(day_routes):
        if len(routes) > inst["vehicles"]:
            issues.append(f"day {d}: {len(routes)} routes")
        for nodes in routes:
            if nodes[0] != home or nodes[-1] != home or nodes[-2] not in fac:
                issues.append(f"day {d}: route {nodes} does not end facility -> depot")
            load = 0.0
            for a in nodes[1:-1]:
                if a in fac:
                    load = 0.0
                    continue
                load += dem[a]
                seen[a].append(d)
                if load > inst["capacity"] + 1e-9:
                    issues.append(f"day {d}: trip over capacity at {a}")
            length = _route_minutes(inst, nodes)
            if length > inst["max_duration"] + 1e-9:
                issues.append(f"day {d}: route lasts {length} > {inst['max_duration']}")
    for c, days in seen.items():
        options = day_patterns(int(inst["frequency"][c]), inst["horizon"])
        if tuple(days) not in options:
            issues.append(f"customer {c} visited on days {days}, not one of {options}")
    return issues


def _search_once(
    inst: dict, args: argparse.Namespace, seed: int, t0: float, worker: int = 0
) -> tuple[dict[str, float], list[DayPlan], int]:
    """One search (pattern annealing, then the best plan's days routed again) with its
    own seed, until ``t0 + args.time_limit_s``: its counts, its days and the number of
    second-engine checks. With ``args.mixed_starts``, an odd ``worker`` anneals from
    the balanced days, without routing the aggregated ones."""
    horizon = inst["horizon"]
    deadline = t0 + args.time_limit_s
    params = RoutingParams(time_limit_s=args.time_limit_s, seed=seed)
    check = None if args.check_engine == "none" else args.check_engine
    router = DayRouter(inst, params, deadline, check)
    patterns = initial_patterns(inst)

    def start_cost(start: dict[int, tuple[int, ...]]) -> float:
        # (a day packed into one truck fewer needs more than the trial's search to be
        # found: compared at the trial's budget, the packed start looks the worse one)
        return sum(p.cost for p in _routed(router, start, horizon, args.start_effort))

    starts_cost = {"balanced": start_cost(patterns)}
    # (an odd worker of mixed starts keeps the balanced days and the time)
    if args.aggregate_share > 0 and not (args.mixed_starts and worker % 2 == 1):
        # Each class's group limited to one truck, then to two ... (together
        # --tight-share of the time), then to the instance's trucks (--aggregate-share).
        tight = range(1, inst["vehicles"]) if args.tight_share > 0 else range(0)
        for trucks in [*tight, inst["vehicles"]]:
            if trucks < inst["vehicles"]:
                # (a tight try PyVRP cannot serve is not worth OR-Tools' time after it)
                share, engine = args.tight_share / len(tight), "pyvrp"
            else:
                share, engine = args.aggregate_share, params.engine
            limit = dataclasses.replace(
                params, time_limit_s=share * args.time_limit_s, engine=engine
            )
            joint = aggregated_patterns(inst, limit, trucks)
            if joint is None:
                continue
            starts_cost[f"aggregated_{trucks}"] = cost = start_cost(joint)
            if cost < min(starts_cost.values()) + 1e-9:
                patterns = joint
    # Nine tenths of the budget for the pattern search, the rest to route the best
    # plan's days again for longer.
    rng = np.random.default_rng(seed)
    starts = tuple(
        sweep_patterns(inst, 360.0 * k / args.sweep_starts) for k in range(args.sweep_starts)
    )
    stats: dict[str, float] = dict(
        pattern_search(
            inst,
            patterns,
            router,
            rng,
            t0 + 0.9 * args.time_limit_s,
            cycles=args.annealing_cycles,
            starts=starts,
            temperature_share=args.start_temperature,
            empty_share=args.empty_truck_share,
        )
    )
    on_day = _days(patterns, horizon)
    for d in range(horizon):
        left = deadline - time.perf_counter()
        router.polish(on_day[d], max(0.05, left / (horizon - d)), args.polish_engine)
    stats["day_routings"] = router.calls
    stats.update({f"start_{k}": round(v, 2) for k, v in starts_cost.items()})
    return stats, _routed(router, patterns, horizon), router.checks


def main_pvrpif(argv: list[str]) -> None:
    """``pvrpif``: UniUD periodic VRP with intermediate facilities."""
    parser = contract_parser("pvrpif", 60.0)
    parser.add_argument(
        "--annealing-cycles",
        type=int,
        default=None,
        help="cut the pattern search into this many annealings, each from the best plan "
        f"(default: {SMALL_CYCLES} for at most {SMALL_CUSTOMERS} customers, else 1)",
    )
    parser.add_argument(
        "--start-temperature",
        type=float,
        default=None,
        help="the annealing's first temperature as a share of the first plan's travel "
        f"(default: {SMALL_TEMPERATURE_SHARE} for at most {SMALL_CUSTOMERS} customers, "
        f"else {START_TEMPERATURE_SHARE})",
    )
    parser.add_argument(
        "--polish-engine",
        choices=["pyvrp", "ortools"],
        default="pyvrp",
        help="engine that routes the best plan's days again in the last tenth of the time",
    )
    parser.add_argument(
        "--sweep-starts",
        type=int,
        default=0,
        help="besides the balanced plan, anneal first from this many sweep plans (sectors "
        "around the depot, bearings 360/N apart), then from the best",
    )
    parser.add_argument(
        "--check-engine",
        choices=["ortools", "none"],
        default="none",
        help="engine that routes again, for a tenth of a second, each day about to decide "
        "a trial whose trucks might do it with one truck fewer",
    )
    parser.add_argument(
        "--aggregate-share",
        type=float,
        default=AGGREGATE_SHARE,
        help="share of the time for one routing of each class of days at once (days 0 "
        "and 2, 1 and 3), whose visit days the pattern search starts from where they "
        "route cheaper than the balanced ones; 0: off",
    )
    parser.add_argument(
        "--tight-share",
        type=float,
        default=TIGHT_SHARE,
        help="share of the time for routing all classes of days at once with one truck a "
        "class, two ... (fewer than the instance's trucks), before the routing with the "
        "instance's trucks (--aggregate-share); 0: off",
    )
    parser.add_argument(
        "--start-effort",
        type=float,
        default=START_EFFORT,
        help="search budget, in trial budgets, with which the starting plans' days are "
        "routed before the cheapest is chosen",
    )
    parser.add_argument(
        "--mixed-starts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with several workers, every second one anneals from the balanced days, "
        "without routing the classes of days at once (--no-mixed-starts: every worker "
        "starts from the cheaper of the two)",
    )
    parser.add_argument(
        "--empty-truck-share",
        type=float,
        default=EMPTY_TRUCK_SHARE,
        help="share of the annealing's trials that take the customers of a day's least "
        "busy truck off all their days and put them back with no new truck on that day",
    )
    parser.add_argument(
        "--truck-cost",
        type=float,
        default=TRUCK_COST,
        help="travel-time units each truck costs inside the day model (the reported "
        "objective stays the travel alone): steers a day's search towards fewer trucks",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="independent searches run side by side in as many processes (seeds SEED, "
        "SEED + 1, ...), the cheapest plan kept; each uses one core",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.annealing_cycles is not None and args.annealing_cycles < 1:
        parser.error(f"--annealing-cycles must be at least 1, got {args.annealing_cycles}")
    if args.start_temperature is not None and args.start_temperature < 0:
        parser.error(f"--start-temperature must be at least 0, got {args.start_temperature}")
    if args.truck_cost < 0:
        parser.error(f"--truck-cost must be at least 0, got {args.truck_cost}")
    t0 = time.perf_counter()
    inst = read_pvrpif(args.instance)
    inst["truck_cost"] = args.truck_cost
    horizon = inst["horizon"]
    small = len(inst["customers"]) <= SMALL_CUSTOMERS
    if args.annealing_cycles is None:
        args.annealing_cycles = SMALL_CYCLES if small else 1
    if args.start_temperature is None:
        args.start_temperature = SMALL_TEMPERATURE_SHARE if small else START_TEMPERATURE_SHARE
    seeds = [args.seed + k for k in range(args.workers)]
    if args.workers == 1:
        runs = [_search_once(inst, args, seeds[0], t0)]
    else:
        # fork: the workers inherit the instance and the imported engines; the clock
        # (time.perf_counter, CLOCK_MONOTONIC) is shared, so every worker stops on time.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(args.workers, mp_context=context) as pool:
            futures = [pool.submit(_search_once, inst, args, s, t0, k) for k, s in enumerate(seeds)]
            runs = [f.result() for f in futures]
    totals = [sum(p.cost for p in run[1]) for run in runs]  # travel plus drop penalties
    stats, plans, checks = runs[int(np.argmin(totals))]
    runtime = time.perf_counter() - t0

    results = [p.result for p in plans]
    issues = [m for r in results for m in check_day(r)]
    rules = verify(inst, [p.routes for p in plans])
    dropped = sum(len(r.dropped) for r in results)
    per_day = [r.num_trucks for r in results]
    cost = sum(_travel(inst, nodes) for p in plans for nodes in p.routes)
    # (the instance's rules cover the patterns and the vehicles per day)
    feasible = not issues and not rules and not dropped
    bks = known_best("pvrpif_uniud", inst["name"])[1]
    out = {
        "instance": inst["name"],
        "problem": "pvrpif",
        "status": "feasible" if feasible else "infeasible",
        "objective": round(cost, 2),
        "bound": None,
        "runtime_s": round(runtime, 2),
        "vehicles": max(per_day),
        "vehicles_per_day": per_day,
        "distance": round(cost, 2),
        "bks": bks,
        "gap_pct": round(100 * (cost - bks) / bks, 3) if bks else None,
        "customers": len(inst["customers"]),
        "horizon_days": horizon,
        "trials": stats["trials"],
        "trials_routed": stats["routed"],
        "trials_accepted": stats["accepted"],
        "day_routings": stats["day_routings"],
        "day_checks": checks,
        **{k: v for k, v in stats.items() if k.startswith("start_")},
        "dropped": dropped,
        "check_issues": len(issues),
        "instance_rule_issues": rules[:5],
        "seed": args.seed,
        "time_limit_s": args.time_limit_s,
        "annealing_cycles": args.annealing_cycles,
        "start_temperature": args.start_temperature,
        "check_engine": args.check_engine,
        "sweep_starts": args.sweep_starts,
        "workers": args.workers,
        "mixed_starts": args.mixed_starts,
        "aggregate_share": args.aggregate_share,
        "tight_share": args.tight_share,
        "start_effort": args.start_effort,
        "empty_truck_share": args.empty_truck_share,
        "truck_cost": args.truck_cost,
        "worker_objectives": [round(total, 2) for total in totals],
    }
    print(json.dumps(out))
