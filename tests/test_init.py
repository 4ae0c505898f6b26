"""`recyclenet init`: a county the project has never seen, from the workbook it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from recyclenet.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
VALUES = {"village": "村", "community": "社区", "urban": "城镇", "rural": "乡村"}


def _fill(book: Path) -> None:
    """What a planner does: the settlements sheet filled under its Chinese headers (two
    townships of the Cuiping data standing in for a new county, under new ids), the
    example rows deleted, the candidates sheet left with its header only."""
    st = pd.read_csv(ROOT / "data" / "cuiping" / "settlements.csv", dtype=str)
    st = st[st["township"].isin(["李庄镇", "宋家镇"])]
    wb = load_workbook(book)
    ws = wb["村社"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["编号", "名称", "乡镇代码", "乡镇"]
    ws.delete_rows(2, ws.max_row)
    english = [
        "settlement_id",
        "name",
        "township_code",
        "township",
        "kind",
        "lon",
        "lat",
        "population",
        "households",
        "urban_rural",
    ]
    for row in st.itertuples():
        values = [VALUES.get(getattr(row, c), getattr(row, c)) for c in english]
        values[0] = "N" + values[0]  # ids the project has never seen
        for k in (5, 6):
            values[k] = float(values[k])
        for k in (7, 8):
            values[k] = f"{int(values[k]):,}"  # thousands separators, as text
        ws.append(values[: len(headers)])
    wb["候选站点"].delete_rows(2, wb["候选站点"].max_row)
    wb.save(book)


def test_a_new_county_from_init_to_run(tmp_path):
    folder = tmp_path / "newcounty"
    result = runner.invoke(app, ["init", str(folder), "--title", "新县回收网络 2027"])
    assert result.exit_code == 0, result.output
    scenario, book = folder / "scenario.yaml", folder / "inputs.xlsx"
    wb = load_workbook(book)
    assert wb.sheetnames == ["村社", "候选站点", "车型", "说明"]
    ws = wb["村社"]
    assert ws["A1"].comment is not None and ws.data_validations.dataValidation
    assert ws.max_row == 3  # two example rows
    _fill(book)
    config = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    config["siting"]["counts"] = {"collection_point": 8, "transfer_station": 2, "sorting_centre": 1}
    config["solver"]["effort"] = "quick"
    scenario.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["inputs"]["default_candidates"] is True
    assert kpis["facilities"] == {"collection_point": 8, "transfer_station": 2, "sorting_centre": 1}
    points = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig")
    assert points["point_id"].str.startswith("PN").all()  # points at the new settlements


def test_init_does_not_overwrite_a_planners_files(tmp_path):
    folder = tmp_path / "c"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    (folder / "inputs.xlsx").write_bytes(b"the planner's work")
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code != 0 and "overwrite" in result.output
    assert (folder / "inputs.xlsx").read_bytes() == b"the planner's work"


def test_init_in_english(tmp_path):
    folder = tmp_path / "county-en"
    assert runner.invoke(app, ["init", str(folder), "--lang", "en"]).exit_code == 0
    wb = load_workbook(folder / "inputs.xlsx")
    assert wb.sheetnames == ["settlements", "candidates", "vehicles", "help"]
    assert wb["settlements"]["A1"].value == "settlement_id"
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    assert "inputs.xlsx#settlements" in text and "language: en" in text


def test_every_shipped_scenario_validates():
    """Each scenario in scenarios/ (Cuiping's and the other plan areas') reads and checks."""
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 0, (path.name, result.output)


def test_each_site_carries_its_operator(tmp_path):
    """两网融合: the candidates' operator (运营主体) goes with every open site into the
    workbook's facilities sheet and the GeoPackage."""
    import geopandas as gpd

    from tests.conftest import write_small_scenario

    path = write_small_scenario(tmp_path / "in")
    cand = pd.read_csv(path.parent / "candidates.csv", dtype=str, keep_default_na=False)
    cand["运营主体"] = ["供销合作社" if t == "transfer_station" else "村委会" for t in cand["tier"]]
    cand.to_csv(path.parent / "candidates.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    stations = gpd.read_file(out / "network.gpkg", layer="transfer_stations")
    assert set(stations["operator"]) == {"供销合作社"}
    sheet = load_workbook(out / "workbook.xlsx")["设施"]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index("运营主体")
    by_tier = {(r[0], r[col]) for r in rows[1:]}
    assert ("镇级中转站", "供销合作社") in by_tier and ("村级回收点", "村委会") in by_tier
    assert not {t for t, op in by_tier if t != "区级分拣中心" and op in (None, "")}


def test_init_fills_the_settlements_from_osm_places(tmp_path):
    """`init --osm-xml` (the tests' small extract; --osm-place and --osm-bbox read the
    same through osmnx from the internet): every named place a settlement, villages and
    hamlets as 村, the rest as 社区, each in the township of its nearest town; the
    population of a place without an OSM figure spread from --population and labelled
    estimated; the scenario then validates as it is."""
    folder = tmp_path / "osm"
    xml = ROOT / "tests" / "data" / "osm_places.osm"
    result = runner.invoke(
        app, ["init", str(folder), "--osm-xml", str(xml), "--population", "60000"]
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(folder / "inputs.xlsx")["村社"].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    table = pd.DataFrame(body, columns=head)
    assert len(table) == 10  # the unnamed place is left out
    assert set(table["类型"]) == {"村", "社区"}
    assert table.loc[table["名称"] == "林家湾", "类型"].item() == "村"  # a hamlet
    assert table.loc[table["名称"] == "石桥村", "人口"].item() == 1500  # OSM's own figure
    assert table["人口"].sum() == pytest.approx(60000, abs=10)
    estimated = table["来源"].str.contains("estimated")
    assert estimated.sum() == 7 and not estimated[table["名称"] == "甲镇"].any()
    assert set(table.loc[table["名称"] == "上坝村", "乡镇"]) == {"甲镇"}
    result = runner.invoke(app, ["validate", str(folder / "scenario.yaml")])
    assert result.exit_code == 0, result.output


def test_too_few_candidates_is_said_in_chinese(tmp_path):
    """More sites asked for than the candidates table has: named in Chinese first."""
    from tests.conftest import write_small_scenario

    path = write_small_scenario(tmp_path, overrides={"siting.counts.collection_point": 999})
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "情景要求 999 个 collection_point 站点" in result.output
    assert "减到不超过" in result.output
