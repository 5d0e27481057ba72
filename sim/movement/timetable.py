"""Train paths booked end to end. A train leaves only with a path for every line of its route, at the times
it will enter them (its running time from the departure), so it never waits on a line for a path. Requests
are allocated in rounds (the scenario's `rail.allocation_every_h`; 0: at once), by priority and then request
time, for a departure no earlier than `rail.path_lead_h` after the allocation and than `rail.start_h`.

An out-of-gauge train (category 3: no train may pass it on the other track) takes the path of the other
direction as well, at the same time, on each line it runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import simpy

from ..ids import Rank
from ..resources import PathBook, blame_group
from ..routing import Leg, Route
from ..world import World
from .legs import Process, back, reverse

EPS = 1e-9


@dataclass(frozen=True)
class Timetable:
    """A booked run: the route and the time the train enters each of its legs (h); the departure is the
    first entry. `held`: hours of the wait from the earliest possible departure, by resource name."""

    route: Route
    entries: tuple[float, ...]
    held: tuple[tuple[str, float], ...] = ()
    factor: float = 1.0  # travel-time factor of the run
    why: str = ""  # the closure that held the departure back, or why no path will ever be found
    @property
    def depart(self) -> float:
        return self.entries[0] if self.entries else math.inf

    @property
    def arrive(self) -> float:
        """Arrival at the end of the route (h) at the planned running times."""
        return self.entries[-1] + self.route[-1].hours(factor=self.factor) if self.route else self.depart


def books_of(w: World, leg: Leg, out_of_gauge: bool) -> list[PathBook]:
    """The path books a train on `leg` takes: the leg's own, and for an out-of-gauge train the other
    direction's (made once per leg and run)."""
    key = (leg.key, out_of_gauge and w.s.rail.out_of_gauge_blocks)
    books = w.path_books.get(key)
    if books is None:
        books = [w.paths(leg)]
        if key[1]:
            books.append(w.paths(reverse((leg,))[0]))
        w.path_books[key] = books
    return books


def plan(w: World, route: Route, t_ready: float, factor: float = 1.0, out_of_gauge: bool = False) -> Timetable:
    """The earliest run along `route` leaving at or after t_ready with a free path on every leg at the time
    it gets there (no booking is made). Each time a leg has no path at the train's arrival there, the
    departure moves later by the difference, and the search starts again: departures only move later, and
    bookings are finite, so it ends. Returns entries of inf when some leg has no path at all."""
    now = w.env._now  # SimPy's clock without its property, as in the loop below: plan() is called per route tried
    t0 = t_ready
    held: dict[str, float] = {}
    why = ""
    made, blocks = w.path_books, out_of_gauge and w.s.rail.out_of_gauge_blocks  # books_of's key, once per plan
    while math.isfinite(t0):
        a = t0
        entries = []
        moved = False
        for leg in route:
            for book in made.get((leg.key, blocks)) or books_of(w, leg, out_of_gauge):
                e, closure = book.earliest(a, known_at=now)
                if not math.isfinite(book.interval_h):
                    why = "no military path left by civil traffic"
                elif closure is not None and not why:
                    why = closure.name
                if e > a + EPS:
                    name = closure.resource if closure is not None else book.info.name
                    held[name] = held.get(name, 0.0) + (e - a)
                    t0 += e - a
                    moved = True
                    break
            if moved:
                break
            entries.append(a)
            a += leg.hours(factor=factor)
        if not moved:
            return Timetable(tuple(route), tuple(entries), tuple(sorted(held.items())), factor, why)
    return Timetable(tuple(route), tuple(math.inf for _ in route), tuple(sorted(held.items())), factor, why)


def book(w: World, tt: Timetable, out_of_gauge: bool, weight: float) -> None:
    """Book the paths of a planned run."""
    now = w.env.now
    for leg, t in zip(tt.route, tt.entries, strict=True):
        for k, b in enumerate(books_of(w, leg, out_of_gauge)):
            b.book(t, now, weight if k == 0 else 0.0)  # the other direction's path is blocked, not travelled


def cancel(w: World, tt: Timetable, k: int, out_of_gauge: bool) -> None:
    """Give back the paths of a booked run from its k-th leg on."""
    for leg, t in zip(tt.route[k:], tt.entries[k:], strict=True):
        for b in books_of(w, leg, out_of_gauge):
            b.cancel(t)


def allocation_at(w: World, t: float) -> float:
    """The allocation round that decides a request made at t (h): the next multiple of
    rail.allocation_every_h, or t itself when paths are allocated at once."""
    every = w.s.rail.allocation_every_h
    return t if every <= 0 else math.ceil(t / every - EPS) * every


def earliest_departure(w: World, t: float) -> float:
    """The earliest a train whose path is requested at t (h) may leave: the allocation round's time plus
    rail.path_lead_h, and never before rail.start_h."""
    return max(allocation_at(w, t) + w.s.rail.path_lead_h, w.s.rail.start_h)


@dataclass
class Request:
    """A train's request for a path: its route options, when it can be ready, its priority."""

    options: Sequence[Route]
    ready: float
    priority: Rank
    out_of_gauge: bool
    factor: float
    weight: float
    pids: tuple[int, ...]
    stock: tuple[str, ...] = ()  # the kinds of rolling stock the train runs with (wagon types, train sets)
    t: float = 0.0
    seq: int = 0
    event: simpy.Event | None = None


@dataclass
class Desk:
    """The allocation of train paths: requests wait for the next round and are served in order of
    priority, then request time."""

    w: World
    pending: list[Request] = field(default_factory=list)
    round_due: float = -1.0
    seq: int = 0

    def request(self, req: Request) -> Process:
        """Wait for the allocation of a path for the request; returns the booked Timetable (departure inf:
        no path will ever be found)."""
        w = self.w
        env = w.env
        self.seq += 1
        req.t, req.seq, req.event = env.now, self.seq, env.event()
        self.pending.append(req)
        at = allocation_at(w, env.now)
        if self.round_due < env.now - EPS or at < self.round_due - EPS:
            self.round_due = at
            env.timeout(at - env.now).callbacks.append(self._allocate)
        tt = yield req.event
        return tt

    def _allocate(self, _ev: object = None) -> None:
        """Serve the pending requests by priority, then request time."""
        w = self.w
        now = w.env.now
        todo = sorted(self.pending, key=lambda r: (r.priority, r.t, r.seq))
        self.pending = []
        self.round_due = -1.0
        earliest = earliest_departure(w, now)
        for r in todo:
            t_ready = max(r.ready, earliest)
            best = _best(w, r, t_ready, cycle=bool(r.stock) and w.stock.awaited(r.stock))
            if math.isfinite(best.depart):
                book(w, best, r.out_of_gauge, r.weight)
                for name, h in best.held:
                    blame_group(w.ledger.blame, name, r.pids, h)
            else:  # logged once, on the first line of the best route that has no path at all
                none_left = next((pb for pb in map(w.paths, best.route) if not math.isfinite(pb.interval_h)), None)
                if none_left is not None:
                    none_left.never(now, r.weight, r.pids)
            assert r.event is not None
            r.event.succeed(best)


def turn_h(w: World, exit_: str) -> float:
    """Hours from a train's arrival at an exit until its stock starts back: the run to the far end, unloading
    there and the run back when the exit has one, else unloading at the exit's ramps (0 without ramps)."""
    far = w.s.rail.far_ends.get(exit_)
    if far is not None:
        return 2 * far.transit_h + far.turnaround_h
    if exit_ in w.ramps:
        return float(w.railhead[exit_]["unload_h"]) * w.factor("rail_unload", exit_)
    return 0.0


def _best(w: World, r: Request, t_ready: float, cycle: bool = False) -> Timetable:
    """The run that arrives first over the request's route options (then leaves first, then by leg ids). Routes
    are tried fastest first, and one that could not arrive before the best found even on free lines is skipped.

    With `cycle` (other trains wait for stock of the kinds this one runs with), the run whose stock is back at
    the railhead first: arrival, the turn at the exit (turn_h) and the empty return on free lines. When wagons
    are short, a rail planner sends them on the shorter turn, not on the route that reaches the border first
    and keeps them away longer."""
    def run_h(route: Route) -> float:
        return sum(leg.hours(factor=r.factor) for leg in route)

    def back_h(route: Route) -> float:  # after arrival: the turn and the empty run home
        return turn_h(w, route[-1].to) + run_h(back(w, route)) if cycle and route else 0.0

    best: Timetable | None = None
    best_key: tuple = ()
    timed = sorted(((run_h(rt), back_h(rt), rt) for rt in r.options),
                   key=lambda x: (x[0] + x[1], [leg.key for leg in x[2]]))
    for run, extra, route in timed:
        if best is not None and t_ready + run + extra > best_key[0] + EPS:
            continue
        tt = plan(w, route, t_ready, r.factor, r.out_of_gauge)
        key = (tt.arrive + extra, tt.arrive, tt.depart, [leg.key for leg in tt.route])
        if best is None or key < best_key:
            best, best_key = tt, key
    assert best is not None
    return best


def desk(w: World) -> Desk:
    """The path allocation desk of the run, made on first use."""
    d = w.rail_desk
    if d is None:
        d = w.rail_desk = Desk(w)
    return d

