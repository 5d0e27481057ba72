"""The Belgian network and the built-in forces: complete, sourced, and the graph derived deterministically."""

import networkx as nx
import pytest

from sim.forces import check_force_sources, load_templates
from sim.network import build_graph, load_network
from sim.paths import builtin_scenario, networks_dir
from sim.plan import load_plan
from sim.routing import Router
from sim.windows import next_open, parse_window

BELGIUM = networks_dir() / "belgium"


@pytest.fixture(scope="module")
def net():
    return load_network(BELGIUM)


def test_network_loads_without_problems_and_every_number_is_sourced(net):
    assert [str(p) for p in net.problems] == []


def test_built_in_forces_are_sourced():
    assert [str(p) for p in check_force_sources()] == []


def test_required_nodes_exist(net):
    required = {
        "seaport": ["antwerp_aet", "antwerp_ico_kallo", "zeebrugge", "ghent_kluizendok", "ostend_port"],
        "airfield": ["melsbroek", "liege_bierset", "chievres", "ostend_bruges_airport", "koksijde", "kleine_brogel",
                     "florennes", "beauvechain"],
        "exit": ["de_lichtenbusch", "de_aachen_west", "de_aachen_l37", "nl_e34", "nl_e314", "nl_e25", "nl_meuse_lanaye",
                 "nl_iron_rhine"],
    }
    for kind, ids in required.items():
        for nid in ids:
            assert net.nodes.at[nid, "kind"] == kind, nid
    for nid in ["antwerp_noord", "zeebrugge_yard", "leopoldsburg_rail", "liege_bressoux", "marche_rail", "zutendaal_rail"]:
        assert nid in net.railheads.index
    assert {"grobbendonk", "leopoldsburg", "zutendaal"} <= set(net.staging.index[net.staging["role"] == "staging"])
    assert (net.staging["role"] == "csc").any()
    corridors = set(net.links["corridor"])
    assert {"E34", "E40", "E313", "E314", "E19", "E25", "E42", "L24", "L37", "ALBERT", "IRON_RHINE"} <= corridors


def test_iron_rhine_is_present_but_out_of_service_until_opened(net):
    g = build_graph(net)
    rail = Router(g)
    assert rail.route("rail", "antwerp_noord", "nl_iron_rhine") is None
    opened = Router(build_graph(net, opened_corridors=frozenset({"IRON_RHINE"})))
    assert opened.route("rail", "antwerp_noord", "nl_iron_rhine") is not None


def test_graph_is_derived_in_sorted_order_and_is_reproducible(net):
    g1, g2 = build_graph(net), build_graph(net)
    assert list(g1.nodes) == sorted(g1.nodes)
    assert list(g1.edges(keys=True)) == list(g2.edges(keys=True))
    assert nx.is_weakly_connected(g1.edge_subgraph([e for e in g1.edges(keys=True) if g1.edges[e]["mode"] == "road"]))


def test_ports_reach_the_german_border_by_each_mode(net):
    r = Router(build_graph(net))
    for port in ["antwerp_aet", "zeebrugge", "ghent_kluizendok", "ostend_port"]:
        assert r.route("road", port, "de_lichtenbusch") is not None, port
    for head in ["antwerp_ico_kallo", "antwerp_noord", "zeebrugge_yard", "leopoldsburg_rail"]:
        assert r.route("rail", head, "de_aachen_west") is not None, head
    assert r.route("water", "antwerp_aet", "nl_meuse_lanaye") is not None


def test_templates_have_the_four_brigade_types():
    t = load_templates()
    assert {"us_abct", "eu_armoured", "medium_wheeled", "aviation"} <= set(t)
    abct_pieces = sum(u.n_pieces for u in t["us_abct"])
    assert 2500 <= abct_pieces <= 3500  # ABCT 2,500-3,500 pieces (belgium_facts.md 2.1)
    assert sum(dict(u.pieces)["helicopter"] for u in t["aviation"]) > 0


def test_builtin_scenario_compiles():
    plan = load_plan(builtin_scenario())
    assert plan.warnings == []
    assert len({p.force for p in plan.pieces}) == 2


@pytest.mark.parametrize(("text", "t", "clock", "expected"), [
    ("21:00-05:00", 0.0, 12.0, 9.0),   # noon: wait until 21:00
    ("21:00-05:00", 0.0, 22.0, 0.0),   # inside
    ("21:00-05:00", 0.0, 5.0, 16.0),   # closes at 05:00 sharp
    ("08:00-10:00;14:00-16:00", 0.0, 11.0, 3.0),
    ("", 3.5, 0.0, 3.5),
])
def test_time_windows(text, t, clock, expected):
    assert next_open(parse_window(text), t, clock) == pytest.approx(t + expected if text else expected)


@pytest.mark.parametrize("bad", ["25:00-05:00", "21-05", "10:00-10:00", "9:60-10:00"])
def test_bad_windows_are_refused(bad):
    with pytest.raises(ValueError, match="time window"):
        parse_window(bad)
