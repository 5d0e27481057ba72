"""sim.statistics: the long tables, the statistics over them, and aggregate() giving the same summary of
several replications as the hand-written reshape it replaced (kept below as the reference)."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from sim import statistics as S


# ---- the reference: aggregate as it was written before sim.statistics ----------------------------------------
def _spread(values: list[float | None]) -> dict[str, Any]:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0, "incomplete": len(values)}
    return {"mean": round(statistics.fmean(vals), 4), "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else 0.0,
            "min": round(min(vals), 4), "max": round(max(vals), 4), "n": len(vals), "incomplete": len(values) - len(vals)}


def reference_aggregate(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    if len(summaries) == 1:
        return summaries[0]
    first = summaries[0]

    def mean(vals: list[float | None]) -> float | None:
        s = _spread(vals)
        return s["mean"] if s["incomplete"] == 0 else None

    brigades = {}
    spread: dict[str, Any] = {"closure_h": _spread([s["closure_h"] for s in summaries]), "brigades": {}}
    for b in first["brigades"]:
        brigades[b] = {k: mean([s["brigades"][b][k] for s in summaries]) for k in first["brigades"][b]}
        spread["brigades"][b] = {k: _spread([s["brigades"][b][k] for s in summaries]) for k in first["brigades"][b]}
    counts = {kind: {k: round(statistics.fmean(s[kind][k] for s in summaries), 3) for k in first[kind]}
              for kind in ("pieces", "personnel")}
    modes = sorted({m for s in summaries for m in s["throughput_per_day"]})
    throughput = {m: round(statistics.fmean(s["throughput_per_day"].get(m, 0.0) for s in summaries), 3) for m in modes}
    agg: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for b in s["bottlenecks"]:
            a = agg.setdefault(b["resource"], {"resource": b["resource"], "kind": b["kind"], "node": b["node"],
                                               "words": b.get("words", b["resource"]), "waiters": b.get("waiters", "waits"),
                                               "u": [], "w": [], "p": [], "c": [], "h": [], "n": [], "k": []})
            a["n"].append(b.get("waits", 0))
            a["k"].append(b.get("pieces_held", 0))
            a["c"].append(b["closure_wait_h"])
            a["h"].append(b["person_wait_h"])
            a["u"].append(b["utilization"])
            a["p"].append(b["peak_utilization"])
            a["w"].append(b["wait_h"])
    n = len(summaries)
    ranked = sorted(agg.values(), key=lambda a: (-sum(a["c"]) / n, -sum(a["w"]) / n, -sum(a["u"]) / n, a["resource"]))
    bottlenecks = [{"resource": a["resource"], "kind": a["kind"], "node": a["node"], "words": a["words"],
                    "waiters": a["waiters"],
                    "utilization": round(sum(a["u"]) / len(a["u"]), 4), "peak_utilization": round(max(a["p"]), 4),
                    "wait_h": round(sum(a["w"]) / n, 3), "closure_wait_h": round(sum(a["c"]) / n, 3),
                    "person_wait_h": round(sum(a["h"]) / n, 3), "waits": round(sum(a["n"]) / n, 3),
                    "pieces_held": round(sum(a["k"]) / n, 3),
                    "mean_wait_h": round(sum(a["w"]) / sum(a["k"]), 3) if sum(a["k"]) else 0.0,
                    "top_in_replications": len(a["u"])} for a in ranked[:5]]
    out = {"scenario": first["scenario"], "seed": first["seed"], "replications": n, "version": first["version"],
           "closure_h": mean([s["closure_h"] for s in summaries]), "brigades": brigades, "pieces": counts["pieces"],
           "personnel": counts["personnel"], "throughput_per_day": throughput, "bottlenecks": bottlenecks,
           "events": round(statistics.fmean(s["events"] for s in summaries), 1), "spread": spread}
    friction = {k: first[k] for k in S.FRICTION_KEYS if k in first}
    if friction:
        friction["friction_from_replication"] = first.get("replication", 0)
    return {**out, **friction}


# ---- synthetic summaries -------------------------------------------------------------------------------------
RESOURCES = [(f"res{i}", "paths" if i % 2 else "wagons", f"n{i % 3}" if i % 2 else "") for i in range(9)]


def _summary(rng: random.Random, r: int, closed: bool = True) -> dict[str, Any]:
    def h() -> float:
        return round(rng.uniform(100, 500), 4)

    brigades = {f: {"closure_h": h() if closed or f == "b" else None, "closure_50_h": h(),
                    "closure_90_h": h() if rng.random() > 0.1 else None} for f in ("a", "b")}
    modes = [m for m in ("rail", "road", "air") if rng.random() > 0.3]
    picks = rng.sample(RESOURCES, 5)
    return {
        "scenario": "s", "seed": 3, "replication": r, "version": "x", "end_h": 600.0,
        "closure_h": max(b["closure_h"] for b in brigades.values()) if closed else None,
        "brigades": brigades,
        "pieces": {k: rng.randint(0, 900) for k in ("planned", "entered", "delivered", "in_system", "not_arrived")},
        "personnel": {k: rng.randint(0, 900) for k in ("planned", "entered", "delivered", "in_system", "not_arrived")},
        "throughput_per_day": {m: round(rng.uniform(1, 200), 3) for m in modes},
        "bottlenecks": [{"resource": n, "kind": k, "node": nd, "utilization": round(rng.random(), 4),
                         "peak_utilization": round(rng.random(), 4), "wait_h": round(rng.uniform(0, 1e5), 3),
                         "closure_wait_h": round(rng.choice([0.0, rng.uniform(0, 1e4)]), 3),
                         "person_wait_h": round(rng.uniform(0, 10), 3),
                         **({"words": f"words of {n}", "waiters": "trains", "waits": rng.randint(0, 40),
                             "pieces_held": rng.choice([0, rng.randint(1, 900)])} if r % 3 else {})}
                        for n, k, nd in picks],
        "events": rng.randint(1000, 20000),
        **({"disruptions": [{"name": "d"}], "civil_displaced": {"x": 1.0}} if r == 0 else {}),
    }


@pytest.mark.parametrize("seed", range(12))
def test_aggregate_is_the_reference_exactly(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 7)
    summaries = [_summary(rng, r, closed=rng.random() > 0.2) for r in range(n)]
    assert S.aggregate(summaries) == reference_aggregate(summaries)
    assert repr(S.aggregate(summaries)) == repr(reference_aggregate(summaries))  # also ints stay ints


def test_one_summary_is_returned_as_it_is() -> None:
    s = _summary(random.Random(1), 0)
    assert S.aggregate([s]) is s


def test_ci95_is_the_student_t_interval() -> None:
    xs = [3.0, 5.0, 4.0, 8.0]
    m, lo, hi = S.ci95(xs)
    ref = stats.t.interval(0.95, len(xs) - 1, loc=statistics.fmean(xs), scale=stats.sem(xs))
    assert m == pytest.approx(5.0)
    assert (lo, hi) == pytest.approx(ref)
    m1, lo1, hi1 = S.ci95([2.0])
    assert m1 == 2.0
    assert math.isnan(lo1)
    assert math.isnan(hi1)


def test_long_tables_have_one_row_per_replication_and_key() -> None:
    rng = random.Random(4)
    summaries = [_summary(rng, r) for r in range(3)]
    reps = S.replications_frame(summaries)
    assert list(reps["replication"]) == [0, 1, 2]
    assert "pieces_delivered" in reps
    assert len(S.closure_frame(summaries)) == 3 * 2
    tp = S.throughput_frame(summaries)
    modes = {m for s in summaries for m in s["throughput_per_day"]}
    assert len(tp) == 3 * len(modes)  # every mode in every replication, 0.0 where not used
    assert len(S.bottleneck_frame(summaries)) == 15


def test_closure_stats_overall_and_per_force() -> None:
    frame = pd.DataFrame({"replication": [0, 1, 2, 0, 1, 2], "force": ["a"] * 3 + ["b"] * 3,
                          "closure_h": [10.0, 12.0, None, 5.0, 7.0, 9.0]})
    per = S.closure_stats(frame, by=["force"]).set_index("force")
    assert per.loc["a", "incomplete"] == 1
    assert per.loc["a", "mean"] == 11.0
    assert per.loc["a", "max"] == 12.0
    assert per.loc["b", "mean"] == 7.0
    assert per.loc["b", "sd"] == 2.0
    lo, hi = stats.t.interval(0.95, 2, loc=7.0, scale=2.0 / math.sqrt(3))
    assert (per.loc["b", "ci95_lo"], per.loc["b", "ci95_hi"]) == pytest.approx((lo, hi))
    none = S.closure_stats(frame.assign(closure_h=math.nan))
    assert none.loc[0, "incomplete"] == 6
    assert math.isnan(none.loc[0, "mean"])


def test_stats_accessor_stacks_into_the_same_statistics() -> None:
    from sim.paths import builtin_scenario
    from sim.plan import load_plan
    from sim.runner import run

    results = run(load_plan(builtin_scenario()), replications=2)
    summaries = [r.summary() for r in results]
    closure = pd.concat([r.stats.closure() for r in results], ignore_index=True)
    assert list(closure.columns) == list(S.closure_frame(summaries).columns)
    mine = S.closure_stats(closure, by=["force"])
    theirs = S.closure_stats(S.closure_frame(summaries), by=["force"])
    assert mine["mean"].tolist() == pytest.approx(theirs["mean"].tolist(), abs=1e-3)  # the summary rounds to 4 digits
    tp = pd.concat([r.stats.throughput() for r in results], ignore_index=True)
    assert S.throughput_stats(tp)["mean"].tolist() == pytest.approx(list(S.aggregate(summaries)["throughput_per_day"].values()),
                                                                    abs=1e-3)
    top = pd.concat([r.stats.bottlenecks(5) for r in results], ignore_index=True)
    assert S.bottleneck_stats(top, 2)["resource"].tolist() == [b["resource"] for b in S.aggregate(summaries)["bottlenecks"]]
    assert results[0].stats.replication()["closure_h"].iloc[0] == summaries[0]["closure_h"]
