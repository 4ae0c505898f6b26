"""Chinese web-map coordinate systems: WGS-84, GCJ-02 (Amap, Tencent) and BD-09 (Baidu).

GCJ-02 is WGS-84 with a published, deterministic non-linear offset (a few hundred metres
in China, none outside). It has no closed-form inverse; :func:`gcj02_to_wgs84` inverts it
by fixed-point iteration to well below a millimetre. BD-09 is a further rotation and
shift of GCJ-02. Projected systems go through pyproj. All functions are vectorised over
numpy arrays; longitudes and latitudes are in degrees.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

CoordinateSystem = Literal["wgs84", "gcj02", "bd09"]


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The rough bounding box where GCJ-02 differs from WGS-84 (the common convention)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _offset_deg(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = d_lon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS-84 to GCJ-02 (unchanged outside China)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d_lon, d_lat = _offset_deg(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 to WGS-84 by fixed-point iteration (error far below 1 mm in China)."""
    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < tol_deg) and np.all(np.abs(e_lat) < tol_deg):
            break
    return w_lon, w_lat


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 to BD-09."""
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """BD-09 to GCJ-02 (the standard closed-form inverse)."""
    x = np.asarray(lon, float) - 0.0065
    y = np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def to_wgs84(
    x: ArrayLike, y: ArrayLike, crs: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert coordinates in ``crs`` to WGS-84 longitude and latitude.

    Parameters
    ----------
    x, y
        Longitude and latitude in degrees, or easting and northing for a projected CRS.
    crs
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, or any CRS pyproj understands, such as
        ``"EPSG:4547"`` (CGCS2000 / 3-degree Gauss-Kruger CM 105E).
    """
    key = crs.lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "epsg:4326"):
        return np.asarray(x, float), np.asarray(y, float)
    if key == "gcj02":
        return gcj02_to_wgs84(x, y)
    if key == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def is_geographic(crs: str) -> bool:
    """Whether ``crs`` has longitude/latitude in degrees (so range checks apply)."""
    key = crs.lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "gcj02", "bd09", "epsg:4326"):
        return True
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)
