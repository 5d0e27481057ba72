"""Exact, deterministic timelines: a convoy along a corridor and one train from loading to unloading."""

from pathlib import Path

import pytest
from netkit import link, node, scenario, tiny_network, tiny_nodes

from sim.model import Model
from sim.movement import halt_time, march
from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario


def plan_for(tmp_path: Path, net_tables: dict | None = None, **kw):
    net = tiny_network(tmp_path / "net", **(net_tables or {}))
    data = scenario(net, **kw)
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)


def test_halt_time_rules():
    # 15 min after the first hour, then 10 min every further 2 h; a halt due exactly at arrival is not taken
    args = (1.0, 0.25, 2.0, 1 / 6)
    assert halt_time(0.5, *args) == 0.0
    assert halt_time(1.0, *args) == 0.0
    assert halt_time(2.9, *args) == 0.25
    assert halt_time(3.0, *args) == 0.25
    assert halt_time(3.5, *args) == pytest.approx(0.25 + 1 / 6)
    assert halt_time(7.5, *args) == pytest.approx(0.25 + 3 / 6)


def test_convoy_time_along_a_corridor_is_length_over_speed_plus_halts(tmp_path):
    plan = plan_for(tmp_path)
    m = Model(plan)
    route = plan.router.route("road", "port", "exit_road", 60.0)  # 50 km + 100 km at min(80, 60) km/h
    assert [leg.link for leg in route] == ["r_port_stage", "r_stage_exit"]
    out = {}

    def go():
        out["times"] = yield from march(m.world, 20, route, 60.0)

    m.env.process(go())
    m.env.run()
    drive = 150 / 60  # 2.5 h
    gap = 0.075 / 60  # 75 m at 60 km/h, in hours
    assert out["times"][0] == pytest.approx(drive + 0.25)
    assert out["times"] == pytest.approx([drive + 0.25 + i * gap for i in range(20)])
    assert m.env.now == pytest.approx(out["times"][-1])


def test_convoy_waits_for_its_window_and_headway(tmp_path):
    links = [link("r_port_stage", "road", "port", "stage", 60, 60, window="21:00-05:00", headway_min=30),
             link("r_apod_stage", "road", "apod", "stage", 30, 80), link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)]
    plan = plan_for(tmp_path, {"links": links}, start_clock_h=12)  # t = 0 is noon
    m = Model(plan)
    route = plan.router.route("road", "port", "stage", 60.0)
    log = []

    def serial(name):
        times = yield from march(m.world, 1, route, 60.0)
        log.append((name, round(times[0], 6)))

    m.env.process(serial("a"))
    m.env.process(serial("b"))
    m.env.run()
    # both wait 9 h for 21:00; the second enters one headway (0.5 h) later; 1 h of driving, no halt owed
    assert log == [("a", 10.0), ("b", 10.5)]


def test_one_train_from_loading_to_unloading_and_back(tmp_path):
    plan = plan_for(tmp_path, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 4}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    r = run_replication(plan)
    mv = r.moves[r.moves["kind"] == "piece"]
    log = [(row.stage, row.id, round(row.t_in, 6), round(row.t_start, 6), round(row.t_end, 6))
           for row in mv.sort_values(["t_start", "stage", "id"]).itertuples()]
    # discharge at 10 pieces/h; the train forms when the last expected piece arrives (0.4 h), loads 4 h at the
    # ramp, takes the first of 24 paths a day, runs 100 km at 50 km/h and crosses the exit at 6.4 h
    assert log == [
        ("discharge", 0, 0.0, 0.0, 0.1), ("discharge", 1, 0.1, 0.1, 0.2), ("discharge", 2, 0.2, 0.2, 0.3),
        ("discharge", 3, 0.3, 0.3, 0.4),
        ("rail_load", 0, 0.1, 0.4, 4.4), ("rail_load", 1, 0.2, 0.4, 4.4), ("rail_load", 2, 0.3, 0.4, 4.4),
        ("rail_load", 3, 0.4, 0.4, 4.4),
        ("rail", 0, 4.4, 4.4, 6.4), ("rail", 1, 4.4, 4.4, 6.4), ("rail", 2, 4.4, 4.4, 6.4), ("rail", 3, 4.4, 4.4, 6.4),
    ]
    use = r.usage.set_index("resource")
    # 4 heavy flats held from formation until the empty train is back: unload 1 h, 2 h back
    assert tuple(use.loc["wagons:heavy_flat", ["t_request", "t_grant", "t_release", "amount"]].round(6)) == (0.4, 0.4, 9.4, 4.0)
    assert tuple(use.loc["ramps@exit_rail", ["t_grant", "t_release"]].round(6)) == (6.4, 7.4)
    assert r.summary()["closure_h"] == pytest.approx(6.4)


def test_train_waits_for_the_next_path(tmp_path):
    links = [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=2)]
    plan = plan_for(tmp_path, {"links": links},
                    templates={"t": [{"unit": "a", "personnel": 0, "tracked": 80}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}])
    r = run_replication(plan)
    paths = r.usage[r.usage["resource"] == "paths@l_port_exit>"].sort_values("t_grant")
    # two paths a day: departures at least 12 h apart
    gaps = paths["t_grant"].diff().dropna()
    assert len(paths) >= 2
    assert (gaps >= 12 - 1e-9).all()


def test_zero_capacity_node_out_of_service_is_not_routed(tmp_path):
    nodes = tiny_nodes()
    plan = plan_for(tmp_path, {"nodes": nodes}, corridors={"out_of_service": ["l_port_exit"]},
                    modes={"tracked": ["rail", "het"], "wheeled": ["road"]})
    assert {p.mode for p in plan.pieces if p.cls == "tracked"} == {"het"}


def test_a_serial_follows_a_detour_shorter_than_its_planned_route(tmp_path):
    # planned: stage -> j1 -> j2 -> exit_road (3 legs, 3 h); at j1 the link to j2 is closed for 100 h, and the
    # way round is the direct j1 -> exit_road link (1 leg, 4 h): the rest of the route shrinks from 2 legs to 1

    nodes = [node("port", "seaport"), node("apod", "airfield"), node("stage", "staging"), node("j1", "junction"),
             node("j2", "junction"), node("exit_road", "exit"), node("exit_rail", "exit")]
    links = [link("r_port_stage", "road", "port", "stage", 60, 60), link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_j1", "road", "stage", "j1", 60, 60), link("r_j1_j2", "road", "j1", "j2", 60, 60),
             link("r_j2_exit", "road", "j2", "exit_road", 60, 60), link("r_j1_exit", "road", "j1", "exit_road", 240, 60),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)]
    plan = plan_for(tmp_path, {"nodes": nodes, "links": links},
                    disruptions={"events": [{"kind": "sabotage", "target": "r_j1_j2", "at_h": 0.5, "duration_h": 100}]})
    m = Model(plan)
    route = plan.router.route("road", "stage", "exit_road", 60.0)
    assert [leg.link for leg in route] == ["r_stage_j1", "r_j1_j2", "r_j2_exit"]
    out = {}

    def go():
        out["times"] = yield from march(m.world, 1, route, 60.0)

    m.env.process(go())
    m.env.run()
    assert out["times"] == pytest.approx([1.0 + 4.0 + 0.25 + 1 / 6])  # 5 h driven: first halt after 1 h, one more
    assert [r[4] for r in m.world.reroutes] == ["r_j1_exit"]
