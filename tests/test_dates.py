"""Calendar time: a scenario's start date and C-day, RDDs as dates, and dates beside hours in the outputs."""

from datetime import date, datetime
from pathlib import Path

import pytest
from netkit import scenario, tiny_network

from sim.dates import Calendar, clock_of, rdd_hours
from sim.errors import InputError
from sim.plan import compile_plan
from sim.runner import run_replication
from sim.scenario import parse_scenario

MODES = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}


def test_calendar_arithmetic():
    cal = Calendar(datetime(2027, 2, 15, 6, 0), date(2027, 2, 15))
    assert cal.iso(784.2) == "2027-03-19T22:12"
    assert cal.c_plus(784.2) == 32
    assert cal.c_plus(17.9) == 0
    assert cal.c_plus(18.0) == 1  # midnight after the start is C+1
    assert cal.words(18.5) == "C+1 Tue 16 Feb 00:30"
    assert Calendar(datetime(2027, 2, 15, 6, 0), date(2027, 2, 17)).c_plus(0.0) == -2  # before C-day
    assert cal.iso(None) is None
    assert cal.words(float("nan")) == ""
    assert clock_of(datetime(2027, 2, 15, 6, 30)) == 6.5
    assert rdd_hours(date(2027, 2, 16), datetime(2027, 2, 15, 6, 0)) == 42.0  # the end of 16 Feb
    assert Calendar.of({"start": "2027-02-15T06:00:00", "c_day": None}) == cal
    assert Calendar.of({"start": None}) is None


def base(tmp_path: Path, **kw) -> dict:
    net = tiny_network(tmp_path / "net")
    force = {"id": "f", "template": "t", "exits": ["exit_rail", "exit_road"], "ships": [{"port": "port", "at_h": 0}],
             "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}], **kw.pop("force", {})}
    return scenario(net, templates={"t": [{"unit": "a", "personnel": 40, "tracked": 4, "container": 3}]},
                    forces=[force], modes=MODES, pools={"wagons": {"heavy_flat": 10, "flat": 10, "container_flat": 1}},
                    **kw)


def test_start_sets_the_clock_and_an_rdd_date_becomes_hours(tmp_path):
    s = parse_scenario(base(tmp_path, start="2027-02-15T06:00", force={"rdd": "2027-02-16"}), "t.yaml")
    assert s.start_clock_h == 6.0
    assert s.forces[0].rdd_h == 42.0
    again = parse_scenario(s.model_dump(mode="json"), "t.yaml")  # written back out, it holds both: they agree
    assert again == s


@pytest.mark.parametrize(("kw", "field", "said"), [
    ({"start": "2027-02-15T06:00", "start_clock_h": 5}, "start_clock_h", "differs from the clock time of start"),
    ({"force": {"rdd": "2027-02-16"}}, "forces[0].rdd", "needs the scenario's start"),
    ({"start": "2027-02-15T06:00", "force": {"rdd": "2027-02-14"}}, "forces[0].rdd", "before the start"),
    ({"start": "2027-02-15T06:00", "force": {"rdd": "2027-02-16", "rdd_h": 40}}, "forces[0].rdd_h", "differs from rdd"),
    ({"c_day": "2027-02-15"}, "c_day", "needs the scenario's start"),
    ({"start": "15 Feb 2027"}, "start", "datetime"),
    ({"start": "2027-02-15T06:00", "force": {"rdd": "2027-02-30"}}, "forces[0].rdd", "valid date"),
])
def test_bad_calendar_input_names_the_field_and_value(tmp_path, kw, field, said):
    with pytest.raises(InputError) as err:
        parse_scenario(base(tmp_path, **kw), "t.yaml")
    text = str(err.value)
    assert "t.yaml" in text
    assert field in text
    assert said in text


def test_outputs_carry_dates_beside_hours(tmp_path):
    data = base(tmp_path, start="2027-02-15T06:00", c_day="2027-02-14", force={"rdd": "2027-02-15"})
    r = run_replication(compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", tiny_network(tmp_path / "net")))
    s = r.summary()
    assert (s["start_date"], s["c_day"]) == ("2027-02-15T06:00", "2027-02-14")
    u = s["units"][0]
    # the unit closes 6.6 h after the start (tests/test_units.py): 12:36 on 15 Feb, C+1; its RDD is the end of
    # 15 Feb, 18 h after the start: on time
    assert u["closed_h"] == pytest.approx(6.6)
    assert (u["closed_at"], u["closed_c"], u["rdd"], u["rdd_h"]) == ("2027-02-15T12:36", 1, "2027-02-15", 18.0)
    assert (u["late_h"], u["timing"]) == (0.0, "on time")
    assert s["brigades"]["f"]["closure_at"] == "2027-02-15T21:36"  # the last container, 15.6 h
