"""Where each truck is at a time of the published day, for re-planning during the day.

``recyclenet route --now HH:MM`` re-plans from where the published plan has each truck
at that time. The conventions a dispatcher works with:

* a stop a truck has reached is served (frozen); so is the stop it is driving to (it is
  committed: drivers are not turned round between two stops);
* a truck at or committed to a stop carries what its trip has collected so far and can
  leave when that stop is done (its planned departure);
* a truck whose trip is over is on its way to unload: it is empty and free at its
  station once unloaded; a truck whose first stop is not yet due waits at home.

In the day model a truck on the road is a truck of its own that leaves home just in time
to be at a **position stop** (its current stop, with its load on board, served by it
alone, at exactly the time it can leave there); the drive home-to-position is not
driven and is taken out of the route sheets and the distances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.config import min_to_hhmm
from recyclenet.routing.problem import TruckGroup

if TYPE_CHECKING:
    from recyclenet.planned import PlannedNetwork

POSITION_SLACK_MIN = 1.0
"""A position stop's window: from the time the truck can leave there to this much later
(an exact window breaks on the models' rounding; no other stop fits before it in a
minute)."""


@dataclass(frozen=True)
class TruckNow:
    """One truck at the re-planning time.

    Attributes
    ----------
    truck, vehicle_type
        The truck's id in the published plan and its type.
    point_id
        The point it is at or driving to (``None``: at its station or home).
    ready_min
        When it can leave there (its planned departure), or be at its station unloaded.
    load_kg, load_m3
        What it has on board (its trip's stops so far).
    frozen
        Row labels of the published timetable it has served or is committed to.
    trip
        The published trip it is on (``None``: none).
    """

    truck: str
    vehicle_type: str
    point_id: str | None
    ready_min: float
    load_kg: float
    load_m3: float
    frozen: tuple[int, ...]
    trip: int | None = None


def trucks_now(
    day_rows: pd.DataFrame,
    trucks: dict[str, str],
    now_min: float,
    *,
    out_min: Callable[[str], float],
    back_min: Callable[[str], float],
    station_out_min: Callable[[str], float] | None = None,
) -> list[TruckNow]:
    """Each of a station's ``trucks`` (id -> type) at ``now_min`` on a published day.

    ``day_rows``: the station's timetable rows of the day (``truck``, ``point_id``,
    ``trip``, ``arrival_min``, ``departure_min``, ``expected_kg``, ``expected_m3``).
    ``out_min(point)``: minutes from where the trucks start to the point;
    ``back_min(point)``: from the point to the station, unloaded;
    ``station_out_min(point)``: from the station to the point (default ``out_min``).
    """
    station_out_min = station_out_min or out_min
    out = []
    for truck, vtype in sorted(trucks.items()):
        rows = day_rows[day_rows["truck"] == truck].sort_values("arrival_min")
        if rows.empty:
            out.append(TruckNow(truck, vtype, None, now_min, 0.0, 0.0, ()))
            continue
        reached = rows[rows["arrival_min"] <= now_min + 1e-9]
        upcoming = rows[rows["arrival_min"] > now_min + 1e-9]
        if reached.empty:
            first = rows.iloc[0]
            if first["arrival_min"] - out_min(str(first["point_id"])) > now_min + 1e-9:
                out.append(TruckNow(truck, vtype, None, now_min, 0.0, 0.0, ()))
                continue
            reached = rows.iloc[:1]  # on its way to its first stop: committed
        last = reached.iloc[-1]
        if last["departure_min"] <= now_min + 1e-9 and not upcoming.empty:
            following = upcoming.iloc[0]
            # driving to its next stop (through the station, on a new trip): committed
            leaves = float(last["departure_min"])
            if following["trip"] != last["trip"]:
                leaves = following["arrival_min"] - station_out_min(str(following["point_id"]))
            if leaves <= now_min + 1e-9:
                reached = rows.loc[[*reached.index, following.name]]
                last = following
        frozen = tuple(int(i) for i in reached.index)
        if last["departure_min"] <= now_min + 1e-9:  # its trip is done: unloading
            ready = max(now_min, float(last["departure_min"]) + back_min(str(last["point_id"])))
            out.append(TruckNow(truck, vtype, None, ready, 0.0, 0.0, frozen))
            continue
        trip = reached[reached["trip"] == last["trip"]]
        out.append(
            TruckNow(
                truck,
                vtype,
                str(last["point_id"]),
                float(last["departure_min"]),
                float(trip["expected_kg"].sum()),
                float(trip["expected_m3"].sum()),
                frozen,
                int(last["trip"]),
            )
        )
    return out


def station_trucks_now(
    network: PlannedNetwork,
    st: pd.Series,
    day_rows: pd.DataFrame,
    week: pd.DataFrame,
    now_min: float,
    travel: Any,
) -> list[TruckNow]:
    """The station's trucks (those of its published week) where the plan has them at
    ``now_min`` (see the module docstring)."""
    rc = network.scenario.routing
    mine = week[week["station_id"] == st["site_id"]]
    trucks = dict(zip(mine["truck"].astype(str), mine["vehicle_type"].astype(str), strict=True))
    pts = network.points.set_index("site_id").loc[sorted(set(day_rows["point_id"]))]
    lon = np.r_[float(st["keeper_lon"]), float(st["lon"]), pts["lon"].to_numpy(float)]
    lat = np.r_[float(st["keeper_lat"]), float(st["lat"]), pts["lat"].to_numpy(float)]
    m = travel.matrix(lon, lat, profile=network.vehicle.vehicle_type)
    dur = m.duration_min(network.vehicle.speed_kmh)
    node = {pid: k + 2 for k, pid in enumerate(pts.index)}
    return trucks_now(
        day_rows,
        trucks,
        now_min,
        out_min=lambda pid: float(dur[0, node[pid]]),
        back_min=lambda pid: float(dur[node[pid], 1]) + float(rc.unload_min),
        station_out_min=lambda pid: float(dur[1, node[pid]]),
    )


def position_row(state: TruckNow, point: pd.Series) -> dict[str, Any]:
    """The stop that puts a truck on the road where it is (see the module docstring):
    at its point, with its load, at exactly the time it can leave there."""
    return {
        "kind": "position",
        "stop_id": f"{state.truck}@{min_to_hhmm(state.ready_min)}",
        "point_id": state.point_id,
        "booking_id": "",
        "name": point["name"],
        "lon": float(point["lon"]),
        "lat": float(point["lat"]),
        "kg": state.load_kg,
        "m3": state.load_m3,
        "deliver_kg": 0.0,
        "deliver_m3": 0.0,
        "dwell": 0.0,
        "open": state.ready_min,
        "close": state.ready_min + POSITION_SLACK_MIN,
        "penalty": np.inf,
        "published_arrival": "",
        "sign": "",
        "truck": state.truck,
    }


def groups_now(
    states: list[TruckNow],
    frame: pd.DataFrame,
    published: pd.DataFrame,
    by_type: dict[str, TruckGroup],
    time_min: NDArray[np.float64],
    *,
    home: int,
) -> tuple[list[TruckGroup], list[tuple[int, ...]]]:
    """One group of one truck per truck at the re-planning time, and the starting plan:
    a truck on the road leaves home just in time for its position stop, which it alone
    may serve; the others leave when they are free. The starting plan: each truck's
    position stop, then its published stops left."""
    is_position = (frame["kind"] == "position").to_numpy()
    owner = frame["truck"].astype(str).to_numpy() if "truck" in frame else None
    index_of = {sid: k for k, sid in enumerate(frame["stop_id"].astype(str))}
    groups, initial = [], []
    for state in states:
        base = by_type.get(state.vehicle_type) or next(iter(by_type.values()))
        ok = np.ones(len(frame), dtype=bool) if base.can_serve is None else base.can_serve.copy()
        if owner is not None:
            ok &= ~is_position | (owner == state.truck)
        first: tuple[int, ...] = ()
        if state.point_id is not None:
            k = index_of[f"{state.truck}@{min_to_hhmm(state.ready_min)}"]
            leave = state.ready_min - float(time_min[home, k + 1])
            first = (k,)
        else:
            leave = max(state.ready_min, base.earliest_min or state.ready_min)
        groups.append(replace(base, count=1, earliest_min=leave, can_serve=ok))
        # (the published rows are the frame's first rows, in order)
        left = published.assign(_i=np.arange(len(published)))
        initial.append(stop_order(left[left["truck"] == state.truck], first, state.trip))
    return groups, initial


def stop_order(
    truck: pd.DataFrame, first: tuple[int, ...] = (), first_trip: int | None = None
) -> tuple[int, ...]:
    """A truck's published rows (``_i``: their stop index) in order, -1 between trips,
    after the stops ``first`` (on trip ``first_trip``)."""
    seq = list(first)
    trip = first_trip
    for _, r in truck.sort_values("arrival_min").iterrows():
        if trip is not None and r["trip"] != trip:
            seq.append(-1)
        trip = r["trip"]
        seq.append(int(r["_i"]))
    return tuple(seq)
