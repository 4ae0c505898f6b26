"""Road graphs (osmnx) and many-to-many travel matrices (scipy's csgraph).

A road graph is loaded through osmnx from an ``.osm`` XML file, a GraphML file saved by
osmnx, or a download by place name or bounding box (cached as GraphML, so the next run is
offline). It is reduced to arrays: edge endpoints, length and road class. A vehicle
*profile* gives a speed per road class and the classes the vehicle may not use.

Matrices: points are snapped to their nearest graph node; the off-road connector counts
at ``connector_speed_kmh``. One Dijkstra per distinct source node runs over the whole
graph (``scipy.sparse.csgraph.dijkstra``, in C), in chunks to bound memory and in
parallel processes for large matrices. Each edge weight packs two integers into one
float64, ``time_units * 2**k + metres``: sums stay exact below 2**53, Dijkstra finds the
fastest path (ties broken by distance), and the time and the distance *along that same
path* are unpacked from one number, so one search gives both and they agree. ``k`` and the
time unit are chosen from a bound on path times so nothing overflows. Results are cached
on disk keyed by the graph, the profile and the points.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from recyclenet.errors import InfeasibleError, InputError, InputProblem
from recyclenet.network.matrix import TravelMatrix, haversine_km

DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80.0,
    "trunk": 60.0,
    "primary": 50.0,
    "secondary": 40.0,
    "tertiary": 35.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 10.0,
    "road": 25.0,
}
FALLBACK_SPEED_KMH = 20.0  # classes missing from a profile
TAGS = ("access", "hgv", "motor_vehicle", "maxweight", "width")  # kept for profile rules
KM_PER_DEG_LAT = 110.574


@dataclass(frozen=True)
class Profile:
    """How one vehicle type uses roads.

    Attributes
    ----------
    speeds_kmh
        Speed per OSM ``highway`` class (``*_link`` roads use their base class).
    forbidden
        Classes the vehicle may not use (e.g. ``track`` for a 4.2 m truck).
    forbidden_tags
        OSM tag values the vehicle may not use, e.g. ``{"hgv": ("no",), "access":
        ("private", "no")}``; tags kept: ``TAGS``.
    max_speed_kmh
        Top speed of the vehicle (an e-tricycle's 25 km/h caps every road).
    """

    speeds_kmh: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    forbidden: tuple[str, ...] = ()
    max_speed_kmh: float | None = None
    forbidden_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def key(self) -> str:
        """A stable text form, for cache keys."""
        return json.dumps(
            [
                sorted(self.speeds_kmh.items()),
                sorted(self.forbidden),
                self.max_speed_kmh,
                sorted((k, sorted(v)) for k, v in self.forbidden_tags.items()),
            ]
        )


def road_class(value: object) -> str:
    """Normalise an OSM ``highway`` value (lists take the first, links their base)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else "road"
    text = str(value or "road")
    return text[: -len("_link")] if text.endswith("_link") else text


@dataclass(frozen=True)
class RoadGraph:
    """A road graph as arrays.

    Attributes
    ----------
    node_lon, node_lat
        Node positions (WGS-84).
    edge_u, edge_v
        Directed edges by node index (two-way roads appear in both directions).
    edge_length_m
        Edge lengths.
    edge_class
        Road class of each edge.
    fingerprint
        Identifies the graph in cache keys.
    """

    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_length_m: NDArray[np.float64]
    edge_class: NDArray[np.str_]
    fingerprint: str
    edge_tags: dict[str, NDArray[np.str_]] = field(default_factory=dict)

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_lon)

    @property
    def num_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    @classmethod
    def from_networkx(cls, graph: Any, fingerprint: str = "") -> RoadGraph:
        """From an osmnx MultiDiGraph (nodes with ``x``/``y``, edges with ``length``)."""
        nodes = list(graph.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        lon = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
        lat = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
        u, v, length, cls_ = [], [], [], []
        tags: dict[str, list[str]] = {k: [] for k in TAGS}
        for a, b, data in graph.edges(data=True):
            u.append(index[a])
            v.append(index[b])
            length.append(float(data.get("length", 0.0)))
            cls_.append(road_class(data.get("highway")))
            for k in TAGS:
                value = data.get(k, "")
                tags[k].append(str(value[0] if isinstance(value, list) else value))
        if not fingerprint:
            h = hashlib.sha256()
            h.update(lon.tobytes() + lat.tobytes())
            h.update(np.array(u + v, dtype=np.int64).tobytes())
            h.update(np.array(length).tobytes())
            h.update("|".join(cls_).encode())
            fingerprint = h.hexdigest()
        return cls(
            lon,
            lat,
            np.array(u, dtype=np.int64),
            np.array(v, dtype=np.int64),
            np.array(length, dtype=float),
            np.array(cls_, dtype=str),
            fingerprint,
            {k: np.array(vals, dtype=str) for k, vals in tags.items()},
        )

    def packed_weights(self, profile: Profile) -> tuple[csr_matrix, float, float]:
        """The packed graph for a profile: ``(graph, time unit in minutes, 2**k)``.

        Edge weight = ``round(minutes / unit) * 2**k + round(metres)``. ``unit`` and
        ``k`` are chosen so that every path time (bounded by four times the largest time
        from a few seeded sources, plus one edge) fits beside every path length (bounded by
        that time at the top speed) in 52 bits.
        """
        allowed = ~np.isin(self.edge_class, list(profile.forbidden))
        for tag, values in profile.forbidden_tags.items():
            if tag in self.edge_tags:
                allowed &= ~np.isin(self.edge_tags[tag], list(values))
        speed = np.array(
            [profile.speeds_kmh.get(c, FALLBACK_SPEED_KMH) for c in self.edge_class], dtype=float
        )
        if profile.max_speed_kmh is not None:
            speed = np.minimum(speed, profile.max_speed_kmh)
        u, v = self.edge_u[allowed], self.edge_v[allowed]
        metres = np.maximum(self.edge_length_m[allowed], 1e-3)
        minutes = metres / 1000.0 / speed[allowed] * 60.0
        n = self.num_nodes
        # Bound path times: a few searches on time alone.
        g_time = _min_csr(u, v, minutes, n)
        probe = np.random.default_rng(0).choice(n, size=min(3, n), replace=False)
        reach = dijkstra(g_time, directed=True, indices=probe)
        finite = reach[np.isfinite(reach)]
        t_max = 4.0 * (float(finite.max()) if finite.size else 0.0) + float(minutes.max()) + 1.0
        d_max_m = t_max / 60.0 * float(speed.max()) * 1000.0 + float(metres.max())
        k = int(math.ceil(math.log2(d_max_m + 1.0)))
        unit = 1e-4  # minutes (6 ms)
        while math.log2(t_max / unit + 1.0) + k > 52:
            unit *= 2.0
        scale = float(2**k)
        packed = np.rint(minutes / unit) * scale + np.rint(metres)
        return _min_csr(u, v, packed, n), unit, scale


def _min_csr(
    u: NDArray[np.int64], v: NDArray[np.int64], w: NDArray[np.float64], n: int
) -> csr_matrix:
    """A CSR graph keeping the smallest weight of parallel edges."""
    order = np.lexsort((w, v, u))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u[order][1:] != u[order][:-1]) | (v[order][1:] != v[order][:-1])
    sel = order[first]
    return csr_matrix((w[sel], (u[sel], v[sel])), shape=(n, n))


def _packed_block(
    args: tuple[csr_matrix, NDArray[np.int64], NDArray[np.int64]],
) -> NDArray[np.float64]:
    graph, sources, targets = args
    block: NDArray[np.float64] = dijkstra(graph, directed=True, indices=sources)[:, targets]
    return block


def load_graph(path: str | Path) -> RoadGraph:
    """Load an ``.osm`` XML file or an osmnx GraphML file through osmnx."""
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise InputError(
            InputProblem(
                str(path),
                "the road graph file does not exist",
                "check network.osm_file in the scenario",
            )
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for tag in TAGS:  # keep the tags profiles may forbid
        if tag not in ox.settings.useful_tags_way:
            ox.settings.useful_tags_way = [*ox.settings.useful_tags_way, tag]
    try:
        if path.suffix.lower() == ".graphml":
            graph = ox.load_graphml(path)
        else:
            graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises several kinds for bad files
        raise InputError(
            InputProblem(
                str(path),
                f"osmnx cannot read the road graph ({exc})",
                "give an OpenStreetMap .osm XML file or a GraphML saved by osmnx",
            )
        ) from None
    return RoadGraph.from_networkx(graph, fingerprint=digest)


def download_graph(
    *, place: str | None, bbox: tuple[float, float, float, float] | None, cache_dir: Path
) -> RoadGraph:
    """Download a drivable graph with osmnx, or load it from the GraphML cache."""
    import osmnx as ox

    key = hashlib.sha256(json.dumps([place, bbox]).encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"graph-{key}.graphml"
    if not cached.is_file():
        try:
            if place is not None:
                graph = ox.graph_from_place(place, network_type="drive", retain_all=True)
            else:
                assert bbox is not None
                graph = ox.graph_from_bbox(bbox, network_type="drive", retain_all=True)
        except Exception as exc:
            raise InputError(
                InputProblem(
                    str(cached),
                    f"the road graph could not be downloaded ({exc})",
                    "connect to the internet once, or use network.source: osm_file with a "
                    "saved .osm or GraphML file",
                )
            ) from None
        cached.parent.mkdir(parents=True, exist_ok=True)
        ox.save_graphml(graph, cached)
    return load_graph(cached)


def _planar_km(
    lon: NDArray[np.float64], lat: NDArray[np.float64], lat0: float
) -> NDArray[np.float64]:
    return np.column_stack([lon * 111.320 * math.cos(math.radians(lat0)), lat * KM_PER_DEG_LAT])


@dataclass
class RoadNetwork:
    """Travel matrices over a road graph, one profile per vehicle type.

    Parameters
    ----------
    graph
        The road graph.
    profiles
        Profile by name (vehicle type); ``"default"`` is used for unnamed profiles.
    connector_speed_kmh
        Speed on the straight connector between a point and its nearest node.
    unreachable
        ``"fail"``: pairs with no path raise an error naming them; ``"straight_line"``:
        those pairs alone use great-circle distance times ``detour_factor``.
    detour_factor
        For the straight-line fallback.
    cache_dir
        Where matrices are cached (``None``: no cache).
    chunk_sources
        Sources per Dijkstra batch (memory: chunk x nodes x 8 bytes per worker).
    workers
        Processes for large matrices (default: every core).
    """

    graph: RoadGraph
    profiles: dict[str, Profile]
    connector_speed_kmh: float = 5.0
    unreachable: str = "fail"
    detour_factor: float = 1.3
    cache_dir: Path | None = None
    chunk_sources: int = 128
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    fallback_pairs: int = 0

    def __post_init__(self) -> None:
        lat0 = float(np.mean(self.graph.node_lat))
        self._lat0 = lat0
        self._tree = cKDTree(_planar_km(self.graph.node_lon, self.graph.node_lat, lat0))
        self._weights: dict[str, tuple[csr_matrix, float, float]] = {}

    @property
    def method(self) -> str:
        """Description for reports."""
        return f"road graph ({self.graph.num_nodes} nodes, {self.graph.num_edges} edges)"

    def profile(self, name: str | None) -> Profile:
        """The profile of a vehicle type, or the default one."""
        return self.profiles.get(name or "default", self.profiles.get("default", Profile()))

    def snap(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest node of every point and the straight connector length in km."""
        pts = _planar_km(np.asarray(lon, float), np.asarray(lat, float), self._lat0)
        dist, idx = self._tree.query(pts)
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)

    def node_matrices(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64], profile: str | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Length (km) and time (min) of the fastest path between graph nodes."""
        name = profile or "default"
        if name not in self._weights:
            self._weights[name] = self.graph.packed_weights(self.profile(name))
        graph, unit, scale = self._weights[name]
        uniq, inverse = np.unique(sources, return_inverse=True)
        blocks = [uniq[s : s + self.chunk_sources] for s in range(0, len(uniq), self.chunk_sources)]
        jobs = [(graph, b, targets) for b in blocks]
        workers = min(self.workers, len(blocks))
        if workers > 1 and len(uniq) >= 2 * self.chunk_sources:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                packed = np.vstack(list(pool.map(_packed_block, jobs)))
        else:
            packed = np.vstack([_packed_block(j) for j in jobs])
        finite = np.isfinite(packed)
        safe = np.where(finite, packed, 0.0)
        steps = np.floor(safe / scale)
        km = np.where(finite, (safe - steps * scale) / 1000.0, np.inf)
        minutes = np.where(finite, steps * unit, np.inf)
        return km[inverse], minutes[inverse]

    def matrix(
        self,
        lon_a: ArrayLike,
        lat_a: ArrayLike,
        lon_b: ArrayLike | None = None,
        lat_b: ArrayLike | None = None,
        *,
        profile: str | None = None,
        labels_a: list[str] | None = None,
        labels_b: list[str] | None = None,
    ) -> TravelMatrix:
        """Road distances and durations from every A point to every B point.

        Raises
        ------
        InfeasibleError
            With ``unreachable="fail"``, naming the pairs without a path.
        """
        if lon_b is None or lat_b is None:
            lon_b, lat_b, labels_b = lon_a, lat_a, labels_a
        lon_a, lat_a = np.asarray(lon_a, float), np.asarray(lat_a, float)
        lon_b, lat_b = np.asarray(lon_b, float), np.asarray(lat_b, float)
        cached = self._cache_path(lon_a, lat_a, lon_b, lat_b, profile)
        if cached is not None and cached.is_file():
            data = np.load(cached)
            dist, mins = data["distance_km"], data["duration_min"]
        else:
            na, ca = self.snap(lon_a, lat_a)
            nb, cb = self.snap(lon_b, lat_b)
            g_km, g_min = self.node_matrices(na, nb, profile)
            walk = 60.0 / self.connector_speed_kmh
            dist = ca[:, None] + g_km + cb[None, :]
            mins = (ca[:, None] + cb[None, :]) * walk + g_min
            same = na[:, None] == nb[None, :]
            if same.any():
                direct = haversine_km(lon_a, lat_a, lon_b, lat_b)
                dist = np.where(same, direct, dist)
                mins = np.where(same, direct * walk, mins)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp.npz")
                np.savez(tmp, distance_km=dist, duration_min=mins)
                tmp.replace(cached)
        bad = ~np.isfinite(dist) | ~np.isfinite(mins)
        if bad.any():
            dist, mins = self._handle_unreachable(
                dist, mins, bad, lon_a, lat_a, lon_b, lat_b, labels_a, labels_b, profile
            )
        return TravelMatrix(distance_km=dist, method=self.method, time_min=mins)

    def _handle_unreachable(
        self,
        dist: NDArray[np.float64],
        mins: NDArray[np.float64],
        bad: NDArray[np.bool_],
        lon_a: ArrayLike,
        lat_a: ArrayLike,
        lon_b: ArrayLike,
        lat_b: ArrayLike,
        labels_a: Sequence[str] | None,
        labels_b: Sequence[str] | None,
        profile: str | None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        rows, cols = np.nonzero(bad)
        if self.unreachable != "straight_line":
            la = labels_a or [f"point {i}" for i in range(dist.shape[0])]
            lb = labels_b or [f"point {j}" for j in range(dist.shape[1])]
            shown = "; ".join(
                f"{la[int(i)]} -> {lb[int(j)]}" for i, j in list(zip(rows, cols, strict=True))[:8]
            )
            more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
            raise InfeasibleError(
                f"{len(rows)} pairs have no road path for vehicle profile "
                f"'{profile or 'default'}' (islands, one-way traps or forbidden roads): "
                f"{shown}{more}. Fix the road data, allow those roads in network.profiles, "
                f"or set network.unreachable: straight_line to use the straight line × "
                f"{self.detour_factor:g} for these pairs only."
            )
        straight = haversine_km(lon_a, lat_a, lon_b, lat_b) * self.detour_factor
        speed = np.median(list(self.profile(profile).speeds_kmh.values()))
        dist = np.where(bad, straight, dist)
        mins = np.where(bad, straight / speed * 60.0, mins)
        self.fallback_pairs += len(rows)
        return dist, mins

    def _cache_path(
        self,
        lon_a: ArrayLike,
        lat_a: ArrayLike,
        lon_b: ArrayLike,
        lat_b: ArrayLike,
        profile: str | None,
    ) -> Path | None:
        if self.cache_dir is None:
            return None
        h = hashlib.sha256()
        h.update(self.graph.fingerprint.encode())
        h.update(self.profile(profile).key().encode())
        h.update(str(self.connector_speed_kmh).encode())
        for arr in (lon_a, lat_a, lon_b, lat_b):
            h.update(np.ascontiguousarray(arr, dtype=float).tobytes())
        return Path(self.cache_dir) / f"matrix-{h.hexdigest()[:24]}.npz"


def calibrated_detour_factor(
    road_km: NDArray[np.float64], straight_km: NDArray[np.float64], *, min_km: float = 0.5
) -> float:
    """Median of road over straight-line distance for pairs at least ``min_km`` apart."""
    mask = np.isfinite(road_km) & (straight_km >= min_km)
    if not mask.any():
        return float("nan")
    return float(np.median(road_km[mask] / straight_km[mask]))
