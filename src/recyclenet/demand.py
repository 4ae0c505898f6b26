"""Expected recyclables per settlement and category, grown to the target year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pandas as pd


class CategoryRates(Protocol):
    """One material category's rates (a scenario's ``demand.categories`` entries are such)."""

    @property
    def urban_kg_per_person_day(self) -> float: ...

    @property
    def rural_kg_per_person_day(self) -> float: ...

    @property
    def density_kg_per_m3(self) -> float: ...

    @property
    def growth_pct_to_target(self) -> float: ...


class DemandSettings(Protocol):
    """What the demand model reads (a scenario's ``demand`` section is such)."""

    @property
    def capture_rate(self) -> float: ...

    @property
    def categories(self) -> Mapping[str, CategoryRates]: ...


def settlement_demand(settlements: pd.DataFrame, config: DemandSettings) -> pd.DataFrame:
    """Expected recyclables handed to the network per settlement, in the target year.

    For settlement *i* and category *c*::

        kg_per_day[i, c] = population[i] * rate[urban_rural[i], c]
                           * capture_rate * (1 + growth_pct_to_target[c] / 100)

    Parameters
    ----------
    settlements
        Validated settlements (``settlement_id``, ``population``, ``urban_rural``).
    config
        The scenario's demand section.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``settlements``, with ``settlement_id``, one column
        ``kg_per_day_<category>`` per category, ``demand_kg_per_day`` (the sum) and
        ``demand_m3_per_day`` (volume at each category's loose density).
    """
    out = pd.DataFrame({"settlement_id": settlements["settlement_id"]}, index=settlements.index)
    urban = settlements["urban_rural"].to_numpy() == "urban"
    population = settlements["population"].to_numpy(dtype=float)
    total_kg = 0.0
    total_m3 = 0.0
    for name, cat in config.categories.items():
        rate = urban * cat.urban_kg_per_person_day + ~urban * cat.rural_kg_per_person_day
        kg = population * rate * config.capture_rate * (1.0 + cat.growth_pct_to_target / 100.0)
        out[f"kg_per_day_{name}"] = kg
        total_kg = total_kg + kg
        total_m3 = total_m3 + kg / cat.density_kg_per_m3
    out["demand_kg_per_day"] = total_kg
    out["demand_m3_per_day"] = total_m3
    return out
