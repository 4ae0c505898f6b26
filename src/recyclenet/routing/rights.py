"""Road rights (路权) of vehicle types: permitted hours (one window, or several with
no-driving hours between them), forbidden zones, narrow roads.

A scenario's ``routing.road_rules`` are turned here into what the daily model needs: the
hours each type may be on the road and the collection points it cannot serve (listed
points on narrow roads, and points inside the polygons of a forbidden-zone file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from recyclenet.errors import InputError, InputProblem


class RoadRuleLike(Protocol):
    """What a vehicle type's road rule gives (the scenario's ``routing.road_rules``
    entries are such): its permitted windows in minutes after midnight (none: the
    shift), a zones file or ``None``, and point ids the type cannot reach."""

    def windows_min(self) -> tuple[tuple[float, float], ...]: ...

    @property
    def forbidden_zones(self) -> Path | None: ...

    @property
    def no_access_points(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class RoadRights:
    """What one vehicle type may do.

    Attributes
    ----------
    earliest_min, latest_min
        Permitted hours in minutes after midnight (``None``: the shift): the first
        permitted window's start and the last one's end.
    bans_min
        The gaps between permitted windows (a rush-hour ban), ``(start, end)`` each.
    closed_points
        Collection points the type cannot serve.
    """

    earliest_min: float | None = None
    latest_min: float | None = None
    bans_min: tuple[tuple[float, float], ...] = ()
    closed_points: frozenset[str] = field(default_factory=frozenset)

    def can_serve(self, ids: ArrayLike) -> NDArray[np.bool_]:
        """Per id, whether the type may serve it (not among its closed points)."""
        return ~np.isin(np.asarray(ids, dtype=str), list(self.closed_points))


def read_zones(path: str | Path) -> shapely.Geometry:
    """The union of the polygons in a GeoJSON or GeoPackage file, in WGS-84.

    Raises
    ------
    InputError
        When the file cannot be read, or a feature is not a polygon (with its row).
    """
    try:
        zones = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise InputError(
            [
                InputProblem(
                    str(path),
                    f"cannot read the forbidden zones: {exc}",
                    "give a GeoJSON or GeoPackage file of polygons",
                )
            ]
        ) from None
    problems = [
        InputProblem(
            str(path),
            f"feature {i + 1} is a {geom.geom_type if geom is not None else 'missing geometry'}, "
            "not a polygon",
            "draw forbidden zones as polygons (areas), not points or lines",
            row=i + 1,
            column="geometry",
        )
        for i, geom in enumerate(zones.geometry)
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if problems:
        raise InputError(problems)
    if zones.crs is not None and not zones.crs.equals("EPSG:4326"):
        zones = zones.to_crs("EPSG:4326")
    return shapely.union_all(zones.geometry.to_numpy())


def road_rights(
    rules: Mapping[str, RoadRuleLike], points: pd.DataFrame, known_points: set[str] | None = None
) -> dict[str, RoadRights]:
    """Road rights by vehicle type for the given collection points.

    Parameters
    ----------
    rules
        The scenario's ``routing.road_rules``.
    points
        ``point_id``, ``lon``, ``lat`` of the points to route.
    known_points
        Every candidate point id; a ``no_access_points`` entry outside it is an error
        (a typo would silently open a narrow road).
    """
    out: dict[str, RoadRights] = {}
    problems: list[InputProblem] = []
    for vt, rule in rules.items():
        closed = set(rule.no_access_points)
        if known_points is not None:
            for i, pid in enumerate(rule.no_access_points):
                if pid not in known_points:
                    problems.append(
                        InputProblem(
                            "scenario",
                            f"routing.road_rules.{vt}.no_access_points[{i}] '{pid}' is not a "
                            "candidate collection point",
                            "use a site_id of a collection point from the candidates table",
                            value=pid,
                        )
                    )
        if rule.forbidden_zones is not None and not points.empty:
            zone = read_zones(rule.forbidden_zones)
            inside = shapely.contains_xy(
                zone, points["lon"].to_numpy(float), points["lat"].to_numpy(float)
            )
            closed |= set(points["point_id"].astype(str)[np.asarray(inside, bool)])
        windows = sorted(rule.windows_min())
        lo, hi = (windows[0][0], windows[-1][1]) if windows else (None, None)
        bans = tuple(
            (a[1], b[0]) for a, b in zip(windows, windows[1:], strict=False) if b[0] > a[1]
        )
        out[vt] = RoadRights(lo, hi, bans, frozenset(closed))
    if problems:
        raise InputError(problems)
    return out
