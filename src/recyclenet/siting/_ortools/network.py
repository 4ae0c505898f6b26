"""The joint three-tier model (the compact MIP and the inner problem of fixed upper tiers)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from ortools.math_opt.python import mathopt  # loaded with the module, not timed per solve

from recyclenet.errors import SolverError
from recyclenet.siting.heuristic import construct
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem
from recyclenet.siting.result import SitingResult, network_cost_cny

if TYPE_CHECKING:
    from recyclenet.siting.solve import SitingParams

from recyclenet.siting._ortools.common import (
    _FOUND,
    _count,
    _dual_bound,
    _largest_share,
    _point_constraints,
    _points_budget,
    _solve_model,
)
from recyclenet.siting._ortools.points import PointsTask, solve_points


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

        model.minimize(self._objective())

    def _objective(self) -> Any:
        """Fixed costs of the open sites, the yearly transport of every flow, and the
        overflow penalties of the elastic model."""
        p, days, cost = self.p, DAYS_PER_YEAR, self.p.cost_cny_per_tkm
        w = p.demand_t_per_day
        return mathopt.fast_sum(
            [float(p.points.fixed_cost_cny_per_year[j]) * v for j, v in enumerate(self.y)]
            + [float(p.stations.fixed_cost_cny_per_year[k]) * self.s[k] for k in self.ks]
            + [float(p.centres.fixed_cost_cny_per_year[m]) * self.c[m] for m in self.ms]
            + [
                days * cost["access"] * float(w[i] * p.access_km[i, j]) * v
                for (i, j), v in self.x.items()
            ]
            + [
                days * cost["collection"] * float(p.collection_km[j, k]) * v
                for (j, k), v in self.f.items()
            ]
            + [days * cost["haul"] * float(p.haul_km[k, m]) * v for (k, m), v in self.g.items()]
            + [OVERFLOW_PENALTY * v for v in self.overflow.values()]
        )

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
