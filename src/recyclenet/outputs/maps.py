"""Folium maps: a run's three tiers, catchments and daily routes; a dispatcher's day."""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

import folium
import pandas as pd
from branca.element import Element, Figure

from recyclenet.config import min_to_hhmm
from recyclenet.outputs.i18n import t, visits_basis_text
from recyclenet.routing.result import STANDING

if TYPE_CHECKING:
    from recyclenet.dispatch import Dispatch
    from recyclenet.pipeline import ScenarioResult

TIER_STYLE = {
    # tier: (colour, radius px, label zh, label en)
    "settlement": ("#7f7f7f", 3, "村/社区", "settlement"),
    "collection_point": ("#2ca02c", 6, "村级回收点", "collection point"),
    "transfer_station": ("#1f77b4", 11, "镇级中转站", "transfer station"),
    "sorting_centre": ("#d62728", 16, "区级分拣中心", "sorting centre"),
}
ROUTE_COLOURS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#000075",
    "#808000",
)
DAY_LABELS = {
    "mon": ("周一", "Mon"),
    "tue": ("周二", "Tue"),
    "wed": ("周三", "Wed"),
    "thu": ("周四", "Thu"),
    "fri": ("周五", "Fri"),
    "sat": ("周六", "Sat"),
    "sun": ("周日", "Sun"),
}


BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8"
    "/x8AAwMCAO+ip1sAAAAASUVORK5CYII="
)


def leaflet_inline() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS (images as data URIs) from the vendored copy."""
    root = resources.files("recyclenet") / "static" / "leaflet"
    js = (root / "leaflet.js").read_text(encoding="utf-8")
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        data = (root / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode()})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    return js, css


AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)

# Amap tiles are drawn in GCJ-02. Leaflet cannot reproject tiles, so while that base layer
# is selected every marker and line of every overlay is moved to GCJ-02 (same formula as
# recyclenet.network.coords.wgs84_to_gcj02), and moved back when another base is chosen.
GCJ02_SHIFT_JS = """
document.addEventListener("DOMContentLoaded", function () {
  // Runs after folium's script has declared the map and the layer control.
  var map = %(map)s, control = %(control)s, shifted = false;
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function inChina(lon, lat) { return lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55; }
  function dLat(x, y) {
    return -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
      + (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3
      + (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3
      + (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  }
  function dLon(x, y) {
    return 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
      + (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3
      + (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3
      + (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  }
  function toGcj(p) {
    if (!inChina(p.lng, p.lat)) { return L.latLng(p.lat, p.lng); }
    var rad = p.lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var sq = Math.sqrt(magic);
    var la = dLat(p.lng - 105, p.lat - 35) * 180 / ((A * (1 - EE)) / (magic * sq) * PI);
    var lo = dLon(p.lng - 105, p.lat - 35) * 180 / (A / sq * Math.cos(rad) * PI);
    return L.latLng(p.lat + la, p.lng + lo);
  }
  function deep(a, f) {
    return Array.isArray(a) ? a.map(function (x) { return deep(x, f); }) : f(a);
  }
  function move(layer, on) {
    if (layer.eachLayer && !layer.getLatLng && !layer.getLatLngs) {
      layer.eachLayer(function (l) { move(l, on); });
    } else if (layer.getLatLng && layer.setLatLng) {
      if (!layer._wgs) { layer._wgs = layer.getLatLng(); }
      layer.setLatLng(on ? toGcj(layer._wgs) : layer._wgs);
    } else if (layer.getLatLngs && layer.setLatLngs) {
      // (a polygon's are nested: rings of points)
      if (!layer._wgs) { layer._wgs = deep(layer.getLatLngs(), function (p) { return p; }); }
      layer.setLatLngs(on ? deep(layer._wgs, toGcj) : layer._wgs);
    }
  }
  window.recyclenetShifted = function () { return shifted; };
  map.on("baselayerchange", function (e) {
    var on = /GCJ-02/.test(e.name);
    if (on === shifted) { return; }
    shifted = on;
    control._layers.forEach(function (o) { if (o.overlay) { move(o.layer, on); } });
  });
});
"""

# Folium's templates use jQuery only as $(`<html>`)[0] (popups) and $(document).ready(f).
JQUERY_SHIM = """
window.$ = window.$ || function (arg) {
  if (typeof arg === "string") {
    var t = document.createElement("template");
    t.innerHTML = arg.trim();
    return [t.content.firstElementChild];
  }
  return {ready: function (f) {
    if (document.readyState !== "loading") { f(); }
    else { document.addEventListener("DOMContentLoaded", f); }
  }};
};
"""


def _root(fmap: folium.Map) -> Figure:
    """The page a map is drawn on (its header, body HTML and script sections)."""
    return cast(Figure, fmap.get_root())


def make_offline(fmap: folium.Map) -> None:
    """Replace every CDN link of the map by inline Leaflet, so it needs no network.

    Folium's defaults also load jQuery, Bootstrap and Awesome Markers. These maps use no
    Bootstrap or Awesome Markers, and of jQuery only what ``JQUERY_SHIM`` provides.
    """
    fmap.default_js = []
    fmap.default_css = []
    js, css = leaflet_inline()
    js = js + "\n" + JQUERY_SHIM
    header = _root(fmap).header
    # The map script runs in the body, after the header, so Leaflet is defined by then.
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")


def no_network_note(lang: str) -> str:
    """A notice, hidden unless Leaflet failed to load, that says why the map is blank
    and that ``--offline`` makes a page that needs no network.

    The CDN scripts sit in the header and load before the body is parsed, so the check
    that follows the notice sees whether ``L`` (Leaflet) exists.
    """
    return (
        '<div id="recyclenet-no-network" role="alert" style="display:none;position:fixed;'
        "top:24px;left:50%;transform:translateX(-50%);max-width:640px;z-index:10000;"
        "background:#fff8e1;border:1px solid #e0a800;border-radius:4px;padding:12px 16px;"
        f'font:14px/1.6 sans-serif">{html.escape(t("map.no_network", lang))}</div>'
        "<script>if (typeof L === 'undefined') "
        "{document.getElementById('recyclenet-no-network').style.display = 'block';}</script>"
    )


def save_map(fmap: folium.Map, path: str | Path, *, offline: bool, lang: str = "zh") -> None:
    """Write a map as HTML; ``offline`` inlines Leaflet instead of loading it from a CDN.

    Without ``offline`` the page shows :func:`no_network_note` in ``lang`` where Leaflet
    cannot be loaded (an intranet), instead of staying blank.
    """
    if offline:
        make_offline(fmap)
    else:
        _root(fmap).html.add_child(Element(no_network_note(lang)), name="no_network_note")
    fmap.save(str(path))


def _bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Screen bearing (degrees clockwise from east) from a to b, both (lat, lon)."""
    dy = b[0] - a[0]
    dx = (b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return -math.degrees(math.atan2(dy, dx))


def safe(text: object) -> str:
    """Text from an input, for HTML that Folium writes into a JavaScript template literal
    (popups, tooltips): HTML-escaped, with the characters that could end the literal, open
    an interpolation or escape (`` ` ``, ``$``, ``\\``) as entities, so a name is only
    ever shown, never run."""
    return (
        html.escape(str(text), quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("\\", "&#92;")
    )


def day_label(day: str, lang: str) -> str:
    """Weekday label in the chosen language."""
    zh, en = DAY_LABELS[day]
    return zh if lang == "zh" else en


def day_list(days: Iterable[str], lang: str) -> str:
    """Weekday labels joined the language's way: ``周一、周四`` or ``Mon, Thu``."""
    return ("、" if lang == "zh" else ", ").join(day_label(d, lang) for d in days)


def day_ranges(days: Iterable[str], lang: str) -> str:
    """Weekday labels with runs of three or more days in a row shortened: ``周一至周五、周日``
    or ``Mon–Fri, Sun`` (what a sign shows)."""
    order = list(DAY_LABELS)
    idx = sorted(order.index(d) for d in days)
    parts: list[str] = []
    k = 0
    while k < len(idx):
        end = k
        while end + 1 < len(idx) and idx[end + 1] == idx[end] + 1:
            end += 1
        if end - k >= 2:
            joint = "至" if lang == "zh" else "–"
            first, last = day_label(order[idx[k]], lang), day_label(order[idx[end]], lang)
            parts.append(f"{first}{joint}{last}")
        else:
            parts += [day_label(order[i], lang) for i in idx[k : end + 1]]
        k = end + 1
    return ("、" if lang == "zh" else ", ").join(parts)


def sign_labels(timetable: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """Per point id, the lines of its sign as a resident reads them (``周一至周六 08:57``),
    from a timetable with ``point_id``, ``day`` and ``slot`` (each visit's line time,
    :meth:`~recyclenet.routing.WeekPlan.timetable`), lines in time order."""
    out: dict[str, list[str]] = {}
    if timetable.empty:
        return out
    for (pid, slot), rows in timetable.groupby(["point_id", "slot"], sort=True):
        out.setdefault(str(pid), []).append(f"{day_ranges(set(rows['day']), lang)} {slot}")
    return out


def _legend(lang: str) -> str:
    rows = []
    for colour, radius, zh, en in TIER_STYLE.values():
        size = max(8, radius * 2 // 1)
        rows.append(
            f'<div><span style="display:inline-block;width:{size}px;height:{size}px;'
            f'border-radius:50%;background:{colour};margin-right:6px;vertical-align:middle">'
            f"</span>{zh if lang == 'zh' else en}</div>"
        )
    title = t("map.legend", lang)
    return (
        '<div id="recyclenet-legend" style="position:fixed;bottom:24px;left:24px;z-index:9999;'
        "background:white;padding:8px 12px;border:1px solid #999;border-radius:4px;"
        f'font-size:13px;line-height:1.6"><b>{title}</b>{"".join(rows)}'
        f'<div><span style="display:inline-block;width:18px;border-top:3px solid #e6194b;'
        f'margin-right:6px;vertical-align:middle"></span>'
        f"{t('map.truck_route', lang)}"
        "</div></div>"
    )


TIANDITU_TILES = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)


def _tianditu(fmap: folium.Map, key: str, lang: str) -> None:
    """天地图's standard map (CGCS2000, drawn as WGS-84: no shift) with its labels."""
    tiles = TIANDITU_TILES.replace("{layer}", "vec").replace("{key}", key)
    folium.TileLayer(
        tiles=tiles,
        attr="© 天地图 Tianditu",
        name=t("map.tianditu", lang),
        subdomains="01234567",
        max_zoom=18,
        show=False,
    ).add_to(fmap)
    labels = TIANDITU_TILES.replace("{layer}", "cva").replace("{key}", key)
    folium.TileLayer(
        tiles=labels,
        attr="© 天地图 Tianditu",
        name=t("map.tianditu_labels", lang),
        subdomains="01234567",
        overlay=True,
        show=False,
    ).add_to(fmap)


def township_layer(settlements: pd.DataFrame, lang: str) -> folium.FeatureGroup:
    """A light context layer made from the scenario itself (no tiles needed): each
    township's area as the hull of its settlements, a little widened, and its name."""
    import shapely

    group = folium.FeatureGroup(name=t("map.townships", lang), show=True)
    for name, rows in settlements.groupby("township", sort=True):
        points = shapely.MultiPoint(list(zip(rows["lon"], rows["lat"], strict=True)))
        area = points.convex_hull.buffer(0.008)
        ring = [[y, x] for x, y in area.exterior.coords] if hasattr(area, "exterior") else []
        if ring:
            folium.Polygon(
                ring,
                color="#9e9e9e",
                weight=1,
                fill=True,
                fill_color="#eeeeee",
                fill_opacity=0.35,
                interactive=False,
            ).add_to(group)
        centre = area.centroid
        folium.Marker(
            [centre.y, centre.x],
            icon=folium.DivIcon(
                html=f'<div class="township-name" style="font-size:11px;color:#616161;'
                f'white-space:nowrap;transform:translate(-50%,-50%)">{safe(str(name))}</div>',
                icon_size=(0, 0),
            ),
            interactive=False,
        ).add_to(group)
    return group


def _base_map(
    bounds: list[list[float]], *, lang: str, offline: bool, tianditu_key: str | None = None
) -> folium.Map:
    """An empty map fitted to ``bounds`` with OSM, Amap, blank and (with a key) Tianditu
    base layers."""
    fmap = folium.Map(tiles=None, control_scale=True)
    osm = folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=not offline)
    blank = folium.TileLayer(
        tiles=BLANK_TILE, attr="RecycleNet", name=t("map.no_basemap", lang), show=offline
    )
    amap = folium.TileLayer(
        tiles=AMAP_TILES,
        attr="© 高德地图 AutoNavi",
        name=t("map.amap", lang),
        subdomains="1234",
        max_zoom=18,
        show=False,
    )
    for layer in (blank, osm, amap) if offline else (osm, amap, blank):
        layer.add_to(fmap)
    if tianditu_key:
        _tianditu(fmap, tianditu_key, lang)
    fmap.fit_bounds(bounds)
    return fmap


def _draw_route(
    group: folium.FeatureGroup,
    route: pd.DataFrame,
    coords: list[tuple[float, float]],
    names: list[str],
    label: str,
    n: int,
) -> None:
    """One truck's day: a line through its events and a numbered marker per stop."""
    colour = ROUTE_COLOURS[n % len(ROUTE_COLOURS)]
    folium.PolyLine(
        [list(c) for c in coords], color=colour, weight=3, opacity=0.85, tooltip=safe(label)
    ).add_to(group)
    order = 0
    for (_, e), where, name in zip(route.iterrows(), coords, names, strict=True):
        if e["kind"] != "stop":
            continue
        order += 1
        folium.Marker(
            list(where),
            icon=folium.DivIcon(
                html=f'<div class="stop-order" style="font-size:10px;color:white;'
                f"background:{colour};border-radius:8px;width:16px;height:16px;"
                f'text-align:center;line-height:16px">{order}</div>',
                icon_size=(16, 16),
                icon_anchor=(8, 8),
            ),
            tooltip=f"{safe(label)} #{order} {safe(name)} {min_to_hhmm(e['arrival_min'])}",
        ).add_to(group)


def _settlement_layers(
    fmap: folium.Map,
    st: pd.DataFrame,
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    assign: pd.DataFrame,
    pos: pd.DataFrame,
    lang: str,
) -> None:
    """The settlements (population, kg a day, their point) and the assignment lines
    settlement -> point -> station -> centre."""
    g_settle = folium.FeatureGroup(name=t("map.settlements", lang))
    g_assign = folium.FeatureGroup(name=t("map.assignments", lang))
    for _, s in st.iterrows():
        sid = s["settlement_id"]
        kg = float(demand.loc[sid, "demand_kg_per_day"])
        pid = assign.loc[sid, "point_id"]
        popup = (
            f"<b>{safe(s['name'])}</b><br>{safe(s['township'])}<br>"
            f"{t('map.population', lang)}: {int(s['population']):,}<br>"
            f"{t('map.recyclables', lang)}: {kg:,.0f} kg/{t('map.day', lang)}<br>"
            f"{t('map.point', lang)}: {safe(pos.loc[pid, 'name'])} "
            f"({float(assign.loc[sid, 'access_km']):.1f} km)"
        )
        colour, radius, _, _ = TIER_STYLE["settlement"]
        folium.CircleMarker(
            [s["lat"], s["lon"]],
            radius=radius,
            color=colour,
            fill=True,
            fill_opacity=0.8,
            weight=1,
            popup=folium.Popup(popup, max_width=300),
            tooltip=safe(s["name"]),
        ).add_to(g_settle)
        folium.PolyLine(
            [[s["lat"], s["lon"]], [pos.loc[pid, "lat"], pos.loc[pid, "lon"]]],
            color="#999999",
            weight=1,
            opacity=0.7,
        ).add_to(g_assign)
    for _, f in sites[sites["tier"] != "sorting_centre"].iterrows():
        parent = pos.loc[f["parent_site_id"]]
        folium.PolyLine(
            [[f["lat"], f["lon"]], [parent["lat"], parent["lon"]]],
            color=TIER_STYLE[f["tier"]][0],
            weight=1.5 if f["tier"] == "collection_point" else 3,
            opacity=0.6,
            dash_array="4 4",
        ).add_to(g_assign)
    g_settle.add_to(fmap)
    g_assign.add_to(fmap)


def _route_layers(fmap: folium.Map, result: ScenarioResult, pos: pd.DataFrame, lang: str) -> None:
    """One layer of routes per working day (the first shown)."""
    sites = result.sites
    events = result.week.events()
    if not events.empty:
        events = events[~events["kind"].isin(STANDING)]  # standing: no new place to draw
    names = sites.set_index("site_id")["name"]
    for d, day in enumerate(result.week.working_days):
        group = folium.FeatureGroup(
            name=f"{t('map.routes', lang)} {day_label(day, lang)}", show=(d == 0)
        )
        if not events.empty:
            today = events[events["day"] == day]
            for n, ((base, truck), route) in enumerate(today.groupby(["base_id", "truck"])):
                coords = [(pos.loc[s, "lat"], pos.loc[s, "lon"]) for s in route["site_id"]]
                label = f"{names.get(base, base)} {t('map.truck', lang)} {truck}"
                stop_names = [names.get(s, "") for s in route["site_id"]]
                _draw_route(group, route, coords, stop_names, label, n)
        group.add_to(fmap)


def build_map(result: ScenarioResult, *, lang: str = "zh", offline: bool = False) -> folium.Map:
    """The run's map: tiers with distinct symbols, assignment lines, routes per day.

    Layers: settlements, assignment lines, collection points, transfer stations, the
    sorting centre, and one route layer per working day (the first shown), with a layer
    switcher, a scale bar and a legend. Popups give names, population, kg per day and visit
    times.
    """
    zh = lang == "zh"
    st = result.inputs.settlements
    sites = result.sites
    bounds = [
        [float(st["lat"].min()), float(st["lon"].min())],
        [float(st["lat"].max()), float(st["lon"].max())],
    ]
    fmap = _base_map(
        bounds, lang=lang, offline=offline, tianditu_key=result.scenario.outputs.tianditu_key
    )
    township_layer(st, lang).add_to(fmap)

    timetable = result.week.timetable()
    slots: dict[str, list[str]] = {}
    for _, row in timetable.iterrows():
        slots.setdefault(row["point_id"], []).append(
            f"{day_label(row['day'], lang)} {row['arrival']}–{row['departure']}"
        )
    signs = sign_labels(timetable, lang)

    demand = result.demand.set_index("settlement_id")
    assign = result.siting.assignments().set_index("settlement_id")
    pos = sites.set_index("site_id")

    _settlement_layers(fmap, st, sites, demand, assign, pos, lang)

    tier_names = {
        tier: t(f"map.layer.{tier}", lang)
        for tier in ("collection_point", "transfer_station", "sorting_centre")
    }
    served_pop = (
        st.assign(point_id=assign.loc[st["settlement_id"], "point_id"].to_numpy())
        .groupby("point_id")["population"]
        .sum()
    )
    for tier, label in tier_names.items():
        group = folium.FeatureGroup(name=label)
        colour, radius, tier_zh, tier_en = TIER_STYLE[tier]
        for _, f in sites[sites["tier"] == tier].iterrows():
            visit_text = "<br>".join(slots.get(f["site_id"], []))
            popup = (
                f"<b>{safe(f['name'])}</b> ({tier_zh if zh else tier_en})<br>"
                f"{t('map.throughput', lang)}: {f['kg_per_day'] / 1000:,.2f} t/"
                f"{t('map.day', lang)}"
            )
            if str(f.get("operator", "") or "").strip():
                popup += f"<br>{t('col.operator', lang)}: {safe(str(f['operator']))}"
            if str(f.get("categories", "") or "").strip():  # a specialised centre (专业型)
                popup += f"<br><b>{t('map.specialised', lang)}</b>: {safe(str(f['categories']))}"
            if tier == "collection_point":
                popup += f"<br>{t('map.served', lang)}: {int(served_pop.get(f['site_id'], 0)):,}"
                why = visits_basis_text(result.week.visits.get(f["site_id"]), lang)
                if why:
                    popup += f"<br>{t('col.visits_basis', lang)}: {safe(why)}"
            if visit_text:
                sign = safe(" / ".join(signs[str(f["site_id"])]))
                popup += f"<br><b>{t('map.sign', lang)}</b>: {sign}"
                popup += f"<br><b>{t('map.visits', lang)}</b><br>{visit_text}"
            folium.CircleMarker(
                [f["lat"], f["lon"]],
                radius=radius,
                color="black",
                weight=1,
                fill=True,
                fill_color=colour,
                fill_opacity=0.95,
                popup=folium.Popup(popup, max_width=320),
                tooltip=safe(f["name"]),
            ).add_to(group)
        group.add_to(fmap)

    _route_layers(fmap, result, pos, lang)

    control = folium.LayerControl(collapsed=False)
    control.add_to(fmap)
    _root(fmap).script.add_child(
        Element(GCJ02_SHIFT_JS % {"map": fmap.get_name(), "control": control.get_name()})
    )
    _root(fmap).html.add_child(Element(_legend(lang)))
    title = html.escape(result.scenario.title or result.scenario.name)
    _root(fmap).header.add_child(Element(f"<title>{title}</title>"))
    return fmap


def route_lines(result: ScenarioResult) -> pd.DataFrame:
    """One row per truck trip with its coordinates (for the GeoPackage)."""
    events = result.week.events()
    pos = result.sites.set_index("site_id")
    rows: list[dict] = []
    if events.empty:
        return pd.DataFrame(rows)
    events = events[~events["kind"].isin(STANDING)]  # standing: no new place
    for (base, day, truck), route in events.groupby(["base_id", "day", "truck"], sort=False):
        coords = [(float(pos.loc[s, "lon"]), float(pos.loc[s, "lat"])) for s in route["site_id"]]
        rows.append(
            {
                "station_id": base,
                "day": day,
                "truck": f"{base}-{truck}",
                "stops": int((route["kind"] == "stop").sum()),
                "trips": int(route["trip"].max()),
                "distance_km": float(route["distance_km"].sum()),
                "start": float(route["departure_min"].iloc[0]),
                "end": float(route["departure_min"].iloc[-1]),
                "coords": coords,
            }
        )
    return pd.DataFrame(rows)


def dispatch_map(dispatch: Dispatch, *, lang: str = "zh", offline: bool = False) -> folium.Map:
    """The dispatcher's day: stations, published stops, bookings, one layer per truck.

    Deferred bookings are drawn as grey crosses with their reason.
    """
    zh = lang == "zh"
    stops = dispatch.stops
    stations = dispatch.network.stations
    lats = pd.concat([stops["lat"], stations["lat"], stations["keeper_lat"]]).astype(float)
    lons = pd.concat([stops["lon"], stations["lon"], stations["keeper_lon"]]).astype(float)
    bounds = [[float(lats.min()), float(lons.min())], [float(lats.max()), float(lons.max())]]
    fmap = _base_map(bounds, lang=lang, offline=offline)
    g_sites = folium.FeatureGroup(name=t("map.sites", lang))
    # The stations, and where trucks are kept away from theirs (the sorting centre).
    away = stations[stations["keeper_id"] != stations["site_id"]].drop_duplicates("keeper_id")
    marks = [
        ("sorting_centre", k["keeper_lat"], k["keeper_lon"], k["keeper_name"])
        for _, k in away.iterrows()
    ] + [("transfer_station", st["lat"], st["lon"], st["name"]) for _, st in stations.iterrows()]
    for tier, lat, lon, name in marks:
        folium.CircleMarker(
            [lat, lon],
            radius=TIER_STYLE[tier][1],
            color="black",
            weight=1,
            fill=True,
            fill_color=TIER_STYLE[tier][0],
            fill_opacity=0.95,
            tooltip=safe(name),
        ).add_to(g_sites)
    deferred = dispatch.deferred().set_index("booking_id")
    labels = dispatch.stop_labels(lang)
    for i, s in stops.iterrows():
        booked = s["kind"] == "booking"
        text = safe(labels[i])
        if booked and s["booking_id"] in deferred.index:
            reason = deferred.loc[s["booking_id"], "reason_zh" if zh else "reason"]
            folium.Marker(
                [s["lat"], s["lon"]],
                icon=folium.DivIcon(
                    html='<div class="deferred" style="color:#555;font-weight:bold">✕</div>',
                    icon_size=(12, 12),
                    icon_anchor=(6, 6),
                ),
                tooltip=f"{text}: {t('map.deferred', lang)} — {safe(reason)}",
            ).add_to(g_sites)
            continue
        folium.CircleMarker(
            [s["lat"], s["lon"]],
            radius=5 if booked else TIER_STYLE["collection_point"][1],
            color="black",
            weight=1,
            fill=True,
            fill_color="#ff7f0e" if booked else TIER_STYLE["collection_point"][0],
            fill_opacity=0.95,
            tooltip=text,
        ).add_to(g_sites)
    g_sites.add_to(fmap)
    events = dispatch.events(lang)
    if not events.empty:
        where = {
            (r.station_id, r.stop_idx): (float(r.lat), float(r.lon)) for r in stops.itertuples()
        }
        site_at = dispatch.network.site_positions()
        names = dispatch.network.site_names()
        moving = events[~events["kind"].isin(STANDING)]  # standing: no new place
        for n, ((base, truck), route) in enumerate(moving.groupby(["base_id", "truck"])):
            label = f"{names.get(base, base)} {t('map.truck', lang)} {truck}"
            coords = [
                where[(base, i)] if k in ("stop", "position") else site_at[s]
                for k, i, s in zip(route["kind"], route["stop_idx"], route["site_id"], strict=True)
            ]
            group = folium.FeatureGroup(name=label)
            _draw_route(group, route, coords, list(route["name"]), label, n)
            group.add_to(fmap)
    control = folium.LayerControl(collapsed=False)
    control.add_to(fmap)
    _root(fmap).script.add_child(
        Element(GCJ02_SHIFT_JS % {"map": fmap.get_name(), "control": control.get_name()})
    )
    sc = dispatch.network.scenario
    title = f"{sc.title or sc.name} · {day_label(dispatch.day, lang)}"
    _root(fmap).header.add_child(Element(f"<title>{html.escape(title)}</title>"))
    return fmap
