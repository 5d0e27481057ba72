"""Sea ports working shifts at a discharge rate per piece class: exact timelines across a shift's end, class
rates, the default (around the clock, one rate) unchanged, and bad shift input refused with a clear Problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.plan import Plan, compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario
from sim.windows import parse_window, work_end

PORT = {"node": "port", "berths": 1, "discharge_pph": 8, "marshalling_spaces": 1000, "tech_check_h": 0}
TRACKED_BY_RAIL = {"templates": {"t": [{"unit": "a", "personnel": 0, "tracked": 4}]},
                   "forces": [{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]}


def plan_for(tmp_path: Path, port: dict[str, Any] | None = None, **kw: Any) -> Plan:
    net = tiny_network(tmp_path / "net", **({"seaports": [port]} if port else {}))
    data = scenario(net, **kw)
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)


def timeline(plan: Plan, stage: str = "discharge") -> list[tuple[Any, ...]]:
    """(piece, class, t_in, t_start, t_end) of every piece record of one stage, in time order."""
    mv = run_replication(plan).moves
    mv = mv[(mv["kind"] == "piece") & (mv["stage"] == stage)].sort_values(["t_start", "id"])
    return [(r.id, r.cls, round(r.t_in, 9), round(r.t_start, 9), round(r.t_end, 9)) for r in mv.itertuples()]


@pytest.mark.parametrize(("text", "t", "work", "clock", "expected"), [
    ("", 3.0, 2.0, 0.0, 5.0),                                # no shifts: around the clock
    ("06:00-14:00", 7.0, 2.0, 0.0, 9.0),                     # inside one shift
    ("06:00-14:00", 13.0, 2.0, 0.0, 31.0),                   # 1 h before 14:00, 1 h from 06:00 next day
    ("06:00-14:00", 2.0, 1.0, 0.0, 7.0),                     # before the shift: waits for 06:00
    ("06:00-14:00", 14.0, 0.5, 0.0, 30.5),                   # at the shift's end: the next shift
    ("06:00-14:00;14:00-22:00", 13.5, 1.0, 0.0, 14.5),       # back-to-back shifts: no break
    ("22:00-06:00", 5.0, 2.0, 0.0, 23.0),                    # across midnight: 1 h to 06:00, 1 h from 22:00
    ("06:00-14:00", 0.0, 2.0, 13.0, 18.0),                   # t = 0 is 13:00: 1 h, then 17 h later 1 h more
    ("06:00-14:00", 0.0, 20.0, 6.0, 52.0),                   # several days: 8 + 8 + 4 h worked
    ("00:00-24:00", 1.0, 2.0, 0.0, 3.0),                     # a shift all day long
])
def test_work_stops_at_a_shifts_end_and_resumes_at_the_next(text, t, work, clock, expected):
    assert work_end(parse_window(text), t, work, clock) == pytest.approx(expected)


def test_a_ship_discharged_across_a_shifts_end(tmp_path):
    # t = 0 is 13:48:45 (13.8125 h): 0.1875 h to the end of the 06:00-14:00 shift, the next starts at 15:00
    # (t = 1.1875). Four tracked pieces at 8 pieces/h (0.125 h each): the second piece is half discharged at
    # 14:00, waits on board through the break and is finished 0.0625 h into the next shift.
    plan = plan_for(tmp_path, PORT, start_clock_h=13.8125, ports={"shifts": "06:00-14:00;15:00-22:00"},
                    **TRACKED_BY_RAIL)
    assert timeline(plan) == [
        (0, "tracked", 0.0, 0.0, 0.125),
        (1, "tracked", 0.125, 0.125, 1.25),
        (2, "tracked", 1.25, 1.25, 1.375),
        (3, "tracked", 1.375, 1.375, 1.5),
    ]


def test_a_ship_arriving_after_the_last_shift_waits_at_its_berth_for_the_next(tmp_path):
    # t = 0 is 22:00 and the port's own shifts (over the scenario-wide round-the-clock default) start at 06:00
    plan = plan_for(tmp_path, PORT, start_clock_h=22.0, ports={"by_port": {"port": [[6, 14], [14, 22]]}},
                    **TRACKED_BY_RAIL)
    # (a piece's t_in is when the piece before it was off the ship: its wait for the shift is its own)
    assert timeline(plan) == [(0, "tracked", 0.0, 8.0, 8.125), (1, "tracked", 8.125, 8.125, 8.25),
                              (2, "tracked", 8.25, 8.25, 8.375), (3, "tracked", 8.375, 8.375, 8.5)]


def test_the_technical_check_follows_the_shifts_only_when_asked(tmp_path):
    # as across a shift's end above, with a 0.5 h technical check: piece 0 is discharged at 0.125 h; around
    # the clock its check ends at 0.625 h; in shifts 0.0625 h is done before 14:00 and 0.4375 h from 15:00
    # (t = 1.1875), so it ends at 1.625 h. The train forms when the last piece joins.
    port = {**PORT, "tech_check_h": 0.5}
    shifts = "06:00-14:00;15:00-22:00"
    around = plan_for(tmp_path / "a", port, start_clock_h=13.8125, ports={"shifts": shifts}, **TRACKED_BY_RAIL)
    inside = plan_for(tmp_path / "b", port, start_clock_h=13.8125,
                      ports={"shifts": shifts, "tech_check_in_shifts": True}, **TRACKED_BY_RAIL)
    assert [t_in for _, _, t_in, _, _ in timeline(around, "rail_load")] == [0.625, 1.75, 1.875, 2.0]
    assert [t_in for _, _, t_in, _, _ in timeline(inside, "rail_load")] == [1.625, 1.75, 1.875, 2.0]


def test_each_class_is_discharged_at_its_own_rate(tmp_path):
    # tracked at 4/h (0.25 h), wheeled at 8/h (0.125 h); containers have no rate of their own and take the
    # port's discharge_pph of 10/h (0.1 h); one berth, so the pieces follow each other
    port = {**PORT, "discharge_pph": 10, "discharge_pph_tracked": 4, "discharge_pph_wheeled": 8}
    plan = plan_for(tmp_path, port, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 2, "wheeled": 2,
                                                      "container": 1}]},
                    forces=[{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road", "exit_rail"],
                             "ships": [{"port": "port", "at_h": 0}]}])
    rows = timeline(plan)
    took = {"tracked": 0.25, "wheeled": 0.125, "container": 0.1}
    assert sorted(cls for _, cls, *_ in rows) == ["container", "tracked", "tracked", "wheeled", "wheeled"]
    t = 0.0
    for _, cls, t_in, t_start, t_end in rows:
        assert (t_in, t_start) == (pytest.approx(t), pytest.approx(t))
        assert t_end - t_start == pytest.approx(took[cls])
        t = t_end
    assert t == pytest.approx(2 * 0.25 + 2 * 0.125 + 0.1)


def test_default_is_the_pinned_timeline_around_the_clock(tmp_path):
    # the case pinned in test_timelines.test_one_train_from_loading_to_unloading_and_back: 10 pieces/h, no
    # shifts and no class rates; "always" and class rates equal to discharge_pph change nothing, bit for bit
    port = {**PORT, "discharge_pph": 10}
    pinned = [(0, 0.0, 0.0, 0.1), (1, 0.1, 0.1, 0.2), (2, 0.2, 0.2, 0.3), (3, 0.3, 0.3, 0.4)]
    plain = plan_for(tmp_path / "a", port, **TRACKED_BY_RAIL)
    assert [(pid, round(a, 6), round(b, 6), round(c, 6)) for pid, _, a, b, c in timeline(plain)] == pinned
    assert run_replication(plain).summary()["closure_h"] == pytest.approx(6.4)
    same = {**port, **{f"discharge_pph_{c}": 10 for c in ("tracked", "wheeled", "trailer", "container", "helicopter")}}
    for i, (p, kw) in enumerate([(port, {"ports": {"shifts": "always"}}), (same, {})]):
        other = plan_for(tmp_path / f"b{i}", p, **kw, **TRACKED_BY_RAIL)
        a, b = run_replication(plain).moves, run_replication(other).moves
        assert a.equals(b)


def test_civil_berth_sharing_scales_every_class_rate(tmp_path):
    # half the berth's hours go to commercial ships: 4/h tracked becomes 2/h (0.5 h a piece)
    port = {**PORT, "discharge_pph_tracked": 4, "civil_berths": 0.5}
    plan = plan_for(tmp_path, port, civil_traffic={"level": 1.0}, **TRACKED_BY_RAIL)
    assert [round(t_end - t_start, 9) for *_, t_start, t_end in timeline(plan)] == [0.5] * 4


@pytest.mark.parametrize(("ports", "field", "words"), [
    ({"shifts": "25:00-05:00"}, "ports.shifts", "out of range"),
    ({"shifts": "06:00-06:00"}, "ports.shifts", "is empty"),
    ({"shifts": "6-14"}, "ports.shifts", "HH:MM-HH:MM"),
    ({"shifts": [[6, 30]]}, "ports.shifts", "outside 0..24"),
    ({"shifts": [[6]]}, "ports.shifts", "not a pair"),
    ({"shifts": [[6, True]]}, "ports.shifts", "not a pair"),
    ({"shifts": [[6.01, 14]]}, "ports.shifts", "whole minutes"),
    ({"shifts": 6}, "ports.shifts", "list of [start_h, end_h]"),
    ({"shifts": []}, "ports.shifts", "list of [start_h, end_h]"),
    ({"by_port": {"port": "06:00-14:00;14:00"}}, "ports.by_port.port", "HH:MM-HH:MM"),
    ({"tech_check_in_shifts": "sometimes"}, "ports.tech_check_in_shifts", "bool"),
    ({"shift": "06:00-14:00"}, "ports.shift", "unknown key"),
])
def test_bad_shifts_are_refused_naming_the_field(tmp_path, ports, field, words):
    net = tiny_network(tmp_path / "net")
    with pytest.raises(InputError) as exc:
        parse_scenario(scenario(net, ports=ports), "s.yaml")
    problems = [p for p in exc.value.problems if p.field == field]
    assert len(problems) == 1, exc.value.problems
    assert words in problems[0].message
    assert problems[0].file == "s.yaml"


def test_shifts_for_an_unknown_port_are_refused_through_the_cli(tmp_path):
    net = tiny_network(tmp_path / "net")
    path = write_scenario(tmp_path / "s.yaml", scenario(net, ports={"by_port": {"nowhere": "06:00-14:00"}}))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip() and not ln.startswith("note: ")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    line = lines[0]
    assert line.startswith("error: ")
    assert str(path) in line
    assert "ports.by_port.nowhere" in line
    assert "unknown sea port" in line


def test_shift_pairs_are_the_same_as_window_text(tmp_path):
    net = tiny_network(tmp_path / "net")
    s = parse_scenario(scenario(net, ports={"shifts": [[6, 14], [14.5, 22], [22, 6]]}), "s.yaml")
    assert s.ports.shifts == "06:00-14:00;14:30-22:00;22:00-06:00"
    assert s.ports.shifts_at("port") == s.ports.shifts
