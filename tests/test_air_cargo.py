"""Air cargo: aircraft stand for their type's ground time (sim/data/aircraft.csv), untyped flights for the
airfield's turnaround; 463L pallets fill pallet positions and pass the air terminal's cargo rate (cargo_pph),
which the air terminal operations centre equipment line multiplies; every pallet is accounted for; bad input is
named. On the tiny network (tests/netkit.py): an airfield apod with 2 stands and a 2 h turnaround, a staging area
30 km away, an exit 100 km beyond it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netkit import tiny_network, write_scenario
from test_deployment_list import listed, plan_of
from test_investment_lines import _line

from sim.errors import InputError
from sim.lift import PALLET, load_aircraft
from sim.plan import load_plan
from sim.runner import run_replication

C17 = load_aircraft()["c17"]
ROAD = {"tracked": ["road"], "wheeled": ["road"], "trailer": ["road"], "container": ["road"], "helicopter": ["air"]}


def _pallets(n: int, unit: str = "a") -> dict[str, Any]:
    return {"uln": f"{unit}-pallets", "force": "f", "unit": unit, "pod": "apod", "ead": "2027-02-01",
            "equipment": f"{PALLET}={n}"}


def _airlift(net: Path, flights: list[dict[str, Any]], lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    data = listed(net, lines, ships=[], flights=flights, **kw)
    data["modes"] = ROAD
    return data


def _run(tmp_path: Path, data: dict[str, Any]) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))


def _accounted(r: Any) -> None:
    for kind, a in r.accounting().items():
        assert a["planned"] == a["delivered"] + a["in_system"] + a["not_arrived"], kind


# ---- ground time by aircraft type ------------------------------------------------------------------------------

def _stands(tmp_path: Path, aircraft: str | None) -> Any:
    """One stand; two flights of 10 persons at t = 0: the second lands when the first leaves its stand."""
    net = tiny_network(tmp_path / "net", airfields=[{"node": "apod", "mog": 1, "turnaround_h": 2, "pax_ph": 1000,
                                                    "cargo_pph": 10}])
    typed = {} if aircraft is None else {"aircraft": aircraft}
    flights = [{"airfield": "apod", "at_h": 0, "pax": 10, **typed}, {"airfield": "apod", "at_h": 0, "pax": 10, **typed}]
    data = listed(net, [{"uln": "a-air", "force": "f", "unit": "a", "pod": "apod", "ead": "2027-02-01",
                         "personnel": 20}], ships=[], flights=flights)
    return _run(tmp_path, data)


def test_a_typed_flight_stands_for_its_types_ground_time(tmp_path: Path) -> None:
    """C-17s (ground time 3.25 h, sim/data/aircraft.csv) on one stand: the second lands at 3.25 h, its persons
    leave the terminal at 3.25 + 10 / 1000 h."""
    r = _stands(tmp_path, "c17")
    term = r.moves[(r.moves["kind"] == "pax") & (r.moves["stage"] == "terminal")].sort_values("t_start")
    assert C17.ground_time_h == 3.25
    assert term["t_start"].tolist() == pytest.approx([0.0, 3.25])
    assert term["t_end"].tolist() == pytest.approx([0.01, 3.26])


def test_an_untyped_flight_stands_for_the_airfields_turnaround(tmp_path: Path) -> None:
    """No type (a charter): the airfield's 2 h turnaround; and a type without a ground time (charter_300) the same."""
    for sub, aircraft in (("none", None), ("charter", "charter_300")):
        r = _stands(tmp_path / sub, aircraft)
        term = r.moves[(r.moves["kind"] == "pax") & (r.moves["stage"] == "terminal")].sort_values("t_start")
        assert term["t_start"].tolist() == pytest.approx([0.0, 2.0]), sub


# ---- pallets through the air terminal ------------------------------------------------------------------------

def _terminal(tmp_path: Path, cargo_pph: float, investments: list[str] | None = None) -> Any:
    """Two C-17s of 18 pallets each land at t = 0 (two stands); the cargo terminal takes one pallet at a time at
    cargo_pph, the two flights' pallets in turn: the k-th pallet through leaves it at k / cargo_pph h."""
    net = tiny_network(tmp_path / "net", airfields=[{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": 1000,
                                                    "cargo_pph": cargo_pph}])
    flights = [{"airfield": "apod", "at_h": 0, "pieces": 18, "aircraft": "c17"},
               {"airfield": "apod", "at_h": 0, "pieces": 18, "aircraft": "c17"}]
    data = {**_airlift(net, flights, [_pallets(36)]), "investments": investments or [],
            "custom_investments": [_line("air_terminal_ops_equipment", {"melsbroek": "apod"})]}
    return _run(tmp_path, data)


def test_pallet_hours_at_the_airfield_halve_when_the_pallet_rate_doubles(tmp_path: Path) -> None:
    """cargo_pph 10: the 36 pallets leave the terminal at 0.1, 0.2, ... 3.6 h: 0.1 x (1 + ... + 36) = 66.6
    pallet-hours from landing; cargo_pph 20: 33.3, half."""
    slow, fast = _terminal(tmp_path / "a", 10), _terminal(tmp_path / "b", 20)
    assert slow.summary()["airfield_cargo_piece_h"] == pytest.approx(66.6)
    assert fast.summary()["airfield_cargo_piece_h"] == pytest.approx(33.3)
    out = slow.moves[(slow.moves["kind"] == "piece") & (slow.moves["stage"] == "terminal")]
    assert len(out) == 36
    assert out["t_end"].max() == pytest.approx(3.6)


def test_air_terminal_equipment_multiplies_the_pallet_rate_by_one_and_a_half(tmp_path: Path) -> None:
    """The line's cargo_pph x1.5 at the terminal (10 -> 15 pallets/h): 66.6 pallet-hours become 666 / 15 =
    44.4, the last pallet leaves at 36 / 15 = 2.4 h instead of 3.6 h, and every pallet goes on to the exit:
    closure 1.2 h sooner (the road beyond is the same for both)."""
    base, eq = _terminal(tmp_path / "a", 10), _terminal(tmp_path / "b", 10, ["air_terminal_ops_equipment"])
    assert eq.summary()["airfield_cargo_piece_h"] == pytest.approx(666 / 15)
    assert base.closure_h is not None
    assert eq.closure_h is not None
    assert base.closure_h - eq.closure_h == pytest.approx(3.6 - 2.4)
    for r in (base, eq):
        _accounted(r)
        pieces = r.accounting()["pieces"]
        assert pieces["planned"] == pieces["delivered"] == 36


def test_the_pallets_wait_for_the_terminal_is_blamed_on_it(tmp_path: Path) -> None:
    """The pallets' wait for the terminal is piece-hours of the cargo terminal resource (the resource table).
    The flights' pallets take turns (A1, B1, A2, B2, ...); every turn but A1's waits 0.1 h for the other flight's
    pallet, and the flight's pallets not yet through wait with it: A's turns 2-18 hold 17 + ... + 1 = 153
    pallets, B's 18 + ... + 1 = 171: 0.1 x 324 = 32.4 piece-hours, and every pallet but A1 is held."""
    r = _terminal(tmp_path, 10)
    row = r.resource_stats().set_index("resource").loc["cargo_terminal@apod"]
    assert row["wait_h"] == pytest.approx(32.4)
    assert row["pieces_held"] == 35


def test_a_c17_flies_18_pallets_and_an_a400m_9(tmp_path: Path) -> None:
    """Planned flights: pallets fill the type's pallet positions (18 and 9, sim/data/aircraft.csv)."""
    net = tiny_network(tmp_path / "net")
    for ac, per in (("c17", 18), ("a400m", 9)):
        data = _airlift(net, [], [_pallets(40)], lift={"aircraft": ac, "flights_every_h": 1})
        plan = plan_of(data)
        assert [len(f.pids) for f in plan.flights] == [per] * (40 // per) + [40 % per], ac
        assert {f.aircraft for f in plan.flights} == {ac}


# ---- bad input ---------------------------------------------------------------------------------------------

def _problems(data: dict[str, Any]) -> list[Any]:
    with pytest.raises(InputError) as exc:
        plan_of(data, "case.yaml")
    return exc.value.problems


def test_an_unknown_aircraft_type_is_named(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    data = _airlift(net, [{"airfield": "apod", "at_h": 0, "pieces": 18, "aircraft": "c-17"}], [_pallets(18)])
    p = _problems(data)
    assert any(x.file == "case.yaml" and x.field == "forces[0].flights[0].aircraft" and x.value == "c-17"
               and "c17" in x.message for x in p), p


def test_more_pallets_than_positions_is_named(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    data = _airlift(net, [{"airfield": "apod", "at_h": 0, "pieces": 10, "aircraft": "a400m"}], [_pallets(10)])
    p = _problems(data)
    assert any(x.file == "case.yaml" and x.field == "forces[0].flights[0].pieces" and x.value == 10
               and "a400m" in x.message for x in p), p


def test_negative_pallets_are_named(tmp_path: Path) -> None:
    """A negative count on a flight or in a line's equipment is refused with its field and value."""
    net = tiny_network(tmp_path / "net")
    data = _airlift(net, [{"airfield": "apod", "at_h": 0, "pieces": -18, "aircraft": "c17"}], [_pallets(18)])
    with pytest.raises(InputError) as exc:
        load_plan(write_scenario(tmp_path / "a.yaml", data))
    assert any(x.field == "forces[0].flights[0].pieces" and x.value == -18 for x in exc.value.problems), \
        exc.value.problems
    data = _airlift(net, [{"airfield": "apod", "at_h": 0, "pieces": 18, "aircraft": "c17"}], [_pallets(18)])
    data["deployment"][0]["equipment"] = f"{PALLET}=-18"
    with pytest.raises(InputError) as exc:
        load_plan(write_scenario(tmp_path / "b.yaml", data))
    assert any("equipment" in str(x.field) and f"{PALLET}=-18" in str(x.value) for x in exc.value.problems), \
        exc.value.problems


def test_pallets_on_an_airliner_are_named(tmp_path: Path) -> None:
    """A charter airliner has no pallet positions: lift planned on it is refused, naming the type."""
    net = tiny_network(tmp_path / "net")
    p = _problems(_airlift(net, [], [_pallets(5)], lift={"aircraft": "charter_300"}))
    assert any(x.field == "forces[0].lift.aircraft" and x.value == "charter_300" for x in p), p


def test_pallets_go_on_by_road_where_containers_go_by_rail(tmp_path: Path) -> None:
    """A 463L pallet has no wagon type (sim/data/equipment.csv): under rules that send containers by rail
    first, the pallets take the next mode, road, to the staging area and the exit, while the line's 20 ft
    containers take the train."""
    net = tiny_network(tmp_path / "net")
    lines = [_pallets(18), {"uln": "a-box", "force": "f", "unit": "a", "pod": "apod", "ead": "2027-02-01",
                            "equipment": "container_20ft=2"}]
    data = listed(net, lines, ships=[], flights=[{"airfield": "apod", "at_h": 0, "pieces": 18, "aircraft": "c17"},
                                                 {"airfield": "apod", "at_h": 0, "pieces": 2, "aircraft": "c17"}])
    data["modes"] = {**ROAD, "container": ["rail", "road"]}
    data["pools"] = {"wagons": {"container_flat": 2}}
    plan = plan_of(data)
    modes = {(p.equipment, p.mode) for p in plan.pieces}
    assert modes == {(PALLET, "road"), ("container_20ft", "rail")}
