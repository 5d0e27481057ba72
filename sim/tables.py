"""CSV tables read against the declared schema (sim/data/schema.csv): types, defaults, constraints.

Every cell that cannot be read becomes a Problem naming the file, the row and the column."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import Problem

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_FILE = DATA_DIR / "schema.csv"
NUMERIC = ("int", "float")


@dataclass(frozen=True)
class Column:
    """One declared attribute of a table."""

    table: str
    attribute: str
    type: str
    unit: str
    default: str
    required: bool
    description: str
    constraint: str


@cache
def schema() -> dict[str, tuple[Column, ...]]:
    """Declared columns per table, in file order."""
    out: dict[str, list[Column]] = {}
    with SCHEMA_FILE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            col = Column(
                table=row["table"],
                attribute=row["attribute"],
                type=row["type"],
                unit=row["unit"],
                default=row["default"],
                required=row["required"] == "yes",
                description=row["description"],
                constraint=row["constraint"],
            )
            out.setdefault(col.table, []).append(col)
    return {k: tuple(v) for k, v in out.items()}


def schema_frame() -> pd.DataFrame:
    """The schema as a DataFrame, for documentation and notebooks."""
    return pd.read_csv(SCHEMA_FILE, dtype=str, keep_default_na=False)


_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


def _number(text: str) -> float:
    """A finite number: `nan`, `inf` and overflowing literals (1e999) are refused, since a capacity, rate or
    time that is not a number never ends a wait. An empty cell never gets here (it means the default)."""
    val = float(text)
    if not math.isfinite(val):
        raise ValueError("not a finite number")
    return val


def _convert(text: str, col: Column) -> object:
    if col.type == "str":
        return text
    if col.type == "float":
        return _number(text)
    if col.type == "int":
        val = _number(text)
        if not val.is_integer():
            raise ValueError("not a whole number")
        return int(val)
    if col.type == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("not true or false")
    raise ValueError(f"unknown declared type {col.type}")


def violates(value: object, constraint: str) -> str | None:
    """Why a value breaks a schema constraint (`>0`, `>=0`, `LO..HI`), or None."""
    if not constraint or value is None:
        return None
    if constraint == ">0" and not value > 0:  # type: ignore[operator]
        return "must be greater than zero"
    if constraint == ">=0" and not value >= 0:  # type: ignore[operator]
        return "must not be negative"
    if ".." in constraint:
        lo, hi = (float(x) for x in constraint.split(".."))
        if not lo <= value <= hi:  # type: ignore[operator]
            return f"must lie between {lo:g} and {hi:g}"
    return None


def read_table(path: Path, table: str, problems: list[Problem], label: str | None = None) -> pd.DataFrame:
    """Read one CSV table; append a Problem for each bad header or cell. Rows with a bad cell stay in the
    frame (the cell as None or as read) so references to them resolve; the Problem blocks any run."""
    cols = schema()[table]
    name = label or str(path)
    empty = pd.DataFrame({c.attribute: pd.Series(dtype=object) for c in cols})
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = list(reader)
    except FileNotFoundError:
        problems.append(Problem(name, "(file)", str(path), f"table {table} is missing"))
        return empty
    except IsADirectoryError:
        problems.append(Problem(name, "(file)", str(path), f"table {table} is a folder, not a CSV file"))
        return empty
    except (OSError, UnicodeDecodeError, csv.Error) as exc:  # OSError: e.g. no permission to read
        problems.append(Problem(name, "(file)", str(path), f"cannot read CSV: {exc}"))
        return empty
    if header is None:
        problems.append(Problem(name, "(header)", "", "file is empty"))
        return empty
    header = [h.strip() for h in header]
    known = {c.attribute for c in cols}
    for h in sorted(set(header)):
        places = [i + 1 for i, x in enumerate(header) if x == h]
        if len(places) > 1:  # a row would keep only one of the copies' cells, silently
            problems.append(Problem(name, "(header)", h, f"column appears {len(places)} times (columns "
                                    f"{', '.join(map(str, places))}); keep one"))
    for h in header:
        if h not in known:
            problems.append(Problem(name, "(header)", h, f"unknown column; table {table} declares {sorted(known)}"))
    for c in cols:
        if c.required and c.attribute not in header:
            problems.append(Problem(name, "(header)", c.attribute, "required column is missing"))
    if any(p.file == name and p.field == "(header)" and p.severity == "error" for p in problems):
        return empty
    records: list[dict[str, Any]] = []
    defaulted: set[tuple[int, str]] = set()  # (row position, column) filled from the schema default
    for lineno, raw in enumerate(rows, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            problems.append(Problem(name, f"line {lineno}", ",".join(raw), f"has {len(raw)} cells, header has {len(header)}"))
            continue
        cells = dict(zip(header, (cell.strip() for cell in raw)))
        key = cells.get(cols[0].attribute, "")
        rec: dict[str, object] = {}
        for c in cols:
            text = cells.get(c.attribute, "")
            where = f"line {lineno} ({key}) {c.attribute}"
            if text == "":
                if c.required:
                    problems.append(Problem(name, where, "", "required value is empty"))
                    rec[c.attribute] = None
                    continue
                text = c.default
                defaulted.add((len(records), c.attribute))
                if text == "":
                    rec[c.attribute] = "" if c.type == "str" else None
                    continue
            try:
                value = _convert(text, c)
            except ValueError as exc:
                problems.append(Problem(name, where, text, f"expected {c.type}: {exc}"))
                rec[c.attribute] = None
                continue
            why = violates(value, c.constraint)
            if why:
                problems.append(Problem(name, where, value, why))
            rec[c.attribute] = value
        if key:  # a row with a bad cell is kept (its key still exists) so one bad cell does not cascade
            records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[c.attribute for c in cols])
    frame = frame if len(frame) else empty
    frame.attrs["defaulted"] = defaulted
    return frame
