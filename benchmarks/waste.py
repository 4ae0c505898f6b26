"""Waste-collection routing benchmarks through the project's own daily model.

``python -m benchmarks wcvrptw FILE --time-limit-s S [--seed N]``: Kim, Kim & Sahoo (2006)
waste collection VRP with time windows (``../shared/data/routing/wcvrptw_kim2006/``).
Each truck starts at the depot, collects, must empty at one of the landfills (each with
its own unloading time and opening hours) before it drives home empty, may go out again
after a landfill visit, takes a lunch break starting between 11:00 and 12:00, and may
collect at most the instance's yardage per day. Travel is Manhattan distance at the
instance's speed (mph), as the data's description recommends. Loads are cubic yards
(carried in the model's ``kg`` field; units do not matter to it).

The model is :class:`recyclenet.routing.DayProblem` with the landfills as unload sites and
the depot as a site where nobody unloads; it goes to OR-Tools (PyVRP models neither lunch
nor trucks that must end empty). Vehicles are weighted far above miles (one vehicle =
``VEHICLE_MILES`` miles), as Kim et al. count vehicles first. Kim et al.'s own results for
five instances (as quoted in SOURCES.md, unchecked against the paper) are printed beside
ours: ``kim_vehicles`` / ``kim_miles`` per algorithm.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from benchmarks import contract_parser
from recyclenet.routing import DayProblem, RoutingParams, TruckGroup, Vehicle, check_day, solve_day

VEHICLE_MILES = 1000.0
# (vehicles, travel distance in miles) of Kim et al.'s algorithm 1 and 2, SOURCES.md.
KIM = {
    "102_stop": ((2, 218.4), (3, 205.1)),
    "277_stop": ((3, 521.9), (3, 527.3)),
    "335_stop": ((5, 191.1), (6, 205.0)),
    "444_stop": ((10, 82.9), (11, 87.0)),
    "804_stop": ((5, 798.9), (5, 769.5)),
}


def _hhmm(text: str) -> float:
    value = int(float(text))
    return (value // 100) * 60 + value % 100


def read_kim(path: Path) -> dict:
    """A Kim et al. instance: header values, then the depot, landfills and stops."""
    lines = path.read_text(encoding="latin-1").splitlines()
    head = [float(line.split("//")[0].split()[0]) for line in lines[:5]]
    rows = [line.split() for line in lines[6:] if line.strip()]
    rows = [r[:8] for r in rows if len(r) >= 8]
    kind = np.array([int(float(r[7])) for r in rows])
    xy_ft = np.array([[float(r[1]), float(r[2])] for r in rows])
    return {
        "name": path.stem,
        "vehicle_capacity": head[0],
        "daily_capacity": head[1],
        "max_stops": int(head[2]),
        "lunch_min": head[3] / 60.0,
        "speed_mph": head[4],
        "kind": kind,
        "xy_mi": xy_ft / 5280.0,
        "early_min": np.array([_hhmm(r[3]) for r in rows]),
        "late_min": np.array([_hhmm(r[4]) for r in rows]),
        "service_min": np.array([float(r[5]) / 60.0 for r in rows]),
        "load": np.array([float(r[6]) for r in rows]),
    }


def to_day_problem(inst: dict) -> DayProblem:
    """Depot (site 0), stops, then landfills as unload sites; Manhattan miles."""
    kind = inst["kind"]
    depot = int(np.flatnonzero(kind == 0)[0])
    stops = np.flatnonzero(kind == 1)
    fills = np.flatnonzero(kind == 2)
    order = np.r_[depot, stops, fills]
    xy = inst["xy_mi"][order]
    miles = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    minutes = miles / inst["speed_mph"] * 60.0
    loads = inst["load"][stops]
    # Kim et al. do not limit the fleet: enough trucks for the yardage limit, for two
    # loads each, and for half as much again as the stops' service time fills, with
    # three to spare (on 1932_stop the first two alone gave 18 trucks, all used, and
    # two stops dropped).
    day_min = inst["late_min"][depot] - inst["early_min"][depot] - inst["lunch_min"]
    trucks = (
        max(
            math.ceil(loads.sum() / inst["daily_capacity"]),
            math.ceil(loads.sum() / (2 * inst["vehicle_capacity"])),
            math.ceil(1.5 * inst["service_min"][stops].sum() / day_min),
        )
        + 3
    )
    vehicle = Vehicle(
        "packer",
        payload_kg=inst["vehicle_capacity"],
        volume_m3=1e9,
        speed_kmh=inst["speed_mph"],  # unused: times are given
        cost_cny_per_km=1.0,
        fixed_cost_cny_per_day=VEHICLE_MILES,
    )
    return DayProblem(
        base_id="depot",
        day="kim",
        stop_ids=tuple(str(i) for i in stops),
        load_kg=loads,
        load_m3=np.zeros(len(stops)),
        dwell_min=inst["service_min"][stops],
        distance_km=miles,
        time_min=minutes,
        vehicle=vehicle,
        num_vehicles=trucks,
        fleet=(TruckGroup(vehicle, trucks),),
        shift_start_min=float(inst["early_min"][depot]),
        shift_end_min=float(inst["late_min"][depot]),
        unload_min=0.0,
        window_open_min=inst["early_min"][stops],
        window_close_min=inst["late_min"][stops],
        lunch=(660.0, 720.0, inst["lunch_min"]),
        sites=tuple(f"landfill {i}" for i in fills),
        unload_at=tuple(range(1, len(fills) + 1)),
        site_unload_min=(0.0, *inst["service_min"][fills]),
        max_kg_per_truck_day=inst["daily_capacity"],
        site_hours_min=(
            (float(inst["early_min"][depot]), float(inst["late_min"][depot])),
            *((float(inst["early_min"][k]), float(inst["late_min"][k])) for k in fills),
        ),
    )


def main_wcvrptw(argv: list[str]) -> None:
    """``wcvrptw``: Kim et al. (2006) waste collection with landfills and lunch."""
    args = contract_parser("wcvrptw", 60.0).parse_args(argv)
    inst = read_kim(args.instance)
    day = to_day_problem(inst)
    t0 = time.perf_counter()
    result = solve_day(day, RoutingParams(time_limit_s=args.time_limit_s, seed=args.seed))
    runtime = time.perf_counter() - t0
    issues = check_day(result)
    stops_per_truck = [sum(e.kind == "stop" for e in r) for r in result.routes]
    over_stops = any(k > inst["max_stops"] for k in stops_per_truck)
    feasible = result.status == "feasible" and not result.dropped and not issues and not over_stops
    miles = result.distance_km()
    kim = KIM.get(inst["name"])
    out = {
        "instance": inst["name"],
        "problem": "wcvrptw",
        "status": "feasible" if feasible else "infeasible",
        "objective": round(result.num_trucks * VEHICLE_MILES + miles, 2),
        "bound": None,
        "runtime_s": round(runtime, 2),
        "vehicles": result.num_trucks,
        "vehicles_lower_bound": int(
            math.ceil(
                day.load_kg.sum() / min(inst["daily_capacity"], day.load_kg.sum() or 1) - 1e-9
            )
        ),
        "distance": round(miles, 2),
        "stops": day.num_stops,
        "landfills": len(day.sites),
        "dropped": len(result.dropped),
        "check_issues": len(issues),
        "check_issue_samples": issues[:3],
        "max_stops_per_truck": max(stops_per_truck, default=0),
        "landfill_trips": sum(e.kind == "unload" for r in result.routes for e in r),
        "kim_alg1": list(kim[0]) if kim else None,
        "kim_alg2": list(kim[1]) if kim else None,
        "beats_kim": (
            any(result.num_trucks < v or (result.num_trucks <= v and miles < d) for v, d in kim)
            if kim and feasible
            else None
        ),
        "seed": args.seed,
        "time_limit_s": args.time_limit_s,
    }
    print(json.dumps(out))
