"""The shared world of one replication: the SimPy environment, the resources and pools, the named random
streams, the ledger of where every piece and person is, and the run loop.

The RSOM phases (`reception`, `staging`, `movement`) are processes that take the world; the world knows
none of them, so no module imports one above it. `model.Model` starts the phases and runs the loop."""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import simpy

from .bands import band_intervals
from .batching import Batcher, Load
from .dates import week_hour_of
from .defaults import resolve_run
from .disruptions import Outage, Outages, draw
from .distributions import Distribution, Sampler
from .equipment import tare_of
from .ids import TRAIN, BatchKey, Res, ResourceId
from .ledger import Ledger
from .modes import mode_rules
from .plan import PiecePlan, Plan, UnitPlan
from .resources import BandedPathBook, Counting, Fleet, PathBook, Pool, ResourceInfo, Slots, Station, blame_group
from .rng import Streams
from .routing import Leg, Route
from .scenario import Scenario
from .windows import Anchored, AnyWindow, anchor

Token = tuple[Any, ...]  # what a Station, Pool or fleet hands out and takes back


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
    port_token: Token | None
    t_join: float
    asset: Token | None = None


@dataclass
class UnitState:
    """Marry-up progress of one unit at its staging area."""

    plan: UnitPlan
    road_arrived: list[int] = field(default_factory=list)
    pax_arrived: int = 0
    admitted: simpy.Event | None = None  # beds and vehicle spaces reserved for the whole unit
    space_token: Token | None = None
    bed_token: Token | None = None
    departed: bool = False


class World:
    """One replication's shared state. Build it from a compiled plan; the phases act on it."""

    def __init__(self, plan: Plan, seed: int | None = None, replication: int = 0):
        self.plan = plan
        self.s: Scenario = plan.scenario
        self.seed = resolve_run(self.s, seed)[0]
        self.replication = replication
        # hours since Monday 00:00 at t = 0, for windows by day of the week (None without a calendar)
        self.week_h = None if self.s.start is None else week_hour_of(self.s.start)
        self.env = Counting()
        self.streams = Streams(self.seed, replication)
        self.ledger = Ledger(plan, self.env)
        self.log = self.ledger.usage
        self.resources: dict[str, ResourceInfo] = {}
        self._slots: dict[str, Slots] = {}
        self._paths: dict[str, PathBook] = {}
        self._positioning: dict[tuple[str, str], float] = {}
        self.batchers: dict[BatchKey, Batcher[Item]] = {}
        self.first_keys: list[BatchKey | None] = []  # each piece's first batch after reception (movement.announce)
        self.expected: dict[BatchKey, int] = {}  # pieces announced to batchers not made yet
        self._samplers: dict[tuple[str, str], Callable[[], float]] = {}
        self.reversed_routes: dict[Route, Route] = {}  # empty returns, made once per route
        self.units = {k: UnitState(u) for k, u in sorted(plan.units.items())}
        self.pieces: list[PiecePlan] = list(plan.pieces)  # a piece's plan changes when it is diverted
        self.exits: dict[str, list[str]] = {f.id: list(f.exits) for f in self.s.forces}
        self._unit_exits = {k: u.exits for k, u in plan.units.items()}
        self.rules: dict[str, dict[str, list[str]]] = {f.id: mode_rules(self.s, f) for f in self.s.forces}
        for fl in plan.flows:
            self.exits[fl.name] = [fl.destination]
            self.rules[fl.name] = mode_rules(self.s)
        self.rail_desk: Any = None  # the path allocation desk (movement.timetable), made on first use
        self.rail_cargo: dict[int, Any] = {}  # rail loading facts of each piece (movement.rail), made on first use
        self.switch_limits: dict[tuple[str, str], float] = {}  # (force, class) -> rail wait before a mode switch (h)
        self.path_books: dict[tuple[str, bool], list[PathBook]] = {}  # (leg, out of gauge) -> the paths a train takes
        self.trains: list[dict[str, Any]] = []  # one record per train run: its stock, times and load
        self.train_legs: list[tuple[int, str, float, float]] = []  # (train, leg, booked entry, actual entry)
        self.diversions: list[tuple[Any, ...]] = []  # (t, pid, from mode, to mode, node, closure)
        self.reroutes: list[tuple[Any, ...]] = []  # (t, what, node, old next link, new next link, goal, closure, n)
        self.housing: list[tuple[str, int, int, int]] = []  # (site, day, required, housed)
        self._step_to: float | None = None  # the end of the step of the run loop under way (advance)
        self._finished = False  # everything delivered: the run loop is over
        self.added_paths: dict[str, list[tuple[float, int]]] = {}  # link -> (from when, paths a day added)
        self.discharge_factor: dict[str, float] = {}  # sea port -> its discharge rates multiplied by a decision
        self.switched = False  # an exercise's decision sent a class from rail to its next mode (switch_limits)
        self.ranks: dict[tuple[str, str], tuple[int, float]] = {}  # units' priorities changed by a decision
        net = plan.network  # plain dicts (Network.rows), shared by every replication of the plan: read only
        self.classes = net.rows("piece_classes")
        self.seaport = net.rows("seaports")
        self.airfield = net.rows("airfields")
        self.railhead = net.rows("railheads")
        self.staging = net.rows("staging")
        wagons = net.rows("wagon_types")
        self.wagon_len: dict[str, float] = {k: float(r["length_m"]) for k, r in wagons.items()}
        self.wagon_tare = tare_of(wagons)
        self._build_resources()
        repair = {a: float(r["repair_factor"]) for a, r in self.airfield.items()
                  if "repair_factor" in r and r["repair_factor"] is not None and float(r["repair_factor"]) != 1.0}
        self.outages = Outages(draw(self.s, self.streams, self.s.horizon_h, repair, plan.changes), plan.links_of)
        for o in self.outages.all:
            self._info(o.rid, o.target, 1, f"{o.kind}, capacity x{o.factor:g}")

    # ---- resources -------------------------------------------------------------------------------------
    def exits_of(self, force: str, unit: str) -> tuple[str, ...]:
        """Where a unit may leave: its line's destination, or its force's exits (a flow: its destination)."""
        found = self._unit_exits.get((force, unit))
        return found if found else tuple(self.exits[force])

    def _info(self, rid: ResourceId, node: str, capacity: float, unit: str) -> ResourceInfo:
        info = ResourceInfo.of(rid, node, capacity, unit)
        self.resources[info.name] = info
        return info

    def _station(self, res: Res, node: str, capacity: float, unit: str) -> Station:
        return Station(self.env, self.log, self._info(ResourceId(res, node), node, capacity, unit), self.ledger.blame)

    def _pool(self, rid: ResourceId, node: str, capacity: float, unit: str) -> Pool:
        return Pool(self.env, self.log, self._info(rid, node, capacity, unit), self.ledger.blame)

    def _build_resources(self) -> None:
        g, s = self.plan.nodes, self.s
        self.berths: dict[str, Station] = {}
        self.marshalling: dict[str, Pool] = {}
        for port in sorted(self.seaport):
            if port in g:
                r = self.seaport[port]
                self.berths[port] = self._station(Res.BERTHS, port, float(r["berths"]), "berths")
                self.marshalling[port] = self._pool(ResourceId(Res.MARSHALLING, port), port, r["marshalling_spaces"],
                                                    "pieces")
        self.mog: dict[str, Station] = {}
        self.terminal: dict[str, Station] = {}
        self.cargo: dict[str, Station] = {}
        for af in sorted(self.airfield):
            if af in g:
                self.mog[af] = self._station(Res.MOG, af, float(self.airfield[af]["mog"]), "aircraft")
                self.terminal[af] = self._station(Res.PAX_TERMINAL, af, 1, "lines")
                self.cargo[af] = self._station(Res.CARGO_TERMINAL, af, 1, "lines")
        self.ramps: dict[str, Station] = {}
        for rh in sorted(self.railhead):
            if rh in g:
                self.ramps[rh] = self._station(Res.RAMPS, rh, float(self.railhead[rh]["ramps"]), "ramps")
        self.spaces: dict[str, Pool] = {}
        self.beds: dict[str, Pool] = {}
        self.csc: dict[str, Pool] = {}
        for node in sorted(self.staging):
            if node not in g:
                continue
            r = self.staging[node]
            if r["role"] == "csc":
                self.csc[node] = self._pool(ResourceId(Res.CSC, node), node, r["vehicle_spaces"], "pieces")
            else:
                self.spaces[node] = self._pool(ResourceId(Res.STAGING_SPACES, node), node, r["vehicle_spaces"], "pieces")
                self.beds[node] = self._pool(ResourceId(Res.BEDS, node), node, r["beds"], "persons")
        self.stock = self._fleet()
        self.hets = self._pool(ResourceId(Res.HETS), "", s.pools.hets, "HETs")
        # the truck pool only when the scenario sets one (else pieces drive as vehicles of their serials)
        self.trucks: Pool | None = self._pool(ResourceId(Res.TRUCKS), "", s.pools.trucks, "trucks") \
            if s.pools.trucks else None
        # each free truck's driver: [free since (h), driving in the driver's day (h), driving since the last break
        # (h)], longest free first; and the driver of each piece on a truck
        self.truck_drivers: deque[list[float]] = deque([0.0, 0.0, 0.0] for _ in range(s.pools.trucks or 0))
        self.truck_driver: dict[int, list[float]] = {}
        self.buses = self._pool(ResourceId(Res.BUSES), "", s.pools.buses, "buses")
        self.barges = self._pool(ResourceId(Res.BARGES), "", s.pools.barges, "barges")
        self.reassembly = self._station(Res.REASSEMBLY, "", s.pools.reassembly_teams, "teams")

    def _fleet(self) -> Fleet:
        """Wagons by type and train sets, where they stand at the start: each pool at its yard (rail.yards), or
        where first needed (location "")."""
        s = self.s
        infos = {wt: self._info(ResourceId(Res.WAGONS, wt), "", n, "wagons") for wt, n in sorted(s.pools.wagons.items())}
        infos[TRAIN] = self._info(ResourceId(Res.TRAIN_SETS), "", s.pools.train_sets, "trains")
        start: dict[str, dict[str, int]] = {}
        totals = {**s.pools.wagons, TRAIN: s.pools.train_sets}
        for kind, n in sorted(totals.items()):
            yard = s.rail.yards.get("train_sets" if kind == TRAIN else kind, "")
            start.setdefault(yard, {})[kind] = n
        return Fleet(self.env, self.log, infos, start, self.positioning_h, self.ledger.blame)

    def positioning_h(self, frm: str, to: str) -> float:
        """Hours to bring rolling stock standing at `frm` to the railhead `to`: the running time of the fastest
        rail route, plus the scenario's positioning time (shunting, brake test); 0 for stock already there
        ("" stands for stock placed where first needed); inf when no rail route leads there."""
        if not frm or frm == to:
            return 0.0
        h = self._positioning.get((frm, to))
        if h is None:
            route = self.plan.router.route("rail", frm, to)
            h = math.inf if route is None else sum(leg.hours() for leg in route) + self.s.rail.positioning_h
            self._positioning[(frm, to)] = h
        return h

    def slots(self, leg: Leg) -> Slots:
        """Entry slots of a directed road or water link: serial or barge headway (train paths: `paths`)."""
        sl = self._slots.get(leg.key)
        if sl is None:
            info = self._info(ResourceId(Res.ENTRY, leg.key), leg.frm, 1, "entries")
            sl = self._slots[leg.key] = Slots(self.env, self.log, info, leg.headway_h, leg.window, self.s.start_clock_h,
                                              self.ledger.blame, self.outages.by_link.get(leg.link), self.week_h)
        return sl

    def paths(self, leg: Leg) -> PathBook:
        """The military train paths of a directed rail link: spread over the day (or its window), or by time band
        when the link gives `path_bands`."""
        pb = self._paths.get(leg.key)
        if pb is None:
            interval = 24.0 / leg.paths_per_day if leg.paths_per_day > 0 else math.inf  # none left by civil traffic
            info = self._info(ResourceId(Res.PATHS, leg.key), leg.frm, leg.paths_per_day, "paths/day")
            outs = self.outages.by_link.get(leg.link)
            if leg.path_bands:  # paths by time of day, shared in proportion when the line's paths a day changed
                pb = BandedPathBook(self.env, self.log, info, interval, band_intervals(leg.path_bands, leg.paths_per_day),
                                    leg.window, self.s.start_clock_h, self.ledger.blame, outs, self.week_h)
            else:
                pb = PathBook(self.env, self.log, info, interval, leg.window, self.s.start_clock_h, self.ledger.blame, outs,
                              self.week_h)
            for t, n in self.added_paths.get(leg.link, ()):
                pb.add_paths(t, n)
            self._paths[leg.key] = pb
        return pb

    def add_paths(self, link: str, per_day: int) -> None:
        """From now on, `per_day` more military train paths a day on the rail link, each way (a decision):
        entries booked before now keep their paths; entries from now on are spaced by the new interval."""
        now = self.env.now
        self.added_paths.setdefault(link, []).append((now, per_day))
        for pb in self._paths.values():
            if pb.info.link == link:
                pb.add_paths(now, per_day)

    def anchor(self, window: AnyWindow) -> Anchored:
        """A window (daily or weekly) placed on this run's time line, by the scenario's clock and calendar."""
        return anchor(window, self.s.start_clock_h, self.week_h)

    def uses_slots(self, leg: Leg) -> bool:
        """Whether entering a road or water leg needs a slot: a headway, a window or a disruption on it (rail
        legs take train paths: `paths`)."""
        return leg.headway_h > 0 or bool(leg.window) or leg.link in self.outages.by_link

    def gate(self, node: str, weight: float = 0.0, pids: Iterable[int] = ()) -> Generator[simpy.Event, Any, float]:
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

    def factor(self, name: str, stream: str) -> float:
        """A draw of the named time factor from its own stream."""
        draw_ = self._samplers.get((name, stream))
        return draw_() if draw_ is not None else self.sampler(name, stream)()

    def sampler(self, name: str, stream: str) -> Callable[[], float]:
        """The draws of the named time factor from its own stream (named: the same numbers whenever it is first
        asked for), for a process that draws many."""
        draw_ = self._samplers.get((name, stream))
        if draw_ is None:
            dist: Distribution = getattr(self.s.times, name)
            draw_ = self._samplers[(name, stream)] = Sampler(dist, self.streams(f"{name}:{stream}"))
        return draw_

    # ---- batching --------------------------------------------------------------------------------------
    def expect(self, key: BatchKey, n: int) -> None:
        """Tell the batcher of `key` that n more pieces are coming (announced before it exists, or diverted to it)."""
        b = self.batchers.get(key)
        if b is not None:
            b.expected += n
        else:
            self.expected[key] = self.expected.get(key, 0) + n

    def batcher(self, key: BatchKey, load: Load[Item], dispatch: Callable[[list[Item]], Generator[simpy.Event, Any, None]],
                max_wait_h: float) -> Batcher[Item]:
        """The batcher of `key`, made on first use with the pieces announced to it."""
        b = self.batchers.get(key)
        if b is None:
            b = self.batchers[key] = Batcher(self.env, self.expected.get(key, 0), max_wait_h, load, dispatch)
        return b

    def leave_port(self, items: list[Item]) -> None:
        """Pieces leave the marshalling area of their entry port."""
        for it in items:
            if it.port_token is not None:
                self.marshalling[self.pieces[it.pid].entry].give(it.port_token)

    # ---- running ---------------------------------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        """Pieces and persons not yet delivered."""
        return self.ledger.outstanding

    def simulate(self, step_h: float = 24.0, progress: Callable[[float], None] | None = None) -> float:
        """The event loop alone, on processes already started: run until everything is delivered or the
        horizon, leaving the flat records in the ledger; returns the end time (h): the last delivery, or the
        horizon if something is outstanding."""
        self.advance(math.inf, step_h, progress)
        end = self.env.now if self.outstanding else self.last_delivery()
        for res in self._all_resources():
            res.flush()
        return end

    def advance(self, to_h: float, step_h: float = 24.0, progress: Callable[[float], None] | None = None) -> None:
        """Run the event loop up to `to_h` (h; at most the horizon), or until everything is delivered: every
        event before `to_h` is processed and none at it or after, so that the state can be read as it stands at
        `to_h`. Called again, it goes on exactly as one uninterrupted run would (pausing schedules no event)."""
        horizon = self.s.horizon_h
        end = min(to_h, horizon)
        env = self.env
        with few_collections():
            while not self._finished and env.now < horizon:
                # steps with no event in them are run as one (the clock stays on the same grid of steps, and
                # their stop events are counted as before), so a run where everything left waits for ever, or
                # for a far-off event, ends at once
                if self._step_to is None:
                    now = env.now
                    gap = min(env.next_active(), horizon) - now
                    steps = 1 if gap <= step_h else math.ceil(gap / step_h - 1e-9)
                    self._step_to = min(now + steps * step_h, horizon)
                    env.stops_skipped += max(0, math.ceil((self._step_to - now) / step_h - 1e-9) - 1)
                if self._step_to > end:  # stop inside the step: process what comes before `end`, one by one
                    while env.peek() < end:
                        env.step()
                    return
                env.run(until=self._step_to)
                self._step_to = None
                if progress:
                    progress(env.now)
                if self.outstanding == 0:
                    self._finished = True

    def _all_resources(self) -> list[Station | Pool | Slots | PathBook | Fleet]:
        out: list[Station | Pool | Slots | PathBook | Fleet] = [self.stock, self.hets, self.buses, self.barges,
                                                                self.reassembly]
        if self.trucks is not None:
            out.append(self.trucks)
        out += [self._slots[k] for k in sorted(self._slots)]
        out += [self._paths[k] for k in sorted(self._paths)]
        for group in (self.berths, self.marshalling, self.mog, self.terminal, self.cargo, self.ramps, self.spaces,
                      self.beds, self.csc):
            out += [group[k] for k in sorted(group)]
        return out

    def last_delivery(self) -> float:
        times = [t for t in self.ledger.delivered if not math.isnan(t)]
        times += [t for *_, t in self.ledger.pax_delivered]
        return max(times, default=0.0)
