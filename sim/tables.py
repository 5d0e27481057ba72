"""CSV tables read against the declared schema (sim/data/schema.csv): types, defaults, constraints.

Every cell that cannot be read becomes a Problem naming the file, the row and the column."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader

from .errors import Problem

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_FILE = DATA_DIR / "schema.csv"
NUMERIC = ("int", "float")


class Cells(frozenset):
    """(row position, column) pairs of a table, such as the cells its schema's defaults filled. Immutable, so
    a copy is the same object: pandas deep-copies a DataFrame's `attrs` into every row Series `iterrows` makes,
    and copying a set of every defaulted cell for each row cost most of the time of loading a network."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Cells:
        return self

    def __copy__(self) -> Cells:
        return self

    def __reduce__(self) -> tuple[type[Cells], tuple[list[tuple[int, str]]]]:
        """Pickled in sorted order: a frozenset's own order follows the process's string hashes, and a pickled
        plan's bytes (the cache's entries, the twins' fingerprints) should not."""
        return Cells, (sorted(self),)


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
def missing(value: object) -> bool:
    """An empty cell: None, or NaN once pandas made the column numeric (and what pandas' groupby leaves out)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


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


def _read_csv(path: Path, table: str, name: str, problems: list[Problem]) -> tuple[list[str], list[list[str]]] | None:
    """The header and rows of a CSV file; None (with a Problem) when it is missing, a folder or unreadable."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = list(reader)
    except FileNotFoundError:
        problems.append(Problem(name, "(file)", str(path), f"table {table} is missing"))
        return None
    except IsADirectoryError:
        problems.append(Problem(name, "(file)", str(path), f"table {table} is a folder, not a CSV file"))
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:  # OSError: e.g. no permission to read
        problems.append(Problem(name, "(file)", str(path), f"cannot read CSV: {exc}"))
        return None
    if header is None:
        problems.append(Problem(name, "(header)", "", "file is empty"))
        return None
    return [h.strip() for h in header], rows


def _header_problems(header: list[str], cols: tuple[Column, ...], table: str, name: str) -> list[Problem]:
    """Columns named twice, unknown or missing although required."""
    known = {c.attribute for c in cols}
    out = []
    for h in sorted(set(header)):
        places = [i + 1 for i, x in enumerate(header) if x == h]
        if len(places) > 1:  # a row would keep only one of the copies' cells, silently
            out.append(Problem(name, "(header)", h, f"column appears {len(places)} times (columns "
                               f"{', '.join(map(str, places))}); keep one"))
    out += [Problem(name, "(header)", h, f"unknown column; table {table} declares {sorted(known)}")
            for h in header if h not in known]
    out += [Problem(name, "(header)", c.attribute, "required column is missing")
            for c in cols if c.required and c.attribute not in header]
    return out


def _cell(text: str, c: Column, name: str, where: str, problems: list[Problem]) -> tuple[object, bool]:
    """One cell's value (None when it is bad or empty without a default) and whether the default filled it."""
    defaulted = False
    if text == "":
        if c.required:
            problems.append(Problem(name, where, "", "required value is empty"))
            return None, False
        text, defaulted = c.default, True
        if text == "":
            return ("" if c.type == "str" else None), True
    try:
        value = _convert(text, c)
    except ValueError as exc:
        problems.append(Problem(name, where, text, f"expected {c.type}: {exc}"))
        return None, defaulted
    why = violates(value, c.constraint)
    if why:
        problems.append(Problem(name, where, value, why))
    return value, defaulted


def read_table(path: Path, table: str, problems: list[Problem], label: str | None = None) -> pd.DataFrame:
    """Read one CSV table; append a Problem for each bad header or cell. Rows with a bad cell stay in the
    frame (the cell as None or as read) so references to them resolve; the Problem blocks any run."""
    cols = schema()[table]
    name = label or str(path)
    empty = pd.DataFrame({c.attribute: pd.Series(dtype=object) for c in cols})
    read = _read_csv(path, table, name, problems)
    if read is None:
        return empty
    header, rows = read
    bad_header = _header_problems(header, cols, table, name)
    if bad_header:
        problems += bad_header
        return empty
    records: list[dict[str, Any]] = []
    defaulted: set[tuple[int, str]] = set()  # (row position, column) filled from the schema default
    for lineno, raw in enumerate(rows, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            problems.append(Problem(name, f"line {lineno}", ",".join(raw), f"has {len(raw)} cells, header has {len(header)}"))
            continue
        cells = dict(zip(header, (cell.strip() for cell in raw), strict=True))
        key = cells.get(cols[0].attribute, "")
        rec: dict[str, object] = {}
        for c in cols:
            rec[c.attribute], filled = _cell(cells.get(c.attribute, ""), c, name, f"line {lineno} ({key}) {c.attribute}",
                                            problems)
            if filled:
                defaulted.add((len(records), c.attribute))
        if key:  # a row with a bad cell is kept (its key still exists) so one bad cell does not cascade
            records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[c.attribute for c in cols])
    frame = frame if len(frame) else empty
    frame.attrs["defaulted"] = Cells(defaulted)
    return frame
