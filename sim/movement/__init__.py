"""Onward movement: rail (`rail`), road serials, HETs and buses (`road`), barges (`water`) and
self-deploying helicopters (`air`), on what they share (`legs`). Each is a set of SimPy processes that take
the `World`; none imports reception or staging."""

from __future__ import annotations

from ..ids import Batch, BatchKey
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
        trucked = w.trucks is not None and p.cls in w.s.truck.classes  # on a truck of the pool (road.truck_piece)
        if p.to_origin and staging is not None:
            return BatchKey(Batch.TRUCK if trucked else Batch.TO_STAGING, p.entry, p.force, staging)
        if staging is None:
            return BatchKey(Batch.TRUCK if trucked else Batch.ROAD, p.entry, p.force, p.exit)
        return None
    if p.mode in ("het", "barge"):
        return BatchKey(Batch(p.mode), p.entry, p.force, p.exit)
    return None


def announce(w: World) -> None:
    """Tell every batch how many pieces will join it, so that a group need not wait for pieces that will
    never come: each piece's first batch, and the train a shuttled piece joins after its shuttle. Each piece's
    first batch is kept (World.first_keys) for its hand-over after reception."""
    w.first_keys = [first_batch(w, p.pid) for p in w.plan.pieces]
    for p, key in zip(w.plan.pieces, w.first_keys, strict=True):
        if key is not None:
            w.expect(key, 1)
        if p.mode == "rail" and p.to_origin:
            w.expect(rail.train_key(w, p.pid), 1)


def join(w: World, key: BatchKey, item: Item) -> None:
    """Hand a piece to the batch of `key` (trains, shuttles, road serials to the exit, HET serials, barges)."""
    if key.kind in (Batch.TRAIN, Batch.SHUTTLE, Batch.HET_SHUTTLE):
        rail.join(w, key, item)
    elif key.kind is Batch.BARGE:
        water.join(w, key, item)
    else:
        road.join(w, key, item)
