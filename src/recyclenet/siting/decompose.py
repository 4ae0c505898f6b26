r"""Exact solution of the three-tier model by implicit enumeration of the upper tiers.

When the station and centre choices are few (``C(free stations, stations to open) x
C(free centres, centres to open)`` at most ``max_combinations``), the joint model of
:mod:`recyclenet.siting._ortools` is solved exactly as follows:

1. Every admissible pair (station set *S*, centre set *C*) gets a lower bound
   :math:`L(S, C) = F(S) + F(C) + \min_{|P| = N^P} F(P)
   + 365 \sum_i w_i \min_{j \in R(i), k \in S, m \in C} (a d_{ij} + b d_{jk} + h d_{km})`:
   each settlement alone picks its cheapest path, ignoring the point count, the sharing
   of points, and all capacities. It is a relaxation, so a valid bound.
2. An upper bound comes from the start heuristic.
3. Pairs are taken in increasing order of bound; while a pair's bound is below the
   incumbent, its *inner* problem (points and assignments, with *S* and *C* fixed) is
   solved to optimality by MIP (``_ortools.solve_inner``). Pairs whose bound reaches the
   incumbent are pruned: they cannot hold a better network.
4. When no pair is left, the incumbent is optimal; the reported bound is the smallest of
   the solved inner optima and the bounds of the pairs not yet examined, so it stays valid
   when the time limit stops the search early.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from recyclenet.siting import _ortools
from recyclenet.siting.choices import upper_tier_choices
from recyclenet.siting.heuristic import construct
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem
from recyclenet.siting.result import SitingResult, network_cost_cny

if TYPE_CHECKING:
    from recyclenet.siting.solve import SitingParams


def pair_bounds(
    problem: SitingProblem, pairs: list[tuple[tuple[int, ...], tuple[int, ...]]]
) -> np.ndarray:
    """Lower bound ``L(S, C)`` of every pair (see the module docstring)."""
    p = problem
    w = p.demand_t_per_day
    c = p.cost_cny_per_tkm
    access = np.where(p.reach(), c["access"] * p.access_km, np.inf)
    # via[i, k]: cheapest settlement -> point -> station k per tonne.
    via = np.stack(
        [
            (access + c["collection"] * p.collection_km[None, :, k]).min(axis=1)
            for k in range(len(p.stations))
        ],
        axis=1,
    )
    min_points = float(np.sort(p.points.fixed_cost_cny_per_year)[: p.points.count].sum())
    out = np.empty(len(pairs))
    for n, (stations, centres) in enumerate(pairs):
        s_idx, c_idx = list(stations), list(centres)
        onward = via[:, s_idx][:, :, None] + c["haul"] * p.haul_km[np.ix_(s_idx, c_idx)][None]
        per_tonne = onward.reshape(len(w), -1).min(axis=1)
        out[n] = (
            DAYS_PER_YEAR * float((w * per_tonne).sum())
            + float(p.stations.fixed_cost_cny_per_year[s_idx].sum())
            + float(p.centres.fixed_cost_cny_per_year[c_idx].sum())
            + min_points
        )
    return out


def solve_by_enumeration(problem: SitingProblem, params: SitingParams) -> SitingResult:
    """Solve the joint model exactly by bounded enumeration of the upper tiers."""
    start = time.perf_counter()
    p = problem
    pairs = upper_tier_choices(p)
    bounds = pair_bounds(p, pairs)
    order = np.argsort(bounds, kind="stable")
    best_net = construct(p)
    best_obj = math.inf
    if best_net is not None:
        best_obj = network_cost_cny(p, best_net)
    solved_min = math.inf  # smallest proven inner optimum (a bound on its pairs)
    unresolved_min = math.inf  # bounds of pairs tried but not proven
    examined = 0
    stopped_at = len(order)
    for pos, n in enumerate(order):
        if bounds[n] >= best_obj * (1 - params.relative_gap):
            stopped_at = pos
            break
        remaining = params.time_limit_s - (time.perf_counter() - start)
        if remaining <= 0.5:
            stopped_at = pos
            break
        stations, centres = pairs[n]
        inner = _ortools.solve_inner(
            p,
            stations,
            centres,
            time_limit_s=remaining,
            # Every inner bound within the gap keeps the whole bound within it.
            relative_gap=params.relative_gap,
            backend=params.backend,
            seed=params.seed,
            cutoff=best_obj * (1 - params.relative_gap),
        )
        examined += 1
        if inner is None:
            unresolved_min = min(unresolved_min, float(bounds[n]))
            continue
        obj, bound, net = inner
        solved_min = min(solved_min, bound)
        if net is None:  # no network, or none below the incumbent, with these sites
            continue
        if obj < best_obj - 1e-6:
            best_obj, best_net = obj, net
    untried = float(bounds[order[stopped_at]]) if stopped_at < len(order) else math.inf
    runtime = time.perf_counter() - start
    if best_net is None:
        status = (
            "infeasible"
            if stopped_at == len(order) and unresolved_min == math.inf
            else "no_solution"
        )
        empty = np.full(0, -1, dtype=np.int64)
        return SitingResult(
            p,
            status,
            math.nan,
            math.nan,
            math.nan,
            runtime,
            "enumeration+" + params.backend,
            np.full(p.num_settlements, -1, dtype=np.int64),
            np.full(len(p.points), -1, dtype=np.int64) if len(p.points) else empty,
            np.full(len(p.stations), -1, dtype=np.int64),
        )
    bound = min(best_obj, solved_min, unresolved_min, untried)
    gap = max(0.0, (best_obj - bound) / best_obj) if best_obj > 0 else 0.0
    status = "optimal" if gap <= params.relative_gap + 1e-12 else "feasible"
    return SitingResult(
        problem=p,
        status=status,
        objective_cny=float(best_obj),
        bound_cny=float(bound),
        gap=float(gap),
        runtime_s=runtime,
        solver=f"enumeration+{params.backend}",
        point_of_settlement=best_net[0],
        station_of_point=best_net[1],
        centre_of_station=best_net[2],
        solver_work={"sets_solved": examined, "sets_total": len(pairs)},
    )
