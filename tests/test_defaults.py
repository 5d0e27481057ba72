"""Seed and replications: what the user gave wins, the scenario fills in the rest, in one function."""

from types import SimpleNamespace

import pytest

from sim.defaults import resolve_run
from sim.errors import InputError

SC = SimpleNamespace(seed=11, replications=3)


def test_given_values_win_and_the_scenario_fills_the_rest() -> None:
    assert resolve_run(SC) == (11, 3)
    assert resolve_run(SC, seed=5) == (5, 3)
    assert resolve_run(SC, replications=2) == (11, 2)
    assert resolve_run(SC, 0, 1) == (0, 1)  # seed 0 is a seed, not "not given"


def test_no_replications_is_an_input_error() -> None:
    with pytest.raises(InputError):
        resolve_run(SC, replications=0)
