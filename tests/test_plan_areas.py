"""The plan areas' scenarios as their users run them: what each one is there to show."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from recyclenet.cli import app
from recyclenet.clock import hhmm_to_min

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_dazhou_specialised_centres_and_the_dispatchers_monday(tmp_path):
    """dazhou-2027: two specialised centres open and take appliances, e-waste and
    textiles; the Monday's bookings file plans door pickups and a 送新收旧 delivery."""
    out = tmp_path / "dz"
    scenario = ROOT / "scenarios" / "dazhou-2027.yaml"
    done = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--effort", "quick"])
    assert done.exit_code == 0, done.output
    assert "专业型分拣中心" in done.output
    k = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    taken = {g for c in k["specialised_centres"]["open"] for g in c["categories"]}
    assert k["facilities"]["specialised_centre"] == 2
    assert taken == {"appliances", "e_waste", "textiles"}
    bookings = ROOT / "data" / "dazhou" / "bookings_mon.csv"
    day = runner.invoke(app, ["route", str(out), str(bookings), "--day", "mon"])
    assert day.exit_code == 0, day.output
    summary = json.loads((out / "dispatch-mon" / "summary.json").read_text(encoding="utf-8"))
    assert summary["bookings_accepted"] == 12 and summary["bookings_rejected"] == 0
    assert summary["bookings_planned"] >= 6 and summary["deliveries_planned"] >= 1


def test_luojiang_box_trucks_stand_still_in_the_rush_hour(tmp_path):
    """luojiang-2027: no box truck serves a stop 07:30-09:00 in the week, the box trucks
    out across the ban show it as parked hours (and only they), and tricycles work then."""
    out = tmp_path / "lj"
    scenario = ROOT / "scenarios" / "luojiang-2027.yaml"
    done = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--effort", "quick"])
    assert done.exit_code == 0, done.output
    routes = pd.read_csv(out / "routes.csv", encoding="utf-8-sig", dtype=str)
    routes = routes[routes["route_type"] == "collection"]
    arrive = routes["arrival"].map(hhmm_to_min)
    leave = routes["departure"].map(hhmm_to_min)
    ban = (450, 540)
    box = routes["vehicle_type"] == "box_truck_4_2m"
    stops = routes["kind"] == "stop"
    assert not (box & stops & (arrive < ban[1]) & (leave > ban[0])).any()
    parked = routes[routes["kind"] == "parked"]
    assert len(parked) > 0 and (parked["vehicle_type"] == "box_truck_4_2m").all()
    assert (parked["arrival"].map(hhmm_to_min) >= ban[0]).all()
    assert (parked["departure"].map(hhmm_to_min) <= ban[1]).all()
    tricycle_in_ban = ~box & stops & (arrive < ban[1]) & (leave > ban[0])
    assert tricycle_in_ban.any()
