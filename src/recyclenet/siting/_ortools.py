r"""The three-tier siting MIP in OR-Tools' linear solver (SCIP by default).

Sets: settlements :math:`i \in I`, candidate collection points :math:`p \in P`,
transfer stations :math:`k \in K`, sorting centres :math:`m \in M`;
:math:`R(i) = \{p : d_{ip} \le D\}` are the points within the access distance *D*.

Data: demand :math:`w_i` (t/day), fixed costs :math:`F^P_p, F^K_k, F^M_m` (CNY/yr),
capacities :math:`Q^P_p, Q^K_k, Q^M_m` (t/day), distances :math:`d_{ip}, d_{pk}, d_{km}`
(km), transport costs :math:`a, b, h` (CNY per t-km for access, collection, haul),
counts :math:`N^P, N^K, N^M`, existing sites :math:`E`.

Variables: :math:`y_p, s_k, c_m \in \{0,1\}` open; :math:`x_{ip} \in \{0,1\}`
(settlement *i* uses point *p*, only for :math:`p \in R(i)`); :math:`z_{pk}, u_{km} \in
\{0,1\}` (single-source links); flows :math:`f_{pk}, g_{km} \ge 0` (t/day).

.. math::

    \min\ & \sum_p F^P_p y_p + \sum_k F^K_k s_k + \sum_m F^M_m c_m
        + 365 \Big( a \sum_{i,p} w_i d_{ip} x_{ip} + b \sum_{p,k} d_{pk} f_{pk}
        + h \sum_{k,m} d_{km} g_{km} \Big) \\
    \text{s.t. } & \textstyle\sum_{p \in R(i)} x_{ip} = 1 \quad \forall i
        && \text{every settlement served within } D \\
    & x_{ip} \le y_p && \text{only by an open point (strong linking)} \\
    & \textstyle\sum_i w_i x_{ip} \le Q^P_p y_p && \text{point capacity} \\
    & \textstyle\sum_k z_{pk} = y_p,\ z_{pk} \le s_k && \text{open point -> one open station} \\
    & \textstyle\sum_k f_{pk} = \sum_i w_i x_{ip},\ f_{pk} \le \bar W_p z_{pk}
        && \text{its whole flow on that link} \\
    & \textstyle\sum_p f_{pk} \le Q^K_k s_k && \text{station capacity} \\
    & \textstyle\sum_m u_{km} = s_k,\ u_{km} \le c_m && \text{open station -> one centre} \\
    & \textstyle\sum_m g_{km} = \sum_p f_{pk},\ g_{km} \le \bar W_k u_{km} \\
    & \textstyle\sum_k g_{km} \le Q^M_m c_m && \text{centre capacity} \\
    & \textstyle\sum y = N^P,\ \sum s = N^K,\ \sum c = N^M && \text{policy counts} \\
    & y_p = 1,\ s_k = 1,\ c_m = 1 \quad \text{for existing sites}

Backend: SCIP by default. Measured on Cuiping (315 settlements, 17 candidate stations,
4 centres): OR-Tools' HiGHS wrapper returned no solution at all when the time limit was hit
(it reports an unknown status and drops HiGHS's incumbent), and the disaggregated path
formulation (settlement -> point -> station variables, 96k columns) did not finish its root
node in 60 s, so the compact formulation below is what ships; its LP bound is weak and the
gap at the time limit is reported as is.

where :math:`\bar W_p = \min(Q^P_p, \sum_{i : p \in R(i)} w_i)` and
:math:`\bar W_k = \min(Q^K_k, \sum_i w_i)` are the tightest valid big-M values.
This is the only module of ``recyclenet.siting`` that imports OR-Tools.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.linear_solver import pywraplp

from recyclenet.errors import SolverError
from recyclenet.siting.heuristic import construct
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem
from recyclenet.siting.result import SitingResult


def _seed_string(backend: str, seed: int) -> str:
    if backend == "HIGHS":
        return f"random_seed={seed}"
    if backend == "SCIP":
        return f"randomization/randomseedshift = {seed}"
    return ""


def solve_mip(problem: SitingProblem, params) -> SitingResult:  # noqa: ANN001 (SitingParams)
    """Build and solve the MIP above; see :func:`recyclenet.siting.solve`."""
    start = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver(params.backend)
    if solver is None:
        raise SolverError(f"the MIP backend {params.backend} is not available in this OR-Tools")
    solver.SuppressOutput()
    seed_text = _seed_string(params.backend, params.seed)
    if seed_text:
        solver.SetSolverSpecificParametersAsString(seed_text)

    p = problem
    n_i, n_p, n_k, n_m = p.num_settlements, len(p.points), len(p.stations), len(p.centres)
    w = p.demand_t_per_day
    reach = p.reach()
    cost = p.cost_cny_per_tkm

    y = [solver.BoolVar(f"y{j}") for j in range(n_p)]
    s = [solver.BoolVar(f"s{k}") for k in range(n_k)]
    c = [solver.BoolVar(f"c{m}") for m in range(n_m)]
    x: dict[tuple[int, int], pywraplp.Variable] = {}
    for i in range(n_i):
        for j in np.flatnonzero(reach[i]):
            x[i, int(j)] = solver.BoolVar(f"x{i}_{j}")
    z = [[solver.BoolVar(f"z{j}_{k}") for k in range(n_k)] for j in range(n_p)]
    f = [
        [solver.NumVar(0.0, solver.infinity(), f"f{j}_{k}") for k in range(n_k)] for j in range(n_p)
    ]
    u = [[solver.BoolVar(f"u{k}_{m}") for m in range(n_m)] for k in range(n_k)]
    g = [
        [solver.NumVar(0.0, solver.infinity(), f"g{k}_{m}") for m in range(n_m)] for k in range(n_k)
    ]

    by_point: list[list[int]] = [[] for _ in range(n_p)]
    for i, j in x:
        by_point[j].append(i)

    for i in range(n_i):
        solver.Add(sum(x[i, int(j)] for j in np.flatnonzero(reach[i])) == 1)
    total_w = float(w.sum())
    for j in range(n_p):
        for i in by_point[j]:
            solver.Add(x[i, j] <= y[j])
        inflow = sum(w[i] * x[i, j] for i in by_point[j]) if by_point[j] else 0.0
        solver.Add(inflow <= p.points.capacity_t_per_day[j] * y[j])
        solver.Add(sum(z[j]) == y[j])
        solver.Add(sum(f[j]) == inflow)
        big_m = min(p.points.capacity_t_per_day[j], float(w[by_point[j]].sum()))
        for k in range(n_k):
            solver.Add(z[j][k] <= s[k])
            solver.Add(f[j][k] <= big_m * z[j][k])
    for k in range(n_k):
        station_in = sum(f[j][k] for j in range(n_p))
        solver.Add(station_in <= p.stations.capacity_t_per_day[k] * s[k])
        solver.Add(sum(u[k]) == s[k])
        solver.Add(sum(g[k]) == station_in)
        big_m = min(p.stations.capacity_t_per_day[k], total_w)
        for m in range(n_m):
            solver.Add(u[k][m] <= c[m])
            solver.Add(g[k][m] <= big_m * u[k][m])
    for m in range(n_m):
        solver.Add(sum(g[k][m] for k in range(n_k)) <= p.centres.capacity_t_per_day[m] * c[m])

    for tier, vars_ in ((p.points, y), (p.stations, s), (p.centres, c)):
        solver.Add(sum(vars_) == tier.count)
        for j in np.flatnonzero(tier.existing):
            solver.Add(vars_[int(j)] == 1)

    objective = (
        sum(p.points.fixed_cost_cny_per_year[j] * y[j] for j in range(n_p))
        + sum(p.stations.fixed_cost_cny_per_year[k] * s[k] for k in range(n_k))
        + sum(p.centres.fixed_cost_cny_per_year[m] * c[m] for m in range(n_m))
        + DAYS_PER_YEAR
        * (
            cost["access"] * sum(w[i] * p.access_km[i, j] * var for (i, j), var in x.items())
            + cost["collection"]
            * sum(p.collection_km[j, k] * f[j][k] for j in range(n_p) for k in range(n_k))
            + cost["haul"] * sum(p.haul_km[k, m] * g[k][m] for k in range(n_k) for m in range(n_m))
        )
    )
    solver.Minimize(objective)

    start_net = construct(p)
    if start_net is not None:
        hint_vars, hint_vals = _hint(start_net, p, y, s, c, x, z, f, u, g)
        solver.SetHint(hint_vars, hint_vals)

    remaining_s = max(0.1, params.time_limit_s - (time.perf_counter() - start))
    solver.SetTimeLimit(int(remaining_s * 1000))
    mp = pywraplp.MPSolverParameters()
    mp.SetDoubleParam(mp.RELATIVE_MIP_GAP, params.relative_gap)
    code = solver.Solve(mp)
    runtime = time.perf_counter() - start
    has_bound = code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    bound = float(solver.Objective().BestBound()) if has_bound else -np.inf
    fallback = None
    if start_net is not None:
        fallback = SitingResult(
            problem=p,
            status="feasible",
            objective_cny=float("nan"),
            bound_cny=bound,
            gap=float("nan"),
            runtime_s=runtime,
            solver=params.backend,
            point_of_settlement=start_net[0],
            station_of_point=start_net[1],
            centre_of_station=start_net[2],
        )
        heuristic_obj = fallback.cost_split_cny()["total_cny"]
    if fallback is not None and (
        not has_bound or solver.Objective().Value() > heuristic_obj + 1e-6
    ):
        # The MIP found nothing better than its starting network within the time limit.
        gap = max(0.0, (heuristic_obj - bound) / heuristic_obj) if np.isfinite(bound) else 1.0
        return SitingResult(
            problem=p,
            status="feasible",
            objective_cny=heuristic_obj,
            bound_cny=bound if np.isfinite(bound) else float("nan"),
            gap=gap,
            runtime_s=runtime,
            solver=params.backend + "+heuristic",
            point_of_settlement=start_net[0],
            station_of_point=start_net[1],
            centre_of_station=start_net[2],
        )

    if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        status = "infeasible" if code == pywraplp.Solver.INFEASIBLE else "no_solution"
        return SitingResult(
            problem=p,
            status=status,
            objective_cny=float("nan"),
            bound_cny=float("nan"),
            gap=float("nan"),
            runtime_s=runtime,
            solver=params.backend,
            point_of_settlement=np.full(n_i, -1, dtype=np.int64),
            station_of_point=np.full(n_p, -1, dtype=np.int64),
            centre_of_station=np.full(n_k, -1, dtype=np.int64),
        )

    point_of = np.full(n_i, -1, dtype=np.int64)
    for (i, j), var in x.items():
        if var.solution_value() > 0.5:
            point_of[i] = j
    station_of = np.full(n_p, -1, dtype=np.int64)
    for j in range(n_p):
        if y[j].solution_value() > 0.5:
            station_of[j] = int(np.argmax([z[j][k].solution_value() for k in range(n_k)]))
    centre_of = np.full(n_k, -1, dtype=np.int64)
    for k in range(n_k):
        if s[k].solution_value() > 0.5:
            centre_of[k] = int(np.argmax([u[k][m].solution_value() for m in range(n_m)]))
    obj = solver.Objective().Value()
    bound = solver.Objective().BestBound()
    gap = max(0.0, (obj - bound) / abs(obj)) if abs(obj) > 1e-9 else 0.0
    return SitingResult(
        problem=p,
        status="optimal" if code == pywraplp.Solver.OPTIMAL else "feasible",
        objective_cny=float(obj),
        bound_cny=float(bound),
        gap=float(gap),
        runtime_s=runtime,
        solver=params.backend,
        point_of_settlement=point_of,
        station_of_point=station_of,
        centre_of_station=centre_of,
    )


def _hint(net, p, y, s, c, x, z, f, u, g):  # noqa: ANN001, ANN202
    """Variables and values of a starting network, for ``solver.SetHint``."""
    point_of, station_of, centre_of = net
    w = p.demand_t_per_day
    inflow = np.bincount(point_of, weights=w, minlength=len(p.points))
    at_station = np.zeros(len(p.stations))
    vars_, vals = [], []
    for j in range(len(p.points)):
        vars_.append(y[j])
        vals.append(float(station_of[j] >= 0))
        for k in range(len(p.stations)):
            on = station_of[j] == k
            vars_ += [z[j][k], f[j][k]]
            vals += [float(on), float(inflow[j]) if on else 0.0]
            if on:
                at_station[k] += inflow[j]
    for k in range(len(p.stations)):
        vars_.append(s[k])
        vals.append(float(centre_of[k] >= 0))
        for m in range(len(p.centres)):
            on = centre_of[k] == m
            vars_ += [u[k][m], g[k][m]]
            vals += [float(on), float(at_station[k]) if on else 0.0]
    open_c = set(int(m) for m in centre_of if m >= 0)
    for m in range(len(p.centres)):
        vars_.append(c[m])
        vals.append(float(m in open_c))
    for (i, j), var in x.items():
        vars_.append(var)
        vals.append(float(point_of[i] == j))
    return vars_, vals
