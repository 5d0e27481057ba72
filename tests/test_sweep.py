"""Sweeps: the grid, identical rows serially / in processes / on Dask, resuming a killed sweep, bad parameters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.sweep import Task, execute, grid

PARAMS: dict[str, list[Any]] = {"railheads.port.ramps": [1, 2], "seaports.port.discharge_pph": [5, 10, 20]}


def _scenario(folder: Path, pieces: int) -> Path:
    """The tiny network with one force of `pieces` tracked and `pieces` wheeled, random discharge times."""
    net = tiny_network(folder / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 100, "tracked": pieces, "wheeled": pieces}]},
                    times={"discharge": "exponential"})
    return write_scenario(folder / f"tiny_{pieces}.yaml", data)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _scenario(tmp_path_factory.mktemp("sweep"), 40)


@pytest.fixture(scope="module")
def tasks(tiny: Path) -> list[Task]:
    return grid(tiny, PARAMS, replications=2, seed=7)


@pytest.fixture(scope="module")
def serial(tasks: list[Task]) -> pd.DataFrame:
    return execute(tasks, workers=1, progress=False)


def _by_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("key").reset_index(drop=True)


def test_grid_size_order_and_keys(tiny: Path, tasks: list[Task]) -> None:
    assert len(tasks) == 2 * 3 * 2
    expected = [(ramps, pph, r) for ramps in (1, 2) for pph in (5, 10, 20) for r in (0, 1)]
    assert [(dict(t.params)["railheads.port.ramps"], dict(t.params)["seaports.port.discharge_pph"], t.replication)
            for t in tasks] == expected
    assert len({t.key() for t in tasks}) == len(tasks)
    assert all(Path(t.scenario).is_absolute() and t.seed == 7 for t in tasks)
    assert tasks[0].variant == "railheads.port.ramps=1,seaports.port.discharge_pph=5"
    again = grid(os.path.relpath(tiny), PARAMS, replications=2, seed=7)
    assert [t.key() for t in again] == [t.key() for t in tasks]
    assert [t.variant for t in grid(tiny, {}, replications=1, seed=7)] == ["baseline"]


def test_serial_rows(tasks: list[Task], serial: pd.DataFrame) -> None:
    assert list(serial["key"]) == [t.key() for t in tasks]
    for col in (*PARAMS, "seed", "replication", "variant", "closure_h", "top_bottleneck"):
        assert col in serial.columns
    assert serial["closure_h"].notna().all()
    # the seed matters (random discharge) and so does the discharge rate
    assert serial["closure_h"].nunique() > 3


def test_processes_match_serial(tasks: list[Task], serial: pd.DataFrame, tmp_path: Path) -> None:
    df = execute(tasks, out=tmp_path, workers=2, progress=False)
    assert list(df["key"]) == [t.key() for t in tasks]
    pd.testing.assert_frame_equal(_by_key(df), _by_key(serial))
    assert sorted(p.stem for p in (tmp_path / "runs").glob("*.json")) == sorted(t.key() for t in tasks)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "sweep.parquet"), df)


def test_dask_matches_serial(tasks: list[Task], serial: pd.DataFrame, tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        df = execute(tasks, out=tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert list(df["key"]) == [t.key() for t in tasks]
    pd.testing.assert_frame_equal(_by_key(df), _by_key(serial))


def test_killed_sweep_resumes(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 300)  # ~0.3 s a run, so the sweep can be caught half-way
    out = tmp_path / "out"
    runs = out / "runs"
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--param", "railheads.port.ramps=1,2",
           "--param", "seaports.port.discharge_pph=5,10,20", "--replications", "2", "--seed", "7",
           "--out", str(out), "--workers", "1"]
    tasks = grid(path, PARAMS, replications=2, seed=7)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(runs.glob("*.json"))) >= 2:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode() if proc.stderr else ""
    proc.stderr.close()

    written = {}
    for f in runs.glob("*.json"):
        json.loads(f.read_text(encoding="utf-8"))  # no partial file under a final name
        written[f.stem] = f.stat().st_mtime_ns
    assert 2 <= len(written) < len(tasks), len(written)
    assert set(written) <= {t.key() for t in tasks}

    time.sleep(0.05)  # a rewrite would show a later modification time
    df = execute(tasks, out=out, workers=1, progress=False)
    assert len(df) == len(tasks)
    assert df["key"].is_unique
    assert set(df["key"]) == {t.key() for t in tasks}
    assert list(df["key"]) == [t.key() for t in tasks]
    assert sorted(p.stem for p in runs.glob("*.json")) == sorted(t.key() for t in tasks)
    assert not list(runs.glob(".*.tmp"))
    for key, mtime in written.items():
        assert (runs / f"{key}.json").stat().st_mtime_ns == mtime, f"{key} was run again"
    assert len(pd.read_parquet(out / "sweep.parquet")) == len(tasks)


def test_bad_parameter_name_via_cli(tiny: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sweep", str(tiny), "--param", "railheads.nowhere.ramps=2",
                                      "--out", str(tmp_path / "out")])
    try:
        err = result.stderr
    except (ValueError, AttributeError):
        err = result.output
    text = result.output + err
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert lines, err
    assert any("railheads.nowhere.ramps" in ln for ln in lines), err
    assert not list((tmp_path / "out" / "runs").glob("*.json"))


def test_input_error_in_a_worker_reaches_the_parent(tiny: Path, tmp_path: Path) -> None:
    """A run whose variant cannot be built returns its problems (InputError does not survive pickling) and the
    parent raises InputError with them."""
    import pickle

    from sim.errors import InputError
    from sim.sweep import _run, _unwrap

    bad = Task(str(tiny), (("railheads.nowhere.ramps", 2),), variant="bad")
    status, problems = pickle.loads(pickle.dumps(_run(bad)))
    assert status == "input"
    with pytest.raises(InputError) as exc:
        _unwrap((status, problems))
    assert any("nowhere" in str(p) for p in exc.value.problems)
    with pytest.raises(InputError):  # and execute stops before running anything
        execute([bad, *grid(tiny, {}, replications=1, seed=1)], out=tmp_path, workers=2, progress=False)
    assert not list((tmp_path / "runs").glob("*.json"))
