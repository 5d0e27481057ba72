"""Results tables on disk in the format a user works in: Parquet (the default, exact and compact), CSV (one file
per table) or Excel (one workbook, a sheet per table: planners live in Excel). CSV and Excel do not keep
column types, so a manifest (`tables.json`) records each column's type and the tables read back as written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import lazy_loader

from . import output

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

Format = Literal["parquet", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("parquet", "csv", "xlsx")
WORKBOOK = "tables.xlsx"
MANIFEST = "tables.json"


def write_tables(out: Path, tables: Mapping[str, pd.DataFrame], fmt: Format = "parquet") -> list[Path]:
    """Write the tables to folder `out` in `fmt`; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
    written = []
    if fmt == "parquet":
        for name, frame in tables.items():
            output.atomic_write(out / f"{name}.parquet", partial(frame.to_parquet, index=False), "wb")
            written.append(out / f"{name}.parquet")
        return written
    manifest = {name: {str(c): str(t) for c, t in frame.dtypes.items()} for name, frame in tables.items()}
    # text columns with no missing value: an empty text reads back as missing from CSV and Excel, so it is filled
    whole = {name: [str(c) for c in frame.columns if _text(str(frame[c].dtype)) and not frame[c].isna().any()]
             for name, frame in tables.items()}
    if fmt == "csv":
        for name, frame in tables.items():
            output.atomic_write(out / f"{name}.csv", partial(frame.to_csv, index=False), "w")
            written.append(out / f"{name}.csv")
    else:
        def workbook(f: Any) -> None:
            with pd.ExcelWriter(f, engine="openpyxl") as xl:
                for name, frame in tables.items():
                    frame.to_excel(xl, sheet_name=name[:31], index=False)
        output.atomic_write(out / WORKBOOK, workbook, "wb")
        written.append(out / WORKBOOK)
    output.write_text(out / MANIFEST, json.dumps({"format": fmt, "tables": manifest, "no_missing": whole}, indent=2))
    written.append(out / MANIFEST)
    return written


def _text(dtype: str) -> bool:
    return dtype in ("object", "str", "string")


def _typed(frame: pd.DataFrame, types: Mapping[str, str], whole: list[str]) -> pd.DataFrame:
    """A table read from CSV or Excel with the column types it was written with (text stays text: a unit named
    "1" is not a number; an empty text in a column that had no missing value is "" again)."""
    out = {}
    for col, t in types.items():
        s = frame[col] if col in frame else pd.Series([None] * len(frame), dtype=object)
        if _text(t):
            s = s.astype(object).where(s.notna(), "" if col in whole else None)
            out[col] = s.map(lambda v: v if v is None else str(v)).astype(t)
        elif t == "bool":
            out[col] = s.map(lambda v: str(v).lower() in ("true", "1")).astype(bool)
        else:
            out[col] = s.astype(t)
    return pd.DataFrame(out, columns=list(types))


def read_tables(folder: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The tables `write_tables` wrote to a folder, in whichever format it used (Parquet when there)."""
    found = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names if (folder / f"{name}.parquet").exists()}
    if found or not (folder / MANIFEST).exists():
        return found
    meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    types: dict[str, dict[str, str]] = meta["tables"]
    wanted = [n for n in names if n in types]
    if meta["format"] == "csv":
        raw = {n: pd.read_csv(folder / f"{n}.csv", dtype=object, keep_default_na=False, na_values=[""])
               for n in wanted}
    else:
        sheets = pd.read_excel(folder / WORKBOOK, sheet_name=None, dtype=object, engine="openpyxl")
        raw = {n: sheets[n[:31]] for n in wanted}
    whole = meta.get("no_missing", {})
    return {n: _typed(raw[n], types[n], whole.get(n, [])) for n in wanted}
