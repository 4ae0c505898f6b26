"""Hostile text from the inputs never runs as script, nor as a formula in a workbook.

Names of settlements, townships and sites, the scenario's title and booking ids are
whatever a planner's or dispatcher's table holds. Every page `run`, `route` and
`compare` write is opened in headless Chromium, each popup and tooltip shown, and no
dialog may open; every workbook cell holding such text is text, not a formula.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from recyclenet.cli import app
from tests.conftest import write_small_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
runner = CliRunner()

HOSTILE = (
    "<img src=x onerror=alert(2)>",
    "`+alert(11)+`",
    "${alert(12)}",
    "</script><script>alert(13)</script>",
    "\\`);alert(15);(`",
    "=1+1",
    "@SUM(A1)",
)


def _hostile_scenario(folder: Path) -> Path:
    """A small scenario whose names, townships and title are hostile text."""
    path = write_small_scenario(folder)
    st = pd.read_csv(folder / "settlements.csv", dtype=str, keep_default_na=False)
    cand = pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False)
    for k in range(len(st)):
        st.loc[k, "name"] = f"{HOSTILE[k % len(HOSTILE)]}村{k}"
    st.loc[0, "township"] = HOSTILE[0]
    for k in range(len(cand)):
        cand.loc[k, "name"] = f"{HOSTILE[(k + 1) % len(HOSTILE)]}点{k}"
    st.to_csv(folder / "settlements.csv", index=False)
    cand.to_csv(folder / "candidates.csv", index=False)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["title"] = "<script>alert(14)</script>`${alert(16)}`"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`run` (offline and online maps), `route` with hostile booking ids, `compare`."""
    base = tmp_path_factory.mktemp("hostile")
    scenario = _hostile_scenario(base / "in")
    out = {}
    for name, extra in (("offline", ["--offline"]), ("online", [])):
        target = base / name
        result = runner.invoke(
            app, ["run", str(scenario), "--out", str(target), "--quiet", "--lang", "zh", *extra]
        )
        assert result.exit_code == 0, result.output
        out[name] = target
    tt = pd.read_csv(out["offline"] / "timetable.csv", dtype=str, encoding="utf-8-sig")
    day = tt["day"].iloc[0]
    points = tt.loc[tt["day"] == day, "point_id"].tolist()
    rows = [
        f'"{bid}",{points[k % len(points)]},{day},09:00,16:00,20,0.2'
        for k, bid in enumerate(h.replace('"', '""') for h in HOSTILE)
    ]
    bookings = base / "bookings.csv"
    bookings.write_text(
        "booking_id,point_id,day,window_start,window_end,kg,m3\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["route", str(out["offline"]), str(bookings), "--day", day, "--quiet", "--offline"]
    )
    assert result.exit_code == 0, result.output
    out["dispatch"] = out["offline"] / f"dispatch-{day}"
    result = runner.invoke(
        app,
        ["compare", str(out["offline"]), str(out["online"]), "--out", str(base / "cmp")],
    )
    assert result.exit_code == 0, result.output
    out["cmp"] = base / "cmp"
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_no_hostile_name_or_booking_id_runs_script_in_any_page(hostile_runs):
    """Every HTML page of `run`, `route` and `compare`, opened with each marker's popup
    and tooltip shown: no dialog opens, and the hostile names are shown as text."""
    playwright = pytest.importorskip("playwright.sync_api")
    pages = sorted(p for d in hostile_runs.values() for p in d.glob("*.html"))
    assert len(pages) >= 8
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        context.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        dialogs: list[str] = []
        for path in pages:
            page = context.new_page()
            page.on(
                "dialog", lambda d, p=path: (dialogs.append(f"{p.name}: {d.message}"), d.dismiss())
            )
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.evaluate(
                """() => {
                    for (const key of Object.keys(window)) {
                        let layer;
                        try { layer = window[key]; } catch (e) { continue; }
                        if (layer && layer instanceof Object && "eachLayer" in layer) {
                            layer.eachLayer(l => { l.openPopup && l.openPopup();
                                                   l.openTooltip && l.openTooltip(); });
                        }
                    }
                }"""
            )
            page.wait_for_timeout(100)
            page.close()
        browser.close()
    assert dialogs == []
    signs = (hostile_runs["offline"] / "signs.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt;" in signs


def test_hostile_text_is_text_in_every_workbook(hostile_runs):
    """Names beginning with =, +, - or @ are stored as text, never as formulas."""
    books = sorted(p for d in hostile_runs.values() for p in d.glob("*.xlsx"))
    assert len(books) >= 3
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "@")):
                        assert cell.data_type == "s", (book.name, ws.title, cell.coordinate)
