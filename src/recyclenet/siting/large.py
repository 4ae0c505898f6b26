r"""Large instances (a prefecture: thousands of settlements, hundreds of stations).

When the station and centre choices are too many to enumerate and the compact MIP is
too big, the three-tier model is solved by alternating exact sub-problems from a
greedy start, with a separately proved lower bound:

1. Start: :func:`recyclenet.siting.heuristic.construct` (greedy upper tiers, greedy
   points with time-boxed swaps); when its greedy cover needs more points than the
   count allows, the step-2 MIP for the cheapest admissible stations and centres
   (:func:`inner_start`).
2. Points for fixed upper tiers: with the open stations and centres fixed, the best
   points and assignments are the inner problem of :mod:`recyclenet.siting.decompose`,
   solved by MIP (the radius formulation when no point can fill up).
3. Upper tiers for fixed points: with the open points fixed, choosing stations and
   centres is itself a three-tier problem one level up (open points as settlements
   with their flows, stations as points, centres as stations, one free dummy centre),
   solved exactly by :func:`recyclenet.siting.solve` (usually by enumeration of the
   centres). Steps 2 and 3 repeat while either lowers the cost; each keeps the
   incumbent feasible, so the cost never rises.
4. Lower bound, simple: every point may send to its cheapest candidate station and
   centre, the upper tiers cost their cheapest admissible fixed costs, and only the
   points are chosen: a relaxation, whose proved MIP bound is a valid bound on the
   whole problem.
5. Lower bound, split (used when step 3 is): with :math:`t_p` the incumbent's onward
   cost per tonne from point *p*, write each settlement's cost through point *p* and
   station *k* as :math:`(a d_{ip} + t_p) + (b d_{pk} + h_k - t_p)` and let each share
   choose its own point (a Lagrangian split of the points' choice with multipliers
   :math:`t_p`). The first share is the points problem of step 2 with ``unit`` =
   :math:`t_p` (its proved MIP bound); the second lets every settlement send straight
   to the stations at :math:`\min_{p \in R(i)} (b d_{pk} - t_p)` per tonne, a
   two-tier problem over stations and centres, bounded below for every admissible
   set of centres by its settlements' cheapest stations, each station hauling to its
   nearest centre of the set, and the cheapest admissible station fixed costs
   (:func:`recyclenet.siting.decompose.pair_bounds`; milliseconds), raised where it
   matters by a Lagrangian bound on the choice of the stations with their count
   (:func:`stations_share_bound`). Their sum bounds the whole problem. The search
   (steps 2 and 3) stops at 60 % of the limit to leave the bound its time.

Step 3 and the split bound are skipped when rules tie stations to townships or counties
or a budget spans the tiers (the sub-problems do not carry them); step 2 alone then
improves the start and step 4 bounds it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from recyclenet.siting import _ortools
from recyclenet.siting.choices import count_choices, upper_tier_choices
from recyclenet.siting.decompose import pair_bounds
from recyclenet.siting.heuristic import construct
from recyclenet.siting.lagrangian import LagrangianState, facility_bound
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem, Tier
from recyclenet.siting.result import SitingResult, network_cost_cny

Network = tuple[np.ndarray, np.ndarray, np.ndarray]

if TYPE_CHECKING:
    from recyclenet.siting.solve import SitingParams


def _cheapest_set(tier: Tier) -> np.ndarray:
    """The admissible set of the tier with the smallest fixed cost: its sites that must
    open plus the cheapest others up to the minimum count (indices, sorted)."""
    must = np.flatnonzero(tier.must_open)
    others = np.flatnonzero(~tier.must_open)
    need = max(0, tier.count - len(must))
    cheapest = others[np.argsort(tier.fixed_cost_cny_per_year[others], kind="stable")[:need]]
    return np.sort(np.concatenate([must, cheapest]))


def _cheapest_fixed(tier: Tier) -> float:
    """Smallest fixed cost of an admissible set of the tier (:func:`_cheapest_set`)."""
    return float(tier.fixed_cost_cny_per_year[_cheapest_set(tier)].sum())


def lower_bound(p: SitingProblem, *, time_limit_s: float, relative_gap: float) -> float:
    """A valid lower bound (step 4 of the module docstring); ``-inf`` if none was proved."""
    c = p.cost_cny_per_tkm
    # Cheapest onward cost per tonne from each point over every station and centre.
    station_on = (c["haul"] * p.haul_km).min(axis=1)
    unit = (c["collection"] * p.collection_km + station_on[None, :]).min(axis=1)
    fixed_upper = _cheapest_fixed(p.stations) + _cheapest_fixed(p.centres)
    found = _ortools.solve_points(
        _ortools.PointsTask(p, unit, fixed_upper, [], [], relative_gap), time_limit_s=time_limit_s
    )
    if found is None:
        return -math.inf
    if found == "infeasible":
        return math.inf
    return float(found[3])


def _free_centre(p: SitingProblem) -> Tier:
    """One free centre of unlimited room: the top tier of a tier-shifted sub-problem."""
    return Tier(
        ids=("-",),
        fixed_cost_cny_per_year=np.zeros(1),
        capacity_t_per_day=np.full(1, float(p.demand_t_per_day.sum()) + 1.0),
        existing=np.zeros(1, dtype=bool),
        count=1,
    )


def shifted_problem(p: SitingProblem, unit: np.ndarray) -> tuple[SitingProblem, float]:
    r"""The upper tiers' share of the split bound (step 5 of the module docstring).

    Settlements send straight to stations (stations as points, centres as stations, a
    free dummy centre); settlement *i* to station *k* costs, per tonne,
    :math:`\min_{p \in R(i)} (b d_{pk} - t_p)`, with ``unit`` :math:`t_p` the onward
    cost the points' share was charged. Returns the problem with each settlement's
    smallest cost taken out of its row (costs must not be negative) and the annual
    constant that adds back.
    """
    c = p.cost_cny_per_tkm
    reach = p.reach()
    n, n_k = p.num_settlements, len(p.stations)
    shifted = c["collection"] * p.collection_km - unit[:, None]  # (points, stations)
    rows = np.full((n, n_k), np.inf)
    for i in range(n):
        rows[i] = shifted[np.flatnonzero(reach[i])].min(axis=0)
    floor = rows.min(axis=1)
    dummy = _free_centre(p)
    sub = SitingProblem(
        settlement_ids=p.settlement_ids,
        demand_t_per_day=p.demand_t_per_day,
        points=p.stations,
        stations=p.centres,
        centres=dummy,
        access_km=rows - floor[:, None],
        collection_km=p.haul_km,
        haul_km=np.zeros((len(p.centres), 1)),
        max_access_km=np.inf,
        cost_cny_per_tkm={"access": 1.0, "collection": c["haul"], "haul": 0.0},
    )
    return sub, DAYS_PER_YEAR * float((p.demand_t_per_day * floor).sum())


def stations_share_bound(sub: SitingProblem, *, time_limit_s: float) -> float:
    """Lower bound on the optimum of the stations' share (:func:`shifted_problem`):
    per admissible set of centres, the larger of its listing bound
    (:func:`~recyclenet.siting.decompose.pair_bounds`) and a Lagrangian bound on the
    stations' choice (:func:`recyclenet.siting.lagrangian.facility_bound`, capacities
    dropped); the smallest over the sets. The set with the smallest bound is refined
    first, until it has converged or the time is up."""
    deadline = time.perf_counter() + time_limit_s
    pairs = upper_tier_choices(sub)
    bounds = pair_bounds(sub, pairs)
    yearly = DAYS_PER_YEAR * sub.demand_t_per_day
    base = yearly[:, None] * sub.access_km * sub.cost_cny_per_tkm["access"]
    tier = sub.points
    states: dict[int, LagrangianState] = {}
    while time.perf_counter() < deadline:
        n = int(np.argmin(bounds))
        if n in states and states[n].converged:
            break
        centres = list(pairs[n][0])
        haul = sub.cost_cny_per_tkm["collection"] * sub.collection_km[:, centres].min(axis=1)
        state = facility_bound(
            base + yearly[:, None] * haul[None, :],
            tier.fixed_cost_cny_per_year,
            tier.must_open,
            tier.count,
            tier.max_count,
            iterations=40,
            state=states.get(n),
        )
        states[n] = state
        fixed = float(sub.stations.fixed_cost_cny_per_year[centres].sum())
        bounds[n] = max(bounds[n], state.bound + fixed)
    return float(bounds.min())


def split_bound(
    p: SitingProblem, net: Network, params: SitingParams, *, time_limit_s: float
) -> float:
    """A valid lower bound from the network's upper tiers (step 5 of the module
    docstring); ``-inf`` if the centre choices are too many to list. The stations'
    share gets 40 % of the time; where the points' MIP proves nothing in the rest, its
    share is bounded by each settlement's cheapest point."""
    start = time.perf_counter()
    stations = np.flatnonzero(net[2] >= 0)
    centres = np.unique(net[2][net[2] >= 0])
    unit = p.onward(stations, centres)[0]
    sub, constant = shifted_problem(p, unit)
    if not 0 < count_choices(sub) <= params.max_combinations:
        return -math.inf
    upper = stations_share_bound(sub, time_limit_s=0.4 * time_limit_s)
    found = _ortools.solve_points(
        _ortools.PointsTask(p, unit, 0.0, [], [], params.relative_gap, params.backend),
        time_limit_s=max(0.5, time_limit_s - (time.perf_counter() - start)),
    )
    if found == "infeasible":  # not with a feasible network in hand; claim nothing
        return -math.inf
    # Where the MIP proved nothing in time: each settlement's cheapest point, and the
    # cheapest admissible point fixed costs.
    c = p.cost_cny_per_tkm
    per_tonne = np.where(p.reach(), c["access"] * p.access_km + unit[None, :], np.inf)
    points = DAYS_PER_YEAR * float(p.demand_t_per_day @ per_tonne.min(axis=1))
    points += _cheapest_fixed(p.points)
    if found is not None and np.isfinite(found[3]):
        points = max(points, float(found[3]))
    return points + upper + constant


def upper_problem(p: SitingProblem, net: Network) -> tuple[SitingProblem, np.ndarray]:
    """Step 3's sub-problem for the points open in ``net``, and those points' indices."""
    point_of, station_of, _ = net
    opened = np.flatnonzero(station_of >= 0)
    at_point = np.bincount(point_of, weights=p.demand_t_per_day, minlength=len(p.points))
    flow = at_point[opened].astype(np.float64)
    c = p.cost_cny_per_tkm
    dummy = _free_centre(p)
    sub = SitingProblem(
        settlement_ids=tuple(p.points.ids[j] for j in opened),
        demand_t_per_day=flow,
        points=p.stations,
        stations=p.centres,
        centres=dummy,
        access_km=p.collection_km[opened],
        collection_km=p.haul_km,
        haul_km=np.zeros((len(p.centres), 1)),
        max_access_km=np.inf,
        cost_cny_per_tkm={"access": c["collection"], "collection": c["haul"], "haul": 0.0},
    )
    return sub, opened


def inner_start(p: SitingProblem, params: SitingParams, *, time_limit_s: float) -> Network | None:
    """A first network by the step-2 MIP: the existing stations and centres plus the
    cheapest others up to each tier's count, points and assignments solved exactly
    (``None`` when those sites admit no network or none was found in time)."""
    sets = [tuple(int(j) for j in _cheapest_set(tier)) for tier in (p.stations, p.centres)]
    if not p.station_sets_ok(sets[0]):
        return None
    inner = _ortools.solve_inner(
        p,
        sets[0],
        sets[1],
        time_limit_s=time_limit_s,
        relative_gap=params.relative_gap,
        backend=params.backend,
        seed=params.seed,
    )
    return inner[2] if inner is not None else None


def solve_large(
    problem: SitingProblem,
    params: SitingParams,
    solve_any: Callable[..., SitingResult],
) -> SitingResult:
    """Solve a large instance as described in the module docstring; ``solve_any`` solves
    its sub-problems (:func:`recyclenet.siting.solve`)."""
    start = time.perf_counter()
    p = problem
    limit = params.time_limit_s

    def left() -> float:
        return float(limit - (time.perf_counter() - start))

    label = f"large+{params.backend}"
    net = construct(p, swap_time_s=min(10.0, 0.1 * limit))
    if net is None:
        net = inner_start(p, params, time_limit_s=0.25 * left())
    upper_ok = (
        not p.county_counts and p.max_stations_per_group is None and p.budget_cny_per_year is None
    )
    bound = -math.inf
    if net is None or not upper_ok:
        bound = lower_bound(
            p, time_limit_s=max(1.0, 0.25 * left()), relative_gap=params.relative_gap
        )
    if net is None:
        status = "infeasible" if bound == math.inf else "no_solution"
        return SitingResult(
            p,
            status,
            math.nan,
            math.nan,
            math.nan,
            time.perf_counter() - start,
            label,
            np.full(p.num_settlements, -1, dtype=np.int64),
            np.full(len(p.points), -1, dtype=np.int64),
            np.full(len(p.stations), -1, dtype=np.int64),
        )
    best = network_cost_cny(p, net)
    # With the split bound to prove (step 5), the search stops at 60 % of the limit.
    search_until = start + (0.6 * limit if upper_ok else limit)

    def search_left() -> float:
        return float(search_until - time.perf_counter())

    rounds = 0
    while search_left() > 1.0:
        rounds += 1
        improved = False
        stations = tuple(int(k) for k in np.flatnonzero(net[2] >= 0))
        centres = tuple(int(m) for m in np.unique(net[2][net[2] >= 0]))
        inner = _ortools.solve_inner(
            p,
            stations,
            centres,
            time_limit_s=0.6 * search_left(),
            relative_gap=params.relative_gap,
            backend=params.backend,
            seed=params.seed,
            cutoff=best,
        )
        if inner is not None and inner[2] is not None:
            cost = network_cost_cny(p, inner[2])
            if cost < best - 1e-6:
                best, net, improved = cost, inner[2], True
        if upper_ok and search_left() > 1.0:
            sub, opened = upper_problem(p, net)
            up = solve_any(sub, replace(params, time_limit_s=max(0.5, 0.9 * search_left())))
            if up.is_feasible():
                station_of = np.full(len(p.points), -1, dtype=np.int64)
                station_of[opened] = up.point_of_settlement
                trial = (net[0], station_of, up.station_of_point)
                cost = network_cost_cny(p, trial)
                if cost < best - 1e-6:
                    best, net, improved = cost, trial, True
        if not improved:
            break
    if upper_ok and left() > 1.0:
        bound = split_bound(p, net, params, time_limit_s=left() - 0.5)
        if not np.isfinite(bound) and left() > 1.0:
            bound = lower_bound(p, time_limit_s=left() - 0.5, relative_gap=params.relative_gap)
    bound = min(bound, best)
    gap = max(0.0, (best - bound) / best) if best > 0 else 0.0
    return SitingResult(
        problem=p,
        status="optimal" if gap <= params.relative_gap + 1e-12 else "feasible",
        objective_cny=float(best),
        bound_cny=float(bound),
        gap=float(gap),
        runtime_s=time.perf_counter() - start,
        solver=label,
        point_of_settlement=net[0],
        station_of_point=net[1],
        centre_of_station=net[2],
        solver_work={"rounds": rounds},
    )
