"""Sweeps: a grid of scenario variants times replications, run in local processes or on a Dask cluster.

Each finished run is one row, written atomically to OUT/runs/KEY.json, so an interrupted sweep started again
runs only what is missing; the rows are gathered into one long DataFrame (OUT/sweep.parquet)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from .runner import run_replication
from .variants import Value, cached_variant


@dataclass(frozen=True)
class Task:
    """One run: a scenario file, its parameter values and investments, a seed and a replication index."""

    scenario: str  # absolute path of the scenario file
    params: tuple[tuple[str, Value], ...] = ()
    investments: tuple[str, ...] = ()
    seed: int = 1
    replication: int = 0
    variant: str = ""  # a label for the variant (e.g. an investment name or "baseline")

    def key(self) -> str:
        """Stable identifier of the run (same task, same key, in any process)."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its row: the task's fields, each parameter as a column, and the results."""
    plan = cached_variant(task.scenario, task.params, task.investments)
    s = run_replication(plan, seed=task.seed, replication=task.replication).summary()
    row: dict[str, Any] = {
        "key": task.key(),
        "variant": task.variant,
        "scenario": s["scenario"],
        "investments": ",".join(task.investments),
        "seed": task.seed,
        "replication": task.replication,
        **{name: value for name, value in task.params},
        "closure_h": s["closure_h"],
        "end_h": s["end_h"],
        "pieces_delivered": s["pieces"]["delivered"],
        "pieces_in_system": s["pieces"]["in_system"],
        "pieces_not_arrived": s["pieces"]["not_arrived"],
        "personnel_delivered": s["personnel"]["delivered"],
        "personnel_in_system": s["personnel"]["in_system"],
        "events": s["events"],
        "top_bottleneck": s["bottlenecks"][0]["resource"] if s["bottlenecks"] else "",
        "version": s["version"],
    }
    for force, b in s["brigades"].items():
        for k, v in b.items():
            row[f"{k}:{force}"] = v
    for mode, v in s["throughput_per_day"].items():
        row[f"throughput_per_day:{mode}"] = v
    return row
