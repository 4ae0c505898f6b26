"""`recyclenet sweep`: a manifest on the local pool and on a Dask cluster, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.sweep import load_manifest
from tests.conftest import write_small_scenario

runner = CliRunner()
SAME = ("timetable.csv", "routes.csv", "signs.csv")


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> tuple[Path, Path]:
    """A manifest of three tiny runs (a file, and a base with a grid of two) and the
    folder of the same three run one by one with `recyclenet run`."""
    root = tmp_path_factory.mktemp("sweep")
    base = write_small_scenario(root / "in")
    manifest = root / "manifest.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "scenarios": ["in/scenario.yaml"],
                "base": "in/scenario.yaml",
                "grid": {"siting.max_access_km": [5, 6]},
            }
        ),
        encoding="utf-8",
    )
    single = root / "single"
    for run in load_manifest(manifest):
        path = root / f"{run.name}.yaml"
        data = dict(run.data)
        data["inputs"] = {k: str(base.parent / v) for k, v in data["inputs"].items()}
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = runner.invoke(app, ["run", str(path), "--out", str(single / run.name), "--quiet"])
        assert result.exit_code == 0, result.output
    return manifest, single


def _same_as_single(out: Path, single: Path) -> None:
    names = sorted(p.name for p in single.iterdir())
    assert names == ["small", "small_max_access_km-5", "small_max_access_km-6"]
    for name in names:
        for file in SAME:
            assert (out / name / file).read_bytes() == (single / name / file).read_bytes(), (
                name,
                file,
            )
    assert (out / "comparison.html").is_file() and (out / "comparison.xlsx").is_file()


def test_sweep_on_the_local_pool_resumes(three, tmp_path):
    manifest, single = three
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(manifest), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    _same_as_single(out, single)
    again = runner.invoke(app, ["sweep", str(manifest), "--out", str(out), "--workers", "2"])
    assert again.exit_code == 0 and again.output.count("skipped") == 3, again.output


def test_sweep_on_a_dask_cluster(three, tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask distributed not installed")
    manifest, single = three
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = runner.invoke(
            app,
            ["sweep", str(manifest), "--out", str(out), "--scheduler", cluster.scheduler_address],
        )
    assert result.exit_code == 0, result.output
    _same_as_single(out, single)


def test_a_failing_scenario_does_not_stop_the_others(tmp_path):
    good = write_small_scenario(tmp_path / "good")
    bad = write_small_scenario(
        tmp_path / "bad", overrides={"name": "bad", "siting.counts.collection_point": 999}
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump({"scenarios": [str(good), str(bad)]}), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(manifest), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 1
    assert "failed" in result.output and "999" in result.output
    assert (out / "small" / "kpis.json").is_file() and not (out / "bad").exists()


def test_a_manifest_with_two_runs_of_one_name_is_refused(tmp_path):
    good = write_small_scenario(tmp_path / "good")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump({"scenarios": [str(good), str(good)]}), encoding="utf-8")
    result = runner.invoke(app, ["sweep", str(manifest), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "twice" in result.output
