"""Reception: ships take a berth and discharge into a finite marshalling area (discharge waits when it is
full) at each piece class's rate, only inside the port's shifts when the scenario gives them; aircraft land
within MOG and their passengers and cargo are processed, pieces get a technical check; sustainment flows
enter at their origin. Each received piece is handed to staging or onward movement."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from itertools import islice
from typing import Any

from . import movement, staging
from .disruptions import Outages
from .ids import Batch, Stage
from .ledger import NOT_ARRIVED
from .movement import road
from .movement.legs import Process
from .network import discharge_rates
from .plan import FlightPlan, FlowPlan, LandPlan, ShipPlan
from .windows import Anchored, parse_window
from .world import Item, Token, World

_WAITING_FOR = {kind: f"waiting for {kind.value.replace('_', ' ')} batch" for kind in Batch}


def ship(w: World, sp: ShipPlan) -> Process:
    """A ship call: wait for a berth, discharge piece by piece as marshalling space allows (each at its class's
    rate, only inside the port's shifts if the scenario gives them), free the berth."""
    env, port, led = w.env, sp.port, w.ledger
    yield env.timeout(sp.at_h)
    t_arr = env.now
    for pid in sp.pids:
        led.enter(pid, t_arr, "waiting for berth", port)
    row = w.seaport[port]
    pph, check_h = discharge_rates(row), float(row["tech_check_h"])
    placed = w.anchor(parse_window(w.s.ports.shifts_at(port)))  # daily or by day of the week
    shifts, clock, spells = placed.window, placed.offset_h, placed.spells
    next_open, work_end_in = placed.period.next_open, placed.period.work_end_in
    check_shifts = placed if w.s.ports.tech_check_in_shifts and shifts else None
    marshalling, gated, pieces, n = w.marshalling[port], port in w.outages.by_node, w.pieces, len(sp.pids)
    discharge, check, timeout = w.sampler("discharge", port), w.sampler("tech_check", port), env.timeout
    # per piece, bound once per ship (the hot path of reception: one resumption per piece): the ledger's calls,
    # the grant of free marshalling space, the port's decided discharge factors (a dict changed in place)
    status, record, take_free, factors = led.piece, led.record, marshalling.take_free, w.discharge_factor
    token = yield from w.berths[port].acquire(weight=n, pids=sp.pids)
    for k, pid in enumerate(sp.pids):
        t0 = env._now  # SimPy's clock without its property, as everywhere on this path
        space = None if gated else take_free(1, n - k)  # space free now: the piece is discharged at once
        share = 1.0
        if space is None:
            status(pid, "on board, waiting for marshalling space", port)
            space = yield from marshalling.take(1, weight=n - k, pids=islice(sp.pids, k, None))
            share = (yield from w.gate(port, n - k, islice(sp.pids, k, None))) if gated else 1.0
        status(pid, "discharging", port)
        p = pieces[pid]
        work_h = discharge() / pph[p.cls] / share
        if port in factors:  # more stevedores or cranes, from a decision on
            work_h /= factors[port]
        now = env._now
        if shifts:  # discharge only inside the port's shifts: it stops at a shift's end, resumes at the next
            t1 = next_open(shifts, now, clock)
            if t1 > now:
                status(pid, "on board, waiting for the next shift", port)
            yield timeout(work_end_in(spells, now, work_h, clock) - now)
        else:
            t1 = now
            yield timeout(work_h)
        record("piece", pid, p.force, p.unit, p.cls, 1, Stage.DISCHARGE, port, t0, t1, env._now)
        received(w, pid, space, check_h * check(), check_shifts)
    w.berths[port].release(token)


def _alternate(w: World, fp: FlightPlan) -> FlightPlan:
    """The flight as it lands: at its airfield, or, when that is closed for longer than air.divert_after_h, at
    the nearest airfield of the network open now (by great-circle distance; the reroute is logged). A flight
    carrying pieces waits: its pieces' onward routes start at its airfield."""
    outs = w.outages.by_node.get(fp.airfield)
    if not outs or fp.pids:  # pieces are planned onward from their airfield: a flight carrying any waits
        return fp
    now = w.env.now
    t_open, closure = Outages.up_at(outs, now, known_at=now)
    if closure is None or t_open - now <= w.s.air.divert_after_h:
        return fp
    from .plan import great_circle_km

    open_now = [a for a in sorted(w.airfield) if a != fp.airfield and a in w.plan.nodes
                and (a not in w.outages.by_node or Outages.up_at(w.outages.by_node[a], now, known_at=now)[1] is None)]
    if not open_now:
        return fp
    alt = min(open_now, key=lambda a: (great_circle_km(w.plan.network, fp.airfield, a), a))
    w.reroutes.append((now, "flight", fp.airfield, "", "", alt, closure.name, len(fp.pids)))
    return replace(fp, airfield=alt)


def ground_time_h(w: World, fp: FlightPlan, row: dict[str, Any]) -> float:
    """A flight's stand time before the turnaround factor: its aircraft type's planned ground time where the
    aircraft table gives one, else the airfield's turnaround_h."""
    ac = w.plan.aircraft.get(fp.aircraft) if fp.aircraft else None
    return row["turnaround_h"] if ac is None or ac.ground_time_h is None else ac.ground_time_h


def flight(w: World, fp: FlightPlan) -> Process:
    """A flight: divert when its airfield is closed for long (_alternate), else hold while it is closed, land
    within MOG, deplane, turn round (its type's ground time, else the airfield's turnaround)."""
    yield w.env.timeout(fp.at_h)
    fp = _alternate(w, fp)
    env, af, led = w.env, fp.airfield, w.ledger
    t_arrived = env.now  # over the airfield: from here its persons wait there (hold, stand, terminal, bus)
    for unit, n in fp.parties:
        led.move_pax(fp.force, unit, n, (NOT_ARRIVED, ""), ("on aircraft", af), env.now)
    for pid in fp.pids:
        led.enter(pid, env.now, "on aircraft", af)
    pax = sum(n for _, n in fp.parties)
    # aircraft hold (or divert and come back) while the airfield is closed
    share = (yield from w.gate(af, pax + len(fp.pids), fp.pids)) if af in w.outages.by_node else 1.0
    token = yield from w.mog[af].acquire(weight=pax + len(fp.pids), pids=fp.pids)
    row = w.airfield[af]
    env.process(_deplane(w, fp, row, t_arrived))
    yield env.timeout(ground_time_h(w, fp, row) * w.factor("turnaround", af) / share)
    w.mog[af].release(token)


def _deplane(w: World, fp: FlightPlan, row: dict[str, Any], t_arrived: float) -> Process:
    """Passengers through the terminal, then by bus to their staging area (or the nearest exit); cargo apart.
    The terminal's record runs from the aircraft's arrival over the airfield (`t_arrived`, h: holding and the
    wait for a stand before it) through deplaning (its start) to leaving the terminal."""
    env, af, led = w.env, fp.airfield, w.ledger
    if fp.pids:
        env.process(_unload_cargo(w, fp, row, t_arrived))
    pax = sum(n for _, n in fp.parties)
    if not pax:
        return
    for unit, n in fp.parties:
        led.move_pax(fp.force, unit, n, ("on aircraft", af), ("terminal", af), env.now)
    t0 = env.now
    yield from w.terminal[af].use(pax / row["pax_ph"] * w.factor("pax_processing", af), weight=pax)
    for unit, n in fp.parties:
        led.record("pax", fp.fid, fp.force, unit, "", n, Stage.TERMINAL, af, t_arrived, t0, env.now)
        u = w.plan.units[(fp.force, unit)]
        if u.staging:
            route = w.plan.router.route("road", af, u.staging)
            road.bus_move(w, fp.force, unit, n, ("terminal", af), u.staging, route or (),
                          arrived=partial(staging.pax_at_staging, w))
        else:
            found = w.plan.router.nearest("road", af, list(w.exits_of(fp.force, unit)))
            dest, way = found if found else (af, ())
            road.bus_move(w, fp.force, unit, n, ("terminal", af), dest, way, arrived=None)


def land(w: World, lp: LandPlan) -> Process:
    """A unit already in the country (its home station, a prepositioned stock): its pieces are at their
    railhead or staging area at the time, and go on by their mode; its persons go by bus to their staging area
    (or the nearest exit), as from an airfield's terminal."""
    env, led = w.env, w.ledger
    yield env.timeout(lp.at_h)
    for pid in lp.pids:
        led.enter(pid, env.now, "arrived", lp.node)
        hand_over(w, pid, None)
    for unit, n in lp.parties:
        state = ("arrived", lp.node)
        led.move_pax(lp.force, unit, n, (NOT_ARRIVED, ""), state, env.now)
        u = w.plan.units[(lp.force, unit)]
        if u.staging:
            route = () if u.staging == lp.node else w.plan.router.route("road", lp.node, u.staging)
            road.bus_move(w, lp.force, unit, n, state, u.staging, route or (), arrived=partial(staging.pax_at_staging, w))
        else:
            found = w.plan.router.nearest("road", lp.node, list(w.exits_of(lp.force, unit)))
            dest, way = found if found else (lp.node, ())
            road.bus_move(w, lp.force, unit, n, state, dest, way, arrived=None)


def _unload_cargo(w: World, fp: FlightPlan, row: dict[str, Any], t_arrived: float) -> Process:
    """A flight's pieces (vehicles, 463L pallets) one after the other through the airfield's cargo terminal at
    its cargo_pph, each then handed on. Each piece's record runs from its aircraft's arrival over the airfield
    (`t_arrived`, h) through the start of its processing to leaving the terminal."""
    env, af, led, pieces, terminal, n = w.env, fp.airfield, w.ledger, w.pieces, w.cargo[fp.airfield], len(fp.pids)
    for k, pid in enumerate(fp.pids):
        token = yield from terminal.acquire(weight=n - k, pids=fp.pids[k:])  # the flight's pieces left wait for it
        t0 = env.now
        yield env.timeout(w.factor("cargo_processing", af) / row["cargo_pph"])
        terminal.release(token)
        p = pieces[pid]
        led.record("piece", pid, p.force, p.unit, p.cls, 1, Stage.TERMINAL, af, t_arrived, t0, env.now)
        received(w, pid, None, 0.0)


def received(w: World, pid: int, port_token: Token | None, check_h: float, shifts: Anchored | None = None) -> None:
    """After discharge: technical check of `check_h` working hours, inside `shifts` if given (the port's, placed on
    the run's time line; a timeout with a callback, not a process of its own: one event instead of three per
    piece), then the piece goes on by its mode."""
    w.ledger.piece(pid, "technical check", w.pieces[pid].entry)
    if check_h > 0:
        env = w.env
        delay = shifts.work_end(env._now, check_h) - env._now if shifts else check_h
        env.timeout(delay, (w, pid, port_token)).callbacks.append(_checked)
    else:
        hand_over(w, pid, port_token)


def _checked(ev: Any) -> None:
    """The technical check of a piece is done (the callback of its timeout, whose value is (world, piece,
    marshalling token); read without the event's `value` property, as SimPy reads it)."""
    hand_over(*ev._value)


def hand_over(w: World, pid: int, port_token: Token | None) -> None:
    """Hand a received piece to its mode of onward movement, or to its unit's staging area. A piece joining a
    batch that exists already is put straight into its batcher (once per piece: the joins that make the
    batcher on first use are called only then)."""
    p, env = w.pieces[pid], w.env
    item = Item(pid, port_token, env._now)  # SimPy's clock without its property: once per piece
    mode = p.mode
    if mode == "air":
        env.process(movement.air.helicopter(w, item))
        return
    if mode == "het":
        env.process(road.het_piece(w, item))
        return
    key = w.first_keys[pid] if pid < len(w.first_keys) else movement.first_batch(w, pid)
    if p.het_shuttle:  # a HET to its railhead first
        env.process(road.het_piece(w, item, key, movement.join))
        return
    if key is None:  # road piece whose entry is its staging area
        w.leave_port([item])
        staging.piece_at_staging(w, pid)
        return
    kind = key.kind
    if kind is Batch.TRUCK:  # on a truck of the pool to its staging area or exit
        env.process(road.truck_piece(w, item, key, staging.piece_at_staging))
        return
    w.ledger.piece(pid, _WAITING_FOR[kind], p.entry)
    b = w.batchers.get(key)
    if b is not None:
        b.put(item)
    elif kind is Batch.TO_STAGING:
        staging.join(w, key, item)
    else:
        movement.join(w, key, item)


def flow(w: World, fl: FlowPlan) -> Process:
    """Pieces and persons of a regular flow entering at its origin on schedule."""
    env, led = w.env, w.ledger
    for t, pid, persons in fl.arrivals:
        if t > env.now:
            yield env.timeout(t - env.now)
        if pid >= 0:
            led.enter(pid, env.now, "arrived", fl.origin)
            hand_over(w, pid, None)
        else:
            state = ("waiting for bus", fl.origin)
            led.move_pax(fl.name, fl.name, persons, (NOT_ARRIVED, ""), state, env.now)
            road.bus_move(w, fl.name, fl.name, persons, state, fl.destination, fl.person_route, arrived=None)
