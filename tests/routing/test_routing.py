"""Daily routing on tiny days with known best routes, scheduling rules, and the checker."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from recyclenet.errors import InfeasibleError
from recyclenet.routing import (
    DayProblem,
    DayResult,
    Event,
    RoutingParams,
    Vehicle,
    WeekPlan,
    assign_days,
    check_day,
    day_patterns,
    schedule_week,
    solve_day,
    visit_frequency,
)
from recyclenet.routing.schedule import (
    gaps_before,
    longest_gap_days,
    storage_days,
    storage_frequency,
    storage_patterns,
)

ENGINES = ("ortools", "pyvrp")
TRUCK = Vehicle(
    "truck",
    payload_kg=1000,
    volume_m3=10,
    speed_kmh=30,
    cost_cny_per_km=2,
    fixed_cost_cny_per_day=100,
)


def day(points_xy, load_kg, *, vehicles=1, shift=(480, 1020), unload=20, dwell=30, load_m3=None):
    xy = np.vstack([[0.0, 0.0], np.asarray(points_xy, float)])
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    n = len(points_xy)
    return DayProblem(
        base_id="B",
        day="mon",
        stop_ids=tuple(f"p{i}" for i in range(n)),
        load_kg=np.asarray(load_kg, float),
        load_m3=np.asarray(load_m3 if load_m3 is not None else np.full(n, 1.0), float),
        dwell_min=np.full(n, float(dwell)),
        distance_km=dist,
        vehicle=TRUCK,
        num_vehicles=vehicles,
        shift_start_min=shift[0],
        shift_end_min=shift[1],
        unload_min=unload,
    )


def tour_km(problem, order):
    nodes = [0, *[i + 1 for i in order], 0]
    return sum(problem.distance_km[a, b] for a, b in itertools.pairwise(nodes))


@pytest.mark.parametrize("engine", ENGINES)
def test_square_tour_is_optimal(engine):
    """Four stops on a 3 x 3 km square next to the base: the best tour is the perimeter."""
    p = day([(0, 3), (3, 3), (3, 0), (1.5, 1.5)], [100, 100, 100, 100])
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    best = min(tour_km(p, perm) for perm in itertools.permutations(range(4)))
    assert result.num_trucks == 1 and not result.dropped
    assert abs(result.distance_km() - best) < 1e-6
    assert check_day(result) == []


def test_ortools_keeps_a_limit_shorter_than_its_stage_floor():
    """A small day routed inside a larger search asks for a few hundredths of a second:
    OR-Tools returns the best tour within that, not after its usual least time per search
    stage (before: 0.2 s and more whatever the limit)."""
    from recyclenet.routing._ortools import MIN_STAGE_S

    p = day([(0, 3), (3, 3), (3, 0), (1.5, 1.5)], [100, 100, 100, 100])
    result = solve_day(p, RoutingParams(time_limit_s=0.03, engine="ortools"))
    best = min(tour_km(p, perm) for perm in itertools.permutations(range(4)))
    assert result.num_trucks == 1 and not result.dropped
    assert abs(result.distance_km() - best) < 1e-6
    assert check_day(result) == []
    assert result.runtime_s < MIN_STAGE_S


@pytest.mark.parametrize("engine", ENGINES)
def test_unload_trip_when_truck_is_full(engine):
    """Two 600 kg stops with a 1000 kg truck: one unload between them, 2 trips, 18 km."""
    dist = [(3, 0), (6, 0)]
    p = day(dist, [600, 600])
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    (route,) = result.routes
    kinds = [e.kind for e in route]
    assert kinds.count("unload") == 1 and kinds[-1] == "end"
    assert abs(result.distance_km() - 18.0) < 1e-6  # 0-6-0 then 0-3-0
    assert max(e.load_kg for e in route) == 600
    assert check_day(result) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_volume_also_limits_a_trip(engine):
    """Light but bulky loads (6 m3 each, 10 m3 truck) also force an unload."""
    p = day([(3, 0), (6, 0)], [100, 100], load_m3=[6, 6])
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert [e.kind for e in result.routes[0]].count("unload") == 1
    assert check_day(result) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_short_shift_needs_a_second_truck(engine):
    """Two stops 15 km away on opposite sides, 2 h shift: one truck cannot do both."""
    p = day([(15, 0), (-15, 0)], [100, 100], vehicles=2, shift=(480, 600), dwell=20, unload=5)
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert result.num_trucks == 2 and not result.dropped
    assert check_day(result) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_impossible_stop_is_dropped_and_reported(engine):
    """A stop 100 km away cannot be reached and back within a 2 h shift: it is dropped."""
    p = day([(2, 0), (100, 0)], [100, 100], shift=(480, 600))
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert result.dropped == (1,)
    assert check_day(result) == []


def test_checker_catches_an_overload():
    """The checker is not a rubber stamp: a doctored route with too much load is flagged."""
    p = day([(3, 0), (6, 0)], [600, 600])
    result = solve_day(p, RoutingParams(time_limit_s=1))
    route = [e for e in result.routes[0] if e.kind != "unload"]
    import dataclasses

    bad = dataclasses.replace(result, routes=(tuple(route),))
    assert any("overloaded" in m for m in check_day(bad))


@pytest.mark.parametrize(
    ("kg_day", "expected"),
    [(10, (1, 1)), (200, (2, 1)), (250, (3, 1)), (700, (6, 2)), (2000, (6, 5))],
)
def test_visit_frequency(kg_day, expected):
    """Fewest weekly visits (Monday to Saturday) at which every visit, the one after the
    weekend too, fits a 900 kg usable truck; loads split beyond daily.

    200 kg a day: Monday and Thursday collect 4 and 3 days, 800 kg at most. 250 kg: 4
    days is 1,000 kg, so three visits (gaps 2, 2, 3: 750 kg). 700 kg: even daily, the
    Monday visit collects 1,400 kg, two loads. 2000 kg: Monday's 4,000 kg, five loads.
    """
    got = visit_frequency(
        kg_day, 0.1, payload_kg=1000, volume_m3=100, max_fill=0.9, weekdays=(0, 1, 2, 3, 4, 5)
    )
    assert got == expected


def test_gaps_before_follow_the_calendar():
    """Monday and Thursday come 4 and 3 days after the visit before; daily over Monday to
    Saturday, Monday comes 2 days after Saturday; one visit a week, 7."""
    mon_sat = (0, 1, 2, 3, 4, 5)
    assert gaps_before((0, 3), mon_sat) == (4, 3)
    assert gaps_before(mon_sat, mon_sat) == (2, 1, 1, 1, 1, 1)
    assert gaps_before((4,), mon_sat) == (7,)


def test_day_patterns_are_evenly_spaced():
    """Two visits over six days are three days apart; six visits use every day."""
    assert day_patterns(2, 6) == [(0, 3), (1, 4), (2, 5)]
    assert day_patterns(6, 6) == [(0, 1, 2, 3, 4, 5)]
    assert all(len(p) == 3 for p in day_patterns(3, 6))


def test_longest_gap_counts_the_rest_days():
    """Monday and Thursday of a Monday-to-Saturday week are 3 and 4 days apart (Thursday
    to Monday over Sunday); every day of it still leaves Saturday to Monday."""
    mon_sat = (0, 1, 2, 3, 4, 5)
    assert longest_gap_days((0, 3), mon_sat) == 4
    assert longest_gap_days((0, 1, 2, 3, 4, 5), mon_sat) == 2
    assert longest_gap_days((2,), mon_sat) == 7
    # Monday to Friday: Friday to Monday is 3 days.
    assert longest_gap_days((0, 2, 4), (0, 1, 2, 3, 4)) == 3


@pytest.mark.parametrize(
    ("kg_day", "m3_day", "storage_kg", "storage_m3", "expected"),
    [
        (100, 1, float("nan"), 4, 4.0),  # volume only
        (100, 1, 200, 4, 2.0),  # weight is full first
        (100, 1, float("nan"), float("nan"), float("inf")),  # a plain truck stop
        (100, 1, 0, 0, float("inf")),  # 0 is no storage
        (0, 0, 50, 5, float("inf")),  # nothing to fill it
    ],
)
def test_storage_days(kg_day, m3_day, storage_kg, storage_m3, expected):
    assert storage_days(kg_day, m3_day, storage_kg, storage_m3) == expected


def test_storage_sets_the_visits_and_their_spacing():
    """A storage full after 4 days: twice a week over Monday to Saturday (every pair is 3
    and 4 days apart). Over Monday to Friday only Monday-Thursday and Tuesday-Friday (3
    and 4 days) of the five pairs; Monday-Wednesday leaves 5 days to Monday. Full after
    3 days, three times, and only Monday, Wednesday, Friday (gaps 2, 2, 3) of the five
    evenly spaced triples: Monday, Wednesday, Thursday leaves 4 days to Monday. One full
    after 1.5 days cannot be met even daily (2 days over Sunday): every working day."""
    mon_sat, mon_fri = (0, 1, 2, 3, 4, 5), (0, 1, 2, 3, 4)
    assert storage_frequency(4.0, mon_sat) == 2
    assert storage_frequency(3.9, mon_sat) == 3
    assert storage_frequency(4.0, mon_fri) == 2
    assert storage_patterns(2, 4.0, mon_fri) == [(0, 3), (1, 4)]
    assert storage_frequency(3.0, mon_fri) == 3
    assert storage_patterns(3, 3.0, mon_fri) == [(0, 2, 4)]
    assert storage_frequency(1.5, mon_sat) == 6
    assert storage_patterns(6, 1.5, mon_sat) == []
    assert storage_frequency(float("inf"), mon_sat) == 1


def _week_points(**columns):
    """Three points 2-4 km east of one station, 100 kg and 1 m3 a day each."""
    return pd.DataFrame(
        {
            "point_id": ["a", "b", "c"],
            "station_id": ["S"] * 3,
            "lon": [104.02, 104.03, 104.04],
            "lat": [28.8] * 3,
            "kg_per_day": [100.0] * 3,
            "m3_per_day": [1.0] * 3,
            **columns,
        }
    )


def _plan(points, working_days=("mon", "tue", "wed", "thu", "fri"), **options):
    stations = pd.DataFrame({"station_id": ["S"], "lon": [104.0], "lat": [28.8]})
    return schedule_week(
        points,
        stations,
        vehicle=TRUCK,
        working_days=working_days,
        trucks_per_station=2,
        shift_start_min=480,
        shift_end_min=1020,
        dwell_min=30,
        unload_min=20,
        max_fill=0.9,
        detour_factor=1.3,
        params=RoutingParams(time_limit_s=1),
        **options,
    )


def test_plan_week_visits_from_truck_storage_or_planner():
    """The truck (1000 kg, 10 m3 at 90 %) takes 700 kg / 7 m3 a week in one load: weekly.
    Point b stores 3 m3 (full in 3 days): Monday, Wednesday, Friday. Point c is fixed by
    the planner at 1 visit although its 2 m3 storage is full in 2 days: kept, flagged,
    and its loads still fit one truck. The day problems carry every visit."""
    nan = float("nan")
    points = _week_points(
        storage_m3=[nan, 3.0, 2.0], storage_kg=[nan] * 3, visits_per_week=[nan, nan, 1.0]
    )
    visits, problems = _plan(points)
    a, b, c = visits["a"], visits["b"], visits["c"]
    assert (a.frequency_per_week, a.basis, a.storage_overflows) == (1, "truck", False)
    assert (b.frequency_per_week, b.basis, b.day_idx) == (3, "storage", (0, 2, 4))
    assert b.longest_gap_days == 3 and not b.storage_overflows
    assert (c.frequency_per_week, c.basis, c.loads_per_visit) == (1, "planner", 1)
    assert c.storage_overflows and c.longest_gap_days == 7
    assert sum(p.stop_ids.count("b") for p in problems) == 3
    # Each visit collects the days since the one before: Monday 3 (from Friday), 2, 2.
    assert b.kg_by_visit == pytest.approx((300, 200, 200))
    monday = next(p for p in problems if p.day == "mon")
    assert monday.load_kg[monday.stop_ids.index("b")] == pytest.approx(300)


def test_published_days_kept_only_where_they_empty_the_storage():
    """Re-planning from a published timetable: a plain point keeps its Tuesday; point b
    (full in 3 days) published Monday, Tuesday, Wednesday (5 days to Monday) is given
    Monday, Wednesday, Friday instead."""
    nan = float("nan")
    points = _week_points(storage_m3=[nan, 3.0, nan], visits_per_week=[nan, nan, nan])
    visits, _ = _plan(points, kept_days={"a": (1,), "b": (0, 1, 2)})
    assert visits["a"].day_idx == (1,)
    assert visits["b"].day_idx == (0, 2, 4)


def test_kept_days_weigh_on_the_balance_by_their_own_loads():
    """A truckload holds 4.5 days of a point's material; Mon/Thu or Tue/Fri take one
    load each visit (2 a week). The published Mon/Wed is kept: its Monday visit comes 5
    days after Wednesday (2 loads), Wednesday's 2 days after Monday (1 load). The
    balance sees 2 loads (2 x 50 min) on Monday, not the average visit's one."""
    from recyclenet.routing.plan import _day_minutes, _VisitRule

    weekdays = (0, 1, 2, 3, 4)
    rule = _VisitRule(2, 1, "truck", float("inf"), 4.5, [(0, 3), (1, 4)], None)
    minutes = _day_minutes(rule, rule.keeps((0, 2)), weekdays, 50.0, 7.0)
    assert sorted(minutes) == [(0, 2), (0, 3), (1, 4)]
    np.testing.assert_allclose(minutes[(0, 2)], [107.0, 0.0, 57.0, 0.0, 0.0])
    np.testing.assert_allclose(minutes[(0, 3)], [57.0, 0.0, 0.0, 57.0, 0.0])
    # A point not keeping published days is weighed on its fewest-loads patterns only.
    assert sorted(_day_minutes(rule, None, weekdays, 50.0, 7.0)) == [(0, 3), (1, 4)]


@pytest.mark.parametrize("engine", ENGINES)
def test_point_hours_hold_the_truck_within_them(engine):
    """Point c meets the truck only 13:00-15:00 (after its 30 min stay: arrival 13:00 to
    14:30); the others all shift. Every day that visits c arrives within its hours, and
    the checker finds nothing."""
    nan = float("nan")
    points = _week_points(window_open_min=[nan, nan, 780.0], window_close_min=[nan, nan, 900.0])
    _, problems = _plan(points)
    days = [p for p in problems if "c" in p.stop_ids]
    assert days
    for problem in days:
        k = problem.stop_ids.index("c")
        lo, hi = problem.windows_min()
        assert (lo[k], hi[k]) == (780.0, 870.0)
        for other in {"a", "b"} & set(problem.stop_ids):
            j = problem.stop_ids.index(other)
            assert (lo[j], hi[j]) == (480.0, 1020.0)  # the shift
        result = solve_day(problem, RoutingParams(time_limit_s=1, engine=engine))
        assert check_day(result) == [] and not result.dropped
        arrival = [e.arrival_min for r in result.routes for e in r if e.stop_idx == k]
        assert len(arrival) == 1 and 780.0 - 1e-6 <= arrival[0] <= 870.0 + 1e-6


def test_point_hours_out_of_reach_are_named_before_routing():
    """A point 29 km out (76 min at 30 km/h with the 1.3 detour) whose hours are
    08:00-09:00 cannot be reached before 09:00 - 30 min from an 08:00 start: the error
    names it, its hours and the earliest arrival, before any routing."""
    points = _week_points(window_open_min=[480.0, float("nan"), float("nan")])
    points["window_close_min"] = [540.0, float("nan"), float("nan")]
    points.loc[0, "lon"] = 104.3
    with pytest.raises(InfeasibleError) as exc:
        _plan(points)
    text = str(exc.value)
    assert "a (hours 08:00-09:00, earliest arrival 09:" in text
    assert "b (" not in text and "window_start" in text


def test_plan_week_planner_visits_split_loads():
    """Fixed at one visit a week, 300 kg a day (2,100 kg) takes three 900 kg loads."""
    points = _week_points(visits_per_week=[1.0, float("nan"), float("nan")])
    points.loc[0, "kg_per_day"] = 300.0
    visits, _ = _plan(points)
    assert (visits["a"].frequency_per_week, visits["a"].loads_per_visit) == (1, 3)
    assert visits["b"].basis == "truck"


def test_assign_days_balances_workload():
    """Twelve equal weekly points over six days: two per day."""
    xy = np.random.default_rng(0).uniform(0, 10, (12, 2))
    days = assign_days(np.full(12, 60.0), np.ones(12, dtype=np.int64), xy, 6)
    counts = np.bincount([d for ds in days for d in ds], minlength=6)
    assert counts.tolist() == [2] * 6


def stop_order(result):
    return [e.stop_idx for r in result.routes for e in r if e.kind == "stop"]


@pytest.mark.parametrize("engine", ENGINES)
def test_time_windows_decide_the_order(engine):
    """Stops at 3 and 6 km on one road (30 km/h: 6 and 12 min from the base). Without
    windows either order drives 12 km; the far stop's window (closing at 08:20) forces
    it first: base -> far (08:12) -> near (08:48 after 30 min dwell + 6 min) -> base."""
    base = day([(3, 0), (6, 0)], [100, 100])
    closes = np.array([1020.0, 500.0])
    p = dataclasses.replace(base, window_close_min=closes)
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert check_day(result) == []
    assert stop_order(result) == [1, 0]
    assert result.distance_km() == pytest.approx(12.0)
    arrivals = {e.stop_idx: e.arrival_min for r in result.routes for e in r if e.kind == "stop"}
    assert arrivals[1] == pytest.approx(492.0)
    assert arrivals[0] == pytest.approx(528.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_window_opening_makes_the_truck_wait(engine):
    p = dataclasses.replace(day([(3, 0)], [100]), window_open_min=np.array([600.0]))
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert check_day(result) == []
    (stop,) = [e for e in result.routes[0] if e.kind == "stop"]
    assert stop.arrival_min == pytest.approx(600.0)


def test_lunch_break_is_taken_in_its_window():
    """Eight 60-minute stops keep one truck out from 08:00 to about 17:00; the driver
    must stop for 45 minutes starting between 11:30 and 12:30."""
    p = dataclasses.replace(
        day([(i % 3, i // 3) for i in range(1, 8)], [50] * 7, dwell=60, shift=(480, 1080)),
        lunch=(690.0, 750.0, 45.0),
    )
    result = solve_day(p, RoutingParams(time_limit_s=2))
    assert result.dropped == ()
    assert check_day(result) == []
    lunches = [e for r in result.routes for e in r if e.kind == "lunch"]
    assert len(lunches) == len(result.routes) == 1
    assert 690 - 1e-6 <= lunches[0].arrival_min <= 750 + 1e-6
    assert lunches[0].departure_min - lunches[0].arrival_min == pytest.approx(45.0)


def test_checker_catches_a_missing_lunch():
    p = dataclasses.replace(
        day([(i % 3, i // 3) for i in range(1, 8)], [50] * 7, dwell=60, shift=(480, 1080)),
        lunch=(690.0, 750.0, 45.0),
    )
    result = solve_day(p, RoutingParams(time_limit_s=2))
    no_lunch = tuple(tuple(e for e in r if e.kind != "lunch") for r in result.routes)
    broken = dataclasses.replace(result, routes=no_lunch)
    assert any("lunch" in issue for issue in check_day(broken))


def test_lunch_is_taken_on_the_drive():
    """One stop 30 min from the base with 2 hours of dwell: the truck leaves it at 10:30
    and lunch must start at 10:45. Parked on the way back, it is home at 12:00 and
    unloaded by 12:20 (740), inside a shift ending at 745; lunch before the drive would
    end the day at 12:35. The checker refuses the drive shortened by the break."""
    p = dataclasses.replace(
        day([(15, 0)], [100], dwell=120, shift=(480, 745)), lunch=(645.0, 645.0, 60.0)
    )
    result = solve_day(p, RoutingParams(time_limit_s=1, engine="ortools"))
    assert result.dropped == ()
    assert check_day(result) == []
    (route,) = result.routes
    assert [e.kind for e in route] == ["start", "stop", "lunch", "end"]
    assert route[2].arrival_min == pytest.approx(645.0)
    assert route[-1].arrival_min == pytest.approx(720.0)
    assert route[-1].departure_min == pytest.approx(740.0)
    early = dataclasses.replace(route[-1], arrival_min=710.0, departure_min=730.0)
    broken = dataclasses.replace(result, routes=((*route[:-1], early),))
    assert any("too early" in issue for issue in check_day(broken))


@pytest.mark.parametrize("engine", ENGINES)
def test_full_day_defers_the_cheaper_booking(engine):
    """One truck, a 3-hour shift, two bookings of 100 minutes each next to the base: only
    one fits. Deferring the first costs 50 CNY, the second 500: the first is deferred."""
    p = dataclasses.replace(
        day([(0.5, 0), (0, 0.5)], [50, 50], dwell=100, shift=(480, 660)),
        defer_penalty_cny=np.array([50.0, 500.0]),
    )
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert check_day(result) == []
    assert result.dropped == (0,)
    assert stop_order(result) == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_window_in_the_past_is_dropped_not_fatal(engine):
    p = dataclasses.replace(
        day([(3, 0), (6, 0)], [100, 100]), window_close_min=np.array([400.0, 1020.0])
    )
    result = solve_day(p, RoutingParams(time_limit_s=1, engine=engine))
    assert check_day(result) == []
    assert result.dropped == (0,)


def test_stable_slot_keeps_a_points_time_across_days():
    """Tuesday's extra stop lies on the way out and back alike: with slots kept, the
    truck takes it on the way back, so A and B arrive at Monday's times (no slot: either
    order costs the same kilometres)."""
    from recyclenet.routing import solve_week

    mon = day([[10, 0], [20, 0]], [100, 100])
    xy = [[10, 0], [20, 0], [5, 0]]
    tue = dataclasses.replace(day(xy, [100, 100, 100]), day="tue", stop_ids=("p0", "p1", "c"))
    results = solve_week([mon, tue], RoutingParams(time_limit_s=4), slot_tolerance_min=10)
    arrivals = [
        {r.problem.stop_ids[e.stop_idx]: e.arrival_min for e in r.routes[0] if e.kind == "stop"}
        for r in results
    ]
    for point in ("p0", "p1"):
        assert abs(arrivals[1][point] - arrivals[0][point]) <= 10 + 1e-6
    assert arrivals[1]["c"] > arrivals[1]["p1"]
    for r in results:
        assert check_day(r) == []


@pytest.mark.parametrize(
    ("bases", "per_day_s"),
    [
        ({"A": 6}, 1.0),  # one base: its 6 days in turn, though 2 workers are offered
        ({"A": 3, "B": 3}, 2.0),  # two bases side by side
        ({"A": 1, "B": 1, "C": 6}, 1.0),  # the long chain first; the short ones beside it
        ({"A": 3, "B": 3, "C": 3}, 1.0),  # three bases on two workers: two in turn
    ],
)
def test_a_week_shares_its_time_limit_so_that_it_ends_within_it(monkeypatch, bases, per_day_s):
    """Each base's days run in turn (slots carry over), bases side by side on the
    workers: a day's time is the limit over the most days one worker routes in turn."""
    from recyclenet.routing import week as solve_module

    seen: dict[str, list[float]] = {}

    def fake_chain(args):  # noqa: ANN001, ANN202
        problems, _, limits, *_ = args
        seen[problems[0].base_id] = limits
        return [DayResult(p, "feasible", (), (), 0.0, 0.0) for p in problems]

    monkeypatch.setattr(solve_module, "_solve_chain", fake_chain)
    monkeypatch.setattr(solve_module, "ProcessPoolExecutor", _InProcessPool)
    problems = [
        dataclasses.replace(day([[1, 0]], [10]), base_id=b, day=f"d{k}")
        for b, n in bases.items()
        for k in range(n)
    ]
    out = solve_module.solve_week(problems, RoutingParams(time_limit_s=6, workers=2))
    assert [r.problem for r in out] == problems  # back in the order given
    assert seen == {b: pytest.approx([per_day_s] * n) for b, n in bases.items()}


class _InProcessPool:
    """A stand-in for the process pool that maps in this process (so the test's fake
    chain solver is the one called)."""

    def __init__(self, max_workers: int) -> None:
        if max_workers < 1:  # as the real pool
            raise ValueError("max_workers must be greater than 0")
        self.max_workers = max_workers

    def __enter__(self) -> _InProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, jobs):  # noqa: ANN001, ANN201
        return map(fn, jobs)


def _fake_week(trucks_by_day, base="A", cost_per_truck=100.0, paid=None):
    """Results of a base's days (Monday on), ``trucks_by_day[k]`` empty routes each, a
    truck costing ``cost_per_truck`` a day; ``paid[k]``: minutes off the slot paid on
    day k (one stop, 1 CNY a minute beyond a tolerance of 0)."""
    out = []
    for k, n in enumerate(trucks_by_day):
        p = dataclasses.replace(day([[1, 0]], [10], vehicles=6), base_id=base, day=f"d{k}")
        routes = tuple(() for _ in range(n))
        if paid and paid[k]:
            stop = Event("stop", 0, 480.0 + paid[k], 490.0 + paid[k], 10, 1, 1, 1)
            routes = ((stop,), *routes[1:])
            p = dataclasses.replace(
                p,
                slot_min=np.array([480.0]),
                slot_tolerance_min=0.0,
                slot_penalty_cny_per_min=1.0,
            )
        out.append(DayResult(p, "feasible", routes, (), n * cost_per_truck, 0.0))
    return out


@pytest.mark.parametrize(
    ("trucks", "paid", "hardest"),
    [
        ([2, 2, 3, 2], None, 2),  # one day runs a truck more
        ([3, 2, 2, 2], None, None),  # the first day already sets the slots
        ([2, 2, 2, 2], None, None),  # a flat week that pays nothing: nothing to gain
        ([2, 2, 2, 2], [0, 0, 0, 30], 3),  # as many trucks, but Thursday pays for slots
        ([2, 3, 3, 2], None, 1),  # the first of equals
    ],
)
def test_the_hardest_day_of_a_week(trucks, paid, hardest):
    from recyclenet.routing.week import _hardest_day

    assert _hardest_day(_fake_week(trucks, paid=paid)) == hardest


def test_a_week_is_ranked_by_the_fleet_it_needs():
    """The fleet is the most trucks on a day, kept all week: a week of 2, 2, 3 costs
    three trucks on each of three days, more than 2, 2, 2 with a dearer day."""
    from recyclenet.routing.week import _week_rank

    uneven = _week_rank(_fake_week([2, 2, 3]))
    assert uneven == (0, pytest.approx(3 * 3 * 100.0))
    flat = _fake_week([2, 2, 2])
    flat[0] = dataclasses.replace(flat[0], cost_cny=flat[0].cost_cny + 250)
    assert _week_rank(flat) < uneven


@pytest.mark.parametrize("better", [True, False])
def test_a_week_is_routed_again_from_its_hardest_day(monkeypatch, better):
    """With slots, the first pass gets half the limit; a base whose hardest day is not
    its first is routed again starting from that day (the calendar rotated), in the time
    left, and keeps that week only where it needs fewer trucks or costs less."""
    from recyclenet.routing import week as solve_module

    calls: list[tuple[list[str], float]] = []
    monday_first = {"A": [2, 2, 3, 2], "B": [2, 2, 2, 2]}
    rotated = [2, 2, 2, 2] if better else [3, 3, 3, 3]

    def fake_chain(args):  # noqa: ANN001, ANN202
        problems, _, limit, *_ = args
        days = [p.day for p in problems]
        calls.append((days, limit))
        base = problems[0].base_id
        trucks = monday_first[base] if days[0] == "d0" else rotated
        out = _fake_week(trucks, base=base)
        return [dataclasses.replace(r, problem=p) for r, p in zip(out, problems, strict=True)]

    monkeypatch.setattr(solve_module, "_solve_chain", fake_chain)
    monkeypatch.setattr(solve_module, "ProcessPoolExecutor", _InProcessPool)
    problems = [
        dataclasses.replace(day([[1, 0]], [10]), base_id=b, day=f"d{k}")
        for b in ("A", "B")
        for k in range(4)
    ]
    out = solve_module.solve_week(
        problems, RoutingParams(time_limit_s=8, workers=2), slot_tolerance_min=15
    )
    assert [r.problem for r in out] == problems  # back in the order given
    assert calls[:2] == [(["d0", "d1", "d2", "d3"], [1.0] * 4)] * 2  # half of 8 s over 4 days
    again = calls[2:]
    assert [days for days, _ in again] == [["d2", "d3", "d0", "d1"]]  # A only, from d2
    assert 4.0 / 4 < again[0][1][0] <= 8.0 / 4  # the time left, A's days alone
    assert len(set(again[0][1])) == 1
    assert [r.num_trucks for r in out[:4]] == ([2, 2, 2, 2] if better else [2, 2, 3, 2])
    # Signs already up (a kept timetable) or no slots: one pass with the whole limit.
    calls.clear()
    solve_module.solve_week(
        problems, RoutingParams(time_limit_s=8, workers=2), slot_tolerance_min=None
    )
    assert calls == [(["d0", "d1", "d2", "d3"], [2.0] * 4)] * 2
    calls.clear()
    solve_module.solve_week(
        problems,
        RoutingParams(time_limit_s=8, workers=2),
        slot_tolerance_min=15,
        kept_signs={("p0", 0): 500.0},
    )
    assert calls == [(["d0", "d1", "d2", "d3"], [2.0] * 4)] * 2


@pytest.mark.parametrize(
    ("trucks", "offered"),
    [
        ([2, 2, 3, 2], 2),  # one day runs a truck more than the others need
        ([3, 0, 2, 3], 2),  # (a day without stops does not count)
        ([3, 3, 3, 3], None),  # as many every day: no sign that fewer would do
        ([1, 0, 1, 1], None),  # one truck: none to take away
    ],
)
def test_a_week_is_offered_one_truck_fewer_where_a_day_runs_fewer(trucks, offered):
    from recyclenet.routing.elimination import one_truck_fewer

    week = _fake_week(trucks)
    week = [
        dataclasses.replace(r, problem=day(np.zeros((0, 2)), [], vehicles=6)) if n == 0 else r
        for r, n in zip(week, trucks, strict=True)
    ]
    fewer = one_truck_fewer(week, [r.problem for r in week])
    if offered is None:
        assert fewer is None
    else:
        assert fewer is not None and [d.num_trucks for d in fewer] == [offered] * len(trucks)
        assert [d.stop_ids for d in fewer] == [r.problem.stop_ids for r in week]


def test_a_week_offered_one_truck_fewer_is_refused_where_a_day_cannot_do_without():
    """Two stops of 800 kg on a 1,000 kg truck without unloading need two trucks, so a
    week of two trucks on that day and one on another is not offered one."""
    from recyclenet.routing.elimination import one_truck_fewer

    heavy = dataclasses.replace(day([[1, 0], [0, 1]], [800, 800], vehicles=6), reload=False)
    light = day([[1, 0]], [10], vehicles=6)
    week = [DayResult(heavy, "feasible", ((), ()), (), 200.0, 0.0)]
    week.append(DayResult(light, "feasible", ((),), (), 100.0, 0.0))
    assert one_truck_fewer(week, [heavy, light]) is None
    assert one_truck_fewer(week, [light, light]) is not None


@pytest.mark.parametrize("serves_all", [True, False])
def test_a_week_counted_in_work_is_routed_again_with_a_truck_fewer(monkeypatch, serves_all):
    """Counted in work, each base whose week runs a truck more on some day is routed
    once more offered one truck fewer, and keeps that week where it ranks better: not
    where a stop is then left out."""
    from recyclenet.routing import week as solve_module

    offered: list[list[int]] = []

    def fake_chain(args):  # noqa: ANN001, ANN202
        problems, *_ = args
        trucks = [p.num_trucks for p in problems]
        offered.append(trucks)
        first = {"A": [2, 3, 2]}.get(problems[0].base_id, [2, 2, 2])
        out = _fake_week(first if trucks[0] == 6 else [2, 2, 2], base=problems[0].base_id)
        if trucks[0] < 6 and not serves_all:
            out[1] = dataclasses.replace(out[1], dropped=(0,))
        return [dataclasses.replace(r, problem=p) for r, p in zip(out, problems, strict=True)]

    monkeypatch.setattr(solve_module, "_solve_chain", fake_chain)
    problems = [
        dataclasses.replace(day([[1, 0]], [10], vehicles=6), base_id=b, day=f"d{k}")
        for b in ("A", "B")
        for k in range(3)
    ]
    out = solve_module.solve_week(problems, RoutingParams(work_per_day=1.0))
    assert offered == [[6, 6, 6], [6, 6, 6], [2, 2, 2]]  # A again, with 2 of its 6 trucks
    assert [r.num_trucks for r in out[:3]] == ([2, 2, 2] if serves_all else [2, 3, 2])
    assert [r.num_trucks for r in out[3:]] == [2, 2, 2]
    offered.clear()
    solve_module.solve_week(problems, RoutingParams(work_per_day=1.0, fewer_trucks=False))
    assert offered == [[6, 6, 6], [6, 6, 6]]
    # No base to route again, with worker processes: no empty pool started.
    monkeypatch.setattr(solve_module, "ProcessPoolExecutor", _InProcessPool)
    offered.clear()
    flat = [dataclasses.replace(p, base_id=b) for b in "BC" for p in problems[3:]]
    solve_module.solve_week(flat, RoutingParams(work_per_day=1.0, workers=2))
    assert offered == [[6, 6, 6], [6, 6, 6]]


@pytest.mark.parametrize(
    ("routed", "published", "taken"),
    [
        # Days 0 and 1 as published bring the fleet down to 2; neither does alone.
        ([3, 3, 2, 2], [2, 2, 2, None], [True, True, True, False]),
        ([2, 2, 2, 2], [3, None, None, None], [False] * 4),  # published costs a truck
        ([2, 2, 2, 2], [2, 2, 2, 2], [True] * 4),  # alike: the published week stays
        ([2, 3, 2], [None, None, None], [False] * 3),  # nothing can be driven as published
    ],
)
def test_a_week_takes_each_day_as_published_where_the_week_ranks_no_worse(routed, published, taken):
    """Re-planning a kept timetable: each day that can still be driven as published is
    taken so where the week needs no more trucks and costs no more; a day that cannot
    no longer sends the whole week back to routing."""
    from recyclenet.routing.week import _best_mix

    ours = _fake_week(routed)
    drivable = [n is not None for n in published]
    driven = _fake_week([n or 0 for n in published])
    as_published = [d if ok else None for d, ok in zip(driven, drivable, strict=True)]
    week = _best_mix(ours, as_published)
    assert [w is d for w, d in zip(week, driven, strict=True)] == taken
    assert [w is r for w, r in zip(week, ours, strict=True)] == [not t for t in taken]


def test_a_published_day_is_driven_as_published():
    """Three 400 kg stops 10 km out, one 1,000 kg truck: the published round p0, p1,
    unload, p2 (trips 1, 1, 2) is driven in that order, waiting at p1 for its sign
    (12:00, 15 min tolerance); another base's truck is left alone. A point with two
    loads that day: each published stop takes the load whose sign is nearest. It is no plan of the
    day any more once loads outgrow the trip, a stop of the day is on no round, or the
    day has a lunch to place."""
    from recyclenet.routing.week import _with_slots, published_day

    problem = day([(10, 0), (0, 10), (-10, 0)], [400, 400, 400], vehicles=2, dwell=20)
    problem = _with_slots(problem, {("p1", 0): 720.0}, 15.0, 100.0)
    rounds = [
        ("T-1", "truck", [("p0", 1, 500.0), ("p1", 1, 720.0), ("p2", 2, 800.0)]),
        ("U-1", "", [("q9", 1, 500.0)]),
    ]
    result = published_day(problem, rounds)
    assert result is not None and check_day(result) == [] and not result.dropped
    (route,) = result.routes
    assert [(e.kind, e.stop_idx) for e in route[1:-1]] == [
        ("stop", 0),
        ("stop", 1),
        ("unload", -1),
        ("stop", 2),
    ]
    assert route[2].arrival_min == pytest.approx(705.0)  # waited for the sign
    assert route[1].arrival_min == pytest.approx(480.0 + 10.0 / 30 * 60)
    heavier = dataclasses.replace(problem, load_kg=np.array([700.0, 700.0, 400.0]))
    assert published_day(heavier, rounds) is None
    assert published_day(problem, [("T-1", "truck", rounds[0][2][:2])]) is None
    assert published_day(problem, [("T-1", "box", rounds[0][2])]) is None  # no such type
    lunch = dataclasses.replace(problem, lunch=(690.0, 780.0, 30.0))
    assert published_day(lunch, rounds) is None
    # p0 collected twice: signs 08:20 (load 0) and 10:00 (load 1); the round published
    # the 10:00 stop first (on truck T-1), the 08:20 one on truck T-2.
    twice = dataclasses.replace(
        day([(10, 0), (10, 0)], [400, 400], vehicles=2, dwell=20), stop_ids=("p0", "p0")
    )
    twice = _with_slots(twice, {("p0", 0): 500.0, ("p0", 1): 600.0}, 15.0, 100.0)
    both = [("T-1", "truck", [("p0", 1, 600.0)]), ("T-2", "truck", [("p0", 1, 500.0)])]
    result = published_day(twice, both)
    assert result is not None and check_day(result) == []
    assert [r[1].stop_idx for r in result.routes] == [1, 0]
    assert [r[1].arrival_min for r in result.routes] == pytest.approx([585.0, 500.0])


@pytest.mark.parametrize("routed_trucks", [2, 1])
def test_a_kept_week_keeps_the_published_trucks_unless_routing_does_better(
    monkeypatch, routed_trucks
):
    """Signs kept: the published rounds serve p1 (4 km north) then, on a second trip,
    p0 (3 km east): 14 km a day on one truck, Monday and Tuesday (Wednesday's round is
    lost). Where the routed week needs two trucks a day (14 km), Monday and Tuesday are
    kept as published and Wednesday is routed; a routed week on one truck and one trip
    (12 km, every arrival within its sign) is kept instead. Monday and Tuesday, which
    the published rounds still drive, are routed with a quarter of Wednesday's time."""
    from recyclenet.routing import week as solve_module
    from recyclenet.routing.timing import day_result, timed_route

    problems = [
        dataclasses.replace(day([(3, 0), (0, 4)], [100, 100], vehicles=2), day=d)
        for d in ("mon", "tue", "wed")
    ]
    signs = {("p0", 0): 600.0, ("p1", 0): 540.0}

    limits: list[list[float]] = []

    def fake_chain(args):  # noqa: ANN001, ANN202
        days, _, day_limits, tol, penalty, kept, day_signs, _ = args
        limits.append(day_limits)
        orders = [[1], [0]] if routed_trucks == 2 else [[1, 0]]
        out = []
        for p in days:
            p = solve_module._with_slots(p, kept, tol, penalty, day_signs)
            routes = [timed_route(p, o, engine_arrival_min=p.slot_min[o]) for o in orders]
            out.append(day_result(p, routes, "feasible", 0.0))
        return out

    monkeypatch.setattr(solve_module, "_solve_chain", fake_chain)
    published = {
        d: [("T-1", "truck", [("p1", 1, 540.0), ("p0", 2, 600.0)])] for d in ("mon", "tue")
    }
    out = solve_module.solve_week(
        problems,
        RoutingParams(time_limit_s=2, workers=1),
        slot_tolerance_min=15,
        kept_signs=signs,
        as_published=solve_module.published_week(
            problems, published, slot_tolerance_min=15, kept_signs=signs
        ),
    )
    assert all(check_day(r) == [] for r in out)
    assert all(solve_module._paid_cny(r) == 0 for r in out)  # every arrival within its sign
    assert [r.num_trucks for r in out] == ([1, 1, 2] if routed_trucks == 2 else [1, 1, 1])
    assert limits == [pytest.approx([2 / 6, 2 / 6, 4 / 3])]  # 2 s over 1/4 + 1/4 + 1 days
    params = RoutingParams(time_limit_s=2, workers=1)
    assert solve_module.day_time_limit_s(problems, params, drivable=[True, True, False]) == (
        pytest.approx(4 / 3)
    )
    assert [r.distance_km() for r in out] == pytest.approx(
        [14.0, 14.0, 14.0] if routed_trucks == 2 else [12.0, 12.0, 12.0]
    )


def test_kept_signs_hold_each_days_own_times():
    """A point's sign shows 08:20, 10:00 and 11:40: Monday's three loads came at all
    three, Tuesday's two at 08:20 and 11:40. Re-planned, Tuesday's second load aims at
    11:40 (not at the sign's second time, 10:00), and the timetable finds every visit,
    driven as published, on its sign; a weekday with no published visits aims at the
    sign's times in order."""
    from recyclenet.routing import week as week

    kept = {("p0", 0): 500.0, ("p0", 1): 600.0, ("p0", 2): 700.0}
    by_day = {("p0", "mon"): (500.0, 600.0, 700.0), ("p0", "tue"): (500.0, 700.0)}

    def loads(n, label):
        problem = day([(10, 0)] * n, [400] * n, dwell=20)
        problem = dataclasses.replace(problem, day=label, stop_ids=("p0",) * n)
        return week._with_slots(problem, kept, 15.0, 100.0, by_day)

    monday, tuesday, wednesday = loads(3, "mon"), loads(2, "tue"), loads(2, "wed")
    assert list(tuesday.slot_min) == [500.0, 700.0]
    assert list(wednesday.slot_min) == [500.0, 600.0]  # no published Wednesday
    rounds = {
        "mon": [("T-1", "truck", [("p0", 1, 500.0), ("p0", 2, 600.0), ("p0", 3, 700.0)])],
        "tue": [("T-1", "truck", [("p0", 1, 500.0), ("p0", 2, 700.0)])],
    }
    days = tuple(week.published_day(p, rounds[p.day]) for p in (monday, tuesday))
    assert all(d is not None and week._paid_cny(d) == 0 for d in days)
    plan = WeekPlan({}, days, ("mon", "tue"), pd.DataFrame(), 15.0, kept_signs=kept)
    tt = plan.timetable()
    assert sorted(set(tt["slot"])) == ["08:20", "10:00", "11:40"]
    assert tt["slot_deviation_min"].abs().max() <= 15


@pytest.mark.parametrize(
    ("kept_today", "loads", "aims"),
    [
        ((500.0, 700.0), 2, [500.0, 700.0]),  # as many loads as that weekday had
        ((600.0, 700.0), 1, [600.0]),  # fewer: the first time that weekday kept
        ((500.0, 700.0), 3, [500.0, 600.0, 700.0]),  # more: the sign's other time too
        ((700.0,), 2, [500.0, 700.0]),  # more: the other times earliest first, in order
        ((500.0, 700.0), 4, [500.0, 600.0, 700.0, None]),  # beyond the sign: no slot
        (None, 2, [500.0, 600.0]),  # no such weekday published: the sign's times in order
    ],
)
def test_a_day_with_another_number_of_loads_aims_at_the_times_it_kept(kept_today, loads, aims):
    """A sign showing 08:20, 10:00 and 11:40: where a point's loads on a weekday are no
    longer as many as its published visits that weekday (more or less material), the
    loads aim at the times that weekday kept first, and only then at the sign's others;
    before, they aimed at the sign's times in order (one load on a Tuesday kept at 10:00
    and 11:40 aimed at 08:20, a time no truck had come on Tuesdays)."""
    from recyclenet.routing import week as week

    kept = {("p0", 0): 500.0, ("p0", 1): 600.0, ("p0", 2): 700.0}
    by_day = {} if kept_today is None else {("p0", "tue"): kept_today}
    problem = day([(10, 0)] * loads, [400] * loads, dwell=20)
    problem = dataclasses.replace(problem, day="tue", stop_ids=("p0",) * loads)
    slotted = week._with_slots(problem, kept, 15.0, 100.0, by_day)
    got = [None if np.isnan(t) else float(t) for t in slotted.slot_min]
    assert got == aims


def test_the_sign_shows_the_middle_of_a_points_arrivals():
    """Monday reaches A (10 km east) at 8:20. Tuesday's booking X (5 km north) closes at
    8:15, so the one truck reaches A at 8:42, 22.4 min after Monday: beyond the 15 min
    tolerance from Monday's time (which the sign showed before), within it from the
    middle of the two, 8:31, which the timetable now publishes."""
    from recyclenet.routing import week as week

    monday = day([(10, 0)], [100], dwell=10)
    tuesday = dataclasses.replace(
        day([(10, 0), (0, 5)], [100, 100], dwell=10),
        day="tue",
        stop_ids=("p0", "x"),
        window_close_min=np.array([1020.0, 495.0]),
    )
    params = RoutingParams(time_limit_s=1, engine="ortools")
    first, second = week._solve_chain(
        ([monday, tuesday], params, [1.0] * 2, 15.0, 100.0, {}, {}, float("inf"))
    )
    arrival = {second.problem.stop_ids[e.stop_idx]: e.arrival_min for e in second.routes[0][1:-1]}
    assert first.routes[0][1].arrival_min == pytest.approx(500)
    assert arrival["p0"] == pytest.approx(480 + 10 + 10 + 2 * 125**0.5, abs=0.1)
    plan = WeekPlan({}, (first, second), ("mon", "tue"), pd.DataFrame(), 15.0)
    tt = plan.timetable().set_index(["point_id", "day"])
    assert tt.loc[("p0", "mon"), "slot"] == "08:31"
    assert tt.loc[("p0", "mon"), "slot_min"] == 511  # the middle, 511.2, to the minute
    assert tt.loc[("p0", "tue"), "slot_deviation_min"] == pytest.approx(arrival["p0"] - 511)
    assert tt["slot_deviation_min"].abs().max() <= 15
    assert check_day(second) == []


@pytest.mark.parametrize(
    ("arrivals", "sign"),
    [
        ([600], 600),
        ([520, 500], 510),  # all within: the middle
        ([500, 522, 540], 515),  # 2 of 3 fit (500 and 522, or 522 and 540): the earlier
        ([500, 505, 600], 515),  # the two close ones, as near the third as they allow
        ([500.2, 520.6], 510),  # the middle, 510.4, to the minute
        ([500.6, 520.6, 560], 515),  # 515.6 (as near 560 as 500.6 allows), down to 515
        ([500.2, 530.1], 515.15),  # only 515.1-515.2 keeps both: no whole minute does
        ([600, 480, 630, 615], 615),  # 600-630 fit; 480 alone does not count
    ],
)
def test_the_sign_keeps_the_most_visits_within_the_tolerance(arrivals, sign):
    from recyclenet.routing.timetable import sign_time_min

    assert sign_time_min(np.array(arrivals, float), 15.0) == pytest.approx(sign)
    with pytest.raises(ValueError, match="at least one arrival"):
        sign_time_min(np.array([]), 15.0)


@pytest.mark.parametrize(
    ("arrivals", "keep", "sign"),
    [
        ([600, 610, 620], 605, 605),  # holds all three: the sign stays (middle: 610)
        ([600, 610, 620], 625, 610),  # holds two where 610 holds three: it moves
        ([600, 620, 650], 608, 608),  # holds two, as many as any time (default 615)
        ([600, 620, 650], 640, 615),  # holds one: it moves to the default
    ],
)
def test_a_sign_already_up_stays_where_it_holds_as_many_visits(arrivals, keep, sign):
    from recyclenet.routing.timetable import sign_time_min

    assert sign_time_min(np.array(arrivals, float), 15.0, keep) == pytest.approx(sign)


def test_initial_routes_are_kept_when_they_are_the_only_plan():
    """A known plan with tight windows is a valid start; the solver returns it served."""
    p = day([[3, 0], [6, 0], [9, 0]], [100, 100, 100], vehicles=2)
    seeded = dataclasses.replace(p, initial_routes=((0, 1, -1, 2),))
    result = solve_day(seeded, RoutingParams(time_limit_s=1))
    assert result.dropped == () and check_day(result) == []
    bad = dataclasses.replace(p, initial_routes=((0,), (1,), (2,)))  # 3 routes, 2 trucks
    assert solve_day(bad, RoutingParams(time_limit_s=1)).dropped == ()


def test_stops_left_out_of_a_starting_plan_are_inserted():
    """120 stops, a plan of the day with three of them taken out (as today's new
    bookings are missing from a published day): OR-Tools' local search reached its
    insertion moves only after its other moves, and on this day the three stayed out
    for the whole limit; they are served now, and the plan's trucks are kept."""
    rng = np.random.default_rng(1)
    p = day(rng.uniform(-10, 10, size=(120, 2)), np.full(120, 100.0), vehicles=8, dwell=3)
    params = RoutingParams(time_limit_s=1, engine="ortools")
    first = solve_day(p, params)
    assert first.dropped == () and check_day(first) == []
    plan = first.plan()
    assert len(plan) == 8 and sum(len(order) > 0 for order in plan) == first.num_trucks
    out = {j for j in plan[0] if j >= 0}
    out = set(sorted(out)[:3])
    partial = tuple(tuple(j for j in order if j not in out) for order in plan)
    again = solve_day(dataclasses.replace(p, initial_routes=partial), params)
    assert again.dropped == () and check_day(again) == []
    assert again.problem.initial_routes == partial  # the result names the day as given
    assert again.num_trucks <= first.num_trucks


def test_route_elimination_takes_away_the_lightest_route_and_its_truck():
    """Three routes over two fleet groups: the one-stop route goes, its group keeps only
    the trucks its other routes use (none: the group is left out), and the starting
    plan is the other two routes in the new groups' order."""
    from recyclenet.routing import TruckGroup
    from recyclenet.routing.elimination import without_lightest_routes
    from recyclenet.routing.timing import day_result, timed_route

    small = dataclasses.replace(TRUCK, vehicle_type="small", fixed_cost_cny_per_day=50)
    p = dataclasses.replace(
        day([[3, 0], [6, 0], [9, 0], [0, 3], [0, 6]], [100] * 5),
        fleet=(TruckGroup(TRUCK, 3), TruckGroup(small, 2)),
    )
    orders = [(3,), (0, 1, -1, 2), (4,)]
    groups = [1, 0, 0]
    routes = [timed_route(p, o, group=g) for o, g in zip(orders, groups, strict=True)]
    result = day_result(p, routes, "feasible", 0.0, groups)
    assert result.orders() == orders
    assert result.plan() == ((0, 1, -1, 2), (4,), (), (3,), ())
    fewer, group_of = without_lightest_routes(result)
    assert [g.count for g in fewer.groups()] == [2] and group_of == [0]
    assert fewer.initial_routes == ((0, 1, -1, 2), (4,))
    assert without_lightest_routes(day_result(p, routes[1:2], "feasible", 0.0, [0])) is None


@pytest.mark.parametrize(
    ("shift_end", "fewest", "estimate", "first_attempt"), [(1020, 1, 1, 1), (600, 2, 3, 3)]
)
def test_route_elimination_closes_trucks_a_search_left_open(
    shift_end, fewest, estimate, first_attempt
):
    """A search that stopped with every stop on its own truck (the first plan here is
    made by hand, as a local search can leave it): route elimination, solving with
    OR-Tools from there, closes trucks down to one in a full shift, and down to two, not
    fewer, in a two-hour shift where one truck cannot serve three stops in time (two
    stops on a line: 6 + 30 + 6 + 30 + 12 + 20 = 104 min; three: at least 141 min).

    The stuck plan's work is 272 min (out and back to 3, 6, 3 and 6 km at 2 min/km,
    30 min at each stop, 20 min unloading after each): one 540-min shift, or three
    120-min shifts. Its first attempt goes straight to that estimate when it is two or
    more trucks fewer (1 of 4), else one truck fewer (3)."""
    from recyclenet.routing import _ortools
    from recyclenet.routing.elimination import fleet_estimate, solve_with_elimination
    from recyclenet.routing.timing import day_result, timed_route

    p = day([[3, 0], [6, 0], [0, 3], [0, 6]], [100] * 4, vehicles=4, shift=(480, shift_end))
    stuck = day_result(p, [timed_route(p, (j,)) for j in range(4)], "feasible", 0.0)
    assert check_day(stuck) == [] and stuck.num_trucks == 4
    assert fleet_estimate(stuck) == estimate
    calls = []

    def solve(problem, limit_s):
        calls.append(problem.num_trucks)
        if len(calls) == 1:
            return stuck
        return _ortools.solve_day(problem, time_limit_s=limit_s)

    result = solve_with_elimination(p, solve, 4.0)
    assert result.num_trucks == fewest and result.dropped == () and check_day(result) == []
    assert result.problem is p
    assert result.objective_cny() < stuck.objective_cny()
    assert calls[1] == first_attempt


def test_route_elimination_tries_one_truck_more_than_an_estimate_that_pays_more():
    """The stuck 4-truck plan of the test above, in a full shift, with each stop's slot
    at its direct arrival (6 or 12 min out, 60 min tolerance, 100 CNY a minute beyond):
    the estimate, one truck, serves every stop but misses slots and pays more, and the
    squeeze to three leaves a stop out (as a search may), and the whole fleet's search
    stays stuck. Elimination then plans two trucks afresh (one per line of stops, every
    slot kept) and keeps them; without that step it stops at four."""
    from recyclenet.routing import _ortools
    from recyclenet.routing.elimination import solve_with_elimination
    from recyclenet.routing.timing import day_result, timed_route

    p = dataclasses.replace(
        day([[3, 0], [6, 0], [0, 3], [0, 6]], [100] * 4, vehicles=4),
        slot_min=np.array([486.0, 492.0, 486.0, 492.0]),
        slot_tolerance_min=60.0,
        slot_penalty_cny_per_min=100.0,
    )
    stuck = day_result(p, [timed_route(p, (j,)) for j in range(4)], "feasible", 0.0)
    assert stuck.objective_cny() == pytest.approx(stuck.cost_cny)  # every slot kept
    calls = []

    def solve(problem, limit_s):
        calls.append(problem.num_trucks)
        if problem.num_trucks == 4:  # the whole fleet's search stays stuck
            return dataclasses.replace(stuck, problem=problem)
        found = _ortools.solve_day(problem, time_limit_s=limit_s)
        if problem.num_trucks == 3:  # the squeeze leaves a stop out
            return day_result(problem, list(found.routes[:-1]), "feasible", 0.0)
        return found

    result = solve_with_elimination(p, solve, 4.0)
    assert calls[:3] == [4, 1, 2]
    assert result.num_trucks == 2 and result.dropped == () and check_day(result) == []
    assert result.objective_cny() == pytest.approx(result.cost_cny)
    assert result.problem is p


def test_min_trucks_counts_what_no_plan_can_avoid():
    """Four stops of 100 kg and 30 min each: one truck may serve them all in a full
    shift; a 250 kg daily limit needs two, a 50-minute shift three (120 min parked), and
    without reloading a 150 kg payload (at 0.9 fill: 135 kg a trip) at least three
    (400 kg over 135 kg; the bound counts load, not how stops pack)."""
    from recyclenet.routing.elimination import min_trucks

    p = day([[3, 0], [6, 0], [0, 3], [0, 6]], [100] * 4, vehicles=4)
    assert min_trucks(p) == 1
    assert min_trucks(dataclasses.replace(p, max_kg_per_truck_day=250)) == 2
    assert min_trucks(dataclasses.replace(p, shift_end_min=530)) == 3
    small = dataclasses.replace(TRUCK, payload_kg=150)
    assert min_trucks(dataclasses.replace(p, vehicle=small, max_fill=0.9, reload=False)) == 3


def test_pyvrp_starts_from_the_plan_and_stops_after_its_iterations():
    """Four stops on a 3 x 3 km square, the plan given in a crossing order: with no
    iteration of search PyVRP returns that plan as it is; with 200 it finds the perimeter,
    the same every time."""
    p = day([(0, 3), (3, 3), (3, 0), (1.5, 1.5)], [100, 100, 100, 100])
    crossing = (0, 2, 1, 3)
    seeded = dataclasses.replace(p, initial_routes=(crossing,))
    as_given = solve_day(seeded, RoutingParams(time_limit_s=5, engine="pyvrp", max_iterations=0))
    assert [e.stop_idx for e in as_given.routes[0] if e.kind == "stop"] == list(crossing)
    assert as_given.distance_km() == pytest.approx(tour_km(p, crossing))
    best = min(tour_km(p, perm) for perm in itertools.permutations(range(4)))
    params = RoutingParams(time_limit_s=5, engine="pyvrp", max_iterations=200)
    runs = [solve_day(seeded, params) for _ in range(2)]
    assert best < tour_km(p, crossing)
    assert runs[0].distance_km() == pytest.approx(best)
    assert [e.stop_idx for e in runs[0].routes[0]] == [e.stop_idx for e in runs[1].routes[0]]
    assert check_day(runs[0]) == []
    with pytest.raises(ValueError, match="max_iterations"):
        RoutingParams(max_iterations=-1)


@pytest.mark.parametrize(("levelled", "trucks"), [(True, 1), (False, 2)])
def test_a_later_day_takes_another_truck_only_if_it_saves_a_week_of_it(
    monkeypatch, levelled, trucks
):
    """Monday: point A (10 km east, 20 min) gets the slot 8:20 with one truck. Tuesday
    adds X (10 km west) whose booking closes at 8:30, so one truck reaches A at 9:10:
    35 min beyond the 15 min tolerance, 175 CNY at 5 CNY/min. A second truck costs 100
    CNY that day but must be kept all week (2 days here: 200 CNY), so the week is cheaper
    with one truck and a late A; judged by Tuesday alone, a second truck looks cheaper."""
    from recyclenet.routing import week as week

    if not levelled:
        monkeypatch.setattr(
            week,
            "_levelled",
            lambda p, in_use, days: (p, [0] * len(p.groups()), [False] * len(p.groups())),
        )
    monday = day([(10, 0)], [100], vehicles=2, dwell=10)
    tuesday = dataclasses.replace(
        day([(10, 0), (-10, 0)], [100, 100], vehicles=2, dwell=10),
        stop_ids=("p0", "x"),
        window_close_min=np.array([1020.0, 510.0]),
    )
    params = RoutingParams(time_limit_s=2, engine="ortools")
    first, second = week._solve_chain(
        ([monday, tuesday], params, [2.0] * 2, 15.0, 5.0, {}, {}, float("inf"))
    )
    assert first.num_trucks == 1 and first.routes[0][1].arrival_min == pytest.approx(500)
    assert second.num_trucks == trucks and second.dropped == ()
    assert check_day(second) == []
    assert second.problem.groups()[0].vehicle.fixed_cost_cny_per_day == 100  # reported as is


def test_the_day_before_is_carried_over_as_a_start_in_its_order():
    """Monday: one truck, p0 p1 | unload | p2 p3 (600 kg each, 1,000 kg trucks).
    Tuesday sees p3, p0, p1 and a new stop n, in another order of ids: the start keeps
    Monday's order (p0 p1, unload, p3), the unload only where stops follow it, and
    leaves n out for the search to insert; p2's trip is gone."""
    from recyclenet.routing import week as week

    xy = [(3, 0), (6, 0), (0, 3), (0, 6)]
    monday = dataclasses.replace(day(xy, [600, 300, 600, 300]), initial_routes=((0, 1, -1, 2, 3),))
    first = solve_day(monday, RoutingParams(time_limit_s=5, engine="pyvrp", max_iterations=0))
    assert first.orders() == [(0, 1, -1, 2, 3)] and check_day(first) == []
    tuesday = dataclasses.replace(
        day([(0, 6), (5, 5), (3, 0), (6, 0)], [300, 100, 600, 300], vehicles=2),
        stop_ids=("p3", "n", "p0", "p1"),
    )
    assert week._carried_plan(first, tuesday, [0]) == ((2, 3, -1, 0), ())
    no_p3 = dataclasses.replace(tuesday, stop_ids=("x", "n", "p0", "p1"))
    assert week._carried_plan(first, no_p3, [0]) == ((2, 3), ())  # no trailing unload


def test_a_later_day_tries_the_running_trucks_from_the_day_before_and_the_whole_fleet(
    monkeypatch,
):
    """A later day with slots and time enough is searched twice: the trucks the station
    runs alone, starting from the day before, then from scratch with one truck more
    (not the whole fleet: the day needs no more); the plan with the lower weekly cost is
    kept."""
    from recyclenet.routing import week as week

    calls = []
    real = week.solve_day

    def spy(problem, params=None, *, time_limit_s=None, meter=None):
        found = real(problem, params, time_limit_s=time_limit_s, meter=meter)
        calls.append((problem.num_trucks, problem.initial_routes, found))
        return found

    monkeypatch.setattr(week, "solve_day", spy)
    monkeypatch.setattr(week, "TWO_SEARCHES_MIN_S", 1.0)
    monday = day([(10, 0), (12, 0)], [100, 100], vehicles=3)
    tuesday = dataclasses.replace(
        day([(12, 0), (-3, 0), (10, 0)], [100, 100, 100], vehicles=3),
        stop_ids=("p1", "x", "p0"),
    )
    params = RoutingParams(time_limit_s=1, engine="ortools")
    first, second = week._solve_chain(
        ([monday, tuesday], params, [1.0] * 2, 15.0, 5.0, {}, {}, float("inf"))
    )
    assert len(calls) == 3 and first.num_trucks == 1
    own_trucks, start, own = calls[1]
    assert own_trucks == 1  # the truck Monday ran
    assert start == ((2, 0),)  # Monday's order p0 p1, x left out
    whole_trucks, whole_start, whole = calls[2]
    assert whole_trucks == 2 and whole_start is None  # Monday's truck and one more
    kept = min(own.objective_cny(), whole.objective_cny())
    levelled, *_ = week._levelled(second.problem, [1], 2)
    assert week.regrouped(second, levelled, [0, 0]).objective_cny() == pytest.approx(kept)
    assert second.num_trucks == 1 and second.dropped == () and check_day(second) == []
    calls.clear()  # with less time than two searches need: the running truck, from the
    # day before, serves the day, so no truck more is searched for
    short = RoutingParams(time_limit_s=0.5, engine="ortools")
    week._solve_chain(([monday, tuesday], short, [0.5] * 2, 15.0, 5.0, {}, {}, float("inf")))
    assert [(trucks, start) for trucks, start, _ in calls] == [(3, None), (1, ((2, 0),))]


def test_a_later_day_gets_the_whole_fleet_where_one_truck_more_leaves_stops_out(monkeypatch):
    """Monday needs one truck. Tuesday's three stops, 10 km east, west and north, must
    be reached by 8:30 (20 min from the base at 8:00): three trucks, one each. The
    running truck alone, then with one more, leave stops out, so the whole fleet
    searches again and serves all three."""
    from recyclenet.routing import week as week

    calls = []
    real = week.solve_day

    def spy(problem, params=None, *, time_limit_s=None, meter=None):
        found = real(problem, params, time_limit_s=time_limit_s, meter=meter)
        calls.append((problem.num_trucks, found.dropped))
        return found

    monkeypatch.setattr(week, "solve_day", spy)
    monday = day([(10, 0)], [100], vehicles=4, dwell=10)
    tuesday = dataclasses.replace(
        day([(10, 0), (-10, 0), (0, 10)], [100, 100, 100], vehicles=4, dwell=10),
        stop_ids=("p0", "w", "n"),
        window_close_min=np.full(3, 510.0),
    )
    params = RoutingParams(time_limit_s=1, engine="ortools")
    first, second = week._solve_chain(
        ([monday, tuesday], params, [1.0] * 2, 15.0, 5.0, {}, {}, float("inf"))
    )
    assert first.num_trucks == 1
    # the running truck, the capped fleet, then the whole fleet
    assert [trucks for trucks, _ in calls[1:]] == [1, 2, 4]
    assert calls[2][1]  # two trucks cannot reach three stops by 8:30: stops left out
    assert second.num_trucks == 3 and second.dropped == () and check_day(second) == []


def test_pyvrp_opens_an_unload_trip_for_a_stop_within_a_few_iterations():
    """PyVRP does not open an unload trip for an optional client (it left the second
    600 kg stop out through 10,000 iterations): stops that must be served are required
    until a plan serves them all, so ten iterations serve both."""
    p = day([(3, 0), (6, 0)], [600, 600])
    for seed in range(3):
        result = solve_day(
            p, RoutingParams(time_limit_s=5, engine="pyvrp", seed=seed, max_iterations=10)
        )
        assert result.dropped == ()
        assert result.distance_km() == pytest.approx(18.0)
        assert check_day(result) == []


@pytest.mark.parametrize(("penalty_cny", "served"), [(500.0, True), (5.0, False)])
def test_pyvrp_opens_an_unload_trip_for_a_booking_worth_it(penalty_cny, served):
    """A published stop (600 kg) and a booking (600 kg) for a 1,000 kg truck: the booking
    needs an unload trip (12 km and an unload more, about 24 CNY). Worth 500 CNY it is
    served, worth 5 CNY it is deferred, within ten iterations of PyVRP's search."""
    p = dataclasses.replace(
        day([(3, 0), (6, 0)], [600, 600]), defer_penalty_cny=np.array([1e7, penalty_cny])
    )
    for seed in range(3):
        result = solve_day(
            p, RoutingParams(time_limit_s=5, engine="pyvrp", seed=seed, max_iterations=10)
        )
        assert result.dropped == (() if served else (1,))
        assert result.distance_km() == pytest.approx(18.0 if served else 6.0)
        assert check_day(result) == []


def test_a_point_of_too_many_loads_a_visit_is_refused_before_any_day_model():
    """A point collecting 40 truckloads a visit (a 100 kg tricycle at a big point) is
    named with its numbers before any day model is built."""
    from recyclenet.errors import InfeasibleError

    points = pd.DataFrame(
        {
            "point_id": ["P1"],
            "station_id": ["S"],
            "lon": [104.6],
            "lat": [28.7],
            "kg_per_day": [4000.0],
            "m3_per_day": [10.0],
        }
    )
    stations = pd.DataFrame({"station_id": ["S"], "lon": [104.61], "lat": [28.71]})
    tricycle = Vehicle("t", 100.0, 10.0, 20.0, 0.3, 150.0)
    with pytest.raises(InfeasibleError, match=r"P1 \(4,000 kg a day"):
        schedule_week(
            points,
            stations,
            vehicle=tricycle,
            working_days=("mon", "tue", "wed"),
            trucks_per_station=2,
            shift_start_min=480,
            shift_end_min=1050,
            dwell_min=30,
            unload_min=20,
            max_fill=1.0,
            detour_factor=1.3,
            params=RoutingParams(),
        )


def test_week_problem_from_a_siting_result_plans_every_open_point():
    """A week built from a siting result and the candidates' frame: every open point is
    on a sign, the hauls carry what the station takes in, each day passes the checker,
    and an unknown setting is named."""
    import geopandas as gpd

    from recyclenet import SitingProblem, WeekProblem, plan_week, solve_siting

    xy = gpd.points_from_xy
    villages = gpd.GeoDataFrame(
        {"settlement_id": ["v1", "v2", "v3", "v4"], "demand_t_per_day": [0.2, 0.3, 0.1, 0.25]},
        geometry=xy([104.60, 104.62, 104.70, 104.66], [28.75, 28.76, 28.80, 28.79]),
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["p1", "p2", "p3", "s1", "s2", "c1"],
            "tier": ["collection_point"] * 3 + ["transfer_station"] * 2 + ["sorting_centre"],
            "fixed_cost_cny_per_year": [6000, 6000, 6000, 40000, 90000, 600000],
            "capacity_t_per_day": [20, 20, 20, 50, 50, 150],
        },
        geometry=xy(
            [104.61, 104.69, 104.66, 104.65, 104.50, 104.66],
            [28.75, 28.80, 28.78, 28.77, 28.70, 28.78],
        ),
        crs="EPSG:4326",
    )
    problem = SitingProblem.from_geodataframes(
        villages,
        sites,
        max_access_km=3.0,
        counts={"collection_point": (1, 3), "transfer_station": 1, "sorting_centre": 1},
        cost_cny_per_tkm={"access": 5.0, "collection": 3.0, "haul": 1.0},
    )
    result = solve_siting(problem)
    open_points = set(result.facilities().query("tier == 'collection_point'")["site_id"])
    truck = Vehicle("tricycle", 500, 3, 25, 1.0, 150)
    week = WeekProblem.from_siting(
        result, sites.to_crs(3857), vehicle=truck, haul_vehicle=truck, working_days=("mon", "wed")
    )
    assert set(week.points["point_id"]) == open_points
    assert week.points["lon"].between(104.5, 104.8).all()  # read back in WGS-84
    plan = plan_week(week, RoutingParams(work_per_day=0.5))
    assert set(plan.signs()["point_id"]) == open_points
    assert all(check_day(d) == [] for d in plan.days)
    assert plan.working_days == ("mon", "wed")
    taken_kg = 1000 * sum(villages["demand_t_per_day"])
    assert plan.haul["kg_per_week"].sum() == pytest.approx(7 * taken_kg)
    with pytest.raises(TypeError, match="trucks_per_statoin"):
        WeekProblem.from_siting(result, sites, vehicle=truck, trucks_per_statoin=3)


def test_pyvrp_single_trips_leave_out_what_the_fleet_cannot_carry():
    """One truck of single trips (no unloading between stops) and two 600 kg stops that
    must be served: the one search over required stops finds no plan serving both, gives
    up at its share, and the day leaves one stop out and reports it; with two trucks
    both are served. The same plan with the same iterations."""
    one = dataclasses.replace(day([(3, 0), (6, 0)], [600, 600]), reload=False)
    params = RoutingParams(time_limit_s=30, engine="pyvrp", seed=0, max_iterations=400)
    left = solve_day(one, params)
    assert left.status == "feasible" and len(left.dropped) == 1 and check_day(left) == []
    assert solve_day(one, params).plan() == left.plan()
    two = dataclasses.replace(one, num_vehicles=2)
    both = solve_day(two, params)
    assert both.dropped == () and both.num_trucks == 2 and check_day(both) == []
