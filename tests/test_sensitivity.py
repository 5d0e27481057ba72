"""What the answer rests on: assumption groups moved low and high, ranked by their effect on closure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.plan import load_plan
from sim.runner import run_replication
from sim.sensitivity import GROUPS, sensitivity, user_group
from sim.variants import variant

MODES = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail"], "helicopter": ["air"]}


def _path(tmp_path: Path) -> Path:
    """Twelve tracked vehicles by rail on two heavy flats (one vehicle each): the wagons set closure, HETs and
    buses play no part."""
    net = tiny_network(tmp_path / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 40, "tracked": 12}]}, modes=MODES,
                    pools={"wagons": {"heavy_flat": 2}, "hets": 4})
    return write_scenario(tmp_path / "s.yaml", data)


def test_the_group_that_sets_closure_ranks_first_and_idle_ones_have_no_effect(tmp_path: Path) -> None:
    plan = load_plan(_path(tmp_path))
    base, ranked = sensitivity(plan)
    assert base == run_replication(plan).summary()["closure_h"]
    names = [a.group for a in ranked]
    assert names[0] == "wagon pools"
    wagons = ranked[0]
    lo = run_replication(variant(plan, scale={"pools.wagons.heavy_flat": 0.5})).summary()["closure_h"]
    hi = run_replication(variant(plan, scale={"pools.wagons.heavy_flat": 1.5})).summary()["closure_h"]
    assert (wagons.closure_low_h, wagons.closure_high_h) == pytest.approx((lo, hi))
    assert wagons.effect_h == pytest.approx(hi - lo)
    assert lo > base > hi  # one wagon is slower than two, three faster
    het = next(a for a in ranked if a.group == "HET pool")
    assert het.effect_h == 0  # no piece rides a HET here
    assert abs(wagons.effect_h) >= max(abs(a.effect_h) for a in ranked)
    assert "far-end transit" not in names  # the scenario has no far ends: nothing to move


def test_a_group_of_the_user_s_and_the_json(tmp_path: Path) -> None:
    path = _path(tmp_path)
    res = CliRunner().invoke(app, ["sensitivity", str(path), "--only-mine", "--group",
                                   "heavy flats:pools.wagons.heavy_flat=1,4", "--group", "buses:pools.buses=1,100",
                                   "--json", "--plot", str(tmp_path / "t.png")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [a["group"] for a in out["assumptions"]] == ["heavy flats", "buses"]
    flats = out["assumptions"][0]
    assert flats["closure_low_h"] > flats["closure_high_h"]
    assert out["assumptions"][1]["effect_h"] == 0
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text", ["no colon", "name:pools.hets", "name:pools.hets=1", "name:pools.hets=1,2,3", ":pools.hets=1,2"])
def test_a_bad_group_is_named(text: str) -> None:
    with pytest.raises(InputError) as exc:
        user_group(text)
    assert "NAME:PARAMETER=LOW,HIGH" in str(exc.value)


def test_every_builtin_group_states_its_range() -> None:
    assert len({g.name for g in GROUPS}) == len(GROUPS)
    assert all(g.low and g.high and g.what for g in GROUPS)


def test_the_report_opens_with_what_the_answer_rests_on(tmp_path: Path) -> None:
    from sim.report import write_report

    html = write_report(_path(tmp_path), tmp_path / "r", sensitivity=True).read_text(encoding="utf-8")
    first, key = html.index("What the answer rests on"), html.index("Key figures")
    assert first < key
    assert "Closure rests most on wagon pools" in html


def test_the_sensitivity_table_fits_100_columns_and_the_api_has_it(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import sim as rsom

    assert rsom.sensitivity is sensitivity
    assert callable(rsom.plot_tornado)
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-m", "sim.cli", "sensitivity", str(_path(tmp_path)), "--group",
                          "a long group name for the fold:pools.wagons.heavy_flat=1,4"], capture_output=True,
                         text=True, env=env, check=True).stdout
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 100
    assert "\N{HORIZONTAL ELLIPSIS}" not in out
