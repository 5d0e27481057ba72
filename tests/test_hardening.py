"""Hostile input (found by fuzzing) through the CLI: exit code 2, one `error:` line naming file, field and value,
no traceback, no hang, nothing silently dropped. Valid input keeps working as before."""

from __future__ import annotations

import math
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from netkit import write_scenario
from pydantic import BaseModel
from test_bad_input import _build, _check_one, _errors, _invoke, _write

from sim import scenario as sc

ROOT = Path(__file__).resolve().parent.parent
FLOW = {"name": "ammo", "origin": "port", "destination": "exit_rail", "mode": "rail", "pieces_per_day": 2,
        "start_h": 24, "end_h": 120}


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The CLI in a child process, so that a hang fails the test (timeout) instead of stalling the suite."""
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _one_error(path: Path, text: str, *words: str) -> str:
    """Validate a scenario written as raw YAML text: exit 2 and exactly one error line with these words."""
    path.write_text(text, encoding="utf-8")
    code, out, err = _invoke("validate", str(path))
    assert code == 2, (code, out, err)
    lines = _errors(err)
    assert len(lines) == 1, lines
    for w in (str(path), *words):
        assert w in lines[0], lines[0]
    return lines[0]


def _valid_yaml(tmp_path: Path) -> str:
    """The tiny scenario as YAML text (to append hostile lines to)."""
    _, data = _build(tmp_path)
    return write_scenario(tmp_path / "base.yaml", data).read_text(encoding="utf-8")


# YAML structure -------------------------------------------------------------------------------------------
def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    text = "name: deep\nforces: " + "[" * 1000 + "]" * 1000 + "\n"
    _one_error(tmp_path / "s.yaml", text, "line 2", "nested deeper than 64 levels")


def test_deep_nesting_of_mappings_is_refused(tmp_path: Path) -> None:
    text = "name: deep\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n"
    _one_error(tmp_path / "s.yaml", text, "nested deeper than 64 levels")


BILLION_LAUGHS = "".join(
    f"{a}: &{a} [{', '.join([f'*{b}'] * 9)}]\n" for b, a in zip("abcdefgh", "bcdefghi")
)


def test_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BILLION_LAUGHS
    assert len(text.encode()) < 600
    path = tmp_path / "laughs.yaml"
    path.write_text(text, encoding="utf-8")
    res = _cli("validate", str(path), timeout=60)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = _errors(res.stderr)
    assert len(lines) == 1, lines
    assert str(path) in lines[0]
    assert "values through aliases" in lines[0]


def test_duplicate_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    text = _valid_yaml(tmp_path) + "seed: 7\n"  # the base already has `seed: 1` on line 4
    n = len(text.splitlines())
    line = _one_error(tmp_path / "s.yaml", text, "seed", f"line {n} column 1", "duplicate key", "first on line 4")
    assert "'seed'" in line


def test_duplicate_key_inside_a_list_item_is_refused(tmp_path: Path) -> None:
    text = _valid_yaml(tmp_path).replace("  - port: port\n", "  - port: port\n    port: atlantis\n")
    assert "atlantis" in text
    _one_error(tmp_path / "s.yaml", text, "'port'", "duplicate key")


def test_alias_to_itself_is_refused(tmp_path: Path) -> None:
    _one_error(tmp_path / "s.yaml", "name: x\nforces: &f [*f]\n", "'*f'", "cycle")


def test_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    """Aliases within the limits stay allowed (a user may share a ship call between forces); a merge key's
    values may be overridden without counting as a duplicate."""
    _, data = _build(tmp_path)
    force = data["forces"][0]
    text = write_scenario(tmp_path / "base.yaml", {k: v for k, v in data.items() if k != "forces"}).read_text()
    text += (
        "forces:\n"
        f"  - &force {{id: f, template: t, staging: stage, exits: [exit_road, exit_rail], ships: [&call {{port: port, at_h: 0}}],"
        f" flights: [{{airfield: apod, at_h: 0, pax: {force['flights'][0]['pax']}}}]}}\n"
        "  - {<<: *force, id: g, ships: [*call]}\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _invoke("validate", str(path))
    assert code == 0, err
    assert "20 pieces" in out
    assert "2 ship calls" in out


def test_builtin_scenario_validates_with_the_same_counts() -> None:
    code, out, err = _invoke("validate", str(ROOT / "experiments" / "scenarios" / "belgium_two_brigades.yaml"))
    assert code == 0, err
    assert "5,914 pieces, 9,000 persons, 5 ship calls, 30 flights, 0 warnings" in out


# Numbers of the scenario ----------------------------------------------------------------------------------
def test_negative_seed_is_refused(tmp_path: Path) -> None:
    _, data = _build(tmp_path, seed=-1)
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "seed", "-1", "greater than or equal to 0")


def test_seed_beyond_64_bits_is_refused(tmp_path: Path) -> None:
    _, data = _build(tmp_path, seed=2**63)
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "seed", str(2**63))


def test_largest_seed_is_accepted(tmp_path: Path) -> None:
    _, data = _build(tmp_path, seed=2**63 - 1)
    code, _out, err = _invoke("validate", str(_write(tmp_path, data)))
    assert code == 0, err


INF, NAN = math.inf, math.nan
NOT_FINITE = {
    "horizon_inf": ({"horizon_h": INF}, "horizon_h", "inf"),
    "horizon_nan": ({"horizon_h": NAN}, "horizon_h", "nan"),
    "flow_end_inf": ({"sustainment": [{**FLOW, "end_h": INF}]}, "sustainment[0].end_h", "inf"),
    "ship_at_nan": (None, "forces[0].ships[0].at_h", "nan"),
    "bus_speed_inf": ({"pools": {"bus_speed_kmh": INF}}, "pools.bus_speed_kmh", "inf"),
    "hets_inf": ({"pools": {"hets": INF}}, "pools.hets", "inf"),
    "civil_level_nan": ({"civil_traffic": {"level": NAN}}, "civil_traffic.level", "nan"),
    "random_end_inf": ({"disruptions": {"random": [{"targets": ["port"], "rate_per_day": 1, "duration_h": 2,
                                                      "end_h": INF}]}}, "disruptions.random[0].end_h", "inf"),
    "factor_high_inf": ({"times": {"discharge": {"dist": "triangular", "low": 0.5, "mode": 1, "high": INF}}},
                        "times.discharge", "high = inf"),
    "factor_sd_nan": ({"times": {"travel": {"dist": "lognormal", "mean": 1, "sd": NAN}}}, "times.travel", "sd = nan"),
    "change_value_inf": ({"custom_investments": [{"name": "x", "cost_eur": 1, "changes": [
        {"table": "links", "key": "r_port_stage", "attribute": "speed_kmh", "value": INF}]}]},
        "custom_investments[0].changes[0].value", "inf"),
    "horizon_too_long": ({"horizon_h": 24 * 365 * 2 + 1}, "horizon_h", "17521"),
    "replications_huge": ({"replications": 10**6}, "replications", "1000000"),
}


@pytest.mark.parametrize("case", sorted(NOT_FINITE))
def test_numbers_must_be_finite_and_bounded(tmp_path: Path, case: str) -> None:
    override, field, value = NOT_FINITE[case]
    _, data = _build(tmp_path, **(override or {}))
    if override is None:
        data["forces"][0]["ships"][0]["at_h"] = NAN
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", field, value)


def test_infinite_horizon_does_not_run_for_ever(tmp_path: Path) -> None:
    _, data = _build(tmp_path, horizon_h=INF)
    res = _cli("run", str(_write(tmp_path, data)), "--json", timeout=120)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout.strip() == ""
    assert "horizon_h = inf" in res.stderr


def _numeric_fields(model: type[BaseModel], seen: set) -> list[tuple[str, str, Any]]:
    """(model, field, FieldInfo) for every int or float field reachable from a model."""
    out = []
    if model in seen:
        return out
    seen.add(model)
    for name, info in model.model_fields.items():
        args = {info.annotation, *typing.get_args(info.annotation)}
        for a in list(args):
            args |= set(typing.get_args(a))
        if args & {int, float} and bool not in args:
            out.append((model.__name__, name, info))
        for a in args:
            if isinstance(a, type) and issubclass(a, sc.Strict):
                out += _numeric_fields(a, seen)
    return out


def test_every_numeric_field_of_the_scenario_is_finite_and_bounded() -> None:
    """A field added later without bounds fails here: every int or float field has a lower and an upper
    bound, and every model of the scenario refuses .inf and .nan."""
    fields = _numeric_fields(sc.Scenario, set())
    assert len(fields) >= 60, len(fields)
    unbounded = []
    for model, name, info in fields:
        metadata = list(info.metadata)
        if typing.get_origin(info.annotation) is dict:  # a mapping of counts: bounds on its values
            metadata = list(typing.get_args(typing.get_args(info.annotation)[1])[1].metadata)
        kinds = {type(m) for m in metadata}
        low = kinds & {annotated_types.Ge, annotated_types.Gt}
        high = kinds & {annotated_types.Le, annotated_types.Lt}
        if not (low and high):
            unbounded.append(f"{model}.{name}")
    assert unbounded == []
    for model in {m for m, _, _ in fields}:
        assert getattr(sc, model).model_config.get("allow_inf_nan") is False, model


# Command line ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "report", "compare", "sweep"])
@pytest.mark.parametrize(("option", "value"), [("--seed", str(2**70)), ("--seed", "-1"), ("--replications", "0"),
                                          ("--replications", str(10**6))])
def test_seed_and_replications_out_of_range(tmp_path: Path, command: str, option: str, value: str) -> None:
    """Refused while the options are read, before the scenario (here a file that does not exist) is opened."""
    path = tmp_path / "missing.yaml"
    extra = ["--param", "pools.hets=10", "--out", str(tmp_path / "o")] if command == "sweep" else []
    code, out, err = _invoke(command, str(path), option, value, *extra)
    assert code == 2, (code, out, err)
    lines = _errors(err)
    assert lines == [f"error: (command line): {option} = {value}: must lie between "
                     f"{'0 and 9,223,372,036,854,775,807' if option == '--seed' else '1 and 10,000'}"], lines
    assert "Usage" not in out + err
    assert out.strip() == ""


def test_largest_seed_runs(tmp_path: Path) -> None:
    _, data = _build(tmp_path)
    path = _write(tmp_path, data)
    code, out, err = _invoke("run", str(path), "--json", "--seed", str(2**63 - 1))
    assert code == 0, err
    assert str(2**63 - 1) in out


# Network tables -------------------------------------------------------------------------------------------
NETWORK_TABLES = ("nodes", "seaports", "airfields", "railheads", "staging", "links", "piece_classes", "wagon_types",
                  "sources", "investments")
INVESTMENT_ROW = {"name": "more_berths", "cost_eur": 1e6, "first_year": 2027, "table": "seaports", "key": "port",
                  "attribute": "berths", "op": "add", "value": 1}


def _network(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The tiny network with all ten tables (an investments table too)."""
    from netkit import write_table

    folder, data = _build(tmp_path)
    write_table(folder, "investments", [INVESTMENT_ROW])
    return folder, data


def _errors_naming(tmp_path: Path, data: dict[str, Any], file: Path, *words: str) -> list[str]:
    """Validate and run: exit 2, error lines only, and exactly one naming the file with these words."""
    path = _write(tmp_path, data)
    for cmd in (["validate", str(path)], ["run", str(path), "--json"]):
        code, out, err = _invoke(*cmd)
        assert code == 2, (cmd, code, out, err)
        lines = _errors(err)
        mine = [ln for ln in lines if f"error: {file}:" in ln and all(w in ln for w in words)]
        assert len(mine) == 1, lines
        assert out.strip() == "", out
    return mine


def test_tiny_network_with_all_ten_tables_is_valid(tmp_path: Path) -> None:
    _, data = _network(tmp_path)
    code, _out, err = _invoke("validate", str(_write(tmp_path, data)))
    assert code == 0, err


@pytest.mark.parametrize("table", NETWORK_TABLES)
def test_table_replaced_by_a_folder(tmp_path: Path, table: str) -> None:
    folder, data = _network(tmp_path)
    csv_file = folder / f"{table}.csv"
    csv_file.unlink()
    csv_file.mkdir()
    _errors_naming(tmp_path, data, csv_file, "(file)", "is a folder, not a CSV file")


@pytest.mark.parametrize("table", ["seaports", "sources", "investments"])
def test_unreadable_table(tmp_path: Path, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No permission to read (simulated: the tests may run as root, who reads every file)."""
    folder, data = _network(tmp_path)
    csv_file = folder / f"{table}.csv"
    real_open = Path.open

    def guarded(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == csv_file:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    _errors_naming(tmp_path, data, csv_file, "(file)", "Permission denied")


def test_unreadable_table_by_permissions(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    folder, data = _network(tmp_path)
    csv_file = folder / "links.csv"
    csv_file.chmod(0)
    try:
        _errors_naming(tmp_path, data, csv_file, "(file)", "Permission denied")
    finally:
        csv_file.chmod(0o644)


@pytest.mark.parametrize("table", NETWORK_TABLES)
def test_duplicated_column_is_refused(tmp_path: Path, table: str) -> None:
    """Every table: a column given twice would keep one copy's cells silently."""
    folder, data = _network(tmp_path)
    csv_file = folder / f"{table}.csv"
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header[-1]
    lines = [lines[0] + "," + col] + [ln + "," + ln.split(",")[-1] for ln in lines[1:]]
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _errors_naming(tmp_path, data, csv_file, f"(header) = '{col}'", "appears 2 times",
                   f"columns {len(header)}, {len(header) + 1}")


NOT_FINITE_CELLS = {
    "float_nan": ("seaports", "discharge_pph", "nan", "line 2 (port) discharge_pph"),
    "float_inf": ("links", "length_km", "inf", "line 2 (r_port_stage) length_km"),
    "float_minus_inf": ("nodes", "lat", "-inf", "line 2 (port) lat"),
    "overflow": ("links", "speed_kmh", "1e999", "line 2 (r_port_stage) speed_kmh"),
    "int_nan": ("railheads", "ramps", "nan", "line 2 (port) ramps"),
    "defaulted_column_inf": ("links", "delay_h", "inf", "line 2 (r_port_stage) delay_h"),
    "investment_value_inf": ("investments", "value", "inf", "line 2 (more_berths) value"),
}


@pytest.mark.parametrize("case", sorted(NOT_FINITE_CELLS))
def test_cells_that_are_not_finite_numbers(tmp_path: Path, case: str) -> None:
    table, column, text, where = NOT_FINITE_CELLS[case]
    folder, data = _network(tmp_path)
    csv_file = folder / f"{table}.csv"
    rows = csv_file.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[1].split(",")
    cells[header.index(column)] = text
    rows[1] = ",".join(cells)
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _errors_naming(tmp_path, data, csv_file, where, f"= '{text}'", "not a finite number")


def test_empty_cell_still_takes_the_default(tmp_path: Path) -> None:
    from sim.network import load_network

    folder, _ = _network(tmp_path)
    net = load_network(folder)
    assert [p for p in net.problems if p.severity == "error"] == []
    assert net.links.at["r_port_stage", "delay_h"] == 0.0  # written empty by netkit: the schema's default


# Investments and parameters: the values they leave in the network ----------------------------------------
def _custom(name: str, *changes: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "cost_eur": 1e6, "changes": list(changes)}


BAD_CHANGES = {
    "berths_negative": ({"table": "seaports", "key": "port", "attribute": "berths", "value": -3},
                        "seaports.port.berths", "-3", "greater than zero"),
    "ramps_zero": ({"table": "railheads", "key": "port", "attribute": "ramps", "value": 0},
                   "railheads.port.ramps", "= 0", "greater than zero"),
    "ramps_taken_away": ({"table": "railheads", "key": "port", "attribute": "ramps", "op": "add", "value": -1},
                         "railheads.port.ramps", "= 0", "add -1 leaves 1 at 0"),
    "latitude": ({"table": "nodes", "key": "port", "attribute": "lat", "value": 999},
                 "nodes.port.lat", "999", "between -90 and 90"),
    "speed_zero_on_corridor": ({"table": "corridor", "key": "r_stage_exit", "attribute": "speed_kmh", "op": "mul",
                                "value": 0}, "corridor.r_stage_exit.speed_kmh", "0", "on link r_stage_exit"),
    "in_service_not_0_or_1": ({"table": "links", "key": "r_stage_exit", "attribute": "in_service", "value": 5},
                              "links.r_stage_exit.in_service", "5", "takes 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CHANGES))
def test_custom_investment_leaving_a_cell_out_of_bounds(tmp_path: Path, case: str) -> None:
    change, field, value, words = BAD_CHANGES[case]
    _, data = _build(tmp_path, custom_investments=[_custom("bad", change)])
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", f"bad: {field}", value, words)


def test_two_investments_that_together_leave_no_ramp(tmp_path: Path) -> None:
    """Each alone leaves one of the two ramps; applied together, none: refused when applied."""
    from netkit import tiny_network

    two = [{"node": "port", "ramps": 2, "load_h": 4, "unload_h": 1, "max_train_m": 740},
           {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}]
    folder = tiny_network(tmp_path / "net", railheads=two)
    less = {"table": "railheads", "key": "port", "attribute": "ramps", "op": "add", "value": -1}
    _, data = _build(tmp_path, net={"railheads": two}, custom_investments=[_custom("a", less), _custom("b", less)],
                     investments=["a", "b"])
    assert (folder / "railheads.csv").exists()
    _check_one(tmp_path, data, "railheads.csv", "port.ramps", "= 0", "add -1", "greater than zero")


def test_network_investment_leaving_a_cell_out_of_bounds(tmp_path: Path) -> None:
    from netkit import write_table

    folder, data = _build(tmp_path)
    write_table(folder, "investments", [{**INVESTMENT_ROW, "op": "add", "value": -5}])
    _check_one(tmp_path, data, folder / "investments.csv", "more_berths: seaports.port.berths", "-4",
               "add -5 leaves 1 at -4", only=False)


def test_network_investment_year_out_of_range(tmp_path: Path) -> None:
    from netkit import write_table

    folder, data = _build(tmp_path)
    write_table(folder, "investments", [{**INVESTMENT_ROW, "first_year": 20207}])
    _check_one(tmp_path, data, folder / "investments.csv", "first_year", "20207", "between 1900 and 2200", only=False)


def test_zero_wagon_share_is_refused(tmp_path: Path) -> None:
    folder, data = _build(tmp_path)
    csv_file = folder / "piece_classes.csv"
    csv_file.write_text(csv_file.read_text(encoding="utf-8").replace("tracked,30,heavy_flat,1.0", "tracked,30,heavy_flat,0"),
                        encoding="utf-8")
    _check_one(tmp_path, data, csv_file, "(tracked) wagon_share", "= 0", "greater than zero", only=False)


@pytest.mark.parametrize(("params", "field", "value", "words"), [
    ({"railheads.port.ramps": 0}, "port.ramps", "0", "greater than zero"),
    ({"nodes.port.lat": 999}, "port.lat", "999", "between -90 and 90"),
    ({"links.r_stage_exit.speed_kmh": "inf"}, "links.r_stage_exit.speed_kmh", "inf", "finite"),
    ({"pools.hets": "inf"}, "pools.hets", "inf", "finite"),
    ({"pools.hets": 10**9}, "pools.hets", "1000000000", "less than or equal to 100000"),
    ({"horizon_h": "inf"}, "horizon_h", "inf", "finite"),
    ({"forces.7.at_h": 1}, "forces.7.at_h", "1", "no item '7'"),
    ({"name.x": 1}, "name.x", "1", "no field 'x'"),
])
def test_variant_parameters_out_of_bounds(tmp_path: Path, params: dict, field: str, value: str, words: str) -> None:
    from sim.errors import InputError
    from sim.variants import build_variant, parse_value

    _, data = _build(tmp_path)
    path = _write(tmp_path, data)
    params = {k: parse_value(v) if isinstance(v, str) else v for k, v in params.items()}
    with pytest.raises(InputError) as exc:
        build_variant(path, params)
    lines = [str(p) for p in exc.value.problems]  # (the notes after them say what these kept from being checked)
    assert len(lines) == 1, lines
    assert field in lines[0], lines[0]
    assert value in lines[0], lines[0]
    assert words in lines[0], lines[0]


def test_sweep_parameter_leaving_no_berth(tmp_path: Path) -> None:
    _, data = _build(tmp_path)
    path = _write(tmp_path, data)
    code, out, err = _invoke("sweep", str(path), "--param", "seaports.port.berths=0", "--replications", "1",
                             "--workers", "1", "--out", str(tmp_path / "o"))
    assert code == 2, (code, out, err)
    lines = _errors(err)
    assert len(lines) == 1, lines
    assert f"{path}: (parameters): seaports.port.berths = 0: set 0 leaves 1 at 0: must be greater than zero" in lines[0]
