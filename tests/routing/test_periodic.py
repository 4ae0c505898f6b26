"""The week's visit-day search (recyclenet.routing.periodic) on small made-up weeks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recyclenet.routing import Vehicle
from recyclenet.routing.periodic import PatternBudget, search_patterns
from recyclenet.routing.periodic_problem import PeriodicProblem, insert, insertion, remove

TRUCK = Vehicle("truck", 1000.0, 1e9, 30.0, 2.0, 0.0)


def _problem(
    xy: np.ndarray, freq: list[int], *, horizon: int = 4, trucks: int = 2, stay_min: float = 5.0
):
    """Stops at ``xy`` (km), the depot at the origin, the facility 1 km east of it;
    straight-line km, 1 km a minute."""
    from recyclenet.routing.schedule import day_patterns

    pts = np.vstack([[0.0, 0.0], xy, [1.0, 0.0]])
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    m = len(xy)
    return PeriodicProblem(
        base_id="S",
        horizon=horizon,
        patterns=tuple(tuple(day_patterns(f, horizon)) for f in freq),
        demand_kg=np.full(m, 100.0),
        service_min=np.r_[0.0, np.full(m, stay_min), 10.0],
        time_min=d,
        distance_km=d,
        vehicle=TRUCK,
        num_vehicles=trucks,
        max_duration_min=480.0,
        num_facilities=1,
        xy_km=xy,
    )


def _check(p: PeriodicProblem, found) -> None:
    """The rules on plain node lists: routes depot to depot through a facility, trips
    within the payload, days within the hours and the trucks, each stop on its days."""
    seen: dict[int, list[int]] = {c: [] for c in p.customers}
    for d, plan in enumerate(found.days):
        assert len(plan.routes) <= p.num_vehicles
        for nodes in plan.routes:
            assert nodes[0] == 0 and nodes[-1] == 0 and nodes[-2] in p.facilities
            load = 0.0
            for a in nodes[1:-1]:
                load = 0.0 if a in p.facilities else load + p.demand(a)
                assert load <= p.vehicle.payload_kg + 1e-9
                if a in seen:
                    seen[a].append(d)
            assert p.route_minutes(nodes) <= p.max_duration_min + 1e-9
    for c, days in seen.items():
        assert tuple(days) == found.patterns[c]
        assert found.patterns[c] in p.options(c)


def test_two_far_clusters_get_days_of_their_own():
    """Two clusters 30 km east and west, all twice in 4 days, started mixed (each day
    half of each cluster), one truck a day whose hours hold one cluster (6 stays of
    40 min) but not two: the search gives each cluster a pattern of its own and halves
    the driving."""
    rng = np.random.default_rng(3)
    east = rng.normal([30.0, 0.0], 1.0, size=(6, 2))
    west = rng.normal([-30.0, 0.0], 1.0, size=(6, 2))
    p = _problem(np.vstack([east, west]), [2] * 12, trucks=1, stay_min=40.0)
    start = {c: ((0, 2) if c % 2 else (1, 3)) for c in p.customers}
    found = search_patterns(p, start, PatternBudget(work=5e4), seed=0)
    _check(p, found)
    assert len({found.patterns[c] for c in range(1, 7)}) == 1
    assert len({found.patterns[c] for c in range(7, 13)}) == 1
    assert found.patterns[1] != found.patterns[7]
    assert found.cost < 0.75 * found.stats["start_balanced"]


def test_same_seed_same_days_and_never_worse_than_the_start():
    rng = np.random.default_rng(7)
    xy = rng.uniform(-15, 15, size=(18, 2))
    freq = [2] * 12 + [1] * 4 + [4] * 2
    p = _problem(xy, freq)
    start = {c: p.options(c)[0] for c in p.customers}
    runs = [search_patterns(p, start, PatternBudget(work=3e4), seed=5) for _ in range(2)]
    assert runs[0].patterns == runs[1].patterns
    assert runs[0].cost == runs[1].cost
    _check(p, runs[0])
    assert runs[0].cost <= runs[0].stats["start_balanced"] + 1e-9
    assert not runs[0].capped


def test_a_start_outside_the_options_is_refused():
    p = _problem(np.array([[1.0, 1.0], [2.0, 2.0]]), [2, 2])
    with pytest.raises(ValueError, match="not one of its options"):
        search_patterns(p, {1: (0, 1), 2: (0, 2)}, PatternBudget(work=1e3))


def test_insertion_respects_payload_and_opens_a_trip():
    """A stop that does not fit its neighbour's trip is put on a trip of its own,
    through the facility; taking it out again drops that trip's facility visit."""
    p = _problem(np.array([[5.0, 0.0], [6.0, 0.0]]), [1, 1])
    heavy = PeriodicProblem(**{**p.__dict__, "demand_kg": np.array([700.0, 700.0])})
    routes = [[0, 1, 3, 0]]
    cost, r, k, f = insertion(heavy, routes, 2, new_truck=False)
    assert math.isfinite(cost) and f == 3  # a new trip ending at the facility
    insert(heavy, routes, 2, r, k, f)
    assert routes[0].count(3) == 2 and heavy.route_minutes(routes[0]) > 0
    remove(heavy, routes, 2)
    assert routes == [[0, 1, 3, 0]]
