r"""The three-tier siting MIP in OR-Tools' linear solver.

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

How it is solved (:func:`recyclenet.siting.solve`): when the station and centre choices
are few, exactly, by bounded enumeration of the upper tiers
(:mod:`recyclenet.siting.decompose`), each surviving choice's *inner* problem solved here
by :func:`solve_inner`; otherwise as one monolithic MIP (:func:`solve_mip`) started from
the heuristic network. Measured on Cuiping (315 settlements, 18 candidate stations, 4
centres): the monolithic model's LP bound is weak (SCIP: 13.6 % gap after 60 s; OR-Tools'
pywraplp wrapper of HiGHS, used then, dropped HiGHS's incumbent at the time limit and
returned nothing), and a disaggregated path formulation (96k columns) did not finish
HiGHS's root node in 60 s. Every model here is built and solved in MathOpt
(:func:`_solve_model`).

where :math:`\bar W_p = \min(Q^P_p, \sum_{i : p \in R(i)} w_i)` and
:math:`\bar W_k = \min(Q^K_k, \sum_i w_i)` are the tightest valid big-M values.
This is the only module of ``recyclenet.siting`` that imports OR-Tools.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from ortools.math_opt.python import mathopt  # loaded with the module, not timed per solve
from ortools.math_opt.solvers import highs_pb2

from recyclenet.errors import SolverError
from recyclenet.siting import lagrangian
from recyclenet.siting.heuristic import construct
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem, Tier
from recyclenet.siting.result import SitingResult, network_cost_cny
from recyclenet.siting.specialised import SpecialisedProblem, SpecialisedResult

if TYPE_CHECKING:
    from recyclenet.siting.solve import SitingParams

PointsOutcome = (
    tuple[NDArray[np.int64], NDArray[np.bool_], float, float, bool] | Literal["infeasible"] | None
)
"""What a point model returns: ``(point_of_settlement, open mask, objective, bound,
proved)``, ``"infeasible"``, or ``None`` (nothing found in time)."""

_MATHOPT_SOLVERS = {"HIGHS": "HIGHS", "SCIP": "GSCIP", "CP_SAT": "CP_SAT"}


def _solve_model(
    model: mathopt.Model,
    backend: str,
    *,
    time_limit_s: float,
    relative_gap: float,
    seed: int = 0,
    absolute_gap: float | None = None,
    cutoff: float = math.inf,
    skip_heuristics: bool = True,
    hint: dict[mathopt.Variable, float] | None = None,
) -> mathopt.SolveResult:
    """Solve a MathOpt model with one of the backends OR-Tools bundles.

    MathOpt rather than pywraplp: OR-Tools' pywraplp interface to HiGHS ignores the
    relative gap and the seed, reports the objective as the bound, and drops HiGHS's
    incumbent at the time limit; MathOpt passes HiGHS's own dual bound and incumbent.
    ``cutoff``: only solutions cheaper than this are sought (HiGHS only; with a network
    in hand HiGHS prunes at its cost and, with ``skip_heuristics``, skips the sub-MIP
    heuristics that look for a first one: pmed16 16 s -> 8 s; but on Cuiping's
    capacitated inner model, whose cutoff is far above the optimum, the same took 60 s
    against 4.8 s with them). ``hint``: a starting solution (SCIP only).
    """
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(0.05, time_limit_s)),
        relative_gap_tolerance=relative_gap,
        absolute_gap_tolerance=absolute_gap,
        random_seed=seed,
        enable_output=False,
    )
    solver_type = getattr(mathopt.SolverType, _MATHOPT_SOLVERS[backend])
    if np.isfinite(cutoff) and solver_type == mathopt.SolverType.HIGHS:
        highs = highs_pb2.HighsOptionsProto()
        highs.double_options["objective_bound"] = float(cutoff)
        for name in ("rins", "rens", "root_reduced_cost") if skip_heuristics else ():
            highs.bool_options[f"mip_heuristic_run_{name}"] = False
        params.highs = highs
    model_params = None
    if hint and solver_type == mathopt.SolverType.GSCIP:
        model_params = mathopt.ModelSolveParameters(
            solution_hints=[mathopt.SolutionHint(variable_values=hint)]
        )
    return mathopt.solve(model, solver_type, params=params, model_params=model_params)


_FOUND = (mathopt.TerminationReason.OPTIMAL, mathopt.TerminationReason.FEASIBLE)


def _dual_bound(result: mathopt.SolveResult) -> float:
    """The backend's proved lower bound (``-inf`` when it proved none)."""
    bound = float(result.termination.objective_bounds.dual_bound)
    return bound if np.isfinite(bound) else -math.inf


class _Compact:
    """The compact model above, over a subset of station and centre candidates, in
    MathOpt (solved by :func:`_solve_model`).

    With ``fixed_upper=True`` the given stations and centres are open (their ``s``, ``c``
    are constants 1 and the counts of those tiers hold by construction). With
    ``elastic=True`` every capacity may overflow at ``OVERFLOW_PENALTY`` per t/day.
    A model with paths (one variable per settlement, point and station) was tried for
    the fixed-upper case: its LP is tighter but it solved Cuiping's first station set in
    9.9 s against 4.3 s for this one, so it was not kept.
    """

    def __init__(
        self,
        backend: str,
        p: SitingProblem,
        ks: list[int],
        ms: list[int],
        *,
        fixed_upper: bool,
        elastic: bool = False,
    ) -> None:
        if backend == "CP_SAT":
            raise SolverError(
                "CP-SAT has no continuous variables, which the capacitated and monolithic "
                "models need; use HIGHS or SCIP for this scenario"
            )
        self.p, self.ks, self.ms = p, ks, ms
        self.model = model = mathopt.Model(name="recyclenet-compact")
        add, total = model.add_linear_constraint, mathopt.fast_sum
        n_i, n_p = p.num_settlements, len(p.points)
        w = p.demand_t_per_day
        reach = p.reach()
        cost = p.cost_cny_per_tkm
        self.y = [model.add_binary_variable(name=f"y{j}") for j in range(n_p)]
        if fixed_upper:
            self.s: dict[int, Any] = {k: 1 for k in ks}
            self.c: dict[int, Any] = {m: 1 for m in ms}
        else:
            self.s = {k: model.add_binary_variable(name=f"s{k}") for k in ks}
            self.c = {m: model.add_binary_variable(name=f"c{m}") for m in ms}
        self.x: dict[tuple[int, int], mathopt.Variable] = {}
        # Station and centre capacities may bind here, so only split demand is continuous.
        share = not p.single_sourcing
        for i in range(n_i):
            for j in np.flatnonzero(reach[i]).tolist():
                name = f"x{i}_{j}"
                self.x[i, j] = (
                    model.add_variable(lb=0.0, ub=1.0, name=name)
                    if share
                    else model.add_binary_variable(name=name)
                )
        self.z = {
            (j, k): model.add_binary_variable(name=f"z{j}_{k}") for j in range(n_p) for k in ks
        }
        self.f = {
            (j, k): model.add_variable(lb=0.0, name=f"f{j}_{k}") for j in range(n_p) for k in ks
        }
        self.u = {(k, m): model.add_binary_variable(name=f"u{k}_{m}") for k in ks for m in ms}
        self.g = {(k, m): model.add_variable(lb=0.0, name=f"g{k}_{m}") for k in ks for m in ms}
        y, s, c, x, z, f, u, g = self.y, self.s, self.c, self.x, self.z, self.f, self.u, self.g
        # Elastic: capacities may overflow at a penalty, to find out which ones bind.
        self.overflow: dict[tuple[str, int], mathopt.Variable] = {}

        def room(tier: str, idx: int, cap: float) -> Any:
            if not elastic:
                return cap
            var = model.add_variable(lb=0.0, name=f"o_{tier}{idx}")
            self.overflow[tier, idx] = var
            return cap + var

        by_point: list[list[int]] = [[] for _ in range(n_p)]
        for i, j in x:
            by_point[j].append(i)
        for i in range(n_i):
            add(total(x[i, int(j)] for j in np.flatnonzero(reach[i])) == 1)
        total_w = float(w.sum())
        for j in range(n_p):
            for i in by_point[j]:
                add(x[i, j] <= y[j])
            inflow = total(float(w[i]) * x[i, j] for i in by_point[j])
            add(inflow <= room("collection_point", j, float(p.points.capacity_t_per_day[j]) * y[j]))
            add(total(z[j, k] for k in ks) == y[j])
            add(total(f[j, k] for k in ks) == inflow)
            reachable = float(w[by_point[j]].sum())
            big_m = reachable if elastic else min(float(p.points.capacity_t_per_day[j]), reachable)
            for k in ks:
                if not fixed_upper:
                    add(z[j, k] <= s[k])
                add(f[j, k] <= big_m * z[j, k])
        for k in ks:
            station_in = total(f[j, k] for j in range(n_p))
            cap_k = float(p.stations.capacity_t_per_day[k])
            add(station_in <= room("transfer_station", k, cap_k * s[k]))
            add(total(u[k, m] for m in ms) == s[k])
            add(total(g[k, m] for m in ms) == station_in)
            big_m = total_w if elastic else min(cap_k, total_w)
            for m in ms:
                if not fixed_upper:
                    add(u[k, m] <= c[m])
                add(g[k, m] <= big_m * u[k, m])
        for m in ms:
            cap_m = float(p.centres.capacity_t_per_day[m])
            add(total(g[k, m] for k in ks) <= room("sorting_centre", m, cap_m * c[m]))

        _point_constraints(add, p, y, x)
        if not fixed_upper:
            for county, (_, _, n_stations) in enumerate(p.county_counts):
                assert p.station_county is not None
                add(total(s[k] for k in ks if p.station_county[k] == county) == n_stations)
        if not fixed_upper and p.max_stations_per_group is not None:
            assert p.station_group is not None
            for group in np.unique(p.station_group[p.station_group >= 0]):
                members = [k for k in ks if p.station_group[k] == group]
                add(total(s[k] for k in members) <= p.max_stations_per_group)
        if not fixed_upper:
            for tier, vars_ in ((p.stations, s), (p.centres, c)):
                _count(add, total(vars_.values()), tier)
                for j in np.flatnonzero(tier.must_open).tolist():
                    add(vars_[j] == 1)
        if p.budget_cny_per_year is not None:
            new_fixed = total(
                float(tier.fixed_cost_cny_per_year[j]) * vars_[j]
                for tier, vars_ in ((p.points, dict(enumerate(y))), (p.stations, s), (p.centres, c))
                for j in vars_
                if not tier.existing[j] and not isinstance(vars_[j], int)
            )
            # With the upper tiers fixed, only the points' share of the budget is left.
            limit = _points_budget(p, ks, ms) if fixed_upper else p.budget_cny_per_year
            add(new_fixed <= limit)

        days = DAYS_PER_YEAR
        objective = total(
            [float(p.points.fixed_cost_cny_per_year[j]) * y[j] for j in range(n_p)]
            + [float(p.stations.fixed_cost_cny_per_year[k]) * s[k] for k in ks]
            + [float(p.centres.fixed_cost_cny_per_year[m]) * c[m] for m in ms]
            + [
                days * cost["access"] * float(w[i] * p.access_km[i, j]) * v
                for (i, j), v in x.items()
            ]
            + [
                days * cost["collection"] * float(p.collection_km[j, k]) * v
                for (j, k), v in f.items()
            ]
            + [days * cost["haul"] * float(p.haul_km[k, m]) * v for (k, m), v in g.items()]
            + [OVERFLOW_PENALTY * v for v in self.overflow.values()]
        )
        model.minimize(objective)

    def network(self, values: dict[Any, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The solution ``values`` (variable -> value) as ``(point_of_settlement,
        station_of_point, centre_of_station)``."""
        p = self.p
        point_of = _largest_share(p.num_settlements, self.x, values.__getitem__)
        station_of = np.full(len(p.points), -1, dtype=np.int64)
        for j in range(len(p.points)):
            if values[self.y[j]] > 0.5:
                station_of[j] = max(self.ks, key=lambda k: values[self.z[j, k]])
        centre_of = np.full(len(p.stations), -1, dtype=np.int64)
        for k in self.ks:
            s_val = self.s[k] if isinstance(self.s[k], int) else values[self.s[k]]
            if s_val > 0.5:
                centre_of[k] = max(self.ms, key=lambda m: values[self.u[k, m]])
        return point_of, station_of, centre_of

    def hint(self, net: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[Any, float]:
        """A network as values of the model's variables, for :func:`_solve_model`."""
        p = self.p
        point_of, station_of, centre_of = net
        w = p.demand_t_per_day
        inflow = np.bincount(point_of, weights=w, minlength=len(p.points))
        at_station = np.zeros(len(p.stations))
        values: dict[Any, float] = {}
        for j in range(len(p.points)):
            values[self.y[j]] = float(station_of[j] >= 0)
            for k in self.ks:
                on = station_of[j] == k
                values[self.z[j, k]] = float(on)
                values[self.f[j, k]] = float(inflow[j]) if on else 0.0
                if on:
                    at_station[k] += inflow[j]
        open_c = {int(m) for m in centre_of if m >= 0}
        for k in self.ks:
            if not isinstance(self.s[k], int):
                values[self.s[k]] = float(centre_of[k] >= 0)
            for m in self.ms:
                on = centre_of[k] == m
                values[self.u[k, m]] = float(on)
                values[self.g[k, m]] = float(at_station[k]) if on else 0.0
        for m in self.ms:
            if not isinstance(self.c[m], int):
                values[self.c[m]] = float(m in open_c)
        for (i, j), var in self.x.items():
            values[var] = float(point_of[i] == j)
        return values


def _largest_share(
    n_settlements: int, x: dict[tuple[int, int], Any], value: Callable[[Any], float]
) -> np.ndarray:
    """Each settlement's point with the largest share ``value(x[i, j])`` (-1: none)."""
    point_of = np.full(n_settlements, -1, dtype=np.int64)
    best = np.zeros(n_settlements)
    for (i, j), var in x.items():
        v = value(var)
        if v > best[i] + 1e-9:
            best[i], point_of[i] = v, j
    return point_of


OVERFLOW_PENALTY = 1e9  # CNY per t/day over a capacity, in the elastic re-solve


def capacity_overflows(
    problem: SitingProblem, *, time_limit_s: float
) -> list[tuple[str, str, float, float]] | None:
    """Elastic re-solve: ``(tier, site id, capacity, overflow t/day)`` of the capacities
    the least-overflow network exceeds; ``[]`` if none must; ``None`` if unsolved."""
    p = problem
    model = _Compact(
        "SCIP",
        p,
        list(range(len(p.stations))),
        list(range(len(p.centres))),
        fixed_upper=False,
        elastic=True,
    )
    result = _solve_model(model.model, "SCIP", time_limit_s=time_limit_s, relative_gap=1e-3)
    if result.termination.reason not in _FOUND:
        return None
    values = result.variable_values()
    out = []
    for (tier, idx), var in model.overflow.items():
        if values[var] > 1e-6:
            t = p.tier(tier)
            out.append((tier, t.ids[idx], float(t.capacity_t_per_day[idx]), values[var]))
    return sorted(out, key=lambda r: -r[3])


def _coverage(add: Callable[..., Any], p: SitingProblem, x: dict[tuple[int, int], Any]) -> None:
    """Coverage mode: the covered population must reach ``p.min_covered_population``."""
    if not p.coverage_mode or p.min_covered_population is None:
        return
    assert p.population is not None
    covered = p.covered()
    add(
        sum(float(p.population[i]) * v for (i, j), v in x.items() if covered[i, j])
        >= p.min_covered_population - 1e-6
    )


def _count(add: Callable[..., Any], total: Any, tier: Tier) -> None:
    """Exact count, or a range when the tier has ``count_max``.

    ``add`` adds a constraint (``model.add_linear_constraint`` of MathOpt).
    """
    if tier.count_max is None:
        add(total == tier.count)
    else:
        add(total >= tier.count)
        add(total <= tier.count_max)


def _point_constraints(
    add: Callable[..., Any], p: SitingProblem, y: list[Any], x: dict[tuple[int, int], Any]
) -> None:
    """Constraints on the point tier shared by every model: count, sites that must open,
    the coverage target, and each county's point count."""
    _count(add, sum(y), p.points)
    for j in np.flatnonzero(p.points.must_open):
        add(y[int(j)] == 1)
    _coverage(add, p, x)
    for county, (_, n_points, _) in enumerate(p.county_counts):
        assert p.point_county is not None
        add(sum(y[j] for j in range(len(y)) if p.point_county[j] == county) == n_points)


def _points_budget(p: SitingProblem, ks: list[int], ms: list[int]) -> float:
    """Budget left for new points once the given stations and centres are paid for."""
    assert p.budget_cny_per_year is not None
    return (
        p.budget_cny_per_year
        - p.stations.new_fixed_cost(np.array(ks))
        - p.centres.new_fixed_cost(np.array(ms))
    )


def solve_mip(problem: SitingProblem, params: SitingParams) -> SitingResult:
    """The monolithic MIP, started from the heuristic network; see the module docstring."""
    start = time.perf_counter()
    p = problem
    model = _Compact(
        params.backend,
        p,
        list(range(len(p.stations))),
        list(range(len(p.centres))),
        fixed_upper=False,
    )
    start_net = construct(p)
    heuristic_obj = math.inf
    if start_net is not None:
        heuristic_obj = network_cost_cny(p, start_net)
    result = _solve_model(
        model.model,
        params.backend,
        time_limit_s=params.time_limit_s - (time.perf_counter() - start),
        relative_gap=params.relative_gap,
        seed=params.seed,
        # HiGHS takes the starting network's cost as a cutoff, SCIP the network itself
        # (the only backend _solve_model hands hints to).
        cutoff=heuristic_obj * (1 + 1e-9),
        hint=model.hint(start_net) if start_net is not None and params.backend == "SCIP" else None,
    )
    runtime = time.perf_counter() - start
    reason = result.termination.reason
    has_solution = reason in _FOUND and result.has_primal_feasible_solution()
    bound = _dual_bound(result)
    label = params.backend
    net: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None
    if has_solution:
        net = model.network(result.variable_values())
        obj = float(result.objective_value())
        status = "optimal" if reason == mathopt.TerminationReason.OPTIMAL else "feasible"
    else:
        net = start_net
        infeasible = reason == mathopt.TerminationReason.INFEASIBLE and start_net is None
        status = "infeasible" if infeasible else "no_solution"
        obj = float("nan")
    if start_net is not None:
        if reason == mathopt.TerminationReason.INFEASIBLE:
            bound = heuristic_obj  # nothing costs less than the starting network
        if not has_solution or obj > heuristic_obj + 1e-6:
            # Nothing better than the starting network was found within the time limit.
            net, obj, status, label = (
                start_net,
                heuristic_obj,
                "feasible",
                params.backend + "+start",
            )
    if net is None:
        empty = np.full(0, -1, dtype=np.int64)
        return SitingResult(
            p,
            status,
            float("nan"),
            float("nan"),
            float("nan"),
            runtime,
            label,
            np.full(p.num_settlements, -1, dtype=np.int64),
            np.full(len(p.points), -1, dtype=np.int64) if len(p.points) else empty,
            np.full(len(p.stations), -1, dtype=np.int64),
        )
    gap = max(0.0, (obj - bound) / abs(obj)) if np.isfinite(bound) and abs(obj) > 1e-9 else 1.0
    if gap <= params.relative_gap + 1e-12:
        status = "optimal"
    return SitingResult(
        problem=p,
        status=status,
        objective_cny=obj,
        bound_cny=bound,
        gap=float(gap),
        runtime_s=runtime,
        solver=label,
        point_of_settlement=net[0],
        station_of_point=net[1],
        centre_of_station=net[2],
    )


def solve_inner(
    problem: SitingProblem,
    stations: tuple[int, ...],
    centres: tuple[int, ...],
    *,
    time_limit_s: float,
    relative_gap: float,
    backend: str,
    seed: int,
    cutoff: float = math.inf,
) -> tuple[float, float, tuple[np.ndarray, np.ndarray, np.ndarray] | None] | None:
    """Points and assignments with the given stations and centres open.

    First without station and centre capacities: every point then sends to its cheapest
    station and every station to its nearest centre, and the model is a p-median with
    fixed costs over ``x`` and ``y`` only. If that network respects every capacity it is
    optimal for the inner problem; if its proved bound already reaches ``cutoff`` (the
    caller's incumbent), no network of these sites can be better and the capacitated
    model is skipped; otherwise the compact model restricted to these sites is solved.
    Returns ``(objective, bound, network)``; ``(inf, inf, None)`` when these sites admit
    no network; ``(inf, bound, None)`` when none costs less than ``cutoff`` (``bound`` at
    least ``cutoff``; HiGHS takes the cutoff, SCIP may return a network above it); or
    ``None`` when no network was found within the time limit. A network found at the
    time limit comes with the bound proved by then.
    """
    start = time.perf_counter()
    p = problem
    ks, ms = list(stations), list(centres)
    fixed_upper = float(p.stations.fixed_cost_cny_per_year[ks].sum()) + float(
        p.centres.fixed_cost_cny_per_year[ms].sum()
    )
    unit, best_k, centre_of = p.onward(ks, ms)

    found = solve_points(
        PointsTask(p, unit, fixed_upper, ks, ms, relative_gap, backend), time_limit_s=time_limit_s
    )
    if found == "infeasible":
        return math.inf, math.inf, None
    if found is None:
        return None
    point_of, y_open, obj, bound, proved = found
    station_of = np.full(len(p.points), -1, dtype=np.int64)
    # Open points by y: an open point may serve nobody when the count exceeds the need.
    opened = np.flatnonzero(y_open)
    station_of[opened] = best_k[opened]
    relaxed = (obj, bound)
    net = (point_of, station_of, centre_of)
    flows = SitingResult(p, "feasible", 0, 0, 0, 0, "", *net).throughput_t_per_day()
    if np.all(flows["transfer_station"] <= p.stations.capacity_t_per_day + 1e-9) and np.all(
        flows["sorting_centre"] <= p.centres.capacity_t_per_day + 1e-9
    ):
        return relaxed[0], relaxed[1], net

    if proved and bound >= cutoff:
        return math.inf, bound, None  # the capacitated network costs at least as much
    # Capacities bind: the compact model over these sites, bounded below by the relaxation.
    remaining = time_limit_s - (time.perf_counter() - start)
    if remaining <= 0.2:
        return None
    if not proved:
        return None  # no proved relaxation to bound the capacitated model with
    model = _Compact(backend, p, ks, ms, fixed_upper=True)
    result = _solve_model(
        model.model,
        backend,
        time_limit_s=time_limit_s - (time.perf_counter() - start),
        relative_gap=relative_gap,
        seed=seed,
        cutoff=cutoff,
        skip_heuristics=False,
    )
    reason = result.termination.reason
    if reason == mathopt.TerminationReason.INFEASIBLE:
        # None at all, or (with a cutoff) none below it.
        return math.inf, max(bound, cutoff), None
    if reason not in _FOUND or not result.has_primal_feasible_solution():
        return None
    capacitated_bound = max(bound, _dual_bound(result))
    return (
        float(result.objective_value()),
        capacitated_bound,
        model.network(result.variable_values()),
    )


@dataclass(frozen=True)
class PointsTask:
    """The points problem without station and centre capacities.

    Attributes
    ----------
    problem
        The siting problem (its settlements, candidate points and point-tier rules).
    unit
        CNY per tonne with which each point forwards its material.
    fixed_upper
        A constant added to the objective (the fixed costs of the upper tiers).
    stations, centres
        Open stations and centres whose new fixed costs come off the budget.
    relative_gap, backend
        Solver settings (``backend``: HIGHS, SCIP or CP_SAT).
    """

    problem: SitingProblem
    unit: np.ndarray
    fixed_upper: float
    stations: list[int]
    centres: list[int]
    relative_gap: float
    backend: str = "HIGHS"


def solve_points(task: PointsTask, *, time_limit_s: float) -> PointsOutcome:
    """Solve a :class:`PointsTask`: the radius model when no point can fill up, else the
    classical one. Returns ``"infeasible"``, ``None`` (nothing found) or
    ``(point_of_settlement, open mask, objective, bound, proved)``."""
    p = task.problem
    model = _p_median_radius if not p.coverage_mode and p.points_never_full() else _p_median_mathopt
    return model(task, time_limit_s=time_limit_s)


def _finish_points_model(
    model: mathopt.Model,
    task: PointsTask,
    y: list[Any],
    terms: list[Any],
    constant: float,
    *,
    time_limit_s: float,
    absolute_gap: float | None = None,
    cutoff: float = math.inf,
) -> mathopt.SolveResult:
    """Shared end of the MathOpt point models: the point-tier rules, the points' budget,
    the objective (points' fixed costs + ``terms`` + ``constant``), and the solve
    (``absolute_gap``: just under 1 when every network costs a whole number; ``cutoff``:
    only solutions cheaper than this are sought, HiGHS only)."""

    p = task.problem
    fixed = p.points.fixed_cost_cny_per_year
    if p.budget_cny_per_year is not None:
        model.add_linear_constraint(
            mathopt.fast_sum(
                float(fixed[j]) * y[j] for j in range(len(y)) if not p.points.existing[j]
            )
            <= _points_budget(p, task.stations, task.centres)
        )
    model.minimize(
        mathopt.fast_sum(float(fixed[j]) * y[j] for j in range(len(y)))
        + mathopt.fast_sum(terms)
        + constant
    )
    return _solve_model(
        model,
        task.backend,
        time_limit_s=time_limit_s,
        relative_gap=task.relative_gap,
        absolute_gap=absolute_gap,
        cutoff=cutoff,
    )


def _p_median_mathopt(task: PointsTask, *, time_limit_s: float) -> PointsOutcome:
    """The inner problem without station and centre capacities, in MathOpt with HiGHS.

    MathOpt, unlike OR-Tools' pywraplp wrapper, returns HiGHS's incumbent and bound when
    the time limit stops the search. Returns ``"infeasible"``, ``None`` (nothing found), or
    ``(point_of_settlement, open mask, objective, bound, proved)``.
    """

    start = time.perf_counter()
    p, unit, backend = task.problem, task.unit, task.backend
    w = p.demand_t_per_day
    c = p.cost_cny_per_tkm
    reach = p.reach()
    n_p = len(p.points)
    cutoff, red = math.inf, _capacitated_reduction(task, time_limit_s=0.4 * time_limit_s)
    if red is not None:
        reduction, shares = red
        y_open = np.zeros(n_p, dtype=bool)
        y_open[reduction.sites] = True
        point_of = reduction.sites[np.argmax(shares, axis=1)]
        upper = reduction.upper + task.fixed_upper
        bound = reduction.bound + task.fixed_upper
        if bound >= upper * (1 - task.relative_gap):  # proved by the Lagrangian bound
            return point_of, y_open, upper, bound, True
        # Only the sites some cheaper network may open enter the MIP.
        reach = reach & ~reduction.closed[None, :]
        cutoff = upper
    model = mathopt.Model(name="recyclenet-inner")
    y = [model.add_binary_variable(name=f"y{j}") for j in range(n_p)]
    if red is not None:
        for j in np.flatnonzero(reduction.opened).tolist():
            model.add_linear_constraint(y[j] == 1)
        for j in np.flatnonzero(reduction.closed).tolist():
            model.add_linear_constraint(y[j] == 0)
        model.add_linear_constraint(  # the open capacity covers the demand
            mathopt.fast_sum(float(p.points.capacity_t_per_day[j]) * y[j] for j in range(n_p))
            >= float(w.sum())
        )
    x: dict[tuple[int, int], mathopt.Variable] = {}
    by_point: list[list[int]] = [[] for _ in range(n_p)]
    terms = []
    share = not p.single_sourcing
    if backend == "CP_SAT" and not p.single_sourcing:
        raise SolverError("CP-SAT has no continuous variables: it cannot split demand; use HIGHS")
    for i in range(p.num_settlements):
        row = []
        for j in np.flatnonzero(reach[i]).tolist():
            var = (
                model.add_variable(lb=0.0, ub=1.0, name=f"x{i}_{j}")
                if share and backend != "CP_SAT"
                else model.add_binary_variable(name=f"x{i}_{j}")
            )
            x[i, j] = var
            row.append(var)
            by_point[j].append(i)
            model.add_linear_constraint(var <= y[j])
            terms.append(
                float(DAYS_PER_YEAR * w[i] * (c["access"] * p.access_km[i, j] + unit[j])) * var
            )
        model.add_linear_constraint(mathopt.fast_sum(row) == 1)
    never_full = p.points_never_full()
    for j in range(n_p):
        if by_point[j] and not never_full:
            model.add_linear_constraint(
                mathopt.fast_sum(float(w[i]) * x[i, j] for i in by_point[j])
                <= float(p.points.capacity_t_per_day[j]) * y[j]
            )
    _point_constraints(model.add_linear_constraint, p, y, x)
    # Building the model counts against the limit too.
    remaining = time_limit_s - (time.perf_counter() - start)
    result = _finish_points_model(
        model, task, y, terms, task.fixed_upper, time_limit_s=remaining, cutoff=cutoff
    )
    reason = result.termination.reason
    if red is not None:  # the network in hand stands unless the MIP found a cheaper one
        dual = float(result.termination.objective_bounds.dual_bound)
        proved = reason in (mathopt.TerminationReason.INFEASIBLE, mathopt.TerminationReason.OPTIMAL)
        if reason == mathopt.TerminationReason.INFEASIBLE or np.isfinite(dual) and dual >= upper:
            dual = upper
        better = result.has_primal_feasible_solution() and result.objective_value() < upper
        if not better:
            return point_of, y_open, upper, max(bound, min(dual, upper)), proved
    if reason in (mathopt.TerminationReason.INFEASIBLE,):
        return "infeasible"
    if not result.has_primal_feasible_solution():
        return None
    values = result.variable_values()
    point_of = _largest_share(p.num_settlements, x, values.__getitem__)
    y_open = np.array([values[v] > 0.5 for v in y])
    obj = float(result.objective_value())
    proved = reason == mathopt.TerminationReason.OPTIMAL
    return point_of, y_open, obj, _dual_bound(result), proved


RADIUS_LEVELS = (4, 20)  # fewest and most cost levels per settlement in the first model


def _p_median_radius(task: PointsTask, *, time_limit_s: float) -> PointsOutcome:
    r"""The inner problem when no point can fill up, in the radius formulation.

    Each settlement *i* sorts the distinct costs of its reachable points,
    :math:`D_i^1 < D_i^2 < \dots`, and :math:`z_i^h \ge z_i^{h-1} - \sum_{j: c_{ij} = D_i^h} y_j`
    (with :math:`z_i^0 = 1`) is 1 when no open point costs :math:`D_i^h` or less; the
    settlement costs :math:`D_i^1 + \sum_h (D_i^{h+1} - D_i^h) z_i^h` (Elloumi 2010: the
    LP bound of the classical strong formulation with far fewer nonzeros). Only each
    settlement's first few levels enter the model; its cost beyond them is
    under-charged, so the model is a relaxation and its bound is valid. When its
    solution leaves a settlement with no open point within its levels, those
    settlements get twice as many levels and the model is solved again; when none is
    left, the solution's true cost equals the model's and it is optimal. Same returns as
    :func:`_p_median_mathopt`.
    """

    start = time.perf_counter()
    p, unit, backend = task.problem, task.unit, task.backend
    w = p.demand_t_per_day
    c = p.cost_cny_per_tkm
    reach = p.reach()
    n_i, n_p = p.num_settlements, len(p.points)
    fixed = p.points.fixed_cost_cny_per_year
    # Per settlement: reachable points by cost, and the level of each.
    order: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    levels: list[np.ndarray] = []  # start index of every level in order[i]
    for i in range(n_i):
        js = np.flatnonzero(reach[i])
        cost = DAYS_PER_YEAR * w[i] * (c["access"] * p.access_km[i, js] + unit[js])
        sort = np.argsort(cost, kind="stable")
        js, cost = js[sort], cost[sort]
        if len(cost) == 0:
            return "infeasible"
        new_level = np.r_[True, np.diff(cost) > 1e-9 * max(1.0, abs(float(cost[-1])))]
        order.append(js)
        costs.append(cost)
        levels.append(np.flatnonzero(new_level))
    # About as many levels as points per open point: a settlement's nearest open point
    # usually lies within them (measured on OR-Library pmed: fewer levels mean more
    # rounds, more levels a slower MIP per round).
    first = int(np.clip(math.ceil(n_p / max(1, p.points.max_count)), *RADIUS_LEVELS))
    depth = np.array([min(first, len(lv)) for lv in levels])
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    bound = -math.inf
    integral = _whole_numbers(costs, fixed, task.fixed_upper)
    forced: np.ndarray = np.zeros(0, dtype=np.int64)
    barred: np.ndarray = np.zeros(0, dtype=np.int64)
    cutoff = math.inf
    red = _reduction(task, integral, time_limit_s=0.2 * time_limit_s)
    if red is not None:
        # Sites and costs no network cheaper than the cutoff uses are left out, and
        # each settlement gets the levels below its cost limit: one round suffices.
        cutoff = red.cutoff + task.fixed_upper
        y_open = np.zeros(n_p, dtype=bool)
        y_open[red.sites] = True
        point_of = np.array([js[y_open[js]][0] for js in order])
        best = (red.upper + task.fixed_upper, point_of, y_open)
        bound = red.bound + task.fixed_upper
        if bound >= cutoff:  # the Lagrangian bound proves the network optimal
            return point_of, y_open, best[0], _round_up(min(bound, best[0]), integral), True
        forced, barred = np.flatnonzero(red.opened), np.flatnonzero(red.closed)
        for i in range(n_i):
            keep = ~red.closed[order[i]]
            order[i], costs[i] = order[i][keep], costs[i][keep]
            if len(order[i]) == 0:  # served only by sites no cheaper network opens
                return point_of, y_open, best[0], best[0], True
            new_level = np.r_[True, np.diff(costs[i]) > 1e-9 * max(1.0, abs(costs[i][-1]))]
            levels[i] = np.flatnonzero(new_level)
            depth[i] = max(1, int((costs[i][levels[i]] < red.limit[i]).sum()))
    while True:
        remaining = time_limit_s - (time.perf_counter() - start)
        if remaining <= 0.05:
            break
        model = mathopt.Model(name="recyclenet-radius")
        y = [model.add_binary_variable(name=f"y{j}") for j in range(n_p)]
        terms = []
        constant = task.fixed_upper
        for i in range(n_i):
            lv, js, cost = levels[i], order[i], costs[i]
            constant += float(cost[lv[0]])
            prev = None  # z_i^{h-1}; None stands for the constant 1
            for h in range(depth[i]):
                members = js[lv[h] : lv[h + 1] if h + 1 < len(lv) else len(js)]
                opened = mathopt.fast_sum(y[int(j)] for j in members)
                if h + 1 == len(lv):  # the last level: some reachable point must open
                    model.add_linear_constraint(opened >= (1 if prev is None else prev))
                    break
                z = (  # 0/1 at an optimum anyway; CP-SAT needs it integer
                    model.add_binary_variable(name=f"z{i}_{h}")
                    if backend == "CP_SAT"
                    else model.add_variable(lb=0.0, ub=1.0, name=f"z{i}_{h}")
                )
                model.add_linear_constraint(z + opened >= (1 if prev is None else prev))
                terms.append(float(cost[lv[h + 1]] - cost[lv[h]]) * z)
                prev = z
        _point_constraints(model.add_linear_constraint, p, y, {})
        for j in forced:
            model.add_linear_constraint(y[int(j)] == 1)
        for j in barred:
            model.add_linear_constraint(y[int(j)] == 0)
        # Building the model counts against the limit too (thousands of settlements).
        remaining = time_limit_s - (time.perf_counter() - start)
        result = _finish_points_model(
            model,
            task,
            y,
            terms,
            constant,
            time_limit_s=remaining,
            absolute_gap=1 - 1e-3 if integral else None,
            cutoff=cutoff,
        )
        reason = result.termination.reason
        if reason == mathopt.TerminationReason.INFEASIBLE:
            if best is not None:  # the reduced model: nothing beats the cutoff
                return best[1], best[2], best[0], best[0], True
            return "infeasible"  # a relaxation: the full inner problem is infeasible too
        bound = max(bound, _dual_bound(result))
        if reason == mathopt.TerminationReason.OPTIMAL and bound >= cutoff:
            break  # nothing in the reduced model beats the network in hand
        if not result.has_primal_feasible_solution():
            break
        values = result.variable_values()
        y_open = np.array([values[v] > 0.5 for v in y])
        point_of = np.full(n_i, -1, dtype=np.int64)
        true_cost = float(fixed[y_open].sum()) + task.fixed_upper
        short = np.zeros(n_i, dtype=bool)  # no open point within the modelled levels
        for i in range(n_i):
            js, lv = order[i], levels[i]
            hit = np.flatnonzero(y_open[js])
            if len(hit) == 0:
                short[i] = True
                true_cost = math.inf
                continue
            point_of[i] = js[hit[0]]
            true_cost += float(costs[i][hit[0]])
            modelled = lv[depth[i]] if depth[i] < len(lv) else len(js)
            short[i] = hit[0] >= modelled
        if np.isfinite(true_cost) and (best is None or true_cost < best[0] - 1e-9):
            best = (true_cost, point_of, y_open)
        proved = reason == mathopt.TerminationReason.OPTIMAL
        if not short.any():
            assert best is not None
            proved = proved and best[0] <= true_cost + 1e-9
            return best[1], best[2], best[0], _round_up(min(bound, best[0]), integral), proved
        if not proved:
            break  # no time to refine: report the incumbent with the bound so far
        grow = np.flatnonzero(short)
        depth[grow] = [min(2 * depth[i], len(levels[i])) for i in grow]
    if best is None:
        return None
    bound = _round_up(min(bound, best[0]), integral)
    return best[1], best[2], best[0], bound, bound >= best[0] - 1e-9 * abs(best[0])


def _whole_numbers(costs: list[np.ndarray], fixed: np.ndarray, constant: float) -> bool:
    """Whether every network's cost is a whole number (OR-Library's integer distances)."""

    def whole(a: np.ndarray) -> bool:
        return bool(np.all(np.abs(a - np.round(a)) <= 1e-9 * np.maximum(1.0, np.abs(a))))

    return whole(np.concatenate([*costs, fixed, [constant]]))


def _round_up(bound: float, integral: bool) -> float:
    """A bound on whole-number costs rounds up to the next whole number."""
    if not integral or not np.isfinite(bound):
        return bound if np.isfinite(bound) else -math.inf
    return float(math.ceil(bound - 1e-6 - 1e-9 * abs(bound)))


LAGRANGIAN_MAX_PAIRS = 4_000_000  # dense settlement x point matrix for the reduction


def _reduction_costs(task: PointsTask) -> tuple[np.ndarray, float] | None:
    """Dense settlement x point costs for a Lagrangian reduction, with the cost that
    stands for "out of reach" (dearer than any network); ``None`` where a reduction
    does not apply: a budget or county counts (a network from the Lagrangian steps
    would not respect them), coverage mode, or a matrix over ``LAGRANGIAN_MAX_PAIRS``."""
    p = task.problem
    if (
        p.coverage_mode
        or p.county_counts
        or p.budget_cny_per_year is not None
        or p.num_settlements * len(p.points) > LAGRANGIAN_MAX_PAIRS
    ):
        return None
    c = p.cost_cny_per_tkm
    per_tonne = c["access"] * p.access_km + task.unit[None, :]
    cost = np.where(p.reach(), DAYS_PER_YEAR * p.demand_t_per_day[:, None] * per_tonne, np.inf)
    top = float(cost[np.isfinite(cost)].max()) + float(p.points.fixed_cost_cny_per_year.sum())
    unreachable = 1e3 * (top + 1)
    return np.where(np.isfinite(cost), cost, unreachable), unreachable


def _capacitated_reduction(
    task: PointsTask, *, time_limit_s: float
) -> tuple[lagrangian.Reduction, np.ndarray] | None:
    """Lagrangian bound, network and fixings before the capacitated points MIP
    (:func:`recyclenet.siting.lagrangian.reduce_capacitated`), where demand may split
    over points (OR-Library cap*) and any number of points may open."""
    p = task.problem
    tier = p.points
    if (
        p.single_sourcing
        or p.points_never_full()
        or tier.count > int(tier.must_open.sum())
        or tier.max_count < len(tier)
    ):
        return None
    data = _reduction_costs(task)
    if data is None:
        return None
    cost, unreachable = data
    found = lagrangian.reduce_capacitated(
        cost,
        p.demand_t_per_day,
        tier.capacity_t_per_day,
        tier.fixed_cost_cny_per_year,
        tier.must_open,
        relative_gap=task.relative_gap,
        time_limit_s=time_limit_s,
    )
    if found is None or found[0].upper >= unreachable:
        return None
    return found


def _reduction(
    task: PointsTask, integral: bool, *, time_limit_s: float
) -> lagrangian.Reduction | None:
    """Lagrangian bound, network and fixings before the radius MIP
    (:func:`recyclenet.siting.lagrangian.reduce_sites`)."""
    data = _reduction_costs(task)
    if data is None:
        return None
    cost, unreachable = data
    tier = task.problem.points
    red = lagrangian.reduce_sites(
        cost,
        tier.fixed_cost_cny_per_year,
        tier.must_open,
        tier.count,
        tier.max_count,
        integral=integral,
        time_limit_s=time_limit_s,
    )
    if red is None or red.upper >= unreachable:
        return None
    return red


def min_cover(reach: np.ndarray, forced: np.ndarray, *, time_limit_s: float) -> int | None:
    """Fewest candidate points (``forced`` ones included) within reach of every row.

    Returns ``None`` when no answer was proved within the time limit.
    """
    model = mathopt.Model(name="recyclenet-min-cover")
    y = [model.add_binary_variable(name=f"y{j}") for j in range(reach.shape[1])]
    for i in range(reach.shape[0]):
        model.add_linear_constraint(
            mathopt.fast_sum(y[int(j)] for j in np.flatnonzero(reach[i])) >= 1
        )
    for j in np.flatnonzero(forced):
        model.add_linear_constraint(y[int(j)] == 1)
    model.minimize(mathopt.fast_sum(y))
    result = _solve_model(model, "HIGHS", time_limit_s=time_limit_s, relative_gap=0.0)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    return int(round(result.objective_value()))


def max_cover(
    reach: np.ndarray, weight: np.ndarray, forced: np.ndarray, count: int, *, time_limit_s: float
) -> np.ndarray | None:
    """Open exactly ``count`` points covering the most weight; their mask (or ``None``)."""
    model = mathopt.Model(name="recyclenet-max-cover")
    n_i, n_p = reach.shape
    y = [model.add_binary_variable(name=f"y{j}") for j in range(n_p)]
    covered = [model.add_variable(lb=0.0, ub=1.0, name=f"v{i}") for i in range(n_i)]
    for i in range(n_i):
        model.add_linear_constraint(
            covered[i] <= mathopt.fast_sum(y[int(j)] for j in np.flatnonzero(reach[i]))
        )
    for j in np.flatnonzero(forced):
        model.add_linear_constraint(y[int(j)] == 1)
    model.add_linear_constraint(mathopt.fast_sum(y) == count)
    model.maximize(mathopt.fast_sum(float(weight[i]) * covered[i] for i in range(n_i)))
    result = _solve_model(model, "HIGHS", time_limit_s=time_limit_s, relative_gap=1e-6)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    values = result.variable_values()
    return np.array([values[v] > 0.5 for v in y])


def solve_specialised(problem: SpecialisedProblem, *, time_limit_s: float) -> SpecialisedResult:
    """The specialised-centre stage (:mod:`recyclenet.siting.specialised`) as a MIP in
    MathOpt, solved by HiGHS to a relative gap of 1e-9."""
    p = problem
    n_k, n_g = p.t_per_day.shape
    n_c = len(p.centre_ids)
    rate = DAYS_PER_YEAR * p.haul_cny_per_tkm
    model = mathopt.Model(name="specialised")
    o = [model.add_binary_variable(name=f"o{c}") for c in range(n_c)]
    cost = mathopt.LinearExpression()
    for c in range(n_c):
        cost += float(p.fixed_cost_cny_per_year[c]) * (0.0 if p.existing[c] else 1.0) * o[c]
        if p.existing[c]:
            model.add_linear_constraint(o[c] == 1)
    model.add_linear_constraint(sum(o) == p.count)
    a: dict[tuple[int, int, int], mathopt.Variable] = {}
    load: list[list[Any]] = [[] for _ in range(n_c)]
    for k in range(n_k):
        for g in range(n_g):
            t = float(p.t_per_day[k, g])
            if t <= 0:
                continue
            home = model.add_binary_variable(name=f"a{k}_{g}_0")
            cost += rate * t * float(p.comprehensive_km[k]) * home
            choices = [home]
            for c in np.flatnonzero(p.takes[:, g]).tolist():
                v = model.add_binary_variable(name=f"a{k}_{g}_{c + 1}")
                a[k, g, c] = v
                cost += rate * t * float(p.haul_km[k, c]) * v
                model.add_linear_constraint(v <= o[c])
                model.add_linear_constraint(home <= 1 - o[c])
                load[c].append(t * v)
                choices.append(v)
            model.add_linear_constraint(sum(choices) == 1)
    for c in range(n_c):
        if load[c]:
            model.add_linear_constraint(sum(load[c]) <= float(p.capacity_t_per_day[c]) * o[c])
    model.minimize(cost)
    result = _solve_model(model, "HIGHS", time_limit_s=time_limit_s, relative_gap=1e-9)
    if result.termination.reason not in _FOUND:
        raise SolverError(
            "no plan routes every category to a specialised centre that takes it within "
            "their capacities (专业型分拣中心的处理能力不足以接收其品类): raise their "
            "capacity_t_per_day or siting.counts.specialised_centre"
        )
    values = result.variable_values()
    open_idx = np.array([c for c in range(n_c) if values[o[c]] > 0.5], dtype=np.int64)
    centre_of = np.full((n_k, n_g), -1, dtype=np.int64)
    for (k, g, c), v in a.items():
        if values[v] > 0.5:
            centre_of[k, g] = c
    status = (
        "optimal"
        if result.termination.reason == mathopt.TerminationReason.OPTIMAL
        else ("feasible")
    )
    return SpecialisedResult(
        problem=p,
        status=status,
        open_idx=open_idx,
        centre_of=centre_of,
        objective_cny=float(result.objective_value()),
        bound_cny=_dual_bound(result),
    )
