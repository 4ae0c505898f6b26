"""A week of truck-as-depot collection as one object, and :func:`plan_week` that plans it.

The pipeline composes the steps itself (:func:`~recyclenet.routing.plan.schedule_week`,
:func:`~recyclenet.routing.week.published_week`, :func:`~recyclenet.routing.week.solve_week`)
because it also keeps a published timetable; a library user with open sites in frames,
or a siting result, builds a :class:`WeekProblem` and calls :func:`plan_week`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import geopandas as gpd
import pandas as pd

from recyclenet.routing.day import RoutingParams
from recyclenet.routing.plan import schedule_week
from recyclenet.routing.problem import SLOT_PENALTY_CNY_PER_MIN, DayProblem, Vehicle
from recyclenet.routing.rights import RoadRights
from recyclenet.routing.schedule import PointVisits
from recyclenet.routing.timetable import WeekPlan, haul_trips
from recyclenet.routing.week import solve_week
from recyclenet.siting.result import SitingResult

# Columns of a week's hauls (see :func:`~recyclenet.routing.timetable.haul_trips`).
HAUL_COLUMNS = (
    "station_id",
    "centre_id",
    "kg_per_week",
    "trips_per_week",
    "trips_per_working_day",
    "km_per_trip",
    "km_per_week",
    "hours_per_week",
)


@dataclass(frozen=True)
class WeekProblem:
    """A week to plan: the open collection points and stations, the trucks and the day's
    rules.

    Attributes
    ----------
    points
        Open collection points: ``point_id``, ``station_id``, ``lon``, ``lat``,
        ``kg_per_day``, ``m3_per_day``; optional ``storage_kg``, ``storage_m3``,
        ``visits_per_week``, ``window_start_min``, ``window_end_min`` (see
        :func:`~recyclenet.routing.plan.schedule_week`).
    stations
        Open transfer stations: ``station_id``, ``lon``, ``lat`` (optional
        ``keeper_id``, ``keeper_lon``, ``keeper_lat``: where their trucks are kept).
    vehicle
        The collection truck type.
    working_days
        Day labels (``mon`` ... ``sun``) the trucks work.
    trucks_per_station
        Trucks of ``vehicle`` at every station (``fleet`` overrides it).
    shift_start_min, shift_end_min
        The working day, in minutes after midnight.
    dwell_min, unload_min
        Minutes a truck stands at a point, and unloads at the station.
    max_fill
        Share of a truck's capacity planned per load.
    detour_factor
        Road distance over the straight line (when ``travel`` is not given).
    lunch
        ``(earliest, latest, length)`` in minutes, or ``None``.
    travel
        Travel times and distances (a :class:`~recyclenet.travel.StraightLine` or a
        road graph's); ``None``: the straight line times ``detour_factor``.
    fleet
        Trucks at every station by type, ``((vehicle, count), ...)`` (a mixed fleet).
    rights
        Road rights by vehicle type (permitted hours, points it may not serve).
    slot_tolerance_min
        A point visited on several days arrives within this many minutes of its
        published time (``None``: no such aim).
    slot_penalty_cny_per_min
        What each minute beyond the tolerance costs.
    haul
        Station to centre hauls (:data:`HAUL_COLUMNS`); ``None``: none.
    """

    points: pd.DataFrame
    stations: pd.DataFrame
    vehicle: Vehicle
    working_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    trucks_per_station: int = 2
    shift_start_min: float = 8 * 60
    shift_end_min: float = 17 * 60
    dwell_min: float = 10.0
    unload_min: float = 20.0
    max_fill: float = 0.9
    detour_factor: float = 1.3
    lunch: tuple[float, float, float] | None = None
    travel: Any | None = None
    fleet: tuple[tuple[Vehicle, int], ...] | None = None
    rights: dict[str, RoadRights] | None = None
    slot_tolerance_min: float | None = 15.0
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN
    haul: pd.DataFrame | None = None

    def schedule(
        self, params: RoutingParams, kept_days: dict[str, tuple[int, ...]] | None = None
    ) -> tuple[dict[str, PointVisits], list[DayProblem]]:
        """Every point's visit days and loads, and each station's day problems (see
        :func:`~recyclenet.routing.plan.schedule_week`); ``kept_days``: visit days of a
        published timetable, by point id."""
        return schedule_week(
            self.points,
            self.stations,
            vehicle=self.vehicle,
            working_days=self.working_days,
            trucks_per_station=self.trucks_per_station,
            shift_start_min=self.shift_start_min,
            shift_end_min=self.shift_end_min,
            dwell_min=self.dwell_min,
            unload_min=self.unload_min,
            max_fill=self.max_fill,
            detour_factor=self.detour_factor,
            params=params,
            lunch=self.lunch,
            travel=self.travel,
            fleet=self.fleet,
            rights=self.rights,
            kept_days=kept_days,
        )

    @classmethod
    def from_siting(
        cls,
        result: SitingResult,
        candidates: gpd.GeoDataFrame,
        *,
        vehicle: Vehicle,
        density_kg_per_m3: float = 150.0,
        haul_vehicle: Vehicle | None = None,
        **settings: Any,
    ) -> WeekProblem:
        """The week of a sited network: its open points (with the tonnes the siting
        sends them) and stations, placed at the candidates' geometries.

        Parameters
        ----------
        result
            A solved siting problem.
        candidates
            The candidate sites it was built from (``site_id`` and point geometries,
            as given to :meth:`~recyclenet.siting.SitingProblem.from_geodataframes`).
        vehicle
            The collection truck type.
        density_kg_per_m3
            Loose density of what is collected (a point's volume a day is its weight
            over it).
        haul_vehicle
            The station to centre truck: the week's hauls are worked out with it
            (``None``: no hauls).
        **settings
            Any other attribute of :class:`WeekProblem`.

        Examples
        --------
        See the README's example: a network sited from GeoDataFrames, then its week.
        """
        at = candidates.to_crs(4326) if candidates.crs is not None else candidates
        at = at.set_index(at["site_id"].astype(str))
        open_ = result.facilities()
        pts = open_[open_["tier"] == "collection_point"]
        sts = open_[open_["tier"] == "transfer_station"]
        kg = pts["throughput_t_per_day"].to_numpy(float) * 1000
        points = pd.DataFrame(
            {
                "point_id": pts["site_id"].to_numpy(),
                "station_id": pts["parent_site_id"].to_numpy(),
                "lon": at.geometry.x.loc[pts["site_id"]].to_numpy(float),
                "lat": at.geometry.y.loc[pts["site_id"]].to_numpy(float),
                "kg_per_day": kg,
                "m3_per_day": kg / density_kg_per_m3,
            }
        )
        stations = pd.DataFrame(
            {
                "station_id": sts["site_id"].to_numpy(),
                "lon": at.geometry.x.loc[sts["site_id"]].to_numpy(float),
                "lat": at.geometry.y.loc[sts["site_id"]].to_numpy(float),
            }
        )
        haul = None
        if haul_vehicle is not None:
            p = result.problem
            idx = sts["site_idx"].to_numpy(int)
            centre = result.centre_of_station[idx]
            station_kg = sts["throughput_t_per_day"].to_numpy(float) * 1000
            working_days = settings.get("working_days", cls.working_days)
            haul = haul_trips(
                list(sts["site_id"]),
                station_kg,
                station_kg / density_kg_per_m3,
                p.haul_km[idx, centre],
                [p.centres.ids[m] for m in centre],
                vehicle=haul_vehicle,
                max_fill=settings.get("max_fill", cls.max_fill),
                working_days=len(working_days),
                handling_min=settings.get("unload_min", cls.unload_min),
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TypeError(f"unknown WeekProblem settings: {', '.join(unknown)}")
        return cls(points=points, stations=stations, vehicle=vehicle, haul=haul, **settings)


def plan_week(
    problem: WeekProblem,
    params: RoutingParams | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> WeekPlan:
    """Plan the week: every point's visit days and loads, then each station's days
    routed (see :func:`~recyclenet.routing.plan.schedule_week` and
    :func:`~recyclenet.routing.week.solve_week`).

    Parameters
    ----------
    problem
        The week.
    params
        Search settings (default :class:`RoutingParams`: a time budget; set
        ``work_per_day`` for a plan that is the same on any machine load).
    progress
        Called with ``(days done, days)`` as the days are routed.

    Examples
    --------
    Two points of one station, from frames:

    >>> import pandas as pd
    >>> from recyclenet.routing import RoutingParams, Vehicle, WeekProblem, plan_week
    >>> points = pd.DataFrame({"point_id": ["p1", "p2"], "station_id": ["s1", "s1"],
    ...     "lon": [104.61, 104.69], "lat": [28.75, 28.80],
    ...     "kg_per_day": [300.0, 150.0], "m3_per_day": [2.0, 1.0]})
    >>> stations = pd.DataFrame({"station_id": ["s1"], "lon": [104.65], "lat": [28.77]})
    >>> truck = Vehicle("tricycle", payload_kg=500, volume_m3=3, speed_kmh=25,
    ...     cost_cny_per_km=1.0, fixed_cost_cny_per_day=150)
    >>> plan = plan_week(WeekProblem(points, stations, truck), RoutingParams(work_per_day=1.0))
    >>> plan.trucks_per_station()
    {'s1': 1}
    >>> plan.signs()[["point_id", "days", "time"]]  # what each point's sign says
      point_id                 days   time
    0       p1  mon;tue;wed;thu;fri  08:14
    1       p1                  mon  09:12
    2       p1                  mon  10:10
    3       p2                  tue  09:14
    4       p2          tue;wed;fri  10:09
    """
    params = params or RoutingParams()
    p = problem
    visits, day_problems = p.schedule(params)
    days = solve_week(
        day_problems,
        params,
        progress,
        slot_tolerance_min=p.slot_tolerance_min,
        slot_penalty_cny_per_min=p.slot_penalty_cny_per_min,
    )
    return WeekPlan(
        visits=visits,
        days=tuple(days),
        working_days=p.working_days,
        haul=p.haul if p.haul is not None else pd.DataFrame(columns=list(HAUL_COLUMNS)),
        slot_tolerance_min=p.slot_tolerance_min if p.slot_tolerance_min is not None else 15.0,
    )
