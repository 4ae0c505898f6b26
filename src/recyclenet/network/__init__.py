"""Distances and travel times between places; coordinate systems."""

from recyclenet.network.coords import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from recyclenet.network.matrix import (
    StraightLine,
    TravelMatrix,
    haversine_km,
    straight_line_matrix,
)

__all__ = [
    "StraightLine",
    "TravelMatrix",
    "bd09_to_gcj02",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_km",
    "straight_line_matrix",
    "to_wgs84",
    "wgs84_to_gcj02",
]
