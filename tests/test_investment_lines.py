"""Each Strategic Vision line's mechanism on a small network, its saving computed by hand: the model must move
closure (or the metric the line acts on) by exactly what the line's changes buy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netkit import link, node, scenario, tiny_network, write_scenario

from sim.errors import InputError
from sim.plan import load_plan
from sim.runner import run_replication

PAX_ONLY = {"t": [{"unit": "a", "personnel": 40}]}  # a unit of persons only: its closure is theirs


def _run(tmp_path: Path, data: dict[str, Any]) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))


def _custom(name: str, *changes: dict[str, Any], cost: float = 1e6) -> dict[str, Any]:
    return {"name": name, "cost_eur": cost, "first_year": 2026, "changes": list(changes)}


# ---- counter-drone systems and harbour sensors: shorter and fewer disruptions ---------------------------------

DRONES = {"events": [{"name": "drones", "kind": "drone", "target": "apod", "at_h": 0, "duration_h": 10}]}
C_UAS = _custom("c_uas", {"table": "disruptions", "key": "apod", "attribute": "drone.duration_h", "op": "mul",
                          "value": 0.5})


def _drone_case(tmp_path: Path, investments: list[str], disruptions: dict[str, Any] = DRONES) -> Any:
    """One flight of 40 persons lands at apod at t = 0 and holds while apod is closed (divert_after_h 12 h keeps it
    from diverting); the persons clear the terminal (40 / 1000 pax/h = 0.04 h) and ride 30 + 100 km at 80 km/h
    to the border (no staging area)."""
    data = scenario(tiny_network(tmp_path / "net"), templates=PAX_ONLY, disruptions=disruptions,
                    air={"divert_after_h": 12}, custom_investments=[C_UAS], investments=investments)
    data["forces"][0].pop("staging")
    data["forces"][0]["ships"] = []
    return _run(tmp_path, data)


def test_counter_drone_systems_halve_a_drone_closure_and_closure_moves_by_the_hours_saved(tmp_path: Path) -> None:
    """A 10 h drone closure of the only airfield: closure 10 + 0.04 + 130 / 80 = 11.665 h. Counter-drone halves
    it to 5 h: closure 5 + 0.04 + 130 / 80 = 6.665 h, exactly 5 h sooner."""
    base = _drone_case(tmp_path / "a", [])
    cuas = _drone_case(tmp_path / "b", ["c_uas"])
    assert base.closure_h == pytest.approx(10 + 0.04 + 130 / 80)
    assert cuas.closure_h == pytest.approx(5 + 0.04 + 130 / 80)
    assert base.closure_h - cuas.closure_h == pytest.approx(5.0)
    d = cuas.disruptions.iloc[0]
    assert (d["start_h"], d["end_h"]) == (0.0, 5.0)


def test_a_change_to_disruptions_acts_only_on_its_kind_and_target(tmp_path: Path) -> None:
    """The same 10 h closure caused by sabotage, or by drones at another node: counter-drone does nothing."""
    sabotage = {"events": [{**DRONES["events"][0], "kind": "sabotage"}]}
    assert _drone_case(tmp_path / "a", ["c_uas"], sabotage).closure_h == pytest.approx(10 + 0.04 + 130 / 80)
    elsewhere = {"events": [DRONES["events"][0], {"kind": "drone", "target": "port", "at_h": 0, "duration_h": 10}]}
    r = _drone_case(tmp_path / "b", ["c_uas"], elsewhere)
    ends = dict(zip(r.disruptions["target"], r.disruptions["end_h"]))
    assert ends == {"apod": 5.0, "port": 10.0}


def test_fewer_random_disruptions_space_the_same_draws_further_apart(tmp_path: Path) -> None:
    """Random drone closures at apod: halving their rate doubles every gap between starts, because the draws
    are the same (common random numbers: mean gap 24 / rate h, each gap a standard exponential draw times it),
    and halving their duration halves each closure."""
    rnd = {"random": [{"kind": "drone", "targets": ["apod"], "rate_per_day": 1.0, "duration_h": 2.0}]}
    fewer = _custom("fewer", {"table": "disruptions", "key": "*", "attribute": "*.rate_per_day", "op": "mul",
                              "value": 0.5})
    data = scenario(tiny_network(tmp_path / "net"), disruptions=rnd, custom_investments=[fewer, C_UAS])
    base = _run(tmp_path / "a", data).disruptions
    half = _run(tmp_path / "b", {**data, "investments": ["fewer", "c_uas"]}).disruptions
    assert len(base) > 2
    starts = base["start_h"].to_numpy()
    n = int((starts < 1000).sum())  # the first ones stay inside the horizon at half the rate
    assert half["start_h"].to_numpy()[:n] == pytest.approx(2 * starts[:n])
    assert (half["end_h"] - half["start_h"]).to_numpy() == pytest.approx(1.0)
    assert (base["end_h"] - base["start_h"]).to_numpy() == pytest.approx(2.0)


@pytest.mark.parametrize("change, field, value", [
    ({"key": "nowhere"}, "c_uas: disruptions.nowhere.drone.duration_h", "nowhere"),
    ({"attribute": "drones.duration_h"}, "c_uas: disruptions.apod.drones.duration_h", "drones.duration_h"),
    ({"attribute": "drone.length"}, "c_uas: disruptions.apod.drone.length", "drone.length"),
    ({"op": "add"}, "c_uas: disruptions.apod.drone.duration_h", "add"),
    ({"value": 0}, "c_uas: disruptions.apod.drone.duration_h", 0.0),
])
def test_a_bad_change_to_disruptions_is_named(tmp_path: Path, change: dict[str, Any], field: str, value: Any) -> None:
    bad = _custom("c_uas", {**C_UAS["changes"][0], **change})
    data = scenario(tiny_network(tmp_path / "net"), custom_investments=[bad], investments=["c_uas"])
    with pytest.raises(InputError) as exc:
        load_plan(write_scenario(tmp_path / "s.yaml", data))
    assert any(p.field == field and p.value == value for p in exc.value.problems), exc.value.problems


# ---- persons waiting at airfields; air terminal operations centre equipment ----------------------------------

def _terminal_case(tmp_path: Path, pax_ph: float, investments: list[str] = (), buses: int = 60) -> Any:
    """Two flights of 40 persons each land at apod at t = 0 (two stands): its passenger terminal takes one
    flight at a time, so the first flight's persons wait 40 / pax_ph h and the second's 80 / pax_ph h."""
    net = tiny_network(tmp_path / "net", airfields=[{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": pax_ph,
                                                    "cargo_pph": 10}])
    ato = _custom("air_terminal_ops_equipment",
                  {"table": "airfields", "key": "apod", "attribute": "pax_ph", "op": "mul", "value": 1.5},
                  cost=40_946_883)
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 80}]}, custom_investments=[ato],
                    investments=list(investments), pools={"buses": buses})
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
    """The line's pax_ph x1.5 at the terminal that is the bottleneck: 240 person-h become 240 / 1.5 = 160, and
    the last person leaves the terminal at 80 / 30 = 2.667 h instead of 4 h: closure 1.333 h sooner."""
    base = _terminal_case(tmp_path / "a", 20)
    eq = _terminal_case(tmp_path / "b", 20, ["air_terminal_ops_equipment"])
    assert eq.summary()["airfield_wait_person_h"] == pytest.approx(160.0)
    assert base.closure_h - eq.closure_h == pytest.approx(4.0 - 80 / 30)
