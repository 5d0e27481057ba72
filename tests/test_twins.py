"""Runs a sweep takes from a variant with the same plan (sweep.twins): the same rows as running them, fewer runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from netkit import scenario, tiny_network, write_scenario

from sim.paths import builtin_scenario
from sim.runner import run_figures
from sim.sweep import Task, execute
from sim.sweep.twins import fingerprint
from sim.variants import build_variant

INVESTMENTS = [
    {"name": "second_berth", "cost_eur": 50e6, "changes": [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]},
    {"name": "same_buses", "cost_eur": 1e6, "changes": [{"table": "pools", "key": "buses", "attribute": "count", "op": "set", "value": 60}]},
    {"name": "no_drones_here", "cost_eur": 2e6, "changes": [{"table": "disruptions", "key": "*", "attribute": "drone.duration_h", "op": "mul", "value": 0.5}]},
]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("twins")
    net = tiny_network(folder / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 60, "tracked": 10}]},
                    times={"discharge": "exponential"}, custom_investments=INVESTMENTS, replications=3)
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 0}] * 2
    return write_scenario(folder / "s.yaml", data)


def _tasks(path: Path, variants: list[tuple[str, ...]], n: int = 3) -> list[Task]:
    return [Task(str(path), (), inv, 11, r, "+".join(inv) or "baseline") for inv in variants for r in range(n)]


def test_fingerprint_leaves_out_labels_only(scenario_file: Path) -> None:
    base = fingerprint(build_variant(scenario_file))
    assert fingerprint(build_variant(scenario_file)) == base  # the same inputs, the same fingerprint
    assert fingerprint(build_variant(scenario_file, {}, ("same_buses",))) == base  # sets the pool it already has
    assert fingerprint(build_variant(scenario_file, {}, ("no_drones_here",))) == base  # no disruption to scale
    assert fingerprint(build_variant(scenario_file, {}, ("second_berth",))) != base
    assert fingerprint(build_variant(scenario_file, {"horizon_h": 5000})) != base


@pytest.mark.parametrize("workers", [1, 2])
def test_shared_runs_give_the_rows_of_running_them(scenario_file: Path, workers: int, tmp_path: Path) -> None:
    variants = [(), ("same_buses",), ("second_berth",), ("no_drones_here",), ("second_berth", "same_buses")]
    tasks = _tasks(scenario_file, variants)
    df = execute(tasks, out=tmp_path, workers=workers, progress=False)
    # same_buses and no_drones_here share the baseline's runs, second_berth+same_buses second_berth's
    assert df.attrs["shared_runs"] == 9
    assert list(df["key"]) == [t.key() for t in tasks]
    for inv in variants:  # each variant run alone (nothing to share): the same rows
        alone = execute(_tasks(scenario_file, [inv]), workers=1, progress=False)
        assert alone.attrs["shared_runs"] == 0
        mine = df[df["variant"] == ("+".join(inv) or "baseline")].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), df)


@pytest.mark.slow
def test_builtin_investment_that_changes_nothing_shares_exactly() -> None:
    """Counter-drone systems on the built-in scenario (nothing there is disrupted): the same plan for a run, and
    the same figures when run."""
    path = builtin_scenario()
    base, drones = build_variant(path), build_variant(path, {}, ("counter_drone_systems",))
    assert fingerprint(base) == fingerprint(drones)
    assert run_figures(base, None, 1) == run_figures(drones, None, 1)


def test_a_sweep_in_this_process_compiles_each_variant_once(scenario_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check compiles every variant before any run; the runs read their plans back from what the check kept
    (variants.PREBUILT), also when the per-process cache has let a plan go (as it does beyond 16 variants)."""
    from sim import variants
    from sim.sweep import executors

    compiled: list[str] = []
    real_compile = variants.compile_plan

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(str(args[0].investments))
        return real_compile(*args, **kwargs)

    real_run = executors._run

    def forgetful(task: Task) -> tuple[str, Any]:
        variants.cached_variant.cache_clear()  # the cache has let the plan go
        return real_run(task)

    monkeypatch.setattr(variants, "compile_plan", counting)
    monkeypatch.setattr(executors, "_run", forgetful)
    variants.cached_variant.cache_clear()
    variants_run = [(), ("second_berth",)]
    df = execute(_tasks(scenario_file, variants_run, 2), workers=1, progress=False)
    assert len(df) == 4
    assert df.attrs["shared_runs"] == 0
    assert len(compiled) == len(variants_run)  # once each, in the check
    assert not variants.PREBUILT  # nothing kept once the sweep is over
