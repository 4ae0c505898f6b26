"""Booked door pickups (预约上门): the bookings table, read row by row.

A dispatcher's table is never all bad: a row with an unknown point, a window that has
already closed or an item no truck can carry is set aside with its row number and the
reason, and every other row is still planned. Only a table that cannot be read at all
(a required column missing) raises :class:`~recyclenet.errors.InputError`.

Columns
-------
Headers may also be the Chinese names a dispatcher types (``预约编号``, ``回收点编号``,
``开始时间``, ``重量（公斤）`` ...: :data:`BOOKING_COLUMNS` lists them), in any case, spacing
or width of brackets; a row set aside names its column as the table writes it.

``booking_id``
    Unique id of the booking.
``point_id``
    The collection point whose truck serves the household (an id in the planned network).
``day``
    Optional: working day (``mon`` ... ``sun``, ``Monday``, ``周一``, ``星期一``); rows for
    other days are skipped. Empty or absent: the day being planned.
``window_start``, ``window_end``
    Time window of the pickup, ``HH:MM`` (an Excel time cell works too).

A row with every cell empty is not a booking and is passed over.
``kg``, ``m3``
    Weight and loose volume of what is picked up.
``deliver_kg``, ``deliver_m3``
    Optional: weight and volume of a new appliance the truck brings to the door
    (deliver new, collect old, 送新收旧), loaded at the station when the trip starts;
    empty: nothing to deliver.
``handling_min``
    Optional: minutes at the door (default 10).
``lon``, ``lat``
    Optional: the door's WGS-84 position; empty: the point's position.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from recyclenet.config import parse_clock, parse_weekday
from recyclenet.io import read_table
from recyclenet.tables import Column, canonical_headers, require_columns

DEFAULT_HANDLING_MIN = 10.0

BOOKING_COLUMNS: tuple[Column, ...] = (
    Column("booking_id", "str", meaning="booking id", aliases=("预约编号", "预约号", "订单号")),
    Column(
        "point_id",
        "str",
        meaning="collection point id from the planned network",
        aliases=("回收点编号", "网点编号"),
    ),
    Column("day", "str", required=False, meaning="mon ... sun or 周一 ... 周日", aliases=("星期",)),
    Column("window_start", "str", meaning="HH:MM", aliases=("开始时间", "时间窗开始")),
    Column("window_end", "str", meaning="HH:MM", aliases=("结束时间", "时间窗结束")),
    Column("kg", "str", meaning="weight picked up", aliases=("重量（公斤）", "重量", "重量(kg)")),
    Column(
        "m3",
        "str",
        meaning="loose volume picked up",
        aliases=("体积（立方米）", "体积", "体积(m3)"),
    ),
    Column(
        "deliver_kg",
        "str",
        required=False,
        meaning="weight delivered (送新收旧)",
        aliases=("送新重量（公斤）", "送新重量"),
    ),
    Column(
        "deliver_m3",
        "str",
        required=False,
        meaning="volume delivered (送新收旧)",
        aliases=("送新体积（立方米）", "送新体积"),
    ),
    Column(
        "handling_min",
        "str",
        required=False,
        meaning="minutes at the door",
        aliases=("上门时长（分钟）", "上门时长"),
    ),
    Column("lon", "str", required=False, aliases=("经度",)),
    Column("lat", "str", required=False, aliases=("纬度",)),
)


@dataclass(frozen=True)
class BookingTable:
    """The bookings of one day, split into those to plan and those set aside.

    Attributes
    ----------
    accepted
        Columns ``row`` (1-based data row), ``booking_id``, ``point_id``,
        ``window_open_min``, ``window_close_min``, ``kg``, ``m3``, ``deliver_kg``,
        ``deliver_m3`` (0: nothing delivered), ``handling_min``, ``lon``, ``lat`` (NaN: at
        the point).
    rejected
        Columns ``row``, ``line`` (the row's line in the file, its row number in Excel:
        ``row + 1``), ``booking_id``, ``column``, ``value``, ``reason`` (English) and
        ``reason_zh``.
    skipped
        Rows booked for another day (count).
    """

    file: str
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    skipped: int


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


class _Rejection(NamedTuple):
    column: str
    value: str
    reason: str
    reason_zh: str


def _judge(
    r: pd.Series,
    *,
    booked_day: str,
    first_row: int | None,
    point_ids: set[str],
    earliest_min: float,
    shift_end_min: float,
    max_kg: float,
    max_m3: float,
) -> dict | _Rejection:
    """One row of the day: its plannable values, or the first reason to set it aside."""
    bid = str(r["booking_id"]).strip()
    if booked_day and parse_weekday(booked_day) is None:
        return _Rejection(
            "day",
            booked_day,
            "not a weekday; write mon ... sun or 周一 ... 周日",
            "不是星期几，请写 周一…周日 或 mon…sun",
        )
    if not bid:
        return _Rejection("booking_id", "", "the booking id is empty", "预约编号为空")
    if first_row is not None:
        return _Rejection(
            "booking_id",
            bid,
            f"duplicate booking id, already used in row {first_row}",
            f"预约编号重复（第 {first_row} 行已用）",
        )
    pid = str(r["point_id"]).strip()
    if pid not in point_ids:
        close = difflib.get_close_matches(pid, sorted(point_ids), n=1)
        return _Rejection(
            "point_id",
            pid,
            "unknown collection point" + (f"; did you mean {close[0]}?" if close else ""),
            "回收点编号不存在" + (f"，是否为 {close[0]}？" if close else ""),
        )
    window = []
    for col in ("window_start", "window_end"):
        text = str(r[col]).strip()
        minutes = parse_clock(text)
        if minutes is None:
            return _Rejection(col, text, "not a clock time; write HH:MM", "时间格式应为 HH:MM")
        window.append(float(minutes))
    lo, hi = window
    if hi < lo:
        return _Rejection(
            "window_end",
            str(r["window_end"]),
            "the window ends before it starts",
            "时间窗结束早于开始",
        )
    if hi < earliest_min:
        return _Rejection(
            "window_end", str(r["window_end"]), "the window is already past", "时间窗已过"
        )
    if lo > shift_end_min:
        return _Rejection(
            "window_start",
            str(r["window_start"]),
            "the window opens after the shift ends",
            "时间窗开始晚于收运班次结束",
        )
    values: dict[str, float] = {}
    defaults = {"handling_min": DEFAULT_HANDLING_MIN, "deliver_kg": 0.0, "deliver_m3": 0.0}
    for col in ("kg", "m3", "deliver_kg", "deliver_m3", "handling_min"):
        text = str(r[col]).strip()
        default = defaults.get(col)
        number = default if text == "" and default is not None else _number(text)
        if number is None or number < 0:
            return _Rejection(col, text, "not a non-negative number", "应为非负数")
        if col == "handling_min" and number > shift_end_min - earliest_min:
            return _Rejection(
                col,
                text,
                "the handling time is longer than the shift",
                "上门时长超过收运班次",
            )
        values[col] = number
    for kg, m3, what, what_zh in (
        ("kg", "m3", "", ""),
        ("deliver_kg", "deliver_m3", "the delivered item is ", "送达的新品"),
    ):
        if values[kg] > max_kg or values[m3] > max_m3:
            return _Rejection(
                kg if values[kg] > max_kg else m3,
                f"{values[kg]:g} kg, {values[m3]:g} m3",
                f"{what}larger than every truck ({max_kg:g} kg, {max_m3:g} m3 usable)",
                f"{what_zh}超过所有车辆的可用载重/容积（{max_kg:g} kg，{max_m3:g} m³）",
            )
    lon, lat = _number(str(r["lon"]).strip()), _number(str(r["lat"]).strip())
    if (lon is None) != (lat is None) or (
        lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)
    ):
        return _Rejection(
            "lon/lat",
            f"{r['lon']}, {r['lat']}",
            "give both lon and lat in WGS-84 degrees, or leave both empty",
            "经纬度须同时填写（WGS-84），或都留空",
        )
    return {
        "point_id": pid,
        "window_open_min": max(lo, earliest_min),
        "window_close_min": hi,
        "kg": values["kg"],
        "m3": values["m3"],
        "deliver_kg": values["deliver_kg"],
        "deliver_m3": values["deliver_m3"],
        "handling_min": values["handling_min"],
        "lon": np.nan if lon is None else lon,
        "lat": np.nan if lat is None else lat,
    }


def read_bookings(
    path: str | Path,
    *,
    day: str,
    point_ids: set[str],
    earliest_min: float,
    shift_end_min: float,
    max_kg: float,
    max_m3: float,
) -> BookingTable:
    """Read and check a bookings table (CSV or Excel) for one day.

    Parameters
    ----------
    path
        The table.
    day
        The day planned (``mon`` ...).
    point_ids
        Collection points of the planned network.
    earliest_min
        Now (or the shift start when planning ahead): windows closing before are past.
    shift_end_min
        End of the shift: windows opening after it cannot be served.
    max_kg, max_m3
        Usable payload and volume of the largest truck: larger items cannot be carried.

    Raises
    ------
    InputError
        When the table cannot be read: a required column missing. A table with no rows
        (or only empty ones) is a day with no bookings.
    """
    file = str(path)
    raw = read_table(path)
    typed = [str(c).strip() for c in raw.columns]
    present = canonical_headers(typed, BOOKING_COLUMNS, file)
    header = dict(zip(present, typed, strict=True))  # a column's header as typed
    require_columns(present, BOOKING_COLUMNS, file)
    # (a table of headers alone books nothing: the day's published stops are planned alone)
    # Every value is read as text and judged row by row below.
    table = raw.set_axis(present, axis=1).fillna("").astype(str).reset_index(drop=True)
    for col in BOOKING_COLUMNS:
        if col.name not in table:
            table[col.name] = ""
    accepted, rejected = [], []
    seen: dict[str, int] = {}
    skipped = 0
    for i, r in table.iterrows():
        row = int(i) + 1
        if not "".join(r.to_numpy(str)).strip():
            continue  # an empty row (a template's formatted lines, a gap) books nothing
        bid = str(r["booking_id"]).strip()
        booked_day = str(r["day"]).strip()
        weekday = parse_weekday(booked_day)
        if weekday is not None and weekday != day:
            skipped += 1
            continue
        verdict = _judge(
            r,
            booked_day=booked_day,
            first_row=seen.get(bid),
            point_ids=point_ids,
            earliest_min=earliest_min,
            shift_end_min=shift_end_min,
            max_kg=max_kg,
            max_m3=max_m3,
        )
        rejected_for = verdict.column if isinstance(verdict, _Rejection) else None
        if rejected_for not in ("day", "booking_id"):
            seen[bid] = row  # the id is taken, even when the row is set aside later
        if isinstance(verdict, _Rejection):
            typed_column = "/".join(header.get(c, c) for c in verdict.column.split("/"))
            verdict = verdict._replace(column=typed_column)
            rejected.append({"row": row, "line": row + 1, "booking_id": bid, **verdict._asdict()})
        else:
            accepted.append({"row": row, "booking_id": bid, **verdict})
    columns_ok = ["row", "booking_id", "point_id", "window_open_min", "window_close_min"]
    columns_ok += ["kg", "m3", "deliver_kg", "deliver_m3", "handling_min", "lon", "lat"]
    columns_bad = ["row", "line", "booking_id", "column", "value", "reason", "reason_zh"]
    return BookingTable(
        file=file,
        accepted=pd.DataFrame(accepted, columns=columns_ok),
        rejected=pd.DataFrame(rejected, columns=columns_bad),
        skipped=skipped,
    )


__all__ = ["BOOKING_COLUMNS", "BookingTable", "read_bookings"]
