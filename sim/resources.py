"""Resources that log every use as a flat record (resource, requested, granted, released, amount, weight).

Waits, utilisation and queue lengths over time are all derived from these records afterwards, so the hot
path only appends a tuple. `weight` is the number of pieces or persons held back by a wait."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import simpy
from simpy.core import BoundClass

from .bands import open_hours
from .disruptions import Outage, Outages
from .ids import Rank, ResourceId
from .windows import AnyWindow, anchor

Usage = tuple[str, float, float, float, float, float]
Token = tuple[Any, ...]  # what acquire() or take() hands out and release() or give() takes back
Wait = Generator[simpy.Event, Any, Token]  # a SimPy sub-process that ends with a token
Blame = tuple[str, tuple[int, ...], float]  # (resource, pieces, hours each of them waited for it)


def blame_group(blame: list[Blame], name: str, pids: Iterable[int], wait: float) -> None:
    """Book a wait to a resource for a group of pieces: one record per group, one row per piece in Results."""
    if wait > 0:
        group = tuple(pids)
        if group:
            blame.append((name, group, wait))


Stuck = tuple[float, float, tuple[int, ...]]  # (time of request, weight, pieces) of a wait nothing will end


def _flush_stuck(res: Station | _Entries, now: float) -> None:
    """Log the waits nothing ended (no server, no path left) as waits until now, and clear them."""
    for t0, weight, pids in res.stuck:
        res.log.append((res.info.name, t0, now, now, 0.0, weight))
        blame_group(res.blame, res.info.name, pids, now - t0)
    res.stuck.clear()


@dataclass(frozen=True)
class ResourceInfo:
    """Static description of one resource, for the results."""

    name: str  # ResourceId.name
    kind: str  # berth, marshalling, mog, terminal, ramp, staging_spaces, beds, csc, wagons, train_sets, ...
    node: str
    capacity: float
    unit: str  # what capacity counts: berths, pieces, aircraft, ramps, wagons, paths/day, ...
    link: str = ""  # the link of a path or headway resource (so that no table parses it out of the name)

    @classmethod
    def of(cls, rid: ResourceId, node: str, capacity: float, unit: str) -> ResourceInfo:
        return cls(rid.name, rid.kind, node, float(capacity), unit, rid.link)


@cache
def _ids_per_stop() -> int:
    """Event ids one run(until=...) call with nothing to do draws (its stop event; SimPy 4.1 requeues it with a
    new id): what a step the run loop leaves out would have added to the count of events processed."""
    env = simpy.Environment()
    env.run(until=1)
    before = next(env._eid)
    env.run(until=2)
    return next(env._eid) - before - 1


class Counting(simpy.Environment):
    """A SimPy environment that tells how many events it has processed: every event scheduled gets the next
    id from SimPy's counter and is either processed or still queued (no per-step overhead)."""

    stops_skipped = 0  # run(until=...) calls the run loop left out (steps with nothing to do)

    def __init__(self, initial_time: float = 0):
        """SimPy binds `process`, `timeout`, `event`, `all_of` and `any_of` to the environment when it is made, so
        that each call makes no bound method first, but only those its class defines itself (BoundClass.bind_early):
        a subclass's are bound here."""
        super().__init__(initial_time)
        for name, obj in vars(simpy.Environment).items():
            if type(obj) is BoundClass:
                setattr(self, name, getattr(self, name))

    @property
    def events_processed(self) -> int:
        scheduled = next(self._eid)  # ids are only compared for ordering, so drawing one here is harmless
        return scheduled - len(self._queue) + self.stops_skipped * _ids_per_stop()

    def next_active(self) -> float:
        """Time of the next scheduled event that anyone waits on (inf if none). SimPy leaves the stop event of
        run(until=...) queued, with no callbacks; events like it change nothing when processed."""
        return min((t for t, _, _, ev in self._queue if ev.callbacks), default=float("inf"))


class Station:
    """A simpy.Resource (servers) whose every use is logged."""

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, blame: list[Blame] | None = None):
        self.env, self.log, self.info = env, log, info
        self.blame = [] if blame is None else blame
        # no server at all (e.g. every berth kept by civil traffic): requests wait for ever, logged at the end
        self.res = simpy.Resource(env, capacity=int(info.capacity)) if int(info.capacity) > 0 else None
        self.open: dict[int, Token] = {}  # held now, by id of the request
        self.stuck: list[Stuck] = []

    def acquire(self, weight: float = 1.0, pids: Iterable[int] = ()) -> Wait:
        """Wait for a server; returns a token for release(). `pids`: the pieces held back while waiting."""
        t0 = self.env.now
        if self.res is None:
            self.stuck.append((t0, weight, tuple(pids)))
            yield self.env.event()  # never triggered: the request waits for ever
            raise RuntimeError(f"{self.info.name}: a station without servers granted a request")
        req = self.res.request()
        yield req
        blame_group(self.blame, self.info.name, pids, self.env.now - t0)
        token = (req, t0, self.env.now, weight)
        self.open[id(req)] = token
        return token

    def release(self, token: Token) -> None:
        req, t0, t1, weight = token
        if self.res is not None:  # always: tokens come only from granted requests
            self.res.release(req)
        del self.open[id(req)]
        self.log.append((self.info.name, t0, t1, self.env.now, 1.0, weight))

    def flush(self) -> None:
        """Log what is still held when the run stops, as released now."""
        for _, t0, t1, weight in self.open.values():
            self.log.append((self.info.name, t0, t1, self.env.now, 1.0, weight))
        self.open.clear()
        _flush_stuck(self, self.env.now)

    def use(self, hours: float, weight: float = 1.0, pids: Iterable[int] = ()) -> Generator[simpy.Event, Any, None]:
        """Hold one server for `hours`."""
        token = yield from self.acquire(weight, pids)
        yield self.env.timeout(hours)
        self.release(token)


class Pool:
    """Identical units (spaces, beds, wagons, HETs) taken and given back, every take logged.

    Takes are served first come, first served, as in simpy.Container: a take that fits what is free, with
    nobody waiting before it, is granted at once and without an event; otherwise it waits, and each give
    serves the waiting takes from the front of the queue for as long as they fit."""

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, blame: list[Blame] | None = None):
        self.env, self.log, self.info = env, log, info
        self.blame = [] if blame is None else blame
        self.capacity = max(int(info.capacity), 1)
        self.level: float = self.capacity  # units free now
        self.waiting: list[tuple[float, simpy.Event]] = []  # (amount, event) of takes not yet granted
        self.open: dict[int, Token] = {}  # held now, by token number
        self._next = 0

    def take_free(self, amount: float, weight: float = 1.0) -> Token | None:
        """The take of `amount` granted at once when nobody waits before it and enough is free (the token take()
        would return, without its generator), else None and nothing taken: the test and the grant in one call, for
        the hot path of discharge."""
        if amount > self.level or self.waiting:
            return None
        self.level -= amount
        return self._grant(amount, self.env._now, weight)

    def _grant(self, amount: float, t0: float, weight: float) -> Token:
        """The token of a take requested at t0 and granted now, held until give()."""
        self._next += 1
        token = (amount, t0, self.env._now, weight, self._next)
        self.open[self._next] = token
        return token

    def take(self, amount: float, weight: float = 1.0, pids: Iterable[int] = ()) -> Wait:
        """Wait for `amount` units; returns a token for give(). `pids`: the pieces held back while waiting."""
        t0 = self.env._now  # SimPy's clock without its property (here and below: pools are on the hot path)
        if amount > 0:
            if amount <= self.level and not self.waiting:
                self.level -= amount
            else:
                ev = self.env.event()
                self.waiting.append((amount, ev))
                yield ev
                blame_group(self.blame, self.info.name, pids, self.env.now - t0)
        return self._grant(amount, t0, weight)

    def flush(self) -> None:
        """Log what is still held when the run stops, as given back now."""
        for amount, t0, t1, weight, _ in self.open.values():
            self.log.append((self.info.name, t0, t1, self.env.now, float(amount), weight))
        self.open.clear()

    def note_wait(self, t_request: float, weight: float, pids: Iterable[int] = ()) -> None:
        """Log a wait for this pool by someone who holds nothing of it (e.g. a party waiting for its unit's beds)."""
        now = self.env._now
        self.log.append((self.info.name, t_request, now, now, 0.0, weight))
        if now > t_request:  # blame_group books no wait of 0 h: no call for the many who did not wait
            blame_group(self.blame, self.info.name, pids, now - t_request)

    def give(self, token: Token) -> None:
        amount, t0, t1, weight, number = token
        if amount > 0:
            self.level += amount
            if self.waiting:
                self._serve()
        del self.open[number]
        self.log.append((self.info.name, t0, t1, self.env._now, float(amount), weight))

    def add(self, amount: int) -> None:
        """More units from now on (a reserve or contract activated): the pool grows and serves its queue."""
        self.capacity += amount
        self.level += amount
        self.info = replace(self.info, capacity=float(self.capacity))
        if self.waiting:
            self._serve()

    def _serve(self) -> None:
        """Grant waiting takes from the front of the queue while they fit what is free."""
        k = 0
        for amount, ev in self.waiting:
            if amount > self.level:
                break
            self.level -= amount
            ev.succeed()
            k += 1
        del self.waiting[:k]


class _Entries:
    """Entries onto a link at least `interval_h` apart, only inside a window (daily or weekly: `windows.py`), never
    while a disruption closes the link (and farther apart while one cuts its capacity). An infinite interval
    never grants an entry; such waits are kept in `stuck` and logged at the end of the run.

    `start_clock_h` is the clock hour of t = 0 and `week_h` the hours since Monday 00:00 at t = 0 (None without a
    calendar; a weekly window needs it). The window's period and its next_open are picked here, once, so that
    `earliest` calls `next_open(window, t, offset)` of that period and a daily window pays nothing for weeks.
    `clock` stays the clock hour of t = 0: path bands follow the time of day whatever the window."""

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, interval_h: float,
                 window: AnyWindow = (), start_clock_h: float = 0.0, blame: list[Blame] | None = None,
                 outages: list[Outage] | None = None, week_h: float | None = None):
        self.env, self.log, self.info = env, log, info
        self.blame = [] if blame is None else blame
        self.interval_h, self.clock = interval_h, start_clock_h
        placed = anchor(window, start_clock_h, week_h)
        self.window, self.offset, self.next_open = placed.window, placed.offset_h, placed.period.next_open
        self.outages: list[Outage] = outages or []
        self.stuck: list[Stuck] = []  # waits that no entry will ever end

    def flush(self) -> None:
        """Log the waits no entry ended (the run stopped with movers still waiting)."""
        _flush_stuck(self, self.env.now)


class Slots(_Entries):
    """Departure slots on a road or water link, taken in the order movers ask: each entry is at least
    `interval_h` (the serial or barge headway) after the one before, only inside the link's window,
    never while a disruption closes the link (and at `interval_h / factor` while one cuts its capacity).
    Train paths, booked ahead with gaps filled, are a `PathBook`."""

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, interval_h: float,
                 window: AnyWindow = (), start_clock_h: float = 0.0, blame: list[Blame] | None = None,
                 outages: list[Outage] | None = None, week_h: float | None = None):
        super().__init__(env, log, info, interval_h, window, start_clock_h, blame, outages, week_h)
        self.next_free = 0.0 if math.isfinite(interval_h) else math.inf

    def earliest(self, t: float, known_at: float = math.inf, outages: bool = True) -> tuple[float, Outage | None]:
        """Earliest entry >= t given the slots booked, the window and the closures started by `known_at`;
        and the first closure that held it back (None if none)."""
        t = max(t, self.next_free)
        first = None
        opens, window = self.next_open, self.window  # locals: calling a function held by the instance is slower
        while math.isfinite(t):
            t1 = opens(window, t, self.offset) if window else t  # an empty window is always open: no call
            if not (outages and self.outages):
                return t1, first
            t2, o = Outages.up_at(self.outages, t1, known_at)
            first = first or o
            if t2 == t1:
                return t1, first
            t = t2
        return t, first

    def book(self, weight: float = 1.0, pids: Iterable[int] = ()) -> tuple[float, Outage | None]:
        """Reserve the earliest slot from now; returns the time to wait (h) before entering and the closure
        that lengthened the wait (None if none)."""
        now = self.env._now  # SimPy's clock without its property: a booking per serial and leg
        t, closure = self.earliest(now)
        if not math.isfinite(t):
            self.stuck.append((now, weight, tuple(pids)))
            return math.inf, closure
        interval = self.interval_h
        if self.outages:
            interval /= Outages.factor_at(self.outages, t)
        plain = self.earliest(now, outages=False)[0] if closure is not None else t
        self.next_free = t + interval
        if closure is not None:  # the part of the wait the closure caused is booked to the closure
            lost = t - plain
            self.log.append((closure.resource, now, now + lost, now + lost, 0.0, weight))
            blame_group(self.blame, closure.resource, pids, lost)
            self.log.append((self.info.name, now + lost, t, t + interval, 1.0, weight))
            blame_group(self.blame, self.info.name, pids, t - now - lost)
            return t - now, closure
        self.log.append((self.info.name, now, t, t + interval, 1.0, weight))
        if t > now:  # blame_group books no wait of 0 h: no call for the many serials that find a slot free
            blame_group(self.blame, self.info.name, pids, t - now)
        return t - now, None


class PathBook(_Entries):
    """The military train paths of one directed line. A train may enter at any time inside the line's
    window, never while a known closure holds it, and at least `interval_h` (24 h / paths per day; divided by
    the capacity factor of a partial outage) apart from every other train booked on it. Trains book the
    paths of their whole route before they leave (`movement.timetable`), so gaps left between bookings are
    used by later requests and no train waits on the line.

    An infinite interval (no path left to the military) never grants an entry; such waits are logged at the
    end."""

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, interval_h: float,
                 window: AnyWindow = (), start_clock_h: float = 0.0, blame: list[Blame] | None = None,
                 outages: list[Outage] | None = None, week_h: float | None = None):
        super().__init__(env, log, info, interval_h, window, start_clock_h, blame, outages, week_h)
        self.booked: list[float] = []  # entry times (h), sorted
        self.changes: list[tuple[float, float]] = []  # (from when, interval from then) after paths were added

    def add_paths(self, t: float, per_day: int) -> None:
        """`per_day` more paths a day for entries from t on (h): the interval shrinks from then."""
        now = self.interval_at(t)
        per = (24.0 / now if math.isfinite(now) else 0.0) + per_day
        self.changes.append((t, 24.0 / per if per > 0 else math.inf))
        self.changes.sort()

    def interval_at(self, t: float) -> float:
        """The interval (h) between entries at t: the line's, or the last one added paths set by then."""
        iv = self.interval_h
        for t0, x in self.changes:
            if t0 > t:
                break
            iv = x
        return iv

    def gap(self, t: float) -> float:
        """Least time (h) between two trains entering around t."""
        iv = self.interval_at(t) if self.changes else self.interval_h
        if self.outages:
            return iv / Outages.factor_at(self.outages, t)
        return iv

    def earliest(self, t: float, known_at: float = math.inf, outages: bool = True) -> tuple[float, Outage | None]:
        """Earliest entry >= t with a free path, inside the window, with no closure started by `known_at`
        (if `outages`); and the first closure that held it back (None if none)."""
        if not math.isfinite(self.interval_h) and not self.changes:
            return math.inf, None
        first = None
        booked = self.booked
        opens, window = self.next_open, self.window  # locals: calling a function held by the instance is slower
        varies = bool(self.outages) or bool(self.changes)
        while math.isfinite(t):
            if window:  # an empty window is always open: no call
                t = opens(window, t, self.offset)
            if outages and self.outages:
                t2, o = Outages.up_at(self.outages, t, known_at)
                if t2 != t:
                    first = first or o
                    t = t2
                    continue
            gap = self.gap(t) if varies else self.interval_h
            if not math.isfinite(gap):  # no path at t: the first time paths were added after it, if any
                t = next((t0 for t0, iv in self.changes if t0 > t and math.isfinite(iv)), math.inf)
                continue
            i = bisect.bisect_right(booked, t - gap + 1e-9)
            if i < len(booked) and booked[i] < t + gap - 1e-9:
                t = booked[i] + gap
                continue
            return t, first
        return t, first

    def book(self, t: float, t_request: float, weight: float = 1.0) -> None:
        """Book an entry at t (found free by earliest), requested at t_request."""
        bisect.insort(self.booked, t)
        self.log.append((self.info.name, t_request, t, t + self.gap(t), 1.0, weight))

    def cancel(self, t: float) -> None:
        """Give back a path booked at t that the train will not use (it was re-planned around a closure)."""
        i = bisect.bisect_left(self.booked, t - 1e-9)
        if i < len(self.booked) and abs(self.booked[i] - t) <= 1e-9:
            del self.booked[i]

    def never(self, t_request: float, weight: float, pids: Iterable[int]) -> None:
        """Note a request no path will ever serve (logged as a wait until the end of the run)."""
        self.stuck.append((t_request, weight, tuple(pids)))


class BandedPathBook(PathBook):
    """The military train paths of a line that offers them by time band of the day (`bands.py`): a train
    enters only inside a band with paths (and inside the window, if the scenario gives the line one), never
    while a known closure holds it, at least its band's interval from every other train booked in that band, and
    at least the shorter of the two bands' intervals from a train in another band (the same seen from either
    train). So each band offers its own paths: a day-band train at 20:00 does not take the paths of the night
    band that opens at 22:00, and a line's bands together give it its paths a day.
    A partial outage divides every interval by its capacity factor, as on a line without bands.

    `bands` are (start_h, end_h, interval_h) with clock hours (end < start wraps midnight; interval inf: no
    path in the band); hours outside every band have no path. `interval_h` stays 24 h / the line's paths a
    day (inf: no path left at all). The day is cut into segments once, here, so `earliest` does no parsing;
    a line without bands is a plain PathBook and pays nothing for them."""

    EPS = 1e-9  # a time this close before a band's start counts as in that band (as spacing tolerates 1e-9 h)

    def __init__(self, env: simpy.Environment, log: list[Usage], info: ResourceInfo, interval_h: float,
                 bands: tuple[tuple[float, float, float], ...], window: AnyWindow = (), start_clock_h: float = 0.0,
                 blame: list[Blame] | None = None, outages: list[Outage] | None = None, week_h: float | None = None):
        super().__init__(env, log, info, interval_h, window, start_clock_h, blame, outages, week_h)
        self.band_iv = [iv for _, _, iv in bands]  # interval of each band (h)
        self.by_band: list[list[float]] = [[] for _ in bands]  # entries booked in each band, sorted
        cuts: list[tuple[float, float, int]] = []
        for j, (s, e, _) in enumerate(bands):
            cuts += [(s, e, j)] if s < e else [(s, 24.0, j), (0.0, e, j)]
        segs: list[tuple[float, float, int]] = []  # the whole day, hours outside every band as band -1
        at = 0.0
        for s, e, j in sorted(c for c in cuts if c[1] > c[0]):
            if s > at:
                segs.append((at, s, -1))
            segs.append((s, e, j))
            at = e
        if at < 24.0:
            segs.append((at, 24.0, -1))
        self._starts = [s for s, _, _ in segs]
        self._band = [j for _, _, j in segs]
        self._iv = [self.band_iv[j] if j >= 0 else math.inf for j in self._band]
        n = len(segs)
        # per segment: the clock hour (maybe past 24) where the run of segments with its interval ends (inf: never,
        # one interval all day), and for a segment without paths the hour the next one with paths starts
        self._run_end: list[float] = []
        self._opens: list[float] = []
        for k in range(n):
            end, m = segs[k][1], 1
            while m < n and self._iv[(k + m) % n] == self._iv[k]:
                end = segs[(k + m) % n][1] + 24.0 * ((k + m) // n)
                m += 1
            self._run_end.append(math.inf if m == n else end)
            nxt = next((segs[(k + m) % n][0] + 24.0 * ((k + m) // n) for m in range(1, n + 1)
                        if math.isfinite(self._iv[(k + m) % n])), math.inf)
            self._opens.append(nxt)
        open_spans = tuple((s, e) for s, e, iv in bands if math.isfinite(iv))
        self._never = not math.isfinite(interval_h) or open_hours(open_spans, window) <= 0

    def _segment(self, t: float) -> tuple[int, float]:
        """The segment of the day time t falls in, and t's clock hour (a hair below 0 just before midnight)."""
        c = (t + self.clock) % 24.0
        if c >= 24.0 - self.EPS:
            c -= 24.0
        return bisect.bisect_right(self._starts, c + self.EPS) - 1, c

    def gap(self, t: float) -> float:
        """Least time (h) between a train entering at t and one entering later in the same band."""
        iv = self._iv[self._segment(t)[0]]
        if self.outages:
            return iv / Outages.factor_at(self.outages, t)
        return iv

    def earliest(self, t: float, known_at: float = math.inf, outages: bool = True) -> tuple[float, Outage | None]:
        """Earliest entry >= t inside a band with paths, inside the window, with no closure started by `known_at`
        (if `outages`) and spaced from every train booked; and the first closure that held it back."""
        if self._never:
            return math.inf, None
        first = None
        eps = self.EPS
        opens, window = self.next_open, self.window  # locals: calling a function held by the instance is slower
        while math.isfinite(t):
            if window:  # an empty window is always open: no call
                t = opens(window, t, self.offset)
            k, c = self._segment(t)
            iv = self._iv[k]
            if not math.isfinite(iv):  # no path in this band: on to the next band with paths
                t += self._opens[k] - c
                continue
            if outages and self.outages:
                t2, o = Outages.up_at(self.outages, t, known_at)
                if t2 != t:
                    first = first or o
                    t = t2
                    continue
            f = Outages.factor_at(self.outages, t) if self.outages else 1.0
            later = t
            own = self._band[k]
            for j, booked in enumerate(self.by_band):
                if not booked:
                    continue
                sep = (iv if j == own else min(iv, self.band_iv[j])) / f
                i = bisect.bisect_right(booked, t - sep + eps)
                if i < len(booked) and booked[i] < t + sep - eps:
                    later = max(later, booked[i] + sep)
            if later > t:  # every time before `later` in this band is too close to a train booked
                t = min(later, t + self._run_end[k] - c)  # past the band's end its interval no longer holds
                continue
            return t, first
        return t, first

    def book(self, t: float, t_request: float, weight: float = 1.0) -> None:
        """Book an entry at t (found free by earliest), requested at t_request."""
        j = self._band[self._segment(t)[0]]
        if j < 0:
            raise RuntimeError(f"{self.info.name}: an entry booked at {t:.4f} h is outside every band with paths")
        bisect.insort(self.by_band[j], t)
        super().book(t, t_request, weight)

    def cancel(self, t: float) -> None:
        """Give back a path booked at t that the train will not use."""
        j = self._band[self._segment(t)[0]]
        if j >= 0:
            booked = self.by_band[j]
            i = bisect.bisect_left(booked, t - 1e-9)
            if i < len(booked) and abs(booked[i] - t) <= 1e-9:
                del booked[i]
        super().cancel(t)


FleetGrant = tuple[tuple[str, str, int], ...]  # (location, kind, count) taken


@dataclass
class _FleetWait:
    """A take of rolling stock waiting: its priority, request time and order, what it needs where, and the
    kind it was first short of (its wait is booked to that kind)."""

    priority: Rank
    t: float
    seq: int
    need: dict[str, int]
    dest: str
    event: simpy.Event
    short: str
    weight: float
    pids: tuple[int, ...]


class Fleet:
    """Rolling stock by kind (wagon types, and train sets: locomotives with crews), counted where it stands.

    A take names what a train needs and the railhead it is needed at; it is served from the locations
    nearest in running time (a location "" is stock already where it is first needed) and returns the hours
    to position it. Takes are served by priority (lower first), then request time, not by who asked first
    among those waiting: when stock comes back, the waiting takes are tried in that order, and a take may go
    before an earlier one that is short of something it does not need. Every use is logged per kind, as by a
    Pool."""

    def __init__(self, env: simpy.Environment, log: list[Usage], infos: dict[str, ResourceInfo],
                 start: dict[str, dict[str, int]], hours: Callable[[str, str], float], blame: list[Blame] | None = None):
        self.env, self.log, self.infos, self.hours = env, log, infos, hours
        self.blame = [] if blame is None else blame
        self.at: dict[str, dict[str, int]] = {loc: dict(kinds) for loc, kinds in sorted(start.items())}
        self.waiting: list[_FleetWait] = []
        self.open: dict[int, tuple[FleetGrant, float, float, float]] = {}
        self._seq = 0

    def _plan(self, need: dict[str, int], dest: str) -> tuple[FleetGrant, str]:
        """What to take from where for a need at dest (nearest first); ((), kind) when a kind is short."""
        grant: list[tuple[str, str, int]] = []
        for kind, n in sorted(need.items()):
            if n <= 0:
                continue
            places = sorted((self.hours(loc, dest), loc) for loc, kinds in self.at.items() if kinds.get(kind, 0) > 0)
            left = n
            for h, loc in places:
                if not math.isfinite(h):
                    continue
                k = min(left, self.at[loc][kind])
                grant.append((loc, kind, k))
                left -= k
                if not left:
                    break
            if left:
                return (), kind
        return tuple(grant), ""

    def _grant(self, grant: FleetGrant) -> None:
        for loc, kind, k in grant:
            self.at[loc][kind] -= k

    def take(self, need: dict[str, int], dest: str, priority: Rank = (1, math.inf), weight: float = 1.0,
             pids: Iterable[int] = (), patience: float = math.inf) -> Generator[simpy.Event, Any, tuple[Token, float, str] | None]:
        """Wait for the stock of `need` (units by kind) at `dest`; returns a token for give(), the hours to
        bring it to dest (0 for stock already there) and the name of the resource it waited for ("" if none).
        A take not served within `patience` hours withdraws and returns None (its wait is logged)."""
        t0 = self.env.now
        grant, short = self._plan(need, dest) if not self.waiting else ((), "")
        waited = ""
        if grant:
            self._grant(grant)
        elif any(n > 0 for n in need.values()):
            ev = self.env.event()
            self._seq += 1
            group = tuple(pids)
            entry = _FleetWait(priority, t0, self._seq, need, dest, ev, short, weight, group)
            self.waiting.append(entry)
            self.waiting.sort(key=lambda e: (e.priority, e.t, e.seq))
            self._serve()
            if not ev.triggered and math.isfinite(patience):
                yield ev | self.env.timeout(max(patience, 0.0))
                if not ev.triggered:  # withdrawn: nothing was granted
                    self.waiting.remove(entry)
                    self._log_wait(entry)
                    if self.waiting:
                        self._serve()
                    return None
            grant, short = yield ev
            waited = self.infos[short].name
            blame_group(self.blame, waited, group, self.env.now - t0)
        self._seq += 1
        self.open[self._seq] = (grant, t0, self.env.now, weight)
        hours = max((self.hours(loc, dest) for loc, _, _ in grant), default=0.0)
        return (self._seq,), hours, waited

    def add(self, kind: str, count: int, where: str = "") -> ResourceInfo:
        """More stock of a kind from now on, standing at `where` ("" : placed where first needed), as when a
        reserve or contract is activated; waiting takes are served. Returns the kind's info with its new size."""
        spot = self.at.setdefault(where, {})
        spot[kind] = spot.get(kind, 0) + count
        info = self.infos[kind] = replace(self.infos[kind], capacity=self.infos[kind].capacity + count)
        if self.waiting:
            self._serve()
        return info

    def awaited(self, kinds: Iterable[str]) -> bool:
        """Whether a waiting take needs stock of any of `kinds`."""
        wanted = set(kinds)
        return any(n > 0 and k in wanted for e in self.waiting for k, n in e.need.items())

    def reprioritise(self, rank: Callable[[tuple[int, ...]], Rank | None]) -> None:
        """Give waiting takes a new priority (`rank` of their pieces; None keeps it) and serve in the new order."""
        for e in self.waiting:
            new = rank(e.pids)
            if new is not None:
                e.priority = new
        self.waiting.sort(key=lambda e: (e.priority, e.t, e.seq))
        self._serve()

    def where(self, token: Token) -> list[str]:
        """The locations the stock of a take came from (sorted; "" is stock placed where first needed)."""
        return sorted({loc for loc, _, _ in self.open[token[0]][0]})

    def give(self, token: Token, where: str) -> None:
        """Give back the stock of a take, standing now at `where`."""
        grant, t0, t1, weight = self.open.pop(token[0])
        spot = self.at.setdefault(where, {})
        for _, kind, k in grant:
            spot[kind] = spot.get(kind, 0) + k
        self._log_use(grant, t0, t1, weight)
        if self.waiting:
            self._serve()

    def _log_use(self, grant: FleetGrant, t0: float, t1: float, weight: float) -> None:
        """Log a use of stock, held until now: one record per kind."""
        totals: dict[str, int] = {}
        for _, kind, k in grant:
            totals[kind] = totals.get(kind, 0) + k
        now = self.env.now
        for kind, k in sorted(totals.items()):
            self.log.append((self.infos[kind].name, t0, t1, now, float(k), weight))

    @staticmethod
    def _blamed(e: _FleetWait, short: str = "") -> str:
        """The kind a wait is booked to: the first it was short of (else the first it needs)."""
        return e.short or short or sorted(e.need)[0]

    def _log_wait(self, e: _FleetWait) -> None:
        """Log a take that waited until now and got nothing (withdrawn, or still waiting at the end)."""
        now = self.env.now
        name = self.infos[self._blamed(e)].name
        self.log.append((name, e.t, now, now, 0.0, e.weight))
        blame_group(self.blame, name, e.pids, now - e.t)

    def _serve(self) -> None:
        """Grant waiting takes in order of priority and request time; a take that needs a kind an earlier
        waiting take is short of stays behind it."""
        blocked: set[str] = set()
        keep = []
        for e in self.waiting:
            if blocked & {k for k, n in e.need.items() if n > 0}:
                keep.append(e)
                continue
            grant, short = self._plan(e.need, e.dest)
            if grant:
                self._grant(grant)
                e.event.succeed((grant, self._blamed(e, short)))
            else:
                e.short = e.short or short
                blocked.add(short)
                keep.append(e)
        self.waiting = keep

    def flush(self) -> None:
        """Log what is still in use when the run stops, as given back now; and the takes still waiting."""
        for grant, t0, t1, weight in self.open.values():
            self._log_use(grant, t0, t1, weight)
        self.open.clear()
        for e in self.waiting:
            self._log_wait(e)
        self.waiting.clear()
