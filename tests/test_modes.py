"""Each mode of onward movement on a tiny network, and the accounting when the horizon cuts a run short."""

import pytest
from netkit import link, node, scenario, tiny_network, tiny_nodes

from sim.errors import InputError
from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

WATER_NODES = [*tiny_nodes(), node("exit_water", "exit", 50.8, 5.7)]
WATER_LINKS = [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
               link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
               link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24),
               link("w_port_exit", "water", "port", "exit_water", 120, 10, delay_h=2)]


def run_tiny(tmp_path, net_tables=None, **kw):
    net = tiny_network(tmp_path / "net", **(net_tables or {}))
    plan = compile_plan(parse_scenario(scenario(net, **kw), "t.yaml"), "t.yaml", net)
    return plan, run_replication(plan)


def test_tracked_go_by_het_when_rail_is_closed(tmp_path):
    plan, r = run_tiny(tmp_path, corridors={"out_of_service": ["l_port_exit"]}, pools={"hets": 3},
                       templates={"t": [{"unit": "a", "personnel": 0, "tracked": 7}]},
                       forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}])
    assert {p.mode for p in plan.pieces} == {"het"}
    s = r.summary()
    assert s["pieces"]["delivered"] == 7
    het = r.usage[r.usage["resource"] == "hets"]
    assert len(het) == 7
    assert het["amount"].sum() == 7
    # only 3 HETs: at most 3 tracked pieces are ever on HETs at once, so some wait for a returning HET
    q = r.queue_series("hets")
    assert q["in_use"].max() == 3
    assert (het["t_grant"] > het["t_request"]).sum() == 4


def test_barge_on_the_canal(tmp_path):
    plan, r = run_tiny(tmp_path, {"nodes": WATER_NODES, "links": WATER_LINKS}, modes={"container": ["barge"]},
                       templates={"t": [{"unit": "a", "personnel": 0, "container": 150}]},
                       forces=[{"id": "f", "template": "t", "exits": ["exit_water"], "ships": [{"port": "port", "at_h": 0}]}])
    assert {p.mode for p in plan.pieces} == {"barge"}
    d = r.pieces["delivered_h"]
    assert d.notna().all()
    # a barge takes 100 containers (share 0.01): two barge loads; each: load 6 h, 120 km at 10 km/h plus 2 h locks
    barges = r.usage[r.usage["resource"] == "barges"]
    assert len(barges) == 2
    assert d.min() == pytest.approx(100 / 10 + 6 + 12 + 2)


def test_helicopters_reassemble_and_fly(tmp_path):
    plan, r = run_tiny(tmp_path, pools={"reassembly_teams": 2},
                       templates={"t": [{"unit": "a", "personnel": 0, "helicopter": 4}]},
                       forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}])
    assert {p.mode for p in plan.pieces} == {"air"}
    t = sorted(r.pieces["delivered_h"])
    flight = plan.pieces[0].air_km / 220
    # two teams, 8 h each: two pairs, the second pair 8 h after the first
    assert t[1] - t[0] == pytest.approx(0.1, abs=1e-6)
    assert t[2] - t[0] == pytest.approx(8.0, abs=0.11)
    assert t[0] == pytest.approx(0.1 + 8 + flight, abs=1e-6)  # discharge, reassembly (no check at this port), flight


def test_airlifted_pieces_and_personnel_without_staging(tmp_path):
    _, r = run_tiny(tmp_path, templates={"t": [{"unit": "a", "personnel": 120, "wheeled": 3}]},
                       forces=[{"id": "f", "template": "t", "exits": ["exit_road"],
                                "flights": [{"airfield": "apod", "at_h": 1, "count": 3, "every_h": 2, "pax": 50, "pieces": 1}]}])
    s = r.summary()
    assert s["pieces"]["delivered"] == 3
    assert s["personnel"]["delivered"] == 120
    assert r.pieces["entry"].eq("apod").all()
    assert sorted(r.pieces["entered_h"]) == [1.0, 3.0, 5.0]


def test_horizon_cut_reports_where_everything_waits(tmp_path):
    _, r = run_tiny(tmp_path, horizon_h=3,
                       templates={"t": [{"unit": "a", "personnel": 40, "tracked": 4, "wheeled": 6}]},
                       forces=[{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road", "exit_rail"],
                                "ships": [{"port": "port", "at_h": 0}, {"port": "port", "at_h": 10, "pieces": 0}][:1],
                                "flights": [{"airfield": "apod", "at_h": 0, "pax": 100}]}])
    s = r.summary()
    assert s["closure_h"] is None
    p, q = s["pieces"], s["personnel"]
    assert p["entered"] == p["delivered"] + p["in_system"]
    assert p["planned"] == p["entered"] + p["not_arrived"]
    assert q["entered"] == q["delivered"] + q["in_system"]
    waiting = sum(w["count"] for w in s["waiting"] if w["kind"] == "pieces")
    assert waiting == p["in_system"] + p["not_arrived"]
    assert waiting > 0
    assert all(w["status"] and w["node"] for w in s["waiting"] if w["kind"] == "pieces")


def test_unit_larger_than_its_staging_area_is_refused(tmp_path):
    net = tiny_network(tmp_path / "net", staging=[{"node": "stage", "role": "staging", "vehicle_spaces": 5, "beds": 10, "prep_h": 0}])
    with pytest.raises(InputError) as exc:
        compile_plan(parse_scenario(scenario(net), "t.yaml"), "t.yaml", net)
    text = str(exc.value)
    assert "6 road pieces but the staging area has 5 vehicle spaces" in text
    assert "40 persons but the staging area has 10 beds" in text


def test_rail_exit_need_not_be_a_railhead(tmp_path):
    # a border crossing without unloading ramps is still a rail exit; pieces load at the port's railhead
    plan, r = run_tiny(tmp_path, {"railheads": [{"node": "port", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}]},
                       templates={"t": [{"unit": "a", "personnel": 0, "tracked": 4}]},
                       forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    assert {(p.mode, p.railhead, p.exit) for p in plan.pieces} == {("rail", "port", "exit_rail")}
    assert r.summary()["closure_h"] == pytest.approx(6.4)


def test_units_admitted_whole_never_deadlock_on_beds_and_spaces(tmp_path):
    # unit a's people arrive first, unit b's vehicles first; each alone fills the staging area. Taking beds
    # and spaces separately, a would hold the beds waiting for spaces and b the spaces waiting for beds.
    net = tiny_network(tmp_path / "net", staging=[{"node": "stage", "role": "staging", "vehicle_spaces": 10, "beds": 100, "prep_h": 0}])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 100, "wheeled": 10}, {"unit": "b", "personnel": 100, "wheeled": 10}]})
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 50, "pieces": 10}, {"port": "port", "at_h": 0, "pieces": 10}]
    data["forces"][0]["flights"] = [{"airfield": "apod", "at_h": 0, "pax": 100}, {"airfield": "apod", "at_h": 60, "pax": 100}]
    plan = compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)
    s = run_replication(plan).summary()
    assert s["closure_h"] is not None
    assert s["waiting"] == []
    assert s["pieces"]["delivered"] == 20
    assert s["personnel"]["delivered"] == 200


@pytest.mark.parametrize("horizon", [3.0, 2000.0])
def test_outstanding_counter_equals_a_recount(tmp_path, horizon):
    from sim.ledger import DELIVERED
    from sim.model import Model

    net = tiny_network(tmp_path / "net")
    plan = compile_plan(parse_scenario(scenario(net, horizon_h=horizon), "t.yaml"), "t.yaml", net)
    m = Model(plan)
    m.run()
    led = m.ledger
    recount = sum(st != DELIVERED for st in led.status) + sum(n for k, n in led.pax.items() if k[2] != DELIVERED)
    assert m.outstanding == recount
    assert (recount > 0) == (horizon < 10)
