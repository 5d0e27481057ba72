"""Example sweep on the built-in scenario: wagon pools (heavy_flat, container_flat) against military train paths
per day on Line 16 (Lier-Aarschot), each grid point for a few replications; prints mean closure (h) as a pivot.

    python experiments/sweep_wagons_paths.py --replications 2 --workers 2
    python experiments/sweep_wagons_paths.py --scheduler tcp://HOST:8786

Runs are kept in OUT/runs, so running the script again only runs what is missing (delete OUT to start afresh)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.paths import builtin_scenario
from sim.sweep import execute, grid

GRID = {
    "pools.wagons.heavy_flat": [60, 120],  # the scenario's assumption is 120
    "pools.wagons.container_flat": [30, 60],  # the scenario's assumption is 60
    "corridor.L16.paths_per_day": [2, 4],  # the network's table gives 3
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=2, help="replications per grid point (default 2)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=None, help="local processes (default: one per core)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://HOST:8786")
    ap.add_argument("--out", type=Path, default=Path("sweep_out"), help="folder for runs/ and sweep.parquet")
    args = ap.parse_args()

    tasks = grid(builtin_scenario(), GRID, replications=args.replications, seed=args.seed)
    start = time.perf_counter()
    df = execute(tasks, out=args.out, workers=args.workers, scheduler=args.scheduler)
    wall = time.perf_counter() - start

    df["wagons (heavy_flat/container_flat)"] = (df["pools.wagons.heavy_flat"].astype(str) + "/"
                                                + df["pools.wagons.container_flat"].astype(str))
    pivot = df.pivot_table(index="wagons (heavy_flat/container_flat)", columns="corridor.L16.paths_per_day",
                           values="closure_h", aggfunc="mean", sort=False)
    pivot.columns = [f"L16 {c} paths/day" for c in pivot.columns]
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 120):
        print(f"Mean closure (h) over {args.replications} replication(s); {len(tasks)} runs in {wall:.1f} s")
        print(pivot)
        top = df.groupby(["corridor.L16.paths_per_day"])["top_bottleneck"].agg(lambda s: s.mode().iloc[0])
        print("\nMost frequent top bottleneck by L16 paths/day:")
        print(top.to_string())
    print(f"\nRows: {args.out / 'sweep.parquet'}")


if __name__ == "__main__":
    main()
