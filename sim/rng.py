"""One seeded generator per run, split into named streams so each process draws its own numbers
whatever order the others run in."""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """Named random streams derived from (seed, replication); never touches global random state."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)
        self._streams: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._streams.get(name)
        if gen is None:
            key = zlib.crc32(name.encode("utf-8"))
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, key))
            gen = self._streams[name] = np.random.Generator(np.random.PCG64(seq))
        return gen
