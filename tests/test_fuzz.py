"""The scenario fuzzer (tests/fuzzkit.py) in CI: whole random scenarios on small random networks keep the
invariants of a run, and mutated input files give exit code 0 or 2 with `error:` lines, never a traceback.
Examples are derandomized so a failure here is the same failure on every machine; experiments/fuzz.py runs
the same strategies for thousands of cases on demand. Regression cases the fuzzer found are at the end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fuzzkit as fk
import pytest
from hypothesis import HealthCheck, given, settings

ROOT = Path(__file__).resolve().parent.parent
FAST = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)


def _assert_ok(o: fk.Outcome) -> None:
    assert o.status != "failure", f"{o.kind}: {o.detail}"


@settings(FAST, max_examples=220)
@given(case=fk.scenarios())
def test_random_scenarios_keep_the_invariants(case: fk.Case, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Loading raises only InputError with proper problems; a run raises nothing, ends in time, conserves
    pieces and persons, closes no earlier than the analytic bound and repeats itself from the same seed."""
    o = fk.run_scenario_checks(fk.write_case(case, tmp_path_factory.mktemp("case")))
    _assert_ok(o)


@settings(FAST, max_examples=200)
@given(fc=fk.mutated_files())
def test_mutated_files_give_errors_not_tracebacks(fc: fk.FileCase, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`rsom validate` and `rsom run --json` on a mutated scenario or table exit 0 or 2, without a traceback,
    and on exit 2 every stderr line is an `error:` line."""
    if fc.kind == "folder":  # a folder in place of a table: see test_a_folder_in_place_of_a_table below
        return
    o = fk.run_cli_checks(fk.write_file_case(fc, tmp_path_factory.mktemp("file")))
    _assert_ok(o)


def _folder_case(tmp_path: Path, target: str) -> Path:
    base = fk.Case(*_tiny())
    return fk.write_file_case(fk.FileCase(base, target, "folder", "<folder>"), tmp_path)


def _tiny() -> tuple[dict, dict]:
    """The tiny network of tests/netkit.py as fuzz case data."""
    from netkit import link, node

    tables = {
        "nodes": [node("port", "seaport", 51.2, 4.3), node("apod", "airfield", 50.9, 4.5), node("stage", "staging", 51.1, 4.8),
                  node("exit_road", "exit", 50.7, 6.1)],
        "links": [link("r1", "road", "port", "stage", 50, 80), link("r2", "road", "apod", "stage", 30, 80),
                  link("r3", "road", "stage", "exit_road", 100, 80)],
        "seaports": [{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000, "tech_check_h": 0}],
        "airfields": [{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": 1000, "cargo_pph": 10}],
        "railheads": [{"node": "port", "ramps": 1, "load_h": 1, "unload_h": 1, "max_train_m": 740}],
        "staging": [{"node": "stage", "role": "staging", "vehicle_spaces": 1000, "beds": 5000, "prep_h": 0}],
    }
    data = {"name": "tiny", "network": fk.NET, "horizon_h": 500, "templates": {"t": [{"unit": "a", "personnel": 40, "wheeled": 6}]},
            "forces": [{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road"],
                        "ships": [{"port": "port", "at_h": 0}], "flights": [{"airfield": "apod", "at_h": 0, "pax": 40}]}]}
    return tables, data


def test_a_folder_in_place_of_a_table(tmp_path: Path) -> None:
    _assert_ok(fk.run_cli_checks(_folder_case(tmp_path, f"{fk.NET}/links.csv")))


def test_the_bound_of_a_network_without_railheads(tmp_path: Path) -> None:
    from sim.bound import closure_bound
    from sim.plan import load_plan

    tables, data = _tiny()
    tables["railheads"] = []
    plan = load_plan(fk.write_case(fk.Case(tables, data), tmp_path))
    assert closure_bound(plan).bound_h >= 0


def test_the_bound_of_a_cut_of_no_capacity(tmp_path: Path) -> None:
    from netkit import link, node

    from sim.bound import closure_bound
    from sim.plan import load_plan

    tables, data = _tiny()
    tables["nodes"].append(node("exit_rail", "exit", 50.8, 6.1))
    tables["links"].append(link("l1", "rail", "port", "exit_rail", 100, 50, paths_per_day=4, capacity_trains_per_day=10,
                                civil_trains_per_day=10))
    data["templates"] = {"t": [{"unit": "a", "personnel": 40, "tracked": 5}]}
    data["forces"][0]["exits"] = ["exit_rail", "exit_road"]
    data["civil_traffic"] = {"level": 1}
    plan = load_plan(fk.write_case(fk.Case(tables, data), tmp_path))
    assert closure_bound(plan).bound_h >= 0


def test_the_command_line_in_a_real_process(tmp_path: Path) -> None:
    """A few cases through `python -m sim.cli` itself: a valid scenario runs, a mutated one is refused."""
    good = fk.write_case(fk.Case(*_tiny()), tmp_path / "good")
    bad_tables, bad_data = _tiny()
    bad_data["forces"][0]["ships"][0]["at_h"] = "soon"
    bad_tables["links"][0]["length_km"] = "nan"
    bad = fk.write_case(fk.Case(bad_tables, bad_data), tmp_path / "bad")
    for path, code in ((good, 0), (bad, 2)):
        for args in (["validate", str(path)], ["run", str(path), "--json"]):
            r = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, check=False)
            assert "Traceback" not in r.stdout + r.stderr, r.stderr
            assert r.returncode == code, (args, r.returncode, r.stderr)
            if code == 2:
                lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
                errors = [ln for ln in lines if not ln.startswith("note:")]  # the notes, last, say what was not checked
                assert errors, r.stderr
                assert lines[:len(errors)] == errors, r.stderr
                assert all(ln.startswith("error:") for ln in errors), r.stderr


# ---- regression cases the fuzzer found ------------------------------------------------------------------
def _run(tmp_path: Path, tables: dict, data: dict) -> dict:
    """Load and run a case; the summary must be strict JSON (no NaN)."""
    import json

    from sim.plan import load_plan
    from sim.runner import run_replication

    summary = run_replication(load_plan(fk.write_case(fk.Case(tables, data), tmp_path))).summary()
    json.dumps(summary, allow_nan=False)
    return summary


def test_a_resource_of_no_capacity_has_no_utilisation(tmp_path: Path) -> None:
    """A staging area with no vehicle spaces (allowed: a personnel-only site) is a resource of capacity 0; its
    utilisation is 0, not 0/0 (a RuntimeWarning, and NaN in the summary's JSON)."""
    tables, data = _tiny()
    tables["staging"][0]["vehicle_spaces"] = 0
    data["templates"] = {"t": [{"unit": "a", "personnel": 40}]}
    data["forces"][0]["ships"] = []
    s = _run(tmp_path, tables, data)
    assert s["personnel"]["delivered"] == 40


def test_a_flow_by_rail_must_fit_one_wagon(tmp_path: Path) -> None:
    """A sustainment flow by rail into a railhead whose tracks take no train of one wagon: an input error
    naming the flow, as for a force's pieces (the run crashed in the train's dispatch: no route fitted)."""
    from netkit import link

    from sim.errors import InputError
    from sim.plan import load_plan

    tables, data = _tiny()
    tables["links"].append(link("l1", "rail", "port", "stage", 40, 60, paths_per_day=10))
    tables["railheads"] = [{"node": "port", "ramps": 1, "load_h": 1, "unload_h": 1, "max_train_m": 740},
                           {"node": "stage", "ramps": 1, "load_h": 1, "unload_h": 1, "max_train_m": 30}]
    data["sustainment"] = [{"name": "s", "origin": "port", "destination": "stage", "mode": "rail", "cls": "wheeled",
                            "pieces_per_day": 4, "start_h": 0, "end_h": 48}]
    with pytest.raises(InputError) as exc:
        load_plan(fk.write_case(fk.Case(tables, data), tmp_path))
    (p,) = exc.value.problems
    assert p.field == "sustainment[0].mode"
    assert "too short for one flat wagon" in p.message
    tables["railheads"][1]["max_train_m"] = 200
    s = _run(tmp_path / "fits", tables, data)
    assert (s["pieces"]["delivered"], s["sustainment_pieces"]["delivered"]) == (6, 8)


def _stuck_for_ever(horizon_h: float) -> tuple[dict, dict]:
    """The tiny case with its port closed for the whole run: the pieces wait for ever."""
    tables, data = _tiny()
    data["horizon_h"] = horizon_h
    data["disruptions"] = {"events": [{"target": "port", "at_h": 0, "duration_h": horizon_h}]}
    return tables, data


def test_a_long_horizon_with_nothing_left_to_happen_ends_at_once(tmp_path: Path) -> None:
    """The run loop stepped a day at a time to the horizon even when nothing was scheduled before it (a
    horizon of 1e8 h took half a minute before horizons were bounded). Empty steps are now run as one: the
    longest horizon a scenario may have, with nothing to happen, ends at once and says what waits."""
    import time

    from sim.scenario import MAX_HORIZON_H

    t0 = time.perf_counter()
    s = _run(tmp_path / "long", *_stuck_for_ever(MAX_HORIZON_H))
    assert time.perf_counter() - t0 < 5
    assert s["end_h"] == MAX_HORIZON_H
    assert s["pieces"]["in_system"] == 6
    assert all(w["since_h"] == 0.0 for w in s["waiting"] if w["kind"] == "pieces")


def test_skipping_empty_steps_changes_no_figure(tmp_path: Path) -> None:
    """The run loop with empty steps run as one gives the same results, event count included, as stepping
    a day at a time (the loop as it was)."""
    from sim.model import Model
    from sim.plan import load_plan
    from sim.results import Results

    tables, data = _tiny()
    data["horizon_h"] = 150  # not a whole number of days; ships and flights after idle days
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 60}, {"port": "port", "at_h": 100}]
    data["forces"][0]["flights"][0]["at_h"] = 75
    data["templates"] = {"t": [{"unit": "a", "personnel": 40, "wheeled": 600}]}
    tables["seaports"][0]["discharge_pph"] = 2
    plan = load_plan(fk.write_case(fk.Case(tables, data), tmp_path))
    new = Model(plan).run().summary()
    old = Model(plan)
    old.start()
    w = old.world
    while w.env.now < plan.scenario.horizon_h and w.outstanding:
        w.env.run(until=min(w.env.now + 24.0, plan.scenario.horizon_h))
    for res in w._all_resources():
        res.flush()
    end = w.env.now if w.outstanding else w.last_delivery()
    assert Results.from_model(w, end).summary() == new
    assert new["pieces"]["in_system"] > 0


def test_the_bound_of_a_run_set_by_the_latest_arrival_is_json(tmp_path: Path) -> None:
    """A bound set by the latest arrival has no rate (it is infinite): `rsom run --json` printed Infinity,
    which is not JSON. The rate is now null."""
    import json

    from sim.bound import closure_bound
    from sim.plan import load_plan

    tables, data = _tiny()
    data["templates"] = {"t": [{"unit": "a", "personnel": 40, "wheeled": 1}]}
    data["forces"][0]["ships"][0]["at_h"] = 400
    report = closure_bound(load_plan(fk.write_case(fk.Case(tables, data), tmp_path))).as_dict()
    assert report["bound_by"] == "latest arrival"
    assert report["bound_rate_per_day"] is None
    json.dumps(report, allow_nan=False)


def test_a_problem_is_one_line() -> None:
    """The command line prints one `error:` line per problem, even when a message (here the YAML parser's
    about a NUL byte) spans lines."""
    from sim.errors import Problem

    p = Problem("s.yaml", "(yaml)", "", 'malformed YAML: unacceptable character #x0000\n  in "<unicode string>", position 3')
    assert "\n" not in str(p)
    assert str(p).startswith("error: s.yaml: (yaml) = '': malformed YAML")


@pytest.mark.parametrize("table", ["seaports", "staging", "links"])
def test_a_key_twice_is_an_input_error_even_where_the_scenario_uses_it(tmp_path: Path, table: str) -> None:
    """A row key given twice is reported (appears more than once); the checks and changes that look the row up
    (civil traffic at the port, the force's staging area, a window on the link) raised instead of reporting it."""
    from sim.errors import InputError
    from sim.plan import load_plan

    tables, data = _tiny()
    tables[table].append(dict(tables[table][0]))
    data["civil_traffic"] = {"level": 1, "road_peaks": "07:00-09:00"}
    tables["seaports"][0]["civil_berths"] = 0.5
    data["windows"] = {"r1": "06:00-18:00"}
    with pytest.raises(InputError) as exc:
        load_plan(fk.write_case(fk.Case(tables, data), tmp_path))
    assert any(p.message == "appears more than once" and p.file.endswith(f"{table}.csv") for p in exc.value.problems)
    fk.check_problems(exc.value.problems)


def test_random_disruptions_at_an_absurd_rate(tmp_path: Path) -> None:
    tables, data = _tiny()
    data["disruptions"] = {"random": [{"targets": ["r1"], "rate_per_day": 1e308, "duration_h": 1}]}
    path = fk.write_case(fk.Case(tables, data), tmp_path)
    r = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(path), "--json"], cwd=ROOT, capture_output=True,
                       text=True, timeout=8, check=False)
    assert r.returncode in (0, 2)
    assert "Traceback" not in r.stderr


def test_a_huge_capacity_gives_no_overflow_in_the_utilisation(tmp_path: Path) -> None:
    """Found by the fuzzer: 1e308 marshalling spaces (a valid cell) overflowed capacity x hours in the
    utilisation (a RuntimeWarning, an error in the project's code); utilisation is held / capacity / hours."""
    tables, data = _tiny()
    tables["seaports"] = [{**r, "marshalling_spaces": 1e308} for r in tables["seaports"]]
    s = _run(tmp_path, tables, data)
    assert s["pieces"]["delivered"] == s["pieces"]["planned"]
