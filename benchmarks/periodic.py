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
unload sites) solved by :func:`~recyclenet.routing.solve_day` and re-checked by
:func:`~recyclenet.routing.check_day`. Then pattern moves: a customer whose removal from
its days saves more travel than inserting it into another pattern's days costs (cheapest
insertion into that day's routes, within capacity and duration, as a new trip through a
facility where that is cheaper) changes pattern; then ruin and recreate of patterns
(a few customers off all their days, each back on its cheapest pattern, the touched days
tidied by relocating customers, reversing stretches of trips and choosing each trip's
facility) under simulated annealing, keeping the best plan seen; the changed days are
then routed again by the daily model, starting from the moved routes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

from benchmarks import contract_parser
from benchmarks.routing import bks as known_best
from recyclenet.routing import DayProblem, RoutingParams, Vehicle, check_day, solve_day
from recyclenet.routing.schedule import assign_days, day_patterns
from recyclenet.routing.timing import unload_code

# Travel-time units are weighed far above the model's 1 fen/s time-span tie-breaker.
COST_PER_UNIT = 100.0


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
        fixed_cost_cny_per_day=0.0,
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
    d = inst["duration"][np.ix_(cust, cust)].copy()
    np.fill_diagonal(d, np.inf)
    # A visit's workload: its service plus the nearest arrival and departure, halved.
    workload = inst["service"][cust] + 0.5 * (d.min(axis=0) + d.min(axis=1))
    days = assign_days(workload, inst["frequency"][cust], xy_km, inst["horizon"])
    return dict(zip(cust, days, strict=True))


def _days(patterns: dict[int, tuple[int, ...]], horizon: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(horizon)]
    for c, days in sorted(patterns.items()):
        for d in days:
            out[d].append(c)
    return out


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


def _insertion(inst: dict, routes: list[list[int]], c: int) -> tuple[float, int, int, int]:
    """Cheapest insertion of customer ``c`` into a day's routes, within the trip's
    capacity and the route's duration: ``(added travel, route, position, facility)``;
    ``facility`` is -1 to join a trip, else a new trip ``c -> facility`` starts at the
    position (after the depot or a facility), or (``route == len(routes)``) a truck
    of its own; ``inf`` where it fits nowhere."""
    dur, svc, dem = inst["duration"], inst["service"], inst["demand"]
    fac = inst["facilities"]
    ends_trip = set(fac) | {inst["depot"]}
    best = (math.inf, -1, -1, -1)
    if dem[c] > inst["capacity"] + 1e-9:
        return best
    for r, nodes in enumerate(routes):
        length = _travel(inst, nodes) + float(svc[nodes].sum())
        # the load of the trip each arc (k, k + 1) lies on
        trip_of_arc, totals, acc = [], [], 0.0
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
    if len(routes) < inst["vehicles"]:  # a truck of its own
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


def _best_facilities(inst: dict, nodes: list[int]) -> None:
    """Each trip empties at the facility that adds least travel (within the route's
    duration), in place."""
    dur, svc = inst["duration"], inst["service"]
    fac = inst["facilities"]
    slack = inst["max_duration"] - _travel(inst, nodes) - float(svc[nodes].sum())
    for k in range(1, len(nodes) - 1):
        if nodes[k] not in fac:
            continue
        a, b, now = nodes[k - 1], nodes[k + 1], nodes[k]
        busy_now = dur[a, now] + dur[now, b] + svc[now]
        best_f, best_t = now, dur[a, now] + dur[now, b]
        for f in fac:
            t = dur[a, f] + dur[f, b]
            if t < best_t - 1e-9 and t + svc[f] - busy_now <= slack + 1e-9:
                best_f, best_t = f, t
        slack -= best_t + svc[best_f] - busy_now
        nodes[k] = best_f


def _removal_gain(inst: dict, routes: list[list[int]], c: int) -> float:
    """Travel saved by taking customer ``c`` out of a day's routes."""
    dur = inst["duration"]
    for nodes in routes:
        if c in nodes:
            k = nodes.index(c)
            a, b = nodes[k - 1], nodes[k + 1]
            return float(dur[a, c] + dur[c, b] - dur[a, b])
    return 0.0


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


def pattern_moves(
    inst: dict, patterns: dict[int, tuple[int, ...]], routes: list[list[list[int]]]
) -> set[int]:
    """Best-improvement pattern changes on the current routes until none saves travel.

    A move takes a customer off the days it leaves (its neighbours joined up) and inserts
    it, cheapest, on the days it joins. ``patterns`` and ``routes`` are changed in place;
    returns the days whose routes changed.
    """
    horizon = inst["horizon"]
    changed: set[int] = set()
    while True:
        best = None
        for c in inst["customers"]:
            current = patterns[c]
            for option in day_patterns(int(inst["frequency"][c]), horizon):
                if option == current:
                    continue
                delta, where = 0.0, {}
                for d in set(current) - set(option):
                    delta -= _removal_gain(inst, routes[d], c)
                for d in set(option) - set(current):
                    cost, r, k, f = _insertion(inst, routes[d], c)
                    delta += cost
                    where[d] = (r, k, f)
                if delta < -1e-9 and (best is None or delta < best[0]):
                    best = (delta, c, option, where)
        if best is None:
            return changed
        _, c, option, where = best
        for d in set(patterns[c]) - set(option):
            _remove(routes[d], c, inst)
            changed.add(d)
        for d, (r, k, f) in where.items():
            _insert(routes[d], c, r, k, f, inst)
            changed.add(d)
        patterns[c] = option


def _relocate_day(inst: dict, routes: list[list[int]]) -> None:
    """Move single customers to their cheapest place on the day (any trip or route,
    within capacity and duration) while that shortens the day, in place."""
    customers = set(inst["customers"])
    better = True
    while better:
        better = False
        for c in [a for nodes in routes for a in nodes if a in customers]:
            gain = _removal_gain(inst, routes, c)
            trial = [list(nodes) for nodes in routes]
            _remove(trial, c, inst)
            cost, r, k, f = _insertion(inst, trial, c)
            if cost < gain - 1e-9:
                _insert(trial, c, r, k, f, inst)
                routes[:] = trial
                better = True


def _two_opt_trips(inst: dict, nodes: list[int]) -> None:
    """Reverse stretches of a trip while that shortens it (asymmetric travel: each
    reversal is re-summed), in place; loads and service do not change."""
    ends = set(inst["facilities"]) | {inst["depot"]}
    cuts = [k for k, a in enumerate(nodes) if a in ends]
    for lo, hi in itertools.pairwise(cuts):
        better = True
        while better:
            better = False
            for i in range(lo + 1, hi - 1):
                for k in range(i + 1, hi):
                    seg = nodes[i - 1 : k + 2]
                    flipped = [seg[0], *seg[-2:0:-1], seg[-1]]
                    if _travel(inst, flipped) < _travel(inst, seg) - 1e-9:
                        nodes[i : k + 1] = flipped[1:-1]
                        better = True


def ruin_and_recreate(
    inst: dict,
    patterns: dict[int, tuple[int, ...]],
    routes: list[list[list[int]]],
    rng: np.random.Generator,
    until: float,
) -> set[int]:
    """Remove a few customers from all their days and re-insert each, in random order,
    on its cheapest pattern, then tidy the touched trips; simulated annealing on the
    horizon's travel (a worse plan is kept with probability ``exp(-increase / T)``, T
    falling linearly from 0.5 % of the travel to 0 at ``until``, ``time.perf_counter``).
    ``patterns`` and ``routes`` end as the best plan seen; returns the days it changed."""
    horizon = inst["horizon"]
    dur = inst["duration"]
    cust = list(inst["customers"])
    size = max(2, len(cust) // 8)
    total = sum(_travel(inst, nodes) for day in routes for nodes in day)
    best_total, best_patterns = total, dict(patterns)
    best_routes = [[list(nodes) for nodes in day] for day in routes]
    current, cur_routes = dict(patterns), [[list(nodes) for nodes in day] for day in routes]
    begin = time.perf_counter()
    span = max(until - begin, 1e-9)
    temp0 = 0.005 * total
    while (now := time.perf_counter()) < until:
        trial_routes = [[list(nodes) for nodes in day] for day in cur_routes]
        trial = dict(current)
        if rng.random() < 0.5:  # random customers
            picked = [cust[i] for i in rng.choice(len(cust), size=size, replace=False)]
        else:  # one customer and its nearest neighbours
            seed_c = cust[int(rng.integers(len(cust)))]
            near = sorted(cust, key=lambda c: dur[seed_c, c] + dur[c, seed_c])
            picked = near[:size]
        for c in picked:
            for d in trial[c]:
                _remove(trial_routes[d], c, inst)
        ok = True
        for c in picked:
            best = None
            for option in day_patterns(int(inst["frequency"][c]), horizon):
                places = {d: _insertion(inst, trial_routes[d], c) for d in option}
                cost = sum(p[0] for p in places.values())
                if best is None or cost < best[0]:
                    best = (cost, option, places)
            if best is None or not math.isfinite(best[0]):
                ok = False
                break
            for d, (_, r, k, f) in best[2].items():
                _insert(trial_routes[d], c, r, k, f, inst)
            trial[c] = best[1]
        if not ok:
            continue
        for d in {d for c in picked for d in (*current[c], *trial[c])}:
            _relocate_day(inst, trial_routes[d])
            for nodes in trial_routes[d]:
                _two_opt_trips(inst, nodes)
                _best_facilities(inst, nodes)
        new_total = sum(_travel(inst, nodes) for day in trial_routes for nodes in day)
        temp = temp0 * (1.0 - (now - begin) / span)
        rise = new_total - total
        if rise < -1e-9 or (temp > 0 and rng.random() < math.exp(-rise / temp)):
            total, current, cur_routes = new_total, trial, trial_routes
            if total < best_total - 1e-9:
                best_total, best_patterns = total, dict(current)
                best_routes = [[list(nodes) for nodes in day] for day in cur_routes]
    changed = {d for d in range(horizon) if best_routes[d] != routes[d]}
    patterns.clear()
    patterns.update(best_patterns)
    routes[:] = best_routes
    return changed


def _orders(inst: dict, customers: list[int], routes: list[list[int]]) -> tuple:
    """Routes as a DayProblem's starting plan (stop indices, unload codes)."""
    index = {c: i for i, c in enumerate(customers)}
    fac = {f: k + 1 for k, f in enumerate(inst["facilities"])}
    return tuple(
        tuple(index[a] if a in index else unload_code(fac[a]) for a in nodes[1:-1])
        for nodes in routes
        if len(nodes) > 2
    )


def _travel_total(result, customers: list[int], inst: dict) -> float:
    """Travel time of a day (service excluded), from the instance's own matrix."""
    return sum(_travel(inst, nodes) for nodes in _route_nodes(result, customers, inst))


def verify(inst: dict, day_routes: list[list[list[int]]]) -> list[str]:
    """The instance's own rules on plain node lists, independent of the routing model:
    depot to depot, a facility right before the depot, trip loads within capacity,
    travel plus service within the duration limit, at most ``numVehicles`` routes a
    day, and every customer on exactly the days of one of its patterns."""
    issues = []
    svc, dem = inst["service"], inst["demand"]
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
            length = _travel(inst, nodes) + float(svc[nodes].sum())
            if length > inst["max_duration"] + 1e-9:
                issues.append(f"day {d}: route lasts {length} > {inst['max_duration']}")
    for c, days in seen.items():
        options = day_patterns(int(inst["frequency"][c]), inst["horizon"])
        if tuple(days) not in options:
            issues.append(f"customer {c} visited on days {days}, not one of {options}")
    return issues


def main_pvrpif(argv: list[str]) -> None:
    """``pvrpif``: UniUD periodic VRP with intermediate facilities."""
    args = contract_parser("pvrpif", 60.0).parse_args(argv)
    t0 = time.perf_counter()
    deadline = t0 + args.time_limit_s
    inst = read_pvrpif(args.instance)
    horizon = inst["horizon"]
    params = RoutingParams(time_limit_s=args.time_limit_s, seed=args.seed)

    def route_day(day: int, customers: list[int], limit_s: float, start=None):
        p = day_problem(inst, day, customers)
        if start:
            p = dataclasses.replace(p, initial_routes=_orders(inst, customers, start))
        return solve_day(p, params, time_limit_s=limit_s)

    patterns = initial_patterns(inst)
    on_day = _days(patterns, horizon)
    # A quarter of the budget for the first routes; then rounds of pattern moves on the
    # routes and re-routing of the changed days from the moved routes.
    share = 0.25 * args.time_limit_s / horizon
    results = [route_day(d, on_day[d], share) for d in range(horizon)]
    rounds = moves = 0
    rng = np.random.default_rng(args.seed)
    while time.perf_counter() < deadline - 1.0:
        routes = [_route_nodes(r, on_day[d], inst) for d, r in enumerate(results)]
        before = dict(patterns)
        changed = pattern_moves(inst, patterns, routes)
        left = deadline - time.perf_counter()
        changed |= ruin_and_recreate(inst, patterns, routes, rng, time.perf_counter() + left / 4)
        if not changed:
            continue
        rounds += 1
        moves += sum(patterns[c] != before[c] for c in patterns)
        on_day = _days(patterns, horizon)
        left = deadline - time.perf_counter()
        limit = max(0.2, min(share, left / len(changed) - 0.05))
        for d in sorted(changed):
            results[d] = route_day(d, on_day[d], limit, start=routes[d])
    runtime = time.perf_counter() - t0

    issues = [m for r in results for m in check_day(r)]
    rules = verify(inst, [_route_nodes(r, on_day[d], inst) for d, r in enumerate(results)])
    dropped = sum(len(r.dropped) for r in results)
    per_day = [r.num_trucks for r in results]
    cost = sum(_travel_total(r, on_day[d], inst) for d, r in enumerate(results))
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
        "pattern_moves": moves,
        "pattern_rounds": rounds,
        "dropped": dropped,
        "check_issues": len(issues),
        "instance_rule_issues": rules[:5],
        "seed": args.seed,
        "time_limit_s": args.time_limit_s,
    }
    print(json.dumps(out))
