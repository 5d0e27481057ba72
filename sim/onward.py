"""Onward movement: trains from railheads, road serials, HET lifts, barges and self-deploying helicopters.

Functions take the Model as first argument; each is a SimPy process or a generator used by one."""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING

from .ledger import DELIVERED
from .routing import Leg, Route

if TYPE_CHECKING:
    from .model import Item, Model, UnitState


def halt_time(driven_h: float, first_after_h: float, first_h: float, every_h: float, halt_h: float) -> float:
    """Total rest-halt time (h) owed after `driven_h` hours of driving: a first halt after `first_after_h`,
    then one every `every_h`. A halt falling exactly at arrival is not taken."""
    if driven_h <= first_after_h:
        return 0.0
    later = math.ceil((driven_h - first_after_h) / every_h - 1e-9) - 1
    return first_h + max(later, 0) * halt_h


_FLIP = {">": "<", "<": ">"}


def reverse(route: Route) -> Route:
    """The same legs driven the other way (for empty returns)."""
    return tuple(replace(leg, key=leg.key[:-1] + _FLIP[leg.key[-1]], frm=leg.to, to=leg.frm) for leg in reversed(route))


def _back(m: Model, route: Route) -> Route:
    """The empty return of a route, made once per run."""
    back = m.reversed_routes.get(route)
    if back is None:
        back = m.reversed_routes[route] = reverse(route)
    return back


def march(m: Model, n: int, route: Route, speed_kmh: float, csc: bool = True, pids: tuple[int, ...] | list[int] = ()) -> Generator:
    """Move a serial of n vehicles along a route: entry windows and headways, driving at the slower of
    link and vehicle speed, rest halts, a convoy support centre stop on the way. Returns each vehicle's
    arrival time (the serial stretches by one gap per vehicle)."""
    env, c = m.env, m.s.convoy
    driven = 0.0
    factor = m.factor("travel", f"road:{route[0].key}") if route else 1.0
    v = speed_kmh
    route = tuple(route)
    hit = m.outages.by_link
    ahead = 0.0  # driving time not yet waited for: legs without a stop, slot or closure between them are one timeout
    for k in range(len(route)):
        leg = route[k]
        stop = csc and k > 0 and leg.frm in m.csc
        slot = m.uses_slots(leg)
        if ahead and (stop or slot):
            yield env.timeout(ahead)
            ahead = 0.0
        if hit and m.closure_on(leg) is not None:
            route = route[:k] + detour(m, route[k:], [route[-1].to], pids, what="serial")
            leg = route[k]
            slot = m.uses_slots(leg)
        if stop:
            pool = m.csc[leg.frm]
            token = yield from pool.take(min(n, int(pool.info.capacity)), weight=n, pids=pids)
            yield env.timeout(float(m.staging[leg.frm]["prep_h"]))
            pool.give(token)
            driven = 0.0
        wait = 0.0
        if slot:
            wait, closure = m.slots(leg).book(weight=n, pids=pids)
            if wait and closure is not None:
                _stage_moving_pids(m, pids, f"road march, waiting: {closure.name}", leg.frm)
        v = min(leg.speed_kmh, speed_kmh)
        drive = leg.length_km / v * factor
        halts = halt_time(driven + drive, c.first_halt_after_h, c.first_halt_h, c.halt_every_h, c.halt_h) - \
            halt_time(driven, c.first_halt_after_h, c.first_halt_h, c.halt_every_h, c.halt_h)
        driven += drive
        ahead += wait + drive + halts + leg.delay_h
    if ahead:
        yield env.timeout(ahead)
    gap_h = c.gap_m / 1000.0 / v
    head = env.now
    if n > 1 and gap_h > 0:
        yield env.timeout((n - 1) * gap_h)
    return [head + i * gap_h for i in range(n)]


def _speed(m: Model, pids: list[int]) -> float:
    return min(float(m.classes[m.pieces[pid].cls]["road_speed_kmh"]) for pid in pids)


def _deliver(m: Model, pids: list[int], times: list[float], node: str, stage: str, t_in: list[float], t_start: float) -> None:
    for pid, t, t0 in zip(pids, times, t_in):
        p = m.pieces[pid]
        m.ledger.record("piece", pid, p.force, p.unit, p.cls, 1, stage, node, t0, t_start, t)
        m.ledger.deliver(pid, t, node)


# ---- batch entry points -----------------------------------------------------------------------------------
def join(m: Model, key: tuple, item: Item) -> None:
    """Put a piece into the batcher named by key, creating it with the right rules on first use."""
    b = m.batchers.get(key)
    if b is not None:
        b.put(item)
        return
    kind = key[0]
    if kind == "train":
        _train_batcher(m, key).put(item)
    elif kind == "barge":
        _barge_batcher(m, key).put(item)
    elif kind == "het":
        m.serial_batcher(key, lambda batch: het_convoy(m, batch)).put(item)
    elif kind == "shuttle":
        m.serial_batcher(key, lambda batch: shuttle(m, batch)).put(item)
    elif kind == "to_staging":
        m.serial_batcher(key, lambda batch: to_staging(m, batch)).put(item)
    elif kind == "road":
        m.serial_batcher(key, lambda batch: road_direct(m, batch)).put(item)
    else:  # pragma: no cover - keys are made by Model.batch_key
        raise ValueError(f"unknown batch kind {kind}")


def _stage_moving(m: Model, batch: list[Item], status: str, node: str) -> None:
    _stage_moving_pids(m, [it.pid for it in batch], status, node)


def _stage_moving_pids(m: Model, pids, status: str, node: str) -> None:
    for pid in pids:
        m.ledger.piece(pid, status, node)


def _depart(m: Model, batch: list[Item], status: str, route: Route, speed_kmh: float | None = None) -> Generator:
    """A serial leaves the entry (freeing its marshalling spaces) along `route`; returns the departure time
    and each vehicle's arrival time."""
    pids = [it.pid for it in batch]
    t0 = m.env.now
    m.leave_port(batch)
    _stage_moving(m, batch, status, m.pieces[pids[0]].entry)
    times = yield from march(m, len(pids), route, speed_kmh or _speed(m, pids), pids=pids)
    return t0, times


def shuttle(m: Model, batch: list[Item]) -> Generator:
    """Road move from the entry to a railhead elsewhere, then into the train queue there."""
    t0, times = yield from _depart(m, batch, "road move to railhead", m.pieces[batch[0].pid].to_origin)
    for it, t in zip(batch, times):
        q = m.pieces[it.pid]
        m.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, "shuttle", q.railhead, it.t_join, t0, t)
        m.ledger.piece(it.pid, "waiting for train", q.railhead)
        join(m, m.train_key(it.pid), it._replace(port_token=None, t_join=m.env.now))


def to_staging(m: Model, batch: list[Item]) -> Generator:
    """Road move from the entry to the unit's staging area."""
    route = m.pieces[batch[0].pid].to_origin
    t0, times = yield from _depart(m, batch, "road move to staging", route)
    for it, t in zip(batch, times):
        q = m.pieces[it.pid]
        m.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, "to_staging", route[-1].to, it.t_join, t0, t)
        m.piece_at_staging(it.pid)


def road_direct(m: Model, batch: list[Item]) -> Generator:
    """A serial straight from the entry to the exit (forces without a staging area)."""
    p = m.pieces[batch[0].pid]
    t0, times = yield from _depart(m, batch, "road march", p.route)
    _deliver(m, [it.pid for it in batch], times, p.exit, "road", [it.t_join for it in batch], t0)


def staging_serial(m: Model, u: UnitState, pids: list[int], riders: int) -> Generator:
    """A serial of a married-up unit from its staging area to the exit, carrying `riders` persons."""
    p = m.pieces[pids[0]]
    st = u.plan.staging
    t0 = m.env.now
    for pid in pids:
        m.ledger.piece(pid, "road march", st)
    times = yield from march(m, len(pids), p.route, _speed(m, pids), pids=pids)
    _deliver(m, pids, times, p.exit, "road", [t0] * len(pids), t0)
    if riders:
        m.ledger.move_pax(u.plan.force, u.plan.unit, riders, ("in serial", st), (DELIVERED, p.exit), times[-1])
        m.ledger.record("pax", -1, u.plan.force, u.plan.unit, "", riders, "road", p.exit, t0, t0, times[-1])


# ---- HET ------------------------------------------------------------------------------------------------
def het_piece(m: Model, item: Item) -> Generator:
    """A tracked piece waits for a HET, is loaded, then joins a HET serial."""
    p = m.pieces[item.pid]
    m.ledger.piece(item.pid, "waiting for HET", p.entry)
    token = yield from m.hets.take(1, weight=1, pids=(item.pid,))
    yield m.env.timeout(m.s.het.load_h * m.factor("het_load", p.entry))
    m.ledger.piece(item.pid, "on HET, waiting for serial", p.entry)
    join(m, ("het", p.entry, p.force, p.exit), item._replace(asset=token))


def het_convoy(m: Model, batch: list[Item]) -> Generator:
    """A serial of loaded HETs to the exit; the HETs unload and drive back empty."""
    p = m.pieces[batch[0].pid]
    t0, times = yield from _depart(m, batch, "on HET", p.route, m.s.het.speed_kmh)
    _deliver(m, [it.pid for it in batch], times, p.exit, "het", [it.t_join for it in batch], t0)
    back = m.s.het.unload_h + sum(leg.hours(m.s.het.speed_kmh) for leg in p.route)
    yield m.env.timeout(back)
    for it in batch:
        m.hets.give(it.asset)


# ---- rail -----------------------------------------------------------------------------------------------
def train_capacity_m(m: Model, railhead: str, exit_: str, route: Route) -> float:
    """Usable train length (m): the shortest of railhead, far-end terminal and line limits, less the locomotive."""
    limits = [float(m.railhead[railhead]["max_train_m"])]
    if exit_ in m.railhead:
        limits.append(float(m.railhead[exit_]["max_train_m"]))
    limits += [leg.max_train_m for leg in route if leg.max_train_m > 0]
    return min(limits) - m.s.rail.locomotive_m


def wagons_needed(m: Model, pids: list[int]) -> dict[str, int]:
    """Wagons by type for a set of pieces (each piece takes its class's share of a wagon)."""
    share: dict[str, float] = {}
    for pid in pids:
        row = m.classes[m.pieces[pid].cls]
        share[row["wagon_type"]] = share.get(row["wagon_type"], 0.0) + float(row["wagon_share"])
    return {wt: math.ceil(s - 1e-9) for wt, s in sorted(share.items())}


def rail_options(m: Model, railhead: str, force: str) -> list[tuple[str, Route]]:
    """Rail routes from a railhead to the force's exits: per exit up to three, within 1.5 times the fastest."""
    exits = m.exits[force]
    return [(x, r) for x in exits if x != railhead for r in m.plan.router.alternatives("rail", railhead, x)]


def eta(m: Model, route: Route, t: float, outages: bool = True) -> float:
    """Earliest arrival along a route leaving at t, given the paths already booked and the closures known
    now (no booking is made)."""
    now = m.env.now
    for leg in route:
        if m.uses_slots(leg):
            t = m.slots(leg).earliest(t, known_at=now, outages=outages)[0]
        t += leg.hours()
    return t


def closed_links(m: Model) -> frozenset[str]:
    """Links a disruption closes now."""
    now = m.env.now
    return frozenset(lid for lid, outs in sorted(m.outages.by_link.items()) if m.outages.closed_now(outs, now))


def detour(m: Model, left: Route, goals: list[str], pids=(), what: str = "", fits=None) -> Route:
    """At a closed link: keep the planned rest of the route (and wait) or take a route around what is
    closed now to one of the goals, whichever arrives first on what is known now. `fits(goal, route)`
    rules out routes a train may not take (length limits)."""
    avoid = closed_links(m)
    leg0 = left[0]
    options = [left]
    for g in goals:
        r = m.plan.router.route_avoiding(leg0.mode, leg0.frm, g, avoid)
        if r and r != left and (fits is None or fits(g, r)):
            options.append(r)
    now = m.env.now
    best = min(options, key=lambda r: (eta(m, r, now), r is not left, [leg.key for leg in r]))
    if best is not left:
        closure = m.closure_on(leg0)
        m.reroutes.append((now, what, leg0.frm, leg0.link, best[0].link, best[-1].to, closure.name if closure else "",
                           len(pids)))
    return best


def _train_batcher(m: Model, key: tuple):
    """Trains at one railhead for one force. A train is as long as the planned route allows; when it leaves
    it takes whichever route to the force's exits (that accepts its length) arrives first."""
    _, railhead, force, planned, wagon_type = key
    options = rail_options(m, railhead, force)
    cap_m = train_capacity_m(m, railhead, planned, m.plan.router.route("rail", railhead, planned))
    lengths = m.wagon_len
    # trains are of one wagon type, so ceil(sum of shares) <= W wagons exactly when the sum of shares <= W
    wagons = min(math.floor(cap_m / float(lengths[wagon_type]) + 1e-9), int(m.wagons[wagon_type].info.capacity))

    def length_m(pids: list[int]) -> float:
        return sum(n * float(lengths[wt]) for wt, n in wagons_needed(m, pids).items())

    def size_of(item: Item) -> float:
        return float(m.classes[m.pieces[item.pid].cls]["wagon_share"])

    def dispatch(batch: list[Item]) -> Generator:
        if m.outages.by_link:
            batch = divert(m, batch, railhead, options)
            if not batch:
                return
        pids = [it.pid for it in batch]
        tokens = []
        for wt, n in wagons_needed(m, pids).items():
            t0 = m.env.now
            tokens.append((wt, (yield from m.wagons[wt].take(n, weight=len(pids), pids=pids))))
            _blame_queue(m, holder[0], f"wagons:{wt}", t0)
        t0 = m.env.now
        ts = yield from m.train_sets.take(1, weight=len(pids), pids=pids)
        _blame_queue(m, holder[0], "train_sets", t0)
        need = length_m(pids)
        ok = [(x, r) for x, r in options if train_capacity_m(m, railhead, x, r) >= need - 1e-9]
        x, r = min(ok, key=lambda o: (eta(m, o[1], m.env.now), o[0], [leg.key for leg in o[1]]))
        m.env.process(train(m, batch, railhead, x, r, tokens, ts, need))

    holder = [m.batcher(key, wagons, size_of, dispatch, m.s.rail.max_wait_h)]
    return holder[0]


def divert(m: Model, batch: list[Item], railhead: str, options: list[tuple[str, Route]]) -> list[Item]:
    """When closures known now hold every rail route from the railhead back by more than
    disruptions.divert_after_h, pieces whose mode rules allow it go on by their next mode (HET or road)
    around what is closed; the others stay for the train and wait. Returns the pieces staying on rail."""
    now = m.env.now
    if not options:
        return batch
    known = min(eta(m, r, now) for _, r in options)
    free = min(eta(m, r, now, outages=False) for _, r in options)
    if not known - free > m.s.disruptions.divert_after_h:
        return batch
    best = min(options, key=lambda o: (eta(m, o[1], now), o[0]))[1]
    blocker = next((c.name for c in (m.closure_on(leg) for leg in best) if c is not None), "")
    avoid = closed_links(m)
    keep: list[Item] = []
    moved: dict[tuple, list[Item]] = {}
    for it in batch:
        p = m.pieces[it.pid]
        rules = m.rules[p.force].get(p.cls, [])
        later = rules[rules.index("rail") + 1:] if "rail" in rules else []
        target = None
        for mode in later:
            if mode not in ("het", "road"):
                continue
            speed = m.s.het.speed_kmh if mode == "het" else float(m.classes[p.cls]["road_speed_kmh"])
            if speed <= 0:
                continue
            found = []
            for x in sorted(m.exits[p.force]):
                r = m.plan.router.route_avoiding("road", railhead, x, avoid, speed)
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
        m.pieces[it.pid] = replace(p, mode=mode, entry=railhead, exit=x, route=r, to_origin=(), railhead=None)
        m.diversions.append((now, it.pid, "rail", mode, railhead, blocker))
        m.ledger.piece(it.pid, f"diverted to {mode}", railhead)
        moved.setdefault((mode, railhead, p.force, x), []).append(it._replace(t_join=now))
    for key, items in sorted(moved.items()):
        m.expect(key, len(items))
        for it in items:
            if key[0] == "het":
                m.env.process(het_piece(m, it))
            else:
                join(m, key, it)
    return keep


def _blame_queue(m: Model, batcher, resource: str, t_request: float) -> None:
    """Pieces queued behind a group that waited for a resource waited for it too (as long as they were queued)."""
    now = m.env.now
    if now > t_request:
        m.ledger.blame.extend((resource, (it.pid,), now - max(t_request, t_join)) for t_join, it in batcher.queue
                              if t_join < now)


def run_legs(m: Model, route: Route, weight: float, factor: float, pids: list[int] = (), goals: list[str] = (),  # type: ignore[assignment]
             fits=None, what: str = "train") -> Generator:
    """Drive a train or barge along legs, waiting for a path or headway slot at each; at a link a disruption
    closes, re-plan to any of `goals`. Returns the legs actually driven."""
    route = tuple(route)
    hit = m.outages.by_link
    k = 0
    while k < len(route):
        leg = route[k]
        if hit and goals and m.closure_on(leg) is not None:
            route = route[:k] + detour(m, route[k:], list(goals), pids, what, fits)
            leg = route[k]
        wait = 0.0
        if m.uses_slots(leg):
            wait, closure = m.slots(leg).book(weight=weight, pids=pids)
            if wait and pids and (closure is not None or math.isinf(wait)):
                why = closure.name if closure is not None else "no military path left by civil traffic"
                _stage_moving_pids(m, pids, f"on {what}, waiting: {why}", leg.frm)
        # waiting for the slot and driving the leg are one timeout: the next leg is booked on arrival there
        yield m.env.timeout(wait + leg.length_km / leg.speed_kmh * factor + leg.delay_h)
        k += 1
    return route


def train(m: Model, batch: list[Item], railhead: str, exit_: str, route: Route, tokens: list, ts: tuple,
          need: float) -> Generator:
    """Load at a ramp, run on the paths available, cross the exit, unload at the far end, return empty. `need`:
    the train's length without locomotive (m), which any route taken around a closure must accept."""
    env = m.env
    pids = [it.pid for it in batch]
    n = len(pids)
    _stage_moving(m, batch, "waiting for loading ramp", railhead)
    ramp = yield from m.ramps[railhead].acquire(weight=n, pids=pids)
    share = (yield from m.gate(railhead, n, pids)) if railhead in m.outages.by_node else 1.0
    t_load = env.now
    m.leave_port(batch)
    _stage_moving(m, batch, "loading", railhead)
    yield env.timeout(float(m.railhead[railhead]["load_h"]) * m.factor("rail_load", railhead) / share)
    m.ramps[railhead].release(ramp)
    t_loaded = env.now
    for it in batch:
        p = m.pieces[it.pid]
        m.ledger.record("piece", it.pid, p.force, p.unit, p.cls, 1, "rail_load", railhead, it.t_join, t_load, t_loaded)
    _stage_moving(m, batch, "on train", railhead)
    factor = m.factor("travel", f"rail:{railhead}")

    def fits(goal: str, r: Route) -> bool:
        return train_capacity_m(m, railhead, goal, r) >= need - 1e-9

    driven = yield from run_legs(m, route, n, factor, pids, m.exits[m.pieces[pids[0]].force], fits)
    exit_ = driven[-1].to if driven else exit_
    _deliver(m, pids, [env.now] * n, exit_, "rail", [t_loaded] * n, t_loaded)
    if exit_ in m.ramps:
        share = (yield from m.gate(exit_)) if exit_ in m.outages.by_node else 1.0
        yield from m.ramps[exit_].use(float(m.railhead[exit_]["unload_h"]) * m.factor("rail_unload", exit_) / share,
                                      weight=0)
    yield from run_legs(m, _back(m, driven), 0, factor, (), [railhead], fits, "empty train")
    for wt, tok in tokens:
        m.wagons[wt].give(tok)
    m.train_sets.give(ts)


# ---- barge ----------------------------------------------------------------------------------------------
def _barge_batcher(m: Model, key: tuple):
    _, entry, force, exit_ = key
    def size_of(item: Item) -> float:
        return float(m.classes[m.pieces[item.pid].cls]["barge_share"])

    def dispatch(batch: list[Item]) -> Generator:
        t0 = m.env.now
        token = yield from m.barges.take(1, weight=len(batch), pids=[it.pid for it in batch])
        _blame_queue(m, holder[0], "barges", t0)
        m.env.process(barge(m, batch, exit_, token))

    holder = [m.batcher(key, 1.0, size_of, dispatch, m.s.barge.max_wait_h)]
    return holder[0]


def barge(m: Model, batch: list[Item], exit_: str, token: tuple) -> Generator:
    env = m.env
    pids = [it.pid for it in batch]
    p = m.pieces[pids[0]]
    t0 = env.now
    _stage_moving(m, batch, "loading barge", p.entry)
    yield env.timeout(m.s.barge.load_h * m.factor("barge_load", p.entry))
    m.leave_port(batch)
    _stage_moving(m, batch, "on barge", p.entry)
    factor = m.factor("travel", f"water:{p.entry}")
    driven = yield from run_legs(m, p.route, len(pids), factor, pids, [exit_], None, "barge")
    _deliver(m, pids, [env.now] * len(pids), exit_, "barge", [it.t_join for it in batch], t0)
    yield env.timeout(m.s.barge.unload_h)
    yield from run_legs(m, _back(m, driven), 0, factor, (), [p.entry], None, "empty barge")
    m.barges.give(token)


# ---- air ------------------------------------------------------------------------------------------------
def helicopter(m: Model, item: Item) -> Generator:
    """Reassembled and test-flown at the port, then flown to the exit."""
    env = m.env
    p = m.pieces[item.pid]
    m.ledger.piece(item.pid, "waiting for reassembly", p.entry)
    t0 = env.now
    token = yield from m.reassembly.acquire(weight=1, pids=(item.pid,))
    t1 = env.now
    m.ledger.piece(item.pid, "reassembly", p.entry)
    yield env.timeout(m.s.air.reassembly_h * m.factor("reassembly", p.entry))
    m.reassembly.release(token)
    m.leave_port([item])
    m.ledger.record("piece", item.pid, p.force, p.unit, p.cls, 1, "reassembly", p.entry, t0, t1, env.now)
    m.ledger.piece(item.pid, "in flight", p.entry)
    t2 = env.now
    speed = float(m.classes[p.cls]["air_speed_kmh"])
    yield env.timeout(p.air_km / speed)
    _deliver(m, [item.pid], [env.now], p.exit, "air", [t2], t2)


__all__ = ["march", "halt_time", "reverse", "join", "train", "barge", "helicopter", "staging_serial", "Leg"]
