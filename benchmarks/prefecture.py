"""A seeded prefecture-scale siting instance, and the siting benchmark on scenario files.

    python -m benchmarks prefecture --out /tmp/prefecture --seed 1
    python -m benchmarks siting /tmp/prefecture/scenario.yaml --time-limit-s 120

``prefecture`` writes a scenario folder in the project's own input format (so
``recyclenet validate`` and ``recyclenet run`` read it too): about 5,000 villages and
communities clustered around 10 county seats in a 140 x 100 km box near Yibin, every
settlement a candidate collection point, 200 candidate transfer stations at the larger
settlements, 10 candidate sorting centres near the county seats. Costs and capacities
vary around the Cuiping defaults (unverified parameters, see data/cuiping/README.md);
the demand section is the Cuiping scenario's. Everything is synthetic.

``siting`` runs only the siting step of a scenario through the product's own path
(tables, checks, ``siting_problem``, ``recyclenet.siting.solve``) and prints
one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmarks import contract_parser

ROOT = Path(__file__).resolve().parents[1]
LON0, LAT0 = 104.0, 28.3  # south-west corner of the box
KM_PER_DEG_LAT = 111.2


def _km_to_deg(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = LAT0 + y_km / KM_PER_DEG_LAT
    lon = LON0 + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(LAT0 + 0.45)))
    return lon, lat


def generate(
    out: Path,
    *,
    settlements: int = 5000,
    stations: int = 200,
    centres: int = 10,
    counties: int = 10,
    seed: int = 1,
    counts: tuple[int, int, int] = (1500, 40, 2),
    max_access_km: float = 3.0,
    by_county: bool = False,
) -> Path:
    """Write ``settlements.csv``, ``candidate_sites.csv``, ``fleet.csv`` and
    ``scenario.yaml`` under ``out``; returns the scenario path."""
    rng = np.random.default_rng(seed)
    width, height = 140.0, 100.0
    seats = np.column_stack(
        [rng.uniform(15, width - 15, counties), rng.uniform(12, height - 12, counties)]
    )
    county_of = rng.integers(0, counties, settlements)
    urban = rng.random(settlements) < 0.08
    spread = np.where(urban, 3.0, 14.0)
    xy = seats[county_of] + rng.normal(size=(settlements, 2)) * spread[:, None]
    xy[:, 0] = np.clip(xy[:, 0], 0, width)
    xy[:, 1] = np.clip(xy[:, 1], 0, height)
    population = (
        np.where(
            urban,
            rng.lognormal(math.log(6000), 0.4, settlements),
            rng.lognormal(math.log(1400), 0.5, settlements),
        )
        .round()
        .astype(int)
    )
    lon, lat = _km_to_deg(xy[:, 0], xy[:, 1])
    ids = [f"S{n:05d}" for n in range(settlements)]
    county_names = [f"县{c + 1:02d}" for c in range(counties)]
    town = (
        county_of * 100 + (np.floor(xy[:, 0] / 12) % 10) * 10 + np.floor(xy[:, 1] / 12) % 10
    ).astype(int)
    source = "synthetic (seeded, benchmarks/prefecture.py)"
    sett = pd.DataFrame(
        {
            "settlement_id": ids,
            "name": [
                f"{county_names[c]}-{'社区' if u else '村'}{n:05d}"
                for n, (c, u) in enumerate(zip(county_of, urban, strict=True))
            ],
            "township_code": [f"T{t:05d}" for t in town],
            "township": [f"镇{t:05d}" for t in town],
            "kind": np.where(urban, "community", "village"),
            "lon": lon.round(6),
            "lat": lat.round(6),
            "population": population,
            "households": (population / 2.8).round().astype(int),
            "urban_rural": np.where(urban, "urban", "rural"),
            "source": source,
        }
    )
    if by_county:  # each county its own network, the centres shared
        sett["county"] = [county_names[c] for c in county_of]
    rows: list[dict] = []

    def site(site_id: str, name: str, tier: str, settlement: str, x: float, y: float,
             fixed_cny: float, capacity_t: float) -> None:  # fmt: skip
        rows.append(
            {
                "site_id": site_id,
                "name": name,
                "tier": tier,
                "settlement_id": settlement,
                "lon": x,
                "lat": y,
                "fixed_cost_cny_per_year": fixed_cny,
                "capacity_t_per_day": capacity_t,
            }
        )

    for n in range(settlements):
        site(f"P{ids[n]}", f"{sett.name[n]}回收点", "collection_point", ids[n], lon[n], lat[n],
             round(6000 * rng.uniform(0.8, 1.2)), 20.0)  # fmt: skip
    big = np.argsort(-population, kind="stable")[: stations * 3]
    for s, n in enumerate(rng.choice(big, stations, replace=False)):
        site(f"T{s:03d}", f"{sett.name[n]}中转站", "transfer_station", ids[n], lon[n], lat[n],
             round(120_000 * rng.uniform(0.7, 1.3)), 80.0)  # fmt: skip
    for c in range(centres):
        cx, cy = _km_to_deg(
            seats[c % counties, 0] + rng.normal() * 2, seats[c % counties, 1] + rng.normal() * 2
        )
        site(f"C{c:02d}", f"{county_names[c % counties]}分拣中心", "sorting_centre", "", cx, cy,
             round(900_000 * rng.uniform(0.8, 1.2)), 600.0)  # fmt: skip
    cand = pd.DataFrame(rows)
    cand["lon"], cand["lat"] = cand["lon"].round(6), cand["lat"].round(6)
    cand["existing"] = False
    cand["source"] = source
    out.mkdir(parents=True, exist_ok=True)
    sett.to_csv(out / "settlements.csv", index=False)
    cand.to_csv(out / "candidate_sites.csv", index=False)
    (out / "fleet.csv").write_text(
        (ROOT / "data/cuiping/fleet.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    base = yaml.safe_load((ROOT / "scenarios/cuiping-2027.yaml").read_text(encoding="utf-8"))
    base.update(
        name=f"prefecture-{settlements}-seed{seed}",
        title=f"合成地级市 {settlements} 个村/社区 (seed {seed})",
        inputs={
            "settlements": "settlements.csv",
            "candidates": "candidate_sites.csv",
            "fleet": "fleet.csv",
        },
    )
    base["siting"]["counts"] = {
        "collection_point": counts[0],
        "transfer_station": counts[1],
        "sorting_centre": counts[2],
    }
    base["siting"]["max_access_km"] = max_access_km
    if by_county:
        size = np.bincount(county_of, minlength=counties)
        points = np.floor(counts[0] * size / size.sum()).astype(int)
        points[np.argsort(-size)[: counts[0] - int(points.sum())]] += 1
        base["siting"]["counts_by_county"] = {
            county_names[c]: {
                "collection_point": int(points[c]),
                "transfer_station": counts[1] // counties,
            }
            for c in range(counties)
        }
        base["siting"]["rules"] = {**base["siting"].get("rules", {}), "same_county": True}
    path = out / "scenario.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main_generate(argv: list[str]) -> None:
    """``python -m benchmarks prefecture --out DIR [--seed N] ...``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks prefecture")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--settlements", type=int, default=5000)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--centres", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--points", type=int, default=1500, help="collection points to open")
    parser.add_argument(
        "--by-county",
        action="store_true",
        help="counties with networks of their own (counts_by_county, same_county)",
    )
    args = parser.parse_args(argv)
    path = generate(
        args.out,
        settlements=args.settlements,
        stations=args.stations,
        centres=args.centres,
        seed=args.seed,
        by_county=args.by_county,
        counts=(args.points, 40, 2),
    )
    print(json.dumps({"scenario": str(path)}))


def main_siting(argv: list[str]) -> None:
    """``python -m benchmarks siting SCENARIO --time-limit-s S [--seed N]``."""
    from recyclenet.config import load_scenario
    from recyclenet.demand import settlement_demand
    from recyclenet.inputs import load_inputs
    from recyclenet.siting import SitingParams, solve
    from recyclenet.siting_inputs import siting_problem
    from recyclenet.travel import travel_model

    parser = contract_parser("siting", 120.0, positional="scenario")
    parser.add_argument("--method", default="auto")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    scenario = load_scenario(args.scenario)
    inputs = load_inputs(scenario)
    demand = settlement_demand(inputs.settlements, scenario.demand)
    problem = siting_problem(inputs, demand, scenario, travel_model(scenario.network))
    built = time.perf_counter() - start
    result = solve(
        problem, SitingParams(time_limit_s=args.time_limit_s, seed=args.seed, method=args.method)
    )
    nan = float("nan")
    print(
        json.dumps(
            {
                "instance": scenario.name,
                "problem": "siting",
                "status": result.status,
                "objective": None
                if math.isnan(result.objective_cny)
                else round(result.objective_cny, 2),
                "bound": None if math.isnan(result.bound_cny) else round(result.bound_cny, 2),
                "gap": None
                if math.isnan(result.gap if result.gap is not None else nan)
                else result.gap,
                "runtime_s": round(result.runtime_s, 3),
                "build_s": round(built, 3),
                "solver": result.solver,
                "settlements": problem.num_settlements,
                "candidates": [len(problem.points), len(problem.stations), len(problem.centres)],
            }
        )
    )
