"""sim.sweep is a package (tasks, store, executors, command); every name imported from sim.sweep before the
split is still there and is the same object as in its module."""

import importlib

from sim import sweep


def test_public_names_are_re_exported_from_their_modules() -> None:
    where = {"Task": "tasks", "grid": "tasks", "run_task": "tasks", "variant_label": "tasks", "parse_params": "tasks",
             "finished": "store", "execute": "executors", "_run": "executors", "_unwrap": "executors",
             "summarize": "command", "cli_sweep": "command"}
    for name, module in where.items():
        assert getattr(sweep, name) is getattr(importlib.import_module(f"sim.sweep.{module}"), name), name
    assert set(where) <= set(sweep.__all__)


def test_runs_in_workers_are_found_by_module_path() -> None:
    """Workers (forked, or Dask) receive `_run` by reference: it must resolve to the same function."""
    import pickle

    assert pickle.loads(pickle.dumps(sweep._run)) is sweep._run
