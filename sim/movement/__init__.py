"""Onward movement: rail (`rail`), road serials, HETs and buses (`road`), barges (`water`) and
self-deploying helicopters (`air`), on what they share (`legs`). Each is a set of SimPy processes that take
the `World`; none imports reception or staging."""

from __future__ import annotations

from ..ids import Batch, BatchKey
from ..plan import Plan
from ..world import Item, World
from . import air, rail, road, water
from .road import halt_time, march

__all__ = ["air", "announce", "first_batch", "halt_time", "join", "march", "rail", "road", "water"]


def first_batch(w: World, pid: int) -> BatchKey | None:
    """The batch a piece joins first after reception (None: it moves alone, or is already at its staging area)."""
    p = w.pieces[pid]
    if p.mode == "rail":
        if p.to_origin:  # shuttled to its railhead (in a serial or on a HET), then into a train
            kind = Batch.HET_SHUTTLE if p.het_shuttle else Batch.SHUTTLE
            return BatchKey(kind, p.entry, p.force, p.railhead or p.entry)
        return rail.train_key(w, pid)
    if p.mode == "road":
        staging = w.plan.units[(p.force, p.unit)].staging
        trucked = road.on_truck(w, p.cls)
        if p.to_origin and staging is not None:
            return BatchKey(Batch.TRUCK if trucked else Batch.TO_STAGING, p.entry, p.force, staging)
        if staging is None:
            return BatchKey(Batch.TRUCK if trucked else Batch.ROAD, p.entry, p.force, p.exit)
        return None
    if p.mode in ("het", "barge"):
        return BatchKey(Batch(p.mode), p.entry, p.force, p.exit)
    return None


_ANNOUNCED: dict[int, tuple[Plan, list[BatchKey | None], dict[BatchKey, int]]] = {}
_MAX_PLANS = 16  # plans whose announcements are kept (a sweep's worker runs a few variants in turn)


def announce(w: World) -> None:
    """Tell every batch how many pieces will join it, so that a group need not wait for pieces that will
    never come: each piece's first batch, and the train a shuttled piece joins after its shuttle. Each piece's
    first batch is kept (World.first_keys) for its hand-over after reception. Before the run starts both
    depend on the plan alone (its pieces, units and pools), so they are worked out once per plan and each
    replication takes them: a tenth of building a run."""
    kept = _ANNOUNCED.get(id(w.plan))
    if kept is None or kept[0] is not w.plan:  # the same id for another plan once the first is gone: afresh
        keys = [first_batch(w, p.pid) for p in w.plan.pieces]
        counts: dict[BatchKey, int] = {}  # in the order the batches are first named, as one expect() a piece
        for p, key in zip(w.plan.pieces, keys, strict=True):
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
            if p.mode == "rail" and p.to_origin:
                train = rail.train_key(w, p.pid)
                counts[train] = counts.get(train, 0) + 1
        if len(_ANNOUNCED) >= _MAX_PLANS:
            _ANNOUNCED.pop(next(iter(_ANNOUNCED)))
        kept = _ANNOUNCED[id(w.plan)] = (w.plan, keys, counts)
    w.first_keys = kept[1]  # read only
    for key, n in kept[2].items():
        w.expect(key, n)


def join(w: World, key: BatchKey, item: Item) -> None:
    """Hand a piece to the batch of `key` (trains, shuttles, road serials to the exit, HET serials, barges)."""
    if key.kind in (Batch.TRAIN, Batch.SHUTTLE, Batch.HET_SHUTTLE):
        rail.join(w, key, item)
    elif key.kind is Batch.BARGE:
        water.join(w, key, item)
    else:
        road.join(w, key, item)
