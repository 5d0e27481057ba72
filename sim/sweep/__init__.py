"""Sweeps: a grid of scenario variants times replications, run in local processes or on a Dask cluster.

Each finished run is one row, written atomically to OUT/runs/KEY.json, so an interrupted sweep started again
runs only what is missing; the rows are gathered into one long DataFrame (OUT/sweep.parquet).

    tasks      Task, grid, run_task: what to run and one run's row
    store      atomic per-run files, resuming, the long table
    executors  execute: this process, local worker processes or Dask
    command    `rsom sweep` and its per-grid-point summary
"""

from __future__ import annotations

from ..variants import Value
from .command import cli_sweep, summarize
from .executors import _run, _unwrap, execute
from .store import finished
from .tasks import Task, grid, parse_params, run_task, variant_label

__all__ = [
           "Task",
           "Value",
           "_run",
           "_unwrap",
           "cli_sweep",
           "execute",
           "finished",
           "grid",
           "parse_params",
           "run_task",
           "summarize",
           "variant_label",
]
