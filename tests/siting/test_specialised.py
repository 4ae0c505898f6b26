"""Specialised sorting centres: the stage that opens them and routes each category."""

from __future__ import annotations

import numpy as np
import pytest

from recyclenet.errors import SolverError
from recyclenet.siting.solve import solve_specialised
from recyclenet.siting.specialised import SpecialisedProblem


def stage(count=1, capacity=(100.0, 100.0), existing=(False, False), fixed=(1e5, 1e5)):
    """Stations at x = 0, 10, 40 km; the comprehensive centre at x = 20; candidate
    appliance centres at x = 5 (A) and x = 40 (B). Categories: paper (no specialised
    centre takes it) and appliances (both do)."""
    x_station = np.array([0.0, 10.0, 40.0])
    x_cand = np.array([5.0, 40.0])
    return SpecialisedProblem(
        station_ids=("S1", "S2", "S3"),
        categories=("paper", "appliances"),
        t_per_day=np.array([[3.0, 1.0], [3.0, 1.0], [3.0, 2.0]]),
        centre_ids=("A", "B"),
        takes=np.array([[False, True], [False, True]]),
        fixed_cost_cny_per_year=np.array(fixed),
        capacity_t_per_day=np.array(capacity),
        existing=np.array(existing),
        haul_km=np.abs(x_station[:, None] - x_cand[None, :]),
        comprehensive_km=np.abs(x_station - 20.0),
        haul_cny_per_tkm=1.0,
        count=count,
    )


def brute_force(p):
    """Every open set of the right size, each flow to its nearest open taker."""
    best = None
    for mask in range(1 << len(p.centre_ids)):
        opened = [c for c in range(len(p.centre_ids)) if mask >> c & 1]
        if len(opened) != p.count or not all(p.existing[c] <= (c in opened) for c in range(2)):
            continue
        cost = sum(p.fixed_cost_cny_per_year[c] for c in opened if not p.existing[c])
        for k in range(len(p.station_ids)):
            for g in range(len(p.categories)):
                takers = [c for c in opened if p.takes[c, g]]
                km = min((p.haul_km[k, c] for c in takers), default=p.comprehensive_km[k])
                cost += 365 * p.haul_cny_per_tkm * p.t_per_day[k, g] * km
        best = cost if best is None else min(best, cost)
    return best


def test_appliances_go_to_the_open_specialised_centre_paper_stays():
    p = stage()
    r = solve_specialised(p)
    assert r.status == "optimal"
    assert r.objective_cny == pytest.approx(brute_force(p))
    assert list(r.open_idx) == [1]  # B: the far station's 2 t beat A's detour savings
    assert (r.centre_of[:, 0] == -1).all()  # paper to the comprehensive centre
    assert (r.centre_of[:, 1] == 1).all()  # appliances: every station to B
    flows = r.flows()
    assert set(flows["category"]) == {"appliances"}
    assert flows["t_per_day"].sum() == pytest.approx(4.0)
    assert r.diverted_t_per_day() == pytest.approx([1.0, 1.0, 2.0])


def test_existing_and_capacity_bind():
    p = stage(existing=(True, False))  # A exists: it must be the one open
    r = solve_specialised(p)
    assert list(r.open_idx) == [0] and r.objective_cny == pytest.approx(brute_force(p))
    assert r.fixed_cost_cny_per_year() == 0.0
    two = solve_specialised(stage(count=2, capacity=(2.0, 3.0)))
    loads = two.flows().groupby("centre_id")["t_per_day"].sum()
    assert loads["A"] <= 2.0 + 1e-9 and loads["B"] <= 3.0 + 1e-9
    with pytest.raises(SolverError, match="capacity"):
        solve_specialised(stage(capacity=(1.0, 1.0)))


def _with_specialised(folder, rows):
    """A small scenario whose candidates add specialised centres (``rows``: site id,
    categories as typed, lon, lat)."""
    import pandas as pd

    from tests.conftest import write_small_scenario

    path = write_small_scenario(folder, overrides={"siting.counts.specialised_centre": 1})
    cand = pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame(
        [
            {
                "site_id": sid,
                "name": f"{sid}专业型分拣中心",
                "tier": "sorting_centre",
                "settlement_id": "",
                "lon": lon,
                "lat": lat,
                "fixed_cost_cny_per_year": "200000",
                "capacity_t_per_day": "50",
                "existing": "False",
                "source": "test",
                "categories": cats,
            }
            for sid, cats, lon, lat in rows
        ]
    )
    pd.concat([cand.assign(categories=""), extra]).to_csv(folder / "candidates.csv", index=False)
    return path


def test_a_run_sends_each_category_to_the_centre_that_takes_it(tmp_path):
    """Textiles and metals (written in Chinese and as a key) go to the one specialised
    centre opened; every station's material is hauled once, to one centre or another;
    the centre's fixed cost is in the network cost."""
    from recyclenet.config import load_scenario
    from recyclenet.pipeline import run_scenario

    path = _with_specialised(
        tmp_path / "in",
        [("S1", "废旧纺织品、metals", "104.60", "28.78"), ("S2", "textiles", "104.75", "28.90")],
    )
    result = run_scenario(load_scenario(path))
    k = result.kpis.to_dict()
    assert k["facilities"]["specialised_centre"] == 1
    (opened,) = k["specialised_centres"]["open"]
    special = result.sites[result.sites["centre_type"] == "specialised"]
    assert list(special["site_id"]) == [opened["site_id"]]
    haul = result.week.haul
    to_special = haul[haul["centre_id"] == opened["site_id"]]
    sts = result.sites[result.sites["tier"] == "transfer_station"]
    assert set(to_special["station_id"]) == set(sts.loc[sts["kg_per_day"] > 0, "site_id"])
    demand = result.demand
    taken = set(opened["categories"])
    expected_t = sum(demand[f"kg_per_day_{g}"].sum() for g in taken) / 1000
    assert opened["t_per_day"] == pytest.approx(expected_t, rel=1e-3)
    assert to_special["kg_per_week"].sum() == pytest.approx(7000 * expected_t, rel=1e-6)
    assert haul["kg_per_week"].sum() == pytest.approx(7 * demand["demand_kg_per_day"].sum())
    fixed = k["cost_cny_per_year"]["fixed_cny"] + k["specialised_centres"]["fixed_cny"]
    assert k["network_cost_cny_per_year"]["facilities_fixed_cny"] == pytest.approx(fixed)


def test_categories_on_a_wrong_row_or_unknown_are_named(tmp_path):
    import pandas as pd

    from recyclenet.config import load_scenario
    from recyclenet.errors import InputError
    from recyclenet.inputs import load_inputs

    path = _with_specialised(tmp_path / "in", [("S1", "电池", "104.60", "28.78")])
    cand = pd.read_csv(tmp_path / "in" / "candidates.csv", dtype=str, keep_default_na=False)
    cand.loc[0, "categories"] = "paper"  # a collection point
    cand.to_csv(tmp_path / "in" / "candidates.csv", index=False)
    with pytest.raises(InputError) as err:
        load_inputs(load_scenario(path))
    text = str(err.value)
    assert "'电池' is not a demand category" in text
    assert "categories applies to sorting centres only" in text
