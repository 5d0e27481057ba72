"""Enough replications: --precision runs replications until the 95 % interval of mean closure is within the
target, with a cap, and says so when nothing is random."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.plan import load_plan
from sim.runner import precision_reached, run_replication, run_to_precision
from sim.statistics import ci95

RANDOM = {"discharge": {"dist": "lognormal", "mean": 1.0, "sd": 0.5}, "travel": {"dist": "triangular", "low": 0.8,
                                                                                  "mode": 1.0, "high": 1.5}}


def test_precision_reached_needs_three_replications_and_the_half_width() -> None:
    assert precision_reached([10.0], 5.0) == (False, float("inf"))
    done, half = precision_reached([10.0, 10.0], 5.0)
    assert not done  # two equal values: a zero-width interval, but too few to stop on
    assert half == 0
    values = [10.0, 12.0, 11.0]
    m, lo, _ = ci95(values)
    assert precision_reached(values, m - lo + 1e-9) == (True, pytest.approx(m - lo))
    assert precision_reached(values, m - lo - 1e-3)[0] is False


def test_it_stops_at_the_first_replication_count_whose_interval_is_within_the_target(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    plan = load_plan(write_scenario(tmp_path / "s.yaml", scenario(net, times=RANDOM)))
    closures = [run_replication(plan, 1, r).summary()["closure_h"] for r in range(12)]
    halves = [ci95(closures[:k])[0] - ci95(closures[:k])[1] for k in range(3, 13)]
    target = sorted(halves)[len(halves) // 2]  # reached somewhere in the middle
    expected = next(k for k, h in zip(range(3, 13), halves, strict=True) if h <= target)
    results, reached = run_to_precision(plan, target, 12, seed=1)
    assert len(results) == expected == reached["replications"]
    assert reached["reached"] is True
    capped, why = run_to_precision(plan, 1e-6, 4, seed=1)
    assert len(capped) == 4
    assert why["reached"] is False
    assert "cap of 4" in why["why"]


def test_nothing_random_takes_one_replication_and_says_why(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    path = write_scenario(tmp_path / "s.yaml", scenario(net))
    res = CliRunner().invoke(app, ["run", str(path), "--precision", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["precision"]["replications"] == 1
    assert "nothing in the scenario is random" in out["precision"]["why"]
    both = CliRunner().invoke(app, ["run", str(path), "--precision", "1", "--replications", "3"])
    assert both.exit_code == 2
