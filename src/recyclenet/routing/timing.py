"""A truck's day in exact arithmetic from its visiting order, whichever engine found it.

Engines work in whole seconds, metres and grams; they decide the order of visits, where
the lunch falls and, for soft slots, how long to wait. The times and loads reported are
recomputed here from the order: each stop at its earliest arrival (travel, dwell,
unloading, the opening of its window), later only where the engine waited for a slot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult, Event

UNLOAD = -1
"""In a visiting order: an unload at the base between two trips."""


def timed_route(
    p: DayProblem,
    order: Sequence[int],
    *,
    lunch_before: int | None = None,
    engine_arrival_min: Sequence[float] | None = None,
) -> tuple[Event, ...]:
    """Events of one truck: start, its stops and unloads in ``order``, the final unload.

    Parameters
    ----------
    p
        The day.
    order
        Stop indices, :data:`UNLOAD` for an unload between trips.
    lunch_before
        Position in ``order`` (``len(order)``: the return to the base) before whose
        drive the lunch break is taken; ``None``: no lunch.
    engine_arrival_min
        The engine's arrival time per position of ``order`` (only used where a stop has
        a soft slot and the engine waited for it).
    """
    lo, _ = p.windows_min()
    dur = p.duration_min()
    events = [Event("start", -1, p.shift_start_min, p.shift_start_min, 0.0, 0.0, 0.0, 1)]
    kg = m3 = 0.0
    trip = 1
    clock = p.shift_start_min
    prev = 0
    for pos, j in enumerate([*order, None]):
        if lunch_before is not None and pos == lunch_before and p.lunch is not None:
            begin = max(clock, p.lunch[0])
            events.append(Event("lunch", -1, begin, begin + p.lunch[2], kg, m3, 0.0, trip))
            clock = begin + p.lunch[2]
        here = 0 if j is None or j == UNLOAD else j + 1
        d_km = float(p.distance_km[prev, here])
        arrival = clock + float(dur[prev, here])
        if j is None:
            events.append(Event("end", -1, arrival, arrival + p.unload_min, 0.0, 0.0, d_km, trip))
        elif j == UNLOAD:
            kg = m3 = 0.0
            clock = arrival + p.unload_min
            events.append(Event("unload", -1, arrival, clock, 0.0, 0.0, d_km, trip))
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
            kg += float(p.load_kg[j])
            m3 += float(p.load_m3[j])
            clock = arrival + float(p.dwell_min[j])
            events.append(Event("stop", j, arrival, clock, kg, m3, d_km, trip))
        prev = here
    return tuple(events)


def day_result(
    p: DayProblem, routes: list[tuple[Event, ...]], status: str, runtime_s: float
) -> DayResult:
    """Bundle routes into a :class:`DayResult`: cost, and every stop not visited as dropped."""
    served = {e.stop_idx for r in routes for e in r if e.kind == "stop"}
    cost = sum(
        p.vehicle.fixed_cost_cny_per_day + p.vehicle.cost_cny_per_km * sum(e.distance_km for e in r)
        for r in routes
    )
    dropped = tuple(j for j in range(p.num_stops) if j not in served)
    return DayResult(p, status, tuple(routes), dropped, float(cost), runtime_s)
