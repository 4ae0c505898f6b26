"""OR-Library siting instances solved through :mod:`recyclenet.siting`.

    python -m benchmarks pmedian ../shared/data/siting/orlib_pmed/pmed1.txt --time-limit-s 60
    python -m benchmarks cpmp ../shared/data/siting/orlib_pmedcap/pmedcap01.txt --time-limit-s 60
    python -m benchmarks cflp ../shared/data/siting/orlib_cap/cap41.txt --time-limit-s 30
    python -m benchmarks cflp ../shared/data/siting/orlib_cap/capa.txt --capacity 14000

Both are special cases of the three-tier model: the instance's facilities are the
collection-point tier (count p, no fixed cost), with one station and one centre at zero
distance and zero cost. ``access`` cost is 1/365 CNY per t-km, so the annual objective is
the instance's objective:

- p-median: unit demand, all-pairs shortest paths of the instance graph (the last
  occurrence of a repeated edge wins, as OR-Library says);
- capacitated p-median: demands and capacity Q at every median, floor-Euclidean
  distances; the objective is unweighted (sum of distances), so each settlement's
  distances are divided by its demand before the model weights them by demand again;
- capacitated facility location (cflp): warehouses are the points with their fixed costs
  and capacities, any number may open, and demand may split over warehouses
  (``single_sourcing=False``, as in the published optima); each listed cost is for a
  customer's whole demand, so it is divided by the demand the same way.

The last line of stdout is one JSON object (instance, problem, status, objective, bound,
gap, runtime_s, optimum from ``optima.csv`` when found, and the gap to it).
"""

from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from benchmarks import contract_parser
from recyclenet.siting import SitingParams, SitingProblem, solve
from recyclenet.siting.solve import BACKENDS


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """Distance matrix and p of an OR-Library pmed file."""
    tokens = path.read_text().split()
    n, m, p = int(tokens[0]), int(tokens[1]), int(tokens[2])
    edges: dict[tuple[int, int], float] = {}
    for k in range(m):
        i, j, c = tokens[3 + 3 * k : 6 + 3 * k]
        a, b = sorted((int(i) - 1, int(j) - 1))
        edges[a, b] = float(c)  # the last occurrence wins
    u = np.array([e[0] for e in edges])
    v = np.array([e[1] for e in edges])
    w = np.array(list(edges.values()))
    graph = csr_matrix((w, (u, v)), shape=(n, n))
    return shortest_path(graph, method="D", directed=False), p


def read_pmedcap(path: Path) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Distances (floor-Euclidean), demands, p and capacity of an OR-Library pmedcap file."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    n, p, q = int(rows[1][0]), int(rows[1][1]), float(rows[1][2])
    data = np.array([[float(x) for x in r[1:4]] for r in rows[2 : 2 + n]])
    xy, demand = data[:, :2], data[:, 2]
    dist = np.floor(np.linalg.norm(xy[:, None] - xy[None], axis=2))
    return dist, demand, p, q


def read_cap(
    path: Path, capacity: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Demands, allocation costs ``(customers, warehouses)`` (each for a customer's whole
    demand), capacities and fixed costs of an OR-Library capacitated warehouse file.

    capa/capb/capc write the word ``capacity`` for every capacity: ``capacity`` replaces it.
    """
    tokens = path.read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    caps, fixed = np.empty(m), np.empty(m)
    for j in range(m):
        word = tokens[pos]
        if word == "capacity":
            if capacity is None:
                raise SystemExit(
                    f"{path.name}: capacities are the word 'capacity'; pass --capacity"
                )
            caps[j] = capacity
        else:
            caps[j] = float(word) if capacity is None else capacity
        fixed[j] = float(tokens[pos + 1])
        pos += 2
    demand, cost = np.empty(n), np.empty((n, m))
    for i in range(n):
        demand[i] = float(tokens[pos])
        cost[i] = [float(t) for t in tokens[pos + 1 : pos + 1 + m]]
        pos += 1 + m
    return demand, cost, caps, fixed


def cflp_as_three_tier(
    demand: np.ndarray, cost: np.ndarray, caps: np.ndarray, fixed: np.ndarray
) -> SitingProblem:
    """Capacitated facility location: warehouses are the point tier with their fixed
    costs and capacities, any number may open, demand may split (as in ``capopt``)."""
    n, m = cost.shape
    total = float(demand.sum())
    safe = np.where(demand > 0, demand, 1.0)
    return SitingProblem.from_matrices(
        demand_t_per_day=demand,
        access_km=cost / safe[:, None],
        collection_km=np.zeros((m, 1)),
        haul_km=np.zeros((1, 1)),
        fixed_cost_cny_per_year=(fixed, np.zeros(1), np.zeros(1)),
        capacity_t_per_day=(caps, np.full(1, total), np.full(1, total)),
        counts=((0, m), 1, 1),
        cost_cny_per_tkm={"access": 1.0 / 365.0, "collection": 0.0, "haul": 0.0},
        single_sourcing=False,
    )


def as_three_tier(dist: np.ndarray, demand: np.ndarray, p: int, capacity: float) -> SitingProblem:
    """The instance as a :class:`SitingProblem` (see the module docstring)."""
    n = len(dist)
    access = dist / demand[:, None]
    total = float(demand.sum())
    return SitingProblem.from_matrices(
        demand_t_per_day=demand,
        access_km=access,
        collection_km=np.zeros((n, 1)),
        haul_km=np.zeros((1, 1)),
        fixed_cost_cny_per_year=(np.zeros(n), np.zeros(1), np.zeros(1)),
        capacity_t_per_day=(np.full(n, capacity), np.full(1, total), np.full(1, total)),
        counts=(p, 1, 1),
        max_access_km=np.inf,
        cost_cny_per_tkm={"access": 1.0 / 365.0, "collection": 0.0, "haul": 0.0},
    )


def known_optimum(instance: str) -> float | None:
    """The optimum from ``optima.csv`` next to the instance folders, if there is one."""
    for table in (Path(__file__).resolve().parents[2] / "shared/data/siting/optima.csv",):
        if table.is_file():
            with open(table, encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row["instance"] == instance:
                        return float(row["optimal_value"])
    return None


def run(
    problem_name: str,
    path: Path,
    time_limit_s: float,
    seed: int,
    backend: str,
    capacity: float | None = None,
) -> dict:
    instance = path.stem
    if problem_name == "pmedian":
        dist, p = read_pmed(path)
        problem = as_three_tier(dist, np.ones(len(dist)), p, float(len(dist)))
    elif problem_name == "cflp":
        demand, cost, caps, fixed = read_cap(path, capacity)
        problem = cflp_as_three_tier(demand, cost, caps, fixed)
        dist, p = cost, 0
        if capacity is not None:
            instance = f"{path.stem}_{capacity:g}"
    else:
        dist, demand, p, q = read_pmedcap(path)
        problem = as_three_tier(dist, demand, p, q)
    result = solve(problem, SitingParams(time_limit_s=time_limit_s, seed=seed, backend=backend))
    optimum = known_optimum(instance)
    obj = result.objective_cny
    return {
        "instance": instance,
        "problem": problem_name,
        "status": result.status,
        "objective": None if math.isnan(obj) else round(obj, 6),
        "bound": None if math.isnan(result.bound_cny) else round(result.bound_cny, 6),
        "gap": None if math.isnan(result.gap) else result.gap,
        "runtime_s": round(result.runtime_s, 3),
        "solver": result.solver,
        "n": len(dist),
        "p": p,
        "optimum": optimum,
        "gap_to_optimum": None if optimum is None or math.isnan(obj) else (obj - optimum) / optimum,
    }


def run_spopt(dist: np.ndarray, p: int, time_limit_s: float) -> dict:
    """spopt's ``PMedian`` (PuLP with CBC, spopt's default pairing) on the same matrix, in
    this process: objective, status and wall time including model building."""
    import pulp
    from spopt.locate import PMedian

    start = time.perf_counter()
    model = PMedian.from_cost_matrix(dist, np.ones(len(dist)), p_facilities=p)
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s), results=False)
    except RuntimeError:  # spopt raises when CBC stops without a solution status
        pass
    runtime = time.perf_counter() - start
    objective = pulp.value(model.problem.objective)
    return {
        # PuLP says "Optimal" for CBC stopped by the time limit with a solution too.
        "spopt_status": pulp.LpStatus[model.problem.status]
        if runtime < time_limit_s
        else f"time limit ({pulp.LpStatus[model.problem.status]})",
        "spopt_objective": None if objective is None else float(objective),
        "spopt_runtime_s": round(runtime, 3),
    }


def main(argv: list[str], problem_name: str) -> None:
    parser = contract_parser(problem_name, 60.0)
    parser.add_argument("--backend", default="HIGHS", choices=list(BACKENDS))
    if problem_name == "cflp":
        parser.add_argument(
            "--capacity", type=float, default=None, help="every warehouse's capacity (capa/b/c)"
        )
    if problem_name == "pmedian":
        parser.add_argument(
            "--spopt",
            action="store_true",
            help="also solve with spopt's PMedian (pip install spopt) and report the time ratio",
        )
    args = parser.parse_args(argv)
    capacity = getattr(args, "capacity", None)
    row = run(problem_name, args.instance, args.time_limit_s, args.seed, args.backend, capacity)
    if getattr(args, "spopt", False):
        dist, p = read_pmed(args.instance)
        row.update(run_spopt(dist, p, args.time_limit_s))
        row["spopt_time_ratio"] = round(row["spopt_runtime_s"] / row["runtime_s"], 2)
    print(json.dumps(row))


def main_pmedian(argv: list[str]) -> None:
    """``python -m benchmarks pmedian FILE``."""
    main(argv, "pmedian")


def main_cflp(argv: list[str]) -> None:
    """``python -m benchmarks cflp FILE [--capacity Q]``."""
    main(argv, "cflp")


def main_cpmp(argv: list[str]) -> None:
    """``python -m benchmarks cpmp FILE``."""
    main(argv, "cpmp")
