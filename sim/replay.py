"""Re-run a saved result: summary.json (written by `rsom run --out` or Results.save) holds the scenario as
written, the seed, and the replication (one run) or the number of replications (several); `replay` compiles
that scenario again against the network folder the run used and runs it, giving the same summary.

    rsom replay DIR          # DIR/summary.json, or the file itself"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .bound import closure_bound
from .errors import InputError, Problem
from .investments import Change
from .plan import Plan, compile_plan, resolve_network
from .progress import bar, status, wanted
from .results import PARAMETERS
from .runner import run, run_replication
from .scenario import parse_scenario
from .statistics import aggregate

SUMMARY_FILE = "summary.json"


def summary_path(saved: Path | str) -> Path:
    """summary.json in a result folder, or the file itself."""
    path = Path(saved)
    return path / SUMMARY_FILE if path.is_dir() else path


def read_saved(saved: Path | str) -> dict[str, Any]:
    """A saved summary.json as a dict; an input error when it is missing or holds no scenario."""
    path = summary_path(saved)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), "(file)", str(path), f"cannot read a saved summary: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("scenario_data"), dict):
        raise InputError([Problem(str(path), "scenario_data", None, "no scenario saved in this summary")])
    return data


def saved_plan(saved: Path | str) -> Plan:
    """The plan of a saved result: its scenario as written, validated like a scenario file, compiled against
    the network folder the run used (or, when that folder is gone, the network the scenario names)."""
    path = summary_path(saved)
    data = read_saved(path)
    scenario = parse_scenario(data["scenario_data"], str(path))
    used = data.get("network_folder")
    folder = Path(used) if used and Path(used).is_dir() else resolve_network(scenario, path)
    params = [Change(c["table"], c["key"], c["attribute"], c["op"], float(c["value"]))
              for c in data.get("applied_changes") or [] if c.get("investment") == PARAMETERS]
    return compile_plan(scenario, str(path), folder, params or None)


def replay(saved: Path | str, progress: bool = False) -> dict[str, Any]:
    """Run a saved result again with its seed and replication(s); returns summary.json as that run would
    write it (compare it with the saved one: same scenario, same seed, same numbers). `progress`: show a
    spinner while the scenario compiles and a bar while it runs, at a terminal (sim.progress)."""
    progress = progress and wanted()
    data = read_saved(saved)
    with status(progress, "Compiling the saved scenario ..."):
        plan = saved_plan(saved)
    seed = int(data["seed"])
    horizon = plan.scenario.horizon_h
    if "replications" in data:  # several replications: their aggregate, with the bound (as `rsom run` writes it)
        n = int(data["replications"])
        with bar(progress, f"replaying {plan.scenario.name}", n * horizon) as tell:
            results = run(plan, seed=seed, replications=n, progress=lambda r, t: tell(r * horizon + t, n * horizon))
        summary = {**aggregate([r.summary() for r in results]), **closure_bound(plan).as_dict()}
        return {**summary, **results[0].provenance()}
    with bar(progress, f"replaying {plan.scenario.name}", horizon) as tell:
        res = run_replication(plan, seed=seed, replication=int(data.get("replication", 0)),
                              progress=lambda t: tell(t, horizon))
    out = {**res.summary(), **res.provenance()}
    if "results_meta" in data:
        out["results_meta"] = {"end_h": res.end_h, "forces": list(res.forces)}
    return out


def differences(saved: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """Top-level keys whose values differ between a saved summary and its replay (empty: identical)."""
    return sorted(k for k in set(saved) | set(again) if saved.get(k) != again.get(k))
