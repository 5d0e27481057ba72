"""A scenario with nothing random gives identical replications: the plan warns, the summary over replications
says so, and `rsom run` prints it (instead of intervals of zero width without a word)."""

from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.paths import builtin_scenario
from sim.plan import NOTHING_RANDOM, compile_plan, load_plan, random_sources
from sim.runner import aggregate, run
from sim.scenario import parse_scenario


def test_a_scenario_with_nothing_random_warns_and_says_its_replications_are_identical(tmp_path):
    net = tiny_network(tmp_path / "net")
    data = scenario(net, replications=3)
    plan = compile_plan(parse_scenario(data, "t.yaml"), "t.yaml", net)
    assert random_sources(plan.scenario) == []
    assert [w.field for w in plan.warnings if w.message == NOTHING_RANDOM] == ["replications"]
    summary = aggregate([r.summary() for r in run(plan)])
    assert summary["identical_replications"] is True
    path = write_scenario(tmp_path / "t.yaml", data)
    out = CliRunner().invoke(app, ["run", str(path)])
    assert out.exit_code == 0
    assert "all 3 replications gave the same figures" in out.output


def test_the_built_in_scenario_is_random_and_its_replications_differ():
    plan = load_plan(builtin_scenario())
    assert "times.discharge" in random_sources(plan.scenario)
    assert not [w for w in plan.warnings if w.message == NOTHING_RANDOM]
    summary = aggregate([r.summary() for r in run(plan, replications=2)])
    assert "identical_replications" not in summary
