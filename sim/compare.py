"""Which investment shortens the deployment most, per euro, and where the bottleneck moves.

Runs the baseline, each investment alone and the whole portfolio with common random numbers: every variant
uses the same seed and replication indices, so the same named random streams drive the same processes, and
the differences to the baseline are paired by replication. `compare` takes a scenario file (run by the sweep's
executors, in worker processes if asked) or a loaded plan; `compare_plans` sets any plans side by side, e.g.
the variants of a loaded plan (`sim.variants.variant`)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader

from .bound import closure_bound
from .changes import known_investments
from .defaults import resolve_run
from .errors import InputError, Problem
from .investments import Investment
from .network import load_network
from .paths import find_scenario
from .plan import Plan, resolve_network
from .progress import status, wanted
from .runner import run_figures
from .scenario import read_scenario
from .statistics import ci95
from .sweep import Task, execute
from .sweep.tasks import METRICS, summary_row
from .variants import variant

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

BASELINE, PORTFOLIO = "baseline", "portfolio"


def available_investments(scenario: Plan | Path | str) -> dict[str, Investment]:
    """The investments a scenario can apply, by name: its network's table and its own definitions. A loaded
    plan, a scenario file or the name of a built-in scenario."""
    if isinstance(scenario, Plan):
        return known_investments(scenario.scenario_as_written or scenario.scenario, scenario.network)
    path = find_scenario(scenario)
    s = read_scenario(path)
    return known_investments(s, load_network(resolve_network(s, path)))


def _variants(known: dict[str, Investment], investments: list[str] | None,
              as_of: date | None = None) -> list[tuple[str, tuple[str, ...], float]]:
    """(name, investments applied, cost EUR) for the baseline, each investment named (all: every known one in
    service on `as_of`) and the portfolio. An investment named but not in service then is an error."""
    every = not investments or investments == ["all"]
    names = sorted(n for n in known if known[n].in_service(as_of)) if every else list(investments or [])
    bad = [n for n in names if n not in known]
    if bad:
        raise InputError([Problem("(command line)", "--investments", n, f"unknown investment; known: {sorted(known)}") for n in bad])
    late = [n for n in names if not known[n].in_service(as_of)]
    if late:
        raise InputError([Problem("(command line)", "--investments", n, f"not in service on {as_of} (as_of): its first "
                                  f"year is {known[n].first_year}") for n in late])
    out: list[tuple[str, tuple[str, ...], float]] = [(BASELINE, (), 0.0)]
    out += [(n, (n,), float(known[n].cost_eur)) for n in names]
    if len(names) > 1:
        out.append((PORTFOLIO, tuple(names), float(sum(known[n].cost_eur for n in names))))
    return out


def left_out(known: dict[str, Investment], as_of: date | None) -> list[tuple[str, int]]:
    """(name, first year) of the investments not in service on `as_of`, which `all` leaves out."""
    return [(n, inv.first_year) for n, inv in sorted(known.items()) if not inv.in_service(as_of)]


def variants_for(scenario_file: Path | str, investments: list[str] | None,
                 as_of: date | None = None) -> list[tuple[str, tuple[str, ...], float]]:
    """(name, investments applied, cost EUR) for the baseline, each investment in service on `as_of` (default:
    the scenario's) and the portfolio."""
    return _variants(available_investments(scenario_file), investments,
                     as_of or read_scenario(find_scenario(scenario_file)).as_of)


def compare(scenario: Plan | Path | str, investments: list[str] | None = None, replications: int | None = None,
            seed: int | None = None, workers: int | None = 1, scheduler: str | None = None,
            progress: bool = False, as_of: date | None = None) -> pd.DataFrame:
    """One row per variant: cost, mean closure with its 95 % interval, hours saved against the baseline
    (paired by replication) with its interval, days saved per EUR 100 M, top bottleneck and the bound.

    `scenario` is a scenario file, the name of a built-in scenario, or a loaded plan (a variant too: its
    changes stay, and the investments apply on top; a plan runs in this process, whatever `workers`). `as_of`
    (default: the scenario's) keeps only the investments in service on that date; given, every variant is
    judged on it. `progress`: show the reading, the checks and the runs of a scenario file at a terminal
    (sim.progress)."""
    when = {"as_of": as_of.isoformat()} if as_of is not None else {}
    if isinstance(scenario, Plan):
        variants = _variants(available_investments(scenario), investments, as_of or scenario.scenario.as_of)
        plans = {name: variant(scenario, set=when, investments=inv) if inv or when else scenario
                 for name, inv, _ in variants}
        seed, n = resolve_run(scenario.scenario, seed, replications)
        return _frame(_plan_rows(plans, seed, n), variants, seed)
    path = find_scenario(scenario)
    with status(progress and wanted(), f"Reading {path.name} and its investments ..."):
        seed, n = resolve_run(read_scenario(path), seed, replications)
        variants = variants_for(path, investments, as_of)
    params = tuple(when.items())
    tasks = [Task(str(path), params, inv, seed, r, name) for name, inv, _ in variants for r in range(n)]
    rows = execute(tasks, workers=workers, scheduler=scheduler, progress=progress)
    return _shared(_frame(rows, variants, seed), rows)


def _shared(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The comparison with attrs["shared_runs"] of its runs (sweep.execute): the runs taken from a variant with
    the same plan instead of being run again."""
    frame.attrs["shared_runs"] = rows.attrs.get("shared_runs", 0)
    return frame


def scenario_set(folder: Path | None = None) -> list[Path]:
    """The scenario set of the cases the plans name: every scenario file in the built-in scenario's folder
    (or `folder`), the built-in scenario first, then by name."""
    from .paths import builtin_scenario

    first = builtin_scenario().resolve()
    where = first.parent if folder is None else Path(folder)
    files = sorted(p.resolve() for p in where.glob("*.yaml"))
    return sorted(files, key=lambda p: (p != first, p.name))


def compare_set(scenarios: Sequence[Path | str], investments: list[str] | None = None, replications: int | None = None,
                seed: int | None = None, workers: int | None = 1, scheduler: str | None = None,
                progress: bool = False, as_of: date | None = None) -> pd.DataFrame:
    """Every investment (and the portfolio) on every scenario of a set, each on common random numbers with its
    own baseline: the rows of `compare` with a `scenario` column (its name), then `overall` rows per variant that
    every scenario scored: closure and saving averaged over the scenarios, the saving's interval from the paired
    differences of all scenarios and replications together. Seed and replications default to each scenario's;
    `as_of` (default: each scenario's own) decides which investments are in service."""
    when = {"as_of": as_of.isoformat()} if as_of is not None else {}
    plans: list[tuple[str, str, int, int, list[tuple[str, tuple[str, ...], float]]]] = []
    tasks: list[Task] = []
    for scen in scenarios:
        path = find_scenario(scen)
        sc = read_scenario(path)
        sd, n = resolve_run(sc, seed, replications)
        variants = variants_for(path, investments, as_of)
        if any(sc.name == p[1] for p in plans):
            raise InputError([Problem(str(path), "name", sc.name, "another scenario of the set has this name: name "
                                                                  "each case apart")])
        plans.append((path.stem, sc.name, sd, n, variants))
        tasks += [Task(str(path), tuple(when.items()), inv, sd, r, name) for name, inv, _ in variants for r in range(n)]
    rows = execute(tasks, workers=workers, scheduler=scheduler, progress=progress)
    frames: list[pd.DataFrame] = []
    diffs: dict[str, dict[str, Any]] = {}
    for name, title, sd, _, variants in plans:
        mine = rows[rows["scenario"] == title]
        f = _frame(mine, variants, sd)
        f.insert(0, "scenario", name)
        frames.append(f)
        base = mine[mine["variant"] == variants[0][0]].set_index("replication")
        b = base["closure_h"].fillna(base["end_h"])
        for vname, _, cost in variants:
            v = mine[mine["variant"] == vname].set_index("replication")
            d = diffs.setdefault(vname, {"saved": [], "closure": [], "cost": cost, "in": 0,
                                         **{k: [] for k in METRICS}, **{f"{k}:value": [] for k in METRICS}})
            d["saved"] += (b - v["closure_h"].fillna(v["end_h"])).tolist()
            for k in METRICS:
                if k in v and k in base:
                    d[k] += (base[k].astype(float) - v[k].astype(float)).dropna().tolist()
                    d[f"{k}:value"] += v[k].astype(float).dropna().tolist()
            d["closure"].append(float(v["closure_h"].fillna(v["end_h"]).mean()))
            d["in"] += 1
    out = pd.concat(frames, ignore_index=True)
    overall = []
    for vname, d in diffs.items():
        if d["in"] != len(plans):
            continue  # a variant some scenario could not score (not in service there)
        sm, slo, shi = ci95(d["saved"])
        first = out[out["name"] == vname].iloc[0]
        overall.append({"scenario": "overall", "name": vname, "investments": first["investments"], "cost_eur": d["cost"],
                        "top_bottleneck": "", "top_bottleneck_words": "", "bound_h": math.nan, "bound_by": "",
                        "incomplete": int(out.loc[out["name"] == vname, "incomplete"].sum()), "seed": first["seed"],
                        "closure_h_mean": sum(d["closure"]) / len(d["closure"]), "closure_h_ci95_lo": math.nan,
                        "closure_h_ci95_hi": math.nan, "saved_h_mean": sm, "saved_h_ci95_lo": slo, "saved_h_ci95_hi": shi,
                        "days_saved_per_100m_eur": (sm / 24.0) / (d["cost"] / 1e8) if d["cost"] > 0 else math.nan,
                        "replications": len(d["saved"]), **_pooled_metrics(d)})
    return _shared(pd.concat([out, pd.DataFrame(overall)], ignore_index=True), rows)


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
                  **summary_row(run_figures(plan, seed, r), bound)} for r in range(n)]
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
            **_metric_columns(first, mine),
        })
    return pd.DataFrame(out)


def _pooled_metrics(d: dict[str, Any]) -> dict[str, float]:
    """A variant's metric columns over a scenario set: mean value and saving, the saving's interval from the
    paired differences of every scenario and replication."""
    out: dict[str, float] = {}
    for k in METRICS:
        if not d.get(k):
            continue
        sm, slo, shi = ci95(d[k])
        vals = d[f"{k}:value"]
        out |= {f"{k}_mean": sum(vals) / len(vals) if vals else math.nan, f"{k}_saved_mean": sm,
                f"{k}_saved_ci95_lo": slo, f"{k}_saved_ci95_hi": shi}
    return out


def _metric_columns(base: pd.DataFrame, mine: pd.DataFrame) -> dict[str, float]:
    """Per metric beside closure (sweep.tasks.METRICS): the variant's mean and its saving against the base,
    paired by replication, with the saving's 95 % interval (NaN where a run has no figure)."""
    out: dict[str, float] = {}
    for k in METRICS:
        if k not in mine or k not in base:
            continue
        v = mine[k].astype(float)
        m, _, _ = ci95(v.dropna().tolist()) if v.notna().any() else (math.nan, math.nan, math.nan)
        saved = (base[k].astype(float) - v).dropna().tolist()
        sm, slo, shi = ci95(saved) if saved else (math.nan, math.nan, math.nan)
        out |= {f"{k}_mean": m, f"{k}_saved_mean": sm, f"{k}_saved_ci95_lo": slo, f"{k}_saved_ci95_hi": shi}
    return out


def _bound_h(value: float | None) -> float:
    """The analytic bound (h) of a variant's rows; NaN when its capacities let the forces never close (the
    bound reports None then)."""
    return math.nan if value is None or pd.isna(value) else float(value)


def as_json(frame: pd.DataFrame) -> dict:
    """The comparison as one JSON-ready object."""

    def num(x: float) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)

    return {**({"scenarios": list(dict.fromkeys(frame["scenario"]))} if "scenario" in frame else {}), "variants": [{
        **({"scenario": r["scenario"]} if "scenario" in frame else {}),
        "name": r["name"], "investments": r["investments"].split(",") if r["investments"] else [],
        "cost_eur": num(r["cost_eur"]), "closure_h_mean": num(r["closure_h_mean"]),
        "closure_h_ci95": [num(r["closure_h_ci95_lo"]), num(r["closure_h_ci95_hi"])],
        "saved_h_mean": num(r["saved_h_mean"]), "saved_h_ci95": [num(r["saved_h_ci95_lo"]), num(r["saved_h_ci95_hi"])],
        "days_saved_per_100m_eur": num(r["days_saved_per_100m_eur"]), "top_bottleneck": r["top_bottleneck"],
        "top_bottleneck_words": r.get("top_bottleneck_words", r["top_bottleneck"]),
        "bound_h": num(r["bound_h"]), "bound_by": r["bound_by"], "replications": int(r["replications"]),
        "incomplete": int(r["incomplete"]),
        "metrics": {k: {"value": num(r[f"{k}_mean"]), "saved": num(r[f"{k}_saved_mean"]),
                        "saved_ci95": [num(r[f"{k}_saved_ci95_lo"]), num(r[f"{k}_saved_ci95_hi"])]}
                    for k in METRICS if f"{k}_mean" in r},
    } for _, r in frame.iterrows()], "seed": int(frame["seed"].iloc[0]) if len(frame) else None}
