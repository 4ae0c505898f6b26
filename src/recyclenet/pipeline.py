"""``run_scenario(scenario) -> ScenarioResult``: inputs, demand, siting, routing, KPIs.

No file is written here; :mod:`recyclenet.outputs.writer` writes results.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from recyclenet.centres import (
    CentresStage,
    plan_specialised,
    specialised_hauls,
    with_specialised,
)
from recyclenet.config import TIERS, RoutingConfig, Scenario
from recyclenet.demand import settlement_demand
from recyclenet.errors import InfeasibleError, InputError, InputProblem, SolverError
from recyclenet.inputs import (
    Inputs,
    KeptTimetable,
    load_inputs,
    read_kept_timetable,
)
from recyclenet.kpi import RunKpis, compute_kpis, network_kpis, station_kpis, station_table
from recyclenet.kpi_breakdown import category_kpis, county_kpis, site_counties
from recyclenet.routing import (
    DayProblem,
    RoutingParams,
    Vehicle,
    WeekPlan,
    WeekProblem,
    haul_trips,
    solve_week,
)
from recyclenet.routing.budget import VISIT_DAY_WORK, WORK_PER_DAY
from recyclenet.routing.rights import RoadRights, road_rights
from recyclenet.routing.week import day_time_limit_s, published_week
from recyclenet.siting import SitingParams, SitingProblem, SitingResult, solve
from recyclenet.siting_inputs import siting_problem
from recyclenet.tables import POINT_PLAN_COLUMNS
from recyclenet.travel import travel_model

Progress = Callable[[str, float, float], None]
"""``progress(step, done, total)``: called as steps advance."""


@dataclass(frozen=True)
class ScenarioResult:
    """Everything a run produced.

    Attributes
    ----------
    scenario
        The resolved scenario.
    inputs
        Validated tables.
    demand
        Per-settlement demand (see :func:`recyclenet.demand.settlement_demand`).
    siting
        The three-tier network.
    sites
        Open sites of all tiers with names, coordinates and throughput (GeoDataFrame).
    week
        The weekly schedule, daily routes and hauls.
    kpis
        Indicators, section by section (:class:`recyclenet.kpi.RunKpis`; ``to_dict()``
        is ``kpis.json``).
    timings_s
        Wall time of each step.
    """

    scenario: Scenario
    inputs: Inputs
    demand: pd.DataFrame
    siting: SitingResult
    sites: gpd.GeoDataFrame
    week: WeekPlan
    kpis: RunKpis
    timings_s: dict[str, float] = field(default_factory=dict)

    def site_names(self) -> dict[str, str]:
        """Name of every open site, by id."""
        return dict(zip(self.sites["site_id"], self.sites["name"], strict=True))

    def point_townships(self) -> dict[str, str]:
        """Per candidate collection point id, the township of the settlement it stands
        in (empty where that settlement is not in the table)."""
        town = self.inputs.settlements.set_index("settlement_id")["township"]
        cand = self.inputs.candidates
        return {
            str(site): str(town.get(settlement, ""))
            for site, settlement in zip(cand["site_id"], cand["settlement_id"], strict=True)
        }


def open_sites(inputs: Inputs, siting: SitingResult, demand: pd.DataFrame) -> gpd.GeoDataFrame:
    """Open sites of every tier with their table attributes and flows.

    Columns: those of :meth:`SitingResult.facilities` plus ``name``, ``lon``, ``lat``,
    ``operator``, ``kg_per_day``, ``m3_per_day``, ``centre_type`` (``comprehensive`` for a
    sorting centre), ``categories`` and ``geometry``.
    """
    fac = siting.facilities()
    cand = inputs.candidates.set_index("site_id")
    fac["name"] = fac["site_id"].map(cand["name"])
    fac["lon"] = fac["site_id"].map(cand["lon"]).astype(float)
    fac["lat"] = fac["site_id"].map(cand["lat"]).astype(float)
    fac["operator"] = fac["site_id"].map(cand["operator"]).fillna("").astype(str)
    # Volume follows the settlements' material mix, point by point.
    m3 = np.bincount(
        siting.point_of_settlement,
        weights=demand["demand_m3_per_day"].to_numpy(float),
        minlength=len(siting.problem.points),
    )
    kg_point = np.bincount(
        siting.point_of_settlement,
        weights=demand["demand_kg_per_day"].to_numpy(float),
        minlength=len(siting.problem.points),
    )
    station_m3 = np.zeros(len(siting.problem.stations))
    for j in siting.open_idx("collection_point"):
        station_m3[siting.station_of_point[j]] += m3[j]
    centre_m3 = np.zeros(len(siting.problem.centres))
    for k in siting.open_idx("transfer_station"):
        centre_m3[siting.centre_of_station[k]] += station_m3[k]
    per_tier_m3 = {
        "collection_point": m3,
        "transfer_station": station_m3,
        "sorting_centre": centre_m3,
    }
    fac["kg_per_day"] = fac["throughput_t_per_day"] * 1000.0
    fac.loc[fac["tier"] == "collection_point", "kg_per_day"] = kg_point[
        fac.loc[fac["tier"] == "collection_point", "site_idx"].to_numpy(int)
    ]
    fac["m3_per_day"] = [
        float(per_tier_m3[t][i]) for t, i in zip(fac["tier"], fac["site_idx"], strict=True)
    ]
    fac["centre_type"] = np.where(fac["tier"] == "sorting_centre", "comprehensive", "")
    fac["categories"] = ""  # what a specialised centre takes (centres.with_specialised)
    return gpd.GeoDataFrame(
        fac, geometry=gpd.points_from_xy(fac["lon"], fac["lat"]), crs="EPSG:4326"
    )


def _check_every_point_servable(
    points: pd.DataFrame, fleet: tuple[tuple[Vehicle, int], ...], rights: dict[str, RoadRights]
) -> None:
    """Raise before routing when the road rules close a point to every type of the fleet."""
    closed_to_all = [
        pid
        for pid in points["point_id"].astype(str)
        if all(pid in rights.get(v.vehicle_type, RoadRights()).closed_points for v, _ in fleet)
    ]
    if closed_to_all:
        types = ", ".join(v.vehicle_type for v, _ in fleet)
        raise InputError(
            [
                InputProblem(
                    "scenario",
                    f"collection point {pid} is closed to every vehicle type of the "
                    f"station fleet ({types}) by routing.road_rules (no_access_points or "
                    "forbidden_zones)",
                    "add a type that may serve it to routing.collection_fleet, or lift the "
                    "rule for one type",
                    column="routing.road_rules",
                    value=pid,
                )
                for pid in closed_to_all
            ]
        )


MAX_LOADS_PER_DAY = 12
"""The most truckloads a day one settlement may generate (of the largest collection
vehicle): beyond that the inputs are wrong (a population or a rate off by orders of
magnitude) or the settlement needs points of its own, not a truck stop."""


def check_loads(inputs: Inputs, demand: pd.DataFrame, scenario: Scenario) -> None:
    """Raise before any model is built where a settlement's daily material would fill
    more than :data:`MAX_LOADS_PER_DAY` loads of the largest collection vehicle."""
    rc = scenario.routing
    types = list(rc.fleet_counts())
    fleet = inputs.fleet.loc[[t for t in types if t in inputs.fleet.index]]
    if fleet.empty:
        return
    kg = float(fleet["payload_kg"].max()) * rc.max_fill
    m3 = float(fleet["volume_m3"].max()) * rc.max_fill
    loads = np.maximum(
        demand["demand_kg_per_day"].to_numpy(float) / kg,
        demand["demand_m3_per_day"].to_numpy(float) / m3,
    )
    st = inputs.settlements
    kg_day = demand["demand_kg_per_day"].to_numpy(float)
    m3_day = demand["demand_m3_per_day"].to_numpy(float)
    problems = [
        InputProblem(
            inputs.files["settlements"],
            f"settlement {st['name'].iloc[i]} would generate {kg_day[i]:,.0f} kg "
            f"({m3_day[i]:,.1f} m3) a day, {loads[i]:.0f} loads of the largest collection "
            f"vehicle, more than {MAX_LOADS_PER_DAY}",
            "check its population and the scenario's demand rates and densities",
            row=int(i) + 1,
            column="population",
            value=str(st["population"].iloc[i]),
        )
        for i in np.flatnonzero(loads > MAX_LOADS_PER_DAY)
    ]
    if problems:
        raise InputError(problems)


def _solve_siting(scenario: Scenario, inputs: Inputs, problem: SitingProblem) -> SitingResult:
    """The three tiers sited, or the reason why not (what to relax, or more time)."""
    siting = solve(
        problem,
        SitingParams(
            time_limit_s=scenario.solver.siting_time_limit_s,
            relative_gap=scenario.siting.relative_gap,
            backend=scenario.siting.solver,
            method=scenario.siting.method,
            seed=scenario.solver.seed,
        ),
    )
    if siting.status == "infeasible":
        counts = scenario.siting.counts
        why = siting.explanation or (
            f"no network opens exactly {counts.collection_point} collection points, "
            f"{counts.transfer_station} transfer stations and {counts.sorting_centre} sorting "
            f"centre(s) with every settlement within {scenario.siting.max_access_km:g} km of "
            f"its point and every capacity and single-sourcing rule respected; check the "
            f"capacities in {inputs.files['candidates']} against the demand "
            f"({problem.demand_t_per_day.sum():.1f} t/day)"
        )
        raise InfeasibleError(f"the siting scenario is infeasible: {why}")
    if not siting.is_feasible():
        raise SolverError(
            f"no siting solution was found within {scenario.solver.siting_time_limit_s:g} s; "
            f"raise solver.siting_time_limit_s (or --time-limit-s)."
        )
    return siting


def _routing_inputs(
    inputs: Inputs, sites: gpd.GeoDataFrame, rc: RoutingConfig
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[tuple[Vehicle, int], ...], dict[str, RoadRights]]:
    """What the week's routing reads of the open sites: the points (with their storage,
    visits and hours from the table), the stations (and where their trucks are kept), the
    station fleet and the road rights of its types."""
    pts = sites[sites["tier"] == "collection_point"]
    sts = sites[sites["tier"] == "transfer_station"]
    points = pd.DataFrame(
        {
            "point_id": pts["site_id"].to_numpy(),
            "station_id": pts["parent_site_id"].to_numpy(),
            "lon": pts["lon"].to_numpy(),
            "lat": pts["lat"].to_numpy(),
            "kg_per_day": pts["kg_per_day"].to_numpy(),
            "m3_per_day": pts["m3_per_day"].to_numpy(),
        }
    )
    by_site = inputs.candidates.set_index("site_id")
    for col in POINT_PLAN_COLUMNS:  # storage, visits a week, hours, where the table has them
        points[col] = points["point_id"].map(by_site[col]).astype(float).to_numpy()
    stations = pd.DataFrame(
        {
            "station_id": sts["site_id"].to_numpy(),
            "lon": sts["lon"].to_numpy(),
            "lat": sts["lat"].to_numpy(),
        }
    )
    if rc.truck_base == "sorting_centre":  # trucks kept at the centre each station sends to
        at = sites.set_index("site_id")
        keeper = sts["parent_site_id"].to_numpy()
        stations = stations.assign(
            keeper_id=keeper,
            keeper_lon=at.loc[keeper, "lon"].to_numpy(float),
            keeper_lat=at.loc[keeper, "lat"].to_numpy(float),
        )
    fleet = tuple(
        (Vehicle.from_fleet(inputs.fleet, vt), count) for vt, count in rc.fleet_counts().items()
    )
    cand = inputs.candidates
    rights = road_rights(
        rc.road_rules,
        points,
        known_points=set(cand.loc[cand["tier"] == "collection_point", "site_id"].astype(str)),
    )
    _check_every_point_servable(points, fleet, rights)
    return points, stations, fleet, rights


def routing_params(scenario: Scenario) -> RoutingParams:
    """The routing search settings of a scenario: work by effort, the wall-clock cap,
    the processes, the engine and the seed."""
    return RoutingParams(
        time_limit_s=max(1.0, scenario.solver.routing_time_limit_s),  # a safety cap
        workers=scenario.solver.workers,
        engine=scenario.solver.routing_engine,
        seed=scenario.solver.seed,
        work_per_day=WORK_PER_DAY[scenario.solver.effort],
        visit_day_work=VISIT_DAY_WORK[scenario.solver.effort],
        # thorough also plans the standard week and keeps the better one per station
        floor_work_per_day=(
            WORK_PER_DAY["standard"] if scenario.solver.effort == "thorough" else None
        ),
    )


def _hauls(
    scenario: Scenario,
    problem: SitingProblem,
    siting: SitingResult,
    sts: pd.DataFrame,
    specialised: CentresStage | None,
    haul_vehicle: Vehicle,
) -> pd.DataFrame:
    """The week's station -> centre hauls: to the comprehensive centre, and what goes to
    specialised centres to them."""
    rc = scenario.routing
    centre_of = siting.centre_of_station
    ks = sts["site_idx"].to_numpy(int)
    sent_kg, sent_m3 = np.zeros(len(sts)), np.zeros(len(sts))
    if specialised is not None:  # what goes to specialised centres is not hauled here
        row = {sid: r for r, sid in enumerate(specialised.result.problem.station_ids)}
        at = [row[sid] for sid in sts["site_id"]]
        sent_kg, sent_m3 = specialised.kg_per_day[at], specialised.m3_per_day[at]
    haul = haul_trips(
        list(sts["site_id"]),
        sts["kg_per_day"].to_numpy(float) - sent_kg,
        sts["m3_per_day"].to_numpy(float) - sent_m3,
        problem.haul_km[ks, centre_of[ks]],
        [problem.centres.ids[centre_of[k]] for k in ks],
        vehicle=haul_vehicle,
        max_fill=rc.max_fill,
        working_days=len(rc.working_days),
        handling_min=rc.unload_min,
    )
    if specialised is not None:
        haul = pd.concat(
            [haul, specialised_hauls(specialised, scenario, haul_vehicle)], ignore_index=True
        )
    return haul


@dataclass(frozen=True)
class _RoutingRun:
    """What the week's routing was given, for its indicators."""

    params: RoutingParams
    day_problems: list[DayProblem]
    as_published: list[Any]
    points: pd.DataFrame
    kept_signs: bool


def _kpis(
    scenario: Scenario,
    inputs: Inputs,
    siting: SitingResult,
    sites: gpd.GeoDataFrame,
    week: WeekPlan,
    *,
    vehicles: dict[str, Vehicle],
    specialised: CentresStage | None,
    travel: Any,
    routing: _RoutingRun,
    routing_s: float,
) -> RunKpis:
    """Every indicator of the run (:func:`~recyclenet.kpi.compute_kpis` and the
    breakdowns by station, category and county, the search's settings, the network)."""
    kpis = compute_kpis(
        scenario=scenario,
        settlements=inputs.settlements,
        siting=siting,
        week=week,
        vehicles=vehicles,
        specialised=None if specialised is None else specialised.result,
    )
    rc = scenario.routing
    slots = rc.slot_tolerance_min is not None and not routing.kept_signs
    drivable = [d is not None for d in routing.as_published]
    search = {
        "runtime_s": round(routing_s, 2),  # wall clock
        "day_time_limit_s": round(
            day_time_limit_s(routing.day_problems, routing.params, slots=slots, drivable=drivable),
            2,
        ),
        "effort": scenario.solver.effort,
        "work_per_day": routing.params.work_per_day,
        # Station-days whose search the wall-clock cap cut short: not reproducible.
        "capped_days": [f"{d.problem.base_id} {d.problem.day}" for d in week.days if d.capped]
        + sorted(
            {
                f"{routing.points.set_index('point_id').at[pid, 'station_id']} visit days"
                for pid, v in week.visits.items()
                if v.days_from == "search_capped"
            }
        ),
        "visit_days_searched": sum(v.days_from != "balanced" for v in week.visits.values()),
    }
    stations = station_kpis(station_table(week, sites))
    within = siting.access_distance_km() <= scenario.siting.max_access_km + 1e-9
    centres = sites[sites["tier"] == "sorting_centre"]
    fleet_cost = kpis.fleet_cost_cny_per_year
    return dataclasses.replace(
        kpis,
        routing=kpis.routing | search,
        inputs={"default_candidates": inputs.default_candidates},
        stations=stations,
        categories=category_kpis(
            scenario.demand,
            inputs.settlements,
            within,
            float(centres["capacity_t_per_day"].sum()),
        ),
        counties=county_kpis(
            inputs.settlements,
            siting.assignments(),
            sites,
            stations,
            within,
            float(fleet_cost["haul_trucks_cny"] + fleet_cost["haul_km_cny"]),
            site_counties(siting, inputs.candidates, inputs.settlements),
        ),
        network=network_kpis(travel, inputs.settlements, seed=scenario.solver.seed),
    )


def _kept_timetable(rc: RoutingConfig) -> KeptTimetable:
    """The published timetable the scenario keeps (empty where it keeps none)."""
    if rc.keep_timetable is None:
        return KeptTimetable(days={}, signs={}, day_signs={}, rounds={})
    return read_kept_timetable(rc.keep_timetable, rc.working_days)


def _route_week(
    scenario: Scenario,
    inputs: Inputs,
    sites: gpd.GeoDataFrame,
    travel: Any,
    kept: KeptTimetable,
    tick: Callable[[str, float, float], None],
) -> tuple[WeekPlan, _RoutingRun]:
    """The week's visits and routes (no hauls yet): the points scheduled, the days a
    kept timetable still drives as published, and the days searched."""
    rc = scenario.routing
    vehicle = Vehicle.from_fleet(inputs.fleet, rc.collection_vehicle)
    points, stations, fleet, rights = _routing_inputs(inputs, sites, rc)
    params = routing_params(scenario)
    week_problem = WeekProblem(
        points,
        stations,
        vehicle,
        working_days=rc.working_days,
        trucks_per_station=rc.max_trucks_per_station,
        shift_start_min=rc.shift_start_min,
        shift_end_min=rc.shift_end_min,
        dwell_min=rc.dwell_min,
        unload_min=rc.unload_min,
        max_fill=rc.max_fill,
        detour_factor=scenario.network.detour_factor,
        lunch=rc.lunch.as_minutes() if rc.lunch is not None else None,
        travel=travel,
        fleet=fleet,
        rights=rights,
    )
    visits, day_problems = week_problem.schedule(params, kept_days=kept.days)
    as_published = published_week(
        day_problems,
        kept.rounds,
        slot_tolerance_min=rc.slot_tolerance_min,
        slot_penalty_cny_per_min=rc.slot_penalty_cny_per_min,
        kept_signs=kept.signs,
        kept_day_signs=kept.day_signs,
    )
    tick("routing", 0, len(day_problems))
    days = solve_week(
        day_problems,
        params,
        progress=lambda d, t: tick("routing", d, t),
        slot_tolerance_min=rc.slot_tolerance_min,
        slot_penalty_cny_per_min=rc.slot_penalty_cny_per_min,
        kept_signs=kept.signs,
        as_published=as_published,
        kept_day_signs=kept.day_signs,
    )
    week = WeekPlan(
        visits=visits,
        days=tuple(days),
        working_days=rc.working_days,
        haul=pd.DataFrame(),
        slot_tolerance_min=rc.slot_tolerance_min,
        kept_signs=kept.signs,
    )
    return week, _RoutingRun(params, day_problems, as_published, points, bool(kept.signs))


def run_scenario(
    scenario: Scenario,
    progress: Progress | None = None,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> ScenarioResult:
    """Run a scenario end to end (no files written).

    ``tables``: any of ``settlements``, ``candidates`` and ``fleet`` in memory
    (DataFrames with the input files' columns, or GeoDataFrames of points), used instead
    of the files the scenario names and checked the same way (see
    :func:`recyclenet.inputs.load_inputs`). Outputs written from such a run name the
    scenario's paths in ``scenario.resolved.yaml``: save the tables there to dispatch
    from it later.

    Raises
    ------
    InputError
        Bad tables, before any solving.
    InfeasibleError
        When the siting model has no solution; the message names what to relax.
    SolverError
        When no network was found within the time limit.
    """

    def tick(step: str, done: float = 0, total: float = 1) -> None:
        if progress:
            progress(step, done, total)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tick("inputs")
    inputs = load_inputs(scenario, tables)
    rc = scenario.routing
    kept = _kept_timetable(rc)
    demand = settlement_demand(inputs.settlements, scenario.demand)
    check_loads(inputs, demand, scenario)
    tick("network")
    travel = travel_model(scenario.network)
    problem = siting_problem(inputs, demand, scenario, travel)
    timings["inputs_s"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    tick("siting")
    siting = _solve_siting(scenario, inputs, problem)
    specialised = plan_specialised(scenario, inputs, demand, siting, travel)
    timings["siting_s"] = time.perf_counter() - t1
    tick("siting", 1, 1)
    sites = open_sites(inputs, siting, demand)
    if specialised is not None:
        sites = with_specialised(sites, specialised, inputs, scenario)

    t2 = time.perf_counter()
    week, run = _route_week(scenario, inputs, sites, travel, kept, tick)
    haul_vehicle = Vehicle.from_fleet(inputs.fleet, rc.haul_vehicle)
    sts = sites[sites["tier"] == "transfer_station"]
    week = dataclasses.replace(
        week, haul=_hauls(scenario, problem, siting, sts, specialised, haul_vehicle)
    )
    timings["routing_s"] = time.perf_counter() - t2
    kpis = _kpis(
        scenario,
        inputs,
        siting,
        sites,
        week,
        vehicles={
            "collection": Vehicle.from_fleet(inputs.fleet, rc.collection_vehicle),
            "haul": haul_vehicle,
        },
        specialised=specialised,
        travel=travel,
        routing=run,
        routing_s=timings["routing_s"],
    )
    timings["total_s"] = time.perf_counter() - t0
    kpis = dataclasses.replace(kpis, timings_s={k: round(v, 2) for k, v in timings.items()})
    return ScenarioResult(
        scenario=scenario,
        inputs=inputs,
        demand=demand,
        siting=siting,
        sites=sites,
        week=week,
        kpis=kpis,
        timings_s=timings,
    )


__all__ = ["ScenarioResult", "TIERS", "open_sites", "run_scenario"]
