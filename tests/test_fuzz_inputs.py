"""Generated bad tables: `validate` answers exit 0 or 2, never a traceback, and every
error names its file (and its row and column for a cell)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from recyclenet.cli import app
from tests.conftest import write_small_scenario

runner = CliRunner()
TABLES = ("settlements.csv", "candidates.csv", "fleet.csv")

# Values people and programs put in cells: numbers out of every range, non-numbers,
# separators, full-width digits, script, formulas, control characters, empty.
ODD = st.sampled_from(
    [
        "inf", "-inf", "nan", "NaN", "1e20", "1e309", "-1", "0", "0.0001", "1e-12", "",
        " ", "abc", "1,000", "１２", "12.5.3", "<img src=x onerror=alert(1)>", "=1+1",
        "`+alert(1)+`", "\t", "true", "village", "collection_point", "25:00", "99:59",
        "104.6", "28.7", "-104.6", "181", "91", "None", "null", "1" * 40,
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid scenario, copied for each case."""
    return write_small_scenario(tmp_path_factory.mktemp("fuzz") / "base").parent


def _examples(n: int) -> settings:
    """Hypothesis settings for ``n`` cases of a few seconds at most each."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _case(base: Path, tmp_path: Path, table: str, cells: list[tuple[int, int, str]]) -> Path:
    """A fresh copy of ``base`` with ``cells`` (row, column index, value) of ``table``
    replaced; returns its scenario file."""
    case = tmp_path / "case"
    if case.exists():
        shutil.rmtree(case)
    shutil.copytree(base, case)
    frame = pd.read_csv(case / table, dtype=str, keep_default_na=False)
    for row, col, value in cells:
        frame.loc[row % len(frame), frame.columns[col % len(frame.columns)]] = value
    frame.to_csv(case / table, index=False)
    return case / "scenario.yaml"


@_examples(300)
@given(
    table=st.sampled_from(TABLES),
    cells=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 20), ODD | st.text(max_size=12)),
        min_size=1,
        max_size=4,
    ),
)
def test_validate_never_crashes_on_bad_cells(base, tmp_path, table, cells):
    """Up to four cells of one table replaced with odd values: exit 0 or 2, no
    traceback; an error names the table, and a cell's row and column."""
    scenario = _case(base, tmp_path, table, cells)
    result = runner.invoke(app, ["validate", str(scenario), "--lang", "en"])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        text = " ".join(result.output.split())
        assert any(name in text for name in TABLES), text
        if f"{table}, row" in text:  # a cell's problem: its column is named too
            assert "column '" in text


@_examples(20)
@given(
    table=st.sampled_from(TABLES),
    row=st.integers(0, 40),
    col=st.integers(0, 20),
    value=ODD,
)
def test_run_never_crashes_on_a_bad_cell(base, tmp_path, table, row, col, value):
    """One odd cell, then the whole run (quick effort): a plan (exit 0) or a clear error
    (exit 2) before or after solving, never a traceback."""
    scenario = _case(base, tmp_path, table, [(row, col, value)])
    out = tmp_path / "out"
    if out.exists():
        shutil.rmtree(out)
    result = runner.invoke(
        app, ["run", str(scenario), "--out", str(out), "--quiet", "--lang", "en"]
    )
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
