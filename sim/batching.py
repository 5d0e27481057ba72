"""Groups pieces into trains, serials or barge loads: a group leaves when it is full, when its first member
has waited long enough, or when no more members are expected."""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy


class Batcher:
    """FIFO batching of items for one key (e.g. railhead, force and exit).

    `fits(batch, item)` says whether an item still fits; `is_full(batch)` whether the group is full without
    waiting for one more item; `dispatch(batch)` is a generator that may wait (for wagons, a barge) before the
    group leaves; the batcher forms the next group only after that."""

    def __init__(self, env: simpy.Environment, expected: int, max_wait_h: float,
                 fits: Callable[[list, object], bool], dispatch: Callable[[list], Generator],
                 is_full: Callable[[list], bool] = lambda batch: False):
        self.env, self.expected, self.max_wait_h = env, expected, max_wait_h
        self.fits, self.dispatch, self.is_full = fits, dispatch, is_full
        self.queue: list[tuple[float, object]] = []
        self._kick = env.event()
        env.process(self._run())

    def put(self, item: object) -> None:
        self.queue.append((self.env.now, item))
        self.expected -= 1
        if not self._kick.triggered:
            self._kick.succeed()

    def _take(self) -> tuple[list, bool]:
        """Fill a batch from the head of the queue; `full` is True when an item was left out for lack of room."""
        batch: list = []
        for _, item in self.queue:
            if batch and not self.fits(batch, item):
                return batch, True
            batch.append(item)
        return batch, self.is_full(batch)

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
