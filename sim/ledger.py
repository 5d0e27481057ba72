"""Where every piece and every person is, and the flat records the results are built from."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .plan import Plan

Move = tuple  # (kind, id, force, unit, cls, count, stage, node, t_in, t_start, t_end)
MOVE_COLUMNS = ["kind", "id", "force", "unit", "cls", "count", "stage", "node", "t_in", "t_start", "t_end"]
MOVE_FIELDS = len(MOVE_COLUMNS)  # the fields of a Move
NOT_ARRIVED = "not arrived"
DELIVERED = "delivered"


class Clock(Protocol):
    """What tells the simulation time (h): the SimPy environment (its `_now`, read directly on the hot path)."""

    _now: float


class _Stopped:
    """A clock at 0 h, for a ledger kept outside a run."""

    _now = 0.0


class Ledger:
    """Piece states (one per piece), personnel counts by state, movement and usage records."""

    def __init__(self, plan: Plan, clock: Clock | None = None):
        n = len(plan.pieces)
        self.clock = clock or _Stopped()  # its `now` (h) dates each piece's present status
        self.moves: list = []  # the Moves one after the other, flat (see move_columns)
        self.usage: list[tuple] = []
        self.blame: list[tuple[str, tuple[int, ...], float]] = []  # (resource, pieces, hours each waited for it)
        self.status = [NOT_ARRIVED] * n
        self.since = [0.0] * n  # when each piece took its present status (h)
        self.node = [p.entry for p in plan.pieces]
        self.entered = [math.nan] * n
        self.delivered = [math.nan] * n
        self.pax: Counter[tuple[str, str, str, str]] = Counter()
        self.pax_since: dict[tuple[str, str, str, str], float] = {}  # when each state last went from empty to held
        self.pax_entered: Counter[tuple[str, str]] = Counter()
        self.pax_delivered: list[tuple[str, str, int, float]] = []  # (force, unit, persons, time)
        self.outstanding = n  # pieces and persons not yet delivered, kept up to date (O(1) to ask)
        for u in plan.units.values():
            if u.personnel:
                self.pax[(u.force, u.unit, NOT_ARRIVED, "")] += u.personnel
                self.outstanding += u.personnel

    def piece(self, pid: int, status: str, node: str) -> None:
        """A piece takes a status at a node, now."""
        self.since[pid] = self.clock._now  # SimPy's clock read without its property: this is the hot path
        self.status[pid] = status
        self.node[pid] = node

    def pieces(self, pids: Iterable[int], status: str, node: str) -> None:
        """Several pieces take the same status at the same node, now."""
        now, since, st, nd = self.clock._now, self.since, self.status, self.node
        for pid in pids:
            since[pid] = now
            st[pid] = status
            nd[pid] = node

    def enter(self, pid: int, t: float, status: str, node: str) -> None:
        self.entered[pid] = t
        self.piece(pid, status, node)

    def deliver(self, pid: int, t: float, node: str) -> None:
        if self.status[pid] != DELIVERED:
            self.outstanding -= 1
        self.delivered[pid] = t
        self.piece(pid, DELIVERED, node)

    def move_pax(self, force: str, unit: str, count: int, frm: tuple[str, str], to: tuple[str, str], t: float) -> None:
        """Move persons between states; counts are conserved by construction."""
        if count <= 0:
            return
        have = self.pax[(force, unit, *frm)]
        if have < count:
            raise RuntimeError(f"ledger: {force}/{unit} has {have} persons {frm}, cannot move {count}")
        self.pax[(force, unit, *frm)] -= count
        key = (force, unit, *to)
        if not self.pax[key]:
            self.pax_since[key] = t
        self.pax[key] += count
        if frm[0] == NOT_ARRIVED:
            self.pax_entered[(force, unit)] += count
        if to[0] == DELIVERED:
            self.pax_delivered.append((force, unit, count, t))
            self.outstanding -= count

    def record(self, kind: str, ident: int, force: str, unit: str, cls: str, count: int, stage: str, node: str,
               t_in: float, t_start: float, t_end: float) -> None:
        """One Move. Kept in one flat list rather than a tuple each: tens of thousands of tuples alive at the
        end of a run are what the garbage collector scans longest (a twentieth of the run), a flat list of
        strings and numbers it passes at once."""
        self.moves += (kind, ident, force, unit, cls, count, stage, node, t_in, t_start, t_end)

    def move_columns(self) -> list[list]:
        """The Moves recorded, as one list per field (in Move order)."""
        return [self.moves[i::MOVE_FIELDS] for i in range(MOVE_FIELDS)]
