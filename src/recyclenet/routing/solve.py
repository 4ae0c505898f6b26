"""Plan a week of truck-as-depot collection: schedule, daily routes, hauls to the centre."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.config import WEEKDAYS, min_to_hhmm
from recyclenet.errors import InfeasibleError
from recyclenet.network import StraightLine
from recyclenet.routing import _ortools, _pyvrp
from recyclenet.routing.budget import Meter
from recyclenet.routing.elimination import min_trucks, solve_with_elimination
from recyclenet.routing.problem import SLOT_PENALTY_CNY_PER_MIN, DayProblem, TruckGroup, Vehicle
from recyclenet.routing.result import DayResult, check_day, truck_plan
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
from recyclenet.routing.signs import sign_lines
from recyclenet.routing.timing import day_result, regrouped, timed_route, unload_code

ENGINES = ("auto", "ortools", "pyvrp")
# Share of a later day's time for the trucks the station already runs alone (the rest
# searches with every truck the day is offered; see _solve_levelled), and the least
# time a day needs for two searches to beat one.
RUNNING_SHARE = 0.5
TWO_SEARCHES_MIN_S = 8.0
# Share of a week's time kept for routing a base's week again from its hardest day
# (see solve_week).
SECOND_PASS_SHARE = 0.5
# Search time of a day a kept timetable's published rounds still drive, as a share of a
# day that must be routed again (see solve_week).
PUBLISHED_SHARE = 0.25


@dataclass(frozen=True)
class RoutingParams:
    """Search settings.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget for all days together; each base-day gets an equal share.
    workers
        Processes solving days in parallel (1: in this process).
    engine
        ``"ortools"`` (models every constraint), ``"pyvrp"`` (days without lunch, slots,
        closed stops, daily limits or unload hours) or ``"auto"``: PyVRP where it models
        the day, else OR-Tools
        (which also tries a day with release times on which PyVRP left a stop that must
        be served).
    seed
        Seed of PyVRP's search (OR-Tools' search is deterministic).
    max_iterations
        PyVRP also stops after this many iterations of its search (``None``: only the
        time limit): with a limit that binds first, a run gives the same routes however
        busy the machine is.
    work_per_day
        Work units each base-day is given in each pass of the week (see
        :mod:`recyclenet.routing.budget`; :data:`~recyclenet.routing.budget.WORK_PER_DAY`
        by effort). Set, the search is counted in work and gives the same plan on any
        machine load and any number of ``workers``, and ``time_limit_s`` is only a
        wall-clock safety cap, reported where it bites (:attr:`DayResult.capped`).
        ``None``: ``time_limit_s`` is the budget.
    floor_work_per_day
        With ``work_per_day``, a smaller budget whose week :func:`solve_week` also plans,
        keeping each base's better week: more work is then never worse than that budget
        (``thorough`` against ``standard``).
    """

    time_limit_s: float = 60.0
    workers: int = 1
    engine: str = "auto"
    seed: int = 0
    max_iterations: int | None = None
    work_per_day: float | None = None
    floor_work_per_day: float | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got '{self.engine}'")
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.max_iterations is not None and self.max_iterations < 0:
            raise ValueError(f"max_iterations must be at least 0, got {self.max_iterations}")
        if self.work_per_day is not None and not self.work_per_day > 0:
            raise ValueError(f"work_per_day must be positive, got {self.work_per_day}")

    def meter(self, cap_at: float | None = None) -> Meter:
        """A fresh clock for a chain of searches under these settings: work units when
        ``work_per_day`` is set (capped at ``cap_at``, ``time.time()``; default
        ``time_limit_s`` from now), else the wall clock."""
        if self.work_per_day is None:
            return Meter()
        return Meter(
            work=True, cap_at=time.time() + self.time_limit_s if cap_at is None else cap_at
        )


def solve_day(
    problem: DayProblem,
    params: RoutingParams | None = None,
    *,
    time_limit_s: float | None = None,
    meter: Meter | None = None,
) -> DayResult:
    """Route one base's trucks for one day with the engine ``params`` chooses.

    ``time_limit_s`` overrides the day's budget (a share of a week's budget): seconds,
    or work units where ``params.work_per_day`` is set (default: ``work_per_day``, else
    ``params.time_limit_s``). ``meter``: the clock of a chain of days the budget is
    counted on (default: a fresh one, :meth:`RoutingParams.meter`).
    A day OR-Tools routes, with more than one truck and a fixed cost per truck, goes
    through route elimination (:mod:`recyclenet.routing.elimination`).
    """
    params = params or RoutingParams()
    meter = meter if meter is not None else params.meter()
    default = params.work_per_day if params.work_per_day is not None else params.time_limit_s
    limit = default if time_limit_s is None else time_limit_s
    result = _solve_day(problem, params, limit, meter)
    return replace(result, capped=meter.capped) if meter.capped else result


def _solve_day(problem: DayProblem, params: RoutingParams, limit: float, meter: Meter) -> DayResult:
    """:func:`solve_day` with its budget and clock settled."""
    engine = params.engine
    if engine == "auto":
        engine = "pyvrp" if _pyvrp.models(problem) else "ortools"
    if engine == "pyvrp":
        # PyVRP opens a trip for capacity but not for a release alone (measured on a
        # two-stop day); with releases OR-Tools keeps a tenth of the time for a plan of
        # its own when PyVRP's leaves a stop that must be served, and the plan that
        # serves more of them wins (then the cheaper).
        fallback = params.engine == "auto" and problem.has_releases()
        start = meter.now()
        share = 0.9 if fallback else 1.0
        result = _pyvrp.solve_day(
            problem,
            time_limit_s=share * limit,
            seed=params.seed,
            max_iterations=params.max_iterations,
            meter=meter,
        )
        if fallback and result.unserved() > 0:
            left = max(0.2, limit - (meter.now() - start))
            other = _ortools.solve_day(problem, time_limit_s=left, meter=meter)
            return min(result, other, key=lambda r: (r.unserved(), r.cost_cny))
        if result.status != "no_solution" or params.engine == "pyvrp":
            return result
    if problem.num_trucks > 1 and any(
        g.vehicle.fixed_cost_cny_per_day > 0 for g in problem.groups()
    ):  # trucks cost a day each: take away those the search cannot close
        return solve_with_elimination(
            problem,
            lambda day, limit_: _ortools.solve_day(day, time_limit_s=limit_, meter=meter),
            limit,
            meter,
        )
    return _ortools.solve_day(problem, time_limit_s=limit, meter=meter)


@dataclass(frozen=True)
class WeekPlan:
    """A week of collection.

    Attributes
    ----------
    visits
        Frequency and days of every point, by point id.
    days
        Solved routes of every base and working day.
    working_days
        Day labels, in order.
    haul
        Station -> centre round trips, one row per station (see :func:`haul_trips`).
    slot_tolerance_min
        How far a visit may lie from the time on the point's sign (see
        :func:`sign_time_min`).
    kept_signs
        Times already on the signs (a kept timetable), by ``(point_id, load)``: a sign
        keeps its time wherever that holds as many of the week's visits within the
        tolerance as any other.
    """

    visits: dict[str, PointVisits]
    days: tuple[DayResult, ...]
    working_days: tuple[str, ...]
    haul: pd.DataFrame
    slot_tolerance_min: float = 15.0
    kept_signs: dict[tuple[str, int], float] = field(default_factory=dict)

    def events(self) -> pd.DataFrame:
        """Every event of every truck, all days (see :meth:`DayResult.events`)."""
        frames = [d.events() for d in self.days if d.routes]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def timetable(self) -> pd.DataFrame:
        """The published timetable: one row per stop.

        Columns: ``point_id``, ``station_id``, ``day``, ``arrival`` and ``departure``
        (HH:MM), ``truck`` (``<station>-<n>``), ``vehicle_type``, ``trip``, ``arrival_min``,
        ``departure_min``, ``collected_kg``, ``collected_m3``, ``slot`` (HH:MM, the time
        on the point's sign: see :func:`sign_time_min`), ``slot_min``,
        ``slot_deviation_min`` (this arrival minus the slot) and ``stop_idx`` (the stop
        in its day's problem).
        """
        ev = self.events()
        if ev.empty:
            return pd.DataFrame()
        stops = ev[ev["kind"] == "stop"].reset_index(drop=True)
        order = {d: i for i, d in enumerate(self.working_days)}
        stops["_d"] = stops["day"].map(order)
        slot_min = np.full(len(stops), np.nan)
        for pid, rows in stops.groupby("site_id").indices.items():
            _, slots = sign_lines(
                stops["_d"].to_numpy(np.int64)[rows],
                stops["arrival_min"].to_numpy(float)[rows],
                stops["departure_min"].to_numpy(float)[rows],
                self.working_days,
                self.slot_tolerance_min,
                self.kept_times(str(pid)),
            )
            slot_min[rows] = slots
        out = pd.DataFrame(
            {
                "point_id": stops["site_id"],
                "station_id": stops["base_id"],
                "day": stops["day"],
                "arrival": stops["arrival_min"].map(min_to_hhmm),
                "departure": stops["departure_min"].map(min_to_hhmm),
                "truck": stops["base_id"] + "-" + stops["truck"].astype(str),
                "vehicle_type": stops["vehicle_type"],
                "trip": stops["trip"],
                "arrival_min": stops["arrival_min"],
                "departure_min": stops["departure_min"],
                "collected_kg": stops["collected_kg"],
                "collected_m3": stops["collected_m3"],
                "slot": [min_to_hhmm(m) for m in slot_min],
                "slot_min": slot_min,
                "slot_deviation_min": stops["arrival_min"].to_numpy(float) - slot_min,
                "stop_idx": stops["stop_idx"],
            }
        )
        out["_d"] = stops["_d"]
        return out.sort_values(["station_id", "_d", "truck", "arrival_min"]).drop(columns="_d")

    def kept_times(self, point_id: str) -> list[float]:
        """The times already on a point's sign (a kept timetable), earliest first."""
        return sorted({m for (pid, _), m in self.kept_signs.items() if pid == point_id})

    def signs(self) -> pd.DataFrame:
        """What each point's sign says, a row per line (see
        :mod:`recyclenet.routing.signs`).

        Columns: ``point_id``, ``days`` (day labels joined by ``;``, e.g.
        ``mon;wed;fri``), ``time`` (HH:MM), ``time_min`` and ``stay_min``; points in the
        timetable's order, each point's lines by time.
        """
        tt = self.timetable()
        rows = []
        if not tt.empty:
            order = {d: i for i, d in enumerate(self.working_days)}
            day = tt["day"].map(order).to_numpy(np.int64)
            for pid, idx in tt.groupby("point_id", sort=False).indices.items():
                lines, _ = sign_lines(
                    day[idx],
                    tt["arrival_min"].to_numpy(float)[idx],
                    tt["departure_min"].to_numpy(float)[idx],
                    self.working_days,
                    self.slot_tolerance_min,
                    self.kept_times(str(pid)),
                )
                rows += [
                    {
                        "point_id": str(pid),
                        "days": ";".join(line.days),
                        "time": min_to_hhmm(line.time_min),
                        "time_min": line.time_min,
                        "stay_min": line.stay_min,
                    }
                    for line in lines
                ]
        return pd.DataFrame(rows, columns=["point_id", "days", "time", "time_min", "stay_min"])

    def dropped(self) -> list[tuple[str, str, str]]:
        """``(base_id, day, point_id)`` of every stop no truck could serve."""
        return [
            (d.problem.base_id, d.problem.day, d.problem.stop_ids[j])
            for d in self.days
            for j in d.dropped
        ]

    def trucks_per_station(self) -> dict[str, int]:
        """Trucks a station needs: the most it uses on any day."""
        out: dict[str, int] = {}
        for d in self.days:
            out[d.problem.base_id] = max(out.get(d.problem.base_id, 0), d.num_trucks)
        return out

    def trucks_by_type(self) -> dict[str, dict[str, int]]:
        """Trucks each station needs per vehicle type: the most of that type on any day."""
        out: dict[str, dict[str, int]] = {}
        for d in self.days:
            mine = out.setdefault(d.problem.base_id, {})
            for vt, k in d.trucks_by_type().items():
                mine[vt] = max(mine.get(vt, 0), k)
        return out

    def collection_km_per_week(self) -> float:
        """Distance driven by collection trucks in a week."""
        return float(sum(d.distance_km() for d in self.days))

    def haul_km_per_week(self) -> float:
        """Distance driven by haul trucks (station -> centre round trips) in a week."""
        return float(self.haul["km_per_week"].sum()) if len(self.haul) else 0.0

    def collection_hours_per_week(self) -> float:
        """Collection truck-hours in a week."""
        return float(sum(d.duration_h() for d in self.days))


def sign_time_min(arrivals_min: np.ndarray, tol_min: float, keep_min: float | None = None) -> float:
    """The time to paint on a point's sign, given its arrivals of the week.

    The time that puts the most arrivals within ``tol_min`` of it and, among those,
    keeps the furthest arrival as close as it can (the middle of the arrivals where
    they all fit). No other time keeps more visits within the tolerance, the first
    arrival of the week included; ties go to the earliest such time. A whole minute
    (what the sign shows) where one keeps the same arrivals within the tolerance.
    ``keep_min``, the time already on the sign (a kept timetable), stays wherever it
    keeps as many arrivals within the tolerance as any other time.
    """
    a = np.sort(np.asarray(arrivals_min, dtype=float))
    if a.size == 0:
        raise ValueError("a sign needs at least one arrival")
    if keep_min is not None:
        best_count = max(int(((a >= lo) & (a <= lo + 2 * tol_min)).sum()) for lo in a)
        if int((np.abs(a - keep_min) <= tol_min + 1e-9).sum()) >= best_count:
            return float(keep_min)
    middle = (float(a[0]) + float(a[-1])) / 2
    best: tuple[int, float, float] | None = None  # (-count, max deviation, time)
    for lo in a:  # the arrivals from ``lo`` to ``lo + 2 tol`` fit one time
        inside = a[(a >= lo) & (a <= lo + 2 * tol_min)]
        hi = float(inside[-1])
        # every time in [hi - tol, lo + tol] keeps them in; the middle of the week's
        # extremes, clamped into it, keeps the others as close as it can
        earliest, latest = hi - tol_min, float(lo) + tol_min
        time_min = min(max(middle, earliest), latest)
        whole = [
            m
            for m in (round(time_min), math.floor(time_min), math.ceil(time_min))
            if earliest <= m <= latest
        ]
        time_min = float(whole[0]) if whole else time_min
        key = (-len(inside), float(np.abs(a - time_min).max()), time_min)
        if best is None or key < best:
            best = key
    assert best is not None
    return best[2]


def sign_times(timetable: pd.DataFrame) -> dict[str, list[str]]:
    """Per point id, the times on its sign (HH:MM, in order; one per load of its day),
    from a timetable with ``point_id`` and ``slot`` (:meth:`WeekPlan.timetable`)."""
    if timetable.empty:
        return {}
    return {str(p): sorted(set(s)) for p, s in timetable.groupby("point_id")["slot"]}


def haul_trips(
    station_ids: list[str],
    station_kg_per_day: np.ndarray,
    station_m3_per_day: np.ndarray,
    haul_km: np.ndarray,
    centre_ids: list[str],
    *,
    vehicle: Vehicle,
    max_fill: float,
    working_days: int,
    handling_min: float,
) -> pd.DataFrame:
    """Station -> sorting centre hauls as simple round trips.

    Trips per week = the loads a week's material fills, by weight or by loose volume,
    whichever needs more. Columns: ``station_id``, ``centre_id``, ``kg_per_week``,
    ``trips_per_week``, ``trips_per_working_day`` (fractional, mean), ``km_per_trip``,
    ``km_per_week``, ``hours_per_week`` (driving both ways plus loading and unloading).
    """
    rows = []
    for k, sid in enumerate(station_ids):
        kg_week = 7 * float(station_kg_per_day[k])
        m3_week = 7 * float(station_m3_per_day[k])
        loads = max(
            kg_week / (vehicle.payload_kg * max_fill), m3_week / (vehicle.volume_m3 * max_fill)
        )
        trips = int(math.ceil(loads - 1e-9))
        km_trip = 2 * float(haul_km[k])
        rows.append(
            {
                "station_id": sid,
                "centre_id": centre_ids[k],
                "kg_per_week": kg_week,
                "trips_per_week": trips,
                "trips_per_working_day": trips / working_days,
                "km_per_trip": km_trip,
                "km_per_week": trips * km_trip,
                "hours_per_week": trips * (km_trip / vehicle.speed_kmh + 2 * handling_min / 60),
            }
        )
    return pd.DataFrame(rows)


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


def plan_week(
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
    n_days = len(working_days)
    weekdays = tuple(WEEKDAYS.index(d) for d in working_days)
    visits: dict[str, PointVisits] = {}
    problems: list[DayProblem] = []
    for _, st in stations.iterrows():
        mine = points[points["station_id"] == st["station_id"]].reset_index(drop=True)
        if mine.empty:
            continue
        allowed = [
            rights.get(v.vehicle_type, no_rights).can_serve(mine["point_id"]) for v, _ in fleet
        ]
        rules = [
            _visit_rule(
                row,
                [v for (v, _), ok in zip(fleet, allowed, strict=True) if ok[j]] or [vehicle],
                max_fill=max_fill,
                weekdays=weekdays,
            )
            for j, row in mine.iterrows()
        ]
        freq = np.array([r.frequency for r in rules], dtype=np.int64)
        loads = np.array([r.loads for r in rules], dtype=np.int64)
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
        from_base = full_min[0, 1 : len(mine) + 1]
        workload = loads * (dwell_min + unload_min) + from_base
        published = kept_days or {}
        # A point keeps its published days where it is visited as often as before and
        # they empty its storage in time.
        fixed = [rules[j].keeps(published.get(str(pid))) for j, pid in enumerate(mine["point_id"])]
        per_pattern = [
            _day_minutes(rule, keep, weekdays, dwell_min + unload_min, from_base[j])
            for j, (rule, keep) in enumerate(zip(rules, fixed, strict=True))
        ]
        arrive = _arrival_windows(
            mine,
            full_min,
            kept=kept,
            shift=(shift_start_min, shift_end_min),
            dwell_min=dwell_min,
            unload_min=unload_min,
        )
        options: list[list[tuple[int, ...]] | None] = [r.patterns for r in rules]
        days = assign_days(
            workload, freq, xy, n_days, fixed=fixed, options=options, pattern_workload=per_pattern
        )
        for j, row in mine.iterrows():
            visits[row["point_id"]] = PointVisits(
                frequency_per_week=int(freq[j]),
                day_idx=days[j],
                **_visit_loads(row, days[j], rules[j].truckload_days, weekdays),
                basis=rules[j].basis,
                storage_full_days=rules[j].storage_full_days,
                longest_gap_days=longest_gap_days(days[j], weekdays),
            )
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
                        can_serve=ok[np.asarray(idx, dtype=int)] if not ok.all() else None,
                        distance_km=None if mats is None else mats[0][np.ix_(nodes, nodes)],
                        time_min=None if mats is None else mats[1][np.ix_(nodes, nodes)],
                    )
                )
            problems.append(
                DayProblem(
                    base_id=str(st["station_id"]),
                    day=label,
                    stop_ids=ids,
                    load_kg=np.array([on[j][1] for j in idx], dtype=float),
                    load_m3=np.array([on[j][2] for j in idx], dtype=float),
                    dwell_min=np.full(len(ids), float(dwell_min)),
                    distance_km=full_km[np.ix_(nodes, nodes)],
                    time_min=(
                        full_min[np.ix_(nodes, nodes)] if everything.time_min is not None else None
                    ),
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


def _occurrences(stop_ids: tuple[str, ...]) -> list[tuple[str, int]]:
    """``(point_id, k)`` per stop: the k-th load of that point on the day."""
    seen: dict[str, int] = {}
    out = []
    for sid in stop_ids:
        out.append((sid, seen.get(sid, 0)))
        seen[sid] = seen.get(sid, 0) + 1
    return out


def _with_slots(
    problem: DayProblem,
    slots: dict[tuple[str, int], float],
    tol: float,
    penalty: float,
    day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> DayProblem:
    """The day with every stop that already has a slot asked to keep it (a soft window).

    ``day_signs``: the sign times a kept timetable's visits kept on this weekday, by
    ``(point_id, day)``. A point's loads today aim at those times first (a point
    collected twice on Tuesday at the first and the third time on its sign keeps those
    two; with one load now, the first of them), and where it has more loads than that
    day had, also at the sign's other times, earliest first, all in time order
    (:func:`_day_targets`); without such times the k-th load aims at the k-th time of
    ``slots``. A load beyond the times on the sign has no slot."""
    count = Counter(problem.stop_ids)
    targets: dict[str, list[float]] = {}
    for pid, n in count.items():
        sign: list[float] = []
        while (pid, len(sign)) in slots:
            sign.append(slots[(pid, len(sign))])
        targets[pid] = _day_targets((day_signs or {}).get((pid, problem.day)), sign, n)
    target = np.array([targets[pid][k] for pid, k in _occurrences(problem.stop_ids)])
    return replace(
        problem, slot_min=target, slot_tolerance_min=tol, slot_penalty_cny_per_min=penalty
    )


def _day_targets(today: tuple[float, ...] | None, sign: list[float], loads: int) -> list[float]:
    """The times a point's ``loads`` loads of a day aim at, in order: the times its visits
    kept that weekday (``today``), the earliest where fewer loads come now, and where
    more come, the other times on its ``sign`` too, earliest first; ``nan`` beyond."""
    if today is None:
        chosen = sign[:loads]
    elif loads <= len(today):
        chosen = list(today[:loads])
    else:
        others = [t for t in sign if t not in today]
        chosen = sorted([*today, *others[: loads - len(today)]])
    return chosen + [math.nan] * (loads - len(chosen))


def _levelled(
    problem: DayProblem, in_use: list[int], days: int
) -> tuple[DayProblem, list[int], list[bool]]:
    """The day with each fleet group split into the trucks the station already runs on
    an earlier day (their day's fixed cost) and the rest, whose fixed cost is a week's
    (``days`` days): the station must keep such a truck all week, so a later day takes
    one only where it saves more than that. Returns the day and, per new group, its
    original group and whether its trucks are ones the station already runs."""
    groups: list[TruckGroup] = []
    group_of: list[int] = []
    running: list[bool] = []
    for g, group in enumerate(problem.groups()):
        have = min(in_use[g], group.count)
        if have > 0:
            groups.append(replace(group, count=have))
            group_of.append(g)
            running.append(True)
        if group.count > have:
            weekly = replace(
                group.vehicle, fixed_cost_cny_per_day=group.vehicle.fixed_cost_cny_per_day * days
            )
            groups.append(replace(group, vehicle=weekly, count=group.count - have))
            group_of.append(g)
            running.append(False)
    return replace(problem, fleet=tuple(groups)), group_of, running


def _carried_plan(
    previous: DayResult, problem: DayProblem, group_of: list[int]
) -> tuple[tuple[int, ...], ...]:
    """The routes of an earlier day of the base as a starting plan for ``problem``.

    Each route keeps, in its order, the stops that recur today (the same point's same
    load) and its unloads between trips; today's other stops are left out, for the
    search to insert first. Stops only fall away, so each trip's load and each truck's
    day stay within limits, and a truck reaching a stop early waits for its slot.
    ``group_of`` maps each fleet group of ``problem`` to the group of
    ``previous.problem`` it stands for; a route goes to the first such group with a
    truck left.
    """
    today = {key: j for j, key in enumerate(_occurrences(problem.stop_ids))}
    before = _occurrences(previous.problem.stop_ids)
    groups = problem.groups()
    plans: dict[int, list[tuple[int, ...]]] = {}
    for r, order in enumerate(previous.orders()):
        kept: list[int] = []
        for j in order:
            if j < 0:  # an unload: kept between two stops only
                if kept and kept[-1] >= 0:
                    kept.append(j)
            elif before[j] in today:
                kept.append(today[before[j]])
        while kept and kept[-1] < 0:
            kept.pop()
        if not kept:
            continue
        for g, group in enumerate(groups):
            if group_of[g] == previous.group_of(r) and len(plans.get(g, [])) < group.count:
                plans.setdefault(g, []).append(tuple(kept))
                break
    return truck_plan(problem, plans)


def _capped(levelled: DayProblem, running: list[bool]) -> DayProblem:
    """The levelled day (see :func:`_levelled`) with each group of trucks the station
    does not run yet cut to as many as the day needs beyond those it runs: at least one,
    more only where :func:`~recyclenet.routing.elimination.min_trucks` says the day
    cannot do without. A day with no trucks running yet keeps its whole fleet."""
    groups = levelled.groups()
    have = sum(g.count for g, run in zip(groups, running, strict=True) if run)
    if have == 0:
        return levelled
    new = max(1, min_trucks(levelled) - have)
    return replace(
        levelled,
        fleet=tuple(
            g if run else replace(g, count=min(g.count, new))
            for g, run in zip(groups, running, strict=True)
        ),
    )


def _solve_levelled(
    levelled: DayProblem,
    group_of: list[int],
    running: list[bool],
    previous: DayResult,
    params: RoutingParams,
    limit_s: float,
    meter: Meter,
) -> DayResult:
    """Route a later day of a base (see :func:`_levelled`) by two searches, the better
    plan kept: the trucks the station already runs alone (:data:`RUNNING_SHARE` of the
    time), starting, where the day has published slots, from ``previous`` (the day
    before, see :func:`_carried_plan`); then, from scratch, those trucks and as many new
    ones as :func:`_capped` allows. A day with less than :data:`TWO_SEARCHES_MIN_S`
    gets one search, the capped fleet's. Where the capped fleet leaves stops unserved,
    the whole fleet searches again for the time left, at least a fifth of the limit.

    OR-Tools' first plans spread a day's stops over every truck it may use, and with
    slots to keep its search closes a truck only slowly: on the Cuiping default (10 s
    a day) the busiest station ran 6 trucks on one day and 4 on the others. The two
    searches also fail differently: on one day the station's own 2 trucks kept every
    slot where the whole fleet's search missed them by 14 minutes, and on another the
    reverse. Measured 2026-11-24 on the Cuiping default's four stations, most trucks a
    day summed: at 10 s a day 12-13 trucks in five runs against 14 in three with one
    search; at 5 s a day, where each search gets 2.5 s, 18-19 in three runs against
    16-17 in two, hence the floor. Searched with the whole fleet rather than the capped
    one, a station's trucks grew day after day (the 5-station Cuiping scenario at 6.7 s
    a day, its busiest station: 6, 7 and 6 trucks at the peak in three runs; capped 5,
    5 and 5; the plan's stations at 10 s a day: 4 either way).
    """
    start = meter.now()
    capped = _capped(levelled, running)

    def or_whole_fleet(found: DayResult) -> DayResult:
        if found.unserved() == 0 or capped is levelled:
            return found
        left = max(0.2 * limit_s, limit_s - (meter.now() - start))
        return solve_day(levelled, params, time_limit_s=left, meter=meter)

    if not any(running):
        return or_whole_fleet(solve_day(capped, params, time_limit_s=limit_s, meter=meter))
    groups = levelled.groups()
    own_index = [g for g, run in enumerate(running) if run]
    own = replace(levelled, fleet=tuple(groups[g] for g in own_index), initial_routes=None)
    if levelled.slot_min is not None:
        own = replace(
            own, initial_routes=_carried_plan(previous, own, [group_of[g] for g in own_index])
        )
    if all(running):  # no other trucks: one search with all the time
        return solve_day(own, params, time_limit_s=limit_s, meter=meter)
    first = solve_day(own, params, time_limit_s=RUNNING_SHARE * limit_s, meter=meter)
    if limit_s < TWO_SEARCHES_MIN_S and first.status != "no_solution" and not first.unserved():
        # Too little time for both searches to pay: the running trucks serve the day
        # (trucks first; on the Cuiping default at 4 units a day, 12 trucks where the
        # capped fleet's search alone, never closing the truck it adds, ran 20).
        return regrouped(first, capped, own_index)
    left = max(0.05 * limit_s, limit_s - (meter.now() - start))
    second = solve_day(capped, params, time_limit_s=left, meter=meter)
    if first.status == "no_solution":
        return or_whole_fleet(second)
    mapped = regrouped(first, capped, own_index)
    return or_whole_fleet(min(mapped, second, key=lambda r: (r.unserved(), r.objective_cny())))


def _solve_chain(
    args: tuple[
        list[DayProblem],
        RoutingParams,
        list[float],
        float | None,
        float,
        dict[tuple[str, int], float],
        dict[tuple[str, str], tuple[float, ...]],
        float,
    ],
) -> list[DayResult]:
    """Solve one base's days in order, keeping each point's arrival near its first one.

    The first day a point is visited fixes its slot (the time on its sign), unless its
    sign is already up (a kept timetable: then every day aims at it). On later days
    arriving more than the tolerance away from it is penalised per minute, so a slot moves
    only where keeping it would cost a truck or long detours; the timetable reports every
    deviation. A truck beyond those the station already runs on an earlier day costs a
    week of its fixed cost (see :func:`_levelled`): the station needs the most trucks it
    uses on any day. A later day is routed by :func:`_solve_levelled`. The days' budgets
    are counted on one clock (:meth:`RoutingParams.meter`, capped at ``cap_at``).
    """
    problems, params, limits, tol, penalty, kept, day_signs, cap_at = args
    meter = params.meter(cap_at)
    slots: dict[tuple[str, int], float] = dict(kept)  # the signs already up, if any
    in_use: list[int] = []  # per fleet group, the most trucks used on a day so far
    results: list[DayResult] = []
    for problem, limit in zip(problems, limits, strict=True):
        if tol is not None and slots:
            problem = _with_slots(problem, slots, tol, penalty, day_signs)
        if in_use:
            levelled, group_of, running = _levelled(problem, in_use, len(problems))
            found = _solve_levelled(levelled, group_of, running, results[-1], params, limit, meter)
            result = regrouped(found, problem, group_of)
        else:
            result = solve_day(problem, params, time_limit_s=limit, meter=meter)
        if meter.capped:
            result = replace(result, capped=True)
        used = result.trucks_by_group()
        in_use = [max(a, b) for a, b in zip(in_use or used, used, strict=True)]
        keys = _occurrences(problem.stop_ids)
        for route in result.routes:
            for e in route:
                if e.kind == "stop":
                    slots.setdefault(keys[e.stop_idx], e.arrival_min)
        results.append(result)
    return results


def _busy_days_in_turn(busy_days: list[float], workers: int) -> float:
    """The most days with stops one worker routes in turn when the bases' chains (their
    busy days, given in order, each weighed by its share of a day's time) go, in that
    order, each to the worker free first: the share of the time limit a day gets divides
    by it, so that the week ends within the limit (a base with every day busy, alone,
    gets a sixth of it a day, not a third)."""
    loads = [0.0] * workers
    for n in busy_days:
        loads[loads.index(min(loads))] += n
    return max(loads)


def _week_plan(
    problems: list[DayProblem],
    params: RoutingParams,
    *,
    slots: bool = False,
    drivable: Sequence[bool] = (),
) -> tuple[dict[str, list[int]], int, float, list[float]]:
    """How :func:`solve_week` runs: each base's days (indices, in order), longest chains
    first so that the workers finish together; the worker processes; the time limit
    in the first pass of a day that must be routed (see :func:`_busy_days_in_turn`),
    with ``slots`` half of the limit being kept for routing a base's week again from its
    hardest day (see :func:`solve_week`); and each day's share of that limit (a day
    ``drivable`` as published: :data:`PUBLISHED_SHARE`, see :func:`_day_shares`)."""
    by_base: dict[str, list[int]] = {}
    for i, p in enumerate(problems):
        by_base.setdefault(p.base_id, []).append(i)
    share_of = _day_shares(problems, drivable)

    def busy_days(idx: list[int]) -> float:
        return sum(share_of[i] for i in idx if problems[i].num_stops > 0)

    chains = {b: by_base[b] for b in sorted(by_base, key=lambda b: -busy_days(by_base[b]))}
    workers = max(1, min(params.workers, len(chains), os.cpu_count() or 1))
    in_turn = _busy_days_in_turn([busy_days(idx) for idx in chains.values()], workers)
    if params.work_per_day is not None:  # the same budget a day whatever the workers
        return chains, workers, params.work_per_day, share_of
    share = SECOND_PASS_SHARE if slots else 0.0
    return chains, workers, (1 - share) * params.time_limit_s / (in_turn or 1.0), share_of


def _day_shares(problems: list[DayProblem], drivable: Sequence[bool]) -> list[float]:
    """Each day's share of the search time of a day that must be routed: less
    (:data:`PUBLISHED_SHARE`) where the published rounds still drive it."""
    return [
        PUBLISHED_SHARE if k < len(drivable) and drivable[k] else 1.0 for k in range(len(problems))
    ]


def day_time_limit_s(
    problems: list[DayProblem],
    params: RoutingParams,
    *,
    slots: bool = False,
    drivable: Sequence[bool] = (),
) -> float:
    """The search time :func:`solve_week` gives each day with stops in its first pass
    (``slots``: as when it keeps slots without signs already up; ``drivable``: the days
    a kept timetable still drives as published, which get less, see
    :func:`published_week`): what decides how good a day's routes get, so runs compare
    on equal terms only where it is equal (the same total limit gives a network of more
    stations less time a day)."""
    return _week_plan(problems, params, slots=slots, drivable=drivable)[2]


def _paid_cny(result: DayResult) -> float:
    """What a day pays beyond its trucks' cost: for arrivals off their slots and for
    deferred bookings (0 where a stop that must be served is left out)."""
    objective = result.objective_cny()
    return objective - result.cost_cny if math.isfinite(objective) else 0.0


def _hardest_day(chain: list[DayResult]) -> int | None:
    """The day of a base's week that runs the most trucks, then pays the most for
    arrivals off their slots; ``None`` where that is the first day, or where every day
    runs as many trucks and none pays (nothing to gain from routing it first)."""
    busy = [k for k, r in enumerate(chain) if r.problem.num_stops > 0]
    if not busy:
        return None

    def strain(k: int) -> tuple[int, float]:
        return (len(chain[k].routes), round(_paid_cny(chain[k]), 6))

    hardest = max(busy, key=strain)  # the first of equals
    flat = all(len(chain[k].routes) == len(chain[hardest].routes) for k in busy)
    if hardest == busy[0] or (flat and strain(hardest)[1] == 0):
        return None
    return hardest


def _week_rank(chain: list[DayResult]) -> tuple[int, float]:
    """Order of weeks of a base: fewer stops left out that must be served, then what the
    week costs with the fleet it needs (each group's most trucks on a day at their day
    rate on every day, the routes' running cost, and what the days pay for arrivals off
    their slots and for deferred bookings)."""
    day_rates = [g.vehicle.fixed_cost_cny_per_day for g in chain[0].problem.groups()]
    most = [0] * len(day_rates)
    running = 0.0
    for r in chain:
        used = r.trucks_by_group()
        most = [max(a, b) for a, b in zip(most, used, strict=True)]
        fixed = sum(n * rate for n, rate in zip(used, day_rates, strict=True))
        running += r.cost_cny - fixed + _paid_cny(r)
    fleet = len(chain) * sum(n * rate for n, rate in zip(most, day_rates, strict=True))
    return sum(r.unserved() for r in chain), running + fleet


Rounds = list[tuple[str, str, list[tuple[str, int, float]]]]
"""A day's published rounds: per truck, its id, vehicle type (``""``: any) and stops in
order as ``(point_id, trip, arrival_min)`` (see
:attr:`recyclenet.inputs.KeptTimetable.rounds`)."""


def published_day(problem: DayProblem, rounds: Rounds) -> DayResult | None:
    """The day driven as published: each of the base's published trucks (those whose
    first stop is one of the day's points) visits its stops in their published order,
    unloading where its trip changes, and waits for each stop's slot (within the
    tolerance, as the engines do). Of a point's loads that day, a stop is the one whose
    slot lies nearest its published arrival.

    ``None`` where that is not a plan of the day any more: a stop of the day on no round
    or a round's stop no longer on the day (visits or loads changed), more trucks of a
    type than the day has, a lunch break to place, or any rule broken
    (:func:`~recyclenet.routing.check_day`: loads grown past a truck, longer stays past
    the shift or a point's hours).
    """
    if problem.lunch is not None:
        return None
    ours = set(problem.stop_ids)
    free: dict[str, list[int]] = {}
    for j, (pid, _) in enumerate(_occurrences(problem.stop_ids)):
        free.setdefault(pid, []).append(j)
    slot = problem.slot_min if problem.slot_min is not None else np.full(problem.num_stops, np.nan)
    groups = problem.groups()
    left = [g.count for g in groups]
    unload = unload_code(problem.unload_at[0])
    plans: list[tuple[list[int], int]] = []
    for _, vehicle_type, stops in rounds:
        if not stops or stops[0][0] not in ours:
            continue  # another base's truck
        order: list[int] = []
        for k, (pid, trip, arrival) in enumerate(stops):
            if not free.get(pid):
                return None
            if k and trip != stops[k - 1][1]:
                order.append(unload)
            nearest = min(free[pid], key=lambda j: abs(np.nan_to_num(slot[j] - arrival)))
            free[pid].remove(nearest)
            order.append(nearest)
        g = next(
            (
                g
                for g, group in enumerate(groups)
                if left[g] > 0 and vehicle_type in ("", group.vehicle.vehicle_type)
            ),
            None,
        )
        if g is None:
            return None
        left[g] -= 1
        if groups[g].depot not in problem.unload_at:
            order.append(unload)  # (the trip home ends at the unload site)
        plans.append((order, g))
    if any(free.values()):
        return None
    routes = [
        timed_route(
            problem,
            order,
            group=g,
            engine_arrival_min=[slot[j] if j >= 0 else np.nan for j in order],
        )
        for order, g in plans
    ]
    result = day_result(problem, routes, "published", 0.0, [g for _, g in plans])
    return None if check_day(result) else result


def _best_mix(routed: list[DayResult], driven: list[DayResult | None]) -> list[DayResult]:
    """A base's best week (:func:`_week_rank`) of its days each taken as routed or, where
    it can still be driven so (``driven``, see :func:`published_day`), as published; of
    weeks that rank alike, the one with the most days as published (the drivers' and
    residents' week changes least). Every choice is tried: a week has at most 7 days."""
    can = [(k, d) for k, d in enumerate(driven) if d is not None]
    best: tuple[tuple[int, float, int], list[DayResult]] | None = None
    for taken in itertools.product((False, True), repeat=len(can)):
        week = list(routed)
        for (k, as_published), take in zip(can, taken, strict=True):
            if take:
                week[k] = as_published
        lost, cost = _week_rank(week)
        key = (lost, round(cost, 6), -sum(taken))
        if best is None or key < best[0]:
            best = (key, week)
    assert best is not None
    return best[1]


def published_week(
    problems: list[DayProblem],
    published: dict[str, Rounds] | None,
    *,
    slot_tolerance_min: float | None = None,
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN,
    kept_signs: dict[tuple[str, int], float] | None = None,
    kept_day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> list[DayResult | None]:
    """Each day driven as its published rounds drive it (see :func:`published_day`),
    with its points aiming at their kept signs; ``None`` where the rounds no longer
    drive it, or there are none: :func:`solve_week`'s ``as_published``. ``published``,
    by day label: the rounds of the published trucks; the other arguments as
    :func:`solve_week`'s."""
    rounds = published or {}
    if not rounds:
        return [None] * len(problems)
    signs = kept_signs or {}
    if slot_tolerance_min is not None and signs:
        problems = [
            _with_slots(d, signs, slot_tolerance_min, slot_penalty_cny_per_min, kept_day_signs)
            for d in problems
        ]
    return [published_day(d, rounds.get(d.day, [])) for d in problems]


def solve_week(
    problems: list[DayProblem],
    params: RoutingParams,
    progress: Callable[[int, int], None] | None = None,
    *,
    slot_tolerance_min: float | None = None,
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN,
    kept_signs: dict[tuple[str, int], float] | None = None,
    as_published: Sequence[DayResult | None] = (),
    kept_day_signs: dict[tuple[str, str], tuple[float, ...]] | None = None,
) -> list[DayResult]:
    """Solve every base-day; bases run in parallel processes when ``params.workers > 1``.

    With ``slot_tolerance_min`` a point visited on several days is asked to arrive within
    that many minutes of its first arrival of the week (its published slot), day after
    day; each minute beyond costs ``slot_penalty_cny_per_min``. ``kept_signs``, by
    ``(point_id, load)``: times already on the signs, which every day aims at instead;
    ``kept_day_signs``: the times each weekday's visits kept (see :func:`_with_slots`).

    The first day a point is visited sets its slot, so the order of the days matters: a
    later day may inherit slots, set by different routes on different days, that its
    trucks cannot all keep. With slots and no signs already up, the first pass gets half
    of the limit; each base whose hardest day (see :func:`_hardest_day`) is not its first
    is then routed again in the same calendar rotation starting from that day, in the
    time left, and keeps the better week (:func:`_week_rank`). Measured on the Cuiping
    default (2026-11-24, 10 s a day): the two rural stations ran 2 trucks Monday to
    Friday and 3 on Saturday; starting from Saturday, 2 every day; of the urban ones,
    one went from 5 to 4 trucks and the other from 4 to 5 (so it kept its first week).

    ``as_published``, per day: the day as the published trucks of a kept timetable drive
    it, ``None`` where they no longer can (see :func:`published_week`). Each day of a
    base that can still be driven as published is kept so where the week does not rank
    worse (:func:`_best_mix`): re-planning never asks for more trucks, or more arrivals
    off their signs, than the published days that still work, and a day that no longer
    works (a shorter shift, a grown load) is routed again alone, not with its whole
    week. A day the published rounds still drive is routed with :data:`PUBLISHED_SHARE`
    of the time of one they no longer drive, which gets the rest.

    Measured on the Cuiping default re-planned (2026-11-24, 240 s, one run each). With a
    shift ending at 17:00 instead of 17:30: one day of the 安阜 station breaks, the five
    others are kept as published (before: none), and the 金秋湖 station keeps all six
    (before: the four its routing found again); 14 trucks and 5.56 M CNY/yr either way;
    with the time shares, 40 s instead of 20 s a day for the days routed again, and 13
    trucks, 5.42 M once route elimination tried one truck more than its estimate (see
    :mod:`~recyclenet.routing.elimination`). With a 25 min dwell instead of 30: 12
    trucks as published, every visit within 15 min of its sign; with the time shares, 22
    of the 24 station-days kept as published (11 with equal time), 12 trucks, 5.28 M
    either way. Before a day's loads aimed at that day's own times (``kept_day_signs``)
    rather than at the sign's times in order, the routed week needed 14 trucks and the
    published one ranked far off its signs at the urban stations, whose points collect
    several loads a day.
    """
    start = time.perf_counter()
    cap_at = time.time() + params.time_limit_s  # (work mode: the safety cap)
    second_pass = slot_tolerance_min is not None and not kept_signs
    signs = dict(kept_signs or {}) if slot_tolerance_min is not None else {}
    day_signs = dict(kept_day_signs or {}) if signs else {}
    driven = list(as_published) or [None] * len(problems)
    drivable = [d is not None for d in driven]
    chains, workers, per_day, shares = _week_plan(
        problems, params, slots=second_pass, drivable=drivable
    )
    results: list[DayResult | None] = [None] * len(problems)
    done = 0

    def run(orders: list[list[int]], limit: float) -> Iterator[list[DayResult]]:
        """Each base's days routed in the order given, as each base is done, a day
        getting its share (:func:`_day_shares`) of ``limit``."""
        jobs = [
            (
                [problems[i] for i in idx],
                params,
                [limit * shares[i] for i in idx],
                slot_tolerance_min,
                slot_penalty_cny_per_min,
                signs,
                day_signs,
                cap_at,
            )
            for idx in orders
        ]
        if workers == 1 or len(jobs) == 1:
            yield from map(_solve_chain, jobs)
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                yield from pool.map(_solve_chain, jobs)

    again: list[list[int]] = []
    for idx, chain in zip(chains.values(), run(list(chains.values()), per_day), strict=True):
        for i, res in zip(idx, chain, strict=True):
            results[i] = res
        if second_pass and (k := _hardest_day(chain)) is not None:
            again.append(idx[k:] + idx[:k])
        done += len(idx)
        if progress:
            progress(done, len(problems))
    left = params.time_limit_s - (time.perf_counter() - start)
    if params.work_per_day is not None:  # work mode: each day of the pass its budget
        left = params.work_per_day
    if again and left > 0:
        total = len(problems) + sum(len(order) for order in again)
        if progress:
            progress(done, total)
        busy = [sum(shares[i] for i in order if problems[i].num_stops > 0) for order in again]
        in_turn = _busy_days_in_turn(busy, max(1, min(workers, len(again))))
        per_day = left if params.work_per_day is not None else left / (in_turn or 1.0)
        for order, chain in zip(again, run(again, per_day), strict=True):
            before = [results[i] for i in order]
            if _week_rank(chain) < _week_rank([r for r in before if r is not None]):
                for i, res in zip(order, chain, strict=True):
                    results[i] = res
            done += len(order)
            if progress:
                progress(done, total)
    for idx in chains.values() if any(drivable) else ():
        routed = [r for r in (results[i] for i in idx) if r is not None]
        if len(routed) == len(idx):
            for i, res in zip(idx, _best_mix(routed, [driven[i] for i in idx]), strict=True):
                results[i] = res
    week = [r for r in results if r is not None]
    floor = params.floor_work_per_day
    if floor is not None and params.work_per_day is not None and floor < params.work_per_day:
        smaller = solve_week(
            problems,
            replace(params, work_per_day=floor, floor_work_per_day=None),
            slot_tolerance_min=slot_tolerance_min,
            slot_penalty_cny_per_min=slot_penalty_cny_per_min,
            kept_signs=kept_signs,
            as_published=as_published,
            kept_day_signs=kept_day_signs,
        )
        for idx in chains.values():  # each base's better week, the larger budget's on a tie
            if _week_rank([smaller[i] for i in idx]) < _week_rank([week[i] for i in idx]):
                for i in idx:
                    week[i] = smaller[i]
    return week
