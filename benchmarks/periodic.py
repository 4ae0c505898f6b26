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
insertion into that day's routes, within capacity and duration) changes pattern, and the
changed days are routed again; kept only if the horizon's cost falls.
"""

from __future__ import annotations

import dataclasses
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


def _insertion(inst: dict, routes: list[list[int]], c: int) -> tuple[float, int, int]:
    """Cheapest insertion of customer ``c`` into a day's routes, within the trip's
    capacity and the route's duration: ``(added travel, route, position)``; ``inf``
    where it fits nowhere."""
    dur, svc, dem = inst["duration"], inst["service"], inst["demand"]
    ends_trip = set(inst["facilities"]) | {inst["depot"]}
    best = (math.inf, -1, -1)
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
            if totals[trip_of_arc[k]] + dem[c] > inst["capacity"] + 1e-9:
                continue
            delta = float(dur[a, c] + dur[c, b] - dur[a, b])
            if length + delta + svc[c] > inst["max_duration"] + 1e-9 or delta >= best[0]:
                continue
            best = (delta, r, k + 1)
    if len(routes) < inst["vehicles"] and dem[c] <= inst["capacity"]:  # a truck of its own
        fac = inst["facilities"]
        home = inst["depot"]
        f = min(fac, key=lambda f: dur[c, f] + dur[f, home])
        alone = float(dur[home, c] + dur[c, f] + dur[f, home])
        if alone < best[0] and alone + svc[c] + svc[f] <= inst["max_duration"] + 1e-9:
            best = (alone, len(routes), f)
    return best


def _insert(routes: list[list[int]], c: int, r: int, k: int, inst: dict) -> None:
    """Apply an insertion found by :func:`_insertion` (``r == len(routes)``: a new
    route through facility ``k``)."""
    if r == len(routes):
        routes.append([inst["depot"], c, k, inst["depot"]])
    else:
        routes[r].insert(k, c)


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
                    cost, r, k = _insertion(inst, routes[d], c)
                    delta += cost
                    where[d] = (r, k)
                if delta < -1e-9 and (best is None or delta < best[0]):
                    best = (delta, c, option, where)
        if best is None:
            return changed
        _, c, option, where = best
        for d in set(patterns[c]) - set(option):
            _remove(routes[d], c, inst)
            changed.add(d)
        for d, (r, k) in where.items():
            _insert(routes[d], c, r, k, inst)
            changed.add(d)
        patterns[c] = option


def _improve_trips(inst: dict, nodes: list[int]) -> None:
    """Move customers within their trip while that shortens the route (in place)."""
    dur = inst["duration"]
    ends = set(inst["facilities"]) | {inst["depot"]}
    better = True
    while better:
        better = False
        for i in range(1, len(nodes) - 1):
            c = nodes[i]
            if c in ends:
                continue
            a, b = nodes[i - 1], nodes[i + 1]
            gain = dur[a, c] + dur[c, b] - dur[a, b]
            rest = nodes[:i] + nodes[i + 1 :]
            # positions in the same trip: between the trip's ends around i
            lo = max(k for k in range(i) if nodes[k] in ends)
            end = min(k for k in range(i + 1, len(nodes)) if nodes[k] in ends)
            for k in range(lo, end - 1):  # between rest[k] and rest[k + 1]
                if k == i - 1:
                    continue
                p, q = rest[k], rest[k + 1]
                if dur[p, c] + dur[c, q] - dur[p, q] < gain - 1e-9:
                    rest.insert(k + 1, c)
                    nodes[:] = rest
                    better = True
                    break
            if better:
                break


def ruin_and_recreate(
    inst: dict,
    patterns: dict[int, tuple[int, ...]],
    routes: list[list[list[int]]],
    rng: np.random.Generator,
    until: float,
) -> set[int]:
    """Remove a few customers from all their days and re-insert each, in random order,
    on its cheapest pattern; keep the result when the horizon's travel falls. Repeats
    until ``until`` (``time.perf_counter``); changes ``patterns`` and ``routes`` in place
    and returns the days changed."""
    horizon = inst["horizon"]
    dur = inst["duration"]
    cust = list(inst["customers"])
    size = max(2, len(cust) // 8)
    total = sum(_travel(inst, nodes) for day in routes for nodes in day)
    changed: set[int] = set()
    while time.perf_counter() < until:
        trial_routes = [[list(nodes) for nodes in day] for day in routes]
        trial = dict(patterns)
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
            for d, (_, r, k) in best[2].items():
                _insert(trial_routes[d], c, r, k, inst)
            trial[c] = best[1]
        if not ok:
            continue
        days = {d for c in picked for d in (*patterns[c], *trial[c])}
        for d in days:
            for nodes in trial_routes[d]:
                _improve_trips(inst, nodes)
        new_total = sum(_travel(inst, nodes) for day in trial_routes for nodes in day)
        if new_total < total - 1e-9:
            changed |= days
            total = new_total
            patterns.clear()
            patterns.update(trial)
            routes[:] = trial_routes
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
