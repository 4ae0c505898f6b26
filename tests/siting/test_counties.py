"""Counties with networks of their own sharing the sorting centres (same_county)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from recyclenet.siting import SitingParams, SitingProblem, solve


def prefecture(seed: int = 0) -> SitingProblem:
    """Two counties on a line, 6 settlements each (every settlement a candidate point),
    3 candidate stations each, 3 candidate centres; each county opens 2 points and 1
    station, the prefecture 1 centre."""
    rng = np.random.default_rng(seed)
    x_s = np.r_[rng.uniform(0, 10, 6), rng.uniform(10, 20, 6)]
    x_k = np.r_[rng.uniform(0, 10, 3), rng.uniform(10, 20, 3)]
    x_c = np.array([2.0, 10.0, 18.0])
    p = SitingProblem.from_matrices(
        demand_t_per_day=rng.uniform(0.5, 2.0, 12),
        access_km=np.abs(x_s[:, None] - x_s[None, :]),
        collection_km=np.abs(x_s[:, None] - x_k[None, :]),
        haul_km=np.abs(x_k[:, None] - x_c[None, :]),
        fixed_cost_cny_per_year=(
            rng.uniform(5e3, 8e3, 12),
            rng.uniform(5e4, 8e4, 6),
            np.array([6e5, 5e5, 6.5e5]),
        ),
        capacity_t_per_day=(np.full(12, 50.0), np.full(6, 100.0), np.full(3, 300.0)),
        counts=(4, 2, 1),
        max_access_km=6.0,
        cost_cny_per_tkm={"access": 5.0, "collection": 3.0, "haul": 0.8},
    )
    county = np.r_[np.zeros(6, int), np.ones(6, int)]
    k_county = np.r_[np.zeros(3, int), np.ones(3, int)]
    return dataclasses.replace(
        p,
        settlement_county=county,
        point_county=county.copy(),
        station_county=k_county,
        county_counts=(("A", 2, 1), ("B", 2, 1)),
        same_county=True,
        allowed_access=county[:, None] == county[None, :],
    )


def brute_force(p: SitingProblem) -> float:
    """Every point, station and centre choice, each flow to its nearest open site of its
    own county (centres shared)."""
    c = p.cost_cny_per_tkm
    w = p.demand_t_per_day
    best = np.inf
    county = p.settlement_county
    assert county is not None and p.station_county is not None
    per_county = []
    for g in range(2):
        pts = np.flatnonzero(p.point_county == g)
        sts = np.flatnonzero(p.station_county == g)
        per_county.append(
            [(ps, k) for ps in itertools.combinations(pts.tolist(), 2) for k in sts.tolist()]
        )
    for m in range(3):
        for (pa, ka), (pb, kb) in itertools.product(*per_county):
            cost = p.centres.fixed_cost_cny_per_year[m]
            for points, k in ((pa, ka), (pb, kb)):
                cost += p.points.fixed_cost_cny_per_year[list(points)].sum()
                cost += p.stations.fixed_cost_cny_per_year[k]
            feasible = True
            for i in range(len(w)):
                mine = pa if county[i] == 0 else pb
                k = ka if county[i] == 0 else kb
                j = min(mine, key=lambda j: p.access_km[i, j])
                if p.access_km[i, j] > p.max_access_km:
                    feasible = False
                    break
                cost += (
                    365
                    * w[i]
                    * (
                        c["access"] * p.access_km[i, j]
                        + c["collection"] * p.collection_km[j, k]
                        + c["haul"] * p.haul_km[k, m]
                    )
                )
            if feasible:
                best = min(best, cost)
    return float(best)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counties_bound_the_prefecture_and_find_its_optimum(seed):
    """The bound pass bounds the brute-force optimum from below, the network found is
    that optimum here, and every flow stays in its county."""
    p = prefecture(seed)
    result = solve(p, SitingParams(time_limit_s=30))
    best = brute_force(p)
    assert result.is_feasible() and result.solver.startswith("counties")
    assert result.bound_cny <= best + 1e-6 <= result.objective_cny + 1e-6
    assert result.objective_cny == pytest.approx(best, rel=1e-9)
    county = p.settlement_county
    assert county is not None and p.point_county is not None and p.station_county is not None
    assert (p.point_county[result.point_of_settlement] == county).all()
    opened = result.open_idx("collection_point")
    assert (p.station_county[result.station_of_point[opened]] == p.point_county[opened]).all()
    assert len(result.open_idx("sorting_centre")) == 1
