"""Each Strategic Vision line's mechanism on a small network, its saving computed by hand: the line's changes,
read from the Belgian investments table and put on the tiny network's nodes (tests/netkit.py), must move
closure (or the metric the line acts on) by exactly what they buy.

The tiny network: a port (1 berth, 10 pieces/h, a railhead with 1 ramp and 4 h loading), an airfield apod (2
stands, 2 h turnaround, 1000 persons/h), a staging area; roads port-stage 50 km, apod-stage 30 km, stage-exit
100 km; rail port-exit 100 km at 50 km/h, 24 paths a day each way. Persons ride buses at 80 km/h, HETs drive at
50 km/h, trains run 100 km in 2 h."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from netkit import BELGIUM, scenario, tiny_network, write_scenario

from sim.errors import InputError
from sim.plan import load_plan
from sim.runner import run_replication

PAX_ONLY = {"t": [{"unit": "a", "personnel": 40}]}  # a unit of persons only: its closure is theirs
BUS_H = 130 / 80  # apod -> stage -> exit_road by bus (h)


def _run(tmp_path: Path, data: dict[str, Any]) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))


def _custom(name: str, *changes: dict[str, Any], cost: float = 1e6) -> dict[str, Any]:
    return {"name": name, "cost_eur": cost, "first_year": 2026, "changes": list(changes)}


def _line(name: str, nodes: dict[str, str]) -> dict[str, Any]:
    """A line of networks/belgium/investments.csv as a scenario's own investment on the tiny network: its
    changes to the Belgian nodes named in `nodes` put on the tiny nodes they map to, its pool changes as they are,
    the rest left out."""
    with (BELGIUM / "investments.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] == name]
    assert rows, f"no line {name} in the Belgian investments table"
    changes = [{"table": r["table"], "key": nodes.get(r["key"], r["key"]), "attribute": r["attribute"], "op": r["op"],
                "value": float(r["value"])} for r in rows if r["key"] in nodes or r["table"] == "pools"]
    assert changes, f"{name}: none of its changes reaches {sorted(nodes)}"
    return {"name": name, "cost_eur": float(rows[0]["cost_eur"]), "first_year": int(rows[0]["first_year"]),
            "changes": changes}


def _pair(tmp_path: Path, data: dict[str, Any], line: dict[str, Any]) -> tuple[Any, Any]:
    """The case without and with the line (same seed)."""
    data = {**data, "custom_investments": [line]}
    return _run(tmp_path / "base", data), _run(tmp_path / "line", {**data, "investments": [line["name"]]})


# ---- counter-drone systems and harbour sensors: shorter and fewer disruptions ---------------------------------

DRONES = {"events": [{"name": "drones", "kind": "drone", "target": "apod", "at_h": 0, "duration_h": 10}]}
C_UAS = _line("counter_drone_systems", {"melsbroek": "apod"})


def _drone_case(tmp_path: Path, investments: Sequence[str], disruptions: dict[str, Any] = DRONES) -> Any:
    """One flight of 40 persons arrives over apod at t = 0 and holds while apod is closed (divert_after_h 12 h
    keeps it from diverting); the persons clear the terminal (40 / 1000 persons/h = 0.04 h) and ride 30 + 100 km
    at 80 km/h to the border (no staging area)."""
    data = scenario(tiny_network(tmp_path / "net"), templates=PAX_ONLY, disruptions=disruptions,
                    air={"divert_after_h": 12}, custom_investments=[C_UAS], investments=list(investments))
    data["forces"][0].pop("staging")
    data["forces"][0]["ships"] = []
    return _run(tmp_path, data)


def test_counter_drone_systems_halve_a_drone_closure_and_closure_moves_by_the_hours_saved(tmp_path: Path) -> None:
    """A 10 h drone closure of the only airfield: closure 10 + 0.04 + 130 / 80 = 11.665 h. The line's factor 0.5
    makes it 5 h: closure 5 + 0.04 + 130 / 80 = 6.665 h, exactly 5 h sooner. The 40 persons waited at the
    airfield (held over it, then the terminal) 40 x 10.04 = 401.6 person-h, with the line 40 x 5.04 = 201.6."""
    base = _drone_case(tmp_path / "a", [])
    cuas = _drone_case(tmp_path / "b", ["counter_drone_systems"])
    assert base.closure_h == pytest.approx(10 + 0.04 + BUS_H)
    assert cuas.closure_h == pytest.approx(5 + 0.04 + BUS_H)
    assert base.closure_h - cuas.closure_h == pytest.approx(5.0)
    d = cuas.disruptions.iloc[0]
    assert (d["start_h"], d["end_h"]) == (0.0, 5.0)
    assert base.summary()["airfield_wait_person_h"] == pytest.approx(401.6)
    assert cuas.summary()["airfield_wait_person_h"] == pytest.approx(201.6)


def test_a_change_to_disruptions_acts_only_on_its_kind_and_target(tmp_path: Path) -> None:
    """The same 10 h closure caused by sabotage, or by drones at another node: counter-drone does nothing."""
    sabotage = {"events": [{**DRONES["events"][0], "kind": "sabotage"}]}
    assert _drone_case(tmp_path / "a", ["counter_drone_systems"], sabotage).closure_h == pytest.approx(10 + 0.04 + BUS_H)
    elsewhere = {"events": [DRONES["events"][0], {"kind": "drone", "target": "port", "at_h": 0, "duration_h": 10}]}
    r = _drone_case(tmp_path / "b", ["counter_drone_systems"], elsewhere)
    ends = dict(zip(r.disruptions["target"], r.disruptions["end_h"]))
    assert ends == {"apod": 5.0, "port": 10.0}


def test_harbour_sensors_space_the_same_random_sabotage_further_apart_and_shorten_each(tmp_path: Path) -> None:
    """Random sabotage at the port, 1 a day of 2 h each. The line halves the rate and multiplies each duration by
    0.75: every gap between starts doubles, because the draws are the same (common random numbers: each gap is
    a standard exponential draw times the mean gap 24 / rate h), and each closure lasts 1.5 h."""
    rnd = {"random": [{"kind": "sabotage", "targets": ["port"], "rate_per_day": 1.0, "duration_h": 2.0}]}
    base, half = (r.disruptions for r in _pair(tmp_path, scenario(tiny_network(tmp_path / "net"), disruptions=rnd),
                                               _line("harbour_protection_sensors", {"antwerp_aet": "port"})))
    assert len(base) > 2
    starts = base["start_h"].to_numpy()
    n = int((starts < 1000).sum())  # those that stay inside the 2000 h horizon at half the rate
    assert half["start_h"].to_numpy()[:n] == pytest.approx(2 * starts[:n])
    assert (half["end_h"] - half["start_h"]).to_numpy() == pytest.approx(1.5)
    assert (base["end_h"] - base["start_h"]).to_numpy() == pytest.approx(2.0)


@pytest.mark.parametrize(("change", "field", "value"), [
    ({"key": "nowhere"}, "c_uas: disruptions.nowhere.drone.duration_h", "nowhere"),
    ({"attribute": "drones.duration_h"}, "c_uas: disruptions.apod.drones.duration_h", "drones.duration_h"),
    ({"attribute": "drone.length"}, "c_uas: disruptions.apod.drone.length", "drone.length"),
    ({"op": "add"}, "c_uas: disruptions.apod.drone.duration_h", "add"),
    ({"value": 0}, "c_uas: disruptions.apod.drone.duration_h", 0.0),
])
def test_a_bad_change_to_disruptions_is_named(tmp_path: Path, change: dict[str, Any], field: str, value: Any) -> None:
    bad = _custom("c_uas", {"table": "disruptions", "key": "apod", "attribute": "drone.duration_h", "op": "mul",
                            "value": 0.5, **change})
    data = scenario(tiny_network(tmp_path / "net"), custom_investments=[bad], investments=["c_uas"])
    with pytest.raises(InputError) as exc:
        load_plan(write_scenario(tmp_path / "s.yaml", data))
    assert any(p.field == field and p.value == value for p in exc.value.problems), exc.value.problems


# ---- persons waiting at airfields; air terminal operations centre equipment ----------------------------------

def _terminal_case(tmp_path: Path, pax_ph: float, investments: Sequence[str] = (), buses: int = 60) -> Any:
    """Two flights of 40 persons each land at apod at t = 0 (two stands): its passenger terminal takes one
    flight at a time, so the first flight's persons wait 40 / pax_ph h and the second's 80 / pax_ph h."""
    net = tiny_network(tmp_path / "net", airfields=[{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": pax_ph,
                                                    "cargo_pph": 10}])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 80}]}, investments=list(investments),
                    custom_investments=[_line("air_terminal_ops_equipment", {"melsbroek": "apod"})],
                    pools={"buses": buses})
    data["forces"][0]["ships"] = []
    data["forces"][0]["flights"] = [{"airfield": "apod", "at_h": 0, "pax": 40}, {"airfield": "apod", "at_h": 0, "pax": 40}]
    return _run(tmp_path, data)


def test_persons_waiting_at_airfields_halve_when_the_terminal_rate_doubles(tmp_path: Path) -> None:
    """pax_ph 20: 40 persons x 2 h + 40 persons x 4 h = 240 person-h (buses are plenty: no bus wait).
    pax_ph 40: 40 x 1 + 40 x 2 = 120 person-h, half."""
    slow = _terminal_case(tmp_path / "a", 20).summary()
    fast = _terminal_case(tmp_path / "b", 40).summary()
    assert slow["airfield_wait_person_h"] == pytest.approx(240.0)
    assert fast["airfield_wait_person_h"] == pytest.approx(120.0)


def test_the_wait_for_a_bus_counts_as_waiting_at_the_airfield(tmp_path: Path) -> None:
    """A fast terminal (pax_ph 1000: the flights are through at 0.04 and 0.08 h) and one bus of 50 seats: the
    first flight's 40 persons board at 0.04 h; the bus drives 30 km to the staging area and back empty at
    80 km/h (0.375 h each way), so the second flight's 40 board at 0.04 + 0.75 = 0.79 h, having waited
    0.79 - 0.08 = 0.71 h. Person-hours: terminal 40 x 0.04 + 40 x 0.08 = 4.8, bus 40 x 0.71 = 28.4; 33.2."""
    assert _terminal_case(tmp_path, 1000, buses=1).summary()["airfield_wait_person_h"] == pytest.approx(33.2)


def test_air_terminal_ops_equipment_cuts_the_terminal_wait_by_a_third(tmp_path: Path) -> None:
    """The line's passenger processing x1.5 at the terminal that is the bottleneck (20 -> 30 persons/h): 240
    person-h become 40 x 40/30 + 40 x 80/30 = 160, and the last person leaves the terminal at 80 / 30 = 2.667 h
    instead of 80 / 20 = 4 h: closure 1.333 h sooner."""
    base = _terminal_case(tmp_path / "a", 20)
    eq = _terminal_case(tmp_path / "b", 20, ["air_terminal_ops_equipment"])
    assert eq.summary()["airfield_wait_person_h"] == pytest.approx(160.0)
    assert base.closure_h - eq.closure_h == pytest.approx(4.0 - 80 / 30)


# ---- airbase operating location regeneration: stands and runway repair ----------------------------------------

def _two_flights(tmp_path: Path, line: dict[str, Any], mog: int, **kw: Any) -> tuple[Any, Any]:
    net = tiny_network(tmp_path / "net", airfields=[{"node": "apod", "mog": mog, "turnaround_h": 2, "pax_ph": 1000,
                                                    "cargo_pph": 10}])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 80}]}, **kw)
    data["forces"][0].pop("staging")
    data["forces"][0]["ships"] = []
    data["forces"][0]["flights"] = [{"airfield": "apod", "at_h": 0, "pax": 40}, {"airfield": "apod", "at_h": 0, "pax": 40}]
    return _pair(tmp_path, data, line)


def test_airbase_regeneration_stands_land_the_second_flight_at_once(tmp_path: Path) -> None:
    """One stand, 2 h turnaround: the second flight lands at 2 h, its persons leave the terminal at 2.04 h and
    reach the border at 2.04 + 130 / 80 = 3.665 h. The line's two more stands (Chievres' change) land both at
    0 h; the terminal takes them one after the other (0.04 h each): the last persons arrive at 0.08 + 1.625 =
    1.705 h, 1.96 h sooner. Waiting at the airfield: 40 x 0.04 + 40 x 2.04 = 83.2 person-h before, 40 x 0.04 +
    40 x 0.08 = 4.8 after."""
    base, line = _two_flights(tmp_path, _line("airbase_regeneration", {"chievres": "apod"}), mog=1)
    assert base.closure_h == pytest.approx(2.04 + BUS_H)
    assert line.closure_h == pytest.approx(0.08 + BUS_H)
    assert base.closure_h - line.closure_h == pytest.approx(1.96)
    assert base.summary()["airfield_wait_person_h"] == pytest.approx(83.2)
    assert line.summary()["airfield_wait_person_h"] == pytest.approx(4.8)


def test_airbase_regeneration_runway_repair_halves_a_strike(tmp_path: Path) -> None:
    """A strike closes apod for 24 h from t = 0; the flights hold (they divert only after 48 h). The line's
    repair factor 0.5 (Melsbroek's change) reopens it at 12 h: closure 24.08 + 1.625 -> 12.08 + 1.625 h, 12 h
    sooner."""
    strike = {"events": [{"kind": "strike", "target": "apod", "at_h": 0, "duration_h": 24}]}
    base, line = _two_flights(tmp_path, _line("airbase_regeneration", {"melsbroek": "apod"}), mog=2,
                              disruptions=strike, air={"divert_after_h": 48})
    assert base.closure_h == pytest.approx(24.08 + BUS_H)
    assert base.closure_h - line.closure_h == pytest.approx(12.0)


# ---- rail: wagons, the Leopoldsburg terminal, heavy loading platforms ------------------------------------------

def _tanks_by_rail(tmp_path: Path, tanks: int, line: dict[str, Any], heavy_flats: int = 20, ramps: int = 1,
                   max_train_m: float = 740) -> tuple[Any, Any]:
    """`tanks` tracked pieces discharged at 0.1 h apart, by rail from the port's railhead (`ramps`, `max_train_m`)
    to the rail exit, with `heavy_flats` heavy flat wagons (one tank each, 16 m); a locomotive takes 20 m."""
    net = tiny_network(tmp_path / "net", railheads=[
        {"node": "port", "ramps": ramps, "load_h": 4, "unload_h": 1, "max_train_m": max_train_m},
        {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}])
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": tanks}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}],
                    pools={"wagons": {"heavy_flat": heavy_flats, "flat": 10, "container_flat": 10}})
    return _pair(tmp_path, data, line)


def test_rail_wagons_let_one_train_carry_what_the_pool_split_in_two(tmp_path: Path) -> None:
    """8 tanks, 4 heavy flats: train 1 forms at 0.4 h (4th tank discharged), loads 4 h, runs 2 h: exit 6.4 h;
    unloads 1 h at the exit's railhead and returns in 2 h (9.4 h); train 2 loads 9.4-13.4 h: exit 15.4 h. The
    line's 112 more wagons: one train of 8 forms at 0.8 h, loads to 4.8 h: exit 6.8 h, 8.6 h sooner."""
    base, line = _tanks_by_rail(tmp_path, 8, _line("rail_wagons", {}), heavy_flats=4)
    assert base.closure_h == pytest.approx(15.4)
    assert line.closure_h == pytest.approx(6.8)
    assert (len(base.trains), len(line.trains)) == (2, 1)


def test_heavy_loading_platforms_load_two_trains_at_once(tmp_path: Path) -> None:
    """8 tanks, trains of 4 wagons (84 m of track less 20 m of locomotive, 16 m a wagon). One ramp: train 1 loads
    0.4-4.4 h (exit 6.4 h), train 2 waits for the ramp and loads 4.4-8.4 h (exit 10.4 h). The line's second ramp
    (ICO Kallo's change): train 2 loads 0.8-4.8 h and takes the next path, one an hour after train 1's at
    4.4 h (24 paths a day): leaves 5.4 h, exit 7.4 h, 3 h sooner."""
    base, line = _tanks_by_rail(tmp_path, 8, _line("heavy_loading_platforms", {"antwerp_ico_kallo": "port"}),
                                max_train_m=84)
    assert base.closure_h == pytest.approx(10.4)
    assert line.closure_h == pytest.approx(7.4)


def test_leopoldsburg_rail_terminal_takes_one_long_train_instead_of_three_short(tmp_path: Path) -> None:
    """12 tanks at a terminal of one ramp and 84 m of track (trains of 4): trains load 0.4-4.4, 4.4-8.4 and
    8.4-12.4 h, the last at the exit at 14.4 h. The refit (three ramps, 740 m): one train of 12 forms at 1.2 h,
    loads to 5.2 h, at the exit at 7.2 h, 7.2 h sooner."""
    base, line = _tanks_by_rail(tmp_path, 12, _line("leopoldsburg_rail_terminal", {"leopoldsburg_rail": "port"}),
                                max_train_m=84)
    assert base.closure_h == pytest.approx(14.4)
    assert line.closure_h == pytest.approx(7.2)
    assert (len(base.trains), len(line.trains)) == (3, 1)


# ---- HETs ----------------------------------------------------------------------------------------------------

def test_het_fleet_carries_both_tanks_in_one_serial(tmp_path: Path) -> None:
    """2 tanks by HET to the road exit (150 km at 50 km/h: 3 h driving and one 15 min halt after the first hour,
    3.25 h), loading 0.5 h, unloading 0.5 h, back empty in 3 h. One HET: tank 0 (discharged 0.1 h) loaded 0.6 h,
    at the exit 3.85 h; the HET unloads and is back at 7.35 h, loads tank 1 by 7.85 h: exit 11.1 h. The line's
    93 more HETs: tank 1 (discharged 0.2 h) is loaded by 0.7 h and both leave in one serial: exit 3.95 h, the
    second 75 m behind (0.0015 h at 50 km/h): 3.9515 h, 7.1485 h sooner."""
    net = tiny_network(tmp_path / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 2}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}],
                    pools={"hets": 1}, modes={"tracked": ["het"]})
    base, line = _pair(tmp_path, data, _line("het_fleet", {}))
    assert base.closure_h == pytest.approx(11.1)
    assert line.closure_h == pytest.approx(3.9515)


# ---- field accommodation modules -----------------------------------------------------------------------------

def test_field_accommodation_modules_give_the_second_unit_its_beds(tmp_path: Path) -> None:
    """Two units of 40 persons fly in at 0 h (their persons at the staging area at 0.04 + 0.375 and 0.08 + 0.375 h)
    and wait there for their vehicles, shipped at 100 h. 40 beds: unit b's persons wait for unit a's beds until
    a's last persons leave (at the exit): 40 x (t_a - 0.455) / 24 person-nights, and b's vehicle waits for b's
    persons at the staging gate from when it arrives until then. The line's 3300 beds (Leopoldsburg's change):
    no night without a bed, and closure as much sooner as b's vehicle waited."""
    net = tiny_network(tmp_path / "net", staging=[{"node": "stage", "role": "staging", "vehicle_spaces": 1000,
                                                   "beds": 40, "prep_h": 0}])
    two = {"t": [{"unit": "a", "personnel": 40, "wheeled": 1}, {"unit": "b", "personnel": 40, "wheeled": 1}]}
    force = {"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 100}],
             "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}, {"airfield": "apod", "at_h": 0, "pax": 40}]}
    base, line = _pair(tmp_path, scenario(net, templates=two, forces=[force]),
                       _line("field_accommodation_modules", {"leopoldsburg": "stage"}))
    d = base.pax_delivered
    t_a = float(d[d["unit"] == "a"]["t"].max())
    assert base.summary()["person_nights_without_bed"] == pytest.approx(40 * (t_a - 0.455) / 24, abs=1e-3)
    assert line.summary()["person_nights_without_bed"] == 0
    gate = base.moves[(base.moves["stage"] == "staging_gate") & (base.moves["unit"] == "b")].iloc[0]
    assert gate["t_start"] == pytest.approx(t_a)
    assert base.closure_h - line.closure_h == pytest.approx(t_a - gate["t_in"], abs=1e-4)


# ---- trucks for containers ------------------------------------------------------------------------------------

def _containers(tmp_path: Path, pools: dict[str, Any]) -> dict[str, Any]:
    """Two containers by road straight to the road exit (150 km at 60 km/h, one 15 min halt: 2.75 h)."""
    return scenario(tiny_network(tmp_path / "net"), templates={"t": [{"unit": "a", "personnel": 0, "container": 2}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}]}],
                    modes={"container": ["road"]}, pools=pools)


def test_truck_fleet_lets_both_containers_leave_at_once(tmp_path: Path) -> None:
    """One truck: the second container waits for the truck's turn and its driver's daily rest and reaches the
    exit at 20.6 h (tests/test_trucks.py). The line's 400 more trucks: both loaded by 0.45 h (0.2 h discharge,
    0.25 h loading), one serial, the second 75 m behind: 3.20125 h, 17.39875 h sooner."""
    base, line = _pair(tmp_path, _containers(tmp_path, {"trucks": 1}), _line("truck_fleet", {}))
    assert base.closure_h == pytest.approx(20.6)
    assert line.closure_h == pytest.approx(3.20125)


def test_truck_fleet_on_a_case_without_a_truck_pool_does_nothing_and_says_so(tmp_path: Path) -> None:
    data = {**_containers(tmp_path, {}), "custom_investments": [_line("truck_fleet", {})], "investments": ["truck_fleet"]}
    plan = load_plan(write_scenario(tmp_path / "s.yaml", data))
    assert plan.scenario.pools.trucks is None
    assert any(w.field == "pools.trucks" and "does nothing" in w.message for w in plan.warnings)


def test_a_line_acting_on_no_disruption_of_the_case_says_so(tmp_path: Path) -> None:
    """Counter-drone systems where the only disruption is sabotage: a warning says the line changes nothing."""
    sabotage = {"events": [{**DRONES["events"][0], "kind": "sabotage"}]}
    data = scenario(tiny_network(tmp_path / "net"), disruptions=sabotage, custom_investments=[C_UAS],
                    investments=["counter_drone_systems"])
    plan = load_plan(write_scenario(tmp_path / "s.yaml", data))
    assert [w.value for w in plan.warnings if w.field == "disruptions"] == ["counter_drone_systems"]
    data["disruptions"] = DRONES
    plan = load_plan(write_scenario(tmp_path / "s.yaml", data))
    assert not [w for w in plan.warnings if w.field == "disruptions"]
