"""Benchmark the model and print a table (also written as JSON):

- one replication of the built-in scenario: wall time, split into the simulation (the event loop, leaving flat
  records) and the results tables built from them, then the summary; peak memory, SimPy events, pieces,
  piece-stages;
- a reference in the same process: a bare SimPy tandem queue (three simpy.Resource stations in series,
  exponential times) with the same number of entity-stations; the ratio model / reference per entity-station,
  for the simulation and for simulation plus tables. Model and reference are timed in turn, best of --repeat
  each, so a busy machine slows both alike;
- scaling: the built-in force multiplied to 1, 2, 4, 8, 16 brigade-equivalents (timed in turn, best of at least
  3 rounds), with the fitted exponent of time against size (simulation plus tables, and simulation alone);
- replications: N replications on 1 process and on 2 processes, and the parallel efficiency.

    python experiments/bench.py [--repeat 3] [--sizes 1,2,4,8,16] [--replications 100] [--out bench.json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

from sim import __version__
from sim.deployment import inline
from sim.model import Model
from sim.paths import builtin_scenario
from sim.plan import compile_plan, load_plan, resolve_network
from sim.results import Results
from sim.runner import run_replication
from sim.scenario import MAX_HORIZON_H, parse_scenario, read_scenario
from sim.sweep import Task, execute


def tandem(n_entities: int, seed: int = 1) -> float:
    """Wall time (s) of a bare SimPy tandem queue: n entities through three single-server stations."""
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    stations = [simpy.Resource(env, 1) for _ in range(3)]
    gaps = rng.exponential(1.0, n_entities)
    service = rng.exponential(0.8, (n_entities, 3))

    def entity(i: int):
        for k in range(3):
            with stations[k].request() as req:
                yield req
                yield env.timeout(service[i, k])

    def source():
        for i in range(n_entities):
            yield env.timeout(gaps[i])
            env.process(entity(i))

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def split_times(plan) -> tuple[float, float, float, object]:
    """One replication timed in parts: simulation (s), results tables (s), summary (s); and the Results."""
    m = Model(plan)
    t0 = time.perf_counter()
    end = m.simulate()
    t1 = time.perf_counter()
    res = Results.from_model(m.world, end)
    t2 = time.perf_counter()
    res.summary()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, res


def peak_mib(plan) -> float:
    tracemalloc.start()
    run_replication(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def scaled_plan(k: int):
    """The built-in scenario with k brigade-equivalents (its forces repeated in turn, same arrivals)."""
    path = builtin_scenario()
    base, _ = inline(read_scenario(path), str(path))  # its deployment list read in, to be copied with each force
    data = base.model_dump(mode="json", by_alias=True)
    forces = data["forces"]
    data["forces"] = [{**forces[i % len(forces)], "id": f"{forces[i % len(forces)]['id']}_{i}"} for i in range(k)]
    lines = data["deployment"]  # each copy of a force gets its unit lines, renamed with it
    data["deployment"] = [{**line, "force": f["id"], "uln": f"{line['uln']}_{i}"}
                          for i, f in enumerate(data["forces"]) for line in lines
                          if line["force"] == forces[i % len(forces)]["id"]]
    data["horizon_h"] = MAX_HORIZON_H  # the longest a scenario may run: every size closes well within it
    s = parse_scenario(data, str(path))
    return compile_plan(s, str(path), resolve_network(s, path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="1,2,4,8,16")
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--out", type=Path, default=Path("bench.json"))
    args = ap.parse_args()
    out: dict = {"version": __version__, "python": platform.python_version()}

    plan = load_plan(builtin_scenario())
    sim_s = tables_s = summary_s = ref = math.inf
    res = None
    for _ in range(args.repeat):  # in turn, so that load on the machine slows both alike
        a, b, c, res = split_times(plan)
        sim_s, tables_s, summary_s = min(sim_s, a), min(tables_s, b), min(summary_s, c)
        stages = int((res.moves["kind"] == "piece").sum())
        ref = min(ref, tandem(math.ceil(stages / 3)))
    per_ref = ref / (3 * math.ceil(stages / 3))
    out["builtin"] = {"simulate_s": round(sim_s, 3), "tables_s": round(tables_s, 3), "summary_s": round(summary_s, 3),
                      "wall_s": round(sim_s + tables_s, 3), "peak_mib": round(peak_mib(plan), 1), "events": res.events,
                      "pieces": len(res.pieces), "piece_stages": stages,
                      "us_per_piece_stage": round(sim_s / stages * 1e6, 2), "closure_h": res.summary()["closure_h"]}
    out["reference"] = {"entity_stations": 3 * math.ceil(stages / 3), "wall_s": round(ref, 3),
                        "us_per_entity_station": round(per_ref * 1e6, 2)}
    out["ratio_model_to_reference"] = round((sim_s / stages) / per_ref, 3)
    out["ratio_with_tables"] = round(((sim_s + tables_s) / stages) / per_ref, 3)

    sizes = [int(x) for x in args.sizes.split(",") if x]
    plans = {k: scaled_plan(k) for k in sizes}
    best: dict[int, list[float]] = {k: [math.inf, math.inf] for k in sizes}
    last: dict[int, object] = {}
    for _ in range(max(3, args.repeat // 2)):  # sizes in turn, round after round: load slows all sizes alike
        for k in sizes:
            a, b, _, last[k] = split_times(plans[k])
            best[k] = [min(best[k][0], a), min(best[k][1], b)]
    rows = []
    for k in sizes:
        r = last[k]
        rows.append({"brigades": k, "pieces": len(r.pieces), "events": r.events, "simulate_s": round(best[k][0], 3),
                     "wall_s": round(best[k][0] + best[k][1], 3), "peak_mib": round(peak_mib(plans[k]), 1),
                     "closure_h": r.summary()["closure_h"]})
    if len(rows) > 1:
        x = np.log([r["brigades"] for r in rows])
        out["scaling_exponent"] = round(float(np.polyfit(x, np.log([r["wall_s"] for r in rows]), 1)[0]), 3)
        out["scaling_exponent_simulate"] = round(float(np.polyfit(x, np.log([r["simulate_s"] for r in rows]), 1)[0]), 3)
    out["scaling"] = rows

    if args.replications:
        tasks = [Task(str(builtin_scenario().resolve()), (), (), 20270201, r, "bench") for r in range(args.replications)]
        t0 = time.perf_counter()
        a = execute(tasks, workers=1, progress=False)
        t1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        b = execute(tasks, workers=2, progress=False)
        t2 = time.perf_counter() - t0
        same = a.drop(columns=["key"]).equals(b.drop(columns=["key"]))
        out["replications"] = {"n": args.replications, "wall_s_1_process": round(t1, 2), "wall_s_2_processes": round(t2, 2),
                               "speed_up": round(t1 / t2, 3), "efficiency": round(t1 / t2 / 2, 3), "identical": bool(same)}

    print(json.dumps(out, indent=2))
    args.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
