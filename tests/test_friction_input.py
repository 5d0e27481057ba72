"""Bad input in the friction sections (disruptions, civil_traffic, sustainment, accommodation) through the CLI:
exit code 2, one `error:` line naming file, field and value, no traceback; and a valid scenario using all four."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_bad_input import _build, _check_one, _invoke, _write

EVENT = {"kind": "sabotage", "target": "r_stage_exit", "at_h": 10, "duration_h": 24}
RANDOM = {"kind": "drone", "targets": ["port"], "rate_per_day": 0.5, "duration_h": 6}
FLOW = {"name": "ammo", "origin": "port", "destination": "exit_rail", "mode": "rail", "pieces_per_day": 2,
        "start_h": 24, "end_h": 120}
ROAD_FLOW = {**FLOW, "destination": "exit_road", "mode": "road", "persons_per_day": 20}
HOUSING = {"site": "stage", "persons": 200, "weeks": 1}


def _event(**kw: Any) -> dict:
    return {"disruptions": {"events": [{**EVENT, **kw}]}}


def _random(**kw: Any) -> dict:
    return {"disruptions": {"random": [{**RANDOM, **kw}]}}


def _flow(**kw: Any) -> dict:
    return {"sustainment": [{**FLOW, **kw}]}


def _housing(**kw: Any) -> dict:
    return {"accommodation": [{**HOUSING, **kw}]}


# (scenario overrides, field, value as printed, further words the line must contain)
BAD = {
    # disruptions
    "event_unknown_target": (_event(target="nowhere"), "disruptions.events[0].target", "'nowhere'",
                             ("unknown node, corridor or link",)),
    "event_negative_duration": (_event(duration_h=-5), "disruptions.events[0].duration_h", "-5", ("greater than 0",)),
    "event_zero_duration": (_event(duration_h=0), "disruptions.events[0].duration_h", "= 0", ("greater than 0",)),
    "event_negative_start": (_event(at_h=-1), "disruptions.events[0].at_h", "-1", ()),
    "event_capacity_above_one": (_event(capacity_factor=1.5), "disruptions.events[0].capacity_factor", "1.5",
                                 ("less than 1",)),
    "event_bad_kind": (_event(kind="meteor"), "disruptions.events[0].kind", "'meteor'", ("sabotage",)),
    "duplicate_event_name": ({"disruptions": {"events": [{**EVENT, "name": "x"}, {**EVENT, "name": "x", "at_h": 50}]}},
                             "disruptions.events[1].name", "'x'", ("already used",)),
    "random_zero_rate": (_random(rate_per_day=0), "disruptions.random[0].rate_per_day", "= 0", ("greater than 0",)),
    "random_end_before_start": (_random(start_h=100, end_h=50), "disruptions.random[0].end_h", "50",
                                ("after start_h (100",)),
    "random_unknown_target": (_random(targets=["port", "mars"]), "disruptions.random[0].targets[1]", "'mars'",
                              ("unknown node, corridor or link",)),
    "random_no_targets": (_random(targets=[]), "disruptions.random[0].targets", "[]", ()),
    "random_bad_duration_factor": (_random(duration_factor={"dist": "banana"}), "disruptions.random[0].duration_factor",
                                   "banana", ()),
    "negative_divert_after": ({"disruptions": {"divert_after_h": -1}}, "disruptions.divert_after_h", "-1", ()),
    # civil traffic
    "priority_army": ({"civil_traffic": {"priority": "army"}}, "civil_traffic.priority", "'army'", ("'civil' or 'military'",)),
    "negative_level": ({"civil_traffic": {"level": -1}}, "civil_traffic.level", "-1", ()),
    "road_peaks_not_clock": ({"civil_traffic": {"road_peaks": "7-9"}}, "civil_traffic.road_peaks", "'7-9'", ("HH:MM-HH:MM",)),
    "road_peaks_empty_window": ({"civil_traffic": {"road_peaks": "07:00-07:00"}}, "civil_traffic.road_peaks",
                                "07:00-07:00", ("empty",)),
    "priority_unknown_corridor": ({"civil_traffic": {"military_priority_on": ["E99"]}},
                                  "civil_traffic.military_priority_on[0]", "'E99'", ("unknown corridor",)),
    "peak_unknown_corridor": ({"civil_traffic": {"road_peaks": "07:00-09:00", "road_peak_corridors": ["E99"]}},
                              "civil_traffic.road_peak_corridors[0]", "'E99'", ("unknown corridor",)),
    # sustainment
    "flow_unknown_origin": (_flow(origin="atlantis"), "sustainment[0].origin", "'atlantis'", ("unknown node",)),
    "flow_unknown_destination": (_flow(destination="mars"), "sustainment[0].destination", "'mars'", ("unknown node",)),
    "flow_origin_is_destination": (_flow(destination="port"), "sustainment[0].destination", "'port'", ("same as the origin",)),
    "flow_end_before_start": (_flow(start_h=200, end_h=100), "sustainment[0].end_h", "100", ("after start_h (200",)),
    "flow_end_equals_start": (_flow(start_h=100, end_h=100), "sustainment[0].end_h", "100", ("after start_h (100",)),
    "flow_carries_nothing": (_flow(pieces_per_day=0), "sustainment[0].pieces_per_day", "= 0", ("persons_per_day",)),
    "flow_named_like_force": (_flow(name="f"), "sustainment[0].name", "'f'", ("already used",)),
    "flow_bad_mode": (_flow(mode="barge"), "sustainment[0].mode", "'barge'", ("'rail' or 'road'",)),
    "flow_bad_class": (_flow(cls="tank"), "sustainment[0].cls", "'tank'", ()),
    "flow_no_end": ({"sustainment": [{k: v for k, v in FLOW.items() if k != "end_h"}]}, "sustainment[0].end_h", "None",
                    ("required key is missing",)),
    "flow_typo_key": (_flow(pieces_a_day=3), "sustainment[0].pieces_a_day", "3", ("unknown key",)),
    "rail_flow_no_rail_path": (_flow(destination="exit_road"), "sustainment[0].mode", "'rail'",
                               ("container cannot go by rail from port to exit_road",)),
    "rail_flow_class_without_wagons": (_flow(cls="helicopter"), "sustainment[0].mode", "'rail'",
                                       ("helicopter cannot go by rail",)),
    "bus_flow_without_road": (_flow(persons_per_day=10), "sustainment[0].persons_per_day", "10", ("no road",)),
    # accommodation
    "housing_unknown_site": (_housing(site="nowhere"), "accommodation[0].site", "'nowhere'", ("unknown site",)),
    "housing_not_staging": (_housing(site="port"), "accommodation[0].site", "'port'", ("unknown site",)),
    "housing_zero_persons": (_housing(persons=0), "accommodation[0].persons", "= 0", ()),
    "housing_zero_weeks": (_housing(weeks=0), "accommodation[0].weeks", "= 0", ("greater than 0",)),
    "housing_negative_modules": (_housing(modules=-1), "accommodation[0].modules", "-1", ()),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_friction_input(tmp_path: Path, case: str) -> None:
    overrides, field, value, words = BAD[case]
    _, data = _build(tmp_path, **overrides)
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", field, value, *words)


def test_typo_key_in_disruption_event(tmp_path: Path) -> None:
    event = {k: v for k, v in EVENT.items() if k != "duration_h"} | {"durration_h": 24}
    _, data = _build(tmp_path, disruptions={"events": [event]})
    # two lines: the unknown key and the required key it was meant to be
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "disruptions.events[0].durration_h", "24", "unknown key",
               only=False)
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "disruptions.events[0].duration_h", "None",
               "required key is missing", only=False)


def test_duplicate_flow_names_reported_for_each(tmp_path: Path) -> None:
    _, data = _build(tmp_path, sustainment=[FLOW, FLOW])
    path = _write(tmp_path, data)
    code, out, err = _invoke("validate", str(path))
    assert code == 2
    assert out.strip() == ""
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("note: ")]
    assert all(ln.startswith("error: ") and str(path) in ln and "'ammo'" in ln for ln in lines), lines
    assert {ln.split(": ")[2].split(" = ")[0] for ln in lines} == {"sustainment[0].name", "sustainment[1].name"}


# valid input ---------------------------------------------------------------------------------------------
FRICTION = {
    "disruptions": {"events": [{**EVENT, "name": "cut", "at_h": 5, "duration_h": 12, "capacity_factor": 0.5}],
                    "random": [{**RANDOM, "end_h": 300}], "divert_after_h": 6},
    "civil_traffic": {"level": 1, "priority": "civil", "road_peaks": "07:00-09:00", "military_priority_on": ["l_port_exit"]},
    "accommodation": [{**HOUSING, "modules": 1}],
}


def _run_ok(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    code, out, err = _invoke("run", str(_write(tmp_path, data)), "--json")
    assert code == 0, err
    return json.loads(out)


def _accounted(summary: dict[str, Any], key: str) -> None:
    p = summary[key]
    assert p["planned"] > 0, p
    assert p["planned"] == p["delivered"] + p["in_system"] + p["not_arrived"], p


def test_valid_friction_scenario_runs(tmp_path: Path) -> None:
    _, data = _build(tmp_path, **FRICTION, sustainment=[ROAD_FLOW])
    s = _run_ok(tmp_path, data)
    for key in ("disruptions", "sustainment", "accommodation"):
        assert key in s, sorted(s)
    assert "cut" in [d["name"] for d in s["disruptions"]]
    assert set(s["accommodation"]) == {"stage"}
    for key in ("pieces", "personnel", "sustainment_pieces", "sustainment_personnel"):
        _accounted(s, key)
    waiting = sum(w["count"] for w in s["waiting"] if w["kind"] == "pieces")
    planned = s["pieces"]["planned"] + s["sustainment_pieces"]["planned"]
    assert planned == s["pieces"]["delivered"] + s["sustainment_pieces"]["delivered"] + waiting
    flows = s["sustainment"]
    assert sum(v["pieces"] for v in flows.values()) == s["sustainment_pieces"]["planned"] == 8  # 2/day over 4 days


def test_valid_rail_flow_runs(tmp_path: Path) -> None:
    _, data = _build(tmp_path, **FRICTION, sustainment=[FLOW])
    s = _run_ok(tmp_path, data)
    assert "sustainment" in s
    _accounted(s, "sustainment_pieces")


# missing checks ------------------------------------------------------------------------------------------
def _reported(tmp_path: Path, data: dict[str, Any], field: str, value: str) -> None:
    """`validate` names the field and value in an error or warning line (a no-op input should not pass silently)."""
    path = _write(tmp_path, data)
    _, _, err = _invoke("validate", str(path))
    mine = [ln for ln in err.splitlines() if str(path) in ln and f"{field} = " in ln and value in ln]
    assert len(mine) == 1, err
    assert mine[0].startswith(("error: ", "warning: ")), mine[0]


def test_disruption_on_node_without_facility(tmp_path: Path) -> None:
    _, data = _build(tmp_path, **_event(target="exit_road"))
    _reported(tmp_path, data, "disruptions.events[0].target", "'exit_road'")


def test_disruption_after_horizon(tmp_path: Path) -> None:
    _, data = _build(tmp_path, **_event(at_h=5000))
    _reported(tmp_path, data, "disruptions.events[0].at_h", "5000")


def test_road_peaks_on_rail_link(tmp_path: Path) -> None:
    _, data = _build(tmp_path, civil_traffic={"road_peaks": "07:00-09:00", "road_peak_corridors": ["l_port_exit"]})
    _reported(tmp_path, data, "civil_traffic.road_peak_corridors[0]", "'l_port_exit'")
