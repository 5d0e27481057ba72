"""Onward movement by rail as it runs: rolling stock positioned from yards, train paths booked end to end and
allocated by priority, lead times, through runs beyond the border and the empty return."""

import itertools
from pathlib import Path

import pytest
from netkit import link, node, road_links, scenario, tiny_network, tiny_nodes

from sim.bound import closure_bound
from sim.model import Model
from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

RAIL_ONLY = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}


def plan_for(tmp_path: Path, net_tables: dict | None = None, rail: dict | None = None, **kw):
    net = tiny_network(tmp_path / "net", **(net_tables or {}))
    data = scenario(net, **kw)
    if rail:
        data["rail"] = rail
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)


def with_yard(km: float = 50.0) -> dict:
    """The tiny network with a yard 50 km (1 h at 50 km/h) from the port by rail."""
    nodes = [*tiny_nodes(), node("yard", "yard", 51.3, 4.4)]
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24),
             link("l_yard_port", "rail", "yard", "port", km, 50, paths_per_day=24)]
    return {"nodes": nodes, "links": links}


ONE_UNIT = {"t": [{"unit": "a", "personnel": 0, "tracked": 4}]}
ONE_FORCE = [{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]


def test_one_train_from_the_yard_through_the_far_end_and_back(tmp_path):
    rail = {"yards": {"heavy_flat": "yard", "flat": "yard", "container_flat": "yard", "train_sets": "yard"},
            "positioning_h": 0.5, "far_ends": {"exit_rail": {"transit_h": 10, "turnaround_h": 2}}}
    plan = plan_for(tmp_path, with_yard(), rail, templates=ONE_UNIT, forces=ONE_FORCE)
    r = run_replication(plan)
    mv = r.moves[r.moves["kind"] == "piece"]
    log = [(row.stage, row.id, round(row.t_in, 6), round(row.t_start, 6), round(row.t_end, 6))
           for row in mv[mv["stage"].isin(["rail_load", "rail"])].sort_values(["t_start", "stage", "id"]).itertuples()]
    # the train forms at 0.4 h (last piece discharged); its stock comes from the yard: 1 h running plus 0.5 h
    # positioning, so loading starts at 1.9 h and ends at 5.9 h; the path (24 a day, free) is booked for 5.9 h;
    # 100 km at 50 km/h: the exit is crossed at 7.9 h
    assert log == [("rail_load", i, round(0.1 * (i + 1), 6), 1.9, 5.9) for i in range(4)] + \
                  [("rail", i, 5.9, 5.9, 7.9) for i in range(4)]
    tr = r.trains.iloc[0]
    assert (tr["t_stock"], tr["t_positioned"], tr["t_loaded"], tr["t_depart"], tr["t_exit"]) == pytest.approx(
        (0.4, 1.9, 5.9, 5.9, 7.9))
    assert r.summary()["closure_h"] == pytest.approx(7.9)
    assert "ramps@exit_rail" not in set(r.usage["resource"])  # unloaded at the far end, not at the exit
    # the run ends when everything is delivered; run on to see the stock come back
    m = Model(plan)
    m.start()
    m.env.run(until=48)
    tr = m.world.trains[0]
    # beyond the border: 10 h there, 2 h turnaround, 10 h back to the exit (29.9 h), 2 h back to the railhead
    assert tr["t_far_back"] == pytest.approx(29.9)
    assert tr["t_back"] == pytest.approx(31.9)
    wagons = [u for u in m.world.log if u[0] == "wagons:heavy_flat"]
    # 4 heavy flats (one tracked vehicle each, by the class's wagon share) held from 0.4 h until back at 31.9 h
    assert [tuple(round(x, 6) for x in u[1:5]) for u in wagons] == [(0.4, 0.4, 31.9, 4.0)]
    assert m.world.stock.at["port"] == {"heavy_flat": 4, "train_set": 1}  # the stock now stands at the railhead
    assert m.world.stock.at["yard"]["heavy_flat"] == 116


def test_the_first_train_leaves_no_earlier_than_the_lead_times(tmp_path):
    rail = {"start_h": 30, "allocation_every_h": 24, "path_lead_h": 12}
    plan = plan_for(tmp_path, None, rail, templates=ONE_UNIT, forces=ONE_FORCE)
    r = run_replication(plan)
    tr = r.trains.iloc[0]
    # nothing moves before 30 h; loading 30-34 h; the path is allocated at the round of 48 h for 12 h later
    assert tr["t_positioned"] == pytest.approx(30.0)
    assert tr["t_loaded"] == pytest.approx(34.0)
    assert tr["t_depart"] == pytest.approx(60.0)
    assert r.summary()["rail"]["forces"]["f"]["first_train_after_first_discharge_h"] == pytest.approx(60.0)


def two_lines() -> dict:
    """The rail route port -> mid -> exit_rail: 24 paths a day, then 3 a day."""
    nodes = [*tiny_nodes(), node("mid", "junction", 51.0, 5.0)]
    links = [*road_links(), link("l_port_mid", "rail", "port", "mid", 50, 50, paths_per_day=24),
             link("l_mid_exit", "rail", "mid", "exit_rail", 50, 50, paths_per_day=3)]
    return {"nodes": nodes, "links": links}


def test_no_train_waits_on_a_line_for_a_path(tmp_path):
    plan = plan_for(tmp_path, two_lines(), None, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 200}]},
                    forces=ONE_FORCE)
    m = Model(plan)
    r = m.run()
    legs = m.world.train_legs
    assert len(legs) >= 10
    # every train enters every line at the time its path was booked for
    assert all(booked == pytest.approx(actual) for _, _, booked, actual in legs)
    # and the paths on the thin line are 8 h apart
    entries = sorted(actual for _, key, _, actual in legs if key.startswith("l_mid_exit") and key.endswith(">"))
    assert min(b - a for a, b in itertools.pairwise(entries)) >= 8 - 1e-9
    # a train leaves the railhead only when the thin line has a path for it when it gets there (1 h later)
    dep = r.trains["t_depart"].dropna().sort_values().to_numpy()
    assert sorted(e - 1.0 for e in entries) == pytest.approx(list(dep))


def test_paths_are_allocated_by_priority_then_request_time(tmp_path):
    rail = {"allocation_every_h": 24}
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=1)]
    forces = [{"id": "low", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}], "priority": 2},
              {"id": "high", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 2}], "priority": 1}]
    plan = plan_for(tmp_path, {"links": links}, rail, templates=ONE_UNIT, forces=forces)
    r = run_replication(plan)
    dep = r.trains.set_index("force")["t_depart"]
    # both request before the round at 24 h; the later but higher-priority request gets the first path
    assert dep["high"] < dep["low"]
    assert dep["low"] - dep["high"] == pytest.approx(24.0)


def test_a_piece_takes_the_road_when_its_rail_wait_would_be_too_long(tmp_path):
    rail = {"switch_after_h": {"container": 24}}
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=0.5),
             link("r_port_exit", "road", "port", "exit_rail", 100, 80)]
    modes = {**RAIL_ONLY, "container": ["rail", "road"]}
    plan = plan_for(tmp_path, {"links": links}, rail, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 60, "container": 60}]},
                    forces=[{**ONE_FORCE[0], "modes": modes}])
    r = run_replication(plan)
    p = r.pieces
    assert (p["status"] == "delivered").all()
    moved = p[p["mode"] == "road"]
    assert set(moved["cls"]) == {"container"}  # tracked have no road in their rules: they wait for trains
    assert len(moved) > 0
    assert set(r.diversions["disruption"]) == {"rail wait"}


def test_a_tank_train_is_cut_by_mass_before_length(tmp_path):
    # Leopard 2 battle tanks (63.9 t) one to a heavy flat (16 m, 24.7 t): a 740 m line takes 45 wagons by length,
    # but a 1,700 t line less a 90 t locomotive takes floor(1,610 / 88.6) = 18 of them by mass
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24, max_train_t=1700)]
    modes = {**RAIL_ONLY, "container": ["road"]}
    plan = plan_for(tmp_path, {"links": links}, None, templates={},
                    forces=[{"id": "f", "template": "eu_armoured", "exits": ["exit_rail", "exit_road"], "modes": modes,
                             "ships": [{"port": "port", "at_h": 0}],
                             "flights": [{"airfield": "apod", "at_h": 0, "count": 17, "every_h": 1, "pax": 300}]}])
    r = run_replication(plan)
    tr = r.trains[r.trains["unit"] == "tank_bn"]
    assert len(tr) >= 3
    assert (tr["mass_t"] <= 1610 + 1e-6).all()
    assert (tr["length_m"] <= 740 - 20 + 1e-6).all()
    # the full trains stop short of the line's length: another tank would break the mass limit, not the length
    full = tr[tr["mass_t"] > 1610 - 88.6]
    assert len(full) >= 2
    assert (full["length_m"] + 16 <= 720).all()


def test_no_serial_marches_before_its_convoy_clearance(tmp_path):
    plan = plan_for(tmp_path, None, None, convoy={"start_h": 30},
                    templates={"t": [{"unit": "a", "personnel": 0, "wheeled": 4}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}])
    r = run_replication(plan)
    # 150 km at 60 km/h plus the 15 min halt after the first hour, from 30 h on
    assert r.pieces["delivered_h"].min() == pytest.approx(30 + 2.5 + 0.25)


def het_network(km: float) -> dict:
    """The tiny network with its railhead `km` km by road from the port (50 km/h), 100 km of rail to the exit."""
    nodes = [*tiny_nodes(), node("rh", "railhead", 51.0, 4.6)]
    links = [*road_links(), link("r_port_rh", "road", "port", "rh", km, 50),
             link("l_rh_exit", "rail", "rh", "exit_rail", 100, 50, paths_per_day=24)]
    heads = [{"node": "rh", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740},
             {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}]
    return {"nodes": nodes, "links": links, "railheads": heads}


TRACKED_BY_HET = {**RAIL_ONLY, "tracked": ["rail", "het"]}


def test_tracked_vehicles_ride_het_shuttles_to_a_railhead_away_from_the_port(tmp_path):
    plan = plan_for(tmp_path, het_network(25), None, templates=ONE_UNIT, forces=ONE_FORCE, modes=TRACKED_BY_HET,
                    pools={"hets": 2})
    assert [(p.railhead, p.het_shuttle) for p in plan.pieces] == [("rh", True)] * 4
    r = run_replication(plan)
    mv = r.moves[(r.moves["kind"] == "piece") & (r.moves["stage"] == "shuttle")].sort_values("id")
    gap = 0.075 / 50  # 75 m between vehicles at 50 km/h
    # two HETs: pieces 0 and 1 (discharged at 0.1 and 0.2 h) are loaded in 0.5 h and leave together at 0.7 h,
    # 25 km at 50 km/h; unloaded by 1.2 h + 0.5 h; the HETs are back at the port 0.5 h later (2.2 h + a gap),
    # when pieces 2 and 3 get them and leave, loaded, at 2.7 h + a gap
    assert list(mv["t_start"]) == pytest.approx([0.7, 0.7, 2.7 + gap, 2.7 + gap])
    assert list(mv["t_end"]) == pytest.approx([1.2, 1.2 + gap, 3.2 + gap, 3.2 + 2 * gap])
    hets = r.usage[r.usage["resource"] == "hets"].sort_values("t_request")
    assert list(hets["t_grant"]) == pytest.approx([0.1, 0.2, 2.2 + gap, 2.2 + gap])
    loads = r.moves[r.moves["stage"] == "rail_load"].sort_values("id")
    assert list(loads["t_in"]) == pytest.approx([1.7 + gap] * 2 + [3.7 + 2 * gap] * 2)  # after unloading
    assert closure_bound(plan).bound_h <= r.summary()["closure_h"] + 1e-9


def test_a_move_inside_the_port_estate_is_driven_and_one_allowed_by_road_is_marched(tmp_path):
    short = plan_for(tmp_path / "a", het_network(3), None, templates=ONE_UNIT, forces=ONE_FORCE, modes=TRACKED_BY_HET)
    assert {p.het_shuttle for p in short.pieces} == {False}  # 3 km is under het.shuttle_over_km (5 km)
    by_road = plan_for(tmp_path / "b", het_network(25), None, templates=ONE_UNIT, forces=ONE_FORCE,
                       modes={**RAIL_ONLY, "tracked": ["rail", "road", "het"]})
    assert {p.het_shuttle for p in by_road.pieces} == {False}  # its rules let it march
    r = run_replication(short)
    assert "hets" not in set(r.usage["resource"])


def two_exits() -> dict:
    """The tiny network with a second rail exit, exit_east, 50 km from the port (1 h at 50 km/h; exit_rail is
    100 km, 2 h): trains reach the border there first, but run on beyond it (its far end, in the scenario)."""
    nodes = [*tiny_nodes(), node("exit_east", "exit", 50.9, 6.1)]
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24),
             link("l_port_east", "rail", "port", "exit_east", 50, 50, paths_per_day=24)]
    return {"nodes": nodes, "links": links}


def test_a_train_whose_stock_is_awaited_takes_the_route_that_brings_it_back_first(tmp_path):
    """With one train set, unit b's train waits for unit a's stock. a's train could cross the border first at
    exit_east, but the stock would run on to the far end (10 h each way, 2 h there); through exit_rail it is
    unloaded at the exit and back 2 h later. A rail planner sends stock that others wait for on the shorter
    turn; b's train, which nobody waits behind, takes the route that arrives first (and so would a's without b)."""
    templates = {"t": [{"unit": "a", "personnel": 0, "tracked": 4}, {"unit": "b", "personnel": 0, "tracked": 4}]}
    forces = [{"id": "f", "template": "t", "exits": ["exit_rail", "exit_east"], "ships": [{"port": "port", "at_h": 0}]}]
    # paths allocated each hour: a's request (at 0.4 h) is decided at 1 h, when b's train already waits
    rail = {"far_ends": {"exit_east": {"transit_h": 10, "turnaround_h": 2}}, "allocation_every_h": 1, "path_lead_h": 0}
    pools = {"wagons": {"heavy_flat": 120, "flat": 160, "container_flat": 60}, "train_sets": 1}
    plan = plan_for(tmp_path, two_exits(), rail, templates=templates, forces=forces, pools=pools)
    r = run_replication(plan)
    tr = r.trains.sort_values("train")
    got = [(row.unit, row.exit, round(row.t_stock, 6), round(row.t_depart, 6), round(row.t_exit, 6))
           for row in tr.itertuples()]
    # a: stock at 0.4 h (its last piece discharged), loaded 0.4-4.4 h, 2 h to exit_rail (6.4 h), unloaded
    # there (1 h, 7.4 h) and 2 h back: its train set is back at 9.4 h for b, loaded by 13.4 h, at exit_east
    # 1 h later. Through exit_east, a's stock would have been back only at 4.4 + 1 + 22 + 1 = 28.4 h.
    assert got == [("a", "exit_rail", 0.4, 4.4, 6.4), ("b", "exit_east", 9.4, 13.4, 14.4)]
    assert r.summary()["closure_h"] == pytest.approx(14.4)
    alone = run_replication(plan_for(tmp_path / "alone", two_exits(), rail, templates={"t": templates["t"][:1]},
                                     forces=forces, pools=pools))
    assert list(alone.trains["exit"]) == ["exit_east"]
    assert alone.summary()["closure_h"] == pytest.approx(5.4)


def test_a_train_whose_containers_went_by_road_takes_the_pieces_queued_behind_it(tmp_path):
    """A train formed with containers that then go by road (they waited past rail.switch_after_h) has room
    again: the unit's pieces queued behind it fill it (refill), those that would switch too go by road, and no
    second train runs for the pieces left behind."""
    from sim.batching import Batcher
    from sim.movement import rail as rail_mod
    from sim.world import Item

    templates = {"t": [{"unit": "a", "personnel": 0, "tracked": 3, "container": 2}]}
    plan = plan_for(tmp_path, None, {"switch_after_h": {"container": 1}}, templates=templates,
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail", "exit_road"],
                             "ships": [{"port": "port", "at_h": 0}]}],
                    modes={**RAIL_ONLY, "container": ["rail", "road"]})
    m = Model(plan)
    w = m.world
    cls = {p.pid: p.cls for p in plan.pieces}
    tracked = [pid for pid in sorted(cls) if cls[pid] == "tracked"]
    boxes = [pid for pid in sorted(cls) if cls[pid] == "container"]
    options = rail_mod.rail_options(w, "port", "f", "a")
    batcher = Batcher(w.env, 0, 12.0, rail_mod.TrainLoad(w, 1000.0, 10_000.0), lambda batch: iter(()))
    # queued behind the train: a container that has waited 5 h (past the 1 h limit), then two tracked vehicles
    batcher.queue = [(-5.0, Item(boxes[1], None, -5.0)), (-5.0, Item(tracked[1], None, -5.0)),
                     (-5.0, Item(tracked[2], None, -5.0))]
    left = [Item(tracked[0], None, -5.0)]  # what stayed of the train when its own container went by road
    filled = rail_mod.refill(w, batcher, left, "port", options, 1000.0, 10_000.0)
    assert [it.pid for it in filled] == tracked
    assert batcher.queue == []
    assert [it.pid for it in rail_mod.refill(w, batcher, [Item(boxes[0], None, 0.0)], "port", options, 1000.0,
                                             10_000.0)] == [boxes[0]]  # nothing queued: the train as it was
