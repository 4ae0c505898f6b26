"""GCJ-02 / BD-09 conversions: published reference values, round trips, input tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recyclenet.config import load_scenario
from recyclenet.inputs import load_inputs
from recyclenet.network import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_km,
    to_wgs84,
    wgs84_to_gcj02,
)
from tests.conftest import write_small_scenario


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        # Published in wandergis/coordtransform's README for input (116.404, 39.915), and
        # used as expected values by hutool's CoordinateUtilTest.
        (wgs84_to_gcj02, (116.41024449916938, 39.91640428150164)),
        (gcj02_to_bd09, (116.41036949371029, 39.92133699351021)),
        (bd09_to_gcj02, (116.39762729119315, 39.90865673957631)),
    ],
)
def test_published_reference_pairs(func, expected):
    """The forward formulas reproduce the published values to 1e-9 degrees."""
    lon, lat = func(116.404, 39.915)
    assert abs(float(lon) - expected[0]) < 1e-9 and abs(float(lat) - expected[1]) < 1e-9


def test_inverse_close_to_published_one_step_value():
    """Our iterative GCJ-02 -> WGS-84 is within 1 m of the published one-step estimate
    (116.39775550083061, 39.91359571849836), which is itself off by about a metre."""
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert haversine_km([lon], [lat], [116.39775550083061], [39.91359571849836])[0, 0] < 0.001


def test_cuiping_district_centre():
    """Amap's 翠屏区 centre (GCJ-02 104.620009, 28.765689, Vonng/adcode, CC BY 4.0) maps to
    the WGS-84 point restated in the project's township table (104.617684, 28.769137)."""
    lon, lat = gcj02_to_wgs84(104.620009, 28.765689)
    assert haversine_km([lon], [lat], [104.617684], [28.769137])[0, 0] < 0.001


def test_round_trips_within_one_metre():
    """WGS-84 -> GCJ-02 -> WGS-84 and -> BD-09 -> WGS-84 return within 1 m across China."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(75, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert haversine_km(lon, lat, *back).diagonal().max() < 0.001
    back = to_wgs84(*gcj02_to_bd09(*wgs84_to_gcj02(lon, lat)), "bd09")
    assert haversine_km(lon, lat, *back).diagonal().max() < 0.001
    shift = haversine_km(lon, lat, *wgs84_to_gcj02(lon, lat)).diagonal()
    assert shift.min() > 0.01  # the offset is real everywhere in China


def test_outside_china_unchanged():
    """GCJ-02 equals WGS-84 outside China."""
    lon, lat = wgs84_to_gcj02(2.35, 48.86)
    assert float(lon) == 2.35 and float(lat) == 48.86


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "EPSG:4547"])
def test_input_tables_declare_their_crs(tmp_path, crs):
    """Settlements given in GCJ-02, BD-09 or CGCS2000 Gauss-Kruger load back to WGS-84."""
    path = write_small_scenario(tmp_path, overrides={"inputs.crs": {"settlements": crs}})
    st = pd.read_csv(path.parent / "settlements.csv", dtype=str)
    lon, lat = st["lon"].astype(float).to_numpy(), st["lat"].astype(float).to_numpy()
    if crs == "gcj02":
        x, y = wgs84_to_gcj02(lon, lat)
    elif crs == "bd09":
        x, y = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    else:
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    st["lon"], st["lat"] = np.round(x, 8), np.round(y, 8)
    st.to_csv(path.parent / "settlements.csv", index=False)
    inputs = load_inputs(load_scenario(path))
    got = inputs.settlements
    assert haversine_km(lon, lat, got["lon"], got["lat"]).diagonal().max() < 0.001


def test_unknown_crs_is_rejected(tmp_path):
    """A misspelt coordinate system is a config error naming the table."""
    from recyclenet.errors import ConfigError

    path = write_small_scenario(tmp_path, overrides={"inputs.crs": {"candidates": "gcj2"}})
    with pytest.raises(ConfigError, match="inputs.crs.candidates"):
        load_scenario(path)
