"""The HTML we produce, opened from disk in headless Chromium (Debian's package).

Offline variants run with the network closed to the browser: every request that is not
``file:`` or ``data:`` is aborted and recorded. Screenshots go to the test's temporary
folder.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.outputs.maps import day_ranges, leaflet_inline, save_map
from recyclenet.outputs.report import KPI_ROWS, shown_rows
from tests.conftest import write_small_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it with apt-get)",
)
CJK = re.compile(r"[\u4e00-\u9fff]")
runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two offline runs of small scenarios (Chinese), and their comparison."""
    base = tmp_path_factory.mktemp("browser")
    out = {}
    for name, counts in (("a", (8, 2, 1)), ("b", (10, 2, 1))):
        scenario = write_small_scenario(
            base / f"in_{name}", counts=counts, overrides={"name": f"small-{name}"}
        )
        target = base / f"out_{name}"
        result = runner.invoke(
            app,
            ["run", str(scenario), "--out", str(target), "--quiet", "--offline", "--lang", "zh"],
        )
        assert result.exit_code == 0, result.output
        out[name] = target
    cmp_dir = base / "cmp"
    result = runner.invoke(
        app,
        [
            "compare",
            str(out["a"]),
            str(out["b"]),
            "--out",
            str(cmp_dir),
            "--lang",
            "zh",
            "--offline",
        ],
    )
    assert result.exit_code == 0, result.output
    out["cmp"] = cmp_dir
    return out


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def open_offline(browser, path: Path, scripts: dict[str, str] | None = None):
    """Open a page with the network closed; return (page, script errors, blocked requests).

    ``scripts`` (URL ending -> JavaScript) answers those requests instead of blocking
    them, as if that CDN file could be reached.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        served = next((js for end, js in (scripts or {}).items() if url.endswith(end)), None)
        if url.startswith(("file:", "data:")):
            r.continue_()
        elif served is not None:
            r.fulfill(status=200, content_type="application/javascript", body=served)
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, blocked


def test_offline_map(browser, runs, tmp_path):
    """map.html: no script error, no network, every marker and layer present, Chinese shown."""
    out = runs["a"]
    page, errors, blocked = open_offline(browser, out / "map.html")
    page.wait_for_selector(".leaflet-interactive")
    page.screenshot(path=str(tmp_path / "map.png"))
    assert errors == []
    assert blocked == []
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    n_sites = sum(kpis["facilities"].values())
    n_settlements = len(gpd.read_file(out / "network.gpkg", layer="settlements"))
    # Leaflet draws circle markers as SVG paths with arcs; lines have none.
    circles = page.evaluate(
        """() => Array.from(document.querySelectorAll('path.leaflet-interactive'))
                 .filter(p => /a/.test(p.getAttribute('d') || '')).length"""
    )
    assert circles == n_settlements + n_sites
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    bases = page.locator(".leaflet-control-layers-base label").all_inner_texts()
    assert len(bases) == 3  # blank, OpenStreetMap, Amap (GCJ-02)
    # tiers, assignments, settlements, the townships' context + one layer per day
    assert len(overlays) == 6 + 6
    # the context drawn from the scenario itself (nothing to download): each township's
    # extent and name
    towns = gpd.read_file(out / "network.gpkg", layer="settlements")["township"].nunique()
    assert page.locator(".township-name").count() == towns
    assert any("路线 周一" in o for o in overlays)
    # The Monday layer is shown: its numbered stops equal Monday's timetable rows.
    timetable = (out / "timetable.csv").read_text(encoding="utf-8-sig").splitlines()
    monday = sum(1 for line in timetable[1:] if line.split(",")[3] == "mon")
    assert page.locator(".stop-order").count() == monday
    legend = page.locator("#recyclenet-legend").inner_text()
    assert CJK.search(legend) and "图例" in legend
    page.context.close()


def test_signs_page(browser, runs, tmp_path):
    """signs.html: one sign per point on the timetable, in Chinese, with its days and
    the time on its sign as timetable.csv publishes them; a sign stays on one printed
    page."""
    out = runs["a"]
    page, errors, blocked = open_offline(browser, out / "signs.html")
    assert errors == [] and blocked == []
    timetable = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig")
    signs = page.locator("section.sign")
    assert signs.count() == timetable["point_id"].nunique() > 0
    labels = {
        "mon": "周一",
        "tue": "周二",
        "wed": "周三",
        "thu": "周四",
        "fri": "周五",
        "sat": "周六",
    }
    for point_id, rows in timetable.groupby("point_id"):
        text = page.locator(f'section.sign[data-point="{point_id}"]').inner_text()
        assert rows["point"].iloc[0] in text and "收运日" in text
        for day in labels:
            assert (labels[day] in text) == (day in set(rows["day"])), (point_id, day)
    # A row per line of signs.csv: its days and its time.
    lines = pd.read_csv(out / "signs.csv", encoding="utf-8-sig", dtype=str)
    for point_id, mine in lines.groupby("point_id", sort=False):
        shown = page.locator(f'section.sign[data-point="{point_id}"] tr.line')
        assert shown.count() == len(mine)
        for k, line in enumerate(mine.itertuples()):
            text = shown.nth(k).inner_text()
            assert line.time in text and day_ranges(line.days.split(";"), "zh") in text
    page.pdf(path=str(tmp_path / "signs.pdf"))  # printing works
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('section.sign')).breakInside")
        == "avoid"
    )
    page.context.close()


def test_map_popup_opens(browser, runs):
    """Clicking a collection point opens its popup with Chinese name, the time on its
    sign and its visit times."""
    page, errors, _ = open_offline(browser, runs["a"] / "map.html")
    page.evaluate(
        """() => { for (const k in window) { const v = window[k];
             if (v && v instanceof L.CircleMarker && v.options.radius === 6) {
               v.openPopup(); return; } } }"""
    )
    text = page.locator(".leaflet-popup-content").inner_text()
    assert "回收点" in text and "收运时间" in text
    assert re.search(r"牌示时间: \S+ \d\d:\d\d", text), text
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_online_map_explains_a_blank_page(browser, tmp_path, lang):
    """A map written without --offline, opened where its CDN cannot be reached (an
    intranet), says why it is blank and what to run instead; where Leaflet loads (the
    CDN's leaflet.js answered with the vendored copy), the notice stays hidden."""
    path = tmp_path / "map.html"
    fmap = folium.Map(location=[28.77, 104.63], zoom_start=11, tiles=None)
    folium.CircleMarker([28.77, 104.63], radius=6).add_to(fmap)
    save_map(fmap, path, offline=False, lang=lang)
    page, errors, blocked = open_offline(browser, path)
    notice = page.locator("#recyclenet-no-network")
    assert blocked and errors  # the CDN was asked for, and the map script failed
    assert notice.is_visible()
    text = notice.inner_text()
    assert "--offline" in text
    assert bool(CJK.search(text)) == (lang == "zh")
    page.screenshot(path=str(tmp_path / "blank-map.png"))
    page.context.close()

    leaflet_js, _ = leaflet_inline()
    page, _, _ = open_offline(browser, path, scripts={"/leaflet.js": leaflet_js})
    page.locator(".leaflet-interactive").first.wait_for()
    assert not page.locator("#recyclenet-no-network").is_visible()
    page.context.close()


def test_offline_map_has_no_notice(browser, runs):
    """--offline maps carry Leaflet inline and no such notice."""
    text = (runs["a"] / "map.html").read_text(encoding="utf-8")
    assert "recyclenet-no-network" not in text


def test_offline_report(browser, runs, tmp_path):
    """report.html: KPI table complete, status shown, a row per transfer station as in
    kpis.json, embedded map renders offline."""
    page, errors, blocked = open_offline(browser, runs["a"] / "report.html")
    frame = page.frame_locator("#run-map")
    frame.locator(".leaflet-interactive").first.wait_for()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert errors == [] and blocked == []
    kpis = json.loads((runs["a"] / "kpis.json").read_text(encoding="utf-8"))
    assert page.locator("table#kpis tr").count() == len(shown_rows(kpis)) + 1
    assert len(shown_rows(kpis)) == len(KPI_ROWS) - 1  # no specialised centres: no row
    cats = json.loads((runs["a"] / "kpis.json").read_text(encoding="utf-8"))["categories"]
    assert page.locator("table#categories tr").count() == len(cats) + 1
    stations = json.loads((runs["a"] / "kpis.json").read_text(encoding="utf-8"))["stations"]
    rows = page.locator("#stations tr")
    assert rows.count() == len(stations) + 1
    for i, st in enumerate(stations, start=1):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == st["name"] and cells[1] == str(st["points"])
        assert cells[4] == f"{100 * st['utilisation']:.1f} %"
    body = page.locator("body").inner_text()
    assert "选址求解状态" in body and "情景运行报告" in body
    assert "路线：" in body and "个站·日求解，纳入时刻表的回收点" in body
    work = json.loads((runs["a"] / "kpis.json").read_text(encoding="utf-8"))["siting"]
    work = work["solver_work"]  # the enumeration's counts, in Chinese words
    assert f"已求解 {work['sets_solved']}/{work['sets_total']} 个中转站与分拣中心组合" in body
    assert "sets solved" not in body
    assert "按工作量计" in body and "结果相同" in body and "不证明最优" in body


def test_offline_route_sheets_print(browser, runs, tmp_path):
    """route_sheets.html prints one page per truck and day; each stop shows the time
    on its sign next to the planned arrival, as timetable.csv publishes them."""
    page, errors, blocked = open_offline(browser, runs["a"] / "route_sheets.html")
    sheets = page.locator("section.sheet").count()
    routes = (runs["a"] / "routes.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    truck_days = {tuple(r.split(",")[2:4]) for r in routes if r.startswith("collection")}
    assert sheets == len(truck_days) > 0
    header = page.locator("section.sheet table tr").first.inner_text()
    assert "到达" in header and "牌示时间" in header
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('section.sheet tr'))
                 .map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText))
                 .filter(cells => cells.length && cells[4] !== '')
                 .map(cells => [cells[2], cells[4]])"""
    )
    timetable = pd.read_csv(runs["a"] / "timetable.csv", encoding="utf-8-sig")
    published = zip(timetable["point"], timetable["slot"], strict=True)
    assert sorted(map(tuple, shown)) == sorted(published)
    page.emulate_media(media="print")
    pdf = page.pdf(path=str(tmp_path / "route_sheets.pdf"))
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= sheets
    assert errors == [] and blocked == []


def test_offline_comparison(browser, runs, tmp_path):
    """comparison.html: self-contained, KPIs side by side with best marked, charts, maps."""
    page, errors, blocked = open_offline(browser, runs["cmp"] / "comparison.html")
    page.screenshot(path=str(tmp_path / "comparison.png"), full_page=True)
    assert errors == [] and blocked == []
    assert page.locator("#kpi-table tr").count() == len(KPI_ROWS)  # all but specialised
    assert page.locator("#kpi-table td.best").count() >= 1
    assert page.locator("svg.chart").count() == 5  # one of them the fleet as routed
    # Every label and legend entry lies inside its chart (the legend wraps).
    outside = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg.chart')).flatMap(svg =>
               Array.from(svg.querySelectorAll('text')).filter(el => {
                 const b = el.getBBox();
                 return b.x < 0 || b.x + b.width > svg.width.baseVal.value + 0.5
                   || b.y + b.height > svg.height.baseVal.value + 0.5;
               }).map(el => el.textContent))"""
    )
    assert outside == []
    assert page.locator("svg.mini-map").count() == 2
    assert page.locator("svg.mini-map circle.collection_points").count() == 8 + 10
    assert "情景比较" in page.locator("h1").inner_text()


def test_amap_base_layer_shifts_markers_to_gcj02(browser, runs):
    """Choosing the Amap (GCJ-02) base moves markers by the GCJ-02 offset, and back again."""
    from recyclenet.network import wgs84_to_gcj02

    page, errors, blocked = open_offline(browser, runs["a"] / "map.html")
    first = """() => { for (const k in window) { const v = window[k];
                 if (v && v instanceof L.CircleMarker && v.options.radius === 6) {
                   const p = v.getLatLng(); return [p.lng, p.lat]; } } }"""
    lon, lat = page.evaluate(first)
    page.get_by_text("高德地图 (GCJ-02)").click()
    assert page.evaluate("window.recyclenetShifted()")
    lon2, lat2 = page.evaluate(first)
    want = wgs84_to_gcj02(lon, lat)
    assert abs(lon2 - float(want[0])) < 1e-9 and abs(lat2 - float(want[1])) < 1e-9
    page.get_by_text("无底图").click()
    assert page.evaluate(first) == [lon, lat]
    # Amap tiles were requested and refused (the network is closed); no script failed.
    assert any("autonavi" in url for url in blocked)
    assert [e for e in errors if "Failed to load resource" not in e] == []
    page.context.close()


def test_offline_dispatch_day(browser, runs, tmp_path):
    """`recyclenet route --offline`: the day's map opens with no script error and no
    network, one numbered marker per stop of routes.csv and one layer per truck; the
    route sheets show what a deliver-new-collect-old stop receives."""
    out = runs["a"]
    timetable = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig", dtype=str)
    day = timetable["day"].iloc[0]
    point = timetable.loc[timetable["day"] == day, "point_id"].iloc[0]
    bookings = tmp_path / "b.csv"
    bookings.write_text(
        "booking_id,point_id,window_start,window_end,kg,m3,deliver_kg,deliver_m3\n"
        f"SWAP,{point},09:00,16:00,60,0.8,65,0.9\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        ["route", str(out), str(bookings), "--day", day, "--out", str(tmp_path / "day")]
        + ["--offline", "--time-limit-s", "3"],
    )
    assert result.exit_code == 0, result.output
    routes = pd.read_csv(tmp_path / "day" / "routes.csv", encoding="utf-8-sig")
    page, errors, blocked = open_offline(browser, tmp_path / "day" / "map.html")
    page.wait_for_selector(".stop-order")
    page.screenshot(path=str(tmp_path / "dispatch.png"))
    assert errors == [] and blocked == []
    assert page.locator(".stop-order").count() == (routes["kind"] == "stop").sum()
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert len(overlays) == 1 + routes["truck"].nunique()  # sites, then one per truck
    page.context.close()
    page, errors, blocked = open_offline(browser, tmp_path / "day" / "route_sheets.html")
    assert errors == [] and blocked == []
    headers = page.locator("section.sheet").first.locator("th").all_inner_texts()
    assert "送新（公斤）" in headers
    swap_row = page.locator("tr", has_text="预约 SWAP").first.locator("td").all_inner_texts()
    assert swap_row[headers.index("送新（公斤）")] == "65"
    page.context.close()


def test_tianditu_base_layer_with_a_key(browser, tmp_path):
    """With outputs.tianditu_key the map offers 天地图 and its labels beside the others;
    choosing it asks Tianditu for tiles with the key (refused here: no network)."""
    from recyclenet.config import load_scenario
    from recyclenet.outputs.maps import build_map, save_map
    from recyclenet.pipeline import run_scenario
    from tests.conftest import write_small_scenario

    path = write_small_scenario(
        tmp_path / "in", overrides={"outputs": {"tianditu_key": "abc123def456"}}
    )
    result = run_scenario(load_scenario(path))
    save_map(build_map(result, lang="zh", offline=True), tmp_path / "map.html", offline=True)
    page, errors, blocked = open_offline(browser, tmp_path / "map.html")
    bases = page.locator(".leaflet-control-layers-base label").all_inner_texts()
    assert any("天地图" in b for b in bases)
    page.get_by_text("天地图", exact=True).click()
    page.wait_for_timeout(300)
    assert any("tianditu.gov.cn" in url and "tk=abc123def456" in url for url in blocked)
    assert [e for e in errors if "Failed to load resource" not in e] == []
    page.context.close()


def test_comparison_runs_table_sorts(browser, runs):
    """comparison.html: a row per run with the headline indicators; a click on a header
    sorts the rows by it, a second click the other way."""
    page, errors, blocked = open_offline(browser, runs["cmp"] / "comparison.html")
    table = page.locator("table#runs")
    assert table.locator("tr").count() == 1 + 2
    km_col = [h.strip() for h in table.locator("th").all_inner_texts()].index("车公里/周")

    def column() -> list[float]:
        return [
            float(v)
            for v in page.evaluate(
                f"""() => Array.from(document.querySelectorAll('table#runs tr')).slice(1)
                    .map(r => r.children[{km_col}].dataset.value)"""
            )
        ]

    table.locator("th").nth(km_col).click()
    assert column() == sorted(column())
    table.locator("th").nth(km_col).click()
    assert column() == sorted(column(), reverse=True)
    assert errors == [] and blocked == []
