"""Groups pieces into trains, serials or barge loads: a group leaves when it is full, when its first member
has waited long enough, or when no more members are expected."""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy


class Batcher:
    """FIFO batching of items for one key (e.g. railhead, force, exit and wagon type).

    Each item has a size (`size_of`: 1 vehicle, a wagon share, a barge share) and a group holds up to
    `capacity`. A group is full when the next item would not fit or when less room is left than the last
    item took. `dispatch(batch)` is a generator that may wait (for wagons, a barge) before the group leaves;
    the batcher forms the next group only after that."""

    def __init__(self, env: simpy.Environment, expected: int, max_wait_h: float, capacity: float,
                 size_of: Callable[[object], float], dispatch: Callable[[list], Generator]):
        self.env, self.expected, self.max_wait_h = env, expected, max_wait_h
        self.capacity, self.size_of, self.dispatch = capacity, size_of, dispatch
        self.queue: list[tuple[float, object]] = []
        self._kick = env.event()
        env.process(self._run())

    def put(self, item: object) -> None:
        self.queue.append((self.env.now, item))
        self.expected -= 1
        if not self._kick.triggered:
            self._kick.succeed()

    def _take(self) -> tuple[list, bool]:
        """Fill a group from the head of the queue; returns it and whether it is full."""
        batch: list = []
        total, last = 0.0, 0.0
        for _, item in self.queue:
            size = self.size_of(item)
            if batch and total + size > self.capacity + 1e-9:
                return batch, True
            batch.append(item)
            total, last = total + size, size
        return batch, self.capacity - total < last - 1e-9

    def _run(self) -> Generator:
        while True:
            if not self.queue:
                if self.expected <= 0:
                    return
                self._kick = self.env.event()
                yield self._kick
                continue
            batch, full = self._take()
            oldest = self.queue[0][0]
            due = oldest + self.max_wait_h
            if full or self.expected <= 0 or self.env.now >= due:
                del self.queue[: len(batch)]
                yield from self.dispatch(batch)
                continue
            self._kick = self.env.event()
            yield self._kick | self.env.timeout(due - self.env.now)
