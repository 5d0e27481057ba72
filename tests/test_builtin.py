"""The built-in two-brigade scenario: runs end to end, accounts for everything, is reproducible, and its
summary for a fixed seed is pinned (a change to these numbers must be deliberate)."""

import json

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.paths import builtin_scenario
from sim.plan import load_plan
from sim.runner import run_replication


@pytest.fixture(scope="module")
def plan():
    return load_plan(builtin_scenario())


@pytest.fixture(scope="module")
def summary(plan):
    return run_replication(plan).summary()


def test_everything_is_delivered_and_accounted(summary, plan):
    assert summary["pieces"] == {"planned": len(plan.pieces), "entered": len(plan.pieces), "delivered": len(plan.pieces),
                                 "in_system": 0, "not_arrived": 0}
    assert summary["personnel"]["delivered"] == plan.personnel_total
    assert summary["waiting"] == []


def test_pinned_summary(summary):
    assert summary["seed"] == 20270201
    assert summary["closure_h"] == pytest.approx(PINNED["closure_h"], abs=1e-3)
    for b, v in PINNED["brigades"].items():
        assert {k: summary["brigades"][b][k] for k in v} == pytest.approx(v, abs=1e-3)
        assert summary["brigades"][b]["closure_at"] == PINNED["closure_at"][b]
    assert summary["start_date"] == "2027-02-01T00:00"
    assert summary["late_units"] == PINNED["late_units"]
    assert summary["throughput_per_day"] == pytest.approx(PINNED["throughput_per_day"], abs=1e-3)
    assert [b["resource"] for b in summary["bottlenecks"]] == PINNED["bottlenecks"]
    assert summary["events"] == PINNED["events"]


def test_same_seed_same_summary_other_seed_other_summary(plan, summary):
    assert run_replication(plan).summary() == summary
    other = run_replication(plan, seed=summary["seed"] + 1).summary()
    assert other["seed"] != summary["seed"]
    assert other["closure_h"] != summary["closure_h"]


def test_cli_json_is_one_object_with_the_promised_keys():
    res = CliRunner().invoke(app, ["run", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"closure_h", "brigades", "pieces", "personnel", "bottlenecks", "throughput_per_day"} <= set(out)
    for b in out["brigades"].values():
        assert {"closure_h", "closure_50_h", "closure_90_h"} <= set(b)
    for k in ("pieces", "personnel"):
        assert {"entered", "delivered", "in_system"} <= set(out[k])
    assert all({"resource", "utilization", "wait_h"} <= set(b) for b in out["bottlenecks"])


def test_cli_replications_report_means_and_spread(tmp_path):
    res = CliRunner().invoke(app, ["run", "--json", "--replications", "2", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["replications"] == 2
    assert "spread" in out
    assert (tmp_path / "o" / "summary.json").exists()
    assert (tmp_path / "o" / "rep_001" / "moves.parquet").exists()
    saved = json.loads((tmp_path / "o" / "rep_000" / "summary.json").read_text())
    assert saved["seed"] == out["seed"]
    assert saved["scenario_data"]["name"] == out["scenario"]


# Re-pinned when a train whose rolling stock other trains wait for began to take the route that brings its stock
# back first (timetable._best): before, closure 784.1913 h (eu 678.3926, us 784.1913), 20,740 events. Most trains
# now get their stock earlier (eu's 90 % closure 363.4 -> 332.4 h, half its units closed 378.7 -> 340.4 h), but
# the last trains trade a later border crossing for a shorter wagon turn (eu's last: 12 h later, us's: 0.1 h).
# Then when a train whose containers went on by road fills its room with the pieces queued behind it
# (rail.refill): the same closures, eu's containers in 506.1 h instead of 653.3 h, 20,712 events.
PINNED = {
    "closure_h": 784.3104,
    "closure_at": {"eu_armoured": "2027-03-01T18:17", "us_abct": "2027-03-05T16:18"},
    "late_units": 2,  # cab_2 and cab_3 of us_abct, past the end of C+29 (the list's RDD, an assumption)
    "brigades": {
        "eu_armoured": {
            "closure_h": 690.2964,
            "closure_50_h": 139.8062,  # 139.1702 until a serial could no longer enter a window at its closing instant
            "closure_90_h": 319.5758,
            "units_closed_50_h": 340.4364,
            "combat_power_closure_h": 690.2964,
            "units": 9,
            "units_closed": 9,
            "containers_closure_h": 506.1232
        },
        "us_abct": {
            "closure_h": 784.3104,
            "closure_50_h": 154.1762,  # 154.0095 (likewise)
            "closure_90_h": 615.999,
            "units_closed_50_h": 624.4712,
            "combat_power_closure_h": 784.3104,
            "units": 8,
            "units_closed": 8,
            "containers_closure_h": 745.025
        }
    },
    "throughput_per_day": {
        "rail": 29.682,
        "road": 151.287
    },
    "bottlenecks": [
        "wagons:heavy_flat",
        "entry@r_antwerp_r1_ranst>",
        "paths@l_antwerp_aet_antwerp_ico_kallo>",
        "paths@l_zeebrugge_yard_brugge_rail>",
        "paths@l_antwerp_ico_kallo_antwerp_noord>"
    ],
    "events": 20712
}
