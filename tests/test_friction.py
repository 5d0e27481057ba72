"""Friction on small networks where the answer can be worked out by hand: disruptions (closures, diversion,
re-routing), civil traffic sharing rail paths, sustainment flows both ways, host-nation accommodation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netkit import link, node, scenario, tiny_network, tiny_nodes

from sim.disruptions import draw
from sim.model import Model
from sim.plan import compile_plan
from sim.rng import Streams
from sim.scenario import parse_scenario


def _run(folder: Path, data: dict[str, Any], seed: int | None = None, replication: int = 0):
    s = parse_scenario(data, "test.yaml")
    plan = compile_plan(s, "test.yaml", folder)
    return Model(plan, seed=seed, replication=replication).run()


def _accounted(r) -> None:
    """Every piece and person is delivered, in the system or not arrived, and the counts add up."""
    for kind, a in r.accounting().items():
        assert a["planned"] == a["delivered"] + a["in_system"] + a["not_arrived"], kind


# ---- a closed rail line: divert or wait ------------------------------------------------------------------
def _closed_line(tmp_path: Path, tracked_modes: list[str]):
    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, modes={"tracked": tracked_modes},
                    disruptions={"events": [{"name": "cut", "kind": "sabotage", "target": "l_port_exit",
                                             "at_h": 0, "duration_h": 5000}]})
    return _run(folder, data)


def test_closed_only_rail_line_sends_tracked_pieces_by_het(tmp_path: Path) -> None:
    r = _closed_line(tmp_path, ["rail", "het"])
    tracked = r.pieces[r.pieces["cls"] == "tracked"]
    assert len(tracked) == 4
    assert (tracked["status"] == "delivered").all()
    assert (tracked["mode"] == "het").all()
    assert (tracked["exit"] == "exit_road").all()
    assert list(r.diversions["disruption"]) == ["cut"] * 4
    assert r.summary()["closure_h"] is not None
    _accounted(r)


def test_closed_only_rail_line_leaves_rail_only_pieces_waiting_with_a_report(tmp_path: Path) -> None:
    r = _closed_line(tmp_path, ["rail"])
    tracked = r.pieces[r.pieces["cls"] == "tracked"]
    assert (tracked["status"] == "loaded, waiting: cut").all()  # the closure was known: no path is booked into it
    assert r.diversions.empty
    s = r.summary()
    assert s["closure_h"] is None
    assert s["pieces"]["in_system"] == 4
    assert s["pieces"]["delivered"] == 6
    loaded = float(r.moves.loc[r.moves["stage"] == "rail_load", "t_end"].min())  # the train waits from then on
    assert {"kind": "pieces", "status": "loaded, waiting: cut", "node": "port", "count": 4,
            "since_h": round(loaded, 4)} in s["waiting"]
    assert loaded > 4.0  # after loading (4 h at the ramp), not from the start
    _accounted(r)


# ---- a scheduled closure on the bottleneck ---------------------------------------------------------------
def _berth_run(tmp_path: Path, net: dict | None = None, **kw: Any):
    """100 wheeled pieces off one berth at 10 pieces/h (10 h, the bottleneck), then each by road to the exit
    (serials of one vehicle, so no serial forms around a closure and a delay is the closure's own)."""
    folder = tiny_network(tmp_path / "net", **(net or {}))
    data = scenario(folder, convoy={"max_vehicles": 1}, templates={"t": [{"unit": "a", "personnel": 0, "wheeled": 100}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}],
                    **kw)
    r = _run(folder, data)
    _accounted(r)
    return r


def _berth_bound(tmp_path: Path, events: list[dict]) -> float:
    return _berth_run(tmp_path, disruptions={"events": events}).summary()["closure_h"]


@pytest.mark.parametrize(("at_h", "delay"), [(0.0, 5.0), (3.05, 4.95), (9.55, 4.95)])
def test_closure_of_n_hours_on_the_bottleneck_delays_closure_by_hand_computed_amount(tmp_path: Path, at_h: float,
                                                                                     delay: float) -> None:
    """Closing the port for N = 5 h while it discharges (one piece every 0.1 h): the piece being discharged
    finishes, the next waits until the port reopens at at_h + N; downstream has room, so no backlog forms and
    closure moves by N less the part of the closure the piece in hand used: 0 <= delay <= N."""
    base = _berth_bound(tmp_path / "a", [])
    late = _berth_bound(tmp_path / "b", [{"kind": "drone", "target": "port", "at_h": at_h, "duration_h": 5}])
    assert late - base == pytest.approx(delay, abs=1e-9)


def test_closure_after_the_last_discharge_costs_nothing(tmp_path: Path) -> None:
    base = _berth_bound(tmp_path / "a", [])
    late = _berth_bound(tmp_path / "b", [{"kind": "drone", "target": "port", "at_h": 10.5, "duration_h": 5}])
    assert late == base


def test_half_capacity_doubles_the_discharge_time_while_it_lasts(tmp_path: Path) -> None:
    """A cyber attack halving port processing for the whole discharge: 100 pieces take 20 h instead of 10."""
    base = _berth_bound(tmp_path / "a", [])
    slow = _berth_bound(tmp_path / "b", [{"kind": "cyber", "target": "port", "at_h": 0, "duration_h": 100,
                                          "capacity_factor": 0.5}])
    assert slow - base == pytest.approx(10.0, abs=1e-9)


# ---- re-routing around a closed link --------------------------------------------------------------------
def test_trains_take_the_surviving_route_while_the_direct_line_is_closed(tmp_path: Path) -> None:
    nodes = [*tiny_nodes(), node("mid", "junction", 51.0, 5.5)]
    links = [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24),
             link("l_port_mid", "rail", "port", "mid", 70, 50, paths_per_day=24),
             link("l_mid_exit", "rail", "mid", "exit_rail", 70, 50, paths_per_day=24)]
    folder = tiny_network(tmp_path / "net", nodes=nodes, links=links)
    data = scenario(folder, modes={"tracked": ["rail"]},
                    disruptions={"events": [{"name": "cut", "target": "l_port_exit", "at_h": 0, "duration_h": 5000}]})
    r = _run(folder, data)
    tracked = r.pieces[r.pieces["cls"] == "tracked"]
    assert (tracked["status"] == "delivered").all()
    used = set(r.usage["resource"])
    assert "paths@l_port_mid>" in used
    assert "paths@l_port_exit>" not in used
    _accounted(r)


# ---- civil traffic on rail paths ------------------------------------------------------------------------
def _civil(tmp_path: Path, **civil: Any):
    links = [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=6, capacity_trains_per_day=40,
                  civil_trains_per_day=40)]
    folder = tiny_network(tmp_path / "net", links=links)
    data = scenario(folder, modes={"tracked": ["rail"]}, civil_traffic=civil)
    return _run(folder, data)


def test_civil_traffic_on_every_path_keeps_military_trains_off_the_line(tmp_path: Path) -> None:
    r = _civil(tmp_path / "a", level=1.0, priority="civil")
    uses = r.usage[r.usage["resource"] == "paths@l_port_exit>"]
    assert (uses["amount"] == 0).all()
    assert len(uses) >= 1
    tracked = r.pieces[r.pieces["cls"] == "tracked"]
    assert tracked["status"].str.contains("no military path left by civil traffic").all()
    _accounted(r)


@pytest.mark.parametrize("civil", [{"priority": "military"}, {"military_priority_on": ["l_port_exit"]}])
def test_raising_military_priority_lets_trains_run_and_counts_displaced_civil_paths(tmp_path: Path, civil: dict) -> None:
    r = _civil(tmp_path, level=1.0, **civil)
    tracked = r.pieces[r.pieces["cls"] == "tracked"]
    assert (tracked["status"] == "delivered").all()
    d = r.civil_displaced()
    rail = d[d["kind"] == "rail"].iloc[0]
    assert rail["military_uses"] >= 1
    assert rail["displaced"] == rail["military_uses"]


def test_half_civil_traffic_leaves_the_free_paths_to_the_military(tmp_path: Path) -> None:
    r = _civil(tmp_path, level=0.5, priority="civil")  # 40 - 20 civil = 20 free >= 6 military paths
    assert r.civil.iloc[0]["military"] == 6.0
    assert (r.pieces["status"] == "delivered").all()


# ---- civil traffic on berths and roads -------------------------------------------------------------------
HALF_BERTH = {"seaports": [{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000,
                            "tech_check_h": 0, "civil_berths": 0.5}]}


def test_commercial_ships_on_half_the_berth_hours_double_the_discharge_under_civil_priority(tmp_path: Path) -> None:
    base = _berth_run(tmp_path / "a", HALF_BERTH).summary()["closure_h"]
    civil = _berth_run(tmp_path / "b", HALF_BERTH, civil_traffic={"level": 1.0, "priority": "civil"})
    assert civil.summary()["closure_h"] - base == pytest.approx(10.0, abs=1e-9)  # 100 pieces at 5/h instead of 10/h
    assert civil.civil_displaced().empty  # civil traffic went first: nothing displaced


def test_military_priority_on_berths_counts_the_berth_hours_displaced(tmp_path: Path) -> None:
    base = _berth_run(tmp_path / "a", HALF_BERTH).summary()["closure_h"]
    mil = _berth_run(tmp_path / "b", HALF_BERTH, civil_traffic={"level": 1.0, "priority": "military"})
    assert mil.summary()["closure_h"] == base
    d = mil.civil_displaced().iloc[0]
    # the one berth is busy for the 10 h of discharge, half of which commercial ships would have used
    assert (d["kind"], d["unit"]) == ("berth", "berth-hours")
    assert d["displaced"] == pytest.approx(5.0, abs=1e-9)


@pytest.mark.parametrize("priority", ["civil", "military"])
def test_road_peaks_keep_serials_off_the_road_under_civil_priority_only(tmp_path: Path, priority: str) -> None:
    """Discharge runs 0-10 h; a peak 02:00-08:00 on the road out of the port holds serials under civil
    priority; under military priority they enter during it and are counted."""
    links = [link("r_port_stage", "road", "port", "stage", 50, 80, headway_min=1),
             link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)]
    r = _berth_run(tmp_path, {"links": links}, civil_traffic={"road_peaks": "02:00-08:00", "priority": priority,
                                                              "road_peak_corridors": ["r_port_stage"]})
    entries = r.usage[r.usage["resource"] == "entry@r_port_stage>"]
    # an entry at 08:00, the peak's end, is after it whatever rounding makes of its time
    in_peak = int(((entries["t_grant"] >= 2.0) & (entries["t_grant"] < 8.0 - 1e-9)).sum())
    if priority == "civil":
        assert in_peak == 0
        assert len(entries) == 100
    else:
        assert in_peak > 0
        assert r.civil_displaced().set_index("key").loc["r_port_stage", "displaced"] == in_peak


def test_a_closed_airfield_holds_the_aircraft_until_it_reopens(tmp_path: Path) -> None:
    folder = tiny_network(tmp_path / "net")
    r = _run(folder, scenario(folder, disruptions={"events": [{"name": "drone", "kind": "drone", "target": "apod",
                                                                 "at_h": 0, "duration_h": 6}]}))
    terminal = r.moves[(r.moves["stage"] == "terminal") & (r.moves["node"] == "apod")]
    assert len(terminal)
    assert (terminal["t_start"] >= 6.0).all()
    assert r.disruption_costs().iloc[0]["name"] == "drone"
    _accounted(r)


def test_window_subtraction() -> None:
    from sim.windows import subtract

    assert subtract("", "07:00-09:30;16:00-19:00") == "19:00-07:00;09:30-16:00"
    assert subtract("21:00-05:00", "07:00-09:30") == "21:00-05:00"
    assert subtract("06:00-10:00", "07:00-09:30") == "06:00-07:00;09:30-10:00"
    with pytest.raises(ValueError, match="no hour of 07:00-09:00"):
        subtract("07:00-09:00", "06:00-10:00")


# ---- flows both ways ------------------------------------------------------------------------------------
def test_sustainment_flows_both_ways_are_delivered_and_reported_per_direction(tmp_path: Path) -> None:
    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, sustainment=[
        {"name": "east", "origin": "port", "destination": "exit_rail", "mode": "rail", "cls": "container",
         "pieces_per_day": 12, "start_h": 0, "end_h": 48},
        {"name": "west", "origin": "exit_road", "destination": "port", "mode": "road", "cls": "wheeled",
         "pieces_per_day": 4, "persons_per_day": 30, "start_h": 24, "end_h": 72}])
    r = _run(folder, data)
    ft = r.flow_throughput().set_index("flow")
    assert ft.loc["east", "direction"] == "east"
    assert ft.loc["west", "direction"] == "west"
    assert (ft.loc["east", "pieces"], ft.loc["east", "delivered"]) == (24, 24)
    assert (ft.loc["west", "pieces"], ft.loc["west", "delivered"], ft.loc["west", "persons_delivered"]) == (8, 8, 60)
    s = r.summary()
    assert s["sustainment"]["east"]["pieces_per_day"] == 12.0
    assert s["sustainment"]["west"]["persons_per_day"] == 30.0
    assert s["pieces"]["planned"] == 10  # the force's own pieces: flows do not count towards closure
    assert s["sustainment_pieces"]["delivered"] == 32
    _accounted(r)


# ---- host-nation accommodation --------------------------------------------------------------------------
@pytest.mark.parametrize(("modules", "short"), [(0, 50), (1, 0)])
def test_accommodation_shortfall_by_site_and_day(tmp_path: Path, modules: int, short: int) -> None:
    staging = [{"node": "stage", "role": "staging", "vehicle_spaces": 1000, "beds": 200, "prep_h": 0}]
    folder = tiny_network(tmp_path / "net", staging=staging)
    data = scenario(folder, accommodation=[{"site": "stage", "persons": 250, "weeks": 1, "modules": modules}])
    r = _run(folder, data)
    h = r.housing_shortfall()  # one row per simulated day of the stay (the run stops when all is delivered)
    days = 7 if short else 1  # short of beds, the force's unit gets in only when the hosted troops leave
    assert len(h) == days
    assert (h["short"] == short).all()
    assert r.summary()["accommodation"]["stage"] == {"required": 250, "max_short": short, "days_short": days if short else 0}
    assert (r.summary()["closure_h"] > 168.0) == bool(short)


# ---- random disruptions ---------------------------------------------------------------------------------
def test_random_disruptions_are_reproducible_per_seed_and_replication(tmp_path: Path) -> None:
    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, disruptions={"random": [{"kind": "drone", "targets": ["port", "apod"], "rate_per_day": 0.5,
                                                     "duration_h": 6, "duration_factor": "exponential"}]})
    s = parse_scenario(data, "test.yaml")
    a = draw(s, Streams(1, 0), 2000)
    assert a == draw(s, Streams(1, 0), 2000)
    assert a != draw(s, Streams(1, 1), 2000)
    assert 30 <= len(a) <= 130  # 2 targets x 0.5/day x 83 days = 83 expected
    assert all(o.end > o.start for o in a)
    assert [o.start for o in a] == sorted(o.start for o in a)
    r1, r2 = _run(folder, data, seed=1), _run(folder, data, seed=1)
    assert r1.summary() == r2.summary()
    _accounted(r1)


def test_readme_friction_example_compiles_and_runs_on_the_builtin_scenario() -> None:
    """The YAML shown in the README's friction section is valid against the built-in scenario."""
    import yaml

    from sim.paths import builtin_scenario
    from sim.plan import resolve_network

    root = Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text(encoding="utf-8").split("## Friction", 1)[1]
    block = text.split("```yaml", 1)[1].split("```", 1)[0]
    path = builtin_scenario()
    data = {**yaml.safe_load(path.read_text(encoding="utf-8")), **yaml.safe_load(block)}
    s = parse_scenario(data, str(path))
    plan = compile_plan(s, str(path), resolve_network(s, path))
    assert {f.name for f in plan.flows} == {"supplies_east", "rotation_west"}
    r = Model(plan).run()
    assert {d["name"] for d in r.summary()["disruptions"]} >= {"line24_sabotage"}
    _accounted(r)
