"""Write a run's outputs; every file goes to a temporary name first and is then renamed.

Files: ``kpis.json``, ``network.gpkg`` (layers settlements, collection_points,
transfer_stations, sorting_centre, assignments, routes), ``map.html``, ``report.html``,
``route_sheets.html``, ``signs.html``, ``workbook.xlsx``, ``bookings_template.xlsx``,
``timetable.csv``, ``signs.csv``, ``routes.csv`` and ``scenario.resolved.yaml``.
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from recyclenet.config import min_to_hhmm
from recyclenet.io import output_set, write_csv, write_text, write_with
from recyclenet.kpi import STATION_COLUMNS, stations_frame
from recyclenet.network.coords import wgs84_to_gcj02
from recyclenet.outputs.i18n import t
from recyclenet.outputs.maps import (
    build_map,
    day_label,
    day_list,
    dispatch_map,
    route_lines,
    save_map,
    sign_labels,
)
from recyclenet.outputs.report import (
    route_sheets_html,
    route_sheets_page,
    run_report_html,
    signs_page,
)
from recyclenet.outputs.workbook import bookings_template, dispatch_workbook, run_workbook

if TYPE_CHECKING:
    from recyclenet.dispatch import Dispatch
    from recyclenet.pipeline import ScenarioResult

OUTPUT_FILES = (
    "kpis.json",
    "network.gpkg",
    "map.html",
    "report.html",
    "route_sheets.html",
    "signs.html",
    "workbook.xlsx",
    "bookings_template.xlsx",
    "timetable.csv",
    "signs.csv",
    "routes.csv",
    "scenario.resolved.yaml",
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def timetable_table(result: ScenarioResult) -> pd.DataFrame:
    """The published timetable with names: point, township, day, arrival, departure, truck.

    ``slot`` is the time on the point's sign (the one that keeps the most of its visits
    within ``routing.slot_tolerance_min``, see
    :func:`recyclenet.routing.timetable.sign_time_min`); ``slot_deviation_min`` reports how
    far each visit lies from it.
    """
    tt = result.week.timetable()
    if tt.empty:
        return tt
    sites = result.sites.set_index("site_id")
    township = result.point_townships()
    return pd.DataFrame(
        {
            "point_id": tt["point_id"],
            "point": tt["point_id"].map(sites["name"]),
            "township": tt["point_id"].map(township),
            "day": tt["day"],
            "arrival": tt["arrival"],
            "departure": tt["departure"],
            "truck": tt["truck"],
            "vehicle_type": tt["vehicle_type"],
            "trip": tt["trip"],
            "station": tt["station_id"].map(sites["name"]),
            "expected_kg": tt["collected_kg"].round(1),
            "expected_m3": tt["collected_m3"].round(2),
            "slot": tt["slot"],
            "slot_deviation_min": tt["slot_deviation_min"].round(1),
        }
    )


def signs_table(result: ScenarioResult) -> pd.DataFrame:
    """``signs.csv``: what each point's sign says, a row per line (see
    :meth:`recyclenet.routing.WeekPlan.signs`).

    Columns: ``point_id``, ``point``, ``township``, ``station``, ``days`` (day labels
    joined by ``;``, e.g. ``mon;wed;fri``), ``time`` (HH:MM) and ``stay_min``. On every
    day a line lists, the point's truck arrives within ``routing.slot_tolerance_min`` of
    its time.
    """
    signs = result.week.signs()
    sites = result.sites.set_index("site_id")
    station = sites["parent_site_id"].map(sites["name"])
    township = result.point_townships()
    return pd.DataFrame(
        {
            "point_id": signs["point_id"],
            "point": signs["point_id"].map(sites["name"]),
            "township": signs["point_id"].map(township),
            "station": signs["point_id"].map(station),
            "days": signs["days"],
            "time": signs["time"],
            "stay_min": signs["stay_min"].astype(int),
        }
    )


def signs_html(result: ScenarioResult, *, lang: str) -> str:
    """``signs.html``: one printable sign per collection point (see
    :func:`recyclenet.outputs.report.signs_page`)."""
    sc = result.scenario
    table = signs_table(result).sort_values(["station", "township", "point"], kind="stable")
    return signs_page(
        table,
        f"{sc.title or sc.name} — {t('title.signs', lang)}",
        lang,
        tolerance_min=float(sc.routing.slot_tolerance_min),
    )


def routes_table(result: ScenarioResult) -> pd.DataFrame:
    """Every event of every collection truck, then the hauls to the centre.

    Columns: ``route_type`` (collection | haul), ``station_id``, ``day``, ``truck``,
    ``vehicle_type``, ``trip``, ``seq``, ``kind`` (start | stop | lunch | parked | unload |
    end | haul), ``site_id``,
    ``site``, ``arrival``, ``departure``, ``load_kg``, ``load_m3``, ``distance_km``.
    """
    ev = result.week.events()
    names = result.sites.set_index("site_id")["name"]
    frames = []
    if not ev.empty:
        frames.append(
            pd.DataFrame(
                {
                    "route_type": "collection",
                    "station_id": ev["base_id"],
                    "day": ev["day"],
                    "truck": ev["base_id"] + "-" + ev["truck"].astype(str),
                    "vehicle_type": ev["vehicle_type"],
                    "trip": ev["trip"],
                    "seq": ev["seq"],
                    "kind": ev["kind"],
                    "site_id": ev["site_id"],
                    "site": ev["site_id"].map(names),
                    "arrival": ev["arrival_min"].map(min_to_hhmm),
                    "departure": ev["departure_min"].map(min_to_hhmm),
                    "load_kg": ev["load_kg"].round(1),
                    "load_m3": ev["load_m3"].round(2),
                    "distance_km": ev["distance_km"].round(2),
                }
            )
        )
    days = result.week.working_days
    haul_rows = []
    for _, h in result.week.haul.iterrows():
        for trip in range(int(h["trips_per_week"])):
            haul_rows.append(
                {
                    "route_type": "haul",
                    "station_id": h["station_id"],
                    "day": days[trip % len(days)],
                    "truck": f"H-{h['station_id']}",
                    "vehicle_type": result.scenario.routing.haul_vehicle,
                    "trip": trip // len(days) + 1,
                    "seq": 0,
                    "kind": "haul",
                    "site_id": h["centre_id"],
                    "site": names.get(h["centre_id"], h["centre_id"]),
                    "arrival": "",
                    "departure": "",
                    "load_kg": round(h["kg_per_week"] / max(1, h["trips_per_week"]), 1),
                    "load_m3": float("nan"),
                    "distance_km": round(h["km_per_trip"], 2),
                }
            )
    if haul_rows:
        frames.append(pd.DataFrame(haul_rows))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def template_points(result: ScenarioResult, *, lang: str) -> pd.DataFrame:
    """The collection points a booking can name, for the bookings template: ``point_id``,
    ``name``, ``township``, ``station`` (its name), ``visit_days``, ``sign`` (the times
    on its sign), ``lon`` and ``lat``."""
    sites = result.sites
    names = result.site_names()
    town = result.point_townships()
    visits, days = result.week.visits, result.week.working_days
    signs = sign_labels(result.week.timetable(), lang)
    pts = sites[sites["tier"] == "collection_point"]
    return pd.DataFrame(
        {
            "point_id": pts["site_id"].astype(str).to_numpy(),
            "name": pts["name"].to_numpy(),
            "township": [town.get(s, "") for s in pts["site_id"]],
            "station": [names.get(s, s) for s in pts["parent_site_id"]],
            "visit_days": [
                day_list((days[d] for d in visits[s].day_idx), lang) if s in visits else ""
                for s in pts["site_id"]
            ],
            "sign": [" / ".join(signs.get(s, [])) for s in pts["site_id"]],
            "lon": pts["lon"].round(6).to_numpy(),
            "lat": pts["lat"].round(6).to_numpy(),
        }
    )


def network_layers(result: ScenarioResult) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage layers, WGS-84."""
    crs = "EPSG:4326"
    st = result.inputs.settlements.copy()
    assign = result.siting.assignments()
    st["demand_kg_per_day"] = result.demand["demand_kg_per_day"].to_numpy()
    st["demand_m3_per_day"] = result.demand["demand_m3_per_day"].to_numpy()
    st["point_id"] = assign["point_id"].to_numpy()
    st["access_km"] = assign["access_km"].to_numpy()
    sites = result.sites.drop(columns=["site_idx"])
    visits = result.week.visits
    days = result.week.working_days
    pts = sites[sites["tier"] == "collection_point"].copy()
    pts["visits_per_week"] = [
        visits[s].frequency_per_week if s in visits else 0 for s in pts["site_id"]
    ]
    pts["visit_days"] = [
        ",".join(days[d] for d in visits[s].day_idx) if s in visits else "" for s in pts["site_id"]
    ]
    # Why so often (truck, storage, planner) and, for a point with storage, how long it
    # lasts against the longest gap between visits (NaN: a plain truck stop).
    pts["visits_basis"] = [visits[s].basis if s in visits else "" for s in pts["site_id"]]
    full = [visits[s].storage_full_days if s in visits else math.inf for s in pts["site_id"]]
    pts["storage_full_days"] = [round(f, 2) if math.isfinite(f) else math.nan for f in full]
    pts["longest_gap_days"] = [
        visits[s].longest_gap_days if s in visits else 0 for s in pts["site_id"]
    ]
    # The hours the truck may stand there (HH:MM; empty: the shift), which `route` keeps.
    cand = result.inputs.candidates.set_index("site_id")
    for col in ("window_start", "window_end"):
        pts[col] = pts["site_id"].map(cand[col]).fillna("").astype(str).to_numpy()
    pos = result.sites.set_index("site_id")
    lines = []
    for _, row in st.iterrows():
        p = pos.loc[row["point_id"]]
        lines.append(
            {
                "level": "settlement_to_point",
                "from_id": row["settlement_id"],
                "to_id": row["point_id"],
                "distance_km": row["access_km"],
                "geometry": LineString([(row["lon"], row["lat"]), (p["lon"], p["lat"])]),
            }
        )
    for _, f in result.sites[result.sites["tier"] != "sorting_centre"].iterrows():
        p = pos.loc[f["parent_site_id"]]
        level = "point_to_station" if f["tier"] == "collection_point" else "station_to_centre"
        lines.append(
            {
                "level": level,
                "from_id": f["site_id"],
                "to_id": f["parent_site_id"],
                "distance_km": float("nan"),
                "geometry": LineString([(f["lon"], f["lat"]), (p["lon"], p["lat"])]),
            }
        )
    routes = route_lines(result)
    if not routes.empty:
        routes["start"] = routes["start"].map(min_to_hhmm)
        routes["end"] = routes["end"].map(min_to_hhmm)
        routes["geometry"] = [LineString(c) for c in routes.pop("coords")]
    else:
        routes = pd.DataFrame({"geometry": []})
    layers = {
        "settlements": gpd.GeoDataFrame(st, geometry="geometry", crs=crs),
        "collection_points": gpd.GeoDataFrame(pts, geometry="geometry", crs=crs),
        "transfer_stations": gpd.GeoDataFrame(
            _with_station_work(sites[sites["tier"] == "transfer_station"], result),
            geometry="geometry",
            crs=crs,
        ),
        "sorting_centre": gpd.GeoDataFrame(
            sites[sites["tier"] == "sorting_centre"], geometry="geometry", crs=crs
        ),
        "assignments": gpd.GeoDataFrame(lines, geometry="geometry", crs=crs),
        "routes": gpd.GeoDataFrame(routes, geometry="geometry", crs=crs),
    }
    if result.scenario.outputs.gcj02_columns:
        for name in ("settlements", "collection_points", "transfer_stations", "sorting_centre"):
            layer = layers[name]
            lon, lat = wgs84_to_gcj02(layer.geometry.x.to_numpy(), layer.geometry.y.to_numpy())
            layers[name] = layer.assign(lon_gcj02=np.round(lon, 7), lat_gcj02=np.round(lat, 7))
    return layers


def _with_station_work(stations: pd.DataFrame, result: ScenarioResult) -> pd.DataFrame:
    """The station layer's rows with what serving their points takes (``kpis.json``
    ``stations`` from ``points`` on), for styling in QGIS."""
    work = stations_frame(result.kpis.to_dict())
    if work is None:
        return stations
    work = work.set_index("station_id")
    extra = [
        c
        for c in STATION_COLUMNS
        if c not in ("station_id", "name", "t_per_day") and c not in stations
    ]
    return stations.join(work[extra], on="site_id")


def _write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, layer in layers.items():
        layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def write_outputs(
    result: ScenarioResult,
    out_dir: str | Path,
    *,
    lang: str | None = None,
    offline: bool = False,
) -> list[Path]:
    """Write every output of a run into ``out_dir``; return the paths written.

    ``offline`` makes the HTML pages work without network: Leaflet is inlined and the
    default base map is blank. The set is written into a staging folder beside
    ``out_dir`` and swapped in whole (:func:`recyclenet.io.output_set`): ``out_dir``
    holds this run's files or, where it died, the previous run's, never a mix;
    ``kpis.json`` names the set's ``run_id``.
    """
    final = Path(out_dir)
    with output_set(final, "kpis.json") as out:
        written = _write_run(result, out, lang=lang or result.scenario.language, offline=offline)
    return [final / p.name for p in written]


def _write_run(result: ScenarioResult, out: Path, *, lang: str, offline: bool) -> list[Path]:
    """Every file of a run, into ``out``."""
    kpis = {"run_id": uuid.uuid4().hex, **result.kpis.to_dict()}
    written = [
        write_text(
            out / "kpis.json",
            json.dumps(_clean(kpis), ensure_ascii=False, indent=2, default=str) + "\n",
        ),
        write_with(out / "network.gpkg", lambda tmp: _write_gpkg(tmp, network_layers(result))),
        write_with(
            out / "map.html",
            lambda tmp: save_map(
                build_map(result, lang=lang, offline=offline), tmp, offline=offline, lang=lang
            ),
        ),
        write_text(out / "report.html", run_report_html(result, lang=lang)),
        write_text(out / "route_sheets.html", route_sheets_html(result, lang=lang)),
        write_text(out / "signs.html", signs_html(result, lang=lang)),
        write_with(out / "workbook.xlsx", lambda tmp: run_workbook(result, tmp, lang=lang)),
        write_with(
            out / "bookings_template.xlsx",
            lambda tmp: bookings_template(
                template_points(result, lang=lang),
                tmp,
                lang=lang,
                working_days=result.week.working_days,
            ),
        ),
        write_csv(out / "timetable.csv", timetable_table(result)),
        write_csv(out / "signs.csv", signs_table(result)),
        write_csv(out / "routes.csv", routes_table(result)),
        write_text(out / "scenario.resolved.yaml", result.scenario.to_yaml()),
    ]
    return written


DISPATCH_FILES = (
    "routes.csv",
    "routes.xlsx",
    "route_sheets.html",
    "map.html",
    "deferred.csv",
    "rejected.csv",
    "summary.json",
)


def dispatch_routes_table(dispatch: Dispatch, lang: str = "zh") -> pd.DataFrame:
    """The day's events: ``station_id``, ``truck``, ``trip``, ``seq``, ``kind``,
    ``stop_kind`` (published | booking), ``booking_id``, ``site_id``, ``name``,
    ``arrival``, ``departure``, ``published_arrival``, ``delivered_kg``, ``delivered_m3``
    (a new appliance handed over, 送新收旧), ``load_kg``, ``load_m3`` (on board after the
    event; at a start, the new appliances of the trip), ``distance_km``; names in
    ``lang``."""
    ev = dispatch.events(lang)
    if ev.empty:
        return pd.DataFrame()
    published = dispatch.stops.set_index(["station_id", "stop_idx"])["published_arrival"]
    return pd.DataFrame(
        {
            "station_id": ev["base_id"],
            "truck": ev["base_id"] + "-" + ev["truck"].astype(str),
            "trip": ev["trip"],
            "seq": ev["seq"],
            "kind": ev["kind"],
            "stop_kind": ev["stop_kind"],
            "booking_id": ev["booking_id"],
            "site_id": ev["site_id"],
            "name": ev["name"],
            "arrival": ev["arrival_min"].map(min_to_hhmm),
            "departure": ev["departure_min"].map(min_to_hhmm),
            "published_arrival": [
                published.get((b, i), "") if k == "stop" else ""
                for b, i, k in zip(ev["base_id"], ev["stop_idx"], ev["kind"], strict=True)
            ],
            "delivered_kg": ev["delivered_kg"].round(1),
            "delivered_m3": ev["delivered_m3"].round(2),
            "load_kg": ev["load_kg"].round(1),
            "load_m3": ev["load_m3"].round(2),
            "distance_km": ev["distance_km"].round(2),
        }
    )


def dispatch_summary(dispatch: Dispatch) -> dict[str, Any]:
    """Counts a dispatcher checks first: bookings planned, deferred, rejected; new
    appliances delivered (送新收旧); trucks; km; and per station
    (:func:`dispatch_stations`)."""
    deferred = dispatch.deferred()
    ev = dispatch.events()
    handed = ev[ev["delivered_kg"] + ev["delivered_m3"] > 0] if not ev.empty else ev
    return {
        "day": dispatch.day,
        "bookings_file": dispatch.bookings.file,
        "bookings_accepted": len(dispatch.bookings.accepted),
        "bookings_planned": len(dispatch.bookings.accepted) - len(deferred),
        "bookings_deferred": len(deferred),
        "bookings_rejected": len(dispatch.bookings.rejected),
        "bookings_other_days": dispatch.bookings.skipped,
        "published_stops": int((dispatch.stops["kind"] == "published").sum())
        if len(dispatch.stops)
        else 0,
        "published_stops_missed": [list(x) for x in dispatch.missed_published()],
        # published stops the trucks cannot keep within the tolerance of their sign
        "published_stops_off_sign": dispatch.off_sign().to_dict("records"),
        "deliveries_planned": len(handed),
        "delivered_kg": round(float(handed["delivered_kg"].sum()), 1) if len(handed) else 0.0,
        "trucks_used": int(sum(d.num_trucks for d in dispatch.days)),
        # (from the events: a truck re-planned on the road counts from where it is)
        "distance_km": round(float(ev["distance_km"].sum()), 1) if len(ev) else 0.0,
        "cost_cny": round(float(sum(d.cost_cny for d in dispatch.days)), 1),
        "solver_time_s": round(float(sum(d.runtime_s for d in dispatch.days)), 2),
        "stations": dispatch_stations(dispatch),
    }


def dispatch_stations(dispatch: Dispatch) -> list[dict[str, Any]]:
    """Per station routed: ``station_id``, ``name``, ``trucks``, ``published_stops``,
    ``bookings_planned``, ``bookings_deferred``, ``distance_km``, ``first_out`` (the
    first truck leaves, HH:MM) and ``last_back`` (the last one is back)."""
    names = dispatch.network.site_names()
    stops = dispatch.stops
    ev = dispatch.events()
    out = []
    for d in dispatch.days:
        sid = d.problem.base_id
        kind = stops.loc[stops["station_id"] == sid].set_index("stop_idx")["kind"]
        left_out = kind.reindex(list(d.dropped))
        mine = ev[ev["base_id"] == sid] if len(ev) else ev
        firsts = mine.groupby("truck").head(1) if len(mine) else mine
        starts = list(firsts["departure_min"]) if len(firsts) else []
        ends = [route[-1].arrival_min for route in d.routes]
        out.append(
            {
                "station_id": sid,
                "name": names.get(sid, sid),
                "trucks": d.num_trucks,
                "published_stops": int((kind == "published").sum()),
                "bookings_planned": int((kind == "booking").sum() - (left_out == "booking").sum()),
                "bookings_deferred": int((left_out == "booking").sum()),
                "distance_km": round(float(mine["distance_km"].sum()), 1) if len(mine) else 0.0,
                "first_out": min_to_hhmm(min(starts)) if starts else "",
                "last_back": min_to_hhmm(max(ends)) if ends else "",
            }
        )
    return out


def write_dispatch(
    dispatch: Dispatch, out_dir: str | Path, *, lang: str | None = None, offline: bool = False
) -> list[Path]:
    """Write the dispatcher's day (:data:`DISPATCH_FILES`) into ``out_dir``, as a whole
    set or not at all (:func:`recyclenet.io.output_set`)."""
    final = Path(out_dir)
    with output_set(final, "summary.json") as out:
        written = _write_dispatch(dispatch, out, lang=lang, offline=offline)
    return [final / p.name for p in written]


def _write_dispatch(
    dispatch: Dispatch, out: Path, *, lang: str | None, offline: bool
) -> list[Path]:
    """Every file of the dispatcher's day, into ``out``."""
    sc = dispatch.network.scenario
    lang = lang or sc.language
    ev = dispatch.events(lang)
    routes = []
    if not ev.empty:
        for (base, truck), route in ev.groupby(["base_id", "truck"]):
            routes.append((base, int(truck), dispatch.day, route))
    names = dispatch.network.site_names()
    summary = dispatch_summary(dispatch)
    title = (
        f"{sc.title or sc.name} — {t('title.route_sheets', lang)} · {day_label(dispatch.day, lang)}"
    )
    return [
        write_csv(out / "routes.csv", dispatch_routes_table(dispatch, lang)),
        write_text(out / "route_sheets.html", route_sheets_page(routes, names, title, lang)),
        write_with(
            out / "map.html",
            lambda tmp: save_map(
                dispatch_map(dispatch, lang=lang, offline=offline),
                tmp,
                offline=offline,
                lang=lang,
            ),
        ),
        write_with(
            out / "routes.xlsx",
            lambda tmp: dispatch_workbook(dispatch, summary, tmp, lang=lang),
        ),
        write_csv(out / "deferred.csv", dispatch.deferred()),
        write_csv(out / "rejected.csv", dispatch.bookings.rejected),
        write_text(
            out / "summary.json",
            json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
        ),
    ]
