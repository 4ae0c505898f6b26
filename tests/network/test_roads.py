"""Road graphs loaded through osmnx from a synthetic OSM file; matrices vs networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from recyclenet.errors import InfeasibleError
from recyclenet.network.roads import (
    DEFAULT_SPEEDS_KMH,
    Profile,
    RoadNetwork,
    calibrated_detour_factor,
    load_graph,
    road_class,
)
from recyclenet.network.synthetic import write_grid_osm

NX, NY = 8, 6  # write_grid_osm defaults; node (i, j) has OSM id 1 + j * NX + i
TRUCK = Profile(speeds_kmh=dict(DEFAULT_SPEEDS_KMH), forbidden=("track",))


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    return load_graph(write_grid_osm(tmp_path_factory.mktemp("osm") / "grid.osm"))


def nx_graph(graph, profile):
    g = nx.DiGraph()
    for u, v, length, cls in zip(
        graph.edge_u, graph.edge_v, graph.edge_length_m, graph.edge_class, strict=True
    ):
        if cls in profile.forbidden:
            continue
        minutes = length / 1000 / profile.speeds_kmh.get(cls, 20.0) * 60
        if g.has_edge(u, v) and g[u][v]["t"] <= minutes:
            continue
        g.add_edge(int(u), int(v), t=minutes, km=length / 1000)
    return g


def test_osmnx_loads_grid_river_bridge_oneway_island(graph):
    """50 nodes (48 grid + 2 island); the river leaves one crossing; one-way row is directed."""
    assert graph.num_nodes == NX * NY + 2
    classes = set(graph.edge_class)
    assert {"track", "primary", "secondary", "residential"} <= classes
    # Two-way ways give two directed edges, one-way ways one.
    horizontal = (NX - 1) * NY - (NY - 1)  # minus the river gaps
    vertical = NX * (NY - 1)
    oneway = NX - 1 - (1 if 4 != 2 else 0)  # row 4 crosses the river nowhere
    assert graph.num_edges == 2 * (horizontal + vertical) - oneway + 2


def test_matrices_match_networkx(graph):
    """Fastest-path times and their lengths equal networkx's on every pair of 12 nodes."""
    net = RoadNetwork(graph, {"default": Profile()}, workers=1)
    rng = np.random.default_rng(3)
    idx = rng.choice(NX * NY, 12, replace=False)
    km, minutes = net.node_matrices(idx, idx, None)
    g = nx_graph(graph, Profile())
    for a_pos, a in enumerate(idx):
        times, paths = nx.single_source_dijkstra(g, int(a), weight="t")
        for b_pos, b in enumerate(idx):
            assert abs(minutes[a_pos, b_pos] - times[int(b)]) < 0.01
            path_km = sum(
                g[p][q]["km"] for p, q in zip(paths[int(b)][:-1], paths[int(b)][1:], strict=True)
            )
            assert abs(km[a_pos, b_pos] - path_km) < 0.01


def test_river_forces_the_bridge_and_oneway_is_asymmetric(graph):
    """Crossing the river costs a detour; the one-way row is quicker eastwards."""
    net = RoadNetwork(graph, {"default": Profile()}, workers=1)
    lon, lat = graph.node_lon, graph.node_lat
    a, b = 0 * NX + 3, 0 * NX + 4  # across the river on row 0, bridge on row 2
    m = net.matrix(lon[[a]], lat[[a]], lon[[b]], lat[[b]])
    straight = np.hypot((lon[a] - lon[b]) * 97.6, (lat[a] - lat[b]) * 110.6)
    assert m.distance_km[0, 0] > 3 * straight
    w, e = 4 * NX + 0, 4 * NX + 3  # one-way row 4, west part
    there = net.matrix(lon[[w]], lat[[w]], lon[[e]], lat[[e]]).time_min[0, 0]
    back = net.matrix(lon[[e]], lat[[e]], lon[[w]], lat[[w]]).time_min[0, 0]
    assert there < back


def test_truck_may_not_use_track(graph):
    """Along the track row a truck detours; a car (tracks as fast as streets) does not."""
    car_profile = Profile(speeds_kmh={**DEFAULT_SPEEDS_KMH, "track": 25.0})
    net = RoadNetwork(graph, {"default": car_profile, "truck": TRUCK}, workers=1)
    lon, lat = graph.node_lon, graph.node_lat
    a, b = 0, 2  # row 0 is highway=track
    car = net.matrix(lon[[a]], lat[[a]], lon[[b]], lat[[b]]).distance_km[0, 0]
    truck = net.matrix(lon[[a]], lat[[a]], lon[[b]], lat[[b]], profile="truck").distance_km[0, 0]
    assert truck > car + 0.5


def test_tag_rule_closes_a_street_to_trucks(graph):
    """hgv=no on one street: a profile forbidding it must go around; others use it."""
    hgv = Profile(forbidden_tags={"hgv": ("no",)})
    net = RoadNetwork(graph, {"default": Profile(), "hgv": hgv}, workers=1)
    a, b = 1, NX + 1  # nodes (1, 0) and (1, 1), joined by the hgv=no street
    assert graph.edge_tags["hgv"].tolist().count("no") == 2  # both directions
    lon, lat = graph.node_lon, graph.node_lat
    car = net.matrix(lon[[a]], lat[[a]], lon[[b]], lat[[b]]).distance_km[0, 0]
    lorry = net.matrix(lon[[a]], lat[[a]], lon[[b]], lat[[b]], profile="hgv").distance_km[0, 0]
    assert lorry > car + 0.5


def test_island_is_reported_by_name_or_falls_back(graph):
    """Pairs with no path name the places; the straight-line policy fills only those pairs."""
    lon, lat = graph.node_lon, graph.node_lat
    island = [NX * NY, NX * NY + 1]
    net = RoadNetwork(graph, {"default": Profile()}, workers=1)
    with pytest.raises(InfeasibleError, match="宋家镇-村07 -> 孤岛村"):
        net.matrix(
            lon[[0]],
            lat[[0]],
            lon[island[:1]],
            lat[island[:1]],
            labels_a=["宋家镇-村07"],
            labels_b=["孤岛村"],
        )
    soft = RoadNetwork(
        graph, {"default": Profile()}, unreachable="straight_line", detour_factor=1.3, workers=1
    )
    m = soft.matrix(lon[[0, 1]], lat[[0, 1]], lon[[1, island[0]]], lat[[1, island[0]]])
    assert np.isfinite(m.distance_km).all() and soft.fallback_pairs == 2


def test_cache_and_calibrated_detour(graph, tmp_path):
    """A second identical request reads the cached matrix; the detour factor is above 1."""
    net = RoadNetwork(graph, {"default": Profile()}, cache_dir=tmp_path, workers=1)
    lon, lat = graph.node_lon[: NX * NY], graph.node_lat[: NX * NY]
    first = net.matrix(lon, lat)
    files = list(tmp_path.glob("matrix-*.npz"))
    assert len(files) == 1
    again = RoadNetwork(graph, {"default": Profile()}, cache_dir=tmp_path, workers=1).matrix(
        lon, lat
    )
    assert np.array_equal(first.distance_km, again.distance_km)
    from recyclenet.network import haversine_km

    factor = calibrated_detour_factor(first.distance_km, haversine_km(lon, lat, lon, lat))
    assert 1.0 < factor < 3.0


def test_road_class_normalisation():
    """Link roads take their base class; lists take the first."""
    assert road_class("primary_link") == "primary"
    assert road_class(["tertiary", "residential"]) == "tertiary"


def test_pipeline_on_a_road_graph(tmp_path):
    """A run with network.source osm_file uses road distances and reports the detour factor."""
    from recyclenet.config import load_scenario
    from recyclenet.pipeline import run_scenario
    from recyclenet.routing import check_day
    from tests.conftest import write_small_scenario

    osm = write_grid_osm(
        tmp_path / "roads.osm",
        nx=22,
        ny=20,
        spacing_m=800.0,
        origin=(104.74, 28.70),
        river_after_column=10,
        bridge_row=5,
        oneway_row=12,
        track_row=3,
        island=False,
    )
    path = write_small_scenario(
        tmp_path / "in",
        overrides={
            "network": {
                "source": "osm_file",
                "osm_file": str(osm),
                "detour_factor": 1.4,
                "cache_dir": str(tmp_path / "cache"),
                "profiles": {"box_truck_4_2m": {"forbidden": ["track"], "max_speed_kmh": 60}},
            }
        },
    )
    result = run_scenario(load_scenario(path))
    net = result.kpis.network
    assert net["method"].startswith("road graph")
    assert net["graph_nodes"] == 22 * 20
    assert 1.0 < net["calibrated_detour_factor"] < 3.0
    assert result.kpis.routing["points_on_timetable"] == 8
    for day in result.week.days:
        assert check_day(day) == []
        assert day.problem.time_min is not None
    assert list((tmp_path / "cache").glob("matrix-*.npz"))
