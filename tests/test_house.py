"""The house: phases that import only what is below them, typed identifiers, and the input defects found
when the tool was tried as a new user would (a missing wagon pool, a unit bigger than its staging area)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.ids import Res, ResourceId, paths_of
from sim.plan import load_plan

SIM = Path(__file__).resolve().parent.parent / "sim"

# Each layer may import only layers to its left: the world knows no phase, movement knows neither staging nor
# reception, staging does not know reception, and none of them knows the model that starts them.
LAYERS = ["world", "movement", "staging", "reception", "model"]


def _sim_imports(path: Path) -> set[str]:
    """The sim modules a file imports (first component below sim), resolving relative imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = path.relative_to(SIM).parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[: len(pkg) - node.level + 1]) + (node.module.split(".") if node.module else [])
                names = [base[0]] if base else [a.name for a in node.names]
            elif node.module and node.module.startswith("sim."):
                names = [node.module.split(".")[1]]
            else:
                continue
            out.update(names)
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_no_phase_imports_one_above_it(layer):
    files = [SIM / f"{layer}.py"] if (SIM / f"{layer}.py").exists() else sorted((SIM / layer).glob("*.py"))
    assert files
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    for f in files:
        bad = _sim_imports(f) & above
        assert not bad, f"{f.relative_to(SIM)} imports {sorted(bad)}"


def test_resource_ids_name_as_the_results_show_them():
    assert ResourceId(Res.BERTHS, "antwerp").name == "berths@antwerp"
    assert ResourceId(Res.PAX_TERMINAL, "melsbroek").kind == "terminal"
    assert ResourceId(Res.WAGONS, "heavy_flat").name == "wagons:heavy_flat"
    assert ResourceId(Res.HETS).name == "hets"
    assert paths_of("L24>").name == "paths@L24>"
    assert paths_of("L24>").link == "L24"
    with pytest.raises(ValueError, match="must be empty"):
        ResourceId(Res.HETS, "somewhere")
    with pytest.raises(ValueError, match="must be given"):
        ResourceId(Res.BERTHS)


def test_path_resources_carry_their_link(tmp_path):
    from sim.runner import run_replication

    net = tiny_network(tmp_path / "net")
    plan = load_plan(write_scenario(tmp_path / "s.yaml", scenario(net)))
    r = run_replication(plan).resources
    paths = r[r["kind"] == "paths"]
    assert len(paths)
    assert set(paths["link"]) == {"l_port_exit"}
    assert (r.loc[r["kind"] != "paths", "link"].isin(["", "r_port_stage", "r_apod_stage", "r_stage_exit"])).all()


def test_missing_wagon_pool_is_an_error_not_a_silent_switch_to_road(tmp_path):
    net = tiny_network(tmp_path / "net")
    data = scenario(net, pools={"wagons": {"flat": 10}}, modes={"tracked": ["rail", "road"], "wheeled": ["road"]})
    path = write_scenario(tmp_path / "s.yaml", data)
    with pytest.raises(InputError) as exc:
        load_plan(path)
    (p,) = exc.value.problems
    assert p.field == "pools.wagons.heavy_flat"
    assert "modes.tracked" in p.message
    assert "rail" in p.message
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unit_bigger_than_its_staging_area_names_the_alternatives(tmp_path):
    net = tiny_network(tmp_path / "net", staging=[
        {"node": "stage", "role": "staging", "vehicle_spaces": 5, "beds": 5000, "prep_h": 0},
        {"node": "apod", "role": "staging", "vehicle_spaces": 500, "beds": 5000, "prep_h": 0}])
    path = write_scenario(tmp_path / "s.yaml", scenario(net, modes={"tracked": ["road"], "wheeled": ["road"]}))
    with pytest.raises(InputError) as exc:
        load_plan(path)
    msg = " ".join(p.message for p in exc.value.problems)
    assert "10 road pieces" in msg
    assert "5 vehicle spaces" in msg
    assert "apod (500)" in msg
    assert "split the unit" in msg


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The sim modules a file imports when it runs (also inside functions; not under TYPE_CHECKING)."""
    me = _module_of(path)
    pkg = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    typing_only: set[int] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in typing_only:
            continue
        if node.level:
            base = ".".join(pkg[: len(pkg) - node.level + 1] + ([node.module] if node.module else []))
        elif node.module and node.module.split(".")[0] == "sim":
            base = node.module
        else:
            continue
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.add(sub if sub in modules else base)
    return out - {me}


def test_the_package_has_no_import_cycle():
    import networkx as nx

    files = sorted(SIM.rglob("*.py"))
    modules = {_module_of(f) for f in files}
    g = nx.DiGraph()
    g.add_nodes_from(sorted(modules))
    for f in files:
        g.add_edges_from((_module_of(f), m) for m in sorted(_runtime_imports(f, modules)) if m in modules)
    assert list(nx.simple_cycles(g)) == []


def test_civil_traffic_taking_every_berth_where_ships_call_is_said_up_front(tmp_path):
    net = tiny_network(tmp_path / "net", seaports=[{"node": "port", "berths": 1, "discharge_pph": 10,
                                                     "marshalling_spaces": 1000, "tech_check_h": 0, "civil_berths": 1}])
    path = write_scenario(tmp_path / "s.yaml", scenario(net, civil_traffic={"level": 1.0}))
    (p,) = [w for w in load_plan(path).warnings if w.field.startswith("civil_traffic")]
    assert p.severity == "warning"
    assert p.field == "civil_traffic.level"
    assert "every berth at port" in p.message
    assert "forces[0].ships[0]" in p.message
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert "warning: " in result.output
    assert "cannot close" in result.output
    ok = write_scenario(tmp_path / "m.yaml", scenario(net, civil_traffic={"level": 1.0, "priority": "military"}))
    assert not [w for w in load_plan(ok).warnings if w.field.startswith("civil_traffic")]


def test_a_train_shorter_than_one_wagon_is_explained(tmp_path):
    net = tiny_network(tmp_path / "net", railheads=[
        {"node": "port", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 30},
        {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}])
    path = write_scenario(tmp_path / "s.yaml", scenario(net))
    with pytest.raises(InputError) as exc:
        load_plan(path)
    msg = " ".join(p.message for p in exc.value.problems)
    assert "railheads.csv port.max_train_m" in msg
    assert "too short for one" in msg


def test_piece_classes_are_declared_once():
    from sim.ids import PIECE_CLASSES
    from sim.network import load_network
    from sim.paths import networks_dir
    from sim.scenario import DEFAULT_MODES, UnitSpec

    assert set(UnitSpec.model_fields) - {"unit", "personnel"} == set(PIECE_CLASSES)  # the YAML keys of a unit
    assert set(DEFAULT_MODES) == set(PIECE_CLASSES)
    assert set(load_network(networks_dir() / "belgium").piece_classes.index) == set(PIECE_CLASSES)


def test_validate_says_up_front_when_no_rail_path_is_left(tmp_path):
    from netkit import link

    links = [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
             link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
             link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24, capacity_trains_per_day=30,
                  civil_trains_per_day=40)]
    net = tiny_network(tmp_path / "net", links=links)
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 45}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}]}],
                    civil_traffic={"level": 1.0, "priority": "civil"}, modes={"tracked": ["rail"]})
    result = CliRunner().invoke(app, ["validate", str(write_scenario(tmp_path / "s.yaml", data))])
    assert result.exit_code == 0
    (line,) = [ln for ln in result.output.splitlines() if "(capacities)" in ln]
    assert line.startswith("warning: ")
    assert "paths@l_port_exit>" in line
    assert "cannot close" in line
