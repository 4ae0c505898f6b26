"""Routing benchmarks through the project's own daily model, with PyVRP side by side.

``python -m benchmarks vrptw FILE --time-limit-s S [--seed N] [--pyvrp]
[--convention hierarchical|distance]`` and
``python -m benchmarks cvrp FILE --time-limit-s S [--seed N] [--pyvrp]``.

Each instance becomes a :class:`recyclenet.routing.DayProblem` (the depot is the base, one
trip per vehicle, the depot's window is the shift) and is solved by
:func:`recyclenet.routing.solve_day`. The result is recomputed by
:func:`recyclenet.routing.check_day`, then scored against ``bks.csv`` under the
instance set's convention:

* Solomon ``hierarchical``: fewest vehicles first, then distance (exact Euclidean). The
  model charges each vehicle a fixed cost far above any route's length.
* Solomon ``distance``: distance only, distances and times truncated to one decimal.
* CVRP X: distance only, Euclidean distances rounded to the nearest integer.

``--engine`` picks the project's engine (``auto``: PyVRP here, as none of these
instances has a lunch break or slots; ``ortools``: OR-Tools routing alone).
``--pyvrp`` also runs PyVRP (``pip install pyvrp``) on the same integer-scaled data with
the same time limit and reports its objective and the cost ratio ours / PyVRP's.
The last line of stdout is one JSON object.
"""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import vrplib

from benchmarks import contract_parser
from recyclenet.routing import DayProblem, RoutingParams, Vehicle, check_day, solve_day

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "routing"
VEHICLE_COST = 10_000.0  # hierarchical: one vehicle outweighs any distance saving


def bks(set_name: str, instance: str) -> tuple[int | None, float | None]:
    """``(vehicles, distance)`` of the best known solution in ``bks.csv`` (a
    Gehring-Homberger instance, ``R1_2_2``: the hierarchical table of its folder)."""
    gh = SHARED / "gehring_homberger" / "bks.csv"
    if set_name == "solomon100_hierarchical" and instance.count("_") == 2 and gh.is_file():
        with open(gh, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["instance"] == instance:
                    return int(row["bks_vehicles"]), float(row["bks_distance"])
    with open(SHARED / "bks.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["set"] == set_name and row["instance"] == instance:
                veh = int(row["bks_vehicles"]) if row["bks_vehicles"] else None
                dist = float(row["bks_distance"]) if row["bks_distance"] else None
                return veh, dist
    return None, None


def _euclid(xy: np.ndarray) -> np.ndarray:
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def read_solomon(path: Path, convention: str) -> dict:
    """A Solomon instance as arrays (node 0 the depot), distances per ``convention``."""
    inst = vrplib.read_instance(str(path), instance_format="solomon", compute_edge_weights=False)
    xy = np.asarray(inst["node_coord"], float)
    dist = _euclid(xy)
    if convention == "distance":
        dist = np.floor(dist * 10 + 1e-9) / 10
    tw = np.asarray(inst["time_window"], float)
    return {
        "name": path.stem,
        "xy": xy,
        "dist": dist,
        "demand": np.asarray(inst["demand"], float),
        "capacity": float(inst["capacity"]),
        "vehicles": int(inst["vehicles"]),
        "tw": tw,
        "service": np.asarray(inst["service_time"], float),
    }


def read_cvrp(path: Path) -> dict:
    """A CVRPLIB instance (node 0 the depot), nint-rounded Euclidean distances."""
    inst = vrplib.read_instance(str(path), compute_edge_weights=False)
    xy = np.asarray(inst["node_coord"], float)
    dist = np.floor(_euclid(xy) + 0.5)
    demand = np.asarray(inst["demand"], float)
    depot = int(np.asarray(inst["depot"]).ravel()[0])
    order = [depot, *[i for i in range(len(xy)) if i != depot]]
    dist = dist[np.ix_(order, order)]
    cap = float(inst["capacity"])
    n = len(xy) - 1
    return {
        "name": path.stem,
        "xy": xy[order],
        "dist": dist,
        "demand": demand[order],
        "capacity": cap,
        "vehicles": int(math.ceil(demand.sum() / cap)) + max(3, n // 50),
        "tw": np.column_stack([np.zeros(n + 1), np.full(n + 1, 1e7)]),
        "service": np.zeros(n + 1),
    }


def to_day_problem(inst: dict, *, vehicle_cost: float) -> DayProblem:
    """The instance as the project's daily model (one time unit = one minute)."""
    n = len(inst["demand"]) - 1
    vehicle = Vehicle(
        "bench",
        payload_kg=inst["capacity"],
        volume_m3=1e9,
        speed_kmh=60.0,
        cost_cny_per_km=1.0,
        fixed_cost_cny_per_day=vehicle_cost,
    )
    tw = inst["tw"]
    return DayProblem(
        base_id="depot",
        day="bench",
        stop_ids=tuple(str(i) for i in range(1, n + 1)),
        load_kg=inst["demand"][1:],
        load_m3=np.zeros(n),
        dwell_min=inst["service"][1:],
        distance_km=inst["dist"],
        time_min=inst["dist"],
        vehicle=vehicle,
        num_vehicles=inst["vehicles"],
        shift_start_min=float(tw[0, 0]),
        shift_end_min=float(tw[0, 1]),
        unload_min=0.0,
        window_open_min=tw[1:, 0],
        window_close_min=tw[1:, 1],
        reload=False,
    )


def run_pyvrp(
    inst: dict,
    *,
    vehicle_cost: float,
    time_limit_s: float,
    seed: int,
    scale: int,
    iterations: int | None = None,
):
    """PyVRP on the same data, integer-scaled by ``scale``: ``(vehicles, distance, feasible)``."""
    from pyvrp import Model
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    m = Model()
    n = len(inst["demand"]) - 1
    tw = np.rint(inst["tw"] * scale).astype(np.int64)
    locs = [m.add_location(float(x), float(y)) for x, y in inst["xy"]]
    depot = m.add_depot(locs[0], tw_early=int(tw[0, 0]), tw_late=int(tw[0, 1]))
    m.add_vehicle_type(
        num_available=inst["vehicles"],
        capacity=int(inst["capacity"]),
        start_depot=depot,
        end_depot=depot,
        fixed_cost=int(round(vehicle_cost * scale)),
        tw_early=int(tw[0, 0]),
        tw_late=int(tw[0, 1]),
    )
    for i in range(1, n + 1):
        m.add_client(
            locs[i],
            delivery=int(inst["demand"][i]),
            service_duration=int(round(inst["service"][i] * scale)),
            tw_early=int(tw[i, 0]),
            tw_late=int(tw[i, 1]),
        )
    d = np.rint(inst["dist"] * scale).astype(np.int64)
    for a in range(n + 1):
        for b in range(n + 1):
            if a != b:
                m.add_edge(locs[a], locs[b], distance=int(d[a, b]), duration=int(d[a, b]))
    t0 = time.perf_counter()
    stop = MaxRuntime(time_limit_s)
    if iterations is not None:  # a budget in work: the same plan on any machine load
        stop = MultipleCriteria([stop, MaxIterations(iterations)])
    res = m.solve(stop=stop, seed=seed, display=False)
    runtime = time.perf_counter() - t0
    sol = res.best
    return sol.num_routes(), sol.distance() / scale, sol.is_feasible(), runtime


def _run(problem: str, argv: list[str]) -> None:
    ap = contract_parser(problem, 30.0)
    ap.add_argument("--pyvrp", action="store_true")
    ap.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto")
    ap.add_argument(
        "--iterations",
        type=int,
        default=None,
        help="PyVRP iterations for ours and PyVRP alone (the time limit then a safety cap)",
    )
    if problem == "vrptw":
        ap.add_argument("--convention", choices=("hierarchical", "distance"), default="distance")
    args = ap.parse_args(argv)
    if problem == "vrptw":
        convention = args.convention
        inst = read_solomon(args.instance, convention)
        set_name = (
            f"solomon100_{'hierarchical' if convention == 'hierarchical' else 'distance_only'}"
        )
        vehicle_cost = VEHICLE_COST if convention == "hierarchical" else 0.0
        scale = 1000 if convention == "hierarchical" else 10
    else:
        convention = "distance"
        inst = read_cvrp(args.instance)
        set_name = "cvrplib_x"
        vehicle_cost = 0.0
        scale = 1
    out = solve_and_score(
        to_day_problem(inst, vehicle_cost=vehicle_cost),
        args,
        instance=inst["name"],
        problem=problem,
        bks_set=set_name,
        vehicle_cost=vehicle_cost,
    )
    out["convention"] = convention
    if args.pyvrp:
        veh, dist, ok, rt = run_pyvrp(
            inst,
            vehicle_cost=vehicle_cost,
            time_limit_s=args.time_limit_s,
            iterations=args.iterations,
            seed=args.seed,
            scale=scale,
        )
        out |= pyvrp_fields(out, veh, dist, ok, rt, vehicle_cost=vehicle_cost)
    print(json.dumps(out))


def solve_and_score(
    day: DayProblem,
    args,  # noqa: ANN001 (argparse.Namespace: time_limit_s, engine, seed)
    *,
    instance: str,
    problem: str,
    bks_set: str,
    vehicle_cost: float = 0.0,
) -> dict:
    """Solve ``day`` through the product, re-check it and score it against ``bks.csv``:
    the benchmark contract's JSON fields (``objective`` counts ``vehicle_cost`` per
    vehicle on top of the distance)."""
    bks_veh, bks_dist = bks(bks_set, instance)
    t0 = time.perf_counter()
    params = RoutingParams(
        time_limit_s=args.time_limit_s,
        engine=args.engine,
        seed=args.seed,
        max_iterations=getattr(args, "iterations", None),
    )
    result = solve_day(day, params)
    runtime = time.perf_counter() - t0
    issues = check_day(result)
    distance = result.distance_km()
    feasible = result.status == "feasible" and not result.dropped and not issues
    return {
        "instance": instance,
        "problem": problem,
        "engine": args.engine,
        "status": "feasible" if feasible else "infeasible",
        "objective": round(result.num_trucks * vehicle_cost + distance, 4),
        "bound": None,
        "runtime_s": round(runtime, 2),
        "vehicles": result.num_trucks,
        "trips": sum(max(e.trip for e in r) for r in result.routes),
        "distance": round(distance, 4),
        "dropped": len(result.dropped),
        "check_issues": len(issues),
        "check_samples": issues[:3],
        "bks_vehicles": bks_veh,
        "bks_distance": bks_dist,
        "gap_pct": round(100 * (distance / bks_dist - 1), 3) if bks_dist and feasible else None,
        "seed": args.seed,
        "time_limit_s": args.time_limit_s,
        "iterations": getattr(args, "iterations", None),
    }


def pyvrp_fields(
    ours: dict, veh: int, dist: float, ok: bool, runtime_s: float, *, vehicle_cost: float = 0.0
) -> dict:
    """PyVRP's side-by-side fields for a :func:`solve_and_score` row: its result, its gap
    to the BKS and the cost ratio ours / PyVRP's."""
    bks_dist = ours["bks_distance"]
    theirs = dist + veh * vehicle_cost
    both = ours["status"] == "feasible" and ok
    return {
        "pyvrp_vehicles": veh,
        "pyvrp_distance": round(dist, 4),
        "pyvrp_feasible": ok,
        "pyvrp_runtime_s": round(runtime_s, 2),
        "pyvrp_gap_pct": round(100 * (dist / bks_dist - 1), 3) if bks_dist and ok else None,
        "cost_ratio": round(ours["objective"] / theirs, 4) if both else None,
    }


def main_vrptw(argv: list[str]) -> None:
    """``vrptw``: Solomon VRPTW."""
    _run("vrptw", argv)


def main_cvrp(argv: list[str]) -> None:
    """``cvrp``: CVRPLIB X."""
    _run("cvrp", argv)
