"""Fastest routes per mode over the network graph, as tuples of legs (one leg = one directed link)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, ClassVar

import lazy_loader

from .bands import Bands
from .nested import Nested
from .windows import AnyWindow

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_loader.load("networkx")  # loaded on first use: `rsom run` from a cached plan never needs it


@dataclass(frozen=True)
class Leg:
    """One directed link of a route."""

    key: str  # link id plus direction marker, e.g. "L24_tongeren_vise>"
    link: str
    corridor: str
    mode: str
    frm: str
    to: str
    length_km: float
    speed_kmh: float
    paths_per_day: float
    max_train_m: float
    headway_h: float
    delay_h: float
    window: AnyWindow  # daily, or by day of the week (windows.py)
    max_train_t: float = 0.0  # rail: heaviest train the line accepts, locomotive included (t; 0 = no limit)
    path_bands: Bands = ()  # rail: paths by time band as the network gives them (bands.py; empty: spread over the day)

    def drive_h(self, speed_kmh: float | None = None, factor: float = 1.0) -> float:
        """Driving time (h) at the slower of the link and the mover, times a travel-time factor (1 = as
        planned); fixed delays are not driving (no rest halt is owed for them)."""
        v = self.speed_kmh if speed_kmh is None else min(self.speed_kmh, speed_kmh)
        return self.length_km / v * factor

    def hours(self, speed_kmh: float | None = None, factor: float = 1.0) -> float:
        """Time to pass the link (h): driving (see drive_h) plus its fixed delay (a border or a lock), which
        the travel-time factor does not scale. The one travel-time rule of the model and the bound (drive_h
        written out here: this is on the hot path)."""
        v = self.speed_kmh if speed_kmh is None else min(self.speed_kmh, speed_kmh)
        return self.length_km / v * factor + self.delay_h


Route = tuple[Leg, ...]


class Router(Nested):
    """Shortest-time routes per mode; results cached so repeated questions cost nothing. Pickled with its graphs
    nested (sim/nested.py): a run from a cached plan whose routes were all found before needs no networkx."""

    NESTED: ClassVar[tuple[str, ...]] = ("graph", "_views")

    def __init__(self, graph: nx.MultiDiGraph):
        self.graph = graph
        # the graph's nodes, for a reader without the graph: a dict in sorted order (membership as a set's), so
        # that a pickled plan's bytes do not depend on the process's string hashes (a frozenset's order does)
        self.nodes: dict[str, None] = dict.fromkeys(sorted(graph.nodes))
        self._views: dict[str, nx.DiGraph] = {}
        self._trees: dict[tuple[str, str, float], tuple[dict, dict]] = {}
        self._alternatives: dict[tuple[str, str, str, int, float], list[Route]] = {}
        self._routes: dict[tuple[str, str, str, float], Route | None] = {}

    def learned(self) -> dict[str, dict]:
        """The answers found so far (shortest-path trees, fastest routes, alternatives): what the cache of
        compiled plans keeps beside a plan, so that a later run asks networkx nothing it was asked before."""
        return {"trees": dict(self._trees), "alternatives": dict(self._alternatives), "routes": dict(self._routes)}

    def learn(self, answers: dict[str, dict]) -> None:
        """Take answers another router of the same graph found (learned()); each is what this one would find."""
        self._trees.update(answers.get("trees", {}))
        self._alternatives.update(answers.get("alternatives", {}))
        self._routes.update(answers.get("routes", {}))

    def answers(self) -> int:
        """How many answers the router holds (trees, routes and alternatives)."""
        return len(self._trees) + len(self._alternatives) + len(self._routes)

    def view(self, mode: str) -> nx.DiGraph:
        """Simple digraph of one mode; among parallel links the fastest is kept (ties by link id)."""
        v = self._views.get(mode)
        if v is None:
            v = nx.DiGraph()
            v.add_nodes_from(sorted(self.graph.nodes))
            best: dict[tuple[str, str], Leg] = {}
            for u, w, key, d in sorted(self.graph.edges(keys=True, data=True), key=lambda e: e[2]):
                if d["mode"] != mode:
                    continue
                leg = Leg(key=key, link=d["link"], corridor=d["corridor"], mode=mode, frm=u, to=w,
                          length_km=d["length_km"], speed_kmh=d["speed_kmh"], paths_per_day=d["paths_per_day"],
                          max_train_m=d["max_train_m"], headway_h=d["headway_h"], delay_h=d["delay_h"],
                          window=d["window"], max_train_t=d.get("max_train_t", 0.0),
                          path_bands=d.get("path_bands", ()))
                old = best.get((u, w))
                if old is None or leg.hours() < old.hours():
                    best[(u, w)] = leg
            for (u, w), leg in sorted(best.items()):
                v.add_edge(u, w, leg=leg)
            self._views[mode] = v
        return v

    def _tree(self, mode: str, src: str, speed_kmh: float) -> tuple[dict, dict]:
        k = (mode, src, speed_kmh)
        t = self._trees.get(k)
        if t is None:
            v = self.view(mode)
            if src not in v:
                t = ({}, {})
            else:
                t = nx.single_source_dijkstra(v, src, weight=lambda a, b, d: d["leg"].hours(speed_kmh))
            self._trees[k] = t
        return t

    def route(self, mode: str, src: str, dst: str, speed_kmh: float = 1e9) -> Route | None:
        """Fastest route from src to dst by one mode at a mover speed, or None when there is none."""
        key = (mode, src, dst, speed_kmh)
        if key in self._routes:
            return self._routes[key]
        dist, paths = self._tree(mode, src, speed_kmh)
        found: Route | None = None
        if dst in dist:
            v = self.view(mode)
            found = tuple(v.edges[a, b]["leg"] for a, b in pairwise(paths[dst]))
        self._routes[key] = found
        return found

    def alternatives(self, mode: str, src: str, dst: str, k: int = 3, slack: float = 1.5) -> list[Route]:
        """Up to k loop-free routes, fastest first, each within `slack` times the fastest (Yen's algorithm)."""
        key = (mode, src, dst, k, slack)
        cached = self._alternatives.get(key)
        if cached is not None:
            return cached
        v = self.view(mode)
        out: list[Route] = []
        if src in v and dst in v and nx.has_path(v, src, dst):
            best = None
            for nodes in nx.shortest_simple_paths(v, src, dst, weight=lambda a, b, d: d["leg"].hours()):
                route = tuple(v.edges[a, b]["leg"] for a, b in pairwise(nodes))
                hours = route_hours(route)
                best = hours if best is None else best
                if hours > slack * best or len(out) == k:
                    break
                out.append(route)
        self._alternatives[key] = out
        return out

    def route_avoiding(self, mode: str, src: str, dst: str, avoid: frozenset[str], speed_kmh: float = 1e9) -> Route | None:
        """Fastest route that uses none of the links in `avoid` (link ids), or None. Not cached: asked only
        when a disruption closes part of a route."""
        v = self.view(mode)
        if src not in v or dst not in v:
            return None
        sub = nx.subgraph_view(v, filter_edge=lambda a, b: v.edges[a, b]["leg"].link not in avoid)
        try:
            nodes = nx.dijkstra_path(sub, src, dst, weight=lambda a, b, d: d["leg"].hours(speed_kmh))
        except nx.NetworkXNoPath:
            return None
        return tuple(v.edges[a, b]["leg"] for a, b in pairwise(nodes))

    def nearest(self, mode: str, src: str, targets: list[str], speed_kmh: float = 1e9) -> tuple[str, Route] | None:
        """The target reached fastest from src (ties broken by name), with its route; None if none is reachable."""
        dist, _ = self._tree(mode, src, speed_kmh)
        reachable = sorted((dist[t], t) for t in targets if t in dist)
        if not reachable:
            return None
        target = reachable[0][1]
        route = self.route(mode, src, target, speed_kmh)
        return None if route is None else (target, route)


def route_hours(route: Route, speed_kmh: float | None = None) -> float:
    """Sum of leg times (h), without waits for windows, paths or halts."""
    return sum(leg.hours(speed_kmh) for leg in route)
