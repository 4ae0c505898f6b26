"""End to end on a reduced Cuiping scenario: CLI in, every output out."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import yaml
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.config import hhmm_to_min, load_scenario
from recyclenet.kpi import RunKpis, rate_mismatches, station_table
from recyclenet.outputs.i18n import t
from recyclenet.outputs.maps import day_ranges
from recyclenet.outputs.writer import OUTPUT_FILES
from recyclenet.routing import check_day
from recyclenet.routing.budget import WORK_PER_DAY
from tests.conftest import write_small_scenario

runner = CliRunner()


def test_run_writes_every_output(tmp_path):
    """`recyclenet run` on two townships writes all outputs, consistent with each other.

    Every candidate point stores 3 m3 between visits, and the planner fixes one visit a
    week at those of one township: the points' visits follow the truck, the storage or
    the planner, and a storage full before the truck comes again is reported. The other
    township's points meet the truck 13:00-16:30 only: every visit there arrives by
    16:00 (30 min stay)."""
    scenario = write_small_scenario(tmp_path / "in")
    cand_file = scenario.parent / "candidates.csv"
    cand = pd.read_csv(cand_file, dtype=str, keep_default_na=False)
    is_point = cand["tier"] == "collection_point"
    cand["storage_m3"] = cand["visits_per_week"] = ""
    cand.loc[is_point, "storage_m3"] = "3"
    fixed = is_point & cand["settlement_id"].str.startswith("511502101")
    cand.loc[fixed, "visits_per_week"] = "1"
    cand["window_start"] = cand["window_end"] = ""
    afternoon = is_point & ~fixed
    cand.loc[afternoon, ["window_start", "window_end"]] = ["13:00", "16:30"]
    cand.to_csv(cand_file, index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(scenario), "--out", str(out), "--quiet", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left"

    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["facilities"] == {"collection_point": 8, "transfer_station": 2, "sorting_centre": 1}
    assert kpis["siting"]["status"] in ("optimal", "feasible")
    assert kpis["siting"]["gap"] is not None
    assert kpis["population_share_within_access"] == 1.0
    assert kpis["access_km"]["max"] <= 5.0 + 1e-9
    assert kpis["routing"]["points_on_timetable"] == 8 and not kpis["routing"]["dropped_stops"]
    stations = kpis["stations"]
    assert len(stations) == 2 and sum(s["points"] for s in stations) == 8
    assert sum(s["trucks"] for s in stations) == kpis["trucks"]["collection_total"]
    idle = [s["station_id"] for s in stations if s["points"] == 0]  # opened by the count
    assert ("open with no collection point" in result.output) == bool(idle)
    assert all(sid in result.output for sid in idle)
    # What the trucks cost as routed: the stations' fleets add up to the collection
    # part; with the sites' fixed cost, the network's year and its cost per tonne.
    fleet = kpis["fleet_cost_cny_per_year"]
    assert sum(s["collection_cost_cny_per_year"] for s in stations) == pytest.approx(
        fleet["collection_trucks_cny"] + fleet["collection_km_cny"], abs=0.05
    )
    network = kpis["network_cost_cny_per_year"]
    assert network["total_cny"] == pytest.approx(
        kpis["cost_cny_per_year"]["fixed_cny"] + fleet["total_cny"], abs=0.05
    )
    assert network["cny_per_t"] == pytest.approx(
        network["total_cny"] / (365 * kpis["t_per_day"]["total"]), abs=0.01
    )
    assert f"{network['total_cny']:,.0f} CNY/yr" in " ".join(result.output.split())
    # Per tonne-km of the flows the siting prices, the routed trucks against the rates set.
    siting_cost = kpis["cost_cny_per_year"]
    rates = kpis["transport_rates_cny_per_tkm"]
    for flow in ("collection", "haul"):
        tkm_per_year = siting_cost[f"transport_{flow}_cny"] / rates[flow]["set"]
        spent = fleet[f"{flow}_trucks_cny"] + fleet[f"{flow}_km_cny"]
        assert rates[flow]["routed"] == pytest.approx(spent / tkm_per_year, abs=1e-3)
        km = fleet[f"{flow}_km_cny"] / tkm_per_year
        assert rates[flow]["routed_km"] == pytest.approx(km, abs=1e-3)
    # The defaults' 3 CNY/t-km for collection is below what the box trucks' kilometres
    # alone cost as routed: the run says so, with the setting to try.
    flagged = {flow for flow, *_ in rate_mismatches(kpis)}
    assert "collection" in flagged
    assert rates["collection"]["set"] < 0.8 * rates["collection"]["routed_km"]
    assert result.output.count("siting.transport_cost_cny_per_tkm.") == len(flagged)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="stations"' in report and "Busiest day" in report
    assert 'id="cost-note"' in report and f"{round(network['total_cny']):,}" in report
    assert report.count('class="warn rate-note"') == len(flagged)
    assert report.count('class="warn storage-note"') == 1
    assert "siting.transport_cost_cny_per_tkm.collection" in report
    assert "heuristic search" in report and "not proven optimal" in report

    layers = {name for name, _ in pyogrio.list_layers(out / "network.gpkg")}
    assert layers == {
        "settlements",
        "collection_points",
        "transfer_stations",
        "sorting_centre",
        "assignments",
        "routes",
    }
    points = gpd.read_file(out / "network.gpkg", layer="collection_points")
    assert len(points) == 8 and points.crs.to_epsg() == 4326
    layer = gpd.read_file(out / "network.gpkg", layer="transfer_stations").set_index("site_id")
    for st in stations:  # what each station's work takes, for styling in QGIS
        assert layer.loc[st["station_id"], "trucks"] == st["trucks"]
        assert layer.loc[st["station_id"], "utilisation"] == pytest.approx(
            st["utilisation"], abs=1e-3
        )
    routes = gpd.read_file(out / "network.gpkg", layer="routes")
    assert (routes.geometry.geom_type == "LineString").all()

    timetable = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig")
    assert list(timetable.columns[:6]) == [
        "point_id",
        "point",
        "township",
        "day",
        "arrival",
        "departure",
    ]
    assert set(timetable["point_id"]) == set(points["site_id"])
    assert (timetable["arrival"] < timetable["departure"]).all()
    weekly = points.set_index("site_id")["visits_per_week"]
    visits = timetable.groupby("point_id")["day"].nunique()
    assert (visits == weekly.loc[visits.index]).all()
    # Why each point is visited so often, and whose storage is full too soon.
    by_point = points.set_index("site_id")
    basis = by_point["visits_basis"]
    assert kpis["routing"]["visits_basis"] == {
        b: int((basis == b).sum()) for b in ("truck", "storage", "planner")
    }
    planner = set(cand.loc[fixed, "site_id"])
    assert set(basis[basis == "planner"].index) == planner & set(by_point.index)
    assert (weekly[basis == "planner"] == 1).all()
    assert (basis == "storage").any() and (basis == "planner").any()
    late = by_point["longest_gap_days"] > by_point["storage_full_days"]
    # Where the storage set the visits, it is emptied in time unless even a visit every
    # working day leaves it full (Saturday to Monday).
    assert (weekly[late & (basis == "storage")] == 6).all()
    overflow = [p["point_id"] for p in kpis["routing"]["storage_overflow"]]
    assert overflow == sorted(late[late].index) and overflow
    assert "storage of" in result.output and all(pid in result.output for pid in overflow)
    hours = timetable[timetable["point_id"].isin(set(cand.loc[afternoon, "site_id"]))]
    assert len(hours) and hours["arrival"].between("13:00", "16:00").all()
    assert (by_point.loc[hours["point_id"], "window_start"] == "13:00").all()

    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["siting"]["counts"]["collection_point"] == 8
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and "Legend" in html


def test_pipeline_routes_pass_the_checker(tmp_path):
    """Every day's routes in a real run recompute without any violation."""
    from recyclenet.pipeline import run_scenario

    sc = load_scenario(write_small_scenario(tmp_path / "in"))
    result = run_scenario(sc)
    assert result.week.days
    for d in result.week.days:
        assert check_day(d) == []
    # The visits off their point's sign by more than the tolerance, counted from the
    # arrivals and the signs the timetable publishes (painted to the minute).
    week = result.week
    tt = week.timetable()
    tol = sc.routing.slot_tolerance_min
    off = [
        abs(a - hhmm_to_min(sign)) for sign, a in zip(tt["slot"], tt["arrival_min"], strict=True)
    ]
    routing = result.kpis.routing
    # The typed indicators: every section filled, kpis.json's order and keys.
    as_dict = result.kpis.to_dict()
    assert list(as_dict) == [f.name for f in dataclasses.fields(RunKpis)]
    assert as_dict["routing"] is routing and as_dict["stations"] and as_dict["network"]
    assert "timings_s" in as_dict and as_dict["timings_s"]["total_s"] > 0
    assert sum(d > tol + 0.5 for d in off) <= routing["visits_beyond_tolerance"]
    assert routing["visits_beyond_tolerance"] <= sum(d > tol - 0.5 for d in off)
    assert routing["max_slot_deviation_min"] == pytest.approx(max(off), abs=0.5)
    # The per-station table adds up to the week's own totals.
    table = station_table(week, result.sites).set_index("station_id")
    routed = week.trucks_per_station()  # stations with points to serve
    assert table.loc[list(routed), "trucks"].to_dict() == routed
    assert (table.drop(index=list(routed))[["trucks", "points", "stops_per_week"]] == 0).all().all()
    assert table["collection_km_per_week"].sum() == pytest.approx(week.collection_km_per_week())
    assert table["collection_hours_per_week"].sum() == pytest.approx(
        week.collection_hours_per_week()
    )
    assert table["stops_per_week"].sum() == len(week.timetable())
    assert table["truck_days_per_week"].sum() == sum(d.num_trucks for d in week.days)
    assert table["haul_trips_per_week"].sum() == week.haul["trips_per_week"].sum()
    for sid, row in table.iterrows():
        days = [d for d in week.days if d.problem.base_id == sid]
        if any(d.duration_h() > 0 for d in days):
            busiest = max(days, key=lambda d: d.duration_h())
            assert row["busiest_day"] == busiest.problem.day
        else:
            assert row["busiest_day"] == ""
        assert row["utilisation"] == pytest.approx(row["t_per_day"] / row["capacity_t_per_day"])


def test_rate_mismatch_lies_outside_the_routed_range():
    """A rate per tonne-km is flagged below 0.8 of what the routed trucks' kilometres cost
    per tonne-km or above 1.25 times what they cost in all; a run without the figures, or
    a flow without routed rates, is not."""

    def kpis(set_: float, km: float | None, all_: float | None) -> dict:
        rates = {"set": set_, "routed_km": km, "routed": all_}
        return {"transport_rates_cny_per_tkm": {"collection": rates}}

    assert rate_mismatches(kpis(3.0, 4.0, 13.9)) == [("collection", 3.0, 4.0, 13.9)]
    assert rate_mismatches(kpis(3.3, 4.0, 13.9)) == []  # within 0.8 of the km rate
    assert rate_mismatches(kpis(14.0, 4.6, 17.2)) == []
    assert rate_mismatches(kpis(21.0, 4.6, 17.2)) == []  # within 1.25 of the whole
    assert rate_mismatches(kpis(22.0, 4.6, 17.2)) == [("collection", 22.0, 4.6, 17.2)]
    assert rate_mismatches(kpis(3.0, None, None)) == []
    assert rate_mismatches({}) == []


def test_validate_ok_and_bad_input_is_one_paragraph(tmp_path):
    """`validate` succeeds on good input; a bad value exits 2 with file/row/column, no traceback."""
    scenario = write_small_scenario(tmp_path / "in")
    ok = runner.invoke(app, ["validate", str(scenario)])
    assert ok.exit_code == 0 and "OK" in ok.output
    assert "with storage" not in ok.output  # plain truck stops: nothing to say
    cand = pd.read_csv(scenario.parent / "candidates.csv", dtype=str, keep_default_na=False)
    points = cand.index[cand["tier"] == "collection_point"]
    cand["storage_m3"] = cand["window_start"] = ""
    cand.loc[points[:3], "storage_m3"] = "5"
    cand.loc[points[:2], "window_start"] = "14:00"
    cand.to_csv(scenario.parent / "candidates.csv", index=False)
    ok = runner.invoke(app, ["validate", str(scenario)])
    assert ok.exit_code == 0
    assert "with storage: 3, with hours: 2" in " ".join(ok.output.split())
    st = pd.read_csv(scenario.parent / "settlements.csv", dtype=str)
    st.loc[0, "lat"] = "north"
    st.to_csv(scenario.parent / "settlements.csv", index=False)
    bad = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "o"), "--quiet"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output
    text = " ".join(bad.output.split())
    # Chinese by default: the heading, then the problem with its file, row, column, value
    assert "输入数据有 1 处问题" in text and "settlements.csv" in text
    assert "第 1 行" in text and "「lat」列的值「north」" in text and "不是数字" in text
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    en = runner.invoke(app, ["validate", str(scenario), "--lang", "en"])
    text = " ".join(en.output.split())
    assert en.exit_code == 2 and "1 problem(s) in the input" in text
    assert "row 1" in text and "'lat'" in text and "'north'" in text and "not a number" in text


def test_unknown_yaml_key_exits_nonzero(tmp_path):
    """An unknown key in the scenario file stops the CLI with the key path."""
    scenario = write_small_scenario(tmp_path / "in", overrides={"routing.shift_lenght": 8})
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2
    assert "routing.shift_lenght" in " ".join(result.output.split())


def test_workbook_and_comparison(tmp_path):
    """workbook.xlsx has the promised sheets in English; compare marks the cheaper network."""
    import openpyxl

    outs = []
    for name, counts in (("a", (8, 2, 1)), ("b", (12, 2, 1))):
        scenario = write_small_scenario(
            tmp_path / f"in_{name}", counts=counts, overrides={"name": f"small-{name}"}
        )
        out = tmp_path / f"out_{name}"
        result = runner.invoke(
            app, ["run", str(scenario), "--out", str(out), "--quiet", "--lang", "en"]
        )
        assert result.exit_code == 0, result.output
        outs.append(out)
    wb = openpyxl.load_workbook(outs[0] / "workbook.xlsx")
    assert wb.sheetnames[:5] == ["KPIs", "Stations", "Facilities", "Assignments", "Timetable"]
    stations = list(wb["Stations"].iter_rows(values_only=True))
    assert stations[0][:3] == ("Station", "Points", "Throughput (t/day)")
    assert len(stations) == 3 and sum(r[1] for r in stations[1:]) == 8
    assert wb["Stations"]["E2"].number_format == "0.0%" and 0 < stations[1][4] <= 1
    grid = wb["Timetable"]
    header = [c.value for c in grid[1]]
    assert header[:6] == [
        "Collection point",
        "Township",
        "Station",
        "Visits per week",
        "Visits set by",
        "Time on sign",
    ]
    assert header[6:] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert grid.max_row == 1 + 8
    # Plain truck stops: one truckload a visit sets every point's visits.
    assert {r[4].value for r in grid.iter_rows(min_row=2)} == {t("basis.truck", "en")}
    timetable = pd.read_csv(outs[0] / "timetable.csv", encoding="utf-8-sig")
    sign = {r[0].value: r[5].value for r in grid.iter_rows(min_row=2)}
    for point, rows in timetable.groupby("point"):  # a line per time: its days, the time
        lines = [f"{day_ranges(set(g['day']), 'en')} {slot}" for slot, g in rows.groupby("slot")]
        assert sign[point] == "\n".join(lines)
    truck_days = timetable.groupby(["truck", "day"]).ngroups
    assert len(wb.sheetnames) - 5 == truck_days
    # route sheets named by day, station and truck, in the run's language
    assert wb.sheetnames[5].startswith("Mon ") and "truck 1" in wb.sheetnames[5]
    kpi = {r[0].value: r[1] for r in wb["KPIs"].iter_rows(min_row=2)}
    numbers = [c for c in kpi.values() if isinstance(c.value, int | float)]
    assert len(numbers) >= len(kpi) - 3  # numbers, not text
    assert any(c.number_format == "0.00%" for c in numbers)
    assert any(c.number_format == "#,##0" for c in numbers)
    for row in grid.iter_rows(min_row=2, min_col=7):  # a day's times in order
        for cell in row:
            times = (cell.value or "").split("\n")
            assert times == sorted(times)
    route = [[c.value for c in r] for r in wb[wb.sheetnames[5]].iter_rows()]
    assert route[0][3:5] == ["Arrival", "Time on sign"]
    stops = [r for r in route[1:] if r[1] == t("event.stop", "en")]
    assert stops and all(r[4] in set(timetable["slot"]) for r in stops)

    cmp_dir = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", *map(str, outs), "--out", str(cmp_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(cmp_dir / "comparison.xlsx")["KPIs"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    total = rows["Annualised total cost, siting model (CNY/yr)"]
    a, b = total[1].value, total[2].value
    cheaper = 1 if a < b else 2
    assert total[cheaper].fill.fgColor.rgb.endswith("C6EFCE")
    assert abs(total[3].value - (b - a)) < 1e-6
    # The timetable changes against the first run: sheet and page agree with the function.
    from recyclenet.outputs.compare import timetable_changes

    changed = timetable_changes(
        pd.read_csv(outs[0] / "timetable.csv", encoding="utf-8-sig", dtype=str),
        pd.read_csv(outs[1] / "timetable.csv", encoding="utf-8-sig", dtype=str),
    )
    assert len(changed) > 0  # 8 points against 12: at least the 4 added
    sheet = openpyxl.load_workbook(cmp_dir / "comparison.xlsx")["Timetable changes"]
    assert sheet.max_row == 1 + len(changed)
    page = (cmp_dir / "comparison.html").read_text(encoding="utf-8")
    assert "Timetable changes (against small-a)" in page
    assert page.count("point added") == int((changed["change"] == "added").sum()) >= 4
    # Each scenario's stations, as in its kpis.json.
    for i, out in enumerate(outs):
        stations = json.loads((out / "kpis.json").read_text(encoding="utf-8"))["stations"]
        table = page.split(f'<table id="stations-{i}">')[1].split("</table>")[0]
        assert table.count("<tr>") == 1 + len(stations)
        assert all(st["name"] in table for st in stations)
    stations_sheet = list(
        openpyxl.load_workbook(cmp_dir / "comparison.xlsx")["Stations"].iter_rows(values_only=True)
    )
    assert stations_sheet[0][:2] == ("Scenario", "Station")
    per_run = [
        len(json.loads((o / "kpis.json").read_text(encoding="utf-8"))["stations"]) for o in outs
    ]
    assert [r[0] for r in stations_sheet[1:]] == ["small-a"] * per_run[0] + ["small-b"] * per_run[1]
    # The fleet as routed, in the KPI rows and a cost chart of its own.
    fleet = rows["Sites and fleet per year, from the routes (CNY/yr)"]
    routed = [
        json.loads((o / "kpis.json").read_text(encoding="utf-8"))["network_cost_cny_per_year"]
        for o in outs
    ]
    assert [fleet[1].value, fleet[2].value] == pytest.approx([r["total_cny"] for r in routed])
    assert t("cmp.cost_split_routed", "en") in page
    # Each station-day's search work: the effort's, whatever the number of stations.
    per_day = [
        json.loads((o / "kpis.json").read_text(encoding="utf-8"))["routing"]["day_time_limit_s"]
        for o in outs
    ]
    assert per_day == [WORK_PER_DAY["quick"]] * 2
    assert ("solver-note" in page) == (per_day[0] != per_day[1])
    assert ("warning:" in result.output) == (per_day[0] != per_day[1])
    kpis_b = json.loads((outs[1] / "kpis.json").read_text(encoding="utf-8"))
    kpis_b["routing"]["day_time_limit_s"] = per_day[0] + 1.5
    (outs[1] / "kpis.json").write_text(json.dumps(kpis_b), encoding="utf-8")
    result = runner.invoke(app, ["compare", *map(str, outs), "--out", str(cmp_dir), "--lang", "en"])
    page = (cmp_dir / "comparison.html").read_text(encoding="utf-8")
    listing = f"small-a {per_day[0]}, small-b {per_day[0] + 1.5}"
    assert f"routing.day_time_limit_s ({listing})" in page
    assert "warning:" in result.output and "day_time_limit_s" in result.output
    # A run written before stations, the fleet's cost and the time a day were reported
    # still compares, and says so.
    kpis_file = outs[1] / "kpis.json"
    old = json.loads(kpis_file.read_text(encoding="utf-8"))
    for key in ("stations", "fleet_cost_cny_per_year", "network_cost_cny_per_year"):
        del old[key]
    del old["routing"]["day_time_limit_s"]
    kpis_file.write_text(json.dumps(old), encoding="utf-8")
    result = runner.invoke(app, ["compare", *map(str, outs), "--out", str(cmp_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    page = (cmp_dir / "comparison.html").read_text(encoding="utf-8")
    assert 'id="stations-0"' in page and 'id="stations-1"' not in page
    assert "no station table: run it again" in page
    assert t("cmp.cost_split_routed", "en") not in page  # no chart of zeros
    assert "solver-note" not in page  # the same total limit, the only thing both report
    # Runs routed with different time limits: the page and the console say so.
    resolved = outs[1] / "scenario.resolved.yaml"
    config = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    config["solver"]["routing_time_limit_s"] = 60.0
    resolved.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["compare", *map(str, outs), "--out", str(cmp_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    page = (cmp_dir / "comparison.html").read_text(encoding="utf-8")
    assert page.count('class="warn solver-note"') == 1
    assert "solver.routing_time_limit_s (small-a 120.0, small-b 60.0)" in page
    assert "run them again with this version" in page  # small-b has no time a day
    assert "warning:" in result.output and "routing_time_limit_s" in result.output


def _timetable(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """timetable.csv rows ``(point_id, day, slot)`` with names and townships."""
    return pd.DataFrame(
        [
            {"point_id": p, "point": f"name {p}", "township": "T", "day": d, "slot": s}
            for p, d, s in rows
        ]
    )


def test_timetable_changes_name_what_residents_would_see_change():
    """Against the first plan: a point with the same days and sign is not listed; one
    with other days, another time, both, one added and one removed each are."""
    from recyclenet.outputs.compare import timetable_changes

    before = _timetable(
        [("SAME", "mon", "09:00"), ("SAME", "thu", "09:00"), ("DAYS", "mon", "10:00")]
        + [("TIME", "tue", "11:00"), ("BOTH", "wed", "12:00"), ("GONE", "fri", "08:00")]
    )
    after = _timetable(
        [("SAME", "thu", "09:00"), ("SAME", "mon", "09:00"), ("DAYS", "tue", "10:00")]
        + [("TIME", "tue", "11:30"), ("BOTH", "thu", "12:30"), ("NEW", "sat", "08:00")]
    )
    got = timetable_changes(before, after).set_index("point_id")
    assert got["change"].to_dict() == {
        "BOTH": "days_time",
        "DAYS": "days",
        "GONE": "removed",
        "NEW": "added",
        "TIME": "time",
    }
    assert got.loc["DAYS", "days_before"] == ("mon",) and got.loc["DAYS", "days_after"] == ("tue",)
    assert got.loc["TIME", "sign_after"] == "11:30" and got.loc["NEW", "sign_before"] == ""


def test_compare_reports_missing_run_folder(tmp_path):
    """A folder that is not a run output stops compare with the missing file named."""
    result = runner.invoke(
        app,
        ["compare", str(tmp_path / "nope"), str(tmp_path / "nada"), "--out", str(tmp_path / "c")],
    )
    assert result.exit_code == 2
    assert "kpis.json" in " ".join(result.output.split())


def test_max_coverage_mode_reports_who_is_left_out(tmp_path):
    """Too few points for full coverage in max_coverage mode: the run succeeds, covers the
    most residents possible, and lists the settlements left out with their distances."""
    scenario = write_small_scenario(
        tmp_path / "in",
        counts=(3, 2, 1),
        overrides={"siting.mode": "max_coverage", "siting.max_access_km": 3.0},
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert 0 < kpis["population_share_within_access"] < 1
    left = kpis["left_out"]
    assert left and all(x["access_km"] > 3.0 for x in left)
    st = pd.read_csv(scenario.parent / "settlements.csv")
    share = 1 - sum(x["population"] for x in left) / st["population"].sum()
    assert abs(share - kpis["population_share_within_access"]) < 1e-9
    assert "left out" in " ".join(result.output.split())


def test_keep_timetable_keeps_the_signs_up(tmp_path):
    """routing.keep_timetable: re-planned with a shorter dwell, the plan keeps every
    point's days and the time on its sign where the plain re-plan moves some; a bad row
    in the kept timetable stops `validate` with its row, column and value."""
    from recyclenet.outputs.compare import timetable_changes

    def timetable(name: str, **overrides) -> pd.DataFrame:
        scenario = write_small_scenario(tmp_path / f"in_{name}", overrides=overrides)
        out = tmp_path / f"out_{name}"
        result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        return pd.read_csv(out / "timetable.csv", encoding="utf-8-sig", dtype=str)

    def days_as_published(name: str) -> int | None:
        kpis = json.loads((tmp_path / f"out_{name}" / "kpis.json").read_text(encoding="utf-8"))
        return kpis["routing"]["days_as_published"]

    def rounds(tt: pd.DataFrame) -> pd.Series:
        """Per station-day, its trucks' points in order (trips included)."""
        tt = tt.sort_values(["station", "day", "truck", "arrival"])
        seq = tt.groupby(["station", "day", "truck"]).apply(
            lambda x: tuple(zip(x["point_id"], x["trip"], strict=True))
        )
        return seq.groupby(level=[0, 1]).apply(lambda s: tuple(sorted(s)))

    first = timetable("first")
    published = str(tmp_path / "out_first" / "timetable.csv")
    moved = timetable_changes(first, timetable("plain", **{"routing.dwell_min": 20}))
    assert len(moved) > 0  # the shorter dwell moves some arrivals ...
    kept = timetable("kept", **{"routing.dwell_min": 20, "routing.keep_timetable": published})
    assert timetable_changes(first, kept).empty  # ... which the kept signs hold
    # The KPI counts the station-days driven as published: each has its published rounds.
    before, after = rounds(first), rounds(kept)
    same = int((after == before.reindex(after.index)).sum())
    assert days_as_published("first") is None  # nothing was kept
    assert 0 <= days_as_published("kept") <= same
    # The published trucks still do the week with the shorter stays: no more are asked.
    assert (
        kept.groupby("day")["truck"].nunique().max()
        <= first.groupby("day")["truck"].nunique().max()
    )
    bad = first.copy()
    bad.loc[2, "slot"] = "9h30"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    scenario = write_small_scenario(
        tmp_path / "in_bad", overrides={"routing.keep_timetable": str(tmp_path / "bad.csv")}
    )
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "bad.csv" in message and "第 3 行" in message and "9h30" in message and "slot" in message


def test_stops_left_out_name_their_points_and_hours(tmp_path):
    """Every point's hours are 09:00-09:40, room for one 30 min stay, and a station has
    one truck: it cannot serve two points at once, so stops are left out. The run
    says at which points (by name) and, since they have hours, to widen them."""
    scenario = write_small_scenario(
        tmp_path / "in", overrides={"routing.max_trucks_per_station": 1}
    )
    cand = pd.read_csv(scenario.parent / "candidates.csv", dtype=str, keep_default_na=False)
    cand["window_start"] = cand["window_end"] = ""
    cand.loc[cand["tier"] == "collection_point", ["window_start", "window_end"]] = [
        "09:00",
        "09:40",
    ]
    cand.to_csv(scenario.parent / "candidates.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    dropped = {p for *_, p in kpis["routing"]["dropped_stops"]}
    assert dropped
    text = " ".join(result.output.split())
    assert f"{len(kpis['routing']['dropped_stops'])} stops at {len(dropped)} collection" in text
    assert all(p in text for p in sorted(dropped)[:8])
    assert f"widen the hours (window_start, window_end) of the {len(dropped)} of them" in text
    # Every stop served keeps to the hours.
    timetable = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig")
    assert timetable["arrival"].between("09:00", "09:10").all()


def test_run_scenario_takes_tables_in_memory(tmp_path):
    """The tables given as frames (the settlements as a GeoDataFrame in a projected CRS)
    plan the same network and week as the files; a bad value in a frame is named with
    the table, row and column."""
    import geopandas as gpd

    from recyclenet import InputError, load_scenario, run_scenario

    folder = tmp_path / "small"
    scenario = load_scenario(write_small_scenario(folder, counts=(6, 1, 1))).with_effort("quick")
    from_files = run_scenario(scenario)
    st = pd.read_csv(folder / "settlements.csv", dtype=str)
    geo = gpd.GeoDataFrame(
        st.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(st["lon"].astype(float), st["lat"].astype(float)),
        crs="EPSG:4326",
    ).to_crs(3857)
    tables = {
        "settlements": geo,
        "candidates": pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False),
        "fleet": pd.read_csv(folder / "fleet.csv"),
    }
    elsewhere = scenario.model_copy(
        update={"inputs": scenario.inputs.model_copy(update={"settlements": tmp_path / "none.csv"})}
    )
    in_memory = run_scenario(elsewhere, tables=tables)
    assert in_memory.siting.objective_cny == pytest.approx(from_files.siting.objective_cny)
    assert sorted(in_memory.sites["site_id"]) == sorted(from_files.sites["site_id"])
    assert in_memory.week.signs().equals(from_files.week.signs())
    bad = tables | {"fleet": tables["fleet"].assign(payload_kg="heavy")}
    with pytest.raises(InputError) as err:
        run_scenario(scenario, tables=bad)
    text = str(err.value)
    assert "table fleet (DataFrame), row 1, column 'payload_kg'" in text and "line" not in text
    assert "表 fleet (DataFrame) 第 1 行「payload_kg」列" in err.value.render("zh")
