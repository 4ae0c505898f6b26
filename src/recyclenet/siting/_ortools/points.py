"""The collection-point tier for fixed stations: the p-median models, their reductions,
and the cover models."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from ortools.math_opt.python import mathopt  # loaded with the module, not timed per solve

from recyclenet.errors import SolverError
from recyclenet.siting import lagrangian
from recyclenet.siting._ortools.common import (
    _dual_bound,
    _largest_share,
    _point_constraints,
    _points_budget,
    _solve_model,
)
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem

PointsOutcome = (
    tuple[NDArray[np.int64], NDArray[np.bool_], float, float, bool] | Literal["infeasible"] | None
)
"""What a point model returns: ``(point_of_settlement, open mask, objective, bound,
proved)``, ``"infeasible"``, or ``None`` (nothing found in time)."""


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


def _cost_levels(
    p: SitingProblem, unit: NDArray[np.float64]
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] | None:
    """Per settlement, its reachable points by cost, their costs, and where each cost
    level starts (``None`` where a settlement reaches no point)."""
    w = p.demand_t_per_day
    c = p.cost_cny_per_tkm
    reach = p.reach()
    order: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    levels: list[np.ndarray] = []  # start index of every level in order[i]
    for i in range(p.num_settlements):
        js = np.flatnonzero(reach[i])
        cost = DAYS_PER_YEAR * w[i] * (c["access"] * p.access_km[i, js] + unit[js])
        sort = np.argsort(cost, kind="stable")
        js, cost = js[sort], cost[sort]
        if len(cost) == 0:
            return None
        new_level = np.r_[True, np.diff(cost) > 1e-9 * max(1.0, abs(float(cost[-1])))]
        order.append(js)
        costs.append(cost)
        levels.append(np.flatnonzero(new_level))
    return order, costs, levels


def _radius_model(
    task: PointsTask,
    order: list[np.ndarray],
    costs: list[np.ndarray],
    levels: list[np.ndarray],
    depth: NDArray[np.int64],
) -> tuple[mathopt.Model, list[Any], list[Any], float]:
    """One round's radius model: a settlement's first ``depth`` cost levels, the point
    tier's rules; its objective terms beyond each settlement's first level and their
    constant."""
    p, backend = task.problem, task.backend
    n_p = len(p.points)
    model = mathopt.Model(name="recyclenet-radius")
    y = [model.add_binary_variable(name=f"y{j}") for j in range(n_p)]
    terms = []
    constant = task.fixed_upper
    for i in range(p.num_settlements):
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
    return model, y, terms, constant


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
    p, unit = task.problem, task.unit
    n_i, n_p = p.num_settlements, len(p.points)
    fixed = p.points.fixed_cost_cny_per_year
    ranked = _cost_levels(p, unit)
    if ranked is None:
        return "infeasible"
    order, costs, levels = ranked
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
        model, y, terms, constant = _radius_model(task, order, costs, levels, depth)
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
