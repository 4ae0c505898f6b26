"""HTML reports: the run report, printable route sheets, KPI rows shared with comparisons."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from recyclenet.config import min_to_hhmm
from recyclenet.kpi import WEEKS_PER_YEAR, rate_mismatches, stations_frame
from recyclenet.outputs.i18n import LABELS, solver_work_note, t
from recyclenet.outputs.maps import day_label, day_ranges

if TYPE_CHECKING:
    from recyclenet.pipeline import ScenarioResult

PAGE_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #d9f2d9; font-weight: bold; }
td.full { background: #fde2c8; font-weight: bold; }
p.warn { background: #fff4d6; border-left: 4px solid #e0a000; padding: 6px 10px; }
.muted { color: #666; font-size: 12px; }
.status-optimal { color: #1a7f1a; } .status-feasible { color: #b36b00; }
"""


ROUTE_SHEET_COLUMNS = (
    "col.seq",
    "col.kind",
    "col.name",
    "col.arrival",
    "col.sign",
    "col.departure",
    "col.expected_kg",
    "col.expected_m3",
    "col.load_kg",
    "col.distance_km",
)


def route_sheet_columns(routes: Iterable[pd.DataFrame]) -> list[str]:
    """The route sheets' column keys: :data:`ROUTE_SHEET_COLUMNS`, and what each stop
    receives (``col.delivered_kg``, before the load on board) where any stop of
    ``routes`` (events with ``delivered_kg``, ``delivered_m3``) receives a new appliance
    (送新收旧)."""
    columns = list(ROUTE_SHEET_COLUMNS)
    if any(
        "delivered_kg" in r and float((r["delivered_kg"] + r["delivered_m3"]).sum()) > 0
        for r in routes
    ):
        columns.insert(columns.index("col.load_kg"), "col.delivered_kg")
    return columns


def truck_days(result: ScenarioResult) -> Iterator[tuple[str, int, str, pd.DataFrame]]:
    """``(station id, truck, day, events)`` of every truck and day, in weekday order; the
    events also carry ``sign``, the time on each stop's sign (HH:MM; empty elsewhere)."""
    events = result.week.events()
    if events.empty:
        return
    tt = result.week.timetable()
    sign = tt.set_index(["station_id", "day", "stop_idx"])["slot"].to_dict()
    order = {d: i for i, d in enumerate(result.week.working_days)}
    events = events.assign(
        _d=events["day"].map(order),
        sign=[
            sign.get((b, d, j), "") if k == "stop" else ""
            for b, d, j, k in zip(
                events["base_id"], events["day"], events["stop_idx"], events["kind"], strict=True
            )
        ],
    )
    for (_, base, truck, day), route in events.groupby(["_d", "base_id", "truck", "day"]):
        yield base, int(truck), day, route


@dataclass(frozen=True)
class KpiRow:
    """One indicator: its label key, how to read it from kpis.json, and which way is better."""

    key: str
    path: tuple[str, ...]
    better: str | None  # "min", "max" or None
    kind: str = "num"  # num, int, pct, text
    optional: bool = False  # left out of a run's tables where the run has no value


def shown_rows(*kpis: dict[str, Any]) -> list[KpiRow]:
    """The KPI rows the tables of these runs show: every row but the optional ones none
    of them has."""
    return [r for r in KPI_ROWS if not r.optional or any(kpi_value(k, r) is not None for k in kpis)]


KPI_ROWS: tuple[KpiRow, ...] = (
    KpiRow("kpi.points", ("facilities", "collection_point"), None, "int"),
    KpiRow("kpi.stations", ("facilities", "transfer_station"), None, "int"),
    KpiRow("kpi.centres", ("facilities", "sorting_centre"), None, "int"),
    KpiRow("kpi.specialised_centres", ("facilities", "specialised_centre"), None, "int", True),
    KpiRow("kpi.total_cost", ("cost_cny_per_year", "total_cny"), "min", "int"),
    KpiRow("kpi.fixed_cost", ("cost_cny_per_year", "fixed_cny"), "min", "int"),
    KpiRow("kpi.transport_cost", ("cost_cny_per_year", "transport_cny"), "min", "int"),
    KpiRow("kpi.network_cost", ("network_cost_cny_per_year", "total_cny"), "min", "int"),
    KpiRow("kpi.fleet_cost", ("fleet_cost_cny_per_year", "total_cny"), "min", "int"),
    KpiRow("kpi.cost_per_t", ("network_cost_cny_per_year", "cny_per_t"), "min"),
    KpiRow("kpi.rate_collection", ("transport_rates_cny_per_tkm", "collection", "routed"), None),
    KpiRow("kpi.rate_haul", ("transport_rates_cny_per_tkm", "haul", "routed"), None),
    KpiRow("kpi.coverage", ("population_share_within_access",), "max", "pct"),
    KpiRow("kpi.access_limit", ("access_km", "limit"), None),
    KpiRow("kpi.access_mean", ("access_km", "mean"), "min"),
    KpiRow("kpi.access_pop_mean", ("access_km", "population_weighted_mean"), "min"),
    KpiRow("kpi.access_max", ("access_km", "max"), "min"),
    KpiRow("kpi.tonnes", ("t_per_day", "total"), None),
    KpiRow("kpi.trucks", ("trucks", "collection_total"), "min", "int"),
    KpiRow("kpi.haul_trucks", ("trucks", "haul_total"), "min", "int"),
    KpiRow("kpi.vkm", ("vehicle_km_per_week", "total"), "min", "int"),
    KpiRow("kpi.hours", ("truck_hours_per_week", "total"), "min"),
    KpiRow("kpi.stops", ("routing", "stops_per_week"), None, "int"),
    KpiRow("kpi.on_timetable", ("routing", "points_on_timetable"), None, "int"),
    KpiRow("kpi.beyond_tolerance", ("routing", "visits_beyond_tolerance"), "min", "int"),
    KpiRow("kpi.max_sign_deviation", ("routing", "max_slot_deviation_min"), "min"),
    KpiRow("kpi.days_as_published", ("routing", "days_as_published"), "max", "int"),
    KpiRow("kpi.storage_overflow", ("routing", "storage_overflow_points"), "min", "int"),
    KpiRow("kpi.siting_status", ("siting", "status"), None, "text"),
    KpiRow("kpi.siting_gap", ("siting", "gap"), "min", "pct"),
    KpiRow("kpi.siting_time", ("siting", "runtime_s"), None),
    KpiRow("kpi.routing_time", ("routing", "runtime_s"), None),
)


# The per-station table (:func:`recyclenet.kpi.station_table`, as kpis.json ``stations``
# gives it) in reports and workbooks:
# its column, the label key, and how it is shown.
STATION_ROWS: tuple[tuple[str, str, str], ...] = (
    ("name", "col.station", "text"),
    ("points", "col.points", "int"),
    ("t_per_day", "col.throughput", "num"),
    ("capacity_t_per_day", "col.capacity", "num"),
    ("utilisation", "col.utilisation", "pct"),
    ("trucks", "col.trucks", "int"),
    ("truck_days_per_week", "col.truck_days", "int"),
    ("stops_per_week", "col.stops_week", "int"),
    ("collection_km_per_week", "col.km_week", "num"),
    ("collection_hours_per_week", "col.hours_week", "num"),
    ("collection_cost_cny_per_year", "col.cost_year", "int"),
    ("busiest_day", "col.busiest_day", "day"),
    ("haul_trips_per_week", "col.haul_trips", "int"),
    ("haul_km_per_week", "col.haul_km", "num"),
)


def station_cells(table: pd.DataFrame, lang: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the per-station table in ``lang``: numbers rounded (a share as
    a fraction), days named; ``None`` where a run written before a column was reported
    lacks it."""
    header = [t(key, lang) for _, key, _ in STATION_ROWS]
    rows = []
    for rec in table.to_dict("records"):
        row: list[Any] = []
        for col, _, kind in STATION_ROWS:
            value = rec[col]
            if kind == "day":
                value = day_label(str(value), lang) if value else ""
            elif kind != "text" and pd.isna(value):
                value = None
            elif kind == "num":
                value = round(float(value), 1)
            elif kind == "int":
                value = round(float(value))
            elif kind == "pct":
                value = round(float(value), 3)
            row.append(value)
        rows.append(row)
    return header, rows


def station_table_html(table: pd.DataFrame, lang: str, table_id: str = "stations") -> str:
    """The per-station table as HTML (element id ``table_id``); a station at or above its
    capacity is marked."""
    header, rows = station_cells(table, lang)
    kinds = [kind for _, _, kind in STATION_ROWS]
    body = []
    for row in rows:
        cells = []
        for value, kind in zip(row, kinds, strict=True):
            if kind in ("text", "day"):
                cells.append(f"<td>{html.escape(str(value))}</td>")
            elif value is None:
                cells.append('<td class="num">–</td>')
            elif kind == "pct":
                full = value >= 0.999
                text = f"{100 * value:.1f} %"
                cells.append(f'<td class="num{" full" if full else ""}">{text}</td>')
            elif kind == "int":
                cells.append(f'<td class="num">{int(value):,}</td>')
            else:
                cells.append(f'<td class="num">{value:,.1f}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f'<table id="{table_id}"><tr>{head}</tr>{"".join(body)}</table>'


def kpi_value(kpis: dict[str, Any], row: KpiRow) -> Any:
    """The raw value of a KPI row (``None`` when absent)."""
    node: Any = kpis
    for part in row.path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def format_value(value: Any, row: KpiRow, lang: str) -> str:
    """A KPI value as text for people."""
    if value is None:
        return "–"
    if row.kind == "text":
        return t(str(value), lang)
    if row.kind == "pct":
        return f"{100 * float(value):.2f} %"
    if row.kind == "int":
        return f"{round(float(value)):,}"
    return f"{float(value):,.2f}"


def breakdown_html(kpis: dict[str, Any], lang: str) -> str:
    """The material categories (base year, target, whether met) and, for a network of
    several counties, each county's sites, tonnes, trucks, coverage and cost."""
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
    cats = kpis.get("categories") or {}
    out = ""
    if cats:
        head = ["col.category", "col.base_t_year", "col.target_pct", "col.target_t_year"]
        head += ["col.collected_t_year", "col.met"]
        label = {n: t("cat." + n, lang) if "cat." + n in LABELS else n for n in cats}
        rows = "".join(
            f"<tr><td>{html.escape(label[name])}</td>"
            f'<td class="num">{c["base_t_per_year"]:,.0f}</td>'
            f'<td class="num">{c["target_pct"]:+g}</td>'
            f'<td class="num">{c["target_t_per_year"]:,.0f}</td>'
            f'<td class="num">{c["collected_t_per_year"]:,.0f}</td>'
            f'<td class="{"" if c["met"] else "warn"}">{yes if c["met"] else no}</td></tr>'
            for name, c in cats.items()
        )
        out += (
            f'<h2>{t("title.categories", lang)}</h2><table id="categories"><tr>'
            + "".join(f"<th>{t(h, lang)}</th>" for h in head)
            + f"</tr>{rows}</table>"
        )
    counties = kpis.get("counties") or []
    if counties:
        head = ["col.county", "col.coverage", "col.t_day", "col.points_n", "col.stations_n"]
        head += ["col.trucks_n", "col.centre_share", "col.cost_year_county"]
        rows = "".join(
            f"<tr><td>{html.escape(str(c['county']))}</td>"
            f'<td class="num">{100 * c["coverage"]:.1f} %</td>'
            f'<td class="num">{c["t_per_day"]:,.2f}</td>'
            f'<td class="num">{c["collection_point"]}</td>'
            f'<td class="num">{c["transfer_station"]}</td>'
            f'<td class="num">{c["trucks"]}</td>'
            f'<td class="num">{100 * c["centre_share"]:.1f} %</td>'
            f'<td class="num">{c["cost_cny_per_year"]:,.0f}</td></tr>'
            for c in counties
        )
        out += (
            f'<h2>{t("title.counties", lang)}</h2><table id="counties"><tr>'
            + "".join(f"<th>{t(h, lang)}</th>" for h in head)
            + f"</tr>{rows}</table>"
        )
    return out


def _specialised_html(k: dict[str, Any], names: dict[str, str], lang: str) -> str:
    """The specialised-centre stage's line of the status section (empty without it)."""
    special = k.get("specialised_centres")
    if not special:
        return ""
    colon = "：" if lang == "zh" else ": "
    comma = "，" if lang == "zh" else ", "
    sep = "、" if lang == "zh" else ", "
    centres = comma.join(
        f"{html.escape(names.get(c['site_id'], c['site_id']))}"
        f"（{sep.join(t('cat.' + g, lang) for g in c['categories'])}，{c['t_per_day']:,.2f} t/d）"
        if lang == "zh"
        else f"{html.escape(names.get(c['site_id'], c['site_id']))} "
        f"({sep.join(t('cat.' + g, lang) for g in c['categories'])}, {c['t_per_day']:,.2f} t/d)"
        for c in special["open"]
    )
    status = special["status"]
    return (
        f'<p id="specialised">{t("report.specialised", lang)}{colon}'
        f'<b class="status-{status}">{t(status, lang)}</b> — {centres}'
        f"{comma}{t('report.specialised_note', lang)}</p>"
    )


def kpi_table_html(kpis: dict[str, Any], lang: str) -> str:
    """The run's KPIs as an HTML table."""
    rows = "".join(
        f"<tr><th>{html.escape(t(r.key, lang))}</th>"
        f'<td class="num">{html.escape(format_value(kpi_value(kpis, r), r, lang))}</td></tr>'
        for r in shown_rows(kpis)
    )
    return (
        f'<table id="kpis"><tr><th>{t("col.indicator", lang)}</th>'
        f"<th>{t('col.value', lang)}</th></tr>{rows}</table>"
    )


def _page(title: str, body: str, lang: str, extra_css: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{PAGE_CSS}{extra_css}</style></head><body>{body}</body></html>"
    )


def rate_notes(kpis: dict[str, Any], lang: str) -> list[str]:
    """One note per flow whose rate per tonne-km in the scenario lies outside what its
    trucks cost as routed (:func:`recyclenet.kpi.rate_mismatches`), saying which setting
    to try and in which range."""
    return [
        t("report.rate_note", lang).format(
            flow=t(f"flow.{flow}", lang),
            all_=all_,
            km=km,
            set_=set_,
            key=f"siting.transport_cost_cny_per_tkm.{flow}",
        )
        for flow, set_, km, all_ in rate_mismatches(kpis)
    ]


def plan_notes(
    kpis: dict[str, Any], lang: str, names: Mapping[str, str] | None = None
) -> list[str]:
    """Warnings about the plan itself: visits beyond the tolerance of their sign (which
    points, days and minutes off, and what would fix it) and station-days whose search
    the wall-clock safety cap cut short (the plan may then differ from run to run)."""
    routing = kpis["routing"]
    notes = []
    off = routing.get("visits_off_sign", [])
    if off:
        sep = "；" if lang == "zh" else "; "
        shown = sep.join(
            t("report.off_sign_item", lang).format(
                point=(names or {}).get(v["point_id"], v["point_id"]),
                point_id=v["point_id"],
                day=day_label(v["day"], lang),
                arrival=v["arrival"],
                slot=v["slot"],
                minutes=abs(v["deviation_min"]),
            )
            for v in off[:10]
        )
        more = t("report.more", lang).format(n=len(off) - 10) if len(off) > 10 else ""
        notes.append(
            t("report.off_sign_note", lang).format(
                n=len(off), tol=routing["slot_tolerance_min"], visits=shown + more
            )
        )
    capped = routing.get("capped_days", [])
    if capped:
        notes.append(
            t("report.capped_note", lang).format(n=len(capped), days=", ".join(capped[:10]))
        )
    return notes


def storage_notes(kpis: dict[str, Any], names: Mapping[str, str], lang: str) -> list[str]:
    """A note naming the points whose storage is full before the truck comes again
    (``kpis.json`` ``routing.storage_overflow``), and what would fix it; none where
    every storage is emptied in time."""
    late = kpis["routing"].get("storage_overflow", [])
    if not late:
        return []
    sep = "；" if lang == "zh" else "; "
    points = sep.join(
        f"{names.get(p['point_id'], p['point_id'])} ({p['point_id']}, "
        + t("basis.overflow", lang).format(full=p["storage_full_days"], gap=p["longest_gap_days"])
        + ")"
        for p in late
    )
    return [t("report.storage_note", lang).format(n=len(late), points=points)]


def run_report_html(result: ScenarioResult, *, lang: str) -> str:
    """``report.html``: KPIs, the map (``map.html`` beside it) and solver status."""
    k = result.kpis.to_dict()
    sc = result.scenario
    siting = k["siting"]
    status = siting["status"]
    gap = siting["gap"]
    colon, comma = ("：", "，") if lang == "zh" else (": ", ", ")  # the language's punctuation
    siting_parts = [
        f"{html.escape(siting['solver'])}{solver_work_note(siting.get('solver_work', {}), lang)}",
        *([f"{t('kpi.siting_gap', lang)} {100 * gap:.3f} %"] if gap is not None else []),
        f"{siting['runtime_s']:.1f} s",
    ]
    routing = k["routing"]
    routing_parts = [
        f"{routing['base_days']} {t('report.base_days', lang)}",
        f"{t('kpi.on_timetable', lang)} {routing['points_on_timetable']}/{routing['points_open']}",
        f"{t('kpi.dropped', lang)} {len(routing['dropped_stops'])}",
        t("report.routing_search", lang).format(
            effort=routing.get("effort", sc.solver.effort),
            work=routing.get("work_per_day") or 0,
        )
        + (t("report.routing_capped", lang) if routing.get("capped_days") else ""),
    ]
    status_text = (
        f'<p>{t("kpi.siting_status", lang)}{colon}<b class="status-{status}">{t(status, lang)}</b>'
        f" — {comma.join(siting_parts)}</p>"
        f"<p>{t('report.routing', lang)}{colon}{comma.join(routing_parts)}</p>"
        + _specialised_html(k, result.site_names(), lang)
    )
    stations = stations_frame(k)
    station_html = "" if stations is None else station_table_html(stations, lang)
    fleet = k.get("fleet_cost_cny_per_year")
    cost_note = (
        ""
        if fleet is None
        else '<p class="muted" id="cost-note">'
        + html.escape(
            t("report.cost_note", lang).format(
                weeks=WEEKS_PER_YEAR, days=fleet["working_days_per_year"]
            )
        )
        + "</p>"
    )
    cost_note += "".join(
        f'<p class="warn rate-note">{html.escape(note)}</p>' for note in rate_notes(k, lang)
    )
    cost_note += "".join(
        f'<p class="warn storage-note">{html.escape(note)}</p>'
        for note in storage_notes(k, result.site_names(), lang)
    )
    cost_note += "".join(
        f'<p class="warn plan-note">{html.escape(note)}</p>'
        for note in plan_notes(k, lang, result.site_names())
    )
    body = (
        f"<h1>{html.escape(sc.title or sc.name)} — {t('title.report', lang)}</h1>"
        f'<p class="muted">{html.escape(sc.name)}</p>'
        f"<h2>{t('title.status', lang)}</h2>{status_text}"
        f"<h2>{t('sheet.kpis', lang)}</h2>{kpi_table_html(k, lang)}"
        f"{cost_note}"
        f"{breakdown_html(k, lang)}"
        f"<h2>{t('title.stations', lang)}</h2>"
        f"{station_html}"
        f'<p class="muted">{t("report.stations_note", lang)}</p>'
        f"<h2>{t('title.map', lang)}</h2>"
        '<iframe id="run-map" src="map.html" style="width:100%;height:640px;border:1px solid #bbb">'
        "</iframe>"
        f'<p><a href="route_sheets.html">{t("title.route_sheets", lang)}</a> · '
        f'<a href="signs.html">{t("title.signs", lang)}</a> · '
        '<a href="workbook.xlsx">workbook.xlsx</a> · <a href="network.gpkg">network.gpkg</a></p>'
    )
    return _page(f"{sc.title or sc.name} — {t('title.report', lang)}", body, lang)


def route_sheets_page(
    routes: Iterable[tuple[str, int, str, pd.DataFrame]],
    station_names: Mapping[str, str],
    title: str,
    lang: str,
) -> str:
    """One printable page per truck and day.

    ``routes`` yields ``(station id, truck, day, events)``; the events carry the columns
    of :meth:`DayResult.events` plus ``name`` (what the driver reads at each event) and
    ``sign`` (HH:MM on the stop's sign, or empty), shown after the arrival. Where a stop
    receives a new appliance (送新收旧, ``delivered_kg``), every sheet shows what each
    stop receives before the load on board.
    """
    routes = list(routes)
    columns = route_sheet_columns(r for *_, r in routes)
    delivers = "col.delivered_kg" in columns
    sections = []
    for base, truck, day, route in routes:
        rows = []
        for n, (_, e) in enumerate(route.iterrows()):
            handed = f"<td class='num'>{e['delivered_kg']:,.0f}</td>" if delivers else ""
            rows.append(
                f"<tr><td class='num'>{n}</td><td>{html.escape(t('event.' + e['kind'], lang))}"
                f"</td><td>{html.escape(str(e['name']))}</td>"
                f"<td>{min_to_hhmm(e['arrival_min'])}</td>"
                f"<td>{html.escape(str(e['sign']))}</td>"
                f"<td>{min_to_hhmm(e['departure_min'])}</td>"
                f"<td class='num'>{e['collected_kg']:,.0f}</td>"
                f"<td class='num'>{e['collected_m3']:,.2f}</td>{handed}"
                f"<td class='num'>{e['load_kg']:,.0f}</td>"
                f"<td class='num'>{e['distance_km']:.1f}</td></tr>"
            )
        head = "".join(f"<th>{t(c, lang)}</th>" for c in columns)
        total_km = route["distance_km"].sum()
        sections.append(
            f'<section class="sheet"><h2>{html.escape(str(station_names.get(base, base)))} · '
            f"{t('truck', lang)} {truck} · {day_label(day, lang)}</h2>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table>"
            f'<p class="muted">{t("col.distance_km", lang)}: {total_km:.1f}</p></section>'
        )
    css = (
        "@media print { section.sheet { page-break-after: always; } "
        "body { margin: 0; } } section.sheet { margin-bottom: 32px; }"
    )
    return _page(title, f"<h1>{html.escape(title)}</h1>{''.join(sections)}", lang, css)


SIGN_CSS = """
.signs { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
.sign { border: 3px solid #1a7f1a; border-radius: 8px; padding: 12px 16px; break-inside: avoid; }
.sign h2 { margin: 0 0 4px; font-size: 22px; }
.sign .heading { color: #1a7f1a; font-weight: bold; }
.sign table.lines { border-collapse: collapse; margin: 8px 0; }
.sign table.lines td, .sign table.lines th { padding: 2px 10px 2px 0; text-align: left; }
.sign .time { font-size: 34px; font-weight: bold; font-variant-numeric: tabular-nums; }
.sign .days { font-size: 20px; font-weight: bold; }
.sign .stay { white-space: nowrap; }
@media print { .signs { display: block; } .sign { margin-bottom: 16px; } }
"""


def signs_page(
    signs: pd.DataFrame,
    title: str,
    lang: str,
    *,
    tolerance_min: float,
) -> str:
    """One printable sign per collection point: a line per time the truck comes, naming
    its days, the time and how long the truck stays (what is painted at the point).

    ``signs`` has the columns of ``signs.csv`` (:func:`outputs.signs_table`):
    ``point_id``, ``point``, ``township``, ``station``, ``days`` (``mon;wed``), ``time``
    and ``stay_min``.
    """
    note = t("sign.tolerance", lang).format(tol=f"{tolerance_min:g}")
    cards = []
    for point_id, lines in signs.groupby("point_id", sort=False):
        first = lines.iloc[0]
        rows = "".join(
            f'<tr class="line"><td class="days">'
            f"{html.escape(day_ranges(str(line.days).split(';'), lang))}</td>"
            f'<td class="time">{html.escape(str(line.time))}</td>'
            f'<td class="stay">{html.escape(t("sign.stay_for", lang).format(min=line.stay_min))}'
            "</td></tr>"
            for line in lines.itertuples()
        )
        cards.append(
            f'<section class="sign" data-point="{html.escape(str(point_id))}">'
            f'<div class="heading">{t("sign.heading", lang)}</div>'
            f"<h2>{html.escape(str(first['point']))}</h2>"
            f'<div class="muted">{html.escape(str(first["township"]))}</div>'
            f'<table class="lines"><tr><th>{t("sign.days", lang)}</th>'
            f"<th>{t('sign.time', lang)}</th><th></th></tr>{rows}</table>"
            f"<p>{html.escape(note)}</p>"
            f"<p>{t('sign.bring', lang)}</p>"
            f'<p class="muted">{t("sign.station", lang)}: '
            f"{html.escape(str(first['station']))}</p></section>"
        )
    body = f'<h1>{html.escape(title)}</h1><div class="signs">{"".join(cards)}</div>'
    return _page(title, body, lang, SIGN_CSS)


def route_sheets_html(result: ScenarioResult, *, lang: str) -> str:
    """``route_sheets.html``: one printable page per truck and day."""
    names = result.sites.set_index("site_id")["name"]
    routes = (
        (base, truck, day, route.assign(name=route["site_id"].map(lambda s: names.get(s, s))))
        for base, truck, day, route in truck_days(result)
    )
    title = f"{result.scenario.title or result.scenario.name} — {t('title.route_sheets', lang)}"
    return route_sheets_page(routes, names.to_dict(), title, lang)
