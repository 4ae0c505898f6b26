"""Scenario comparison: read several run folders, write ``comparison.html`` and ``.xlsx``.

The HTML page is self-contained (inline SVG charts and maps, no script, nothing loaded
from the network), so it opens on an intranet and can be mailed as one file.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import yaml

from recyclenet.config import WEEKDAYS
from recyclenet.errors import InputError, InputProblem, RecycleNetWarning
from recyclenet.io import output_set, read_table, write_text, write_with
from recyclenet.kpi import stations_frame
from recyclenet.outputs.i18n import t
from recyclenet.outputs.maps import day_list
from recyclenet.outputs.report import (
    KPI_ROWS,
    PAGE_CSS,
    format_value,
    kpi_value,
    shown_rows,
    station_table_html,
)
from recyclenet.outputs.workbook import best_index, comparison_workbook
from recyclenet.routing.timetable import sign_times

REQUIRED = ("kpis.json", "scenario.resolved.yaml", "network.gpkg")
SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def read_run(folder: str | Path) -> dict[str, Any]:
    """Load what a comparison needs from one output folder of ``recyclenet run``.

    Raises
    ------
    InputError
        If the folder or one of its files is missing or unreadable.
    """
    folder = Path(folder)
    problems = [
        InputProblem(
            str(folder / name),
            "the file is missing",
            "pass the output folder of a finished `recyclenet run`",
        )
        for name in REQUIRED
        if not (folder / name).is_file()
    ]
    if problems:
        raise InputError(problems)
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        scenario = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
        layers = {
            name: gpd.read_file(folder / "network.gpkg", layer=name)
            for name in ("settlements", "collection_points", "transfer_stations", "sorting_centre")
            if name in {n for n, _ in pyogrio.list_layers(folder / "network.gpkg")}
        }
        timetable = (
            read_table(folder / "timetable.csv").astype(str)
            if (folder / "timetable.csv").is_file()
            else None
        )
    except (ValueError, OSError) as exc:
        raise InputError(
            InputProblem(
                str(folder), f"the run's files cannot be read ({exc})", "run the scenario again"
            )
        ) from None
    return {
        "folder": str(folder),
        "name": scenario.get("name", folder.name),
        "title": scenario.get("title", ""),
        "kpis": kpis,
        "assumptions": assumptions(scenario),
        "layers": layers,
        "timetable": timetable,
    }


def assumptions(scenario: dict[str, Any]) -> dict[str, Any]:
    """The main assumptions of a resolved scenario, flattened for a table."""
    s, r, d = scenario["siting"], scenario["routing"], scenario["demand"]
    growth = {k: v.get("growth_pct_to_target") for k, v in d["categories"].items()}
    return {
        "siting.counts": "{collection_point} / {transfer_station} / {sorting_centre}".format(
            **s["counts"]
        ),
        "siting.max_access_km": s["max_access_km"],
        "siting.transport_cost_cny_per_tkm": ", ".join(
            f"{k} {v}" for k, v in s["transport_cost_cny_per_tkm"].items()
        ),
        "demand.years": f"{d['base_year']} → {d['target_year']}",
        "demand.capture_rate": d["capture_rate"],
        "demand.growth_pct_to_target": ", ".join(f"{k} {v}" for k, v in growth.items()),
        "network.detour_factor": scenario["network"]["detour_factor"],
        "routing.collection_vehicle": r["collection_vehicle"],
        "routing.max_trucks_per_station": r["max_trucks_per_station"],
        "routing.shift": f"{r['shift_start']}–{r['shift_end']}",
        "routing.working_days": ", ".join(r["working_days"]),
        "routing.truck_base": r.get("truck_base", "station"),
        "routing.keep_timetable": Path(r["keep_timetable"]).name if r.get("keep_timetable") else "",
        "inputs.candidates": Path(scenario["inputs"]["candidates"]).name,
        **{f"solver.{key}": scenario.get("solver", {}).get(key, "") for key in SOLVER_KEYS},
    }


# Solver settings that change the routes found: runs that differ in one of them do not
# compare trucks and kilometres on equal terms (:func:`solver_notes`).
SOLVER_KEYS = ("effort", "routing_time_limit_s", "routing_engine")


def solver_notes(runs: list[dict[str, Any]], lang: str) -> list[str]:
    """One note per way the runs' routing searched differently, giving each run's value:
    the search work each station-day got (kpis ``routing.day_time_limit_s``, work units
    by ``solver.effort``; where a run lacks it, the scenario's
    ``solver.routing_time_limit_s``, with the advice to run it again) and the engine.
    Such runs differ in trucks and kilometres for that reason too."""
    per_day = [r["kpis"].get("routing", {}).get("day_time_limit_s") for r in runs]
    checks = [
        ("routing.day_time_limit_s", per_day, "cmp.solver_differs")
        if all(v is not None for v in per_day)
        else (
            "solver.routing_time_limit_s",
            _assumed(runs, "routing_time_limit_s"),
            "cmp.solver_limit_differs",
        ),
        ("solver.routing_engine", _assumed(runs, "routing_engine"), "cmp.solver_differs"),
    ]
    notes = []
    for key, values, label in checks:
        if len(set(map(str, values))) > 1:
            listing = ", ".join(f"{r['name']} {v}" for r, v in zip(runs, values, strict=True))
            notes.append(t(label, lang).format(key=key, runs=listing))
    return notes


def _assumed(runs: list[dict[str, Any]], key: str) -> list[Any]:
    """Each run's ``solver.<key>`` from its assumptions."""
    return [r["assumptions"].get(f"solver.{key}", "") for r in runs]


# How a point's published timetable changed (timetable_changes), in i18n keys.
CHANGE_KINDS = ("added", "removed", "days", "time", "days_time")


def _published(timetable: pd.DataFrame) -> pd.DataFrame:
    """Per point: ``point``, ``township``, ``days`` (tuple in weekday order) and
    ``sign`` (the times on its sign, joined by `` / ``)."""
    order = {d: i for i, d in enumerate(WEEKDAYS)}
    if "slot" not in timetable:  # a run from before signs were published: the arrivals
        timetable = timetable.assign(slot=timetable["arrival"])
    signs = sign_times(timetable)
    rows = {}
    for pid, g in timetable.groupby("point_id"):
        rows[str(pid)] = {
            "point": str(g["point"].iloc[0]),
            "township": str(g["township"].iloc[0]),
            "days": tuple(sorted(set(g["day"]), key=lambda d: order.get(d, len(order)))),
            "sign": " / ".join(signs[str(pid)]),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def timetable_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """What residents would see change between two published timetables
    (``timetable.csv`` of two runs): points added or removed, and points whose visit days
    or time on the sign differ.

    Returns one row per changed point: ``point_id``, ``point``, ``township``,
    ``days_before``, ``days_after`` (tuples of weekdays, empty where the point is not on
    that timetable), ``sign_before``, ``sign_after`` and ``change`` (one of
    :data:`CHANGE_KINDS`).
    """
    a, b = _published(before), _published(after)
    rows = []
    for pid in sorted(set(a.index) | set(b.index)):
        old = a.loc[pid] if pid in a.index else None
        new = b.loc[pid] if pid in b.index else None
        if old is None or new is None:
            change = "added" if old is None else "removed"
        else:
            days, time = old["days"] != new["days"], old["sign"] != new["sign"]
            if not (days or time):
                continue
            change = "days_time" if days and time else ("days" if days else "time")
        either = new if new is not None else old
        assert either is not None
        rows.append(
            {
                "point_id": pid,
                "point": either["point"],
                "township": either["township"],
                "days_before": () if old is None else old["days"],
                "days_after": () if new is None else new["days"],
                "sign_before": "" if old is None else old["sign"],
                "sign_after": "" if new is None else new["sign"],
                "change": change,
            }
        )
    columns = ["point_id", "point", "township", "days_before", "days_after"]
    return pd.DataFrame(rows, columns=[*columns, "sign_before", "sign_after", "change"])


def changed_points(runs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Every run after the first with its :func:`timetable_changes` against the first
    (runs without a ``timetable.csv`` are left out)."""
    first = runs[0]["timetable"]
    if first is None:
        return []
    return [
        (run, timetable_changes(first, run["timetable"]))
        for run in runs[1:]
        if run["timetable"] is not None
    ]


def changes_table(
    changes: list[tuple[dict[str, Any], pd.DataFrame]], lang: str
) -> tuple[list[str], list[list[Any]]]:
    """The timetable changes (:func:`changed_points`) as a table in ``lang``: header and
    rows (scenario, point, township, days and sign before and after, change)."""
    header = [t(k, lang) for k in ("cmp.scenario", "col.point", "col.township")]
    header += [t(f"cmp.{k}", lang) for k in ("days_before", "days_after")]
    header += [t(f"cmp.{k}", lang) for k in ("sign_before", "sign_after", "change")]
    rows: list[list[Any]] = [
        [
            run["name"],
            r.point,
            r.township,
            day_list(r.days_before, lang),
            day_list(r.days_after, lang),
            r.sign_before,
            r.sign_after,
            t(f"cmp.change.{r.change}", lang),
        ]
        for run, changed in changes
        for r in changed.itertuples()
    ]
    return header, rows


def _changes_html(
    runs: list[dict[str, Any]], changes: list[tuple[dict[str, Any], pd.DataFrame]], lang: str
) -> str:
    """The section on timetable changes against the first scenario: per run, how many
    points keep their days and sign, then the changed points."""
    first = runs[0]["timetable"]
    if first is None:
        return ""
    notes = []
    for run, changed in changes:
        both = set(first["point_id"]) & set(run["timetable"]["point_id"])
        kept = len(both) - int(changed["change"].isin(["days", "time", "days_time"]).sum())
        notes.append(
            f"<li><b>{html.escape(run['name'])}</b>: "
            + t("cmp.kept", lang).format(kept=kept, total=len(both))
            + "</li>"
        )
    header, rows = changes_table(changes, lang)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    title = t("cmp.changes", lang).format(first=runs[0]["name"])
    return (
        f"<h2>{html.escape(title)}</h2><ul>{''.join(notes)}</ul>"
        f'<table id="timetable-changes"><tr>{head}</tr>{body}</table>'
    )


def _stations_html(runs: list[dict[str, Any]], lang: str) -> str:
    """Each scenario's transfer stations (``kpis.json`` ``stations``), a table each; a run
    written before they were reported says so."""
    parts = [f"<h2>{t('title.stations', lang)}</h2>"]
    for i, run in enumerate(runs):
        parts.append(f"<h3>{html.escape(run['name'])}</h3>")
        table = stations_frame(run["kpis"])
        if table is None:
            parts.append(f'<p class="muted">{t("cmp.no_stations", lang)}</p>')
        else:
            parts.append(station_table_html(table, lang, table_id=f"stations-{i}"))
    parts.append(f'<p class="muted">{t("report.stations_note", lang)}</p>')
    return "".join(parts)


def bar_chart_svg(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float]]],
    *,
    unit: str = "",
    width: int = 460,
) -> str:
    """A horizontal (stacked when several series) bar chart as inline SVG."""
    row_h, left, top = 28, 150, 30
    # The legend's entries, placed left to right and wrapped to the chart's width.
    legend: list[tuple[int, int, int]] = []  # (series, x, line)
    lx, line = 4, 0
    for n, (name, _) in enumerate(series if len(series) > 1 else []):
        span = 16 + 8 * len(name) + 24
        if lx > 4 and lx + span > width:
            lx, line = 4, line + 1
        legend.append((n, lx, line))
        lx += span
    height = top + row_h * len(labels) + 40 + 18 * line
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    vmax = max(totals + [1e-9])
    scale = (width - left - 80) / vmax
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="4" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, label in enumerate(labels):
        y = top + i * row_h
        parts.append(
            f'<text x="{left - 6}" y="{y + 17}" font-size="12" text-anchor="end">'
            f"{html.escape(label)}</text>"
        )
        x = float(left)
        for n, (_, values) in enumerate(series):
            w = values[i] * scale
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 4}" width="{max(w, 0):.1f}" height="18" '
                f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"/>'
            )
            x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 17}" font-size="11">{totals[i]:,.4g}{unit}</text>'
        )
    for n, lx, line in legend:
        y = top + row_h * len(labels) + 20 + 18 * line
        parts.append(
            f'<rect x="{lx}" y="{y - 10}" width="12" height="12" '
            f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"/>'
            f'<text x="{lx + 16}" y="{y}" font-size="11">{html.escape(series[n][0])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def map_svg(run: dict[str, Any], *, size: int = 300) -> str:
    """A small map of one scenario's network as inline SVG (equirectangular)."""
    layers = run["layers"]
    every = [g for g in layers.values() if len(g)]
    if not every:
        return ""
    lon = [x for g in every for x in g.geometry.x]
    lat = [y for g in every for y in g.geometry.y]
    lo0, lo1, la0, la1 = min(lon), max(lon), min(lat), max(lat)
    span = max(lo1 - lo0, la1 - la0, 1e-6)

    def xy(x: float, y: float) -> tuple[float, float]:
        return 10 + (x - lo0) / span * (size - 20), size - 10 - (y - la0) / span * (size - 20)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mini-map" width="{size}" '
        f'height="{size}" style="border:1px solid #bbb;background:#fafafa">'
    ]
    style = {
        "settlements": ("#999", 1.5),
        "collection_points": ("#2ca02c", 3),
        "transfer_stations": ("#1f77b4", 6),
        "sorting_centre": ("#d62728", 8),
    }
    for name, (colour, radius) in style.items():
        for pt in layers.get(name, gpd.GeoDataFrame()).geometry:
            x, y = xy(pt.x, pt.y)
            parts.append(
                f'<circle class="{name}" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" '
                'stroke="#333" stroke-width="0.3"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


RUNS_TABLE_PATHS = (
    ("facilities", "collection_point"),
    ("facilities", "transfer_station"),
    ("trucks", "collection_total"),
    ("vehicle_km_per_week", "total"),
    ("network_cost_cny_per_year", "total_cny"),
    ("population_share_within_access",),
)
"""The headline indicators of the runs table (a row per run, sortable)."""

_SORT_JS = """
document.querySelectorAll("table.sortable th").forEach(function (th, col) {
  th.style.cursor = "pointer";
  th.addEventListener("click", function () {
    var table = th.closest("table"), rows = Array.from(table.querySelectorAll("tr")).slice(1);
    var up = th.dataset.order !== "asc";
    th.dataset.order = up ? "asc" : "desc";
    rows.sort(function (a, b) {
      var x = a.children[col].dataset.value, y = b.children[col].dataset.value;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = isNaN(nx) || isNaN(ny) ? String(x).localeCompare(String(y)) : nx - ny;
      return up ? c : -c;
    });
    rows.forEach(function (r) { table.appendChild(r); });
  });
});
"""


def _runs_table(runs: list[dict[str, Any]], lang: str) -> str:
    """A row per run and a column per headline indicator; a click on a header sorts the
    rows by it (for a sweep of many runs)."""
    rows_of = {r.path: r for r in KPI_ROWS}
    cols = [rows_of[p] for p in RUNS_TABLE_PATHS if p in rows_of]
    head = f"<th>{t('cmp.scenario', lang)}</th>" + "".join(
        f"<th>{html.escape(t(c.key, lang))}</th>" for c in cols
    )
    body = ""
    for r in runs:
        cells = f'<td data-value="{html.escape(r["name"])}">{html.escape(r["name"])}</td>'
        for c in cols:
            v = kpi_value(r["kpis"], c)
            num = "" if not isinstance(v, int | float) else f"{float(v):.6g}"
            cells += (
                f'<td class="num" data-value="{num}">{html.escape(format_value(v, c, lang))}</td>'
            )
        body += f"<tr>{cells}</tr>"
    return (
        f'<p class="muted">{t("cmp.runs_note", lang)}</p>'
        f'<table id="runs" class="sortable"><tr>{head}</tr>{body}</table>'
        f"<script>{_SORT_JS}</script>"
    )


def _kpi_table(runs: list[dict[str, Any]], names: list[str], lang: str) -> str:
    """The runs' indicators side by side, the best of each row marked, with the
    differences against the first run."""
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    delta_head = "".join(f"<th>Δ {html.escape(n)}</th>" for n in names[1:])
    rows = []
    for row in shown_rows(*[r["kpis"] for r in runs]):
        values = [kpi_value(r["kpis"], row) for r in runs]
        best = set(best_index(values, row.better, ndigits=4 if row.kind == "pct" else 2))
        cells = "".join(
            f'<td class="num{" best" if i in best else ""}">'
            f"{html.escape(format_value(v, row, lang))}</td>"
            for i, v in enumerate(values)
        )
        deltas = ""
        for v in values[1:]:
            if isinstance(v, int | float) and isinstance(values[0], int | float):
                diff = v - values[0]
                text = f"{100 * diff:+.2f} pp" if row.kind == "pct" else f"{diff:+,.2f}"
            else:
                text = ""
            deltas += f'<td class="num">{text}</td>'
        rows.append(f"<tr><th>{html.escape(t(row.key, lang))}</th>{cells}{deltas}</tr>")
    kpi_table = (
        f'<table id="kpi-table"><tr><th>{t("col.indicator", lang)}</th>{head}{delta_head}</tr>'
        f"{''.join(rows)}</table>"
    )
    return kpi_table


def _charts(runs: list[dict[str, Any]], names: list[str], lang: str) -> str:
    """Bar charts of the runs: the siting's and the routed cost split, coverage,
    vehicle-km and trucks."""

    def k(run: dict[str, Any], *path: str) -> float:
        node: Any = run["kpis"]
        for p in path:
            node = node.get(p, 0) if isinstance(node, dict) else 0
        return float(node or 0)

    cost_series = [
        (
            t(f"cmp.{part}", lang),
            [k(r, "cost_cny_per_year", f"{key}_cny") / 1e4 for r in runs],
        )
        for part, key in (
            ("fixed", "fixed"),
            ("access", "transport_access"),
            ("collection", "transport_collection"),
            ("haul", "transport_haul"),
        )
    ]
    routed_series = [
        (t(f"cmp.{key}", lang), [k(r, "fleet_cost_cny_per_year", f"{key}_cny") / 1e4 for r in runs])
        for key in ("collection_trucks", "collection_km", "haul_trucks", "haul_km")
    ]
    routed_chart = (  # runs written before the fleet was costed have no such split
        bar_chart_svg(
            t("cmp.cost_split_routed", lang),
            names,
            [(t("cmp.fixed", lang), cost_series[0][1]), *routed_series],
        )
        if all("fleet_cost_cny_per_year" in r["kpis"] for r in runs)
        else ""
    )
    charts = "".join(
        [
            bar_chart_svg(
                t("cmp.cost_split", lang),
                names,
                cost_series,
            ),
            routed_chart,
            bar_chart_svg(
                t("kpi.coverage", lang),
                names,
                [("", [100 * k(r, "population_share_within_access") for r in runs])],
                unit=" %",
            ),
            bar_chart_svg(
                t("kpi.vkm", lang),
                names,
                [("", [k(r, "vehicle_km_per_week", "total") for r in runs])],
            ),
            bar_chart_svg(
                t("kpi.trucks", lang),
                names,
                [("", [k(r, "trucks", "collection_total") for r in runs])],
            ),
        ]
    )
    return charts


def comparison_html(
    runs: list[dict[str, Any]],
    *,
    lang: str,
    changes: list[tuple[dict[str, Any], pd.DataFrame]] | None = None,
) -> str:
    """The comparison page: KPIs side by side (best marked, differences to the first),
    charts, a small map per scenario, the timetable changes against the first
    (``changes``, from :func:`changed_points`; computed when not given) and the main
    assumptions."""
    changes = changed_points(runs) if changes is None else changes
    names = [r["name"] for r in runs]
    kpi_table = _kpi_table(runs, names, lang)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    zh = lang == "zh"

    charts = _charts(runs, names, lang)
    maps = "".join(
        f'<figure style="display:inline-block;margin:8px">{map_svg(r)}'
        f"<figcaption>{html.escape(r['name'])}</figcaption></figure>"
        for r in runs
    )
    keys = sorted({key for r in runs for key in r["assumptions"]})
    assumption_rows = "".join(
        f"<tr><th>{html.escape(key)}</th>"
        + "".join(f"<td>{html.escape(str(r['assumptions'].get(key, '')))}</td>" for r in runs)
        + "</tr>"
        for key in keys
    )
    listing = "".join(
        f"<li><b>{html.escape(r['name'])}</b> {html.escape(r['title'])} "
        f'<span class="muted">{html.escape(r["folder"])}</span></li>'
        for r in runs
    )
    title = t("title.comparison", lang)
    body = (
        f"<h1>{title}</h1><ul>{listing}</ul>"
        f"<h2>{t('sheet.kpis', lang)}</h2>"
        f"{_runs_table(runs, lang)}"
        f'<p class="muted">{t("cmp.best_note", lang)}</p>'
        f"{kpi_table}"
        + "".join(
            f'<p class="warn solver-note">{html.escape(note)}</p>'
            for note in solver_notes(runs, lang)
        )
        + f"<h2>{t('cmp.charts', lang)}</h2><div class='charts'>{charts}</div>"
        f"<h2>{t('title.map', lang)}</h2>{maps}"
        f"{_stations_html(runs, lang)}"
        f"{_changes_html(runs, changes, lang)}"
        f"<h2>{t('cmp.assumptions', lang)}</h2>"
        f'<table id="assumptions"><tr><th></th>{head}</tr>{assumption_rows}</table>'
    )
    css = ".charts svg { margin: 8px 16px 8px 0; vertical-align: top; }"
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{PAGE_CSS}{css}</style></head><body>{body}</body></html>"
    )


def compare_runs(folders: Sequence[str | Path], out_dir: str | Path, *, lang: str) -> list[Path]:
    """Read the run folders and write ``comparison.html`` and ``comparison.xlsx``."""
    if len(folders) < 2:
        raise InputError(
            InputProblem(
                "(command line)",
                "a comparison needs at least two run folders",
                "name two or more output folders of `recyclenet run`",
            )
        )
    runs = [read_run(f) for f in folders]
    for note in solver_notes(runs, lang):
        warnings.warn(note, RecycleNetWarning, stacklevel=2)
    changes = changed_points(runs)
    final = Path(out_dir)
    with output_set(final, "comparison.html") as out:
        written = _write_comparison(out, runs, lang=lang, changes=changes)
    return [final / p.name for p in written]


def _write_comparison(
    out: Path, runs: list[dict[str, Any]], *, lang: str, changes: Any
) -> list[Path]:
    """The comparison's files, into ``out``."""
    return [
        write_text(out / "comparison.html", comparison_html(runs, lang=lang, changes=changes)),
        write_with(
            out / "comparison.xlsx",
            lambda tmp: comparison_workbook(
                runs, tmp, lang=lang, changes=changes_table(changes, lang)
            ),
        ),
    ]
