"""Air cargo through the Melsbroek air terminal in the APS airlift case (experiments/scenarios/belgium_aps_airlift.yaml)
judged as of a date when the air terminal operations centre equipment is in service (2028): closure and the
piece-hours pallets spend at the airfield (`airfield_cargo_piece_h`), without and with the equipment line, and,
as a capacity-never-hurts check, with Melsbroek's cargo rate (cargo_pph) raised further. Each variant runs the
same replications (common random numbers); savings are paired by replication, with their 95 % t interval.

    python experiments/air_cargo.py [--replications 10] [--as-of 2028-01-01]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.plan import load_plan
from sim.runner import run
from sim.statistics import ci95
from sim.variants import variant

CASE = Path(__file__).resolve().parent / "scenarios" / "belgium_aps_airlift.yaml"
LINE = "air_terminal_ops_equipment"
RATES = (2.0, 4.0, 10.0)  # Melsbroek's cargo_pph multiplied, beyond the line's x1.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--as-of", default="2028-01-01")
    args = ap.parse_args()
    base = variant(load_plan(CASE), set={"as_of": args.as_of}, name="baseline")
    plans = {"baseline": base, LINE: variant(base, investments=[LINE], name=LINE)}
    for m in RATES:
        plans[f"cargo_pph x{m:g}"] = variant(base, scale={"airfields.melsbroek.cargo_pph": m}, name=f"x{m:g}")
    runs = {k: [(s["closure_h"], s["airfield_cargo_piece_h"]) for s in run(p, replications=args.replications).summaries()]
            for k, p in plans.items()}
    b = runs["baseline"]
    print(f"{'variant':<28}{'closure h':>24}{'saved h':>26}{'pallet-h at airfield':>26}{'saved':>10}  worst rep")
    for k, rows in runs.items():
        c, lo, hi = ci95([r[0] for r in rows])
        s, slo, shi = ci95([x[0] - y[0] for x, y in zip(b, rows, strict=True)])
        p = ci95([r[1] for r in rows])[0]
        worst = min(x[0] - y[0] for x, y in zip(b, rows, strict=True))
        print(f"{k:<28}{c:>10.2f} [{lo:.2f}, {hi:.2f}]{s:>10.2f} [{slo:.2f}, {shi:.2f}]{p:>26.1f}"
              f"{b[0][1] - rows[0][1]:>10.1f}  {worst:.2f}")


if __name__ == "__main__":
    main()
