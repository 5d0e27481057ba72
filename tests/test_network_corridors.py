"""The corridors the 2019-2020 moves through Antwerp used: loading on the Euroterminal quay, the Liège axis
(L27A, L27, L53, L36, L36A), the rail exits through the Netherlands and the water route toward the Rhine."""

import pytest

from sim.network import build_graph, load_network
from sim.paths import networks_dir
from sim.routing import Router

BELGIUM = networks_dir() / "belgium"


@pytest.fixture(scope="module")
def net():
    return load_network(BELGIUM)


@pytest.fixture(scope="module")
def router(net):
    return Router(build_graph(net))


def test_new_corridors_and_nodes_exist(net):
    corridors = set(net.links["corridor"])
    assert {"L27A", "L27", "L53", "L36", "L36A", "L12", "WAASLAND", "BETUWEROUTE", "BRABANTROUTE",
            "SCHELDT_RHINE", "RHINE"} <= corridors
    assert "antwerp_aet" in net.railheads.index  # the quay loads trains (Nov 2020)
    assert "antwerp_aet" in net.seaports.index
    for yard in ("antwerp_noord", "muizen", "schaerbeek", "kinkempois", "nl_kijfhoek"):
        assert net.nodes.at[yard, "kind"] == "yard", yard
    for exit_, country in (("de_emmerich", "DE"), ("nl_venlo", "NL"), ("de_rhine_emmerich", "DE")):
        assert net.nodes.at[exit_, "kind"] == "exit", exit_
        assert net.nodes.at[exit_, "country"] == country, exit_


def test_yards_are_on_the_rail_graph(router):
    for a, b in (("muizen", "antwerp_noord"), ("muizen", "de_aachen_west"), ("schaerbeek", "antwerp_aet")):
        assert router.route("rail", a, b) is not None, (a, b)


def test_aet_quay_reaches_the_german_border_by_rail_without_hasselt_tongeren(net, router):
    l34 = frozenset(net.links.index[net.links["corridor"] == "L34"])
    for exit_ in ("de_aachen_west", "de_aachen_l37"):
        route = router.route_avoiding("rail", "antwerp_aet", exit_, l34)
        assert route is not None, exit_
        assert not {leg.link for leg in route} & l34
        assert {"L36", "L36A"} <= {leg.corridor for leg in route}, exit_
    # and without the Lier-Aarschot-Hasselt line either, the way the Liège axis is an alternative to it
    feeder = l34 | frozenset(net.links.index[net.links["corridor"].isin(["L16", "L35"])])
    assert router.route_avoiding("rail", "antwerp_aet", "de_aachen_west", feeder) is not None


def test_rail_exits_through_the_netherlands(router):
    for exit_ in ("nl_venlo", "de_emmerich"):
        route = router.route("rail", "antwerp_aet", exit_)
        assert route is not None, exit_
        assert "l_essen_nl_roosendaal" in {leg.link for leg in route}, exit_


def test_iron_rhine_stays_out_of_service(router):
    assert router.route("rail", "antwerp_aet", "nl_iron_rhine") is None


def test_water_route_from_the_antwerp_port_to_the_rhine(router):
    route = router.route("water", "antwerp_aet", "de_rhine_emmerich")
    assert route is not None
    assert [leg.to for leg in route] == ["srk_antwerp", "kreekrak", "volkerak_locks", "dordrecht_water",
                                         "de_rhine_emmerich"]
    assert all(leg.headway_h > 0 for leg in route)
    assert sum(leg.delay_h for leg in route) > 0  # the sea lock, Kreekrak and Volkerak
