"""Shared fixtures: small scenarios cut from the embedded Cuiping data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CUIPING = ROOT / "scenarios" / "cuiping-2027.yaml"


def write_small_scenario(
    folder: Path,
    *,
    townships: tuple[str, ...] = ("李庄镇", "宋家镇"),
    counts: tuple[int, int, int] = (8, 2, 1),
    overrides: dict | None = None,
) -> Path:
    """A reduced Cuiping scenario (a few townships) with its own copies of the tables."""
    data = ROOT / "data" / "cuiping"
    st = pd.read_csv(data / "settlements.csv", dtype=str)
    st = st[st["township"].isin(townships)]
    cand = pd.read_csv(data / "candidate_sites.csv", dtype=str, keep_default_na=False)
    keep = (cand["tier"] != "collection_point") | cand["settlement_id"].isin(st["settlement_id"])
    cand = cand[keep]
    folder.mkdir(parents=True, exist_ok=True)
    st.to_csv(folder / "settlements.csv", index=False)
    cand.to_csv(folder / "candidates.csv", index=False)
    shutil.copy(data / "fleet.csv", folder / "fleet.csv")
    config = yaml.safe_load(CUIPING.read_text(encoding="utf-8"))
    config["name"] = "small"
    config["inputs"] = {
        "settlements": "settlements.csv",
        "candidates": "candidates.csv",
        "fleet": "fleet.csv",
    }
    config["siting"]["counts"] = dict(
        zip(("collection_point", "transfer_station", "sorting_centre"), counts, strict=True)
    )
    config["solver"] = {
        "siting_time_limit_s": 10,
        "routing_time_limit_s": 120,  # a safety cap: the search is counted in work
        "effort": "quick",
        "seed": 1,
    }
    for key, value in (overrides or {}).items():
        node = config
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """Path of a reduced two-township scenario in a temporary folder."""
    return write_small_scenario(tmp_path / "small")


def write_bookings(path: Path, rows: list[str]) -> Path:
    """A bookings CSV with the given data rows."""
    header = "booking_id,point_id,day,window_start,window_end,kg,m3,handling_min,lon,lat"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def day_bookings(net, path: Path, day: str):  # noqa: ANN001, ANN201
    """A planned network's bookings of one day, read as `recyclenet route` reads them."""
    from recyclenet.bookings import read_bookings

    rc = net.scenario.routing
    return read_bookings(
        path,
        day=day,
        point_ids=set(net.points["site_id"]),
        earliest_min=rc.shift_start_min,
        shift_end_min=rc.shift_end_min,
        max_kg=net.max_load()[0],
        max_m3=net.max_load()[1],
    )
