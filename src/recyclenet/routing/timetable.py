"""The week's plan as people read it: the timetable, the signs, the hauls to the centre."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.clock import min_to_hhmm
from recyclenet.routing.problem import Vehicle
from recyclenet.routing.result import DayResult
from recyclenet.routing.schedule import (
    PointVisits,
)
from recyclenet.routing.signs import SignLine, sign_lines


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
        on the point's sign for this visit's line: see :mod:`recyclenet.routing.signs`),
        ``slot_min``,
        ``slot_deviation_min`` (this arrival minus the slot) and ``stop_idx`` (the stop
        in its day's problem).
        """
        stops, slot_min, _ = self._signed
        if stops.empty:
            return pd.DataFrame()
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

    @cached_property
    def _signed(self) -> tuple[pd.DataFrame, NDArray[np.float64], dict[str, list[SignLine]]]:
        """The week's stops (with ``_d``, the day's index), each stop's line time and each
        point's sign lines, worked out once for :meth:`timetable` and :meth:`signs`."""
        ev = self.events()
        if ev.empty:
            return pd.DataFrame(), np.zeros(0), {}
        stops = ev[ev["kind"] == "stop"].reset_index(drop=True)
        order = {d: i for i, d in enumerate(self.working_days)}
        stops["_d"] = stops["day"].map(order)
        slot_min = np.full(len(stops), np.nan)
        lines: dict[str, list[SignLine]] = {}
        for pid, rows in stops.groupby("site_id").indices.items():
            lines[str(pid)], slot_min[rows] = sign_lines(
                stops["_d"].to_numpy(np.int64)[rows],
                stops["arrival_min"].to_numpy(float)[rows],
                stops["departure_min"].to_numpy(float)[rows],
                self.working_days,
                self.slot_tolerance_min,
                self.kept_times(str(pid)),
            )
        return stops, slot_min, lines

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
        lines = self._signed[2]
        rows = [
            {
                "point_id": str(pid),
                "days": ";".join(line.days),
                "time": min_to_hhmm(line.time_min),
                "time_min": line.time_min,
                "stay_min": line.stay_min,
            }
            for pid in (tt["point_id"].unique() if not tt.empty else [])
            for line in lines[str(pid)]
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
