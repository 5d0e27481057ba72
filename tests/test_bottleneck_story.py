"""One bottleneck story: the ranking of resources by the waits they cause and the analytic bound speak of the
same resources, by the same ids and in a planner's words; the bound stays below the simulated closure, and
where one resource clearly binds, the top of the ranking lies on the bound's cut."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from netkit import link, node, road_links, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.bound import closure_bound
from sim.cli import app
from sim.ids import Res, ResourceId
from sim.naming import PHRASES, catalogue, name_words, phrase, place, words
from sim.network import load_network
from sim.paths import builtin_scenario
from sim.plan import Plan, compile_plan, load_plan
from sim.report import render
from sim.runner import run_replication
from sim.scenario import parse_scenario
from sim.statistics import aggregate
from sim.story import bottleneck_story

BELGIUM = Path(__file__).resolve().parent.parent / "networks" / "belgium"
SLOW = {"high": 1.5, "low": 0.8}
TRI = {"dist": "triangular", "low": SLOW["low"], "mode": 1.0, "high": SLOW["high"]}  # times vary with the seed
SEEDS = (1, 2, 3)


# ---- words -------------------------------------------------------------------------------------------------
def test_every_kind_of_resource_has_words() -> None:
    # a kind added to Res without a phrase fails here (and in catalogue/phrase, which look every kind up)
    assert set(PHRASES) == set(Res)
    net = load_network(BELGIUM)
    known = catalogue(net, ["storm over the port"])
    assert {rid.res for rid in known.values()} == set(Res)
    for name, rid in known.items():
        said, waiters = phrase(rid, net)
        assert said, name
        assert waiters, name
        assert said != name, name  # words, not the id again
        if rid.res is not Res.DISRUPTION and "_" in rid.where:  # no node, link or wagon type id left in the words
            assert rid.where.rstrip("<>") not in said, (name, said)
    for r in Res:  # without a network too (results loaded from disk): still words
        rid = ResourceId(r, "" if r in (Res.TRAIN_SETS, Res.HETS, Res.TRUCKS, Res.BUSES, Res.BARGES, Res.REASSEMBLY)
                         else ("l_x>" if r in (Res.PATHS, Res.ENTRY) else "x"))
        said, waiters = phrase(rid)
        assert waiters
        assert said
        assert said != rid.name


def test_words_of_known_resources_on_the_belgian_network() -> None:
    net = load_network(BELGIUM)
    assert words(ResourceId(Res.PATHS, "l_hasselt_tongeren>"), net) == "military train paths Hasselt → Tongeren (L34)"
    assert words(ResourceId(Res.PATHS, "l_hasselt_tongeren<"), net) == "military train paths Tongeren → Hasselt (L34)"
    assert words(ResourceId(Res.WAGONS, "heavy_flat"), net) == "heavy flat wagons"
    assert words(ResourceId(Res.TRAIN_SETS), net) == "locomotives with crews"
    assert words(ResourceId(Res.BERTHS, "antwerp_aet"), net) == "RoRo berths, Antwerp Euroterminal"
    assert words(ResourceId(Res.BEDS, "leopoldsburg"), net) == "beds, Leopoldsburg staging area"
    assert words(ResourceId(Res.DISRUPTION, "strike on L34"), net) == "disruption strike on L34"


def test_words_follow_the_network_tables(tmp_path: Path) -> None:
    # names with a bracket and a comma are cut short; a link says its ends in its direction and its corridor
    net_dir = tiny_network(tmp_path / "net", nodes=[
        {**node("port", "seaport"), "name": "Quay Nord (berths 4-7), left bank"},
        {**node("apod", "airfield"), "name": "Field One"}, {**node("stage", "staging"), "name": "Camp Alpha, north"},
        node("exit_road", "exit"), {**node("exit_rail", "exit"), "name": "Border station (rail)"}],
        links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=4, corridor="L99"),
               link("w_port_exit", "water", "port", "exit_road", 50, 10, corridor="CANAL", headway_min=20)])
    net = load_network(net_dir)
    assert place(net, "port") == "Quay Nord"
    assert place(net, "nowhere") == "nowhere"
    assert words(ResourceId(Res.PATHS, "l_port_exit>"), net) == "military train paths Quay Nord → Border station (L99)"
    assert phrase(ResourceId(Res.ENTRY, "w_port_exit<"), net) == ("barge passages CANAL exit_road → Quay Nord", "barge loads")
    assert phrase(ResourceId(Res.ENTRY, "r_port_stage>"), net) == ("march slots r_port_stage Quay Nord → Camp Alpha",
                                                                     "serials")
    assert words(ResourceId(Res.RAMPS, "port"), net) == "loading ramps, Quay Nord"
    assert words(ResourceId(Res.STAGING_SPACES, "stage"), net) == "vehicle spaces, Camp Alpha staging area"
    assert words(ResourceId(Res.MOG, "apod"), net) == "aircraft parking (MOG), Field One"
    # a name no resource of the network has keeps its id
    assert name_words(["berths@port", "mystery"], net)["mystery"] == ("mystery", "waits")


# ---- small networks where one resource clearly binds ---------------------------------------------------------
def _plan(net: Path, data: dict[str, Any]) -> Plan:
    return compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)


def berth_bound(tmp_path: Path) -> Plan:
    """Five ships at once at a port of one berth, 500 wheeled pieces by road: the berth binds."""
    net = tiny_network(tmp_path / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 500}]},
                    times={"discharge": TRI, "travel": TRI})
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 0}] * 5
    return _plan(net, data)


def path_bound(tmp_path: Path) -> Plan:
    """One military train path a day for 450 tracked pieces, wagons and train sets aplenty: the path binds."""
    net = tiny_network(tmp_path / "net", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50,
                                                                     paths_per_day=1)])
    return _plan(net, scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 450}]},
                               times={"rail_load": TRI, "travel": TRI}, pools={"wagons": {"heavy_flat": 500}, "train_sets": 20},
                               rail={"out_of_gauge_blocks": False},  # wide loads would take the return paths too
                               forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]))


def wagon_bound(tmp_path: Path) -> Plan:
    """One train's worth of heavy flat wagons on a long line with paths to spare: the wagon fleet binds."""
    net = tiny_network(tmp_path / "net", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 300, 50,
                                                                     paths_per_day=24)])
    return _plan(net, scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 450}]},
                               times={"rail_load": TRI, "travel": TRI}, pools={"wagons": {"heavy_flat": 45}, "train_sets": 20},
                               forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}]))


@pytest.mark.parametrize(("build", "binding"), [(berth_bound, "berths@port"), (path_bound, "paths@l_port_exit>"),
                                                (wagon_bound, "wagons:heavy_flat")])
def test_top_of_the_ranking_lies_on_the_cut_of_a_tight_bound(tmp_path: Path, build: Any, binding: str) -> None:
    plan = build(tmp_path)
    bound = closure_bound(plan)
    d = bound.as_dict()
    assert d["bound_cut"] == [binding]
    assert d["bound_cut_words"] == [bound.words[binding]]
    assert bound.words[binding] != binding
    summaries = []
    for seed in SEEDS:
        s = run_replication(plan, seed=seed).summary()
        summaries.append(s)
        assert s["closure_h"] is not None
        assert bound.bound_h <= s["closure_h"]
        # tight: no slower than every process at its slowest draw would make it
        assert s["closure_h"] <= bound.bound_h * SLOW["high"] / SLOW["low"]
        story = bottleneck_story(s, d)
        assert s["bottlenecks"][0]["resource"] == binding
        assert story.on_cut is True
        assert story.cut_rank == 1
        assert "it lies on the bound's cut" in " ".join(story.lines())
        # the ranking and the bound say the resource in the same words
        assert s["bottlenecks"][0]["words"] == bound.words[binding]
    seeds_differ = len({s["closure_h"] for s in summaries}) > 1
    assert seeds_differ  # the seeds do give different runs
    agg = aggregate(summaries)
    assert bottleneck_story(agg, d).on_cut is True
    assert f"means over {len(SEEDS)} replications" in bottleneck_story(agg, d).lines()[1]
    assert agg["bottlenecks"][0]["words"] == bound.words[binding]


def test_waits_are_counted_in_what_waits(tmp_path: Path) -> None:
    # five ships at once at one berth: the first berths at once, the other four wait, with all their pieces
    plan = berth_bound(tmp_path)
    r = run_replication(plan, seed=1)
    stats = r.resource_stats().set_index("resource")
    berth = stats.loc["berths@port"]
    first = min(plan.ships, key=lambda sp: sp.at_h)
    assert berth["waiters"] == "ship calls"
    assert berth["waits"] == len(plan.ships) - 1
    assert berth["pieces_held"] == sum(len(sp.pids) for sp in plan.ships) - len(first.pids)
    assert berth["mean_wait_h"] == pytest.approx(berth["wait_h"] / berth["pieces_held"])
    top = r.summary()["bottlenecks"][0]
    assert (top["waits"], top["pieces_held"]) == (berth["waits"], berth["pieces_held"])
    ranked = r.stats.bottlenecks()
    assert {"words", "waiters", "waits", "pieces_held", "mean_wait_h"} <= set(ranked.columns)
    assert (stats["pieces_held"] <= len(plan.pieces)).all()
    assert ((stats["waits"] == 0) <= (stats["wait_h"] == 0)).all()  # no piece-hours of waiting without a wait


def test_words_survive_save_and_load(tmp_path: Path) -> None:
    from sim.results import Results

    r = run_replication(berth_bound(tmp_path), seed=1)
    back = Results.load(r.save(tmp_path / "out"))
    assert back.summary()["bottlenecks"] == r.summary()["bottlenecks"]


def test_cli_and_report_tell_the_same_story(tmp_path: Path) -> None:
    plan_file = write_scenario(tmp_path / "s.yaml", {**scenario(tiny_network(tmp_path / "net"),
                                                                templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 300}]}),
                                                     "seed": 2})
    runner = CliRunner()
    out = runner.invoke(app, ["run", str(plan_file)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())
    plan = load_plan(plan_file)
    bound = closure_bound(plan).as_dict()
    summary = run_replication(plan, seed=2).summary()
    story = bottleneck_story(summary, bound)
    for line in story.lines():
        assert " ".join(line.split()) in text
    assert "RoRo berths, port" in text
    html = render([run_replication(plan, seed=2)], bound)
    plain = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    for line in story.lines():
        assert line in plain
    validated = runner.invoke(app, ["validate", str(plan_file)])
    assert validated.exit_code == 0
    assert story.bound_line() in validated.stdout


def test_story_without_a_bound_or_a_cut() -> None:
    top = {"resource": "berths@p", "words": "RoRo berths, P", "waiters": "ship calls", "waits": 2, "pieces_held": 30,
           "mean_wait_h": 2.0, "wait_h": 60.0, "closure_wait_h": 6.0, "person_wait_h": 0.0}
    summary = {"closure_h": 10.0, "bottlenecks": [top]}
    alone = bottleneck_story(summary, {"bound_h": None})  # no bound computed: the run alone, no 'not closed'
    assert len(alone.lines()) == 1
    assert "RoRo berths, P [berths@p]" in alone.lines()[0]
    assert alone.on_cut is None
    late = bottleneck_story(summary, {"bound_h": 5.0, "bound_by": "latest arrival", "bound_cut": []})
    assert late.on_cut is None  # no resource sets it, so nothing lies on or off its cut
    assert "latest arrival" in late.lines()[0]
    assert "above the bound" in late.lines()[-1]
    fleet = bottleneck_story(summary, {"bound_h": 8.0, "bound_by": "hets", "bound_cut": ["hets"],
                                       "bound_cut_words": ["heavy equipment transporters (HETs)"],
                                       "bounds": [{"by": "hets", "bound_h": 8.0, "cut": ["hets"]},
                                                  {"by": "road", "bound_h": 7.0, "cut": ["berths@p"]}]})
    assert fleet.on_cut is False
    assert fleet.also_on == ("road", 7.0)
    assert fleet.cut_rank is None
    said = " ".join(fleet.lines())
    assert "set by the fleet: heavy equipment transporters (HETs) [hets]" in said
    assert "lies off the bound's cut" in said
    assert "not among the top 1" in said


# ---- the built-in scenario ----------------------------------------------------------------------------------
def test_builtin_bound_below_closure_and_where_the_top_lies() -> None:
    """The bound stays below closure for every seed. Whether the top of the ranking lies on the bound's cut is
    told, not required: on the built-in scenario the wagon fleets hold trains back longest while the bound's
    cut is a rail line, and the rail model is being reworked."""
    plan = load_plan(builtin_scenario())
    bound = closure_bound(plan)
    d = bound.as_dict()
    assert all(c in bound.words for c in d["bound_cut"])
    for seed in SEEDS[:2]:
        s = run_replication(plan, seed=seed).summary()
        assert s["closure_h"] is not None
        assert bound.bound_h <= s["closure_h"]
        story = bottleneck_story(s, d)
        assert story.on_cut is not None
        said = " ".join(story.lines())
        assert ("lies on the bound's cut" in said) == story.on_cut
        assert ("lies off the bound's cut" in said) == (not story.on_cut)
        # every resource of the ranking is in words, and the bound's cut is named by ids the ranking uses
        assert all(b["words"] != b["resource"] for b in s["bottlenecks"])
        assert set(d["bound_cut"]) <= set(catalogue(plan.network))
