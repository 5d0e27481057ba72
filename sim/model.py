"""The SimPy model of reception, staging and onward movement (RSOM).

Reception: ships take a berth and discharge into a finite marshalling area; aircraft land within MOG and their
passengers are processed. Staging: personnel and road-moving pieces marry up by unit, then prepare. Onward
movement lives in onward.py (trains, road serials, HETs, barges, helicopters)."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

import simpy

from . import onward
from .batching import Batcher
from .disruptions import Outage, Outages, draw
from .distributions import Distribution, Sampler
from .ledger import DELIVERED, NOT_ARRIVED, Ledger
from .plan import FlightPlan, FlowPlan, Plan, ShipPlan, UnitPlan
from .resources import Counting, Pool, ResourceInfo, Slots, Station, blame_group
from .rng import Streams
from .routing import Leg, Route

_WAITING_FOR = {kind: f"waiting for {kind.replace('_', ' ')} batch"
                for kind in ("train", "shuttle", "to_staging", "road", "het", "barge")}


@contextmanager
def few_collections() -> Iterator[None]:
    """Raise the garbage collector's thresholds while the event loop runs, then restore them. The loop keeps
    every record for the whole run, and with the default thresholds the collector scans them again and again:
    a fifth of the run time for the built-in force, half of it at 16 brigade-equivalents. Events are freed by
    reference counting; the few cycles left are collected after the run."""
    old = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*old)


class Item(NamedTuple):
    """A piece waiting in a batcher, with the marshalling space it still holds and any asset it already has."""

    pid: int
    port_token: tuple | None
    t_join: float
    asset: tuple | None = None


@dataclass
class UnitState:
    """Marry-up progress of one unit at its staging area."""

    plan: UnitPlan
    road_arrived: list[int] = field(default_factory=list)
    pax_arrived: int = 0
    admitted: simpy.Event | None = None  # beds and vehicle spaces reserved for the whole unit
    space_token: tuple | None = None
    bed_token: tuple | None = None
    departed: bool = False


class Model:
    """One replication of a compiled plan. Build, then call run()."""

    def __init__(self, plan: Plan, seed: int | None = None, replication: int = 0):
        self.plan = plan
        self.s = plan.scenario
        self.seed = self.s.seed if seed is None else int(seed)
        self.replication = replication
        self.env = Counting()
        self.streams = Streams(self.seed, replication)
        self.ledger = Ledger(plan)
        self.log = self.ledger.usage
        self.resources: dict[str, ResourceInfo] = {}
        self._slots: dict[str, Slots] = {}
        self.batchers: dict[tuple, Batcher] = {}
        self._expected: dict[tuple, int] = {}
        self._samplers: dict[tuple[str, str], Sampler] = {}
        self.reversed_routes: dict[Route, Route] = {}  # empty returns, made once per route
        self.units = {k: UnitState(u) for k, u in sorted(plan.units.items())}
        self.pieces = list(plan.pieces)  # a piece's plan changes when it is diverted to another mode
        self.exits: dict[str, list[str]] = {f.id: list(f.exits) for f in self.s.forces}
        self.rules: dict[str, dict[str, list[str]]] = {f.id: {**self.s.modes, **(f.modes or {})} for f in self.s.forces}
        for fl in plan.flows:
            self.exits[fl.name] = [fl.destination]
            self.rules[fl.name] = dict(self.s.modes)
        self.diversions: list[tuple] = []  # (t, pid, from mode, to mode, node, closure)
        self.reroutes: list[tuple] = []  # (t, what, node, old next link, new next link, closure)
        self.housing: list[tuple] = []  # (site, day, required, housed)
        net = plan.network  # plain dicts: row lookups in pandas are far too slow for the event loop
        self.classes: dict[str, dict] = net.piece_classes.to_dict("index")
        self.seaport: dict[str, dict] = net.seaports.to_dict("index")
        self.airfield: dict[str, dict] = net.airfields.to_dict("index")
        self.railhead: dict[str, dict] = net.railheads.to_dict("index")
        self.staging: dict[str, dict] = net.staging.to_dict("index")
        self.wagon_len: dict[str, float] = net.wagon_types["length_m"].astype(float).to_dict()
        self._build_resources()
        self.outages = Outages(draw(self.s, self.streams, self.s.horizon_h), plan.links_of)
        for o in self.outages.all:
            self._info(o.resource, "disruption", o.target, 1, f"{o.kind}, capacity x{o.factor:g}")
        for p in plan.pieces:
            keys = [self.batch_key(p.pid)]
            if p.mode == "rail" and p.to_origin:  # shuttled to its railhead, then into a train
                keys.append(self.train_key(p.pid))
            for key in keys:
                if key is not None:
                    self._expected[key] = self._expected.get(key, 0) + 1

    # ---- resources -------------------------------------------------------------------------------------
    def _info(self, name: str, kind: str, node: str, capacity: float, unit: str) -> ResourceInfo:
        info = ResourceInfo(name, kind, node, float(capacity), unit)
        self.resources[name] = info
        return info

    def _station(self, name: str, kind: str, node: str, capacity: float, unit: str) -> Station:
        return Station(self.env, self.log, self._info(name, kind, node, capacity, unit), self.ledger.blame)

    def _pool(self, name: str, kind: str, node: str, capacity: float, unit: str) -> Pool:
        return Pool(self.env, self.log, self._info(name, kind, node, capacity, unit), self.ledger.blame)

    def _build_resources(self) -> None:
        net, g, s = self.plan.network, self.plan.graph, self.s
        self.berths: dict[str, Station] = {}
        self.marshalling: dict[str, Pool] = {}
        for port in sorted(net.seaports.index):
            if port in g:
                r = net.seaports.loc[port]
                self.berths[port] = self._station(f"berths@{port}", "berth", port, r["berths"], "berths")
                self.marshalling[port] = self._pool(f"marshalling@{port}", "marshalling", port, r["marshalling_spaces"], "pieces")
        self.mog: dict[str, Station] = {}
        self.terminal: dict[str, Station] = {}
        self.cargo: dict[str, Station] = {}
        for af in sorted(net.airfields.index):
            if af in g:
                self.mog[af] = self._station(f"mog@{af}", "mog", af, net.airfields.at[af, "mog"], "aircraft")
                self.terminal[af] = self._station(f"pax_terminal@{af}", "terminal", af, 1, "lines")
                self.cargo[af] = self._station(f"cargo_terminal@{af}", "terminal", af, 1, "lines")
        self.ramps: dict[str, Station] = {}
        for rh in sorted(net.railheads.index):
            if rh in g:
                self.ramps[rh] = self._station(f"ramps@{rh}", "ramp", rh, net.railheads.at[rh, "ramps"], "ramps")
        self.spaces: dict[str, Pool] = {}
        self.beds: dict[str, Pool] = {}
        self.csc: dict[str, Pool] = {}
        for node in sorted(net.staging.index):
            if node not in g:
                continue
            r = net.staging.loc[node]
            if r["role"] == "csc":
                self.csc[node] = self._pool(f"csc@{node}", "csc", node, r["vehicle_spaces"], "pieces")
            else:
                self.spaces[node] = self._pool(f"staging_spaces@{node}", "staging_spaces", node, r["vehicle_spaces"], "pieces")
                self.beds[node] = self._pool(f"beds@{node}", "beds", node, r["beds"], "persons")
        self.wagons = {wt: self._pool(f"wagons:{wt}", "wagons", "", n, "wagons")
                       for wt, n in sorted(s.pools.wagons.items())}
        self.train_sets = self._pool("train_sets", "train_sets", "", s.pools.train_sets, "trains")
        self.hets = self._pool("hets", "hets", "", s.pools.hets, "HETs")
        self.buses = self._pool("buses", "buses", "", s.pools.buses, "buses")
        self.barges = self._pool("barges", "barges", "", s.pools.barges, "barges")
        self.reassembly = self._station("reassembly_teams", "reassembly", "", s.pools.reassembly_teams, "teams")

    def slots(self, leg: Leg) -> Slots:
        """Entry slots of a directed link: train paths on rail, serial or barge headway elsewhere."""
        sl = self._slots.get(leg.key)
        if sl is None:
            if leg.mode == "rail":
                interval = 24.0 / leg.paths_per_day if leg.paths_per_day > 0 else math.inf  # none left by civil traffic
                name, unit, cap = f"paths@{leg.key}", "paths/day", leg.paths_per_day
            else:
                interval, name, unit, cap = leg.headway_h, f"entry@{leg.key}", "entries", 1
            info = self._info(name, "paths" if leg.mode == "rail" else "headway", leg.frm, cap, unit)
            sl = self._slots[leg.key] = Slots(self.env, self.log, info, interval, leg.window, self.s.start_clock_h,
                                              self.ledger.blame, self.outages.by_link.get(leg.link))
        return sl

    def uses_slots(self, leg: Leg) -> bool:
        """Whether entering the leg needs a slot: a train path, a headway, a window or a disruption on it."""
        return leg.mode == "rail" or leg.headway_h > 0 or bool(leg.window) or leg.link in self.outages.by_link

    def gate(self, node: str, weight: float = 0.0, pids: Iterable[int] = ()) -> Generator:
        """Wait while a disruption closes the facility at `node`; returns the share of its capacity left
        (process times divide by it). Call only for nodes in outages.by_node."""
        outs = self.outages.by_node[node]
        now = self.env.now
        t, closure = Outages.up_at(outs, now)
        if closure is not None:
            self.log.append((closure.resource, now, t, t, 0.0, weight))
            blame_group(self.ledger.blame, closure.resource, pids, t - now)
            yield self.env.timeout(t - now)
        return Outages.factor_at(outs, self.env.now)

    def closure_on(self, leg: Leg) -> Outage | None:
        """The closure of the leg's link in force now, if any."""
        outs = self.outages.by_link.get(leg.link)
        return self.outages.closed_now(outs, self.env.now) if outs else None

    def expect(self, key: tuple, n: int) -> None:
        """Tell the batcher of `key` that n more pieces are coming (pieces diverted to it)."""
        b = self.batchers.get(key)
        if b is not None:
            b.expected += n
        else:
            self._expected[key] = self._expected.get(key, 0) + n

    def factor(self, name: str, stream: str) -> float:
        """A draw of the named time factor from its own stream."""
        draw_ = self._samplers.get((name, stream))
        if draw_ is None:
            dist: Distribution = getattr(self.s.times, name)
            draw_ = self._samplers[(name, stream)] = Sampler(dist, self.streams(f"{name}:{stream}"))
        return draw_()

    # ---- batching --------------------------------------------------------------------------------------
    def batch_key(self, pid: int) -> tuple | None:
        """The batcher a piece joins first after reception (None: it moves alone)."""
        p = self.pieces[pid]
        if p.mode == "rail":
            return ("shuttle", p.entry, p.railhead, p.force) if p.to_origin else self.train_key(pid)
        if p.mode == "road":
            if p.to_origin:
                return ("to_staging", p.entry, p.force, self.plan.units[(p.force, p.unit)].staging)
            if self.plan.units[(p.force, p.unit)].staging is None:
                return ("road", p.entry, p.force, p.exit)
            return None  # already at its staging area
        if p.mode in ("het", "barge"):
            return (p.mode, p.entry, p.force, p.exit)
        return None

    def train_key(self, pid: int) -> tuple:
        """Trains form per railhead, force, planned exit and wagon type: armour on heavy flats and containers on
        container wagons run as separate trains, so a shortage of one wagon type does not hold up the other."""
        p = self.pieces[pid]
        return ("train", p.railhead, p.force, p.exit, self.classes[p.cls]["wagon_type"])

    def batcher(self, key: tuple, capacity: float, size_of: Callable, dispatch: Callable, max_wait_h: float) -> Batcher:
        b = self.batchers.get(key)
        if b is None:
            b = self.batchers[key] = Batcher(self.env, self._expected.get(key, 0), max_wait_h, capacity, size_of, dispatch)
        return b

    def serial_batcher(self, key: tuple, then: Callable[[list[Item]], Generator]) -> Batcher:
        """Road serials of at most convoy.max_vehicles; `then(batch)` runs as its own process."""
        cap = self.s.convoy.max_vehicles

        def dispatch(batch: list[Item]) -> Generator:
            self.env.process(then(batch))
            return
            yield

        return self.batcher(key, cap, lambda item: 1.0, dispatch, self.s.convoy.max_wait_h)

    def leave_port(self, items: list[Item]) -> None:
        """Pieces leave the marshalling area of their entry port."""
        for it in items:
            if it.port_token is not None:
                self.marshalling[self.pieces[it.pid].entry].give(it.port_token)

    # ---- reception -------------------------------------------------------------------------------------
    def ship(self, sp: ShipPlan) -> Generator:
        env, port, led = self.env, sp.port, self.ledger
        yield env.timeout(sp.at_h)
        t_arr = env.now
        for pid in sp.pids:
            led.enter(pid, t_arr, "waiting for berth", port)
        row = self.seaport[port]
        pph, check_h = row["discharge_pph"], float(row["tech_check_h"])
        marshalling, gated, pieces, n = self.marshalling[port], port in self.outages.by_node, self.pieces, len(sp.pids)
        token = yield from self.berths[port].acquire(weight=n, pids=sp.pids)
        for k, pid in enumerate(sp.pids):
            led.piece(pid, "on board, waiting for marshalling space", port)
            t0 = env.now
            space = yield from marshalling.take(1, weight=n - k, pids=islice(sp.pids, k, None))
            share = (yield from self.gate(port, n - k, islice(sp.pids, k, None))) if gated else 1.0
            t1 = env.now
            yield env.timeout(self.factor("discharge", port) / pph / share)
            p = pieces[pid]
            led.record("piece", pid, p.force, p.unit, p.cls, 1, "discharge", port, t0, t1, env.now)
            self.received(pid, space, check_h * self.factor("tech_check", port))
        self.berths[port].release(token)

    def flight(self, fp: FlightPlan) -> Generator:
        env, af, led = self.env, fp.airfield, self.ledger
        yield env.timeout(fp.at_h)
        for unit, n in fp.parties:
            led.move_pax(fp.force, unit, n, (NOT_ARRIVED, ""), ("on aircraft", af), env.now)
        for pid in fp.pids:
            led.enter(pid, env.now, "on aircraft", af)
        pax = sum(n for _, n in fp.parties)
        # aircraft hold (or divert and come back) while the airfield is closed
        share = (yield from self.gate(af, pax + len(fp.pids), fp.pids)) if af in self.outages.by_node else 1.0
        token = yield from self.mog[af].acquire(weight=pax + len(fp.pids), pids=fp.pids)
        row = self.airfield[af]
        env.process(self.deplane(fp, row))
        yield env.timeout(row["turnaround_h"] * self.factor("turnaround", af) / share)
        self.mog[af].release(token)

    def deplane(self, fp: FlightPlan, row) -> Generator:
        env, af, led = self.env, fp.airfield, self.ledger
        if fp.pids:
            env.process(self.unload_cargo(fp, row))
        pax = sum(n for _, n in fp.parties)
        if not pax:
            return
        for unit, n in fp.parties:
            led.move_pax(fp.force, unit, n, ("on aircraft", af), ("terminal", af), env.now)
        t0 = env.now
        yield from self.terminal[af].use(pax / row["pax_ph"] * self.factor("pax_processing", af), weight=pax)
        for unit, n in fp.parties:
            led.record("pax", fp.fid, fp.force, unit, "", n, "terminal", af, t0, t0, env.now)
            u = self.plan.units[(fp.force, unit)]
            if u.staging:
                route = self.plan.router.route("road", af, u.staging)
                self.bus_move(fp.force, unit, n, ("terminal", af), u.staging, route or (), arrived=self.pax_at_staging)
            else:
                found = self.plan.router.nearest("road", af, list(self._force(fp.force).exits))
                dest, route = found if found else (af, ())
                self.bus_move(fp.force, unit, n, ("terminal", af), dest, route, arrived=None)

    def unload_cargo(self, fp: FlightPlan, row) -> Generator:
        for pid in fp.pids:
            yield from self.cargo[fp.airfield].use(self.factor("cargo_processing", fp.airfield) / row["cargo_pph"])
            self.received(pid, None, 0.0)

    def _force(self, force_id: str):
        return next(f for f in self.s.forces if f.id == force_id)

    def received(self, pid: int, port_token: tuple | None, check_h: float) -> None:
        """After discharge: technical check (a timeout with a callback, not a process of its own: one event
        instead of three per piece), then the piece goes on by its mode."""
        self.ledger.piece(pid, "technical check", self.pieces[pid].entry)
        if check_h > 0:
            self.env.timeout(check_h, (pid, port_token)).callbacks.append(self._checked)
        else:
            self._onward(pid, port_token)

    def _checked(self, ev: simpy.Event) -> None:
        self._onward(*ev.value)

    def _onward(self, pid: int, port_token: tuple | None) -> None:
        """Hand a received piece to its mode of onward movement."""
        p, env = self.pieces[pid], self.env
        item = Item(pid, port_token, env.now)
        if p.mode == "air":
            env.process(onward.helicopter(self, item))
            return
        if p.mode == "het":
            env.process(onward.het_piece(self, item))
            return
        key = self.batch_key(pid)
        if key is None:  # road piece whose entry is its staging area
            self.leave_port([item])
            self.piece_at_staging(pid)
            return
        self.ledger.piece(pid, _WAITING_FOR[key[0]], p.entry)
        onward.join(self, key, item)

    # ---- personnel movement by bus ---------------------------------------------------------------------
    def bus_move(self, force: str, unit: str, persons: int, state: tuple[str, str], to: str, route: Route,
                 arrived: Callable[[str, str, int], None] | None) -> None:
        """Move persons (now in `state`) by bus loads; `arrived` runs for each load at the destination
        (None: they are delivered there)."""
        seats = self.s.pools.bus_seats
        left = persons
        while left > 0:
            n = min(seats, left)
            left -= n
            self.env.process(self._bus_trip(force, unit, n, state, to, route, arrived))

    def _bus_trip(self, force: str, unit: str, n: int, state: tuple[str, str], to: str, route: Route,
                  arrived: Callable | None) -> Generator:
        env, led, frm = self.env, self.ledger, state[1]
        t0 = env.now
        token = yield from self.buses.take(1, weight=n)
        t1 = env.now
        led.move_pax(force, unit, n, state, ("on bus", f"{frm}->{to}"), env.now)
        hours = sum(leg.hours(self.s.pools.bus_speed_kmh) for leg in route) * self.factor("travel", f"bus:{frm}")
        yield env.timeout(hours)
        led.record("pax", -1, force, unit, "", n, "bus", f"{frm}->{to}", t0, t1, env.now)
        if arrived is None:
            led.move_pax(force, unit, n, ("on bus", f"{frm}->{to}"), (DELIVERED, to), env.now)
        else:
            led.move_pax(force, unit, n, ("on bus", f"{frm}->{to}"), ("arrived", to), env.now)
            arrived(force, unit, n)
        env.timeout(hours).callbacks.append(lambda _ev: self.buses.give(token))  # the bus drives back empty

    # ---- staging ---------------------------------------------------------------------------------------
    def _admit(self, u: UnitState) -> simpy.Event:
        """The event of the unit's admission to its staging area, started by its first arrival."""
        if u.admitted is None:
            u.admitted = self.env.event()
            self.env.process(self._reserve_unit(u))
        return u.admitted

    def _reserve_unit(self, u: UnitState) -> Generator:
        """Reserve the whole unit's beds, then its vehicle spaces, always in that order: no unit holds part of
        one while another waits for it, and no two units hold one each while waiting for the other. The waiting
        is logged by each arriving party or piece (note_wait), so the reservation itself logs none."""
        st = u.plan.staging
        if u.plan.personnel:
            amount, _, t1, _, number = yield from self.beds[st].take(u.plan.personnel, weight=0)
            u.bed_token = (amount, t1, t1, 0.0, number)
        if u.plan.road_pieces:
            amount, _, t1, _, number = yield from self.spaces[st].take(u.plan.road_pieces, weight=0)
            u.space_token = (amount, t1, t1, 0.0, number)
        u.admitted.succeed()  # type: ignore[union-attr]

    def _when_admitted(self, u: UnitState, then: Callable[[], None]) -> None:
        """Run `then` once the unit is admitted to its staging area: now if it already is, else as a callback
        of the admission (no process of its own)."""
        adm = self._admit(u)
        if adm.callbacks is None:  # admission already processed
            then()
        else:
            adm.callbacks.append(lambda _ev: then())

    def pax_at_staging(self, force: str, unit: str, n: int) -> None:
        """A bus load of the unit's persons arrives at its staging area and waits for the unit's beds."""
        u = self.units[(force, unit)]
        st = u.plan.staging
        t0 = self.env.now
        self.ledger.move_pax(force, unit, n, ("arrived", st), ("waiting for beds", st), t0)

        def admitted() -> None:
            self.beds[st].note_wait(t0, n)
            self.ledger.move_pax(force, unit, n, ("waiting for beds", st), ("staging", st), self.env.now)
            self.ledger.record("pax", -1, force, unit, "", n, "beds", st, t0, self.env.now, self.env.now)
            u.pax_arrived += n
            self._check_ready(u)

        self._when_admitted(u, admitted)

    def piece_at_staging(self, pid: int) -> None:
        """A piece arrives at its unit's staging area and waits for the unit's vehicle spaces."""
        p = self.pieces[pid]
        u = self.units[(p.force, p.unit)]
        st = u.plan.staging
        t0 = self.env.now
        self.ledger.piece(pid, "waiting for staging spaces", st)

        def admitted() -> None:
            self.spaces[st].note_wait(t0, 1, (pid,))
            self.ledger.piece(pid, "staging: waiting for marry-up", st)
            u.road_arrived.append(pid)
            self.ledger.record("piece", pid, p.force, p.unit, p.cls, 1, "staging_gate", st, t0, self.env.now,
                               self.env.now)
            self._check_ready(u)

        self._when_admitted(u, admitted)

    def _check_ready(self, u: UnitState) -> None:
        if not u.departed and len(u.road_arrived) == u.plan.road_pieces and u.pax_arrived == u.plan.personnel:
            u.departed = True
            self.env.process(self.depart_unit(u))

    def depart_unit(self, u: UnitState) -> Generator:
        """Married up: prepare, then march out in serials with riders; the rest of the personnel by bus."""
        env, st, c = self.env, u.plan.staging, self.s.convoy
        t0 = env.now
        share = ((yield from self.gate(st, len(u.road_arrived) + u.plan.personnel, u.road_arrived))
                 if st in self.outages.by_node else 1.0)
        prep = float(self.staging[st]["prep_h"]) * self.factor("staging_prep", st) / share
        yield env.timeout(prep)
        for pid in u.road_arrived:
            p = self.pieces[pid]
            self.ledger.record("piece", pid, p.force, p.unit, p.cls, 1, "staging", st, t0, t0, env.now)
        riders_left = u.plan.personnel
        groups: dict[str, list[int]] = {}
        for pid in u.road_arrived:
            groups.setdefault(self.pieces[pid].exit, []).append(pid)
        moves = []
        for exit_ in sorted(groups):
            pids = groups[exit_]
            for k in range(0, len(pids), c.max_vehicles):
                chunk = pids[k: k + c.max_vehicles]
                riders = min(riders_left, c.seats_per_vehicle * len(chunk))
                riders_left -= riders
                self.ledger.move_pax(u.plan.force, u.plan.unit, riders, ("staging", st), ("in serial", st), env.now)
                moves.append(env.process(onward.staging_serial(self, u, chunk, riders)))
        if riders_left:
            self.bus_move(u.plan.force, u.plan.unit, riders_left, ("staging", st), u.plan.exit, u.plan.exit_route,
                          arrived=None)
        if moves:
            yield env.all_of(moves)
        if u.space_token is not None:
            self.spaces[st].give(u.space_token)
        if u.bed_token is not None:
            self.beds[st].give(u.bed_token)

    # ---- running ---------------------------------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        """Pieces and persons not yet delivered."""
        return self.ledger.outstanding

    def start(self) -> None:
        for sp in self.plan.ships:
            self.env.process(self.ship(sp))
        for fp in self.plan.flights:
            self.env.process(self.flight(fp))
        for fl in self.plan.flows:
            self.env.process(self.flow(fl))
        for a in self.s.accommodation:
            self.env.process(self.house(a.site, a.persons, a.start_h, a.start_h + a.weeks * 168.0))
        for o in self.outages.all:  # the time each target was down or slowed, as a use of its own resource
            self.log.append((o.resource, o.start, o.start, o.end, 1.0, 0.0))

    # ---- sustainment and host-nation accommodation -----------------------------------------------------
    def flow(self, fl: FlowPlan) -> Generator:
        """Pieces and persons of a regular flow entering at its origin on schedule."""
        env, led = self.env, self.ledger
        for t, pid, persons in fl.arrivals:
            if t > env.now:
                yield env.timeout(t - env.now)
            if pid >= 0:
                led.enter(pid, env.now, "arrived", fl.origin)
                self._onward(pid, None)
            else:
                state = ("waiting for bus", fl.origin)
                led.move_pax(fl.name, fl.name, persons, (NOT_ARRIVED, ""), state, env.now)
                self.bus_move(fl.name, fl.name, persons, state, fl.destination, fl.person_route, arrived=None)

    def house(self, site: str, persons: int, t0: float, t1: float) -> Generator:
        """Troops housed at a site from t0 to t1 (h): they take the beds free when they come, then, day by day,
        beds freed that no transit unit is queueing for. Records (site, day, required, housed) daily."""
        env, pool = self.env, self.beds[site]
        yield env.timeout(t0)
        tokens: list[tuple] = []
        housed = 0
        while env.now < t1:
            free = int(pool.level)
            if housed < persons and free > 0 and not pool.waiting:
                tok = yield from pool.take(min(free, persons - housed), weight=0)
                tokens.append(tok)
                housed += int(tok[0])
            self.housing.append((site, int(env.now // 24), persons, housed))
            yield env.timeout(min(24.0, t1 - env.now))
        for tok in tokens:
            pool.give(tok)

    def run(self, step_h: float = 24.0, progress: Callable[[float], None] | None = None):
        """Run until everything is delivered or the horizon; returns Results."""
        from .results import Results

        return Results.from_model(self, self.simulate(step_h, progress))

    def simulate(self, step_h: float = 24.0, progress: Callable[[float], None] | None = None) -> float:
        """The event loop alone: run until everything is delivered or the horizon, leaving the flat records in
        the ledger; returns the end time (h): the last delivery, or the horizon if something is outstanding."""
        self.start()
        horizon = self.s.horizon_h
        with few_collections():
            while self.env.now < horizon:
                self.env.run(until=min(self.env.now + step_h, horizon))
                if progress:
                    progress(self.env.now)
                if self.outstanding == 0:
                    break
        end = self.env.now if self.outstanding else self.last_delivery()
        for res in self._all_resources():
            res.flush()
        return end

    def _all_resources(self) -> list:
        out: list = [self.train_sets, self.hets, self.buses, self.barges, self.reassembly, *self.wagons.values()]
        out += [self._slots[k] for k in sorted(self._slots)]
        for group in (self.berths, self.marshalling, self.mog, self.terminal, self.cargo, self.ramps, self.spaces,
                      self.beds, self.csc):
            out += [group[k] for k in sorted(group)]
        return out

    def last_delivery(self) -> float:
        times = [t for t in self.ledger.delivered if not math.isnan(t)]
        times += [t for *_, t in self.ledger.pax_delivered]
        return max(times, default=0.0)
