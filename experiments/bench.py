"""Benchmark the model and print a table (also written as JSON), each figure beside its reference, measured
in turn in one run so that load on the machine slows both alike:

- start-up: `rsom run` on the built-in scenario (wall s, the cache of compiled plans warm, and off), beside
  `python -c "import sim.cli"` and a bare interpreter, with the ratios;
- one replication of the built-in scenario: wall time, split into the simulation (the event loop, leaving flat
  records) and the results tables built from them, then the summary; peak memory, SimPy events, pieces,
  piece-stages;
- a replication as compare and sweep run it: CPU s of the summary figures straight from the records
  (runner.run_figures) beside the same replication through the results tables (Results.summary), split into
  building the run, the event loop, and the figures;
- a reference in the same process: a bare SimPy tandem queue (three simpy.Resource stations in series,
  exponential times) with the same number of entity-stations; the ratio model / reference per entity-station,
  for the simulation and for simulation plus tables. Model and reference are timed in turn, best of --repeat
  each;
- scaling: the built-in force multiplied to 1, 2, 4, 8, 16 brigade-equivalents (timed in turn, best of at least
  3 rounds), with the fitted exponent of time against size (simulation plus tables, and simulation alone):
  all arriving together (--sizes, a saturated network) and with each copy's arrivals --spread-h later than the
  one before (--spread-sizes);
- the cyclic garbage collector's share of the event loop at --gc-size brigade-equivalents, saturated (time in
  collections over the loop's time, gc.callbacks), with the collections by generation;
- replications: N replications on 1 process and on 2 processes, and the parallel efficiency;
- with --study: the investment study over the scenario set, `rsom compare --scenarios all --replications 30
  --workers 2`, wall s and CPU s per run; the runs it took from a variant with the same plan instead of making
  them (sweep.twins), and CPU s per run made.

    python experiments/bench.py [--repeat 3] [--sizes 1,2,4,8,16] [--spread-sizes 1,2,4,8,16,32] [--gc-size 32]
                                [--replications 100] [--study] [--out bench.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
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
from sim.runner import run_figures, run_replication
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


def _later(force: dict, by_h: float) -> dict:
    """A force's ship calls and flights `by_h` hours later."""
    return {**force, "ships": [{**s, "at_h": s["at_h"] + by_h} for s in force.get("ships") or []],
            "flights": [{**f, "at_h": f["at_h"] + by_h} for f in force.get("flights") or []]}


def scaled_plan(k: int, spread_h: float = 0.0):
    """The built-in scenario with k brigade-equivalents (its forces repeated in turn); copy i arrives
    i // (forces) * spread_h hours after the first (0: all together, as the built-in's forces do)."""
    path = builtin_scenario()
    base, _ = inline(read_scenario(path), str(path))  # its deployment list read in, to be copied with each force
    data = base.model_dump(mode="json", by_alias=True)
    forces = data["forces"]
    data["forces"] = [{**_later(forces[i % len(forces)], (i // len(forces)) * spread_h),
                       "id": f"{forces[i % len(forces)]['id']}_{i}"} for i in range(k)]
    lines = data["deployment"]  # each copy of a force gets its unit lines, renamed with it
    data["deployment"] = [{**line, "force": f["id"], "uln": f"{line['uln']}_{i}"}
                          for i, f in enumerate(data["forces"]) for line in lines
                          if line["force"] == forces[i % len(forces)]["id"]]
    data["horizon_h"] = MAX_HORIZON_H  # the longest a scenario may run: every size closes well within it
    s = parse_scenario(data, str(path))
    return compile_plan(s, str(path), resolve_network(s, path))


ROOT = Path(__file__).resolve().parents[1]  # the source tree this script belongs to: the one measured


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time (s) of a command run to its end, its output discarded (an error ends the benchmark)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def startup(repeat: int) -> dict:
    """`rsom run` on the built-in scenario (its cache of compiled plans warm, and turned off) beside
    `python -c "import sim.cli"` and a bare interpreter: best wall s of `repeat`, each in turn."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as cache:
        warm = {**env, "RSOM_PLAN_CACHE": cache}
        cold = {**env, "RSOM_PLAN_CACHE": "off"}
        cmds = {"rsom_run_s": ([sys.executable, "-m", "sim.cli", "run"], warm),
                "rsom_run_no_cache_s": ([sys.executable, "-m", "sim.cli", "run"], cold),
                "import_sim_cli_s": ([sys.executable, "-c", "import sim.cli"], env),
                "bare_interpreter_s": ([sys.executable, "-c", "pass"], env)}
        _wall(*cmds["rsom_run_s"])  # fills the cache
        best = dict.fromkeys(cmds, math.inf)
        for _ in range(repeat):
            for k, (cmd, e) in cmds.items():
                best[k] = min(best[k], _wall(cmd, e))
    out = {k: round(v, 3) for k, v in best.items()}
    out["run_over_import"] = round(best["rsom_run_s"] / best["import_sim_cli_s"], 3)
    out["run_over_bare"] = round(best["rsom_run_s"] / best["bare_interpreter_s"], 1)
    out["target_s"] = 0.8
    return out


def replication_cpu(plan, n: int) -> dict:
    """CPU s of one replication as compare and sweep run it (the summary figures from the records) beside the
    same replication through the results tables and their summary (the reference), in turn, median of n; the
    fast one split into building the run, the event loop and the figures."""
    from sim.figures import figures

    fast, tables, build, loop, figs = [], [], [], [], []
    run_figures(plan, None, 0)  # the plan's facts made once, as in a worker
    for r in range(n):
        t0 = time.process_time()
        run_figures(plan, None, r)
        fast.append(time.process_time() - t0)
        t0 = time.process_time()
        run_replication(plan, None, r).summary()
        tables.append(time.process_time() - t0)
        t0 = time.process_time()
        m = Model(plan, replication=r)
        t1 = time.process_time()
        end = m.simulate()
        t2 = time.process_time()
        figures(m.world, end)
        t3 = time.process_time()
        build.append(t1 - t0)
        loop.append(t2 - t1)
        figs.append(t3 - t2)
    med = statistics.median
    return {"n": n, "figures_cpu_s": round(med(fast), 4), "tables_and_summary_cpu_s": round(med(tables), 4),
            "ratio": round(med(fast) / med(tables), 3), "split_build_s": round(med(build), 4),
            "split_event_loop_s": round(med(loop), 4), "split_figures_s": round(med(figs), 4), "target_cpu_s": 0.1}


class _Collections:
    """gc.callbacks watcher: per generation, collections, seconds in them and objects freed."""

    def __init__(self) -> None:
        self.per: dict[int, list[float]] = {}
        self.start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.start = time.perf_counter()
            return
        g = self.per.setdefault(info["generation"], [0, 0.0, 0])
        g[0] += 1
        g[1] += time.perf_counter() - self.start
        g[2] += info["collected"]


def gc_share(plan, rounds: int = 2) -> dict:
    """The cyclic collector's share of the event loop (time in collections over the loop's wall time, the
    lowest of `rounds`), with the collections and their time by generation and the objects they freed."""
    best: dict = {}
    for _ in range(rounds):
        watch = _Collections()
        m = Model(plan)
        gc.collect()
        gc.callbacks.append(watch)
        t0 = time.perf_counter()
        m.simulate()
        wall = time.perf_counter() - t0
        gc.callbacks.remove(watch)
        spent = sum(g[1] for g in watch.per.values())
        if not best or spent / wall < best["share"]:
            best = {"event_loop_s": round(wall, 3), "gc_s": round(spent, 3), "share": round(spent / wall, 4),
                    "by_generation": {str(k): {"collections": int(v[0]), "s": round(v[1], 3), "freed": int(v[2])}
                                      for k, v in sorted(watch.per.items())}}
    return best


def study(replications: int, workers: int) -> dict:
    """`rsom compare --scenarios all` on the scenario set: wall s, CPU s of the processes (the command's and its
    workers'), runs and CPU s per run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "sim.cli", "compare", "--scenarios", "all", "--replications", str(replications),
           "--workers", str(workers), "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    variants = json.loads(done.stdout)["variants"]
    runs = sum(v["replications"] for v in variants if v.get("scenario") != "overall")
    told = re.search(r"([\d,]+) runs not made again", done.stderr)
    shared = int(told.group(1).replace(",", "")) if told else 0
    return {"command": " ".join(["rsom", *cmd[3:]]), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "runs": runs,
            "runs_shared": shared, "runs_made": runs - shared, "cpu_s_per_run": round(cpu / runs, 4),
            "cpu_s_per_run_made": round(cpu / max(runs - shared, 1), 4), "target_wall_s": 120.0}


def exponent(rows: list[dict], key: str) -> float:
    """The fitted exponent of `key` (s) against brigade-equivalents."""
    x = np.log([r["brigades"] for r in rows])
    return round(float(np.polyfit(x, np.log([r[key] for r in rows]), 1)[0]), 3)


def scaling(sizes: list[int], repeat: int, spread_h: float) -> list[dict]:
    """Per size: pieces, events, simulation and simulation-plus-tables wall s (best of the rounds, sizes in turn),
    peak memory and closure."""
    plans = {k: scaled_plan(k, spread_h) for k in sizes}
    best: dict[int, list[float]] = {k: [math.inf, math.inf] for k in sizes}
    last: dict[int, object] = {}
    for _ in range(max(3, repeat // 2)):  # sizes in turn, round after round: load slows all sizes alike
        for k in sizes:
            a, b, _, last[k] = split_times(plans[k])
            best[k] = [min(best[k][0], a), min(best[k][1], b)]
    rows = []
    for k in sizes:
        r = last[k]
        stages = int((r.moves["kind"] == "piece").sum())
        rows.append({"brigades": k, "pieces": len(r.pieces), "events": r.events, "piece_stages": stages,
                     "simulate_s": round(best[k][0], 3), "wall_s": round(best[k][0] + best[k][1], 3),
                     "us_per_piece_stage": round(best[k][0] / stages * 1e6, 2),
                     "peak_mib": round(peak_mib(plans[k]), 1), "closure_h": r.summary()["closure_h"]})
    return rows


def builtin_vs_reference(plan, repeat: int) -> dict:
    """One replication of the built-in scenario timed in parts (best of `repeat`), beside the bare SimPy tandem
    with as many entity-stations as it has piece-stages, timed in turn; the ratios per piece-stage."""
    out: dict = {}
    sim_s = tables_s = summary_s = ref = math.inf
    res = None
    for _ in range(repeat):  # in turn, so that load on the machine slows both alike
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
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="1,2,4,8,16", help="brigade-equivalents arriving together (saturated)")
    ap.add_argument("--spread-sizes", default="", help="brigade-equivalents arriving --spread-h apart, e.g. 1,2,4,8,16,32")
    ap.add_argument("--spread-h", type=float, default=720.0,
                    help="hours between the arrivals of each copy of the built-in forces (its closure is ~780 h)")
    ap.add_argument("--gc-size", type=int, default=0, help="brigade-equivalents for the collector's share (0: none)")
    ap.add_argument("--cpu-replications", type=int, default=7, help="replications timed for CPU s per replication")
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--study", action="store_true", help="also run the investment study over the scenario set")
    ap.add_argument("--study-replications", type=int, default=30)
    ap.add_argument("--study-workers", type=int, default=2)
    ap.add_argument("--no-startup", action="store_true", help="leave out the start-up of rsom run")
    ap.add_argument("--out", type=Path, default=Path("bench.json"))
    args = ap.parse_args()
    out: dict = {"version": __version__, "python": platform.python_version(), "cpus": os.cpu_count(),
                 "load_avg": [round(x, 2) for x in os.getloadavg()]}

    if not args.no_startup:
        out["startup"] = startup(args.repeat)

    plan = load_plan(builtin_scenario())
    out.update(builtin_vs_reference(plan, args.repeat))
    out["replication_cpu"] = replication_cpu(plan, args.cpu_replications)

    sizes = [int(x) for x in args.sizes.split(",") if x]
    if sizes:
        rows = scaling(sizes, args.repeat, 0.0)
        if len(rows) > 1:
            out["scaling_exponent"] = exponent(rows, "wall_s")
            out["scaling_exponent_simulate"] = exponent(rows, "simulate_s")
        out["scaling"] = rows
    spread = [int(x) for x in args.spread_sizes.split(",") if x]
    if spread:
        rows = scaling(spread, args.repeat, args.spread_h)
        if len(rows) > 1:
            out["spread_exponent_simulate"] = exponent(rows, "simulate_s")
            out["spread_exponent"] = exponent(rows, "wall_s")
        out["spread_h"] = args.spread_h
        out["scaling_spread"] = rows
    if args.gc_size:
        out["gc"] = {"brigades": args.gc_size, **gc_share(scaled_plan(args.gc_size))}

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

    if args.study:
        out["study"] = study(args.study_replications, args.study_workers)

    print(json.dumps(out, indent=2))
    args.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
