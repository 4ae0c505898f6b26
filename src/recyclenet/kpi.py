"""Indicators computed from results (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.config import TIERS, Scenario
from recyclenet.routing import DayResult, Vehicle, WeekPlan
from recyclenet.siting import SitingResult
from recyclenet.siting.problem import DAYS_PER_YEAR
from recyclenet.siting.specialised import SpecialisedResult

# A visit counts as off its sign only beyond the tolerance by more than this (the
# routing's times are rounded to the solver's integer seconds).
SLOT_SLACK_MIN = 0.05

# Weeks in a year: the routed week's costs are annualised with it, as the siting
# model annualises a day's flows over 365 days.
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0


@dataclass(frozen=True)
class RunKpis:
    """The run's indicators: one attribute per section of ``kpis.json``, in its order.

    :func:`compute_kpis` fills the sections it computes from the results (their keys are
    listed there); the pipeline adds the breakdowns (``inputs``, ``stations``,
    ``categories``, ``counties``, ``network``) and the step timings with
    :func:`dataclasses.replace`. :meth:`to_dict` gives the JSON-ready mapping that the
    report, the workbook and the comparison read.
    """

    scenario: str
    facilities: dict[str, int]
    cost_cny_per_year: dict[str, float]
    fleet_cost_cny_per_year: dict[str, float]
    network_cost_cny_per_year: dict[str, float | None]
    transport_rates_cny_per_tkm: dict[str, dict[str, float | None]]
    population: int
    population_share_within_access: float
    left_out: list[dict[str, Any]]
    access_km: dict[str, float]
    t_per_day: dict[str, Any]
    trucks: dict[str, Any]
    vehicle_km_per_week: dict[str, float]
    truck_hours_per_week: dict[str, float]
    specialised_centres: dict[str, Any] | None
    siting: dict[str, Any]
    routing: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)
    stations: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    counties: list[dict[str, Any]] = field(default_factory=list)
    network: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The indicators as ``kpis.json`` holds them (sections in order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def collection_cost_cny_per_year(
    days: Iterable[DayResult], working_days_per_week: int
) -> dict[str, float]:
    """What the collection trucks cost a year, as routed.

    Each station keeps the trucks it needs (the most of each vehicle type it uses on one
    day) and pays their ``fixed_cost_cny_per_day`` on every working day, used or not; the
    routes' kilometres cost each truck's ``cost_cny_per_km``. A week is
    :data:`WEEKS_PER_YEAR` of a year.

    Parameters
    ----------
    days
        Routed days (of one station or of several).
    working_days_per_week
        Days a week the trucks work.

    Returns
    -------
    dict
        ``trucks_cny`` (the fixed cost of the trucks kept) and ``km_cny`` (running cost).
    """
    peak: dict[tuple[str, str], int] = {}  # (station, vehicle type) -> most on a day
    rate: dict[tuple[str, str], float] = {}
    km_cny_per_week = 0.0
    for day in days:
        groups = day.problem.groups()
        used: dict[tuple[str, str], int] = {}
        for r, route in enumerate(day.routes):
            vehicle = groups[day.group_of(r)].vehicle
            key = (day.problem.base_id, vehicle.vehicle_type)
            used[key] = used.get(key, 0) + 1
            rate[key] = vehicle.fixed_cost_cny_per_day
            km_cny_per_week += vehicle.cost_cny_per_km * sum(e.distance_km for e in route)
        for key, k in used.items():
            peak[key] = max(peak.get(key, 0), k)
    fixed_per_day = sum(k * rate[key] for key, k in peak.items())
    return {
        "trucks_cny": fixed_per_day * working_days_per_week * WEEKS_PER_YEAR,
        "km_cny": km_cny_per_week * WEEKS_PER_YEAR,
    }


def fleet_cost_cny_per_year(
    week: WeekPlan, haul_vehicle: Vehicle, haul_trucks: int
) -> dict[str, float]:
    """What running the week's trucks costs a year: collection trucks as routed
    (:func:`collection_cost_cny_per_year`) and haul trucks, each kept every working day,
    over their round trips' kilometres.

    Returns
    -------
    dict
        ``collection_trucks_cny``, ``collection_km_cny``, ``haul_trucks_cny``,
        ``haul_km_cny``, ``total_cny`` and ``working_days_per_year``.
    """
    days_per_week = len(week.working_days)
    collection = collection_cost_cny_per_year(week.days, days_per_week)
    parts = {
        "collection_trucks_cny": collection["trucks_cny"],
        "collection_km_cny": collection["km_cny"],
        "haul_trucks_cny": haul_trucks
        * haul_vehicle.fixed_cost_cny_per_day
        * days_per_week
        * WEEKS_PER_YEAR,
        "haul_km_cny": week.haul_km_per_week() * haul_vehicle.cost_cny_per_km * WEEKS_PER_YEAR,
    }
    return {
        **parts,
        "total_cny": sum(parts.values()),
        "working_days_per_year": days_per_week * WEEKS_PER_YEAR,
    }


# A rate per tonne-km the siting model uses is reported as off where it lies below this
# share of what the trucks' kilometres alone cost per tonne-km as routed, or above this
# multiple of what the trucks cost in all (:func:`rate_mismatches`).
RATE_BELOW_KM_SHARE = 0.8
RATE_ABOVE_ALL_FACTOR = 1.25


def routed_cny_per_tkm(
    fleet: Mapping[str, float], tonne_km_per_day: Mapping[str, float]
) -> dict[str, dict[str, float] | None]:
    """What the trucks as routed cost per tonne-km of the flow the siting model prices.

    For ``collection`` the collection fleet's yearly cost (:func:`fleet_cost_cny_per_year`)
    over the network's point -> station tonne-km a year; for ``haul`` the haul fleet's
    over station -> centre. Each flow gives ``all`` (day rates and kilometres) and ``km``
    (kilometres alone), or ``None`` where there is no such flow. A change of the network
    that moves tonne-km changes the fleet's cost by about ``km`` per tonne-km where the
    trucks stay as they are, and up to ``all`` where their number follows the work: the
    siting's ``transport_cost_cny_per_tkm`` weighs sites against trucks well only between
    the two.
    """
    out: dict[str, dict[str, float] | None] = {}
    for flow in ("collection", "haul"):
        tkm_per_year = DAYS_PER_YEAR * tonne_km_per_day[flow]
        km = fleet[f"{flow}_km_cny"]
        out[flow] = (
            {"all": (fleet[f"{flow}_trucks_cny"] + km) / tkm_per_year, "km": km / tkm_per_year}
            if tkm_per_year > 0
            else None
        )
    return out


def rate_mismatches(kpis: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """``(flow, rate set, routed km rate, routed rate in all)`` for each flow whose rate
    per tonne-km in the scenario lies below :data:`RATE_BELOW_KM_SHARE` of what the routed
    trucks' kilometres cost per tonne-km, or above :data:`RATE_ABOVE_ALL_FACTOR` times
    what they cost in all (kpis ``transport_rates_cny_per_tkm``); empty for a run without
    them."""
    out = []
    for flow, rates in (kpis.get("transport_rates_cny_per_tkm") or {}).items():
        set_, km, all_ = rates.get("set"), rates.get("routed_km"), rates.get("routed")
        if set_ is None or not km or not all_:
            continue
        if set_ < RATE_BELOW_KM_SHARE * km or set_ > RATE_ABOVE_ALL_FACTOR * all_:
            out.append((flow, float(set_), float(km), float(all_)))
    return out


def compute_kpis(
    *,
    scenario: Scenario,
    settlements: pd.DataFrame,
    siting: SitingResult,
    week: WeekPlan,
    vehicles: dict[str, Vehicle],
    specialised: SpecialisedResult | None = None,
) -> RunKpis:
    """The run's indicators (see :class:`RunKpis`), as plain JSON-ready values.

    Keys: ``facilities`` (open sites per tier), ``cost_cny_per_year`` (the siting
    model's: fixed, transport per tier estimated per tonne-km, total),
    ``fleet_cost_cny_per_year`` (the trucks as routed: :func:`fleet_cost_cny_per_year`),
    ``network_cost_cny_per_year`` (the sites' fixed cost plus the fleet's, in all and
    per tonne collected), ``transport_rates_cny_per_tkm`` (per flow, ``collection`` and
    ``haul``: the rate the siting used, ``set``, and what the routed trucks cost per
    tonne-km, in all, ``routed``, and for their kilometres, ``routed_km``:
    :func:`routed_cny_per_tkm`), ``population``,
    ``population_share_within_access``,
    ``access_km`` (mean, population-weighted mean, max), ``t_per_day`` per tier (total,
    and per site for stations and centres), ``trucks`` (collection trucks per station and
    haul trucks), ``vehicle_km_per_week``, ``truck_hours_per_week``, ``siting`` (status,
    objective, bound, gap, run time), ``routing`` (stops, dropped stops, points on the
    timetable, the largest deviation of a visit from its point's sign and the visits
    more than the tolerance off it, ``visits_basis``: how many points' visits a week the
    truck, their storage or the planner set, ``storage_overflow``:
    :func:`storage_overflow`, and their number), ``specialised_centres`` (with
    ``specialised``: the centres opened, the categories each takes and its tonnes, their
    fixed cost, the stage's objective and bound; their fixed cost is in the network
    cost, their hauls in the fleet's).
    """
    access = siting.access_distance_km()
    within = access <= scenario.siting.max_access_km + 1e-9
    flows = siting.throughput_t_per_day()
    cost = siting.cost_split_cny()
    trucks = week.trucks_per_station()
    haul = week.haul
    haul_trucks = (
        int(
            np.ceil(
                haul["hours_per_week"].sum()
                / (
                    len(week.working_days)
                    * (scenario.routing.shift_end_min - scenario.routing.shift_start_min)
                    / 60
                )
            )
        )
        if len(haul)
        else 0
    )
    timetable = week.timetable()
    overflow = storage_overflow(week)
    open_points = {siting.problem.points.ids[j] for j in siting.open_idx("collection_point")}
    coll_km = week.collection_km_per_week()
    haul_km = week.haul_km_per_week()
    coll_h = week.collection_hours_per_week()
    haul_h = float(haul["hours_per_week"].sum()) if len(haul) else 0.0
    fleet = fleet_cost_cny_per_year(week, vehicles["haul"], haul_trucks)
    t_per_year = float(siting.problem.demand_t_per_day.sum()) * DAYS_PER_YEAR
    special_fixed = specialised.fixed_cost_cny_per_year() if specialised is not None else 0.0
    sites_fixed = cost["fixed_cny"] + special_fixed
    network_cny = sites_fixed + fleet["total_cny"]
    routed_rates = routed_cny_per_tkm(fleet, siting.tonne_km_per_day())
    return RunKpis(
        scenario=scenario.name,
        facilities={t: int(len(siting.open_idx(t))) for t in TIERS}
        | ({} if specialised is None else {"specialised_centre": len(specialised.open_idx)}),
        cost_cny_per_year={k: round(v, 2) for k, v in cost.items()},
        fleet_cost_cny_per_year={k: round(v, 2) for k, v in fleet.items()},
        network_cost_cny_per_year={
            "facilities_fixed_cny": round(sites_fixed, 2),
            "fleet_cny": round(fleet["total_cny"], 2),
            "total_cny": round(network_cny, 2),
            "cny_per_t": round(network_cny / t_per_year, 2) if t_per_year > 0 else None,
        },
        transport_rates_cny_per_tkm={
            flow: {
                "set": float(siting.problem.cost_cny_per_tkm[flow]),
                "routed": None if rate is None else round(rate["all"], 3),
                "routed_km": None if rate is None else round(rate["km"], 3),
            }
            for flow, rate in routed_rates.items()
        },
        **_access_kpis(settlements, access, within, scenario.siting.max_access_km),
        t_per_day=_tonnes_kpis(siting, flows),
        trucks={
            "collection_vehicle": vehicles["collection"].vehicle_type,
            "collection_total": int(sum(trucks.values())),
            "collection_per_station": trucks,
            "collection_by_type": _sum_by_type(week.trucks_by_type()),
            "haul_vehicle": vehicles["haul"].vehicle_type,
            "haul_total": haul_trucks,
        },
        vehicle_km_per_week={
            "collection": round(coll_km, 1),
            "haul": round(haul_km, 1),
            "total": round(coll_km + haul_km, 1),
        },
        truck_hours_per_week={
            "collection": round(coll_h, 1),
            "haul": round(haul_h, 1),
            "total": round(coll_h + haul_h, 1),
        },
        specialised_centres=_specialised_kpis(specialised),
        siting={
            "status": siting.status,
            "solver": siting.solver,
            "solver_work": dict(siting.solver_work),
            "objective_cny": siting.objective_cny,
            "bound_cny": siting.bound_cny,
            "gap": siting.gap,
            "runtime_s": round(siting.runtime_s, 2),
        },
        routing=_routing_kpis(scenario, week, timetable, open_points, overflow),
    )


def _access_kpis(
    settlements: pd.DataFrame,
    access: NDArray[np.float64],
    within: NDArray[np.bool_],
    limit_km: float,
) -> dict[str, Any]:
    """Population served within the access distance, who is left out, access distances."""
    pop = settlements["population"].to_numpy(float)
    return {
        "population": int(pop.sum()),
        "population_share_within_access": float(pop[within].sum() / pop.sum()),
        "left_out": [
            {
                "settlement": str(settlements["name"].iloc[i]),
                "population": int(pop[i]),
                "access_km": round(float(access[i]), 2),
            }
            for i in np.argsort(-access)
            if not within[i]
        ],
        "access_km": {
            "limit": limit_km,
            "mean": float(access.mean()),
            "population_weighted_mean": float((access * pop).sum() / pop.sum()),
            "max": float(access.max()),
        },
    }


def _tonnes_kpis(siting: SitingResult, flows: dict[str, NDArray[np.float64]]) -> dict[str, Any]:
    """Tonnes a day in all, through the points, each station and each centre."""
    return {
        "total": float(siting.problem.demand_t_per_day.sum()),
        "collection_points": float(flows["collection_point"].sum()),
        "transfer_stations": {
            siting.problem.stations.ids[k]: float(flows["transfer_station"][k])
            for k in siting.open_idx("transfer_station")
        },
        "sorting_centre": {
            siting.problem.centres.ids[m]: float(flows["sorting_centre"][m])
            for m in siting.open_idx("sorting_centre")
        },
    }


def _routing_kpis(
    scenario: Scenario,
    week: WeekPlan,
    timetable: pd.DataFrame,
    open_points: set[str],
    overflow: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``routing`` indicators of :func:`compute_kpis`."""
    on_timetable = set(timetable["point_id"]) if len(timetable) else set()
    return {
        "status": "feasible" if all(d.status != "no_solution" for d in week.days) else "incomplete",
        "base_days": len(week.days),
        "stops_per_week": int(len(timetable)),
        "dropped_stops": [list(x) for x in week.dropped()],
        "points_open": len(open_points),
        "points_on_timetable": len(open_points & on_timetable),
        "slot_tolerance_min": scenario.routing.slot_tolerance_min,
        "max_slot_deviation_min": (
            round(float(timetable["slot_deviation_min"].abs().max()), 1) if len(timetable) else 0.0
        ),
        "visits_beyond_tolerance": (
            int(
                (
                    timetable["slot_deviation_min"].abs()
                    > scenario.routing.slot_tolerance_min + SLOT_SLACK_MIN
                ).sum()
            )
            if len(timetable)
            else 0
        ),
        # Each visit beyond the tolerance of its sign: point, day, arrival, sign time.
        "visits_off_sign": (
            [
                {
                    "point_id": str(r.point_id),
                    "day": str(r.day),
                    "arrival": str(r.arrival),
                    "slot": str(r.slot),
                    "deviation_min": round(float(r.slot_deviation_min), 1),
                }
                for r in timetable[
                    timetable["slot_deviation_min"].abs()
                    > scenario.routing.slot_tolerance_min + SLOT_SLACK_MIN
                ].itertuples()
            ]
            if len(timetable)
            else []
        ),
        "solver_time_s": round(sum(d.runtime_s for d in week.days), 2),
        "visits_basis": {
            basis: sum(1 for v in week.visits.values() if v.basis == basis) for basis in VISIT_BASES
        },
        "storage_overflow": overflow,
        "storage_overflow_points": len(overflow),
        # Re-planning a kept timetable: the station-days its trucks drive as published.
        "days_as_published": (
            sum(d.status == "published" for d in week.days)
            if scenario.routing.keep_timetable is not None
            else None
        ),
    }


# What can set a point's visits a week (:class:`recyclenet.routing.PointVisits`).
VISIT_BASES = ("truck", "storage", "planner")


def storage_overflow(week: WeekPlan) -> list[dict[str, Any]]:
    """Points whose storage is full before the truck comes again: ``point_id``,
    ``storage_full_days`` and ``longest_gap_days`` (in calendar days)."""
    return [
        {
            "point_id": pid,
            "storage_full_days": round(v.storage_full_days, 2),
            "longest_gap_days": v.longest_gap_days,
        }
        for pid, v in sorted(week.visits.items())
        if v.storage_overflows
    ]


# Columns of :func:`station_table`, in order.
STATION_COLUMNS = (
    "station_id",
    "name",
    "points",
    "t_per_day",
    "capacity_t_per_day",
    "utilisation",
    "trucks",
    "truck_days_per_week",
    "stops_per_week",
    "collection_km_per_week",
    "collection_hours_per_week",
    "collection_cost_cny_per_year",
    "busiest_day",
    "haul_trips_per_week",
    "haul_km_per_week",
)


def station_table(week: WeekPlan, sites: pd.DataFrame) -> pd.DataFrame:
    """One row per open transfer station: how much it takes in and what serving its
    points takes.

    Parameters
    ----------
    week
        The weekly plan.
    sites
        Open sites (``tier``, ``site_id``, ``name``, ``throughput_t_per_day``,
        ``capacity_t_per_day``), as in :attr:`recyclenet.pipeline.ScenarioResult.sites`.

    Returns
    -------
    pandas.DataFrame
        Columns ``station_id``, ``name``, ``points`` (collection points on its
        timetable), ``t_per_day`` (material it takes in), ``capacity_t_per_day``,
        ``utilisation`` (``t_per_day`` over the capacity; NaN without one), ``trucks`` (the
        most its collection trucks out on one day), ``truck_days_per_week``,
        ``stops_per_week``, ``collection_km_per_week``, ``collection_hours_per_week``,
        ``collection_cost_cny_per_year`` (its trucks kept and their kilometres, see
        :func:`collection_cost_cny_per_year`), ``busiest_day`` (the day of the most
        truck-hours; empty for a station with no work), ``haul_trips_per_week`` and
        ``haul_km_per_week`` (to the sorting centre).
    """
    stations = sites[sites["tier"] == "transfer_station"]
    timetable = week.timetable()
    haul = (  # a station may haul to a comprehensive and to specialised centres
        week.haul.groupby("station_id")[["trips_per_week", "km_per_week"]].sum()
        if len(week.haul)
        else pd.DataFrame()
    )
    rows = []
    for _, st in stations.iterrows():
        sid = str(st["site_id"])
        days = [d for d in week.days if d.problem.base_id == sid]
        hours = [d.duration_h() for d in days]
        mine = timetable[timetable["station_id"] == sid] if len(timetable) else timetable
        capacity = float(st["capacity_t_per_day"])
        t_day = float(st["throughput_t_per_day"])
        rows.append(
            {
                "station_id": sid,
                "name": str(st["name"]),
                "points": int(mine["point_id"].nunique()) if len(mine) else 0,
                "t_per_day": t_day,
                "capacity_t_per_day": capacity,
                "utilisation": t_day / capacity if capacity > 0 else float("nan"),
                "trucks": max((d.num_trucks for d in days), default=0),
                "truck_days_per_week": sum(d.num_trucks for d in days),
                "stops_per_week": int(len(mine)),
                "collection_km_per_week": float(sum(d.distance_km() for d in days)),
                "collection_hours_per_week": float(sum(hours)),
                "collection_cost_cny_per_year": sum(
                    collection_cost_cny_per_year(days, len(week.working_days)).values()
                ),
                "busiest_day": days[int(np.argmax(hours))].problem.day if any(hours) else "",
                "haul_trips_per_week": int(haul.loc[sid, "trips_per_week"])
                if sid in haul.index
                else 0,
                "haul_km_per_week": float(haul.loc[sid, "km_per_week"])
                if sid in haul.index
                else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=STATION_COLUMNS)


def station_kpis(table: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`station_table` as JSON-ready records (rounded; no utilisation: ``None``)."""
    out = []
    for rec in table.to_dict("records"):
        for key, value in rec.items():
            if isinstance(value, float):
                rec[key] = (
                    None if np.isnan(value) else round(value, 3 if key == "utilisation" else 2)
                )
        out.append(rec)
    return out


def stations_frame(kpis: Mapping[str, Any]) -> pd.DataFrame | None:
    """The ``stations`` of a run's KPIs (:func:`station_kpis`) as a table of
    :data:`STATION_COLUMNS`; ``None`` for a run written before they were reported."""
    records = kpis.get("stations")
    return None if records is None else pd.DataFrame(records, columns=list(STATION_COLUMNS))


def network_kpis(travel: Any, settlements: pd.DataFrame, *, seed: int, sample: int = 150) -> dict:
    """How distances were measured; with a road graph, the calibrated detour factor.

    The factor is the median of road over straight-line distance between a seeded sample
    of settlements (pairs at least 0.5 km apart), so a planner without OSM data can choose
    a sensible ``detour_factor``.
    """
    from recyclenet.network import haversine_km
    from recyclenet.network.roads import RoadNetwork, calibrated_detour_factor

    out: dict[str, Any] = {"method": travel.method}
    if isinstance(travel, RoadNetwork):
        rng = np.random.default_rng(seed)
        n = len(settlements)
        idx = np.sort(rng.choice(n, size=min(sample, n), replace=False))
        lon = settlements["lon"].to_numpy(float)[idx]
        lat = settlements["lat"].to_numpy(float)[idx]
        road = travel.matrix(lon, lat, profile=None).distance_km
        straight = haversine_km(lon, lat, lon, lat)
        out["calibrated_detour_factor"] = calibrated_detour_factor(road, straight)
        out["graph_nodes"] = travel.graph.num_nodes
        out["graph_edges"] = travel.graph.num_edges
        out["straight_line_fallback_pairs"] = travel.fallback_pairs
    return out


def _sum_by_type(per_station: dict[str, dict[str, int]]) -> dict[str, int]:
    """Trucks per vehicle type over all stations."""
    out: dict[str, int] = {}
    for mine in per_station.values():
        for vt, k in mine.items():
            out[vt] = out.get(vt, 0) + k
    return out


def _specialised_kpis(result: SpecialisedResult | None) -> dict[str, Any] | None:
    """The specialised-centre stage's indicators (``None``: the scenario has none)."""
    if result is None:
        return None
    p = result.problem
    flows = result.flows()
    return {
        "status": result.status,
        "objective_cny": round(result.objective_cny, 2),
        "bound_cny": round(result.bound_cny, 2),
        "fixed_cny": round(result.fixed_cost_cny_per_year(), 2),
        "open": [
            {
                "site_id": p.centre_ids[c],
                "categories": [g for g, ok in zip(p.categories, p.takes[c], strict=True) if ok],
                "t_per_day": round(
                    float(flows.loc[flows["centre_id"] == p.centre_ids[c], "t_per_day"].sum()), 3
                ),
            }
            for c in result.open_idx.tolist()
        ],
    }
