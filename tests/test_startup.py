"""Start-up of the command line: the objects the package's imports made are frozen in the command line's own
process only; `rsom run` on a plan from the cache of compiled plans imports neither pandas nor networkx (the
tables and graphs are pickled nested, sim/nested.py, and the routes its runs found are kept beside the plan);
what is nested reads back as it was."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from sim import plancache
from sim.network import TABLES, load_network
from sim.paths import builtin_scenario, networks_dir
from sim.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("argv", "frozen"), [(["/venv/bin/rsom"], True), (["python", "-m", "sim.cli"], True),
                                              (["python", "-m", "sim.clidoc"], False),
                                              (["python", "notebook.py"], False)])
def test_only_the_command_line_freezes_what_the_imports_made(argv, frozen):
    """`rsom` and `python -m sim.cli` freeze the objects the package's imports made (start-up); a program that
    imports the package keeps its collector as it was, enabled and with nothing frozen."""
    code = (f"import sys; sys.orig_argv = {argv!r}; sys.argv = [{argv[-1]!r}]; import gc, sim.cli; "
            "print(gc.get_freeze_count() > 0, gc.isenabled())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == [str(frozen), "True"]


DRIVER = """
import json, sys
sys.argv = ["rsom", "run", "--json"]
from sim.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
# a module put in place to be loaded on first use has no submodules yet: those show what was loaded
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules if "." in m and m.split(".")[0] in ("pandas", "networkx",
                                                                                              "pyarrow")})),
      file=sys.stderr)
"""


def test_rsom_run_from_the_cache_imports_neither_pandas_nor_networkx(tmp_path):
    """The first run compiles the plan (pandas reads the tables, networkx builds the graph) and stores it with
    the routes the run found; the second reads it back and runs without importing either, with the same
    summary."""
    env = {"RSOM_PLAN_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    runs = [subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=False) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-2000:]
    first, second = (json.loads(r.stderr.strip().splitlines()[-1]) for r in runs)
    assert "pandas" in first  # it compiled: pandas read the tables,
    assert "networkx" in first  # and networkx built the graph
    assert second == [], second
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)
    assert len(list((tmp_path / "cache").glob("*.routes"))) == 1


def test_a_network_read_back_has_its_tables_and_rows():
    net = load_network(networks_dir() / "belgium")
    back = pickle.loads(pickle.dumps(net))
    assert "_nested" in back.__dict__  # the tables not read yet
    assert "nodes" not in back.__dict__
    assert all(back.rows(t) == net.rows(t) for t in TABLES)  # plain rows, without reading the tables
    assert "_nested" in back.__dict__
    for t in (*TABLES, "sources", "investments"):
        assert back.table(t).equals(net.table(t)), t
    assert back.problems == net.problems
    assert "_nested" not in back.__dict__


def test_a_plan_read_back_keeps_its_nodes_and_finds_the_same_routes():
    plan = load_plan(builtin_scenario())
    back = pickle.loads(pickle.dumps(plan))
    assert list(back.nodes) == sorted(plan.graph.nodes)
    assert "_nested" in back.router.__dict__  # no graph read for the nodes
    pairs = [("rail", "leopoldsburg_rail", "de_aachen_west"), ("road", "antwerp_aet", "de_lichtenbusch")]
    for mode, a, b in pairs:
        assert back.router.route(mode, a, b) == plan.router.route(mode, a, b)
    learned = pickle.loads(pickle.dumps(back.router.learned()))
    fresh = pickle.loads(pickle.dumps(plan)).router
    fresh.learn(learned)
    for mode, a, b in pairs:
        assert fresh.route(mode, a, b) == plan.router.route(mode, a, b)
    assert "_nested" in fresh.__dict__  # answered from what it learned, without its graphs


def test_the_routes_are_kept_beside_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv(plancache.CACHE_ENV, str(tmp_path))
    plan = plancache.load_cached(builtin_scenario())
    plancache.keep_routes(plan)
    n = plan.router.answers()
    assert n > 0
    assert len(list(tmp_path.glob("*.routes"))) == 1
    assert plancache.load_cached(builtin_scenario()).router.answers() == n


def test_a_pickled_plan_does_not_depend_on_the_process_string_hashes():
    """The bytes of a pickled plan (what the cache stores and the twins' fingerprint hashes) are the same in two
    processes with other string hashes: nothing in it keeps the order of a set."""
    code = ("import hashlib, pickle; from sim.plan import load_plan; from sim.paths import builtin_scenario; "
            "print(hashlib.sha256(pickle.dumps(load_plan(builtin_scenario()), protocol=5)).hexdigest())")
    prints = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                             env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
                             ).stdout.strip() for seed in ("1", "2")}
    assert len(prints) == 1, prints
