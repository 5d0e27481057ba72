"""Groups pieces into trains, serials or barge loads: a group leaves when it is full, when its first member
has waited long enough, or when no more members are expected."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import simpy

T = TypeVar("T")  # what is batched (the model's Item)


class Batcher(Generic[T]):
    """FIFO batching of items for one key (e.g. railhead, force, exit and wagon type).

    Each item has a size (`size_of`: 1 vehicle, a wagon share, a barge share) and a group holds up to
    `capacity`. A group is full when the next item would not fit or when less room is left than the last
    item took. `dispatch(batch)` is a generator that may wait (for wagons, a barge) before the group leaves;
    the batcher forms the next group only after that.

    The batcher's process sleeps until there is something to decide: put() wakes it only when the queue was empty,
    when the group at the head fills or when nothing more is expected, and one timer per group head wakes it when that
    group's first member has waited `max_wait_h`. Joining a group that stays open costs no event."""

    def __init__(self, env: simpy.Environment, expected: int, max_wait_h: float, capacity: float,
                 size_of: Callable[[T], float], dispatch: Callable[[list[T]], Generator[simpy.Event, Any, None]]):
        self.env, self.expected, self.max_wait_h = env, expected, max_wait_h
        self.capacity, self.size_of, self.dispatch = capacity, size_of, dispatch
        self.queue: list[tuple[float, T]] = []
        self._wake: simpy.Event | None = None  # set while the process sleeps
        self._timer_due = -1.0  # when the pending timer fires (h); -1: none pending
        self._n, self._total, self._last, self._closed = 0, 0.0, 0.0, False  # the group forming at the head
        env.process(self._run())

    def put(self, item: T) -> None:
        self.queue.append((self.env.now, item))
        self.expected -= 1
        if not self._closed:
            self._add(item)
        if self._full or self.expected <= 0 or len(self.queue) == 1:  # a first item: the process sets a timer
            self._poke()

    def _add(self, item: T) -> None:
        """Add an item to the group at the head, or close the group if it does not fit."""
        size = self.size_of(item)
        if self._n and self._total + size > self.capacity + 1e-9:
            self._closed = True
        else:
            self._n, self._total, self._last = self._n + 1, self._total + size, size

    @property
    def _full(self) -> bool:
        """The group at the head is full: the next item did not fit, or less room is left than the last took."""
        return self._closed or (self._n > 0 and self.capacity - self._total < self._last - 1e-9)

    def _poke(self, _ev: object = None) -> None:
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()

    def _regroup(self) -> None:
        """Recount the group forming at the head after a group has left."""
        self._n, self._total, self._last, self._closed = 0, 0.0, 0.0, False
        for _, item in self.queue:
            self._add(item)
            if self._closed:
                return

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        while True:
            if not self.queue:
                if self.expected <= 0:
                    return
                self._wake = env.event()
                yield self._wake
                continue
            due = self.queue[0][0] + self.max_wait_h
            if self._full or self.expected <= 0 or env.now >= due:
                batch = [item for _, item in self.queue[: self._n]]
                del self.queue[: self._n]
                self._regroup()
                yield from self.dispatch(batch)
                continue
            if self._timer_due != due:  # one timer per group head
                self._timer_due = due
                env.timeout(due - env.now).callbacks.append(self._poke)
            self._wake = env.event()
            yield self._wake
