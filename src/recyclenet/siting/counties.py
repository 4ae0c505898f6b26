r"""Several counties sharing their sorting centres, each with a network of its own, solved
county by county.

With ``same_county`` a county's settlements use its points and its points send to its
stations; the counties meet only at the sorting centres. Two passes, each a county's
three-tier problem solved by the package's own exact methods:

* **bound**: every candidate centre open to every county at no fixed cost and without
  capacity (a station hauls to its nearest candidate). Each county's optimum
  :math:`L_k` of that relaxation is at most its cost in any network, so
  :math:`L = F_{\min} + \sum_k L_k` bounds the prefecture from below, :math:`F_{\min}`
  the cheapest fixed cost of an allowed centre set (existing centres included);
* **network**: the centre set :math:`C` that is cheapest for the stations the bound
  pass opened (fixed cost plus each station's haul to its nearest centre in :math:`C`),
  then every county solved again with exactly :math:`C` open. Its cost is the network's.

The gap closes where the bound pass's stations are those the chosen centres want; the
counties' problems are small and independent (the prefecture's size no longer enters).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from recyclenet.siting.choices import tier_sets
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem, Tier
from recyclenet.siting.result import SitingResult, network_cost_cny

if TYPE_CHECKING:
    from recyclenet.siting.solve import SitingParams

MAX_CENTRE_SETS = 5_000
"""The most centre sets the network pass compares."""


def county_problem(p: SitingProblem, county: int, centres: NDArray[np.int64]) -> SitingProblem:
    """County ``county``'s own problem with the candidate centres ``centres`` all open,
    free and uncapacitated (their fixed cost is the prefecture's, counted once)."""
    assert p.settlement_county is not None and p.point_county is not None
    assert p.station_county is not None
    s = np.flatnonzero(p.settlement_county == county)
    j = np.flatnonzero(p.point_county == county)
    k = np.flatnonzero(p.station_county == county)
    _, n_points, n_stations = p.county_counts[county]

    def tier(t: Tier, idx: NDArray[np.int64], count: int) -> Tier:
        return Tier(
            ids=tuple(t.ids[i] for i in idx),
            fixed_cost_cny_per_year=t.fixed_cost_cny_per_year[idx],
            capacity_t_per_day=t.capacity_t_per_day[idx],
            existing=t.existing[idx],
            count=count,
            required=None if t.required is None else t.required[idx],
        )

    c = np.asarray(centres, dtype=np.int64)
    open_centres = Tier(
        ids=tuple(p.centres.ids[i] for i in c),
        fixed_cost_cny_per_year=np.zeros(len(c)),
        capacity_t_per_day=np.full(len(c), np.inf),
        existing=np.ones(len(c), dtype=bool),
        count=len(c),
    )
    return SitingProblem(
        settlement_ids=tuple(p.settlement_ids[i] for i in s),
        demand_t_per_day=p.demand_t_per_day[s],
        points=tier(p.points, j, n_points),
        stations=tier(p.stations, k, n_stations),
        centres=open_centres,
        access_km=p.access_km[np.ix_(s, j)],
        collection_km=p.collection_km[np.ix_(j, k)],
        haul_km=p.haul_km[np.ix_(k, c)],
        max_access_km=p.max_access_km,
        cost_cny_per_tkm=dict(p.cost_cny_per_tkm),
        settlement_names=tuple(p.settlement_names[i] for i in s) if p.settlement_names else (),
        allowed_access=None if p.allowed_access is None else p.allowed_access[np.ix_(s, j)],
        population=None if p.population is None else p.population[s],
        station_group=None if p.station_group is None else p.station_group[k],
        max_stations_per_group=p.max_stations_per_group,
        single_sourcing=p.single_sourcing,
    )


def solve_by_county(
    problem: SitingProblem,
    params: SitingParams,
    solve_any: Callable[[SitingProblem, SitingParams], SitingResult],
) -> SitingResult:
    """Solve a ``same_county`` problem as described in the module docstring.

    ``solve_any`` solves each county's problem (:func:`recyclenet.siting.solve`) by
    ``params.method``, with an equal share of the time limit per county and pass.
    """
    start = time.perf_counter()
    p = problem
    assert p.county_counts and p.settlement_county is not None and p.station_county is not None
    n_counties = len(p.county_counts)
    all_centres = np.arange(len(p.centres), dtype=np.int64)
    share = params.time_limit_s / (2 * n_counties)

    def run(centres: NDArray[np.int64]) -> list[SitingResult]:
        sub = replace(params, time_limit_s=share)
        return [solve_any(county_problem(p, g, centres), sub) for g in range(n_counties)]

    relaxed = run(all_centres)
    if any(not r.is_feasible() for r in relaxed):
        return _failed(p, relaxed, _no_network(p, relaxed), time.perf_counter() - start)
    chosen = _centre_set(p, relaxed)
    bound = _bound(p, relaxed)
    final = run(chosen)
    if any(not r.is_feasible() for r in final):
        return _failed(p, final, _no_network(p, final), time.perf_counter() - start)
    net = _network(p, final, chosen)
    objective = network_cost_cny(p, net)
    gap = max(0.0, (objective - bound) / objective) if objective > 0 else 0.0
    proved = all(r.status == "optimal" for r in [*relaxed, *final])
    draft = SitingResult(p, "feasible", objective, bound, gap, 0.0, "", *net)
    over = draft.throughput_t_per_day()["sorting_centre"] > p.centres.capacity_t_per_day + 1e-9
    if over.any():  # the passes leave centre capacities out: a network that breaks one
        names = [p.centres.ids[int(m)] for m in np.flatnonzero(over)]
        why = (
            f"the sorting centres {', '.join(names)} would take more than their capacity; "
            "raise it or open more centres"
        )
        return _failed(p, final, why, time.perf_counter() - start)
    return SitingResult(
        problem=p,
        status="optimal" if proved and gap <= params.relative_gap else "feasible",
        objective_cny=objective,
        bound_cny=min(bound, objective),
        gap=gap,
        runtime_s=time.perf_counter() - start,
        solver=f"counties+{relaxed[0].solver}",
        point_of_settlement=net[0],
        station_of_point=net[1],
        centre_of_station=net[2],
        solver_work={"counties": n_counties},
    )


def _centre_set(p: SitingProblem, relaxed: list[SitingResult]) -> NDArray[np.int64]:
    """The allowed centre set cheapest for the stations the bound pass opened: fixed cost
    plus every station's haul, at its tonnes, to its nearest centre of the set."""
    tonnes: dict[int, float] = {}
    for g, r in enumerate(relaxed):
        assert p.station_county is not None
        stations = np.flatnonzero(p.station_county == g)
        flows = r.throughput_t_per_day()["transfer_station"]
        for local in r.open_idx("transfer_station"):
            tonnes[int(stations[local])] = float(flows[local])
    ks = np.array(sorted(tonnes), dtype=np.int64)
    t = np.array([tonnes[int(k)] for k in ks])
    haul = DAYS_PER_YEAR * p.cost_cny_per_tkm.get("haul", 0.0) * t[:, None] * p.haul_km[ks]
    best: tuple[float, tuple[int, ...]] | None = None
    for centres in _centre_sets(p):
        idx = list(centres)
        cost = float(p.centres.fixed_cost_cny_per_year[idx].sum())
        cost += float(haul[:, idx].min(axis=1).sum())
        if best is None or cost < best[0]:
            best = (cost, centres)
    assert best is not None
    return np.array(best[1], dtype=np.int64)


def _centre_sets(p: SitingProblem) -> list[tuple[int, ...]]:
    """The centre sets the counts and existing centres allow (at most
    :data:`MAX_CENTRE_SETS`)."""
    return tier_sets(p.centres)[:MAX_CENTRE_SETS]


def _bound(p: SitingProblem, relaxed: list[SitingResult]) -> float:
    r"""The least, over the allowed centre sets :math:`C`, of :math:`F(C) + \sum_k (L_k +
    W_k\,365\,h\,\delta_k(C))`: :math:`L_k` the county's bound with every candidate centre
    open, :math:`W_k` its tonnes and :math:`\delta_k(C)` the least extra haul distance any
    of its candidate stations has to a centre of :math:`C` over the nearest candidate
    (a county's stations carry all its tonnes, each at least that much farther)."""
    assert p.settlement_county is not None and p.station_county is not None
    rate = DAYS_PER_YEAR * p.cost_cny_per_tkm.get("haul", 0.0)
    nearest = p.haul_km.min(axis=1)
    fixed = np.where(p.centres.existing, 0.0, p.centres.fixed_cost_cny_per_year)
    base = sum(r.bound_cny for r in relaxed)
    tonnes = [
        float(p.demand_t_per_day[p.settlement_county == g].sum()) for g in range(len(relaxed))
    ]
    sets = _centre_sets(p)
    if len(sets) >= MAX_CENTRE_SETS:  # not every set listed: the cheapest fixed cost alone
        must = p.centres.must_open
        extra_count = max(0, p.centres.count - int(must.sum()))
        return float(fixed[must].sum() + np.sort(fixed[~must])[:extra_count].sum() + base)
    best = np.inf
    for centres in sets:
        idx = list(centres)
        extra = p.haul_km[:, idx].min(axis=1) - nearest
        value = float(fixed[idx].sum()) + base
        for g, w in enumerate(tonnes):
            own = extra[p.station_county == g]
            value += rate * w * (float(own.min()) if own.size else 0.0)
        best = min(best, value)
    return float(best)


def _network(
    p: SitingProblem, results: list[SitingResult], centres: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The counties' networks as one, in the prefecture's indices."""
    assert p.settlement_county is not None and p.point_county is not None
    assert p.station_county is not None
    point_of = np.full(p.num_settlements, -1, dtype=np.int64)
    station_of = np.full(len(p.points), -1, dtype=np.int64)
    centre_of = np.full(len(p.stations), -1, dtype=np.int64)
    for g, r in enumerate(results):
        s = np.flatnonzero(p.settlement_county == g)
        j = np.flatnonzero(p.point_county == g)
        k = np.flatnonzero(p.station_county == g)
        point_of[s] = j[r.point_of_settlement]
        opened = r.station_of_point >= 0
        station_of[j[opened]] = k[r.station_of_point[opened]]
        used = r.centre_of_station >= 0
        centre_of[k[used]] = centres[r.centre_of_station[used]]
    return point_of, station_of, centre_of


def _no_network(p: SitingProblem, results: list[SitingResult]) -> str:
    """Which counties have no network of their own, and why (their own problem's
    explanation, where it has one)."""
    return "; ".join(
        f"county {p.county_counts[g][0]} (siting.counts_by_county, siting.rules.same_county): "
        + (r.explanation or "no network found in its share of the time limit").replace(
            "siting.counts.", f"siting.counts_by_county.{p.county_counts[g][0]}."
        )
        for g, r in enumerate(results)
        if not r.is_feasible()
    )


def _failed(
    p: SitingProblem, results: list[SitingResult], why: str, runtime_s: float
) -> SitingResult:
    """No network, and why (a county's own problem is infeasible or found nothing in its
    share of the time, or a centre's capacity is exceeded)."""
    infeasible = all(r.status == "infeasible" for r in results if not r.is_feasible())
    none = np.full(p.num_settlements, -1, dtype=np.int64)
    return SitingResult(
        problem=p,
        status="infeasible" if infeasible else "no_solution",
        objective_cny=math.nan,
        bound_cny=-math.inf,
        gap=math.inf,
        runtime_s=runtime_s,
        solver="counties",
        point_of_settlement=none,
        station_of_point=np.full(len(p.points), -1, dtype=np.int64),
        centre_of_station=np.full(len(p.stations), -1, dtype=np.int64),
        explanation=why,
    )
