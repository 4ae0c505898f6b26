"""The same scenario and seed give the same plan, however busy the machine is."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pandas as pd
import pyogrio
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.config import hhmm_to_min
from tests.conftest import CUIPING, write_small_scenario

# Files compared byte for byte; kpis.json is compared less its run times.
SAME_BYTES = ("timetable.csv", "routes.csv", "signs.csv", "signs.html", "route_sheets.html")
GPKG_LAYERS = ("collection_points", "transfer_stations", "routes")


def _spin(until: float) -> None:
    """Keep a core busy until ``until`` (``time.time()``)."""
    x = 0
    while time.time() < until:
        x += 1


def _without_run_times(value):  # noqa: ANN001, ANN202
    """A KPI tree less the wall-clock figures and the run's id (which differ from run to
    run)."""
    if isinstance(value, dict):
        return {
            k: _without_run_times(v)
            for k, v in value.items()
            if k not in ("timings_s", "runtime_s", "solver_time_s", "run_id")
        }
    if isinstance(value, list):
        return [_without_run_times(v) for v in value]
    return value


def _run(scenario: Path, out: Path, *options: str) -> None:
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--quiet", *options])
    assert result.exit_code == 0, result.output


def test_a_run_gives_the_same_outputs_with_the_other_core_busy(tmp_path):
    """Two runs of a reduced scenario (two rural townships and an urban one, at the
    standard effort), the second with a busy loop on another core, write identical
    timetables, routes, signs and GeoPackage rows, and the same KPIs but for run times;
    the search is counted in work, so no cap was reported."""
    scenario = write_small_scenario(
        tmp_path / "three",
        townships=("李庄镇", "宋家镇", "安阜街道"),
        counts=(14, 2, 1),
        overrides={"solver.effort": "standard"},
    )
    first, second = tmp_path / "first", tmp_path / "second"
    _run(scenario, first)
    busy = multiprocessing.get_context("spawn").Process(target=_spin, args=(time.time() + 600,))
    busy.start()
    try:
        _run(scenario, second)
    finally:
        busy.terminate()
        busy.join()
    for name in SAME_BYTES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    kpis = [json.loads((d / "kpis.json").read_text(encoding="utf-8")) for d in (first, second)]
    assert _without_run_times(kpis[0]) == _without_run_times(kpis[1])
    assert kpis[0]["routing"]["capped_days"] == []
    assert kpis[0]["routing"]["effort"] == "standard"
    for layer in GPKG_LAYERS:
        a = pyogrio.read_dataframe(first / "network.gpkg", layer=layer)
        b = pyogrio.read_dataframe(second / "network.gpkg", layer=layer)
        assert a.equals(b), layer


def _check_signs(out: Path, tol_min: float) -> None:
    """Every line of every sign is kept on every day it lists, every timetable row is
    within the tolerance of its slot, and every visit is on its point's sign."""
    tt = pd.read_csv(out / "timetable.csv", dtype=str)
    signs = pd.read_csv(out / "signs.csv", dtype=str)
    assert list(signs.columns[:3]) == ["point_id", "point", "township"]
    assert {"days", "time", "stay_min"} <= set(signs.columns)
    arrival = tt["arrival"].map(hhmm_to_min)
    assert ((arrival - tt["slot"].map(hhmm_to_min)).abs() <= tol_min + 1e-6).all()
    by_visit = {(p, d): [] for p, d in zip(tt["point_id"], tt["day"], strict=True)}
    for p, d, a in zip(tt["point_id"], tt["day"], arrival, strict=True):
        by_visit[(p, d)].append(a)
    listed = set()
    for line in signs.itertuples():
        time_min = hhmm_to_min(line.time)
        for day in line.days.split(";"):
            arrivals = by_visit.get((line.point_id, day), [])
            assert any(abs(a - time_min) <= tol_min + 1e-6 for a in arrivals), (line, day)
            listed.add((line.point_id, day))
    assert listed == set(by_visit)


def test_every_sign_line_is_kept_on_a_full_run(tmp_path):
    """The Cuiping default (quick effort): on every day a line of a sign lists, the
    point's truck arrives within the tolerance of the line's time; every timetable row
    lies within the tolerance of its slot; every visit is on its point's sign."""
    out = tmp_path / "full"
    _run(CUIPING, out, "--effort", "quick")
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["routing"]["points_on_timetable"] == kpis["routing"]["points_open"] == 100
    _check_signs(out, float(kpis["routing"]["slot_tolerance_min"]))
    html = (out / "signs.html").read_text(encoding="utf-8")
    assert html.count('class="line"') == len(pd.read_csv(out / "signs.csv"))
