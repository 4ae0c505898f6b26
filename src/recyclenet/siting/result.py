"""The result of a siting solve, with tidy DataFrame accessors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.clock import TIERS
from recyclenet.siting.problem import DAYS_PER_YEAR, SitingProblem

STATUSES = ("optimal", "feasible", "infeasible", "no_solution")


@dataclass(frozen=True)
class SitingResult:
    """A three-tier network and what the solver proved about it.

    Attributes
    ----------
    problem
        The problem solved.
    status
        ``"optimal"`` (within ``relative_gap``), ``"feasible"`` (time limit hit with a
        solution), ``"infeasible"`` (proved), or ``"no_solution"`` (none found in time).
    objective_cny
        Annualised cost of the network found (CNY per year), NaN without a solution.
    bound_cny
        Best lower bound proved by the solver.
    gap
        ``(objective - bound) / objective``; 0 when proved optimal to tolerance.
    runtime_s
        Wall-clock solve time.
    solver
        Method and backend, e.g. ``"HIGHS"`` or ``"enumeration+HIGHS"``.
    point_of_settlement
        Index into ``problem.points`` for every settlement (-1 without a solution).
    station_of_point
        Index into ``problem.stations`` for every candidate point, -1 if the point is closed.
    centre_of_station
        Index into ``problem.centres`` for every candidate station, -1 if closed.
    explanation
        For an infeasible scenario: which settlements or constraints make it so.
    solver_work
        What the method did, as counts: ``{"sets_solved": n, "sets_total": m}`` for
        the enumeration (station and centre sets solved of those there are),
        ``{"rounds": n}`` for the large-instance heuristic; empty for one MIP.
    """

    problem: SitingProblem
    status: str
    objective_cny: float
    bound_cny: float
    gap: float
    runtime_s: float
    solver: str
    point_of_settlement: NDArray[np.int64]
    station_of_point: NDArray[np.int64]
    centre_of_station: NDArray[np.int64]
    explanation: str = ""
    solver_work: dict[str, int] = dataclasses.field(default_factory=dict)

    def is_feasible(self) -> bool:
        """Whether the result holds a network (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    def open_idx(self, tier: str) -> NDArray[np.int64]:
        """Indices of the open sites of a tier."""
        if tier == "collection_point":
            return np.flatnonzero(self.station_of_point >= 0)
        if tier == "transfer_station":
            return np.flatnonzero(self.centre_of_station >= 0)
        if tier == "sorting_centre":
            return np.unique(self.centre_of_station[self.centre_of_station >= 0])
        raise ValueError(f"unknown tier {tier!r}; use one of {TIERS}")

    def throughput_t_per_day(self) -> dict[str, NDArray[np.float64]]:
        """Tonnes per day through every candidate site of each tier (0 when closed)."""
        p = self.problem
        at_point = np.bincount(
            self.point_of_settlement, weights=p.demand_t_per_day, minlength=len(p.points)
        )
        open_p = self.station_of_point >= 0
        at_station = np.bincount(
            self.station_of_point[open_p], weights=at_point[open_p], minlength=len(p.stations)
        )
        open_s = self.centre_of_station >= 0
        at_centre = np.bincount(
            self.centre_of_station[open_s], weights=at_station[open_s], minlength=len(p.centres)
        )
        return {
            "collection_point": at_point.astype(np.float64),
            "transfer_station": at_station.astype(np.float64),
            "sorting_centre": at_centre.astype(np.float64),
        }

    def tonne_km_per_day(self) -> dict[str, float]:
        """The network's daily flows times their distances: ``access`` (settlement ->
        point), ``collection`` (point -> station) and ``haul`` (station -> centre), in
        tonne-km per day."""
        p = self.problem
        flows = self.throughput_t_per_day()
        n = np.arange(p.num_settlements)
        op = self.open_idx("collection_point")
        os_ = self.open_idx("transfer_station")
        return {
            "access": float((p.demand_t_per_day * p.access_km[n, self.point_of_settlement]).sum()),
            "collection": float(
                (
                    flows["collection_point"][op] * p.collection_km[op, self.station_of_point[op]]
                ).sum()
            ),
            "haul": float(
                (flows["transfer_station"][os_] * p.haul_km[os_, self.centre_of_station[os_]]).sum()
            ),
        }

    def cost_split_cny(self) -> dict[str, float]:
        """Annualised cost recomputed from the network: fixed and transport per tier."""
        p = self.problem
        fixed = sum(float(p.tier(t).fixed_cost_cny_per_year[self.open_idx(t)].sum()) for t in TIERS)
        tkm = self.tonne_km_per_day()
        c = p.cost_cny_per_tkm
        out = {
            "fixed_cny": fixed,
            **{
                f"transport_{flow}_cny": DAYS_PER_YEAR * c[flow] * tkm[flow]
                for flow in ("access", "collection", "haul")
            },
        }
        out["transport_cny"] = (
            out["transport_access_cny"]
            + out["transport_collection_cny"]
            + out["transport_haul_cny"]
        )
        out["total_cny"] = out["fixed_cny"] + out["transport_cny"]
        return out

    def access_distance_km(self) -> NDArray[np.float64]:
        """Distance from every settlement to its collection point."""
        n = np.arange(self.problem.num_settlements)
        return self.problem.access_km[n, self.point_of_settlement]

    def facilities(self) -> pd.DataFrame:
        """Open sites, one row each.

        Columns: ``tier``, ``site_idx``, ``site_id``, ``parent_site_id`` (the site it
        sends to; empty for the centre), ``throughput_t_per_day``, ``capacity_t_per_day``,
        ``fixed_cost_cny_per_year``, ``existing``, ``settlements_served``.
        """
        p = self.problem
        flows = self.throughput_t_per_day()
        served = np.bincount(self.point_of_settlement, minlength=len(p.points))
        rows = []
        for tier in TIERS:
            t = p.tier(tier)
            for j in self.open_idx(tier):
                if tier == "collection_point":
                    parent = p.stations.ids[self.station_of_point[j]]
                elif tier == "transfer_station":
                    parent = p.centres.ids[self.centre_of_station[j]]
                else:
                    parent = ""
                rows.append(
                    {
                        "tier": tier,
                        "site_idx": int(j),
                        "site_id": t.ids[j],
                        "parent_site_id": parent,
                        "throughput_t_per_day": float(flows[tier][j]),
                        "capacity_t_per_day": float(t.capacity_t_per_day[j]),
                        "fixed_cost_cny_per_year": float(t.fixed_cost_cny_per_year[j]),
                        "existing": bool(t.existing[j]),
                        "settlements_served": int(served[j]) if tier == "collection_point" else 0,
                    }
                )
        return pd.DataFrame(rows)

    def assignments(self) -> pd.DataFrame:
        """Settlement -> collection point, one row per settlement.

        Columns: ``settlement_id``, ``point_idx``, ``point_id``, ``access_km``,
        ``demand_t_per_day``.
        """
        p = self.problem
        return pd.DataFrame(
            {
                "settlement_id": list(p.settlement_ids),
                "point_idx": self.point_of_settlement,
                "point_id": [p.points.ids[j] for j in self.point_of_settlement],
                "access_km": self.access_distance_km(),
                "demand_t_per_day": p.demand_t_per_day,
            }
        )

    def summary(self, note: str = "") -> str:
        """One line: status, objective, bound, gap, time, the solver (and ``note`` after
        it, e.g. what the method did)."""
        return (
            f"siting {self.status}: objective {self.objective_cny:,.0f} CNY/yr, "
            f"bound {self.bound_cny:,.0f}, gap {self.gap:.4%}, "
            f"{self.runtime_s:.1f} s ({self.solver}{note})"
        )


def network_cost_cny(
    problem: SitingProblem, net: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> float:
    """Annualised cost (CNY per year) of a network given as ``(point_of_settlement,
    station_of_point, centre_of_station)``."""
    result = SitingResult(problem, "feasible", 0, 0, 0, 0, "", *net)
    return result.cost_split_cny()["total_cny"]
