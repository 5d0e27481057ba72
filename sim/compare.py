"""Which investment shortens the deployment most, per euro, and where the bottleneck moves.

Runs the baseline, each investment alone and the whole portfolio with common random numbers: every variant
uses the same seed and replication indices, so the same named random streams drive the same processes, and
the differences to the baseline are paired by replication. `compare` takes a scenario file (run by the sweep's
executors, in worker processes if asked) or a loaded plan; `compare_plans` sets any plans side by side, e.g.
the variants of a loaded plan (`sim.variants.variant`)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .bound import closure_bound
from .changes import known_investments
from .defaults import resolve_run
from .errors import InputError, Problem
from .investments import Investment
from .network import load_network
from .paths import find_scenario
from .plan import Plan, resolve_network
from .progress import status, wanted
from .runner import run_replication
from .scenario import read_scenario
from .statistics import ci95
from .sweep import Task, execute
from .sweep.tasks import summary_row
from .variants import variant

BASELINE, PORTFOLIO = "baseline", "portfolio"


def available_investments(scenario: Plan | Path | str) -> dict[str, Investment]:
    """The investments a scenario can apply, by name: its network's table and its own definitions. A loaded
    plan, a scenario file or the name of a built-in scenario."""
    if isinstance(scenario, Plan):
        return known_investments(scenario.scenario_as_written or scenario.scenario, scenario.network)
    path = find_scenario(scenario)
    s = read_scenario(path)
    return known_investments(s, load_network(resolve_network(s, path)))


def _variants(known: dict[str, Investment], investments: list[str] | None) -> list[tuple[str, tuple[str, ...], float]]:
    """(name, investments applied, cost EUR) for the baseline, each investment named (all: every known one)
    and the portfolio."""
    names = sorted(known) if not investments or investments == ["all"] else list(investments)
    bad = [n for n in names if n not in known]
    if bad:
        raise InputError([Problem("(command line)", "--investments", n, f"unknown investment; known: {sorted(known)}") for n in bad])
    out: list[tuple[str, tuple[str, ...], float]] = [(BASELINE, (), 0.0)]
    out += [(n, (n,), float(known[n].cost_eur)) for n in names]
    if len(names) > 1:
        out.append((PORTFOLIO, tuple(names), float(sum(known[n].cost_eur for n in names))))
    return out


def variants_for(scenario_file: Path | str, investments: list[str] | None) -> list[tuple[str, tuple[str, ...], float]]:
    """(name, investments applied, cost EUR) for the baseline, each investment and the portfolio."""
    return _variants(available_investments(scenario_file), investments)


def compare(scenario: Plan | Path | str, investments: list[str] | None = None, replications: int | None = None,
            seed: int | None = None, workers: int | None = 1, scheduler: str | None = None,
            progress: bool = False) -> pd.DataFrame:
    """One row per variant: cost, mean closure with its 95 % interval, hours saved against the baseline
    (paired by replication) with its interval, days saved per EUR 100 M, top bottleneck and the bound.

    `scenario` is a scenario file, the name of a built-in scenario, or a loaded plan (a variant too: its
    changes stay, and the investments apply on top; a plan runs in this process, whatever `workers`).
    `progress`: show the reading, the checks and the runs of a scenario file at a terminal (sim.progress)."""
    if isinstance(scenario, Plan):
        variants = _variants(available_investments(scenario), investments)
        plans = {name: variant(scenario, investments=inv) if inv else scenario for name, inv, _ in variants}
        seed, n = resolve_run(scenario.scenario, seed, replications)
        return _frame(_plan_rows(plans, seed, n), variants, seed)
    path = find_scenario(scenario)
    with status(progress and wanted(), f"Reading {path.name} and its investments ..."):
        seed, n = resolve_run(read_scenario(path), seed, replications)
        variants = variants_for(path, investments)
    tasks = [Task(str(path), (), inv, seed, r, name) for name, inv, _ in variants for r in range(n)]
    return _frame(execute(tasks, workers=workers, scheduler=scheduler, progress=progress), variants, seed)


def compare_plans(plans: Mapping[str, Plan], replications: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """Any plans side by side, the first as the baseline (e.g. a scenario and variants of it): the columns of
    `compare`, one row per plan by its name here. Every plan runs the same seed and replication indices
    (common random numbers), so the hours saved are paired by replication; seed and replications default to
    the first plan's. `investments` and `cost_eur` are those a plan applies beyond the first one's."""
    if not plans:
        raise ValueError("compare_plans needs at least one plan")
    first = next(iter(plans.values()))
    have = {i.name for i in first.investments}
    variants = [(name, tuple(i.name for i in p.investments if i.name not in have),
                 float(sum(i.cost_eur for i in p.investments if i.name not in have))) for name, p in plans.items()]
    seed, n = resolve_run(first.scenario, seed, replications)
    return _frame(_plan_rows(plans, seed, n), variants, seed)


def _plan_rows(plans: Mapping[str, Plan], seed: int, n: int) -> pd.DataFrame:
    """The rows a sweep writes (sweep.tasks.summary_row), for each plan and replication, run in this process."""
    rows = []
    for name, plan in plans.items():
        bound = closure_bound(plan).as_dict()
        rows += [{"variant": name, "seed": seed, "replication": r,
                  **summary_row(run_replication(plan, seed, r).summary(), bound)} for r in range(n)]
    return pd.DataFrame(rows)


def _frame(rows: pd.DataFrame, variants: list[tuple[str, tuple[str, ...], float]], seed: int) -> pd.DataFrame:
    """The comparison from the runs' rows (one per variant and replication): the first variant is the base."""
    first = rows[rows["variant"] == variants[0][0]].set_index("replication")
    base = first["closure_h"].fillna(first["end_h"])
    out = []
    for name, inv, cost in variants:
        mine = rows[rows["variant"] == name].set_index("replication")
        closure = mine["closure_h"]
        incomplete = int(closure.isna().sum())
        filled = closure.fillna(mine["end_h"])  # a run that did not close counts at its horizon (a lower bound)
        m, lo, hi = ci95(filled.tolist())
        saved = (base - filled).tolist()
        sm, slo, shi = ci95(saved)
        top = Counter(mine["top_bottleneck"]).most_common(1)[0][0] if len(mine) else ""
        words = top
        if "top_bottleneck_words" in mine and len(mine):
            said = mine.loc[mine["top_bottleneck"] == top, "top_bottleneck_words"]
            words = str(said.iloc[0]) if len(said) else top
        out.append({
            "name": name, "investments": ",".join(inv), "cost_eur": cost,
            "closure_h_mean": m, "closure_h_ci95_lo": lo, "closure_h_ci95_hi": hi,
            "saved_h_mean": sm, "saved_h_ci95_lo": slo, "saved_h_ci95_hi": shi,
            "days_saved_per_100m_eur": (sm / 24.0) / (cost / 1e8) if cost > 0 else math.nan,
            "top_bottleneck": top, "top_bottleneck_words": words,
            "bound_h": _bound_h(mine["bound_h"].iloc[0]), "bound_by": mine["bound_by"].iloc[0],
            "replications": len(mine), "incomplete": incomplete, "seed": seed,
        })
    return pd.DataFrame(out)


def _bound_h(value: float | None) -> float:
    """The analytic bound (h) of a variant's rows; NaN when its capacities let the forces never close (the
    bound reports None then)."""
    return math.nan if value is None or pd.isna(value) else float(value)


def as_json(frame: pd.DataFrame) -> dict:
    """The comparison as one JSON-ready object."""

    def num(x: float) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)

    return {"variants": [{
        "name": r["name"], "investments": r["investments"].split(",") if r["investments"] else [],
        "cost_eur": num(r["cost_eur"]), "closure_h_mean": num(r["closure_h_mean"]),
        "closure_h_ci95": [num(r["closure_h_ci95_lo"]), num(r["closure_h_ci95_hi"])],
        "saved_h_mean": num(r["saved_h_mean"]), "saved_h_ci95": [num(r["saved_h_ci95_lo"]), num(r["saved_h_ci95_hi"])],
        "days_saved_per_100m_eur": num(r["days_saved_per_100m_eur"]), "top_bottleneck": r["top_bottleneck"],
        "top_bottleneck_words": r.get("top_bottleneck_words", r["top_bottleneck"]),
        "bound_h": num(r["bound_h"]), "bound_by": r["bound_by"], "replications": int(r["replications"]),
        "incomplete": int(r["incomplete"]),
    } for _, r in frame.iterrows()], "seed": int(frame["seed"].iloc[0]) if len(frame) else None}
