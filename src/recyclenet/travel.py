"""The travel model a scenario asks for: its network settings as the straight-line or
road-network model of :mod:`recyclenet.network` (which takes plain parameters)."""

from __future__ import annotations

from recyclenet.config import NetworkConfig
from recyclenet.network.matrix import StraightLine
from recyclenet.network.roads import (
    DEFAULT_SPEEDS_KMH,
    Profile,
    RoadNetwork,
    download_graph,
    load_graph,
)


def profiles_from_config(config: NetworkConfig) -> dict[str, Profile]:
    """Profiles by vehicle type, each on top of the default speeds."""
    out = {"default": Profile()}
    for name, p in config.profiles.items():
        out[name] = Profile(
            speeds_kmh={**DEFAULT_SPEEDS_KMH, **p.speeds_kmh},
            forbidden=tuple(p.forbidden),
            max_speed_kmh=p.max_speed_kmh,
            forbidden_tags={k: tuple(v) for k, v in p.forbidden_tags.items()},
        )
    return out


def travel_model(config: NetworkConfig) -> StraightLine | RoadNetwork:
    """Straight lines, or a road network loaded (or downloaded once) through osmnx."""
    if config.source == "straight_line":
        return StraightLine(config.detour_factor)
    if config.source == "osm_file":
        assert config.osm_file is not None
        graph = load_graph(config.osm_file)
    else:
        graph = download_graph(place=config.place, bbox=config.bbox, cache_dir=config.cache_dir)
    return RoadNetwork(
        graph=graph,
        profiles=profiles_from_config(config),
        connector_speed_kmh=config.connector_speed_kmh,
        unreachable=config.unreachable,
        detour_factor=config.detour_factor,
        cache_dir=config.cache_dir,
    )
