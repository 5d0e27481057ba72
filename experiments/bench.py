"""Benchmark one replication of a scenario (default: the built-in one): wall time, peak memory, SimPy events,
pieces and piece-stages. Prints a table and writes it as JSON.

    python experiments/bench.py [SCENARIO] [--repeat 3] [--out bench.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import tracemalloc
from pathlib import Path

from sim import __version__
from sim.paths import builtin_scenario
from sim.plan import load_plan
from sim.runner import run_replication


def bench(scenario: Path, repeat: int) -> dict:
    t0 = time.perf_counter()
    plan = load_plan(scenario)
    load_s = time.perf_counter() - t0
    walls, results = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        results = run_replication(plan)
        walls.append(time.perf_counter() - t0)
    tracemalloc.start()
    run_replication(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert results is not None
    moves = results.moves
    piece_stages = int((moves["kind"] == "piece").sum())
    best = min(walls)
    return {
        "scenario": plan.scenario.name,
        "version": __version__,
        "python": platform.python_version(),
        "load_s": round(load_s, 3),
        "wall_s_best": round(best, 3),
        "wall_s_all": [round(w, 3) for w in walls],
        "peak_traced_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "events": results.events,
        "pieces": len(results.pieces),
        "personnel": int(results.personnel["persons"].sum()),
        "piece_stages": piece_stages,
        "us_per_event": round(best / results.events * 1e6, 2),
        "us_per_piece_stage": round(best / piece_stages * 1e6, 2),
        "closure_h": results.summary()["closure_h"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", type=Path, default=builtin_scenario())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench.json"))
    args = ap.parse_args()
    row = bench(args.scenario, args.repeat)
    width = max(len(k) for k in row)
    for k, v in row.items():
        print(f"{k:<{width}}  {v}")
    args.out.write_text(json.dumps(row, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
