"""Run replications of a plan; `aggregate` (from sim.statistics) makes one summary of several."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .defaults import resolve_run
from .model import Model
from .paths import find_scenario
from .plan import Plan, load_plan
from .results import Replications, Results
from .statistics import aggregate

__all__ = ["aggregate", "run", "run_replication"]


def run_replication(plan: Plan, seed: int | None = None, replication: int = 0,
                    progress: Callable[[float], None] | None = None) -> Results:
    """One replication: seed (default: the scenario's) and replication index select the random streams."""
    seed, _ = resolve_run(plan.scenario, seed)
    return Model(plan, seed=seed, replication=replication).run(progress=progress)


def run(scenario: Plan | Path | str | None = None, seed: int | None = None, replications: int | None = None,
        progress: Callable[[int, float], None] | None = None) -> Replications:
    """Run a scenario for its replications, in this process: a compiled plan, a scenario file or the name of a
    built-in scenario (paths.find_scenario; none: the built-in one). Seed and replications default to the
    scenario's; replication r draws from the streams of (seed, r), so the same call gives the same results."""
    plan = scenario if isinstance(scenario, Plan) else load_plan(find_scenario(scenario))
    seed, n = resolve_run(plan.scenario, seed, replications)
    out = Replications()
    for r in range(n):
        cb = (lambda t, r=r: progress(r, t)) if progress else None
        out.append(run_replication(plan, seed, r, cb))
    return out
