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
    """

    multipliers: NDArray[np.float64]
    bound: float = -math.inf
    upper: float = math.inf
    step: float = 2.0
    iterations: int = 0
    stall: int = 0

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
        state.upper = min(state.upper, network)
        if value > state.bound + 1e-9 * abs(value):
            state.bound, state.stall = value, 0
        else:
            state.stall += 1
            if state.stall >= 20:
                state.step, state.stall = state.step / 2, 0
        state.iterations += 1
        grad = 1.0 - below[:, opened].sum(axis=1)
        norm = float(grad @ grad)
        if norm == 0:  # each customer has exactly one open site below its multiplier
            state.bound = max(state.bound, value)
            state.step = 0.0
            break
        lam += state.step * max(state.upper - value, 1e-9 * abs(value)) / norm * grad
    state.multipliers = lam
    return state
