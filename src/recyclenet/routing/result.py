"""Results of daily routing, a checker that recomputes them, and tidy tables."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.routing.bans import drive_through, overlaps
from recyclenet.routing.problem import DayProblem

EVENT_KINDS = ("start", "stop", "lunch", "parked", "unload", "end")
STANDING = ("lunch", "parked")
"""Event kinds of a truck standing where it is (no place of their own)."""


@dataclass(frozen=True)
class Event:
    """One event on a truck's day.

    Attributes
    ----------
    kind
        ``"start"`` at the base, ``"stop"`` at a collection point, ``"lunch"`` (parked
        on the way or where the previous event was), ``"parked"`` (standing through
        no-driving hours, :attr:`~recyclenet.routing.problem.TruckGroup.bans_min`),
        ``"unload"`` at the base between trips, ``"end"`` (final unload and return) at the base.
    stop_idx
        Index into the problem's stops for ``"stop"``, else -1.
    arrival_min, departure_min
        Minutes after midnight.
    load_kg, load_m3
        On board after the event.
    distance_km
        Driven from the previous event.
    trip
        1-based trip number (a trip ends with an unload).
    site
        For ``"start"``, ``"unload"`` and ``"end"``: the site (0 the base, ``k`` the
        problem's ``sites[k - 1]``).
    """

    kind: str
    stop_idx: int
    arrival_min: float
    departure_min: float
    load_kg: float
    load_m3: float
    distance_km: float
    trip: int
    site: int = 0


@dataclass(frozen=True)
class DayResult:
    """The routes of one base on one day.

    Attributes
    ----------
    problem
        The day solved.
    status
        ``"feasible"`` (a solution, not proved optimal: the search is a metaheuristic
        stopped by its time limit), ``"optimal"`` (no stops), ``"published"`` (the
        day driven as a kept timetable published it, see
        :func:`~recyclenet.routing.week.published_day`), or ``"no_solution"``.
    routes
        One list of events per truck used.
    dropped
        Stops that could not be served (indices), each a reason to look at the fleet.
    cost_cny
        Running plus fixed cost of the trucks used.
    runtime_s
        Solve time.
    route_group
        Fleet group (index into ``problem.groups()``) of each route; empty: all group 0.
    capped
        Whether a wall-clock limit stopped a search of this day before its work budget
        was spent (a stalled search, or the run's safety cap; see
        :mod:`recyclenet.routing.budget`): the plan may then differ on another machine.
    """

    problem: DayProblem
    status: str
    routes: tuple[tuple[Event, ...], ...]
    dropped: tuple[int, ...]
    cost_cny: float
    runtime_s: float
    route_group: tuple[int, ...] = ()
    capped: bool = False

    def group_of(self, route: int) -> int:
        """Fleet group of route ``route``."""
        return self.route_group[route] if self.route_group else 0

    def trucks_by_group(self) -> list[int]:
        """Trucks used per fleet group (in the order of ``problem.groups()``)."""
        used = [0] * len(self.problem.groups())
        for r in range(len(self.routes)):
            used[self.group_of(r)] += 1
        return used

    def trucks_by_type(self) -> dict[str, int]:
        """Trucks used per vehicle type."""
        out: dict[str, int] = {}
        groups = self.problem.groups()
        for r in range(len(self.routes)):
            vt = groups[self.group_of(r)].vehicle.vehicle_type
            out[vt] = out.get(vt, 0) + 1
        return out

    @property
    def num_trucks(self) -> int:
        """Trucks used."""
        return len(self.routes)

    def unserved(self) -> int:
        """Stops left out that must be served (a deferred booking is not one), and one
        more than all stops when there is no plan."""
        p = self.problem
        if self.status == "no_solution":
            return p.num_stops + 1
        return 0 if p.defer_penalty_cny is not None else len(self.dropped)

    def objective_cny(self) -> float:
        """What the search minimises: running and fixed cost, each minute an arrival
        lies beyond its slot's tolerance at the slot's price, and each deferred
        booking's penalty (``inf`` when a stop that must be served is left out)."""
        p = self.problem
        total = self.cost_cny
        if self.dropped:
            if p.defer_penalty_cny is None:
                return math.inf
            total += float(p.defer_penalty_cny[list(self.dropped)].sum())
        if p.slot_min is not None:
            for route in self.routes:
                for e in route:
                    if e.kind == "stop" and np.isfinite(p.slot_min[e.stop_idx]):
                        late = abs(e.arrival_min - p.slot_min[e.stop_idx]) - p.slot_tolerance_min
                        total += max(0.0, late) * p.slot_penalty_cny_per_min
        return float(total)

    def orders(self) -> list[tuple[int, ...]]:
        """Each route's visiting order: stop indices, and ``-1 - site`` for an unload
        between trips (the final unload belongs to the route's end and is left out)."""
        out = []
        for route in self.routes:
            order = [
                e.stop_idx if e.kind == "stop" else -1 - e.site
                for e in route
                if e.kind in ("stop", "unload")
            ]
            while order and order[-1] < 0:
                order.pop()
            out.append(tuple(order))
        return out

    def plan(self) -> tuple[tuple[int, ...], ...]:
        """The routes as a starting plan for the same day (``DayProblem.initial_routes``):
        one order per truck, trucks numbered group by group, empty for trucks not used."""
        by_group: dict[int, list[tuple[int, ...]]] = {}
        for r, order in enumerate(self.orders()):
            by_group.setdefault(self.group_of(r), []).append(order)
        return truck_plan(self.problem, by_group)

    def distance_km(self) -> float:
        """Total distance driven."""
        return float(sum(e.distance_km for r in self.routes for e in r))

    def duration_h(self) -> float:
        """Total truck-hours from leaving the base to the end of the last unload."""
        return float(sum(r[-1].departure_min - r[0].departure_min for r in self.routes) / 60.0)

    def events(self) -> pd.DataFrame:
        """One row per event.

        Columns: ``base_id``, ``day``, ``truck`` (1-based per base and day),
        ``vehicle_type``, ``seq``, ``trip``, ``kind``, ``stop_idx``, ``site_id`` (the
        stop's point, the site of a start, unload or end, empty for a break or parked
        hours), ``arrival_min``,
        ``departure_min``, ``load_kg``, ``load_m3``, ``distance_km``, ``collected_kg``,
        ``collected_m3``, ``delivered_kg``, ``delivered_m3`` (new goods handed over at a
        stop, 送新收旧; ``load_kg`` counts them on board from the trip's start).
        """
        p = self.problem
        groups = p.groups()
        deliver_kg, deliver_m3 = p.deliveries()
        rows = []
        for t, route in enumerate(self.routes, start=1):
            vehicle_type = groups[self.group_of(t - 1)].vehicle.vehicle_type
            for seq, e in enumerate(route):
                is_stop = e.kind == "stop"
                rows.append(
                    {
                        "base_id": p.base_id,
                        "day": p.day,
                        "truck": t,
                        "vehicle_type": vehicle_type,
                        "seq": seq,
                        "trip": e.trip,
                        "kind": e.kind,
                        "stop_idx": e.stop_idx,
                        "site_id": (
                            p.stop_ids[e.stop_idx]
                            if is_stop
                            else ""
                            if e.kind in STANDING
                            else p.site_id(e.site)
                        ),
                        "arrival_min": e.arrival_min,
                        "departure_min": e.departure_min,
                        "load_kg": e.load_kg,
                        "load_m3": e.load_m3,
                        "distance_km": e.distance_km,
                        "collected_kg": float(p.load_kg[e.stop_idx]) if is_stop else 0.0,
                        "collected_m3": float(p.load_m3[e.stop_idx]) if is_stop else 0.0,
                        "delivered_kg": float(deliver_kg[e.stop_idx]) if is_stop else 0.0,
                        "delivered_m3": float(deliver_m3[e.stop_idx]) if is_stop else 0.0,
                    }
                )
        return pd.DataFrame(rows)


def truck_plan(
    problem: DayProblem, by_group: dict[int, list[tuple[int, ...]]]
) -> tuple[tuple[int, ...], ...]:
    """Visiting orders by fleet group as ``problem.initial_routes``: one order per
    truck, trucks numbered group by group, empty for trucks without one."""
    return tuple(
        (by_group.get(g, []) + [()] * group.count)[k]
        for g, group in enumerate(problem.groups())
        for k in range(group.count)
    )


def _trip_deliveries(
    route: tuple[Event, ...], deliver_kg: NDArray[np.float64], deliver_m3: NDArray[np.float64]
) -> dict[int, list[float]]:
    """New goods on board at the start of each trip (the deliveries of its stops, loaded
    where it starts), by trip."""
    trip_new: dict[int, list[float]] = {}
    for e in route:
        if e.kind == "stop":
            acc = trip_new.setdefault(e.trip, [0.0, 0.0])
            acc[0] += deliver_kg[e.stop_idx]
            acc[1] += deliver_m3[e.stop_idx]
    return trip_new


def _served_once(p: DayProblem, seen: list[int], dropped: tuple[int, ...]) -> list[str]:
    """Every stop served once or reported dropped."""
    out: list[str] = []
    counts = np.bincount(np.asarray(seen + list(dropped), dtype=int), minlength=p.num_stops)
    for j in np.flatnonzero(counts != 1).tolist():
        out.append(f"stop {j} ({p.stop_ids[j]}) is served {counts[j]} times")
    return out


def _stop_issues(
    p: DayProblem,
    t: int,
    e: Event,
    allowed: NDArray[np.bool_],
    vehicle_type: str,
    trip_leave: float,
    bans: tuple[tuple[float, float], ...],
) -> list[str]:
    """What is wrong at a stop: arrival outside its window, a type that may not serve
    it, a trip leaving before its release, dwell too short, service in no-driving hours."""
    j = e.stop_idx
    lo, hi = p.windows_min()
    release = p.releases()
    out = []
    if not lo[j] - 1e-3 <= e.arrival_min <= hi[j] + 1e-3:
        out.append(
            f"truck {t}: arrives at stop {j} at {e.arrival_min:.1f}, "
            f"outside its window {lo[j]:.1f}-{hi[j]:.1f}"
        )
    if not allowed[j]:
        out.append(f"truck {t}: a {vehicle_type} may not serve stop {j}")
    if trip_leave < release[j] - 1e-3:
        out.append(
            f"truck {t}: the trip serving stop {j} leaves at {trip_leave:.1f}, "
            f"before its release {release[j]:.1f}"
        )
    if e.departure_min - e.arrival_min < p.dwell_min[j] - 1e-3:
        out.append(f"truck {t}: dwell at stop {j} too short")
    if overlaps(e.arrival_min, e.arrival_min + p.dwell_min[j], bans, 1e-3):
        out.append(f"truck {t}: serves stop {j} in no-driving hours")
    return out


def _unload_issues(p: DayProblem, t: int, e: Event) -> list[str]:
    """What is wrong at an unload: not an unload site, too short, outside its hours."""
    out = []
    if e.site not in p.unload_at:
        out.append(f"truck {t}: unloads at {p.site_id(e.site)}, not an unload site")
    if e.departure_min - e.arrival_min < p.unload_min_at(e.site) - 1e-3:
        out.append(f"truck {t}: unload too short")
    open_min, close_min = p.site_hours(e.site)
    if not open_min - 1e-3 <= e.arrival_min <= close_min + 1e-3:
        out.append(
            f"truck {t}: unloads at {p.site_id(e.site)} at {e.arrival_min:.1f}, "
            f"outside its hours {open_min:.1f}-{close_min:.1f}"
        )
    return out


def _lunch_issues(p: DayProblem, t: int, e: Event, prev_dep: float) -> list[str]:
    """What is wrong with a lunch break: none asked for, out of its window, too short."""
    if p.lunch is None:
        return [f"truck {t}: a lunch break nobody asked for"]
    out = []
    if e.arrival_min < max(prev_dep, p.lunch[0]) - 1e-3:
        out.append(f"truck {t}: lunch starts too early ({e.arrival_min:.1f})")
    if e.arrival_min > p.lunch[1] + 1e-3:
        out.append(f"truck {t}: lunch starts too late ({e.arrival_min:.1f})")
    if e.departure_min - e.arrival_min < p.lunch[2] - 1e-3:
        out.append(f"truck {t}: lunch too short")
    return out


def _day_end_issues(
    p: DayProblem, t: int, route: tuple[Event, ...], had_lunch: bool, latest: float
) -> list[str]:
    """A truck out over lunch time without a break, or back after its hours."""
    out = []
    if (
        p.lunch is not None
        and not had_lunch
        and route[-1].arrival_min > p.lunch[1] + 1e-3
        and route[0].departure_min < p.lunch[0] + 1e-3
    ):
        out.append(f"truck {t}: out over lunch time without a break")
    if route[-1].departure_min > latest + 1e-3:
        out.append(
            f"truck {t}: ends after the shift or its permitted hours "
            f"({route[-1].departure_min:.0f} min)"
        )
    return out


def check_day(result: DayResult, *, tol: float = 1e-6) -> list[str]:
    """Recompute loads, times and distances of every route; return every violation found.

    An empty list means: each stop served once or reported dropped, by a truck type
    allowed to serve it, no group using more trucks than it has; loads (collected plus
    deliveries not yet handed over, loaded where each trip starts) never above the
    truck's usable capacity, recyclables emptied at unloads, at unload sites only;
    arrival no earlier than the previous departure plus the truck's travel time; every
    arrival inside its stop's window; every trip leaving no earlier than its stops'
    release times; dwell and unload times respected; the shift and the
    group's permitted hours respected; a lunch break of full length started in its window
    by every truck still out after it (taken on a drive: no earlier than the truck left,
    the drive and the break both before the next arrival); no driving and no stop served
    in the group's no-driving hours (:mod:`recyclenet.routing.bans`); every route starting and
    ending at its depot, and ending empty (unloaded at the depot, or at an unload site
    before driving back).
    """
    p = result.problem
    deliver_kg, deliver_m3 = p.deliveries()
    groups = p.groups()
    issues: list[str] = []
    seen: list[int] = []
    used = np.zeros(len(groups), dtype=int)
    if len(result.route_group) not in (0, len(result.routes)):
        issues.append("route_group must give one group per route")
    for t, route in enumerate(result.routes, start=1):
        g = result.group_of(t - 1)
        if not 0 <= g < len(groups):
            issues.append(f"truck {t}: unknown fleet group {g}")
            continue
        used[g] += 1
        group = groups[g]
        dur = p.group_duration_min(g)
        dist = p.group_distance_km(g)
        cap_kg, cap_m3 = p.group_capacity(g)
        allowed = p.served_by(g)
        earliest, latest = p.group_hours_min(g)
        bans = p.group_bans_min(g)
        if route[0].kind != "start" or route[-1].kind != "end":
            issues.append(f"truck {t}: route must start and end at its depot")
            continue
        if route[0].site != group.depot or route[-1].site != group.depot:
            issues.append(f"truck {t}: must start and end at its depot {p.site_id(group.depot)}")
        if route[0].departure_min < earliest - tol:
            issues.append(f"truck {t}: leaves before its permitted hours or the shift")
        trip_new = _trip_deliveries(route, deliver_kg, deliver_m3)
        kg, m3 = trip_new.get(1, [0.0, 0.0])
        if abs(route[0].load_kg - kg) > 1e-3 or abs(route[0].load_m3 - m3) > 1e-3:
            issues.append(f"truck {t}: reported load at the start is wrong")
        node_prev = p.site_node(group.depot)
        prev_dep = route[0].departure_min
        trip_leave = prev_dep  # when the current trip left its depot or unload site
        collected = sum(p.load_kg[e.stop_idx] for e in route if e.kind == "stop")
        if p.max_kg_per_truck_day is not None and collected > p.max_kg_per_truck_day + 1e-3:
            issues.append(
                f"truck {t}: collects {collected:.1f} in the day, above its limit "
                f"{p.max_kg_per_truck_day:g}"
            )
        had_lunch = False
        lunch: tuple[float, float] | None = None  # a break on the drive to the next event
        for e in route[1:]:
            if e.kind == "lunch":
                had_lunch = True
                issues += _lunch_issues(p, t, e, prev_dep)
                lunch = None if p.lunch is None else (e.arrival_min, e.departure_min)
                continue
            if e.kind == "parked":  # a note of the time standing; the drive is checked below
                continue
            node = e.stop_idx + 1 if e.kind == "stop" else p.site_node(e.site)
            if abs(e.distance_km - dist[node_prev, node]) > 1e-3:
                issues.append(f"truck {t}: distance to {e.kind} {e.stop_idx} is wrong")
            expected_arrival = prev_dep + dur[node_prev, node]
            if bans:  # no driving in no-driving hours (nor during a break on this drive)
                blocked = [*bans, *([lunch] if lunch is not None else [])]
                expected_arrival = drive_through(prev_dep, dur[node_prev, node], blocked)[0]
            if lunch is not None:  # taken on this drive: its length on top, and after it
                expected_arrival = max(
                    expected_arrival, prev_dep + dur[node_prev, node] + lunch[1] - lunch[0]
                )
                expected_arrival = max(expected_arrival, lunch[1])
                lunch = None
            if e.arrival_min < expected_arrival - 1e-3:
                issues.append(f"truck {t}: arrives at {e.kind} {e.stop_idx} too early")
            if e.kind == "stop":
                j = e.stop_idx
                issues += _stop_issues(
                    p, t, e, allowed, group.vehicle.vehicle_type, trip_leave, bans
                )
                seen.append(j)
                kg += p.load_kg[j] - deliver_kg[j]
                m3 += p.load_m3[j] - deliver_m3[j]
            elif e.kind == "unload" or e.site in p.unload_at:
                issues += _unload_issues(p, t, e)
                kg, m3 = trip_new.get(e.trip + 1, [0.0, 0.0]) if e.kind == "unload" else (0, 0)
                if e.kind == "unload" and not p.reload:
                    issues.append(f"truck {t}: unloads mid-day although reloading is off")
                trip_leave = e.departure_min
            elif kg > 1e-3 or m3 > 1e-3:  # back at a depot where nobody unloads
                issues.append(f"truck {t}: returns to its depot with a load on board")
            if kg > cap_kg + 1e-3 or m3 > cap_m3 + 1e-3:
                issues.append(
                    f"truck {t}: overloaded after {e.kind} {e.stop_idx}: {kg:.0f} kg, {m3:.1f} m3"
                )
            if abs(e.load_kg - kg) > 1e-3 or abs(e.load_m3 - m3) > 1e-3:
                issues.append(f"truck {t}: reported load after {e.kind} {e.stop_idx} is wrong")
            prev_dep = e.departure_min
            node_prev = node
        issues += _day_end_issues(p, t, route, had_lunch, latest)
    for g, group in enumerate(groups):
        if used[g] > group.count:
            issues.append(f"group {g} uses {used[g]} trucks but has {group.count}")
    issues += _served_once(p, seen, result.dropped)
    return issues
