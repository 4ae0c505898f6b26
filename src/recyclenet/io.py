"""Reading input tables and writing outputs atomically.

Tables may be CSV (UTF-8 with or without BOM, or GBK/GB18030), Excel (first sheet,
recognised by its content whatever the file's name), GeoJSON or
GeoPackage (first layer; ``lon``/``lat`` are taken from point geometries when the
columns are absent). Outputs are written to a temporary file in the target folder and
renamed, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from recyclenet.errors import InputError, InputProblem

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg")


def frame_as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """A table given in memory as :func:`read_table` would have read it from a file: text
    values, empty cells as ``""``; a GeoDataFrame's point geometries (in any CRS) give
    its ``lon``/``lat`` in WGS-84."""
    if "geometry" in frame.columns and hasattr(frame, "to_crs"):
        frame = _points_as_columns(frame, keep_lon_lat=False)
    frame = frame.reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _points_as_columns(gdf: Any, *, keep_lon_lat: bool) -> pd.DataFrame:
    """A GeoDataFrame of points as a plain frame with ``lon``/``lat`` in WGS-84 (with
    ``keep_lon_lat``, a non-empty file's own ``lon``/``lat`` columns are kept)."""
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if not keep_lon_lat or ("lon" not in frame.columns and len(gdf)):
        frame["lon"] = gdf.geometry.x.to_numpy()
        frame["lat"] = gdf.geometry.y.to_numpy()
    return frame


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one input table as text-preserving columns.

    Parameters
    ----------
    path
        A CSV, Excel, GeoJSON or GeoPackage file; ``book.xlsx#sheet`` names a sheet of a
        workbook (default: its first).

    Returns
    -------
    pandas.DataFrame
        One row per record, all values as read (type checks happen in validation).

    Raises
    ------
    InputError
        If the file is missing, of an unknown kind, or cannot be parsed.
    """
    path, sheet = split_sheet(path)
    if not path.is_file():
        raise InputError(
            InputProblem(str(path), "the file does not exist", "check the path in the scenario")
        )
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            InputProblem(
                str(path),
                f"unknown table format '{suffix}'",
                f"use one of {', '.join(TABLE_SUFFIXES)}",
            )
        )
    try:
        if suffix in (".csv", ".xlsx", ".xlsm"):
            head = path.read_bytes()
            if not head.strip():
                raise InputError(
                    InputProblem(str(path), "the file is empty", "fill in the table, header first")
                )
            if head.startswith(_OLE):
                raise InputError(
                    InputProblem(
                        str(path),
                        "the file is an old Excel 97-2003 workbook (.xls)",
                        "open it in Excel or WPS and save it as .xlsx (or CSV UTF-8)",
                    )
                )
            if head.startswith(_ZIP):  # Excel, whatever the name says
                return _read_sheet(path, sheet)
            return _read_csv_text(path, head)
        import geopandas as gpd

        return _points_as_columns(gpd.read_file(path), keep_lon_lat=True).astype(str)
    except PermissionError:
        raise InputError(
            InputProblem(
                str(path),
                "the file cannot be opened (no permission, or locked by another program)",
                "close it in Excel or WPS, or check who may read it, and run again",
            )
        ) from None
    except InputError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, zipfile.BadZipFile, KeyError) as exc:
        raise InputError(
            InputProblem(
                str(path),
                f"the file cannot be read ({type(exc).__name__}: {exc})",
                "save it as CSV (UTF-8 or GBK), Excel .xlsx, GeoJSON or GeoPackage",
            )
        ) from None


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
ENCODINGS = ("utf-8-sig", "gb18030")
"""Text encodings read, in turn: UTF-8 (with or without BOM), then GB18030 (which
includes GBK and GB2312, what Excel and WPS save as "CSV" on a Chinese Windows)."""


def decode_text(data: bytes) -> str | None:
    """``data`` decoded by the first of :data:`ENCODINGS` that reads it; ``None``: none."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv_text(path: Path, data: bytes) -> pd.DataFrame:
    """A CSV table from its bytes, in UTF-8 or GB18030/GBK."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            InputProblem(
                str(path),
                'the file is UTF-16 text (Excel\'s "Unicode text")',
                "save it as CSV UTF-8 (Excel: Save As, CSV UTF-8) or as .xlsx",
            )
        )
    text = decode_text(data)
    if text is None:
        raise InputError(
            InputProblem(
                str(path),
                "the file is neither UTF-8 nor GBK/GB18030 text",
                "save it as CSV UTF-8 (Excel: Save As, CSV UTF-8) or as .xlsx",
            )
        )
    if text.count("\x00") > len(text) / 10:  # (a NUL or two: named by its cell)
        raise InputError(
            InputProblem(
                str(path),
                "the file holds NUL characters (a binary file, or UTF-16 text)",
                "save it as CSV UTF-8 or as .xlsx",
            )
        )
    return _ragged_csv(text)


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``book.xlsx#村社`` as ``(book.xlsx, "村社")``; a path with no ``#sheet`` (or one
    that exists as it is) as ``(path, None)``."""
    text = str(path)
    if "#" not in text or Path(text).exists():
        return Path(text), None
    file, _, sheet = text.rpartition("#")
    return Path(file), sheet


def _read_sheet(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of a workbook as text columns (the first where ``sheet`` is ``None``)."""
    if sheet is not None:
        import openpyxl

        names = openpyxl.load_workbook(path, read_only=True).sheetnames
        if sheet not in names:
            raise InputError(
                InputProblem(
                    str(path),
                    f"the workbook has no sheet '{sheet}' (sheets: {', '.join(names)})",
                    "name one of its sheets after '#' in the scenario, or rename the sheet",
                )
            )
    return pd.read_excel(
        path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl"
    )


def _ragged_csv(text: str) -> pd.DataFrame:
    """A CSV as text columns, its first line the header, rows of any length (a title
    line above the header has one cell): every row is padded to the widest, a header
    cell left empty is named ``Unnamed: k``. Blank lines are skipped."""
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    if not rows:
        return pd.DataFrame()
    width = max(len(row) for row in rows)
    header: list[str] = []
    for k, cell in enumerate([*rows[0], *[""] * (width - len(rows[0]))]):
        name = cell if cell.strip() else f"Unnamed: {k}"
        while name in header:
            name += ".1"
        header.append(name)
    body = [[*row, *[""] * (width - len(row))] for row in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=str)


_STAGING = ".{name}.staging-"
_RETIRED = ".{name}.old-"


def check_output_folder(target: str | Path, marker: str) -> None:
    """Raise before any solving where ``target`` cannot become an output folder: an
    existing file of that name, a folder holding other files than an earlier output
    set (one with ``marker``, e.g. ``kpis.json``: replacing it would delete them), or a
    parent folder that cannot be written."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(
            InputProblem(
                str(target),
                "the output path is an existing file, not a folder",
                "give --out a folder name (it is created), or move the file away",
            )
        )
    if target.is_dir() and any(target.iterdir()) and not (target / marker).is_file():
        raise InputError(
            InputProblem(
                str(target),
                f"the folder holds other files than an earlier output (no {marker}); a run "
                "replaces its whole output folder",
                "give --out a new or empty folder",
            )
        )
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            InputProblem(
                str(target),
                f"the folder {parent} cannot be written",
                "choose an --out folder you may write to",
            )
        )


def _recover(target: Path) -> None:
    """Put back the set of a run that died while swapping its folder in, and clear the
    staging folders of dead runs."""
    parent, name = target.parent, target.name
    retired = sorted(parent.glob(_RETIRED.format(name=name) + "*"))
    if retired and not target.exists():
        os.rename(retired.pop(), target)  # the swap died between its two renames
    for leftover in [*retired, *parent.glob(_STAGING.format(name=name) + "*")]:
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def output_set(target: str | Path, marker: str) -> Iterator[Path]:
    """Yield a staging folder beside ``target``; on success it replaces ``target``.

    The output folder always holds one complete set: the new run's, or, where it died
    (an exception, a kill), the previous one; what a dead run left beside it is cleared
    by the next. Files in ``target`` that the new run does not write (an old
    ``dispatch-mon/``) go with the old set. ``marker``: the file every such set holds
    (see :func:`check_output_folder`).
    """
    target = Path(target)
    check_output_folder(target, marker)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover(target)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=target.name), dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)  # (mkdtemp makes it private)
    if target.exists():
        retired = target.parent / (_RETIRED.format(name=target.name) + uuid.uuid4().hex)
        os.rename(target, retired)
        os.rename(staging, target)  # (a kill between the two renames: see _recover)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, target)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    The temporary file keeps ``target``'s suffix so format drivers recognise it. On an
    exception the temporary file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # some drivers (GeoPackage) refuse to write over an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically and return the target path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_with(target: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_csv(target: str | Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as UTF-8 CSV with a BOM (so Excel shows Chinese text) atomically."""
    return write_with(target, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))
