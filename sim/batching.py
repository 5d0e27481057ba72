"""Groups pieces into trains, serials or barge loads: a group leaves when it is full, when its first member
has waited long enough, or when no more members are expected."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Generic, Protocol, TypeVar

import simpy

T = TypeVar("T")  # what is batched (the model's Item)
T_contra = TypeVar("T_contra", contravariant=True)


class Load(Protocol[T_contra]):
    """What a group forming at the head of a batcher holds, and whether the next item still fits."""

    def add(self, item: T_contra) -> bool:
        """Add the item to the group; False (and nothing added) when it does not fit."""

    def reset(self) -> None:
        """Start an empty group."""

    @property
    def full(self) -> bool:
        """No item like the last one added would fit any more."""


class Additive(Generic[T]):
    """A group of items with sizes (1 vehicle, a barge share) that holds up to `capacity`: full when less
    room is left than the last item took. Without `size_of`, every item has size 1."""

    def __init__(self, capacity: float, size_of: Callable[[T], float] | None = None):
        self.capacity, self.size_of = capacity, size_of
        self.n, self.total, self.last = 0, 0.0, 0.0

    def add(self, item: T) -> bool:
        size = self.size_of(item) if self.size_of is not None else 1.0
        if self.n and self.total + size > self.capacity + 1e-9:
            return False
        self.n, self.total, self.last = self.n + 1, self.total + size, size
        return True

    def reset(self) -> None:
        self.n, self.total, self.last = 0, 0.0, 0.0

    @property
    def full(self) -> bool:
        return self.n > 0 and self.capacity - self.total < self.last - 1e-9


class Batcher(Generic[T]):
    """FIFO batching of items for one key (e.g. railhead, force, exit and wagon type).

    The group at the head is measured by a `Load` (e.g. `Additive`: sizes up to a capacity; a train's length
    and mass). A group is full when the next item would not fit or when the load says no item like the last
    would. `dispatch(batch)` is a generator that may wait (for wagons, a barge) before the group leaves;
    the batcher forms the next group only after that.

    The batcher's process sleeps until there is something to decide: put() wakes it only when the queue was empty,
    when the group at the head fills or when nothing more is expected, and one timer per group head wakes it when that
    group's first member has waited `max_wait_h`. Joining a group that stays open costs no event."""

    def __init__(self, env: simpy.Environment, expected: int, max_wait_h: float, load: Load[T],
                 dispatch: Callable[[list[T]], Generator[simpy.Event, Any, None]]):
        self.env, self.expected, self.max_wait_h = env, expected, max_wait_h
        self.load, self.dispatch = load, dispatch
        self.queue: list[tuple[float, T]] = []
        self._wake: simpy.Event | None = None  # set while the process sleeps
        self._timer_due = -1.0  # when the pending timer fires (h); -1: none pending
        self._n, self._closed = 0, False  # the group forming at the head: its items, closed to more
        self._done = False  # the process ended (nothing queued, nothing expected); a later put starts it again
        env.process(self._run())

    def put(self, item: T) -> None:
        if self._done:  # more came after all that was expected had left (pieces diverted here later)
            self._done = False
            self._timer_due = -1.0
            self.env.process(self._run())
        self.queue.append((self.env._now, item))  # SimPy's clock without its property: the hot path of joining
        self.expected -= 1
        if not self._closed:
            self._add(item)
        if self._closed or (self._n > 0 and self.load.full) or self.expected <= 0 or len(self.queue) == 1:
            self._poke()  # full, nothing more expected, or a first item (the process sets a timer)

    def _add(self, item: T) -> None:
        """Add an item to the group at the head, or close the group if it does not fit."""
        if self.load.add(item):
            self._n += 1
        elif self._n:
            self._closed = True
        else:
            raise ValueError("an item that fits no group on its own")

    @property
    def _full(self) -> bool:
        """The group at the head is full: the next item did not fit, or less room is left than the last took."""
        return self._closed or (self._n > 0 and self.load.full)

    def _poke(self, _ev: object = None) -> None:
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def _regroup(self) -> None:
        """Recount the group forming at the head after a group has left."""
        self._n, self._closed = 0, False
        self.load.reset()
        for _, item in self.queue:
            self._add(item)
            if self._closed:
                return

    def fitting(self, fits: Callable[[T], bool]) -> int:
        """How many items at the front of the queue `fits` accepts, in order, up to the first it refuses (for a
        group that is leaving with room left)."""
        n = 0
        while n < len(self.queue) and fits(self.queue[n][1]):
            n += 1
        return n

    def take(self, n: int) -> list[T]:
        """Take the first n items of the queue; the group forming at the head is counted again."""
        taken = [item for _, item in self.queue[:n]]
        del self.queue[:n]
        self._regroup()
        return taken

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env = self.env  # its clock read as env._now, without the property, as in put()
        while True:
            if not self.queue:
                if self.expected <= 0:
                    self._done = True
                    return
                self._wake = env.event()
                yield self._wake
                continue
            due = self.queue[0][0] + self.max_wait_h
            if self._full or self.expected <= 0 or env._now >= due:
                batch = [item for _, item in self.queue[: self._n]]
                del self.queue[: self._n]
                self._regroup()
                yield from self.dispatch(batch)
                continue
            if self._timer_due != due:  # one timer per group head
                self._timer_due = due
                env.timeout(due - env._now).callbacks.append(self._poke)
            self._wake = env.event()
            yield self._wake
