"""Synthetic road data the project makes itself (tests, benchmarks, demos). Seeded.

:func:`write_grid_osm` writes a small OpenStreetMap XML file: a perturbed street grid cut
by a north-south river with a single bridge, one-way streets, ``track`` roads that trucks
may not use, and a two-node island with no connection. :func:`grid_graph` builds a large
perturbed grid with road classes directly as a :class:`RoadGraph` for benchmarks.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from recyclenet.network.roads import RoadGraph

KM_PER_DEG_LAT = 110.574


def _grid_positions(
    nx: int,
    ny: int,
    spacing_m: float,
    origin: tuple[float, float],
    rng: np.random.Generator,
    jitter: float,
) -> tuple[np.ndarray, np.ndarray]:
    lon0, lat0 = origin
    km_lon = 111.320 * math.cos(math.radians(lat0))
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="xy")
    x = ii.ravel() * spacing_m + rng.uniform(-jitter, jitter, ii.size) * spacing_m
    y = jj.ravel() * spacing_m + rng.uniform(-jitter, jitter, jj.size) * spacing_m
    return lon0 + x / 1000 / km_lon, lat0 + y / 1000 / KM_PER_DEG_LAT


def write_grid_osm(
    path: str | Path,
    *,
    nx: int = 8,
    ny: int = 6,
    spacing_m: float = 400.0,
    origin: tuple[float, float] = (104.60, 28.75),
    river_after_column: int = 3,
    bridge_row: int = 2,
    oneway_row: int = 4,
    track_row: int = 0,
    island: bool = True,
    seed: int = 0,
) -> Path:
    """Write a small synthetic ``.osm`` file and return its path.

    Node ``(i, j)`` (column ``i``, row ``j``) has OSM id ``1 + j * nx + i``. Streets
    between column ``river_after_column`` and the next exist only on ``bridge_row``.
    Row ``oneway_row`` is one-way eastwards; row ``track_row`` is ``highway=track``; the
    street from node (1, 0) to (1, 1) carries ``hgv=no``;
    row ``ny - 1`` is ``primary``, column 0 ``secondary``, the rest ``residential``.
    The island is two nodes far to the east, joined to each other only.
    """
    rng = np.random.default_rng(seed)
    lon, lat = _grid_positions(nx, ny, spacing_m, origin, rng, 0.1)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="recyclenet synthetic">',
    ]
    for k in range(nx * ny):
        lines.append(f'  <node id="{k + 1}" lat="{lat[k]:.7f}" lon="{lon[k]:.7f}" version="1"/>')
    island_ids = [nx * ny + 1, nx * ny + 2]
    east = lon.max() + 0.05
    if island:
        for n, dlat in zip(island_ids, (0.0, 0.003), strict=True):
            lines.append(
                f'  <node id="{n}" lat="{lat.mean() + dlat:.7f}" lon="{east:.7f}" version="1"/>'
            )
    way = 1000

    def add_way(a: int, b: int, highway: str, oneway: bool = False, hgv_no: bool = False) -> None:
        nonlocal way
        way += 1
        tags = [f'    <tag k="highway" v={quoteattr(highway)}/>']
        if oneway:
            tags.append('    <tag k="oneway" v="yes"/>')
        if hgv_no:
            tags.append('    <tag k="hgv" v="no"/>')
        lines.extend(
            [
                f'  <way id="{way}" version="1">',
                f'    <nd ref="{a}"/>',
                f'    <nd ref="{b}"/>',
                *tags,
                "  </way>",
            ]
        )

    for j in range(ny):
        for i in range(nx - 1):
            if i == river_after_column and j != bridge_row:
                continue  # the river: no street across except the bridge
            if j == track_row:
                highway = "track"
            elif j == ny - 1:
                highway = "primary"
            else:
                highway = "residential"
            add_way(1 + j * nx + i, 1 + j * nx + i + 1, highway, oneway=(j == oneway_row))
    for i in range(nx):
        for j in range(ny - 1):
            # Column 1 is closed to heavy goods vehicles (hgv=no) between rows 0 and 1.
            add_way(
                1 + j * nx + i,
                1 + (j + 1) * nx + i,
                "secondary" if i == 0 else "residential",
                hgv_no=(i == 1 and j == 0),
            )
    if island:
        add_way(island_ids[0], island_ids[1], "residential")
    lines.append("</osm>")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def grid_graph(
    nodes: int,
    *,
    seed: int = 0,
    spacing_m: float = 200.0,
    origin: tuple[float, float] = (104.40, 28.50),
) -> RoadGraph:
    """A perturbed square grid of about ``nodes`` nodes, two-way streets, road classes.

    Every 10th row and column is ``primary``, every 5th ``secondary``, the rest
    ``residential``; 5 % of the streets (seeded) are missing, as in real networks. Edge
    lengths are the straight distance between the perturbed nodes.
    """
    rng = np.random.default_rng(seed)
    side = max(2, int(round(math.sqrt(nodes))))
    lon, lat = _grid_positions(side, side, spacing_m, origin, rng, 0.25)
    idx = np.arange(side * side).reshape(side, side)  # [row, column]
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    line = np.r_[np.repeat(np.arange(side), side - 1), np.tile(np.arange(side), side - 1)]
    cls = np.where(line % 10 == 0, "primary", np.where(line % 5 == 0, "secondary", "residential"))
    keep = rng.uniform(size=len(u)) > 0.05
    keep |= cls != "residential"  # keep main roads whole, so the graph stays connected
    u, v, cls = u[keep], v[keep], cls[keep]
    km_lon = 111.320 * math.cos(math.radians(origin[1]))
    length = np.hypot((lon[u] - lon[v]) * km_lon, (lat[u] - lat[v]) * KM_PER_DEG_LAT) * 1000
    return RoadGraph(
        node_lon=lon,
        node_lat=lat,
        edge_u=np.r_[u, v].astype(np.int64),
        edge_v=np.r_[v, u].astype(np.int64),
        edge_length_m=np.r_[length, length],
        edge_class=np.r_[cls, cls].astype(str),
        fingerprint=f"grid-{nodes}-{seed}-{spacing_m}",
    )
