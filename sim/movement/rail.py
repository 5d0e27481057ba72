"""Movement by rail: road shuttles to a railhead, trains formed per railhead, force, exit and wagon type
from the wagon pool, loaded at a ramp, run on the military paths of each line, unloaded at the far end and
returned empty; and the diversion of rail pieces to HET or road when closures hold every rail route."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from ..batching import Additive, Batcher
from ..ids import Batch, BatchKey, Res, ResourceId, Stage
from ..routing import Route
from ..world import Item, Token, World
from . import road
from .legs import Process, back, blame_queue, closed_links, deliver, eta, run_legs, set_status_items


def train_key(w: World, pid: int) -> BatchKey:
    """Trains form per railhead, force, planned exit and wagon type: armour on heavy flats and containers on
    container wagons run as separate trains, so a shortage of one wagon type does not hold up the other."""
    p = w.pieces[pid]
    return BatchKey(Batch.TRAIN, p.railhead or p.entry, p.force, p.exit, w.classes[p.cls]["wagon_type"])


def train_capacity_m(w: World, railhead: str, exit_: str, route: Route) -> float:
    """Usable train length (m): the shortest of railhead, far-end terminal and line limits, less the locomotive."""
    limits = [float(w.railhead[railhead]["max_train_m"])]
    if exit_ in w.railhead:
        limits.append(float(w.railhead[exit_]["max_train_m"]))
    limits += [leg.max_train_m for leg in route if leg.max_train_m > 0]
    return min(limits) - w.s.rail.locomotive_m


def wagons_needed(w: World, pids: Sequence[int]) -> dict[str, int]:
    """Wagons by type for a set of pieces (each piece takes its class's share of a wagon)."""
    share: dict[str, float] = {}
    for pid in pids:
        row = w.classes[w.pieces[pid].cls]
        share[row["wagon_type"]] = share.get(row["wagon_type"], 0.0) + float(row["wagon_share"])
    return {wt: math.ceil(s - 1e-9) for wt, s in sorted(share.items())}


def rail_options(w: World, railhead: str, force: str) -> list[tuple[str, Route]]:
    """Rail routes from a railhead to the force's exits: per exit up to three, within 1.5 times the fastest."""
    return [(x, r) for x in w.exits[force] if x != railhead for r in w.plan.router.alternatives("rail", railhead, x)]


def join(w: World, key: BatchKey, item: Item) -> None:
    """Put a piece into a train, or into a shuttle serial to its railhead, made on first use."""
    b = w.batchers.get(key)
    if b is None:
        if key.kind is Batch.TRAIN:
            b = _train_batcher(w, key)
        elif key.kind is Batch.SHUTTLE:
            b = road.serial_batcher(w, key, lambda batch: shuttle(w, batch))
        else:
            raise ValueError(f"not a rail batch: {key}")
    b.put(item)


def shuttle(w: World, batch: list[Item]) -> Process:
    """Road move from the entry to a railhead elsewhere, then into the train queue there."""
    t0, times = yield from road.depart(w, batch, "road move to railhead", w.pieces[batch[0].pid].to_origin)
    for it, t in zip(batch, times, strict=True):
        q = w.pieces[it.pid]
        head = q.railhead or q.entry
        w.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, Stage.SHUTTLE, head, it.t_join, t0, t)
        w.ledger.piece(it.pid, "waiting for train", head)
        join(w, train_key(w, it.pid), it._replace(port_token=None, t_join=w.env.now))


def _train_batcher(w: World, key: BatchKey) -> Batcher:
    """Trains at one railhead for one force. A train is as long as the planned route allows; when it leaves
    it takes whichever route to the force's exits (that accepts its length) arrives first."""
    railhead, force, planned, wagon_type = key.origin, key.force, key.dest, key.wagon_type
    options = rail_options(w, railhead, force)
    cap_m = train_capacity_m(w, railhead, planned, w.plan.router.route("rail", railhead, planned) or ())
    lengths = w.wagon_len
    # trains are of one wagon type, so ceil(sum of shares) <= W wagons exactly when the sum of shares <= W
    wagons = min(math.floor(cap_m / float(lengths[wagon_type]) + 1e-9), int(w.wagons[wagon_type].info.capacity))

    def length_m(pids: list[int]) -> float:
        return sum(n * float(lengths[wt]) for wt, n in wagons_needed(w, pids).items())

    def size_of(item: Item) -> float:
        return float(w.classes[w.pieces[item.pid].cls]["wagon_share"])

    def dispatch(batch: list[Item]) -> Process:
        if w.outages.by_link:
            batch = divert(w, batch, railhead, options)
            if not batch:
                return
        pids = [it.pid for it in batch]
        tokens = []
        for wt, n in wagons_needed(w, pids).items():
            t0 = w.env.now
            tokens.append((wt, (yield from w.wagons[wt].take(n, weight=len(pids), pids=pids))))
            blame_queue(w, batcher, ResourceId(Res.WAGONS, wt).name, t0)
        t0 = w.env.now
        ts = yield from w.train_sets.take(1, weight=len(pids), pids=pids)
        blame_queue(w, batcher, w.train_sets.info.name, t0)
        need = length_m(pids)
        ok = [(x, r) for x, r in options if train_capacity_m(w, railhead, x, r) >= need - 1e-9]
        x, r = min(ok, key=lambda o: (eta(w, o[1], w.env.now), o[0], [leg.key for leg in o[1]]))
        w.env.process(train(w, batch, railhead, x, r, tokens, ts, need))

    batcher = w.batcher(key, Additive(wagons, size_of), dispatch, w.s.rail.max_wait_h)
    return batcher


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
    avoid = closed_links(w)
    keep: list[Item] = []
    moved: dict[BatchKey, list[Item]] = {}
    for it in batch:
        p = w.pieces[it.pid]
        rules = w.rules[p.force].get(p.cls, [])
        later = rules[rules.index("rail") + 1:] if "rail" in rules else []
        target = None
        for mode in later:
            if mode not in ("het", "road"):
                continue
            speed = w.s.het.speed_kmh if mode == "het" else float(w.classes[p.cls]["road_speed_kmh"])
            if speed <= 0:
                continue
            found = []
            for x in sorted(w.exits[p.force]):
                r = w.plan.router.route_avoiding("road", railhead, x, avoid, speed)
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
        w.pieces[it.pid] = replace(p, mode=mode, entry=railhead, exit=x, route=r, to_origin=(), railhead=None)
        w.diversions.append((now, it.pid, "rail", mode, railhead, blocker))
        w.ledger.piece(it.pid, f"diverted to {mode}", railhead)
        moved.setdefault(BatchKey(Batch(mode), railhead, p.force, x), []).append(it._replace(t_join=now))
    for key, items in sorted(moved.items()):
        w.expect(key, len(items))
        for it in items:
            if key.kind is Batch.HET:
                w.env.process(road.het_piece(w, it))
            else:
                road.join(w, key, it)
    return keep


def train(w: World, batch: list[Item], railhead: str, exit_: str, route: Route, tokens: list[tuple[str, Token]],
          ts: Token, need: float) -> Process:
    """Load at a ramp, run on the paths available, cross the exit, unload at the far end, return empty. `need`:
    the train's length without locomotive (m), which any route taken around a closure must accept."""
    env = w.env
    pids = [it.pid for it in batch]
    n = len(pids)
    set_status_items(w, batch, "waiting for loading ramp", railhead)
    ramp = yield from w.ramps[railhead].acquire(weight=n, pids=pids)
    share = (yield from w.gate(railhead, n, pids)) if railhead in w.outages.by_node else 1.0
    t_load = env.now
    w.leave_port(batch)
    set_status_items(w, batch, "loading", railhead)
    yield env.timeout(float(w.railhead[railhead]["load_h"]) * w.factor("rail_load", railhead) / share)
    w.ramps[railhead].release(ramp)
    t_loaded = env.now
    for it in batch:
        p = w.pieces[it.pid]
        w.ledger.record("piece", it.pid, p.force, p.unit, p.cls, 1, Stage.RAIL_LOAD, railhead, it.t_join, t_load,
                        t_loaded)
    set_status_items(w, batch, "on train", railhead)
    factor = w.factor("travel", f"rail:{railhead}")

    def fits(goal: str, r: Route) -> bool:
        return train_capacity_m(w, railhead, goal, r) >= need - 1e-9

    driven = yield from run_legs(w, route, n, factor, pids, w.exits[w.pieces[pids[0]].force], fits)
    exit_ = driven[-1].to if driven else exit_
    deliver(w, pids, [env.now] * n, exit_, Stage.RAIL, [t_loaded] * n, t_loaded)
    if exit_ in w.ramps:
        share = (yield from w.gate(exit_)) if exit_ in w.outages.by_node else 1.0
        yield from w.ramps[exit_].use(float(w.railhead[exit_]["unload_h"]) * w.factor("rail_unload", exit_) / share,
                                      weight=0)
    yield from run_legs(w, back(w, driven), 0, factor, (), [railhead], fits, "empty train")
    for wt, tok in tokens:
        w.wagons[wt].give(tok)
    w.train_sets.give(ts)
