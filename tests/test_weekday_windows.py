"""Time windows by day of the week ("Mon-Fri 21:00-05:00;Sat-Sun always"): parsing, next_open and work_end against
hand-computed answers, runs where a road closed at the weekend or a port's weekday shifts hold movements until
Monday, weekday road peaks, the analytic bound with weekly windows, and the Problems for a weekday window without
the scenario's start or with a bad day name. Daily windows keep their meaning (tests elsewhere pin them).

Dates: 2027-02-19 is a Friday, 2027-02-17 a Wednesday. With t = 0 on Friday 18:00, Saturday 00:00 is t = 6 h
and Monday 00:00 is t = 54 h."""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netkit import link, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.bands import open_hours, parse_bands
from sim.bound import _leg_rate, closure_bound
from sim.cli import app
from sim.dates import week_hour_of
from sim.errors import InputError
from sim.plan import Plan, compile_plan
from sim.resources import BandedPathBook, PathBook, ResourceInfo, Slots
from sim.results import Results
from sim.runner import run_replication
from sim.scenario import parse_scenario
from sim.windows import WEEK_H, Weekly, anchor, next_open, parse_window, subtract, week_spells, work_end

FRIDAY_18 = "2027-02-19T18:00"
WEDNESDAY_18 = "2027-02-17T18:00"
MONDAY_0 = 54.0  # Monday 00:00 after a Friday 18:00 start (h)


# ---- parsing ----------------------------------------------------------------------------------------------
def test_daily_windows_parse_as_before() -> None:
    assert parse_window("21:00-05:00;12:00-13:00") == ((21.0, 5.0), (12.0, 13.0))
    assert parse_window("") == parse_window("always") == parse_window(None) == ()


@pytest.mark.parametrize(("text", "spells"), [
    # nights Monday to Friday (Friday's runs into Saturday and joins the weekend), the weekend all day
    ("Mon-Fri 21:00-05:00; Sat-Sun always", ((21, 29), (45, 53), (69, 77), (93, 101), (117, 168))),
    ("Mon-Thu 20:00-06:00;Fri 20:00-24:00;Sat 00:00-24:00;Sun 00:00-22:00",
     ((20, 30), (44, 54), (68, 78), (92, 102), (116, 166))),
    ("Fri 21:00-05:00", ((117, 125),)),                        # past midnight: Friday's part, open Saturday morning
    ("Sun 22:00-02:00", ((0, 2), (166, 168))),                 # Sunday's night runs into Monday, the week's start
    ("Fri-Mon 08:00-09:00", ((8, 9), (104, 105), (128, 129), (152, 153))),  # a range wrapping past Sunday
    ("mon-FRI 06:00-20:00", ((6, 20), (30, 44), (54, 68), (78, 92), (102, 116))),  # day names in any case
    ("Sat-Sun closed;Mon-Fri 08:00-09:00", ((8, 9), (32, 33), (56, 57), (80, 81), (104, 105))),
    ("Sat 10:00-12:00;13:00-14:00",  # a part without days: every day
     (*((24 * d + 13, 24 * d + 14) for d in range(5)), (130, 132), (133, 134), (157, 158))),
])
def test_weekly_windows_parse_to_hours_of_the_week(text: str, spells: tuple) -> None:
    w = parse_window(text)
    assert isinstance(w, Weekly)
    assert w.spells == tuple((float(a), float(b)) for a, b in spells)


def test_a_window_with_days_that_is_the_same_every_day_is_daily() -> None:
    w = parse_window("Mon-Sun 21:00-05:00")
    assert w == ((0.0, 5.0), (21.0, 24.0))
    for t in (0.0, 3.5, 10.0, 20.99, 23.0):  # means what the daily text means
        assert next_open(w, t, 6.5) == next_open(parse_window("21:00-05:00"), t, 6.5)
    assert parse_window("Mon-Sun always") == ()


@pytest.mark.parametrize(("text", "words"), [
    ("Mon-Fry 06:00-20:00", ["'Fry' is not a day", "Mon, Tue, Wed, Thu, Fri, Sat, Sun"]),
    ("Monday 06:00-20:00", ["'Monday' is not a day", "Mon, Tue, Wed, Thu, Fri, Sat, Sun"]),
    ("Sat-Sun closed", ["never open"]),
    ("Mon 06:00-20:00;Mon closed", ["both closes and opens Mon"]),
    ("Mon 25:00-05:00", ["out of range"]),
    ("Mon", ["is not DAY[-DAY] HH:MM-HH:MM"]),
])
def test_bad_weekly_windows_are_refused(text: str, words: list[str]) -> None:
    with pytest.raises(ValueError, match=re.escape(words[0])) as exc:
        parse_window(text)
    for w in words:
        assert w in str(exc.value)


def test_path_bands_cannot_name_days() -> None:
    with pytest.raises(ValueError, match="names a day: path bands follow the time of day only"):
        parse_bands("Mon-Fri 22:00-06:00=4;06:00-22:00=1")


# ---- next_open and work_end ---------------------------------------------------------------------------
def test_week_hour_of_a_start() -> None:
    assert week_hour_of(datetime(2027, 2, 15, 0, 0)) == 0.0  # a Monday, midnight
    assert week_hour_of(datetime.fromisoformat(FRIDAY_18)) == 4 * 24 + 18


def test_next_open_and_work_end_on_a_weekday_window() -> None:
    # t = 0 is Friday 18:00; open Monday to Friday 06:00-20:00, closed at the weekend
    start = datetime.fromisoformat(FRIDAY_18)
    w = anchor(parse_window("Mon-Fri 06:00-20:00"), 18.0, week_hour_of(start))
    assert w.next_open(0.0) == 0.0                 # Friday 18:00: open
    assert w.next_open(2.0) == 60.0                # Friday 20:00: closed until Monday 06:00 (54 + 6)
    assert w.next_open(30.0) == 60.0               # Sunday 00:00
    assert w.next_open(61.0) == 61.0               # Monday 07:00
    assert w.work_end(0.0, 4.0) == 62.0            # 2 h on Friday, 2 h from Monday 06:00
    assert w.work_end(1.0, 1.0) == 2.0             # done by 20:00
    assert w.work_end(0.0, 2.0 + 14.0 * 5 + 1.0) == 60.0 + 24.0 * 7 + 1.0  # Friday evening, a whole week, 1 h more


def test_a_daily_window_on_the_time_line_is_the_daily_functions_bit_for_bit() -> None:
    daily = parse_window("21:00-05:00;12:00-13:00")
    placed = anchor(daily, 6.5, 100.0)  # the weekday does not matter to a daily window
    for t in (0.0, 0.37, 5.0, 14.49, 100.3, 1000.01):
        assert placed.next_open(t) == next_open(daily, t, 6.5)
        assert placed.work_end(t, 3.3) == work_end(daily, t, 3.3, 6.5)


def test_a_weekday_window_needs_a_calendar_on_the_time_line() -> None:
    with pytest.raises(ValueError, match="needs the scenario's start"):
        anchor(parse_window("Mon-Fri always"), 18.0, None)


def test_entries_and_train_paths_follow_a_weekday_window() -> None:
    info = ResourceInfo("x", "entry", "a", 1, "entries")
    week_h = week_hour_of(datetime.fromisoformat(FRIDAY_18))
    closed_weekend = parse_window("Mon-Fri always")
    slots = Slots(simpy.Environment(), [], info, 0.5, closed_weekend, 18.0, week_h=week_h)
    assert slots.earliest(5.0)[0] == 5.0           # Friday 23:00
    assert slots.earliest(6.0)[0] == MONDAY_0      # Saturday 00:00: Monday
    paths = PathBook(simpy.Environment(), [], info, 2.0, closed_weekend, 18.0, week_h=week_h)
    assert paths.earliest(20.0)[0] == MONDAY_0
    # bands follow the time of day: the 06:00-18:00 band's paths, on weekdays only
    banded = BandedPathBook(simpy.Environment(), [], info, 2.0, ((6.0, 18.0, 1.0),), closed_weekend, 18.0,
                            week_h=week_h)
    assert banded.earliest(0.0)[0] == MONDAY_0 + 6.0  # Friday 18:00 is past the band, the weekend closed: Monday 06:00


def test_hours_a_week_a_weekday_window_leaves_a_band() -> None:
    assert open_hours(((6.0, 18.0),), parse_window("Mon-Fri always")) == 5 * 12
    assert open_hours(((6.0, 18.0),), parse_window("Sat-Sun 20:00-05:00")) == 0


# ---- subtract (civil peaks out of a link's window) ----------------------------------------------------
def test_subtracting_weekday_peaks() -> None:
    assert subtract("", "Mon-Fri 07:00-09:30") == "Mon-Fri 00:00-07:00;Mon-Fri 09:30-24:00;Sat-Sun always"
    nights = subtract("21:00-05:00", "Sat-Sun always")  # weekday nights; Friday's ends at midnight
    assert nights == "Mon-Fri 00:00-05:00;Mon-Fri 21:00-24:00;Sat-Sun closed"
    assert week_spells(parse_window(nights)) == [(0.0, 5.0), (21.0, 29.0), (45.0, 53.0), (69.0, 77.0),
                                                 (93.0, 101.0), (117.0, 120.0)]
    assert subtract("Mon-Fri 06:00-20:00", "") == "Mon-Fri 06:00-20:00"
    with pytest.raises(ValueError, match="no hour of Sat-Sun always is left"):
        subtract("Sat-Sun always", "Fri 20:00-24:00;Sat-Sun always")


# ---- runs -------------------------------------------------------------------------------------------------
def _plan(tmp_path: Path, net: dict[str, Any] | None = None, **kw: Any) -> Plan:
    folder = tiny_network(tmp_path / "net", **(net or {}))
    data = scenario(folder, **kw)
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", folder)


def _road_force(at_h: float, pieces: int = 20) -> dict[str, Any]:
    """Wheeled pieces off one ship by road to exit_road (port -> stage -> exit_road), in serials of one vehicle so
    that each waits for nothing but the road."""
    return {"convoy": {"max_vehicles": 1}, "templates": {"t": [{"unit": "a", "personnel": 0, "wheeled": pieces}]},
            "forces": [{"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": at_h}]}]}


def _links_with(window: str, headway_min: float = 0.0) -> list[dict[str, Any]]:
    return [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
            link("r_stage_exit", "road", "stage", "exit_road", 100, 80, window=window, headway_min=headway_min or ""),
            link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)]


def _weekend_run(tmp_path: Path, start: str, where: str) -> Results:
    """The road stage -> exit_road closed at the weekend ("Mon-Fri always"), in the scenario or in links.csv; the
    ship comes in at t = 10 h and its serials reach the stage within the next 3 h."""
    if where == "scenario":
        plan = _plan(tmp_path, start=start, windows={"r_stage_exit": "Mon-Fri always"}, **_road_force(10.0))
    else:
        plan = _plan(tmp_path, {"links": _links_with("Mon-Fri always")}, start=start, **_road_force(10.0))
    return run_replication(plan)


@pytest.mark.parametrize("where", ["scenario", "links.csv"])
def test_serials_reaching_a_road_closed_at_the_weekend_on_saturday_wait_until_monday(tmp_path: Path,
                                                                                       where: str) -> None:
    fri = _weekend_run(tmp_path / "fri", FRIDAY_18, where)  # t = 10 h is Saturday 04:00
    wed = _weekend_run(tmp_path / "wed", WEDNESDAY_18, where)  # t = 10 h is Thursday 04:00
    e_fri = fri.usage[fri.usage["resource"] == "entry@r_stage_exit>"]
    e_wed = wed.usage[wed.usage["resource"] == "entry@r_stage_exit>"]
    assert len(e_fri) == len(e_wed) == 20
    # on Saturday (6 h <= t < 30 h) every serial asks; all enter at Monday 00:00
    assert e_fri["t_request"].between(6.0, 30.0, inclusive="left").all()
    assert e_fri["t_grant"].tolist() == pytest.approx([MONDAY_0] * 20, abs=1e-9)
    # on a Thursday the same serials enter as they ask
    assert (e_wed["t_grant"] == e_wed["t_request"]).all()
    # and go on alike after entering: the weekend adds exactly the wait
    travel = wed.summary()["closure_h"] - e_wed["t_grant"].max()
    assert fri.summary()["closure_h"] == pytest.approx(MONDAY_0 + travel, abs=1e-3)
    assert fri.summary()["pieces"]["delivered"] == 20


def test_a_port_with_weekday_shifts_stops_discharging_for_the_weekend(tmp_path: Path) -> None:
    # t = 0 is Friday 21:03:45 (0.9375 h before 22:00); 8 pieces/h (0.125 h each): piece 7 is half discharged at
    # 22:00 and finished 0.0625 h into Monday's shift at 06:00 (t = 57 - 0.0625 = 56.9375)
    port = {"node": "port", "berths": 1, "discharge_pph": 8, "marshalling_spaces": 1000, "tech_check_h": 0.5}
    kw = {"start": "2027-02-19T21:03:45", "ports": {"shifts": "Mon-Fri 06:00-22:00", "tech_check_in_shifts": True},
          "templates": {"t": [{"unit": "a", "personnel": 0, "tracked": 10}]},
          "forces": [{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]}
    r = run_replication(_plan(tmp_path, {"seaports": [port]}, **kw))
    mv = r.moves[r.moves["kind"] == "piece"]
    dis = {row.id: (round(row.t_start, 9), round(row.t_end, 9)) for row in mv[mv["stage"] == "discharge"].itertuples()}
    assert dis[6] == (0.75, 0.875)
    assert dis[7] == (0.875, 57.0)
    assert dis[8] == (57.0, 57.125)
    assert dis[9] == (57.125, 57.25)
    # the check follows the shifts: piece 6's 0.5 h, 0.0625 h before 22:00 and 0.4375 h from Monday 06:00
    checked = {row.id: round(row.t_in, 9) for row in mv[mv["stage"] == "rail_load"].itertuples()}
    assert checked[0] == 0.125 + 0.5
    assert checked[6] == 56.9375 + 0.4375


@pytest.mark.parametrize(("start", "priority", "in_peak_expected"), [
    ("2027-02-19T12:00", "civil", False),    # Friday: the peak 16:00-20:00 (t 4-8 h) holds the serials
    ("2027-02-19T12:00", "military", True),  # Friday, military first: they enter in it and are counted
    ("2027-02-20T12:00", "civil", True),     # Saturday: no peak that day
])
def test_weekday_road_peaks(tmp_path: Path, start: str, priority: str, in_peak_expected: bool) -> None:
    links = _links_with("")
    links[0] = link("r_port_stage", "road", "port", "stage", 50, 80, headway_min=1)
    kw = _road_force(0.0, pieces=100)  # discharged 0-10 h at 10 pieces/h
    r = run_replication(_plan(tmp_path, {"links": links}, start=start, **kw,
                              civil_traffic={"road_peaks": "Fri 16:00-20:00", "priority": priority,
                                             "road_peak_corridors": ["r_port_stage"]}))
    entries = r.usage[r.usage["resource"] == "entry@r_port_stage>"]
    assert len(entries) == 100
    # the peak ends at 20:00 (t = 8): an entry then, whatever rounding makes of its time, is after it
    in_peak = int(((entries["t_grant"] >= 4.0) & (entries["t_grant"] < 8.0 - 1e-9)).sum())
    assert (in_peak > 0) == in_peak_expected
    if priority == "military":
        assert r.civil_displaced().set_index("key").loc["r_port_stage", "displaced"] == in_peak


# ---- the analytic bound -------------------------------------------------------------------------------
def test_the_bound_counts_a_weekday_windows_entries_a_week(tmp_path: Path) -> None:
    # serials 30 min apart, only Monday to Friday 08:00-09:00: 2 entries in each of the 5 spells of 1 h a week
    plan = _plan(tmp_path, {"links": _links_with("Mon-Fri 08:00-09:00", headway_min=30)}, start=FRIDAY_18,
                 **_road_force(0.0))
    leg = plan.router.view("road").edges["stage", "exit_road"]["leg"]
    rate, in_flight = _leg_rate(leg, 45.0, 1, 1)
    assert rate == pytest.approx(10 / WEEK_H)
    assert in_flight == pytest.approx(5 * 2 * (1 + 1 / WEEK_H))
    report = closure_bound(plan)
    closure = run_replication(plan).summary()["closure_h"]
    assert report.binding is not None
    assert "entry@r_stage_exit>" in report.binding.cut
    assert report.bound_h <= closure + 1e-6


WEEKLY = ["Mon-Fri 08:00-09:00", "Fri 21:00-05:00", "Sat 10:00-12:00;Wed 14:00-15:00", "Mon-Fri 21:00-05:00;Sat-Sun always",
          "Sun 22:00-02:00;Thu 06:00-07:30", "Mon-Thu 20:00-06:00;Fri 20:00-24:00;Sat 00:00-24:00;Sun 00:00-22:00"]


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(window=st.sampled_from(WEEKLY), day=st.integers(0, 6), hour=st.integers(0, 23),
       headway=st.sampled_from([10, 30, 45, 90]), pieces=st.integers(1, 60), at_h=st.integers(0, 200),
       convoy=st.sampled_from([1, 1, 2, 4]))
def test_the_bound_stays_below_closure_with_weekday_windows(tmp_path_factory: pytest.TempPathFactory, window: str,
                                                            day: int, hour: int, headway: int, pieces: int,
                                                            at_h: int, convoy: int) -> None:
    start = datetime(2027, 2, 15 + day, hour).isoformat()  # 2027-02-15 is a Monday
    kw = _road_force(float(at_h), pieces)
    kw["convoy"] = {"max_vehicles": convoy}
    plan = _plan(tmp_path_factory.mktemp("b"), {"links": _links_with(window, headway_min=headway)}, start=start,
                 horizon_h=5000, **kw)
    closure = run_replication(plan).summary()["closure_h"]
    bound = closure_bound(plan).bound_h
    assert closure is not None
    assert math.isfinite(bound)
    assert bound <= closure + 1e-6, (bound, closure)


# ---- Problems -----------------------------------------------------------------------------------------
runner = CliRunner()


def _cli_errors(path: Path) -> list[str]:
    """`rsom validate` exits 2 and prints only `error:` lines (no traceback); returns them."""
    result = runner.invoke(app, ["validate", str(path)])
    try:
        err = result.stderr
    except (ValueError, AttributeError):  # older Click: stderr not captured separately
        err = result.output
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output + err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert errors
    # after the errors, `note:` lines may say which checks waited for them (validate's one pass)
    assert lines[:len(errors)] == errors, lines
    assert all(ln.startswith("note: ") for ln in lines[len(errors):]), lines
    return errors


@pytest.mark.parametrize(("kw", "field", "value"), [
    ({"windows": {"r_stage_exit": "Mon-Fri 21:00-05:00"}}, "windows.r_stage_exit", "Mon-Fri 21:00-05:00"),
    ({"civil_traffic": {"road_peaks": "Mon-Fri 07:00-09:00"}}, "civil_traffic.road_peaks", "Mon-Fri 07:00-09:00"),
    ({"ports": {"shifts": "Mon-Fri 06:00-22:00"}}, "ports.shifts", "Mon-Fri 06:00-22:00"),
    ({"ports": {"by_port": {"port": "Sat closed;Sun-Fri 06:00-22:00"}}}, "ports.by_port.port",
     "Sat closed;Sun-Fri 06:00-22:00"),
])
def test_a_weekday_window_without_start_is_a_problem(tmp_path: Path, kw: dict[str, Any], field: str, value: str) -> None:
    folder = tiny_network(tmp_path / "net")
    path = write_scenario(tmp_path / "s.yaml", scenario(folder, **kw))
    with pytest.raises(InputError) as exc:
        parse_scenario(scenario(folder, **kw), str(path))
    [p] = exc.value.problems
    assert (p.file, p.field, p.value) == (str(path), field, value)
    assert "needs the scenario's start" in p.message
    [line] = _cli_errors(path)
    for part in (str(path), field, value, "needs the scenario's start"):
        assert part in line


def test_a_weekday_window_in_links_csv_without_start_is_a_problem(tmp_path: Path) -> None:
    folder = tiny_network(tmp_path / "net", links=_links_with("Sat-Sun closed;Mon-Fri always"))
    path = write_scenario(tmp_path / "s.yaml", scenario(folder))
    [line] = _cli_errors(path)
    for part in (str(folder / "links.csv"), "r_stage_exit.window", "Mon-Fri always", "needs the scenario's start",
                 str(path)):
        assert part in line
    # a scenario window replacing it, daily, needs no start; and with a start the network's window is fine
    compile_plan(parse_scenario(scenario(folder, windows={"r_stage_exit": "21:00-05:00"}), "s.yaml"), "s.yaml", folder)
    compile_plan(parse_scenario(scenario(folder, start=FRIDAY_18), "s.yaml"), "s.yaml", folder)


def test_a_bad_day_name_is_a_problem_naming_the_field_and_the_valid_days(tmp_path: Path) -> None:
    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, start=FRIDAY_18, windows={"r_stage_exit": "Mon-Fry 21:00-05:00"})
    path = write_scenario(tmp_path / "s.yaml", data)
    [line] = _cli_errors(path)
    for part in ("windows.r_stage_exit", "Mon-Fry 21:00-05:00", "'Fry' is not a day; days are Mon, Tue, Wed, Thu, Fri, Sat, Sun"):
        assert part in line


def test_a_path_band_naming_a_day_is_a_network_problem(tmp_path: Path) -> None:
    rail = link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=5,
                path_bands="Mon-Fri 22:00-06:00=4;06:00-22:00=1")
    folder = tiny_network(tmp_path / "net", links=[*_links_with("")[:3], rail])
    path = write_scenario(tmp_path / "s.yaml", scenario(folder, start=FRIDAY_18))
    lines = _cli_errors(path)
    assert any("l_port_exit.path_bands" in ln and "names a day" in ln for ln in lines), lines


def test_the_builtin_network_has_only_daily_windows() -> None:
    # the built-in scenario has no start: its links' windows must stay daily (its results are pinned elsewhere)
    links = Path(__file__).resolve().parent.parent / "networks" / "belgium" / "links.csv"
    with links.open(newline="", encoding="utf-8") as fh:
        windows = {r["window"] for r in csv.DictReader(fh)}
    assert all(not isinstance(parse_window(w), Weekly) for w in windows)
