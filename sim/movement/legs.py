"""What every movement on links shares: driving legs with paths and headways, closures met on the way and
the routes around them, empty returns, and booking pieces' states and deliveries."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import replace
from typing import Any

import simpy

from ..batching import Batcher
from ..ids import Stage
from ..routing import Route
from ..world import Item, World

Process = Generator[simpy.Event, Any, Any]  # a SimPy process body
Fits = Callable[[str, Route], bool]  # whether a train may take a route to a goal (length limits)

_FLIP = {">": "<", "<": ">"}


def reverse(route: Route) -> Route:
    """The same legs driven the other way (for empty returns)."""
    return tuple(replace(leg, key=leg.key[:-1] + _FLIP[leg.key[-1]], frm=leg.to, to=leg.frm) for leg in reversed(route))


def back(w: World, route: Route) -> Route:
    """The empty return of a route, made once per run."""
    out = w.reversed_routes.get(route)
    if out is None:
        out = w.reversed_routes[route] = reverse(route)
    return out


def set_status(w: World, pids: Iterable[int], status: str, node: str) -> None:
    """The same status and node for each of the pieces."""
    w.ledger.pieces(pids, status, node)


def set_status_items(w: World, batch: list[Item], status: str, node: str) -> None:
    """The same status and node for each piece of a batch."""
    w.ledger.pieces([it.pid for it in batch], status, node)


def deliver(w: World, pids: Sequence[int], times: Sequence[float], node: str, stage: Stage, t_in: Sequence[float],
            t_start: float) -> None:
    """Record the last stage of each piece and deliver it at `node` at its time."""
    pieces, record, delivered = w.pieces, w.ledger.record, w.ledger.deliver  # bound once: a call per piece each
    for pid, t, t0 in zip(pids, times, t_in, strict=True):
        p = pieces[pid]
        record("piece", pid, p.force, p.unit, p.cls, 1, stage, node, t0, t_start, t)
        delivered(pid, t, node)


def road_speed(w: World, pids: Iterable[int]) -> float:
    """The slowest road speed of the pieces (km/h): a serial drives at the pace of its slowest vehicle."""
    pieces = w.pieces
    return min(float(w.classes[c]["road_speed_kmh"]) for c in {pieces[pid].cls for pid in pids})


def eta(w: World, route: Route, t: float, outages: bool = True) -> float:
    """Earliest arrival along a route leaving at t, given the paths already booked and the closures known
    now (no booking is made)."""
    now = w.env.now
    for leg in route:
        if leg.mode == "rail":
            t = w.paths(leg).earliest(t, known_at=now, outages=outages)[0]
        elif w.uses_slots(leg):
            t = w.slots(leg).earliest(t, known_at=now, outages=outages)[0]
        t += leg.hours()
    return t


def closed_links(w: World) -> frozenset[str]:
    """Links a disruption closes now."""
    now = w.env.now
    return frozenset(lid for lid, outs in sorted(w.outages.by_link.items()) if w.outages.closed_now(outs, now))


def detour(w: World, left: Route, goals: Sequence[str], pids: Sequence[int] = (), what: str = "",
           fits: Fits | None = None) -> Route:
    """At a closed link: keep the planned rest of the route (and wait) or take a route around what is
    closed now to one of the goals, whichever arrives first on what is known now. `fits(goal, route)`
    rules out routes a train may not take (length limits)."""
    avoid = closed_links(w)
    leg0 = left[0]
    options = [left]
    for g in goals:
        r = w.plan.router.route_avoiding(leg0.mode, leg0.frm, g, avoid)
        if r and r != left and (fits is None or fits(g, r)):
            options.append(r)
    now = w.env.now
    best = min(options, key=lambda r: (eta(w, r, now), r is not left, [leg.key for leg in r]))
    if best is not left:
        closure = w.closure_on(leg0)
        w.reroutes.append((now, what, leg0.frm, leg0.link, best[0].link, best[-1].to, closure.name if closure else "",
                           len(pids)))
    return best


def blame_queue(w: World, batcher: Batcher, resource: str, t_request: float) -> None:
    """Pieces queued behind a group that waited for a resource waited for it too (as long as they were queued)."""
    now = w.env.now
    if now > t_request:
        w.ledger.blame.extend((resource, (it.pid,), now - max(t_request, t_join)) for t_join, it in batcher.queue
                              if t_join < now)


def run_legs(w: World, route: Route, weight: float, factor: float, pids: Sequence[int] = (),
             goals: Sequence[str] = (), what: str = "barge") -> Generator[simpy.Event, Any, Route]:
    """Drive a barge along water legs, waiting for a headway slot at each; at a link a disruption closes,
    re-plan to any of `goals`. Returns the legs actually driven. (Trains run on paths booked end to end:
    `timetable`, `rail._run`.)"""
    route = tuple(route)
    hit = w.outages.by_link
    k = 0
    while k < len(route):
        leg = route[k]
        if hit and goals and w.closure_on(leg) is not None:
            route = route[:k] + detour(w, route[k:], goals, pids, what)
            leg = route[k]
        wait = 0.0
        if w.uses_slots(leg):
            wait, closure = w.slots(leg).book(weight=weight, pids=pids)
            if wait and pids and closure is not None:
                set_status(w, pids, f"on {what}, waiting: {closure.name}", leg.frm)
        # waiting for the slot and driving the leg are one timeout: the next leg is booked on arrival there
        yield w.env.timeout(wait + leg.hours(factor=factor))
        k += 1
    return route
