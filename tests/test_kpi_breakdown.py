"""Indicators per material category (kpis.json categories)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recyclenet.config import DemandConfig
from recyclenet.kpi_breakdown import category_kpis

DEMAND = DemandConfig.model_validate(
    {
        "base_year": 2023,
        "target_year": 2027,
        "capture_rate": 0.5,
        "categories": {
            "paper": {
                "urban_kg_per_person_day": 0.2,
                "rural_kg_per_person_day": 0.1,
                "density_kg_per_m3": 180,
                "growth_pct_to_target": 10,
            },
            "appliances": {
                "urban_kg_per_person_day": 0.02,
                "rural_kg_per_person_day": 0.01,
                "density_kg_per_m3": 200,
                "growth_pct_to_target": 35,
            },
        },
    }
)
TOWN = pd.DataFrame(
    {
        "settlement_id": ["s1", "s2"],
        "population": [10_000, 2_000],
        "urban_rural": ["urban", "rural"],
    }
)


def test_categories_grow_to_the_target_and_are_met_where_all_are_served():
    cats = category_kpis(DEMAND, TOWN, np.array([True, True]), centre_capacity_t_per_day=100)
    paper = cats["paper"]
    base = (10_000 * 0.2 + 2_000 * 0.1) * 0.5 * 365 / 1000  # t a year handed in
    assert paper["base_t_per_year"] == pytest.approx(base, abs=0.1)
    assert paper["target_t_per_year"] == pytest.approx(base * 1.10, abs=0.1)
    assert cats["appliances"]["target_pct"] == 35
    assert all(c["met"] for c in cats.values())


def test_a_village_out_of_reach_or_a_centre_too_small_misses_the_target():
    far = category_kpis(DEMAND, TOWN, np.array([True, False]), centre_capacity_t_per_day=100)
    assert not far["paper"]["met"]
    assert far["paper"]["collected_t_per_year"] < far["paper"]["target_t_per_year"]
    small = category_kpis(DEMAND, TOWN, np.array([True, True]), centre_capacity_t_per_day=0.5)
    assert not any(c["met"] for c in small.values())
