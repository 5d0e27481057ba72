"""Statistics over replications, in one place: the command line, the report, compare and sweeps use these.

The summaries of replications (nested dicts, one per replication) are turned into long tables at the edge,
one row per replication, or per replication and force / mode / resource, each with a `replication` column:

    replications_frame  replication, seed, closure_h, end_h, events, pieces_<count>, personnel_<count>
    closure_frame       replication, force, closure_h, closure_50_h, closure_90_h
    throughput_frame    replication, mode, pieces_per_day (0.0 where a replication delivered nothing by a mode)
    bottleneck_frame    replication, rank, resource, kind, node, words, waiters, utilization, peak_utilization,
                        wait_h, closure_wait_h, person_wait_h, waits, pieces_held, mean_wait_h

and the statistics are computed over those tables: `closure_stats` (overall or per force), `throughput_stats`,
`bottleneck_stats`, with `spread` and `ci95` the two primitives. `aggregate` builds from them the one summary
of several replications the command line prints and the report shows.

Units: closure and end times are hours since scenario start, throughput pieces per day, waits piece-hours
(`wait_h`, `closure_wait_h`) or person-hours (`person_wait_h`), utilisation a share of capacity. A resource
is named by its id (`resource`) and in a planner's words (`words`, sim/naming.py); `waits` counts the
requests that waited for it in `waiters` (trains, serials, ship calls...), `pieces_held` the pieces that
waited for it, `mean_wait_h` the piece-hours per piece held."""

from __future__ import annotations

import math
import statistics as stdstats
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .results import Results

TOP_BOTTLENECKS = 5  # bottlenecks a summary lists (one replication's and the aggregate of several)
CLOSURE_KEYS = ("closure_h", "closure_50_h", "closure_90_h")
UNIT_CLOSURE_KEYS = ("combat_power_closure_h", "units_closed_50_h", "containers_closure_h")  # closure.combat_power
BOTTLENECK_FIGURES = ("utilization", "peak_utilization", "wait_h", "closure_wait_h", "person_wait_h")
BOTTLENECK_NAMES = ("words", "waiters")  # a resource in a planner's words, and what queues at it
WAIT_COUNTS = ("waits", "pieces_held")  # requests that waited, pieces held back (per replication)
FRICTION_KEYS = ("disruptions", "civil_displaced", "sustainment", "accommodation", "sustainment_pieces",
                 "sustainment_personnel")


# ---- the primitives --------------------------------------------------------------------------------------
def ci95(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean of independent values (e.g. closures in h, or paired differences of closures) and its 95 %
    Student-t interval (lo, hi); the interval is NaN for fewer than two values."""
    m = stdstats.fmean(values)
    if len(values) < 2:
        return m, math.nan, math.nan
    from scipy import stats as spstats  # here: importing scipy costs a run that needs no interval

    half = float(spstats.t.ppf(0.975, len(values) - 1)) * stdstats.stdev(values) / math.sqrt(len(values))
    return m, m - half, m + half


def spread(values: Sequence[float | None], digits: int | None = 4) -> dict[str, Any]:
    """Mean, sample sd, min and max of the values that are there (None: a replication that did not reach the
    figure, e.g. did not close), how many there are (`n`) and how many are missing (`incomplete`). Rounded to
    `digits` (None: not rounded); all figures None when no value is there."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0, "incomplete": len(values)}

    def r(x: float) -> float:
        return x if digits is None else round(x, digits)

    return {"mean": r(stdstats.fmean(vals)), "sd": r(stdstats.stdev(vals)) if len(vals) > 1 else 0.0,
            "min": r(min(vals)), "max": r(max(vals)), "n": len(vals), "incomplete": len(values) - len(vals)}


def present(column: pd.Series) -> list[Any]:
    """A column's values as plain Python values, missing ones (None or NaN) as None."""
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in column.tolist()]


def _groups(frame: pd.DataFrame, by: Sequence[str]) -> Iterable[tuple[tuple[Hashable, ...], pd.DataFrame]]:
    """(key, rows) per group in order of first appearance; one group of all rows when `by` is empty."""
    if not by:
        yield (), frame
        return
    for key, g in frame.groupby(list(by), sort=False):
        yield (key if isinstance(key, tuple) else (key,)), g


# ---- long tables from summaries ----------------------------------------------------------------------
def _replication(s: dict[str, Any], i: int) -> int:
    return int(s.get("replication", i))


def replications_frame(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per replication: its index and seed, closure (h; NaN when not everything closed), end of the
    run (h), events processed, and the accounting of pieces and persons (`pieces_delivered`, ...)."""
    import pandas as pd

    rows = [{"replication": _replication(s, i), "seed": s["seed"], "closure_h": s["closure_h"],
             "end_h": s.get("end_h"), "events": s["events"],
             **{f"{kind}_{k}": v for kind in ("pieces", "personnel") for k, v in s[kind].items()}}
            for i, s in enumerate(summaries)]
    frame = pd.DataFrame.from_records(rows, columns=["replication", "seed", "closure_h", "end_h", "events"]
                                      + [c for c in (rows[0] if rows else {}) if c.startswith(("pieces_", "personnel_"))])
    frame["closure_h"] = pd.to_numeric(frame["closure_h"], errors="coerce")
    return frame


def closure_frame(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per replication and force: closure, 50 % and 90 % closure, combat-power closure, half its units
    closed and its containers in (h; NaN where not reached)."""
    import pandas as pd

    keys = (*CLOSURE_KEYS, *UNIT_CLOSURE_KEYS)
    rows = [{"replication": _replication(s, i), "force": force, **{k: v.get(k) for k in keys}}
            for i, s in enumerate(summaries) for force, v in s["brigades"].items()]
    frame = pd.DataFrame.from_records(rows, columns=["replication", "force", *keys])
    for k in keys:
        frame[k] = pd.to_numeric(frame[k], errors="coerce")
    return frame


def throughput_frame(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per replication and mode (every mode any replication used; 0.0 where this one delivered
    nothing by it): the forces' pieces delivered per day over the run."""
    import pandas as pd

    modes = sorted({m for s in summaries for m in s["throughput_per_day"]})
    rows = [(_replication(s, i), m, float(s["throughput_per_day"].get(m, 0.0)))
            for i, s in enumerate(summaries) for m in modes]
    return pd.DataFrame.from_records(rows, columns=["replication", "mode", "pieces_per_day"])


def _mean_wait(wait_h: float, pieces_held: float) -> float:
    """Piece-hours per piece held back (h); 0.0 when no piece was."""
    return wait_h / pieces_held if pieces_held > 0 else 0.0


def bottleneck_frame(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per replication and resource among its top bottlenecks, with its rank there (1 = top). A
    summary written before resources had words gives the id as words and no counts of waits."""
    import pandas as pd

    rows = [{"replication": _replication(s, i), "rank": j + 1, "resource": b["resource"], "kind": b["kind"],
             "node": b["node"], "words": b.get("words", b["resource"]), "waiters": b.get("waiters", "waits"),
             **{k: b[k] for k in BOTTLENECK_FIGURES}, **{k: b.get(k, 0) for k in WAIT_COUNTS},
             "mean_wait_h": _mean_wait(b["wait_h"], b.get("pieces_held", 0))}
            for i, s in enumerate(summaries) for j, b in enumerate(s["bottlenecks"])]
    return pd.DataFrame.from_records(rows, columns=["replication", "rank", "resource", "kind", "node", *BOTTLENECK_NAMES,
                                                    *BOTTLENECK_FIGURES, *WAIT_COUNTS, "mean_wait_h"])


# ---- statistics over the long tables -----------------------------------------------------------------
def closure_stats(frame: pd.DataFrame, by: Sequence[str] = (), column: str = "closure_h") -> pd.DataFrame:
    """Per group of rows (all rows when `by` is empty; e.g. by=["force"] on closure_frame): replications,
    how many did not reach the figure (`incomplete`), and over those that did its mean, sd, min, max and 95 %
    t-interval (h, not rounded)."""
    import pandas as pd

    rows = []
    for key, g in _groups(frame, by):
        vals = present(g[column])
        s = spread(vals, digits=None)
        closed = [v for v in vals if v is not None]
        _, lo, hi = ci95(closed) if closed else (math.nan, math.nan, math.nan)
        rows.append({**dict(zip(by, key)), "replications": len(vals), "incomplete": s["incomplete"],
                     "mean": s["mean"], "sd": s["sd"], "min": s["min"], "max": s["max"], "ci95_lo": lo, "ci95_hi": hi})
    out = pd.DataFrame.from_records(rows, columns=[*by, "replications", "incomplete", "mean", "sd", "min", "max",
                                                   "ci95_lo", "ci95_hi"])
    for c in ("mean", "sd", "min", "max", "ci95_lo", "ci95_hi"):
        out[c] = pd.to_numeric(out[c]).astype(float)  # NaN where no replication reached the figure
    return out


def throughput_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """Per mode (sorted), over the rows of throughput_frame: mean, min and max pieces per day."""
    import pandas as pd

    rows = [{"mode": m, "mean": stdstats.fmean(g["pieces_per_day"].tolist()), "min": float(g["pieces_per_day"].min()),
             "max": float(g["pieces_per_day"].max())} for (m,), g in _groups(frame, ["mode"])]
    return pd.DataFrame.from_records(rows, columns=["mode", "mean", "min", "max"]).sort_values("mode", ignore_index=True)


def bottleneck_stats(frame: pd.DataFrame, replications: int, top: int | None = TOP_BOTTLENECKS) -> pd.DataFrame:
    """The resources among any replication's top bottlenecks, over `replications` replications (a resource
    missing from a replication's list counts as no wait there): mean utilisation where listed, highest peak,
    waits, waits counted and pieces held per replication (piece-hours per piece held from those), and how
    many replications listed it. Ranked by the waiting caused to the pieces that set closure, then by all
    piece waiting, then by utilisation; the first `top` (None: all)."""
    import pandas as pd

    n = replications
    rows = []
    for (resource,), g in _groups(frame, ["resource"]):
        u = g["utilization"].tolist()
        wait, held = sum(g["wait_h"].tolist()) / n, sum(g["pieces_held"].tolist()) / n
        rows.append({"resource": resource, "kind": g["kind"].iloc[0], "node": g["node"].iloc[0],
                     "words": g["words"].iloc[0], "waiters": g["waiters"].iloc[0],
                     "utilization": sum(u) / len(u), "peak_utilization": max(g["peak_utilization"].tolist()),
                     "wait_h": wait, "closure_wait_h": sum(g["closure_wait_h"].tolist()) / n,
                     "person_wait_h": sum(g["person_wait_h"].tolist()) / n, "waits": sum(g["waits"].tolist()) / n,
                     "pieces_held": held, "mean_wait_h": _mean_wait(wait, held), "top_in_replications": len(u),
                     "_u": sum(u) / n})
    rows.sort(key=lambda a: (-a["closure_wait_h"], -a["wait_h"], -a["_u"], a["resource"]))
    for a in rows:
        del a["_u"]
    return pd.DataFrame.from_records(rows[:top] if top is not None else rows,
                                     columns=["resource", "kind", "node", *BOTTLENECK_NAMES, *BOTTLENECK_FIGURES,
                                              *WAIT_COUNTS, "mean_wait_h", "top_in_replications"])


# ---- the summary of several replications -------------------------------------------------------------
def aggregate(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for several replications: figures are means (a closure only when every replication
    closed); `spread` gives sd, min and max of the closures; the bottlenecks are ranked over all
    replications; disruption, civil traffic, sustainment and accommodation entries are the first
    replication's. A single summary is returned as it is."""
    if len(summaries) == 1:
        return summaries[0]
    first = summaries[0]
    reps = replications_frame(summaries)
    n = len(reps)

    def mean(s: dict[str, Any]) -> float | None:
        return s["mean"] if s["incomplete"] == 0 else None

    closures = closure_frame(summaries)
    brigades: dict[str, Any] = {}
    spread_of: dict[str, Any] = {"closure_h": spread(present(reps["closure_h"])), "brigades": {}}
    for (key,), g in _groups(closures, ["force"]):
        force = str(key)
        spread_of["brigades"][force] = {k: spread(present(g[k])) for k in first["brigades"][force] if k in closures}
        brigades[force] = {k: mean(v) for k, v in spread_of["brigades"][force].items()}
    counts = {kind: {k: round(stdstats.fmean(reps[f"{kind}_{k}"].tolist()), 3) for k in first[kind]}
              for kind in ("pieces", "personnel")}
    throughput = {r["mode"]: round(r["mean"], 3) for r in throughput_stats(throughput_frame(summaries)).to_dict("records")}
    bottlenecks = [{"resource": b["resource"], "kind": b["kind"], "node": b["node"], "words": b["words"],
                    "waiters": b["waiters"],
                    "utilization": round(b["utilization"], 4), "peak_utilization": round(b["peak_utilization"], 4),
                    "wait_h": round(b["wait_h"], 3), "closure_wait_h": round(b["closure_wait_h"], 3),
                    "person_wait_h": round(b["person_wait_h"], 3), "waits": round(b["waits"], 3),
                    "pieces_held": round(b["pieces_held"], 3), "mean_wait_h": round(b["mean_wait_h"], 3),
                    "top_in_replications": int(b["top_in_replications"])}
                   for b in bottleneck_stats(bottleneck_frame(summaries), n).to_dict("records")]
    identical = all(_same_figures(s, first) for s in summaries[1:])
    return {
        "scenario": first["scenario"],
        "seed": first["seed"],
        "replications": n,
        **({"identical_replications": True} if identical else {}),
        "version": first["version"],
        "closure_h": mean(spread_of["closure_h"]),
        "brigades": brigades,
        "pieces": counts["pieces"],
        "personnel": counts["personnel"],
        "throughput_per_day": throughput,
        "bottlenecks": bottlenecks,
        "events": round(stdstats.fmean(reps["events"].tolist()), 1),
        "spread": spread_of,
        **friction_of_first(first),
    }


def _same_figures(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two replications gave the same figures: closure, each brigade's closures and the events processed."""
    return a.get("closure_h") == b.get("closure_h") and a.get("brigades") == b.get("brigades") and \
        a.get("events") == b.get("events")


def friction_of_first(first: dict[str, Any]) -> dict[str, Any]:
    """Disruption, civil traffic, sustainment and accommodation entries of the first replication (random
    disruptions differ between replications, so they are not averaged), marked as such."""
    out = {k: first[k] for k in FRICTION_KEYS if k in first}
    if out:
        out["friction_from_replication"] = first.get("replication", 0)
    return out


# ---- one replication's tables ------------------------------------------------------------------------
class StatsAccessor:
    """`results.stats`: one replication's long tables, with its `replication` column, computed from its own
    tables (not rounded like the summary); stack several replications' with pd.concat and pass them to
    closure_stats, throughput_stats or bottleneck_stats."""

    def __init__(self, results: Results) -> None:
        self._r = results

    def replication(self) -> pd.DataFrame:
        """One row: the replication's closure (h), end (h), events and accounting (see replications_frame)."""
        return replications_frame([self._r.summary()])

    def closure(self) -> pd.DataFrame:
        """One row per force: the columns of closure_frame (h; NaN where not reached)."""
        brigades = self._r.brigades()
        return closure_frame([{"replication": self._r.replication, "brigades": brigades}])

    def throughput(self) -> pd.DataFrame:
        """One row per mode the forces' pieces were delivered by: pieces per day over the run."""
        import pandas as pd

        rows = [(self._r.replication, m, v) for m, v in self._r.throughput_per_day().items()]
        return pd.DataFrame.from_records(rows, columns=["replication", "mode", "pieces_per_day"])

    def bottlenecks(self, top: int | None = None) -> pd.DataFrame:
        """Every resource (or the first `top`) in bottleneck order with its rank (1 = top), its words, its
        utilisation and the waits it caused (piece-hours, person-hours, waits counted, pieces held)."""
        import pandas as pd

        r = self._r.resource_stats()
        r = r if top is None else r.head(top)
        out = pd.DataFrame({"replication": self._r.replication, "rank": range(1, len(r) + 1)})
        for c in ("resource", "kind", "node", *BOTTLENECK_NAMES, *BOTTLENECK_FIGURES, *WAIT_COUNTS, "mean_wait_h"):
            out[c] = r[c].to_numpy()
        return out

    def closure_stats(self) -> pd.DataFrame:
        """closure_stats per force over this one replication (no interval: one value)."""
        return closure_stats(self.closure(), by=["force"])
