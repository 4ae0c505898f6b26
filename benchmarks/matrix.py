"""Many-to-many road matrices on a synthetic graph, against networkx.

    python -m benchmarks matrix --nodes 50000 --points 2000 --seed 1

Builds a perturbed grid of about N nodes with road classes
(:func:`recyclenet.network.synthetic.grid_graph`), snaps P seeded points to it, and times
the P x P distance and duration matrices through :class:`recyclenet.network.roads.RoadNetwork`.
networkx's ``single_source_dijkstra`` runs on a sample of sources over the same graph:
its time per source, scaled to P sources, over ours is ``ratio_vs_networkx``; its results
are compared with ours (``max_abs_error_min``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import networkx as nx
import numpy as np

from recyclenet.network.roads import Profile, RoadNetwork
from recyclenet.network.synthetic import grid_graph


def peak_memory_mib() -> float:
    """Peak resident memory of this process and its finished children (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def run(nodes: int, points: int, seed: int, sample: int, workers: int | None) -> dict:
    graph = grid_graph(nodes, seed=seed)
    rng = np.random.default_rng(seed)
    at = rng.choice(graph.num_nodes, size=points, replace=False)
    lon = graph.node_lon[at] + rng.normal(0, 0.0003, points)
    lat = graph.node_lat[at] + rng.normal(0, 0.0003, points)
    net = RoadNetwork(graph, {"default": Profile()})
    if workers is not None:
        net.workers = workers
    start = time.perf_counter()
    m = net.matrix(lon, lat)
    runtime = time.perf_counter() - start

    speeds = Profile().speeds_kmh
    g = nx.DiGraph()
    for u, v, length, cls in zip(
        graph.edge_u, graph.edge_v, graph.edge_length_m, graph.edge_class, strict=True
    ):
        g.add_edge(int(u), int(v), t=length / 1000.0 / speeds[cls] * 60.0)
    snapped, connector_km = net.snap(lon, lat)
    rows = rng.choice(points, size=min(sample, points), replace=False)
    start = time.perf_counter()
    worst = 0.0
    for r in rows:
        times = nx.single_source_dijkstra_path_length(g, int(snapped[r]), weight="t")
        ref = np.array([times.get(int(s), np.inf) for s in snapped])
        ref = ref + (connector_km[r] + connector_km) * 60.0 / net.connector_speed_kmh
        same = snapped == snapped[r]
        diff = np.abs(m.time_min[r] - ref)[~same]
        worst = max(worst, float(diff.max()))
    nx_per_source = (time.perf_counter() - start) / len(rows)
    return {
        "problem": "matrix",
        "instance": f"grid-{nodes}-seed{seed}",
        "status": "ok" if worst < 0.05 else "mismatch",
        "nodes": graph.num_nodes,
        "edges": graph.num_edges,
        "points": points,
        "workers": net.workers,
        "runtime_s": round(runtime, 3),
        "networkx_s_per_source": round(nx_per_source, 4),
        "ratio_vs_networkx": round(nx_per_source * points / runtime, 2),
        "max_abs_error_min": worst,
        "peak_memory_mib": round(peak_memory_mib(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks matrix")
    parser.add_argument("--nodes", type=int, default=50_000)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=10, help="networkx sources to time")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.nodes, args.points, args.seed, args.sample, args.workers)))
