"""One day of truck-as-depot collection from one base, as frozen data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray


@dataclass(frozen=True)
class Vehicle:
    """A vehicle type.

    Attributes
    ----------
    vehicle_type
        Id from the fleet table.
    payload_kg, volume_m3
        Capacity.
    speed_kmh
        Mean travel speed.
    cost_cny_per_km, fixed_cost_cny_per_day
        Running and daily fixed cost.
    """

    vehicle_type: str
    payload_kg: float
    volume_m3: float
    speed_kmh: float
    cost_cny_per_km: float
    fixed_cost_cny_per_day: float

    @classmethod
    def from_fleet(cls, fleet: pd.DataFrame, vehicle_type: str) -> Vehicle:
        """The type's row of a validated fleet table indexed by ``vehicle_type``."""
        row = fleet.loc[vehicle_type]
        return cls(
            vehicle_type=vehicle_type,
            payload_kg=float(row["payload_kg"]),
            volume_m3=float(row["volume_m3"]),
            speed_kmh=float(row["speed_kmh"]),
            cost_cny_per_km=float(row["cost_cny_per_km"]),
            fixed_cost_cny_per_day=float(row["fixed_cost_cny_per_day"]),
        )


@dataclass(frozen=True)
class DayProblem:
    """Stops of one base (a transfer station) on one day.

    Node 0 is the base, where trucks start, unload and end; nodes ``1..n`` are the stops.

    Attributes
    ----------
    base_id
        Site id of the base.
    day
        Working day label (``"mon"`` ...).
    stop_ids
        Point id of every stop (a point may appear twice when a visit needs two loads).
    load_kg, load_m3
        What each stop collects.
    dwell_min
        Time parked at each stop.
    distance_km
        ``(n + 1, n + 1)`` matrix, node 0 the base.
    vehicle
        The collection vehicle type.
    num_vehicles
        Trucks available at the base.
    shift_start_min, shift_end_min
        Shift in minutes after midnight; trucks leave at the start and must be back and
        unloaded by the end.
    unload_min
        Time to unload at the base (after every trip, the last included).
    max_fill
        Fraction of payload and volume that may be used.
    time_min
        ``(n + 1, n + 1)`` travel times from a road graph; ``None``: distance at the
        vehicle's speed.
    window_open_min, window_close_min
        Earliest and latest arrival at each stop (minutes after midnight): a published
        truck-as-depot slot or a booking's window. ``None``: anywhere in the shift.
    defer_penalty_cny
        Per stop, what leaving it for another day costs (a booking); ``None``: every
        stop must be served (it is dropped only when the fleet cannot, and reported).
    lunch
        ``(earliest_start_min, latest_start_min, duration_min)``: every truck still out
        at lunch time takes a break of that length starting in that window.
    slot_min
        Per stop, its published arrival (the time on the point's sign; NaN: none). Arriving
        more than ``slot_tolerance_min`` from it costs ``slot_penalty_cny_per_min`` per
        minute beyond the tolerance (a soft window; the hard window still applies).
    reload
        Whether a truck may unload at the base and go out again (several trips a day);
        ``False``: one trip per truck.
    initial_routes
        A known plan to start the search from (e.g. the published day being re-planned):
        per truck, stop indices in visiting order, ``-1`` for an unload at the base.
    """

    base_id: str
    day: str
    stop_ids: tuple[str, ...]
    load_kg: NDArray[np.float64]
    load_m3: NDArray[np.float64]
    dwell_min: NDArray[np.float64]
    distance_km: NDArray[np.float64]
    vehicle: Vehicle
    num_vehicles: int
    shift_start_min: float
    shift_end_min: float
    unload_min: float
    max_fill: float = 1.0
    time_min: NDArray[np.float64] | None = None
    window_open_min: NDArray[np.float64] | None = None
    window_close_min: NDArray[np.float64] | None = None
    defer_penalty_cny: NDArray[np.float64] | None = None
    lunch: tuple[float, float, float] | None = None
    slot_min: NDArray[np.float64] | None = None
    slot_tolerance_min: float = 15.0
    slot_penalty_cny_per_min: float = 10.0
    initial_routes: tuple[tuple[int, ...], ...] | None = None
    reload: bool = True

    def __post_init__(self) -> None:
        n = len(self.stop_ids)
        for name in ("window_open_min", "window_close_min", "defer_penalty_cny", "slot_min"):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (n,):
                raise ValueError(f"{name} must have one value per stop ({n})")
        if self.lunch is not None and not (self.lunch[0] <= self.lunch[1] and self.lunch[2] > 0):
            raise ValueError(f"lunch must be (earliest, latest, duration > 0), got {self.lunch}")
        for name in ("load_kg", "load_m3", "dwell_min"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"{name} must have one value per stop ({n})")
        if np.shape(self.distance_km) != (n + 1, n + 1):
            raise ValueError(f"distance_km must be ({n + 1}, {n + 1})")
        if self.time_min is not None and np.shape(self.time_min) != (n + 1, n + 1):
            raise ValueError(f"time_min must be ({n + 1}, {n + 1})")
        if self.num_vehicles < 1:
            raise ValueError("num_vehicles must be at least 1")
        if self.shift_end_min <= self.shift_start_min:
            raise ValueError("shift_end_min must be after shift_start_min")

    @property
    def num_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_ids)

    @property
    def capacity_kg(self) -> float:
        """Usable payload per trip."""
        return self.vehicle.payload_kg * self.max_fill

    @property
    def capacity_m3(self) -> float:
        """Usable volume per trip."""
        return self.vehicle.volume_m3 * self.max_fill

    def windows_min(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Earliest and latest arrival per stop (the shift when no window was given)."""
        n = self.num_stops
        lo = (
            np.full(n, self.shift_start_min)
            if self.window_open_min is None
            else np.maximum(self.window_open_min, self.shift_start_min)
        )
        hi = (
            np.full(n, self.shift_end_min)
            if self.window_close_min is None
            else np.minimum(self.window_close_min, self.shift_end_min)
        )
        return lo, hi

    def duration_min(self) -> NDArray[np.float64]:
        """Travel time matrix in minutes."""
        if self.time_min is not None:
            return self.time_min
        return self.distance_km / self.vehicle.speed_kmh * 60.0
