r"""Specialised sorting centres (专业型分拣中心): which to open, and which station sends each
category to which of them.

A specialised centre takes some material categories only (household appliances and
e-waste at a licensed dismantling site, textiles, …); the comprehensive centres (综合型) of
the three-tier network take the rest. Given the open transfer stations, the tonnes of each
category each station sends on, and the comprehensive centre each station hauls to, this
stage opens :math:`N` specialised centres and routes every (station, category) flow:

.. math::

    \min\ & \sum_c F_c o_c + 365\,h \Big( \sum_{k,g,c} t_{kg} d_{kc} a_{kgc}
          + \sum_{k,g} t_{kg} d_{k0} a_{kg0} \Big) \\
    \text{s.t. } & \textstyle\sum_{c \ni g} a_{kgc} + a_{kg0} = 1 \quad \forall k, g
        && \text{each flow to one centre that takes it} \\
    & a_{kgc} \le o_c,\quad a_{kg0} \le 1 - o_c \ \ \forall c \ni g
        && \text{a category an open specialised centre takes goes to one} \\
    & \textstyle\sum_{k,g} t_{kg} a_{kgc} \le Q_c o_c,\quad \sum_c o_c = N,
        \quad o_c = 1 \text{ existing}

with :math:`a_{kg0}` the station's comprehensive centre (at :math:`d_{k0}`). The stations
are those of the three-tier optimum, which counted every tonne to the comprehensive
centres: the two stages are each solved to optimality, not jointly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class SpecialisedProblem:
    """The data of the specialised-centre stage.

    Attributes
    ----------
    station_ids
        Open transfer stations.
    categories
        Material categories (the scenario's demand categories).
    t_per_day
        ``(stations, categories)`` tonnes each station sends on.
    centre_ids
        Candidate specialised centres.
    takes
        ``(centres, categories)`` which categories each candidate takes.
    fixed_cost_cny_per_year, capacity_t_per_day, existing
        Per candidate.
    haul_km
        ``(stations, centres)`` haul distance to each candidate.
    comprehensive_km
        Per station, the haul distance to its comprehensive centre.
    haul_cny_per_tkm
        Haul cost per tonne-km.
    count
        Specialised centres to open.
    """

    station_ids: tuple[str, ...]
    categories: tuple[str, ...]
    t_per_day: NDArray[np.float64]
    centre_ids: tuple[str, ...]
    takes: NDArray[np.bool_]
    fixed_cost_cny_per_year: NDArray[np.float64]
    capacity_t_per_day: NDArray[np.float64]
    existing: NDArray[np.bool_]
    haul_km: NDArray[np.float64]
    comprehensive_km: NDArray[np.float64]
    haul_cny_per_tkm: float
    count: int

    def __post_init__(self) -> None:
        k, g, c = len(self.station_ids), len(self.categories), len(self.centre_ids)
        for name, arr, shape in (
            ("t_per_day", self.t_per_day, (k, g)),
            ("takes", self.takes, (c, g)),
            ("haul_km", self.haul_km, (k, c)),
            ("comprehensive_km", self.comprehensive_km, (k,)),
            ("fixed_cost_cny_per_year", self.fixed_cost_cny_per_year, (c,)),
            ("capacity_t_per_day", self.capacity_t_per_day, (c,)),
            ("existing", self.existing, (c,)),
        ):
            if np.shape(arr) != shape:
                raise ValueError(f"{name} has shape {np.shape(arr)}, expected {shape}")
        if not 0 <= self.count <= c:
            raise ValueError(f"count must be 0..{c}, got {self.count}")
        if int(np.sum(self.existing)) > self.count:
            raise ValueError(f"{int(np.sum(self.existing))} existing centres exceed count")


@dataclass(frozen=True)
class SpecialisedResult:
    """The specialised centres opened and where each flow goes.

    Attributes
    ----------
    problem
        The stage solved.
    status
        ``"optimal"`` or ``"feasible"`` (stopped at the time limit); solved by
        :func:`recyclenet.siting.solve.solve_specialised`.
    open_idx
        Indices of the open candidates.
    centre_of
        ``(stations, categories)``: the candidate index each flow goes to, ``-1`` the
        station's comprehensive centre.
    objective_cny
        Fixed cost plus the yearly haul cost of every category, at the haul rate.
    bound_cny
        The solver's proved lower bound.
    """

    problem: SpecialisedProblem
    status: str
    open_idx: NDArray[np.int64]
    centre_of: NDArray[np.int64]
    objective_cny: float
    bound_cny: float

    def flows(self) -> pd.DataFrame:
        """One row per station, category and receiving specialised centre with tonnes:
        ``station_id``, ``category``, ``centre_id``, ``t_per_day``, ``km``."""
        p = self.problem
        rows = [
            {
                "station_id": p.station_ids[k],
                "category": p.categories[g],
                "centre_id": p.centre_ids[c],
                "t_per_day": float(p.t_per_day[k, g]),
                "km": float(p.haul_km[k, c]),
            }
            for k in range(len(p.station_ids))
            for g in range(len(p.categories))
            if (c := int(self.centre_of[k, g])) >= 0 and p.t_per_day[k, g] > 0
        ]
        return pd.DataFrame(
            rows, columns=["station_id", "category", "centre_id", "t_per_day", "km"]
        )

    def diverted_t_per_day(self) -> NDArray[np.float64]:
        """Per station, the tonnes that go to specialised centres."""
        p = self.problem
        sent: NDArray[np.float64] = np.where(self.centre_of >= 0, p.t_per_day, 0.0).sum(axis=1)
        return sent

    def fixed_cost_cny_per_year(self) -> float:
        """Fixed cost of the open specialised centres that are not existing ones."""
        p = self.problem
        idx = np.asarray(self.open_idx, dtype=int)
        return float(p.fixed_cost_cny_per_year[idx][~p.existing[idx]].sum())
