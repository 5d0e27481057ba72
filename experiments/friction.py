"""Friction on the built-in scenario: closure with and without a Line 24 sabotage, a drone incursion at
Antwerp, civil traffic at today's level (civil or military priority), and sustainment flows both ways.

Every variant runs the same seeds (common random numbers), so differences are paired. Usage:
    python experiments/friction.py [--replications 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from typing import Any

import yaml

from sim.paths import builtin_scenario
from sim.plan import compile_plan, resolve_network
from sim.runner import run_replication
from sim.scenario import parse_scenario

# Hours are from the scenario start (ships at Antwerp from t = 0, Zeebrugge from t = 0).
LINE24_SABOTAGE = {"events": [{"name": "line24_sabotage", "kind": "sabotage", "target": "L24", "at_h": 72,
                               "duration_h": 48}]}  # 48 h: repair time of the July 2024 French line sabotage
ANTWERP_DRONE = {"events": [{"name": "antwerp_drone", "kind": "drone", "target": "antwerp_aet", "at_h": 12,
                             "duration_h": 12}]}  # 12 h: ASSUMPTION (observed closures 0.5-4 h, repeated over nights)
PEAKS = "06:30-09:30;15:30-19:00"  # ASSUMPTION from Flemish peak definitions and jam data (friction_sources.md 3)
SUSTAINMENT = [  # ASSUMPTIONS derived in networks/belgium/friction_sources.md section 4, for two brigade-equivalents
    {"name": "supplies_east", "origin": "antwerp_noord", "destination": "de_aachen_west", "mode": "rail",
     "cls": "container", "pieces_per_day": 6, "start_h": 0, "end_h": 720},  # 2-3 x 20 ft a day per brigade (dry cargo)
    {"name": "fuel_east", "origin": "antwerp_aet", "destination": "de_lichtenbusch", "mode": "road",
     "cls": "wheeled", "pieces_per_day": 20, "start_h": 0, "end_h": 720},  # ~10 road tankers a day per brigade
    {"name": "repairs_west", "origin": "de_aachen_west", "destination": "antwerp_noord", "mode": "rail",
     "cls": "tracked", "pieces_per_day": 2, "start_h": 168, "end_h": 720},  # damaged combat vehicles going back
    {"name": "rotation_west", "origin": "de_lichtenbusch", "destination": "melsbroek", "mode": "road",
     "persons_per_day": 40, "start_h": 168, "end_h": 720},  # leave, rotation and evacuation (1-2 % a week)
]

VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "line24_sabotage_48h": {"disruptions": LINE24_SABOTAGE},
    "antwerp_drone_12h": {"disruptions": ANTWERP_DRONE},
    "civil_today_civil_priority": {"civil_traffic": {"level": 1.0, "priority": "civil", "road_peaks": PEAKS}},
    "civil_today_military_priority": {"civil_traffic": {"level": 1.0, "priority": "military", "road_peaks": PEAKS}},
    "sustainment_both_ways": {"sustainment": SUSTAINMENT},
}


def _ci(xs: list[float]) -> tuple[float, float]:
    """Mean and half-width of a 95 % t-interval (normal quantile above 30)."""
    t = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, math.nan
    return m, t.get(len(xs) - 1, 1.96) * statistics.stdev(xs) / math.sqrt(len(xs))


def run_variants(replications: int, names: list[str] | None = None) -> dict[str, Any]:
    path = builtin_scenario()
    base = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    closures: dict[str, list[float | None]] = {}
    for name in names or list(VARIANTS):
        s = parse_scenario({**base, **VARIANTS[name]}, str(path))
        plan = compile_plan(s, str(path), resolve_network(s, path))
        rows = [run_replication(plan, replication=r).summary() for r in range(replications)]
        closures[name] = [r["closure_h"] for r in rows]
        first = rows[0]
        out[name] = {
            "closure_h": [r["closure_h"] for r in rows],
            "stranded_pieces": [r["pieces"]["in_system"] + r["pieces"]["not_arrived"] for r in rows],
            "disruptions": first.get("disruptions"),
            "civil_displaced": first.get("civil_displaced"),
            "sustainment": first.get("sustainment"),
            "bottleneck": first["bottlenecks"][0]["resource"] if first["bottlenecks"] else None,
        }
    base_c = closures.get("baseline")
    for name, v in out.items():
        cs = [c for c in v["closure_h"] if c is not None]
        v["closure_mean_h"], v["closure_ci_h"] = _ci(cs) if cs else (None, None)
        if base_c and name != "baseline" and all(c is not None for c in v["closure_h"] + base_c):
            v["delay_mean_h"], v["delay_ci_h"] = _ci([a - b for a, b in zip(v["closure_h"], base_c)])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--variants", default="", help="comma-separated subset of " + ",".join(VARIANTS))
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = run_variants(a.replications, [v for v in a.variants.split(",") if v] or None)
    print(f"{'variant':32} {'closure h (95% CI)':>22} {'delay h (95% CI)':>20} {'stranded':>9}  top bottleneck")
    for name, v in res.items():
        clo = "not closed" if v["closure_mean_h"] is None else f"{v['closure_mean_h']:.1f} ± {v['closure_ci_h']:.1f}"
        dly = f"{v['delay_mean_h']:+.1f} ± {v['delay_ci_h']:.1f}" if "delay_mean_h" in v else ""
        print(f"{name:32} {clo:>22} {dly:>20} {statistics.fmean(v['stranded_pieces']):9.1f}  {v['bottleneck']}")
    for name, v in res.items():
        for d in v["disruptions"] or []:
            print(f"  {name}: hit {d['target']} ({d['kind']}) {d['start_h']:.0f}-{d['end_h']:.0f} h: "
                  f"{d['delay_piece_h']:,.0f} piece-h waited, {d['diverted']} diverted, {d['rerouted']} re-routed")
        if v["civil_displaced"]:
            print(f"  {name}: civil traffic displaced {v['civil_displaced']}")
        if v["sustainment"]:
            print(f"  {name}: sustainment per direction {v['sustainment']}")
    print(f"({a.replications} replications per variant, {time.perf_counter() - t0:.1f} s)")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
