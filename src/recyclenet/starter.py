"""``recyclenet init``: a new county's scenario and input workbook.

It writes ``scenario.yaml`` (commented in the planner's language, its tables pointing at
the workbook's sheets) and ``inputs.xlsx``: a sheet each for the settlements, the
candidate sites and the vehicles, headers in the planner's language (both are read), a
note and an input check on every column, two example rows (the vehicles: the documented
default types), and a help sheet. Once the planner has filled the sheets,
``recyclenet validate`` and ``recyclenet run`` take the scenario as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from recyclenet.errors import RecycleNetError
from recyclenet.io import atomic_path, write_text
from recyclenet.tables import CANDIDATE_COLUMNS, FLEET_COLUMNS, SETTLEMENT_COLUMNS, Column

SHEETS = {
    "settlements": ("村社", "settlements"),
    "candidates": ("候选站点", "candidates"),
    "fleet": ("车型", "vehicles"),
    "help": ("说明", "help"),
}
"""Sheet names by table, ``(zh, en)``."""

_NOTES = {
    "settlement_id": (
        "村（社区）的唯一编号，如统计用区划代码",
        "unique id, e.g. the statistical code",
    ),
    "name": ("名称", "name"),
    "township_code": ("所属乡镇（街道）代码", "code of its township"),
    "township": ("所属乡镇（街道）名称", "name of its township"),
    "kind": ("村 或 社区", "village or community"),
    "lon": ("经度（WGS-84，度）；高德/腾讯坐标在情景中设 crs: gcj02", "longitude, WGS-84"),
    "lat": ("纬度（WGS-84，度）", "latitude, WGS-84"),
    "population": ("常住人口（人）", "residents"),
    "households": ("户数", "households"),
    "urban_rural": ("城镇 或 乡村", "urban or rural"),
    "county": ("区县（多个区县共用分拣中心时填写）", "county (several counties sharing a centre)"),
    "site_id": ("候选站点的唯一编号", "unique id of the candidate site"),
    "tier": ("回收点 / 中转站 / 分拣中心", "collection_point / transfer_station / sorting_centre"),
    "fixed_cost_cny_per_year": ("年固定成本（元，含租金、人员、折旧）", "fixed cost a year, CNY"),
    "capacity_t_per_day": ("日处理能力（吨）", "capacity, tonnes a day"),
    "existing": ("现有设施填 是，新建填 否", "yes for a site already running"),
    "vehicle_type": ("车型编号（情景中引用）", "vehicle type id (named in the scenario)"),
    "payload_kg": ("额定载重（公斤）", "payload, kg"),
    "volume_m3": ("货厢容积（立方米）", "body volume, m3"),
    "speed_kmh": ("平均车速（公里/小时）", "mean speed, km/h"),
    "cost_cny_per_km": ("每公里运行成本（元，油电、维修）", "running cost, CNY per km"),
    "fixed_cost_cny_per_day": ("每日固定成本（元，司机、折旧、保险）", "fixed cost a day, CNY"),
}

_EXAMPLES = {
    "settlements": [
        ["511502001001", "示例村一", "511502001", "示例镇", "村", 104.60, 28.75, 1800, 620, "乡村"],
        [
            "511502001002",
            "示例社区二",
            "511502001",
            "示例镇",
            "社区",
            104.62,
            28.76,
            5200,
            1900,
            "城镇",
        ],
    ],
    "candidates": [
        ["P511502001001", "示例村一回收点", "回收点", 104.60, 28.75, 6000, 20, "否"],
        ["T511502001", "示例镇中转站", "中转站", 104.61, 28.755, 120000, 30, "否"],
    ],
    "fleet": [
        ["e_tricycle", "电动三轮车", 500, 3.0, 20, 0.3, 150],
        ["box_truck_4_2m", "4.2米厢式货车", 1800, 16.0, 35, 2.5, 450],
        ["truck_6_8m", "6.8米货车", 8000, 40.0, 40, 4.0, 800],
    ],
}

_ZH_VALUES = {
    value: word
    for col in (*SETTLEMENT_COLUMNS, *CANDIDATE_COLUMNS)
    for word, value in reversed(col.values)  # (the first Chinese word of a value wins)
} | {"true": "是", "false": "否"}
"""The Chinese word the sheets show for each choice (the tables read them back)."""

_CHOICE_WORDS = {
    col.name: (*(_ZH_VALUES[c] for c in col.choices if c), *col.choices)
    for col in (*SETTLEMENT_COLUMNS, *CANDIDATE_COLUMNS)
    if col.kind == "choice" and col.values
} | {"existing": ("是", "否", "true", "false")}
"""The words each choice column's input check accepts."""


def _shown(columns: tuple[Column, ...]) -> list[Column]:
    """The columns a planner fills (required ones and the county)."""
    keep = {"county"}
    return [c for c in columns if c.required or c.name in keep]


def _header(col: Column, lang: str) -> str:
    zh = next((a for a in col.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), col.name)
    return zh if lang == "zh" else col.name


def _fill_sheet(ws, columns: list[Column], rows: list[list], lang: str) -> None:
    """Headers with a note each, example rows and an input check per column."""
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for k, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=k, value=_header(col, lang))
        cell.font, cell.fill = bold, fill
        zh, en = _NOTES.get(col.name, (col.meaning or col.name, col.meaning or col.name))
        rng = "" if col.low is None else f" [{col.low:g}, {col.high:g}]"
        cell.comment = Comment(f"{zh if lang == 'zh' else en}{rng}\n({col.name})", "RecycleNet")
        ws.column_dimensions[cell.column_letter].width = max(12, len(str(cell.value)) * 2 + 2)
        letter = cell.column_letter
        area = f"{letter}2:{letter}5000"
        if col.name in _CHOICE_WORDS:
            check = DataValidation(
                type="list", formula1='"' + ",".join(_CHOICE_WORDS[col.name]) + '"'
            )
        elif col.kind in ("float", "int") and col.low is not None:
            check = DataValidation(
                type="decimal" if col.kind == "float" else "whole",
                operator="between",
                formula1=f"{col.low:g}",
                formula2=f"{col.high:g}",
            )
        else:
            check = DataValidation(type="textLength", operator="greaterThan", formula1="0")
        check.error = "值不符合要求，见表头批注" if lang == "zh" else "see the header's note"
        check.showErrorMessage = True
        ws.add_data_validation(check)
        check.add(area)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"


_HELP = {
    "zh": [
        "RecycleNet 输入工作簿：填好以下三张表后运行 recyclenet validate 与 recyclenet run。",
        "村社：每个村（社区）一行，经纬度为 WGS-84（高德、腾讯坐标请在 scenario.yaml 的 "
        "inputs.crs 中设 gcj02，百度设 bd09）。",
        "候选站点：可建回收点、中转站、分拣中心的位置。只留表头（删去示例行）时，RecycleNet "
        "以每个村社为候选回收点、每个乡镇人口最多的村社为候选中转站、位置最居中的几处为候选"
        "分拣中心，成本与能力取文档默认值，并在结果中注明。",
        "车型：收运车与转运车，scenario.yaml 的 routing.collection_vehicle 与 "
        "routing.haul_vehicle 引用这里的车型编号。",
        "表头可用中文或英文；表头上方可有标题行；数字可带千位分隔符。请删去示例行后再运行。",
    ],
    "en": [
        "RecycleNet input workbook: fill the three sheets, then run recyclenet validate and "
        "recyclenet run.",
        "settlements: one row per village or community; lon/lat in WGS-84 (set inputs.crs to "
        "gcj02 for Amap or Tencent positions, bd09 for Baidu).",
        "candidates: where points, stations and centres could be. Keep the header only "
        "(delete the examples) and RecycleNet proposes them: every settlement a point, each "
        "township's largest settlement a station, the most central ones centres, at the "
        "documented default costs, said so in the outputs.",
        "vehicles: collection and haul trucks; routing.collection_vehicle and "
        "routing.haul_vehicle in scenario.yaml name their ids.",
        "Headers in Chinese or English; a title row above the header and thousands "
        "separators are fine. Delete the example rows before running.",
    ],
}


def _settlement_rows(settlements: pd.DataFrame, shown: list[Column], lang: str) -> list[list]:
    """A settlements table as the sheet's rows (values in ``lang``)."""
    rows = []
    for _, r in settlements.iterrows():
        row = []
        for col in shown:
            v = r.get(col.name, "")
            if isinstance(v, str) and lang == "zh":
                v = _ZH_VALUES.get(v, v)
            row.append(v.item() if hasattr(v, "item") else v)
        rows.append(row)
    return rows


def write_inputs_workbook(path: Path, lang: str, settlements: pd.DataFrame | None = None) -> Path:
    """The input workbook (see the module docstring), written whole or not at all;
    ``settlements`` (e.g. from OSM places) fill the settlements sheet instead of the
    example rows."""
    wb = Workbook()
    first = True
    tables = {
        "settlements": SETTLEMENT_COLUMNS,
        "candidates": CANDIDATE_COLUMNS,
        "fleet": FLEET_COLUMNS,
    }
    for key, columns in tables.items():
        title = SHEETS[key][0 if lang == "zh" else 1]
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        shown = _shown(columns)
        if key == "candidates":
            shown = [c for c in shown if c.name != "county"]
        rows = _EXAMPLES[key]
        if lang == "en":
            words = {word: value for value, word in _ZH_VALUES.items()}
            rows = [[words.get(v, v) if isinstance(v, str) else v for v in r] for r in rows]
        if key == "settlements" and settlements is not None:
            rows = _settlement_rows(settlements, shown, lang)
        elif key == "candidates" and settlements is not None:
            rows = []  # (header only: RecycleNet proposes candidates at the places read)
        _fill_sheet(ws, shown, [r[: len(shown)] for r in rows], lang)
        if key == "settlements" and settlements is not None and "source" in settlements:
            # where each row came from (an estimated population says so)
            k = len(shown) + 1
            ws.cell(row=1, column=k, value="来源" if lang == "zh" else "source").font = Font(
                bold=True
            )
            for r, text in enumerate(settlements["source"], start=2):
                ws.cell(row=r, column=k, value=str(text))
            ws.column_dimensions[ws.cell(row=1, column=k).column_letter].width = 48
    ws = wb.create_sheet(SHEETS["help"][0 if lang == "zh" else 1])
    ws.column_dimensions["A"].width = 120
    for line in _HELP[lang]:
        ws.append([line])
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


_CATEGORIES = {
    "paper": (0.1575, 0.036, 180, 8),
    "plastics": (0.077, 0.0176, 80, 8),
    "metals": (0.035, 0.008, 300, 8),
    "glass": (0.042, 0.0096, 400, 8),
    "textiles": (0.0245, 0.0056, 150, 8),
    "appliances": (0.014, 0.0032, 200, 35),
}
"""Household recyclables by category (default, as the Cuiping scenario): kg per person a
day urban and rural, loose density, growth to the target year (%)."""


_COMMENTS = {
    "head": ("RecycleNet 情景：", "RecycleNet scenario: "),
    "steps": (
        "填好 inputs.xlsx 后运行 recyclenet validate scenario.yaml，再 run",
        "Fill inputs.xlsx, then run recyclenet validate scenario.yaml, then run",
    ),
    "defaults": (
        "标注 (默认) 的参数取自文档默认值，请换成本地数据。",
        "Values marked (default) are documented defaults: replace them with local figures.",
    ),
    "inputs": (
        "相对本文件的路径；# 后为工作表名",
        "paths relative to this file; after # the sheet",
    ),
    "cand": ("只留表头时自动生成候选站点", "header only: candidates proposed"),
    "capture": ("居民交投比例 (默认)", "share handed to the network (default)"),
    "cats": ("人均每日产生量（公斤）(默认)", "kg per person a day (default)"),
    "source": (
        "直线距离乘绕行系数；有路网时用 osm",
        "straight lines times a detour; osm for roads",
    ),
    "detour": ("丘陵地区 (默认)", "hilly countryside (default)"),
    "counts": ("规划的三级网点数量，请按本地规划填写", "your plan's number of sites of each tier"),
    "access": ("村社到回收点的最远距离（公里）", "farthest a settlement may be from its point, km"),
    "t_access": ("居民交投成本 (默认)", "residents' carrying effort (default)"),
    "t_coll": ("回收点到中转站 (默认)", "point to station (default)"),
    "t_haul": ("中转站到分拣中心 (默认)", "station to centre (default)"),
    "vehicle": ("车型表中的编号", "an id of the vehicles sheet"),
    "dwell": ("每个定时定点停靠时长（分钟）", "minutes parked at each point"),
}

_SCENARIO = """# {head}{name}
# {steps}
# {defaults}
name: {name}
title: {title}
language: {lang}

inputs:                       # {inputs}
  settlements: inputs.xlsx#{s_settlements}
  candidates: inputs.xlsx#{s_candidates}   # {cand}
  fleet: inputs.xlsx#{s_fleet}

demand:
  base_year: 2023
  target_year: 2027
  capture_rate: 0.3           # {capture}
  categories:                 # {cats}
{categories}
network:
  source: straight_line       # {source}
  detour_factor: 1.4          # {detour}

siting:
  counts:                     # {counts}
    sorting_centre: 1
    transfer_station: {n_stations}
    collection_point: {n_points}
  max_access_km: 5.0          # {access}
  transport_cost_cny_per_tkm:
    access: 5.0               # {t_access}
    collection: 3.0           # {t_coll}
    haul: 0.8                 # {t_haul}

routing:
  collection_vehicle: box_truck_4_2m   # {vehicle}
  haul_vehicle: truck_6_8m
  max_trucks_per_station: 8
  working_days: [mon, tue, wed, thu, fri, sat]
  shift_start: "08:00"
  shift_end: "17:30"
  dwell_min: 30               # {dwell}
  unload_min: 20
  max_fill: 0.9

solver:
  effort: standard            # quick | standard | thorough
  seed: 2027
"""


def scenario_text(
    name: str, lang: str, *, title: str | None = None, counts: tuple[int, int] = (50, 4)
) -> str:
    """The new county's scenario, commented in ``lang``, its tables in ``inputs.xlsx``."""
    k = 0 if lang == "zh" else 1
    categories = "".join(
        f"    {cat}:\n      urban_kg_per_person_day: {u}\n      rural_kg_per_person_day: {r}\n"
        f"      density_kg_per_m3: {d}\n      growth_pct_to_target: {g}\n"
        for cat, (u, r, d, g) in _CATEGORIES.items()
    )
    return _SCENARIO.format(
        n_points=counts[0],
        n_stations=counts[1],
        name=name,
        title=json.dumps(title or name, ensure_ascii=False),
        lang=lang,
        categories=categories,
        **{key: text[k] for key, text in _COMMENTS.items()},
        **{f"s_{key}": names[k] for key, names in SHEETS.items()},
    )


def write_starter(
    directory: Path,
    *,
    name: str,
    title: str,
    lang: str,
    settlements: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``scenario.yaml`` and ``inputs.xlsx`` into ``directory``; refuses to
    overwrite either. ``name``: the scenario's id (letters, digits, ``_.-``);
    ``title``: what the outputs show."""
    if lang not in ("zh", "en"):
        raise RecycleNetError(f"--lang must be zh or en, got '{lang}'")
    directory.mkdir(parents=True, exist_ok=True)
    targets = [directory / "scenario.yaml", directory / "inputs.xlsx"]
    there = [p for p in targets if p.exists()]
    if there:
        raise RecycleNetError(
            f"{', '.join(str(p) for p in there)} already exist(s): RecycleNet does not "
            "overwrite a planner's files. Fix: choose an empty folder, or move them away."
        )
    write_inputs_workbook(targets[1], lang, settlements)
    counts = (50, 4)
    if settlements is not None:  # (no more than the places read allow)
        counts = (min(50, len(settlements)), min(4, settlements["township_code"].nunique()))
    write_text(targets[0], scenario_text(name, lang, title=title, counts=counts))
    return targets
