"""Running sweep tasks: in this process, in local worker processes (forked, one variant compiled about once
per worker, rows sent back as runs finish) or on a Dask cluster; `execute` runs what is not yet on disk and
returns the long table."""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bound import closure_bound
from ..errors import InputError, Problem
from ..progress import bar, wanted
from ..variants import PREBUILT, build_variant, cached_variant
from .store import _atomic_write, _frame, _normalise, _read_row, _run_path, _save_parquet
from .tasks import BOUNDS, Task, run_task, variant_label
from .twins import fingerprint, twin_row, twins, variant_key

if TYPE_CHECKING:
    import pandas as pd

    from ..plan import Plan


def _variant_error(task: Task, exc: Exception) -> InputError:
    """A variant that does not build for a reason other than InputError (e.g. a text value for a number, a pool
    below its minimum) as an input problem naming the grid point."""
    detail = "; ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip() and "errors.pydantic" not in ln)
    return InputError([Problem(task.scenario, "--param", variant_label(task.params, task.investments),
                               f"cannot build this variant: {detail}")])


def _run(task: Task) -> tuple[str, Any]:
    """run_task for a worker: ("ok", row), or ("input", problems) so input errors reach the parent intact
    (InputError itself does not survive pickling)."""
    try:
        try:
            cached_variant(task.scenario, task.params, task.investments)  # what run_task compiles first
        except (ValueError, TypeError) as exc:
            raise _variant_error(task, exc) from None
        return "ok", _normalise(run_task(task))
    except InputError as exc:
        return "input", exc.reported


def _unwrap(result: tuple[str, Any]) -> dict[str, Any]:
    status, value = result
    if status == "input":
        raise InputError(list(value))
    return value


def _compiled(task: Task) -> tuple[str, Any]:
    """A task's variant compiled for the check (_check): ("ok", (its fingerprint, the plan pickled, its analytic
    bound)), or ("input", problems) (InputError itself does not survive pickling)."""
    try:
        try:
            plan = build_variant(task.scenario, dict(task.params), task.investments)
        except (ValueError, TypeError) as exc:
            raise _variant_error(task, exc) from None
    except InputError as exc:
        return "input", exc.reported
    return "ok", (fingerprint(plan), pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL), closure_bound(plan).as_dict())


def _compile_all(tasks: list[Task], workers: int) -> Iterator[tuple[str, Any]]:
    """_compiled for each task, in order: in `workers` forked processes when there are several tasks, else here.
    The processes fork at once, before the caller starts any thread such as the progress bar's."""
    ctx = _mp_context()
    if workers <= 1 or len(tasks) <= 1 or ctx is None:
        return map(_compiled, tasks)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx)
    futures = [pool.submit(_compiled, t) for t in tasks]

    def results() -> Iterator[tuple[str, Any]]:
        try:
            for f in futures:
                yield f.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return results()


def _check(tasks: Iterable[Task], progress: bool = False, workers: int = 1,
           build: Callable[[Task], Plan] | None = None) -> tuple[dict[tuple, str], dict[tuple, dict[str, Any]]]:
    """Build every variant of the tasks before any run, so that a bad name or a bad scenario ends the sweep
    first; and return each variant's fingerprint (twins.fingerprint, by twins.variant_key) with the analytic
    bounds of the variants. `build` compiles a task's variant here, for runs made here: the bounds are those
    of the variants whose plan an earlier one has (their runs may be taken from the earlier one's: twins), and
    the other plans are kept pickled in variants.PREBUILT, so that a run reads its plan back instead of
    compiling it again once `build`'s cache has let it go. Without it the variants are compiled in `workers`
    forked processes (build_variant), each plan
    kept pickled in variants.PREBUILT and each bound in tasks.BOUNDS for the workers that run them, forked
    later from this process, to read back instead of compiling: a plan of their own (an inherited one would be
    copied page by page as it is touched, which slows its runs). `progress`: a bar over the variants, gone (its
    drawing thread ended) before any worker forks."""
    first: dict[tuple, Task] = {}
    for t in tasks:
        first.setdefault(variant_key(t), t)
    prints: dict[tuple, str] = {}
    bounds: dict[tuple, dict[str, Any]] = {}
    PREBUILT.clear()
    BOUNDS.clear()
    compiled = _compile_all(list(first.values()), workers) if build is None else iter(())
    try:
        with bar(progress, "checking the variants", len(first)) as tell:
            if build is not None:
                seen: set[str] = set()
                for k, (key, t) in enumerate(first.items()):
                    try:
                        plan = build(t)
                    except (ValueError, TypeError) as exc:
                        raise _variant_error(t, exc) from None
                    fp = prints[key] = fingerprint(plan)
                    if fp in seen:
                        bounds[key] = closure_bound(plan).as_dict()
                    else:  # its runs are made here, after the check has compiled every variant
                        PREBUILT[key] = pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)
                    seen.add(fp)
                    tell(k + 1, len(first))
                return prints, bounds
            for k, (key, (status, value)) in enumerate(zip(first, compiled)):
                if status == "input":
                    raise InputError(list(value))
                prints[key], PREBUILT[key], bounds[key] = value
                tell(k + 1, len(first))
    except BaseException:
        PREBUILT.clear()
        BOUNDS.clear()
        raise
    finally:
        close = getattr(compiled, "close", None)
        if close is not None:  # the processes end also when a variant did not build
            close()
    BOUNDS.update(bounds)
    return prints, bounds


def _mp_context() -> Any:
    """fork where available (Linux): workers start at once, without importing the package again."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def _progress_bar(enabled: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    show = enabled and wanted()
    return Progress(TextColumn("running"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn(),
                    TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True), disable=not show,
                    transient=False)


_WORKER: dict[str, Any] = {}  # in a pool worker: "rows", the queue its rows go back on


def _init_worker(rows: Any, parent: int) -> None:
    """Keep the row queue; end this worker if the sweep's process dies (e.g. SIGKILL), instead of running on."""
    _WORKER["rows"] = rows

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="rsom-parent-watch", daemon=True).start()


def _run_chunk(tasks: list[Task]) -> int:
    """Run tasks of one variant in a pool worker (which compiles the variant once), sending each result back
    as soon as it is there; stops at an input error."""
    for t in tasks:
        result = _run(t)
        _WORKER["rows"].put((t.key(), result))
        if result[0] != "ok":
            break
    return len(tasks)


def _chunks(pending: list[Task], workers: int) -> list[list[Task]]:
    """Runs grouped by variant (each worker then compiles a variant about once), in pieces small enough to keep
    every worker busy."""
    size = max(1, math.ceil(len(pending) / (4 * workers)))
    groups: dict[tuple, list[Task]] = {}
    for t in pending:
        groups.setdefault((t.scenario, t.params, t.investments), []).append(t)
    return [g[i:i + size] for g in groups.values() for i in range(0, len(g), size)]


def _local_results(pending: list[Task], workers: int) -> Iterator[tuple[Task, tuple[str, Any]]]:
    """Results as runs finish: in this process when workers is 1, else in a process pool. The pool starts (and
    its workers fork) here, before the caller starts any thread such as the progress bar's."""
    if workers <= 1 or len(pending) <= 1:
        return ((t, _run(t)) for t in pending)
    ctx = _mp_context() or multiprocessing.get_context()
    rows = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx, initializer=_init_worker,
                               initargs=(rows, os.getpid()))
    futures = [pool.submit(_run_chunk, c) for c in _chunks(pending, workers)]
    by_key = {t.key(): t for t in pending}

    def results() -> Iterator[tuple[Task, tuple[str, Any]]]:
        received = 0
        try:
            while received < len(by_key):
                try:
                    key, result = rows.get(timeout=0.2)
                except queue.Empty:
                    key = None
                if key is None:
                    failed = next((f.exception() for f in futures if f.done() and f.exception() is not None), None)
                    if failed is not None:
                        raise failed  # a run failed (not an input error); the worker's traceback follows
                    continue
                received += 1
                yield by_key[key], result
        except BaseException:
            started = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in started:  # the runs already under way in this sweep's own workers: stop them
                proc.terminate()
            raise
        finally:
            rows.close()
        pool.shutdown(wait=True)

    return results()


def _dask_results(pending: list[Task], scheduler: str) -> Iterator[tuple[Task, tuple[str, Any]]]:
    """Results as runs finish on a Dask cluster; each run's key is its task key."""
    from dask.distributed import Client, as_completed

    try:
        client = Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError([Problem("(command line)", "--scheduler", scheduler, f"cannot connect: {exc}")]) from None
    try:
        futures = {}
        for t in pending:
            f = client.submit(_run, t, key=f"rsom-run-{t.key()}", pure=False)
            futures[f.key] = (f, t)
    except BaseException:
        client.close()
        raise

    def results() -> Iterator[tuple[Task, tuple[str, Any]]]:
        try:
            for f in as_completed([f for f, _ in futures.values()]):
                _, t = futures.pop(f.key)
                value = f.result()
                f.release()
                yield t, value
        finally:
            client.close()

    return results()


def _done(runs: Path, tasks: list[Task]) -> dict[str, dict[str, Any]]:
    """The rows of the tasks a sweep writing to `runs` has already finished (by task key); what a sweep killed
    while writing left behind is removed."""
    runs.mkdir(parents=True, exist_ok=True)
    for tmp in runs.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
    rows = {}
    for t in tasks:
        row = _read_row(_run_path(runs, t))
        if row is not None:
            rows[t.key()] = row
    return rows


def _shared_runs(pending: list[Task], here: bool, progress: bool,
                 workers: int) -> tuple[dict[str, Task], dict[tuple, dict[str, Any]]]:
    """The variants checked (_check) and, of the pending tasks, those whose run another one makes (twins), with
    the bounds of their variants. `here`: the runs are made in this process, whose compiled plans then serve them
    (and one variant alone needs no check)."""
    if not pending or (here and len({variant_key(t) for t in pending}) < 2):
        return {}, {}
    build = (lambda t: cached_variant(t.scenario, t.params, t.investments)) if here else None
    prints, bounds = _check(pending, progress, workers, build)
    return twins(pending, prints), bounds


def execute(tasks: Sequence[Task], out: Path | None = None, workers: int | None = None, scheduler: str | None = None,
            progress: bool = True) -> pd.DataFrame:
    """Run the tasks and return one row per task, in task order.

    With `out`, each row is written atomically to OUT/runs/KEY.json as its run finishes; tasks already there are
    not run again, and all rows are also saved to OUT/sweep.parquet. Runs go to local processes (`workers`,
    default one per core; 1 = in this process) or, given `scheduler`, to a Dask cluster. A run whose variant
    has the same plan as an earlier task's (twins) takes that task's figures instead of being run again: the
    frame's attrs["shared_runs"] counts them."""
    tasks = list(tasks)
    runs = None if out is None else Path(out) / "runs"
    rows = {} if runs is None else _done(runs, tasks)
    pending, seen = [], set(rows)
    for t in tasks:
        if t.key() not in seen:
            seen.add(t.key())
            pending.append(t)
    n = workers or os.cpu_count() or 1
    shared, bounds = _shared_runs(pending, not scheduler and n <= 1, progress and wanted(), 1 if scheduler else n)
    copies = [t for t in pending if t.key() in shared]
    pending = [t for t in pending if t.key() not in shared]

    if not pending:
        results: Iterator[tuple[Task, tuple[str, Any]]] = iter(())
    elif scheduler:
        results = _dask_results(pending, scheduler)
    else:
        results = _local_results(pending, workers or os.cpu_count() or 1)
    try:
        with _progress_bar(progress) as shown:
            job = shown.add_task("runs", total=len(tasks), completed=len(tasks) - len(pending) - len(copies))
            for task, result in results:
                row = _unwrap(result)
                if runs is not None:
                    _atomic_write(_run_path(runs, task), partial(json.dump, row))
                rows[task.key()] = row
                shown.advance(job)
            for task in copies:
                row = _normalise(twin_row(task, rows[shared[task.key()].key()], bounds[variant_key(task)]))
                if runs is not None:
                    _atomic_write(_run_path(runs, task), partial(json.dump, row))
                rows[task.key()] = row
                shown.advance(job)
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # stops the pool or the Dask client also when a run failed
            close()
        PREBUILT.clear()  # the runs have ended: their plans and bounds are not kept in this process
        BOUNDS.clear()

    if runs is not None:  # the files are the record: read every row back
        loaded = {}
        for t in tasks:
            saved = _read_row(_run_path(runs, t))
            if saved is None:
                raise RuntimeError(f"run {t.key()} ({t.variant}, replication {t.replication}) has no row in {runs}")
            loaded[t.key()] = saved
        rows = loaded
    df = _frame([rows[t.key()] for t in tasks])
    if out is not None:
        _save_parquet(df, Path(out) / "sweep.parquet")
    df.attrs["shared_runs"] = len(shared)
    return df
