"""Military train paths by time band of the day (links.path_bands): exact entry times, no entry outside a band
with paths, symmetric spacing across a band boundary, one band over the whole day is the line without bands,
the network's checks, scaling by investments and civil traffic, the bound, and a run on a banded line."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from netkit import link, road_links, scenario, tiny_network

from sim.bands import band_intervals, band_paths, parse_bands
from sim.bound import _leg_rate, closure_bound
from sim.disruptions import Outage
from sim.errors import InputError
from sim.model import Model
from sim.network import load_network
from sim.paths import builtin_scenario
from sim.plan import Plan, compile_plan, load_plan
from sim.resources import BandedPathBook, PathBook, ResourceInfo
from sim.runner import run_replication
from sim.scenario import parse_scenario

NIGHT = "22:00-06:00=4;06:00-22:00=1"  # 4 paths in the 8 night hours (2 h apart), 1 in the 16 day hours


def book_of(text: str, ppd: float, clock: float = 0.0, outages: list[Outage] | None = None) -> BandedPathBook:
    info = ResourceInfo("paths@x>", "paths", "a", ppd, "paths/day")
    return BandedPathBook(simpy.Environment(), [], info, 24.0 / ppd, band_intervals(parse_bands(text), ppd), (),
                          clock, None, outages)


def take(pb: PathBook, t: float) -> float:
    """Book the earliest path at or after t; its entry time."""
    e, _ = pb.earliest(t)
    pb.book(e, t)
    return e


def clock_of(t: float, clock: float = 0.0) -> float:
    return (t + clock) % 24.0


# ---- the spacing rule on one book --------------------------------------------------------------------------
def test_four_night_entries_two_hours_apart_then_the_day_band() -> None:
    pb = book_of(NIGHT, 5)
    # six trains ready at 22:00: the night band's four paths at 22, 24, 26 and 28 h; the fifth takes the day
    # band's path at 06:00 (30 h: 2 h after the night entry at 04:00, the shorter interval of the two bands);
    # the day band has no second path that day (16 h later is 22:00), so the sixth takes the next night's first
    assert [take(pb, 22.0) for _ in range(6)] == pytest.approx([22.0, 24.0, 26.0, 28.0, 30.0, 46.0])
    # the log holds each entry until its band's interval has passed
    assert [round(u[3] - u[2], 9) for u in pb.log] == [2.0, 2.0, 2.0, 2.0, 16.0, 2.0]


def test_hours_outside_every_band_have_no_path_and_the_clock_counts() -> None:
    # night band 22-06 (4 paths, 2 h apart), day band 10-18 (2 paths, 4 h apart), nothing 06-10 nor 18-22
    pb = book_of("22:00-06:00=4;10:00-18:00=2", 6)
    got = [take(pb, 0.0) for _ in range(9)]
    # 0, 2, 4 h close the night that began at -2 h; 10 and 14 h the day band (6 h after 4 h, more than the 4 h
    # both bands ask); then the next night's four from 22 h
    assert got == pytest.approx([0.0, 2.0, 4.0, 10.0, 14.0, 22.0, 24.0, 26.0, 28.0])
    # the same book with the scenario starting at 20:00: t = 2 h is 22:00
    pb = book_of("22:00-06:00=4;10:00-18:00=2", 6, clock=20.0)
    assert [take(pb, 0.0) for _ in range(5)] == pytest.approx([2.0, 4.0, 6.0, 8.0, 14.0])


def test_no_entry_outside_a_band_with_paths() -> None:
    pb = book_of("22:00-06:00=4;06:00-10:00=0;14:00-16:00=1", 5, clock=3.0)
    entries = [take(pb, 0.7 * k) for k in range(60)]
    assert len(entries) == 60
    for t in entries:
        c = clock_of(t, 3.0)
        assert c >= 22.0 - 1e-9 or c < 6.0 - 1e-9 or 14.0 - 1e-9 <= c < 16.0 - 1e-9, (t, c)
    assert not any(6.0 <= clock_of(t, 3.0) < 10.0 for t in entries)  # the band with N = 0 gives none


def night_interval(t: float) -> float:
    """The interval of the band of NIGHT (with 5 paths a day) that t falls in."""
    c = clock_of(t + 1e-9)
    return 2.0 if c >= 22.0 or c < 6.0 else 16.0


def needed(a: float, b: float, interval: Any, band: Any) -> float:
    """The spacing two entries need: their band's interval in one band, the shorter of the two across bands."""
    return interval(a) if band(a) == band(b) else min(interval(a), interval(b))


@pytest.mark.parametrize(("first", "second"), [(19.0, 22.0), (22.0, 19.0)])
def test_across_a_band_boundary_the_shorter_interval_applies_from_either_side(first: float, second: float) -> None:
    # a day entry at 19:00 (day interval 16 h) and a night entry at 22:00 (night interval 2 h) are 3 h apart:
    # more than the shorter of the two intervals, so each band keeps its own path whichever is booked first
    pb = book_of(NIGHT, 5)
    take(pb, first)
    assert pb.earliest(second)[0] == pytest.approx(second)
    # 1 h apart (21:00 and 22:00) is too close from either side
    for a, b in [(21.0, 22.0), (22.0, 21.0)]:
        pb = book_of(NIGHT, 5)
        take(pb, a)
        e, _ = pb.earliest(b)
        assert e != pytest.approx(b)
        assert abs(e - a) >= 2.0 - 1e-9
    # a day entry at 21:00 pushes the night's first to 23:00; a night entry at 22:00 leaves the day band nothing
    # after 21:00 that day, so a train ready then takes the night's next path, 24 h
    pb = book_of(NIGHT, 5)
    take(pb, 21.0)
    assert pb.earliest(22.0)[0] == pytest.approx(23.0)
    pb = book_of(NIGHT, 5)
    take(pb, 22.0)
    assert pb.earliest(21.0)[0] == pytest.approx(24.0)
    # and two night entries 2 h apart are fine either way
    pb = book_of(NIGHT, 5)
    take(pb, 24.0)
    assert pb.earliest(22.0)[0] == pytest.approx(22.0)


def test_a_partial_outage_divides_every_band_interval() -> None:
    half = Outage("slow", "other", "x", 0.0, 100.0, 0.5)
    pb = book_of(NIGHT, 5, outages=[half])
    # at half capacity the night band's entries are 4 h apart and the day band's 32 h: 22 and 26 h; 04:00 (28 h)
    # is too close; the day band's path at 06:00 (30 h, 4 h after 26 h); the day band has none again until 62 h,
    # so the next night's, at 46 and 50 h
    assert [take(pb, 22.0) for _ in range(5)] == pytest.approx([22.0, 26.0, 30.0, 46.0, 50.0])


def _uniform(ppd: float, clock: float, outages: list[Outage] | None) -> PathBook:
    info = ResourceInfo("paths@x>", "paths", "a", ppd, "paths/day")
    return PathBook(simpy.Environment(), [], info, 24.0 / ppd, (), clock, None, outages)


@settings(max_examples=60, deadline=None)
@given(ppd=st.sampled_from([1.0, 2.5, 3.0, 7.0, 24.0]), clock=st.floats(0, 23.9),
       asks=st.lists(st.floats(0, 200), min_size=1, max_size=30),
       slow=st.none() | st.tuples(st.floats(0, 150), st.floats(1, 60), st.floats(0.1, 0.9)),
       shut=st.none() | st.tuples(st.floats(0, 150), st.floats(1, 30)))
def test_one_band_over_the_day_is_the_line_without_bands(ppd: float, clock: float, asks: list[float],
                                                         slow: tuple | None, shut: tuple | None) -> None:
    outs = []
    if slow:
        outs.append(Outage("slow", "other", "x", slow[0], slow[0] + slow[1], slow[2]))
    if shut:
        outs.append(Outage("shut", "other", "x", shut[0], shut[0] + shut[1], 0.0))
    outs.sort(key=lambda o: (o.start, o.name))
    plain = _uniform(ppd, clock, outs or None)
    info = ResourceInfo("paths@x>", "paths", "a", ppd, "paths/day")
    # the band's N is scaled to the line's paths a day (here as if civil traffic or an investment changed them)
    banded = BandedPathBook(simpy.Environment(), [], info, 24.0 / ppd, band_intervals(parse_bands("00:00-24:00=3"), ppd),
                            (), clock, None, outs or None)
    for t in asks:
        a, b = plain.earliest(t, known_at=t), banded.earliest(t, known_at=t)
        assert a == b  # the same time and the same closure, exactly
        if math.isfinite(a[0]):
            plain.book(a[0], t)
            banded.book(b[0], t)
    assert plain.log == banded.log


@st.composite
def band_texts(draw: st.DrawFn) -> str:
    """Non-overlapping bands on a grid of half hours, some wrapping midnight, some with N = 0."""
    cuts = sorted(draw(st.sets(st.integers(0, 47), min_size=2, max_size=8)))
    shift = draw(st.integers(0, 47))
    parts = []
    for k, (a, b) in enumerate(itertools.pairwise(cuts)):
        if k and draw(st.booleans()):
            continue  # an hour with no band (the first band is always there, with a path at least)
        s, e = (a + shift) % 48, (b + shift) % 48
        n = draw(st.integers(0 if k else 1, 6))
        parts.append(f"{s // 2:02d}:{30 * (s % 2):02d}-{e // 2:02d}:{30 * (e % 2):02d}={n}")
    return ";".join(parts)


@settings(max_examples=80, deadline=None)
@given(text=band_texts(), scale=st.sampled_from([1.0, 0.6, 1.7]), clock=st.floats(0, 23.75),
       asks=st.lists(st.floats(0, 150), min_size=1, max_size=40), drop=st.lists(st.integers(0, 39), max_size=5))
def test_booked_entries_always_respect_the_spacing_rule(text: str, scale: float, clock: float, asks: list[float],
                                                        drop: list[int]) -> None:
    bands = parse_bands(text)
    total = sum(n for _, _, n in bands)
    ppd = total * scale
    ivs = band_intervals(bands, ppd)
    pb = BandedPathBook(simpy.Environment(), [], ResourceInfo("p", "paths", "a", ppd, "paths/day"), 24.0 / ppd, ivs,
                        (), clock, None, None)
    entries = [take(pb, t) for t in asks]
    for k in sorted(set(drop), reverse=True):  # paths given back are free again
        if k < len(entries):
            pb.cancel(entries.pop(k))
    entries += [take(pb, t) for t in asks[:5]]

    def band(t: float) -> int:
        c = (t + clock + 1e-9) % 24.0
        for j, (s, e, _) in enumerate(ivs):
            if (s <= c < e) if s < e else (c >= s or c < e):
                return j
        return -1

    def interval(t: float) -> float:
        return ivs[band(t)][2] if band(t) >= 0 else math.inf

    for t in entries:
        assert math.isfinite(interval(t)), (t, text)  # inside a band with paths
    for a, b in itertools.combinations(entries, 2):
        assert abs(a - b) >= needed(a, b, interval, band) - 1e-6, (a, b, text)


# ---- the network's checks ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("extra", "bands", "said"), [
    ({}, "22:00-06:00=4;06:00 to 22:00=2", "is not HH:MM-HH:MM=N"),
    ({}, "22:00-06:00=4;06:00-22:00", "is not HH:MM-HH:MM=N"),
    ({}, "22:00-06:00=4;25:00-06:30=2", "out of range"),
    ({}, "22:00-06:00=4;05:00-22:00=2", "overlap"),
    ({}, "22:00-06:00=2.5;06:00-22:00=3.5", "whole number of paths"),
    ({}, "22:00-06:00=-1;06:00-22:00=7", "whole number of paths"),
    ({}, "22:00-06:00=four", "whole number of paths"),
    ({"window": "20:00-08:00"}, "22:00-06:00=4;06:00-22:00=2", "not both"),
    ({"paths_per_day": 5}, "22:00-06:00=4;06:00-22:00=2", "the bands give 6 paths a day but paths_per_day is 5"),
])
def test_bad_bands_are_problems_naming_file_field_and_value(tmp_path: Path, extra: dict, bands: str, said: str) -> None:
    row = {"paths_per_day": 6, **extra, "path_bands": bands}
    net = load_network(tiny_network(tmp_path / "net", links=[*road_links(),
                                                             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, **row)]))
    mine = [p for p in net.problems if p.field == "l_port_exit.path_bands"]
    assert len(mine) == 1, [str(p) for p in net.problems]
    p = mine[0]
    assert p.file.endswith("links.csv")
    assert p.value == bands
    assert said in p.message
    assert p.severity == "error"
    assert all(part in str(p) for part in ("links.csv", "l_port_exit.path_bands", bands, said))


def test_bands_on_a_road_link_are_a_problem(tmp_path: Path) -> None:
    roads = [link("r_port_stage", "road", "port", "stage", 50, 80, path_bands="00:00-24:00=2"), *road_links()[1:]]
    net = load_network(tiny_network(tmp_path / "net", links=[*roads, link("l_port_exit", "rail", "port", "exit_rail",
                                                                          100, 50, paths_per_day=24)]))
    p = next(p for p in net.problems if p.field == "r_port_stage.path_bands")
    assert p.value == "00:00-24:00=2"
    assert "for rail links; this link is road" in p.message
    assert p.file.endswith("links.csv")


def test_good_bands_load_without_problems_and_blank_means_none(tmp_path: Path) -> None:
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=8,
                                 path_bands="22:00-06:00=6;06:00-22:00=2")]
    net = load_network(tiny_network(tmp_path / "net", links=links))
    assert [p for p in net.problems if p.severity == "error"] == []
    assert net.links.at["l_port_exit", "path_bands"] == "22:00-06:00=6;06:00-22:00=2"
    assert net.links.at["r_port_stage", "path_bands"] == ""
    assert parse_bands("") == ()
    assert parse_bands("22:00-06:00=6; 06:00-22:00=2") == ((22.0, 6.0, 6), (6.0, 22.0, 2))


def test_a_scenario_window_that_leaves_no_band_hour_is_a_problem(tmp_path: Path) -> None:
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=4,
                                 path_bands="22:00-06:00=4;06:00-22:00=0", corridor="L99")]
    net = tiny_network(tmp_path / "net", links=links)
    with pytest.raises(InputError) as exc:
        compile_plan(parse_scenario(scenario(net, windows={"L99": "08:00-18:00"}), "t.yaml"), "t.yaml", net)
    p = next(p for p in exc.value.problems if p.field == "windows.L99")
    assert p.value == "08:00-18:00"
    assert "leaves link l_port_exit no hour" in p.message
    # a window that meets a band with paths is taken as it is: trains enter when both are open
    compile_plan(parse_scenario(scenario(net, windows={"L99": "04:00-18:00"}), "t.yaml"), "t.yaml", net)


def test_the_builtin_network_has_no_path_bands() -> None:
    # no sourced figure gives Belgian lines' military paths by time of day: the built-in data stays uniform
    net = load_plan(builtin_scenario()).network
    assert (net.links["path_bands"] == "").all()


# ---- scaling and the bound -----------------------------------------------------------------------------------
def test_band_paths_are_shared_in_proportion() -> None:
    bands = parse_bands("22:00-06:00=6;06:00-22:00=2")
    assert band_paths(bands, 8) == ((22.0, 6.0, 6.0), (6.0, 22.0, 2.0))
    assert [p for _, _, p in band_paths(bands, 12)] == pytest.approx([9.0, 3.0])
    assert band_paths(bands, 0) == ((22.0, 6.0, 0.0), (6.0, 22.0, 0.0))
    assert [iv for _, _, iv in band_intervals(bands, 4)] == pytest.approx([8 / 3, 16.0])
    assert band_intervals(bands, 0)[0][2] == math.inf


def banded_net(tmp_path: Path, bands: str = "22:00-06:00=6;06:00-22:00=2", ppd: float = 8, **kw: Any) -> Path:
    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=ppd,
                                 path_bands=bands, corridor="L99", **kw)]
    return tiny_network(tmp_path / "net", links=links)


TRACKED = {"t": [{"unit": "a", "personnel": 0, "tracked": 200}]}
BY_RAIL = [{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]


def plan_on(net: Path, **kw: Any) -> Plan:
    return compile_plan(parse_scenario(scenario(net, templates=TRACKED, forces=BY_RAIL, **kw), "t.yaml"), "t.yaml", net)


def band_ivs(plan: Plan) -> list[float]:
    leg = plan.router.view("rail").edges["port", "exit_rail"]["leg"]
    pb = Model(plan).world.paths(leg)
    assert isinstance(pb, BandedPathBook)
    return pb.band_iv


def test_investments_and_civil_traffic_scale_every_band(tmp_path: Path) -> None:
    net = banded_net(tmp_path, capacity_trains_per_day=20, civil_trains_per_day=16)
    assert band_ivs(plan_on(net)) == pytest.approx([8 / 6, 16 / 2])
    more = {"name": "more_paths", "cost_eur": 1, "first_year": 2026,
            "changes": [{"table": "links", "key": "l_port_exit", "attribute": "paths_per_day", "op": "add", "value": 4}]}
    plan = plan_on(net, custom_investments=[more], investments=["more_paths"])
    assert band_ivs(plan) == pytest.approx([8 / 9, 16 / 3])  # 12 paths: 9 at night, 3 by day
    # civil traffic at today's level leaves 20 - 16 = 4 paths: 3 at night, 1 by day
    assert band_ivs(plan_on(net, civil_traffic={"level": 1.0})) == pytest.approx([8 / 3, 16 / 1])


def test_the_bound_takes_a_banded_lines_paths_a_day(tmp_path: Path) -> None:
    plan = plan_on(banded_net(tmp_path))
    leg = plan.router.view("rail").edges["port", "exit_rail"]["leg"]
    rate, in_flight = _leg_rate(leg, 45.0, 20, 1)
    assert rate == pytest.approx(8 / 24 * 45)  # whole paths per band: the line's 8 paths a day
    assert in_flight == pytest.approx(45 * (6 * (1 + 8 / 24) + 2 * (1 + 16 / 24)))
    # a share that is not whole lets a band take ceil(p) entries on a day: 4.5 at night can be 5 (but no more
    # than 8 h / (8 h / 4.5) + 1 in any 8 h), 1.5 by day 2: the rate counts them
    scaled = replace(leg, paths_per_day=6.0)  # as if civil traffic left 6 of the 8: 4.5 and 1.5
    rate, _ = _leg_rate(scaled, 45.0, 20, 1)
    assert rate == pytest.approx((5 + 2) / 24 * 45)
    assert rate >= 6 / 24 * 45


# ---- a run on a banded line ----------------------------------------------------------------------------------
def test_a_run_on_a_banded_line_keeps_every_train_on_its_booked_path(tmp_path: Path) -> None:
    plan = plan_on(banded_net(tmp_path), start_clock_h=18.0)
    m = Model(plan)
    r = m.run()
    assert (r.pieces["status"] == "delivered").all()
    legs = m.world.train_legs
    assert len(legs) >= 8  # five loaded trains out and their empty returns
    # every train enters the line at the time its path was booked for (the model raises otherwise)
    assert all(booked == pytest.approx(actual) for _, _, booked, actual in legs)
    ivs = {(22.0, 6.0): 8 / 6, (6.0, 22.0): 8.0}

    def band(t: float) -> tuple[float, float]:
        c = (t + 18.0 + 1e-9) % 24.0
        return (22.0, 6.0) if (c >= 22.0 or c < 6.0) else (6.0, 22.0)

    def interval(t: float) -> float:
        return ivs[band(t)]

    for key in ("l_port_exit>", "l_port_exit<"):
        entries = sorted(actual for _, k, _, actual in legs if k == key)
        assert entries, key
        for a, b in itertools.combinations(entries, 2):
            assert abs(a - b) >= needed(a, b, interval, band) - 1e-9
    # the bound stays below the closure
    assert closure_bound(plan).bound_h <= r.summary()["closure_h"] + 1e-6


def test_one_band_over_the_day_runs_as_the_line_without_bands(tmp_path: Path) -> None:
    kw = {"capacity_trains_per_day": 10, "civil_trains_per_day": 7.5}
    extra = {"start_clock_h": 5.0, "civil_traffic": {"level": 1.0},  # leaves 2.5 of the line's 3 paths
             "disruptions": {"events": [{"target": "L99", "at_h": 10, "duration_h": 30, "capacity_factor": 0.5},
                                        {"target": "L99", "at_h": 60, "duration_h": 6}]}}
    plain = plan_on(banded_net(tmp_path / "plain", bands="", ppd=3, **kw), **extra)
    banded = plan_on(banded_net(tmp_path / "banded", bands="00:00-24:00=3", ppd=3, **kw), **extra)
    a, b = run_replication(plain), run_replication(banded)
    assert len(a.trains) >= 5
    assert a.trains.equals(b.trains)
    assert a.usage.equals(b.usage)
    assert a.summary() == b.summary()
    assert closure_bound(plain).bound_h == closure_bound(banded).bound_h
