"""Run replications of a plan and aggregate their summaries (means with their spread)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .defaults import resolve_run
from .model import Model
from .plan import Plan, load_plan
from .results import Results


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


def _spread(values: list[float | None]) -> dict[str, Any]:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0, "incomplete": len(values)}
    return {"mean": round(statistics.fmean(vals), 4), "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else 0.0,
            "min": round(min(vals), 4), "max": round(max(vals), 4), "n": len(vals), "incomplete": len(values) - len(vals)}


def aggregate(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for several replications: figures are means; `spread` gives sd, min and max."""
    if len(summaries) == 1:
        return summaries[0]
    first = summaries[0]

    def mean(vals: list[float | None]) -> float | None:
        s = _spread(vals)
        return s["mean"] if s["incomplete"] == 0 else None

    brigades = {}
    spread: dict[str, Any] = {"closure_h": _spread([s["closure_h"] for s in summaries]), "brigades": {}}
    for b in first["brigades"]:
        brigades[b] = {k: mean([s["brigades"][b][k] for s in summaries]) for k in first["brigades"][b]}
        spread["brigades"][b] = {k: _spread([s["brigades"][b][k] for s in summaries]) for k in first["brigades"][b]}
    counts = {
        kind: {k: round(statistics.fmean(s[kind][k] for s in summaries), 3) for k in first[kind]}
        for kind in ("pieces", "personnel")
    }
    modes = sorted({m for s in summaries for m in s["throughput_per_day"]})
    throughput = {m: round(statistics.fmean(s["throughput_per_day"].get(m, 0.0) for s in summaries), 3) for m in modes}
    agg: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for b in s["bottlenecks"]:
            a = agg.setdefault(b["resource"], {"resource": b["resource"], "kind": b["kind"], "node": b["node"],
                                               "u": [], "w": [], "p": [], "c": [], "h": []})
            a["c"].append(b["closure_wait_h"])
            a["h"].append(b["person_wait_h"])
            a["u"].append(b["utilization"])
            a["p"].append(b["peak_utilization"])
            a["w"].append(b["wait_h"])
    n = len(summaries)
    ranked = sorted(agg.values(), key=lambda a: (-sum(a["c"]) / n, -sum(a["w"]) / n, -sum(a["u"]) / n, a["resource"]))
    bottlenecks = [{"resource": a["resource"], "kind": a["kind"], "node": a["node"],
                    "utilization": round(sum(a["u"]) / len(a["u"]), 4), "peak_utilization": round(max(a["p"]), 4),
                    "wait_h": round(sum(a["w"]) / n, 3), "closure_wait_h": round(sum(a["c"]) / n, 3),
                    "person_wait_h": round(sum(a["h"]) / n, 3),
                    "top_in_replications": len(a["u"])} for a in ranked[:5]]
    return {
        "scenario": first["scenario"],
        "seed": first["seed"],
        "replications": n,
        "version": first["version"],
        "closure_h": mean([s["closure_h"] for s in summaries]),
        "brigades": brigades,
        "pieces": counts["pieces"],
        "personnel": counts["personnel"],
        "throughput_per_day": throughput,
        "bottlenecks": bottlenecks,
        "events": round(statistics.fmean(s["events"] for s in summaries), 1),
        "spread": spread,
        **_friction_of_first(first),
    }


FRICTION_KEYS = ("disruptions", "civil_displaced", "sustainment", "accommodation", "sustainment_pieces",
                 "sustainment_personnel")


def _friction_of_first(first: dict[str, Any]) -> dict[str, Any]:
    """Disruption, civil traffic, sustainment and accommodation entries of the first replication (random
    disruptions differ between replications, so they are not averaged), marked as such."""
    out = {k: first[k] for k in FRICTION_KEYS if k in first}
    if out:
        out["friction_from_replication"] = first.get("replication", 0)
    return out
