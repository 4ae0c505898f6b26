"""Ours against PyVRP alone, per family, from the JSON lines of ``benchmarks vrptw
--pyvrp`` (as ``benchmarks suite`` prints them).

    python -m benchmarks sidebyside RESULTS.jsonl [RESULTS.jsonl ...]

For each family (``RC1`` of Gehring-Homberger's ``RC1_2_5`` or Solomon's ``RC105``)
and size: instances at the best-known vehicle count (ours / PyVRP), vehicles fewer / same /
more than PyVRP, at the same count the mean and worst distance ratio and the instances
more than 0.5 % above PyVRP, and the mean gap to the best known at its count (ours /
PyVRP). The last line is one JSON object over all instances.

Where the files hold several seeds of an instance (``benchmarks vrptw --seed S``), a
second table compares each instance's means over its seeds, beside what the one-seed
comparison says of PyVRP alone against itself: the instances where PyVRP alone at its
second seed uses more vehicles, or ends more than 0.5 % above, than at its first.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

# The "never worse than PyVRP alone" tolerance of the issue this measures.
WORSE_PCT = 0.5


def _rows(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("{") and '"pyvrp_vehicles"' in line:
                rows.append(json.loads(line))
    return rows


def _family(row: dict) -> tuple[str, str]:
    """``(size, family)``: ``RC1_2_5`` -> ``("200", "RC1")``, Solomon's ``RC105`` ->
    ``("100", "RC1")``."""
    name = row["instance"]
    parts = name.split("_")
    if len(parts) > 1:
        return parts[1] + "00", parts[0]
    letters = name.rstrip("0123456789")
    return "100", letters + name[len(letters) : len(letters) + 1]


def summary(rows: list[dict]) -> dict:
    """The side-by-side figures of ``rows`` (see the module docstring)."""
    same = [r for r in rows if r["vehicles"] == r["pyvrp_vehicles"]]
    ratios = [100 * (r["distance"] / r["pyvrp_distance"] - 1) for r in same]
    ours_gap = [
        r["gap_pct"]
        for r in rows
        if r["vehicles"] == r["bks_vehicles"] and r["gap_pct"] is not None
    ]
    theirs_gap = [
        r["pyvrp_gap_pct"]
        for r in rows
        if r["pyvrp_vehicles"] == r["bks_vehicles"] and r["pyvrp_gap_pct"] is not None
    ]
    return {
        "instances": len(rows),
        "bks_vehicles_ours": sum(r["vehicles"] == r["bks_vehicles"] for r in rows),
        "bks_vehicles_pyvrp": sum(r["pyvrp_vehicles"] == r["bks_vehicles"] for r in rows),
        "fewer": sum(r["vehicles"] < r["pyvrp_vehicles"] for r in rows),
        "same": len(same),
        "more": sum(r["vehicles"] > r["pyvrp_vehicles"] for r in rows),
        "mean_ratio_pct": round(statistics.fmean(ratios), 2) if ratios else None,
        "worst_ratio_pct": round(max(ratios), 2) if ratios else None,
        "worse_than_pyvrp": [
            r["instance"] for r, x in zip(same, ratios, strict=True) if x > WORSE_PCT
        ],
        "more_vehicles": [r["instance"] for r in rows if r["vehicles"] > r["pyvrp_vehicles"]],
        "mean_gap_pct_ours": round(statistics.fmean(ours_gap), 2) if ours_gap else None,
        "mean_gap_pct_pyvrp": round(statistics.fmean(theirs_gap), 2) if theirs_gap else None,
        "checked": all(r["check_issues"] == 0 and r["status"] == "feasible" for r in rows),
    }


def over_seeds(rows: list[dict]) -> dict:
    """Each instance's mean over its seeds (ours and PyVRP alone) and PyVRP alone's own
    spread (see the module docstring); instances with one seed are left out."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        runs[r["instance"]].append(r)
    runs = {k: v for k, v in runs.items() if len({r["seed"] for r in v}) > 1}
    worse, more, fewer, spread, ratios, itself = [], [], [], [], [], []
    at_bks = [0, 0]
    for name, group in sorted(runs.items()):
        ours_v = statistics.fmean(r["vehicles"] for r in group)
        theirs_v = statistics.fmean(r["pyvrp_vehicles"] for r in group)
        at_bks[0] += sum(r["vehicles"] == r["bks_vehicles"] for r in group)
        at_bks[1] += sum(r["pyvrp_vehicles"] == r["bks_vehicles"] for r in group)
        if ours_v > theirs_v:
            more.append(name)
        elif ours_v < theirs_v:
            fewer.append(name)
        else:
            ours = statistics.fmean(r["distance"] for r in group)
            theirs = statistics.fmean(r["pyvrp_distance"] for r in group)
            ratios.append(100 * (ours / theirs - 1))
            if ratios[-1] > WORSE_PCT:
                worse.append(name)
        first, second = sorted(group, key=lambda r: r["seed"])[:2]
        if (first["pyvrp_vehicles"], first["pyvrp_distance"] * (1 + WORSE_PCT / 100)) < (
            second["pyvrp_vehicles"],
            second["pyvrp_distance"],
        ):
            itself.append(name)
        fewest = min(r["pyvrp_vehicles"] for r in group)
        alone = [r["pyvrp_distance"] for r in group if r["pyvrp_vehicles"] == fewest]
        if 100 * (max(alone) / min(alone) - 1) > WORSE_PCT:
            spread.append(name)
    return {
        "instances": len(runs),
        "seeds": sum(len(v) for v in runs.values()),
        "runs_at_bks_vehicles_ours": at_bks[0],
        "runs_at_bks_vehicles_pyvrp": at_bks[1],
        "fewer": fewer,
        "more": more,
        "mean_ratio_pct": round(statistics.fmean(ratios), 2) if ratios else None,
        "worst_ratio_pct": round(max(ratios), 2) if ratios else None,
        "worse_than_pyvrp": worse,
        "pyvrp_spread_above": spread,
        "pyvrp_second_seed_worse": itself,
    }


def _print_over_seeds(rows: list[dict]) -> None:
    """The per-family table of :func:`over_seeds`, when some instance has several seeds."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[_family(r)].append(r)
    lines = []
    for (size, family), group in sorted(groups.items()):
        s = over_seeds(group)
        if not s["instances"]:
            continue
        ratio = (
            "—"
            if s["mean_ratio_pct"] is None
            else f"{s['mean_ratio_pct']:+.2f} % ({s['worst_ratio_pct']:+.2f} %)"
        )
        lines.append(
            f"| {size} | {family} | {s['instances']} ({s['seeds']}) | "
            f"{s['runs_at_bks_vehicles_ours']} / {s['runs_at_bks_vehicles_pyvrp']} | "
            f"{len(s['fewer'])} / {len(s['more'])} | {ratio} | "
            f"{len(s['worse_than_pyvrp'])} | {len(s['pyvrp_second_seed_worse'])} |"
        )
    if not lines:
        return
    print()
    print(
        "| size | family | instances (runs) | runs at the best-known vehicles: ours / PyVRP | "
        "mean vehicles fewer / more | same: mean distance vs PyVRP over seeds (worst) | "
        f"more than {WORSE_PCT} % above PyVRP over seeds | PyVRP alone at its second seed "
        f"against its first: more vehicles, or more than {WORSE_PCT} % above |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print(json.dumps(over_seeds(rows)))


def main(argv: list[str]) -> None:
    """``python -m benchmarks sidebyside FILES...``."""
    rows = _rows([Path(a) for a in argv])
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[_family(r)].append(r)
    print(
        "| size | family | at the best-known vehicles: ours / PyVRP | vehicles vs PyVRP: "
        "fewer / same / more | same count: mean distance vs PyVRP (worst) | more than "
        f"{WORSE_PCT} % above PyVRP | mean gap to best known at its count: ours / PyVRP |"
    )
    print("|---|---|---|---|---|---|---|")
    for (size, family), group in sorted(groups.items()):
        s = summary(group)
        ratio = (
            "—"
            if s["mean_ratio_pct"] is None
            else f"{s['mean_ratio_pct']:+.2f} % ({s['worst_ratio_pct']:+.2f} %)"
        )
        gaps = f"{s['mean_gap_pct_ours']} % / {s['mean_gap_pct_pyvrp']} %"
        print(
            f"| {size} | {family} | {s['bks_vehicles_ours']} / {s['bks_vehicles_pyvrp']} | "
            f"{s['fewer']} / {s['same']} / {s['more']} | {ratio} | "
            f"{len(s['worse_than_pyvrp'])} | {gaps} |"
        )
    print(json.dumps(summary(rows)))
    _print_over_seeds(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
