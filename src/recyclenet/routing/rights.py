"""Road rights (路权) of vehicle types: permitted hours, forbidden zones, narrow roads.

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

from recyclenet.clock import hhmm_to_min
from recyclenet.errors import InputError, InputProblem


class RoadRuleLike(Protocol):
    """What a vehicle type's road rule gives (the scenario's ``routing.road_rules``
    entries are such): permitted hours as two ``HH:MM`` texts or ``None``, a zones file
    or ``None``, and point ids the type cannot reach."""

    @property
    def permitted_hours(self) -> tuple[str, str] | None: ...

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
        Permitted hours in minutes after midnight (``None``: the shift).
    closed_points
        Collection points the type cannot serve.
    """

    earliest_min: float | None = None
    latest_min: float | None = None
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
        lo, hi = (
            (None, None)
            if rule.permitted_hours is None
            else (float(hhmm_to_min(t)) for t in rule.permitted_hours)
        )
        out[vt] = RoadRights(lo, hi, frozenset(closed))
    if problems:
        raise InputError(problems)
    return out
