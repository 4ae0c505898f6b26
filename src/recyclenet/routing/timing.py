"""A truck's day in exact arithmetic from its visiting order, whichever engine found it.

Engines work in whole seconds, metres and grams; they decide the order of visits, where
the lunch falls and, for soft slots, how long to wait. The times and loads reported are
recomputed here from the order: each stop at its earliest arrival (travel, dwell,
unloading, the opening of its window), later only where the engine waited for a slot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recyclenet.routing.bans import clear_start, drive_through
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult, Event

UNLOAD = -1
"""In a visiting order: an unload at the base between two trips (``unload_code(k)``: at
site ``k``)."""


def unload_code(site: int) -> int:
    """Visiting-order code of an unload at site ``site`` (0 the base: :data:`UNLOAD`)."""
    return -1 - site


def timed_route(
    p: DayProblem,
    order: Sequence[int],
    *,
    group: int = 0,
    lunch_before: int | None = None,
    engine_arrival_min: Sequence[float] | None = None,
    start_min: float | None = None,
) -> tuple[Event, ...]:
    """Events of one truck: start, its stops and unloads in ``order``, the end.

    Parameters
    ----------
    p
        The day.
    order
        Stop indices, :func:`unload_code` for an unload between trips (a truck whose
        depot is not an unload site ends its order with one).
    group
        The truck's fleet group (its type, depot, matrices and permitted hours).
    lunch_before
        Position in ``order`` (``len(order)``: the return to the depot) on whose drive
        the lunch break is taken (from when the window opens, or when the truck leaves
        if later: the truck parks on the way); ``None``: no lunch.
    engine_arrival_min
        The engine's arrival time per position of ``order`` (only used where a stop has
        a soft slot and the engine waited for it).
    start_min
        When the truck leaves (default: the start of its permitted hours); engines that
        delay a start to meet a later window pass it.
    """
    lo, _ = p.windows_min()
    dur = p.group_duration_min(group)
    dist = p.group_distance_km(group)
    depot = p.groups()[group].depot
    deliver_kg, deliver_m3 = p.deliveries()
    release = p.releases()
    # New goods on board at the start of each trip (the deliveries of that trip), and
    # the latest release among its stops (the trip leaves no earlier).
    trip_new: list[list[float]] = [[0.0, 0.0]]
    trip_release: list[float] = [-np.inf]
    j: int | None
    for j in order:
        if j < 0:
            trip_new.append([0.0, 0.0])
            trip_release.append(-np.inf)
        else:
            trip_new[-1][0] += deliver_kg[j]
            trip_new[-1][1] += deliver_m3[j]
            trip_release[-1] = max(trip_release[-1], float(release[j]))
    clock = p.group_hours_min(group)[0] if start_min is None else start_min
    kg, m3 = trip_new[0]
    leave = max(clock, trip_release[0])
    events = [Event("start", -1, clock, leave, kg, m3, 0.0, 1, depot)]
    clock = leave
    trip = 1
    prev = p.site_node(depot)
    bans = p.group_bans_min(group)
    for pos, j in enumerate([*order, None]):
        mark = len(events)
        site = depot if j is None else (-1 - j if j < 0 else -1)
        here = j + 1 if j is not None and j >= 0 else p.site_node(site)
        d_km = float(dist[prev, here])
        arrival = clock + float(dur[prev, here])
        blocked = list(bans)
        if lunch_before is not None and pos == lunch_before and p.lunch is not None:
            # Lunch on the way: the truck drives until the break may start, parks for
            # it, and drives on (or waits at the next stop when it gets there first).
            begin = max(clock, p.lunch[0])
            events.append(Event("lunch", -1, begin, begin + p.lunch[2], kg, m3, 0.0, trip))
            arrival = max(arrival, begin) + p.lunch[2]
            blocked.append((begin, begin + p.lunch[2]))
        if bans:  # no-driving hours: pulled over until they end
            reach, parked = drive_through(clock, float(dur[prev, here]), blocked)
            arrival = max(arrival, reach)
            events.extend(_parked(bans, parked, kg, m3, trip))
        if j is None or j < 0:  # unloads wait for the site to open
            if j is not None or depot in p.unload_at:
                arrival = max(arrival, p.site_hours(site)[0])
        if j is None:
            busy = p.unload_min_at(depot) if depot in p.unload_at else 0.0
            if depot in p.unload_at:
                kg = m3 = 0.0
            events.append(Event("end", -1, arrival, arrival + busy, kg, m3, d_km, trip, depot))
        elif j < 0:
            kg, m3 = trip_new[trip]
            clock = max(arrival + p.unload_min_at(site), trip_release[trip])
            events.append(Event("unload", -1, arrival, clock, kg, m3, d_km, trip, site))
            trip += 1
        else:
            arrival = max(arrival, float(lo[j]))
            if (
                engine_arrival_min is not None
                and p.slot_min is not None
                and np.isfinite(p.slot_min[j])
            ):
                slot_lo = float(p.slot_min[j]) - p.slot_tolerance_min
                arrival = max(arrival, min(slot_lo, float(engine_arrival_min[pos])))
            if bans:  # a stop is not served in no-driving hours: waits for their end
                start = clear_start(arrival, float(p.dwell_min[j]), bans)
                events.extend(_parked(bans, [(arrival, start)], kg, m3, trip))
                arrival = start
            kg += float(p.load_kg[j]) - float(deliver_kg[j])
            m3 += float(p.load_m3[j]) - float(deliver_m3[j])
            clock = arrival + float(p.dwell_min[j])
            events.append(Event("stop", j, arrival, clock, kg, m3, d_km, trip))
        if len(events) - mark > 2:  # breaks and parked hours on this leg, in time order
            events[mark:-1] = sorted(events[mark:-1], key=lambda e: e.arrival_min)
        prev = here
    return tuple(events)


def _parked(
    bans: Sequence[tuple[float, float]],
    spans: Sequence[tuple[float, float]],
    kg: float,
    m3: float,
    trip: int,
) -> list[Event]:
    """``"parked"`` events: the parts of ``spans`` (time spent standing) that fall in
    no-driving hours."""
    out = []
    for x, y in spans:
        for a, b in bans:
            lo, hi = max(x, a), min(y, b)
            if hi > lo + 1e-9:
                out.append(Event("parked", -1, lo, hi, kg, m3, 0.0, trip))
    return out


def day_result(
    p: DayProblem,
    routes: list[tuple[Event, ...]],
    status: str,
    runtime_s: float,
    route_group: Sequence[int] = (),
) -> DayResult:
    """Bundle routes into a :class:`DayResult`: cost, and every stop not visited as dropped."""
    served = {e.stop_idx for r in routes for e in r if e.kind == "stop"}
    groups = p.groups()
    kinds = list(route_group) or [0] * len(routes)
    cost = sum(
        groups[g].vehicle.fixed_cost_cny_per_day
        + groups[g].vehicle.cost_cny_per_km * sum(e.distance_km for e in r)
        for r, g in zip(routes, kinds, strict=True)
    )
    dropped = tuple(j for j in range(p.num_stops) if j not in served)
    return DayResult(p, status, tuple(routes), dropped, float(cost), runtime_s, tuple(route_group))


def regrouped(result: DayResult, problem: DayProblem, group_of: Sequence[int]) -> DayResult:
    """``result``, found on a day with a different fleet, as a plan of ``problem``: the
    route of group ``g`` there belongs to group ``group_of[g]`` of ``problem``."""
    return day_result(
        problem,
        list(result.routes),
        result.status,
        result.runtime_s,
        [group_of[result.group_of(r)] for r in range(len(result.routes))],
    )
