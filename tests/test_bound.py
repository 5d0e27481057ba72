"""The analytic lower bound on closure: never above the simulated closure, and tight where theory says so."""

import pytest
from hypothesis import HealthCheck, given, settings
from netkit import scenario, tiny_network
from test_properties import LONG_HORIZON, cases, compile_or_skip

from sim.bound import closure_bound
from sim.paths import builtin_scenario
from sim.plan import compile_plan, load_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario


def tiny_plan(tmp_path, **kw):
    net = tiny_network(tmp_path / "net")
    return compile_plan(parse_scenario(scenario(net, **kw), "t.yaml"), "t.yaml", net)


def test_builtin_closure_is_not_below_the_bound():
    plan = load_plan(builtin_scenario())
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.bound_h > 0 and b.binding is not None and b.binding.cut
    assert closure >= b.bound_h


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_simulated_closure_never_below_the_bound(case):
    tables, force, extra = case
    extra = {**extra, "horizon_h": LONG_HORIZON}
    plan = compile_or_skip(tables, force, extra)
    closure = run_replication(plan).summary()["closure_h"]
    if closure is not None and plan.pieces:
        assert closure >= closure_bound(plan).bound_h - 1e-6


def test_bound_is_tight_for_a_berth_bottleneck(tmp_path):
    # deterministic times, no windows, ample staging: 500 pieces through one berth at 10 an hour
    plan = tiny_plan(tmp_path, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 500}]})
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding.cut == ("berths@port",)
    assert b.bound_h == pytest.approx(499 / 10 + 150 / 60, rel=1e-9)  # (N - 1) / rate + least transit
    assert b.bound_h <= closure <= 1.03 * b.bound_h


def test_bound_is_tight_for_a_rail_path_bottleneck(tmp_path):
    # one military path a day: ten full trains of 45 tracked pieces (720 m of 16 m wagons)
    from netkit import link

    net = tiny_network(tmp_path / "net", links=[link("r_port_stage", "road", "port", "stage", 50, 80),
                                                link("r_apod_stage", "road", "apod", "stage", 30, 80),
                                                link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
                                                link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=1)])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 450}]},
                    pools={"wagons": {"heavy_flat": 500}, "train_sets": 20},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    plan = compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)
    b = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert b.binding.name == "rail" and b.binding.cut == ("paths@l_port_exit>",)
    assert b.bound_h <= closure <= 1.03 * b.bound_h


def test_bound_follows_capacity_on_the_cut(tmp_path):
    from sim.variants import build_variant

    base = closure_bound(load_plan(builtin_scenario()))
    assert base.binding.cut == ("paths@l_hasselt_tongeren>",)
    # more paths on the cut alone: the next cut of equal capacity (Antwerpen-Noord - Lier) takes over
    moved = closure_bound(build_variant(builtin_scenario(), {"corridor.L34.paths_per_day": 12}))
    assert moved.binding.cut == ("paths@l_antwerp_noord_lier>",) and moved.bound_h == pytest.approx(base.bound_h)
    # more paths on both: the bound drops
    more = closure_bound(build_variant(builtin_scenario(), {"corridor.L34.paths_per_day": 12, "corridor.L24.paths_per_day": 12,
                                                            "links.l_antwerp_noord_lier.paths_per_day": 12}))
    assert more.bound_h < base.bound_h
