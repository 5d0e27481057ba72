"""Movement by rail: road shuttles to a railhead, trains formed per railhead, force, exit and wagon type
from the wagon pool, loaded at a ramp, run on the military paths of each line, unloaded at the far end and
returned empty; and the diversion of rail pieces to HET or road when closures hold every rail route."""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any, NamedTuple

import simpy

from ..batching import Batcher
from ..equipment import train_mass_t, wagons_for
from ..ids import Batch, BatchKey, Rank, Stage
from ..modes import after_rail
from ..plan import changed
from ..routing import Leg, Route
from ..world import TRAIN, Item, Token, World
from . import road, timetable
from .legs import Process, back, blame_queue, closed_links, deliver, detour, eta, set_status, set_status_items


class Cargo(NamedTuple):
    """How one piece loads on rail: its equipment type, the wagon type that carries it, how many of it go on
    one wagon, its mass (t) and whether it is out of gauge."""

    equipment: str
    wagon_type: str
    per_wagon: int
    mass_t: float
    out_of_gauge: bool


def cargo(w: World, pid: int) -> Cargo:
    """The rail loading facts of a piece, from its equipment type (every piece has one: its template's, or
    the plan's generic type of its class, loaded as the network's piece_classes say)."""
    c = w.rail_cargo.get(pid)
    if c is None:
        eq = w.plan.equipment[w.pieces[pid].equipment]
        c = w.rail_cargo[pid] = Cargo(eq.id, eq.wagon_type, eq.whole_per_wagon, float(eq.mass_t),
                                      bool(eq.out_of_gauge))
    return c


def train_key(w: World, pid: int) -> BatchKey:
    """Trains form per railhead, force, planned exit and unit: a train carries one unit's equipment, of
    whatever wagon types it needs."""
    p = w.pieces[pid]
    return BatchKey(Batch.TRAIN, p.railhead or p.entry, p.force, p.exit, unit=p.unit)


def rank(w: World, force: str, unit: str) -> Rank:
    """Order of service of a unit's trains for rolling stock and paths: its priority (1 first; sustainment
    flows after every force), then its earlier RDD; a priority decided in an exercise from its time."""
    return w.ranks.get((force, unit)) or w.plan.units[(force, unit)].rank


def train_limits(w: World, railhead: str, exit_: str, route: Route) -> tuple[float, float]:
    """Usable train length (m) and mass (t; inf: no limit) without the locomotive: the shortest of the
    railhead's, the far-end terminal's and the lines' lengths, and the lightest of the lines' masses."""
    limits = [float(w.railhead[railhead]["max_train_m"])]
    if exit_ in w.railhead:
        limits.append(float(w.railhead[exit_]["max_train_m"]))
    limits += [leg.max_train_m for leg in route if leg.max_train_m > 0]
    cap_t = min((leg.max_train_t for leg in route if leg.max_train_t > 0), default=math.inf) - w.s.rail.locomotive_t
    return min(limits) - w.s.rail.locomotive_m, cap_t


class TrainLoad:
    """A train forming: wagons filled per equipment type (two infantry fighting vehicles share a wagon, a tank
    and an IFV do not), as long and as heavy as the route allows, no more wagons of a type than exist."""

    def __init__(self, w: World, cap_m: float, cap_t: float):
        self.w, self.cap_m, self.cap_t = w, cap_m, cap_t
        self.fleet = {wt: int(w.stock.infos[wt].capacity) for wt in w.s.pools.wagons}
        self.reset()

    def reset(self) -> None:
        self.n: dict[str, int] = {}  # pieces by equipment
        self.wagons: dict[str, int] = {}  # by wagon type
        self.length_m = self.mass_t = 0.0
        self.last: Cargo | None = None

    def _grow(self, c: Cargo) -> tuple[float, float, int] | None:
        """Length, mass and wagons of its type after adding one piece like c; None if it does not fit."""
        new_wagon = self.n.get(c.equipment, 0) % c.per_wagon == 0
        length, mass, wagons = self.length_m, self.mass_t + c.mass_t, self.wagons.get(c.wagon_type, 0)
        if new_wagon:
            length += self.w.wagon_len[c.wagon_type]
            mass += self.w.wagon_tare.get(c.wagon_type, 0.0)
            wagons += 1
        if self.n and (length > self.cap_m + 1e-9 or mass > self.cap_t + 1e-9
                       or wagons > self.fleet.get(c.wagon_type, 0)):
            return None
        return length, mass, wagons

    def add(self, item: Item) -> bool:
        c = cargo(self.w, item.pid)
        grown = self._grow(c)
        if grown is None:
            return False
        self.length_m, self.mass_t, self.wagons[c.wagon_type] = grown
        self.n[c.equipment] = self.n.get(c.equipment, 0) + 1
        self.last = c
        return True

    @property
    def full(self) -> bool:
        return self.last is not None and self._grow(self.last) is None


def wagons_needed(w: World, pids: Sequence[int]) -> dict[str, int]:
    """Wagons by type for a set of pieces, filled per equipment type (equipment.wagons_for)."""
    return wagons_for(w.plan.equipment[w.pieces[pid].equipment] for pid in pids)


def load_of(w: World, pids: Sequence[int]) -> tuple[float, float, bool]:
    """Length (m) and mass (t) without the locomotive, and whether any piece is out of gauge."""
    wagons = wagons_needed(w, pids)
    length = sum(n * w.wagon_len[wt] for wt, n in wagons.items())
    mass = train_mass_t(wagons, (w.plan.equipment[w.pieces[p].equipment] for p in pids), w.wagon_tare)
    return length, mass, any(cargo(w, p).out_of_gauge for p in pids)


def rail_options(w: World, railhead: str, force: str, unit: str) -> list[tuple[str, Route]]:
    """Rail routes from a railhead to the unit's exits (its line's destination, or its force's exits): per exit
    up to three, within 1.5 times the fastest."""
    return [(x, r) for x in w.exits_of(force, unit) if x != railhead
            for r in w.plan.router.alternatives("rail", railhead, x)]


def join(w: World, key: BatchKey, item: Item) -> None:
    """Put a piece into a train, or into a shuttle serial to its railhead, made on first use."""
    b = w.batchers.get(key)
    if b is None:
        if key.kind is Batch.TRAIN:
            b = _train_batcher(w, key)
        elif key.kind is Batch.SHUTTLE:
            b = road.serial_batcher(w, key, lambda batch: shuttle(w, batch))
        elif key.kind is Batch.HET_SHUTTLE:
            b = road.serial_batcher(w, key, lambda batch: het_shuttle(w, batch))
        else:
            raise ValueError(f"not a rail batch: {key}")
    b.put(item)


def shuttle(w: World, batch: list[Item]) -> Process:
    """Road move from the entry to a railhead elsewhere, then into the train queue there."""
    t0, times = yield from road.depart(w, batch, "road move to railhead", w.pieces[batch[0].pid].to_origin)
    now = w.env._now  # SimPy's clock without its property, read once for the serial's pieces
    for it, t in zip(batch, times, strict=True):
        q = w.pieces[it.pid]
        head = q.railhead or q.entry
        w.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, Stage.SHUTTLE, head, it.t_join, t0, t)
        w.ledger.piece(it.pid, "waiting for train", head)
        join(w, train_key(w, it.pid), it._replace(port_token=None, t_join=now))


def het_shuttle(w: World, batch: list[Item]) -> Process:
    """A serial of loaded HETs from the entry to a railhead elsewhere: the pieces are unloaded there and wait
    for their trains; the HETs drive back empty and are free again at the entry."""
    p = w.pieces[batch[0].pid]
    head, route, het = p.railhead or p.entry, p.to_origin, w.s.het
    t0, times = yield from road.depart(w, batch, "on HET to railhead", route, het.speed_kmh)
    for it, t in zip(batch, times, strict=True):
        q = w.pieces[it.pid]
        w.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, Stage.SHUTTLE, head, it.t_join, t0, t)
        w.ledger.piece(it.pid, "unloading from HET", head)
    yield w.env.timeout(het.unload_h)
    for it in batch:
        w.ledger.piece(it.pid, "waiting for train", head)
        join(w, train_key(w, it.pid), it._replace(port_token=None, asset=None, t_join=w.env.now))
    yield w.env.timeout(sum(leg.hours(het.speed_kmh) for leg in route))
    for it in batch:
        w.hets.give(it.asset)  # type: ignore[arg-type]  # a piece on a HET shuttle carries its HET


def _train_batcher(w: World, key: BatchKey) -> Batcher:
    """Trains of one unit at one railhead. A train is as long and heavy as the planned route allows; its stock
    is taken by the unit's priority; it leaves on the booked path (to any of the force's exits whose route
    accepts it) that arrives first, or, when other trains wait for stock of its kinds, that brings its stock
    back first (timetable._best)."""
    railhead, force, planned = key.origin, key.force, key.dest
    options = rail_options(w, railhead, force, key.unit)
    cap_m, cap_t = train_limits(w, railhead, planned, w.plan.router.route("rail", railhead, planned) or ())
    def dispatch(batch: list[Item]) -> Process:
        if w.outages.by_link:
            batch = divert(w, batch, railhead, options)
        batch = refill(w, batcher, switch_late(w, batch, railhead, options), railhead, options, cap_m, cap_t)
        t0 = w.env.now
        prio = rank(w, force, key.unit)  # asked now: an exercise's decision may have changed it
        patient = False  # no piece left that could still switch mode
        while batch:
            pids = [it.pid for it in batch]
            need: dict[str, int] = {**wagons_needed(w, pids), TRAIN: 1}
            set_status_items(w, batch, "waiting for wagons and a locomotive", railhead)
            got = yield from w.stock.take(need, railhead, prio, weight=len(pids), pids=pids,
                                          patience=math.inf if patient else _patience(w, batch))
            if got is not None:
                break
            left = switch_late(w, batch, railhead, options, waited_only=True)  # the wait for stock ran out
            patient = len(left) == len(batch)  # those that may switch found no route: they wait for the train
            batch = left
        else:
            return
        token, positioning, waited = got
        if waited:
            blame_queue(w, batcher, waited, t0)
        length, mass, oog = load_of(w, pids)
        ok = [r for x, r in options if _fits(w, railhead, x, r, length, mass)]
        w.env.process(train(w, batch, railhead, ok, token, positioning, need, prio, (length, mass, oog), t0))

    batcher = w.batcher(key, TrainLoad(w, cap_m, cap_t), dispatch, w.s.rail.max_wait_h)
    return batcher


def refill(w: World, batcher: Batcher, batch: list[Item], railhead: str, options: list[tuple[str, Route]],
           cap_m: float, cap_t: float) -> list[Item]:
    """A train left with room when pieces counted in it went on by road (switch_late: containers that waited
    too long): the unit's pieces queued behind it take that room, in their order, as far as they fit its length
    and mass (those that would switch too go by road). A rail planner fills the train rather than run another,
    with a locomotive and a path, for the pieces left behind."""
    while batch and batcher.queue:
        load = TrainLoad(w, cap_m, cap_t)
        for it in batch:
            load.add(it)
        n = batcher.fitting(load.add)
        if not n:
            break
        more = batcher.take(n)
        kept = switch_late(w, more, railhead, options)
        batch = [*batch, *kept]
        if len(kept) == len(more):
            break
    return batch


def _fits(w: World, railhead: str, exit_: str, route: Route, length: float, mass: float) -> bool:
    cap_m, cap_t = train_limits(w, railhead, exit_, route)
    return cap_m >= length - 1e-9 and cap_t >= mass - 1e-9


def divert(w: World, batch: list[Item], railhead: str, options: list[tuple[str, Route]]) -> list[Item]:
    """When closures known now hold every rail route from the railhead back by more than
    disruptions.divert_after_h, pieces whose mode rules allow it go on by their next mode (HET or road)
    around what is closed; the others stay for the train and wait. Returns the pieces staying on rail."""
    now = w.env.now
    if not options:
        return batch
    known = min(eta(w, r, now) for _, r in options)
    free = min(eta(w, r, now, outages=False) for _, r in options)
    if not known - free > w.s.disruptions.divert_after_h:
        return batch
    best = min(options, key=lambda o: (eta(w, o[1], now), o[0]))[1]
    blocker = next((c.name for c in (w.closure_on(leg) for leg in best) if c is not None), "")
    return _by_road(w, batch, railhead, closed_links(w), blocker)


def _limit(w: World, pid: int) -> float:
    """How long a rail piece may wait for its train before it takes its next mode (inf: it never switches for a
    wait: its class has no rail.switch_after_h, or its mode rules name no HET or road after rail)."""
    p = w.pieces[pid]
    key = (p.force, p.cls)
    limit = w.switch_limits.get(key)
    if limit is None:
        h = next((h for cls, h in w.s.rail.switch_after_h.items() if cls == p.cls), None)
        switchable = h is not None and after_rail(w.rules[p.force].get(p.cls, []))
        limit = w.switch_limits[key] = float(h) if switchable and h is not None else math.inf
    return limit


def _patience(w: World, batch: list[Item]) -> float:
    """How long a train forming may wait for its stock before one of its pieces has waited its limit."""
    return min((it.t_join + _limit(w, it.pid) for it in batch), default=math.inf) - w.env.now


def switch_late(w: World, batch: list[Item], railhead: str, options: list[tuple[str, Route]],
                waited_only: bool = False) -> list[Item]:
    """Pieces whose wait for their train exceeds their class's rail.switch_after_h go on by their next mode (HET
    or road) where their mode rules allow it. The wait is judged from the piece's arrival at the railhead: to now
    (`waited_only`, when its wait for wagons ran out), else to the earliest departure the paths booked so far
    leave (after loading, the next allocation and its lead time). Returns the pieces staying on rail."""
    if not (w.s.rail.switch_after_h or w.switched) or not options or all(math.isinf(_limit(w, it.pid)) for it in batch):
        return batch
    now = w.env.now
    if waited_only:
        depart = now
    else:
        ready = max(now + float(w.railhead[railhead]["load_h"]), timetable.earliest_departure(w, now))
        planned = w.plan.router.route("rail", railhead, w.pieces[batch[0].pid].exit) or options[0][1]
        depart = timetable.plan(w, planned, ready).depart  # on the planned route
    late = [it for it in batch if depart - it.t_join >= _limit(w, it.pid) - 1e-9]
    if not late:
        return batch
    gone = {id(it) for it in late} - {id(it) for it in _by_road(w, late, railhead, frozenset(), "rail wait")}
    return [it for it in batch if id(it) not in gone]


def _by_road(w: World, batch: list[Item], railhead: str, avoid: frozenset[str], why: str) -> list[Item]:
    """Send the pieces whose mode rules name HET or road after rail on by that mode, around the links in
    `avoid`, to the nearest exit of their force; returns the pieces that stay on rail."""
    now = w.env.now
    keep: list[Item] = []
    moved: dict[BatchKey, list[Item]] = {}
    found_by: dict[tuple[tuple[str, ...], float], list[tuple[float, str, Route]]] = {}  # routes, per exits and speed
    modes_of: dict[tuple[str, str], list[str]] = {}  # the modes after rail, per force and class
    router = w.plan.router
    for it in batch:
        p = w.pieces[it.pid]
        target = None
        modes = modes_of.get((p.force, p.cls))
        if modes is None:
            modes = modes_of[(p.force, p.cls)] = after_rail(w.rules[p.force].get(p.cls, []))
        for mode in modes:
            speed = w.s.het.speed_kmh if mode == "het" else float(w.classes[p.cls]["road_speed_kmh"])
            if speed <= 0:
                continue
            exits = w.exits_of(p.force, p.unit)
            found = found_by.get((exits, speed))
            if found is None:
                found = found_by[(exits, speed)] = []
                for x in sorted(exits):
                    r = (router.route_avoiding("road", railhead, x, avoid, speed) if avoid
                         else router.route("road", railhead, x, speed))
                    if r is not None:
                        found.append((sum(leg.hours(speed) for leg in r), x, r))
            if found:
                _, x, r = min(found, key=lambda f: (f[0], f[1]))
                target = (mode, x, r)
                break
        if target is None:
            keep.append(it)
            continue
        mode, x, r = target
        w.pieces[it.pid] = changed(p, mode=mode, entry=railhead, exit=x, route=r, to_origin=(), railhead=None,
                                   het_shuttle=False)
        w.diversions.append((now, it.pid, "rail", mode, railhead, why))
        w.ledger.piece(it.pid, f"diverted to {mode}", railhead)
        kind = Batch.TRUCK if mode == "road" and road.on_truck(w, p.cls) else Batch(mode)
        moved.setdefault(BatchKey(kind, railhead, p.force, x), []).append(it._replace(t_join=now))
    for key, items in sorted(moved.items()):
        w.expect(key, len(items))
        for it in items:
            if key.kind is Batch.HET:
                w.env.process(road.het_piece(w, it))
            elif key.kind is Batch.TRUCK:
                w.env.process(road.truck_piece(w, it, key, None))
            else:
                road.join(w, key, it)
    return keep


def train(w: World, batch: list[Item], railhead: str, options: list[Route], stock: Token, positioning: float,
          need: dict[str, int], prio: Rank, load: tuple[float, float, bool], t_request: float) -> Process:
    """One train run: stock positioned to the railhead (not before rail operations start), loaded at a ramp,
    its path requested for the whole route and allocated by priority, departure on that path, the border
    crossed (the pieces delivered), on to the far end and back when the exit has one (else unloaded at the
    exit), and the empty return to the railhead on booked paths, where its stock is given back."""
    env = w.env
    pids = [it.pid for it in batch]
    n = len(pids)
    length, mass, oog = load
    rec: dict[str, Any] = {"train": len(w.trains), "force": w.pieces[pids[0]].force, "unit": w.pieces[pids[0]].unit,
                           "railhead": railhead, "pieces": n,
                           "tracked": sum(1 for pid in pids if w.pieces[pid].cls == "tracked"),
                           "wagons": sum(v for k, v in need.items() if k != TRAIN),
                           "length_m": length, "mass_t": mass, "out_of_gauge": oog, "priority": prio[0],
                           "t_request": t_request, "t_stock": env.now,
                           "stock_from": ";".join(loc or railhead for loc in w.stock.where(stock))}
    w.trains.append(rec)
    start = max(w.s.rail.start_h - env.now, 0.0)
    if start or positioning:
        set_status_items(w, batch, "waiting for wagons to be positioned", railhead)
        yield env.timeout(start + positioning)
    rec["t_positioned"] = env.now
    set_status_items(w, batch, "waiting for loading ramp", railhead)
    ramp = yield from w.ramps[railhead].acquire(weight=n, pids=pids)
    share = (yield from w.gate(railhead, n, pids)) if railhead in w.outages.by_node else 1.0
    t_load = env.now
    load_h = float(w.railhead[railhead]["load_h"]) * w.factor("rail_load", railhead) / share
    factor = w.factor("travel", f"rail:{railhead}")
    p0 = w.pieces[pids[0]]
    req = timetable.Request(options, t_load + load_h, rank(w, p0.force, p0.unit), oog, factor, n, tuple(pids),
                            tuple(sorted(k for k, v in need.items() if v > 0)))
    booking = env.process(timetable.desk(w).request(req))
    w.leave_port(batch)
    set_status_items(w, batch, "loading", railhead)
    yield env.timeout(load_h)
    w.ramps[railhead].release(ramp)
    t_loaded = env.now
    rec["t_loaded"] = t_loaded
    for it in batch:
        p = w.pieces[it.pid]
        w.ledger.record("piece", it.pid, p.force, p.unit, p.cls, 1, Stage.RAIL_LOAD, railhead, it.t_join, t_load,
                        t_loaded)
    set_status_items(w, batch, "loaded, waiting for its train path", railhead)
    tt: timetable.Timetable = yield booking
    if tt.why and (tt.depart > env.now or not math.isfinite(tt.depart)):
        set_status_items(w, batch, f"loaded, waiting: {tt.why}", railhead)
    driven = yield from _run(w, tt, rec, pids, oog, list(w.exits_of(w.pieces[pids[0]].force, w.pieces[pids[0]].unit)), length, mass, railhead)
    if driven is None:
        return  # no path will ever be found: the pieces stay loaded (their wait is logged at the end)
    exit_ = driven[-1].to if driven else railhead
    rec["exit"], rec["t_exit"] = exit_, env.now
    set_status_items(w, batch, "on train", exit_)
    deliver(w, pids, [env.now] * n, exit_, Stage.RAIL, [t_loaded] * n, t_loaded)
    if exit_ in w.s.rail.far_ends:  # the run beyond the border and back (timetable.turn_h)
        yield env.timeout(timetable.turn_h(w, exit_))
    elif exit_ in w.ramps:  # unloaded at the exit's ramps (timetable.turn_h), slowed by what holds the exit
        share = (yield from w.gate(exit_)) if exit_ in w.outages.by_node else 1.0
        yield from w.ramps[exit_].use(timetable.turn_h(w, exit_) / share, weight=0)
    rec["t_far_back"] = env.now
    home = back(w, driven)
    empty = timetable.plan(w, home, env.now, factor)  # empty wagons are within gauge
    if math.isfinite(empty.depart):
        timetable.book(w, empty, False, 0)
        back_driven = yield from _run(w, empty, None, (), False, [railhead], length, mass, railhead)
        where = back_driven[-1].to if back_driven else exit_
    else:
        where = exit_
    rec["t_back"] = env.now
    w.stock.give(stock, where)


def _run(w: World, tt: timetable.Timetable, rec: dict[str, Any] | None, pids: Sequence[int], oog: bool,
         goals: Sequence[str], length: float, mass: float, railhead: str) -> Generator[simpy.Event, Any, Route | None]:
    """Run a booked timetable: wait for the departure, then enter each leg at its booked time. At a line a
    closure (not known when the path was booked) holds, give back the paths left, re-plan from there
    (around the closure, to any of `goals`, on a route that accepts the train) and book again. Returns the
    legs driven (None: no path at all)."""
    env = w.env
    train_no = rec["train"] if rec is not None else -1
    if not math.isfinite(tt.depart):
        return None
    if rec is not None:
        rec["t_depart"], rec["route"] = tt.depart, ">".join(leg.frm for leg in tt.route) + ">" + tt.route[-1].to
    driven: list[Leg] = []
    k = 0
    while k < len(tt.route):  # env._now: SimPy's clock without its property, read a few times per leg
        leg = tt.route[k]
        if tt.entries[k] > env._now:
            yield env.timeout(tt.entries[k] - env._now)
        if w.outages.by_link and w.closure_on(leg) is not None:
            timetable.cancel(w, tt, k, oog)
            fits = (lambda g, r: _fits(w, railhead, g, r, length, mass)) if pids else None
            rest = detour(w, tt.route[k:], goals, pids, "train" if pids else "empty train", fits)
            if pids:
                closure = w.closure_on(leg)
                set_status(w, pids, f"on train, waiting: {closure.name if closure else 'closure'}", leg.frm)
            tt = timetable.plan(w, rest, env._now, tt.factor, oog)
            if not math.isfinite(tt.depart):
                return None
            timetable.book(w, tt, oog, len(pids))
            k = 0
            continue
        if abs(tt.entries[k] - env._now) > 1e-6:  # the model's promise: no train on a line without its path
            raise RuntimeError(f"train {train_no} entered {leg.key} at {env._now:.4f} h, its path is at {tt.entries[k]:.4f} h")
        w.train_legs.append((train_no, leg.key, tt.entries[k], env._now))
        yield env.timeout(leg.hours(factor=tt.factor))
        driven.append(leg)
        k += 1
    return tuple(driven)
