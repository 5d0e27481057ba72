"""The summary figures a comparison or a sweep takes of a replication (sim.figures, straight from the run's
records) equal those of the results tables' summary (Results.summary, the reference) to the last digit: the
same floats, not approximately, for the built-in scenario and scenarios of the set, several seeds and
replications, and a run cut short before everything closed."""

import math
from pathlib import Path

import pytest

from sim.figures import FIGURE_KEYS, figures
from sim.model import Model
from sim.paths import builtin_scenario
from sim.plan import load_plan
from sim.results import Results
from sim.runner import run_figures, run_replication
from sim.sweep.tasks import summary_row
from sim.variants import variant

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"
BOUND = {"bound_h": 1.0, "bound_by": "x"}


def same(a, b) -> bool:
    """Equal to the last digit, NaN equal to NaN, dicts and lists element by element (and in the same order)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def both(plan, seed, replication):
    """The fast figures and the reference summary of the same run (simulated twice: the count of events is
    read once per run, as it draws from SimPy's event ids)."""
    m = Model(plan, seed=seed, replication=replication)
    fast = figures(m.world, m.simulate())
    m = Model(plan, seed=seed, replication=replication)
    return fast, Results.from_model(m.world, m.simulate()).summary()


def check(fast, full) -> None:
    assert set(fast) <= set(FIGURE_KEYS) | {"units"}
    for key, value in fast.items():
        if key in ("bottlenecks", "units", "disruptions"):  # their entries carry a subset of the summary's fields
            assert len(value) == len(full[key] if key != "bottlenecks" else full[key][:len(value)]), key
            for f, s in zip(value, full[key]):
                assert same(f, {k: s[k] for k in f}), (key, f, s)
        else:
            assert same(value, full[key]), (key, value, full[key])
    assert "disruptions" in fast or "disruptions" not in full
    assert same(summary_row(fast, BOUND), summary_row(full, BOUND))


@pytest.fixture(scope="module")
def builtin():
    return load_plan(builtin_scenario())


@pytest.mark.parametrize(("seed", "replication"), [(None, 0), (None, 3), (7, 1)])
def test_builtin_figures_equal_the_summary(builtin, seed, replication):
    fast, full = both(builtin, seed if seed is not None else builtin.scenario.seed, replication)
    assert full["bottlenecks"]
    assert fast["closure_h"] is not None
    check(fast, full)


@pytest.mark.parametrize("name", ["belgium_hybrid_attack", "belgium_stationing", "belgium_aps_draw",
                                  "belgium_civil_traffic", "belgium_outload"])
@pytest.mark.parametrize("replication", [0, 2])
def test_scenario_set_figures_equal_the_summary(name, replication):
    plan = load_plan(SCENARIOS / f"{name}.yaml")
    fast, full = both(plan, plan.scenario.seed, replication)
    check(fast, full)


def test_hybrid_attack_has_disruptions_and_they_agree():
    plan = load_plan(SCENARIOS / "belgium_hybrid_attack.yaml")
    fast, full = both(plan, plan.scenario.seed, 1)
    assert fast["disruptions"]
    assert any(d["delay_piece_h"] > 0 for d in fast["disruptions"])
    check(fast, full)


def test_a_run_cut_short_agrees_where_nothing_closed(builtin):
    short = variant(builtin, set={"horizon_h": 150})
    fast, full = both(short, builtin.scenario.seed, 0)
    assert fast["closure_h"] is None
    assert fast["pieces"]["in_system"] > 0
    check(fast, full)


def test_run_figures_is_the_run_of_run_replication(builtin):
    fast = run_figures(builtin, None, 1)
    assert same(summary_row(fast, BOUND), summary_row(run_replication(builtin, None, 1).summary(), BOUND))


def test_the_version_constant_is_the_installed_metadata():
    """sim.version is a constant (no metadata read at start-up); pyproject.toml takes it from there, so an
    installed package says the same."""
    from importlib.metadata import PackageNotFoundError, version

    from sim import __version__

    try:
        installed = version("belgium-rsom")
    except PackageNotFoundError:  # a source tree that is not installed
        pytest.skip("the package is not installed")
    assert __version__ == installed
