"""Build the embedded Cuiping default tables (seeded; run from anywhere).

    python data/cuiping/build.py

Reads ``townships.csv`` (facts, see README.md here) and writes

- ``settlements.csv``: 213 villages + 102 communities (2019 counts) with synthetic
  positions and a synthetic split of the 887,359 residents (2020 census);
- ``candidate_sites.csv``: every settlement as a candidate collection point, transfer
  station candidates at township seats plus a few more, four sorting-centre candidates;
- ``fleet.csv``: vehicle types with editable, unverified defaults.

Everything synthetic is labelled so in the ``source`` column. The same seed gives
byte-identical files.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

SEED = 20231231
HERE = Path(__file__).resolve().parent

TOTAL_POPULATION = 887_359  # 7th census, 2020-11-01
VILLAGES_2019 = 213
COMMUNITIES_2019 = 102
PERSONS_PER_HOUSEHOLD = 2.75  # Yibin, 2020 census
URBAN_CORE = {"西郊街道", "安阜街道", "白沙湾街道", "合江门街道", "大观楼街道"}
KM_PER_DEG_LAT = 110.574

SYNTHETIC = "synthetic (seeded, data/cuiping/build.py)"
UNVERIFIED = "default (unverified; shared/data/recycling-parameters.md)"


def largest_remainder(weights: list[float], total: int) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base.tolist()


def offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """Move a WGS-84 point by a small east/north offset in km."""
    km_per_deg_lon = 111.320 * math.cos(math.radians(lat))
    return lon + east_km / km_per_deg_lon, lat + north_km / KM_PER_DEG_LAT


def build() -> None:
    rng = np.random.default_rng(SEED)
    with open(HERE / "townships.csv", encoding="utf-8") as fh:
        towns = list(csv.DictReader(fh))

    n_villages = largest_remainder([int(t["villages_2016"]) for t in towns], VILLAGES_2019)
    n_communities = largest_remainder([int(t["communities_2016"]) for t in towns], COMMUNITIES_2019)

    settlements: list[dict[str, object]] = []
    weights: list[float] = []
    for town, nv, nc in zip(towns, n_villages, n_communities, strict=True):
        lon0, lat0 = float(town["lon"]), float(town["lat"])
        core = town["name"] in URBAN_CORE
        # Rural townships get a radius that grows with their number of villages.
        radius_km = 2.5 if core else 1.3 * math.sqrt(max(nv, 4)) + 1.0
        short = town["name"]
        for i in range(nc):
            sd_km = 1.2 if core else 0.7
            e, n = rng.normal(0.0, sd_km, size=2)
            lon, lat = offset(lon0, lat0, float(e), float(n))
            settlements.append(
                {
                    "settlement_id": f"{town['code']}{i + 1:03d}",
                    "name": f"{short}-社区{i + 1:02d}",
                    "name_en": f"{town['pinyin']}-C{i + 1:02d}",
                    "township_code": town["code"],
                    "township": town["name"],
                    "kind": "community",
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "urban_rural": "urban",
                }
            )
            weights.append(float(rng.lognormal(math.log(6500 if core else 3200), 0.35)))
        for i in range(nv):
            r = radius_km * math.sqrt(rng.uniform(0.08, 1.0))
            a = rng.uniform(0.0, 2.0 * math.pi)
            lon, lat = offset(lon0, lat0, r * math.cos(a), r * math.sin(a))
            settlements.append(
                {
                    "settlement_id": f"{town['code']}{200 + i + 1:03d}",
                    "name": f"{short}-村{i + 1:02d}",
                    "name_en": f"{town['pinyin']}-V{i + 1:02d}",
                    "township_code": town["code"],
                    "township": town["name"],
                    "kind": "village",
                    "lon": round(lon, 6),
                    "lat": round(lat, 6),
                    "urban_rural": "rural",
                }
            )
            weights.append(float(rng.lognormal(math.log(1700), 0.4)))

    population = largest_remainder(weights, TOTAL_POPULATION)
    for row, pop in zip(settlements, population, strict=True):
        row["population"] = pop
        row["households"] = int(round(pop / PERSONS_PER_HOUSEHOLD))
        row["source"] = SYNTHETIC
    write_csv(
        HERE / "settlements.csv",
        settlements,
        [
            "settlement_id",
            "name",
            "name_en",
            "township_code",
            "township",
            "kind",
            "lon",
            "lat",
            "population",
            "households",
            "urban_rural",
            "source",
        ],
    )

    candidates: list[dict[str, object]] = []
    for row in settlements:
        candidates.append(
            {
                "site_id": f"P{row['settlement_id']}",
                "name": f"{row['name']}回收点",
                "tier": "collection_point",
                "settlement_id": row["settlement_id"],
                "lon": row["lon"],
                "lat": row["lat"],
                "fixed_cost_cny_per_year": 6000,
                "capacity_t_per_day": 20,
                "existing": False,
                "source": UNVERIFIED,
            }
        )
    station_towns = [t for t in towns if t["name"] not in URBAN_CORE]
    for t in station_towns:
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 0.6, size=2))
        candidates.append(
            {
                "site_id": f"T{t['code']}",
                "name": f"{t['name']}中转站",
                "tier": "transfer_station",
                "settlement_id": "",
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "fixed_cost_cny_per_year": int(round(rng.uniform(100_000, 140_000), -3)),
                "capacity_t_per_day": 30,
                # One supply-cooperative station already runs at Lizhuang.
                "existing": t["name"] == "李庄镇",
                "source": f"seat: townships.csv; offset, cost: {SYNTHETIC}",
            }
        )
    # A few more: sanitation transfer stations in the urban core that could be shared (两网融合).
    core = [t for t in towns if t["name"] in ("西郊街道", "白沙湾街道", "安阜街道")]
    for t in core:
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 1.0, size=2))
        candidates.append(
            {
                "site_id": f"T{t['code']}S",
                "name": f"{t['name']}环卫中转站",
                "tier": "transfer_station",
                "settlement_id": "",
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "fixed_cost_cny_per_year": 80_000,
                "capacity_t_per_day": 30,
                "existing": False,
                "source": SYNTHETIC,
            }
        )
    centre_towns = ["象鼻街道", "沙坪街道", "菜坝镇", "李庄镇"]
    for i, name in enumerate(centre_towns):
        t = next(t for t in towns if t["name"] == name)
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 1.5, size=2))
        candidates.append(
            {
                "site_id": f"C{i + 1}",
                "name": f"{name}分拣中心",
                "tier": "sorting_centre",
                "settlement_id": "",
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "fixed_cost_cny_per_year": int(round(rng.uniform(550_000, 700_000), -3)),
                "capacity_t_per_day": 150,
                "existing": False,
                "source": SYNTHETIC,
            }
        )
    write_csv(
        HERE / "candidate_sites.csv",
        candidates,
        [
            "site_id",
            "name",
            "tier",
            "settlement_id",
            "lon",
            "lat",
            "fixed_cost_cny_per_year",
            "capacity_t_per_day",
            "existing",
            "source",
        ],
    )

    # Variant for the two-network scenario (两网融合): the three urban sanitation transfer
    # stations are reused as recycling stations (existing, shared running cost).
    shared = []
    for row in candidates:
        row = dict(row)
        if str(row["site_id"]).endswith("S") and row["tier"] == "transfer_station":
            row["existing"] = True
            row["fixed_cost_cny_per_year"] = 40_000
            row["source"] = f"{SYNTHETIC}; reused sanitation station (scenario variant)"
        shared.append(row)
    write_csv(HERE / "candidate_sites_two_networks.csv", shared, list(candidates[0]))

    fleet = [
        {
            "vehicle_type": "e_tricycle",
            "name": "电动三轮车",
            "name_en": "electric tricycle",
            "payload_kg": 500,
            "volume_m3": 3.0,
            "speed_kmh": 20,
            "cost_cny_per_km": 0.3,
            "fixed_cost_cny_per_day": 150,
            "source": UNVERIFIED,
        },
        {
            "vehicle_type": "box_truck_4_2m",
            "name": "4.2米厢式货车",
            "name_en": "4.2 m box truck",
            "payload_kg": 1800,
            "volume_m3": 16.0,
            "speed_kmh": 35,
            "cost_cny_per_km": 2.5,
            "fixed_cost_cny_per_day": 450,
            "source": UNVERIFIED,
        },
        {
            "vehicle_type": "truck_6_8m",
            "name": "6.8米货车",
            "name_en": "6.8 m truck",
            "payload_kg": 8000,
            "volume_m3": 40.0,
            "speed_kmh": 40,
            "cost_cny_per_km": 4.0,
            "fixed_cost_cny_per_day": 800,
            "source": UNVERIFIED,
        },
    ]
    write_csv(HERE / "fleet.csv", fleet, list(fleet[0]))


def write_csv(path: Path, rows: list[dict[str, object]], columns: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    build()
