"""The seed and number of replications of a run, resolved in one place.

A caller (command line, runner, comparison, sweep, report) passes what the user gave, None meaning "not
given"; the scenario's own `seed` and `replications` fill in the rest. Everything downstream then works with
concrete numbers, so a saved result records the seed that really drove its random streams."""

from __future__ import annotations

from typing import Protocol

from .errors import InputError, Problem


class RunDefaults(Protocol):
    """What a scenario supplies: its seed and its number of replications (at least 1)."""

    @property
    def seed(self) -> int: ...

    @property
    def replications(self) -> int: ...


def resolve_run(scenario: RunDefaults, seed: int | None = None, replications: int | None = None) -> tuple[int, int]:
    """(seed, replications): the ones given, else the scenario's. Fewer than one replication is an input error."""
    n = scenario.replications if replications is None else int(replications)
    if n < 1:
        raise InputError([Problem("(run)", "replications", replications, "at least one replication is needed")])
    return (scenario.seed if seed is None else int(seed)), n
