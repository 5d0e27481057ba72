"""Movement by air: helicopters reassembled and test-flown at their port, then self-deploying to the exit."""

from __future__ import annotations

from ..ids import Stage
from ..world import Item, World
from .legs import Process, deliver


def helicopter(w: World, item: Item) -> Process:
    """Reassembled and test-flown at the port, then flown to the exit (great-circle distance at cruise speed)."""
    env = w.env
    p = w.pieces[item.pid]
    w.ledger.piece(item.pid, "waiting for reassembly", p.entry)
    t0 = env.now
    token = yield from w.reassembly.acquire(weight=1, pids=(item.pid,))
    t1 = env.now
    w.ledger.piece(item.pid, "reassembly", p.entry)
    yield env.timeout(w.s.air.reassembly_h * w.factor("reassembly", p.entry))
    w.reassembly.release(token)
    w.leave_port([item])
    w.ledger.record("piece", item.pid, p.force, p.unit, p.cls, 1, Stage.REASSEMBLY, p.entry, t0, t1, env.now)
    w.ledger.piece(item.pid, "in flight", p.entry)
    t2 = env.now
    speed = float(w.classes[p.cls]["air_speed_kmh"])
    yield env.timeout(p.air_km / speed)
    deliver(w, [item.pid], [env.now], p.exit, Stage.AIR, [t2], t2)
