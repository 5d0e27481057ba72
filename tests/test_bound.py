"""The analytic lower bound on closure: never above the simulated closure, and tight where theory says so."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netkit import link, node, road_links, scenario, tiny_network, write_scenario
from test_properties import CLASSES, LONG_HORIZON, cases, compile_or_skip
from typer.testing import CliRunner

from sim.bound import BoundReport, closure_bound
from sim.cli import app
from sim.paths import builtin_scenario
from sim.plan import Plan, compile_plan, load_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario


def tiny_plan(tmp_path: Path, **kw: Any) -> Plan:
    """The tiny network's one-force scenario with the keys in `kw` replaced, compiled."""
    net = tiny_network(tmp_path / "net")
    return compile_plan(parse_scenario(scenario(net, **kw), "t.yaml"), "t.yaml", net)


def plan_on(net: Path, data: dict[str, Any]) -> Plan:
    """Scenario `data` compiled on the network folder `net`."""
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)


def json_safe(b: BoundReport) -> dict[str, Any]:
    """The report's dict, checked to be plain JSON (no Infinity or NaN)."""
    d = b.as_dict()
    json.dumps(d, allow_nan=False)
    return d


def test_builtin_closure_is_not_below_the_bound() -> None:
    plan = load_plan(builtin_scenario())
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.bound_h > 0
    assert b.binding is not None
    assert b.binding.cut
    assert closure >= b.bound_h
    assert json_safe(b)["bound_h"] == pytest.approx(b.bound_h, abs=1e-4)


# ---- random networks: without railheads, with barges, with a cut civil traffic leaves no capacity --------
@st.composite
def bound_cases(draw: st.DrawFn) -> tuple[dict, dict, dict[str, Any]]:
    """The run-invariant cases (test_properties), some changed: railheads (and rail links) taken away, a
    waterway from the port to an exit with barges carrying some classes first, civil traffic keeping every
    berth or every rail path."""
    tables, force, extra = draw(cases())
    tables, extra = dict(tables), {**extra, "horizon_h": LONG_HORIZON}
    if draw(st.integers(0, 3)) == 0:  # no railheads: tracked pieces go by HET, containers by road
        tables["railheads"] = []
        if draw(st.booleans()):
            tables["links"] = [x for x in tables["links"] if x["mode"] != "rail"]
    if draw(st.booleans()):
        tables["nodes"] = [*tables["nodes"], node("quay", "waterway", 51.0, 5.5)]
        headway = st.sampled_from([0, 0, 30, 120, 300])
        window = st.sampled_from(["", "", "06:00-22:00", "21:00-05:00;12:00-13:00"])
        tables["links"] = [*tables["links"],
                           link("w0", "water", "port", "quay", draw(st.integers(5, 80)), draw(st.integers(6, 15)),
                                headway_min=draw(headway), delay_h=draw(st.sampled_from([0, 0.7])), window=draw(window)),
                           link("w1", "water", "quay", draw(st.sampled_from(["exit_road", "exit_rail"])),
                                draw(st.integers(5, 80)), draw(st.integers(6, 15)), headway_min=draw(headway))]
        by_barge = draw(st.lists(st.sampled_from(CLASSES), min_size=1, unique=True))
        extra["modes"] = {"tracked": ["rail", "het"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail", "road"]}
        extra["modes"] = {c: (["barge", *m] if c in by_barge else m) for c, m in extra["modes"].items()}
        extra["pools"] = {"barges": draw(st.integers(1, 3))}
        extra["barge"] = {"load_h": draw(st.sampled_from([0, 2, 6])), "unload_h": draw(st.sampled_from([0, 1, 6])),
                          "max_wait_h": draw(st.sampled_from([2, 24]))}
        if draw(st.booleans()):
            extra["times"] = {**extra.get("times", {}), "barge_load": {"dist": "lognormal", "mean": 1, "sd": 0.5}}
    zero = draw(st.sampled_from(["", "", "berths", "paths"]))
    if zero:  # civil traffic first, keeping every berth or every rail path
        extra["civil_traffic"] = {"level": 1.0, "priority": "civil"}
        if zero == "berths":
            tables["seaports"] = [{**r, "civil_berths": r["berths"]} for r in tables["seaports"]]
        else:
            tables["links"] = [{**x, "capacity_trains_per_day": 10, "civil_trains_per_day": 10} if x["mode"] == "rail" else x
                               for x in tables["links"]]
    return tables, force, extra


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bound_cases())
def test_simulated_closure_never_below_the_bound(case: tuple[dict, dict, dict[str, Any]]) -> None:
    tables, force, extra = case
    plan = compile_or_skip(tables, force, extra)
    b = closure_bound(plan)  # never raises
    json_safe(b)
    closure = run_replication(plan).summary()["closure_h"]
    if closure is not None and plan.pieces:
        assert closure >= b.bound_h - 1e-6  # an infinite bound (a cut of no capacity) means it never closes


def test_bound_is_tight_for_a_berth_bottleneck(tmp_path: Path) -> None:
    # deterministic times, no windows, ample staging: 500 pieces through one berth at 10 an hour
    plan = tiny_plan(tmp_path, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 500}]})
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding.cut == ("berths@port",)
    assert b.bound_h == pytest.approx(499 / 10 + 150 / 60, rel=1e-9)  # (N - 1) / rate + least transit
    assert b.bound_h <= closure <= 1.03 * b.bound_h


def test_bound_is_tight_for_a_rail_path_bottleneck(tmp_path: Path) -> None:
    # one military path a day: ten full trains of 45 tracked pieces (720 m of 16 m wagons)
    from netkit import link

    net = tiny_network(tmp_path / "net", links=[link("r_port_stage", "road", "port", "stage", 50, 80),
                                                link("r_apod_stage", "road", "apod", "stage", 30, 80),
                                                link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
                                                link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=1)])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 450}]},
                    pools={"wagons": {"heavy_flat": 500}, "train_sets": 20},
                    rail={"out_of_gauge_blocks": False},  # a plain path bottleneck (wide loads also take the return path)
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    plan = compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding.name == "rail"
    assert b.binding.cut == ("paths@l_port_exit>",)
    assert b.bound_h <= closure <= 1.03 * b.bound_h


def test_bound_follows_capacity_on_the_cut(tmp_path: Path) -> None:
    from sim.variants import build_variant

    base = closure_bound(load_plan(builtin_scenario()))
    assert base.binding.cut == ("wagons:heavy_flat",)
    # twice the heavy flats: the wagon fleet's bound halves at most, and another resource may take over
    more = closure_bound(build_variant(builtin_scenario(), {"pools.wagons.heavy_flat": 240}))
    fleet = {b.name: b.bound_h for b in more.bounds}
    assert fleet["wagons:heavy_flat"] < base.bound_h
    assert more.bound_h <= base.bound_h
    # fewer: the bound grows
    fewer = closure_bound(build_variant(builtin_scenario(), {"pools.wagons.heavy_flat": 60}))
    assert fewer.bound_h > base.bound_h
    assert fewer.binding.cut == ("wagons:heavy_flat",)


# ---- regressions ------------------------------------------------------------------------------------------
def test_network_without_railheads_has_a_bound(tmp_path: Path) -> None:
    # tracked pieces go by HET, the rest by road: no railhead, no rail link (the bound took the longest train
    # over the railheads and failed on an empty network table)
    net = tiny_network(tmp_path / "net", railheads=[], links=road_links())
    plan = plan_on(net, scenario(net, forces=[{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road"],
                                               "ships": [{"port": "port", "at_h": 0}],
                                               "flights": [{"airfield": "apod", "at_h": 0, "pax": 100}]}]))
    assert {p.mode for p in plan.pieces} == {"het", "road"}
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding is not None
    assert json_safe(b)["bound_h"] > 0
    assert 0 < b.bound_h <= closure


def test_barge_fleet_bounds_a_barge_heavy_move(tmp_path: Path) -> None:
    # 300 tracked (share 0.05) and 300 containers (0.01) by two barges: 18 barge loads, nine round trips for one
    # barge of 6 h loading, 10 h out, 6 h unloading and 10 h back; the last load leaves 8 cycles after the first
    # is delivered 16 h in: 8 x 32 + 16 = 272 h. The berth alone gives 599 / 10 + 16 = 75.9 h.
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24),
             link("w_port_exit", "water", "port", "exit_road", 100, 10, headway_min=30)]
    net = tiny_network(tmp_path / "net", links=links)
    plan = plan_on(net, scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 300, "container": 300}]},
                                 modes={"tracked": ["barge"], "container": ["barge"]}, pools={"barges": 2},
                                 forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}]))
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding.name == "barges"
    assert b.binding.cut == ("barges",)
    assert b.bound_h == pytest.approx(272.0, abs=1e-4)
    cuts = max(x.bound_h for x in b.bounds if x.name in ("all modes", "barge"))
    assert cuts == pytest.approx(75.9)
    assert b.bound_h > 3 * cuts
    assert b.bound_h <= closure <= 1.03 * b.bound_h


def test_barge_cut_counts_loads_on_a_waterway(tmp_path: Path) -> None:
    # one barge entry every 12 h on the waterway, a fleet too large to bind: 20 tracked (share 0.05) and 100
    # containers (0.01) are two barge loads, so the second enters 12 h after the first: 12 + 1 h loading + 2 h
    # sailing = 15 h. Counted in pieces (100 containers could fill one barge) the waterway gives only 5.4 h.
    links = [*road_links(), link("w_port_exit", "water", "port", "exit_road", 20, 10, headway_min=720)]
    net = tiny_network(tmp_path / "net", links=links, railheads=[])
    plan = plan_on(net, scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 20, "container": 100}]},
                                 modes={"tracked": ["barge"], "container": ["barge"]}, pools={"barges": 10},
                                 barge={"load_h": 1, "unload_h": 1},
                                 forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}]))
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    loads = next(x for x in b.bounds if x.name == "barge loads")
    assert loads.cut == ("entry@w_port_exit>",)
    assert loads.bound_h == pytest.approx(15.0, abs=1e-6)
    assert next(x for x in b.bounds if x.name == "barge").bound_h == pytest.approx(5.4)
    assert b.bound_h >= loads.bound_h
    assert b.bound_h <= closure


@pytest.mark.parametrize("kept", ["berths", "paths"])
def test_a_cut_without_capacity_gives_an_infinite_bound(tmp_path: Path, kept: str) -> None:
    # civil traffic first keeps every berth (nothing is discharged) or every rail path (no train leaves)
    if kept == "berths":
        net = tiny_network(tmp_path / "net", seaports=[{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000,
                                                        "tech_check_h": 0, "civil_berths": 1}])
        data = scenario(net)
    else:
        net = tiny_network(tmp_path / "net", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24,
                                                                         capacity_trains_per_day=30, civil_trains_per_day=40)])
        data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 45}]},
                        forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    plan = plan_on(net, {**data, "civil_traffic": {"level": 1.0, "priority": "civil"}, "horizon_h": 500})
    b = closure_bound(plan)
    assert b.bound_h == math.inf
    assert not b.closes
    d = json_safe(b)
    assert d["bound_h"] is None
    assert "no capacity" in d["bound_by"]
    assert d["bound_cut"] == (["berths@port"] if kept == "berths" else ["paths@l_port_exit>"])
    assert run_replication(plan).summary()["closure_h"] is None


def test_run_command_reports_a_cut_without_capacity(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net", seaports=[{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000,
                                                    "tech_check_h": 0, "civil_berths": 1}])
    path = write_scenario(tmp_path / "s.yaml", {**scenario(net), "civil_traffic": {"level": 1.0, "priority": "civil"},
                                                 "horizon_h": 300})
    runner = CliRunner()
    as_json = runner.invoke(app, ["run", str(path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    summary = json.loads(as_json.stdout)
    assert summary["bound_h"] is None
    assert "no capacity" in summary["bound_by"]
    text = runner.invoke(app, ["run", str(path)])
    assert text.exit_code == 0, text.output
    assert "Lower bound from capacities: not closed, set by" in " ".join(text.stdout.split())


def test_latest_arrival_bound_is_json_safe(tmp_path: Path) -> None:
    # a late ship sets the bound: it has no rate, which the dict gives as None (not Infinity)
    plan = tiny_plan(tmp_path, forces=[{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road", "exit_rail"],
                                        "ships": [{"port": "port", "at_h": 900}],
                                        "flights": [{"airfield": "apod", "at_h": 0, "pax": 100}]}])
    b = closure_bound(plan)
    assert b.binding.name == "latest arrival"
    d = json_safe(b)
    assert d["bound_rate_per_day"] is None
    assert d["bound_h"] == pytest.approx(b.bound_h, abs=1e-4)


def test_compare_reports_a_variant_that_cannot_close(tmp_path: Path) -> None:
    # civil traffic keeps the only berth: the baseline's bound is None (never closes), a second berth frees one
    net = tiny_network(tmp_path / "net", seaports=[{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000,
                                                    "tech_check_h": 0, "civil_berths": 1}])
    berth = [{"name": "second_berth", "cost_eur": 50e6,
              "changes": [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]}]
    path = write_scenario(tmp_path / "s.yaml", {**scenario(net), "civil_traffic": {"level": 1.0, "priority": "civil"},
                                                 "horizon_h": 300, "custom_investments": berth})
    args = ["compare", str(path), "--investments", "second_berth", "--replications", "1", "--workers", "1"]
    runner = CliRunner()
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    bounds = {v["name"]: v["bound_h"] for v in json.loads(as_json.stdout)["variants"]}
    assert bounds["baseline"] is None
    assert bounds["second_berth"] > 0
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "never" in text.stdout
