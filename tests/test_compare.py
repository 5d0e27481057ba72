"""Investments compared: common random numbers, paired differences, cost effectiveness, JSON shape."""

import json

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.compare import as_json, compare

INVESTMENTS = [
    {"name": "second_berth", "cost_eur": 50e6, "changes": [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]},
    {"name": "same_buses", "cost_eur": 1e6, "changes": [{"table": "pools", "key": "buses", "attribute": "count", "op": "set", "value": 60}]},
]


@pytest.fixture
def scenario_file(tmp_path):
    net = tiny_network(tmp_path / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 300, "tracked": 20}]},
                    times={"discharge": "exponential"}, custom_investments=INVESTMENTS, replications=4)
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 0}] * 4  # four ships at once: a ship holds one berth
    return write_scenario(tmp_path / "s.yaml", data)


def test_compare_ranks_the_berth_and_pairs_replications(scenario_file):
    df = compare(scenario_file).set_index("name")
    assert list(df.index) == ["baseline", "same_buses", "second_berth", "portfolio"]
    assert (df["replications"] == 4).all()
    # the berth is the bottleneck: a second one saves time, with an interval above zero
    assert df.at["second_berth", "saved_h_mean"] > 0
    assert df.at["second_berth", "saved_h_ci95_lo"] > 0
    assert df.at["baseline", "top_bottleneck"] == "berths@port"
    assert df.at["second_berth", "days_saved_per_100m_eur"] == pytest.approx(df.at["second_berth", "saved_h_mean"] / 24 / 0.5)
    # common random numbers: a change that changes nothing saves exactly nothing, in every replication
    assert df.at["same_buses", "saved_h_mean"] == 0.0
    assert df.at["same_buses", "saved_h_ci95_lo"] == 0.0 == df.at["same_buses", "saved_h_ci95_hi"]
    assert df.at["portfolio", "cost_eur"] == 51e6
    # the bound is reported beside the simulated closure and is never above it
    assert (df["bound_h"] <= df["closure_h_ci95_hi"]).all()


def test_compare_json_through_the_cli(scenario_file):
    res = CliRunner().invoke(app, ["compare", str(scenario_file), "--investments", "second_berth", "--replications", "2",
                                   "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    names = [v["name"] for v in out["variants"]]
    assert names == ["baseline", "second_berth"]
    for v in out["variants"]:
        assert {"name", "cost_eur", "closure_h_mean", "closure_h_ci95", "saved_h_mean", "saved_h_ci95", "top_bottleneck"} <= set(v)
        assert len(v["closure_h_ci95"]) == 2
        assert len(v["saved_h_ci95"]) == 2


def test_unknown_investment_is_a_clear_error(scenario_file):
    res = CliRunner().invoke(app, ["compare", str(scenario_file), "--investments", "golden_bridge", "--workers", "1"])
    assert res.exit_code == 2
    assert "golden_bridge" in res.stderr
    assert "unknown investment" in res.stderr
    assert "Traceback" not in res.output


def test_bad_custom_investment_is_a_clear_error(tmp_path):
    net = tiny_network(tmp_path / "net")
    bad = [{"name": "x", "cost_eur": 1, "changes": [{"table": "railheads", "key": "nowhere", "attribute": "ramps", "value": 2}]}]
    path = write_scenario(tmp_path / "s.yaml", scenario(net, custom_investments=bad, investments=["x"]))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert "nowhere" in res.stderr
    assert "unknown railheads row" in res.stderr


def test_as_json_round_trips_nan_to_null():
    import pandas as pd

    frame = pd.DataFrame([{"name": "baseline", "investments": "", "cost_eur": 0.0, "closure_h_mean": 10.0,
                           "closure_h_ci95_lo": float("nan"), "closure_h_ci95_hi": float("nan"), "saved_h_mean": 0.0,
                           "saved_h_ci95_lo": float("nan"), "saved_h_ci95_hi": float("nan"), "days_saved_per_100m_eur": float("nan"),
                           "top_bottleneck": "", "bound_h": 1.0, "bound_by": "rail", "replications": 1, "incomplete": 0, "seed": 1}])
    out = json.loads(json.dumps(as_json(frame)))
    assert out["variants"][0]["closure_h_ci95"] == [None, None]


def test_the_compare_table_fits_100_columns_without_cutting_a_figure(scenario_file):
    res = CliRunner(env={"COLUMNS": "100"}).invoke(app, ["compare", str(scenario_file), "--replications", "2",
                                                         "--workers", "1"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "\N{HORIZONTAL ELLIPSIS}" not in res.output  # rich's mark of a cut cell
    df = compare(scenario_file, replications=2, workers=1).set_index("name")
    for name in ("baseline", "second_berth", "portfolio"):
        lo, hi = df.at[name, "closure_h_ci95_lo"], df.at[name, "closure_h_ci95_hi"]
        assert f"{lo:,.1f}\N{EN DASH}{hi:,.1f}" in res.output  # every interval whole, on one line
