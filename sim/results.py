"""Results of one replication: DataFrames built from the flat records, and the summary.

Times are hours since scenario start; utilisation is over [0, end_h], where end_h is the closure time
when everything was delivered and the horizon otherwise."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader
import numpy as np

from . import output
from .airfield_wait import airfield_cargo_piece_h, airfield_wait_person_h
from .closure import combat_power, unit_table
from .dates import Calendar, format_hours
from .ids import paths_of
from .ledger import DELIVERED, MOVE_COLUMNS, NOT_ARRIVED
from .naming import name_words
from .statistics import TOP_BOTTLENECKS, aggregate, closure_frame, replications_frame, spread
from .tables_io import Format, read_tables, write_tables

if TYPE_CHECKING:
    import pandas as pd

    from .statistics import StatsAccessor
    from .world import World
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

BLAME_COLUMNS = ["resource", "pid", "wait_h"]
USAGE_COLUMNS = ["resource", "t_request", "t_grant", "t_release", "amount", "weight"]
SLOT_KINDS = ("paths", "headway")
FLOW_COLUMNS = ["flow", "origin", "destination", "mode", "direction", "start_h", "end_h"]
DISRUPTION_COLUMNS = ["name", "kind", "target", "start_h", "end_h", "capacity_factor"]
DIVERSION_COLUMNS = ["t", "pid", "from_mode", "to_mode", "node", "disruption"]
REROUTE_COLUMNS = ["t", "what", "node", "closed_link", "new_link", "goal", "disruption", "pieces"]
CIVIL_COLUMNS = ["kind", "key", "capacity", "civil", "free", "military", "military_first", "unit"]
HOUSING_COLUMNS = ["site", "day", "required", "housed"]
TRAIN_COLUMNS = ["train", "force", "unit", "railhead", "pieces", "tracked", "wagons", "length_m", "mass_t",
                 "out_of_gauge", "priority", "t_request", "t_stock", "stock_from", "t_positioned", "t_loaded", "t_depart", "route",
                 "exit", "t_exit", "t_far_back", "t_back"]  # one row per train run (h); NaN: not reached
PARAMETERS = "(parameters)"  # applied_changes given beside the scenario (not by an investment it names)
SAVED_TABLES = ("moves", "usage", "pieces", "personnel", "pax_delivered", "resources", "blame", "flows", "disruptions",
                "diversions", "reroutes", "civil", "housing", "trains")
TAIL_SHARE = 0.10  # the last 10 % of each force's pieces set its closure
TIME_COLUMNS = {  # columns that are times (h from the start, not durations): saved with their date beside them
    "moves": ("t_in", "t_start", "t_end"), "usage": ("t_request", "t_grant", "t_release"),
    "pieces": ("since_h", "entered_h", "delivered_h"), "personnel": ("since_h",), "pax_delivered": ("t",),
    "flows": ("start_h", "end_h"), "disruptions": ("start_h", "end_h"), "diversions": ("t",), "reroutes": ("t",),
    "trains": ("t_request", "t_stock", "t_positioned", "t_loaded", "t_depart", "t_exit", "t_far_back", "t_back"),
    "units": ("equipment_h", "personnel_h", "closed_h", "last_piece_h", "rdd_h"),
}


def date_column(name: str) -> str:
    """The name of a time column's date column: delivered_h -> delivered_at, t_depart -> depart_at, t -> at."""
    base = name.removesuffix("_h").removeprefix("t_") if name != "t" else ""
    return f"{base}_at" if base else "at"


def with_dates(tables: dict[str, pd.DataFrame], cal: Calendar | None) -> dict[str, pd.DataFrame]:
    """The tables with each time column's date and time beside it, to the second (TIME_COLUMNS; NaT where the
    time is missing; an RDD's is the end of its day), when the scenario has a calendar; as they are without one."""
    if cal is None:
        return tables
    out = {}
    for name, table in tables.items():
        cols = [c for c in TIME_COLUMNS.get(name, ()) if c in table]
        frame = table.copy() if cols else table
        for c in cols:
            hours = pd.to_numeric(frame[c], errors="coerce").astype(float)
            frame.insert(frame.columns.get_loc(c) + 1, date_column(c),
                         (pd.Timestamp(cal.start) + pd.to_timedelta(hours, unit="h")).dt.round("s"))
        out[name] = frame
    return out


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _share_time(done: np.ndarray, total: int, share: float) -> float | None:
    """Time by which `share` of `total` pieces were delivered (h); None if not reached."""
    need = math.ceil(share * total)
    if need == 0 or len(done) < need:
        return None
    return float(np.sort(done)[need - 1])


def _closure_words(h: float | None, end_h: float) -> str:
    """'closure 784.2 h (32.7 d)', or that the run ended before everything closed."""
    return f"closure {format_hours(h)}" if h is not None else f"not closed by the end of the run ({format_hours(end_h)})"


def _unit_row(r: dict[str, Any], cal: Calendar | None = None) -> dict[str, Any]:
    """A unit's row for the summary: times rounded (h), None where unknown; with a calendar, the date and time
    it closed (`closed_at`), its C+day and its RDD as a date."""
    def h(x: Any) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)
    row = {"force": r["force"], "unit": r["unit"], "lines": r.get("lines", ""), "closed_h": h(r["closed_h"]), "rdd_h": h(r["rdd_h"]),
           "late_h": h(r["late_h"]), "timing": r["timing"], "last_piece_h": h(r["last_piece_h"]),
           "waited_longest_for": r["waited_longest_for"], "waited_h": round(float(r["waited_h"]), 3)}
    if cal is not None:
        closed, rdd = row["closed_h"], row["rdd_h"]
        row["closed_at"] = cal.iso(closed)
        row["closed_c"] = None if closed is None else cal.c_plus(closed)
        row["rdd"] = None if rdd is None else cal.at(rdd - 1e-6).date().isoformat()  # the day it falls due
    return row


def _blame_frame(records: list[tuple[str, tuple[int, ...], float]]) -> pd.DataFrame:
    """One row per piece and wait from the records of waits by groups of pieces."""
    if not records:
        return pd.DataFrame(columns=BLAME_COLUMNS)
    names, groups, waits = zip(*records)
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    return pd.DataFrame({"resource": np.repeat(np.array(names, dtype=object), sizes),
                         "pid": np.fromiter((p for g in groups for p in g), dtype=np.int64, count=int(sizes.sum())),
                         "wait_h": np.repeat(np.array(waits, dtype=float), sizes)})


def _usage_changes(u: pd.DataFrame) -> pd.DataFrame:
    """Each use as three changes (resource, t, dq, du): requested (one more queued), granted (one less queued,
    `amount` more in use), released (`amount` less in use)."""
    return pd.concat([
        pd.DataFrame({"resource": u["resource"], "t": u["t_request"], "dq": 1.0, "du": 0.0}),
        pd.DataFrame({"resource": u["resource"], "t": u["t_grant"], "dq": -1.0, "du": u["amount"]}),
        pd.DataFrame({"resource": u["resource"], "t": u["t_release"], "dq": 0.0, "du": -u["amount"]}),
    ], ignore_index=True)


def _queue_peaks(usage: pd.DataFrame, names: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Per resource in `names`: the longest queue and the most in use at once (the maxima of queue_series,
    without building it)."""
    max_queue = np.zeros(len(names), dtype=np.int64)
    peak = np.zeros(len(names))
    ch = _usage_changes(usage)
    code = pd.Categorical(ch["resource"], categories=names).codes.astype(np.int64)
    keep = code >= 0
    if not keep.any():
        return max_queue, peak
    res, t = code[keep], ch["t"].to_numpy(float)[keep]
    dq, du = ch["dq"].to_numpy(float)[keep], ch["du"].to_numpy(float)[keep]
    order = np.lexsort((dq, t, res))
    res, t, dq, du = res[order], t[order], dq[order], du[order]
    bounds = np.flatnonzero(np.diff(res)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(res)]):
        q, in_use, times = np.cumsum(dq[lo:hi]), np.cumsum(du[lo:hi]), t[lo:hi]
        last = np.r_[times[1:] != times[:-1], True]  # the state once all changes at a time are made
        max_queue[res[lo]] = int(q[last].max())
        peak[res[lo]] = in_use[last].max()
    return max_queue, peak


@dataclass(repr=False)
class Results:
    """Everything one replication produced, with the scenario and seed that produced it."""

    scenario: str
    scenario_data: dict
    seed: int
    replication: int
    version: str
    end_h: float
    events: int
    moves: pd.DataFrame
    usage: pd.DataFrame
    resources: pd.DataFrame
    pieces: pd.DataFrame
    personnel: pd.DataFrame
    pax_delivered: pd.DataFrame
    forces: tuple[str, ...] = ()  # every force of the scenario, even one with nothing to move
    blame: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=BLAME_COLUMNS))
    flows: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=FLOW_COLUMNS))
    disruptions: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=DISRUPTION_COLUMNS))
    diversions: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=DIVERSION_COLUMNS))
    reroutes: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=REROUTE_COLUMNS))
    civil: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=CIVIL_COLUMNS))
    housing: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=HOUSING_COLUMNS))
    trains: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=TRAIN_COLUMNS))
    network: Any = None  # the Network the run used (tables with coordinates, links), for maps; not saved
    applied_changes: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # what the investments changed
    network_folder: str | None = None  # absolute path of the network folder the run used

    @classmethod
    def from_model(cls, m: World, end_h: float) -> Results:
        from .version import __version__

        led, plan, ps = m.ledger, m.plan, m.pieces
        pieces = pd.DataFrame({
            "pid": [p.pid for p in ps],
            "force": [p.force for p in ps],
            "unit": [p.unit for p in ps],
            "cls": [p.cls for p in ps],
            "mode": [p.mode for p in ps],
            "entry": [p.entry for p in ps],
            "exit": [p.exit for p in ps],
            "flow": [p.flow for p in ps],
            "equipment": [p.equipment for p in ps],
            "uln": [p.uln for p in ps],
            "critical": [p.critical for p in ps],
            "status": led.status,
            "node": led.node,
            "since_h": led.since,
            "entered_h": led.entered,
            "delivered_h": led.delivered,
        })
        personnel = pd.DataFrame(
            [(f, u, st, node, n, led.pax_since.get((f, u, st, node), 0.0))
             for (f, u, st, node), n in sorted(led.pax.items()) if n],
            columns=["force", "unit", "status", "node", "persons", "since_h"],
        )
        resources = pd.DataFrame([r.__dict__ for r in sorted(m.resources.values(), key=lambda r: r.name)])
        said = name_words(resources["name"], plan.network, (o.name for o in m.outages.all))
        resources["words"] = [said[n][0] for n in resources["name"]]
        resources["waiters"] = [said[n][1] for n in resources["name"]]
        return cls(
            scenario=plan.scenario.name,
            scenario_data=(getattr(plan, "scenario_as_written", None) or plan.scenario).model_dump(mode="json",
                                                                                                    by_alias=True),
            seed=m.seed,
            replication=m.replication,
            version=__version__,
            end_h=float(end_h),
            events=m.env.events_processed,
            moves=pd.DataFrame(dict(zip(MOVE_COLUMNS, led.move_columns(), strict=True)), columns=MOVE_COLUMNS),
            usage=pd.DataFrame(led.usage, columns=USAGE_COLUMNS),
            resources=resources,
            pieces=pieces,
            personnel=personnel,
            pax_delivered=pd.DataFrame(led.pax_delivered, columns=["force", "unit", "persons", "t"]),
            forces=tuple(f.id for f in plan.scenario.forces),
            blame=_blame_frame(led.blame),
            flows=pd.DataFrame([(f.name, f.origin, f.destination, f.mode, f.direction, f.start_h, f.end_h)
                                for f in plan.flows], columns=FLOW_COLUMNS),
            disruptions=pd.DataFrame([(o.name, o.kind, o.target, o.start, o.end, o.factor) for o in m.outages.all],
                                     columns=DISRUPTION_COLUMNS),
            diversions=pd.DataFrame(m.diversions, columns=DIVERSION_COLUMNS),
            reroutes=pd.DataFrame(m.reroutes, columns=REROUTE_COLUMNS),
            civil=pd.DataFrame(plan.civil, columns=CIVIL_COLUMNS),
            housing=pd.DataFrame(m.housing, columns=HOUSING_COLUMNS),
            trains=pd.DataFrame([{c: r.get(c, math.nan) for c in TRAIN_COLUMNS} for r in m.trains],
                                columns=TRAIN_COLUMNS),
            network=plan.network,
            applied_changes=[{"investment": name, "table": ch.table, "key": ch.key, "attribute": ch.attribute,
                              "op": ch.op, "value": ch.value}
                             for name, changes in [*((inv.name, inv.changes) for inv in plan.investments),
                                                   (PARAMETERS, plan.parameters)] for ch in changes],
            network_folder=str(plan.network.folder),
        )

    def __repr__(self) -> str:
        """One line (the tables are in the fields): scenario, seed, replication, closure and events."""
        return (f"Results({self.scenario!r}, seed {self.seed}, replication {self.replication}: "
                f"{_closure_words(self.closure_h, self.end_h)}, {self.events:,} events)")

    @property
    def closure_h(self) -> float | None:
        """Closure of the whole deployment (h since start): when the last force closed; None when some force
        did not close by the end of the run. The summary's `closure_h`, not rounded."""
        c = self.closure()
        if c.empty:
            return None
        t = pd.to_numeric(c["closure_h"], errors="coerce")
        return None if t.isna().any() else float(t.max())

    @property
    def plot(self):
        """Plots of this run, one call each: `.map()`, `.congestion()`, `.throughput()`, `.closure()`, `.gantt()`."""
        from .plots import PlotAccessor

        return PlotAccessor(self)

    @property
    def stats(self) -> StatsAccessor:
        """This replication's long tables for sim.statistics: `.replication()`, `.closure()`, `.throughput()`,
        `.bottlenecks()`, `.closure_stats()`."""
        from .statistics import StatsAccessor

        return StatsAccessor(self)

    # ---- derived tables ------------------------------------------------------------------------------
    def resource_stats(self) -> pd.DataFrame:
        """Per resource: its name in a planner's words (`words`) and what queues at it (`waiters`: trains,
        serials, ship calls...), uses, utilisation over [0, end_h] (mean and peak), the waiting it caused to
        pieces (piece-hours; `closure_wait_h` only for the pieces that set closure) and to persons
        (person-hours), its longest queue, and what waited: `waits` (requests that waited, counted in
        `waiters`), `pieces_held` (pieces that waited for it at least once) and `mean_wait_h` (piece-hours per
        piece held). Ranked by closure wait, then piece wait."""
        end = max(self.end_h, 1e-9)
        u = self.usage
        r = self.resources.set_index("name")
        if "words" not in r:  # tables saved before resources had words: the id stands for itself
            r["words"], r["waiters"] = r.index.astype(str), "waits"
        g = pd.DataFrame({
            "resource": u["resource"],
            "held": (u["t_release"].clip(upper=end) - u["t_grant"].clip(upper=end)).clip(lower=0) * u["amount"],
            "wait": (u["t_grant"] - u["t_request"]) * u["weight"],
        }).groupby("resource")
        sums = g[["held", "wait"]].sum().reindex(r.index)
        r["uses"] = g.size().reindex(r.index).fillna(0).astype(int)
        held, weighted_wait = sums["held"].fillna(0.0), sums["wait"].fillna(0.0)
        cap = np.where(r["kind"].isin(SLOT_KINDS), 1.0, r["capacity"].astype(float))
        none = cap <= 0  # a resource with no capacity at all (every berth taken by civil traffic): nothing held
        cap = np.where(none, 1.0, cap)
        r["utilization"] = held / cap / end  # not held / (cap * end): a huge capacity would overflow
        max_queue, peak_in_use = _queue_peaks(u, r.index)
        r["max_queue"] = max_queue
        r["peak_utilization"] = np.minimum(peak_in_use / cap, 1.0)
        piece = self.blame.groupby("resource")["wait_h"].sum()
        tail = self.blame[self.blame["pid"].isin(self.tail_pieces())].groupby("resource")["wait_h"].sum()
        r["wait_h"] = piece.reindex(r.index).fillna(0.0)
        r["closure_wait_h"] = tail.reindex(r.index).fillna(0.0)
        r["person_wait_h"] = (weighted_wait - r["wait_h"]).clip(lower=0.0)
        r["waits"] = u.loc[u["t_grant"] > u["t_request"], "resource"].value_counts().reindex(r.index).fillna(0).astype(int)
        held = self.blame[self.blame["wait_h"] > 0].groupby("resource")["pid"].nunique()
        r["pieces_held"] = held.reindex(r.index).fillna(0).astype(int)
        r["mean_wait_h"] = (r["wait_h"] / r["pieces_held"].where(r["pieces_held"] > 0)).fillna(0.0)
        r = r.rename_axis("resource").reset_index()
        keys = ["closure_wait_h", "wait_h", "person_wait_h", "utilization", "resource"]
        return r.sort_values(keys, ascending=[False, False, False, False, True]).reset_index(drop=True)

    def tail_pieces(self) -> list[int]:
        """Pieces among the last TAIL_SHARE delivered of each force (or not delivered): those that set closure."""
        out: list[int] = []
        for _, grp in self.force_pieces.groupby("force", sort=True):
            t = grp["delivered_h"].fillna(np.inf)
            n = max(1, math.ceil(TAIL_SHARE * len(grp)))
            out += grp.loc[t.sort_values(kind="stable").index[-n:], "pid"].tolist()
        return out

    def queue_series(self, resource: str | None = None) -> pd.DataFrame:
        """Queue length (requests waiting) and amount in use over time, one row per change, per resource."""
        u = self.usage if resource is None else self.usage[self.usage["resource"] == resource]
        if u.empty:
            return pd.DataFrame(columns=["resource", "t", "queue", "in_use"])
        ev = _usage_changes(u).sort_values(["resource", "t", "dq"], kind="stable")
        ev["queue"] = ev.groupby("resource")["dq"].cumsum()
        ev["in_use"] = ev.groupby("resource")["du"].cumsum()
        return ev.groupby(["resource", "t"], sort=True)[["queue", "in_use"]].last().reset_index()

    def daily_throughput(self) -> pd.DataFrame:
        """Per day, node and stage (mode for onward moves): pieces and persons leaving that stage."""
        mv = self.moves.copy()
        if mv.empty:
            return pd.DataFrame(columns=["day", "node", "stage", "pieces", "persons"])
        mv["day"] = (mv["t_end"] // 24).astype(int)
        mv["pieces"] = np.where(mv["kind"] == "piece", mv["count"], 0)
        mv["persons"] = np.where(mv["kind"] == "pax", mv["count"], 0)
        return mv.groupby(["day", "node", "stage"], as_index=False)[["pieces", "persons"]].sum()

    def closure(self) -> pd.DataFrame:
        """Per force: closure (last piece or person across its exit), 50 % and 90 % closure of its pieces (h)."""
        rows = []
        flows = set(self.flows["flow"])
        forces = sorted((set(self.forces) | set(self.pieces["force"]) | set(self.personnel["force"])) - flows)
        for force in forces:
            t = self.pieces.loc[self.pieces["force"] == force, "delivered_h"].to_numpy(dtype=float)
            done = t[~np.isnan(t)]
            pax = self.pax_delivered[self.pax_delivered["force"] == force]
            pax_left = self.personnel[(self.personnel["force"] == force) & (self.personnel["status"] != DELIVERED)]["persons"].sum()
            complete = len(done) == len(t) and pax_left == 0
            last = max(done.max() if len(done) else 0.0, pax["t"].max() if len(pax) else 0.0)

            rows.append({"force": force, "closure_h": last if complete else None,
                         "closure_50_h": _share_time(done, len(t), 0.5), "closure_90_h": _share_time(done, len(t), 0.9),
                         "pieces": len(t), "delivered": len(done)})
        return pd.DataFrame(rows)

    def units(self) -> pd.DataFrame:
        """Per unit: when it closed (its critical equipment and all its personnel across its exit), against its
        RDD, and what it waited for longest (closure.unit_table)."""
        words = dict(zip(self.resources["name"], self.resources["words"], strict=True)) if "words" in self.resources else {}
        return unit_table(self.pieces, self.personnel, self.pax_delivered, self.blame, words, self.scenario_data)

    @property
    def force_pieces(self) -> pd.DataFrame:
        """Pieces of the forces (not of sustainment flows)."""
        p = self.pieces
        return p.loc[~p["flow"].astype(bool).to_numpy()] if "flow" in p else p

    # ---- friction ------------------------------------------------------------------------------------
    def disruption_costs(self) -> pd.DataFrame:
        """Per disruption: what was hit, when, and what it cost: piece-hours of waiting it caused (all pieces,
        and the pieces that set closure), pieces diverted to another mode, movements re-routed."""
        d = self.disruptions.copy()
        if d.empty:
            return d.assign(delay_piece_h=[], closure_delay_piece_h=[], diverted=[], rerouted=[])
        res = "disruption:" + d["name"]
        wait = self.blame.groupby("resource")["wait_h"].sum()
        tail = self.blame[self.blame["pid"].isin(self.tail_pieces())].groupby("resource")["wait_h"].sum()
        d["delay_piece_h"] = res.map(wait).fillna(0.0).to_numpy()
        d["closure_delay_piece_h"] = res.map(tail).fillna(0.0).to_numpy()
        d["diverted"] = d["name"].map(self.diversions.groupby("disruption").size()).fillna(0).astype(int).to_numpy()
        d["rerouted"] = d["name"].map(self.reroutes.groupby("disruption").size()).fillna(0).astype(int).to_numpy()
        return d

    def civil_displaced(self) -> pd.DataFrame:
        """Civil traffic the deployment displaced where the military went first: train paths (military trains
        beyond what civil trains leave, day by day), berth-hours (military berths beyond what commercial
        ships leave), and serials entering road links in peak hours."""
        from .dates import week_hour_of
        from .windows import anchor, parse_window

        rows = []
        u = self.usage
        for _, c in self.civil.iterrows():
            if c["kind"] == "rail" and c["military_first"]:
                uses = u[u["resource"].isin([paths_of(f"{c['key']}{d}").name for d in "><"])]
                per_day = uses.groupby([uses["resource"], (uses["t_grant"] // 24).astype(int)]).size()
                displaced = float((per_day - c["free"]).clip(lower=0).sum())
                rows.append({"kind": "rail", "key": c["key"], "military_uses": len(uses), "displaced": displaced,
                             "unit": "civil train paths"})
            elif c["kind"] == "berth" and c["military_first"]:
                q = self.queue_series(f"berths@{c['key']}")
                if len(q):
                    t = np.append(q["t"].to_numpy(dtype=float), max(self.end_h, float(q["t"].max())))
                    over = (q["in_use"].to_numpy(dtype=float) - c["free"]).clip(min=0)
                    displaced = float((over * np.diff(t)).sum())
                else:
                    displaced = 0.0
                rows.append({"kind": "berth", "key": c["key"], "military_uses": int((u["resource"] == f"berths@{c['key']}").sum()),
                             "displaced": displaced, "unit": "berth-hours"})
            elif c["kind"] == "road" and c["military_first"]:
                uses = u[u["resource"].isin([f"entry@{c['key']}>", f"entry@{c['key']}<"])]
                clock = float(self.scenario_data.get("start_clock_h", 0.0))
                cal = Calendar.of(self.scenario_data)  # the weekday of t = 0, for peaks by day of the week
                peaks = anchor(parse_window(c["unit"]), clock, None if cal is None else week_hour_of(cal.start))
                inside = [peaks.next_open(float(t)) == float(t) for t in uses["t_grant"]]
                rows.append({"kind": "road", "key": c["key"], "military_uses": len(uses),
                             "displaced": float(sum(inside)), "unit": "serials in peak hours"})
        return pd.DataFrame(rows, columns=["kind", "key", "military_uses", "displaced", "unit"])

    def flow_throughput(self) -> pd.DataFrame:
        """Per sustainment flow: direction, pieces and persons planned and delivered, delivered per day over
        the flow's window, and the mean transit time (h)."""
        rows = []
        for _, f in self.flows.iterrows():
            p = self.pieces[self.pieces["force"] == f["flow"]]
            done = p[p["status"] == DELIVERED]
            pax = self.pax_delivered[self.pax_delivered["force"] == f["flow"]]
            pers = self.personnel[self.personnel["force"] == f["flow"]]
            days = (f["end_h"] - f["start_h"]) / 24.0
            rows.append({"flow": f["flow"], "direction": f["direction"], "mode": f["mode"], "pieces": len(p),
                         "delivered": len(done), "pieces_per_day": len(done) / days,
                         "transit_h": float((done["delivered_h"] - done["entered_h"]).mean()) if len(done) else None,
                         "persons": int(pers["persons"].sum()), "persons_delivered": int(pax["persons"].sum()),
                         "persons_per_day": float(pax["persons"].sum()) / days})
        return pd.DataFrame(rows, columns=["flow", "direction", "mode", "pieces", "delivered", "pieces_per_day",
                                           "transit_h", "persons", "persons_delivered", "persons_per_day"])

    def housing_shortfall(self) -> pd.DataFrame:
        """Host-nation accommodation by site and day: persons to house, housed, short."""
        h = self.housing.groupby(["site", "day"], as_index=False)[["required", "housed"]].sum()
        h["short"] = h["required"] - h["housed"]
        return h

    # ---- summary -------------------------------------------------------------------------------------
    def accounting(self) -> dict[str, dict[str, int]]:
        """Pieces and persons planned, entered (arrived in the country), delivered, still in the system;
        the forces' and, under `sustainment`, the flows'."""
        flow_pax = self.personnel["force"].isin(set(self.flows["flow"])).to_numpy()
        out = self._account(self.force_pieces, self.personnel[~flow_pax])
        if len(self.flows):
            fl = self.pieces.loc[self.pieces["flow"].astype(bool).to_numpy()]
            out.update({f"sustainment_{k}": v for k, v in self._account(fl, self.personnel[flow_pax]).items()})
        return out

    @staticmethod
    def _account(p: pd.DataFrame, pers: pd.DataFrame) -> dict[str, dict[str, int]]:
        planned = len(p)
        not_arrived = int((p["status"] == NOT_ARRIVED).sum())
        delivered = int((p["status"] == DELIVERED).sum())
        pax_planned = int(pers["persons"].sum())
        pax_not = int(pers.loc[pers["status"] == NOT_ARRIVED, "persons"].sum())
        pax_del = int(pers.loc[pers["status"] == DELIVERED, "persons"].sum())
        return {
            "pieces": {"planned": planned, "entered": planned - not_arrived, "delivered": delivered,
                       "in_system": planned - not_arrived - delivered, "not_arrived": not_arrived},
            "personnel": {"planned": pax_planned, "entered": pax_planned - pax_not, "delivered": pax_del,
                          "in_system": pax_planned - pax_not - pax_del, "not_arrived": pax_not},
        }

    def waiting(self) -> list[dict[str, Any]]:
        """Where undelivered pieces and persons are at the end, why (their last status) and since when (h: the
        earliest time one of them took that status there)."""
        out = []
        p = self.pieces[self.pieces["status"] != DELIVERED]
        for (status, node), g in p.groupby(["status", "node"]):
            out.append({"kind": "pieces", "status": status, "node": node, "count": len(g),
                        "since_h": round(float(g["since_h"].min()), 4)})
        pers = self.personnel[self.personnel["status"] != DELIVERED]
        for (status, node), g in pers.groupby(["status", "node"]):
            out.append({"kind": "personnel", "status": status, "node": node or "", "count": int(g["persons"].sum()),
                        "since_h": round(float(g["since_h"].min()), 4)})
        return out

    def throughput_per_day(self) -> dict[str, float]:
        """The forces' pieces delivered per day by mode, averaged over [0, end_h]."""
        days = max(self.end_h / 24.0, 1e-9)
        p = self.force_pieces
        d = p[p["status"] == DELIVERED].groupby("mode").size()
        return {mode: round(float(n) / days, 3) for mode, n in sorted(d.items())}

    def brigades(self, units: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
        """Per force: closure (last piece), 50 % and 90 % of its pieces, combat-power closure (all its units
        closed) and half its units closed, its units and those closed, its containers in (h; None where not
        reached)."""
        brigades: dict[str, dict[str, Any]] = {
            r["force"]: {"closure_h": _num(r["closure_h"]), "closure_50_h": _num(r["closure_50_h"]),
                         "closure_90_h": _num(r["closure_90_h"])}
            for _, r in self.closure().iterrows()
        }
        for force, cp in combat_power(self.units() if units is None else units).items():
            if force in brigades:
                brigades[force].update({k: _num(v) if isinstance(v, float) else v for k, v in cp.items()})
        containers = self.force_pieces[self.force_pieces["cls"] == "container"]
        for force, g in containers.groupby("force"):
            t = g["delivered_h"].to_numpy(dtype=float)
            if str(force) in brigades:
                brigades[str(force)]["containers_closure_h"] = None if np.isnan(t).any() else _num(float(t.max()))
        return brigades

    def summary(self) -> dict[str, Any]:
        units = self.units()
        brigades = self.brigades(units)
        complete = all(b["closure_h"] is not None for b in brigades.values())
        cal = Calendar.of(self.scenario_data)
        if cal is not None:  # dates beside the hours
            for b in brigades.values():
                b["closure_at"] = cal.iso(b["closure_h"])
                b["combat_power_closure_at"] = cal.iso(b.get("combat_power_closure_h"))
        stats = self.resource_stats()
        bottlenecks = [
            {"resource": r["resource"], "kind": r["kind"], "node": r["node"], "words": r["words"], "waiters": r["waiters"],
             "utilization": round(float(r["utilization"]), 4),
             "peak_utilization": round(float(r["peak_utilization"]), 4), "wait_h": round(float(r["wait_h"]), 3),
             "closure_wait_h": round(float(r["closure_wait_h"]), 3), "person_wait_h": round(float(r["person_wait_h"]), 3),
             "waits": int(r["waits"]), "pieces_held": int(r["pieces_held"]), "mean_wait_h": round(float(r["mean_wait_h"]), 3)}
            for _, r in stats.head(TOP_BOTTLENECKS).iterrows()
        ]
        acc = self.accounting()
        friction = self.friction_summary()
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replication": self.replication,
            "version": self.version,
            "closure_h": _num(max(float(b["closure_h"] or 0.0) for b in brigades.values())) if complete and brigades else None,
            "brigades": brigades,
            "start_date": None if cal is None else cal.start.isoformat(timespec="minutes"),
            "c_day": None if cal is None else cal.c_day.isoformat(),
            "units": [_unit_row(r, cal) for r in units.sort_values(["late_h", "force", "unit"], ascending=[False, True, True],
                                                                    na_position="last").to_dict("records")],
            "late_units": int((units["timing"] == "late").sum()),
            "person_nights_without_bed": self.person_nights_without_bed(stats),
            "airfield_wait_person_h": airfield_wait_person_h(self.moves, set(self.flows["flow"])),
            "airfield_cargo_piece_h": airfield_cargo_piece_h(self.moves),
            "pieces": acc["pieces"],
            "personnel": acc["personnel"],
            "throughput_per_day": self.throughput_per_day(),
            "bottlenecks": bottlenecks,
            "waiting": self.waiting(),
            "rail": self.rail_summary(),
            "end_h": round(self.end_h, 4),
            "events": self.events,
            **{k: v for k, v in acc.items() if k.startswith("sustainment_")},
            **friction,
        }

    def person_nights_without_bed(self, stats: pd.DataFrame | None = None) -> float:
        """Nights persons spent without a bed: hosted troops a site could not house (persons short, day by day)
        and transit troops waiting at their staging area for their unit's beds (person-hours / 24)."""
        stats = self.resource_stats() if stats is None else stats
        beds = stats[stats["kind"] == "beds"]["person_wait_h"].astype(float).sum() if len(stats) else 0.0
        hosted = float(self.housing_shortfall()["short"].sum()) if len(self.housing) else 0.0
        return round(hosted + float(beds) / 24.0, 3)

    def rail_summary(self) -> dict[str, Any]:
        """What a rail operator reads first, per force: trains run, pieces and tracked vehicles per train, the
        first departure after the force's first discharge, the mean wagon cycle (stock granted to stock back,
        h); and trains per day from each railhead (over the days it dispatched trains)."""
        tr = self.trains
        if not len(tr):
            return {}
        first_in = self.pieces.groupby("force")["entered_h"].min()
        forces = {}
        for force, g in tr.groupby("force"):
            cycle = (g["t_back"] - g["t_stock"]).dropna()
            forces[str(force)] = {
                "trains": len(g),
                "pieces_per_train": round(float(g["pieces"].mean()), 3),
                "tracked_per_train": round(float(g["tracked"].mean()), 3),
                "first_train_after_first_discharge_h": _num(round(float(g["t_depart"].min() - first_in.get(force, 0.0)), 4)
                                                            if g["t_depart"].notna().any() else None),
                "wagon_cycle_h": _num(round(float(cycle.mean()), 4) if len(cycle) else None),
            }
        heads = {}
        for head, g in tr.groupby("railhead"):
            dep = g["t_depart"].dropna()
            days = max((float(dep.max()) - float(dep.min())) / 24.0, 1.0) if len(dep) else 1.0
            heads[str(head)] = round(len(dep) / days, 3)
        return {"forces": forces, "trains_per_day": heads}

    def friction_summary(self) -> dict[str, Any]:
        """Summary entries for disruptions, civil traffic, sustainment and accommodation (only those present)."""
        out: dict[str, Any] = {}
        if len(self.disruptions):
            out["disruptions"] = [
                {"name": r["name"], "kind": r["kind"], "target": r["target"], "start_h": round(float(r["start_h"]), 3),
                 "end_h": round(float(r["end_h"]), 3), "capacity_factor": float(r["capacity_factor"]),
                 "delay_piece_h": round(float(r["delay_piece_h"]), 3),
                 "closure_delay_piece_h": round(float(r["closure_delay_piece_h"]), 3),
                 "diverted": int(r["diverted"]), "rerouted": int(r["rerouted"])}
                for _, r in self.disruption_costs().iterrows()]
        if len(self.civil):
            disp = self.civil_displaced()
            out["civil_displaced"] = {unit: round(float(g["displaced"].sum()), 3) for unit, g in disp.groupby("unit")}
        if len(self.flows):
            ft = self.flow_throughput()
            out["sustainment"] = {
                d: {"pieces": int(g["pieces"].sum()), "delivered": int(g["delivered"].sum()),
                    "pieces_per_day": round(float(g["pieces_per_day"].sum()), 3),
                    "persons_delivered": int(g["persons_delivered"].sum()),
                    "persons_per_day": round(float(g["persons_per_day"].sum()), 3)}
                for d, g in ft.groupby("direction")}
        if len(self.housing):
            hs = self.housing_shortfall()
            out["accommodation"] = {
                site: {"required": int(g["required"].max()), "max_short": int(g["short"].max()),
                       "days_short": int((g["short"] > 0).sum())}
                for site, g in hs.groupby("site")}
        return out

    def provenance(self) -> dict[str, Any]:
        """What a run was made from, for summary.json: the scenario as written (its investments listed, not yet
        applied: re-running it applies them once), the changes those investments made (for reading only), and
        the network folder the run used (so a saved result re-runs wherever its scenario file was)."""
        return {"scenario_data": self.scenario_data, "applied_changes": self.applied_changes,
                "network_folder": self.network_folder}

    def save(self, out: Path | str, fmt: Format = "parquet") -> Path:
        """Write the tables (Parquet, CSV or an Excel workbook: tables_io) and summary.json (the summary with the
        scenario as written, the changes applied, seed and version) to a folder; Results.load reads them back."""
        out = output.folder(out)
        tables = {name: getattr(self, name) for name in SAVED_TABLES}
        tables |= {"resource_stats": self.resource_stats(), "daily_throughput": self.daily_throughput(),
                   "units": self.units()}
        write_tables(out, with_dates(tables, Calendar.of(self.scenario_data)), fmt)
        summary = {**self.summary(), **self.provenance(),
                   "results_meta": {"end_h": self.end_h, "forces": list(self.forces)}}
        output.write_text(out / "summary.json", json.dumps(summary, indent=2, sort_keys=False))
        return out

    @classmethod
    def load(cls, folder: Path | str) -> Results:
        """The Results that `save` wrote to a folder: tables from Parquet, the rest from summary.json. The
        network is not saved (`network` is None: no maps); the summary is the one saved."""
        folder = Path(folder)
        s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        meta = s.get("results_meta") or {}
        tables = {name: t.drop(columns=[date_column(c) for c in TIME_COLUMNS.get(name, ()) if date_column(c) in t])
                  for name, t in read_tables(folder, SAVED_TABLES).items()}  # the dates are the times again
        forces = meta.get("forces") or [f["id"] for f in s["scenario_data"].get("forces", [])]
        return cls(scenario=s["scenario"], scenario_data=s["scenario_data"], seed=int(s["seed"]),
                   replication=int(s.get("replication", 0)), version=s["version"],
                   end_h=float(meta.get("end_h", s["end_h"])), events=int(s["events"]), forces=tuple(forces),
                   applied_changes=list(s.get("applied_changes") or []), network_folder=s.get("network_folder"),
                   **tables)


class Replications(list[Results]):
    """What `run` returns: the replications of one plan, in order. A list of Results (index, iterate and pass
    it on as before) with a short repr and its summaries: `summary()` the one dict of all replications
    (statistics.aggregate), `summary_frame()` one row per replication and `closure_frame()` one row per
    replication and force, both DataFrames from sim.statistics (times in h since start)."""

    def __repr__(self) -> str:
        """One line: scenario, seed, how many replications and their closure (mean, min and max, h)."""
        if not self:
            return "Replications(none)"
        seeds = sorted({r.seed for r in self})
        head = (f"Replications({self[0].scenario!r}, seed {', '.join(map(str, seeds))}, "
                f"{len(self)} replication{'s' * (len(self) != 1)}: ")
        closures = [r.closure_h for r in self]
        closed = [c for c in closures if c is not None]
        if len(self) == 1:
            return head + _closure_words(closures[0], self[0].end_h) + ")"
        if not closed:
            return head + "none closed by the end of the run)"
        s = spread(closed, digits=None)
        some = "" if len(closed) == len(self) else f"{len(closed)} of {len(self)} closed, "
        return head + f"{some}closure mean {format_hours(s['mean'])}, min {s['min']:,.1f} h, max {s['max']:,.1f} h)"

    def summaries(self) -> list[dict[str, Any]]:
        """Each replication's summary (Results.summary), in order."""
        return [r.summary() for r in self]

    def summary(self) -> dict[str, Any]:
        """The one summary of all replications that `rsom run` prints (statistics.aggregate: means, the spread
        of the closures, bottlenecks ranked over the replications)."""
        return aggregate(self.summaries())

    def summary_frame(self) -> pd.DataFrame:
        """One row per replication: replication, seed, closure_h and end_h (h since start; closure NaN where
        not everything closed), events, and the accounting of pieces and persons (statistics.replications_frame).
        `statistics.closure_stats(frame)` gives the mean, sd and 95 % interval over the rows."""
        return replications_frame(self.summaries())

    def closure_frame(self) -> pd.DataFrame:
        """One row per replication and force: closure, 50 % and 90 % of its pieces, combat power, half its
        units and its containers (h since start; NaN where not reached; statistics.closure_frame)."""
        return closure_frame(self.summaries())
