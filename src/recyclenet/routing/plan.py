"""The week's planning: how often and on which days each point is visited, and the
day problems that follow."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.clock import WEEKDAYS, min_to_hhmm
from recyclenet.errors import InfeasibleError
from recyclenet.network import StraightLine
from recyclenet.routing.day import RoutingParams
from recyclenet.routing.problem import DayProblem, TruckGroup, Vehicle
from recyclenet.routing.rights import RoadRights
from recyclenet.routing.schedule import (
    PointVisits,
    assign_days,
    fewest_loads_frequency,
    gaps_before,
    least_loads_patterns,
    loads_after,
    longest_gap_days,
    storage_days,
    storage_frequency,
    storage_patterns,
    truckload_days,
)
from recyclenet.routing.visit_days import search_station_days


def own_matrices(
    travel: Any,
    lon: np.ndarray,
    lat: np.ndarray,
    labels: list[str],
    vehicles: list[Vehicle],
    *,
    main: Vehicle,
    road: bool,
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per vehicle type, its own ``(distance_km, time_min)`` over the given nodes, or
    ``None`` where the problem's matrix serves it (straight lines: distance at the type's
    speed; road graphs: the main type's profile). On a road graph each other type is
    routed on its own profile (its forbidden road classes, its speeds)."""
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for v in vehicles:
        if not road or v.vehicle_type == main.vehicle_type:
            out.append(None)
            continue
        m = travel.matrix(lon, lat, profile=v.vehicle_type, labels_a=labels)
        out.append((m.distance_km, m.duration_min(v.speed_kmh)))
    return out


@dataclass(frozen=True)
class _VisitRule:
    """How often one point is visited and why (see :func:`_visit_rule`)."""

    frequency: int
    loads: int  # truckloads of an average visit (for the workload that balances days)
    basis: str
    storage_full_days: float
    truckload_days: float
    patterns: list[tuple[int, ...]]  # the ones to choose from (fewest loads, storage kept)
    fits: list[tuple[int, ...]] | None  # those that empty the storage in time; None: all

    def keeps(self, published: tuple[int, ...] | None) -> tuple[int, ...] | None:
        """The published days, where the point is visited as often as before and they
        empty its storage in time; else ``None`` (choose again)."""
        if published is None or len(published) != self.frequency:
            return None
        return published if self.fits is None or published in self.fits else None


def _visit_rule(
    row: pd.Series, able: list[Vehicle], *, max_fill: float, weekdays: tuple[int, ...]
) -> _VisitRule:
    """Visits a week of a point: the truck's rule (every visit one truckload, for the
    allowed type a truckload of which lasts longest), raised where its storage is full
    sooner, or as the planner fixed it; and the patterns that keep to both."""
    amounts = (float(row["kg_per_day"]), float(row["m3_per_day"]))
    truck = max(
        truckload_days(*amounts, payload_kg=v.payload_kg, volume_m3=v.volume_m3, max_fill=max_fill)
        for v in able
    )
    full = storage_days(
        *amounts, float(row.get("storage_kg", np.nan)), float(row.get("storage_m3", np.nan))
    )
    freq, basis = fewest_loads_frequency(truck, weekdays), "truck"
    if (needed := storage_frequency(full, weekdays)) > freq:
        freq, basis = needed, "storage"
    fixed = float(row.get("visits_per_week", np.nan))
    if not math.isnan(fixed):
        freq, basis = int(fixed), "planner"
    # The patterns that empty the storage in time (all, for a plain stop; all again
    # where none does) and, among them, those taking the fewest truckloads a week.
    fits = storage_patterns(freq, full, weekdays) if math.isfinite(full) else []
    patterns = least_loads_patterns(freq, truck, weekdays, among=fits or None)
    loads = loads_after(7 / freq, truck)
    return _VisitRule(freq, loads, basis, full, truck, patterns, fits or None)


MAX_LOADS_PER_VISIT = 20
"""The most truckloads one visit of a point may take; beyond it the day models would
grow past what a machine holds (each load is a stop and an unload), and the fleet is
wrong for the point."""


def _visit_rules(
    mine: pd.DataFrame,
    fleet: tuple[tuple[Vehicle, int], ...],
    allowed: list[NDArray[np.bool_]],
    vehicle: Vehicle,
    max_fill: float,
    weekdays: tuple[int, ...],
) -> list[_VisitRule]:
    """Each point's visits a week and loads a visit (the largest truck allowed to serve
    it); a point that would need more than :data:`MAX_LOADS_PER_VISIT` loads a visit is
    infeasible, named with its numbers."""
    rules = [
        _visit_rule(
            row,
            [v for (v, _), ok in zip(fleet, allowed, strict=True) if ok[j]] or [vehicle],
            max_fill=max_fill,
            weekdays=weekdays,
        )
        for j, row in mine.iterrows()
    ]
    loads = np.array([r.loads for r in rules], dtype=np.int64)
    if (loads > MAX_LOADS_PER_VISIT).any():
        named = "; ".join(
            f"{mine['point_id'].iloc[j]} ({float(mine['kg_per_day'].iloc[j]):,.0f} kg a day, "
            f"{rules[j].frequency} visits a week: {int(loads[j])} loads a visit)"
            for j in np.flatnonzero(loads > MAX_LOADS_PER_VISIT)
        )
        raise InfeasibleError(
            f"these collection points would need more than {MAX_LOADS_PER_VISIT} "
            f"truckloads a visit: {named}. Use a larger collection vehicle "
            "(routing.collection_vehicle or routing.collection_fleet), more visits a "
            "week (column visits_per_week), or more collection points."
        )
    return rules


def _station_day_problems(
    st: pd.Series,
    mine: pd.DataFrame,
    visits: dict[str, PointVisits],
    days: list[tuple[int, ...]],
    fleet: tuple[tuple[Vehicle, int], ...],
    allowed: list[NDArray[np.bool_]],
    own: list[tuple[NDArray[np.float64], NDArray[np.float64]] | None],
    rights: dict[str, RoadRights],
    matrices: tuple[NDArray[np.float64], NDArray[np.float64] | None],
    arrive: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    *,
    working_days: tuple[str, ...],
    shift: tuple[float, float],
    dwell_min: float,
    unload_min: float,
    max_fill: float,
    lunch: tuple[float, float, float] | None,
) -> list[DayProblem]:
    """A station's working days as routing problems: each day's stops (a stop per load
    of a point's visit), its fleet with their road rights and matrices, the points'
    hours; ``matrices`` the station's distance and (road) time matrices over the base,
    its points and the site its trucks are kept at."""
    full_km, full_min = matrices
    keeper = str(st.get("keeper_id", "") or "")
    kept = keeper not in ("", "nan", str(st["station_id"]))
    no_rights = RoadRights()
    shift_start_min, shift_end_min = shift
    out: list[DayProblem] = []
    for d, label in enumerate(working_days):
        on = {
            j: visits[pid].stops_on(d) for j, pid in enumerate(mine["point_id"]) if d in days[j]
        }  # point -> (loads, kg and m3 a load) of its visit today
        idx = [j for j, (n, _, _) in on.items() for _ in range(n)]
        nodes = np.r_[0, np.asarray(idx, dtype=int) + 1, [len(mine) + 1] if kept else []]
        nodes = nodes.astype(int)
        ids = tuple(mine["point_id"].iloc[idx])
        groups = []
        for (v, count), ok, mats in zip(fleet, allowed, own, strict=True):
            r = rights.get(v.vehicle_type, no_rights)
            groups.append(
                TruckGroup(
                    v,
                    count,
                    depot=1 if kept else 0,
                    earliest_min=r.earliest_min,
                    latest_min=r.latest_min,
                    bans_min=r.bans_min,
                    can_serve=ok[np.asarray(idx, dtype=int)] if not ok.all() else None,
                    distance_km=None if mats is None else mats[0][np.ix_(nodes, nodes)],
                    time_min=None if mats is None else mats[1][np.ix_(nodes, nodes)],
                )
            )
        out.append(
            DayProblem(
                base_id=str(st["station_id"]),
                day=label,
                stop_ids=ids,
                load_kg=np.array([on[j][1] for j in idx], dtype=float),
                load_m3=np.array([on[j][2] for j in idx], dtype=float),
                dwell_min=np.full(len(ids), float(dwell_min)),
                distance_km=full_km[np.ix_(nodes, nodes)],
                time_min=None if full_min is None else full_min[np.ix_(nodes, nodes)],
                vehicle=fleet[0][0],
                num_vehicles=fleet[0][1],
                fleet=tuple(groups),
                shift_start_min=shift_start_min,
                shift_end_min=shift_end_min,
                unload_min=unload_min,
                max_fill=max_fill,
                lunch=lunch,
                sites=(keeper,) if kept else (),
                window_open_min=None if arrive is None else arrive[0][idx],
                window_close_min=None if arrive is None else arrive[1][idx],
            )
        )
    return out


def _searched_days(
    st: pd.Series,
    mine: pd.DataFrame,
    days: list[tuple[int, ...]],
    rules: list[_VisitRule],
    fixed: list[tuple[int, ...] | None],
    truck: tuple[Vehicle, int],
    rights: RoadRights,
    matrices: tuple[NDArray[np.float64], NDArray[np.float64]],
    workload: NDArray[np.float64],
    xy: NDArray[np.float64],
    params: RoutingParams,
    *,
    weekdays: tuple[int, ...],
    shift: tuple[float, float],
    dwell_min: float,
    unload_min: float,
    max_fill: float,
    lunch: tuple[float, float, float] | None,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """The station's visit days from the week's search
    (:func:`~recyclenet.routing.visit_days.search_station_days`), starting from the
    balanced ``days``; a truck's working minutes are its shift less lunch and its
    no-driving hours."""
    shift_start_min, shift_end_min = shift
    full_km, full_min = matrices
    assert params.visit_day_work is not None
    work_min = shift_end_min - shift_start_min - (lunch[2] if lunch else 0.0)
    work_min -= sum(  # the type's no-driving hours inside the shift
        max(0.0, min(b, shift_end_min) - max(a, shift_start_min)) for a, b in rights.bans_min
    )
    return search_station_days(
        station_id=str(st["station_id"]),
        days=days,
        options=[r.patterns for r in rules],
        fixed=fixed,
        truckload_days=[r.truckload_days for r in rules],
        kg_per_day=mine["kg_per_day"].to_numpy(float),
        m3_per_day=mine["m3_per_day"].to_numpy(float),
        weekdays=weekdays,
        full_km=full_km,
        full_min=full_min,
        vehicle=truck[0],
        trucks=truck[1],
        max_fill=max_fill,
        dwell_min=dwell_min,
        unload_min=unload_min,
        work_min=work_min,
        workload_min=workload,
        xy_km=xy,
        work=params.visit_day_work,
        seed=params.seed,
        cap_s=params.time_limit_s,
    )


def _station_matrices(
    st: pd.Series,
    mine: pd.DataFrame,
    travel: Any,
    vehicle: Vehicle,
    fleet: tuple[tuple[Vehicle, int], ...],
) -> tuple[
    bool,
    NDArray[np.float64],
    tuple[NDArray[np.float64], NDArray[np.float64], bool],
    list[tuple[NDArray[np.float64], NDArray[np.float64]] | None],
]:
    """Whether the station's trucks are kept elsewhere (an extra node after the points),
    its points' planar positions (km), the matrices over the base, its points and that
    site (km, minutes, whether from a road graph), and each vehicle type's own."""
    lon0, lat0 = float(st["lon"]), float(st["lat"])
    # Where the trucks are kept (an extra node after the points), if not here.
    keeper = str(st.get("keeper_id", "") or "")
    kept = keeper not in ("", "nan", str(st["station_id"]))
    extra_lon = [float(st["keeper_lon"])] if kept else []
    extra_lat = [float(st["keeper_lat"])] if kept else []
    all_lon = np.r_[lon0, mine["lon"].to_numpy(float), extra_lon]
    all_lat = np.r_[lat0, mine["lat"].to_numpy(float), extra_lat]
    labels = [str(st["station_id"]), *mine["point_id"].astype(str), *([keeper] if kept else [])]
    xy = np.column_stack(
        [
            (mine["lon"].to_numpy(float) - lon0) * 111.32 * math.cos(math.radians(lat0)),
            (mine["lat"].to_numpy(float) - lat0) * 110.574,
        ]
    )
    # One matrix per station over the base and all its points; days take sub-matrices.
    everything = travel.matrix(all_lon, all_lat, profile=vehicle.vehicle_type, labels_a=labels)
    full_km = everything.distance_km
    full_min = everything.duration_min(vehicle.speed_kmh)
    own = own_matrices(
        travel,
        all_lon,
        all_lat,
        labels,
        [v for v, _ in fleet],
        main=vehicle,
        road=everything.time_min is not None,
    )
    road = everything.time_min is not None
    return kept, xy, (full_km, full_min, road), own


def _point_visits(
    mine: pd.DataFrame,
    rules: list[_VisitRule],
    days: list[tuple[int, ...]],
    days_from: list[str],
    weekdays: tuple[int, ...],
) -> dict[str, PointVisits]:
    """Each point's week: its visit days, the loads of each visit, what set them."""
    return {
        row["point_id"]: PointVisits(
            frequency_per_week=int(rules[j].frequency),
            day_idx=days[j],
            **_visit_loads(row, days[j], rules[j].truckload_days, weekdays),
            basis=rules[j].basis,
            storage_full_days=rules[j].storage_full_days,
            longest_gap_days=longest_gap_days(days[j], weekdays),
            days_from=days_from[j],
        )
        for j, row in mine.iterrows()
    }


def _workloads(
    mine: pd.DataFrame,
    rules: list[_VisitRule],
    loads: NDArray[np.int64],
    full_min: NDArray[np.float64],
    published: dict[str, tuple[int, ...]],
    weekdays: tuple[int, ...],
    per_load_min: float,
) -> tuple[NDArray[np.float64], list[tuple[int, ...] | None], list[Any]]:
    """What balancing the days weighs: each point's minutes a visit (its loads' dwell and
    unloading, the drive from the base), the published days a point keeps (visited as
    often as before and emptying its storage in time), and the minutes per day of each
    of its day patterns."""
    from_base = full_min[0, 1 : len(mine) + 1]
    workload = loads * per_load_min + from_base
    fixed = [rules[j].keeps(published.get(str(pid))) for j, pid in enumerate(mine["point_id"])]
    per_pattern = [
        _day_minutes(rule, keep, weekdays, per_load_min, from_base[j])
        for j, (rule, keep) in enumerate(zip(rules, fixed, strict=True))
    ]
    return workload, fixed, per_pattern


def schedule_week(
    points: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    vehicle: Vehicle,
    working_days: tuple[str, ...],
    trucks_per_station: int,
    shift_start_min: float,
    shift_end_min: float,
    dwell_min: float,
    unload_min: float,
    max_fill: float,
    detour_factor: float,
    params: RoutingParams,
    lunch: tuple[float, float, float] | None = None,
    travel: Any | None = None,
    progress: Callable[[int, int], None] | None = None,
    fleet: tuple[tuple[Vehicle, int], ...] | None = None,
    rights: dict[str, RoadRights] | None = None,
    kept_days: dict[str, tuple[int, ...]] | None = None,
) -> tuple[dict[str, PointVisits], list[DayProblem]]:
    """Schedule every point and build the day problems (solved by :func:`solve_week`).

    Parameters
    ----------
    points
        Open collection points: ``point_id``, ``station_id``, ``lon``, ``lat``,
        ``kg_per_day``, ``m3_per_day``; optional ``storage_kg``, ``storage_m3`` (what the
        point stores between visits; NaN or 0: a plain truck stop) and
        ``visits_per_week`` (fixed by the planner; NaN: worked out). A point with
        storage is visited often enough, on days spaced so, that it is emptied before it
        is full (see :mod:`recyclenet.routing.schedule`).
    stations
        Open stations: ``station_id``, ``lon``, ``lat``; optional ``keeper_id``,
        ``keeper_lon``, ``keeper_lat``: where the station's trucks are kept overnight
        when not at the station (the sorting centre). Such trucks start there, unload at
        the station after every trip and drive back empty at the end of the day.
    fleet
        Trucks kept at every station by type (a mixed fleet); ``None``:
        ``trucks_per_station`` of ``vehicle``. A point's loads are sized for the type
        allowed to serve it that needs the fewest loads a week.
    rights
        Road rights by vehicle type (permitted hours, points it cannot serve).
    kept_days
        Visit days (indices into ``working_days``) of a published timetable, by point id:
        a point visited as often as before keeps them.
    """
    travel = travel if travel is not None else StraightLine(detour_factor)
    fleet = fleet if fleet is not None else ((vehicle, trucks_per_station),)
    rights = rights or {}
    no_rights = RoadRights()
    weekdays = tuple(WEEKDAYS.index(d) for d in working_days)
    common: dict[str, Any] = {  # the day's settings, for the search and the day problems
        "shift": (shift_start_min, shift_end_min),
        "dwell_min": dwell_min,
        "unload_min": unload_min,
        "max_fill": max_fill,
        "lunch": lunch,
    }
    visits: dict[str, PointVisits] = {}
    problems: list[DayProblem] = []
    for _, st in stations.iterrows():
        mine = points[points["station_id"] == st["station_id"]].reset_index(drop=True)
        if mine.empty:
            continue
        allowed = [
            rights.get(v.vehicle_type, no_rights).can_serve(mine["point_id"]) for v, _ in fleet
        ]
        rules = _visit_rules(mine, fleet, allowed, vehicle, max_fill, weekdays)
        freq, loads = np.array([(r.frequency, r.loads) for r in rules], dtype=np.int64).T
        kept, xy, (full_km, full_min, road), own = _station_matrices(
            st, mine, travel, vehicle, fleet
        )
        workload, fixed, per_pattern = _workloads(
            mine, rules, loads, full_min, kept_days or {}, weekdays, dwell_min + unload_min
        )
        times = {k: common[k] for k in ("shift", "dwell_min", "unload_min")}
        arrive = _arrival_windows(mine, full_min, kept=kept, **times)
        patterns: list[list[tuple[int, ...]] | None] = [r.patterns for r in rules]
        n_days = len(weekdays)
        days = assign_days(
            workload, freq, xy, n_days, fixed=fixed, options=patterns, pattern_workload=per_pattern
        )
        days_from = ["balanced"] * len(mine)
        if params.visit_day_work and len(fleet) == 1 and not kept and arrive is None:
            if allowed[0].all():
                days, days_from = _searched_days(
                    st,
                    mine,
                    days,
                    rules,
                    fixed,
                    fleet[0],
                    rights.get(fleet[0][0].vehicle_type, no_rights),
                    (full_km, full_min),
                    workload,
                    xy,
                    params,
                    weekdays=weekdays,
                    **common,
                )
        visits |= _point_visits(mine, rules, days, days_from, weekdays)
        problems += _station_day_problems(
            st,
            mine,
            visits,
            days,
            fleet,
            allowed,
            own,
            rights,
            (full_km, full_min if road else None),
            arrive,
            working_days=working_days,
            **common,
        )
    return visits, problems


def _day_minutes(
    rule: _VisitRule,
    keep: tuple[int, ...] | None,
    weekdays: tuple[int, ...],
    per_load_min: float,
    from_base_min: float,
) -> dict[tuple[int, ...], NDArray[np.float64]]:
    """Minutes each pattern a point may take (its kept days included) adds to each
    working day: every visit's loads, after its gap (the visit after the rest days takes
    more), and the way out from the base."""
    patterns = {*rule.patterns, *([keep] if keep is not None else [])}
    on = np.arange(len(weekdays))
    return {
        p: _pattern_minutes(p, rule.truckload_days, weekdays, per_load_min)
        + np.isin(on, p) * from_base_min
        for p in sorted(patterns)
    }


def _pattern_minutes(
    pattern: tuple[int, ...], truck_days: float, weekdays: tuple[int, ...], per_load_min: float
) -> NDArray[np.float64]:
    """Minutes of stays and unloads a pattern's visits add to each working day."""
    out = np.zeros(len(weekdays))
    for d, gap in zip(pattern, gaps_before(pattern, weekdays), strict=True):
        out[d] = loads_after(gap, truck_days) * per_load_min
    return out


def _visit_loads(
    row: pd.Series, pattern: tuple[int, ...], truck_days: float, weekdays: tuple[int, ...]
) -> dict[str, Any]:
    """What each visit of a pattern collects: the days since the visit before, split
    into as many truckloads as that takes (the :class:`PointVisits` load fields)."""
    gaps = gaps_before(pattern, weekdays)
    loads = tuple(loads_after(g, truck_days) for g in gaps)
    kg, m3 = float(row["kg_per_day"]), float(row["m3_per_day"])
    return {
        "loads_per_visit": max(loads),
        "kg_per_load": 7 * kg / sum(loads),
        "m3_per_load": 7 * m3 / sum(loads),
        "loads_by_visit": loads,
        "kg_by_visit": tuple(kg * g / n for g, n in zip(gaps, loads, strict=True)),
        "m3_by_visit": tuple(m3 * g / n for g, n in zip(gaps, loads, strict=True)),
    }


def _arrival_windows(
    points: pd.DataFrame,
    full_min: NDArray[np.float64],
    *,
    kept: bool,
    shift: tuple[float, float],
    dwell_min: float,
    unload_min: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Earliest and latest arrival at each point from its hours (``window_open_min``,
    ``window_close_min``: the truck stands there within them; NaN: the shift's), or
    ``None`` where no point has hours.

    ``full_min`` is the station's matrix (station, points, then where its trucks are
    kept when ``kept``). Raises :class:`~recyclenet.errors.InfeasibleError` naming every
    point a truck cannot reach within its hours from where it starts, or leave in time
    to unload and be back by the end of the shift.
    """
    if "window_open_min" not in points or (
        points[["window_open_min", "window_close_min"]].isna().all().all()
    ):
        return None
    n = len(points)
    lo = points["window_open_min"].fillna(shift[0]).to_numpy(float)
    hi = points["window_close_min"].fillna(shift[1]).to_numpy(float) - dwell_min
    home = n + 1 if kept else 0
    earliest = np.maximum(lo, shift[0] + full_min[home, 1 : n + 1])
    back = full_min[1 : n + 1, 0] + unload_min + full_min[0, home]
    late = (earliest > hi + 1e-9) | (earliest + dwell_min + back > shift[1] + 1e-9)
    if late.any():
        named = "; ".join(
            f"{points['point_id'].iloc[j]} (hours {min_to_hhmm(lo[j])}-"
            f"{min_to_hhmm(hi[j] + dwell_min)}, earliest arrival {min_to_hhmm(earliest[j])}, "
            f"{back[j]:.0f} min to unload and return)"
            for j in np.flatnonzero(late)
        )
        raise InfeasibleError(
            f"no truck can serve these collection points within their hours "
            f"(window_start, window_end of the candidates table) and the shift "
            f"{min_to_hhmm(shift[0])}-{min_to_hhmm(shift[1])}: {named}. Widen their hours, "
            "lengthen the shift, or move them to a nearer station."
        )
    return lo, hi
