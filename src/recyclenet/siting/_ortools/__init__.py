r"""The three-tier siting MIP in OR-Tools' linear solver.

Sets: settlements :math:`i \in I`, candidate collection points :math:`p \in P`,
transfer stations :math:`k \in K`, sorting centres :math:`m \in M`;
:math:`R(i) = \{p : d_{ip} \le D\}` are the points within the access distance *D*.

Data: demand :math:`w_i` (t/day), fixed costs :math:`F^P_p, F^K_k, F^M_m` (CNY/yr),
capacities :math:`Q^P_p, Q^K_k, Q^M_m` (t/day), distances :math:`d_{ip}, d_{pk}, d_{km}`
(km), transport costs :math:`a, b, h` (CNY per t-km for access, collection, haul),
counts :math:`N^P, N^K, N^M`, existing sites :math:`E`.

Variables: :math:`y_p, s_k, c_m \in \{0,1\}` open; :math:`x_{ip} \in \{0,1\}`
(settlement *i* uses point *p*, only for :math:`p \in R(i)`); :math:`z_{pk}, u_{km} \in
\{0,1\}` (single-source links); flows :math:`f_{pk}, g_{km} \ge 0` (t/day).

.. math::

    \min\ & \sum_p F^P_p y_p + \sum_k F^K_k s_k + \sum_m F^M_m c_m
        + 365 \Big( a \sum_{i,p} w_i d_{ip} x_{ip} + b \sum_{p,k} d_{pk} f_{pk}
        + h \sum_{k,m} d_{km} g_{km} \Big) \\
    \text{s.t. } & \textstyle\sum_{p \in R(i)} x_{ip} = 1 \quad \forall i
        && \text{every settlement served within } D \\
    & x_{ip} \le y_p && \text{only by an open point (strong linking)} \\
    & \textstyle\sum_i w_i x_{ip} \le Q^P_p y_p && \text{point capacity} \\
    & \textstyle\sum_k z_{pk} = y_p,\ z_{pk} \le s_k && \text{open point -> one open station} \\
    & \textstyle\sum_k f_{pk} = \sum_i w_i x_{ip},\ f_{pk} \le \bar W_p z_{pk}
        && \text{its whole flow on that link} \\
    & \textstyle\sum_p f_{pk} \le Q^K_k s_k && \text{station capacity} \\
    & \textstyle\sum_m u_{km} = s_k,\ u_{km} \le c_m && \text{open station -> one centre} \\
    & \textstyle\sum_m g_{km} = \sum_p f_{pk},\ g_{km} \le \bar W_k u_{km} \\
    & \textstyle\sum_k g_{km} \le Q^M_m c_m && \text{centre capacity} \\
    & \textstyle\sum y = N^P,\ \sum s = N^K,\ \sum c = N^M && \text{policy counts} \\
    & y_p = 1,\ s_k = 1,\ c_m = 1 \quad \text{for existing sites}

How it is solved (:func:`recyclenet.siting.solve`): when the station and centre choices
are few, exactly, by bounded enumeration of the upper tiers
(:mod:`recyclenet.siting.decompose`), each surviving choice's *inner* problem solved here
by :func:`solve_inner`; otherwise as one monolithic MIP (:func:`solve_mip`) started from
the heuristic network. Measured on Cuiping (315 settlements, 18 candidate stations, 4
centres): the monolithic model's LP bound is weak (SCIP: 13.6 % gap after 60 s; OR-Tools'
pywraplp wrapper of HiGHS, used then, dropped HiGHS's incumbent at the time limit and
returned nothing), and a disaggregated path formulation (96k columns) did not finish
HiGHS's root node in 60 s. Every model here is built and solved in MathOpt
(:func:`_solve_model`).

where :math:`\bar W_p = \min(Q^P_p, \sum_{i : p \in R(i)} w_i)` and
:math:`\bar W_k = \min(Q^K_k, \sum_i w_i)` are the tightest valid big-M values.
This package (``common``, ``network``, ``points``, ``specialised``) is the only part of
``recyclenet.siting`` that imports OR-Tools.
"""

from recyclenet.siting._ortools.common import _dual_bound, _solve_model
from recyclenet.siting._ortools.network import (
    OVERFLOW_PENALTY,
    capacity_overflows,
    solve_inner,
    solve_mip,
)
from recyclenet.siting._ortools.points import (
    RADIUS_LEVELS,
    PointsOutcome,
    PointsTask,
    _p_median_mathopt,
    _p_median_radius,
    max_cover,
    min_cover,
    solve_points,
)
from recyclenet.siting._ortools.specialised import solve_specialised

__all__ = [
    "OVERFLOW_PENALTY",
    "RADIUS_LEVELS",
    "PointsOutcome",
    "PointsTask",
    "_dual_bound",
    "_p_median_mathopt",
    "_p_median_radius",
    "_solve_model",
    "capacity_overflows",
    "max_cover",
    "min_cover",
    "solve_inner",
    "solve_mip",
    "solve_points",
    "solve_specialised",
]
