"""A fast starting network for the siting MIP (numpy only, deterministic).

1. Upper tiers: every admissible set of stations and centres (existing sites included,
   enumerated when there are at most ``max_combinations``, else built greedily) is scored
   by sending each settlement's demand to its cheapest open station and on to the centre,
   plus fixed costs; over-capacity is penalised.
2. Points: a greedy cover makes every settlement reachable, greedy additions fill the
   policy count, and first-improvement swaps (Teitz-Bart) lower the cost of serving each
   settlement from its cheapest open point, whose unit cost includes the onward trip.
3. Links: each open point goes to its cheapest station with room, largest points first.

The result satisfies every constraint of the model or ``None`` is returned.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recyclenet.siting.choices import count_choices, upper_tier_choices
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem

Assignment = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def _choose_sets(
    p: SitingProblem, unit: NDArray[np.float64], max_combinations: int
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Pick stations and centres; ``unit[i, k, m]`` is CNY/yr to send i via k to m."""
    w = p.demand_t_per_day
    tiers = (p.stations, p.centres)

    n_comb = count_choices(p)
    choices = []
    for tier in tiers:
        must = tuple(int(j) for j in np.flatnonzero(tier.must_open))
        free = [j for j in range(len(tier)) if j not in must]
        need = tier.count - len(must)
        if need < 0 or need > len(free):
            return None
        choices.append((must, free, need))

    def score(s_set: tuple[int, ...], c_set: tuple[int, ...]) -> float:
        sub = unit[:, list(s_set)][:, :, list(c_set)]
        best = sub.reshape(len(w), -1).argmin(axis=1)
        k_of = np.asarray(s_set)[best // len(c_set)]
        m_of = np.asarray(c_set)[best % len(c_set)]
        cost = float(sub.reshape(len(w), -1).min(axis=1).sum())
        cost += float(p.stations.fixed_cost_cny_per_year[list(s_set)].sum())
        cost += float(p.centres.fixed_cost_cny_per_year[list(c_set)].sum())
        load_k = np.bincount(k_of, weights=w, minlength=len(p.stations))
        load_m = np.bincount(m_of, weights=w, minlength=len(p.centres))
        over = (
            np.maximum(0, load_k - p.stations.capacity_t_per_day).sum()
            + np.maximum(0, load_m - p.centres.capacity_t_per_day).sum()
        )
        return cost + 1e7 * float(over)

    if n_comb <= max_combinations:
        best_sets, best_cost = None, math.inf
        for s_set, c_set in upper_tier_choices(p):
            cost = score(s_set, c_set)
            if cost < best_cost:
                best_sets, best_cost = (s_set, c_set), cost
        return best_sets
    # Greedy: centres first (every station open), then stations one at a time, each
    # time the candidate that lowers the demand-weighted path cost most (incremental).
    sets = [list(choices[0][0]), list(choices[1][0])]
    all_k = list(sets[0]) or list(range(len(p.stations)))
    for t in (1, 0):
        if t == 1:
            via = unit[:, all_k, :].min(axis=1)  # (settlements, centres)
        else:
            via = unit[:, :, sets[1]].min(axis=2)  # (settlements, stations)
        fixed = tiers[t].fixed_cost_cny_per_year
        current = via[:, sets[t]].min(axis=1) if sets[t] else np.full(len(w), np.inf)
        while len(sets[t]) < tiers[t].count:
            gain = np.minimum(current[:, None], via)
            saving = np.where(np.isfinite(current[:, None]), current[:, None] - gain, -gain)
            score_j = saving.sum(axis=0) - fixed
            score_j[sets[t]] = -np.inf
            j = int(np.argmax(score_j))
            sets[t].append(j)
            current = np.minimum(current, via[:, j])
    return tuple(sorted(sets[0])), tuple(sorted(sets[1]))


class _Pairs:
    """The finite settlement-point costs as sparse pairs (rows sorted)."""

    def __init__(self, cost_ij: NDArray[np.float64]) -> None:
        self.n, self.m = cost_ij.shape
        self.rows, self.cols = np.nonzero(np.isfinite(cost_ij))
        self.vals = cost_ij[self.rows, self.cols]

    def serve(self, open_mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Each settlement's cheapest open point cost (inf: none)."""
        best = np.full(self.n, np.inf)
        on = open_mask[self.cols]
        np.minimum.at(best, self.rows[on], self.vals[on])
        return best

    def savings(self, current: NDArray[np.float64]) -> NDArray[np.float64]:
        """What opening each point would save, its fixed cost not included; a settlement
        with no open point yet counts the point's whole cost as saved (huge)."""
        cur = current[self.rows]
        gain = np.where(np.isfinite(cur), np.maximum(0.0, cur - self.vals), 1e12)
        return np.bincount(self.cols, weights=gain, minlength=self.m).astype(np.float64)


def _upper_links(
    p: SitingProblem,
    s_set: tuple[int, ...],
    c_set: tuple[int, ...],
    open_mask: NDArray[np.bool_],
    inflow: NDArray[Any],
) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Each open point to a station and each station to a centre (largest points first
    to their cheapest station with room), ``None`` where a capacity, a rule, a county's
    count or the budget is broken."""
    c = p.cost_cny_per_tkm
    # Links with capacities: largest points first to their cheapest station with room.
    centre_of = np.full(len(p.stations), -1, dtype=np.int64)
    for k in s_set:
        centre_of[k] = int(c_set[int(p.haul_km[k, list(c_set)].argmin())])
    room = p.stations.capacity_t_per_day.copy()
    station_of = np.full(len(p.points), -1, dtype=np.int64)
    unit_k = (
        c["collection"] * p.collection_km
        + c["haul"] * p.haul_km[np.arange(len(p.stations)), np.maximum(centre_of, 0)][None, :]
    )
    for j in sorted(np.flatnonzero(open_mask).tolist(), key=lambda j: -inflow[j]):
        options = sorted(s_set, key=lambda k: unit_k[j, k])
        for k in options:
            if room[k] >= inflow[j] - 1e-9:
                station_of[j] = k
                room[k] -= inflow[j]
                break
        else:
            return None
    at_centre = np.bincount(
        centre_of[list(s_set)],
        weights=p.stations.capacity_t_per_day[list(s_set)] - room[list(s_set)],
        minlength=len(p.centres),
    )
    if np.any(at_centre > p.centres.capacity_t_per_day + 1e-9):
        return None
    if not p.station_sets_ok(s_set):
        return None
    if p.county_counts and p.point_county is not None:
        per = np.bincount(p.point_county[open_mask], minlength=len(p.county_counts))
        if any(per[g] != n for g, (_, n, _) in enumerate(p.county_counts)):
            return None
    if p.budget_cny_per_year is not None:
        new_fixed = (
            p.points.new_fixed_cost(np.flatnonzero(open_mask))
            + p.stations.new_fixed_cost(np.array(s_set))
            + p.centres.new_fixed_cost(np.array(c_set))
        )
        if new_fixed > p.budget_cny_per_year + 1e-6:
            return None
    return station_of, centre_of


def construct(
    problem: SitingProblem,
    *,
    max_combinations: int = 20_000,
    max_swaps: int = 2_000,
    swap_time_s: float = 10.0,
) -> Assignment | None:
    """A feasible network ``(point_of_settlement, station_of_point, centre_of_station)``."""
    p = problem
    w = p.demand_t_per_day
    c = p.cost_cny_per_tkm
    reach = p.reach()
    if not reach.any(axis=1).all():
        return None
    # Settlement -> station distance through its nearest reachable point.
    nearest_point = np.where(reach, p.access_km, np.inf).argmin(axis=1)
    unit = (
        DAYS_PER_YEAR
        * w[:, None, None]
        * (
            c["collection"] * p.collection_km[nearest_point][:, :, None]
            + c["haul"] * p.haul_km[None, :, :]
        )
    )
    sets = _choose_sets(p, unit, max_combinations)
    if sets is None:
        return None
    s_set, c_set = sets
    onward = (
        (
            c["collection"] * p.collection_km[:, list(s_set)][:, :, None]
            + c["haul"] * p.haul_km[np.ix_(list(s_set), list(c_set))][None, :, :]
        )
        .reshape(len(p.points), -1)
        .min(axis=1)
    )
    cost_ij = DAYS_PER_YEAR * w[:, None] * (c["access"] * p.access_km + onward[None, :])
    cost_ij = np.where(reach, cost_ij, np.inf)
    fixed = p.points.fixed_cost_cny_per_year

    if p.coverage_mode and p.coverage_start is not None:
        # Coverage mode: start from the maximum-coverage points, which reach the target.
        open_mask = p.coverage_start | p.points.must_open
    else:
        open_mask = p.points.must_open.copy()
        pairs = _Pairs(cost_ij)
        covered = reach[:, open_mask].any(axis=1)
        while not covered.all():
            gain = reach[~covered].sum(axis=0).astype(float)
            gain[open_mask] = -1
            j = int(gain.argmax())
            if gain[j] <= 0:
                return None
            open_mask[j] = True
            covered |= reach[:, j]
        if open_mask.sum() > p.points.max_count:
            return None
        current = pairs.serve(open_mask)
        while open_mask.sum() < p.points.max_count:
            saving = pairs.savings(current) - fixed
            saving[open_mask] = -np.inf
            j = int(saving.argmax())
            if open_mask.sum() >= p.points.count and saving[j] <= 0:
                break  # a range or free count: stop when another point no longer pays
            open_mask[j] = True
            rows = pairs.cols == j
            np.minimum.at(current, pairs.rows[rows], pairs.vals[rows])

        # Swaps: close one non-existing open point, open one closed point, keep if cheaper.
        total = float(current.sum()) + float(fixed[open_mask].sum())
        swaps = 0
        improved = True
        deadline = time.perf_counter() + swap_time_s
        while improved and swaps < max_swaps and time.perf_counter() < deadline:
            improved = False
            for out in np.flatnonzero(open_mask & ~p.points.must_open):
                if time.perf_counter() >= deadline:
                    break
                trial = open_mask.copy()
                trial[out] = False
                base = pairs.serve(trial)
                if not np.isfinite(base).all():
                    continue
                gains = pairs.savings(base) - fixed
                gains[trial] = -np.inf
                j = int(gains.argmax())
                new_total = float(base.sum() - gains[j]) + float(fixed[trial].sum())
                if new_total < total - 1e-6:
                    trial[j] = True
                    open_mask, total = trial, new_total
                    swaps += 1
                    improved = True
    point_of = np.where(open_mask[None, :], cost_ij, np.inf).argmin(axis=1).astype(np.int64)
    if p.coverage_mode:
        # Covered settlements stay with a covered point, so the coverage target holds.
        cov = np.where(open_mask[None, :] & p.covered(), cost_ij, np.inf)
        has = np.isfinite(cov.min(axis=1))
        point_of[has] = cov[has].argmin(axis=1)
        if p.min_covered_population is not None and p.population is not None:
            got = float(p.population[p.covered()[np.arange(len(point_of)), point_of]].sum())
            if got < p.min_covered_population - 1e-6:
                return None
    inflow = np.bincount(point_of, weights=w, minlength=len(p.points))
    if np.any(inflow > p.points.capacity_t_per_day + 1e-9):
        return None

    links = _upper_links(p, s_set, c_set, open_mask, inflow)
    if links is None:
        return None
    return point_of, *links
