"""The summary figures a comparison or a sweep takes of a replication (sim.figures, straight from the run's
records) equal those of the results tables' summary (Results.summary, the reference) to the last digit: the
same floats, not approximately, for the built-in scenario and scenarios of the set, several seeds and
replications, and a run cut short before everything closed. The whole summary from the records
(figures.summary, runner.run_summary) equals Results.summary() as one dict: every key, in the same order,
every figure to the last digit."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.figures import FIGURE_KEYS, figures, group_sums, summary
from sim.model import Model
from sim.paths import builtin_scenario
from sim.plan import compile_plan, load_plan, resolve_network
from sim.results import Results
from sim.runner import run_figures, run_replication, run_summary
from sim.scenario import parse_scenario
from sim.sweep.tasks import summary_row
from sim.variants import variant

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"
EXERCISES = ROOT / "experiments" / "exercises"
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


def whole(plan, seed, replication):
    """The whole summary from the records and the reference summary of the same run."""
    m = Model(plan, seed=seed, replication=replication)
    fast = summary(m.world, m.simulate())
    m = Model(plan, seed=seed, replication=replication)
    return fast, Results.from_model(m.world, m.simulate()).summary()


def differences(a, b, at="") -> list[str]:
    """Where two summaries differ (key path and both values), for the message of a failed test."""
    if same(a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{at}: keys {list(a)} != {list(b)}"] if list(a) != list(b) else []
        return out + [d for k in a if k in b for d in differences(a[k], b[k], f"{at}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{at}[{i}]")]
    return [f"{at}: {a!r} != {b!r}"]


def check_whole(fast, full) -> None:
    assert same(fast, full), differences(fast, full)[:10]


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


# ---- the whole summary ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "replication"), [(None, 0), (None, 3), (7, 1)])
def test_builtin_whole_summary_equals_the_results_summary(builtin, seed, replication):
    fast, full = whole(builtin, seed if seed is not None else builtin.scenario.seed, replication)
    assert full["units"]
    assert full["rail"]
    assert "peak_utilization" in full["bottlenecks"][0]
    check_whole(fast, full)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")) + sorted(EXERCISES.glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_scenario_whole_summary_equals_the_results_summary(path):
    plan = load_plan(path)
    check_whole(*whole(plan, plan.scenario.seed, 1))


def test_whole_summary_with_disruptions_equals_the_results_summary():
    plan = load_plan(SCENARIOS / "belgium_hybrid_attack.yaml")
    fast, full = whole(plan, plan.scenario.seed, 2)
    assert any(d["delay_piece_h"] > 0 and d["closure_delay_piece_h"] >= 0 for d in full["disruptions"])
    check_whole(fast, full)


def test_whole_summary_of_a_run_cut_short_equals_the_results_summary(builtin):
    fast, full = whole(variant(builtin, set={"horizon_h": 150}), builtin.scenario.seed, 0)
    assert full["closure_h"] is None
    assert {w["kind"] for w in full["waiting"]} == {"pieces", "personnel"}
    assert any(u["last_piece_h"] is None for u in full["units"])
    check_whole(fast, full)


def test_whole_summary_under_military_priority_counts_the_same_civil_traffic_displaced():
    """Civil traffic where the military goes first: train paths, berth-hours and serials in peak hours."""
    plan = load_plan(SCENARIOS / "belgium_civil_traffic.yaml")
    fast, full = whole(variant(plan, set={"civil_traffic.priority": "military"}), plan.scenario.seed, 1)
    assert set(full["civil_displaced"]) == {"berth-hours", "civil train paths", "serials in peak hours"}
    check_whole(fast, full)


def test_whole_summary_with_flows_accommodation_and_disruptions_equals_the_results_summary():
    """The README's friction example on the built-in scenario: sustainment flows both ways, host-nation
    accommodation, civil traffic and disruptions."""
    path = builtin_scenario()
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Friction", 1)[1]
    block = text.split("```yaml", 1)[1].split("```", 1)[0]
    data = {**yaml.safe_load(path.read_text(encoding="utf-8")), **yaml.safe_load(block)}
    s = parse_scenario(data, str(path))
    plan = compile_plan(s, str(path), resolve_network(s, path))
    fast, full = whole(plan, s.seed, 0)
    assert {"sustainment_pieces", "sustainment_personnel", "disruptions", "sustainment", "accommodation"} <= set(full)
    check_whole(fast, full)


def test_run_summary_is_the_summary_of_run_replication(builtin):
    seen: list[float] = []
    fast = run_summary(builtin, None, 2, progress=seen.append)
    assert seen
    check_whole(fast, run_replication(builtin, None, 2).summary())


def test_a_missing_key_or_digit_fails_the_comparison(builtin):
    fast, full = whole(builtin, builtin.scenario.seed, 0)
    assert same(fast, full)
    short = dict(fast)
    del short["rail"]
    assert not same(short, full)
    moved = {"rail": fast["rail"], **{k: v for k, v in fast.items() if k != "rail"}}
    assert not same(moved, full)
    off = {**fast, "units": [{**fast["units"][0], "waited_h": fast["units"][0]["waited_h"] + 1e-9}, *fast["units"][1:]]}
    assert not same(off, full)


def test_group_sums_are_pandas_grouped_sums_to_the_last_digit():
    """Kahan's compensated sum per group, rows in order, NaN skipped, infinities as pandas gives them."""
    rng = np.random.default_rng(3)
    values = rng.standard_normal(20_000) * 10.0 ** rng.integers(-6, 9, 20_000)
    values[rng.integers(0, 20_000, 50)] = np.nan
    code = rng.integers(0, 40, 20_000)
    code[code == 7] = 8  # a group with no rows sums to 0.0
    expect = pd.Series(values).groupby(code).sum()
    got = group_sums(code, values, 40)
    assert all(got[int(k)] == v for k, v in expect.items())
    assert got[7] == 0.0
    wild = np.array([1.0, np.inf, 2.0, -1e308, -1e308, 3.0, np.nan, 5.0])
    assert group_sums(np.array([0, 0, 0, 1, 1, 1, 2, 2]), wild, 3) == pd.Series(wild).groupby([0, 0, 0, 1, 1, 1, 2, 2]).sum().tolist()


def test_figures_and_its_imports_leave_pandas_out():
    """sim.figures (and the modules it imports) import no pandas, so a run's summary needs none; checked in a
    fresh process, with the package's own __init__ (which imports everything) left out."""
    code = ("import sys, types; m = types.ModuleType('sim'); m.__path__ = [sys.argv[1]]; sys.modules['sim'] = m; "
            "import sim.figures; print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "sim")], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


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
