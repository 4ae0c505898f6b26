"""Periodic routing with intermediate facilities through the product's week search.

``python -m benchmarks pvrpif FILE [--work W] [--workers N] [--seed S]``: the UniUD
PVRP-IF instances (Taverna & Tilk; ``../shared/data/routing/pvrpif_uniud/``). Every
customer is visited a given number of times over the horizon on one of its evenly spaced
day patterns (2 in 4 days: days 0 and 2, or 1 and 3); each day, at most ``numVehicles``
trucks of ``maxCapacity`` leave the depot, empty at an intermediate facility whenever
full and always before driving home, and are back within ``maxDuration`` (travel plus
service). The cost is the travel time over the horizon (service excluded), on the
instance's asymmetric OSRM road matrix.

This module only adapts: it reads the instance into the product's
:class:`~recyclenet.routing.periodic_problem.PeriodicProblem`, takes the first visit
days from the product's :func:`~recyclenet.routing.schedule.assign_days`, calls the
product's :func:`~recyclenet.routing.periodic.search_patterns` (the search the week
planner runs), and scores the result: the travel, ``check_day`` on every day, and the
instance's own rules checked on plain node lists (:func:`verify`).

The search is counted in work (stop-iterations, see
:class:`~recyclenet.routing.periodic.PatternBudget`), so a run gives the same plan on
any machine load; ``--time-limit-s`` is only the safety cap.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from benchmarks import contract_parser
from benchmarks.routing import bks as known_best
from recyclenet.routing import Vehicle, check_day
from recyclenet.routing.periodic import PatternBudget, search_patterns
from recyclenet.routing.periodic_problem import PeriodicProblem
from recyclenet.routing.schedule import assign_days, day_patterns

WORK = 4.0e6
"""Default stop-iterations of the annealing (``--work``): about a minute a worker on
this machine for a 30-customer instance."""


def read_pvrpif(path: Path) -> tuple[PeriodicProblem, dict]:
    """A UniUD PVRP-IF instance as the product's problem (nodes: depot, customers,
    facilities) and what scoring needs (``nodes``: instance ids in the problem's order,
    the raw matrix, frequencies, name)."""
    data = json.loads(path.read_text())
    info = data["info"]
    props = [f["properties"] for f in data["features"]]
    kind = [p["type"] for p in props]
    if [int(p["id"]) for p in props] != list(range(len(props))):
        raise ValueError(f"{path}: feature ids must be 0..{len(props) - 1} in order")
    customers = [i for i, k in enumerate(kind) if k == "customer"]
    facilities = [i for i, k in enumerate(kind) if k == "intermediateFacility"]
    nodes = [kind.index("depot"), *customers, *facilities]
    duration = np.asarray(data["duration"], dtype=float)[np.ix_(nodes, nodes)]
    horizon = int(info["planningHorizon"])
    freq = [int(round(props[c]["frequency"])) for c in customers]
    lonlat = np.array([data["features"][c]["geometry"]["coordinates"] for c in customers])
    lat0 = math.radians(float(lonlat[:, 1].mean()))
    xy_km = np.c_[
        (lonlat[:, 0] - lonlat[:, 0].mean()) * 111.32 * math.cos(lat0),
        (lonlat[:, 1] - lonlat[:, 1].mean()) * 110.57,
    ]
    truck = Vehicle(
        "truck",
        payload_kg=float(info["maxCapacity"]),
        volume_m3=1e9,
        speed_kmh=60.0,  # unused: times are given
        cost_cny_per_km=100.0,  # travel weighed far above the model's time tie-breaker
        fixed_cost_cny_per_day=0.0,
    )
    problem = PeriodicProblem(
        base_id="depot",
        horizon=horizon,
        patterns=tuple(tuple(day_patterns(f, horizon)) for f in freq),
        demand_kg=np.array([float(props[c]["demand"]) for c in customers]),
        service_min=np.array([float(props[i]["service"]) for i in nodes]),
        time_min=duration,
        distance_km=duration,
        vehicle=truck,
        num_vehicles=int(info["numVehicles"]),
        max_duration_min=float(info["maxDuration"]),
        num_facilities=len(facilities),
        xy_km=xy_km,
    )
    return problem, {"name": path.stem, "frequency": freq}


def balanced_patterns(problem: PeriodicProblem) -> dict[int, tuple[int, ...]]:
    """The product's first visit days (balanced workload, compact days)."""
    cust = problem.customers
    d = problem.time_min[np.ix_(cust, cust)].copy()
    np.fill_diagonal(d, np.inf)
    workload = problem.service_min[cust] + 0.5 * (d.min(axis=0) + d.min(axis=1))
    freq = np.array([problem.frequency(c) for c in cust], dtype=np.int64)
    xy = problem.xy_km if problem.xy_km is not None else np.zeros((len(cust), 2))
    days = assign_days(workload, freq, xy, problem.horizon)
    return dict(zip(cust, days, strict=True))


def verify(problem: PeriodicProblem, day_routes: list[list[list[int]]]) -> list[str]:
    """The instance's own rules on plain node lists, independent of the routing model:
    depot to depot, a facility right before the depot, trip loads within capacity,
    travel plus service within the duration limit, at most ``numVehicles`` routes a
    day, and every customer on exactly the days of one of its patterns."""
    issues = []
    fac = set(problem.facilities)
    seen: dict[int, list[int]] = {c: [] for c in problem.customers}
    for d, routes in enumerate(day_routes):
        if len(routes) > problem.num_vehicles:
            issues.append(f"day {d}: {len(routes)} routes")
        for nodes in routes:
            if nodes[0] != 0 or nodes[-1] != 0 or nodes[-2] not in fac:
                issues.append(f"day {d}: route {nodes} does not end facility -> depot")
            load = 0.0
            for a in nodes[1:-1]:
                if a in fac:
                    load = 0.0
                    continue
                load += problem.demand(a)
                seen[a].append(d)
                if load > problem.vehicle.payload_kg + 1e-9:
                    issues.append(f"day {d}: trip over capacity at {a}")
            t = problem.time_min
            length = sum(t[a, b] for a, b in zip(nodes[:-1], nodes[1:], strict=True))
            length += float(problem.service_min[nodes[1:-1]].sum())
            if length > problem.max_duration_min + 1e-9:
                issues.append(f"day {d}: route lasts {length} > {problem.max_duration_min}")
    for c, days in seen.items():
        if tuple(days) not in problem.options(c):
            issues.append(f"customer {c} visited on days {days}, not one of {problem.options(c)}")
    return issues


def main_pvrpif(argv: list[str]) -> None:
    """``pvrpif``: UniUD periodic VRP with intermediate facilities."""
    parser = contract_parser("pvrpif", 600.0)
    parser.add_argument(
        "--work",
        type=float,
        default=WORK,
        help="stop-iterations of the annealing (the search's budget; see PatternBudget)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="independent searches side by side in as many processes (seeds SEED, "
        "SEED + 1, ...), the cheapest plan kept; each uses one core",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    t0 = time.perf_counter()
    problem, meta = read_pvrpif(args.instance)
    budget = PatternBudget(work=args.work, cap_s=args.time_limit_s)
    found = search_patterns(
        problem, balanced_patterns(problem), budget, seed=args.seed, workers=args.workers
    )
    runtime = time.perf_counter() - t0
    results = [p.result for p in found.days]
    issues = [m for r in results for m in check_day(r)]
    rules = verify(problem, [p.routes for p in found.days])
    dropped = sum(len(r.dropped) for r in results)
    per_day = [len(p.routes) for p in found.days]
    t = problem.time_min
    cost = sum(
        float(sum(t[a, b] for a, b in zip(n[:-1], n[1:], strict=True)))
        for p in found.days
        for n in p.routes
    )
    feasible = not issues and not rules and not dropped
    bks = known_best("pvrpif_uniud", meta["name"])[1]
    out = {
        "instance": meta["name"],
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
        "customers": len(problem.customers),
        "horizon_days": problem.horizon,
        **{k: round(v, 2) for k, v in found.stats.items()},
        "capped": found.capped,
        "dropped": dropped,
        "check_issues": len(issues),
        "instance_rule_issues": rules[:5],
        "seed": args.seed,
        "work": args.work,
        "workers": args.workers,
    }
    print(json.dumps(out))
