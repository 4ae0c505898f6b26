"""MathOpt plumbing shared by the siting models: the backends, a solve, its bound."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from ortools.math_opt.python import mathopt  # loaded with the module, not timed per solve
from ortools.math_opt.solvers import highs_pb2

from recyclenet.siting.problem import SitingProblem, Tier

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
