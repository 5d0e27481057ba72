"""Capacity never hurts: on the built-in scenario, add wagons, locomotives, train paths, loading ramps, berths
and HETs one at a time and check that mean closure never gets longer beyond its 95 % interval.

Each step runs --replications replications (common random numbers: the same seeds for every variant) and is
compared with the step before it on the per-replication difference of closure (paired; 95 % t interval). A
step is flagged HURTS when the whole interval of (more capacity - less) lies above zero.

    python experiments/capacity.py [--replications 5] [--workers 2] [--out capacity_out]
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.paths import builtin_scenario
from sim.statistics import ci95
from sim.sweep import execute, grid

# each dimension: a parameter and its values, from below the scenario's assumption to well above it
DIMENSIONS: dict[str, list[float]] = {
    "pools.wagons.heavy_flat": [60, 120, 160, 240],  # the scenario's assumption is 120; the investment adds 112
    "pools.wagons.container_flat": [30, 60, 120],
    "pools.train_sets": [5, 10, 20],
    "corridor.L27A.paths_per_day": [2, 4, 8],
    "corridor.L24.paths_per_day": [2, 4, 8],
    "railheads.antwerp_aet.ramps": [1, 2, 4],
    "seaports.antwerp_aet.berths": [1, 2, 3],
    "pools.hets": [20, 40, 80],
}


def sweep(dimensions: dict[str, list[float]], replications: int, workers: int | None, out: Path | None,
          scenario: Path | None = None) -> pd.DataFrame:
    """One row per dimension and step: mean closure at the smaller and the larger value, the paired
    difference with its 95 % half-width, and whether more capacity hurt."""
    rows = []
    for name, values in dimensions.items():
        tasks = grid(scenario or builtin_scenario(), {name: list(values)}, replications=replications)
        df = execute(tasks, out=None if out is None else out / name.replace("/", "_"), workers=workers)
        by = df.pivot_table(index="replication", columns=name, values="closure_h", aggfunc="first", dropna=False)
        by = by.reindex(columns=values)  # a value whose runs all stay open within the horizon has no closure
        for lo, hi in itertools.pairwise(values):
            a, b = by[lo].to_numpy(dtype=float), by[hi].to_numpy(dtype=float)
            both = ~np.isnan(a) & ~np.isnan(b)
            diff = b[both] - a[both]
            mean, _, upper = ci95(list(diff)) if len(diff) else (math.nan, math.nan, math.nan)
            half = upper - mean
            opened = int((~np.isnan(a) & np.isnan(b)).sum())  # runs that closed with less and not with more
            rows.append({"parameter": name, "from": lo, "to": hi, "closure_from_h": float(np.nanmean(a)) if (~np.isnan(a)).any() else math.nan,
                         "closure_to_h": float(np.nanmean(b)) if (~np.isnan(b)).any() else math.nan,
                         "not_closed_from": int(np.isnan(a).sum()), "not_closed_to": int(np.isnan(b).sum()),
                         "change_h": mean, "half_width_h": half,
                         "hurts": bool(opened or (len(diff) > 1 and mean - half > 1e-9))})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="keep runs here (a rerun only runs what is missing)")
    args = ap.parse_args()
    start = time.perf_counter()
    table = sweep(DIMENSIONS, args.replications, args.workers, args.out)
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 160):
        print(table.to_string(index=False))
    print(f"\n{len(table)} steps, {args.replications} replications each, {time.perf_counter() - start:.0f} s; "
          f"{int(table['hurts'].sum())} where more capacity lengthened closure beyond its 95 % interval")


if __name__ == "__main__":
    main()
