"""Run replications of a plan; `aggregate` (from sim.statistics) makes one summary of several."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .defaults import resolve_run
from .model import Model
from .plan import Plan, load_plan
from .results import Results
from .statistics import aggregate

__all__ = ["aggregate", "run", "run_replication"]


def run_replication(plan: Plan, seed: int | None = None, replication: int = 0,
                    progress: Callable[[float], None] | None = None) -> Results:
    """One replication: seed (default: the scenario's) and replication index select the random streams."""
    seed, _ = resolve_run(plan.scenario, seed)
    return Model(plan, seed=seed, replication=replication).run(progress=progress)


def run(scenario: Plan | Path | str, seed: int | None = None, replications: int | None = None,
        progress: Callable[[int, float], None] | None = None) -> list[Results]:
    """Run a scenario (a file or a compiled plan) for its replications, in this process."""
    plan = scenario if isinstance(scenario, Plan) else load_plan(scenario)
    seed, n = resolve_run(plan.scenario, seed, replications)
    out = []
    for r in range(n):
        cb = (lambda t, r=r: progress(r, t)) if progress else None
        out.append(run_replication(plan, seed, r, cb))
    return out
