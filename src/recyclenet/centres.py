"""Specialised sorting centres of a scenario: the stage of
:mod:`recyclenet.siting.specialised` built from the tables and the three-tier result, and
what it changes in the open sites and the hauls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from recyclenet.config import Scenario
from recyclenet.errors import InputError, InputProblem
from recyclenet.inputs import Inputs
from recyclenet.routing import Vehicle, haul_trips
from recyclenet.siting import SitingResult
from recyclenet.siting.solve import solve_specialised
from recyclenet.siting.specialised import SpecialisedProblem, SpecialisedResult


@dataclass(frozen=True)
class CentresStage:
    """The specialised centres opened, with the tables the rest of the run reads.

    Attributes
    ----------
    result
        The stage's solution.
    kg_per_day, m3_per_day
        Per open station (in the order of ``result.problem.station_ids``), what it
        sends to specialised centres.
    """

    result: SpecialisedResult
    kg_per_day: np.ndarray
    m3_per_day: np.ndarray


def _m3_per_t(scenario: Scenario) -> dict[str, float]:
    """Loose volume of a tonne of each category (its density), in the scenario's order."""
    return {name: 1000.0 / c.density_kg_per_m3 for name, c in scenario.demand.categories.items()}


def specialised_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """The sorting-centre candidates with categories (not forbidden)."""
    cats = candidates.get("categories", pd.Series("", index=candidates.index)).fillna("")
    status = candidates.get("status", pd.Series("", index=candidates.index)).fillna("")
    keep = (candidates["tier"] == "sorting_centre") & (cats != "") & (status != "forbidden")
    return candidates[keep.to_numpy()]


def plan_specialised(
    scenario: Scenario,
    inputs: Inputs,
    demand: pd.DataFrame,
    siting: SitingResult,
    travel: Any,
) -> CentresStage | None:
    """Open ``siting.counts.specialised_centre`` specialised centres for the network of
    ``siting`` (``None`` where the scenario asks for none).

    Raises
    ------
    InputError
        More existing specialised centres than the count allows.
    SolverError
        Their capacities cannot take their categories.
    """
    count = scenario.siting.counts.specialised_centre
    cand = specialised_candidates(inputs.candidates)
    if count == 0 or cand.empty:
        return None
    existing = (cand["existing"].astype(bool) | (cand.get("status", "") == "existing")).to_numpy()
    if int(existing.sum()) > count:
        raise InputError(
            [
                InputProblem(
                    inputs.files["candidates"],
                    f"{int(existing.sum())} specialised centres are marked existing but "
                    f"siting.counts.specialised_centre is {count}",
                    f"raise siting.counts.specialised_centre to at least {int(existing.sum())}",
                    column="existing",
                    value="true",
                )
            ]
        )
    problem = siting.problem
    categories = tuple(scenario.demand.categories)
    ks = siting.open_idx("transfer_station")
    station_of_settlement = siting.station_of_point[siting.point_of_settlement]
    t_per_day = np.zeros((len(ks), len(categories)))
    m3_per_t = np.array(list(_m3_per_t(scenario).values()))
    row_of = {int(k): r for r, k in enumerate(ks)}
    for g, name in enumerate(categories):
        kg = demand[f"kg_per_day_{name}"].to_numpy(float)
        for i, k in enumerate(station_of_settlement):
            t_per_day[row_of[int(k)], g] += kg[i] / 1000.0
    sts = inputs.candidates.set_index("site_id").loc[[problem.stations.ids[k] for k in ks]]
    haul_km = travel.matrix(
        sts["lon"],
        sts["lat"],
        cand["lon"],
        cand["lat"],
        profile=scenario.routing.haul_vehicle,
        labels_a=list(sts["name"]),
        labels_b=list(cand["name"]),
    ).distance_km
    centre_of = siting.centre_of_station[ks]
    takes = np.array(
        [[name in str(c).split(";") for name in categories] for c in cand["categories"]],
        dtype=bool,
    ).reshape(len(cand), len(categories))
    stage = SpecialisedProblem(
        station_ids=tuple(problem.stations.ids[k] for k in ks),
        categories=categories,
        t_per_day=t_per_day,
        centre_ids=tuple(cand["site_id"].astype(str)),
        takes=takes,
        fixed_cost_cny_per_year=cand["fixed_cost_cny_per_year"].to_numpy(float),
        capacity_t_per_day=cand["capacity_t_per_day"].to_numpy(float),
        existing=existing,
        haul_km=np.asarray(haul_km, dtype=float),
        comprehensive_km=problem.haul_km[ks, centre_of],
        haul_cny_per_tkm=float(problem.cost_cny_per_tkm["haul"]),
        count=count,
    )
    result = solve_specialised(stage, time_limit_s=scenario.solver.siting_time_limit_s)
    sent = np.where(result.centre_of >= 0, t_per_day, 0.0)
    return CentresStage(result, sent.sum(axis=1) * 1000.0, (sent * m3_per_t).sum(axis=1))


def with_specialised(
    sites: gpd.GeoDataFrame, stage: CentresStage, inputs: Inputs, scenario: Scenario
) -> gpd.GeoDataFrame:
    """The open sites with the specialised centres added (tier ``sorting_centre``,
    ``centre_type`` ``specialised``, ``categories`` in the scenario's language) and
    what they take off the comprehensive centres' flows."""
    from recyclenet.outputs.i18n import t

    lang = scenario.language
    r = stage.result
    p = r.problem
    out = sites.copy()
    pairs = zip(stage.kg_per_day, stage.m3_per_day, strict=True)
    sent = dict(zip(p.station_ids, pairs, strict=True))
    parent = out.set_index("site_id")["parent_site_id"]
    for sid, (kg, m3) in sent.items():
        at = out["site_id"] == parent.get(sid, "")
        out.loc[at, "kg_per_day"] -= kg
        out.loc[at, "m3_per_day"] -= m3
        out.loc[at, "throughput_t_per_day"] -= kg / 1000.0
    cand = inputs.candidates.set_index("site_id")
    flows = r.flows()
    m3_per_t = _m3_per_t(scenario)
    rows = []
    for c in r.open_idx.tolist():
        cid = p.centre_ids[c]
        mine = flows[flows["centre_id"] == cid]
        tonnes = float(mine["t_per_day"].sum())
        names = [t(f"cat.{g}", lang) for g, ok in zip(p.categories, p.takes[c], strict=True) if ok]
        rows.append(
            {
                "tier": "sorting_centre",
                "site_idx": -1,
                "site_id": cid,
                "parent_site_id": "",
                "throughput_t_per_day": tonnes,
                "capacity_t_per_day": float(p.capacity_t_per_day[c]),
                "fixed_cost_cny_per_year": float(p.fixed_cost_cny_per_year[c]),
                "existing": bool(p.existing[c]),
                "settlements_served": 0,
                "name": str(cand.at[cid, "name"]),
                "lon": float(cand.at[cid, "lon"]),
                "lat": float(cand.at[cid, "lat"]),
                "operator": str(cand.at[cid, "operator"]) if "operator" in cand else "",
                "kg_per_day": tonnes * 1000.0,
                "m3_per_day": float(
                    sum(
                        m3_per_t[g] * tt
                        for g, tt in zip(mine["category"], mine["t_per_day"], strict=True)
                    )
                ),
                "centre_type": "specialised",
                "categories": ("、" if lang == "zh" else ", ").join(names),
            }
        )
    added = gpd.GeoDataFrame(
        pd.DataFrame(rows),
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs="EPSG:4326",
    )
    return gpd.GeoDataFrame(pd.concat([out, added], ignore_index=True), crs="EPSG:4326")


def specialised_hauls(stage: CentresStage, scenario: Scenario, vehicle: Vehicle) -> pd.DataFrame:
    """Station -> specialised centre hauls, in the columns of
    :func:`~recyclenet.routing.haul_trips` (one row per station and centre)."""
    flows = stage.result.flows()
    if flows.empty:
        return flows
    m3_per_t = _m3_per_t(scenario)
    flows = flows.assign(
        kg=flows["t_per_day"] * 1000.0,
        m3=[m3_per_t[g] * tt for g, tt in zip(flows["category"], flows["t_per_day"], strict=True)],
    )
    pairs = flows.groupby(["station_id", "centre_id"], sort=False, as_index=False).agg(
        kg=("kg", "sum"), m3=("m3", "sum"), km=("km", "first")
    )
    rc = scenario.routing
    return haul_trips(
        list(pairs["station_id"]),
        pairs["kg"].to_numpy(float),
        pairs["m3"].to_numpy(float),
        pairs["km"].to_numpy(float),
        list(pairs["centre_id"]),
        vehicle=vehicle,
        max_fill=rc.max_fill,
        working_days=len(rc.working_days),
        handling_min=rc.unload_min,
    )
