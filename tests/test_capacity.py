"""Capacity never hurts: more wagons, locomotives, train paths, ramps or berths never lengthen closure, on
small random networks (deterministic times, so any lengthening is the model's) and, as a slow test, on the
built-in scenario within the 95 % interval of the paired difference (experiments/capacity.py)."""

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netkit import link, node, road_links, scenario, tiny_network, tiny_nodes

from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

RAIL = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}


def closure(folder: Path, p: dict) -> float:
    nodes = [*tiny_nodes(), node("mid", "junction", 51.0, 5.0),
             node("yard", "yard", 51.3, 4.4)]
    links = [*road_links(), link("l_port_mid", "rail", "port", "mid", 40, 50, paths_per_day=p["paths_a"]),
             link("l_mid_exit", "rail", "mid", "exit_rail", 60, 50, paths_per_day=p["paths_b"]),
             link("l_yard_port", "rail", "yard", "port", 30, 50, paths_per_day=24)]
    net = tiny_network(folder / "net", nodes=nodes, links=links,
                       seaports=[{"node": "port", "berths": p["berths"], "discharge_pph": 10, "marshalling_spaces": 2000,
                                  "tech_check_h": 0}],
                       railheads=[{"node": "port", "ramps": p["ramps"], "load_h": 4, "unload_h": 1, "max_train_m": 400},
                                  {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}])
    units = [{"unit": f"u{k}", "personnel": 0, "tracked": p["tracked"], "container": p["containers"]} for k in range(p["units"])]
    data = scenario(net, templates={"t": units}, horizon_h=17000,
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "modes": RAIL,
                             "ships": [{"port": "port", "at_h": 24.0 * k} for k in range(p["ships"])]}],
                    pools={"wagons": {"heavy_flat": p["heavy"], "container_flat": p["cont"]}, "train_sets": p["sets"]},
                    rail={"yards": {"heavy_flat": "yard", "container_flat": "yard", "train_sets": "yard"},
                          "far_ends": {"exit_rail": {"transit_h": p["far"], "turnaround_h": 4}},
                          "allocation_every_h": p["every"], "path_lead_h": p["lead"], "positioning_h": 1})
    plan = compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)
    s = run_replication(plan).summary()
    assert s["closure_h"] is not None
    return float(s["closure_h"])


params = st.fixed_dictionaries({
    "paths_a": st.integers(1, 8), "paths_b": st.integers(1, 8), "berths": st.integers(1, 2), "ramps": st.integers(1, 2),
    "tracked": st.integers(1, 30), "containers": st.integers(0, 20), "units": st.integers(1, 3), "ships": st.integers(1, 2),
    "heavy": st.integers(15, 40), "cont": st.integers(10, 30), "sets": st.integers(1, 3), "far": st.sampled_from([0, 12, 36]),
    "every": st.sampled_from([0, 24]), "lead": st.sampled_from([0, 12])})
MORE = {"paths_a": 2, "paths_b": 2, "berths": 1, "ramps": 1, "heavy": 10, "cont": 10, "sets": 1}


# derandomized, as the other property tests: the same 25 examples on every machine and in every CI run, so that
# a failure is the same failure everywhere (a random draw found the known defect below in one run of the
# README's test command and passed in the next)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=params, what=st.sampled_from(sorted(MORE)))
def test_more_capacity_never_lengthens_closure(tmp_path_factory, p, what):
    folder = tmp_path_factory.mktemp("cap")
    base = closure(folder / "base", p)
    more = closure(folder / "more", {**p, what: p[what] + MORE[what]})
    # the one real mechanism by which more wagons can delay: a train may now be longer, so it fills later (it
    # waits for up to MORE[what] more pieces, discharged at 10 an hour at the one berth that brings them)
    allowance = MORE[what] / 10.0 if what in ("heavy", "cont") else 0.0
    assert more <= base + allowance + 1e-6, f"{what} +{MORE[what]}: closure {base:.3f} -> {more:.3f} h"


KNOWN_DEFECT = {"paths_a": 3, "paths_b": 3, "berths": 1, "ramps": 1, "tracked": 2, "containers": 0, "units": 3,
                "ships": 2, "heavy": 15, "cont": 10, "sets": 3, "far": 0, "every": 0, "lead": 0}


@pytest.mark.xfail(strict=True, reason="known model defect: an empty train's return books its paths first come, "
                                       "first served, and holds back a loaded out-of-gauge train that asks later")
def test_an_empty_return_does_not_hold_back_a_loaded_train(tmp_path):
    """A counterexample to capacity never hurts, found by a random draw of the test above: one more path a day on
    the first line (3 -> 4, an entry every 6 h instead of 8 h) lengthens closure from 41.8 to 47.8 h.

    With 4 paths the second train runs 2 h sooner, so its empty wagons reach the far end at 27.8 h and book
    their way back (the second line at 38.6 h) 0.3 h before the last loaded train asks for its paths (28.1 h).
    That train is out of gauge: it takes the other direction's path as well, so it must keep 8 h from the empty
    return on the second line and leaves at 45.8 h instead of 39.8 h. With 3 paths the empty wagons arrive at
    29.8 h, after the loaded train has booked, and go back behind it. A path planner would plan an empty return
    around a loaded military train; the model books paths first come, first served among trains of one
    priority, and lacks that rule. Strict: once the rule is there this test fails and becomes a plain test."""
    base = closure(tmp_path / "base", KNOWN_DEFECT)
    more = closure(tmp_path / "more", {**KNOWN_DEFECT, "paths_a": KNOWN_DEFECT["paths_a"] + 1})
    assert more <= base + 1e-6, f"paths_a +1: closure {base:.3f} -> {more:.3f} h"


@pytest.mark.slow
def test_capacity_never_hurts_on_the_builtin_scenario():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    import capacity

    table = capacity.sweep({"pools.wagons.heavy_flat": [120, 240], "pools.train_sets": [10, 20],
                            "corridor.L27A.paths_per_day": [4, 8], "railheads.antwerp_aet.ramps": [2, 4],
                            "seaports.antwerp_aet.berths": [2, 3]},
                           replications=3, workers=None, out=None)
    assert not table["hurts"].any(), table[table["hurts"]].to_string()
