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
