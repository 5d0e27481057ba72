"""Runs a sweep need not make: a variant whose compiled plan equals another's in everything a run reads gives the
same figures for the same seed and replication index (a run is determined by its plan and by the random streams
the seed and index select). An investment that changes nothing a scenario uses (counter-drone systems where
nothing is disrupted, a truck fleet where the scenario sets no truck pool) makes such a variant; its runs take
the figures of the first run with the same plan, seed and index, with their own task fields and analytic bound.

What a run reads of a plan is the plan without its labels: the names of the investments applied (the plan's
`investments`, the scenario's `investments`, as compiled and as written) and the warnings of compiling it are
read by no run, and of the changes applied the run reads only their factors on the scenario's disruptions
(disruptions.change_factors); their effect on the network's tables and the pools is in the plan already. The
fingerprint hashes the pickled plan with the labels left out: equal bytes are an equal plan, and two plans
that pickle apart (a set built in another order, say) only lose the saving, never give another figure."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from typing import TYPE_CHECKING, Any

from ..disruptions import change_factors

if TYPE_CHECKING:
    from ..plan import Plan
    from .tasks import Task


def fingerprint(plan: Plan) -> str:
    """SHA-256 of what a run of the plan reads (see the module)."""
    factors = sorted(change_factors(plan.scenario, plan.changes).items())
    written = plan.scenario_as_written
    bare = dataclasses.replace(
        plan, scenario=plan.scenario.model_copy(update={"investments": []}),
        scenario_as_written=None if written is None else written.model_copy(update={"investments": []}),
        investments=(), changes=(), warnings=[])
    h = hashlib.sha256(pickle.dumps(bare, protocol=pickle.HIGHEST_PROTOCOL))
    h.update(pickle.dumps(factors, protocol=pickle.HIGHEST_PROTOCOL))
    return h.hexdigest()


def variant_key(task: Task) -> tuple[str, tuple, tuple[str, ...]]:
    """The variant a task runs: scenario file, parameters and investments."""
    return task.scenario, task.params, task.investments


def twins(tasks: list[Task], prints: dict[tuple, str]) -> dict[str, Task]:
    """For each task whose run another task makes (same fingerprint in `prints`, by variant_key, same seed,
    replication and parameter names), keyed by its task key: the first such task in `tasks`."""
    first: dict[tuple, Task] = {}
    out: dict[str, Task] = {}
    for t in tasks:
        fp = prints.get(variant_key(t))
        if fp is None:
            continue
        same = (fp, t.seed, t.replication, tuple(n for n, _ in t.params))
        source = first.setdefault(same, t)
        if source is not t:
            out[t.key()] = source
    return out


HEAD = ("key", "variant", "scenario", "investments", "seed", "replication")  # run_task's fields before the figures


def twin_row(task: Task, source_row: dict[str, Any], bound: dict[str, Any]) -> dict[str, Any]:
    """The row of `task` from the row of the run it shares (tasks.run_task's row, in its column order): its own
    task fields and parameters, the shared figures and its own analytic bound."""
    params = dict(task.params)
    figures = {k: v for k, v in source_row.items() if k not in HEAD and k not in params}
    figures.update({k: bound[k] for k in ("bound_h", "bound_by")})  # tasks.summary_row's, in their place
    return {"key": task.key(), "variant": task.variant, "scenario": source_row["scenario"],
            "investments": ",".join(task.investments), "seed": task.seed, "replication": task.replication,
            **params, **figures}
