"""The documentation site builds with warnings as errors (broken links, bad references)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "planner" / "index.html").is_file()
    api = (tmp_path / "site" / "api" / "routing" / "index.html").read_text(encoding="utf-8")
    assert "search_patterns" in api  # the API reference drawn from the docstrings
    # The scenario reference is generated from the models: every key, with its bounds.
    from recyclenet.config import RoutingConfig

    page = (tmp_path / "site" / "scenario" / "index.html").read_text(encoding="utf-8")
    assert "<!-- scenario-reference -->" not in page
    for name in RoutingConfig.model_fields:
        assert f"routing.{name}" in page, name
    assert "routing.slot_tolerance_min" in page and "≤ 240" in page


def test_readme_and_docstring_examples_run():
    """The README's Python example (GeoDataFrames in, a sited network and its week out)
    and the docstring examples of the public API run as written."""
    import doctest

    import recyclenet.routing.week_problem
    import recyclenet.siting.problem

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    readme = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=flags)
    assert readme.attempted >= 8 and readme.failed == 0
    api = doctest.testmod(recyclenet.siting.problem, optionflags=flags)
    assert api.attempted >= 5 and api.failed == 0
    week = doctest.testmod(recyclenet.routing.week_problem, optionflags=flags)
    assert week.attempted >= 7 and week.failed == 0
