"""The sweep's record on disk: each finished run is one row, written atomically to OUT/runs/KEY.json (so an
interrupted sweep started again runs only what is missing), and all rows gathered into one long table,
OUT/sweep.parquet (one row per run)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import atomic_write as _atomic_write
from .tasks import Task

if TYPE_CHECKING:
    import pandas as pd


def _jsonable(obj: Any) -> Any:
    """numpy scalars and the like as plain Python values."""
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    """The row exactly as it reads back from its JSON file (so runs in memory and on disk give the same frame)."""
    return json.loads(json.dumps(row, default=_jsonable))


def _run_path(runs: Path, task: Task) -> Path:
    return runs / f"{task.key()}.json"


def _read_row(path: Path) -> dict[str, Any] | None:
    """A finished run's row, or None when the file is missing or not a complete JSON object."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def finished(tasks: Iterable[Task], out: Path) -> set[str]:
    """Keys of the tasks whose rows already sit in OUT/runs."""
    runs = Path(out) / "runs"
    return {t.key() for t in tasks if _read_row(_run_path(runs, t)) is not None}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(rows)


def _save_parquet(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a parameter with values of several types (e.g. 4 and "max")
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object and len({type(v) for v in df[c].dropna()}) > 1:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        table = pa.Table.from_pandas(df, preserve_index=False)
    import pyarrow.parquet as pq

    _atomic_write(path, lambda fh: pq.write_table(table, fh), mode="wb")
