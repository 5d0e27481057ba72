"""Deployment lists: unit lines read from CSV or Excel, written back identically, compiled into the same plan as
the templates they came from, units judged against their lines' RDD, lift planned from the list, and every bad
input reported at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from netkit import builtin_data, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.deployment import COLUMNS, read_list, write_list
from sim.errors import InputError
from sim.plan import compile_plan, load_plan
from sim.runner import run_replication
from sim.scenario import UnitLine, parse_scenario

MODES = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}
POOLS = {"wagons": {"heavy_flat": 10, "flat": 10, "container_flat": 1}}


def line(uln: str, **kw: Any) -> dict[str, Any]:
    return {"uln": uln, "force": "f", "unit": "a", "pod": "port", "ead": "2027-02-01", **kw}


def listed(net: Path, lines: list[dict[str, Any]], start: str = "2027-02-01T00:00", **force: Any) -> dict[str, Any]:
    """The tiny scenario with force f given by unit lines (no template)."""
    f = {"id": "f", "exits": ["exit_rail", "exit_road"], "ships": [{"port": "port", "at_h": 0}],
         "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}], **force}
    return scenario(net, start=start, templates={}, forces=[f], modes=MODES, pools=POOLS, deployment=lines)


def plan_of(data: dict[str, Any], file: str = "t.yaml"):
    return compile_plan(parse_scenario(data, file), file, Path(data["network"]))


# ---- the file format ---------------------------------------------------------------------------------------
SAMPLE = [
    UnitLine(uln="US001", force="us_abct", unit="cab_1", nation="US", personnel=0,
             equipment="mbt_m1a2=29;ifv_bradley=38", pod="antwerp_aet", mode="sea", ead=date(2027, 2, 1),
             lad=date(2027, 2, 3), rdd=date(2027, 3, 2), destination="de_aachen_west", priority=1,
             critical="mbt_m1a2;ifv_bradley"),
    UnitLine(uln="US001A", force="us_abct", unit="cab_1", nation="US", personnel=580, pod="melsbroek",
             ead=date(2027, 2, 1)),
    UnitLine(uln="É-02", force="eu_armoured", unit="génie", equipment="container=3", pod="zeebrugge",
             ead=date(2027, 2, 2), critical="none"),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_list_written_and_read_back_is_identical(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"list{suffix}"
    write_list(SAMPLE, path)
    back, problems = read_list(path)
    assert problems == []
    assert [x.model_dump(exclude={"row"}) for x in back] == [x.model_dump(exclude={"row"}) for x in SAMPLE]
    assert [x.row for x in back] == [2, 3, 4]  # the file's lines, for problems


def test_the_list_columns_are_the_unit_line_fields() -> None:
    assert COLUMNS == ("uln", "force", "unit", "nation", "personnel", "equipment", "pod", "mode", "ead", "lad", "rdd",
                       "destination", "priority", "critical")


# ---- the built-in scenario as a list -------------------------------------------------------------------------
def test_the_builtin_list_compiles_to_the_plan_and_summary_of_its_templates(tmp_path: Path) -> None:
    """The built-in scenario is a deployment list written from the us_abct and eu_armoured templates; the same
    scenario with its forces given by template (and the list's RDD) gives the same pieces on the same calls and
    flights, and the same run."""
    data = builtin_data()
    as_list = load_plan(write_scenario(tmp_path / "list.yaml", data))
    rdd = {line.rdd for line in as_list.scenario.deployment}
    assert rdd == {date(2027, 3, 2)}
    data.pop("deployment_list")
    for f in data["forces"]:
        f.update(template=f["id"], rdd="2027-03-02")
    as_template = load_plan(write_scenario(tmp_path / "template.yaml", data))
    strip = [{**p.__dict__, "uln": ""} for p in as_list.pieces]
    assert strip == [p.__dict__ for p in as_template.pieces]
    assert all(p.uln for p in as_list.pieces)
    assert [(s.port, s.at_h, s.pids) for s in as_list.ships] == [(s.port, s.at_h, s.pids) for s in as_template.ships]
    assert [(f.airfield, f.at_h, f.parties) for f in as_list.flights] == [(f.airfield, f.at_h, f.parties)
                                                                          for f in as_template.flights]
    a, b = run_replication(as_list).summary(), run_replication(as_template).summary()
    assert [u.pop("lines") for u in a["units"]][:2] == ["us_abct-03-sea;us_abct-03-air", "us_abct-02-sea;us_abct-02-air"]
    assert {u.pop("lines") for u in b["units"]} == {""}  # a template's units have no lines
    assert (a["closure_h"], a["brigades"], a["units"], a["late_units"]) == (b["closure_h"], b["brigades"], b["units"],
                                                                            b["late_units"])


def test_rsom_deployment_list_writes_a_scenario_s_forces(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    data = scenario(net, start="2027-02-01T00:00", modes=MODES, pools=POOLS)
    path = write_scenario(tmp_path / "s.yaml", data)
    out = tmp_path / "list.xlsx"
    res = CliRunner().invoke(app, ["deployment-list", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines, problems = read_list(out)
    assert problems == []
    assert [(x.uln, x.unit, x.pod, x.personnel, x.equipment, x.ead) for x in lines] == [
        ("f-01-sea", "a", "port", 0, "generic_tracked=4;generic_wheeled=6", date(2027, 2, 1)),
        ("f-01-air", "a", "apod", 40, "", date(2027, 2, 1))]
    again = CliRunner().invoke(app, ["deployment-list", str(path), "-o", str(out)])
    assert again.exit_code == 1
    assert "exists" in again.output


# ---- units against their lines' RDD ---------------------------------------------------------------------------
UNIT = [line("a-sea", equipment="tracked=4;container=3", rdd="2027-02-01"),
        line("a-air", personnel=40, pod="apod", rdd="2027-02-01")]


@pytest.mark.parametrize(("start", "late"), [("2027-02-01T17:24", 0.0), ("2027-02-01T20:00", 2.6)])
def test_a_unit_is_on_time_at_its_rdd_and_late_by_the_hours_past_it(tmp_path: Path, start: str, late: float) -> None:
    """The unit's combat power crosses the border 6.6 h after the start (tests/test_units.py works the times
    out); its RDD, the end of 1 Feb, is 6.6 h after a start at 17:24 and 4 h after a start at 20:00."""
    r = run_replication(plan_of(listed(tiny_network(tmp_path / "net"), UNIT, start=start)))
    u = r.units().iloc[0]
    assert u["closed_h"] == pytest.approx(6.6)
    assert u["late_h"] == pytest.approx(late)
    assert u["timing"] == ("on time" if late == 0 else "late")
    s = r.summary()
    assert s["late_units"] == (1 if late else 0)
    assert s["units"][0]["rdd"] == "2027-02-01"


@pytest.mark.parametrize(("critical", "closed"), [("", 6.6), ("tracked;container", 15.6), ("generic_container", 15.6)])
def test_a_line_says_which_of_its_equipment_is_critical(tmp_path: Path, critical: str, closed: float) -> None:
    """By default containers are not combat power and the unit closes while its third container waits for the
    container wagon; a line that names containers (by class or by type) as critical waits for them."""
    lines = [line("a-trk", equipment="tracked=4"), line("a-box", equipment="container=3", critical=critical),
             line("a-air", personnel=40, pod="apod")]
    u = run_replication(plan_of(listed(tiny_network(tmp_path / "net"), lines))).units().iloc[0]
    assert u["closed_h"] == pytest.approx(closed)
    assert u["last_piece_h"] == pytest.approx(15.6)


def test_a_line_s_destination_is_where_its_unit_goes(tmp_path: Path) -> None:
    """Wheeled vehicles may take the train (to exit_rail) or the road; unit b's lines send it to exit_road, where
    no train goes, so its vehicles drive there."""
    net = tiny_network(tmp_path / "net")
    lines = [line("a-sea", equipment="wheeled=2"), line("b-sea", unit="b", equipment="wheeled=2", destination="exit_road"),
             line("a-air", personnel=10, pod="apod"), line("b-air", unit="b", personnel=10, pod="apod",
                                                           destination="exit_road")]
    plan = plan_of({**listed(net, lines), "modes": {**MODES, "wheeled": ["rail", "road"]}})
    ways = {(p.unit, p.exit, p.mode) for p in plan.pieces}
    assert ways == {("a", "exit_rail", "rail"), ("b", "exit_road", "road")}
    assert plan.units[("f", "b")].exits == ("exit_road",)
    r = run_replication(plan)
    assert set(r.pieces.loc[r.pieces["unit"] == "b", "exit"]) == {"exit_road"}
    assert r.summary()["pieces"]["delivered"] == 4


def test_priority_sets_the_discharge_order_and_who_gets_the_wagons_first(tmp_path: Path) -> None:
    """Unit b comes second in the list but has priority 1: its pieces leave the ship first and its train takes
    the one container wagon first."""
    lines = [line("a-sea", equipment="container=2", priority=2), line("b-sea", unit="b", equipment="container=2", priority=1),
             line("a-air", personnel=10, pod="apod", priority=2), line("b-air", unit="b", personnel=10, pod="apod")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines))
    assert [plan.pieces[p].unit for p in plan.ships[0].pids] == ["b", "b", "a", "a"]
    assert plan.units[("f", "b")].rank < plan.units[("f", "a")].rank
    r = run_replication(plan)
    done = r.pieces.groupby("unit")["delivered_h"].max()
    assert done["b"] < done["a"]


# ---- lift planned from the list ---------------------------------------------------------------------------------
def test_ships_are_planned_by_capacity_in_pieces_and_arrive_when_their_cargo_is_due(tmp_path: Path) -> None:
    lines = [line("a-sea", equipment="wheeled=5"), line("b-sea", unit="b", equipment="wheeled=5", ead="2027-02-03"),
             line("a-air", personnel=10, pod="apod"), line("b-air", unit="b", personnel=10, pod="apod")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[], lift={"ship_pieces": 4}))
    assert [(s.port, s.at_h, len(s.pids)) for s in plan.ships] == [("port", 0.0, 4), ("port", 48.0, 4), ("port", 48.0, 2)]
    assert [plan.pieces[p].unit for s in plan.ships for p in s.pids] == ["a"] * 5 + ["b"] * 5


def test_ships_are_planned_by_lane_metres(tmp_path: Path) -> None:
    """A Leopard 2 (10.97 m, 3.7 m wide) takes two 3 m lanes: 21.94 lane m; a ship of 50 lane m carries two."""
    lines = [line("a-sea", equipment="mbt_leopard2=5"), line("a-air", personnel=10, pod="apod")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[], lift={"ship_lane_m": 50}))
    assert [len(s.pids) for s in plan.ships] == [2, 2, 1]


def test_c17s_carry_three_strykers_and_102_persons_each(tmp_path: Path) -> None:
    """Three Strykers per C-17 (af.mil; reference belgium_facts.md 1.3), by hold length; seats from the fact sheet."""
    lines = [line("a-air", equipment="stryker=7", personnel=250, pod="apod")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, flights=[], ships=[],
                          lift={"aircraft": "c17", "flights_every_h": 2}))
    assert [(f.at_h, len(f.pids), sum(n for _, n in f.parties)) for f in plan.flights] == [
        (0.0, 3, 102), (2.0, 3, 102), (4.0, 1, 46)]
    r = run_replication(plan)
    assert r.summary()["pieces"]["delivered"] == 7


def test_a_line_arriving_after_its_lad_is_a_warning(tmp_path: Path) -> None:
    lines = [line("a-sea", equipment="wheeled=8", lad="2027-02-02"), line("a-air", personnel=10, pod="apod")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[],
                          lift={"ship_pieces": 4, "ship_every_h": 72}))
    assert [s.at_h for s in plan.ships] == [0.0, 72.0]
    late = [w for w in plan.warnings if "latest arrival date" in w.message]
    assert len(late) == 1
    assert late[0].field == "deployment[0].lad"
    assert "C+3" in late[0].message


# ---- bad input ------------------------------------------------------------------------------------------------
BAD = """uln,force,unit,personnel,equipment,pod,ead,lad,rdd,destination
u1,f,a,0,tracked=4,port,2027-02-30,,,
u2,f,a,0,tracked=4,port,2027-02-05,2027-02-01,,
u3,f,a,0,tracked=4,port,2027-02-05,,2027-02-01,
u4,f,a,0,tracked=4,antwerp,2027-02-01,,,
u5,f,a,0,tracked=4,port,2027-02-01,,,exit_nowhere
u6,f,a,0,tank=4,port,2027-02-01,,,
u7,f,a,0,tracked=-3,port,2027-02-01,,,
u2,f,b,0,wheeled=1,port,2027-02-01,,,
u9,g,a,0,wheeled=1,port,2027-02-01,,,
u10,f,a,50,wheeled=1,port,2027-02-01,,,
"""


def test_every_bad_line_of_a_list_is_reported_at_once_with_file_row_and_value(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    data = listed(net, [])
    data.pop("deployment")
    data["deployment_list"] = "bad.csv"
    path = write_scenario(tmp_path / "s.yaml", data)
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    out = res.output
    expected = [
        "line 2 (u1) ead = '2027-02-30': Input should be a valid date or datetime, day value is outside expected range",
        "line 3 (u2) lad = 2027-02-01: latest arrival date before the earliest (2027-02-05)",
        "line 4 (u3) rdd = 2027-02-01: required delivery date before the earliest arrival date (2027-02-05)",
        "line 5 (u4) pod = 'antwerp': unknown sea port, airfield, railhead or staging area; valid: apod, exit_rail, port, stage",
        "line 6 (u5) destination = 'exit_nowhere': unknown node; valid: exit_rail, exit_road",
        "line 7 (u6) equipment = 'tank': unknown equipment type",
        "line 8 (u7) equipment = 'tracked=-3': count -3 of tracked is negative",
        "line 9 (u2) uln = 'u2': unit line given twice (first at line 3 (u2) uln)",
        "line 10 (u9) force = 'g': unknown force; valid: f",
        "line 11 (u10) personnel = 50: personnel come by air",
    ]
    for text in expected:
        assert f"error: {tmp_path / 'bad.csv'}: {text}" in out, text
    assert "Traceback" not in out
    *errors, note = out.strip().splitlines()
    assert all(x.startswith("error: ") for x in errors)
    assert len(errors) == len(expected)
    assert note.startswith(f"note: {path}: not checked: the forces and flows themselves")  # they need good lines


def test_a_negative_count_and_a_bad_header_are_named(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text("uln,force,unit,pod,ead,equipment\nu1,f,a,port,2027-02-01,tracked=-3\n", encoding="utf-8")
    lines, problems = read_list(tmp_path / "l.csv")
    assert lines == []
    assert [str(p) for p in problems] == [f"error: {tmp_path / 'l.csv'}: line 2 (u1) equipment = 'tracked=-3': count -3 "
                                          "of tracked is negative"]
    (tmp_path / "h.csv").write_text("uln,force,unit,pod,eda\nu1,f,a,port,2027-02-01\n", encoding="utf-8")
    _, problems = read_list(tmp_path / "h.csv")
    assert [(p.field, p.value) for p in problems] == [("(header)", "eda"), ("(header)", "ead")]
    assert "did you mean 'ead'?" in problems[0].message


def test_a_force_needs_a_template_or_lines(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    data = listed(net, [])
    with pytest.raises(InputError) as exc:
        plan_of(data)
    assert any("has no template and no lines" in str(p) for p in exc.value.problems)


def test_a_saved_result_carries_its_list_and_replays_without_the_file(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    write_list([UnitLine.model_validate(x) for x in UNIT], tmp_path / "l.csv")
    data = listed(net, [])
    data.pop("deployment")
    data["deployment_list"] = "l.csv"
    path = write_scenario(tmp_path / "s.yaml", data)
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    (tmp_path / "l.csv").unlink()
    again = CliRunner().invoke(app, ["replay", str(tmp_path / "o")])
    assert again.exit_code == 0, again.output
    saved = yaml.safe_load((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert [x["uln"] for x in saved["scenario_data"]["deployment"]] == ["a-sea", "a-air"]


def test_saved_tables_carry_dates_beside_hours_and_load_back_without_them(tmp_path: Path) -> None:
    r = run_replication(plan_of(listed(tiny_network(tmp_path / "net"), UNIT, start="2027-02-01T20:00")))
    r.save(tmp_path / "o", "csv")
    import pandas as pd

    units = pd.read_csv(tmp_path / "o" / "units.csv")
    assert units.loc[0, "closed_at"] == "2027-02-02 02:36:00"  # 6.6 h after 20:00
    assert pd.Timestamp(units.loc[0, "rdd_at"]) == pd.Timestamp("2027-02-02")  # the end of the RDD's day
    pieces = pd.read_csv(tmp_path / "o" / "pieces.csv")
    assert list(pieces.columns[pieces.columns.get_loc("delivered_h") + 1:][:1]) == ["delivered_at"]
    back = type(r).load(tmp_path / "o")
    assert list(back.pieces.columns) == list(r.pieces.columns)
    assert back.summary()["units"] == r.summary()["units"]


def test_a_unit_already_in_the_country_enters_at_its_home_station_at_the_start_of_its_ead(tmp_path: Path) -> None:
    """Mode land: a unit at its home station (the staging area here) with 4 wheeled vehicles and 20 persons,
    due on 2 Feb: everything is there at 24 h and drives the 100 km to the border at 80 km/h."""
    lines = [line("home", pod="stage", equipment="wheeled=4", personnel=20, ead="2027-02-02")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[], flights=[], staging="stage"))
    assert [(lp.node, lp.at_h, len(lp.pids), lp.parties) for lp in plan.land] == [("stage", 24.0, 4, (("a", 20),))]
    assert {(p.entry, p.mode, p.exit) for p in plan.pieces} == {("stage", "road", "exit_road")}
    r = run_replication(plan)
    s = r.summary()
    assert s["pieces"]["delivered"] == 4
    assert s["personnel"]["delivered"] == 20
    assert r.pieces["entered_h"].min() == 24.0
    assert r.pieces["delivered_h"].min() >= 24.0 + 100 / 80 - 1e-9
    assert plan.scenario.deployment[0].mode is None  # inferred from the pod


def test_a_land_line_at_an_unknown_place_is_named(tmp_path: Path) -> None:
    lines = [line("home", pod="exit_road", equipment="wheeled=4", ead="2027-02-02")]
    with pytest.raises(InputError) as exc:
        plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[], flights=[]))
    assert any("unknown sea port, airfield, railhead or staging area" in str(p) for p in exc.value.problems)


def test_a_stock_is_issued_evenly_over_the_days_from_ead_to_lad(tmp_path: Path) -> None:
    """Seven vehicles drawn from 2 to 4 Feb: 3, 2 and 2 at the start of each day; the persons on the first."""
    lines = [line("aps", pod="stage", equipment="wheeled=7", personnel=20, ead="2027-02-02", lad="2027-02-04")]
    plan = plan_of(listed(tiny_network(tmp_path / "net"), lines, ships=[], flights=[], staging="stage"))
    assert [(lp.at_h, len(lp.pids), lp.parties) for lp in plan.land] == [(24.0, 3, (("a", 20),)), (48.0, 2, ()),
                                                                         (72.0, 2, ())]


def test_a_scenario_extends_a_base_and_overrides_what_it_gives(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    write_list([UnitLine.model_validate(x) for x in UNIT], tmp_path / "base" / "l.csv")
    data = listed(net, [], start="2027-02-01T20:00")
    data.pop("deployment")
    data.update(deployment_list="l.csv", rail={"max_wait_h": 12, "positioning_h": 2})
    write_scenario(tmp_path / "base" / "s.yaml", data)
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.yaml").write_text("base: ../base/s.yaml\nname: a case\nrail: {max_wait_h: 6}\n",
                                               encoding="utf-8")
    plan = load_plan(tmp_path / "cases" / "c.yaml")
    assert plan.scenario.name == "a case"
    assert (plan.scenario.rail.max_wait_h, plan.scenario.rail.positioning_h) == (6, 2)  # merged key by key
    assert [x.uln for x in plan.scenario.deployment] == ["a-sea", "a-air"]  # the base's list, found from here
    assert plan.scenario.base == str((tmp_path / "base" / "s.yaml").resolve())
    (tmp_path / "cases" / "loop.yaml").write_text("base: loop.yaml\nname: x\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_plan(tmp_path / "cases" / "loop.yaml")
    assert "in a circle" in str(exc.value)
