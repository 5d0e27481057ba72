"""Bad input through the CLI: exit code 2, one `error:` line per problem naming file, field and value, no traceback."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from netkit import link, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "experiments" / "scenarios" / "belgium_two_brigades.yaml"

runner = CliRunner()


def _stderr(result: Any) -> str:
    try:
        return result.stderr
    except (ValueError, AttributeError):  # older Click: stderr not captured separately
        return result.output


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    out = result.stdout
    err = _stderr(result)
    assert "Traceback" not in out + err, out + err
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, out, err


def _errors(err: str) -> list[str]:
    """The error lines; after them may come notes (`note:`) on the checks those errors kept from running."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "no problem reported on stderr"
    errors = [ln for ln in lines if not ln.startswith("note: ")]
    assert lines[:len(errors)] == errors, lines  # the notes come last
    for ln in errors:
        assert ln.startswith("error: "), ln
    return errors


def _build(tmp_path: Path, net: dict[str, Any] | None = None, **overrides: Any) -> tuple[Path, dict[str, Any]]:
    folder = tiny_network(tmp_path / "net", **(net or {}))
    return folder, scenario(folder, **overrides)


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    return write_scenario(tmp_path / "scenario.yaml", data)


def _check_one(tmp_path: Path, data: dict[str, Any], file: Path | str, field: str, value: str, *words: str,
               only: bool = True) -> str:
    """Validate and run the scenario; both exit 2 with one error line naming file, field and value
    (and, when `only`, no other line)."""
    path = _write(tmp_path, data)
    for cmd in (["validate", str(path)], ["run", str(path), "--json"]):
        code, out, err = _invoke(*cmd)
        assert code == 2, (cmd, code, out, err)
        lines = _errors(err)
        if only:
            assert len(lines) == 1, lines
        mine = [ln for ln in lines if str(file) in ln and field in ln]
        assert len(mine) == 1, lines
        line = mine[0]
        assert str(file) in line, line
        assert field in line, line
        assert value in line, line
        for w in words:
            assert w in line, line
        assert out.strip() == "", out  # nothing (no JSON) on stdout
    return line


ROAD_ONLY_LINKS = [
    link("r_port_stage", "road", "port", "stage", 50, 80),
    link("r_apod_stage", "road", "apod", "stage", 30, 80),
    link("r_stage_exit", "road", "stage", "exit_road", 100, 80),
]


# 1. ------------------------------------------------------------------------------------------------------
def test_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("name: broken\nforces: [\n  {id: f, template: t\nhorizon_h: 10\n", encoding="utf-8")
    code, _out, err = _invoke("validate", str(path))
    assert code == 2
    lines = _errors(err)
    assert len(lines) == 1
    assert str(path) in lines[0]
    assert "malformed YAML" in lines[0]
    assert "line " in lines[0]
    assert any(ch.isdigit() for ch in lines[0].split("line ", 1)[1][:3])


# 2. ------------------------------------------------------------------------------------------------------
def test_unknown_port(tmp_path: Path) -> None:
    _, data = _build(tmp_path)
    data["forces"][0]["ships"][0]["port"] = "atlantis"
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "forces[0].ships[0].port", "atlantis")


# 3. ------------------------------------------------------------------------------------------------------
def test_unknown_corridor_out_of_service(tmp_path: Path) -> None:
    _, data = _build(tmp_path, corridors={"out_of_service": ["E99_NOWHERE"]})
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "corridors.out_of_service[0]", "E99_NOWHERE", "unknown corridor")


# 4. ------------------------------------------------------------------------------------------------------
BAD_BERTHS = [{"node": "port", "berths": 0, "discharge_pph": 10, "marshalling_spaces": 1000, "tech_check_h": 0}]


def test_zero_berths_in_seaports_csv(tmp_path: Path) -> None:
    folder, data = _build(tmp_path, net={"seaports": BAD_BERTHS})
    line = _check_one(tmp_path, data, folder / "seaports.csv", "berths", "= 0", "line 2", "(port)", only=False)
    assert "greater than zero" in line


def test_negative_berths_in_seaports_csv(tmp_path: Path) -> None:
    bad = [{**BAD_BERTHS[0], "berths": -3}]
    folder, data = _build(tmp_path, net={"seaports": bad})
    _check_one(tmp_path, data, folder / "seaports.csv", "berths", "-3", "line 2", only=False)


def test_bad_seaports_row_reports_one_problem(tmp_path: Path) -> None:
    folder, data = _build(tmp_path, net={"seaports": BAD_BERTHS})
    _check_one(tmp_path, data, folder / "seaports.csv", "berths", "= 0")


def test_zero_hets_in_pools(tmp_path: Path) -> None:
    _, data = _build(tmp_path, pools={"hets": 0})
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "pools.hets", "0")


# 5. ------------------------------------------------------------------------------------------------------
def test_no_path_from_entry_to_exit(tmp_path: Path) -> None:
    # Without the rail link, tracked pieces restricted to rail cannot leave the port.
    _, data = _build(tmp_path, net={"links": ROAD_ONLY_LINKS}, modes={"tracked": ["rail"]})
    path = _write(tmp_path, data)
    code, _out, err = _invoke("validate", str(path))
    assert code == 2
    lines = _errors(err)
    tracked = [ln for ln in lines if "tracked from port" in ln]
    assert len(tracked) == 1, lines
    assert str(path) in tracked[0]
    assert "forces[0].ships[0]" in tracked[0]
    assert "no path" in tracked[0]
    assert len(lines) == len(set(lines))  # one line per problem, no repeats


def test_no_path_with_complete_mode_rules(tmp_path: Path) -> None:
    modes = {"tracked": ["rail"], "wheeled": ["road"], "trailer": ["road"], "container": ["rail", "road"], "helicopter": ["air"]}
    _, data = _build(tmp_path, net={"links": ROAD_ONLY_LINKS}, modes=modes)
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "forces[0].ships[0]", "tracked from port", "no path")


# 6. ------------------------------------------------------------------------------------------------------
def test_unknown_piece_class_in_modes(tmp_path: Path) -> None:
    _, data = _build(tmp_path, modes={"hovercraft": ["road"]})
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "modes.hovercraft", "hovercraft")


# 7. ------------------------------------------------------------------------------------------------------
def test_bad_window_in_scenario(tmp_path: Path) -> None:
    _, data = _build(tmp_path, windows={"r_stage_exit": "25:00-05:00"})
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "windows", "25:00-05:00", "r_stage_exit")


def test_bad_window_in_links_csv(tmp_path: Path) -> None:
    folder, data = _build(tmp_path)
    links_csv = folder / "links.csv"
    with links_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["id"] == "r_stage_exit":
            r["window"] = "21h-5h"
    with links_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    _check_one(tmp_path, data, links_csv, "r_stage_exit.window", "21h-5h")


# 8. ------------------------------------------------------------------------------------------------------
def test_typo_key(tmp_path: Path) -> None:
    _, data = _build(tmp_path)
    del data["horizon_h"]
    data["horizon"] = 10
    _check_one(tmp_path, data, tmp_path / "scenario.yaml", "horizon", "10", "unknown key")


# validate ------------------------------------------------------------------------------------------------
def test_validate_builtin_scenario_ok() -> None:
    code, out, err = _invoke("validate", str(BUILTIN))
    assert code == 0, err
    assert "ok:" in out
    assert "error:" not in out + err


def test_validate_lists_two_schema_problems(tmp_path: Path) -> None:
    _, data = _build(tmp_path, pools={"hets": 0})
    data["horizon"] = 10
    path = _write(tmp_path, data)
    code, _, err = _invoke("validate", str(path))
    assert code == 2
    lines = _errors(err)
    assert len(lines) == 2, lines
    assert any("horizon = 10" in ln and "unknown key" in ln for ln in lines)
    assert any("pools.hets = 0" in ln for ln in lines)
    assert all(str(path) in ln for ln in lines)


def test_validate_lists_two_reference_problems(tmp_path: Path) -> None:
    _, data = _build(tmp_path, corridors={"out_of_service": ["NOPE"]})
    data["forces"][0]["ships"][0]["port"] = "atlantis"
    path = _write(tmp_path, data)
    code, _, err = _invoke("validate", str(path))
    assert code == 2
    lines = _errors(err)
    assert len(lines) == 2, lines
    assert any("corridors.out_of_service[0] = 'NOPE'" in ln for ln in lines)
    assert any("forces[0].ships[0].port = 'atlantis'" in ln for ln in lines)
