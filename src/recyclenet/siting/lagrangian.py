r"""Lagrangian lower bounds for facility location with a count of sites to open.

The problem: open between ``count_min`` and ``count_max`` sites (some must open), each
at a fixed cost :math:`f_k`, and send every customer *i* to one open site at cost
:math:`c_{ik}`, without capacities. Relaxing "each customer to exactly one site" with
multipliers :math:`\lambda_i` (Beasley 1993, for the p-median and facility location)
gives, for any :math:`\lambda`,

.. math::

    L(\lambda) = \sum_i \lambda_i + \min_{y} \sum_k y_k \rho_k, \qquad
    \rho_k = f_k + \sum_i \min(0, c_{ik} - \lambda_i),

the inner minimum taken over the admissible site sets (the must-open sites, the
cheapest :math:`\rho_k` up to the minimum count, then every negative one up to the
maximum count): a valid lower bound whatever :math:`\lambda` is. Subgradient steps
(Polyak, on the best network found from the open sets) raise it; numpy only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass
class LagrangianState:
    """Where the subgradient search on one problem stands; pass it back to go on.

    Attributes
    ----------
    multipliers
        The current :math:`\\lambda` per customer.
    bound
        Best lower bound proved so far.
    upper
        Cost of the best network found from the open sets (an upper bound).
    step
        Polyak step factor (halved when the bound stalls).
    iterations
        Subgradient steps taken.
    stall
        Steps since the bound last rose.
    best_open
        The sites of the network that costs ``upper`` (``None`` until one is found or
        when ``upper`` was set from outside).
    best_multipliers
        The multipliers that gave ``bound``.
    """

    multipliers: NDArray[np.float64]
    bound: float = -math.inf
    upper: float = math.inf
    step: float = 2.0
    iterations: int = 0
    stall: int = 0
    best_open: NDArray[np.int64] | None = None
    best_multipliers: NDArray[np.float64] | None = None

    @property
    def converged(self) -> bool:
        """The step has shrunk to nothing or the bound meets the upper bound."""
        return self.step < 1e-3 or self.bound >= self.upper * (1 - 1e-9)


def _open_sites(
    rho: NDArray[np.float64], must: NDArray[np.bool_], lo: int, hi: int
) -> NDArray[np.int64]:
    """The admissible set minimising the sum of ``rho`` (see the module docstring)."""
    chosen = must.copy()
    free = np.flatnonzero(~must)
    ranked = free[np.argsort(rho[free], kind="stable")]
    need = max(0, lo - int(must.sum()))
    room = max(0, hi - int(must.sum()))
    rest = ranked[need:room]
    chosen[ranked[:need]] = True
    chosen[rest[rho[rest] < 0]] = True
    return np.flatnonzero(chosen)


def facility_bound(
    cost: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    count_min: int,
    count_max: int,
    *,
    iterations: int,
    state: LagrangianState | None = None,
) -> LagrangianState:
    """Run ``iterations`` subgradient steps on the problem of the module docstring.

    Parameters
    ----------
    cost
        ``(customers, sites)`` cost of serving each customer from each site (finite).
    fixed
        Fixed cost of each site.
    must
        Sites that must open.
    count_min, count_max
        How many sites may open.
    iterations
        Steps to take in this call.
    state
        A previous call's state to continue from (same data); ``None`` starts with
        every multiplier at its customer's cheapest cost.

    Returns
    -------
    LagrangianState
        ``bound`` is a valid lower bound on the problem's optimum.
    """
    if state is None:
        state = LagrangianState(multipliers=cost.min(axis=1).astype(float))
    lam = state.multipliers
    for _ in range(iterations):
        if state.converged:
            break
        below = cost < lam[:, None]
        rho = fixed + np.where(below, cost - lam[:, None], 0.0).sum(axis=0)
        opened = _open_sites(rho, must, count_min, count_max)
        value = float(lam.sum() + rho[opened].sum())
        network = (  # no site open serves nobody: not a network
            float(fixed[opened].sum() + cost[:, opened].min(axis=1).sum())
            if len(opened)
            else math.inf
        )
        if network < state.upper:
            state.upper, state.best_open = network, opened
        if value > state.bound + 1e-9 * abs(value):
            state.bound, state.stall, state.best_multipliers = value, 0, lam.copy()
        else:
            state.stall += 1
            if state.stall >= 20:
                state.step, state.stall = state.step / 2, 0
        state.iterations += 1
        grad = 1.0 - below[:, opened].sum(axis=1)
        norm = float(grad @ grad)
        if norm == 0:  # each customer has exactly one open site below its multiplier
            if value >= state.bound:
                state.bound, state.best_multipliers = value, lam.copy()
            state.step = 0.0
            break
        # Polyak's step towards the best network (a guess above the bound before one).
        target = state.upper if math.isfinite(state.upper) else value + 0.1 * abs(value) + 1
        lam += state.step * max(target - value, 1e-9 * abs(value)) / norm * grad
    state.multipliers = lam
    return state


def improve_sites(
    cost: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    count_min: int,
    count_max: int,
    opened: NDArray[np.int64],
    *,
    max_moves: int,
) -> tuple[NDArray[np.int64], float]:
    """Local search from an admissible site set: the best of every swap (one site
    closed, another opened), addition and removal the counts allow, while one lowers
    the cost, at most ``max_moves`` times (Teitz and Bart's interchange, vectorised).

    Returns the sites and the network's cost (fixed costs plus each customer's cheapest
    open site).
    """
    n_sites = len(fixed)
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[opened] = True
    if not is_open.any():  # from no site at all: the best single one first
        is_open[int(np.argmin(cost.sum(axis=0) + fixed))] = True
    rows = np.arange(cost.shape[0])
    for _ in range(max_moves):
        idx = np.flatnonzero(is_open)
        sub = cost[:, idx]
        if len(idx) > 1:
            two = np.argpartition(sub, 1, axis=1)[:, :2]
            first = np.where(sub[rows, two[:, 0]] <= sub[rows, two[:, 1]], two[:, 0], two[:, 1])
            second = np.where(first == two[:, 0], two[:, 1], two[:, 0])
            d1, d2 = sub[rows, first], sub[rows, second]
        else:
            first = np.zeros(len(rows), dtype=np.int64)
            d1, d2 = sub[:, 0], np.full(len(rows), np.inf)
        total = float(d1.sum())
        with_d1 = np.minimum(cost, d1[:, None])
        # Adding j: every customer takes j where it is cheaper.
        add = with_d1.sum(axis=0) - total + fixed
        add[is_open] = np.inf
        # Closing k: its customers fall back to their second site.
        members = np.zeros((len(idx), len(rows)))
        members[first, rows] = 1.0
        loss = members @ np.where(np.isfinite(d2), d2 - d1, 1e300)
        drop = loss - fixed[idx]
        closable = ~must[idx]
        # Swapping k for j: customers of k take the cheaper of j and their second site.
        swap = (
            add[None, :] + members @ (np.minimum(cost, d2[:, None]) - with_d1) - fixed[idx][:, None]
        )
        swap[~closable, :] = np.inf
        best = 0.0
        move: tuple[int | None, int | None] | None = None
        if len(idx) < count_max and add.size and add.min() < best:
            best, move = float(add.min()), (None, int(np.argmin(add)))
        if len(idx) > count_min and closable.any():
            k = int(np.argmin(np.where(closable, drop, np.inf)))
            if drop[k] < best:
                best, move = float(drop[k]), (int(idx[k]), None)
        if swap.size:
            k, j = (int(v) for v in np.unravel_index(int(np.argmin(swap)), swap.shape))
            if swap[k, j] < best:
                best, move = float(swap[k, j]), (int(idx[k]), int(j))
        if move is None or best > -1e-9 * max(1.0, total):
            break
        if move[0] is not None:
            is_open[move[0]] = False
        if move[1] is not None:
            is_open[move[1]] = True
    idx = np.flatnonzero(is_open)
    return idx, float(fixed[idx].sum() + cost[:, idx].min(axis=1).sum())


def _best_multipliers(state: LagrangianState) -> NDArray[np.float64]:
    return state.multipliers if state.best_multipliers is None else state.best_multipliers


def _rho(
    state: LagrangianState, cost: NDArray[np.float64], fixed: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Each site's Lagrangian cost at the best multipliers."""
    lam = _best_multipliers(state)
    rho: NDArray[np.float64] = fixed + np.where(cost < lam[:, None], cost - lam[:, None], 0.0).sum(
        axis=0
    )
    return rho


def bound_fixings(
    state: LagrangianState,
    cost: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    count_min: int,
    count_max: int,
    cutoff: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float64]]:
    """Lagrangian reduced-cost fixing at the state's best multipliers.

    With the site forced open (or closed), the Lagrangian value is a lower bound on
    every network with it so; where it reaches ``cutoff`` no network cheaper than the
    cutoff has it so. Likewise every network costs at least the value plus, per
    customer, how far its cost exceeds its multiplier (the multiplier bounds what the
    customer pays in the relaxation), so a customer never pays ``limit`` or more in a
    network cheaper than the cutoff.

    Returns
    -------
    closed, opened, limit
        Sites closed and sites open in every network cheaper than ``cutoff``, and each
        customer's cost limit.
    """
    lam = _best_multipliers(state)
    rho = _rho(state, cost, fixed)
    chosen = _open_sites(rho, must, count_min, count_max)
    value = float(lam.sum() + rho[chosen].sum())
    inside = np.zeros(len(fixed), dtype=bool)
    inside[chosen] = True
    free_in, outside = inside & ~must, ~inside
    size = len(chosen)
    # Forced open (outside sites): add it, or let it replace the dearest free site.
    swap_in = value + rho - rho[free_in].max() if free_in.any() else np.inf
    forced_open = np.minimum(value + rho if size < count_max else np.inf, swap_in)
    # Forced closed (free sites inside): drop it, or let the cheapest outside replace it.
    swap_out = value - rho + rho[outside].min() if outside.any() else np.inf
    forced_closed = np.minimum(value - rho if size > count_min else np.inf, swap_out)
    return (
        outside & (forced_open >= cutoff),
        free_in & (forced_closed >= cutoff),
        lam + (cutoff - value),
    )


@dataclass(frozen=True)
class Reduction:
    """What the Lagrangian bound settles before an exact solve (:func:`reduce_sites`).

    Attributes
    ----------
    sites, upper
        The best network found (its open sites) and its cost.
    bound
        Lagrangian lower bound on the optimum.
    cutoff
        Only networks cheaper than this are worth finding (``upper``, or just above
        ``upper - 1`` when every network's cost is a whole number).
    closed, opened
        Sites closed, and sites open, in every network cheaper than ``cutoff``.
    limit
        Per customer: in a network cheaper than ``cutoff`` it pays less than this.
    """

    sites: NDArray[np.int64]
    upper: float
    bound: float
    cutoff: float
    closed: NDArray[np.bool_]
    opened: NDArray[np.bool_]
    limit: NDArray[np.float64]


def reduce_sites(
    cost: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    count_min: int,
    count_max: int,
    *,
    integral: bool,
    time_limit_s: float,
) -> Reduction | None:
    """Bound, network and fixings for the problem of the module docstring.

    Subgradient steps give multipliers and networks; the best network is improved by
    :func:`improve_sites` and becomes the Polyak target; the steps go on until they
    converge or the time is up; the final multipliers fix sites and limit each
    customer's cost (Beasley 1993's reduction tests). ``integral`` says that every
    network costs a whole number, so only networks at least 1 cheaper are sought.
    Returns ``None`` when no admissible network was found.
    """
    deadline = time.perf_counter() + time_limit_s
    state = facility_bound(cost, fixed, must, count_min, count_max, iterations=30)
    if state.best_open is None:
        return None
    moves = 4 * max(1, count_max)
    sites, upper = improve_sites(
        cost, fixed, must, count_min, count_max, state.best_open, max_moves=moves
    )
    state.upper, state.best_open = upper, sites

    def cutoff(upper: float) -> float:
        return upper - 1 + 1e-6 + 1e-9 * abs(upper) if integral else upper

    while time.perf_counter() < deadline and state.bound < cutoff(upper):
        facility_bound(cost, fixed, must, count_min, count_max, iterations=30, state=state)
        if not state.converged:
            continue
        # The sites the best multipliers choose are a better start (pmed9, 12, 15-17,
        # 19, 20: the optimum from there, 4 to 21 above it from the first steps' sites).
        chosen = _open_sites(_rho(state, cost, fixed), must, count_min, count_max)
        found, cheaper = improve_sites(
            cost, fixed, must, count_min, count_max, chosen, max_moves=moves
        )
        if cheaper >= upper - 1e-9 * abs(upper) or state.bound >= cheaper * (1 - 1e-9):
            if cheaper < upper:
                sites, upper = found, cheaper
            break
        sites, upper = found, cheaper  # a closer Polyak target: take more steps
        state.upper, state.best_open, state.step, state.stall = upper, sites, 1.0, 0
    closed, opened, limit = bound_fixings(
        state, cost, fixed, must, count_min, count_max, cutoff(upper)
    )
    return Reduction(sites, upper, state.bound, cutoff(upper), closed, opened, limit)


# --- Capacitated facility location with splittable demand (OR-Library cap*) -------------


def _knapsacks(
    cost: NDArray[np.float64],
    demand: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.float64],
    lam: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each site's continuous knapsack: the customers whose cost is below their
    multiplier, best saving per tonne first, as much of each as its capacity holds.
    Returns each site's value (fixed cost plus savings) and the shares taken as
    ``(customers, sites, fractions)``."""
    below = cost - lam[:, None]
    ii, jj = np.nonzero(below < 0)
    saving = below[ii, jj]
    order = np.lexsort((saving / demand[ii], jj))
    ii, jj, saving = ii[order], jj[order], saving[order]
    load = demand[ii]
    cum = np.cumsum(load)
    before = np.r_[0.0, cum][np.searchsorted(jj, np.arange(len(fixed)))]
    frac = np.clip((capacity[jj] - (cum - load - before[jj])) / load, 0.0, 1.0)
    value = fixed + np.bincount(jj, weights=frac * saving, minlength=len(fixed))
    return value, ii, jj, frac


@dataclass(frozen=True)
class _Cover:
    """Fewest-cost site sets whose capacity covers the demand (a 0/1 knapsack by
    dynamic programming over capacity units, rounded up so it stays a relaxation)."""

    capacity: NDArray[np.float64]
    must: NDArray[np.bool_]
    total: float
    unit: float

    @classmethod
    def of(cls, capacity: NDArray[np.float64], must: NDArray[np.bool_], total: float) -> _Cover:
        whole = np.all(np.abs(capacity - np.round(capacity)) < 1e-9) and capacity.max() < 2**40
        unit = float(np.gcd.reduce(np.round(capacity).astype(np.int64))) if whole else 0.0
        if unit <= 0 or total / unit > 20_000:
            unit = max(total, 1e-9) / 2_000
        return cls(capacity, must, total, unit)

    def units(self, amount: float) -> int:
        return max(0, math.ceil(amount / self.unit - 1e-9))

    def size(self, j: int) -> int:
        return int(math.ceil(self.capacity[j] / self.unit - 1e-9))

    def table(
        self, value: NDArray[np.float64], items: list[int], need: int
    ) -> tuple[NDArray[np.float64], list[NDArray[np.bool_]]]:
        """Cheapest cost of at least each number of units up to ``need`` from ``items``,
        and per item where taking it improved the table (to rebuild the set)."""
        table = np.full(need + 1, np.inf)
        table[0] = 0.0
        steps = np.arange(need + 1)
        chose = []
        for j in items:
            cand = table[np.maximum(0, steps - self.size(j))] + value[j]
            chose.append(cand < table)
            table = np.minimum(table, cand)
        return table, chose

    def solve(
        self, value: NDArray[np.float64], without: int = -1
    ) -> tuple[float, NDArray[np.int64]]:
        """Cheapest admissible set (``without`` left out): must-open sites and every
        negative value taken, then the cheapest cover of what capacity is missing."""
        take = self.must | (value < 0)
        if without >= 0:
            take[without] = False
        rest = [int(j) for j in np.flatnonzero(~take) if j != without]
        need = self.units(self.total - float(self.capacity[take].sum()))
        table, chose = self.table(value, rest, need)
        sites = np.flatnonzero(take).tolist()
        left = need
        for j, better in zip(reversed(rest), reversed(chose), strict=True):
            if left > 0 and better[left]:
                sites.append(j)
                left = max(0, left - self.size(j))
        return float(value[take].sum() + table[need]), np.array(sorted(sites), dtype=np.int64)


def transport(
    cost: NDArray[np.float64],
    demand: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.float64],
    sites: NDArray[np.int64],
) -> tuple[float, NDArray[np.float64] | None]:
    """Cheapest split of every customer over the given open sites (a transportation
    LP, scipy's HiGHS): the network's cost and the ``(customers, sites)`` shares, or
    ``(inf, None)`` when the sites cannot hold the demand."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    n, k = cost.shape[0], len(sites)
    cols = np.arange(n * k)
    one_each = csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), cols)), shape=(n, n * k))
    loads = csr_matrix((np.repeat(demand, k), (np.tile(np.arange(k), n), cols)), shape=(k, n * k))
    res = linprog(
        cost[:, sites].ravel(),
        A_ub=loads,
        b_ub=capacity[sites],
        A_eq=one_each,
        b_eq=np.ones(n),
        bounds=(0.0, 1.0),
        method="highs",
    )
    if res.status != 0:
        return math.inf, None
    return float(res.fun + fixed[sites].sum()), res.x.reshape(n, k)


def capacitated_fixings(
    cost: NDArray[np.float64],
    demand: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    lam: NDArray[np.float64],
    *,
    cutoff: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Sites closed, and sites open, in every network cheaper than ``cutoff``, by the
    Lagrangian value at ``lam`` with each site forced the other way (for a site forced
    open, a relaxation that may count it twice in the capacity cover)."""
    m = len(fixed)
    cover = _Cover.of(capacity, must, float(demand.sum()))
    value = _knapsacks(cost, demand, capacity, fixed, lam)[0]
    base = float(lam.sum())
    chosen = cover.solve(value)[1]
    closed, opened = np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    inside = np.zeros(m, dtype=bool)
    inside[chosen] = True
    for j in np.flatnonzero(inside & ~must).tolist():
        opened[j] = base + cover.solve(value, without=j)[0] >= cutoff
    take = must | (value < 0)
    need = cover.units(cover.total - float(capacity[take].sum()))
    # Cheapest cover of each shortfall by the other sites.
    table = cover.table(value, [int(j) for j in np.flatnonzero(~take)], need)[0]
    for j in np.flatnonzero(~inside & ~take).tolist():
        short = min(need, cover.units(cover.total - capacity[take].sum() - capacity[j]))
        closed[j] = base + value[take].sum() + value[j] + table[short] >= cutoff
    return closed, opened


def reduce_capacitated(
    cost: NDArray[np.float64],
    demand: NDArray[np.float64],
    capacity: NDArray[np.float64],
    fixed: NDArray[np.float64],
    must: NDArray[np.bool_],
    *,
    relative_gap: float,
    time_limit_s: float,
) -> tuple[Reduction, NDArray[np.float64]] | None:
    """Bound, network and fixings for capacitated facility location with splittable
    demand and free site counts (Beasley 1988's Lagrangian: "each customer served once"
    relaxed, a continuous knapsack per site, and the sites' capacities covering the
    demand as a 0/1 knapsack). Networks come from the sets the relaxation opens, each
    priced by :func:`transport`. Returns the reduction (``limit`` is infinite: split
    demand may take a little of any site) with the best network's shares, or ``None``.
    """
    deadline = time.perf_counter() + time_limit_s
    n, m = cost.shape
    cover = _Cover.of(capacity, must, float(demand.sum()))
    lam = cost.min(axis=1).astype(float)
    best_lam, bound, upper = lam.copy(), -math.inf, math.inf
    sites: NDArray[np.int64] | None = None
    shares: NDArray[np.float64] | None = None
    priced: set[tuple[int, ...]] = set()
    step, stall = 2.0, 0

    def price(chosen: NDArray[np.int64]) -> None:
        nonlocal upper, sites, shares
        key = tuple(int(j) for j in chosen)
        if key in priced:
            return
        priced.add(key)
        value, split = transport(cost, demand, capacity, fixed, chosen)
        if value < upper:
            upper, sites, shares = value, chosen, split

    while time.perf_counter() < deadline and step >= 1e-3:
        value, ii, jj, frac = _knapsacks(cost, demand, capacity, fixed, lam)
        inner, chosen = cover.solve(value)
        current = float(lam.sum() + inner)
        if current > bound + 1e-9 * abs(current):
            bound, best_lam, stall = current, lam.copy(), 0
            before = upper
            price(chosen)  # sets repeat: each is priced once
            if upper < before and math.isfinite(before):
                step = max(step, 1.0)  # a closer Polyak target: take bigger steps again
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if bound >= upper * (1 - 0.5 * relative_gap):
            break
        opened = np.zeros(m, dtype=bool)
        opened[chosen] = True
        grad = 1.0 - np.bincount(ii, weights=frac * opened[jj], minlength=n)
        norm = float(grad @ grad)
        if norm == 0:
            break
        target = upper if math.isfinite(upper) else abs(current) * 1.1 + 1.0
        lam = lam + step * max(target - current, 1e-9 * abs(current)) / norm * grad
    value = _knapsacks(cost, demand, capacity, fixed, best_lam)[0]
    price(cover.solve(value)[1])
    if sites is None or shares is None:
        return None
    closed, opened_ = capacitated_fixings(
        cost, demand, capacity, fixed, must, best_lam, cutoff=upper
    )
    reduction = Reduction(sites, upper, bound, upper, closed, opened_, np.full(n, np.inf))
    return reduction, shares
