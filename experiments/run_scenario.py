"""Example for scripts and notebooks: run a scenario for a few replications and look at the results as pandas.

    python experiments/run_scenario.py [SCENARIO] [--replications 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import aggregate, load_plan, run
from sim.paths import builtin_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", type=Path, default=builtin_scenario())
    ap.add_argument("--replications", type=int, default=3)
    args = ap.parse_args()
    plan = load_plan(args.scenario)
    results = run(plan, replications=args.replications)
    summary = aggregate([r.summary() for r in results])
    print(f"{summary['scenario']}: closure {summary['closure_h']} h (mean of {args.replications})")
    first = results[0]
    print("\nBusiest resources (first replication):")
    print(first.resource_stats()[["resource", "kind", "utilization", "wait_h", "max_queue"]].head(8).to_string(index=False))
    print("\nClosure by brigade (first replication):")
    print(first.closure().to_string(index=False))
    daily = first.daily_throughput()
    exits = daily[daily["stage"].isin(["rail", "road", "het", "barge", "air"])]
    print("\nPieces across the border per day and mode (first replication):")
    print(exits.pivot_table(index="day", columns="stage", values="pieces", aggfunc="sum", fill_value=0).head(25).to_string())


if __name__ == "__main__":
    main()
