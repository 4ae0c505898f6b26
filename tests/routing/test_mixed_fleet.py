"""A scenario with a mixed fleet and road rights, from `recyclenet run` to `route`."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.config import load_scenario
from recyclenet.dispatch import load_planned, plan_dispatch
from recyclenet.errors import InputError
from recyclenet.pipeline import run_scenario
from recyclenet.routing import check_day
from tests.conftest import day_bookings, write_bookings, write_small_scenario

runner = CliRunner()
ZONE_TOWNSHIP = "李庄镇"


def _zone_file(folder: Path) -> Path:
    """A polygon around every settlement of one township: closed to the box truck."""
    st = pd.read_csv(folder / "settlements.csv", dtype={"settlement_id": str})
    mine = st[st["township"] == ZONE_TOWNSHIP]
    hull = shapely.MultiPoint(list(zip(mine["lon"], mine["lat"], strict=True))).convex_hull
    path = folder / "old_town.geojson"
    gpd.GeoDataFrame(
        {"name": ["old town"]}, geometry=[hull.buffer(0.005)], crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return path


MIXED = {
    "routing.collection_fleet": {"box_truck_4_2m": 2, "e_tricycle": 3},
    "routing.road_rules": {
        "box_truck_4_2m": {"forbidden_zones": "old_town.geojson"},
        "e_tricycle": {"permitted_hours": ["08:30", "17:00"]},
    },
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mixed")
    scenario = write_small_scenario(root / "in", overrides=MIXED)
    _zone_file(root / "in")
    out = root / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_zone_points_are_served_by_tricycles_only(planned):
    net = load_planned(planned)
    tt = net.timetable
    zone = shapely.union_all(gpd.read_file(planned.parent / "in" / "old_town.geojson").geometry)
    pts = net.points.set_index("site_id")
    inside = {
        pid
        for pid in pts.index
        if zone.contains(shapely.Point(pts.loc[pid, "lon"], pts.loc[pid, "lat"]))
    }
    assert inside, "the zone should hold some open points"
    served = tt[tt["point_id"].isin(inside)]
    assert not served.empty
    assert set(served["vehicle_type"]) == {"e_tricycle"}
    # Tricycles keep their permitted hours.
    tri = tt[tt["vehicle_type"] == "e_tricycle"]
    assert (tri["arrival"] >= "08:30").all() and (tri["departure"] <= "17:00").all()
    kpis = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))
    by_type = kpis["trucks"]["collection_by_type"]
    assert set(by_type) <= {"e_tricycle", "box_truck_4_2m"} and by_type["e_tricycle"] >= 1
    per_station = 2 + 3
    assert kpis["trucks"]["collection_total"] <= per_station * len(net.stations)


def test_fleet_cost_is_each_types_rate(planned):
    """The yearly fleet cost, recomputed from the fleet table and the written routes: each
    truck kept costs its type's day rate on every working day, each km its type's rate."""
    kpis = json.loads((planned / "kpis.json").read_text(encoding="utf-8"))
    fleet = pd.read_csv(planned.parent / "in" / "fleet.csv").set_index("vehicle_type")
    weeks = 365 / 7
    days = 6 * weeks  # the scenario's working days, mon-sat
    by_type = kpis["trucks"]["collection_by_type"]
    cost = kpis["fleet_cost_cny_per_year"]
    assert cost["working_days_per_year"] == pytest.approx(days, abs=0.01)
    assert cost["collection_trucks_cny"] == pytest.approx(
        sum(k * fleet.loc[vt, "fixed_cost_cny_per_day"] * days for vt, k in by_type.items()),
        abs=0.01,
    )
    routes = pd.read_csv(planned / "routes.csv", encoding="utf-8-sig")
    timetable = pd.read_csv(planned / "timetable.csv", encoding="utf-8-sig")
    vehicle = timetable.drop_duplicates(["day", "truck"]).set_index(["day", "truck"])
    collection = routes[routes["route_type"] == "collection"]
    km_cny = sum(
        row.distance_km
        * fleet.loc[vehicle.loc[(row.day, row.truck), "vehicle_type"], "cost_cny_per_km"]
        for row in collection.itertuples()
    )
    assert cost["collection_km_cny"] == pytest.approx(km_cny * weeks, rel=1e-3)
    haul = fleet.loc[kpis["trucks"]["haul_vehicle"]]
    assert cost["haul_trucks_cny"] == pytest.approx(
        kpis["trucks"]["haul_total"] * haul["fixed_cost_cny_per_day"] * days, abs=0.01
    )
    assert cost["haul_km_cny"] == pytest.approx(
        kpis["vehicle_km_per_week"]["haul"] * haul["cost_cny_per_km"] * weeks, rel=1e-3
    )


def test_every_day_passes_the_checker_with_the_mixed_fleet(tmp_path):
    scenario = write_small_scenario(tmp_path / "in", overrides=MIXED)
    _zone_file(tmp_path / "in")
    result = run_scenario(load_scenario(scenario))
    assert result.week.dropped() == []
    for day in result.week.days:
        assert check_day(day) == [], (day.problem.base_id, day.problem.day)


def test_dispatch_keeps_the_types_of_the_published_week(planned, tmp_path):
    net = load_planned(planned)
    day = str(net.timetable["day"].iloc[0])
    point = str(net.timetable[net.timetable["day"] == day]["point_id"].iloc[0])
    path = write_bookings(tmp_path / "b.csv", [f"K1,{point},{day},10:00,15:00,50,0.5,10,,"])
    dispatch = plan_dispatch(net, day_bookings(net, path, day), day, time_limit_s=3)
    assert dispatch.missed_published() == []
    for d in dispatch.days:
        assert check_day(d) == []
        types = {g.vehicle.vehicle_type for g in d.problem.groups()}
        assert types <= {"e_tricycle", "box_truck_4_2m"}


def test_zone_file_with_a_point_is_rejected_with_its_row(tmp_path):
    scenario = write_small_scenario(tmp_path / "in", overrides=MIXED)
    gpd.GeoDataFrame(
        {"name": ["ok", "pin"]},
        geometry=[shapely.box(104, 28, 104.1, 28.1), shapely.Point(104.5, 28.5)],
        crs="EPSG:4326",
    ).to_file(tmp_path / "in" / "old_town.geojson", driver="GeoJSON")
    with pytest.raises(InputError) as err:
        run_scenario(load_scenario(scenario))
    text = str(err.value)
    assert "old_town.geojson" in text and "row 2" in text and "Point" in text


def test_unknown_type_in_the_fleet_is_an_input_error(tmp_path):
    scenario = write_small_scenario(
        tmp_path / "in", overrides={"routing.collection_fleet": {"cargo_bike": 2}}
    )
    with pytest.raises(InputError) as err:
        run_scenario(load_scenario(scenario))
    assert "cargo_bike" in str(err.value) and "collection_fleet" in str(err.value)


def test_point_closed_to_every_type_is_named_before_routing(tmp_path):
    overrides = {
        "routing.collection_fleet": {"box_truck_4_2m": 2},
        "routing.road_rules": {"box_truck_4_2m": {"forbidden_zones": "old_town.geojson"}},
    }
    scenario = write_small_scenario(tmp_path / "in", overrides=overrides)
    _zone_file(tmp_path / "in")
    with pytest.raises(InputError) as err:
        run_scenario(load_scenario(scenario))
    assert "closed to every vehicle type" in str(err.value)
