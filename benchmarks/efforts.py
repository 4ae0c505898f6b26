"""The product's three search efforts side by side on one scenario.

``python -m benchmarks efforts [SCENARIO] [--busy]`` runs ``recyclenet run`` (the
product's ``run_scenario`` and output writers) at ``quick``, ``standard`` and
``thorough`` in turn and prints, per effort, the wall time (solving and writing),
collection trucks, vehicle-km a week, the network's cost as routed, the visits beyond
the tolerance of their sign, the sign lines, and whether the safety cap bit.
``--busy`` keeps the other core busy during each run. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

from recyclenet.config import EFFORTS, load_scenario
from recyclenet.outputs.writer import write_outputs
from recyclenet.pipeline import run_scenario

ROOT = Path(__file__).resolve().parents[1]


def _spin(until: float) -> None:
    x = 0
    while time.time() < until:
        x += 1


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks efforts")
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "cuiping-2027.yaml"))
    ap.add_argument("--busy", action="store_true", help="keep the other core busy")
    ap.add_argument("--efforts", default=",".join(EFFORTS))
    args = ap.parse_args(argv)
    rows = []
    for effort in args.efforts.split(","):
        scenario = load_scenario(args.scenario).with_effort(effort)
        busy = None
        if args.busy:
            busy = multiprocessing.get_context("spawn").Process(
                target=_spin, args=(time.time() + 3600,)
            )
            busy.start()
        try:
            start = time.perf_counter()
            result = run_scenario(scenario)
            with tempfile.TemporaryDirectory() as out:
                write_outputs(result, Path(out), lang=None, offline=True)
            wall_s = time.perf_counter() - start
        finally:
            if busy is not None:
                busy.terminate()
                busy.join()
        k = result.kpis.to_dict()
        signs = result.week.signs()
        row = {
            "effort": effort,
            "wall_s": round(wall_s, 1),
            "routing_s": round(result.timings_s["routing_s"], 1),
            "trucks": k["trucks"]["collection_total"],
            "trucks_per_station": k["trucks"]["collection_per_station"],
            "vehicle_km_per_week": round(k["vehicle_km_per_week"]["total"], 1),
            "network_cost_cny_per_year": round(k["network_cost_cny_per_year"]["total_cny"]),
            "visits_beyond_tolerance": k["routing"]["visits_beyond_tolerance"],
            "sign_lines": len(signs),
            "points_with_several_lines": int((signs.groupby("point_id").size() > 1).sum()),
            "capped_days": len(k["routing"]["capped_days"]),
        }
        rows.append(row)
        print(
            f"{effort:9s} {row['wall_s']:6.1f} s  trucks {row['trucks']:3d}  "
            f"km {row['vehicle_km_per_week']:8.1f}  cost {row['network_cost_cny_per_year']:,}  "
            f"off-sign {row['visits_beyond_tolerance']}  lines {row['sign_lines']}  "
            f"capped {row['capped_days']}",
            flush=True,
        )
    print(json.dumps({"scenario": args.scenario, "busy": args.busy, "runs": rows}))
