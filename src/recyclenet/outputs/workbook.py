"""Excel workbooks (openpyxl): the run workbook, the bookings template, the dispatcher's
day and the comparison workbook."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from recyclenet.bookings import BOOKING_COLUMNS
from recyclenet.config import min_to_hhmm
from recyclenet.kpi import stations_frame
from recyclenet.outputs.i18n import t, visits_basis_text
from recyclenet.outputs.maps import day_label, sign_labels
from recyclenet.outputs.report import (
    STATION_ROWS,
    KpiRow,
    format_value,
    kpi_value,
    route_sheet_columns,
    shown_rows,
    station_cells,
    truck_days,
)

if TYPE_CHECKING:
    from recyclenet.dispatch import Dispatch
    from recyclenet.pipeline import ScenarioResult

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
BEST_FILL = PatternFill("solid", fgColor="C6EFCE")


_BAD_TITLE = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _title(text: str) -> str:
    """A sheet title Excel accepts: no ``[]:*?/\\``, at most 31 characters."""
    return text.translate(_BAD_TITLE).strip("'")[:31] or "_"


def _save(wb: Workbook, path: str | Path) -> None:
    """Save with every text that begins like a formula (``=``, ``+``, ``-``, ``@``)
    stored as text: a name ``=1+1`` from a table never becomes a live formula."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    cell.data_type = "s"
    wb.save(path)


KPI_FORMATS = {"pct": "0.00%", "int": "#,##0", "float": "#,##0.00"}
"""Excel number formats of the KPI kinds (a share is stored as a fraction)."""


def kpi_cell(value: Any, row: Any, lang: str) -> Any:
    """A KPI value as a workbook cell: numbers stay numbers (their format set by
    :func:`_number_formats`), text in ``lang``, ``–`` where absent."""
    if value is None:
        return "–"
    if row.kind == "text" or not isinstance(value, int | float):
        return format_value(value, row, lang)
    return round(float(value)) if row.kind == "int" else float(value)


def _number_formats(ws: Any, columns: list[int], rows: list[KpiRow]) -> None:
    """Thousands separators (and percentages on the KPI rows that are shares) on the
    numeric cells of ``columns``, row by row after the KPI row's kind (``rows``: the
    rows the sheet shows, from its second row)."""
    for r, row in enumerate(rows, start=2):
        fmt = KPI_FORMATS.get(row.kind)
        for c in columns:
            cell = ws.cell(row=r, column=c)
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title=_title(title))
    ws.append(header)
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200]]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(40, max(8, width))


def _stations_sheet(
    wb: Workbook, runs: list[tuple[str | None, Mapping[str, Any]]], lang: str
) -> None:
    """The transfer stations sheet: the ``stations`` of each ``(scenario, kpis)``, the
    scenario's name first in each row where one is given, capacity used as a percentage;
    no sheet where no run has them (runs written before they were reported)."""
    rows: list[list[Any]] = []
    header: list[str] = []
    named = any(name is not None for name, _ in runs)
    for name, kpis in runs:
        table = stations_frame(kpis)
        if table is None:
            continue
        header, cells = station_cells(table, lang)
        rows.extend([name, *row] if named else row for row in cells)
    if not rows:
        return
    _sheet(wb, t("sheet.stations", lang), [t("cmp.scenario", lang)] * named + header, rows)
    share = [kind for _, _, kind in STATION_ROWS].index("pct") + 1 + named
    sheet = wb[t("sheet.stations", lang)]
    for (cell,) in sheet.iter_rows(min_row=2, min_col=share, max_col=share):
        cell.number_format = "0.0%"


def run_workbook(result: ScenarioResult, path: str | Path, *, lang: str) -> None:
    """``workbook.xlsx``: KPIs, the transfer stations (``kpis.json`` ``stations``),
    facilities, assignments, the weekly timetable grid (village x weekday) and one route
    sheet per truck and day; headers in ``lang``."""
    wb = Workbook()
    wb.remove(wb.active)
    k = result.kpis.to_dict()
    _sheet(
        wb,
        t("sheet.kpis", lang),
        [t("col.indicator", lang), t("col.value", lang)],
        [[t(r.key, lang), kpi_cell(kpi_value(k, r), r, lang)] for r in shown_rows(k)],
    )
    _number_formats(wb[_title(t("sheet.kpis", lang))], [2], shown_rows(k))
    _stations_sheet(wb, [(None, k)], lang)
    sites = result.sites
    names = sites.set_index("site_id")["name"]
    _sheet(
        wb,
        t("sheet.facilities", lang),
        [
            t(c, lang)
            for c in (
                "col.tier",
                "col.site_id",
                "col.name",
                "col.lon",
                "col.lat",
                "col.throughput",
                "col.capacity",
                "col.fixed_cost",
                "col.existing",
                "col.parent",
                "col.operator",
                "col.categories",
            )
        ],
        [
            [
                t(f["tier"], lang),
                f["site_id"],
                f["name"],
                round(f["lon"], 6),
                round(f["lat"], 6),
                round(f["throughput_t_per_day"], 3),
                f["capacity_t_per_day"],
                f["fixed_cost_cny_per_year"],
                "是" if f["existing"] and lang == "zh" else ("yes" if f["existing"] else ""),
                names.get(f["parent_site_id"], ""),
                str(f.get("operator", "") or ""),
                str(f.get("categories", "") or ""),
            ]
            for _, f in sites.iterrows()
        ],
    )
    st = result.inputs.settlements
    assign = result.siting.assignments()
    demand = result.demand
    _sheet(
        wb,
        t("sheet.assignments", lang),
        [
            t(c, lang)
            for c in (
                "col.site_id",
                "col.settlement",
                "col.township",
                "col.population",
                "col.kg_day",
                "col.point",
                "col.access_km",
            )
        ],
        [
            [
                s["settlement_id"],
                s["name"],
                s["township"],
                int(s["population"]),
                round(float(demand["demand_kg_per_day"].iloc[i]), 1),
                names.get(assign["point_id"].iloc[i], ""),
                round(float(assign["access_km"].iloc[i]), 2),
            ]
            for i, (_, s) in enumerate(st.iterrows())
        ],
    )
    _timetable_sheet(wb, result, names, lang)
    # Route sheets, one per truck and day.
    _route_sheets(
        wb,
        [
            (
                route_sheet_title(names.get(base, base), day, truck, lang),
                route.assign(name=route["site_id"].map(lambda s: names.get(s, s))),
            )
            for base, truck, day, route in truck_days(result)
        ],
        lang,
    )
    _save(wb, path)


def _timetable_sheet(wb: Workbook, result: ScenarioResult, names: pd.Series, lang: str) -> None:
    """The timetable grid: one row per point (its township, station, visits a week, what
    set them, its sign), one column per working day with the day's visits."""
    sites = result.sites
    tt = result.week.timetable()
    days = list(result.week.working_days)
    grid: dict[str, dict[str, list[str]]] = {}
    for _, row in tt.sort_values(["point_id", "day", "arrival"]).iterrows():
        grid.setdefault(row["point_id"], {}).setdefault(row["day"], []).append(
            f"{row['arrival']}–{row['departure']}"
        )
    signs = sign_labels(tt, lang)
    town = result.point_townships()
    points = sites[sites["tier"] == "collection_point"]
    rows = []
    for _, p in points.iterrows():
        cells = grid.get(p["site_id"], {})
        rows.append(
            [
                p["name"],
                town.get(p["site_id"], ""),
                names.get(p["parent_site_id"], ""),
                sum(1 for d in days if d in cells),
                visits_basis_text(result.week.visits.get(p["site_id"]), lang),
                "\n".join(signs.get(p["site_id"], [])),
            ]
            + ["\n".join(cells.get(d, [])) for d in days]
        )
    _sheet(
        wb,
        t("sheet.timetable", lang),
        [
            t("col.point", lang),
            t("col.township", lang),
            t("station", lang),
            t("col.visits", lang),
            t("col.visits_basis", lang),
            t("col.sign", lang),
        ]
        + [day_label(d, lang) for d in days],
        rows,
    )
    ws = wb[_title(t("sheet.timetable", lang))]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def route_sheet_title(station: str, day: str, truck: int | str, lang: str) -> str:
    """A route sheet's name: day, station and truck in ``lang`` (``周一 李庄镇中转站 1号车``,
    ``Mon 李庄镇中转站 truck 1``), the station's name shortened to fit Excel's 31
    characters."""
    tail = f" {truck}号车" if lang == "zh" else f" truck {truck}"
    head = f"{day_label(day, lang)} "
    room = 31 - len(head) - len(tail)
    return head + _title(station)[: max(1, room)] + tail


def _route_sheets(wb: Workbook, routes: list[tuple[str, pd.DataFrame]], lang: str) -> None:
    """One sheet per ``(title, events)``: the route sheet's columns
    (:func:`recyclenet.outputs.report.route_sheet_columns`), the events carrying ``name`` and
    ``sign`` besides the columns of :meth:`DayResult.events`."""
    columns = route_sheet_columns(r for _, r in routes)
    value = {
        "col.expected_kg": lambda e: round(e["collected_kg"], 1),
        "col.expected_m3": lambda e: round(e["collected_m3"], 2),
        "col.delivered_kg": lambda e: round(e["delivered_kg"], 1),
        "col.load_kg": lambda e: round(e["load_kg"], 1),
        "col.distance_km": lambda e: round(e["distance_km"], 2),
        "col.kind": lambda e: t("event." + e["kind"], lang),
        "col.name": lambda e: e["name"],
        "col.arrival": lambda e: min_to_hhmm(e["arrival_min"]),
        "col.sign": lambda e: e["sign"],
        "col.departure": lambda e: min_to_hhmm(e["departure_min"]),
    }
    used: set[str] = set()
    for title, route in routes:
        base = title = _title(title)[:31]
        k = 1
        while title in used:
            k += 1
            title = f"{base[: 31 - len(str(k)) - 1]}~{k}"
        used.add(title)
        rows = [
            [n if c == "col.seq" else value[c](e) for c in columns]
            for n, (_, e) in enumerate(route.iterrows())
        ]
        _sheet(wb, title, [t(c, lang) for c in columns], rows)


# What the dispatch workbook's first sheet lists, from ``dispatch_summary``.
DISPATCH_SUMMARY_ROWS = (
    "bookings_accepted",
    "bookings_planned",
    "bookings_deferred",
    "bookings_rejected",
    "bookings_other_days",
    "deliveries_planned",
    "delivered_kg",
    "published_stops",
    "trucks_used",
    "distance_km",
    "cost_cny",
)


# Per-station columns of the dispatcher's day (outputs.dispatch_stations), in order.
DISPATCH_STATION_COLUMNS = (
    "name",
    "trucks",
    "published_stops",
    "bookings_planned",
    "bookings_deferred",
    "distance_km",
    "first_out",
    "last_back",
)


def dispatch_workbook(
    dispatch: Dispatch, summary: Mapping[str, Any], path: str | Path, *, lang: str
) -> None:
    """``routes.xlsx`` of ``recyclenet route``: the day's counts (``summary``, from
    :func:`recyclenet.outputs.dispatch_summary`) and its stations, the deferred and the
    rejected bookings with their reasons in ``lang``, and one route sheet per truck,
    titled by its station."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        t("sheet.summary", lang),
        [t("col.indicator", lang), t("col.value", lang)],
        [[t("dispatch." + key, lang), summary[key]] for key in DISPATCH_SUMMARY_ROWS],
    )
    _sheet(
        wb,
        t("sheet.stations", lang),
        [t("col." + key, lang) for key in DISPATCH_STATION_COLUMNS],
        [[st[key] for key in DISPATCH_STATION_COLUMNS] for st in summary["stations"]],
    )
    why = "reason_zh" if lang == "zh" else "reason"
    deferred = dispatch.deferred()
    _sheet(
        wb,
        t("sheet.deferred", lang),
        [t(c, lang) for c in ("col.booking_id", "col.line", "col.point", "col.reason")],
        deferred[["booking_id", "line", "point_id", why]].to_numpy().tolist(),
    )
    rejected = dispatch.bookings.rejected
    _sheet(
        wb,
        t("sheet.rejected", lang),
        [
            t(c, lang)
            for c in ("col.line", "col.booking_id", "col.column", "col.given", "col.reason")
        ],
        rejected[["line", "booking_id", "column", "value", why]].to_numpy().tolist(),
    )
    names = dispatch.network.site_names()
    ev = dispatch.events(lang)
    routes = (
        []
        if ev.empty
        else [
            (route_sheet_title(names.get(base, base), dispatch.day, truck, lang), route)
            for (base, truck), route in ev.groupby(["base_id", "truck"])
        ]
    )
    _route_sheets(wb, routes, lang)
    _save(wb, path)


# Rows of the bookings sheet that carry the input checks (a day's bookings fit easily).
TEMPLATE_ROWS = 500
TEMPLATE_POINT_COLUMNS = (
    "point_id",
    "name",
    "township",
    "station",
    "visit_days",
    "sign",
    "lon",
    "lat",
)
TEMPLATE_EXAMPLE = {
    "booking_id": "B0001",
    "window_start": "09:00",
    "window_end": "11:30",
    "kg": "60",
    "m3": "0.8",
    "deliver_kg": "65",
    "deliver_m3": "0.9",
    "handling_min": "15",
}


def bookings_template(
    points: pd.DataFrame, path: str | Path, *, lang: str, working_days: tuple[str, ...]
) -> None:
    """``bookings_template.xlsx``: an empty bookings table for ``recyclenet route``.

    The first sheet has the columns :func:`recyclenet.bookings.read_bookings` reads, a
    note on each, text cells for ids and times (so that Excel keeps ``08:30`` as typed),
    and input checks: ``point_id`` from the network's points, ``day`` from its working
    days, non-negative numbers. A second sheet lists the points (``points``: columns
    ``point_id``, ``name``, ``township``, ``station``, ``visit_days``, ``sign``, ``lon``,
    ``lat``), a third explains the columns with an example row and the Chinese headers
    also read in their place.
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = t("sheet.bookings", lang)
    ws.append([c.name for c in BOOKING_COLUMNS])
    for i, col in enumerate(BOOKING_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.comment = Comment(
            f"{t('booking.' + col.name, 'zh')}\n{t('booking.' + col.name, 'en')}", "RecycleNet"
        )
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(col.name) + 4)
        if col.name in ("booking_id", "point_id", "day", "window_start", "window_end"):
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"
    letters = {c.name: get_column_letter(i) for i, c in enumerate(BOOKING_COLUMNS, start=1)}
    last = TEMPLATE_ROWS + 1
    checks = [
        (
            DataValidation(
                type="list",
                formula1=f"'{t('sheet.points', lang)}'!$A$2:$A${len(points) + 1}",
            ),
            "point_id",
        ),
        (
            DataValidation(
                type="list",
                formula1='"' + ",".join(day_label(d, lang) for d in working_days) + '"',
            ),
            "day",
        ),
        *[
            (DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"), name)
            for name in ("kg", "m3", "deliver_kg", "deliver_m3", "handling_min")
        ],
    ]
    for check, name in checks:
        check.allow_blank = name != "point_id"
        check.error = t("booking." + name, lang)
        check.errorTitle = t("booking.invalid", lang)
        check.showErrorMessage = True
        check.add(f"{letters[name]}2:{letters[name]}{last}")
        ws.add_data_validation(check)
    _sheet(
        wb,
        t("sheet.points", lang),
        list(TEMPLATE_POINT_COLUMNS),
        points[list(TEMPLATE_POINT_COLUMNS)].astype(str).to_numpy().tolist(),
    )
    example = {**TEMPLATE_EXAMPLE, "day": day_label(working_days[0], lang) if working_days else ""}
    if len(points):  # the first point, and a door about 150 m from it
        first = points.iloc[0]
        example["point_id"] = str(first["point_id"])
        example["lon"] = f"{float(first['lon']) + 0.001:.6f}"
        example["lat"] = f"{float(first['lat']) + 0.001:.6f}"
    help_rows = [
        [
            c.name,
            t("help.yes" if c.required else "help.no", lang),
            t("booking." + c.name, "zh"),
            t("booking." + c.name, "en"),
            example.get(c.name, ""),
            "、".join(c.aliases),
        ]
        for c in BOOKING_COLUMNS
    ]
    _sheet(
        wb,
        t("sheet.help", lang),
        [t("help.column", lang), t("help.required", lang), "含义", "Meaning"]
        + [t("help.example", lang), t("help.aliases", lang)],
        help_rows,
    )
    info = wb[_title(t("sheet.help", lang))]
    info.append([])
    info.append([t("help.intro", "zh")])
    info.append([t("help.intro", "en")])
    _save(wb, path)


def comparison_workbook(
    runs: list[dict[str, Any]],
    path: str | Path,
    *,
    lang: str,
    changes: tuple[list[str], list[list[Any]]] | None = None,
) -> None:
    """``comparison.xlsx``: KPIs side by side (best per row shaded), differences to the
    first scenario, every scenario's transfer stations (``kpis.json`` ``stations``, a
    row each after the scenario's name), the timetable changes against the first
    (``changes``: header and rows, from :func:`recyclenet.outputs.compare.changes_table`) and
    each scenario's main assumptions."""
    wb = Workbook()
    ws = wb.active
    ws.title = t("sheet.kpis", lang)
    names = [r["name"] for r in runs]
    ws.append([t("col.indicator", lang), *names, *[f"Δ {n}" for n in names[1:]]])
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for row in shown_rows(*[r["kpis"] for r in runs]):
        values = [kpi_value(r["kpis"], row) for r in runs]
        line: list[Any] = [t(row.key, lang)]
        for v in values:
            line.append(v if row.kind != "text" else t(str(v), lang))
        base = values[0]
        for v in values[1:]:
            numeric = isinstance(v, int | float) and isinstance(base, int | float)
            line.append(v - base if numeric else "")
        ws.append(line)
        best = best_index(values, row.better, ndigits=4 if row.kind == "pct" else 2)
        for i in best:
            ws.cell(row=ws.max_row, column=2 + i).fill = BEST_FILL
    ws.column_dimensions["A"].width = 34
    for i in range(2, 2 + 2 * len(names)):
        ws.column_dimensions[get_column_letter(i)].width = 18
    _number_formats(ws, list(range(2, 2 + 2 * len(names))), shown_rows(*[r["kpis"] for r in runs]))
    _stations_sheet(wb, [(r["name"], r["kpis"]) for r in runs], lang)
    if changes is not None:
        _sheet(wb, t("cmp.changes_sheet", lang), *changes)
    ws2 = wb.create_sheet("Assumptions" if lang == "en" else "主要假设")
    keys = sorted({k for r in runs for k in r["assumptions"]})
    ws2.append([t("col.indicator", lang), *names])
    for cell in ws2[1]:
        cell.font = BOLD
    for key in keys:
        ws2.append([key, *[str(r["assumptions"].get(key, "")) for r in runs]])
    ws2.column_dimensions["A"].width = 40
    _save(wb, path)


def best_index(values: list[Any], better: str | None, *, ndigits: int = 2) -> list[int]:
    """Indices of the best values of a row (ties all marked); none when not comparable.

    Values are compared as shown (rounded to ``ndigits``), so equal-looking cells are
    marked alike.
    """
    if better is None:
        return []
    numeric = [
        (i, round(float(v), ndigits)) for i, v in enumerate(values) if isinstance(v, int | float)
    ]
    if len(numeric) < 2:
        return []
    target = min(v for _, v in numeric) if better == "min" else max(v for _, v in numeric)
    if all(abs(v - target) <= 1e-9 * max(1.0, abs(target)) for _, v in numeric):
        return []
    return [i for i, v in numeric if abs(v - target) <= 1e-9 * max(1.0, abs(target))]
