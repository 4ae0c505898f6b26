"""A base's week as a periodic routing problem: which days each stop is visited on.

Node 0 is the depot (where the trucks start and end the day), nodes ``1..m`` the stops
(customers), nodes ``m+1..m+F`` the unload facilities. Every stop is visited on the days
of one of its ``patterns``; each day at most ``num_vehicles`` trucks of ``payload_kg``
leave the depot, unload at a facility whenever full and always before driving home,
and are back within ``max_duration_min`` (travel plus service). What a day costs is its
driving (``distance_km`` at the vehicle's cost per km) plus each truck's fixed cost.

This module holds the problem and the plain route-list arithmetic the search uses to
estimate moves (:func:`insertion`, :func:`insert`, :func:`remove`); the search itself is
:mod:`recyclenet.routing.periodic`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from recyclenet.routing.problem import DayProblem, Vehicle
from recyclenet.routing.timing import unload_code

Routes = list[list[int]]
"""A day's routes as node lists, depot to depot (facilities included)."""


@dataclass(frozen=True)
class PeriodicProblem:
    """One base's week of visit days to choose (see the module docstring for the nodes).

    Attributes
    ----------
    base_id
        The base's id (the day problems').
    horizon
        Working days in the week.
    patterns
        Per stop, the visit-day patterns it may take (indices into the horizon).
    demand_kg
        What each stop gives a visit (``m``,).
    service_min
        Per node: stay at each stop, unloading at each facility (the depot's is unused).
    time_min, distance_km
        ``(n, n)`` matrices over all nodes.
    vehicle
        The truck type (payload, cost per km, fixed cost a day).
    num_vehicles
        Trucks a day.
    max_duration_min
        The longest a truck may work a day (travel and service).
    num_facilities
        Unload facilities (the last nodes).
    xy_km
        Stop positions on a local plane (``m``, 2), for sweep starts; ``None``: unknown.
    """

    base_id: str
    horizon: int
    patterns: tuple[tuple[tuple[int, ...], ...], ...]
    demand_kg: NDArray[np.float64]
    service_min: NDArray[np.float64]
    time_min: NDArray[np.float64]
    distance_km: NDArray[np.float64]
    vehicle: Vehicle
    num_vehicles: int
    max_duration_min: float
    num_facilities: int
    xy_km: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        m, n = len(self.patterns), self.time_min.shape[0]
        if n != m + 1 + self.num_facilities or self.distance_km.shape != (n, n):
            raise ValueError(f"matrices must be {m + 1 + self.num_facilities} square, got {n}")
        if self.num_facilities < 1:
            raise ValueError("a periodic problem needs at least one unload facility")
        if any(not p for p in self.patterns):
            raise ValueError("every stop needs at least one pattern")

    @property
    def customers(self) -> list[int]:
        """The stops' node ids, ``1..m``."""
        return list(range(1, len(self.patterns) + 1))

    @property
    def facilities(self) -> list[int]:
        """The facilities' node ids."""
        m = len(self.patterns)
        return list(range(m + 1, m + 1 + self.num_facilities))

    def options(self, c: int) -> tuple[tuple[int, ...], ...]:
        """The patterns stop ``c`` (a node id) may take."""
        return self.patterns[c - 1]

    def frequency(self, c: int) -> int:
        """Visits a week of stop ``c``."""
        return len(self.patterns[c - 1][0])

    def demand(self, c: int) -> float:
        return float(self.demand_kg[c - 1])

    def cost_per_km(self) -> float:
        return self.vehicle.cost_cny_per_km

    def travel_cost(self, nodes: list[int]) -> float:
        """A route's driving cost."""
        d = self.distance_km
        drive = float(sum(d[a, b] for a, b in zip(nodes[:-1], nodes[1:], strict=True)))
        return self.cost_per_km() * drive

    def route_minutes(self, nodes: list[int]) -> float:
        """A route's working time: travel plus service (what the duration bounds)."""
        t = self.time_min
        drive = float(sum(t[a, b] for a, b in zip(nodes[:-1], nodes[1:], strict=True)))
        return drive + float(self.service_min[nodes[1:-1]].sum())

    def day_cost(self, routes: Routes) -> float:
        """A day's driving plus the trucks' fixed cost."""
        fixed = self.vehicle.fixed_cost_cny_per_day * len(routes)
        return sum(self.travel_cost(n) for n in routes) + fixed

    def day_problem(self, customers: list[int], day: str = "0") -> DayProblem:
        """The day model of a set of stops: the depot (nobody unloads there), the stops,
        the facilities as unload sites."""
        fac = self.facilities
        nodes = [0, *customers, *fac]
        return DayProblem(
            base_id=self.base_id,
            day=day,
            stop_ids=tuple(str(c) for c in customers),
            load_kg=np.array([self.demand(c) for c in customers], dtype=float),
            load_m3=np.zeros(len(customers)),
            dwell_min=self.service_min[customers].astype(float),
            distance_km=self.distance_km[np.ix_(nodes, nodes)],
            time_min=self.time_min[np.ix_(nodes, nodes)],
            vehicle=self.vehicle,
            num_vehicles=self.num_vehicles,
            shift_start_min=0.0,
            shift_end_min=self.max_duration_min,
            unload_min=0.0,
            sites=tuple(str(f) for f in fac),
            unload_at=tuple(range(1, len(fac) + 1)),
            site_unload_min=(0.0, *(float(s) for s in self.service_min[fac])),
        )

    def orders(self, customers: list[int], routes: Routes) -> tuple[tuple[int, ...], ...]:
        """Routes as a starting plan of :meth:`day_problem` (stop indices, unload codes)."""
        index = {c: i for i, c in enumerate(customers)}
        site = {f: k + 1 for k, f in enumerate(self.facilities)}
        return tuple(
            tuple(index[a] if a in index else unload_code(site[a]) for a in nodes[1:-1])
            for nodes in routes
            if len(nodes) > 2 and any(a in index for a in nodes)
        )


def insertion(
    p: PeriodicProblem, routes: Routes, c: int, new_truck: bool = True
) -> tuple[float, int, int, int]:
    """Cheapest insertion of stop ``c`` into a day's routes, within the trip's payload
    and the route's duration: ``(added cost, route, position, facility)``; ``facility``
    is -1 to join a trip, else a new trip ``c -> facility`` starts at the position
    (after the depot or a facility), or (``route == len(routes)``, only with
    ``new_truck``) a truck of its own; ``inf`` where it fits nowhere."""
    dur, dist, svc = p.time_min, p.distance_km, p.service_min
    per_km, fac = p.cost_per_km(), p.facilities
    ends_trip = set(fac) | {0}
    best = (math.inf, -1, -1, -1)
    demand, payload = p.demand(c), p.vehicle.payload_kg
    if demand > payload + 1e-9:
        return best
    for r, nodes in enumerate(routes):
        length = p.route_minutes(nodes)
        # the load of the trip each arc (k, k + 1) lies on
        trip_of_arc: list[int] = []
        totals: list[float] = []
        acc = 0.0
        for a in nodes[1:]:
            trip_of_arc.append(len(totals))
            if a in ends_trip:
                totals.append(acc)
                acc = 0.0
            else:
                acc += p.demand(a)
        for k in range(len(nodes) - 1):
            a, b = nodes[k], nodes[k + 1]
            if k == 0 or a in ends_trip:  # a trip of its own, starting here
                for f in fac:
                    delta = per_km * float(dist[a, c] + dist[c, f] + dist[f, b] - dist[a, b])
                    busy = length + float(dur[a, c] + dur[c, f] + dur[f, b] - dur[a, b])
                    busy += svc[c] + svc[f]
                    if delta < best[0] and busy <= p.max_duration_min + 1e-9:
                        best = (delta, r, k + 1, f)
            if k == len(nodes) - 2 or totals[trip_of_arc[k]] + demand > payload + 1e-9:
                continue  # (the last arc, facility to depot, carries nothing)
            delta = per_km * float(dist[a, c] + dist[c, b] - dist[a, b])
            busy = length + float(dur[a, c] + dur[c, b] - dur[a, b]) + svc[c]
            if busy > p.max_duration_min + 1e-9 or delta >= best[0]:
                continue
            best = (delta, r, k + 1, -1)
    if new_truck and len(routes) < p.num_vehicles:  # a truck of its own
        f = min(fac, key=lambda f: dist[c, f] + dist[f, 0])
        alone = per_km * float(dist[0, c] + dist[c, f] + dist[f, 0])
        alone += p.vehicle.fixed_cost_cny_per_day
        busy = float(dur[0, c] + dur[c, f] + dur[f, 0]) + svc[c] + svc[f]
        if alone < best[0] and busy <= p.max_duration_min + 1e-9:
            best = (alone, len(routes), 1, f)
    return best


def insert(p: PeriodicProblem, routes: Routes, c: int, r: int, k: int, f: int) -> None:
    """Apply an insertion found by :func:`insertion`."""
    if r == len(routes):
        routes.append([0, c, f, 0])
    elif f >= 0:
        routes[r][k:k] = [c, f]
    else:
        routes[r].insert(k, c)


def remove(p: PeriodicProblem, routes: Routes, c: int) -> None:
    """Take stop ``c`` out; a route left with no stop is dropped, a trip left empty
    loses its facility visit."""
    m = len(p.patterns)
    for r, nodes in enumerate(routes):
        if c in nodes:
            nodes.remove(c)
            if not any(1 <= a <= m for a in nodes):
                del routes[r]
                return
            for k in range(len(nodes) - 2, 0, -1):
                if nodes[k] > m and (k == 1 or nodes[k - 1] > m):
                    del nodes[k]
            return
