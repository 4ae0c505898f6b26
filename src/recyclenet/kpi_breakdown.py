"""Indicators per material category and per county.

``categories``: for every material category, the tonnes a year handed to the network in
the base year and expected in the target year (the plan's growth, ``target_pct``), what
the network collects (from the settlements within the access distance of their point)
and whether it reaches the target (``met``: collected at least the target, and the open
sorting centres' capacity holds the whole flow).

``counties``: where the settlements name several counties (a sorting centre shared across
a county or provincial border), each county's open sites, tonnes, collection trucks,
coverage and cost: its own sites' fixed cost, its stations' trucks, and the shared
centres' fixed cost and haul split by the tonnes each county brings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recyclenet.config import DemandConfig
from recyclenet.demand import settlement_demand

DAYS_PER_YEAR = 365.0


def category_kpis(
    config: DemandConfig,
    settlements: pd.DataFrame,
    within: np.ndarray,
    centre_capacity_t_per_day: float,
) -> dict[str, dict[str, Any]]:
    """Per category: ``base_t_per_year`` (handed to the network in the base year),
    ``target_pct``, ``target_t_per_year`` (the base grown by it), ``collected_t_per_year``
    (the target year's flow from settlements within access), ``met``. ``within``: per
    settlement, whether its point is within the access distance."""
    demand = settlement_demand(settlements, config)  # (the target year's, grown)
    grown: dict[str, np.ndarray] = {}
    out: dict[str, dict[str, Any]] = {}
    for name, cat in config.categories.items():
        grown[name] = demand[f"kg_per_day_{name}"].to_numpy(float)
        base_kg = grown[name] / (1.0 + cat.growth_pct_to_target / 100.0)
        out[name] = {
            "base_year": config.base_year,
            "target_year": config.target_year,
            "base_t_per_year": round(float(base_kg.sum()) * DAYS_PER_YEAR / 1000, 1),
            "target_pct": cat.growth_pct_to_target,
            "target_t_per_year": round(float(grown[name].sum()) * DAYS_PER_YEAR / 1000, 1),
            "collected_t_per_year": round(
                float(grown[name][within].sum()) * DAYS_PER_YEAR / 1000, 1
            ),
        }
    total_t_day = sum(float(g[within].sum()) for g in grown.values()) / 1000
    fits = total_t_day <= centre_capacity_t_per_day + 1e-9
    for row in out.values():
        row["met"] = bool(fits and row["collected_t_per_year"] >= row["target_t_per_year"] - 0.05)
    return out


def site_counties(siting: Any, candidates: pd.DataFrame, settlements: pd.DataFrame) -> dict:
    """The county of every open collection point and transfer station: the siting's own
    (where the scenario gives counts by county), else a point's settlement's and, for a
    station, the county of most of the tonnes it takes in."""
    p = siting.problem
    out: dict[str, str] = {}
    if p.county_counts and p.point_county is not None and p.station_county is not None:
        names = [c[0] for c in p.county_counts]
        for j in siting.open_idx("collection_point"):
            out[p.points.ids[j]] = names[p.point_county[j]]
        for k in siting.open_idx("transfer_station"):
            out[p.stations.ids[k]] = names[p.station_county[k]]
        return out
    if "county" not in settlements:
        return out
    county = dict(zip(settlements["settlement_id"], settlements["county"].astype(str), strict=True))
    cand = candidates.set_index("site_id")
    assign = siting.assignments()
    t_of = assign.groupby("point_id")["demand_t_per_day"].sum()
    by_station: dict[str, dict[str, float]] = {}
    for j in siting.open_idx("collection_point"):
        pid = p.points.ids[j]
        home = county.get(str(cand.loc[pid, "settlement_id"]), "") if pid in cand.index else ""
        out[pid] = home
        sid = p.stations.ids[siting.station_of_point[j]]
        by_station.setdefault(sid, {}).setdefault(home, 0.0)
        by_station[sid][home] += float(t_of.get(pid, 0.0))
    for sid, tonnes in by_station.items():
        out[sid] = max(sorted(tonnes), key=lambda c: tonnes[c])
    return out


def county_kpis(
    settlements: pd.DataFrame,
    assignments: pd.DataFrame,
    sites: pd.DataFrame,
    stations: list[dict[str, Any]],
    within: np.ndarray,
    haul_cost_cny_per_year: float,
    site_county: dict[str, str],
) -> list[dict[str, Any]]:
    """Per county (``county`` of the settlements; ``[]`` where they name fewer than two):
    ``county``, ``population``, ``coverage`` (share of residents within access),
    ``t_per_day`` (its settlements'), ``collection_point``, ``transfer_station`` (open
    sites in it, :func:`site_counties`), ``trucks`` (its stations' collection trucks),
    ``cost_cny_per_year`` (its points' and stations' fixed cost and trucks, and its
    tonnes' share of the centres' fixed cost and the haul) and ``centre_share`` (that
    share). The counties' costs add up to the network's."""
    if "county" not in settlements:
        return []
    county = settlements["county"].astype(str).str.strip().to_numpy()
    names = sorted({c for c in county if c and c != "nan"})
    if len(names) < 2:
        return []
    pop = settlements["population"].to_numpy(float)
    t_day = assignments["demand_t_per_day"].to_numpy(float)
    fixed = sites.set_index("site_id")["fixed_cost_cny_per_year"].astype(float)
    tier = sites.set_index("site_id")["tier"]
    fleet = {s["station_id"]: float(s["collection_cost_cny_per_year"]) for s in stations}
    trucks = {s["station_id"]: int(s["trucks"]) for s in stations}
    centres = sites[sites["tier"] == "sorting_centre"]
    shared = float(centres["fixed_cost_cny_per_year"].sum()) + haul_cost_cny_per_year
    total_t = float(t_day.sum()) or 1.0
    out = []
    for name in names:
        mine = county == name
        own = [s for s, c in site_county.items() if c == name]
        points = [s for s in own if tier.get(s) == "collection_point"]
        own_stations = [s for s in own if tier.get(s) == "transfer_station"]
        share = float(t_day[mine].sum()) / total_t
        cost = sum(float(fixed.get(s, 0.0)) for s in own)
        cost += sum(fleet.get(s, 0.0) for s in own_stations)
        cost += share * shared
        out.append(
            {
                "county": name,
                "population": int(pop[mine].sum()),
                "coverage": float(pop[mine & within].sum() / max(pop[mine].sum(), 1.0)),
                "t_per_day": round(float(t_day[mine].sum()), 3),
                "collection_point": len(points),
                "transfer_station": len(own_stations),
                "trucks": int(sum(trucks.get(s, 0) for s in own_stations)),
                "centre_share": round(share, 4),
                "cost_cny_per_year": round(cost, 0),
            }
        )
    return out
