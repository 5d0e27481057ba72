"""Investments in service on a date: `as_of` in a scenario (or `rsom compare --as-of`) keeps only the investments
whose first year has begun, so equipment committed from 2028 is not scored for an exercise in early 2027."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.compare import compare
from sim.plan import load_plan
from sim.runner import run_replication

BERTHS = [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]
CUSTOM = [{"name": "berth_2026", "cost_eur": 1e6, "first_year": 2026, "changes": BERTHS},
          {"name": "berth_2028", "cost_eur": 2e6, "first_year": 2028, "changes": BERTHS}]


def _scenario(tmp_path: Path, **kw) -> Path:
    net = tiny_network(tmp_path / "net")
    return write_scenario(tmp_path / "s.yaml", scenario(net, custom_investments=CUSTOM, **kw))


def test_an_investment_before_its_first_year_is_left_out_with_a_warning(tmp_path: Path) -> None:
    plan = load_plan(_scenario(tmp_path, as_of="2027-02-01", investments=["berth_2026", "berth_2028"]))
    assert [i.name for i in plan.investments] == ["berth_2026"]
    assert int(plan.network.seaports.at["port", "berths"]) == 2  # one berth added, not two
    said = [w for w in plan.warnings if w.field == "investments[1]"]
    assert len(said) == 1
    assert "not in service on 2027-02-01" in said[0].message
    later = load_plan(_scenario(tmp_path / "b", as_of="2028-01-01", investments=["berth_2026", "berth_2028"]))
    assert [i.name for i in later.investments] == ["berth_2026", "berth_2028"]
    assert int(later.network.seaports.at["port", "berths"]) == 3


def test_without_as_of_every_investment_applies(tmp_path: Path) -> None:
    plan = load_plan(_scenario(tmp_path, investments=["berth_2026", "berth_2028"]))
    assert [i.name for i in plan.investments] == ["berth_2026", "berth_2028"]


def test_compare_all_scores_only_what_is_in_service_and_as_of_moves_the_date(tmp_path: Path) -> None:
    path = _scenario(tmp_path, as_of="2027-02-01")
    early = compare(path, replications=1)
    assert list(early["name"]) == ["baseline", "berth_2026"]  # one investment: no portfolio row
    late = compare(path, replications=1, as_of=date(2029, 1, 1))
    assert list(late["name"]) == ["baseline", "berth_2026", "berth_2028", "portfolio"]
    res = CliRunner().invoke(app, ["compare", str(path), "--replications", "1"])
    assert res.exit_code == 0, res.output
    assert "Not in service on 2027-02-01: berth_2028 (2028)" in res.output
    named = CliRunner().invoke(app, ["compare", str(path), "--replications", "1", "--investments", "berth_2028"])
    assert named.exit_code == 2
    assert "not in service on 2027-02-01 (as_of): its first year is 2028" in named.output


def test_compare_two_scenario_files_against_the_first(tmp_path: Path) -> None:
    """An operational option as a second file (containers by road instead of rail) against the plan: the saving
    is the difference of the two runs' closures with the same seed and replication."""
    net = tiny_network(tmp_path / "net")
    t = {"t": [{"unit": "a", "personnel": 40, "tracked": 4, "wheeled": 6, "container": 4}]}
    base = scenario(net, templates=t, pools={"wagons": {"heavy_flat": 10, "container_flat": 1}})
    a = write_scenario(tmp_path / "plan.yaml", base)
    b = write_scenario(tmp_path / "trucks.yaml", {**base, "modes": {"container": ["road"]}})
    res = CliRunner().invoke(app, ["compare", str(a), str(b), "--replications", "1", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["variants"]
    assert [r["name"] for r in rows] == ["plan", "trucks"]
    ca, cb = (run_replication(load_plan(p)).summary()["closure_h"] for p in (a, b))
    assert ca != cb
    assert rows[1]["saved_h_mean"] == pytest.approx(ca - cb, abs=1e-3)
    assert rows[0]["saved_h_mean"] == 0
    assert set(rows[1]["metrics"]) == {"combat_power_closure_h", "late_units", "late_h_total", "person_nights_without_bed",
                                       "airfield_wait_person_h", "airfield_cargo_piece_h", "disruption_wait_piece_h"}
    bad = CliRunner().invoke(app, ["compare", str(a), str(b), "--investments", "berth_2026"])
    assert bad.exit_code == 2
    assert "give each file its investments" in bad.output


def test_compare_over_a_scenario_set_scores_each_case_and_pools_the_overall_saving(tmp_path: Path) -> None:
    """Two cases, the second extending the first with a later ship: each gets its own baseline; the overall
    saving is the mean of the paired differences of both."""
    net = tiny_network(tmp_path / "net")
    two_ships = [{"port": "port", "at_h": 0}, {"port": "port", "at_h": 0}]
    base = scenario(net, forces=[{**scenario(net)["forces"][0], "ships": two_ships}], custom_investments=CUSTOM)
    a = write_scenario(tmp_path / "a.yaml", base)
    (tmp_path / "b.yaml").write_text("base: a.yaml\nname: later ships\nhorizon_h: 3000\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["compare", "--scenarios", f"{a},{tmp_path / 'b.yaml'}", "--investments",
                                   "berth_2026", "--replications", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["scenarios"] == ["a", "b", "overall"]
    rows = {(r["scenario"], r["name"]): r for r in out["variants"]}
    assert set(rows) == {(s, v) for s in ("a", "b", "overall") for v in ("baseline", "berth_2026")}
    each = [rows[(s, "berth_2026")]["saved_h_mean"] for s in ("a", "b")]
    assert rows[("overall", "berth_2026")]["saved_h_mean"] == pytest.approx(sum(each) / 2)
    assert rows[("overall", "berth_2026")]["metrics"]["late_units"]["saved"] == 0
    table = CliRunner().invoke(app, ["compare", "--scenarios", f"{a},{tmp_path / 'b.yaml'}", "--investments",
                                     "berth_2026", "--replications", "1"])
    assert table.exit_code == 0, table.output
    assert "OVERALL:" in table.output
    assert "Saved beside closure" in table.output


def test_the_builtin_scenario_set_holds_the_cases_the_plans_name() -> None:
    from sim.compare import scenario_set

    names = [p.stem for p in scenario_set()]
    assert names[0] == "belgium_two_brigades"
    assert {"belgium_hybrid_attack", "belgium_civil_traffic", "belgium_stationing", "belgium_aps_draw"} <= set(names)
