"""Input tables as planners keep them: columns, Chinese or English headers and values,
and the validation that names file, row, column and value of every problem.

A table may use the columns' English names or their Chinese ones (:attr:`Column.aliases`;
full- or half-width brackets, any case or spacing), and Chinese values for the choice
columns (:attr:`Column.values`: 村, 社区, 回收点 ...). A title row or two above the
header is skipped; numbers may carry thousands separators (1,234 or 1，234); a table whose
longitudes and latitudes are swapped is named as such.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recyclenet.config import TIERS
from recyclenet.errors import InputError, InputProblem


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``kind`` is ``"str"``, ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``; numeric
    columns are checked against ``[low, high]``; ``choices`` lists the allowed values of a
    choice column; ``aliases`` are other headers read as this column (Chinese ones a
    user may type; see :func:`canonical_headers`); ``values`` maps other words for a
    choice (Chinese ones) to the choice. A numeric column with ``blank_ok`` reads an
    empty cell (or a missing column) as NaN: "not given".
    """

    name: str
    kind: str
    required: bool = True
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    unique: bool = False
    meaning: str = ""
    aliases: tuple[str, ...] = ()
    blank_ok: bool = False
    values: tuple[tuple[str, str], ...] = ()


def _header_key(text: str) -> str:
    """A header as compared: full-width forms folded (（公斤） = (公斤)), case and
    spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", str(text)).lower().split())


def canonical_headers(present: list[str], columns: tuple[Column, ...], file: str) -> list[str]:
    """The headers ``present`` with each one that names a column of ``columns`` in
    another way (an alias, other case or spacing, full-width brackets) replaced by the
    column's name; other headers are kept as they are.

    Raises
    ------
    InputError
        When two headers name the same column.
    """
    key_of = {}
    for col in columns:
        for name in (col.name, *col.aliases):
            key_of[_header_key(name)] = col.name
    out: list[str] = []
    first: dict[str, str] = {}
    problems: list[InputProblem] = []
    for header in present:
        name = key_of.get(_header_key(header), header)
        if name in first:
            problems.append(
                InputProblem(
                    file,
                    f"columns '{first[name]}' and '{header}' both give '{name}'",
                    "keep one of them",
                    column=header,
                )
            )
        first.setdefault(name, header)
        out.append(name)
    if problems:
        raise InputError(problems)
    return out


_KIND: tuple[tuple[str, str], ...] = (
    ("村", "village"),
    ("行政村", "village"),
    ("社区", "community"),
    ("居委会", "community"),
)
_URBAN: tuple[tuple[str, str], ...] = (
    ("城镇", "urban"),
    ("城市", "urban"),
    ("城", "urban"),
    ("乡村", "rural"),
)
_URBAN += (("农村", "rural"), ("乡", "rural"))
_TIER: tuple[tuple[str, str], ...] = (
    ("回收点", "collection_point"),
    ("收集点", "collection_point"),
)
_TIER += (("中转站", "transfer_station"), ("分拣中心", "sorting_centre"))
_STATUS: tuple[tuple[str, str], ...] = (
    ("现有", "existing"),
    ("候选", "candidate"),
    ("禁止", "forbidden"),
    ("排除", "forbidden"),
)

SETTLEMENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "settlement_id",
        "str",
        unique=True,
        meaning="village or community id",
        aliases=("编号", "村社编号"),
    ),
    Column("name", "str", meaning="name (村/社区)", aliases=("名称", "村社名称")),
    Column("name_en", "str", required=False, aliases=("英文名称",)),
    Column("township_code", "str", aliases=("乡镇代码", "乡镇编号")),
    Column("township", "str", aliases=("乡镇", "乡镇（街道）", "乡镇街道")),
    Column("kind", "choice", choices=("village", "community"), aliases=("类型",), values=_KIND),
    Column(
        "lon", "float", low=-180, high=180, meaning="longitude, WGS-84 degrees", aliases=("经度",)
    ),
    Column("lat", "float", low=-90, high=90, meaning="latitude, WGS-84 degrees", aliases=("纬度",)),
    Column("population", "int", low=0, high=2_000_000, aliases=("人口", "人口（人）")),
    Column("households", "int", low=0, high=1_000_000, aliases=("户数", "户数（户）")),
    Column("urban_rural", "choice", choices=("urban", "rural"), aliases=("城乡",), values=_URBAN),
    Column("county", "str", required=False, aliases=("区县", "县（区）")),
)

CANDIDATE_COLUMNS: tuple[Column, ...] = (
    Column("site_id", "str", unique=True, aliases=("站点编号",)),
    Column("name", "str", aliases=("名称", "站点名称")),
    Column("tier", "choice", choices=TIERS, aliases=("层级",), values=_TIER),
    Column("settlement_id", "str", required=False, aliases=("所在村社编号", "村社编号")),
    Column("lon", "float", low=-180, high=180, aliases=("经度",)),
    Column("lat", "float", low=-90, high=90, aliases=("纬度",)),
    Column("fixed_cost_cny_per_year", "float", low=0, high=1e10, aliases=("年固定成本（元）",)),
    Column("capacity_t_per_day", "float", low=1e-9, high=1e5, aliases=("日处理能力（吨）",)),
    Column("existing", "bool", aliases=("现有", "是否现有")),
    Column(
        "status",
        "choice",
        required=False,
        choices=("existing", "candidate", "forbidden", ""),
        aliases=("状态",),
        values=_STATUS,
    ),
    Column("county", "str", required=False, aliases=("区县", "县（区）")),
    # Who runs the site (两网融合: the sanitation department, the supply-and-marketing
    # cooperative, a recycling company); shown with the site in the outputs.
    Column("operator", "str", required=False, aliases=("运营主体", "运营方")),
    # Sorting centres only: the categories a specialised centre (专业型) takes, e.g.
    # "appliances; e_waste" or "废旧家电、电子废弃物"; empty: a comprehensive centre (综合型).
    Column(
        "categories",
        "str",
        required=False,
        meaning="demand categories the specialised centre takes",
        aliases=("接收品类", "品类"),
    ),
    # Collection points only: what the point stores between visits (empty: a plain truck
    # stop, where residents bring everything to the truck), and visits a week fixed by
    # the planner (empty: from the amounts, the storage and the truck).
    Column(
        "storage_m3",
        "float",
        required=False,
        low=0,
        high=1e4,
        blank_ok=True,
        aliases=("存放容积（立方米）",),
    ),
    Column(
        "storage_kg",
        "float",
        required=False,
        low=0,
        high=1e7,
        blank_ok=True,
        aliases=("存放重量（公斤）",),
    ),
    Column(
        "visits_per_week",
        "int",
        required=False,
        low=1,
        high=7,
        blank_ok=True,
        aliases=("每周收运次数",),
    ),
    # Collection points only: the hours the truck may stand there (HH:MM; residents meet
    # it then), e.g. a community point served after work; empty: the whole shift.
    Column("window_start", "str", required=False, meaning="HH:MM", aliases=("开始时间",)),
    Column("window_end", "str", required=False, meaning="HH:MM", aliases=("结束时间",)),
)

# Columns only a collection point may fill.
POINT_ONLY_COLUMNS = (
    "storage_m3",
    "storage_kg",
    "visits_per_week",
    "window_start",
    "window_end",
)
# What the weekly plan reads of a collection point beyond its place and amounts, in
# numbers (the window in minutes after midnight; NaN: not given).
POINT_PLAN_COLUMNS = (
    "storage_m3",
    "storage_kg",
    "visits_per_week",
    "window_open_min",
    "window_close_min",
)

FLEET_COLUMNS: tuple[Column, ...] = (
    Column("vehicle_type", "str", unique=True, aliases=("车型编号",)),
    Column("name", "str", aliases=("车型", "车型名称")),
    Column("name_en", "str", required=False, aliases=("英文名称",)),
    Column("payload_kg", "float", low=50, high=100_000, aliases=("载重（公斤）",)),
    Column("volume_m3", "float", low=0.1, high=200, aliases=("容积（立方米）",)),
    Column("speed_kmh", "float", low=1, high=200, aliases=("车速（公里/小时）",)),
    Column("cost_cny_per_km", "float", low=0, high=1e4, aliases=("每公里成本（元）",)),
    Column("fixed_cost_cny_per_day", "float", low=0, high=1e6, aliases=("每日固定成本（元）",)),
)

_THOUSANDS = re.compile(r"(?<=\d)[,，'’ ](?=\d{3}(?:\D|$))")


def _plain_number(text: str) -> str:
    """A number as typed, full-width digits folded and thousands separators dropped
    (``1,234.5``, ``１２３４``, ``1，234``); anything else unchanged."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return (
        _THOUSANDS.sub("", folded) if re.fullmatch(r"[-+]?[\d,，'’ ]+(\.\d*)?", folded) else folded
    )


_TRUE = {"true", "yes", "1", "y", "t", "是"}
_FALSE = {"false", "no", "0", "n", "f", "否", ""}


def _parse_column(
    raw: pd.Series, col: Column, file: str, problems: list[InputProblem], skipped: int = 0
) -> pd.Series:
    """The column's typed values; each bad one is added to ``problems`` (rows counted
    from the header, ``skipped`` title rows above it added)."""
    text = raw.astype(str).str.strip()
    where_bad: list[tuple[int, str, str, str]] = []  # (row, value, message, hint)
    if col.kind == "str":
        out = text
        for i, v in enumerate(text):
            if col.required and v == "":
                where_bad.append((i, v, "the value is empty", f"fill in the {col.name}"))
            elif any(ord(c) < 32 for c in v):
                shown = v.encode("unicode_escape").decode("ascii")
                where_bad.append(
                    (i, shown, "the value holds control characters", "delete them from the cell")
                )
    elif col.kind == "choice":
        other = {_header_key(a): v for a, v in col.values}
        out = pd.Series([other.get(_header_key(v), v.lower()) for v in text], index=text.index)
        for i, v in enumerate(out):
            if v not in col.choices:
                close = difflib.get_close_matches(v, col.choices, n=1)
                words = [w for w in (*col.choices, *(a for a, _ in col.values)) if w]
                hint = f"use one of {', '.join(words)}"
                if close:
                    hint = f"did you mean '{close[0]}'? {hint}"
                where_bad.append((i, text.iloc[i], "the value is not allowed", hint))
    elif col.kind == "bool":
        lowered = text.str.lower()
        out = lowered.isin(_TRUE)
        for i, v in enumerate(lowered):
            if v not in _TRUE and v not in _FALSE:
                where_bad.append(
                    (i, text.iloc[i], "the value is not yes/no", "write true or false")
                )
    else:  # float or int
        plain = text.map(_plain_number)
        out = pd.to_numeric(plain, errors="coerce")
        for i, (v, num) in enumerate(zip(text, out, strict=True)):
            if col.blank_ok and v == "":
                continue
            if np.isnan(num):
                where_bad.append(
                    (i, v, "the value is not a number", f"write a plain number for {col.name}")
                )
                continue
            if not np.isfinite(num):
                where_bad.append(
                    (
                        i,
                        v,
                        "the value is not a finite number",
                        f"write a plain number for {col.name}",
                    )
                )
                continue
            if col.kind == "int" and float(num) != int(num):
                where_bad.append((i, v, "the value must be a whole number", "round it"))
            if col.low is not None and num < col.low:
                rng = f"at least {col.low:g}" if col.high is None else f"{col.low:g}..{col.high:g}"
                where_bad.append((i, v, f"the value is out of range ({rng})", "correct it"))
            elif col.high is not None and num > col.high:
                hint = "correct it"
                if col.name == "lat":
                    hint = "a latitude above 90 is likely a longitude: are lon and lat swapped?"
                where_bad.append(
                    (i, v, f"the value is out of range ({col.low:g}..{col.high:g})", hint)
                )
    for i, v, message, hint in where_bad:
        problems.append(
            InputProblem(file, message, hint, row=i + 1 + skipped, column=col.name, value=v)
        )
    if col.unique:
        dup = text.duplicated(keep="first") & (text != "")
        for i in np.flatnonzero(dup.to_numpy()).tolist():
            first = int(np.flatnonzero((text == text.iloc[i]).to_numpy())[0]) + 1 + skipped
            problems.append(
                InputProblem(
                    file,
                    f"duplicate id, already used in row {first}",
                    f"give every row its own {col.name}",
                    row=int(i) + 1 + skipped,
                    column=col.name,
                    value=text.iloc[i],
                )
            )
    return out


def require_columns(present: list[str], columns: tuple[Column, ...], file: str) -> None:
    """Raise :class:`InputError` naming every required column missing from ``present``."""
    problems: list[InputProblem] = []
    for col in columns:
        if col.name not in present and col.required:
            close = difflib.get_close_matches(col.name, present, n=1, cutoff=0.6)
            hint = f"add a column named '{col.name}'" + (
                f" (or '{col.aliases[0]}')" if col.aliases else ""
            )
            if close:
                hint = f"rename column '{close[0]}' to '{col.name}'"
            problems.append(
                InputProblem(
                    file,
                    f"required column '{col.name}' is missing "
                    f"(columns found: {', '.join(present)})",
                    hint,
                    column=col.name,
                )
            )
    if problems:
        raise InputError(problems)


def validate_table(
    frame: pd.DataFrame, columns: tuple[Column, ...], file: str | Path
) -> pd.DataFrame:
    """Check a raw table against its columns and return it with typed values.

    Parameters
    ----------
    frame
        The table as read (text values).
    columns
        The expected columns.
    file
        The file name used in messages.

    Raises
    ------
    InputError
        Listing every problem found.
    """
    file = str(file)
    problems: list[InputProblem] = []
    frame, skipped = _below_title(frame, columns, file)
    present = list(frame.columns)
    require_columns(present, columns, file)
    if len(frame) == 0:
        raise InputError(InputProblem(file, "the table has no rows", "add at least one row"))
    out = pd.DataFrame(index=range(len(frame)))
    known = {c.name for c in columns}
    for col in columns:
        if col.name in present:
            out[col.name] = _parse_column(
                frame[col.name].reset_index(drop=True), col, file, problems, skipped
            ).to_numpy()
        else:
            out[col.name] = np.nan if col.blank_ok else ""
    for extra in present:
        if extra not in known:
            out[extra] = frame[extra].to_numpy()
    problems = _swapped_lon_lat(out, file, problems)
    if problems:
        raise InputError(problems)
    for col in columns:
        if col.kind == "int" and not col.blank_ok:
            out[col.name] = out[col.name].astype("int64")
        elif col.kind in ("int", "float"):  # (an int that may be blank: float, NaN blank)
            out[col.name] = out[col.name].astype("float64")
    return out


TITLE_ROWS = 5
"""Rows above the header that may hold a title (a sheet's caption, a unit line)."""


def _below_title(
    frame: pd.DataFrame, columns: tuple[Column, ...], file: str
) -> tuple[pd.DataFrame, int]:
    """The table under its header, headers in their canonical names, and how many rows
    above the header were skipped: where the first line does not hold the required
    columns but one of the next :data:`TITLE_ROWS` does (a title row, a unit line), that
    row is the header."""
    required = {c.name for c in columns if c.required}
    present = canonical_headers([str(c).strip() for c in frame.columns], columns, file)
    if required <= set(present):
        return frame.set_axis(present, axis=1), 0
    for k in range(min(TITLE_ROWS, len(frame))):
        row = [str(v).strip() for v in frame.iloc[k]]
        try:
            names = canonical_headers(row, columns, file)
        except InputError:
            continue
        if required <= set(names):
            body = frame.iloc[k + 1 :].reset_index(drop=True)
            return body.set_axis(names, axis=1), k + 1
    return frame.set_axis(present, axis=1), 0


def data_rows(frame: pd.DataFrame, columns: tuple[Column, ...], file: str) -> int:
    """Rows under the table's header (a title row above it skipped), empty rows not
    counted."""
    body, _ = _below_title(frame, columns, file)
    if body.empty:
        return 0
    return int((body.astype(str).apply(lambda col: col.str.strip()) != "").any(axis=1).sum())


CHINA_LON_DEG = (73.0, 136.0)
CHINA_LAT_DEG = (3.0, 54.0)


def _swapped_lon_lat(
    out: pd.DataFrame, file: str, problems: list[InputProblem]
) -> list[InputProblem]:
    """Where most rows' longitude reads as a latitude of China and their latitude as a
    longitude, one problem saying the columns are swapped, instead of one per row."""
    if "lon" not in out or "lat" not in out:
        return problems
    lon = pd.to_numeric(out["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(out["lat"], errors="coerce").to_numpy(float)
    swapped = (
        (lon >= CHINA_LAT_DEG[0])
        & (lon <= CHINA_LAT_DEG[1])
        & (lat >= CHINA_LON_DEG[0])
        & (lat <= CHINA_LON_DEG[1])
    )
    if len(out) == 0 or swapped.mean() < 0.8:
        return problems
    k = int(np.flatnonzero(swapped)[0])
    kept = [p for p in problems if p.column not in ("lon", "lat")]
    return [
        *kept,
        InputProblem(
            file,
            f"the columns lon and lat are swapped in {int(swapped.sum())} of {len(out)} rows "
            f"(row {k + 1}: lon {lon[k]:g}, lat {lat[k]:g}; in China a longitude is "
            f"{CHINA_LON_DEG[0]:g} to {CHINA_LON_DEG[1]:g}, a latitude "
            f"{CHINA_LAT_DEG[0]:g} to {CHINA_LAT_DEG[1]:g})",
            "swap the two column headers (lon 经度, lat 纬度)",
            column="lon",
        ),
    ]
