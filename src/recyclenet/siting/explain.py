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

from recyclenet.clock import TIERS
from recyclenet.siting import _ortools
from recyclenet.siting.problem import SitingProblem


def capacity_problems(problem: SitingProblem) -> list[str]:
    """Tiers whose best-case capacity is below the demand, with the numbers."""
    total = float(problem.demand_t_per_day.sum())
    out = []
    for tier_name in TIERS:
        tier = problem.tier(tier_name)
        cap = tier.capacity_t_per_day
        must = np.flatnonzero(tier.must_open)
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
    forced = p.points.must_open
    if _greedy_cover(reach, forced) <= p.points.max_count:
        return None  # a cover within the count exists: no MIP needed
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
        nearest = _usable_km(p)[:, opened].min(axis=1)
        out = np.flatnonzero(nearest > p.max_access_km + 1e-9)
        order = out[np.argsort(-nearest[out])]
        # Rounded up, so a distance beyond the limit never prints as the limit itself.
        listed = ", ".join(
            f"{names[i]} ({np.ceil(nearest[i] * 10 - 1e-9) / 10:.1f} km)" for i in order[:12]
        )
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


def _greedy_cover(reach: np.ndarray, forced: np.ndarray) -> float:
    """Points a greedy cover opens (the forced ones first, then the one reaching most
    uncovered settlements, until all are reached); ``inf`` when some settlement reaches
    no point. An upper bound on the fewest points needed."""
    if not reach.any(axis=1).all():
        return np.inf
    opened = forced.copy()
    left = ~reach[:, opened].any(axis=1)
    counts = reach[left].sum(axis=0)  # uncovered settlements each point reaches
    while left.any():
        j = int(np.argmax(counts))
        opened[j] = True
        newly = left & reach[:, j]
        counts -= reach[newly].sum(axis=0)
        left &= ~newly
    return int(opened.sum())


def _usable_km(p: SitingProblem) -> np.ndarray:
    """Access distances, infinite for pairs a rule forbids (e.g. another township)."""
    if p.allowed_access is None:
        return p.access_km
    return np.where(p.allowed_access, p.access_km, np.inf)


def _smallest_limit(p: SitingProblem, *, time_limit_s: float) -> float | None:
    """Smallest access distance (0.1 km steps) at which the point count covers everyone."""
    usable = _usable_km(p)
    candidates = np.unique(np.round(np.ceil(usable[np.isfinite(usable)] * 10) / 10, 1))
    lo, hi = 0, len(candidates) - 1
    if hi < 0:
        return None
    forced = p.points.must_open
    need = _ortools.min_cover(usable <= candidates[hi] + 1e-9, forced, time_limit_s=time_limit_s)
    if need is None or need > p.points.max_count:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        need = _ortools.min_cover(
            usable <= candidates[mid] + 1e-9, forced, time_limit_s=time_limit_s
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


def overflow_explanation(problem: SitingProblem, *, time_limit_s: float) -> str | None:
    """After an infeasible solve: which capacities a network would have to exceed."""
    rows = _ortools.capacity_overflows(problem, time_limit_s=time_limit_s)
    if not rows:
        return None
    listed = "; ".join(
        f"{tier} {site} needs {over:.2f} t/day more than its {cap:g} t/day"
        for tier, site, cap, over in rows[:8]
    )
    return (
        f"with single sourcing (every settlement to one point, every point to one station) "
        f"no network fits the capacities; the closest one overflows: {listed}. Raise those "
        f"capacities, allow more sites, or relax the counts"
    )


def explain_infeasibility(problem: SitingProblem, *, time_limit_s: float = 20.0) -> str | None:
    """Every reason found that the scenario has no network, or ``None``."""
    reasons = capacity_problems(problem)
    if problem.max_stations_per_group is not None and problem.station_group is not None:
        groups = problem.station_group
        most = len(np.unique(groups[groups >= 0])) * problem.max_stations_per_group + int(
            (groups < 0).sum()
        )
        if most < problem.stations.count:
            reasons.append(
                f"one transfer station per township (siting.rules.one_station_per_township) "
                f"allows at most {most} stations, but siting.counts.transfer_station asks for "
                f"{problem.stations.count}"
            )
    budget = budget_problem(problem)
    if budget:
        reasons.append(budget)
    coverage = (
        None if problem.coverage_mode else coverage_problem(problem, time_limit_s=time_limit_s)
    )
    if coverage:
        reasons.append(coverage)
    return " ".join(reasons) if reasons else None
