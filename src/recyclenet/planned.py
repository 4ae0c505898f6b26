"""A published plan read back from the folder ``recyclenet run`` wrote: its scenario,
sites, timetable and fleet, what the dispatcher's day starts from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray

from recyclenet.config import (
    Scenario,
    hhmm_to_min,
    load_scenario,
    parse_clock,
)
from recyclenet.errors import RecycleNetError
from recyclenet.io import read_table
from recyclenet.routing import (
    Vehicle,
)
from recyclenet.tables import FLEET_COLUMNS, validate_table

PLANNED_FILES = ("scenario.resolved.yaml", "network.gpkg", "timetable.csv")


@dataclass(frozen=True)
class PlannedNetwork:
    """What ``recyclenet run`` wrote, as the dispatcher needs it.

    Attributes
    ----------
    directory
        The run's output folder.
    scenario
        The resolved scenario of the run.
    vehicle
        The collection vehicle type (the scenario's ``collection_vehicle``).
    points, stations
        Open collection points (``site_id``, ``name``, ``station_id``, ``lon``, ``lat``,
        and the hours the truck may stand there, ``open_min`` and ``close_min``: NaN where
        the shift's) and transfer stations (``site_id``, ``name``, ``lon``, ``lat``, and where their
        trucks are kept overnight: ``keeper_id``, ``keeper_name``, ``keeper_lon``,
        ``keeper_lat``; the station itself unless ``routing.truck_base`` says the
        sorting centre).
    timetable
        The published timetable (``timetable.csv``), with ``arrival_min`` and
        ``slot_min`` (the time on the sign) added.
    trucks
        Collection trucks of each station: the distinct trucks of its published week.
    trucks_by_type
        The same per vehicle type (station -> type -> trucks).
    vehicles
        Every collection vehicle type of the run, by id.
    """

    directory: Path
    scenario: Scenario
    vehicle: Vehicle
    points: pd.DataFrame
    stations: pd.DataFrame
    timetable: pd.DataFrame
    trucks: dict[str, int]
    trucks_by_type: dict[str, dict[str, int]]
    vehicles: dict[str, Vehicle]

    def site_names(self) -> dict[str, str]:
        """Names of the stations and of the sites where trucks are kept, by id."""
        st = self.stations
        return {
            **dict(zip(st["keeper_id"], st["keeper_name"], strict=True)),
            **dict(zip(st["site_id"], st["name"], strict=True)),
        }

    def site_positions(self) -> dict[str, tuple[float, float]]:
        """``(lat, lon)`` of the stations and of the sites where trucks are kept, by id."""
        st = self.stations
        return {
            **{
                k: (float(a), float(o))
                for k, a, o in zip(st["keeper_id"], st["keeper_lat"], st["keeper_lon"], strict=True)
            },
            **{
                k: (float(a), float(o))
                for k, a, o in zip(st["site_id"], st["lat"], st["lon"], strict=True)
            },
        }

    def max_load(self) -> tuple[float, float]:
        """Largest usable payload (kg) and volume (m3) of any collection type."""
        fill = self.scenario.routing.max_fill
        return (
            max(v.payload_kg for v in self.vehicles.values()) * fill,
            max(v.volume_m3 for v in self.vehicles.values()) * fill,
        )


def load_planned(directory: str | Path) -> PlannedNetwork:
    """Read a ``recyclenet run`` output folder.

    Raises
    ------
    RecycleNetError
        When a file the dispatcher needs is missing, naming it.
    """
    directory = Path(directory)
    missing = [f for f in PLANNED_FILES if not (directory / f).is_file()]
    if missing:
        raise RecycleNetError(
            f"{directory} is not a planned network: {', '.join(missing)} missing. Fix: give "
            "the output folder of `recyclenet run` (run it first if there is none)."
        )
    scenario = load_scenario(directory / "scenario.resolved.yaml")
    fleet_file = scenario.inputs.fleet
    fleet = validate_table(read_table(fleet_file), FLEET_COLUMNS, fleet_file).set_index(
        "vehicle_type"
    )
    rc = scenario.routing
    for vt in {rc.collection_vehicle, *rc.fleet_counts()}:
        if vt not in fleet.index:
            raise RecycleNetError(
                f"file {fleet_file}: the collection vehicle '{vt}' of the planned run is not "
                "in the fleet table any more. Fix: restore it or re-run `recyclenet run`."
            )
    vehicle = Vehicle.from_fleet(fleet, rc.collection_vehicle)
    vehicles = {vt: Vehicle.from_fleet(fleet, vt) for vt in rc.fleet_counts()}
    gpkg = directory / "network.gpkg"
    layers = set(pyogrio.list_layers(gpkg)[:, 0])
    if not {"collection_points", "transfer_stations"} <= layers:
        raise RecycleNetError(
            f"file {gpkg}: layers collection_points and transfer_stations are needed, found "
            f"{', '.join(sorted(layers))}. Fix: re-run `recyclenet run`."
        )
    pts = gpd.read_file(gpkg, layer="collection_points")
    sts = gpd.read_file(gpkg, layer="transfer_stations")
    points = pd.DataFrame(
        {
            "site_id": pts["site_id"].astype(str),
            "name": pts["name"].astype(str),
            "station_id": pts["parent_site_id"].astype(str),
            "lon": pts["lon"].astype(float),
            "lat": pts["lat"].astype(float),
            # (a run from before points had hours has no such columns)
            "open_min": _clock_column(pts, "window_start"),
            "close_min": _clock_column(pts, "window_end"),
        }
    )
    stations = pd.DataFrame(
        {
            "site_id": sts["site_id"].astype(str),
            "name": sts["name"].astype(str),
            "lon": sts["lon"].astype(float),
            "lat": sts["lat"].astype(float),
        }
    )
    # Where each station's trucks are kept overnight (routing.truck_base).
    stations["keeper_id"] = stations["site_id"]
    if rc.truck_base == "sorting_centre" and "sorting_centre" in layers:
        centres = gpd.read_file(gpkg, layer="sorting_centre")
        centres = centres.assign(site_id=centres["site_id"].astype(str)).set_index("site_id")
        parent = sts["parent_site_id"].astype(str).to_numpy()
        stations["keeper_id"] = np.where(
            np.isin(parent, centres.index), parent, stations["site_id"]
        )
        known = pd.concat(
            [stations.set_index("site_id")[["name", "lon", "lat"]], centres[["name", "lon", "lat"]]]
        )
        known = known[~known.index.duplicated()]
    else:
        known = stations.set_index("site_id")[["name", "lon", "lat"]]
    keepers = known.loc[stations["keeper_id"]]
    stations["keeper_name"] = keepers["name"].astype(str).to_numpy()
    stations["keeper_lon"] = keepers["lon"].astype(float).to_numpy()
    stations["keeper_lat"] = keepers["lat"].astype(float).to_numpy()
    tt = read_table(directory / "timetable.csv")
    tt["arrival_min"] = tt["arrival"].map(hhmm_to_min).astype(float)
    tt["departure_min"] = tt["departure"].map(hhmm_to_min).astype(float)
    # The time on the sign (a run from before slots were published: the arrival).
    sign = tt["slot"] if "slot" in tt.columns else tt["arrival"]
    tt["slot_min"] = sign.fillna(tt["arrival"]).map(hhmm_to_min).astype(float)
    for col in ("expected_kg", "expected_m3"):
        tt[col] = tt[col].astype(float)
    station_of = dict(zip(points["site_id"], points["station_id"], strict=True))
    tt["station_id"] = tt["point_id"].map(station_of)
    if "vehicle_type" not in tt.columns:  # a run from before mixed fleets
        tt["vehicle_type"] = rc.collection_vehicle
    trucks = tt.groupby("station_id")["truck"].nunique().astype(int).to_dict()
    by_type: dict[str, dict[str, int]] = {}
    for (sid, vt), k in tt.groupby(["station_id", "vehicle_type"])["truck"].nunique().items():
        by_type.setdefault(str(sid), {})[str(vt)] = int(k)
    return PlannedNetwork(
        directory, scenario, vehicle, points, stations, tt, trucks, by_type, vehicles
    )


def _clock_column(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    """Minutes after midnight of an ``HH:MM`` column (NaN where empty, not a time, or
    absent)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    minutes = [parse_clock(v) for v in frame[column].fillna("").astype(str)]
    return np.array([np.nan if m is None else float(m) for m in minutes])
