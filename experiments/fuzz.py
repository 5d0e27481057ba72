"""Fuzz the model on demand: thousands of random scenarios and mutated input files, each in a worker process
with a timeout; every failing case is written out so it can be replayed with `rsom run`.

    python experiments/fuzz.py --cases 10000 --out fuzz_failures/ --seed 1 --workers 2

The strategies and invariants are those of tests/test_fuzz.py (tests/fuzzkit.py): no exception but
InputError from loading (each problem naming file, field and value), no exception or hang from a run,
pieces and persons conserved, closure not below the analytic bound, the same summary from the same seed;
for mutated files, `rsom validate` and `rsom run --json` exit 0 or 2, never with a traceback, and on exit 2
every stderr line starts with `error:`. A failing case becomes OUT/<n>_<kind>/ with scenario.yaml, net/
and failure.txt (what broke, and the command to replay it)."""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's sim package and the test kits

import fuzzkit as fk  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CHUNK = 100  # cases generated per hypothesis run (each run with its own seed)


def _chunk(strategy: st.SearchStrategy, want: int, seed_: int) -> list[Any]:
    """Up to `want` examples from one seeded hypothesis run."""
    got: list[Any] = []

    @seed(seed_)
    @settings(max_examples=want, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(x: Any) -> None:
        if len(got) < want:
            got.append(x)

    collect()
    return got


def generate(strategy: st.SearchStrategy, n: int, base_seed: int) -> Iterator[Any]:
    """n examples of a strategy, reproducible from the seed: hypothesis runs of CHUNK examples, seeded in turn."""
    made, chunk = 0, 0
    while made < n:
        got = _chunk(strategy, min(CHUNK, n - made), base_seed * 1_000_003 + chunk)
        if not got:
            return
        yield from got
        made += len(got)
        chunk += 1


def label(case: fk.Case | fk.FileCase) -> str:
    """The class of an input, for the table: `scenario`, or the mutated file's kind and mutation."""
    if isinstance(case, fk.Case):
        return "scenario"
    return f"{'yaml' if case.target == 'scenario.yaml' else 'csv'}:{case.kind}"


def check(case: fk.Case | fk.FileCase, wall_limit_s: float) -> fk.Outcome:
    """Run one case in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="rsom_fuzz_") as tmp:
        if isinstance(case, fk.Case):
            return fk.run_scenario_checks(fk.write_case(case, Path(tmp)), wall_limit_s)
        return fk.run_cli_checks(fk.write_file_case(case, Path(tmp)))


def worker(conn: Connection, wall_limit_s: float) -> None:
    """Check cases sent over the pipe until None arrives."""
    while True:
        job = conn.recv()
        if job is None:
            return
        i, case = job
        try:
            out = check(case, wall_limit_s)
        except BaseException as exc:
            out = fk.Outcome("failure", "fuzzer_error", fk._trace(exc))
        conn.send((i, out))


def write_failure(out: Path, i: int, case: fk.Case | fk.FileCase, o: fk.Outcome) -> Path:
    """The case's files and failure.txt in OUT/<i>_<kind>/."""
    folder = out / f"{i:06d}_{o.kind}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = fk.write_case(case, folder) if isinstance(case, fk.Case) else fk.write_file_case(case, folder)
    what = "rsom run scenario.yaml --json" if isinstance(case, fk.Case) else \
        "rsom validate scenario.yaml; rsom run scenario.yaml --json"
    mutation = "" if isinstance(case, fk.Case) else f"mutation: {case.kind} of {case.target}\n"
    (folder / "failure.txt").write_text(
        f"case {i} ({label(case)}): {o.status} {o.kind}\n{mutation}replay: cd {folder} && {what}\n"
        f"scenario: {path.name}\n\n{o.detail}\n", encoding="utf-8")
    return folder


class Pool:
    """Worker processes fed one case at a time; a worker past its deadline is killed and replaced."""

    def __init__(self, n: int, timeout_s: float, wall_limit_s: float):
        self.ctx = mp.get_context("fork" if sys.platform != "win32" else "spawn")
        self.timeout_s, self.wall_limit_s = timeout_s, wall_limit_s
        self.slots: list[dict[str, Any]] = [self._start() for _ in range(n)]

    def _start(self) -> dict[str, Any]:
        mine, theirs = self.ctx.Pipe()
        p = self.ctx.Process(target=worker, args=(theirs, self.wall_limit_s), daemon=True)
        p.start()
        theirs.close()
        return {"proc": p, "conn": mine, "job": None, "deadline": 0.0}

    def run(self, cases: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any, fk.Outcome]]:
        """Yield (index, case, outcome) as cases finish, in any order."""
        pending = True
        while True:
            for slot in self.slots:
                if slot["job"] is None and pending:
                    nxt = next(cases, None)
                    if nxt is None:
                        pending = False
                        continue
                    slot["job"], slot["deadline"] = nxt, time.monotonic() + self.timeout_s
                    slot["conn"].send(nxt)
            busy = [s for s in self.slots if s["job"] is not None]
            if not busy:
                return
            wait_s = max(0.0, min(s["deadline"] for s in busy) - time.monotonic())
            ready = wait([s["conn"] for s in busy], timeout=wait_s)
            for k, slot in enumerate(self.slots):
                if slot["job"] is None:
                    continue
                i, case = slot["job"]
                if slot["conn"] in ready:
                    try:
                        _, o = slot["conn"].recv()
                    except EOFError:  # the worker died (memory, signal): its case is the finding
                        o = fk.Outcome("failure", "worker_died", f"exit code {slot['proc'].exitcode}")
                        self._replace(k)
                    else:
                        slot["job"] = None
                    yield i, case, o
                elif time.monotonic() >= slot["deadline"]:
                    self._replace(k)
                    yield i, case, fk.Outcome("failure", "timeout", f"no answer within {self.timeout_s:g} s",
                                              self.timeout_s)

    def _replace(self, k: int) -> None:
        old = self.slots[k]
        old["proc"].kill()
        old["proc"].join()
        old["conn"].close()
        self.slots[k] = self._start()

    def close(self) -> None:
        for s in self.slots:
            with contextlib.suppress(BrokenPipeError, OSError):
                s["conn"].send(None)
            s["proc"].join(timeout=5)
            if s["proc"].is_alive():
                s["proc"].kill()


def table(counts: Counter[tuple[str, str]]) -> str:
    """Inputs per class (rows) by outcome (columns)."""
    classes = sorted({c for c, _ in counts}, key=lambda c: (c != "scenario", c))
    outcomes = sorted({o for _, o in counts}, key=lambda o: (o != "ok", o != "input_error", o))
    width = max(12, *(len(c) for c in classes))
    cols = [max(len(o), 6) for o in outcomes]
    lines = [f"{'input':<{width}}  " + "  ".join(f"{o:>{w}}" for o, w in zip(outcomes, cols)) + "   total"]
    for c in classes:
        row = [counts.get((c, o), 0) for o in outcomes]
        lines.append(f"{c:<{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(row, cols)) + f"  {sum(row):>6}")
    tot = [sum(counts.get((c, o), 0) for c in classes) for o in outcomes]
    lines.append(f"{'all':<{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(tot, cols)) + f"  {sum(tot):>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=1000, help="random scenarios to run")
    ap.add_argument("--files", type=int, default=None, help="mutated files to try (default: a third of --cases)")
    ap.add_argument("--out", type=Path, default=Path("fuzz_failures"), help="folder for failing cases")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generation (same seed, same cases)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as hung")
    ap.add_argument("--wall-limit", type=float, default=fk.WALL_LIMIT_S, help="seconds one replication may take")
    args = ap.parse_args(argv)
    files = args.cases // 3 if args.files is None else args.files

    def cases() -> Iterator[tuple[int, Any]]:
        i = 0
        for case in generate(fk.scenarios(), args.cases, args.seed):
            yield i, case
            i += 1
        for case in generate(fk.mutated_files(), files, args.seed + 7919):
            yield i, case
            i += 1

    counts: Counter[tuple[str, str]] = Counter()
    failures = 0
    t0 = time.time()
    pool = Pool(args.workers, args.timeout, args.wall_limit)
    try:
        for n, (i, case, o) in enumerate(pool.run(cases()), start=1):
            outcome = o.status if o.status != "failure" else f"fail:{o.kind}"
            counts[(label(case), outcome)] += 1
            if o.status == "failure":
                failures += 1
                folder = write_failure(args.out, i, case, o)
                print(f"failure {o.kind}: {folder}", flush=True)
            if n % 250 == 0:
                print(f"{n} cases, {failures} failures, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    finally:
        pool.close()
    print(f"\n{args.cases} random scenarios and {files} mutated files, seed {args.seed}, {args.workers} workers, "
          f"{time.time() - t0:.0f} s" + (f"; {failures} failing cases in {args.out}/" if failures else "; no failures"))
    print(table(counts))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
