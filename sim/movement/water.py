"""Movement by water: barge loads from a port along the waterways to the exit, and back empty."""

from __future__ import annotations

from ..batching import Additive, Batcher
from ..ids import BatchKey, Stage
from ..world import Item, Token, World
from .legs import Process, back, blame_queue, deliver, run_legs, set_status_items


def join(w: World, key: BatchKey, item: Item) -> None:
    """Put a piece into a barge load, the batcher made on first use."""
    b = w.batchers.get(key)
    if b is None:
        b = _barge_batcher(w, key)
    b.put(item)


def _barge_batcher(w: World, key: BatchKey) -> Batcher:
    """A barge takes pieces up to one load (each piece its class's share of a barge)."""
    exit_ = key.dest

    def size_of(item: Item) -> float:
        return float(w.classes[w.pieces[item.pid].cls]["barge_share"])

    def dispatch(batch: list[Item]) -> Process:
        t0 = w.env.now
        token = yield from w.barges.take(1, weight=len(batch), pids=[it.pid for it in batch])
        blame_queue(w, batcher, w.barges.info.name, t0)
        w.env.process(barge(w, batch, exit_, token))

    batcher = w.batcher(key, Additive(1.0, size_of), dispatch, w.s.barge.max_wait_h)
    return batcher


def barge(w: World, batch: list[Item], exit_: str, token: Token) -> Process:
    """Load, sail to the exit (paths and headways of the waterways, around closures), unload, sail back empty."""
    env = w.env
    pids = [it.pid for it in batch]
    p = w.pieces[pids[0]]
    t0 = env.now
    set_status_items(w, batch, "loading barge", p.entry)
    yield env.timeout(w.s.barge.load_h * w.factor("barge_load", p.entry))
    w.leave_port(batch)
    set_status_items(w, batch, "on barge", p.entry)
    factor = w.factor("travel", f"water:{p.entry}")
    driven = yield from run_legs(w, p.route, len(pids), factor, pids, [exit_], "barge")
    deliver(w, pids, [env.now] * len(pids), exit_, Stage.BARGE, [it.t_join for it in batch], t0)
    yield env.timeout(w.s.barge.unload_h)
    yield from run_legs(w, back(w, driven), 0, factor, (), [p.entry], "empty barge")
    w.barges.give(token)
