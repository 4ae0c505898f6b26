"""Results of daily routing, a checker that recomputes them, and tidy tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recyclenet.routing.problem import DayProblem

EVENT_KINDS = ("start", "stop", "lunch", "unload", "end")


@dataclass(frozen=True)
class Event:
    """One event on a truck's day.

    Attributes
    ----------
    kind
        ``"start"`` at the base, ``"stop"`` at a collection point, ``"lunch"`` (parked
        where the previous event was), ``"unload"`` at the base between trips, ``"end"``
        (final unload and return) at the base.
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
    """

    kind: str
    stop_idx: int
    arrival_min: float
    departure_min: float
    load_kg: float
    load_m3: float
    distance_km: float
    trip: int


@dataclass(frozen=True)
class DayResult:
    """The routes of one base on one day.

    Attributes
    ----------
    problem
        The day solved.
    status
        ``"feasible"`` (a solution, not proved optimal: the search is a metaheuristic
        stopped by its time limit), ``"optimal"`` (no stops), or ``"no_solution"``.
    routes
        One list of events per truck used.
    dropped
        Stops that could not be served (indices), each a reason to look at the fleet.
    cost_cny
        Running plus fixed cost of the trucks used.
    runtime_s
        Solve time.
    """

    problem: DayProblem
    status: str
    routes: tuple[tuple[Event, ...], ...]
    dropped: tuple[int, ...]
    cost_cny: float
    runtime_s: float

    @property
    def num_trucks(self) -> int:
        """Trucks used."""
        return len(self.routes)

    def distance_km(self) -> float:
        """Total distance driven."""
        return float(sum(e.distance_km for r in self.routes for e in r))

    def duration_h(self) -> float:
        """Total truck-hours from leaving the base to the end of the last unload."""
        return float(sum(r[-1].departure_min - r[0].departure_min for r in self.routes) / 60.0)

    def events(self) -> pd.DataFrame:
        """One row per event.

        Columns: ``base_id``, ``day``, ``truck`` (1-based per base and day), ``seq``,
        ``trip``, ``kind``, ``stop_idx``, ``site_id``, ``arrival_min``,
        ``departure_min``, ``load_kg``, ``load_m3``, ``distance_km``, ``collected_kg``,
        ``collected_m3``.
        """
        p = self.problem
        rows = []
        for t, route in enumerate(self.routes, start=1):
            for seq, e in enumerate(route):
                is_stop = e.kind == "stop"
                rows.append(
                    {
                        "base_id": p.base_id,
                        "day": p.day,
                        "truck": t,
                        "seq": seq,
                        "trip": e.trip,
                        "kind": e.kind,
                        "stop_idx": e.stop_idx,
                        "site_id": p.stop_ids[e.stop_idx] if is_stop else p.base_id,
                        "arrival_min": e.arrival_min,
                        "departure_min": e.departure_min,
                        "load_kg": e.load_kg,
                        "load_m3": e.load_m3,
                        "distance_km": e.distance_km,
                        "collected_kg": float(p.load_kg[e.stop_idx]) if is_stop else 0.0,
                        "collected_m3": float(p.load_m3[e.stop_idx]) if is_stop else 0.0,
                    }
                )
        return pd.DataFrame(rows)


def check_day(result: DayResult, *, tol: float = 1e-6) -> list[str]:
    """Recompute loads, times and distances of every route; return every violation found.

    An empty list means: each stop served once or reported dropped, loads never above the
    usable capacity, loads reset at unloads, arrival no earlier than the previous
    departure plus travel time, every arrival inside its stop's window, dwell and unload
    times respected, the shift respected, a lunch break of full length started in its
    window by every truck still out after it, and every route ending with an unload at
    the base.
    """
    lo, hi = result.problem.windows_min()
    p = result.problem
    dur = p.duration_min()
    dist = p.distance_km
    issues: list[str] = []
    seen: list[int] = []
    for t, route in enumerate(result.routes, start=1):
        if route[0].kind != "start" or route[-1].kind != "end":
            issues.append(f"truck {t}: route must start and end at the base")
            continue
        if route[0].departure_min < p.shift_start_min - tol:
            issues.append(f"truck {t}: leaves before the shift starts")
        kg = m3 = 0.0
        node_prev = 0
        prev_dep = route[0].departure_min
        had_lunch = False
        for e in route[1:]:
            if e.kind == "lunch":
                had_lunch = True
                if p.lunch is None:
                    issues.append(f"truck {t}: a lunch break nobody asked for")
                    continue
                if e.arrival_min < max(prev_dep, p.lunch[0]) - 1e-3:
                    issues.append(f"truck {t}: lunch starts too early ({e.arrival_min:.1f})")
                if e.arrival_min > p.lunch[1] + 1e-3:
                    issues.append(f"truck {t}: lunch starts too late ({e.arrival_min:.1f})")
                if e.departure_min - e.arrival_min < p.lunch[2] - 1e-3:
                    issues.append(f"truck {t}: lunch too short")
                prev_dep = e.departure_min
                continue
            node = e.stop_idx + 1 if e.kind == "stop" else 0
            if abs(e.distance_km - dist[node_prev, node]) > 1e-3:
                issues.append(f"truck {t}: distance to {e.kind} {e.stop_idx} is wrong")
            expected_arrival = prev_dep + dur[node_prev, node]
            if e.arrival_min < expected_arrival - 1e-3:
                issues.append(f"truck {t}: arrives at {e.kind} {e.stop_idx} too early")
            if e.kind == "stop":
                if not lo[e.stop_idx] - 1e-3 <= e.arrival_min <= hi[e.stop_idx] + 1e-3:
                    issues.append(
                        f"truck {t}: arrives at stop {e.stop_idx} at {e.arrival_min:.1f}, "
                        f"outside its window {lo[e.stop_idx]:.1f}-{hi[e.stop_idx]:.1f}"
                    )
                seen.append(e.stop_idx)
                kg += p.load_kg[e.stop_idx]
                m3 += p.load_m3[e.stop_idx]
                if e.departure_min - e.arrival_min < p.dwell_min[e.stop_idx] - 1e-3:
                    issues.append(f"truck {t}: dwell at stop {e.stop_idx} too short")
            else:
                kg = m3 = 0.0
                if e.departure_min - e.arrival_min < p.unload_min - 1e-3:
                    issues.append(f"truck {t}: unload too short")
                if e.kind == "unload" and not p.reload:
                    issues.append(f"truck {t}: unloads mid-day although reloading is off")
            if kg > p.capacity_kg + 1e-3 or m3 > p.capacity_m3 + 1e-3:
                issues.append(
                    f"truck {t}: overloaded after {e.kind} {e.stop_idx}: {kg:.0f} kg, {m3:.1f} m3"
                )
            if abs(e.load_kg - kg) > 1e-3 or abs(e.load_m3 - m3) > 1e-3:
                issues.append(f"truck {t}: reported load after {e.kind} {e.stop_idx} is wrong")
            prev_dep = e.departure_min
            node_prev = node
        if (
            p.lunch is not None
            and not had_lunch
            and route[-1].arrival_min > p.lunch[1] + 1e-3
            and route[0].departure_min < p.lunch[0] + 1e-3
        ):
            issues.append(f"truck {t}: out over lunch time without a break")
        if route[-1].departure_min > p.shift_end_min + 1e-3:
            issues.append(f"truck {t}: ends after the shift ({route[-1].departure_min:.0f} min)")
    counts = np.bincount(np.asarray(seen + list(result.dropped), dtype=int), minlength=p.num_stops)
    for j in np.flatnonzero(counts != 1):
        issues.append(f"stop {j} ({p.stop_ids[j]}) is served {counts[j]} times")
    return issues
