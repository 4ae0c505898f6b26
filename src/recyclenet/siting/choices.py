"""The station and centre sets a siting problem allows: listed and counted (used by the
heuristic, the enumeration and the large-instance method alike)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from recyclenet.siting.problem import SitingProblem, Tier


def tier_sets(tier: Tier) -> list[tuple[int, ...]]:
    """Every set of a tier's sites its count (or range) allows, existing sites in."""
    must = tuple(int(j) for j in np.flatnonzero(tier.must_open))
    free = [j for j in range(len(tier)) if j not in must]
    options = []
    for size in range(tier.count, tier.max_count + 1):
        need = size - len(must)
        if 0 <= need <= len(free):
            options += [tuple(sorted(must + extra)) for extra in itertools.combinations(free, need)]
    return options


def upper_tier_choices(problem: SitingProblem) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every admissible (stations, centres) pair: existing sites in, counts (or ranges)
    respected, within the budget when there is one."""
    sets = [tier_sets(problem.stations), tier_sets(problem.centres)]
    if not all(sets):
        return []
    pairs = [(s, c) for s, c in itertools.product(sets[0], sets[1]) if problem.station_sets_ok(s)]
    budget = problem.budget_cny_per_year
    if budget is not None:
        pairs = [
            (s, c)
            for s, c in pairs
            if problem.stations.new_fixed_cost(np.array(s))
            + problem.centres.new_fixed_cost(np.array(c))
            <= budget + 1e-6
        ]
    return pairs


def count_choices(problem: SitingProblem) -> int:
    """Number of (stations, centres) pairs :func:`upper_tier_choices` would list."""
    total = 1
    for tier in (problem.stations, problem.centres):
        must = int(tier.must_open.sum())
        free = len(tier) - must
        total *= sum(
            math.comb(free, size - must)
            for size in range(tier.count, tier.max_count + 1)
            if 0 <= size - must <= free
        )
    return total
