"""The cache of compiled plans (sim/plancache.py): a plan read back gives the same run as one compiled; a
change to the scenario, a scenario it extends, its deployment list or its network gives another key (a stale
plan is never read); the cache can be turned off; a broken entry is compiled again; problems are not cached."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim import plancache
from sim.cli import app
from sim.errors import InputError
from sim.paths import builtin_scenario, networks_dir
from sim.plan import load_plan
from sim.plancache import load_cached, plan_key
from sim.runner import run_figures

SCENARIOS = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(plancache.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def case(tmp_path):
    """The built-in scenario with its deployment list and a copy of its network beside it, in a folder of its
    own."""
    shutil.copytree(networks_dir() / "belgium", tmp_path / "net")
    for f in SCENARIOS.glob("belgium_two_brigades_list*.csv"):
        shutil.copy(f, tmp_path / f.name)
    text = builtin_scenario().read_text(encoding="utf-8")
    assert "\nnetwork: belgium\n" in text
    assert "\nhorizon_h: 1440" in text
    scen = tmp_path / "s.yaml"
    scen.write_text(text.replace("\nnetwork: belgium\n", "\nnetwork: net\n"), encoding="utf-8")
    return scen


def test_a_cached_plan_runs_as_the_compiled_one(cache, case):
    first = load_cached(case)  # compiled and stored
    assert len(list(cache.glob("*.pickle"))) == 1
    again = load_cached(case)  # read back
    assert again is not first
    assert run_figures(again, None, 1) == run_figures(load_plan(case), None, 1)


def test_every_input_is_in_the_key(case, tmp_path):
    key = plan_key(case)
    assert key is not None
    assert plan_key(case) == key
    case.write_text(case.read_text(encoding="utf-8").replace("\nhorizon_h: 1440", "\nhorizon_h: 1500"), encoding="utf-8")
    changed_scenario = plan_key(case)
    assert changed_scenario != key
    table = sorted((tmp_path / "net").glob("*.csv"))[0]
    table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed_network = plan_key(case)
    assert changed_network not in (key, changed_scenario)
    listing = tmp_path / "belgium_two_brigades_list.csv"
    listing.write_text(listing.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert plan_key(case) not in (key, changed_scenario, changed_network)


def test_a_changed_input_is_compiled_again_not_read_stale(cache, case):
    load_cached(case)
    case.write_text(case.read_text(encoding="utf-8").replace("\nhorizon_h: 1440", "\nhorizon_h: 1500"), encoding="utf-8")
    assert load_cached(case).scenario.horizon_h == 1500
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_changed_base_scenario_changes_the_key(case, tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text("base: s.yaml\nname: child\n", encoding="utf-8")
    key = plan_key(child)
    case.write_text(case.read_text(encoding="utf-8").replace("\nhorizon_h: 1440", "\nhorizon_h: 1500"), encoding="utf-8")
    assert plan_key(child) != key


def test_the_cache_can_be_turned_off(monkeypatch, case, tmp_path):
    monkeypatch.setenv(plancache.CACHE_ENV, "off")
    assert plancache.cache_dir() is None
    load_cached(case)
    assert not list(tmp_path.rglob("*.pickle"))


def test_a_broken_entry_is_compiled_again(cache, case):
    load_cached(case)
    entry = next(cache.glob("*.pickle"))
    entry.write_bytes(b"not a pickle")
    plan = load_cached(case)
    assert plan.scenario.name == load_plan(case).scenario.name
    assert entry.read_bytes() != b"not a pickle"  # stored again


def test_problems_are_not_cached(cache, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nforces: 3\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError):
            load_cached(bad)
    assert not list(cache.glob("*.pickle"))


def test_rsom_run_gives_the_same_summary_from_the_cache(cache, case):
    runs = [CliRunner().invoke(app, ["run", str(case), "--json"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    assert len(list(cache.glob("*.pickle"))) == 1
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)


def test_a_relative_path_is_keyed_with_the_folder_it_is_given_from(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = plan_key(Path("s.yaml"))
    assert here not in (None, plan_key(case))  # the plan keeps the path as given
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert plan_key(Path("../s.yaml")) != here



def test_the_bound_is_kept_beside_the_entry(cache, case):
    from sim.bound import closure_bound

    plan = load_cached(case)
    computed = plancache.cached_bound(plan)  # computed, and stored beside the entry
    assert computed == closure_bound(load_plan(case)).as_dict()
    assert len(list(cache.glob("*.bound"))) == 1
    assert plancache.cached_bound(load_cached(case)) == computed  # read back with the plan
    assert plancache.cached_bound(load_plan(case)) == computed  # a plan not from the cache: computed
