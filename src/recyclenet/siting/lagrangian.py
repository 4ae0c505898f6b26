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
        network = float(fixed[opened].sum() + cost[:, opened].min(axis=1).sum())
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
        lam += state.step * max(state.upper - value, 1e-9 * abs(value)) / norm * grad
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
        best, move = 0.0, None
        if len(idx) < count_max and add.size and add.min() < best:
            best, move = float(add.min()), (None, int(np.argmin(add)))
        if len(idx) > count_min and closable.any():
            k = int(np.argmin(np.where(closable, drop, np.inf)))
            if drop[k] < best:
                best, move = float(drop[k]), (int(idx[k]), None)
        if swap.size:
            k, j = np.unravel_index(int(np.argmin(swap)), swap.shape)
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
    return fixed + np.where(cost < lam[:, None], cost - lam[:, None], 0.0).sum(axis=0)


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
