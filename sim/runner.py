"""Run replications of a plan; `aggregate` (from sim.statistics) makes one summary of several."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .defaults import resolve_run
from .model import Model
from .paths import find_scenario
from .plan import Plan, load_plan

if TYPE_CHECKING:
    from .results import Replications, Results
    from .statistics import aggregate

__all__ = ["aggregate", "run", "run_figures", "run_replication", "run_summary", "run_to_precision"]
_LAZY = {"aggregate": "statistics", "Replications": "results", "Results": "results"}  # imported when first asked
# for: they bring pandas, which a run that only wants its summary (run_summary, run_figures) does without


def __getattr__(name: str) -> Any:
    """`aggregate`, `Results` and `Replications`, still names of this module, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__.rpartition(".")[0]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_replication(plan: Plan, seed: int | None = None, replication: int = 0,
                    progress: Callable[[float], None] | None = None) -> Results:
    """One replication: seed (default: the scenario's) and replication index select the random streams."""
    seed, _ = resolve_run(plan.scenario, seed)
    return Model(plan, seed=seed, replication=replication).run(progress=progress)


def run_figures(plan: Plan, seed: int | None = None, replication: int = 0) -> dict[str, Any]:
    """One replication's summary figures (figures.FIGURE_KEYS), each equal to those of
    `run_replication(plan, seed, replication).summary()`, computed from the run's records without building the
    results tables: what a comparison or a sweep keeps of a run, at about half its CPU time."""
    from .figures import figures

    seed, _ = resolve_run(plan.scenario, seed)
    m = Model(plan, seed=seed, replication=replication)
    return figures(m.world, m.simulate())


def run_summary(plan: Plan, seed: int | None = None, replication: int = 0,
                progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """One replication's whole summary, equal key by key and to the last digit to
    `run_replication(plan, seed, replication).summary()`, computed from the run's records (figures.summary)
    without building the results tables or importing pandas: what `rsom run` prints of one replication.
    `progress` is called with the simulated time (h), as run_replication's."""
    from .figures import summary

    seed, _ = resolve_run(plan.scenario, seed)
    m = Model(plan, seed=seed, replication=replication)
    return summary(m.world, m.simulate(progress=progress))


def run(scenario: Plan | Path | str | None = None, seed: int | None = None, replications: int | None = None,
        progress: Callable[[int, float], None] | None = None) -> Replications:
    """Run a scenario for its replications, in this process: a compiled plan, a scenario file or the name of a
    built-in scenario (paths.find_scenario; none: the built-in one). Seed and replications default to the
    scenario's; replication r draws from the streams of (seed, r), so the same call gives the same results."""
    from .results import Replications

    plan = scenario if isinstance(scenario, Plan) else load_plan(find_scenario(scenario))
    seed, n = resolve_run(plan.scenario, seed, replications)
    out = Replications()
    for r in range(n):
        cb = (lambda t, r=r: progress(r, t)) if progress else None
        out.append(run_replication(plan, seed, r, cb))
    return out


MIN_FOR_PRECISION = 3  # replications before an interval is trusted to stop on: two give a t-interval, but one
# lucky pair of close values would stop the run there


def precision_reached(closures: list[float], half_width_h: float) -> tuple[bool, float]:
    """Whether the 95 % interval of the mean closure is no wider than +-half_width_h (h), and its half-width;
    never before MIN_FOR_PRECISION replications."""
    from .statistics import ci95

    if len(closures) < 2:
        return False, math.inf
    m, lo, _ = ci95(closures)
    half = m - lo
    return len(closures) >= MIN_FOR_PRECISION and half <= half_width_h, half


def run_to_precision(plan: Plan, half_width_h: float, cap: int, seed: int | None = None,
                     each: Callable[[int, Results], None] | None = None) -> tuple[Replications, dict[str, Any]]:
    """Replications until the 95 % interval of mean closure is within +-half_width_h hours, or `cap` of them;
    one when nothing in the scenario is random (every replication would be the same). A run that does not close
    counts at its end (a lower bound). Returns the results and what was reached: target, half-width,
    replications, reached, and why it stopped. `each(r, results)` is called after each replication."""
    from .plan import random_sources
    from .results import Replications

    seed, _ = resolve_run(plan.scenario, seed)
    out = Replications()
    closures: list[float] = []
    if not random_sources(plan.scenario):
        res = run_replication(plan, seed, 0)
        out.append(res)
        if each:
            each(0, res)
        return out, {"target_h": half_width_h, "half_width_h": 0.0, "replications": 1, "reached": True,
                     "why": "nothing in the scenario is random: one replication is exact"}
    half = math.inf
    for r in range(cap):
        res = run_replication(plan, seed, r)
        out.append(res)
        if each:
            each(r, res)
        s = res.summary()
        closures.append(float(s["closure_h"]) if s["closure_h"] is not None else float(s["end_h"]))
        done, half = precision_reached(closures, half_width_h)
        if done:
            return out, {"target_h": half_width_h, "half_width_h": round(half, 4), "replications": len(out),
                         "reached": True, "why": "the interval is within the target"}
    return out, {"target_h": half_width_h, "half_width_h": None if math.isinf(half) else round(half, 4),
                 "replications": len(out), "reached": False, "why": f"stopped at the cap of {cap} replications"}
