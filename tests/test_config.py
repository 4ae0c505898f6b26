"""Scenario files: validation with key paths, defaults, relative paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recyclenet.config import hhmm_to_min, load_scenario, min_to_hhmm
from recyclenet.errors import ConfigError
from tests.conftest import CUIPING


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(CUIPING.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_embedded_scenario_loads_with_absolute_paths():
    """The shipped Cuiping scenario validates and its table paths resolve to real files."""
    sc = load_scenario(CUIPING)
    assert sc.siting.counts.collection_point == 100
    assert sc.siting.counts.transfer_station == 4
    assert sc.siting.counts.sorting_centre == 1
    assert sc.inputs.settlements.is_absolute() and sc.inputs.settlements.is_file()


@pytest.mark.parametrize("path", sorted(CUIPING.parent.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_validates(path):
    """Each scenario in scenarios/ passes `recyclenet validate` (its tables included) and
    is named as its file, so its default output folder is out/<file name>."""
    from typer.testing import CliRunner

    from recyclenet.cli import app

    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert load_scenario(path).name == path.stem


def test_unknown_key_is_rejected_with_its_path(tmp_path):
    """A misspelt nested key names its full path and says it is unknown."""
    path = _write(tmp_path, lambda d: d["siting"].update({"max_acess_km": 3}))
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    assert "siting.max_acess_km" in str(exc.value)
    assert "unknown key" in str(exc.value)


def test_wrong_type_names_key_and_value(tmp_path):
    """A string where a number belongs is reported with the key path and the value."""
    path = _write(tmp_path, lambda d: d["siting"]["counts"].update({"transfer_station": "four"}))
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    text = str(exc.value)
    assert "siting.counts.transfer_station" in text and "'four'" in text


def test_missing_key_is_reported(tmp_path):
    """Removing a required section is reported as missing."""
    path = _write(tmp_path, lambda d: d.pop("routing"))
    with pytest.raises(ConfigError, match="routing: required key is missing"):
        load_scenario(path)


def test_bad_clock_and_reversed_shift(tmp_path):
    """Shift times must be HH:MM and the end after the start."""
    path = _write(tmp_path, lambda d: d["routing"].update({"shift_start": "8am"}))
    with pytest.raises(ConfigError, match="routing.shift_start"):
        load_scenario(path)
    path = _write(tmp_path, lambda d: d["routing"].update({"shift_end": "07:00"}))
    with pytest.raises(ConfigError, match="must be later"):
        load_scenario(path)


def test_target_year_before_base_year(tmp_path):
    """Growth to a target year before the base year is refused."""
    path = _write(tmp_path, lambda d: d["demand"].update({"target_year": 2020}))
    with pytest.raises(ConfigError, match="before base_year"):
        load_scenario(path)


def test_missing_file_and_bad_yaml(tmp_path):
    """A missing file and a file that is not YAML both give a ConfigError naming the file."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(bad)


def test_time_limit_split_and_resolved_yaml_round_trip(tmp_path):
    """--time-limit-s splits evenly; the resolved YAML loads back to the same scenario."""
    sc = load_scenario(CUIPING).with_time_limit(120)
    assert sc.solver.siting_time_limit_s == 60 and sc.solver.routing_time_limit_s == 60
    path = tmp_path / "resolved.yaml"
    path.write_text(sc.to_yaml(), encoding="utf-8")
    assert load_scenario(path) == sc


def test_clock_conversion():
    """HH:MM and minutes convert both ways."""
    assert hhmm_to_min("08:30") == 510
    assert min_to_hhmm(510.2) == "08:30"


def test_scenario_in_gbk_and_unquoted_times(tmp_path):
    """A scenario saved in GBK (Chinese Windows' default) reads; an unquoted shift time
    (YAML reads 8:00 as 480) is that clock time."""
    text = CUIPING.read_text(encoding="utf-8").replace('shift_start: "08:00"', "shift_start: 8:00")
    text = text.replace("../data/", str(CUIPING.parent.parent / "data") + "/")
    path = tmp_path / "gbk.yaml"
    path.write_bytes(text.encode("gb18030"))
    sc = load_scenario(path)
    assert sc.routing.shift_start == "08:00" and sc.title.startswith("翠屏区")


def test_yaml_syntax_error_names_line_and_full_width_colon(tmp_path):
    """A full-width colon typed with a Chinese input method: the error gives the line and
    column and says what to type instead, in Chinese and English."""
    text = CUIPING.read_text(encoding="utf-8").replace("  dwell_min: 30", "  dwell_min：30\n  x: [")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    message = str(exc.value)
    assert "第" in message and "line" in message and "全角" in message


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("routing.shift_end", "08:10", "shorter than one stop and one unload"),
        ("demand.capture_rate", float("inf"), "finite"),
        ("routing.slot_tolerance_min", 1e20, "less than or equal to 240"),
        ("demand.categories.paper.urban_kg_per_person_day", float("nan"), "finite"),
    ],
)
def test_scenario_values_that_no_plan_can_use_are_refused(tmp_path, key, value, message):
    """A shift too short for one stop and one unload, an infinite or NaN number in the
    scenario: refused when the scenario is read, naming the key."""
    config = yaml.safe_load(CUIPING.read_text(encoding="utf-8"))
    node = config
    *path, last = key.split(".")
    for part in path:
        node = node[part]
    node[last] = value
    config["inputs"] = {k: str((CUIPING.parent / v).resolve()) for k, v in config["inputs"].items()}
    target = tmp_path / "s.yaml"
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_scenario(target)
    assert message in str(exc.value) and last in str(exc.value)
