"""Input tables: their columns, their validation, and the validated :class:`Inputs`.

Validation collects every problem of a table (missing or misspelt columns, duplicate
ids, values that are not numbers or out of range) and raises one :class:`InputError`
naming file, row, column and value for each, before anything is solved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from recyclenet.candidates import default_candidates
from recyclenet.config import WEEKDAYS, Scenario, min_to_hhmm, parse_clock, parse_weekday
from recyclenet.errors import IN_MEMORY, InputError, InputProblem
from recyclenet.io import frame_as_read, read_table
from recyclenet.network.coords import is_geographic, to_wgs84
from recyclenet.outputs.i18n import t
from recyclenet.tables import (
    CANDIDATE_COLUMNS,
    FLEET_COLUMNS,
    POINT_ONLY_COLUMNS,
    SETTLEMENT_COLUMNS,
    Column,
    data_rows,
    require_columns,
    validate_table,
)


def _columns_for(columns: tuple[Column, ...], crs: str) -> tuple[Column, ...]:
    """Drop the degree ranges of lon/lat when the table is in a projected CRS."""
    if is_geographic(crs):
        return columns
    return tuple(
        replace(c, low=None, high=None) if c.name in ("lon", "lat") else c for c in columns
    )


def _to_wgs84(frame: pd.DataFrame, crs: str, file: str) -> pd.DataFrame:
    """Convert lon/lat from the declared system to WGS-84; check the result's range."""
    if crs.lower().replace("-", "") in ("wgs84", "epsg:4326"):
        return frame
    lon, lat = to_wgs84(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), crs)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            InputProblem(
                file,
                f"the coordinates do not convert from {crs} to WGS-84",
                f"check inputs.crs for this table (declared: {crs}) and the values",
                row=i + 1,
                column="lon/lat",
                value=f"{frame['lon'].iloc[i]}, {frame['lat'].iloc[i]}",
            )
        )
    out = frame.copy()
    out["lon"], out["lat"] = lon, lat
    return out


MIN_COST_CNY_PER_KM = 0.01
"""The least cost per km above 0 a vehicle may have (the solvers count in fen-like units)."""

# China's extent in WGS-84 degrees, with a margin (73.5-135.1 E, 3.8-53.6 N).
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def _outside_china(frame: pd.DataFrame, file: str) -> list[InputProblem]:
    """A problem for every row whose position lies outside China (lon and lat swapped, a
    sign lost, a projected value read as degrees)."""
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])

    out = ~inside(lon, lat)
    swapped = inside(lat, lon)
    return [
        InputProblem(
            file,
            f"the position lies outside China (longitude {CHINA_LON[0]:g}-{CHINA_LON[1]:g} E, "
            f"latitude {CHINA_LAT[0]:g}-{CHINA_LAT[1]:g} N, WGS-84 degrees)",
            "lon and lat look swapped: exchange the two columns"
            if swapped[i]
            else "check the coordinates and inputs.crs for this table",
            row=int(i) + 1,
            column="lon/lat",
            value=f"{frame['lon'].iloc[i]}, {frame['lat'].iloc[i]}",
        )
        for i in np.flatnonzero(out)
    ]


MAX_SITE_KM = 60.0
"""How far a candidate site may lie from its nearest settlement (straight line)."""


def _far_sites(
    settlements: pd.DataFrame, candidates: pd.DataFrame, file: str
) -> list[InputProblem]:
    """A problem for every candidate site more than :data:`MAX_SITE_KM` from the nearest
    settlement (a typo in a coordinate, a site of another county), named with it and the
    distance."""
    from scipy.spatial import cKDTree

    lat0 = float(np.radians(settlements["lat"].mean()))

    def xy(frame: pd.DataFrame) -> np.ndarray:
        lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
        return np.column_stack([lon * 111.32 * np.cos(lat0), lat * 110.574])

    km, nearest = cKDTree(xy(settlements)).query(xy(candidates))
    return [
        InputProblem(
            file,
            f"the site lies {km[i]:.0f} km from the nearest settlement "
            f"({settlements['name'].iloc[nearest[i]]}), more than {MAX_SITE_KM:g} km",
            "check its lon and lat (and inputs.crs), or remove the row",
            row=int(i) + 1,
            column="lon/lat",
            value=f"{candidates['lon'].iloc[i]}, {candidates['lat'].iloc[i]}",
        )
        for i in np.flatnonzero(km > MAX_SITE_KM)
    ]


def _point_windows(
    candidates: pd.DataFrame, scenario: Scenario, file: str, problems: list[InputProblem]
) -> pd.DataFrame:
    """The candidates with ``window_open_min`` and ``window_close_min`` (minutes after
    midnight; NaN: the shift's) from a collection point's ``window_start`` and
    ``window_end``; a time that is not one, a window that ends before it starts, lies
    outside the shift or is shorter than the truck's stay adds a problem."""
    rc = scenario.routing
    shift = (rc.shift_start_min, rc.shift_end_min)
    opens = np.full(len(candidates), np.nan)
    closes = np.full(len(candidates), np.nan)
    for i, (start, end) in enumerate(
        zip(candidates["window_start"], candidates["window_end"], strict=True)
    ):
        if candidates["tier"].iloc[i] != "collection_point" or (start == "" and end == ""):
            continue
        bounds: list[float | None] = []
        for col, text, default in (
            ("window_start", start, shift[0]),
            ("window_end", end, shift[1]),
        ):
            minutes = parse_clock(text) if text else default
            if minutes is None:
                problems.append(
                    InputProblem(
                        file,
                        "the value is not a time",
                        "write HH:MM, e.g. 16:30, or leave it empty for the shift's",
                        row=i + 1,
                        column=col,
                        value=text,
                    )
                )
            bounds.append(minutes)
        lo, hi = bounds
        if lo is None or hi is None:
            continue
        where = {"row": i + 1, "column": "window_end", "value": end or start}
        if hi <= lo:
            problems.append(
                InputProblem(
                    file,
                    f"the window ends ({min_to_hhmm(hi)}) before it starts ({min_to_hhmm(lo)})",
                    "swap the two times",
                    **where,
                )
            )
        elif hi - lo < rc.dwell_min:
            problems.append(
                InputProblem(
                    file,
                    f"the window {min_to_hhmm(lo)}-{min_to_hhmm(hi)} is shorter than the "
                    f"truck's stay (routing.dwell_min: {rc.dwell_min:g} min)",
                    "widen the window, or leave both times empty",
                    **where,
                )
            )
        elif max(lo, shift[0]) + rc.dwell_min > min(hi, shift[1]):
            problems.append(
                InputProblem(
                    file,
                    f"the window {min_to_hhmm(lo)}-{min_to_hhmm(hi)} leaves no stay within "
                    f"the shift {min_to_hhmm(shift[0])}-{min_to_hhmm(shift[1])}",
                    "move the window into the shift (routing.shift_start, shift_end)",
                    **where,
                )
            )
        opens[i], closes[i] = lo, hi
    # As HH:MM (an Excel time cell reads 16:30:00), for the outputs.
    shown = {
        col: [
            min_to_hhmm(m) if text and np.isfinite(m) else text
            for text, m in zip(candidates[col], minutes, strict=True)
        ]
        for col, minutes in (("window_start", opens), ("window_end", closes))
    }
    return candidates.assign(window_open_min=opens, window_close_min=closes, **shown)


_CATEGORY_SEPARATORS = re.compile(r"[;；,，、/\s]+")


def _centre_categories(
    candidates: pd.DataFrame, scenario: Scenario, file: str, problems: list[InputProblem]
) -> pd.DataFrame:
    """The candidates with ``categories`` as the scenario's category keys joined by
    ``;`` (a specialised sorting centre; empty: comprehensive). A category may be
    written as its key or its Chinese name; a row that is not a sorting centre, or a
    category the scenario does not have, is a problem."""
    known = list(scenario.demand.categories)
    by_name = {key: key for key in known} | {t(f"cat.{key}", "zh"): key for key in known}
    out = []
    for i, text in enumerate(candidates["categories"].fillna("").astype(str)):
        words = [w for w in _CATEGORY_SEPARATORS.split(text.strip()) if w]
        if words and candidates["tier"].iloc[i] != "sorting_centre":
            problems.append(
                InputProblem(
                    file,
                    "categories applies to sorting centres only (a specialised centre "
                    f"takes those); this row is a {candidates['tier'].iloc[i]}",
                    "leave categories empty on this row",
                    row=i + 1,
                    column="categories",
                    value=text,
                )
            )
        bad = [w for w in words if w not in by_name]
        for w in bad:
            problems.append(
                InputProblem(
                    file,
                    f"'{w}' is not a demand category of the scenario",
                    f"use one of {', '.join(known)} (or their Chinese names), separated by ; or 、",
                    row=i + 1,
                    column="categories",
                    value=text,
                )
            )
        keys = [by_name[w] for w in words if w in by_name]
        out.append(";".join(k for k in known if k in keys))
    return candidates.assign(categories=out)


def _text(value: object) -> str:
    """A parsed number as the user typed it (``3`` rather than ``3.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


@dataclass(frozen=True)
class Inputs:
    """Validated input tables.

    Attributes
    ----------
    settlements
        One row per village or community (columns of ``SETTLEMENT_COLUMNS``), point geometry.
    candidates
        One row per candidate site and tier (columns of ``CANDIDATE_COLUMNS``).
    fleet
        One row per vehicle type, indexed by ``vehicle_type``.
    files
        The path each table was read from, by table name.
    default_candidates
        Whether the candidates were made by :func:`recyclenet.candidates.default_candidates`
        (the planner listed none).
    """

    settlements: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    fleet: pd.DataFrame
    files: dict[str, str]
    default_candidates: bool = False


def _fleet_references(scenario: Scenario, fleet: pd.DataFrame, file: str) -> list[InputProblem]:
    """Problems with what the scenario says of the fleet: a vehicle type it names that
    the fleet table lacks, a forbidden-zones file that does not exist."""
    problems: list[InputProblem] = []
    types = set(fleet["vehicle_type"])
    for key in ("collection_vehicle", "haul_vehicle"):
        value = getattr(scenario.routing, key)
        if value not in types:
            problems.append(
                InputProblem(
                    file,
                    f"the scenario's routing.{key} '{value}' is not a vehicle_type in the fleet",
                    f"use one of {', '.join(sorted(types))} or add a row for it",
                    column="vehicle_type",
                    value=value,
                )
            )
    rc = scenario.routing
    for key, named in (
        ("collection_fleet", list(rc.collection_fleet or {})),
        ("road_rules", list(rc.road_rules)),
    ):
        for value in named:
            if value not in types:
                problems.append(
                    InputProblem(
                        file,
                        f"the scenario's routing.{key} names '{value}', which is not a "
                        "vehicle_type in the fleet",
                        f"use one of {', '.join(sorted(types))} or add a row for it",
                        column="vehicle_type",
                        value=value,
                    )
                )
    for vt, rules in rc.road_rules.items():
        zones = rules.forbidden_zones
        if zones is not None and not Path(zones).is_file():
            problems.append(
                InputProblem(
                    str(zones),
                    f"routing.road_rules.{vt}.forbidden_zones: the file does not exist",
                    "give the path of a GeoJSON or GeoPackage file of polygons, relative "
                    "to the scenario file",
                )
            )
    return problems


def load_inputs(scenario: Scenario, tables: Mapping[str, pd.DataFrame] | None = None) -> Inputs:
    """Read and validate the three tables a scenario names, and check them against each other.

    ``tables``: any of ``settlements``, ``candidates`` and ``fleet`` given in memory
    (DataFrames with the files' columns, or GeoDataFrames of points in any CRS),
    read instead of the scenario's files and checked the same way; messages name them
    ``settlements (DataFrame)`` and so on.

    Raises
    ------
    InputError
        Before any solving, for every problem found.
    """
    settlements, candidates, fleet, made_here, (file_s, file_c, file_f) = _read_tables(
        scenario, tables or {}
    )
    problems: list[InputProblem] = _far_sites(settlements, candidates, file_c)
    known = set(settlements["settlement_id"])
    for i, sid in enumerate(candidates["settlement_id"]):
        if sid and sid not in known:
            problems.append(
                InputProblem(
                    file_c,
                    "the candidate refers to a settlement that is not in the settlements table",
                    f"use a settlement_id from {file_s} or leave it empty",
                    row=i + 1,
                    column="settlement_id",
                    value=sid,
                )
            )
    is_point = (candidates["tier"] == "collection_point").to_numpy()
    n_days = len(scenario.routing.working_days)
    for col in POINT_ONLY_COLUMNS:
        given = (candidates[col].notna() & (candidates[col].astype(str) != "")).to_numpy()
        for i in np.flatnonzero(given & ~is_point).tolist():
            problems.append(
                InputProblem(
                    file_c,
                    f"{col} applies to collection points only; this row is a "
                    f"{candidates['tier'].iloc[i]}",
                    f"leave {col} empty on this row",
                    row=i + 1,
                    column=col,
                    value=_text(candidates[col].iloc[i]),
                )
            )
    for i in np.flatnonzero((candidates["visits_per_week"] > n_days).to_numpy()).tolist():
        problems.append(
            InputProblem(
                file_c,
                f"more visits a week than the {n_days} working days of routing.working_days",
                f"write at most {n_days}, or add working days to the scenario",
                row=i + 1,
                column="visits_per_week",
                value=_text(candidates["visits_per_week"].iloc[i]),
            )
        )
    candidates = _point_windows(candidates, scenario, file_c, problems)
    candidates = _centre_categories(candidates, scenario, file_c, problems)
    problems += _fleet_references(scenario, fleet, file_f)
    if problems:
        raise InputError(problems)
    return Inputs(
        default_candidates=made_here,
        settlements=_points(settlements),
        candidates=_points(candidates),
        fleet=fleet.set_index("vehicle_type", drop=False),
        files={
            "settlements": file_s,
            "candidates": file_c,
            "fleet": file_f,
        },
    )


def _read_tables(
    scenario: Scenario, tables: Mapping[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, bool, tuple[str, str, str]]:
    """The settlements, candidates (made here where none are listed: ``made_here``) and
    fleet, each from its file or from ``tables``, checked on its own, with the names
    messages give them."""
    paths = scenario.inputs
    unknown = sorted(set(tables) - {"settlements", "candidates", "fleet"})
    if unknown:
        raise ValueError(f"unknown tables {unknown}: give settlements, candidates or fleet")

    def raw(name: str, path: Path) -> tuple[pd.DataFrame, str]:
        if name in tables:
            return frame_as_read(tables[name]), f"{name}{IN_MEMORY}"
        return read_table(path), str(path)

    crs_s = paths.crs.get("settlements", "wgs84")
    crs_c = paths.crs.get("candidates", "wgs84")
    if "settlements" in tables and hasattr(tables["settlements"], "to_crs"):
        crs_s = "wgs84"  # (read from the geometries)
    if "candidates" in tables and hasattr(tables["candidates"], "to_crs"):
        crs_c = "wgs84"
    raw_s, file_s = raw("settlements", paths.settlements)
    raw_c, file_c = raw("candidates", paths.candidates)
    raw_f, file_f = raw("fleet", paths.fleet)
    settlements = validate_table(raw_s, _columns_for(SETTLEMENT_COLUMNS, crs_s), file_s)
    settlements = _to_wgs84(settlements, crs_s, file_s)
    made_here = data_rows(raw_c, CANDIDATE_COLUMNS, file_c) == 0
    if made_here:
        # None listed: every settlement, township seat and best-placed seat a candidate.
        made = default_candidates(settlements).astype(str)
        candidates = validate_table(made, CANDIDATE_COLUMNS, file_c)
    else:
        candidates = validate_table(raw_c, _columns_for(CANDIDATE_COLUMNS, crs_c), file_c)
        candidates = _to_wgs84(candidates, crs_c, file_c)
    outside = _outside_china(settlements, file_s)
    outside += _outside_china(candidates, file_c)
    if outside:
        raise InputError(outside)
    fleet = validate_table(raw_f, FLEET_COLUMNS, file_f)
    tiny = (fleet["cost_cny_per_km"] > 0) & (fleet["cost_cny_per_km"] < MIN_COST_CNY_PER_KM)
    if tiny.any():
        raise InputError(
            [
                InputProblem(
                    file_f,
                    f"the cost per km is above 0 but below {MIN_COST_CNY_PER_KM:g} CNY",
                    "write 0 for a vehicle with no cost per km, or its cost in CNY per km",
                    row=int(i) + 1,
                    column="cost_cny_per_km",
                    value=str(fleet["cost_cny_per_km"].iloc[i]),
                )
                for i in np.flatnonzero(tiny.to_numpy())
            ]
        )
    return settlements, candidates, fleet, made_here, (file_s, file_c, file_f)


KEPT_TIMETABLE_COLUMNS: tuple[Column, ...] = (
    Column("point_id", "str", meaning="collection point id"),
    Column("day", "str", meaning="mon ... sun"),
    Column("slot", "str", meaning="the time on the point's sign, HH:MM"),
)


@dataclass(frozen=True)
class KeptTimetable:
    """A published timetable to keep, as read by :func:`read_kept_timetable`.

    Attributes
    ----------
    days
        The visit days of each point (indices into the working days; a point with a day
        no longer worked keeps none).
    signs
        The times on its signs by ``(point_id, load)``: its distinct sign times in order,
        minutes after midnight.
    day_signs
        The times its visits kept on each working day by ``(point_id, day)``, in order,
        one per load that day.
    rounds
        The published trucks' rounds by working day: each truck's id, its vehicle type
        (``""`` where the table has none) and its stops in order of arrival as
        ``(point_id, trip, arrival_min)``. Empty where the table lacks the ``truck``,
        ``trip`` or ``arrival`` column (a timetable typed by hand) or where any of their
        values is not one (then no round is trusted); used only to offer the published
        week as a plan (see :func:`recyclenet.routing.solve_week`).
    """

    days: dict[str, tuple[int, ...]]
    signs: dict[tuple[str, int], float]
    day_signs: dict[tuple[str, str], tuple[float, ...]]
    rounds: dict[str, list[tuple[str, str, list[tuple[str, int, float]]]]]


def read_kept_timetable(path: Path, working_days: tuple[str, ...]) -> KeptTimetable:
    """A published timetable to keep (``timetable.csv`` of an earlier run), read once.

    Raises
    ------
    InputError
        When the file cannot be read, lacks a column, or a row's day or time is not one,
        naming the row, column and value.
    """
    file = str(path)
    if not path.is_file():
        raise InputError(
            InputProblem(
                file,
                "the timetable to keep does not exist",
                "give the timetable.csv of an earlier `recyclenet run`, or remove "
                "routing.keep_timetable",
            )
        )
    raw = read_table(path)
    present = [str(c).strip() for c in raw.columns]
    require_columns(present, KEPT_TIMETABLE_COLUMNS, file)
    table = raw.set_axis(present, axis=1).fillna("").astype(str)
    problems: list[InputProblem] = []
    days: dict[str, set[str]] = {}
    signs: dict[str, set[float]] = {}
    by_day: dict[tuple[str, str], list[float]] = {}
    for i, r in enumerate(table.itertuples(index=False), start=1):
        pid, day, slot = str(r.point_id).strip(), str(r.day).strip(), str(r.slot).strip()
        weekday = parse_weekday(day)
        minutes = parse_clock(slot)
        if weekday is None:
            problems.append(
                InputProblem(
                    file, "not a weekday", f"write one of {', '.join(WEEKDAYS)}", i, "day", day
                )
            )
        if minutes is None:
            problems.append(InputProblem(file, "not a clock time", "write HH:MM", i, "slot", slot))
        if weekday is None or minutes is None:
            continue
        days.setdefault(pid, set()).add(weekday)
        signs.setdefault(pid, set()).add(float(minutes))
        if weekday in working_days:
            by_day.setdefault((pid, weekday), []).append(float(minutes))
    if problems:
        raise InputError(problems)
    return KeptTimetable(
        days={
            pid: tuple(sorted(working_days.index(d) for d in ds))
            for pid, ds in days.items()
            if ds <= set(working_days)
        },
        signs={(pid, k): m for pid, ms in signs.items() for k, m in enumerate(sorted(ms))},
        day_signs={key: tuple(sorted(times)) for key, times in by_day.items()},
        rounds=_published_rounds(table, working_days),
    )


def _published_rounds(
    table: pd.DataFrame, working_days: tuple[str, ...]
) -> dict[str, list[tuple[str, str, list[tuple[str, int, float]]]]]:
    """The rounds of :attr:`KeptTimetable.rounds` from the timetable's text cells."""
    if not {"truck", "trip", "arrival"} <= set(table.columns):
        return {}
    if "vehicle_type" not in table.columns:
        table = table.assign(vehicle_type="")
    rows = []
    for r in table.itertuples(index=False):
        weekday, arrival = parse_weekday(r.day.strip()), parse_clock(r.arrival.strip())
        trip, truck = r.trip.strip(), r.truck.strip()
        if weekday is None or arrival is None or not trip.isdigit() or not truck:
            return {}
        if weekday in working_days:
            rows.append(
                (weekday, truck, r.vehicle_type.strip(), arrival, int(trip), r.point_id.strip())
            )
    out: dict[str, dict[tuple[str, str], list[tuple[str, int, float]]]] = {}
    for weekday, truck, vtype, arrival, trip, pid in sorted(rows):
        out.setdefault(weekday, {}).setdefault((truck, vtype), []).append((pid, trip, arrival))
    return {
        day: [(truck, vtype, stops) for (truck, vtype), stops in sorted(trucks.items())]
        for day, trucks in out.items()
    }
