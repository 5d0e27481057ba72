"""Resources in a planner's words: ``paths@l_hasselt_tongeren>`` is "military train paths Hasselt → Tongeren
(L34)", ``wagons:heavy_flat`` is "heavy flat wagons".

The words come from the network (a node's `name`, a link's ends and `corridor`); the id stays what the tables
key on, and the words stand next to it wherever a resource is shown (the ranking of bottlenecks, the bound's
cut). Every kind of resource (`Res`) has a phrase here, and a noun for what queues at it (trains, serials,
ship calls...), so that a wait can be counted in the planner's units.

The tables give resources by name; `catalogue` lists every resource a network (and a run's disruptions) can
have, by name, so that a name is looked up, never taken apart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ids import Res, ResourceId

if TYPE_CHECKING:
    from .network import Network


@dataclass(frozen=True)
class Phrase:
    """What a facility or fleet is called (`what`, "RoRo berths") and what queues at it (`waiters`, plural:
    "ship calls"); `where` says at which node the facility is ("" for fleets, links and disruptions)."""

    what: str
    waiters: str
    facility: bool = False  # `where` of the ResourceId is a node


PHRASES: dict[Res, Phrase] = {
    Res.BERTHS: Phrase("RoRo berths", "ship calls", True),
    Res.MARSHALLING: Phrase("marshalling area", "pieces", True),
    Res.MOG: Phrase("aircraft parking (MOG)", "flights", True),
    Res.PAX_TERMINAL: Phrase("passenger terminal", "flights", True),
    Res.CARGO_TERMINAL: Phrase("air cargo handling", "pieces", True),
    Res.RAMPS: Phrase("loading ramps", "trains", True),
    Res.STAGING_SPACES: Phrase("vehicle spaces", "pieces", True),
    Res.BEDS: Phrase("beds", "bus loads", True),
    Res.CSC: Phrase("vehicle spaces", "serials", True),
    Res.PATHS: Phrase("military train paths", "trains"),
    Res.ENTRY: Phrase("march slots", "serials"),  # on water: barge passages (see _link_words)
    Res.WAGONS: Phrase("wagons", "trains"),
    Res.TRAIN_SETS: Phrase("locomotives with crews", "trains"),
    Res.HETS: Phrase("heavy equipment transporters (HETs)", "pieces"),
    Res.TRUCKS: Phrase("trucks for containers", "pieces"),
    Res.BUSES: Phrase("buses for personnel", "bus loads"),
    Res.BARGES: Phrase("inland barges", "barge loads"),
    Res.REASSEMBLY: Phrase("helicopter reassembly teams", "helicopters"),
    Res.DISRUPTION: Phrase("disruption", "waits"),
}
_SITES = {Res.STAGING_SPACES: "staging area", Res.BEDS: "staging area", Res.CSC: "convoy support centre"}  # "<place> <site>"


def place(network: Network | None, node: str) -> str:
    """A node's short name: its `name` up to the first bracket or comma ("Antwerp Euroterminal (AET),
    Verrebroek" is "Antwerp Euroterminal"); the id when the network does not know the node."""
    nodes = network.rows("nodes") if network is not None else {}
    if node not in nodes:
        return node
    name = str(nodes[node]["name"] or "").strip()
    short = name.split(" (")[0].split(",")[0].strip()
    return short or node


def _link(network: Network | None, key: str) -> tuple[str, str, str, str] | None:
    """(from, to, corridor, mode) of a directed link key (link id plus ``>`` or ``<``); None if unknown."""
    lid, direction = key[:-1], key[-1:]
    links = network.rows("links") if network is not None else {}
    if lid not in links or direction not in "<>":
        return None
    row = links[lid]
    a, b = str(row["from"]), str(row["to"])
    if direction == "<":
        a, b = b, a
    return a, b, str(row["corridor"] or ""), str(row["mode"])


def _link_words(rid: ResourceId, network: Network | None) -> tuple[str, str]:
    """Words and waiters of a path or headway resource: "military train paths Hasselt → Tongeren (L34)",
    "march slots E40 Leuven → Liège-Loncin", "barge passages ALBERT Wijnegem lock → Olen lock"."""
    found = _link(network, rid.where)
    if found is None:
        direction = "forward" if rid.where.endswith(">") else "backward"
        what = PHRASES[rid.res].what if rid.res is Res.PATHS else "passages"
        return f"{what} on link {rid.link} ({direction})", PHRASES[rid.res].waiters
    a, b, corridor, mode = found
    ends = f"{place(network, a)} → {place(network, b)}"
    if rid.res is Res.PATHS:
        return f"military train paths {ends}" + (f" ({corridor})" if corridor else ""), "trains"
    if mode == "water":
        return "barge passages " + (f"{corridor} " if corridor else "") + ends, "barge loads"
    return "march slots " + (f"{corridor} " if corridor else "") + ends, "serials"


def phrase(rid: ResourceId, network: Network | None = None) -> tuple[str, str]:
    """(words, waiters) of one resource: what a planner calls it, and what queues at it (plural noun)."""
    p = PHRASES[rid.res]
    if rid.res in (Res.PATHS, Res.ENTRY):
        return _link_words(rid, network)
    if rid.res is Res.WAGONS:
        kind = rid.where.replace("_", " ")
        return (kind if kind.endswith("wagons") else f"{kind} wagons"), p.waiters
    if rid.res is Res.DISRUPTION:
        return f"disruption {rid.where}", p.waiters
    if p.facility:
        at = place(network, rid.where)
        site = _SITES.get(rid.res, "")
        if site and site not in at.lower():
            at = f"{at} {site}"
        return f"{p.what}, {at}", p.waiters
    return p.what, p.waiters


def words(rid: ResourceId, network: Network | None = None) -> str:
    """What a planner calls the resource, e.g. "military train paths Hasselt → Tongeren (L34)"."""
    return phrase(rid, network)[0]


def catalogue(network: Network, disruptions: Iterable[str] = ()) -> dict[str, ResourceId]:
    """Every resource the network can have, by its name in the tables: the facilities at each node, the paths
    and headways of each link in both directions, the wagon types, the fleets, and the named disruptions."""
    out: dict[str, ResourceId] = {}
    facility = [r for r in Res if PHRASES[r].facility]
    for node in network.rows("nodes"):
        for r in facility:
            rid = ResourceId(r, str(node))
            out[rid.name] = rid
    for lid in network.rows("links"):
        for d in "<>":
            for r in (Res.PATHS, Res.ENTRY):
                rid = ResourceId(r, f"{lid}{d}")
                out[rid.name] = rid
    for wt in network.rows("wagon_types"):
        rid = ResourceId(Res.WAGONS, str(wt))
        out[rid.name] = rid
    for r in Res:
        if not PHRASES[r].facility and r not in (Res.PATHS, Res.ENTRY, Res.WAGONS, Res.DISRUPTION):
            rid = ResourceId(r)
            out[rid.name] = rid
    for name in disruptions:
        rid = ResourceId(Res.DISRUPTION, name)
        out[rid.name] = rid
    return out


def name_words(names: Iterable[str], network: Network | None, disruptions: Iterable[str] = ()) -> dict[str, tuple[str, str]]:
    """(words, waiters) for each resource name; a name the network does not know keeps its id as words and
    counts plain "waits"."""
    known = catalogue(network, disruptions) if network is not None else {}
    out = {}
    for n in names:
        rid = known.get(n)
        out[n] = phrase(rid, network) if rid is not None else (n, "waits")
    return out

