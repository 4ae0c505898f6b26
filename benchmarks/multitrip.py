"""Multi-trip VRPTW with release times through the project's own daily model.

``python -m benchmarks mtvrptw FILE --time-limit-s S [--seed N] [--engine E] [--pyvrp]``:
the MTVRPTWR instances of Yang (2023) as shipped by PyVRP
(``../shared/data/routing/mtvrptwr_pyvrp/``, extended VRPLIB). Each client receives a
delivery loaded at the depot; the goods for a client reach the depot at its release
time, and the trip that brings them leaves no earlier; a vehicle may come back to the
depot to load again (a reload takes no time) as often as its day allows. The fleet is
the instance's ``VEHICLES``; the objective is distance only, DIMACS convention
(Euclidean distances and times truncated to one decimal), scored against ``bks.csv``
(the ``.sol`` cost / 10).

The model is :class:`recyclenet.routing.DayProblem`: stops with ``deliver_kg`` and
``release_min`` (the 送新收旧 appliance that reaches the station at a given time), the
depot as the only unload site with zero unloading time, one time unit as one minute.
``--engine`` picks the project's engine (``auto``: OR-Tools for days with release times;
``pyvrp``: the project's PyVRP mapping). ``--pyvrp`` also runs PyVRP on its own reading
of the file (``pyvrp.read``, DIMACS rounding) with the same time limit and reports the
cost ratio ours / PyVRP's. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import vrplib

from benchmarks import contract_parser
from benchmarks.routing import pyvrp_fields, solve_and_score
from benchmarks.routing import to_day_problem as vrptw_day
from recyclenet.routing import DayProblem


def read_mtvrptwr(path: Path) -> dict:
    """An MTVRPTWR instance as arrays (node 0 the depot), DIMACS-truncated distances."""
    inst = vrplib.read_instance(str(path), compute_edge_weights=False)
    xy = np.asarray(inst["node_coord"], float)
    depot = int(np.asarray(inst["depot"]).ravel()[0])
    if depot != 0:
        raise ValueError(f"{path}: the depot must be the first node, got node {depot + 1}")
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    dist = np.floor(dist * 10 + 1e-9) / 10
    n = len(xy) - 1
    service = np.broadcast_to(np.asarray(inst.get("service_time", 0), float), (n + 1,)).copy()
    service[0] = 0.0
    return {
        "name": path.stem,
        "dist": dist,
        "demand": np.asarray(inst["demand"], float),
        "capacity": float(inst["capacity"]),
        "vehicles": int(inst["vehicles"]),
        "tw": np.asarray(inst["time_window"], float),
        "release": np.asarray(inst["release_time"], float),
        "service": service,
    }


def to_day_problem(inst: dict) -> DayProblem:
    """The instance as the project's daily model (one time unit = one minute): the
    VRPTW mapping of :mod:`benchmarks.routing` with deliveries instead of pickups,
    release times, and reloads at the depot."""
    n = len(inst["demand"]) - 1
    return replace(
        vrptw_day(inst, vehicle_cost=0.0),
        load_kg=np.zeros(n),
        deliver_kg=inst["demand"][1:],
        release_min=inst["release"][1:],
        reload=True,
    )


def run_pyvrp(path: Path, *, time_limit_s: float, seed: int) -> tuple[int, float, bool, float]:
    """PyVRP on its own reading of the file: ``(vehicles, distance, feasible, runtime)``."""
    from pyvrp import read, solve
    from pyvrp.stop import MaxRuntime

    data = read(str(path), round_func="dimacs")
    t0 = time.perf_counter()
    res = solve(data, stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    runtime = time.perf_counter() - t0
    sol = res.best
    return sol.num_routes(), sol.distance() / 10, sol.is_feasible(), runtime


def main_mtvrptw(argv: list[str]) -> None:
    """``mtvrptw``: multi-trip VRPTW with release times."""
    ap = contract_parser("mtvrptw", 30.0)
    ap.add_argument("--pyvrp", action="store_true")
    ap.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto")
    args = ap.parse_args(argv)
    inst = read_mtvrptwr(args.instance)
    out = solve_and_score(
        to_day_problem(inst), args, instance=inst["name"], problem="mtvrptw", bks_set="mtvrptwr"
    )
    if args.pyvrp:
        veh, dist, ok, rt = run_pyvrp(args.instance, time_limit_s=args.time_limit_s, seed=args.seed)
        out |= pyvrp_fields(out, veh, dist, ok, rt)
    print(json.dumps(out))
