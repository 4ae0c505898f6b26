"""A run's output folder always holds one whole set: the new run's or the previous one."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.errors import InputError
from recyclenet.io import output_set
from recyclenet.outputs import writer as outputs

runner = CliRunner()


def _run(scenario, out, *extra):
    return runner.invoke(app, ["run", str(scenario), "--out", str(out), "--quiet", *extra])


def test_a_run_that_dies_while_writing_leaves_the_previous_set(
    small_scenario, tmp_path, monkeypatch
):
    """The first run writes a set with its run_id; a second run that fails halfway
    through its writing leaves the first set untouched and nothing beside it; a third
    replaces the set whole, an old dispatch folder inside it included."""
    out = tmp_path / "out"
    assert _run(small_scenario, out).exit_code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    run_id = json.loads(first["kpis.json"])["run_id"]
    assert len(run_id) == 32
    (out / "dispatch-mon").mkdir()
    (out / "dispatch-mon" / "summary.json").write_text("{}", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("killed while writing")

    monkeypatch.setattr(outputs, "routes_table", broken)  # after half the files
    with pytest.raises(RuntimeError):
        outputs.write_outputs(_result(small_scenario), out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left
    monkeypatch.undo()
    assert _run(small_scenario, out).exit_code == 0
    assert not (out / "dispatch-mon").exists()
    assert json.loads((out / "kpis.json").read_text(encoding="utf-8"))["run_id"] != run_id
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def _result(scenario):
    from recyclenet.config import load_scenario
    from recyclenet.pipeline import run_scenario

    return run_scenario(load_scenario(scenario))


def test_out_problems_are_found_before_solving(small_scenario, tmp_path, monkeypatch):
    """--out naming an existing file, or a folder of other files, stops with exit 2
    before any solving."""
    import recyclenet.pipeline as pipeline

    monkeypatch.setattr(pipeline, "run_scenario", lambda *a, **k: pytest.fail("solved"))
    afile = tmp_path / "a.txt"
    afile.write_text("x", encoding="utf-8")
    result = _run(small_scenario, afile)
    assert result.exit_code == 2 and "已有文件" in result.output
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.docx").write_bytes(b"")
    result = _run(small_scenario, mine)
    assert result.exit_code == 2 and "其他文件" in result.output
    assert (mine / "notes.docx").exists()


def test_a_swap_cut_between_its_renames_is_put_back(tmp_path):
    """A run killed after moving the old set aside but before moving the new one in:
    the next run puts the old set back before it starts, and clears dead staging."""
    target = tmp_path / "out"
    retired = tmp_path / ".out.old-dead"
    retired.mkdir()
    (retired / "kpis.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".out.staging-dead").mkdir()
    with pytest.raises(RuntimeError), output_set(target, "kpis.json"):
        assert (target / "kpis.json").is_file()  # the old set is back
        raise RuntimeError("this run dies too")
    assert sorted(os.listdir(tmp_path)) == ["out"]
    with pytest.raises(InputError):
        with output_set(tmp_path / "out" / "kpis.json", "kpis.json"):
            pass


def test_a_run_killed_at_any_moment_leaves_a_whole_set(small_scenario, tmp_path):
    """`recyclenet run` as a separate process, killed (SIGKILL) at several moments:
    afterwards the output folder holds one whole set, the first run's or a finished
    new one, never a mix; the next run leaves nothing beside it."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    assert _run(small_scenario, out).exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    command = [sys.executable, "-m", "recyclenet.cli", "run", str(small_scenario)]
    command += ["--out", str(out), "--quiet"]
    for delay_s in (0.5, 1.5, 2.5, 3.5):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay_s)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert sorted(p.name for p in out.iterdir()) == names, delay_s
        kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
        assert kpis["run_id"] and kpis["routing"]["points_open"] > 0
    assert _run(small_scenario, out).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
