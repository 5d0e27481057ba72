"""The one import for notebooks, `import sim as rsom`: the README's example run from outside the repository,
scenarios found by name, variants of a loaded plan (set, add, scale), comparisons of plans, plots that overlay
variants and draw into given axes, short reprs and the summaries of replications as DataFrames."""

import ast
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from netkit import scenario, tiny_network, write_scenario

import sim as rsom
from sim import statistics
from sim.errors import InputError
from sim.paths import builtin_scenario, find_scenario

ROOT = Path(__file__).resolve().parent.parent
BERTH = {"name": "second_berth", "cost_eur": 50e6,
         "changes": [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]}


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    """One force on the tiny network whose four ships wait for its single berth (exponential discharge, so
    replications differ), with a second berth to buy."""
    d = tmp_path_factory.mktemp("api")
    net = tiny_network(d / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 300, "tracked": 20}]},
                    times={"discharge": "exponential"}, custom_investments=[BERTH], replications=2)
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 0}] * 4
    return write_scenario(d / "s.yaml", data)


@pytest.fixture(scope="module")
def plan(scenario_file):
    return rsom.load(scenario_file)


@pytest.fixture(scope="module")
def runs(plan):
    return rsom.run(plan)


@pytest.fixture(scope="module")
def berth_runs(plan):
    return rsom.run(rsom.variant(plan, add={"seaports.port.berths": 1}, name="two berths"))


@pytest.fixture
def no_pyplot_left():
    """Plots are built without pyplot: a test leaves no pyplot figure open."""
    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


# ---- the README's example ----------------------------------------------------------------------------------
def readme_example() -> tuple[str, str]:
    """The Python block of the README's "From Python" section and the output it shows for it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## From Python", 1)[1]
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    shown = text.split("```text\n", 1)[1].split("```", 1)[0]
    return code, shown


@pytest.mark.slow
def test_readme_example_runs_from_outside_the_repository(tmp_path):
    assert ROOT not in tmp_path.parents
    code, shown = readme_example()
    assert "import sim as rsom" in code
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    # results are reproducible, so the README shows exactly what the example prints (update it with the model)
    assert done.stdout == shown, f"the README's shown output is out of date; the example prints:\n{done.stdout}"
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Replications('Belgium - two brigade-equivalents east', seed 20270201, 3 replications")
    saved = next(line for line in lines if line.split()[1:3] == ["more", "wagons"]).split()[4]
    assert float(saved) > 0  # 40 more heavy flat wagons (the binding fleet) close the deployment sooner
    assert (tmp_path / "closure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- finding and loading scenarios -------------------------------------------------------------------------
def test_a_scenario_is_found_by_name_or_by_path_from_any_folder(tmp_path, monkeypatch, scenario_file):
    monkeypatch.chdir(tmp_path)
    assert find_scenario("belgium_two_brigades") == builtin_scenario()
    assert find_scenario("belgium_two_brigades.yaml") == builtin_scenario()
    assert find_scenario(None) == builtin_scenario()
    assert find_scenario("starter").name == "starter.yaml"
    (tmp_path / "mine.yaml").write_text(scenario_file.read_text(encoding="utf-8"), encoding="utf-8")
    assert find_scenario("mine.yaml") == tmp_path / "mine.yaml"  # relative to the current folder, made absolute
    with pytest.raises(InputError) as exc:
        find_scenario("experiments/scenarios/belgium_two_brigade.yaml")  # a path that only works elsewhere
    assert "belgium_two_brigades" in str(exc.value)  # the names that work anywhere
    assert set(rsom.builtin_scenarios()) >= {"belgium_two_brigades", "starter"}


def test_load_and_run_take_a_file_relative_to_the_current_folder(tmp_path, monkeypatch, scenario_file, runs):
    monkeypatch.chdir(scenario_file.parent)
    plan = rsom.load(scenario_file.name)
    assert Path(plan.file).is_absolute()
    monkeypatch.chdir(tmp_path)  # a plan loaded by a relative path still runs from elsewhere
    again = rsom.run(plan)
    assert [r.summary()["closure_h"] for r in again] == [r.summary()["closure_h"] for r in runs]


# ---- variants of a loaded plan -----------------------------------------------------------------------------
def test_variant_sets_adds_and_scales_the_cells_named_and_leaves_the_plan_alone(plan):
    v = rsom.variant(plan, set={"links.l_port_exit.paths_per_day": 6, "horizon_h": 3000},
                     add={"seaports.port.berths": 2, "pools.hets": 5},
                     scale={"railheads.port.load_h": 0.5, "pools.buses": 2, "convoy.max_vehicles": 2})
    net, base = v.network, plan.network
    assert net.links.at["l_port_exit", "paths_per_day"] == 6
    assert net.seaports.at["port", "berths"] == 1 + 2
    assert net.railheads.at["port", "load_h"] == pytest.approx(4 * 0.5)
    assert net.railheads.at["exit_rail", "load_h"] == 4  # only the row named
    assert v.scenario.pools.hets == 40 + 5
    assert v.scenario.pools.buses == 60 * 2
    assert v.scenario.horizon_h == 3000
    assert v.scenario.convoy.max_vehicles == 40
    assert isinstance(v.scenario.convoy.max_vehicles, int)
    assert {(c.table, c.key, c.attribute, c.op, c.value) for c in v.parameters} == {
        ("links", "l_port_exit", "paths_per_day", "set", 6.0), ("seaports", "port", "berths", "add", 2.0),
        ("pools", "hets", "count", "add", 5.0), ("railheads", "port", "load_h", "mul", 0.5),
        ("pools", "buses", "count", "mul", 2.0)}
    # the plan the variant came from is as it was
    assert base.links.at["l_port_exit", "paths_per_day"] == 24
    assert base.seaports.at["port", "berths"] == 1
    assert base.railheads.at["port", "load_h"] == 4
    assert (plan.scenario.pools.hets, plan.scenario.pools.buses) == (40, 60)
    assert plan.scenario.horizon_h == 2000
    assert plan.scenario.convoy.max_vehicles == 20
    assert plan.parameters == ()


def test_a_variant_of_a_variant_keeps_the_first_changes(plan):
    first = rsom.variant(plan, add={"seaports.port.berths": 1}, set={"horizon_h": 2500})
    second = rsom.variant(first, add={"seaports.port.berths": 1}, investments=["second_berth"], name="three berths")
    assert second.network.seaports.at["port", "berths"] == 1 + 1 + 1 + 1  # two parameters and the investment
    assert second.scenario.horizon_h == 2500
    assert second.scenario.name == "three berths"
    assert [i.name for i in second.investments] == ["second_berth"]
    assert first.network.seaports.at["port", "berths"] == 2
    assert first.investments == ()


@pytest.mark.parametrize(("kw", "needle"), [
    ({"set": {"pools.hets": 50}, "add": {"pools.hets": 5}}, "more than one of set, add and scale"),
    ({"add": {"name": 1}}, "add needs a number"),
    ({"scale": {"pools.hets": -1}}, "pools.hets"),
    ({"add": {"seaports.port.berths": -5}}, "berths"),
    ({"scale": {"seaports.nowhere.berths": 2}}, "unknown seaports row"),
    ({"add": {"convoy.max_vehicle": 1}}, "no field"),
    ({"investments": ["golden_bridge"]}, "golden_bridge"),
])
def test_a_bad_variant_is_an_input_error(plan, kw, needle):
    with pytest.raises(InputError) as exc:
        rsom.variant(plan, **kw)
    assert needle in str(exc.value)


# ---- comparisons --------------------------------------------------------------------------------------------
def test_compare_takes_a_loaded_plan_and_gives_what_the_file_gives(plan, scenario_file):
    from sim.compare import compare as compare_file

    by_plan = rsom.compare(plan, ["second_berth"])
    by_file = compare_file(scenario_file, ["second_berth"], workers=1)
    assert list(by_plan["name"]) == ["baseline", "second_berth"]
    pd.testing.assert_frame_equal(by_plan, by_file)
    assert by_plan.loc[1, "saved_h_mean"] > 0


def test_compare_plans_pairs_replications_and_counts_only_new_investments(plan):
    table = rsom.compare_plans({"baseline": plan, "same": rsom.variant(plan, set={"pools.buses": 60}),
                                "berth": rsom.variant(plan, investments=["second_berth"])}).set_index("name")
    assert list(table.index) == ["baseline", "same", "berth"]
    assert (table["replications"] == 2).all()
    # common random numbers: a change that changes nothing saves exactly nothing, in every replication
    assert table.at["same", "saved_h_mean"] == 0.0 == table.at["same", "saved_h_ci95_hi"]
    assert table.at["berth", "saved_h_mean"] > 0
    assert table.at["berth", "cost_eur"] == 50e6
    assert table.at["berth", "investments"] == "second_berth"
    assert table.at["same", "cost_eur"] == 0.0


# ---- plots --------------------------------------------------------------------------------------------------
def named_lines(ax) -> list:
    """The lines of an axes that the legend names (not the 50 % and 90 % guides)."""
    return [ln for ln in ax.lines if not ln.get_label().startswith("_")]


def full_at_h(line) -> float:
    """When a closure curve first reaches 100 % (h)."""
    y = np.asarray(line.get_ydata(), dtype=float)
    return float(np.asarray(line.get_xdata(), dtype=float)[np.argmax(y >= 1.0)]) * 24


def test_overlay_draws_one_line_per_variant_named_in_the_legend(runs, berth_runs, no_pyplot_left):
    fig = rsom.plot_closure({"baseline": runs[0], "two berths": berth_runs[0]})
    ax = fig.axes[0]
    drawn = named_lines(ax)
    assert [ln.get_label() for ln in drawn] == ["baseline", "two berths"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline", "two berths"]
    assert drawn[0].get_color() != drawn[1].get_color()
    for line, r in zip(drawn, (runs[0], berth_runs[0])):  # each line is its own variant's closure curve
        assert full_at_h(line) == pytest.approx(r.force_pieces["delivered_h"].max(), abs=1.0)
    assert full_at_h(drawn[1]) < full_at_h(drawn[0])  # the second berth closes sooner
    assert "baseline" in ax.get_title()
    assert "two berths" in ax.get_title()
    # replications of each variant: a median line and a band per variant
    fig = rsom.plot_closure({"baseline": runs, "two berths": berth_runs})
    ax = fig.axes[0]
    assert [ln.get_label() for ln in named_lines(ax)] == ["baseline (median)", "two berths (median)"]
    assert len(ax.collections) == 2
    # a single result is drawn as before: one line per brigade
    assert [ln.get_label() for ln in named_lines(rsom.plot_closure(runs[0]).axes[0])] == ["f"]


def test_every_plot_draws_into_the_axes_given_and_returns_their_figure(runs, no_pyplot_left):
    frame = pd.DataFrame({"name": ["baseline", "berth"], "cost_eur": [0, 50e6], "saved_h_mean": [0.0, 24.0],
                          "saved_h_ci95_lo": [np.nan, 12.0], "saved_h_ci95_hi": [np.nan, 36.0], "replications": [2, 2]})
    draws = {
        "closure": (lambda ax: rsom.plot_closure(runs, ax=ax), lambda ax: len(named_lines(ax)) == 1),
        "throughput": (lambda ax: rsom.plot_throughput(runs, ax=ax), lambda ax: len(ax.patches) > 0),
        "gantt": (lambda ax: rsom.plot_gantt(runs[0], ax=ax), lambda ax: len(ax.images) == 1),
        "map": (lambda ax: rsom.plot_map(runs[0], ax=ax), lambda ax: len(ax.lines) > 0),
        "investments": (lambda ax: rsom.plot_investments(frame, ax=ax),
                        lambda ax: [t.get_text() for t in ax.get_yticklabels()] == ["berth  (EUR 50.0 M)"]),
    }
    for name, (draw, drawn) in draws.items():
        fig = Figure(figsize=(12, 5))
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        assert draw(right) is fig, name
        assert drawn(right), name
        assert [len(left.lines), len(left.patches), len(left.images), len(left.collections)] == [0, 0, 0, 0], name
        assert right.get_title(), name
        fig.canvas.draw()
    fig = Figure(figsize=(12, 6))
    FigureCanvasAgg(fig)
    sub = fig.subfigures(1, 2)[1]
    assert rsom.plot_closure(runs, ax=sub.add_subplot()) is fig  # the root figure of a subfigure


def test_congestion_draws_one_panel_per_axes_given(runs, no_pyplot_left):
    fig = Figure(figsize=(10, 6))
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    assert rsom.plot_congestion(runs[0], ax=[top, bottom]) is fig
    busiest = runs[0].resource_stats()
    busiest = busiest.loc[busiest["uses"] > 0, "resource"].head(2).tolist()
    assert [re.search(r"\[(.+?)\]", ax.get_title(loc="left")).group(1) for ax in (top, bottom)] == busiest
    assert top.lines
    assert bottom.lines
    assert not fig.get_suptitle()  # the caller's figure keeps its own title
    one = Figure()
    FigureCanvasAgg(one)
    ax = one.add_subplot()
    rsom.plot_congestion(runs[0], ax=ax)
    assert f"[{busiest[0]}]" in ax.get_title(loc="left")
    assert ax.get_title(loc="left").startswith("1. ")


# ---- reprs and summaries ------------------------------------------------------------------------------------
def test_reprs_are_one_line_naming_scenario_seed_and_closure(plan, runs):
    r = runs[0]
    closure = r.summary()["closure_h"]
    text = repr(r)
    assert len(text) < 300
    assert "\n" not in text
    assert "'tiny'" in text
    assert "seed 1" in text
    assert "replication 0" in text
    assert f"closure {closure:,.1f} h" in text
    many = repr(runs)
    assert len(many) < 300
    assert "\n" not in many
    assert "'tiny'" in many
    assert "seed 1" in many
    assert "2 replications" in many
    mean = sum(x.summary()["closure_h"] for x in runs) / 2
    assert f"closure mean {mean:,.1f} h" in many
    assert len(repr(plan)) < 300
    assert "'tiny'" in repr(plan)
    assert len(repr(rsom.bound(plan))) < 300
    assert "closure >=" in repr(rsom.bound(plan))


def test_a_run_that_does_not_close_says_so(plan):
    short = rsom.run(rsom.variant(plan, set={"horizon_h": 5}), replications=1)
    assert short[0].closure_h is None
    assert "not closed" in repr(short[0])


def test_run_returns_a_list_of_results_with_summaries_as_dataframes(runs):
    assert isinstance(runs, list)
    assert all(isinstance(r, rsom.Results) for r in runs)
    frame = runs.summary_frame()  # one row per replication
    assert list(frame["replication"]) == [0, 1]
    assert {"replication", "seed", "closure_h", "end_h", "events", "pieces_delivered", "personnel_delivered"} <= set(frame.columns)
    assert frame["closure_h"].tolist() == [r.summary()["closure_h"] for r in runs]
    assert frame["closure_h"].nunique() == 2  # the replications differ (exponential discharge)
    assert [r.closure_h for r in runs] == pytest.approx(frame["closure_h"].tolist(), abs=1e-4)
    per_force = runs.closure_frame()  # one row per replication and force
    assert len(per_force) == 2
    assert set(statistics.CLOSURE_KEYS) <= set(per_force.columns)
    assert runs.summary() == rsom.aggregate([r.summary() for r in runs])
    stats = statistics.closure_stats(frame)
    assert stats.at[0, "mean"] == pytest.approx(frame["closure_h"].mean())


# ---- the public names ---------------------------------------------------------------------------------------
def test_every_public_name_is_there_and_the_modules_behind_them_still_import():
    for name in rsom.__all__:
        assert getattr(rsom, name) is not None, name
    from sim.bound import closure_bound
    from sim.compare import compare
    from sim.plots import plot_closure

    assert rsom.compare is compare
    assert rsom.bound is closure_bound
    assert rsom.plot_closure is plot_closure
    assert set(rsom.__all__) <= set(dir(rsom))
    with pytest.raises(AttributeError):
        _ = rsom.plot_nothing


def test_the_notebooks_extra_installs_jupyterlab_and_what_the_notebooks_import():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in reqs}

    extra = names(meta["optional-dependencies"]["notebooks"])
    assert {"jupyterlab", "ipykernel"} <= extra
    installed = names(meta["dependencies"]) | extra
    dists = packages_distributions()
    imported = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                code = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith("%"))
                for node in ast.walk(ast.parse(code)):
                    if isinstance(node, ast.Import):
                        imported |= {a.name.split(".")[0] for a in node.names}
                    elif isinstance(node, ast.ImportFrom) and node.module:
                        imported.add(node.module.split(".")[0])
    assert "sim" in imported
    for module in sorted(imported - {"sim"}):
        assert {d.lower().replace("_", "-") for d in dists.get(module, [])} & installed, module


def test_closure_h_matches_the_summary_on_every_replication(runs):
    for r in runs:
        s = r.summary()["closure_h"]
        assert r.closure_h is not None
        assert math.isclose(r.closure_h, s, abs_tol=1e-4)
