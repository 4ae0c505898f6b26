"""Bad input stops the run before solving, naming file, row, column and value."""

from __future__ import annotations

import pandas as pd
import pytest

from recyclenet.config import load_scenario
from recyclenet.demand import settlement_demand
from recyclenet.errors import InputError
from recyclenet.inputs import load_inputs
from recyclenet.siting_inputs import siting_problem
from tests.conftest import write_small_scenario


def _problem(path):
    sc = load_scenario(path)
    inputs = load_inputs(sc)
    return siting_problem(inputs, settlement_demand(inputs.settlements, sc.demand), sc)


def _edit(path, table, fn):
    file = path.parent / table
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    frame = fn(frame)
    frame.to_csv(file, index=False)
    return file


def test_valid_small_scenario_builds(small_scenario):
    """The reduced scenario passes every check."""
    problem = _problem(small_scenario)
    assert problem.num_settlements > 10


def test_misspelt_column_suggests_the_right_name(small_scenario):
    """A renamed column is reported as missing with a rename hint."""
    _edit(
        small_scenario, "settlements.csv", lambda f: f.rename(columns={"population": "popluation"})
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    text = str(exc.value)
    assert "settlements.csv" in text and "'population' is missing" in text
    assert "rename column 'popluation' to 'population'" in text


def test_duplicate_ids_name_both_rows(small_scenario):
    """A repeated settlement_id points to the row that used it first."""

    def dup(f):
        f.loc[3, "settlement_id"] = f.loc[0, "settlement_id"]
        return f

    _edit(small_scenario, "settlements.csv", dup)
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    problem = exc.value.problems[0]
    assert problem.row == 4 and problem.column == "settlement_id"
    assert "already used in row 1" in problem.message


def test_non_numeric_and_out_of_range_coordinates(small_scenario):
    """Every bad coordinate is listed with its row and value."""

    def bad(f):
        f.loc[1, "lon"] = "104,8"
        f.loc[2, "lat"] = "128.7"
        return f

    _edit(small_scenario, "settlements.csv", bad)
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    found = {(p.row, p.column, p.value) for p in exc.value.problems}
    assert (2, "lon", "104,8") in found and (3, "lat", "128.7") in found
    assert "row 2 (line 3), column 'lon', value '104,8'" in str(exc.value)


def test_negative_population(small_scenario):
    """Negative population is out of range."""
    _edit(
        small_scenario,
        "settlements.csv",
        lambda f: f.assign(population=f["population"].where(f.index != 5, "-12")),
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    (p,) = exc.value.problems
    assert (p.row, p.column, p.value) == (6, "population", "-12")
    assert "out of range" in p.message


def test_unknown_choice_suggests_close_value(small_scenario):
    """A misspelt tier suggests the allowed value."""
    _edit(
        small_scenario,
        "candidates.csv",
        lambda f: f.assign(tier=f["tier"].where(f.index != 0, "colection_point")),
    )
    with pytest.raises(InputError, match="did you mean 'collection_point'"):
        _problem(small_scenario)


def test_count_larger_than_candidates(tmp_path):
    """Asking for more stations than candidates is refused with the numbers."""
    path = write_small_scenario(tmp_path, counts=(8, 40, 1))
    cand = pd.read_csv(path.parent / "candidates.csv")
    n_stations = int((cand["tier"] == "transfer_station").sum())
    with pytest.raises(InputError) as exc:
        _problem(path)
    text = str(exc.value)
    assert "asks for 40 transfer_station" in text and f"only {n_stations} candidates" in text


def test_settlement_out_of_reach_is_named(tmp_path):
    """A village far from every candidate point is named with its distance and row."""
    path = write_small_scenario(tmp_path)
    st = pd.read_csv(path.parent / "settlements.csv", dtype=str)
    name = st.loc[2, "name"]
    sid = st.loc[2, "settlement_id"]
    st.loc[2, "lon"] = "105.2"  # ~40 km east of its township
    st.to_csv(path.parent / "settlements.csv", index=False)
    _edit(path, "candidates.csv", lambda f: f[f["settlement_id"] != sid])
    with pytest.raises(InputError) as exc:
        _problem(path)
    (p,) = exc.value.problems
    assert p.row == 3 and name in p.message and "siting.max_access_km is 5 km" in p.message


def test_unknown_vehicle_type(tmp_path):
    """A routing vehicle missing from the fleet table is reported against the fleet file."""
    path = write_small_scenario(tmp_path, overrides={"routing.collection_vehicle": "van"})
    with pytest.raises(InputError) as exc:
        _problem(path)
    assert "fleet.csv" in str(exc.value) and "'van'" in str(exc.value)


def test_storage_and_visits_columns_are_checked(small_scenario):
    """Storage and visits a week belong to collection points, as numbers within the
    working days; empty cells mean "none" and "work it out"."""

    def bad(f):
        points = f.index[f["tier"] == "collection_point"]
        station = f.index[f["tier"] == "transfer_station"][0]
        f["storage_m3"] = ""
        f["visits_per_week"] = ""
        f.loc[points[0], "storage_m3"] = "12"  # fine
        f.loc[points[1], "storage_m3"] = "a lot"
        f.loc[points[2], "visits_per_week"] = "2.5"
        f.loc[points[3], "visits_per_week"] = "7"  # the scenario works Monday to Saturday
        f.loc[station, "storage_m3"] = "40"
        return f

    def problems_after(edit):
        _edit(small_scenario, "candidates.csv", edit)
        with pytest.raises(InputError) as exc:
            _problem(small_scenario)
        return {(p.column, p.value): p for p in exc.value.problems}

    found = problems_after(bad)
    assert "not a number" in found["storage_m3", "a lot"].message
    assert "whole number" in found["visits_per_week", "2.5"].message
    # Range problems of a table come before the checks across tables: fix and see those.
    assert ("visits_per_week", "7") not in found

    def fixed(f):
        f.loc[f["storage_m3"] == "a lot", "storage_m3"] = "3"
        f.loc[f["visits_per_week"] == "2.5", "visits_per_week"] = "2"
        return f

    found = problems_after(fixed)
    assert "6 working days" in found["visits_per_week", "7"].message
    assert "at most 6" in found["visits_per_week", "7"].hint
    station = found["storage_m3", "40"]
    assert "collection points only" in station.message and "transfer_station" in station.message
    assert len(found) == 2


def test_storage_and_visits_columns_may_be_left_out(small_scenario):
    """Without the columns every point is a plain stop whose visits are worked out."""
    cand = load_inputs(load_scenario(small_scenario)).candidates
    assert cand[["storage_m3", "storage_kg", "visits_per_week"]].isna().all().all()


def test_point_hours_are_checked(small_scenario):
    """A point's hours must be times, in order, within the shift (08:00-17:30 in the
    small scenario) and long enough for the truck's 30 min stay; only points have
    hours. One time alone is read against the shift."""

    def bad(f):
        points = f.index[f["tier"] == "collection_point"]
        f["window_start"] = f["window_end"] = ""
        f.loc[points[0], ["window_start", "window_end"]] = ["16:00", "19:00"]  # fine
        f.loc[points[1], "window_start"] = "9.30"
        f.loc[points[2], ["window_start", "window_end"]] = ["15:00", "14:00"]
        f.loc[points[3], ["window_start", "window_end"]] = ["10:00", "10:20"]
        f.loc[points[4], ["window_start", "window_end"]] = ["18:00", "20:00"]
        f.loc[points[5], "window_end"] = "08:15"
        f.loc[f.index[f["tier"] == "sorting_centre"][0], "window_start"] = "09:00"
        return f

    _edit(small_scenario, "candidates.csv", bad)
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    found = {(p.column, p.value): p.message for p in exc.value.problems}
    assert found["window_start", "9.30"] == "the value is not a time"
    assert "ends (14:00) before it starts (15:00)" in found["window_end", "14:00"]
    assert "shorter than the truck's stay" in found["window_end", "10:20"]
    assert "no stay within the shift 08:00-17:30" in found["window_end", "20:00"]
    assert "shorter than the truck's stay" in found["window_end", "08:15"]
    assert "collection points only" in found["window_start", "09:00"]
    assert len(found) == 6


def test_point_hours_read_from_excel_time_cells(small_scenario):
    """An Excel time cell reads 16:30:00: the hours are kept as 16:30, in minutes too."""

    def hours(f):
        f["window_start"] = f["window_end"] = ""
        f.loc[f.index[f["tier"] == "collection_point"][0], "window_start"] = "16:30:00"
        return f

    _edit(small_scenario, "candidates.csv", hours)
    cand = load_inputs(load_scenario(small_scenario)).candidates
    row = cand[cand["window_start"] != ""].iloc[0]
    assert (row["window_start"], row["window_open_min"]) == ("16:30", 990.0)
    assert row["window_end"] == "" and row["window_close_min"] == 17.5 * 60  # the shift's


def test_published_rounds_are_read_from_a_kept_timetable(tmp_path):
    """The kept timetable's truck, trip and arrival columns give each day's rounds in
    order of arrival; a timetable without them (typed by hand) gives none, and one
    whose arrival is not a time gives none rather than a wrong round."""
    from recyclenet.inputs import read_kept_timetable

    rows = pd.DataFrame(
        {
            "point_id": ["b", "a", "c", "d"],
            "day": ["mon", "mon", "mon", "sun"],
            "slot": ["09:00", "08:10", "08:30", "08:30"],
            "arrival": ["09:00", "08:10", "08:30", "08:30"],
            "truck": ["T-1", "T-1", "T-2", "T-1"],
            "vehicle_type": ["box", "box", "tricycle", "box"],
            "trip": [2, 1, 1, 1],
        }
    )
    path = tmp_path / "timetable.csv"
    rows.to_csv(path, index=False)
    rounds = read_kept_timetable(path, ("mon", "tue")).rounds
    assert rounds == {
        "mon": [
            ("T-1", "box", [("a", 1, 490.0), ("b", 2, 540.0)]),
            ("T-2", "tricycle", [("c", 1, 510.0)]),
        ]
    }
    rows.drop(columns=["truck"]).to_csv(path, index=False)
    assert read_kept_timetable(path, ("mon", "tue")).rounds == {}
    rows.assign(arrival=["09:00", "8h10", "08:30", "08:30"]).to_csv(path, index=False)
    assert read_kept_timetable(path, ("mon", "tue")).rounds == {}


def test_kept_day_signs_are_read_per_point_and_day(tmp_path):
    """Each working day's sign times per point, in order; other days left out."""
    from recyclenet.inputs import read_kept_timetable

    path = tmp_path / "timetable.csv"
    pd.DataFrame(
        {
            "point_id": ["a", "a", "a", "b"],
            "day": ["tue", "tue", "mon", "sun"],
            "slot": ["11:40", "08:20", "08:20", "09:00"],
        }
    ).to_csv(path, index=False)
    assert read_kept_timetable(path, ("mon", "tue")).day_signs == {
        ("a", "tue"): (500.0, 700.0),
        ("a", "mon"): (500.0,),
    }


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("settlements.csv", "population", "inf", "not a finite number"),
        ("settlements.csv", "population", "-inf", "not a finite number"),
        ("settlements.csv", "population", "1e20", "out of range (0..2e+06)"),
        ("settlements.csv", "households", "nan", "not a number"),
        ("candidates.csv", "fixed_cost_cny_per_year", "1e309", "not a finite number"),
        ("fleet.csv", "payload_kg", "1", "out of range (50..100000)"),
        ("fleet.csv", "volume_m3", "0.001", "out of range (0.1..200)"),
        ("fleet.csv", "cost_cny_per_km", "inf", "not a finite number"),
        ("fleet.csv", "cost_cny_per_km", "1e-12", "below 0.01 CNY"),
    ],
)
def test_numbers_must_be_finite_and_sane(small_scenario, table, column, value, message):
    """Infinite, huge or absurdly small numbers are refused before any model is built,
    naming the file, row, column and value, with the range allowed."""
    _edit(
        small_scenario, table, lambda f: f.assign(**{column: f[column].where(f.index != 0, value)})
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    found = [(p.file.endswith(table), p.row, p.column, p.value) for p in exc.value.problems]
    assert (True, 1, column, value) in found
    assert message in str(exc.value)


def test_a_site_at_the_north_pole_is_refused(small_scenario):
    """A candidate site outside China (a latitude typed 89.9) is named with its row."""
    _edit(
        small_scenario,
        "candidates.csv",
        lambda f: f.assign(lat=f["lat"].where(f.index != 2, "89.9")),
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    (p,) = exc.value.problems
    assert p.file.endswith("candidates.csv") and p.row == 3 and p.column == "lon/lat"
    assert "outside China" in p.message


def test_swapped_lon_and_lat_are_named(small_scenario):
    """A settlement with lon and lat swapped is named with the advice to exchange them."""

    def swap(f):
        f.loc[3, "lon"], f.loc[3, "lat"] = f.loc[3, "lat"], f.loc[3, "lon"]
        return f

    _edit(small_scenario, "settlements.csv", swap)
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    (p,) = exc.value.problems
    assert (p.row, p.column) == (4, "lat") and "swapped" in str(exc.value)


def test_tables_in_gbk_or_named_xlsx_are_read(small_scenario):
    """A settlements CSV saved in GBK reads; a CSV saved under an .xlsx name is read as
    the CSV it is (Excel is recognised by content, not by name)."""
    folder = small_scenario.parent
    text = (folder / "settlements.csv").read_text(encoding="utf-8")
    (folder / "settlements.csv").write_bytes(text.encode("gb18030"))
    (folder / "fleet.xlsx").write_bytes((folder / "fleet.csv").read_bytes())
    scenario = small_scenario.read_text(encoding="utf-8").replace("fleet.csv", "fleet.xlsx")
    small_scenario.write_text(scenario, encoding="utf-8")
    problem = _problem(small_scenario)
    assert problem.num_settlements > 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "old Excel 97-2003"),
        (b"PK\x03\x04not really a zip", "cannot be read"),
        ("编号".encode("utf-16"), "UTF-16"),
        (b"i\x00d\x00,\x00n\x00a\x00m\x00e\x00\n\x001\x00", "NUL characters"),
    ],
)
def test_unreadable_tables_get_their_own_sentence(small_scenario, content, message):
    """An empty file, an .xls, a broken workbook and UTF-16 text each get a sentence of
    their own naming the file, never a traceback."""
    (small_scenario.parent / "settlements.csv").write_bytes(content)
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    assert "settlements.csv" in str(exc.value) and message in str(exc.value)


def test_a_site_far_from_every_settlement_is_named_with_the_distance(small_scenario):
    """A candidate station typed 1.5 degrees off (in China, but far from the county) is
    named with its nearest settlement and the distance."""
    _edit(
        small_scenario,
        "candidates.csv",
        lambda f: f.assign(lon=f["lon"].where(f["tier"] != "transfer_station", "106.3")),
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    assert all("km from the nearest settlement" in p.message for p in exc.value.problems)
    assert exc.value.problems and "站点距最近的村/社区" in exc.value.render("zh")


def test_a_settlement_of_too_many_truckloads_a_day_is_refused_before_any_model(small_scenario):
    """A population typed with three zeros too many (a million and a half) would fill
    dozens of trucks a day at one village: refused with the numbers before siting."""
    from recyclenet.pipeline import run_scenario

    _edit(
        small_scenario,
        "settlements.csv",
        lambda f: f.assign(population=f["population"].where(f.index != 2, "1500000")),
    )
    with pytest.raises(InputError) as exc:
        run_scenario(load_scenario(small_scenario))
    (p,) = exc.value.problems
    assert p.row == 3 and p.column == "population" and "loads of the largest" in p.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("demand.categories.paper.density_kg_per_m3", 1e-12),
        ("routing.max_fill", 0.001),
        ("demand.categories.paper.rural_kg_per_person_day", float("inf")),
    ],
)
def test_scenario_numbers_that_hang_or_crash_the_solver_are_refused(tmp_path, key, value):
    """A density of 1e-12 or max_fill 0.001 (the solver ran past three times its limit)
    and an infinite rate (an OR-Tools error) are refused when the scenario is read."""
    from recyclenet.errors import ConfigError

    scenario = write_small_scenario(tmp_path / "s", overrides={key: value})
    with pytest.raises(ConfigError) as exc:
        load_scenario(scenario)
    assert key.split(".")[-1] in str(exc.value)


def test_a_nul_in_a_name_is_named_before_solving(small_scenario):
    """A NUL character in a settlement's name (the workbook failed after 26 s of
    solving) is named with its row and column."""
    _edit(
        small_scenario,
        "settlements.csv",
        lambda f: f.assign(name=f["name"].where(f.index != 4, "村\x00名")),
    )
    with pytest.raises(InputError) as exc:
        _problem(small_scenario)
    (p,) = exc.value.problems
    assert (p.row, p.column) == (5, "name") and "control characters" in p.message
