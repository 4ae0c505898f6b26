"""Solve a :class:`SitingProblem`: ``solve(problem, params) -> SitingResult``."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from recyclenet.siting import _ortools
from recyclenet.siting.choices import count_choices
from recyclenet.siting.counties import solve_by_county
from recyclenet.siting.decompose import solve_by_enumeration
from recyclenet.siting.explain import explain_infeasibility, overflow_explanation
from recyclenet.siting.large import solve_large
from recyclenet.siting.problem import SitingProblem
from recyclenet.siting.result import SitingResult
from recyclenet.siting.specialised import SpecialisedProblem, SpecialisedResult

BACKENDS = ("HIGHS", "SCIP", "CP_SAT")
METHODS = ("auto", "enumeration", "mip", "large")


@dataclass(frozen=True)
class SitingParams:
    """Solver settings.

    Parameters
    ----------
    time_limit_s
        Wall-clock limit; the best network found by then is returned as ``feasible``.
    relative_gap
        Stop when ``(objective - bound) / objective`` is at most this.
    backend
        MIP backend bundled with OR-Tools, reached through MathOpt: ``"HIGHS"``
        (default, chosen by the benchmarks in benchmarks/README.md), ``"SCIP"`` or
        ``"CP_SAT"`` (pure 0/1 models only: uncapacitated or single-sourced points with
        the upper tiers enumerated).
    seed
        Random seed passed to the backend.
    method
        ``"enumeration"`` (exact, bounded enumeration of the station and centre choices,
        see :mod:`recyclenet.siting.decompose`), ``"mip"`` (one monolithic MIP),
        ``"large"``: alternating exact sub-problems with a separately proved bound, for
        prefecture-scale instances (see :mod:`recyclenet.siting.large`). ``"auto"``
        takes enumeration when there are at most ``max_combinations`` choices, else
        ``"large"`` when the compact model would have more than ``max_compact_pairs``
        point-station plus settlement-point pairs, else ``"mip"``. A problem whose
        counties each have a network of their own (``same_county``) is solved county by
        county (:mod:`recyclenet.siting.counties`), each county by the method given.
    max_combinations, max_compact_pairs
        Limits for ``"auto"``.
    """

    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    backend: str = "HIGHS"
    seed: int = 0
    method: str = "auto"
    max_combinations: int = 20_000
    max_compact_pairs: int = 2_000_000

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if not 0 <= self.relative_gap <= 1:
            raise ValueError(f"relative_gap must be in [0, 1], got {self.relative_gap}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")


def with_coverage_target(problem: SitingProblem, *, time_limit_s: float) -> SitingProblem:
    """Coverage mode, phase 1: the most residents the point count can cover within the
    access distance (a maximum-coverage MIP), set as the target of phase 2."""
    from recyclenet.siting._ortools import max_cover

    population = (
        problem.population if problem.population is not None else np.ones(problem.num_settlements)
    )
    covered = problem.covered()
    opened = max_cover(
        covered,
        population + 1e-6,
        problem.points.must_open,
        problem.points.max_count,
        time_limit_s=time_limit_s,
    )
    if opened is None:
        return problem
    target = float(population[covered[:, opened].any(axis=1)].sum())
    return replace(
        problem, population=population, min_covered_population=target, coverage_start=opened
    )


def solve(problem: SitingProblem, params: SitingParams | None = None) -> SitingResult:
    """Open sites in all three tiers together and assign every flow (see ``_ortools``)."""
    params = params or SitingParams()
    start = time.perf_counter()
    if problem.coverage_mode:
        problem = with_coverage_target(problem, time_limit_s=min(20.0, params.time_limit_s))
    by_county = problem.same_county and bool(problem.county_counts)
    reason = (  # (counties: each county's own problem is checked as it is solved)
        None
        if by_county
        else explain_infeasibility(problem, time_limit_s=min(20.0, params.time_limit_s))
    )
    if reason is not None:
        n_p, n_k = len(problem.points), len(problem.stations)
        return SitingResult(
            problem=problem,
            status="infeasible",
            objective_cny=float("nan"),
            bound_cny=float("nan"),
            gap=float("nan"),
            runtime_s=time.perf_counter() - start,
            solver="precheck",
            point_of_settlement=np.full(problem.num_settlements, -1),
            station_of_point=np.full(n_p, -1),
            centre_of_station=np.full(n_k, -1),
            explanation=reason,
        )
    params = replace(
        params, time_limit_s=max(0.5, params.time_limit_s - (time.perf_counter() - start))
    )
    method = params.method
    if by_county:
        method = "counties"  # each county's network its own: solved county by county
    if method == "auto":
        n = count_choices(problem)
        compact_size = len(problem.points) * (len(problem.stations) + problem.num_settlements)
        if 0 < n <= params.max_combinations:
            method = "enumeration"
        elif compact_size > params.max_compact_pairs and not problem.coverage_mode:
            method = "large"
        else:
            method = "mip"
    if method == "counties":  # each county by the method asked for (auto: as any problem)
        sub = params.method if params.method in ("enumeration", "mip", "large") else "auto"
        result = solve_by_county(problem, replace(params, method=sub), solve)
    elif method == "enumeration":
        result = solve_by_enumeration(problem, params)
    elif method == "large":
        result = solve_large(problem, params, solve)
    else:
        result = _ortools.solve_mip(problem, params)
    if result.status == "infeasible" and not result.explanation:
        why = overflow_explanation(problem, time_limit_s=min(30.0, params.time_limit_s))
        if why:
            result = replace(result, explanation=why)
    return result


def solve_specialised(
    problem: SpecialisedProblem, *, time_limit_s: float = 30.0
) -> SpecialisedResult:
    """Open ``problem.count`` specialised centres and route every flow
    (:mod:`recyclenet.siting.specialised`), solved exactly by HiGHS.

    Raises
    ------
    recyclenet.errors.SolverError
        When no plan exists (the open centres' capacities cannot take their categories).
    """
    result: SpecialisedResult = _ortools.solve_specialised(problem, time_limit_s=time_limit_s)
    return result
