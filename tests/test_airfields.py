"""Airfields under attack: a damage lasts its repair time times the airfield's repair factor, and a flight
whose airfield stays closed longer than air.divert_after_h lands at the nearest open airfield instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from netkit import link, node, scenario, tiny_network, tiny_nodes, write_scenario

from sim.plan import load_plan
from sim.runner import run_replication

STRIKE = {"events": [{"name": "strike", "kind": "strike", "target": "apod", "at_h": 0, "duration_h": 10}]}


def _net(tmp_path: Path, repair: float | None = None) -> Path:
    """The tiny network with a second airfield, apod2, 20 km from apod and 30 km by road from the staging area."""
    fields = [{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": 1000, "cargo_pph": 10,
               **({"repair_factor": repair} if repair is not None else {})},
              {"node": "apod2", "mog": 2, "turnaround_h": 2, "pax_ph": 1000, "cargo_pph": 10}]
    return tiny_network(
        tmp_path / "net",
        nodes=[*tiny_nodes(), node("apod2", "airfield", 50.9, 4.785)],
        links=[link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
               link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
               link("r_apod2_stage", "road", "apod2", "stage", 30, 80),
               link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)],
        airfields=fields)


def _personnel_in(tmp_path: Path, repair: float | None = None, **kw) -> tuple[float, object]:
    net = _net(tmp_path, repair)
    data = scenario(net, disruptions=STRIKE, **kw)
    data["forces"][0].pop("staging")  # persons by bus from the airfield straight to the border
    r = run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))
    return float(r.pax_delivered["t"].max()), r


def test_a_flight_diverts_when_its_airfield_stays_closed_and_holds_a_short_closure(tmp_path: Path) -> None:
    """The flight arrives at t = 0 and apod is closed for 10 h: it lands at apod2 (the nearest open airfield),
    its 40 persons clear the terminal in 0.04 h and ride 30 km to the staging area and 100 km on, at 80 km/h."""
    t, r = _personnel_in(tmp_path / "a")
    assert list(r.reroutes["what"]) == ["flight"]
    assert r.reroutes.iloc[0]["goal"] == "apod2"
    assert t == pytest.approx(0.04 + 130 / 80)
    held, r2 = _personnel_in(tmp_path / "b", air={"divert_after_h": 12})
    assert len(r2.reroutes) == 0
    assert held == pytest.approx(10 + 0.04 + 130 / 80)  # waited out the closure in the hold


def test_repair_capacity_shortens_a_damage(tmp_path: Path) -> None:
    """With a repair factor of 0.5 the strike closes apod for 5 h, and the flight holds (it would divert only
    after 12 h)."""
    t, r = _personnel_in(tmp_path, repair=0.5, air={"divert_after_h": 12})
    assert t == pytest.approx(5 + 0.04 + 130 / 80)
    d = r.disruptions.iloc[0]
    assert (d["start_h"], d["end_h"]) == (0.0, 5.0)


def test_the_report_names_each_disruption_and_what_it_did(tmp_path: Path) -> None:
    from sim.report import write_report

    net = _net(tmp_path)
    data = scenario(net, disruptions=STRIKE)
    data["forces"][0].pop("staging")
    html = write_report(write_scenario(tmp_path / "s.yaml", data), tmp_path / "r").read_text(encoding="utf-8")
    assert "<h2>Friction</h2>" in html
    row = html[html.index("<td class=\"l\">strike</td>"):]
    assert "<td class=\"l\">apod</td>" in row[:200]  # its target
    assert "closed" in row[:600]
