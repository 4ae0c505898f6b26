"""Candidate sites for a county whose planner lists none.

Every settlement is a candidate collection point; each township's seat (its largest
settlement by population) a candidate transfer station; the station candidates best
placed for the whole county (the lowest population-weighted mean distance to every
settlement) the candidate sorting centres. Costs and capacities are the documented
defaults (``shared/data/recycling-parameters.md``: a village point's fit-out, a
township station's shed and baler, a county sorting centre), marked in the ``source``
column so the outputs can say they are defaults.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SOURCE = "default candidate (RecycleNet; costs from recycling-parameters.md, unverified)"
"""The ``source`` of every generated candidate."""

POINT_COST_CNY_PER_YEAR = 6_000.0
POINT_CAPACITY_T_PER_DAY = 20.0
STATION_COST_CNY_PER_YEAR = 120_000.0
STATION_CAPACITY_T_PER_DAY = 30.0
CENTRE_COST_CNY_PER_YEAR = 600_000.0
CENTRE_CAPACITY_T_PER_DAY = 150.0
CENTRE_CANDIDATES = 3
"""How many of the best-placed station candidates are also centre candidates."""


def default_candidates(settlements: pd.DataFrame) -> pd.DataFrame:
    """Candidate sites made from a validated settlements table (see the module
    docstring), in the columns of the candidates table plus ``source``."""
    s = settlements.reset_index(drop=True)
    rows = [
        _row(f"P{r.settlement_id}", f"{r.name}回收点", "collection_point", r.settlement_id, *r[-2:])
        for r in s[["settlement_id", "name", "lon", "lat"]].itertuples()
    ]
    seats = s.loc[s.groupby("township_code", sort=True)["population"].idxmax()]
    lat0 = np.radians(float(s["lat"].mean()))
    x = s["lon"].to_numpy(float) * 111.32 * np.cos(lat0)
    y = s["lat"].to_numpy(float) * 110.57
    weight = s["population"].to_numpy(float) + 1.0
    mean_km = {}
    for i in seats.index:
        d = np.hypot(x - x[i], y - y[i])
        mean_km[i] = float((weight * d).sum() / weight.sum())
    for seat in seats.itertuples():
        name = f"{seat.township}中转站"
        rows.append(
            _row(f"T{seat.township_code}", name, "transfer_station", "", seat.lon, seat.lat)
        )
    best = sorted(mean_km, key=lambda i: (mean_km[i], str(s.loc[i, "township_code"])))
    for i in best[:CENTRE_CANDIDATES]:
        seat = s.loc[i]
        rows.append(
            _row(
                f"C{seat['township_code']}",
                f"{seat['township']}分拣中心",
                "sorting_centre",
                "",
                seat["lon"],
                seat["lat"],
            )
        )
    return pd.DataFrame(rows)


def _row(site_id: str, name: str, tier: str, settlement_id: str, lon, lat) -> dict:
    cost, capacity = {
        "collection_point": (POINT_COST_CNY_PER_YEAR, POINT_CAPACITY_T_PER_DAY),
        "transfer_station": (STATION_COST_CNY_PER_YEAR, STATION_CAPACITY_T_PER_DAY),
        "sorting_centre": (CENTRE_COST_CNY_PER_YEAR, CENTRE_CAPACITY_T_PER_DAY),
    }[tier]
    return {
        "site_id": site_id,
        "name": name,
        "tier": tier,
        "settlement_id": settlement_id,
        "lon": float(lon),
        "lat": float(lat),
        "fixed_cost_cny_per_year": cost,
        "capacity_t_per_day": capacity,
        "existing": False,
        "source": DEFAULT_SOURCE,
    }
