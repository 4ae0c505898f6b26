"""PyVRP's days of single trips where trucks cost a day: the search first looks for a
plan with fewer trucks, within its share of the day's iterations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pyvrp import Solution

from recyclenet.routing import DayProblem, RoutingParams, Vehicle, _pyvrp, check_day, solve_day

TRUCK = Vehicle(
    "truck",
    payload_kg=1000,
    volume_m3=20,
    speed_kmh=30,
    cost_cny_per_km=2,
    fixed_cost_cny_per_day=300,
)


def ring_day(n: int = 12, *, fixed_cost: float = 300.0) -> DayProblem:
    """``n`` stops of 100 kg on a 5 km ring around the station, every one required, a
    truck for each, single trips: 1,000 kg a truck, so two trucks are enough."""
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    xy = np.vstack([[0.0, 0.0], np.column_stack([5 * np.cos(angle), 5 * np.sin(angle)])])
    return DayProblem(
        base_id="B",
        day="mon",
        stop_ids=tuple(f"p{i}" for i in range(n)),
        load_kg=np.full(n, 100.0),
        load_m3=np.full(n, 1.0),
        dwell_min=np.full(n, 10.0),
        distance_km=np.linalg.norm(xy[:, None] - xy[None], axis=2),
        vehicle=dataclasses.replace(TRUCK, fixed_cost_cny_per_day=fixed_cost),
        num_vehicles=n,
        shift_start_min=480,
        shift_end_min=1020,
        unload_min=10,
        reload=False,
    )


def required_data(p: DayProblem):
    relaxed = _pyvrp._build(p)[0]
    return relaxed.replace(clients=[_pyvrp._client(c, True) for c in relaxed.clients()])


def one_route_each(data) -> Solution:
    return Solution(data, [[k] for k in range(data.num_clients)])


def test_fewer_routes_takes_trucks_away_while_a_plan_is_found():
    """From a plan of one truck per stop, trucks are taken away one at a time while a
    plan with one fewer is found: down to the two the loads need, never one (1,200 kg);
    without iterations the plan is left as it is."""
    data = required_data(ring_day())
    plan = one_route_each(data)
    assert plan.is_feasible() and plan.num_routes() == 12
    fewer, used = _pyvrp._fewer_routes(
        data, plan, 0, iterations=2000, limit_s=60, try_iterations=200, try_s=60
    )
    assert fewer.is_feasible() and fewer.num_routes() == 2
    assert 0 < used <= 2000
    same, none = _pyvrp._fewer_routes(
        data, plan, 0, iterations=0, limit_s=60, try_iterations=200, try_s=60
    )
    assert (same.num_routes(), none) == (12, 0)


def test_fewer_routes_stops_at_its_iterations():
    """With 3 iterations in all, the tries stop within them, with a feasible plan."""
    data = required_data(ring_day())
    plan = one_route_each(data)
    fewer, used = _pyvrp._fewer_routes(
        data, plan, 0, iterations=3, limit_s=60, try_iterations=200, try_s=60
    )
    assert 0 < used <= 3 and fewer.is_feasible() and fewer.num_routes() < 12


@pytest.mark.parametrize(("fixed_cost", "tried"), [(300.0, True), (10.0, False), (0.0, False)])
def test_a_day_where_trucks_cost_looks_for_fewer_within_its_iterations(
    monkeypatch, fixed_cost, tried
):
    """The whole day's search, first plan, fewer trucks and the rest, stays within
    ``max_iterations``; plans with fewer trucks are tried only where a truck costs more
    than the longest round trip (10 km at 2 CNY/km: 20 CNY). The same iterations give
    the same plan, checked; where trucks come first, with the two the loads need."""
    calls = []
    real = _pyvrp.solve

    def counted(data, stop, *args, **kwargs):
        res = real(data, stop, *args, **kwargs)
        calls.append((data.vehicle_type(0).num_available, res.num_iterations))
        return res

    monkeypatch.setattr(_pyvrp, "solve", counted)
    p = ring_day(fixed_cost=fixed_cost)
    params = RoutingParams(time_limit_s=60, engine="pyvrp", seed=0, max_iterations=300)
    day = solve_day(p, params)
    assert sum(its for _, its in calls) <= 300
    assert any(trucks < p.num_trucks for trucks, _ in calls) == tried
    assert check_day(day) == [] and day.dropped == ()
    if tried:
        assert day.num_trucks == 2
    assert solve_day(p, params).plan() == day.plan()
