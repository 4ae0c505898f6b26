"""Run one benchmark problem on many instance files, each in its own process.

    python -m benchmarks suite pmedian ../shared/data/siting/orlib_pmed/pmed*.txt --time-limit-s 30

Each instance runs as ``python -m benchmarks <problem> FILE ...`` (extra options after
``--`` are passed on, e.g. ``-- --backend SCIP``), ``--jobs N`` of them at a time (for
searches counted in work, e.g. ``--iterations``, whose results do not depend on the
machine's load); its JSON line is echoed in the instances' order, and a Markdown
table of all of them is printed at the end. The last line is one JSON object summarising
the suite (instances, solved to the known optimum, median and maximum runtime).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def natural_key(path: Path) -> tuple:
    """``pmed2`` before ``pmed10``."""
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return (path.stem.rstrip("0123456789"), int(digits) if digits else 0)


def main(argv: list[str]) -> None:
    """``python -m benchmarks suite PROBLEM FILES... [--time-limit-s S] [-- EXTRA]``."""
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(prog="python -m benchmarks suite")
    parser.add_argument("problem")
    parser.add_argument("instances", type=Path, nargs="+")
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=1, help="instances run at a time")
    args = parser.parse_args(argv)

    def run(path: Path) -> dict:
        cmd = [sys.executable, "-m", "benchmarks", args.problem, str(path)]
        cmd += ["--time-limit-s", str(args.time_limit_s), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            return {"instance": path.stem, "status": "error", "error": done.stderr[-300:]}
        return json.loads(lines[-1])

    rows = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for row in pool.map(run, sorted(args.instances, key=natural_key)):
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| instance | status | objective | optimum | gap to optimum | proved gap | time |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        gap_opt = r.get("gap_to_optimum")
        gap = r.get("gap")
        print(
            f"| {r['instance']} | {r['status']} | {r.get('objective')} | {r.get('optimum')} | "
            f"{'' if gap_opt is None else f'{100 * gap_opt:.3f} %'} | "
            f"{'' if gap is None else f'{100 * gap:.3f} %'} | {r.get('runtime_s', '')} s |"
        )
    times = [r["runtime_s"] for r in rows if "runtime_s" in r]
    at_optimum = sum(
        1 for r in rows if r.get("gap_to_optimum") is not None and abs(r["gap_to_optimum"]) < 1e-6
    )
    print(
        json.dumps(
            {
                "problem": args.problem,
                "instances": len(rows),
                "at_known_optimum": at_optimum,
                "proved_optimal": sum(1 for r in rows if r.get("status") == "optimal"),
                "median_runtime_s": statistics.median(times) if times else None,
                "max_runtime_s": max(times) if times else None,
            }
        )
    )
