"""Units that close: a unit closes when its critical equipment and all its personnel have crossed its exit; it is
judged against its required delivery date (RDD); a force's combat power closes when its units have."""

from pathlib import Path

import pytest
from netkit import scenario, tiny_network

from sim.closure import timing
from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

MODES = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}


def run_unit(tmp_path: Path, rdd_h: float | None = None, closure: dict | None = None):
    """One unit: 4 tracked vehicles and 3 containers by rail (one container wagon, which carries two
    containers), 40 persons by air and bus."""
    net = tiny_network(tmp_path / "net")
    force = {"id": "f", "template": "t", "exits": ["exit_rail", "exit_road"], "ships": [{"port": "port", "at_h": 0}],
             "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}]}
    if rdd_h is not None:
        force["rdd_h"] = rdd_h
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 40, "tracked": 4, "container": 3}]},
                    forces=[force], modes=MODES, pools={"wagons": {"heavy_flat": 10, "flat": 10, "container_flat": 1}})
    if closure is not None:
        data["unit_closure"] = closure
    return run_replication(compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net))


def test_a_unit_closes_with_its_combat_power_while_a_container_waits(tmp_path):
    r = run_unit(tmp_path)
    u = r.units().iloc[0]
    # pieces are discharged at 0.1 h each; the first train takes the 4 tracked vehicles and the 2 containers its
    # one container wagon holds (the last of them discharged at 0.6 h), loads 4 h and runs 2 h: over the border at
    # 6.6 h. The wagon is back at 9.6 h (1 h unloading, 2 h back); the third container's train leaves at 13.6 h
    # and crosses at 15.6 h, after waiting from 0.7 h to 9.6 h for the wagon. The 40 persons clear the terminal
    # in 0.04 h and ride 130 km at 80 km/h: in at 1.665 h
    assert (u["pieces"], u["critical"], u["personnel"]) == (7, 4, 40)
    assert u["equipment_h"] == pytest.approx(6.6)
    assert u["personnel_h"] == pytest.approx(1.665)
    assert u["closed_h"] == pytest.approx(6.6)  # the container still on its way does not hold the unit back
    assert u["last_piece_h"] == pytest.approx(15.6)
    assert u["waited_longest_for"] == "container flat wagons"
    assert u["waited_h"] == pytest.approx(8.9)
    s = r.summary()
    b = s["brigades"]["f"]
    assert b["closure_h"] == pytest.approx(15.6)  # the last piece
    assert b["combat_power_closure_h"] == pytest.approx(6.6)
    assert b["containers_closure_h"] == pytest.approx(15.6)
    assert (b["units"], b["units_closed"]) == (1, 1)
    assert s["late_units"] == 0
    assert s["units"][0]["timing"] == ""  # no RDD given


def test_critical_classes_and_share_decide_when_a_unit_closes(tmp_path):
    everything = run_unit(tmp_path / "a", closure={"critical_classes": ["tracked", "container"]}).units().iloc[0]
    assert everything["closed_h"] == pytest.approx(15.6)  # now it waits for its last container
    half = run_unit(tmp_path / "b", closure={"critical_classes": ["tracked", "container"], "critical_share": 0.5})
    assert half.units().iloc[0]["closed_h"] == pytest.approx(6.6)  # 4 of its 7 critical pieces are in at 6.6 h


@pytest.mark.parametrize(("rdd", "late", "said"), [(6.6, 0.0, "on time"), (1.6, 5.0, "late"), (40.0, 0.0, "early")])
def test_a_unit_against_its_required_delivery_date(tmp_path, rdd, late, said):
    r = run_unit(tmp_path, rdd_h=rdd)
    u = r.units().iloc[0]
    assert u["late_h"] == pytest.approx(late)
    assert u["timing"] == said
    assert r.summary()["late_units"] == (1 if said == "late" else 0)


def test_timing_words():
    assert timing(None, 10.0, 24.0) == "not closed"
    assert timing(5.0, None, 24.0) == ""
    assert timing(10.0, 10.0, 24.0) == "on time"
    assert timing(10.000001, 10.0, 24.0) == "late"
    assert timing(-14.0, 10.0, 24.0) == "on time"  # exactly a day before
    assert timing(-14.1, 10.0, 24.0) == "early"


def test_a_unit_whose_critical_equipment_is_not_all_in_has_not_closed(tmp_path):
    net = tiny_network(tmp_path / "net")
    force = {"id": "f", "template": "t", "exits": ["exit_rail", "exit_road"], "ships": [{"port": "port", "at_h": 0}],
             "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}]}
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 40, "tracked": 4, "container": 3}]},
                    forces=[force], modes=MODES, horizon_h=5.0)  # the train crosses at 6.6 h: after the horizon
    r = run_replication(compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net))
    u = r.units().iloc[0]
    assert u["equipment_h"] is None or u["equipment_h"] != u["equipment_h"]  # None (NaN in the frame)
    assert u["timing"] == "not closed"
    s = r.summary()
    assert s["units"][0]["closed_h"] is None
    b = s["brigades"]["f"]
    assert (b["combat_power_closure_h"], b["units_closed_50_h"], b["units_closed"]) == (None, None, 0)
