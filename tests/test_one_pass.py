"""`rsom validate` lists every problem it can find in one pass: independent problems in different stages
(the scenario's own keys, its network's cells, its deployment list, its names, its investments, the pools and
civil traffic after them) are reported together; a stage that needs what a failed one makes is not run, and a
`note:` line after the errors says which checks that kept back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from netkit import link, road_links, scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

LIST_HEADER = "uln,force,unit,personnel,equipment,pod,mode,ead,lad,rdd,destination,priority,critical\n"


def _validate(path: Path) -> tuple[int, list[str], list[str]]:
    """Exit code, the error lines and the note lines of `rsom validate PATH` (notes after every error)."""
    result = runner.invoke(app, ["validate", str(path)])
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    notes = [ln for ln in lines if ln.startswith("note: ")]
    assert lines == errors + notes, lines
    return result.exit_code, errors, notes


def _one(lines: list[str], *words: str) -> str:
    """The one line holding every word."""
    found = [ln for ln in lines if all(w in ln for w in words)]
    assert len(found) == 1, (words, lines)
    return found[0]


def _bad_ramps(folder: Path) -> Path:
    """The tiny network with a railhead of -1 ramps (a cell the network's schema refuses)."""
    tiny_network(folder, railheads=[{"node": "port", "ramps": -1, "load_h": 4, "unload_h": 1, "max_train_m": 740},
                                    {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1,
                                     "max_train_m": 740}])
    return folder / "railheads.csv"


def test_an_unknown_template_and_an_unknown_investment_are_reported_together(tmp_path: Path) -> None:
    net = tiny_network(tmp_path / "net")
    data = scenario(net, investments=["no_such_investment"])
    data["forces"][0]["template"] = "no_such_template"
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 2, errors
    _one(errors, str(path), "forces[0].template = 'no_such_template'", "unknown template")
    _one(errors, str(path), "investments[0] = 'no_such_investment'", "unknown investment")
    (note,) = notes  # the forces need their template, civil traffic the network after the investments
    assert note.startswith(f"note: {path}: not checked: civil traffic")
    assert "the forces and flows themselves" in note


def test_a_scenario_key_problem_and_a_network_cell_problem_are_reported_together(tmp_path: Path) -> None:
    railheads = _bad_ramps(tmp_path / "net")
    data = scenario(tmp_path / "net", horizon=10)  # `horizon` is not a key (horizon_h is)
    data["pools"] = {"hets": 0}  # nor may a pool be empty
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 3, errors
    _one(errors, str(path), "horizon = 10", "unknown key")
    _one(errors, str(path), "pools.hets = 0")
    _one(errors, str(railheads), "ramps = -1", "greater than zero")
    (note,) = notes  # the names need a valid scenario
    assert note.startswith(f"note: {path}: not checked: the names the scenario uses")


def test_a_scenario_key_a_network_cell_and_a_list_cell_are_reported_together(tmp_path: Path) -> None:
    railheads = _bad_ramps(tmp_path / "net")
    (tmp_path / "list.csv").write_text(LIST_HEADER + "u1,f,a,40,tracked=4,port,sea,2027-02-30,,,,,\n",
                                       encoding="utf-8")
    data = scenario(tmp_path / "net", start="2027-02-01T00:00", deployment_list="list.csv", sed=1)
    data["forces"][0].pop("template")
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 3, errors
    _one(errors, str(path), "sed = 1", "unknown key")
    _one(errors, str(railheads), "ramps = -1")
    _one(errors, str(tmp_path / "list.csv"), "line 2 (u1) ead = '2027-02-30'")
    assert len(notes) == 1


def test_a_missing_network_folder_and_a_list_cell_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(LIST_HEADER + "u1,f,a,40,tracked=-3,port,sea,2027-02-01,,,,,\n",
                                       encoding="utf-8")
    data = scenario(tmp_path / "nowhere", start="2027-02-01T00:00", deployment_list="list.csv")
    data["forces"][0].pop("template")
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 2, errors
    _one(errors, str(path), "network = ", "no network folder")
    _one(errors, str(tmp_path / "list.csv"), "count -3 of tracked is negative")
    (note,) = notes
    assert "the names the scenario uses" in note


def test_pools_after_investments_and_civil_traffic_are_reported_together(tmp_path: Path) -> None:
    roads = [{**r, "window": "07:00-09:00"} if r["id"] == "r_stage_exit" else r for r in road_links()]
    net = tiny_network(tmp_path / "net", links=[*roads, link("l_port_exit", "rail", "port", "exit_rail", 100, 50,
                                                                 paths_per_day=24)])
    data = scenario(net, investments=["many_hets"], civil_traffic={"road_peaks": "06:30-09:30"},
                    custom_investments=[{"name": "many_hets", "cost_eur": 1, "first_year": 2026, "changes": [
                        {"table": "pools", "key": "hets", "attribute": "count", "op": "add", "value": 10**9}]}])
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 2, errors
    _one(errors, str(path), "pools.hets", "after investments and parameters")
    _one(errors, str(path), "civil_traffic.road_peaks", "link r_stage_exit", "no hour of 07:00-09:00")
    (note,) = notes
    assert "civil traffic" not in note  # it was checked
    assert "the forces and flows themselves" in note


def test_a_network_cell_a_name_and_a_deployment_line_are_reported_together(tmp_path: Path) -> None:
    railheads = _bad_ramps(tmp_path / "net")
    (tmp_path / "list.csv").write_text(LIST_HEADER + "u1,f,a,40,tracked=4,atlantis,sea,2027-02-01,,,,,\n",
                                       encoding="utf-8")
    data = scenario(tmp_path / "net", start="2027-02-01T00:00", deployment_list="list.csv",
                    corridors={"out_of_service": ["NOPE"]})
    data["forces"][0].pop("template")
    path = write_scenario(tmp_path / "s.yaml", data)
    code, errors, _ = _validate(path)
    assert code == 2
    _one(errors, str(railheads), "ramps = -1")
    _one(errors, str(path), "corridors.out_of_service[0] = 'NOPE'")
    _one(errors, str(tmp_path / "list.csv"), "pod = 'atlantis'")


def test_malformed_yaml_says_nothing_else_was_checked(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: broken\nforces: [\n", encoding="utf-8")
    code, errors, notes = _validate(path)
    assert code == 2
    assert len(errors) == 1
    assert notes == [f"note: {path}: not checked: its network and everything it names. Fix the errors above first, "
                     "then check again"]


def test_a_good_scenario_has_no_note(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "s.yaml", scenario(tiny_network(tmp_path / "net")))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_notes_are_kept_apart_from_the_problems(tmp_path: Path) -> None:
    """The API's InputError holds the errors in `problems` (as before) and what they kept from being checked
    in `notes`, one per file; `reported` is both, as the command line prints them."""
    import pytest

    from sim import load_plan
    from sim.errors import InputError

    railheads = _bad_ramps(tmp_path / "net")
    assert _rows(railheads)[0]["ramps"] == "-1"
    path = write_scenario(tmp_path / "s.yaml", scenario(tmp_path / "net", horizon=10))
    with pytest.raises(InputError) as exc:
        load_plan(path)
    assert all(p.severity == "error" for p in exc.value.problems)
    assert len(exc.value.problems) == 2
    assert [n.severity for n in exc.value.notes] == ["note"]
    assert exc.value.reported == [*exc.value.problems, *exc.value.notes]
    assert str(exc.value).splitlines()[-1].startswith("note: ")
