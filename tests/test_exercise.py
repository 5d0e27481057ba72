"""Table-top exercise mode: a run paused and continued is the plain run; an inject or decision changes
nothing before its time; replay; the state at a time accounts for everything; each decision's effect on a
small network, computed by hand; the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from netkit import builtin_data, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.dates import when_hours
from sim.errors import InputError
from sim.model import Model
from sim.plan import load_plan
from sim.results import Results
from sim.situation import situation

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "exercises" / "ttx_c3_l24_sabotage.yaml"


def _run(plan, pause_at: list[float] = ()) -> Results:
    m = Model(plan)
    m.start()
    for t in pause_at:
        m.world.advance(t)
    return Results.from_model(m.world, m.world.simulate())


def _state(plan, t: float) -> dict:
    """Every piece's status, node and time of status, persons by state, trains and moves recorded, at t."""
    m = Model(plan)
    m.start()
    w = m.world
    w.advance(t)
    moves = list(w.ledger.move_columns())
    return {"status": list(w.ledger.status), "node": list(w.ledger.node), "since": list(w.ledger.since),
            "pax": dict(w.ledger.pax), "trains": [dict(r) for r in w.trains], "moves": moves, "now": w.env.now}


@pytest.fixture(scope="module")
def builtin_plan():
    return load_plan(ROOT / "experiments" / "scenarios" / "belgium_two_brigades.yaml")


def _exercise(tmp_path: Path, exercise: dict, name: str = "ex.yaml") -> Path:
    data = builtin_data()
    data["exercise"] = exercise
    return write_scenario(tmp_path / name, data)


def test_run_paused_and_continued_is_the_plain_run(builtin_plan):
    plain = _run(builtin_plan)
    paused = _run(builtin_plan, [0.5, 78.25, 96.0, 200.0, 200.0, 411.7])
    assert paused.summary() == plain.summary()
    pd.testing.assert_frame_equal(paused.pieces, plain.pieces)
    pd.testing.assert_frame_equal(paused.usage, plain.usage)


def test_an_inject_and_decisions_change_nothing_before_their_time(tmp_path, builtin_plan):
    t = 81.5
    path = _exercise(tmp_path, {"injects": [{"at": t, "kind": "sabotage", "target": "L24", "duration_h": 96},
                                            {"at": t, "kind": "strike", "target": "antwerp_aet", "duration_h": 24}],
                                "decisions": [{"at": t, "kind": "priority", "unit": "eu_armoured", "priority": 2},
                                              {"at": t, "kind": "reserve", "pool": "wagons.heavy_flat", "count": 40}]})
    played = load_plan(path)
    assert _state(played, t) == _state(builtin_plan, t)
    after = _run(played).summary()
    assert after["closure_h"] != _run(builtin_plan).summary()["closure_h"]  # it does act, from its time on


def test_a_branch_is_the_course_played_until_its_decision(tmp_path):
    path = _exercise(tmp_path, {"injects": [{"at": "C+3 06:00", "kind": "sabotage", "target": "L24", "duration_h": 96}],
                                "branches": {"wagons": [{"at": "C+5", "kind": "reserve", "pool": "wagons.heavy_flat",
                                                         "count": 40, "lead_h": 48}]}})
    course = load_plan(path)
    data = yaml.safe_load(path.read_text())
    data["exercise"]["branch"] = "wagons"
    branch = load_plan(write_scenario(tmp_path / "branch.yaml", data))
    assert _state(branch, 120.0) == _state(course, 120.0)
    assert _state(branch, 400.0) != _state(course, 400.0)


def test_replay_of_a_saved_exercise_gives_the_identical_result(tmp_path):
    from sim.replay import differences, read_saved, replay

    path = _exercise(tmp_path, {"injects": [{"at": "C+3 06:00", "kind": "sabotage", "target": "L24", "duration_h": 96}],
                                "decisions": [{"at": "C+4", "kind": "reserve", "pool": "hets", "count": 20,
                                               "lead_h": 12}]})
    out = tmp_path / "saved"
    r = runner.invoke(app, ["run", str(path), "--out", str(out), "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert differences(json.loads(json.dumps(read_saved(out))), json.loads(json.dumps(replay(out)))) == []


def test_the_state_at_a_time_accounts_for_every_piece_and_person(builtin_plan):
    s = situation(builtin_plan, 100.0)
    a = s.accounting()
    assert a["pieces"] == len(builtin_plan.pieces)
    assert a["pieces_not_arrived"] + a["pieces_delivered"] + a["pieces_in_country"] == a["pieces"]
    assert a["persons"] == builtin_plan.personnel_total
    assert s.outcome is not None
    assert s.outcome.summary() == _run(builtin_plan).summary()
    # the queues count pieces that wait, each once
    waiting = s.pieces[s.pieces["status"].str.contains("waiting")]
    assert s.queues.loc[s.queues["kind"] == "pieces", "count"].sum() == len(waiting)
    assert s.words[0].startswith("C+4 Fri 05 Feb 04:00:")
    assert (s.units["pieces"].sum(), s.units["personnel"].sum()) == (a["pieces"], a["persons"])


# ---- each decision on a small network, its effect computed by hand ----------------------------------

def _tiny(tmp_path: Path, **kw) -> Path:
    net = tiny_network(tmp_path / "net")
    return write_scenario(tmp_path / "tiny.yaml", scenario(net, **kw))


def test_reserve_hets_arrive_after_their_lead_time_and_serve_the_queue_at_once(tmp_path):
    """Rail shut: the 4 tracked pieces go by HET, with one HET. A reserve of 3 more, decided at 2 h with a
    lead time of 5 h, is there at 7 h: the three pieces waiting for a HET then get one at exactly 7 h."""
    common = {"corridors": {"out_of_service": ["l_port_exit"]}, "pools": {"hets": 1}}
    base = _run(load_plan(_tiny(tmp_path, **common)))
    path = _tiny(tmp_path, **common, exercise={"decisions": [{"at": 2, "kind": "reserve", "pool": "hets", "count": 3,
                                                              "lead_h": 5}]})
    r = _run(load_plan(path))
    het, het0 = r.usage[r.usage["resource"] == "hets"], base.usage[base.usage["resource"] == "hets"]
    assert len(het) == len(het0) == 4
    first = het0["t_grant"].min()
    assert first < 7.0  # the one HET is taken before the reserve comes
    late = het[het["t_request"] < 7.0].sort_values("t_grant")
    assert late["t_grant"].iloc[0] == first
    assert (late["t_grant"].iloc[1:] == 7.0).all()
    assert len(late) == 4
    assert het0["t_grant"].max() > 7.0  # without it they wait for the one HET to return
    assert r.summary()["closure_h"] < base.summary()["closure_h"]
    assert r.resources.set_index("name").at["hets", "capacity"] == 4


def test_a_reserve_at_time_zero_is_the_pool_from_the_start(tmp_path):
    common = {"corridors": {"out_of_service": ["l_port_exit"]}}
    bigger = _run(load_plan(_tiny(tmp_path, **common, pools={"hets": 4})))
    reserve = _run(load_plan(_tiny(tmp_path, **common, pools={"hets": 1},
                                   exercise={"decisions": [{"at": 0, "kind": "reserve", "pool": "hets", "count": 3}]})))
    assert reserve.summary()["closure_h"] == bigger.summary()["closure_h"]
    pd.testing.assert_frame_equal(reserve.pieces, bigger.pieces)


def test_priority_decision_reorders_the_trains_waiting_for_stock(tmp_path):
    """Two units, one train set: both trains ask for it at once and unit a's goes first (same priority, asked
    first). Made priority 2 at 0.5 h, while b's train waits, unit a's train goes after b's."""
    tpl = {"t": [{"unit": "a", "personnel": 10, "tracked": 4}, {"unit": "b", "personnel": 10, "tracked": 4}]}
    common = {"templates": tpl, "pools": {"train_sets": 1}}
    base = _run(load_plan(_tiny(tmp_path, **common)))
    first = [t["unit"] for t in sorted(base.trains.to_dict("records"), key=lambda t: t["t_stock"])]
    assert first[:2] == ["a", "b"]
    r = _run(load_plan(_tiny(tmp_path, **common, exercise={"decisions": [
        {"at": 0.5, "kind": "priority", "unit": "f/a", "priority": 2}]})))
    order = [t["unit"] for t in sorted(r.trains.to_dict("records"), key=lambda t: t["t_stock"])]
    if base.trains.sort_values("t_stock")["t_stock"].iloc[0] < 0.5:  # a's train had its stock before the decision
        assert order[:2] == ["a", "b"]
    else:
        assert order[:2] == ["b", "a"]


def test_close_decision_holds_trains_until_the_line_reopens(tmp_path):
    """The rail line is closed by decision from 0 h for 30 h, and pieces switch to road only after 100 h of
    closure: no train enters the line before 30 h."""
    r = _run(load_plan(_tiny(tmp_path, disruptions={"divert_after_h": 100}, exercise={"decisions": [
        {"at": 0, "kind": "close", "target": "l_port_exit", "duration_h": 30}]})))
    departs = r.trains["t_depart"].dropna()
    assert len(departs)
    assert departs.min() >= 30.0
    assert r.summary()["disruptions"][0]["name"] == "close:l_port_exit@0"


# ---- bad input ---------------------------------------------------------------------------------------

def test_bad_exercise_input_names_file_field_and_value(tmp_path):
    with pytest.raises(InputError, match=r"exercise\.injects\[0\]\.at = 'C\+3 25:00'.*not a clock time"):
        load_plan(_tiny(tmp_path, exercise={"injects": [{"at": "C+3 25:00", "kind": "sabotage",
                                                         "target": "l_port_exit", "duration_h": 4}]}))
    path = _tiny(tmp_path, exercise={
        "injects": [{"at": 5, "kind": "drone", "target": "nowhere", "duration_h": 4}],
        "decisions": [{"at": 1, "kind": "reserve", "pool": "wagons.nope", "count": 2}],
        "branch": "missing"})
    with pytest.raises(InputError) as exc:
        load_plan(path)
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "exercise.injects[0].target = 'nowhere'" in text
    assert "exercise.decisions[0].pool = 'wagons.nope'" in text
    assert "exercise.branch = 'missing'" in text
    late = load_plan(_tiny(tmp_path, exercise={"injects": [{"at": 5000, "kind": "drone", "target": "port",
                                                            "duration_h": 4}]}))
    assert any(w.field == "exercise.injects[0].at" and "after the horizon" in w.message for w in late.warnings)
    bad = _tiny(tmp_path, exercise={"decisions": [{"at": 1, "kind": "priority", "unit": "f/zz", "priority": 1}]})
    with pytest.raises(InputError, match=r"exercise\.decisions\[0\]\.unit.*f/zz"):
        load_plan(bad)
    with pytest.raises(InputError, match="needs pool and count"):
        load_plan(_tiny(tmp_path, exercise={"decisions": [{"at": 1, "kind": "reserve"}]}))


def test_exercise_times():
    from datetime import datetime

    start = datetime(2027, 2, 1)
    assert when_hours("C+3 06:00", start, None) == 78.0
    assert when_hours("2027-02-04T06:00", start, None) == 78.0
    assert when_hours(12, start, None) == 12.0
    assert when_hours("C+1", None, None, 8.0) == 16.0
    with pytest.raises(ValueError, match="before the start"):
        when_hours("C-1", start, None)


# ---- the commands --------------------------------------------------------------------------------------

def test_exercise_commands_start_advance_inject_decide_compare_log(tmp_path):
    ex = tmp_path / "ttx.yaml"
    assert runner.invoke(app, ["exercise", "start", str(ROOT / "experiments/scenarios/belgium_two_brigades.yaml"),
                               "-o", str(ex)]).exit_code == 0
    r = runner.invoke(app, ["exercise", "advance", str(ex), "C+3"])
    assert r.exit_code == 0
    assert r.output.startswith("C+3 Thu 04 Feb 00:00:")
    r = runner.invoke(app, ["exercise", "inject", str(ex), "sabotage", "L24", "--duration", "96", "--at", "C+3 06:00"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["exercise", "inject", str(ex), "sabotage", "L99", "--duration", "96"])
    assert r.exit_code == 2
    assert "exercise.injects[1].target" in r.output
    assert "L99" in r.output
    assert "L99" not in ex.read_text()  # a refused inject leaves the file as it was
    assert runner.invoke(app, ["exercise", "decide", str(ex), "reserve", "--pool", "wagons.heavy_flat", "--count", "40",
                               "--lead", "48", "--branch", "wagons"]).exit_code == 0
    assert runner.invoke(app, ["exercise", "decide", str(ex), "priority", "--unit", "eu_armoured", "--priority", "2",
                               "--branch", "us_first"]).exit_code == 0
    r = runner.invoke(app, ["exercise", "advance", str(ex), "C+1"])
    assert r.exit_code == 2
    assert "only moves forward" in r.output
    r = runner.invoke(app, ["exercise", "compare", str(ex), "--json"])
    assert r.exit_code == 0, r.output
    names = [v["name"] for v in json.loads(r.output)["variants"]]
    assert names == ["as planned", "as played", "us_first", "wagons"]
    r = runner.invoke(app, ["run", str(ex), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert [i["name"] for i in s["injects"]] == ["sabotage:L24@C+3 06:00"]
    assert s["decisions"] == []
    log = tmp_path / "log.xlsx"
    assert runner.invoke(app, ["exercise", "log", str(ex), "-o", str(log)]).exit_code == 0
    frame = pd.read_excel(log)
    assert list(frame["branch"]) == ["(every branch)", "us_first", "wagons"]
    assert frame.loc[0, "at"] == "C+3 06:00"
    assert frame.loc[0, "c_day"] == "C+3"


def test_state_command_writes_tables_and_map(tmp_path):
    out = tmp_path / "state"
    r = runner.invoke(app, ["exercise", "state", str(EXAMPLE), "--at", "C+4", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "L24 is closed until C+7 Mon 08 Feb 06:00 (sabotage:L24@C+3 06:00)." in r.output.splitlines()
    assert {p.name for p in out.iterdir()} == {"pieces.csv", "persons.csv", "queues.csv", "trains.csv", "units.csv", "map.png"}


def test_report_of_an_exercise_opens_with_what_sets_closure_and_what_the_branch_changed(tmp_path):
    from sim.report import write_report

    path = _tiny(tmp_path, start="2027-02-01T00:00", pools={"hets": 1}, disruptions={"divert_after_h": 100},
                 exercise={"injects": [{"at": 1, "kind": "sabotage", "target": "l_port_exit", "duration_h": 30}],
                           "branches": {"more_hets": [{"at": 1, "kind": "reserve", "pool": "hets", "count": 3}]}})
    html = write_report(path, tmp_path / "rep").read_text(encoding="utf-8")
    brief = html[html.index('<div class="story brief">'):html.index("</div>", html.index('<div class="story brief">'))]
    assert "The force closes at" in brief
    assert "The inject sabotage:l_port_exit@1 (C+0 Mon 01 Feb 01:00) costs" in brief
    assert "Branch more_hets" in brief
    assert html.index("<h2>Exercise</h2>") < html.index("<h2>Key figures</h2>")
    assert "The courses side by side" in html
    assert "as planned" in html
    assert "more_hets" in html
    assert "sabotage:l_port_exit@1" in html[html.index("<h2>Friction</h2>"):]  # the disruption is named there too
    assert "@media print" in html


def _rail_tiny(tmp_path: Path, paths: int, **kw) -> Path:
    from netkit import link, road_links

    net = tiny_network(tmp_path / f"net{paths}", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail",
                                                                               100, 50, paths_per_day=paths)])
    tpl = {"t": [{"unit": u, "personnel": 10, "tracked": 4} for u in ("a", "b", "c")]}
    return write_scenario(tmp_path / f"rail{paths}_{len(kw)}.yaml", scenario(net, templates=tpl, **kw))


def test_paths_decision_at_the_start_is_the_line_with_those_paths(tmp_path):
    """One path a day, and one more decided at 0 h: the trains run as on a line with two paths a day. Trains
    a and b are loaded at 4.4 and 8.4 h: with one path a day b leaves 24 h after a (28.4 h), with two 12 h after
    (16.4 h). (Their tracked pieces are out of gauge and take the paths of both directions, and the empty
    returns take paths too, so the third train leaves later than a further interval.)"""
    one = _run(load_plan(_rail_tiny(tmp_path, 1)))
    two = _run(load_plan(_rail_tiny(tmp_path, 2)))
    decided = _run(load_plan(_rail_tiny(tmp_path, 1, exercise={"decisions": [
        {"at": 0, "kind": "paths", "target": "l_port_exit", "count": 1}]})))
    dep = sorted(decided.trains["t_depart"])
    assert dep == sorted(two.trains["t_depart"])
    assert dep[:2] == [pytest.approx(4.4), pytest.approx(16.4)]
    assert sorted(one.trains["t_depart"])[:2] == [pytest.approx(4.4), pytest.approx(28.4)]


def test_paths_decision_keeps_paths_booked_before_it(tmp_path):
    """One path a day; a second path decided at 5 h, after the first two trains have booked theirs (at 4.4 h,
    for 4.4 and 28.4 h): they keep them, and the third train, booking after the decision, leaves earlier than
    without it, never closer than the new interval (12 h) to the one before."""
    one = _run(load_plan(_rail_tiny(tmp_path, 1)))
    t = 5.0
    decided = _run(load_plan(_rail_tiny(tmp_path, 1, exercise={"decisions": [
        {"at": t, "kind": "paths", "target": "l_port_exit", "count": 1}]})))
    d0, d1 = sorted(one.trains["t_depart"]), sorted(decided.trains["t_depart"])
    assert d1[:2] == d0[:2] == [pytest.approx(4.4), pytest.approx(28.4)]
    assert d1[2] < d0[2]
    assert d1[2] - d1[1] >= 12.0 - 1e-9


def test_reserve_trucks_come_with_rested_drivers(tmp_path):
    """One truck for two containers: its driver must rest after the first turn, and container 1 reaches the exit
    at 20.6 h (tests/test_trucks.py). A second truck from a contract decided at 0 h with 0.5 h notice is there at
    0.5 h with a rested driver: container 1 is loaded by 0.75 h and at the exit at 0.75 + 2.75 = 3.5 h."""
    from test_trucks import _ends
    from test_trucks import _run as run_trucks

    alone = run_trucks(tmp_path / "a", 2, 1)
    helped = run_trucks(tmp_path / "b", 2, 1, exercise={"decisions": [
        {"at": 0, "kind": "reserve", "pool": "trucks", "count": 1, "lead_h": 0.5}]})
    assert _ends(alone, "road") == pytest.approx([3.1, 20.6])
    assert _ends(helped, "road") == pytest.approx([3.1, 3.5])
    with pytest.raises(InputError, match=r"exercise\.decisions\[0\]\.pool.*no truck pool"):
        run_trucks(tmp_path / "c", 2, None, exercise={"decisions": [{"at": 0, "kind": "reserve", "pool": "trucks",
                                                                       "count": 1}]})


def test_discharge_decision_speeds_up_the_pieces_discharged_after_it(tmp_path):
    """Ten pieces discharged one after the other at the port's rates; stevedores hired at 0.35 h double the rates
    from then: every piece whose discharge starts after 0.35 h takes half as long, those before as long."""
    base = _run(load_plan(_tiny(tmp_path)))
    fast = _run(load_plan(_tiny(tmp_path, exercise={"decisions": [
        {"at": 0.3, "kind": "discharge", "target": "port", "factor": 2, "lead_h": 0.05}]})))

    def spans(r):
        m = r.moves[(r.moves["kind"] == "piece") & (r.moves["stage"] == "discharge")].sort_values("t_start")
        return list(zip(m["t_start"], m["t_end"] - m["t_start"], strict=True))
    b, f = spans(base), spans(fast)
    assert len(b) == len(f) == 10
    t = 0.35
    before = [d for s, d in b if s < t - 1e-9]
    assert [d for s, d in f if s < t - 1e-9] == before
    assert before
    for (_, d0), (s1, d1) in zip(b[len(before):], f[len(before):], strict=True):
        assert s1 >= t - 1e-9
        assert d1 == pytest.approx(d0 / 2)
    assert max(s + d for s, d in f) < max(s + d for s, d in b)  # the ship is empty sooner


def test_mode_decision_sends_the_class_by_its_next_mode_from_its_time(tmp_path):
    """Three units' tracked pieces reach the port railhead; their trains are formed at 0.4, 0.8 and 1.2 h. Tracked
    go by HET when the staff decide at 1.0 h to stop sending them by rail: units a and b keep their trains, unit c's
    pieces go by HET."""
    base = _run(load_plan(_rail_tiny(tmp_path, 24)))
    assert sorted(base.trains["unit"]) == ["a", "b", "c"]
    r = _run(load_plan(_rail_tiny(tmp_path, 24, exercise={"decisions": [
        {"at": 1.0, "kind": "mode", "unit": "f", "piece_class": "tracked"}]})))
    assert sorted(r.trains["unit"]) == ["a", "b"]
    modes = r.pieces[r.pieces["cls"] == "tracked"].groupby("unit")["mode"].agg(set).to_dict()
    assert modes == {"a": {"rail"}, "b": {"rail"}, "c": {"het"}}
    with pytest.raises(InputError, match=r"piece_class.*no road or HET after rail"):
        load_plan(_rail_tiny(tmp_path, 24, modes={"tracked": ["rail"]}, exercise={"decisions": [
            {"at": 1.0, "kind": "mode", "unit": "f", "piece_class": "tracked"}]}))
