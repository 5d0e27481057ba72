"""Staging: units arrive at their staging area (vehicles by road serial, personnel by bus), are admitted
when beds and vehicle spaces for the whole unit are free, marry up, prepare, and march out in serials with
riders; host-nation accommodation houses troops at staging sites for weeks."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import simpy

from .ids import BatchKey, Stage
from .movement import road
from .movement.legs import Process
from .plan import PiecePlan
from .world import Item, UnitState, World


def _admit(w: World, u: UnitState) -> simpy.Event:
    """The event of the unit's admission to its staging area, started by its first arrival."""
    if u.admitted is None:
        u.admitted = w.env.event()
        w.env.process(_reserve_unit(w, u, u.admitted))
    return u.admitted


def _reserve_unit(w: World, u: UnitState, admitted: simpy.Event) -> Process:
    """Reserve the whole unit's beds, then its vehicle spaces, always in that order: no unit holds part of
    one while another waits for it, and no two units hold one each while waiting for the other. The waiting
    is logged by each arriving party or piece (note_wait), so the reservation itself logs none."""
    st = _site(u)
    if u.plan.personnel:
        amount, _, t1, _, number = yield from w.beds[st].take(u.plan.personnel, weight=0)
        u.bed_token = (amount, t1, t1, 0.0, number)
    if u.plan.road_pieces:
        amount, _, t1, _, number = yield from w.spaces[st].take(u.plan.road_pieces, weight=0)
        u.space_token = (amount, t1, t1, 0.0, number)
    admitted.succeed()


def _site(u: UnitState) -> str:
    """The unit's staging area (only units with one come here)."""
    if u.plan.staging is None:
        raise ValueError(f"{u.plan.force}/{u.plan.unit} has no staging area")
    return u.plan.staging


def _when_admitted(w: World, u: UnitState, then: Callable[[], None]) -> None:
    """Run `then` once the unit is admitted to its staging area: now if it already is, else as a callback
    of the admission (no process of its own)."""
    adm = _admit(w, u)
    if adm.callbacks is None:  # admission already processed
        then()
    else:
        adm.callbacks.append(lambda _ev: then())


def pax_at_staging(w: World, force: str, unit: str, n: int) -> None:
    """A bus load of the unit's persons arrives at its staging area and waits for the unit's beds."""
    u = w.units[(force, unit)]
    st = _site(u)
    t0 = w.env.now
    w.ledger.move_pax(force, unit, n, ("arrived", st), ("waiting for beds", st), t0)

    def admitted() -> None:
        w.beds[st].note_wait(t0, n)
        w.ledger.move_pax(force, unit, n, ("waiting for beds", st), ("staging", st), w.env.now)
        w.ledger.record("pax", -1, force, unit, "", n, Stage.BEDS, st, t0, w.env.now, w.env.now)
        u.pax_arrived += n
        _check_ready(w, u)

    _when_admitted(w, u, admitted)


def piece_at_staging(w: World, pid: int) -> None:
    """A piece arrives at its unit's staging area and waits for the unit's vehicle spaces (goes on at once when
    the unit is admitted already: no closure made, as for most pieces)."""
    p = w.pieces[pid]
    u = w.units[(p.force, p.unit)]
    st = _site(u)
    t0 = w.env._now  # SimPy's clock without its property: once per piece
    w.ledger.piece(pid, "waiting for staging spaces", st)
    adm = u.admitted
    if adm is not None and adm.callbacks is None:  # admission already processed (as _when_admitted would find)
        _piece_admitted(w, u, pid, p, st, t0)
    else:
        _when_admitted(w, u, partial(_piece_admitted, w, u, pid, p, st, t0))


def _piece_admitted(w: World, u: UnitState, pid: int, p: PiecePlan, st: str, t0: float) -> None:
    """A piece (its plan as it arrived) that arrived at its unit's staging area at t0 (h) goes in now that the
    unit is admitted."""
    now = w.env._now
    w.spaces[st].note_wait(t0, 1, (pid,))
    w.ledger.piece(pid, "staging: waiting for marry-up", st)
    u.road_arrived.append(pid)
    w.ledger.record("piece", pid, p.force, p.unit, p.cls, 1, Stage.STAGING_GATE, st, t0, now, now)
    _check_ready(w, u)


def _check_ready(w: World, u: UnitState) -> None:
    if not u.departed and len(u.road_arrived) == u.plan.road_pieces and u.pax_arrived == u.plan.personnel:
        u.departed = True
        w.env.process(depart_unit(w, u))


def depart_unit(w: World, u: UnitState) -> Process:
    """Married up: prepare, then march out in serials of at most convoy.max_vehicles vehicles (a trailer towed by
    its prime mover is none) with riders in the vehicles' seats; the rest of the personnel by bus."""
    env, st, c = w.env, _site(u), w.s.convoy
    t0 = env.now
    share = ((yield from w.gate(st, len(u.road_arrived) + u.plan.personnel, u.road_arrived))
             if st in w.outages.by_node else 1.0)
    prep = float(w.staging[st]["prep_h"]) * w.factor("staging_prep", st) / share
    yield env.timeout(prep)
    now = env._now  # SimPy's clock without its property, read once for the unit's pieces
    for pid in u.road_arrived:
        p = w.pieces[pid]
        w.ledger.record("piece", pid, p.force, p.unit, p.cls, 1, Stage.STAGING, st, t0, t0, now)
    riders_left = u.plan.personnel
    groups: dict[str, list[int]] = {}
    for pid in u.road_arrived:
        groups.setdefault(w.pieces[pid].exit, []).append(pid)
    moves = []
    for exit_ in sorted(groups):
        vehicles, towed = road.coupled(w, groups[exit_])  # a trailer rides with its prime mover, no vehicle itself
        for k in range(0, len(vehicles), c.max_vehicles):
            chunk = [pid for v in vehicles[k: k + c.max_vehicles] for pid in (v, *towed.get(v, ()))]
            riders = min(riders_left, c.seats_per_vehicle * len(vehicles[k: k + c.max_vehicles]))
            riders_left -= riders
            w.ledger.move_pax(u.plan.force, u.plan.unit, riders, ("staging", st), ("in serial", st), env.now)
            moves.append(env.process(road.staging_serial(w, u, chunk, riders)))
    if riders_left:
        road.bus_move(w, u.plan.force, u.plan.unit, riders_left, ("staging", st), u.plan.exit, u.plan.exit_route,
                      arrived=None)
    if moves:
        yield env.all_of(moves)
    if u.space_token is not None:
        w.spaces[st].give(u.space_token)
    if u.bed_token is not None:
        w.beds[st].give(u.bed_token)


def to_staging(w: World, batch: list[Item]) -> Process:
    """A serial from the entry to the unit's staging area."""
    route = w.pieces[batch[0].pid].to_origin
    t0, times = yield from road.depart(w, batch, "road move to staging", route)
    for it, t in zip(batch, times, strict=True):
        q = w.pieces[it.pid]
        w.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, Stage.TO_STAGING, route[-1].to, it.t_join, t0, t)
        piece_at_staging(w, it.pid)


def join(w: World, key: BatchKey, item: Item) -> None:
    """Put a piece into a serial to its staging area, made on first use."""
    b = w.batchers.get(key)
    if b is None:
        b = road.serial_batcher(w, key, lambda batch: to_staging(w, batch))
    b.put(item)


def house(w: World, site: str, persons: int, t0: float, t1: float) -> Process:
    """Troops housed at a site from t0 to t1 (h): they take the beds free when they come, then, day by day,
    beds freed that no transit unit is queueing for. Records (site, day, required, housed) daily."""
    env, pool = w.env, w.beds[site]
    yield env.timeout(t0)
    tokens = []
    housed = 0
    while env.now < t1:
        free = int(pool.level)
        if housed < persons and free > 0 and not pool.waiting:
            tok = yield from pool.take(min(free, persons - housed), weight=0)
            tokens.append(tok)
            housed += int(tok[0])
        w.housing.append((site, int(env.now // 24), persons, housed))
        yield env.timeout(min(24.0, t1 - env.now))
    for tok in tokens:
        pool.give(tok)
