"""Saved results re-run to the same summary: summary.json keeps the scenario as written (its investments
listed once, applied once on re-running) with the changes they made beside it, and Results.load reads back
what Results.save wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from netkit import builtin_data, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.paths import builtin_scenario
from sim.plan import load_plan
from sim.replay import replay, saved_plan
from sim.results import Results
from sim.runner import run_replication
from sim.variants import build_variant


def _saved(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _again(folder: Path) -> dict[str, Any]:
    return json.loads(json.dumps(replay(folder)))  # as it would be written: tuples as lists


def _rsom_run(*args: str) -> None:
    res = CliRunner().invoke(app, ["run", "--json", *args])
    assert res.exit_code == 0, res.output


def _with_investment(folder: Path) -> Path:
    data = builtin_data()
    data["investments"] = ["rail_wagons"]
    return write_scenario(folder / "with_wagons.yaml", data)


def test_one_replication_re_runs_to_the_same_summary(tmp_path: Path) -> None:
    _rsom_run("--out", str(tmp_path / "o"))
    saved = _saved(tmp_path / "o")
    assert saved["applied_changes"] == []
    assert Path(saved["network_folder"]).is_dir()
    assert _again(tmp_path / "o") == saved


def test_several_replications_and_each_one_re_run_to_the_same_summaries(tmp_path: Path) -> None:
    _rsom_run("--replications", "2", "--seed", "5", "--out", str(tmp_path / "o"))
    saved = _saved(tmp_path / "o")
    assert saved["replications"] == 2
    assert saved["seed"] == 5
    assert _again(tmp_path / "o") == saved
    assert _again(tmp_path / "o" / "rep_001") == _saved(tmp_path / "o" / "rep_001")
    res = CliRunner().invoke(app, ["replay", str(tmp_path / "o" / "rep_001")])
    assert res.exit_code == 0
    assert "same summary" in res.output


def test_investments_are_saved_as_written_and_applied_once(tmp_path: Path) -> None:
    path = _with_investment(tmp_path)
    _rsom_run(str(path), "--out", str(tmp_path / "o"))
    saved = _saved(tmp_path / "o")
    as_written = load_plan(path).scenario_as_written
    assert as_written is not None
    written = as_written.pools.wagons["heavy_flat"]
    assert saved["scenario_data"]["pools"]["wagons"]["heavy_flat"] == written
    assert saved["scenario_data"]["investments"] == ["rail_wagons"]
    assert {c["investment"] for c in saved["applied_changes"]} == {"rail_wagons"}
    wagons = next(c for c in saved["applied_changes"] if c["key"] == "wagons.heavy_flat")
    assert wagons["op"] == "add"
    assert saved_plan(tmp_path / "o").scenario.pools.wagons["heavy_flat"] == written + wagons["value"]  # once
    assert _again(tmp_path / "o") == saved


def test_a_variant_with_scenario_parameters_re_runs(tmp_path: Path) -> None:
    plan = build_variant(builtin_scenario(), {"horizon_h": 300, "convoy.max_vehicles": 20}, ["rail_wagons"])
    run_replication(plan, seed=3, replication=1).save(tmp_path / "v")
    saved = _saved(tmp_path / "v")
    assert saved["scenario_data"]["horizon_h"] == 300
    assert saved["closure_h"] is None
    assert _again(tmp_path / "v") == saved


def test_a_variant_with_pool_and_table_parameters_re_runs_with_them(tmp_path: Path) -> None:
    plan = build_variant(builtin_scenario(), {"horizon_h": 300, "pools.wagons.heavy_flat": 40,
                                              "railheads.antwerp_noord.ramps": 1})
    res = run_replication(plan, seed=3)
    res.save(tmp_path / "v")
    saved = _saved(tmp_path / "v")
    params = [c for c in saved["applied_changes"] if c["investment"] == "(parameters)"]
    assert {(c["table"], c["key"], c["attribute"]) for c in params} == {("pools", "wagons.heavy_flat", "count"),
                                                                        ("railheads", "antwerp_noord", "ramps")}
    assert saved_plan(tmp_path / "v").scenario.pools.wagons["heavy_flat"] == 40
    assert _again(tmp_path / "v") == saved


def _friction_scenario(folder: Path) -> Path:
    """The tiny network, named relative to the scenario file, with every kind of friction."""
    net = tiny_network(folder / "net")
    data = scenario(net, disruptions={"events": [{"name": "cut", "kind": "sabotage", "target": "r_port_stage", "at_h": 2,
                                             "duration_h": 10}]},
                    civil_traffic={"road_peaks": "07:00-09:00", "priority": "civil"},
                    sustainment=[{"name": "supplies", "origin": "port", "destination": "exit_road", "mode": "road",
                                  "cls": "wheeled", "pieces_per_day": 4, "persons_per_day": 10, "start_h": 0,
                                  "end_h": 72}],
                    accommodation=[{"site": "stage", "persons": 4990, "weeks": 1, "modules": 1}])
    data["network"] = "net"
    return write_scenario(folder / "friction.yaml", data)


@pytest.fixture(scope="module")
def friction(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path]:
    folder = tmp_path_factory.mktemp("friction")
    res = run_replication(load_plan(_friction_scenario(folder / "scenario")))
    return res, res.save(folder / "out")


def test_save_and_load_round_trip(friction: tuple[Results, Path]) -> None:
    res, out = friction
    for table in ("flows", "disruptions", "civil", "housing"):
        assert len(getattr(res, table)), table  # the scenario exercises every table
    loaded = Results.load(out)
    assert loaded.network is None
    saved = _saved(out)
    assert loaded.summary() == {k: v for k, v in saved.items()
                                if k not in ("scenario_data", "applied_changes", "network_folder", "results_meta")}
    assert loaded.summary() == res.summary()
    assert loaded.stats.closure().equals(res.stats.closure())


def test_a_network_named_relative_to_the_scenario_file_re_runs_from_elsewhere(friction: tuple[Results, Path]) -> None:
    _, out = friction
    saved = _saved(out)
    assert saved["scenario_data"]["network"] == "net"  # not a folder beside summary.json: the saved folder is used
    assert _again(out) == saved
