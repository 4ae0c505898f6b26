"""Why a siting scenario is infeasible, in planners' terms, found before the big solve.

- **Coverage**: a set-cover MIP gives the fewest collection points that serve every
  settlement within the access distance. If the policy count is smaller, a maximum
  coverage MIP with that count shows which settlements are left out and how far they are
  from the nearest point it opens, and a bisection over distances finds the smallest access
  limit that the count can meet.
- **Capacity**: demand above the total capacity the count of each tier can offer (the
  largest capacities, existing sites included).
"""

from __future__ import annotations

import numpy as np

from recyclenet.config import TIERS
from recyclenet.siting import _ortools
from recyclenet.siting.problem import SitingProblem


def capacity_problems(problem: SitingProblem) -> list[str]:
    """Tiers whose best-case capacity is below the demand, with the numbers."""
    total = float(problem.demand_t_per_day.sum())
    out = []
    for tier_name in TIERS:
        tier = problem.tier(tier_name)
        cap = tier.capacity_t_per_day
        must = np.flatnonzero(tier.existing)
        rest = np.sort(np.delete(cap, must))[::-1][: max(0, tier.max_count - len(must))]
        best = float(cap[must].sum() + rest.sum())
        if best + 1e-9 < total:
            out.append(
                f"the {tier.max_count} {tier_name} sites can handle at most {best:.1f} t/day "
                f"(largest capacities) but the settlements hand over {total:.1f} t/day; "
                f"raise siting.counts.{tier_name} or the capacity_t_per_day of candidates"
            )
    return out


def coverage_problem(problem: SitingProblem, *, time_limit_s: float = 20.0) -> str | None:
    """A message when the point count cannot serve everyone within the access distance."""
    p = problem
    reach = p.reach()
    forced = p.points.existing
    need = _ortools.min_cover(reach, forced, time_limit_s=time_limit_s)
    if need is None or need <= p.points.max_count:
        return None
    most = p.points.max_count
    weight = 1.0 + p.demand_t_per_day / max(1e-9, float(p.demand_t_per_day.sum()))
    opened = _ortools.max_cover(reach, weight, forced, most, time_limit_s=time_limit_s)
    names = p.names()
    text = (
        f"{most} collection points cannot serve every settlement within "
        f"{p.max_access_km:g} km: at least {need} are needed."
    )
    if opened is not None and opened.any():
        nearest = p.access_km[:, opened].min(axis=1)
        out = np.flatnonzero(nearest > p.max_access_km + 1e-9)
        order = out[np.argsort(-nearest[out])]
        listed = ", ".join(f"{names[i]} ({nearest[i]:.1f} km)" for i in order[:12])
        more = f" and {len(order) - 12} more" if len(order) > 12 else ""
        text += (
            f" With {most}, the best placement still leaves {len(order)} "
            f"settlements beyond the limit: {listed}{more}."
        )
    limit = _smallest_limit(p, time_limit_s=time_limit_s)
    fix = f"raise siting.counts.collection_point to {need}"
    if limit is not None:
        fix += f" or siting.max_access_km to {limit:.1f} km"
    return f"{text} Fix: {fix}."


def _smallest_limit(p: SitingProblem, *, time_limit_s: float) -> float | None:
    """Smallest access distance (0.1 km steps) at which the point count covers everyone."""
    candidates = np.unique(np.round(np.ceil(p.access_km * 10) / 10, 1))
    lo, hi = 0, len(candidates) - 1
    if hi < 0:
        return None
    forced = p.points.existing
    need = _ortools.min_cover(
        p.access_km <= candidates[hi] + 1e-9, forced, time_limit_s=time_limit_s
    )
    if need is None or need > p.points.max_count:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        need = _ortools.min_cover(
            p.access_km <= candidates[mid] + 1e-9, forced, time_limit_s=time_limit_s
        )
        if need is not None and need <= p.points.max_count:
            hi = mid
        else:
            lo = mid + 1
    return float(candidates[lo])


def budget_problem(problem: SitingProblem) -> str | None:
    """A message when even the cheapest admissible new sites exceed the budget."""
    budget = problem.budget_cny_per_year
    if budget is None:
        return None
    cheapest = 0.0
    for tier_name in TIERS:
        tier = problem.tier(tier_name)
        need = max(0, tier.count - int(tier.existing.sum()))
        costs = np.sort(tier.fixed_cost_cny_per_year[~tier.existing])
        cheapest += float(costs[:need].sum())
    if cheapest <= budget + 1e-6:
        return None
    return (
        f"the budget siting.budget_cny_per_year = {budget:,.0f} CNY/yr is below the fixed cost "
        f"of the cheapest new sites the counts require ({cheapest:,.0f} CNY/yr); raise the "
        f"budget, lower the counts, or mark sites existing"
    )


def explain_infeasibility(problem: SitingProblem, *, time_limit_s: float = 20.0) -> str | None:
    """Every reason found that the scenario has no network, or ``None``."""
    reasons = capacity_problems(problem)
    budget = budget_problem(problem)
    if budget:
        reasons.append(budget)
    coverage = coverage_problem(problem, time_limit_s=time_limit_s)
    if coverage:
        reasons.append(coverage)
    return " ".join(reasons) if reasons else None
