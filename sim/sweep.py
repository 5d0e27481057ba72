"""Sweeps: a grid of scenario variants times replications, run in local processes or on a Dask cluster.

Each finished run is one row, written atomically to OUT/runs/KEY.json, so an interrupted sweep started again
runs only what is missing; the rows are gathered into one long DataFrame (OUT/sweep.parquet)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import multiprocessing
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bound import closure_bound
from .defaults import resolve_run
from .errors import InputError, Problem
from .runner import run_replication
from .variants import Value, build_variant, cached_variant, parse_assignment

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Task:
    """One run: a scenario file, its parameter values and investments, a seed and a replication index."""

    scenario: str  # absolute path of the scenario file
    params: tuple[tuple[str, Value], ...] = ()
    investments: tuple[str, ...] = ()
    seed: int = 1
    replication: int = 0
    variant: str = ""  # a label for the variant (e.g. an investment name or "baseline")

    def key(self) -> str:
        """Stable identifier of the run (same task, same key, in any process)."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@lru_cache(maxsize=16)
def _bound(scenario: str, params: tuple, investments: tuple) -> dict[str, Any]:
    """The analytic bound of a variant, once per process."""
    return closure_bound(cached_variant(scenario, params, investments)).as_dict()


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its row: the task's fields, each parameter as a column, and the results."""
    plan = cached_variant(task.scenario, task.params, task.investments)
    s = run_replication(plan, seed=task.seed, replication=task.replication).summary()
    bound = _bound(task.scenario, task.params, task.investments)
    row: dict[str, Any] = {
        "key": task.key(),
        "variant": task.variant,
        "scenario": s["scenario"],
        "investments": ",".join(task.investments),
        "seed": task.seed,
        "replication": task.replication,
        **{name: value for name, value in task.params},
        "closure_h": s["closure_h"],
        "end_h": s["end_h"],
        "pieces_delivered": s["pieces"]["delivered"],
        "pieces_in_system": s["pieces"]["in_system"],
        "pieces_not_arrived": s["pieces"]["not_arrived"],
        "personnel_delivered": s["personnel"]["delivered"],
        "personnel_in_system": s["personnel"]["in_system"],
        "events": s["events"],
        "top_bottleneck": s["bottlenecks"][0]["resource"] if s["bottlenecks"] else "",
        "bound_h": bound["bound_h"],
        "bound_by": bound["bound_by"],
        "version": s["version"],
    }
    for force, b in s["brigades"].items():
        for k, v in b.items():
            row[f"{k}:{force}"] = v
    for mode, v in s["throughput_per_day"].items():
        row[f"throughput_per_day:{mode}"] = v
    return row


# --------------------------------------------------------------------------------------------------------------
# The grid


def variant_label(params: Sequence[tuple[str, Value]], investments: Sequence[str] = ()) -> str:
    """`NAME=VALUE,NAME=VALUE` for a grid point; the investments (or "baseline") when there are no parameters."""
    if params:
        return ",".join(f"{name}={value}" for name, value in params)
    return "+".join(investments) or "baseline"


def grid(scenario: Path | str, params: dict[str, list[Value]], investments: Iterable[str] = (),
         replications: int | None = None, seed: int | None = None) -> list[Task]:
    """Every combination of the parameter values (first parameter slowest, values in the order given), each for
    replications 0..n-1. Replications and seed default to the scenario file's."""
    path = Path(scenario).expanduser().resolve()
    if replications is None or seed is None:
        from .scenario import read_scenario

        seed, replications = resolve_run(read_scenario(path), seed, replications)
    invs = tuple(investments)
    names = list(params)
    for name in names:
        if not params[name]:
            raise InputError([Problem("(sweep)", name, params[name], "no values given")])
    tasks = []
    for values in itertools.product(*(params[n] for n in names)):
        point = tuple(zip(names, values))
        label = variant_label(point, invs)
        for r in range(int(replications)):
            tasks.append(Task(str(path), point, invs, int(seed), r, label))
    return tasks


# --------------------------------------------------------------------------------------------------------------
# Running


def _jsonable(obj: Any) -> Any:
    """numpy scalars and the like as plain Python values."""
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    """The row exactly as it reads back from its JSON file (so runs in memory and on disk give the same frame)."""
    return json.loads(json.dumps(row, default=_jsonable))


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
        return "input", exc.problems


def _unwrap(result: tuple[str, Any]) -> dict[str, Any]:
    status, value = result
    if status == "input":
        raise InputError(list(value))
    return value


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[Any], None], mode: str = "w") -> None:
    """Write through a temporary file in the same folder, flushed and synced, then renamed over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _run_path(runs: Path, task: Task) -> Path:
    return runs / f"{task.key()}.json"


def _read_row(path: Path) -> dict[str, Any] | None:
    """A finished run's row, or None when the file is missing or not a complete JSON object."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def finished(tasks: Iterable[Task], out: Path) -> set[str]:
    """Keys of the tasks whose rows already sit in OUT/runs."""
    runs = Path(out) / "runs"
    return {t.key() for t in tasks if _read_row(_run_path(runs, t)) is not None}


def _check(tasks: Iterable[Task]) -> None:
    """Build one variant per distinct set of parameter names and investments, here, so a bad name or a bad
    scenario ends the sweep before any run. The plan is not kept: workers forked from this process run faster
    on plans they compiled themselves (inherited ones are copied page by page as they are touched)."""
    seen = set()
    for t in tasks:
        names = (t.scenario, tuple(n for n, _ in t.params), t.investments)
        if names in seen:
            continue
        seen.add(names)
        try:
            build_variant(t.scenario, dict(t.params), t.investments)
        except (ValueError, TypeError) as exc:
            raise _variant_error(t, exc) from None


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

    show = enabled and sys.stderr.isatty()
    return Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn(),
                    TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True), disable=not show,
                    transient=False)


_ROWS: Any = None  # in a pool worker: the queue its rows go back on


def _init_worker(rows: Any, parent: int) -> None:
    """Keep the row queue; end this worker if the sweep's process dies (e.g. SIGKILL), instead of running on."""
    global _ROWS
    _ROWS = rows

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
        _ROWS.put((t.key(), result))
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


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(rows)


def _save_parquet(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a parameter with values of several types (e.g. 4 and "max")
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object and len({type(v) for v in df[c].dropna()}) > 1:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        table = pa.Table.from_pandas(df, preserve_index=False)
    import pyarrow.parquet as pq

    _atomic_write(path, lambda fh: pq.write_table(table, fh), mode="wb")


def execute(tasks: Sequence[Task], out: Path | None = None, workers: int | None = None, scheduler: str | None = None,
            progress: bool = True) -> pd.DataFrame:
    """Run the tasks and return one row per task, in task order.

    With `out`, each row is written atomically to OUT/runs/KEY.json as its run finishes; tasks already there are
    not run again, and all rows are also saved to OUT/sweep.parquet. Runs go to local processes (`workers`,
    default one per core; 1 = in this process) or, given `scheduler`, to a Dask cluster."""
    tasks = list(tasks)
    runs = None
    rows: dict[str, dict[str, Any]] = {}
    if out is not None:
        runs = Path(out) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        for tmp in runs.glob(".*.tmp"):  # left by a sweep killed while writing
            try:
                tmp.unlink()
            except OSError:
                pass
        for t in tasks:
            row = _read_row(_run_path(runs, t))
            if row is not None:
                rows[t.key()] = row
    pending, seen = [], set(rows)
    for t in tasks:
        if t.key() not in seen:
            seen.add(t.key())
            pending.append(t)
    if pending and (scheduler or (workers or os.cpu_count() or 1) > 1):
        _check(pending)

    if not pending:
        results: Iterator[tuple[Task, tuple[str, Any]]] = iter(())
    elif scheduler:
        results = _dask_results(pending, scheduler)
    else:
        results = _local_results(pending, workers or os.cpu_count() or 1)
    try:
        with _progress_bar(progress) as bar:
            job = bar.add_task("runs", total=len(tasks), completed=len(tasks) - len(pending))
            for task, result in results:
                row = _unwrap(result)
                if runs is not None:
                    _atomic_write(_run_path(runs, task), lambda fh, row=row: json.dump(row, fh))
                rows[task.key()] = row
                bar.advance(job)
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # stops the pool or the Dask client also when a run failed
            close()

    if runs is not None:  # the files are the record: read every row back
        loaded = {}
        for t in tasks:
            row = _read_row(_run_path(runs, t))
            if row is None:
                raise RuntimeError(f"run {t.key()} ({t.variant}, replication {t.replication}) has no row in {runs}")
            loaded[t.key()] = row
        rows = loaded
    df = _frame([rows[t.key()] for t in tasks])
    if out is not None:
        _save_parquet(df, Path(out) / "sweep.parquet")
    return df


# --------------------------------------------------------------------------------------------------------------
# The command line


def parse_params(params: Iterable[str]) -> dict[str, list[Value]]:
    """`--param NAME=V1,V2` options into {name: values}; a name given twice is an error."""
    out: dict[str, list[Value]] = {}
    for text in params:
        name, values = parse_assignment(text)
        if not name:
            raise InputError([Problem("(command line)", "--param", text, "no parameter name before '='")])
        if name in out:
            raise InputError([Problem("(command line)", "--param", name, "parameter given twice; list all its values "
                                                                         "in one option (NAME=V1,V2)")])
        out[name] = values
    return out


def summarize(df: pd.DataFrame, params: Sequence[str] = ()) -> pd.DataFrame:
    """Per grid point (in grid order): its parameter values, runs, mean / min / max closure (h) over replications
    (NaN when none closed), runs not closed, and the most frequent top bottleneck."""
    import pandas as pd

    from .statistics import closure_stats

    closure = closure_stats(df.assign(closure_h=pd.to_numeric(df["closure_h"], errors="coerce")), by=["variant"])
    recs = []
    for (variant, g), c in zip(df.groupby("variant", sort=False), closure.to_dict("records")):
        top = g["top_bottleneck"].fillna("").astype(str)
        counts = top[top != ""].value_counts()
        recs.append({"variant": variant, **{p: g[p].iloc[0] for p in params if p in g}, "runs": len(g),
                     "closure_mean_h": c["mean"], "closure_min_h": c["min"], "closure_max_h": c["max"],
                     "not_closed": int(c["incomplete"]), "top_bottleneck": counts.index[0] if len(counts) else ""})
    return pd.DataFrame.from_records(recs)


def cli_sweep(scenario_path: Path | str, params: list[str], investments: list[str], replications: int | None,
              seed: int | None, out: Path, workers: int | None, scheduler: str | None) -> pd.DataFrame:
    """`rsom sweep`: run the grid, print one line per grid point and where the table is."""
    from rich.console import Console
    from rich.table import Table

    from .scenario import read_scenario

    grid_params = parse_params(params)
    sc = read_scenario(scenario_path)
    seed, replications = resolve_run(sc, seed, replications)
    tasks = grid(scenario_path, grid_params, investments, replications, seed)
    out = Path(out)
    before = len(finished(tasks, out))
    df = execute(tasks, out=out, workers=workers, scheduler=scheduler)

    con = Console()
    names = list(grid_params)
    t = Table(title=f"{sc.name}: {len(tasks)} runs ({len(tasks) - before} run now, {before} from earlier); closure in h "
                    "over replications")
    for c in names or ["variant"]:
        t.add_column(c, justify="right", overflow="fold")
    for c in ("runs", "mean", "min", "max", "top bottleneck"):
        t.add_column(c, justify="left" if c == "top bottleneck" else "right", no_wrap=c != "top bottleneck")

    def h(x: float) -> str:
        return "-" if x != x else f"{x:,.1f}"

    for r in summarize(df, names).to_dict("records"):
        mean = h(r["closure_mean_h"]) + (f" ({r['not_closed']} not closed)" if r["not_closed"] else "")
        t.add_row(*[str(r[c]) for c in names or ["variant"]], str(r["runs"]), mean, h(r["closure_min_h"]),
                  h(r["closure_max_h"]), str(r["top_bottleneck"]))
    con.print(t)
    con.print(f"Rows: {out / 'sweep.parquet'}")
    return df
