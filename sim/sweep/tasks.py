"""Sweep tasks: one run is a Task (scenario file, parameter values, investments, seed, replication); the grid
makes the tasks of every combination of parameter values; run_task runs one and returns its row (the task's
fields, each parameter as a column, closure and end in h, counts, the top bottleneck and the analytic bound)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..bound import closure_bound
from ..defaults import resolve_run
from ..errors import InputError, Problem
from ..runner import run_figures
from ..variants import Value, cached_variant, parse_assignment


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


BOUNDS: dict[tuple[str, tuple, tuple[str, ...]], dict[str, Any]] = {}
"""Analytic bounds of variants computed already, by (scenario file, parameters, investments): a sweep's process
fills it, with variants.PREBUILT, before its workers fork."""


@lru_cache(maxsize=16)
def _bound(scenario: str, params: tuple, investments: tuple) -> dict[str, Any]:
    """The analytic bound of a variant, once per process (from BOUNDS when computed there)."""
    known = BOUNDS.get((scenario, params, investments))
    if known is not None:
        return known
    return closure_bound(cached_variant(scenario, params, investments)).as_dict()


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its row: the task's fields, each parameter as a column, and the results."""
    plan = cached_variant(task.scenario, task.params, task.investments)
    s = run_figures(plan, seed=task.seed, replication=task.replication)  # the row's figures, no tables
    bound = _bound(task.scenario, task.params, task.investments)
    return {"key": task.key(), "variant": task.variant, "scenario": s["scenario"],
            "investments": ",".join(task.investments), "seed": task.seed, "replication": task.replication,
            **dict(task.params), **summary_row(s, bound)}


def summary_row(s: dict[str, Any], bound: dict[str, Any]) -> dict[str, Any]:
    """The figures of one replication's row: closure and end (h), counts, events, the top bottleneck, the
    analytic bound (BoundReport.as_dict), the version, then each force's closures (`KEY:FORCE`) and each
    mode's throughput (`throughput_per_day:MODE`)."""
    row: dict[str, Any] = {
        "closure_h": s["closure_h"],
        "end_h": s["end_h"],
        "pieces_delivered": s["pieces"]["delivered"],
        "pieces_in_system": s["pieces"]["in_system"],
        "pieces_not_arrived": s["pieces"]["not_arrived"],
        "personnel_delivered": s["personnel"]["delivered"],
        "personnel_in_system": s["personnel"]["in_system"],
        "events": s["events"],
        "top_bottleneck": s["bottlenecks"][0]["resource"] if s["bottlenecks"] else "",
        "top_bottleneck_words": (s["bottlenecks"][0].get("words") or s["bottlenecks"][0]["resource"]) if s["bottlenecks"] else "",
        "bound_h": bound["bound_h"],
        "bound_by": bound["bound_by"],
        "version": s["version"],
    }
    row.update(metrics(s))
    for force, b in s["brigades"].items():
        for k, v in b.items():
            row[f"{k}:{force}"] = v
    for mode, v in s["throughput_per_day"].items():
        row[f"throughput_per_day:{mode}"] = v
    return row


METRICS = ("combat_power_closure_h", "late_units", "late_h_total", "person_nights_without_bed",
           "airfield_wait_person_h", "airfield_cargo_piece_h", "disruption_wait_piece_h")  # what an investment may act on, beside closure


def metrics(s: dict[str, Any]) -> dict[str, float]:
    """A replication's figures beside closure: combat-power closure (h: every unit of every force closed; NaN
    while one is not), units late against their RDD, the hours they are late together, the nights persons
    spent without a bed (hosted troops short of one, transit troops waiting for their unit's), the
    person-hours persons waited at airfields (arrival over it to boarding a bus: airfield_wait), the piece-hours
    pieces and pallets flown in spent at airfields (arrival over it to leaving the cargo terminal), and the
    piece-hours pieces waited for disruptions."""
    cp = [b.get("combat_power_closure_h") for b in s["brigades"].values()]
    units = s.get("units") or []
    return {"combat_power_closure_h": max(cp) if cp and all(x is not None for x in cp) else math.nan,
            "late_units": float(s.get("late_units") or 0),
            "late_h_total": float(sum(u["late_h"] or 0.0 for u in units)),
            "person_nights_without_bed": float(s.get("person_nights_without_bed") or 0.0),
            "airfield_wait_person_h": float(s.get("airfield_wait_person_h") or 0.0),
            "airfield_cargo_piece_h": float(s.get("airfield_cargo_piece_h") or 0.0),
            "disruption_wait_piece_h": float(sum(d["delay_piece_h"] for d in s.get("disruptions") or []))}


def variant_label(params: Sequence[tuple[str, Value]], investments: Sequence[str] = ()) -> str:
    """`NAME=VALUE,NAME=VALUE` for a grid point; the investments (or "baseline") when there are no parameters."""
    if params:
        return ",".join(f"{name}={value}" for name, value in params)
    return "+".join(investments) or "baseline"


def grid(scenario: Path | str, params: dict[str, list[Value]], investments: Iterable[str] = (),
         replications: int | None = None, seed: int | None = None) -> list[Task]:
    """Every combination of the parameter values (first parameter slowest, values in the order given), each for
    replications 0..n-1. Replications and seed default to the scenario file's."""
    path = Path(scenario).expanduser().resolve()
    if replications is None or seed is None:
        from ..scenario import read_scenario

        seed, replications = resolve_run(read_scenario(path), seed, replications)
    invs = tuple(investments)
    names = list(params)
    for name in names:
        if not params[name]:
            raise InputError([Problem("(sweep)", name, params[name], "no values given")])
    tasks = []
    for values in itertools.product(*(params[n] for n in names)):
        point = tuple(zip(names, values))
        label = variant_label(point, invs)
        tasks += [Task(str(path), point, invs, int(seed), r, label) for r in range(int(replications))]
    return tasks


def parse_params(params: Iterable[str]) -> dict[str, list[Value]]:
    """`--param NAME=V1,V2` options into {name: values}; a name given twice is an error."""
    out: dict[str, list[Value]] = {}
    for text in params:
        name, values = parse_assignment(text)
        if not name:
            raise InputError([Problem("(command line)", "--param", text, "no parameter name before '='")])
        if name in out:
            raise InputError([Problem("(command line)", "--param", name, "parameter given twice; list all its values "
                                                                         "in one option (NAME=V1,V2)")])
        out[name] = values
    return out
