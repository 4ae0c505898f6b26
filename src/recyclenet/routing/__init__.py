"""Truck-as-depot routing: weekly schedule, daily routes with unload trips, hauls."""

from recyclenet.routing.day import RoutingParams, solve_day
from recyclenet.routing.plan import schedule_week
from recyclenet.routing.problem import DayProblem, TruckGroup, Vehicle
from recyclenet.routing.result import DayResult, Event, check_day
from recyclenet.routing.schedule import PointVisits, assign_days, day_patterns, visit_frequency
from recyclenet.routing.timetable import WeekPlan, haul_trips
from recyclenet.routing.week import solve_week
from recyclenet.routing.week_problem import WeekProblem, plan_week

__all__ = [
    "DayProblem",
    "DayResult",
    "Event",
    "PointVisits",
    "RoutingParams",
    "TruckGroup",
    "Vehicle",
    "WeekPlan",
    "WeekProblem",
    "assign_days",
    "check_day",
    "day_patterns",
    "haul_trips",
    "plan_week",
    "schedule_week",
    "solve_day",
    "solve_week",
    "visit_frequency",
]
