"""The dispatcher's day: bookings read row by row, re-planning a published day."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from recyclenet.bookings import BOOKING_COLUMNS, read_bookings
from recyclenet.cli import app
from recyclenet.config import hhmm_to_min, min_to_hhmm
from recyclenet.dispatch import _published_window, load_planned, plan_dispatch
from recyclenet.errors import InputError
from recyclenet.outputs.writer import DISPATCH_FILES, write_dispatch
from recyclenet.routing import check_day
from tests.conftest import day_bookings, write_bookings, write_small_scenario

runner = CliRunner()


_bookings = write_bookings


def _read_monday(path: Path, point_ids: set[str], **limits: float):
    """``read_bookings`` for a Monday planned from 08:00 (shift to 17:30, trucks of
    1,000 kg and 10 m3 unless ``limits`` say otherwise)."""
    args = {"shift_end_min": 1050.0, "max_kg": 1000.0, "max_m3": 10.0, **limits}
    return read_bookings(path, day="mon", point_ids=point_ids, earliest_min=480, **args)


def test_bad_bookings_are_set_aside_with_row_and_reason(tmp_path):
    """Each bad row is rejected with its row and reason; the good ones are kept."""
    path = _bookings(
        tmp_path / "b.csv",
        [
            "B1,P1,mon,09:00,11:00,120,1.2,15,,",  # good
            "B2,P11,mon,09:00,10:00,10,0.1,5,,",  # unknown point
            "B3,P1,mon,07:00,07:30,10,0.1,5,,",  # past
            "B4,P1,mon,10:00,11:00,5000,1,5,,",  # too heavy
            "B5,P1,tue,10:00,11:00,50,1,5,,",  # another day
            "B1,P1,mon,10:00,11:00,50,1,5,,",  # duplicate id
            "B6,P2,mon,10:00,09:00,50,1,5,,",  # window reversed
            "B7,P2,mon,10:00,12:00,abc,1,5,,",  # not a number
            "B8,P2,mon,9:30,12:00,20,0.2,,104.6,",  # half a position
            "B9,P2,,13:00,14:00,20,0.2,,104.6,28.8",  # good, at the door, default handling
        ],
    )
    table = _read_monday(path, {"P1", "P2"}, max_kg=1620, max_m3=14.4)
    assert list(table.accepted["booking_id"]) == ["B1", "B9"]
    assert table.accepted.set_index("booking_id").loc["B9", "handling_min"] == 10
    assert table.skipped == 1
    got = {(r.row, r.column): r.reason for r in table.rejected.itertuples()}
    assert set(got) == {
        (2, "point_id"),
        (3, "window_end"),
        (4, "kg"),
        (6, "booking_id"),
        (7, "window_end"),
        (8, "kg"),
        (9, "lon/lat"),
    }
    assert "unknown" in got[(2, "point_id")] and "P1" in got[(2, "point_id")]
    assert "past" in got[(3, "window_end")]
    assert "larger than every truck" in got[(4, "kg")]
    assert "row 1" in got[(6, "booking_id")]


def test_bookings_table_without_a_required_column_is_an_input_error(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("booking_id,point,window_start,window_end,kg,m3\nB1,P1,09:00,10:00,1,1\n")
    with pytest.raises(InputError, match="point_id"):
        _read_monday(path, {"P1"}, shift_end_min=1000)


def test_excel_times_weekday_names_and_empty_rows_are_read(tmp_path):
    """What Excel and a Chinese dispatcher write: a time cell reads as HH:MM:SS, days as
    周一 / 星期二 / Wednesday, a row left empty; all understood, a wrong name rejected."""
    frame = pd.DataFrame(
        {
            "booking_id": ["B1", "", "B2", "B3", "B4", "B5"],
            "point_id": ["P1", "", "P1", "P1", "P1", "P1"],
            "day": ["周一", "", "星期一", "Wednesday", "周八", "mon"],
            "window_start": [time(9, 0), None, "10:00", "10:00", "10:00", time(13, 29, 40)],
            "window_end": [time(11, 30), None, "12:00", "12:00", "12:00", "15:00"],
            "kg": [60, None, 40, 40, 40, 40],
            "m3": [0.8, None, 0.5, 0.5, 0.5, 0.5],
        }
    )
    path = tmp_path / "b.xlsx"
    frame.to_excel(path, index=False)
    table = _read_monday(path, {"P1"})
    ok = table.accepted.set_index("booking_id")
    assert list(ok.index) == ["B1", "B2", "B5"]
    assert ok.loc["B1", "window_open_min"] == 540 and ok.loc["B1", "window_close_min"] == 690
    assert ok.loc["B5", "window_open_min"] == 13 * 60 + 30  # 13:29:40 to the minute
    assert table.skipped == 1  # Wednesday
    assert [(r.row, r.column, r.value) for r in table.rejected.itertuples()] == [(5, "day", "周八")]


def test_chinese_headers_are_read_and_named_in_rejections(tmp_path):
    """A dispatcher's own table with Chinese headers (full-width brackets, a stray space)
    plans like the template's; a bad value is reported under the header as typed; two
    headers for one column are an input error naming both."""
    path = tmp_path / "b.xlsx"
    pd.DataFrame(
        {
            "预约编号": ["B1", "B2", "B3"],
            "回收点编号": ["P1", "P1", "P1"],
            "星期": ["周一", "周一", "周一"],
            "开始时间": ["09:00", "10:00", "10:00"],
            "结束时间": ["11:00", "12:00", "12:00"],
            "重量（公斤）": [60, "六十", 40],
            "体积 (立方米)": [0.8, 0.5, 0.5],
            "送新重量": ["", "", 65],
            "经度": ["", "", ""],
            "纬度": ["", "", ""],
            "备注": ["冰箱", "", "洗衣机"],  # a column of its own: kept out of the way
        }
    ).to_excel(path, index=False)
    table = _read_monday(path, {"P1"})
    ok = table.accepted.set_index("booking_id")
    assert list(ok.index) == ["B1", "B3"]
    assert ok.loc["B1", "kg"] == 60 and ok.loc["B1", "m3"] == 0.8
    assert ok.loc["B3", "deliver_kg"] == 65 and ok.loc["B1", "window_close_min"] == 660
    assert [(r.row, r.column, r.value) for r in table.rejected.itertuples()] == [
        (2, "重量（公斤）", "六十")
    ]
    both = tmp_path / "both.csv"
    both.write_text("booking_id,预约编号,point_id,window_start,window_end,kg,m3\n")
    with pytest.raises(InputError, match="'booking_id' and '预约编号'"):
        _read_monday(both, {"P1"})
    missing = tmp_path / "missing.csv"
    missing.write_text("预约编号,point_id,window_start,window_end,m3\nB1,P1,09:00,10:00,1\n")
    with pytest.raises(InputError, match=r"'kg' \(or '重量（公斤）'\)"):
        _read_monday(missing, {"P1"})


def test_bookings_template_round_trip(planned, tmp_path):
    """`recyclenet run` writes bookings_template.xlsx: the columns route reads, the
    network's points to pick from (an input check on point_id and day), an example on
    the help sheet. Filled in Excel's way, it plans; left empty, it is a day with no
    bookings."""
    template = planned / "bookings_template.xlsx"
    wb = load_workbook(template)
    bookings, points, help_sheet = wb.worksheets
    assert [c.value for c in bookings[1]] == [c.name for c in BOOKING_COLUMNS]
    assert all(c.comment is not None for c in bookings[1])
    net = load_planned(planned)
    listed = [row[0] for row in points.iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == sorted(net.points["site_id"])
    checks = {str(v.sqref).split(":")[0]: v for v in bookings.data_validations.dataValidation}
    assert checks["B2"].type == "list" and f"$A${len(listed) + 1}" in checks["B2"].formula1
    assert checks["C2"].formula1.count(",") == len(net.scenario.routing.working_days) - 1
    assert bookings.column_dimensions["D"].number_format == "@"  # times stay as typed
    empty = _read_monday(template, set(listed))
    assert empty.accepted.empty and empty.rejected.empty
    example = {row[0]: row[4] for row in help_sheet.iter_rows(min_row=2, values_only=True)}
    aliases = {row[0]: row[5] for row in help_sheet.iter_rows(min_row=2, values_only=True)}
    assert "重量（公斤）" in aliases["kg"] and "预约编号" in aliases["booking_id"]
    assert example["point_id"] == listed[0]
    assert all(example[c.name] for c in BOOKING_COLUMNS)  # every column shown filled in
    first_day = net.scenario.routing.working_days[0]
    bookings.append(
        [example[c.name] if c.name != "window_start" else time(9, 0) for c in BOOKING_COLUMNS]
    )
    bookings.append(["B0002", listed[-1], "", "13:00", "15:00", 30, 0.4])
    wb.save(tmp_path / "filled.xlsx")
    result = runner.invoke(
        app,
        ["route", str(planned), str(tmp_path / "filled.xlsx"), "--day", first_day]
        + ["--out", str(tmp_path / "day")],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "day" / "summary.json").read_text(encoding="utf-8"))
    assert summary["bookings_rejected"] == 0 and summary["bookings_accepted"] == 2, summary


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """A small planned network (two townships) written by `recyclenet run`."""
    root = tmp_path_factory.mktemp("planned")
    scenario = write_small_scenario(root / "in")
    out = root / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_route_keeps_published_times_and_plans_bookings(planned, tmp_path):
    """`recyclenet route`: published stops within the tolerance of their time, a feasible
    booking planned in its window, an unreachable one deferred with the reason, a bad row
    rejected; every route passes the checker."""
    net = load_planned(planned)
    tt = net.timetable
    day = str(tt["day"].iloc[0])
    point = str(tt[tt["day"] == day]["point_id"].iloc[0])
    far_lon = float(net.points["lon"].max()) + 0.8  # ~80 km east: no way back in time
    lat = float(net.points["lat"].mean())
    path = _bookings(
        tmp_path / "b.csv",
        [
            f"OK1,{point},{day},09:00,16:00,80,0.6,10,,",
            f"FAR,{point},{day},08:00,08:30,10,0.1,10,{far_lon},{lat}",
            f"BAD,NOPE,{day},09:00,10:00,10,0.1,10,,",
        ],
    )
    out = tmp_path / "dispatch"
    result = runner.invoke(
        app,
        ["route", str(planned), str(path), "--day", day, "--out", str(out), "--time-limit-s", "4"],
    )
    assert result.exit_code == 0, result.output
    for name in DISPATCH_FILES:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["published_stops_missed"] == []
    assert summary["bookings_planned"] == 1 and summary["bookings_deferred"] == 1
    assert summary["bookings_rejected"] == 1
    routes = pd.read_csv(out / "routes.csv", encoding="utf-8-sig", dtype={"booking_id": str})
    stops = routes[routes["kind"] == "stop"]
    published = stops[stops["stop_kind"] == "published"]
    assert len(published) == summary["published_stops"] == (tt["day"] == day).sum()
    tol = net.scenario.routing.slot_tolerance_min
    moved = (
        published["arrival"].map(hhmm_to_min) - published["published_arrival"].map(hhmm_to_min)
    ).abs()
    assert (moved <= tol + 1).all()  # HH:MM rounding
    # ... and of the time on the sign, unless the plan itself lay further from it
    today = tt[tt["day"] == day].set_index("point_id")
    off_sign = published["arrival"].map(hhmm_to_min) - published["site_id"].map(today["slot_min"])
    planned_off = published["site_id"].map((today["arrival_min"] - today["slot_min"]).abs())
    assert (off_sign.abs() <= planned_off.clip(lower=tol) + 1).all()
    booked = stops[stops["booking_id"] == "OK1"]
    assert len(booked) == 1 and "09:00" <= booked["arrival"].iloc[0] <= "16:00"
    deferred = pd.read_csv(out / "deferred.csv", encoding="utf-8-sig")
    assert list(deferred["booking_id"]) == ["FAR"] and "reach" in deferred["reason"].iloc[0]
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig")
    assert list(rejected["row"]) == [3] and "unknown" in rejected["reason"].iloc[0]
    assert list(rejected["line"]) == [4]  # what Excel shows beside the row
    assert "BAD" in result.output and "row 3" in result.output


@pytest.mark.parametrize(
    ("arrival", "slot", "window"),
    [
        (600, 600, (585, 615)),
        (610, 600, (595, 615)),
        (590, 600, (585, 605)),
        (630, 600, (615, 630)),
    ],
)
def test_a_published_stop_keeps_to_its_planned_time_and_its_sign(arrival, slot, window):
    """15 min either side of the day's planned arrival and of the sign's time; a plan
    already 30 min from the sign keeps its own arrival and may not drift further."""
    got = _published_window(arrival, slot, 15.0)
    assert (got["open"], got["close"]) == window


@pytest.mark.parametrize(
    ("arrival", "hours", "window"),
    [
        (600, (595.0, 660.0), (595, 615)),  # opens at 09:55: not before
        (600, (540.0, 640.0), (585, 610)),  # closes 10:40: leave by then after 30 min
        (600, (600.0, 630.0), (600, 600)),  # exactly the stay
        (600, (float("nan"), 625.0), (585, 600)),  # never closed to the planned arrival
    ],
)
def test_a_published_stop_keeps_to_its_points_hours(arrival, hours, window):
    """Within the point's hours too (the truck stays 30 min and leaves by the closing)."""
    got = _published_window(arrival, arrival, 15.0, hours=hours, dwell_min=30.0)
    assert (got["open"], got["close"]) == window


def test_dispatch_days_pass_the_checker(planned, tmp_path):
    net = load_planned(planned)
    day = str(net.timetable["day"].iloc[0])
    point = str(net.points["site_id"].iloc[0])
    path = _bookings(
        tmp_path / "b.csv", [f"K{i},{point},{day},10:00,15:00,50,0.5,10,," for i in range(3)]
    )
    dispatch = plan_dispatch(net, day_bookings(net, path, day), day, time_limit_s=3)
    assert dispatch.days
    for d in dispatch.days:
        assert check_day(d) == []
    assert dispatch.missed_published() == []


def test_deliver_new_collect_old_bookings(planned, tmp_path):
    """送新收旧 through the dispatcher's table: a booking that brings a new 65 kg
    appliance and takes the old 60 kg one. The new one is on board from the start of
    its trip and leaves at the door, the route sheet says so; a delivery larger than
    every truck, or negative, is set aside with its column."""
    net = load_planned(planned)
    day = str(net.timetable["day"].iloc[0])
    point = str(net.points["site_id"].iloc[0])
    path = tmp_path / "b.csv"
    header = "booking_id,point_id,day,window_start,window_end,kg,m3,deliver_kg,deliver_m3"
    rows = [
        f"SWAP,{point},{day},09:00,16:00,60,0.8,65,0.9",
        f"PLAIN,{point},{day},09:00,16:00,30,0.4,,",
        f"HUGE,{point},{day},09:00,16:00,60,0.8,99999,0.9",
        f"NEG,{point},{day},09:00,16:00,60,0.8,65,-1",
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    table = day_bookings(net, path, day)
    assert list(table.accepted["booking_id"]) == ["SWAP", "PLAIN"]
    assert list(table.accepted["deliver_kg"]) == [65.0, 0.0]
    bad = {r.booking_id: (r.column, r.reason) for r in table.rejected.itertuples()}
    assert bad["HUGE"][0] == "deliver_kg" and "delivered item" in bad["HUGE"][1]
    assert bad["NEG"][0] == "deliver_m3" and "non-negative" in bad["NEG"][1]
    dispatch = plan_dispatch(net, table, day, time_limit_s=3)
    for d in dispatch.days:
        assert check_day(d) == []
    write_dispatch(dispatch, tmp_path / "out", lang="zh")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["bookings_planned"] == 2
    assert summary["deliveries_planned"] == 1 and summary["delivered_kg"] == 65.0
    routes = pd.read_csv(tmp_path / "out" / "routes.csv", encoding="utf-8-sig")
    routes = routes.fillna({"booking_id": ""})
    at = routes.index[routes["booking_id"] == "SWAP"][0]
    assert routes.loc[at, "delivered_kg"] == 65.0
    truck = routes[routes["truck"] == routes.loc[at, "truck"]].sort_values("seq")
    before = truck.loc[: at - 1]
    loaded = before[before["kind"].isin(["start", "unload"])].iloc[-1]  # where the trip began
    assert loaded["load_kg"] == pytest.approx(65.0, abs=0.1)  # only SWAP brings anything
    assert routes.loc[at, "load_kg"] == pytest.approx(before["load_kg"].iloc[-1] - 65 + 60, abs=0.2)
    assert routes.loc[routes["booking_id"] == "PLAIN", "delivered_kg"].tolist() == [0.0]
    sheets = (tmp_path / "out" / "route_sheets.html").read_text(encoding="utf-8")
    assert "送新（公斤）" in sheets and "预约 SWAP（送新收旧）" in sheets
    # The same day in Excel: counts, the rows set aside with their reasons, a sheet per truck.
    wb = load_workbook(tmp_path / "out" / "routes.xlsx")
    summary_sheet, station_sheet, deferred_sheet, rejected_sheet, *trucks = wb.worksheets
    per_station = summary["stations"]  # they add up to the day's counts
    assert sum(st["trucks"] for st in per_station) == summary["trucks_used"]
    assert sum(st["bookings_planned"] for st in per_station) == summary["bookings_planned"]
    assert sum(st["published_stops"] for st in per_station) == summary["published_stops"]
    assert sum(st["distance_km"] for st in per_station) == pytest.approx(
        summary["distance_km"], abs=0.1 * len(per_station)
    )
    assert all(st["first_out"] <= st["last_back"] for st in per_station if st["trucks"])
    assert station_sheet.max_row == 1 + len(per_station)
    counts = dict(summary_sheet.iter_rows(min_row=2, values_only=True))
    assert counts["送新收旧（次）"] == 1 and counts["已安排的预约"] == 2
    assert deferred_sheet.max_row == 1  # the header only: nothing deferred
    set_aside = list(rejected_sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in set_aside] == [("HUGE", "deliver_kg"), ("NEG", "deliver_m3")]
    assert "送达的新品" in set_aside[0][4]
    assert len(trucks) == routes["truck"].nunique()
    header = [c.value for c in trucks[0][1]]
    handed = [
        row[header.index("送新（公斤）")]
        for ws in trucks
        for row in ws.iter_rows(min_row=2, values_only=True)
        if "SWAP" in str(row[header.index("名称")])
    ]
    assert handed == [65.0]
    # In English the booking's stop reads in English too, in every output.
    write_dispatch(dispatch, tmp_path / "en", lang="en")
    routes_en = pd.read_csv(tmp_path / "en" / "routes.csv", encoding="utf-8-sig")
    names = set(routes_en["name"].dropna())
    assert any(n.startswith("Booking SWAP (deliver new, collect old) · ") for n in names)
    assert any(n.startswith("Booking PLAIN · ") for n in names)
    assert not any("预约" in n for n in names)
    en_pages = [
        (tmp_path / "en" / f).read_text(encoding="utf-8") for f in ("route_sheets.html", "map.html")
    ]
    assert all(
        "Booking SWAP (deliver new, collect old)" in p and "预约 SWAP" not in p for p in en_pages
    )


def test_route_on_a_folder_that_is_not_a_run(tmp_path):
    path = _bookings(tmp_path / "b.csv", ["B1,P1,mon,09:00,10:00,1,1,5,,"])
    result = runner.invoke(app, ["route", str(tmp_path), str(path), "--day", "mon"])
    assert result.exit_code == 2
    assert "scenario.resolved.yaml" in result.output and "recyclenet run" in result.output


def test_trucks_kept_at_the_sorting_centre(tmp_path):
    """routing.truck_base: sorting_centre. Every truck of the week and of the dispatched
    day leaves the centre, unloads at its station after each trip and drives back to the
    centre empty; the weekly and the dispatched days pass the checker."""
    from recyclenet.config import load_scenario
    from recyclenet.outputs.writer import write_outputs
    from recyclenet.pipeline import run_scenario

    path = write_small_scenario(tmp_path / "in", overrides={"routing.truck_base": "sorting_centre"})
    result = run_scenario(load_scenario(path))
    centre = result.sites.loc[result.sites["tier"] == "sorting_centre", "site_id"].item()
    assert result.week.days
    for d in result.week.days:
        assert check_day(d) == []
        for route in d.routes:
            assert d.problem.site_id(route[0].site) == centre  # leaves the centre
            assert d.problem.site_id(route[-1].site) == centre  # and is back there
            assert route[-2].kind == "unload" and route[-2].site == 0  # after unloading
            assert all(e.site == 0 for e in route if e.kind == "unload")  # at its station
    write_outputs(result, tmp_path / "out")
    net = load_planned(tmp_path / "out")
    assert set(net.stations["keeper_id"]) == {centre}
    day = str(net.timetable["day"].iloc[0])
    point = str(net.timetable.loc[net.timetable["day"] == day, "point_id"].iloc[0])
    bookings = _bookings(tmp_path / "b.csv", [f"K1,{point},{day},10:00,15:00,50,0.5,10,,"])
    dispatch = plan_dispatch(net, day_bookings(net, bookings, day), day, time_limit_s=3)
    assert dispatch.days and dispatch.missed_published() == []
    for d in dispatch.days:
        assert check_day(d) == []
        assert all(d.problem.site_id(r[0].site) == centre for r in d.routes)
    ev = dispatch.events()
    starts = ev[ev["kind"] == "start"]
    assert (starts["site_id"] == centre).all()
    assert set(starts["name"]) == {net.site_names()[centre]}
    write_dispatch(dispatch, tmp_path / "day")  # the map draws routes from the centre
    assert (tmp_path / "day" / "map.html").is_file()


def test_bookings_with_impossible_times_are_set_aside(tmp_path):
    """A window ending at 25:00 or 99:59 is no clock time, and a handling time longer
    than the shift is refused: each row set aside with its column and value."""
    path = write_bookings(
        tmp_path / "b.csv",
        [
            "b1,P1,mon,09:00,25:00,10,0.1,10,,",
            "b2,P1,mon,09:00,99:59,10,0.1,10,,",
            "b3,P1,mon,09:00,12:00,10,0.1,1e300,,",
            "b4,P1,mon,09:00,12:00,10,0.1,10,,",
        ],
    )
    table = _read_monday(path, {"P1"})
    assert list(table.accepted["booking_id"]) == ["b4"]
    bad = {(r.booking_id, r.column) for r in table.rejected.itertuples()}
    assert bad == {("b1", "window_end"), ("b2", "window_end"), ("b3", "handling_min")}


def test_stops_that_cannot_keep_their_sign_are_named(planned, tmp_path):
    """A day planned with no bookings keeps every sign (none listed). Where a sign says
    an hour earlier than the truck can come, the stop is named with its sign time and
    the expected arrival."""
    import dataclasses

    net = load_planned(planned)
    day = str(net.timetable["day"].iloc[0])
    empty = write_bookings(tmp_path / "none.csv", [])
    dispatch = plan_dispatch(net, day_bookings(net, empty, day), day, time_limit_s=60)
    assert dispatch.off_sign().empty
    stops = dispatch.stops.copy()
    first = stops.index[stops["kind"] == "published"][0]
    sign = hhmm_to_min(stops.loc[first, "sign"])
    stops.loc[first, "sign"] = min_to_hhmm(sign - 60)
    late = dataclasses.replace(dispatch, stops=stops).off_sign()
    assert list(late["point_id"]) == [stops.loc[first, "point_id"]]
    row = late.iloc[0]
    assert row["name"] == stops.loc[first, "name"] and row["sign"] == min_to_hhmm(sign - 60)
    assert row["minutes_off"] > 45 and row["expected"] != ""


def test_a_bookings_csv_saved_under_an_xlsx_name_reads(tmp_path):
    """Excel is recognised by content: a CSV named .xlsx (a BadZipFile before) reads as
    the CSV it is, in GBK too."""
    path = write_bookings(tmp_path / "b.csv", ["b1,P1,mon,09:00,12:00,10,0.1,10,,"])
    named = tmp_path / "预约.xlsx"
    named.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    table = _read_monday(named, {"P1"})
    assert list(table.accepted["booking_id"]) == ["b1"]


def _rows(*rows: tuple[str, str, int, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["truck", "point_id", "trip", "arrival_min", "departure_min", "expected_kg"],
    ).assign(expected_m3=lambda f: f["expected_kg"] / 100)


def test_where_each_truck_is_at_a_time_of_the_published_day():
    """At a stop: there with its trip's load until its departure; between two stops of a
    trip: committed to the next; trip done, next trip not yet due: at its station once
    unloaded; on its way to a new trip's first stop: committed; not yet out: at home."""
    from recyclenet.replan import trucks_now

    day = _rows(
        ("A", "p1", 1, 480, 510, 500),
        ("A", "p2", 1, 520, 550, 400),
        ("A", "p3", 2, 640, 670, 300),
        ("B", "p4", 1, 700, 730, 200),
    )
    at = lambda now: {  # noqa: E731
        s.truck: s
        for s in trucks_now(
            day,
            {"A": "box", "B": "box", "C": "box"},
            now,
            out_min=lambda p: 10.0,
            back_min=lambda p: 30.0,
        )
    }
    s = at(500)["A"]  # at p1
    assert (s.point_id, s.ready_min, s.load_kg, s.trip) == ("p1", 510, 500, 1)
    s = at(515)["A"]  # between p1 and p2: committed to p2, both loads on board
    assert (s.point_id, s.ready_min, s.load_kg) == ("p2", 550, 900)
    assert set(day.loc[list(s.frozen), "point_id"]) == {"p1", "p2"}
    s = at(600)["A"]  # p2 done at 550, unloaded by 580; p3 is due to leave at 630
    assert (s.point_id, s.ready_min, s.load_kg) == (None, 600, 0.0)
    s = at(635)["A"]  # left the station for p3 at 630: committed, a new trip's load
    assert (s.point_id, s.ready_min, s.load_kg, s.trip) == ("p3", 670, 300, 2)
    b = at(600)["B"]  # first stop 700, leaves at 690: still home
    assert (b.point_id, b.ready_min, b.frozen) == (None, 600, ())
    assert at(600)["C"].point_id is None  # no stop today


def test_replanning_during_the_day_starts_each_truck_where_it_is(planned, tmp_path):
    """`route --now`: the stops reached before then are not planned again, a truck at a
    stop starts there (its position first, at its planned departure, with its load, no
    drive from the station), every published stop left is served, and every route
    passes the checker."""
    net = load_planned(planned)
    tt = net.timetable
    day = str(tt["day"].iloc[0])
    today = tt[tt["day"] == day]
    at_stop = today.iloc[len(today) // 2]
    now = float(at_stop["arrival_min"]) + 1.0  # that truck is at that stop now
    empty = write_bookings(tmp_path / "none.csv", [])
    dispatch = plan_dispatch(
        net, day_bookings(net, empty, day), day, time_limit_s=60, earliest_min=now
    )
    assert dispatch.missed_published() == []
    for d in dispatch.days:
        assert check_day(d) == []
    ev = dispatch.events()
    published = ev[ev["stop_kind"] == "published"]
    assert (published["arrival_min"] >= now - net.scenario.routing.slot_tolerance_min).all()
    mine = ev[ev["truck"].isin(ev.loc[ev["site_id"] == at_stop["point_id"], "truck"])]
    position = ev[(ev["stop_kind"] == "position") & (ev["site_id"] == at_stop["point_id"])]
    assert len(position) == 1
    row = position.iloc[0]
    assert row["arrival_min"] == pytest.approx(float(at_stop["departure_min"]), abs=1.0)
    assert row["distance_km"] == 0.0 and row["load_kg"] >= float(at_stop["expected_kg"]) - 1
    truck = ev[(ev["base_id"] == row["base_id"]) & (ev["truck"] == row["truck"])]
    assert truck.iloc[0]["kind"] == "position"  # no start at the station
    assert "start" not in set(truck["kind"])
    assert len(mine) >= 1
    reached = today[today["arrival_min"] <= now]
    planned_again = set(zip(published["site_id"], published["arrival_min"].round(), strict=True))
    assert (
        not {
            (p, round(a)) for p, a in zip(reached["point_id"], reached["arrival_min"], strict=True)
        }
        & planned_again
    )
