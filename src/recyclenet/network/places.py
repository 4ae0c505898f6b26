"""Settlements for a county that has only names: OSM place nodes through osmnx.

``recyclenet init DIR --osm-place "达州市通川区"`` (or ``--osm-bbox W S E N``, or
``--osm-xml FILE`` for an extract on disk) reads the area's OSM places and fills the
settlements sheet: villages and hamlets as 村, neighbourhoods, suburbs, quarters and towns
as 社区, each with its OSM name and position. Its township is the nearest OSM ``town``
(or ``suburb``) place. Population comes from the node's ``population`` tag where it has
one; the rest is left for the planner, or spread from a total the planner gives
(``--population N``; a community weighs three villages) and labelled estimated in the
``source`` column. Downloads go through osmnx's cache (``ox.settings.use_cache``), so a
second ``init`` of the same area reads nothing from the internet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recyclenet.errors import RecycleNetError

VILLAGE_PLACES = ("village", "hamlet", "isolated_dwelling")
COMMUNITY_PLACES = ("neighbourhood", "suburb", "quarter", "town")
TOWNSHIP_PLACES = ("town", "suburb")
COMMUNITY_WEIGHT = 3.0
PERSONS_PER_HOUSEHOLD = 2.8


def osm_places(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    xml: Path | None = None,
) -> pd.DataFrame:
    """The OSM place nodes of an area: ``osm_id``, ``name``, ``place``, ``lon``, ``lat``,
    ``population`` (NaN where untagged). Exactly one of ``place`` (a name osmnx geocodes),
    ``bbox`` (west, south, east, north) or ``xml`` (an OSM XML extract) is given."""
    import osmnx as ox

    tags: dict[str, bool | str | list[str]] = {"place": [*VILLAGE_PLACES, *COMMUNITY_PLACES]}
    ox.settings.use_cache = True
    try:
        if xml is not None:
            gdf = ox.features_from_xml(xml, tags=tags)
        elif bbox is not None:
            gdf = ox.features_from_bbox(bbox, tags=tags)
        elif place is not None:
            gdf = ox.features_from_place(place, tags=tags)
        else:
            raise RecycleNetError("give an OSM place name, a bounding box or an XML extract")
    except RecycleNetError:
        raise
    except Exception as exc:  # (osmnx: no network, nothing found, bad XML)
        raise RecycleNetError(
            f"the OSM places could not be read ({type(exc).__name__}: {exc}). Fix: check the "
            "place name (e.g. 达州市通川区) or the box, the internet connection, or give an "
            "OSM extract with --osm-xml."
        ) from None
    if gdf.empty or "name" not in gdf:
        raise RecycleNetError(
            "no named OSM place (village, hamlet, neighbourhood, suburb, town) in the area. "
            "Fix: widen the box or check the place name."
        )
    gdf = gdf[gdf["name"].notna()].copy()
    points = gdf.geometry.representative_point()
    population = (
        pd.to_numeric(gdf["population"], errors="coerce")
        if "population" in gdf
        else pd.Series(np.nan, index=gdf.index)
    )
    out = pd.DataFrame(
        {
            "osm_id": [str(i[-1]) if isinstance(i, tuple) else str(i) for i in gdf.index],
            "name": gdf["name"].astype(str).to_numpy(),
            "place": gdf["place"].astype(str).to_numpy(),
            "lon": points.x.round(6).to_numpy(),
            "lat": points.y.round(6).to_numpy(),
            "population": population.to_numpy(float),
        }
    )
    return out.sort_values(["place", "name", "osm_id"]).reset_index(drop=True)


def settlements_from_places(places: pd.DataFrame, population: int | None = None) -> pd.DataFrame:
    """The settlements table from OSM places (see the module docstring): columns of the
    settlements sheet plus ``source``; population 0 where neither OSM nor ``population``
    gives one (the planner fills it in)."""
    towns = places[places["place"].isin(TOWNSHIP_PLACES)].reset_index(drop=True)
    if towns.empty:  # no town node: the whole area as one township
        towns = pd.DataFrame(
            {"name": ["全域"], "lon": [places["lon"].mean()], "lat": [places["lat"].mean()]}
        )
    lat0 = np.radians(float(places["lat"].mean()))
    tx = towns["lon"].to_numpy(float) * np.cos(lat0)
    ty = towns["lat"].to_numpy(float)
    px = places["lon"].to_numpy(float) * np.cos(lat0)
    py = places["lat"].to_numpy(float)
    nearest = np.hypot(px[:, None] - tx[None, :], py[:, None] - ty[None, :]).argmin(axis=1)
    community = places["place"].isin(COMMUNITY_PLACES).to_numpy()
    pop = places["population"].to_numpy(float)
    tagged = np.isfinite(pop)
    source = np.where(tagged, "OSM place; population: OSM tag", "OSM place; population: none")
    if population is not None:
        left = max(0.0, float(population) - float(np.nansum(pop)))
        weight = np.where(community, COMMUNITY_WEIGHT, 1.0) * ~tagged
        if weight.sum() > 0:
            pop = np.where(tagged, pop, left * weight / weight.sum())
            source = np.where(
                tagged, source, "OSM place; population: estimated from the county total"
            )
    pop = np.nan_to_num(pop, nan=0.0).round()
    codes = [f"T{k + 1:02d}" for k in nearest]
    return pd.DataFrame(
        {
            "settlement_id": [f"OSM{i}" for i in places["osm_id"]],
            "name": places["name"].to_numpy(),
            "township_code": codes,
            "township": towns["name"].to_numpy()[nearest],
            "kind": np.where(community, "community", "village"),
            "lon": places["lon"].to_numpy(float),
            "lat": places["lat"].to_numpy(float),
            "population": pop.astype(int),
            "households": (pop / PERSONS_PER_HOUSEHOLD).round().astype(int),
            "urban_rural": np.where(community, "urban", "rural"),
            "source": source,
        }
    )
