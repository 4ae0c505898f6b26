"""One day of truck-as-depot collection from one base, as frozen data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

# What each minute beyond a slot's tolerance costs by default (CNY); the scenario's
# routing.slot_penalty_cny_per_min sets it for a run.
SLOT_PENALTY_CNY_PER_MIN = 100.0


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
class TruckGroup:
    """Trucks of one type kept at one site, with their road rights.

    Attributes
    ----------
    vehicle
        The type.
    count
        Trucks of this group available on the day.
    depot
        Site where they start and end the day: 0 the problem's base, ``k >= 1`` the
        problem's ``sites[k - 1]`` (another station, the sorting centre).
    earliest_min, latest_min
        Permitted hours: the truck leaves its depot no earlier and is back (unloaded, when
        its depot is an unload site) no later, in minutes after midnight; ``None``: the
        shift.
    bans_min
        No-driving hours inside the permitted hours (a rush-hour ban between two
        permitted windows), ``(start_min, end_min)`` each, in order: the truck neither
        drives nor serves a stop then; it waits where it is (at a stop, at its station,
        or pulled over on the way) and goes on after.
    can_serve
        Per stop, whether this type may serve it (narrow village roads, a stop inside a
        zone the type may not enter); ``None``: every stop.
    distance_km, time_min
        The type's own matrices over all nodes (from its road profile, e.g. with its
        forbidden roads and zones removed); ``None``: the problem's.
    """

    vehicle: Vehicle
    count: int
    depot: int = 0
    earliest_min: float | None = None
    latest_min: float | None = None
    bans_min: tuple[tuple[float, float], ...] = ()
    can_serve: NDArray[np.bool_] | None = None
    distance_km: NDArray[np.float64] | None = None
    time_min: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class DayProblem:
    """Stops of one base (a transfer station) on one day.

    Node 0 is the base, where trucks start, unload and end; nodes ``1..n`` are the stops;
    nodes ``n+1..n+S`` are the optional extra ``sites`` (other depots, unload facilities).
    Without ``fleet`` every truck is a ``vehicle`` kept at the base and unloading there.

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
    fleet
        Trucks by type and depot (a mixed fleet, several depots); ``None``:
        ``num_vehicles`` trucks of type ``vehicle`` at the base.
    sites
        Ids of extra sites (nodes ``n+1..``): depots of some trucks, unload facilities.
    unload_at
        Sites where trucks unload (0 the base, ``k`` the site ``sites[k - 1]``). A truck
        whose depot is not one of them ends its last trip with an unload at one.
    deliver_kg, deliver_m3
        Per stop, what a truck brings to it (a new appliance, 送新收旧), loaded where
        the trip starts (the depot, or the unload site of the previous trip); ``None``:
        nothing.
    site_unload_min
        Unloading time per site (0 the base, then ``sites``); ``None``: ``unload_min``
        everywhere.
    max_kg_per_truck_day
        What one truck may collect in a day over all its trips (a crew or permit limit);
        ``None``: no limit.
    site_hours_min
        Opening hours per site (0 the base, then ``sites``) as ``(open, close)`` in
        minutes after midnight: an unload there starts no earlier than ``open`` and no
        later than ``close``; ``None``: open all shift.
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
    slot_penalty_cny_per_min: float = SLOT_PENALTY_CNY_PER_MIN
    initial_routes: tuple[tuple[int, ...], ...] | None = None
    reload: bool = True
    fleet: tuple[TruckGroup, ...] | None = None
    sites: tuple[str, ...] = ()
    unload_at: tuple[int, ...] = (0,)
    deliver_kg: NDArray[np.float64] | None = None
    deliver_m3: NDArray[np.float64] | None = None
    site_unload_min: tuple[float, ...] | None = None
    max_kg_per_truck_day: float | None = None
    site_hours_min: tuple[tuple[float, float], ...] | None = None
    release_min: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        n = len(self.stop_ids)
        size = n + 1 + len(self.sites)
        for name in (
            "window_open_min",
            "window_close_min",
            "defer_penalty_cny",
            "slot_min",
            "deliver_kg",
            "deliver_m3",
            "release_min",
        ):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (n,):
                raise ValueError(f"{name} must have one value per stop ({n})")
        if self.lunch is not None and not (self.lunch[0] <= self.lunch[1] and self.lunch[2] > 0):
            raise ValueError(f"lunch must be (earliest, latest, duration > 0), got {self.lunch}")
        for name in ("load_kg", "load_m3", "dwell_min"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"{name} must have one value per stop ({n})")
        if np.shape(self.distance_km) != (size, size):
            raise ValueError(f"distance_km must be ({size}, {size})")
        if self.time_min is not None and np.shape(self.time_min) != (size, size):
            raise ValueError(f"time_min must be ({size}, {size})")
        if self.num_vehicles < 1:
            raise ValueError("num_vehicles must be at least 1")
        if self.site_unload_min is not None and len(self.site_unload_min) != len(self.sites) + 1:
            raise ValueError(
                f"site_unload_min must have one value per site ({len(self.sites) + 1})"
            )
        if self.site_hours_min is not None and (
            len(self.site_hours_min) != len(self.sites) + 1
            or any(not lo <= hi for lo, hi in self.site_hours_min)
        ):
            raise ValueError(
                f"site_hours_min must have one (open, close) per site ({len(self.sites) + 1})"
            )
        if not self.unload_at or any(not 0 <= k <= len(self.sites) for k in self.unload_at):
            raise ValueError(f"unload_at must name sites 0..{len(self.sites)}")
        for g, group in enumerate(self.groups()):
            if group.count < 1:
                raise ValueError(f"fleet group {g}: count must be at least 1")
            if not 0 <= group.depot <= len(self.sites):
                raise ValueError(f"fleet group {g}: depot must be a site 0..{len(self.sites)}")
            if group.can_serve is not None and np.shape(group.can_serve) != (n,):
                raise ValueError(f"fleet group {g}: can_serve must have one value per stop")
            for name in ("distance_km", "time_min"):
                value = getattr(group, name)
                if value is not None and np.shape(value) != (size, size):
                    raise ValueError(f"fleet group {g}: {name} must be ({size}, {size})")
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

    def groups(self) -> tuple[TruckGroup, ...]:
        """The fleet by group (one group of ``num_vehicles`` at the base without ``fleet``)."""
        if self.fleet is not None:
            return self.fleet
        return (TruckGroup(self.vehicle, self.num_vehicles),)

    def truck_groups(self) -> list[int]:
        """Group index of every truck, trucks numbered group by group."""
        return [g for g, group in enumerate(self.groups()) for _ in range(group.count)]

    @property
    def num_trucks(self) -> int:
        """Trucks available in all groups."""
        return sum(group.count for group in self.groups())

    def site_node(self, site: int) -> int:
        """Node of site ``site`` (0 the base, ``k`` the site ``sites[k - 1]``)."""
        return 0 if site == 0 else self.num_stops + site

    def unload_min_at(self, site: int) -> float:
        """Time to unload at site ``site``."""
        return self.unload_min if self.site_unload_min is None else self.site_unload_min[site]

    def site_hours(self, site: int) -> tuple[float, float]:
        """When an unload may start at site ``site`` (the shift without opening hours)."""
        if self.site_hours_min is None:
            return self.shift_start_min, self.shift_end_min
        lo, hi = self.site_hours_min[site]
        return max(lo, self.shift_start_min), min(hi, self.shift_end_min)

    def open_all_shift(self, site: int) -> bool:
        """Whether site ``site`` takes unloads at any time of the shift."""
        return self.site_hours(site) == (self.shift_start_min, self.shift_end_min)

    def site_id(self, site: int) -> str:
        """Id of site ``site``."""
        return self.base_id if site == 0 else self.sites[site - 1]

    def group_capacity(self, group: int) -> tuple[float, float]:
        """Usable payload (kg) and volume (m3) per trip of a group's trucks."""
        v = self.groups()[group].vehicle
        return v.payload_kg * self.max_fill, v.volume_m3 * self.max_fill

    def group_distance_km(self, group: int) -> NDArray[np.float64]:
        """Distance matrix a group's trucks drive on."""
        own = self.groups()[group].distance_km
        return self.distance_km if own is None else own

    def group_duration_min(self, group: int) -> NDArray[np.float64]:
        """Travel time matrix of a group's trucks, in minutes."""
        g = self.groups()[group]
        if g.time_min is not None:
            return g.time_min
        if g.distance_km is None and self.time_min is not None:
            return self.time_min
        return self.group_distance_km(group) / g.vehicle.speed_kmh * 60.0

    def group_hours_min(self, group: int) -> tuple[float, float]:
        """When a group's trucks may leave their depot and must be back."""
        g = self.groups()[group]
        lo = (
            self.shift_start_min
            if g.earliest_min is None
            else max(g.earliest_min, self.shift_start_min)
        )
        hi = self.shift_end_min if g.latest_min is None else min(g.latest_min, self.shift_end_min)
        return lo, hi

    def group_bans_min(self, group: int) -> tuple[tuple[float, float], ...]:
        """A group's no-driving hours (:attr:`TruckGroup.bans_min`) that fall inside its
        hours (:meth:`group_hours_min`), cut to them."""
        lo, hi = self.group_hours_min(group)
        return tuple(
            (max(a, lo), min(b, hi)) for a, b in self.groups()[group].bans_min if b > lo and a < hi
        )

    def served_by(self, group: int) -> NDArray[np.bool_]:
        """Per stop, whether the group may serve it."""
        mask = self.groups()[group].can_serve
        return np.ones(self.num_stops, dtype=bool) if mask is None else np.asarray(mask, bool)

    def deliveries(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """What each stop receives (kg, m3); zeros without deliveries."""
        zero = np.zeros(self.num_stops)
        kg = zero if self.deliver_kg is None else np.asarray(self.deliver_kg, float)
        m3 = zero if self.deliver_m3 is None else np.asarray(self.deliver_m3, float)
        return kg, m3

    def has_deliveries(self) -> bool:
        """Whether any stop receives something."""
        kg, m3 = self.deliveries()
        return bool((kg > 0).any() or (m3 > 0).any())

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

    def releases(self) -> NDArray[np.float64]:
        """Per stop, the earliest departure of the trip serving it (``-inf``: none)."""
        if self.release_min is None:
            return np.full(self.num_stops, -np.inf)
        return np.where(np.isnan(self.release_min), -np.inf, self.release_min)

    def has_releases(self) -> bool:
        """Whether any stop's trip must wait for a release time after the shift start."""
        return bool(np.any(self.releases() > self.shift_start_min))

    def duration_min(self) -> NDArray[np.float64]:
        """Travel time matrix in minutes."""
        if self.time_min is not None:
            return self.time_min
        return self.distance_km / self.vehicle.speed_kmh * 60.0
