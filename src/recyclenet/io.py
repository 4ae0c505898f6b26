"""Reading input tables and writing outputs atomically.

Tables may be CSV (UTF-8, with or without BOM), Excel (first sheet), GeoJSON or
GeoPackage (first layer; ``lon``/``lat`` are taken from point geometries when the
columns are absent). Outputs are written to a temporary file in the target folder and
renamed, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from recyclenet.errors import InputError, InputProblem

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one input table as text-preserving columns.

    Parameters
    ----------
    path
        A CSV, Excel, GeoJSON or GeoPackage file.

    Returns
    -------
    pandas.DataFrame
        One row per record, all values as read (type checks happen in validation).

    Raises
    ------
    InputError
        If the file is missing, of an unknown kind, or cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            InputProblem(str(path), "the file does not exist", "check the path in the scenario")
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
            return frame
        if suffix in (".geojson", ".json", ".gpkg"):
            import geopandas as gpd

            gdf = gpd.read_file(path)
            if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
                gdf = gdf.to_crs("EPSG:4326")
            frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
            if "lon" not in frame.columns and len(gdf):
                frame["lon"] = gdf.geometry.x
                frame["lat"] = gdf.geometry.y
            return frame.astype(str)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            InputProblem(
                str(path),
                f"the file cannot be read ({exc})",
                "save it as UTF-8 CSV, Excel .xlsx, GeoJSON or GeoPackage",
            )
        ) from None
    raise InputError(
        InputProblem(
            str(path),
            f"unknown table format '{suffix}'",
            f"use one of {', '.join(TABLE_SUFFIXES)}",
        )
    )


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
