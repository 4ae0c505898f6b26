"""Build the plan areas' scenario data beside Cuiping (seeded; run from anywhere).

    python data/plan_areas/build.py

Reads the township seats of ``../shared/data/geo/plan_areas_townships_2023.csv`` (facts:
names, codes and WGS-84 seats; see data/plan_areas/README.md for their sources) and
writes, per area, ``data/<area>/townships.csv`` (the facts restated), ``settlements.csv``
and ``candidate_sites.csv`` (synthetic, seeded, labelled so in their ``source`` column)
and ``fleet.csv`` (the documented default vehicle types). The same seed gives
byte-identical files. Townships whose seat the sources lack are left out (listed in the
README).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

SEED = 20261206
HERE = Path(__file__).resolve().parent
DATA = HERE.parent
SHARED = DATA.parent.parent / "shared" / "data" / "geo" / "plan_areas_townships_2023.csv"
KM_PER_DEG_LAT = 110.574
SYNTHETIC = "synthetic (seeded, data/plan_areas/build.py)"
UNVERIFIED = "default (unverified; shared/data/recycling-parameters.md)"
SEATS = "seat: AreaCity 2023 + Vonng/adcode 2016 (shared/data/geo/SOURCES.md)"

FLEET = [
    ("e_tricycle", "电动三轮车", "electric tricycle", 500, 3.0, 20, 0.3, 150),
    ("box_truck_4_2m", "4.2米厢式货车", "4.2 m box truck", 1800, 16.0, 35, 2.5, 450),
    ("truck_6_8m", "6.8米货车", "6.8 m truck", 8000, 40.0, 40, 4.0, 800),
]

# 川滇共建: a Yunnan county across the border sharing Panzhihua's sorting centre. Its
# townships are not in the sources: four synthetic ones south of 仁和区, so labelled.
YUNNAN_NEIGHBOUR = "云南邻县（合成）"
YUNNAN_TOWNS = [
    ("Y01", "邻县甲镇", 101.66, 26.08),
    ("Y02", "邻县乙镇", 101.78, 26.12),
    ("Y03", "邻县丙乡", 101.55, 26.15),
    ("Y04", "邻县丁乡", 101.86, 26.03),
]


def offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """Move a WGS-84 point by a small east/north offset in km."""
    return lon + east_km / (111.320 * math.cos(math.radians(lat))), lat + north_km / KM_PER_DEG_LAT


def seats(area: str, county: str | None = None) -> list[dict[str, str]]:
    """The area's townships with a seat in the sources."""
    with open(SHARED, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["plan_area"] == area]
    if county is not None:
        rows = [r for r in rows if r["county"] == county]
    return [r for r in rows if r["lng_wgs84"] and r["lat_wgs84"]]


def settlements_of(
    rng: np.random.Generator, towns: list[dict[str, object]], county: dict[str, str]
) -> list[dict[str, object]]:
    """Synthetic villages and communities around each township seat: a 街道 gets 4-8
    communities near its seat, a 镇 or 乡 2 communities and 6-12 villages over a disc."""
    out: list[dict[str, object]] = []
    for t in towns:
        code, name = str(t["code"]), str(t["name"])
        lon0, lat0 = float(t["lon"]), float(t["lat"])
        street = name.endswith("街道")
        n_comm = int(rng.integers(4, 9)) if street else 2
        n_vill = 0 if street else int(rng.integers(6, 13))
        for i in range(n_comm):
            lon, lat = offset(lon0, lat0, *rng.normal(0.0, 0.9, size=2))
            pop = int(rng.lognormal(math.log(5200), 0.3))
            out.append(_settlement(code, name, county[code], i + 1, "community", lon, lat, pop))
        radius = 1.3 * math.sqrt(max(n_vill, 4)) + 1.0
        for i in range(n_vill):
            r, a = radius * math.sqrt(rng.uniform(0.08, 1.0)), rng.uniform(0.0, 2 * math.pi)
            lon, lat = offset(lon0, lat0, r * math.cos(a), r * math.sin(a))
            pop = int(rng.lognormal(math.log(1600), 0.4))
            out.append(_settlement(code, name, county[code], 200 + i + 1, "village", lon, lat, pop))
    return out


def _settlement(code, town, county, k, kind, lon, lat, pop) -> dict[str, object]:
    short = "社区" if kind == "community" else "村"
    n = k if kind == "community" else k - 200
    return {
        "settlement_id": f"{code}{k:03d}",
        "name": f"{town}-{short}{n:02d}",
        "township_code": code,
        "township": town,
        "kind": kind,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "population": pop,
        "households": int(round(pop / 2.8)),
        "urban_rural": "urban" if kind == "community" else "rural",
        "county": county,
        "source": SYNTHETIC,
    }


def write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_fleet(folder: Path) -> None:
    keys = ["vehicle_type", "name", "name_en", "payload_kg", "volume_m3", "speed_kmh"]
    keys += ["cost_cny_per_km", "fixed_cost_cny_per_day"]
    rows = [{**dict(zip(keys, f, strict=True)), "source": UNVERIFIED} for f in FLEET]
    write_csv(folder / "fleet.csv", rows)


def town_rows(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    return [
        {
            "code": r["code_2023"][:9],
            "name": r["name"],
            "county": r["county"],
            "lon": float(r["lng_wgs84"]),
            "lat": float(r["lat_wgs84"]),
            "source": SEATS,
        }
        for r in rows
    ]


def build_panzhihua(rng: np.random.Generator) -> None:
    """仁和区 and a synthetic Yunnan neighbour sharing one sorting centre (川滇共建); the
    candidates table is left to the product's defaults (header only)."""
    folder = DATA / "panzhihua"
    towns = town_rows(seats("攀枝花市", "仁和区"))
    towns += [
        {
            "code": c,
            "name": n,
            "county": YUNNAN_NEIGHBOUR,
            "lon": lo,
            "lat": la,
            "source": SYNTHETIC,
        }
        for c, n, lo, la in YUNNAN_TOWNS
    ]
    write_csv(folder / "townships.csv", towns)
    county = {str(t["code"]): str(t["county"]) for t in towns}
    write_csv(folder / "settlements.csv", settlements_of(rng, towns, county))
    header = "site_id,name,tier,settlement_id,lon,lat,fixed_cost_cny_per_year,"
    header += "capacity_t_per_day,existing\n"
    (folder / "candidate_sites.csv").write_text(header, encoding="utf-8")
    write_fleet(folder)


def build_wuqing(rng: np.random.Generator) -> None:
    """两网融合 in 武清区: every settlement a candidate point run by its village or community;
    the sanitation transfer stations of the six 街道 (existing, run by the district's
    城市管理委员会) and the supply-and-marketing cooperative's outlets at the town seats
    (cheap to convert, run by the 供销合作社) as the candidate stations; two centres."""
    folder = DATA / "wuqing"
    towns = town_rows(seats("天津市武清区"))
    write_csv(folder / "townships.csv", towns)
    county = {str(t["code"]): "武清区" for t in towns}
    settlements = settlements_of(rng, towns, county)
    write_csv(folder / "settlements.csv", settlements)
    cand = [_point(s, "村（居）委会") for s in settlements]
    for t in towns:
        street = str(t["name"]).endswith("街道")
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 0.8, size=2))
        if street:
            cand.append(
                _site(
                    f"T{t['code']}S",
                    f"{t['name']}环卫中转站",
                    "transfer_station",
                    lon,
                    lat,
                    40_000,
                    30,
                    "武清区城市管理委员会",
                    existing=True,
                )
            )
        else:
            cand.append(
                _site(
                    f"T{t['code']}G",
                    f"{t['name']}供销社回收网点",
                    "transfer_station",
                    lon,
                    lat,
                    60_000,
                    20,
                    "武清区供销合作社",
                )
            )
    for i, name in enumerate(["杨村街道", "崔黄口镇"]):
        t = next(t for t in towns if t["name"] == name)
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 1.5, size=2))
        operator = "武清区供销合作社" if i else "再生资源回收企业"
        cand.append(
            _site(
                f"C{i + 1}", f"{name}分拣中心", "sorting_centre", lon, lat, 650_000, 150, operator
            )
        )
    write_csv(folder / "candidate_sites.csv", cand)
    write_fleet(folder)


def _point(s: dict[str, object], operator: str, *, existing: bool = False) -> dict[str, object]:
    """A candidate collection point in settlement ``s`` (6,000 CNY a year, 20 t a day)."""
    return _site(
        f"P{s['settlement_id']}",
        f"{s['name']}回收点",
        "collection_point",
        s["lon"],
        s["lat"],
        6000,
        20,
        operator,
        existing=existing,
        settlement_id=str(s["settlement_id"]),
    )


def _site(
    site_id, name, tier, lon, lat, cost, capacity, operator, *, existing=False, settlement_id=""
) -> dict[str, object]:
    return {
        "site_id": site_id,
        "name": name,
        "tier": tier,
        "settlement_id": settlement_id,
        "lon": round(float(lon), 6),
        "lat": round(float(lat), 6),
        "fixed_cost_cny_per_year": cost,
        "capacity_t_per_day": capacity,
        "existing": existing,
        "operator": operator,
        "source": SYNTHETIC,
    }


def build_luojiang(rng: np.random.Generator) -> None:
    """路权 in 洛江区: the old town around 万安街道's seat closed to box trucks (a polygon,
    ``old_town.geojson``); candidates proposed by RecycleNet (header only)."""
    folder = DATA / "luojiang"
    towns = town_rows(seats("泉州市洛江区"))
    write_csv(folder / "townships.csv", towns)
    county = {str(t["code"]): "洛江区" for t in towns}
    write_csv(folder / "settlements.csv", settlements_of(rng, towns, county))
    header = "site_id,name,tier,settlement_id,lon,lat,fixed_cost_cny_per_year,"
    header += "capacity_t_per_day,existing\n"
    (folder / "candidate_sites.csv").write_text(header, encoding="utf-8")
    write_fleet(folder)
    seat = next(t for t in towns if t["name"] == "万安街道")
    ring = [
        [round(c, 6) for c in offset(float(seat["lon"]), float(seat["lat"]), *km)]
        for km in (
            (1.8 * math.cos(a), 1.8 * math.sin(a)) for a in np.linspace(0.0, 2 * math.pi, 25)[:-1]
        )
    ]
    zone = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "万安街道老城区（货车禁入，合成）",
                    "source": SYNTHETIC,
                },
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    text = json.dumps(zone, ensure_ascii=False, indent=1) + "\n"
    (folder / "old_town.geojson").write_text(text, encoding="utf-8")


def build_dazhou(rng: np.random.Generator) -> None:
    """通川区 with comprehensive and specialised sorting centres (综合型、专业型): the
    appliance and e-waste dismantling candidates take those categories only. Every
    settlement a candidate point (the urban streets' community points existing, so that
    the dispatcher's bookings file names points that are open), the township seats
    candidate stations, two comprehensive and three specialised centre candidates; a
    Monday's bookings (door pickups and 送新收旧) for ``recyclenet route``."""
    folder = DATA / "dazhou"
    towns = town_rows(seats("达州市", "通川区"))
    write_csv(folder / "townships.csv", towns)
    county = {str(t["code"]): "通川区" for t in towns}
    settlements = settlements_of(rng, towns, county)
    write_csv(folder / "settlements.csv", settlements)
    urban = ("东城街道", "西城街道")
    cand = [
        _point(s, "再生资源回收企业", existing=s["township"] in urban and s["kind"] == "community")
        for s in settlements
    ]
    for t in towns:
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 0.8, size=2))
        cand.append(
            _site(
                f"T{t['code']}",
                f"{t['name']}中转站",
                "transfer_station",
                lon,
                lat,
                60_000,
                25,
                "达州市供销合作社",
            )
        )
    centres = [
        ("C1", "复兴镇", "综合型分拣中心", 650_000, 150, ""),
        ("C2", "罗江镇", "综合型分拣中心", 600_000, 150, ""),
        ("E1", "复兴镇", "废旧家电与电子废弃物拆解中心", 900_000, 30, "appliances;e_waste"),
        ("E2", "磐石镇", "废旧家电与电子废弃物拆解中心", 850_000, 30, "appliances;e_waste"),
        ("X1", "双龙镇", "废旧纺织品分拣中心", 300_000, 10, "textiles"),
    ]
    for site_id, town, kind, cost, capacity, categories in centres:
        t = next(t for t in towns if t["name"] == town)
        lon, lat = offset(float(t["lon"]), float(t["lat"]), *rng.normal(0.0, 1.5, size=2))
        row = _site(
            site_id, f"{town}{kind}", "sorting_centre", lon, lat, cost, capacity, "再生资源回收企业"
        )
        cand.append({**row, "categories": categories})
    for row in cand:
        row.setdefault("categories", "")
    write_csv(folder / "candidate_sites.csv", cand)
    write_fleet(folder)
    points = [c for c in cand if c["existing"] and c["tier"] == "collection_point"]
    bookings = []
    for b in range(12):
        point = points[int(rng.integers(len(points)))]
        lon, lat = offset(float(point["lon"]), float(point["lat"]), *rng.normal(0.0, 0.3, size=2))
        start = int(rng.choice([8 * 60 + 30, 10 * 60, 14 * 60, 15 * 60 + 30]))
        appliance = b % 3 == 0  # 送新收旧: a new appliance delivered, the old one taken
        bookings.append(
            {
                "booking_id": f"B{b + 1:03d}",
                "point_id": point["site_id"],
                "day": "周一",
                "window_start": f"{start // 60:02d}:{start % 60:02d}",
                "window_end": f"{(start + 90) // 60:02d}:{(start + 90) % 60:02d}",
                "kg": 45 if appliance else int(rng.integers(15, 80)),
                "m3": 0.4 if appliance else round(float(rng.uniform(0.1, 0.6)), 2),
                "deliver_kg": 50 if appliance else "",
                "deliver_m3": 0.4 if appliance else "",
                "handling_min": 20 if appliance else 10,
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "source": SYNTHETIC,
            }
        )
    write_csv(folder / "bookings_mon.csv", bookings)


def build() -> None:
    rng = np.random.default_rng(SEED)
    build_panzhihua(rng)
    build_wuqing(rng)
    build_luojiang(rng)
    build_dazhou(rng)


if __name__ == "__main__":
    build()
