"""Generated bad inputs through the product's commands.

``python -m benchmarks fuzz [--cases N] [--runs M] [--seed S]``: N cases, each a copy of
the small test scenario (two Cuiping townships) with one to four cells of one of its
three tables, or one key of its scenario, replaced by an odd value (non-finite, huge or
tiny numbers, separators, full-width digits, script, formulas, control characters,
empty text, times past 24:00), checked with ``recyclenet validate``; the first M cases
that pass it also go through ``recyclenet run`` (quick effort). A case is a failure
where a command exits with anything but 0 or 2, raises, prints a traceback, or reports
input problems without naming the file. The last line is JSON with the counts.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from recyclenet.cli import app
from tests.conftest import write_small_scenario

TABLES = ("settlements.csv", "candidates.csv", "fleet.csv")
ODD = [
    "inf", "-inf", "nan", "1e20", "1e309", "-1", "0", "0.0001", "1e-12", "", " ", "abc",
    "1,000", "１２", "12.5.3", "<img src=x onerror=alert(1)>", "=1+1", "`+alert(1)+`",
    "\t", "true", "25:00", "99:59", "104.6", "28.7", "-104.6", "181", "91", "None",
    "1" * 40, "a\x00b", "八", "0x10",
]  # fmt: skip
SCENARIO_KEYS = (
    "demand.capture_rate",
    "demand.categories.paper.urban_kg_per_person_day",
    "demand.categories.paper.density_kg_per_m3",
    "siting.max_access_km",
    "routing.shift_start",
    "routing.shift_end",
    "routing.dwell_min",
    "routing.unload_min",
    "routing.max_fill",
    "routing.max_trucks_per_station",
    "routing.slot_tolerance_min",
    "network.detour_factor",
)
ODD_YAML = [float("inf"), float("nan"), -1, 0, 1e20, 1e-12, "abc", "25:00", "8:00", 480, None]


def _case(base: Path, folder: Path, rng: random.Random) -> str:
    """A copy of ``base`` in ``folder`` with odd values; returns what was changed."""
    shutil.copytree(base, folder)
    if rng.random() < 0.2:
        key = rng.choice(SCENARIO_KEYS)
        value = rng.choice(ODD_YAML)
        path = folder / "scenario.yaml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        node = config
        *parts, last = key.split(".")
        for part in parts:
            node = node[part]
        node[last] = value
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        return f"scenario {key}={value!r}"
    table = rng.choice(TABLES)
    frame = pd.read_csv(folder / table, dtype=str, keep_default_na=False)
    changed = []
    for _ in range(rng.randint(1, 4)):
        row, col = rng.randrange(len(frame)), rng.choice(list(frame.columns))
        value = rng.choice(ODD)
        frame.loc[row, col] = value
        changed.append(f"{row + 1}/{col}={value!r}")
    frame.to_csv(folder / table, index=False)
    return f"{table} " + " ".join(changed)


def _verdict(result, names: tuple[str, ...]) -> str | None:  # noqa: ANN001
    """Why a command's answer is a failure, or ``None``."""
    if result.exit_code not in (0, 2):
        return f"exit {result.exit_code}: {result.exception!r}"[:300]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {result.exception!r}"[:300]
    if "Traceback" in result.output:
        return "traceback printed"
    text = " ".join(result.output.split())
    if "problem(s) in the input" in text and not any(n in text for n in names):
        return "input error names no file: " + text[:200]
    return None


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks fuzz")
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    runner = CliRunner()
    names = (*TABLES, "scenario.yaml")
    counts = {"validate_ok": 0, "validate_refused": 0, "run_ok": 0, "run_refused": 0}
    failures: list[dict] = []
    slowest = 0.0
    runs = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base = write_small_scenario(Path(tmp) / "base").parent
        for k in range(args.cases):
            folder = Path(tmp) / "case"
            shutil.rmtree(folder, ignore_errors=True)
            what = _case(base, folder, rng)
            began = time.perf_counter()
            result = runner.invoke(app, ["validate", str(folder / "scenario.yaml"), "--lang", "en"])
            slowest = max(slowest, time.perf_counter() - began)
            why = _verdict(result, names)
            if why:
                failures.append({"case": k, "command": "validate", "input": what, "why": why})
            counts["validate_ok" if result.exit_code == 0 else "validate_refused"] += 1
            if result.exit_code == 0 and runs < args.runs:
                runs += 1
                out = Path(tmp) / "out"
                shutil.rmtree(out, ignore_errors=True)
                began = time.perf_counter()
                result = runner.invoke(
                    app,
                    ["run", str(folder / "scenario.yaml"), "--out", str(out), "--quiet"]
                    + ["--effort", "quick", "--lang", "en"],
                )
                slowest = max(slowest, time.perf_counter() - began)
                why = _verdict(result, names)
                if why:
                    failures.append({"case": k, "command": "run", "input": what, "why": why})
                counts["run_ok" if result.exit_code == 0 else "run_refused"] += 1
            if (k + 1) % 1000 == 0:
                print(f"{k + 1} cases, {len(failures)} failures", flush=True)
    for f in failures[:20]:
        print(f"FAIL case {f['case']} {f['command']}: {f['input']} -> {f['why']}")
    print(
        json.dumps(
            {
                "cases": args.cases,
                "runs": runs,
                "seed": args.seed,
                **counts,
                "failures": len(failures),
                "slowest_case_s": round(slowest, 1),
                "wall_s": round(time.perf_counter() - start, 1),
            }
        )
    )
