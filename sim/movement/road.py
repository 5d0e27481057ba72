"""Movement by road: serials of vehicles (with entry windows, headways, rest halts and convoy support
centre stops), HET lifts of tracked pieces, trucks of a pool carrying containers (with their drivers' hours),
and buses for personnel."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ..batching import Additive, Batcher
from ..ids import Batch, BatchKey, Stage
from ..ledger import DELIVERED
from ..routing import Route
from ..world import Item, UnitState, World
from .legs import Process, deliver, detour, road_speed, set_status, set_status_items

Arrived = Callable[[str, str, int], None]  # (force, unit, persons) arrived by bus


def halt_time(driven_h: float, first_after_h: float, first_h: float, every_h: float, halt_h: float) -> float:
    """Total rest-halt time (h) owed after `driven_h` hours of driving: a first halt after `first_after_h`,
    then one every `every_h`. A halt falling exactly at arrival is not taken."""
    if driven_h <= first_after_h:
        return 0.0
    later = math.ceil((driven_h - first_after_h) / every_h - 1e-9) - 1
    return first_h + max(later, 0) * halt_h


def march(w: World, n: int, route: Route, speed_kmh: float, csc: bool = True, pids: Sequence[int] = (),
          towed_m: Sequence[float] = ()) -> Process:
    """Move a serial of n vehicles along a route: entry windows and headways, driving at the slower of
    link and vehicle speed, rest halts, a convoy support centre stop on the way. Returns each vehicle's
    arrival time: the serial stretches by one gap per vehicle, and by the length of what a vehicle tows
    (`towed_m`, m per vehicle, e.g. its trailer: no gap of its own)."""
    env, c = w.env, w.s.convoy
    if env._now < c.start_h:  # no convoy clearance yet (SimPy's clock without its property, as below)
        if pids:
            set_status(w, pids, "waiting for convoy clearance", route[0].frm if route else "")
        yield env.timeout(c.start_h - env._now)
    driven = 0.0
    factor = w.factor("travel", f"road:{route[0].key}") if route else 1.0
    v = speed_kmh
    route = tuple(route)
    hit, timeout, cscs = w.outages.by_link, env.timeout, w.csc
    halt = (c.first_halt_after_h, c.first_halt_h, c.halt_every_h, c.halt_h)
    ahead = 0.0  # driving time not yet waited for: legs without a stop, slot or closure between them are one timeout
    owed = halt_time(driven, *halt)  # the rest halts owed for `driven`, carried from leg to leg
    k = 0
    while k < len(route):  # the route may change length on the way (a detour)
        leg = route[k]
        stop = csc and k > 0 and leg.frm in cscs
        slot = leg.headway_h > 0 or bool(leg.window) or leg.link in hit  # w.uses_slots, written out: the hot path
        if ahead and (stop or slot):
            yield timeout(ahead)
            ahead = 0.0
        if hit and w.closure_on(leg) is not None:
            route = route[:k] + detour(w, route[k:], [route[-1].to], pids, what="serial")
            leg = route[k]
            slot = w.uses_slots(leg)
        if stop:
            pool = w.csc[leg.frm]
            token = yield from pool.take(min(n, int(pool.info.capacity)), weight=n, pids=pids)
            yield env.timeout(float(w.staging[leg.frm]["prep_h"]))
            pool.give(token)
            driven = 0.0
            owed = halt_time(driven, *halt)
        wait = 0.0
        if slot:
            wait, closure = w.slots(leg).book(weight=n, pids=pids)
            if wait and closure is not None:
                set_status(w, pids, f"road march, waiting: {closure.name}", leg.frm)
        v = min(leg.speed_kmh, speed_kmh)
        drive = leg.drive_h(speed_kmh, factor)
        driven += drive
        after = halt_time(driven, *halt)
        halts, owed = after - owed, after
        ahead += wait + drive + halts + leg.delay_h
        k += 1
    if ahead:
        yield timeout(ahead)
    gap_h = c.gap_m / 1000.0 / v
    head = env._now
    behind = [0.0] * n  # column length (m) of what the vehicles ahead tow
    for i in range(1, n):
        behind[i] = behind[i - 1] + (towed_m[i - 1] if i - 1 < len(towed_m) else 0.0)
    tail_h = (n - 1) * gap_h + behind[-1] / 1000.0 / v if n else 0.0
    if n > 1 and tail_h > 0:
        yield env.timeout(tail_h)
    return [head + i * gap_h + behind[i] / 1000.0 / v for i in range(n)]


def serial_batcher(w: World, key: BatchKey, then: Callable[[list[Item]], Process]) -> Batcher:
    """Road serials of at most convoy.max_vehicles (HET serials: no more than there are HETs, so that a serial
    never waits for pieces that wait for the HETs it holds); `then(batch)` runs as its own process."""
    def dispatch(batch: list[Item]) -> Process:
        w.env.process(then(batch))
        return
        yield

    size = w.s.convoy.max_vehicles
    if key.kind in (Batch.HET, Batch.HET_SHUTTLE):
        size = min(size, w.hets.capacity)
    if key.kind is Batch.TRUCK and w.trucks is not None:  # likewise for the trucks of the pool
        size = min(size, w.trucks.capacity)
    return w.batcher(key, Additive(size), dispatch, w.s.convoy.max_wait_h)


def depart(w: World, batch: list[Item], status: str, route: Route, speed_kmh: float | None = None) -> Process:
    """A serial leaves the entry (freeing its marshalling spaces) along `route`; returns the departure time
    and each vehicle's arrival time."""
    pids = [it.pid for it in batch]
    t0 = w.env.now
    w.leave_port(batch)
    set_status_items(w, batch, status, w.pieces[pids[0]].entry)
    times = yield from march(w, len(pids), route, speed_kmh or road_speed(w, pids), pids=pids)
    return t0, times


def road_direct(w: World, batch: list[Item]) -> Process:
    """A serial straight from the entry to the exit (forces without a staging area)."""
    p = w.pieces[batch[0].pid]
    t0, times = yield from depart(w, batch, "road march", p.route)
    deliver(w, [it.pid for it in batch], times, p.exit, Stage.ROAD, [it.t_join for it in batch], t0)


def coupled(w: World, pids: Sequence[int]) -> tuple[list[int], dict[int, list[int]]]:
    """The vehicles of a set of pieces and the trailers each tows: a trailer whose prime mover (PiecePlan.tow)
    is in the set is coupled to it and is no vehicle of its own; any other piece is a vehicle."""
    inside = set(pids)
    towed: dict[int, list[int]] = {}
    for pid in pids:
        if w.pieces[pid].tow in inside:
            towed.setdefault(w.pieces[pid].tow, []).append(pid)
    coupled_ = {t for ts in towed.values() for t in ts}
    return [pid for pid in pids if pid not in coupled_], towed


def staging_serial(w: World, u: UnitState, pids: list[int], riders: int) -> Process:
    """A serial of a married-up unit from its staging area to the exit, carrying `riders` persons. Trailers
    coupled to their prime movers in the serial lengthen the column by their length and arrive with them."""
    p = w.pieces[pids[0]]
    st = u.plan.staging or p.entry
    t0 = w.env.now
    set_status(w, pids, "road march", st)
    vehicles, towed = coupled(w, pids)
    lengths = [sum(w.plan.equipment[w.pieces[t].equipment].length_m for t in towed.get(v, ())) for v in vehicles]
    at = yield from march(w, len(vehicles), p.route, road_speed(w, pids), pids=pids, towed_m=lengths)
    when = dict(zip(vehicles, at, strict=True))
    for v, ts in towed.items():
        when.update(dict.fromkeys(ts, when[v]))
    times = [when[pid] for pid in pids]
    deliver(w, pids, times, p.exit, Stage.ROAD, [t0] * len(pids), t0)
    if riders:
        w.ledger.move_pax(u.plan.force, u.plan.unit, riders, ("in serial", st), (DELIVERED, p.exit), max(times))
        w.ledger.record("pax", -1, u.plan.force, u.plan.unit, "", riders, Stage.ROAD, p.exit, t0, t0, max(times))


# ---- HET ------------------------------------------------------------------------------------------------
def het_piece(w: World, item: Item, key: BatchKey | None = None,
              then: Callable[[World, BatchKey, Item], None] | None = None) -> Process:
    """A piece waits for a HET, is loaded, then joins a HET serial: `key` (by default the serial to its exit),
    through `then` (by default this module's join; HET shuttles to a railhead are joined by the rail module)."""
    p = w.pieces[item.pid]
    w.ledger.piece(item.pid, "waiting for HET", p.entry)
    token = yield from w.hets.take(1, weight=1, pids=(item.pid,))
    yield w.env.timeout(w.s.het.load_h * w.factor("het_load", p.entry))
    w.ledger.piece(item.pid, "on HET, waiting for serial", p.entry)
    (then or join)(w, key or BatchKey(Batch.HET, p.entry, p.force, p.exit), item._replace(asset=token))


def het_convoy(w: World, batch: list[Item]) -> Process:
    """A serial of loaded HETs to the exit; the HETs unload and drive back empty."""
    p = w.pieces[batch[0].pid]
    t0, times = yield from depart(w, batch, "on HET", p.route, w.s.het.speed_kmh)
    deliver(w, [it.pid for it in batch], times, p.exit, Stage.HET, [it.t_join for it in batch], t0)
    yield w.env.timeout(w.s.het.unload_h + sum(leg.hours(w.s.het.speed_kmh) for leg in p.route))
    for it in batch:
        w.hets.give(it.asset)  # type: ignore[arg-type]  # a HET piece always carries its HET


def join(w: World, key: BatchKey, item: Item) -> None:
    """Put a piece into a road batcher (HET serials, serials straight to the exit), made on first use."""
    b = w.batchers.get(key)
    if b is None:
        if key.kind is Batch.HET:
            b = serial_batcher(w, key, lambda batch: het_convoy(w, batch))
        elif key.kind is Batch.ROAD:
            b = serial_batcher(w, key, lambda batch: road_direct(w, batch))
        else:
            raise ValueError(f"not a road batch: {key}")
    b.put(item)


# ---- trucks of the pool (pools.trucks) --------------------------------------------------------------------
AtStaging = Callable[[World, int], None]  # a piece arrived at its unit's staging area (staging.piece_at_staging)


def on_truck(w: World, cls: str) -> bool:
    """Whether a piece of the class going by road rides a truck of the pool (truck_piece): the scenario sets
    the pool and names the class in truck.classes."""
    return w.trucks is not None and cls in w.s.truck.classes


def truck_piece(w: World, item: Item, key: BatchKey, at_staging: AtStaging | None) -> Process:
    """A piece waits at its entry (or the railhead it left the railway at) for a truck of the pool and its driver
    (the one free longest), is loaded, then joins a serial of trucks to its staging area or exit (truck_convoy;
    `at_staging` receives it at its staging area, None for a piece going to its exit)."""
    assert w.trucks is not None  # first_batch gives truck keys only when the scenario sets the pool
    p = w.pieces[item.pid]
    w.ledger.piece(item.pid, "waiting for truck", p.entry)
    token = yield from w.trucks.take(1, weight=1, pids=(item.pid,))
    driver = w.truck_drivers.popleft()
    rules = w.s.truck
    idle = w.env.now - driver[0]
    if idle >= rules.daily_rest_h:  # rested a day's rest while the truck stood: a new day's driving
        driver[1] = driver[2] = 0.0
    elif idle >= rules.break_h:  # or at least a break
        driver[2] = 0.0
    w.truck_driver[item.pid] = driver
    yield w.env.timeout(rules.load_h)
    w.ledger.piece(item.pid, "on truck, waiting for serial", p.entry)
    b = w.batchers.get(key)
    if b is None:
        b = serial_batcher(w, key, lambda batch: truck_convoy(w, batch, at_staging))
    b.put(item._replace(asset=token))


def driver_rest_h(driver: list[float], driven_h: float, rules: Any) -> float:
    """The rest a driver owes after a turn of `driven_h` hours' driving, the driver's day updated in place (Reg.
    (EC) No 561/2006): a break of `break_h` each time the driving since the last break reaches `break_after_h`
    (Art. 7; taken at the turn's end, where the truck is parked, the serial's halts not counted as such breaks);
    and the daily rest (Art. 8) when one more such turn would take the day's driving past `daily_driving_h`
    (Art. 6), a rest that also stands for a break falling due as the turn ends."""
    since = driver[2] + driven_h
    driver[1] += driven_h
    if driver[1] + driven_h > rules.daily_driving_h + 1e-9:
        inside = max(math.ceil(since / rules.break_after_h - 1e-9) - 1, 0)  # breaks due before the driving ended
        driver[1] = driver[2] = 0.0
        return inside * rules.break_h + rules.daily_rest_h
    breaks = math.floor(since / rules.break_after_h + 1e-9)
    driver[2] = since - breaks * rules.break_after_h
    return breaks * rules.break_h


def truck_convoy(w: World, batch: list[Item], at_staging: AtStaging | None) -> Process:
    """A serial of loaded trucks from the entry to the unit's staging area (the pieces then wait there for their
    unit) or to the exit (delivered); the trucks unload and drive back empty, and each is free again at the entry
    once its driver has had the rest the turn requires (driver_rest_h)."""
    assert w.trucks is not None
    p = w.pieces[batch[0].pid]
    staging = w.plan.units[(p.force, p.unit)].staging
    to_staging = bool(p.to_origin) and staging is not None and at_staging is not None
    route = p.to_origin if to_staging else p.route
    speed = road_speed(w, [it.pid for it in batch])
    t0, times = yield from depart(w, batch, "on truck", route, speed)
    if not to_staging or at_staging is None:
        deliver(w, [it.pid for it in batch], times, p.exit, Stage.ROAD, [it.t_join for it in batch], t0)
    else:
        for it, t in zip(batch, times, strict=True):
            q = w.pieces[it.pid]
            w.ledger.record("piece", it.pid, q.force, q.unit, q.cls, 1, Stage.TO_STAGING, route[-1].to, it.t_join, t0, t)
            at_staging(w, it.pid)
    one_way = sum(leg.hours(speed) for leg in route)
    yield w.env.timeout(w.s.truck.unload_h + one_way)
    for it in batch:
        driver = w.truck_driver.pop(it.pid)
        rest = driver_rest_h(driver, 2 * one_way, w.s.truck)
        w.env.timeout(rest, (driver, it.asset)).callbacks.append(partial(_truck_free, w))


def _truck_free(w: World, ev: Any) -> None:
    """A truck's driver has rested: the truck is free at the entry (the callback of the rest's timeout, whose
    value is (driver, truck token))."""
    driver, token = ev.value
    driver[0] = w.env.now
    w.truck_drivers.append(driver)
    assert w.trucks is not None
    w.trucks.give(token)


# ---- personnel by bus ------------------------------------------------------------------------------------
def bus_move(w: World, force: str, unit: str, persons: int, state: tuple[str, str], to: str, route: Route,
             arrived: Arrived | None) -> None:
    """Move persons (now in `state`) by bus loads; `arrived` runs for each load at the destination
    (None: they are delivered there)."""
    seats = w.s.pools.bus_seats
    left = persons
    while left > 0:
        n = min(seats, left)
        left -= n
        w.env.process(_bus_trip(w, force, unit, n, state, to, route, arrived))


def _bus_trip(w: World, force: str, unit: str, n: int, state: tuple[str, str], to: str, route: Route,
              arrived: Arrived | None) -> Process:
    env, led, frm = w.env, w.ledger, state[1]
    t0 = env._now  # SimPy's clock without its property, here and below (a trip per bus load)
    token = yield from w.buses.take(1, weight=n)
    t1 = env._now
    led.move_pax(force, unit, n, state, ("on bus", f"{frm}->{to}"), env._now)
    factor = w.factor("travel", f"bus:{frm}")
    hours = sum(leg.hours(w.s.pools.bus_speed_kmh, factor) for leg in route)
    yield env.timeout(hours)
    led.record("pax", -1, force, unit, "", n, Stage.BUS, f"{frm}->{to}", t0, t1, env._now)
    if arrived is None:
        led.move_pax(force, unit, n, ("on bus", f"{frm}->{to}"), (DELIVERED, to), env._now)
    else:
        led.move_pax(force, unit, n, ("on bus", f"{frm}->{to}"), ("arrived", to), env._now)
        arrived(force, unit, n)
    env.timeout(hours).callbacks.append(lambda _ev: w.buses.give(token))  # the bus drives back empty
