"""The dispatcher's day: a planned network's published stops plus today's bookings.

``recyclenet run`` publishes a weekly timetable. Each morning (or the evening before) a
dispatcher adds the day's booked door pickups: :func:`load_planned` reads the run's output
folder, :func:`plan_dispatch` routes every station's trucks for the day with each
published stop held within ``routing.slot_tolerance_min`` of both its planned arrival and
the time on its sign (hard windows: residents are waiting at the sign; a planned arrival
that lies further from the sign stays allowed) and each booking in its own window; bookings
that do not fit are deferred at ``routing.booking_defer_penalty_cny`` each, with the
reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recyclenet.bookings import BookingTable
from recyclenet.config import (
    RoutingConfig,
    min_to_hhmm,
    parse_clock,
)
from recyclenet.outputs.i18n import t
from recyclenet.planned import PlannedNetwork, load_planned  # (re-exported: load_planned)
from recyclenet.replan import (
    TruckNow,
    groups_now,
    position_row,
    station_trucks_now,
    stop_order,
)
from recyclenet.routing import (
    DayProblem,
    DayResult,
    RoutingParams,
    TruckGroup,
    solve_week,
)
from recyclenet.routing.budget import WORK_PER_DAY
from recyclenet.routing.plan import own_matrices
from recyclenet.routing.result import STANDING
from recyclenet.routing.rights import RoadRights, road_rights
from recyclenet.travel import travel_model


def _published_window(
    arrival_min: float,
    slot_min: float,
    tol: float,
    *,
    hours: tuple[float, float] = (np.nan, np.nan),
    dwell_min: float = 0.0,
) -> dict[str, float]:
    """A published stop's hard window for the day: within ``tol`` of its planned arrival
    and of its sign's time, within the point's ``hours`` (opening, closing; the truck
    leaves by the closing; NaN: the shift's), and never closed to the planned arrival
    itself."""
    opens = max(arrival_min, slot_min) - tol
    closes = min(arrival_min, slot_min) + tol
    if np.isfinite(hours[0]):
        opens = max(opens, hours[0])
    if np.isfinite(hours[1]):
        closes = min(closes, hours[1] - dwell_min)
    return {"open": min(arrival_min, opens), "close": max(arrival_min, closes)}


@dataclass(frozen=True)
class Dispatch:
    """The day's routes of every station.

    Attributes
    ----------
    network
        The planned network.
    day
        The day planned.
    bookings
        The bookings table as read (accepted and rejected rows).
    days
        One routed day per station with stops.
    stops
        One row per stop of every station's day, in problem order: ``station_id``,
        ``stop_idx``, ``stop_id``, ``kind`` (``published`` | ``booking`` | ``position``:
        where a truck is when the day is re-planned, see :mod:`recyclenet.replan`), ``point_id``,
        ``booking_id``, ``name`` (the point's), ``lon``, ``lat``, ``deliver_kg``,
        ``deliver_m3`` (a new appliance brought to a booking, 送新收旧; 0 elsewhere),
        ``published_arrival``, ``sign``.
    """

    network: PlannedNetwork
    day: str
    bookings: BookingTable
    days: tuple[DayResult, ...]
    stops: pd.DataFrame

    def stop_labels(self, lang: str = "zh") -> pd.Series:
        """Each stop's label, aligned with :attr:`stops`: a published stop's point name; a
        booking's id, whether it brings a new appliance, and its point, e.g.
        ``预约 B1（送新收旧）· 村委会`` (``Booking B1 (deliver new, collect old) · ...``)."""
        s = self.stops
        swap = (s["deliver_kg"] > 0) | (s["deliver_m3"] > 0)
        booking = [
            t("dispatch.booking_stop", lang).format(
                id=b, swap=t("dispatch.swap", lang) if sw else "", point=name
            )
            for b, sw, name in zip(s["booking_id"], swap, s["name"], strict=True)
        ]
        position = [t("dispatch.position", lang).format(point=name) for name in s["name"]]
        out = s["name"].where(s["kind"] != "booking", pd.Series(booking, index=s.index))
        return out.where(s["kind"] != "position", pd.Series(position, index=s.index))

    def events(self, lang: str = "zh") -> pd.DataFrame:
        """Every event of every truck with names in ``lang`` (see
        :meth:`DayResult.events`)."""
        frames = [d.events() for d in self.days if d.routes]
        if not frames:
            return pd.DataFrame()
        ev = pd.concat(frames, ignore_index=True)
        info = self.stops.assign(name=self.stop_labels(lang)).set_index(["station_id", "stop_idx"])
        names = self.network.site_names()
        kind, name, booking, sign = [], [], [], []
        for base, kind_, idx, site in zip(
            ev["base_id"], ev["kind"], ev["stop_idx"], ev["site_id"], strict=True
        ):
            if kind_ == "stop":
                row = info.loc[(base, idx)]
                kind.append(row["kind"])
                name.append(row["name"])
                booking.append(row["booking_id"])
                sign.append(row["sign"])
            else:  # (standing for a break or no-driving hours: where the truck is)
                kind.append("")
                name.append("" if kind_ in STANDING else names.get(site, site))
                booking.append("")
                sign.append("")
        ev = ev.assign(stop_kind=kind, name=name, booking_id=booking, sign=sign)
        # A truck re-planned on the road starts where it is: its drive there from home
        # (see recyclenet.replan) is not driven.
        on_road = ev.loc[ev["stop_kind"] == "position", ["base_id", "truck"]]
        if on_road.empty:
            return ev
        keys = set(zip(on_road["base_id"], on_road["truck"], strict=True))
        mine = [k in keys for k in zip(ev["base_id"], ev["truck"], strict=True)]
        here = (ev["stop_kind"] == "position").to_numpy()
        ev.loc[here, "distance_km"] = 0.0
        ev.loc[here, ["collected_kg", "collected_m3"]] = 0.0  # (on board already)
        ev.loc[here, "kind"] = "position"
        point_of = info["point_id"]
        ev.loc[here, "site_id"] = [
            str(point_of.loc[(b, i)])
            for b, i in zip(ev.loc[here, "base_id"], ev.loc[here, "stop_idx"], strict=True)
        ]
        drop = np.asarray(mine) & (ev["kind"] == "start").to_numpy()
        return ev.loc[~drop].reset_index(drop=True)

    def deferred(self) -> pd.DataFrame:
        """Bookings not served today, with the reason.

        Columns: ``booking_id``, ``row``, ``line`` (``row + 1``), ``point_id``,
        ``reason``, ``reason_zh``.
        """
        rows = []
        accepted = self.bookings.accepted.set_index("booking_id")
        info = self.stops.set_index(["station_id", "stop_idx"])
        for d in self.days:
            p = d.problem
            dur = p.duration_min()
            lo, hi = p.windows_min()
            for j in d.dropped:
                stop = info.loc[(p.base_id, j)]
                if stop["kind"] != "booking":
                    continue
                bid = stop["booking_id"]
                home = p.site_node(p.groups()[0].depot)  # where the trucks are kept
                out_min = p.shift_start_min + dur[home, j + 1]
                arrive = max(out_min, lo[j])
                back = arrive + p.dwell_min[j] + dur[j + 1, 0] + p.unload_min + dur[0, home]
                if arrive > hi[j] + 1e-6 or back > p.shift_end_min + 1e-6:
                    reason = (
                        f"none of the station's trucks can reach it in its window "
                        f"{min_to_hhmm(lo[j])}-{min_to_hhmm(hi[j])} and be back by the shift end "
                        f"(earliest arrival {min_to_hhmm(out_min)})"
                    )
                    reason_zh = (
                        f"本站车辆无法在时间窗 {min_to_hhmm(lo[j])}-{min_to_hhmm(hi[j])} 内到达"
                        f"并在下班前返回（最早 {min_to_hhmm(out_min)} 到达）"
                    )
                else:
                    reason = (
                        f"the station's {p.num_vehicles} trucks are full in that window "
                        "(published stops keep their times)"
                    )
                    reason_zh = f"中转站 {p.num_vehicles} 辆车在该时段已满（已公布站点时间不变）"
                rows.append(
                    {
                        "booking_id": bid,
                        "row": int(accepted.loc[bid, "row"]),
                        "line": int(accepted.loc[bid, "row"]) + 1,
                        "point_id": stop["point_id"],
                        "reason": reason,
                        "reason_zh": reason_zh,
                    }
                )
        return pd.DataFrame(
            rows, columns=["booking_id", "row", "line", "point_id", "reason", "reason_zh"]
        )

    def off_sign(self) -> pd.DataFrame:
        """Published stops that cannot keep the time on their sign today: no truck serves
        them, or the truck comes more than the tolerance away from it.

        Columns: ``station_id``, ``point_id``, ``name``, ``sign`` (HH:MM), ``expected``
        (HH:MM, empty where no truck serves it) and ``minutes_off`` (arrival minus sign;
        NaN where not served).
        """
        tol = float(self.network.scenario.routing.slot_tolerance_min)
        info = self.stops.set_index(["station_id", "stop_idx"])
        rows = []
        for d in self.days:
            arrival = {
                e.stop_idx: e.arrival_min for route in d.routes for e in route if e.kind == "stop"
            }
            for j in range(d.problem.num_stops):
                r = info.loc[(d.problem.base_id, j)]
                sign = parse_clock(str(r["sign"])) if r["kind"] == "published" else None
                if sign is None:
                    continue
                at = arrival.get(j)
                if at is not None and abs(at - sign) <= tol + 0.5:
                    continue
                rows.append(
                    {
                        "station_id": d.problem.base_id,
                        "point_id": str(r["point_id"]),
                        "name": str(r["name"]),
                        "sign": str(r["sign"]),
                        "expected": min_to_hhmm(at) if at is not None else "",
                        "minutes_off": round(at - sign, 1) if at is not None else float("nan"),
                    }
                )
        columns = ["station_id", "point_id", "name", "sign", "expected", "minutes_off"]
        return pd.DataFrame(rows, columns=columns)

    def missed_published(self) -> list[tuple[str, str]]:
        """``(station_id, point_id)`` of published stops no truck could serve (should be none)."""
        info = self.stops.set_index(["station_id", "stop_idx"])
        return [
            (d.problem.base_id, str(info.loc[(d.problem.base_id, j), "point_id"]))
            for d in self.days
            for j in d.dropped
            if info.loc[(d.problem.base_id, j), "kind"] == "published"
        ]


def _published_start(
    published: pd.DataFrame, groups: list[TruckGroup], types: list[str]
) -> list[tuple[int, ...]]:
    """The published day as the starting plan: each truck's stops in order, an unload
    between trips; trucks listed group by group as the model numbers them."""
    per_group: list[list[tuple[int, ...]]] = [[] for _ in groups]
    rank = {vt: g for g, vt in enumerate(types)}
    for _, truck in published.assign(_i=np.arange(len(published))).groupby("truck"):
        per_group[rank.get(truck["vehicle_type"].iloc[0], 0)].append(stop_order(truck))
    return [
        route
        for g, group in enumerate(groups)
        for route in (per_group[g] + [()] * group.count)[: group.count]
    ]


def _stop_rows(
    published: pd.DataFrame,
    booked: pd.DataFrame,
    states: list[TruckNow] | None,
    points: pd.DataFrame,
    rc: RoutingConfig,
) -> list[dict[str, Any]]:
    """A station's stops of the day: its published stops (at their signs), its bookings
    (in their windows, at the door where given), and where each truck is (re-planning)."""
    tol = rc.slot_tolerance_min
    rows = []
    for _, r in published.iterrows():
        pos = points.loc[r["point_id"]]
        rows.append(
            {
                "kind": "published",
                "stop_id": r["point_id"],
                "point_id": r["point_id"],
                "booking_id": "",
                "name": pos["name"],
                "lon": float(pos["lon"]),
                "lat": float(pos["lat"]),
                "kg": float(r["expected_kg"]),
                "m3": float(r["expected_m3"]),
                "deliver_kg": 0.0,
                "deliver_m3": 0.0,
                "dwell": float(rc.dwell_min),
                **_published_window(
                    r["arrival_min"],
                    r["slot_min"],
                    tol,
                    hours=(float(pos["open_min"]), float(pos["close_min"])),
                    dwell_min=float(rc.dwell_min),
                ),
                "penalty": np.inf,
                "published_arrival": r["arrival"],
                "sign": min_to_hhmm(r["slot_min"]),
            }
        )
    for _, b in booked.iterrows():
        pos = points.loc[b["point_id"]]
        at_door = np.isfinite(b["lon"])
        rows.append(
            {
                "kind": "booking",
                "stop_id": b["booking_id"],
                "point_id": b["point_id"],
                "booking_id": b["booking_id"],
                "name": pos["name"],
                "lon": float(b["lon"] if at_door else pos["lon"]),
                "lat": float(b["lat"] if at_door else pos["lat"]),
                "kg": float(b["kg"]),
                "m3": float(b["m3"]),
                "deliver_kg": float(b["deliver_kg"]),
                "deliver_m3": float(b["deliver_m3"]),
                "dwell": float(b["handling_min"]),
                "open": float(b["window_open_min"]),
                "close": float(b["window_close_min"]),
                "penalty": float(rc.booking_defer_penalty_cny),
                "published_arrival": "",
                "sign": "",
            }
        )
    for state in states or []:
        if state.point_id is not None:
            rows.append(position_row(state, points.loc[state.point_id]))
    return rows


def _station_day(
    network: PlannedNetwork,
    st: pd.Series,
    frame: pd.DataFrame,
    published: pd.DataFrame,
    states: list[TruckNow] | None,
    travel: Any,
    day: str,
    start: float,
) -> DayProblem:
    """One station's day as a routing problem: its fleet (the trucks of its published
    week by type) with their road rights, the matrices, the published plan (or where
    each truck is) as the start, bookings optional at their defer penalty."""
    rc = network.scenario.routing
    sid = st["site_id"]
    # The station's fleet: the trucks of its published week by type (the scenario's
    # fleet for a station without a published day).
    counts = network.trucks_by_type.get(sid) or rc.fleet_counts()
    types = [vt for vt in rc.fleet_counts() if counts.get(vt, 0) > 0] or [
        next(iter(rc.fleet_counts()))
    ]
    stop_rights = road_rights(
        rc.road_rules,
        pd.DataFrame({"point_id": frame["stop_id"], "lon": frame["lon"], "lat": frame["lat"]}),
    )
    # Trucks kept away from the station: one more node, after the stops.
    kept = st["keeper_id"] != sid
    all_lon = np.r_[float(st["lon"]), frame["lon"].to_numpy(float)]
    all_lat = np.r_[float(st["lat"]), frame["lat"].to_numpy(float)]
    labels = [sid, *frame["stop_id"].astype(str)]
    if kept:
        all_lon = np.r_[all_lon, float(st["keeper_lon"])]
        all_lat = np.r_[all_lat, float(st["keeper_lat"])]
        labels.append(str(st["keeper_id"]))
    matrix = travel.matrix(all_lon, all_lat, profile=network.vehicle.vehicle_type, labels_a=labels)
    own = own_matrices(
        travel,
        all_lon,
        all_lat,
        labels,
        [network.vehicles[vt] for vt in types],
        main=network.vehicle,
        road=matrix.time_min is not None,
    )
    groups = []
    for vt, mats in zip(types, own, strict=True):
        r = stop_rights.get(vt, RoadRights())
        ok = r.can_serve(frame["stop_id"]) & r.can_serve(frame["point_id"])
        groups.append(
            TruckGroup(
                network.vehicles[vt],
                max(1, counts.get(vt, 0)),
                depot=1 if kept else 0,
                earliest_min=r.earliest_min,
                latest_min=r.latest_min,
                bans_min=r.bans_min,
                can_serve=None if ok.all() else ok,
                distance_km=None if mats is None else mats[0],
                time_min=None if mats is None else mats[1],
            )
        )
    if states is not None:
        groups, initial = groups_now(
            states,
            frame,
            published,
            {vt: g for vt, g in zip(types, groups, strict=True)},
            matrix.duration_min(network.vehicle.speed_kmh),
            home=len(frame) + 1 if kept else 0,
        )
        shift_start = min([start, *(g.earliest_min or start for g in groups)])
    else:
        initial = _published_start(published, groups, types)
        shift_start = start
    # Published stops must be served: a penalty far above any day's cost.
    penalty = frame["penalty"].to_numpy(float, copy=True)
    penalty[~np.isfinite(penalty)] = 1e7
    # New appliances (送新收旧) are loaded at the station when a trip starts.
    delivers = bool((frame[["deliver_kg", "deliver_m3"]].to_numpy() > 0).any())
    return DayProblem(
        base_id=sid,
        day=day,
        stop_ids=tuple(frame["stop_id"].astype(str)),
        load_kg=frame["kg"].to_numpy(float),
        load_m3=frame["m3"].to_numpy(float),
        deliver_kg=frame["deliver_kg"].to_numpy(float) if delivers else None,
        deliver_m3=frame["deliver_m3"].to_numpy(float) if delivers else None,
        dwell_min=frame["dwell"].to_numpy(float),
        distance_km=matrix.distance_km,
        time_min=matrix.duration_min(network.vehicle.speed_kmh)
        if matrix.time_min is not None
        else None,
        vehicle=groups[0].vehicle,
        num_vehicles=groups[0].count,
        fleet=tuple(groups),
        shift_start_min=shift_start,
        shift_end_min=float(rc.shift_end_min),
        unload_min=float(rc.unload_min),
        max_fill=float(rc.max_fill),
        window_open_min=frame["open"].to_numpy(float),
        window_close_min=frame["close"].to_numpy(float),
        defer_penalty_cny=penalty,
        lunch=rc.lunch.as_minutes() if rc.lunch is not None else None,
        initial_routes=tuple(initial) if any(initial) else None,
        sites=(str(st["keeper_id"]),) if kept else (),
    )


def plan_dispatch(
    network: PlannedNetwork,
    bookings: BookingTable,
    day: str,
    *,
    time_limit_s: float,
    earliest_min: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Dispatch:
    """Route the day: published stops near their times, bookings in their windows.

    Parameters
    ----------
    network
        From :func:`load_planned`.
    bookings
        From :func:`recyclenet.bookings.read_bookings`, for ``day``.
    day
        The day planned.
    time_limit_s
        A wall-clock safety cap for all stations together: the search itself is counted
        in work (the scenario's ``solver.effort``), so the same day plans the same way on
        any machine load; a station-day the cap cuts short says so
        (:attr:`~recyclenet.routing.DayResult.capped`).
    earliest_min
        Now, when re-planning during the day: no window opens earlier (published stops
        that are already past are left out). ``None``: the whole shift.
    progress
        Called with (stations routed, stations) as their days are solved.
    """
    sc = network.scenario
    rc = sc.routing
    tol = rc.slot_tolerance_min
    start = float(
        rc.shift_start_min if earliest_min is None else max(earliest_min, rc.shift_start_min)
    )
    travel = travel_model(sc.network)
    points = network.points.set_index("site_id")
    week_tt = network.timetable
    tt = week_tt[week_tt["day"] == day]
    if earliest_min is None:
        tt = tt[tt["arrival_min"] + tol >= start]
    problems: list[DayProblem] = []
    stop_rows: list[dict] = []
    for _, st in network.stations.iterrows():
        sid = st["site_id"]
        published = tt[tt["station_id"] == sid]
        booked = bookings.accepted[bookings.accepted["point_id"].map(points["station_id"]) == sid]
        states: list[TruckNow] | None = None
        if earliest_min is not None:  # re-planning: each truck where the plan has it now
            states = station_trucks_now(network, st, published, week_tt, start, travel)
            published = published.drop(index=[i for s in states for i in s.frozen])
            if published.empty and booked.empty:
                continue
        elif published.empty and booked.empty:
            continue
        rows = _stop_rows(published, booked, states, points, rc)
        frame = pd.DataFrame(rows)
        problems.append(_station_day(network, st, frame, published, states, travel, day, start))
        frame = frame.assign(station_id=sid, stop_idx=np.arange(len(frame)))
        stop_rows.extend(frame.to_dict("records"))
    params = RoutingParams(
        time_limit_s=time_limit_s,
        workers=sc.solver.workers,
        engine=sc.solver.routing_engine,
        seed=sc.solver.seed,
        work_per_day=WORK_PER_DAY[sc.solver.effort],
    )
    results = solve_week(problems, params, progress=progress)
    columns = ["station_id", "stop_idx", "stop_id", "kind", "point_id", "booking_id", "name"]
    columns += ["lon", "lat", "deliver_kg", "deliver_m3", "published_arrival", "sign"]
    stops = pd.DataFrame(stop_rows)
    stops = stops[columns] if len(stops) else pd.DataFrame(columns=columns)
    return Dispatch(network, day, bookings, tuple(results), stops)


__all__ = ["Dispatch", "PlannedNetwork", "load_planned", "plan_dispatch"]
