"""Distance and duration matrices.

``straight_line`` is great-circle distance times a detour factor; travel time is that
distance at a vehicle's speed. Road graphs will provide the same :class:`TravelMatrix`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(
    lon_a: ArrayLike, lat_a: ArrayLike, lon_b: ArrayLike, lat_b: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distances in km between every point of A (rows) and of B (columns).

    Parameters
    ----------
    lon_a, lat_a
        WGS-84 degrees of the row points.
    lon_b, lat_b
        WGS-84 degrees of the column points.
    """
    la1 = np.radians(np.asarray(lat_a, dtype=float))[:, None]
    lo1 = np.radians(np.asarray(lon_a, dtype=float))[:, None]
    la2 = np.radians(np.asarray(lat_b, dtype=float))[None, :]
    lo2 = np.radians(np.asarray(lon_b, dtype=float))[None, :]
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    km: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


@dataclass(frozen=True)
class TravelMatrix:
    """Road-estimated distances between row and column points.

    Attributes
    ----------
    distance_km
        ``(n_rows, n_cols)`` distances.
    method
        How they were measured, e.g. ``"straight_line x 1.40"``.
    time_min
        Travel times from a road graph for the profile asked for; ``None`` for straight
        lines, whose times follow from a vehicle's speed.
    """

    distance_km: NDArray[np.float64]
    method: str
    time_min: NDArray[np.float64] | None = None

    def duration_min(self, speed_kmh: float) -> NDArray[np.float64]:
        """Travel times in minutes: the road graph's, else distance at ``speed_kmh``."""
        if self.time_min is not None:
            return self.time_min
        return self.distance_km / speed_kmh * 60.0


def straight_line_matrix(
    lon_a: ArrayLike,
    lat_a: ArrayLike,
    lon_b: ArrayLike | None = None,
    lat_b: ArrayLike | None = None,
    *,
    detour_factor: float,
) -> TravelMatrix:
    """Great-circle distance times ``detour_factor`` (B defaults to A)."""
    if lon_b is None or lat_b is None:
        lon_b, lat_b = lon_a, lat_a
    dist = haversine_km(lon_a, lat_a, lon_b, lat_b) * detour_factor
    return TravelMatrix(distance_km=dist, method=f"straight_line x {detour_factor:.2f}")


@dataclass(frozen=True)
class StraightLine:
    """Great-circle distance times a detour factor; the travel model without a road graph."""

    detour_factor: float

    @property
    def method(self) -> str:
        """Description for reports."""
        return f"straight_line x {self.detour_factor:.2f}"

    def matrix(
        self,
        lon_a: ArrayLike,
        lat_a: ArrayLike,
        lon_b: ArrayLike | None = None,
        lat_b: ArrayLike | None = None,
        *,
        profile: str | None = None,
        labels_a: list[str] | None = None,
        labels_b: list[str] | None = None,
    ) -> TravelMatrix:
        """Distances between points (``profile`` and labels are accepted and unused)."""
        return straight_line_matrix(lon_a, lat_a, lon_b, lat_b, detour_factor=self.detour_factor)
