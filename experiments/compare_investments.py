"""Example: which planned investment shortens the deployment most per euro, and where the bottleneck moves.

    python experiments/compare_investments.py [--investments a,b] [--replications 5] [--workers 2] [--out compare.csv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.compare import compare
from sim.paths import builtin_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=builtin_scenario())
    ap.add_argument("--investments", default="all", help="comma-separated names, or all")
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("compare.csv"))
    args = ap.parse_args()
    names = [n for n in args.investments.split(",") if n]
    df = compare(args.scenario, names, args.replications, workers=args.workers)
    df.to_csv(args.out, index=False)
    cols = ["name", "cost_eur", "closure_h_mean", "saved_h_mean", "saved_h_ci95_lo", "saved_h_ci95_hi",
            "days_saved_per_100m_eur", "bound_h", "top_bottleneck"]
    ranked = df.iloc[1:].sort_values("saved_h_mean", ascending=False)
    print(df.iloc[:1][cols].to_string(index=False, float_format=lambda x: f"{x:,.1f}"))
    print(ranked[cols].to_string(index=False, header=False, float_format=lambda x: f"{x:,.1f}"))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
