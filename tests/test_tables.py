"""Input tables as planners keep them: Chinese headers and values, title rows,
thousands separators, swapped coordinates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recyclenet.errors import InputError
from recyclenet.io import read_table
from recyclenet.tables import (
    CANDIDATE_COLUMNS,
    FLEET_COLUMNS,
    SETTLEMENT_COLUMNS,
    validate_table,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "cuiping"

ZH_SETTLEMENTS = {
    "settlement_id": "编号",
    "name": "名称",
    "township_code": "乡镇代码",
    "township": "乡镇",
    "kind": "类型",
    "lon": "经度",
    "lat": "纬度",
    "population": "人口",
    "households": "户数",
    "urban_rural": "城乡",
}
ZH_VALUES = {"village": "村", "community": "社区", "urban": "城镇", "rural": "乡村"}
ZH_CANDIDATES = {
    "site_id": "站点编号",
    "name": "名称",
    "tier": "层级",
    "lon": "经度",
    "lat": "纬度",
    "fixed_cost_cny_per_year": "年固定成本(元)",  # half-width brackets
    "capacity_t_per_day": "日处理能力（吨）",
    "existing": "现有",
}
ZH_TIERS = {
    "collection_point": "回收点",
    "transfer_station": "中转站",
    "sorting_centre": "分拣中心",
}
ZH_FLEET = {
    "vehicle_type": "车型编号",
    "name": "车型",
    "payload_kg": "载重（公斤）",
    "volume_m3": "容积（立方米）",
    "speed_kmh": "车速（公里/小时）",
    "cost_cny_per_km": "每公里成本（元）",
    "fixed_cost_cny_per_day": "每日固定成本（元）",
}


def _as_planner_keeps_it(frame: pd.DataFrame, headers: dict, values: dict, path: Path) -> Path:
    """The table with Chinese headers and values, a title row above the header,
    thousands separators in the big numbers, saved as a GBK CSV."""
    zh = frame[list(headers)].rename(columns=headers).astype(str)
    for col in zh.columns:
        zh[col] = zh[col].map(lambda v: values.get(v, v))
        if col in ("人口", "年固定成本(元)"):
            zh[col] = zh[col].map(lambda v: f"{float(v):,.0f}")
        if col == "现有":
            zh[col] = zh[col].map(lambda v: "是" if v.lower() == "true" else "否")
    lines = ["翠屏区再生资源回收网络 村社表（2023）" + "," * (len(zh.columns) - 1)]
    lines.append(zh.to_csv(index=False).rstrip("\n"))
    path.write_bytes("\n".join(lines).encode("gbk"))
    return path


@pytest.mark.parametrize(
    ("file", "columns", "headers", "values"),
    [
        ("settlements.csv", SETTLEMENT_COLUMNS, ZH_SETTLEMENTS, ZH_VALUES),
        ("candidate_sites.csv", CANDIDATE_COLUMNS, ZH_CANDIDATES, ZH_TIERS),
        ("fleet.csv", FLEET_COLUMNS, ZH_FLEET, {}),
    ],
)
def test_chinese_tables_read_as_the_english_ones(tmp_path, file, columns, headers, values):
    english = validate_table(read_table(DATA / file), columns, DATA / file)
    path = _as_planner_keeps_it(read_table(DATA / file), headers, values, tmp_path / file)
    chinese = validate_table(read_table(path), columns, path)
    for col in headers:
        got, want = chinese[col], english[col]
        if want.dtype.kind == "f":
            assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-9), col
        else:
            assert list(got) == list(want), col


def test_a_chinese_value_outside_the_choices_is_named_with_the_chinese_words(tmp_path):
    frame = read_table(DATA / "settlements.csv").head(3)
    frame.loc[1, "kind"] = "镇"
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        validate_table(read_table(path), SETTLEMENT_COLUMNS, path)
    (problem,) = err.value.problems
    assert problem.row == 2 and problem.value == "镇" and "村" in problem.hint


def test_rows_are_counted_from_the_file_when_a_title_sits_above_the_header(tmp_path):
    """A bad value in the second data row under a one-line title: row 3 (line 4)."""
    frame = read_table(DATA / "fleet.csv").head(3)
    frame.loc[1, "speed_kmh"] = "fast"
    path = tmp_path / "fleet.csv"
    path.write_text("车型表\n" + frame.to_csv(index=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        validate_table(read_table(path), FLEET_COLUMNS, path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "speed_kmh", "fast")


def test_swapped_longitude_and_latitude_are_named_once(tmp_path):
    frame = read_table(DATA / "settlements.csv").head(20)
    frame = frame.rename(columns={"lon": "lat", "lat": "lon"})
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        validate_table(read_table(path), SETTLEMENT_COLUMNS, path)
    (problem,) = err.value.problems
    assert "swapped in 20 of 20 rows" in problem.message and "swap" in problem.hint


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1,234", 1234.0), ("1，234.5", 1234.5), ("１２３４", 1234.0), ("12,34", None)],
)
def test_numbers_with_thousands_separators(tmp_path, typed, value):
    frame = read_table(DATA / "fleet.csv").head(1)
    frame.loc[0, "payload_kg"] = typed
    path = tmp_path / "fleet.csv"
    frame.to_csv(path, index=False)
    if value is None:  # not a thousands separator: named, not guessed
        with pytest.raises(InputError, match="not a number"):
            validate_table(read_table(path), FLEET_COLUMNS, path)
    else:
        got = validate_table(read_table(path), FLEET_COLUMNS, path)
        assert got.loc[0, "payload_kg"] == value
