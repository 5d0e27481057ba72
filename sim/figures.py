"""The summary of one replication straight from the run's flat records, without the results tables.

A comparison or a sweep needs of each replication only the figures of its row (sweep.tasks.summary_row):
closure and end (h), the forces' and their units' closures, the accounting of pieces and persons, throughput
per mode, the top bottlenecks, the metrics beside closure. Building every results table (Results.from_model)
and the whole summary from them costs about as much CPU as the simulation itself; `figures` computes those
entries of `Results.summary()` from the World's records alone, with the same arithmetic in the same order, so
each figure equals the summary's to the last digit (tests/test_figures.py holds the two side by side; the
tables stay the reference). `summary` (figures with `full`) gives the whole of `Results.summary()` the same
way: every key in the same order, the units' rows with their lines, last piece, longest wait and dates, the
bottlenecks' peak use, the waiting pieces and persons, the rail summary and friction (disruptions' costs,
civil traffic displaced, sustainment flows, accommodation) - what `rsom run` prints of one replication.

Where the tables sum floats by group, pandas adds each group's rows in order with Kahan's compensation
(its group_sum); `group_sums` does the same, so neither this module nor what it imports needs pandas."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from .airfield_wait import airfield_cargo_from_records, airfield_wait_from_records
from .closure import line_rdds, timing
from .dates import Calendar
from .ledger import DELIVERED, NOT_ARRIVED
from .naming import catalogue, phrase
from .scenario import UnitClosure
from .statistics import TOP_BOTTLENECKS

if TYPE_CHECKING:
    from .network import Network
    from .plan import Plan
    from .world import World

SLOT_KINDS = ("paths", "headway")  # as results.SLOT_KINDS: capacity counted per slot, not at once
TAIL_SHARE = 0.10  # as results.TAIL_SHARE: the last 10 % of each force's pieces set its closure
FIGURE_KEYS = ("scenario", "seed", "replication", "version", "closure_h", "brigades", "start_date", "c_day",
               "late_units", "person_nights_without_bed", "airfield_wait_person_h", "airfield_cargo_piece_h", "pieces",
               "personnel",
               "throughput_per_day", "bottlenecks",
               "end_h", "events", "disruptions")
"""The entries of Results.summary() that `figures` gives without `full` (`disruptions` only when the scenario has
some, as there, with each one's name and delay_piece_h); `units` holds each unit's force, unit, closed_h, rdd_h,
late_h and timing, `bottlenecks` all their fields but peak_utilization. `summary` gives every entry."""


class _PlanFacts:
    """What every replication of a plan reads alike: the scenario as written (its JSON dump), its calendar, the
    unit closure rule, RDDs and the names of the network's resources. Made once per plan (a dump costs
    milliseconds, the network's catalogue of resource names more)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.data: dict[str, Any] = (plan.scenario_as_written or plan.scenario).model_dump(mode="json", by_alias=True)
        self.cal = Calendar.of(self.data)
        self.rule = UnitClosure(**(self.data.get("unit_closure") or {}))
        self.rdd: dict[str, Any] = {f["id"]: f.get("rdd_h") for f in self.data.get("forces", [])}
        self.unit_rdd = line_rdds(self.data)
        self.ulns: dict[tuple[str, str], list[str]] = {}  # each unit's deployment list lines, in list order
        for line in self.data.get("deployment") or []:
            self.ulns.setdefault((str(line["force"]), str(line["unit"])), []).append(str(line["uln"]))
        self.flows = {f.name for f in plan.flows}
        self._known: dict[tuple[str, ...], dict[str, Any]] = {}

    def words(self, names: list[str], network: Network | None, disruptions: tuple[str, ...]) -> dict[str, tuple[str, str]]:
        """(words, waiters) of each resource name, as naming.name_words."""
        known = self._known.get(disruptions)
        if known is None:
            known = self._known[disruptions] = catalogue(network, disruptions) if network is not None else {}
        out = {}
        for n in names:
            rid = known.get(n)
            out[n] = phrase(rid, network) if rid is not None else (n, "waits")
        return out


_FACTS: dict[int, _PlanFacts] = {}
_MAX_PLANS = 16  # plans remembered per process (a sweep's worker holds a few variants)


def _facts(plan: Plan) -> _PlanFacts:
    f = _FACTS.get(id(plan))
    if f is None or f.plan is not plan:  # the same id for another plan once the first is gone: made afresh
        if len(_FACTS) >= _MAX_PLANS:
            _FACTS.pop(next(iter(_FACTS)))
        f = _FACTS[id(plan)] = _PlanFacts(plan)
    return f


def _num(x: float | None) -> float | None:
    """As results._num: None for a missing figure, else rounded to 4 decimals."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _share_time(done: list[float], total: int, share: float) -> float | None:
    """Time by which `share` of `total` pieces were delivered (h; `done` sorted); None if not reached."""
    need = math.ceil(share * total)
    if need == 0 or len(done) < need:
        return None
    return float(done[need - 1])


def _needed_time(arrivals: list[tuple[float, int]], need: float) -> float | None:
    """As closure._needed_time: the time (h) by which the persons arrived add up to `need`; 0 when nothing is
    needed, None when they never do."""
    if need <= 0:
        return 0.0
    total = 0.0
    for t, n in sorted(arrivals, key=lambda a: a[0]):
        total += n
        if total >= need - 1e-9:
            return float(t)
    return None


def _units(world: World, facts: _PlanFacts, pax_rows: list[tuple[str, str, str, int]]) -> list[dict[str, Any]]:
    """Per unit of the forces, as closure.unit_table: when it closed (h; None while its critical equipment or
    its personnel are not all in), its RDD, hours late and timing."""
    ps, delivered, led = world.pieces, world.ledger.delivered, world.ledger
    persons: Counter[tuple[str, str]] = Counter()
    for f, u, _st, n in pax_rows:
        persons[(f, u)] += n
    by_unit: dict[tuple[str, str], list[int]] = {}
    for p in ps:
        if not p.flow:
            by_unit.setdefault((p.force, p.unit), []).append(p.pid)
    keys = sorted(set(by_unit) | {k for k in persons if k[0] in facts.rdd})
    arrivals: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for f, u, n, t in led.pax_delivered:
        arrivals.setdefault((f, u), []).append((t, n))
    rule = facts.rule
    units = []
    for key in keys:
        pids = by_unit.get(key, [])
        crit = [delivered[i] for i in pids if ps[i].critical]
        arrived = sorted(t for t in crit if not math.isnan(t))
        need = math.ceil(rule.critical_share * len(crit) - 1e-9)
        equipment_h = 0.0 if need == 0 else (float(arrived[need - 1]) if len(arrived) >= need else None)
        personnel_h = _needed_time(arrivals.get(key, []), int(persons.get(key, 0)))
        closed = None if equipment_h is None or personnel_h is None else max(equipment_h, personnel_h)
        r = facts.unit_rdd.get(key, facts.rdd.get(key[0]))
        late = max(closed - r, 0.0) if closed is not None and r is not None else None
        units.append({"force": key[0], "unit": key[1], "closed_h": closed, "rdd_h": r, "late_h": late,
                      "timing": timing(closed, r, rule.on_time_h), "personnel_h": personnel_h})
    return units


def _brigades(world: World, facts: _PlanFacts, units: list[dict[str, Any]],
              pax_rows: list[tuple[str, str, str, int]]) -> dict[str, dict[str, Any]]:
    """Per force, as Results.brigades and the summary: closure, 50 % and 90 % of its pieces, combat power and
    half its units closed, its containers in (h, rounded; None where not reached); with a calendar, the dates."""
    ps, delivered, led = world.pieces, world.ledger.delivered, world.ledger
    pax_forces = {f for f, *_ in pax_rows}
    forces = sorted(({f.id for f in world.plan.scenario.forces} | {p.force for p in ps} | pax_forces) - facts.flows)
    times: dict[str, list[float]] = {}
    containers: dict[str, list[float]] = {}
    for p in ps:
        times.setdefault(p.force, []).append(delivered[p.pid])
        if not p.flow and p.cls == "container":
            containers.setdefault(p.force, []).append(delivered[p.pid])
    pax_t: dict[str, list[float]] = {}
    for f, _u, _n, t in led.pax_delivered:
        pax_t.setdefault(f, []).append(t)
    pax_left: Counter[str] = Counter()
    for f, _u, st, n in pax_rows:
        if st != DELIVERED:
            pax_left[f] += n
    brigades: dict[str, dict[str, Any]] = {}
    for force in forces:
        mine = times.get(force, [])
        done = sorted(x for x in mine if not math.isnan(x))
        complete = len(done) == len(mine) and pax_left[force] == 0
        last = max(done[-1] if done else 0.0, max(pax_t[force]) if pax_t.get(force) else 0.0)
        brigades[force] = {"closure_h": _num(last if complete else None),
                           "closure_50_h": _num(_share_time(done, len(mine), 0.5)),
                           "closure_90_h": _num(_share_time(done, len(mine), 0.9))}
    unit_times: dict[str, list[float | None]] = {}
    for u in units:
        unit_times.setdefault(u["force"], []).append(u["closed_h"])
    for force in sorted(unit_times):
        t_all = unit_times[force]
        closed = sorted(float(x) for x in t_all if x is not None and not math.isnan(x))
        n = len(t_all)
        half = math.ceil(0.5 * n)
        cp = {"units_closed_50_h": float(closed[half - 1]) if half and len(closed) >= half else None,
              "combat_power_closure_h": float(closed[-1]) if n and len(closed) == n else None,
              "units": n, "units_closed": len(closed)}
        if force in brigades:
            brigades[force].update({k: _num(v) if isinstance(v, float) else v for k, v in cp.items()})
    for force in sorted(containers):
        c = containers[force]
        if force in brigades:
            brigades[force]["containers_closure_h"] = None if any(math.isnan(x) for x in c) else _num(max(c))
    if facts.cal is not None:
        for b in brigades.values():
            b["closure_at"] = facts.cal.iso(b["closure_h"])
            b["combat_power_closure_at"] = facts.cal.iso(b.get("combat_power_closure_h"))
    return brigades


def _accounting(world: World, facts: _PlanFacts, pax_rows: list[tuple[str, str, str, int]],
                flows: bool = False) -> dict[str, dict[str, int]]:
    """Pieces and persons planned, entered, delivered, in the system, not arrived (Results.accounting): the
    forces' (`pieces`, `personnel`), or with `flows` the sustainment flows' (`sustainment_pieces`,
    `sustainment_personnel`)."""
    status = world.ledger.status
    pids = [p.pid for p in world.pieces if p.flow == flows]
    not_arrived = sum(1 for i in pids if status[i] == NOT_ARRIVED)
    done_n = sum(1 for i in pids if status[i] == DELIVERED)
    planned = len(pids)
    pers = [(st, n) for f, _u, st, n in pax_rows if (f in facts.flows) == flows]
    pax_planned = sum(n for _, n in pers)
    pax_not = sum(n for st, n in pers if st == NOT_ARRIVED)
    pax_del = sum(n for st, n in pers if st == DELIVERED)
    prefix = "sustainment_" if flows else ""
    return {f"{prefix}pieces": {"planned": planned, "entered": planned - not_arrived, "delivered": done_n,
                                "in_system": planned - not_arrived - done_n, "not_arrived": not_arrived},
            f"{prefix}personnel": {"planned": pax_planned, "entered": pax_planned - pax_not, "delivered": pax_del,
                                   "in_system": pax_planned - pax_not - pax_del, "not_arrived": pax_not}}


def figures(world: World, end_h: float, full: bool = False) -> dict[str, Any]:
    """The summary figures of a finished replication (`end_h`: the end of the run, h), each equal to
    Results.summary()'s: FIGURE_KEYS, the units' closure and lateness and the bottlenecks without their peak use,
    what a comparison or a sweep keeps; with `full`, the whole summary, key by key and in its order (see
    `summary`)."""
    from .version import __version__

    plan, status = world.plan, world.ledger.status
    facts = _facts(plan)
    pax_rows = [(f, u, st, n) for (f, u, st, _node), n in world.ledger.pax.items() if n]
    units = _units(world, facts, pax_rows)
    brigades = _brigades(world, facts, units, pax_rows)
    complete = all(b["closure_h"] is not None for b in brigades.values())
    stats, housing_short = _resource_figures(world, max(float(end_h), 1e-9))
    beds = [r["person_wait_h"] for r in stats if r["kind"] == "beds"]  # in rank order, summed as the table's column
    beds_h = float(np.array(beds, dtype=float).sum()) if beds else 0.0
    acc = _accounting(world, facts, pax_rows)
    days = max(float(end_h) / 24.0, 1e-9)
    by_mode = Counter(p.mode for p in world.pieces if not p.flow and status[p.pid] == DELIVERED)
    unit_order = sorted(units, key=lambda u: (u["late_h"] is None, -(u["late_h"] or 0.0), u["force"], u["unit"]))
    cal = facts.cal
    top = stats[:TOP_BOTTLENECKS]
    if full:
        _unit_details(world, facts, units)
        unit_rows = [_unit_row(u, cal) for u in unit_order]
        peaks = _peak_utilization(world, [r["resource"] for r in top])
        for r in top:
            r["peak_utilization"] = peaks[r["resource"]]
    else:
        unit_rows = [{"force": u["force"], "unit": u["unit"], "closed_h": _num(u["closed_h"]), "rdd_h": _num(u["rdd_h"]),
                      "late_h": _num(u["late_h"]), "timing": u["timing"]} for u in unit_order]
    out: dict[str, Any] = {
        "scenario": plan.scenario.name,
        "seed": world.seed,
        "replication": world.replication,
        "version": __version__,
        "closure_h": _num(max(float(b["closure_h"] or 0.0) for b in brigades.values())) if complete and brigades else None,
        "brigades": brigades,
        "start_date": None if cal is None else cal.start.isoformat(timespec="minutes"),
        "c_day": None if cal is None else cal.c_day.isoformat(),
        "units": unit_rows,
        "late_units": sum(1 for u in units if u["timing"] == "late"),
        "person_nights_without_bed": round(housing_short + beds_h / 24.0, 3),
        "airfield_wait_person_h": airfield_wait_from_records(world.ledger.moves, {f.name for f in plan.flows}),
        "airfield_cargo_piece_h": airfield_cargo_from_records(world.ledger.moves),
        "pieces": acc["pieces"],
        "personnel": acc["personnel"],
        "throughput_per_day": {mode: round(float(n) / days, 3) for mode, n in sorted(by_mode.items())},
        "bottlenecks": _bottlenecks(top, world, facts),
    }
    if full:
        out["waiting"] = _waiting(world)
        out["rail"] = _rail(world)
    out["end_h"] = round(float(end_h), 4)
    out["events"] = world.env.events_processed
    if not full:
        if world.outages.all:
            wait = _blame_sums(world)[0]
            out["disruptions"] = [{"name": o.name, "delay_piece_h": round(float(wait.get(f"disruption:{o.name}", 0.0)), 3)}
                                  for o in world.outages.all]
        return out
    if plan.flows:
        out.update(_accounting(world, facts, pax_rows, flows=True))
    if world.outages.all:
        out["disruptions"] = _disruptions(world)
    if plan.civil:
        out["civil_displaced"] = _civil_displaced(world, facts, float(end_h))
    if plan.flows:
        out["sustainment"] = _sustainment(world, float(end_h))
    if world.housing:
        out["accommodation"] = _accommodation(world)
    return out


def summary(world: World, end_h: float) -> dict[str, Any]:
    """The whole of Results.summary() of a finished replication (`end_h`: the end of the run, h) from the run's
    records: every key in the same order, every figure to the last digit (NaN where the summary has NaN), without
    the results tables (nor pandas). What `rsom run` prints of one replication."""
    return figures(world, end_h, full=True)


def _kahan(xs: list[float]) -> float:
    """The compensated (Kahan) sum of finite values in order, as pandas' grouped sum adds a group's rows."""
    s = c = 0.0
    for x in xs:
        y = x - c
        t = s + y
        c = t - s - y
        s = t
    return s


def _kahan_guarded(xs: list[float]) -> float:
    """The same sum where a value is infinite or the sum overflows: pandas then sets the compensation to 0
    (GH#53606) so that the sum is +-inf, not NaN."""
    s = c = 0.0
    for x in xs:
        y = x - c
        t = s + y
        c = t - s - y
        if not math.isfinite(c):
            c = 0.0
        s = t
    return s


def group_sums(code: np.ndarray, values: np.ndarray, n: int) -> list[float]:
    """Sum of `values` per group `code` (0 .. n-1), each group's rows added in row order with Kahan's
    compensation and NaN skipped (0.0 for a group with none): what `pd.Series(values).groupby(code).sum()`
    gives (pandas' group_sum), to the last digit, without pandas."""
    keep = ~np.isnan(values)
    code, values = code[keep], values[keep]
    small = code.astype(np.int16) if n < 2**15 else code  # small integers sort stably by radix, in linear time
    order = np.argsort(small, kind="stable")  # the rows of each group together, in row order
    bounds = np.searchsorted(code[order], np.arange(n + 1)).tolist()
    vals = values[order]
    fast = bool(np.isfinite(vals).all())
    xs = vals.tolist()
    out = [0.0] * n
    for g in range(n):
        a, b = bounds[g], bounds[g + 1]
        if a < b:
            s = _kahan(xs[a:b]) if fast else _kahan_guarded(xs[a:b])
            out[g] = s if math.isfinite(s) else _kahan_guarded(xs[a:b])
    return out


class _Blame:
    """The waits of pieces, one row per piece and wait (as results._blame_frame), the resource as a code into
    `names`: grouping by a number sums each group's rows in the same order as grouping by the name, and costs
    a fraction of hashing tens of thousands of strings."""

    def __init__(self, records: list[tuple[str, tuple[int, ...], float]]):
        code: dict[str, int] = {}
        self.names: list[str] = []
        for name, _, _ in records:
            if name not in code:
                code[name] = len(self.names)
                self.names.append(name)
        sizes = np.fromiter((len(g) for _, g, _ in records), dtype=np.int64, count=len(records))
        self.code = np.repeat(np.fromiter((code[n] for n, _, _ in records), dtype=np.int64, count=len(records)), sizes)
        self.pid = np.fromiter(itertools.chain.from_iterable(g for _, g, _ in records), dtype=np.int64,
                               count=int(sizes.sum()))
        self.wait_h = np.repeat(np.fromiter((w for _, _, w in records), dtype=float, count=len(records)), sizes)

    def sums(self, keep: np.ndarray | None = None) -> dict[str, float]:
        """Piece-hours per resource name (of the rows `keep`, a mask; all rows without it)."""
        code, wait = (self.code, self.wait_h) if keep is None else (self.code[keep], self.wait_h[keep])
        return dict(zip(self.names, group_sums(code, wait, len(self.names)), strict=True))

    def pieces_held(self) -> dict[str, int]:
        """Pieces that waited for each resource at least once."""
        keep = self.wait_h > 0
        if not keep.any():
            return {}
        code, pid = self.code[keep], self.pid[keep]
        width = int(pid.max()) + 1
        seen = np.zeros(len(self.names) * width, dtype=bool)  # (resource, piece) marked once however often
        seen[code * width + pid] = True
        n = seen.reshape(len(self.names), width).sum(axis=1)
        return {name: int(k) for name, k in zip(self.names, n.tolist(), strict=True) if k}


def _tail_pieces(world: World) -> list[int]:
    """As Results.tail_pieces: the last TAIL_SHARE of each force's pieces delivered (or not delivered)."""
    by_force: dict[str, list[int]] = {}
    for p in world.pieces:
        if not p.flow:
            by_force.setdefault(p.force, []).append(p.pid)
    delivered = world.ledger.delivered
    out: list[int] = []
    for force in sorted(by_force):
        pids = by_force[force]
        t = [math.inf if math.isnan(delivered[i]) else delivered[i] for i in pids]
        n = max(1, math.ceil(TAIL_SHARE * len(pids)))
        order = sorted(range(len(pids)), key=t.__getitem__)  # stable, as a stable sort of the column
        out += [pids[k] for k in order[-n:]]
    return out


def _blame_sums(world: World) -> tuple[dict[str, float], dict[str, float], _Blame]:
    """Piece-hours waited per resource: by all pieces, by the pieces that set closure; and the blame rows.
    Summed by the same groupby sum as the results tables, rows in the same order, so the sums agree to the
    last digit."""
    cached = getattr(world, "_blame_sums", None)
    if cached is not None:
        return cached
    blame = _Blame(world.ledger.blame)
    tail = np.zeros(len(world.pieces), dtype=bool)
    tail[_tail_pieces(world)] = True
    out = (blame.sums(), blame.sums(tail[blame.pid]), blame)
    world._blame_sums = out  # type: ignore[attr-defined]  # asked for twice: ranking and disruptions
    return out


def _resource_figures(world: World, end: float) -> tuple[list[dict[str, Any]], float]:
    """Per resource, ranked as Results.resource_stats (closure wait, piece wait, person wait, utilisation
    descending, then name): kind, node, utilisation, the waits; and the persons short of a bed at hosting sites
    (person-days)."""
    infos = sorted(world.resources.values(), key=lambda r: r.name)
    u = world.ledger.usage
    cols = [list(map(itemgetter(i), u)) for i in range(6)]  # the Usage fields (resources.Usage) as columns
    names = list(dict.fromkeys(cols[0])) if u else []  # in the order first used
    code = {n: i for i, n in enumerate(names)}
    if u:
        res = np.fromiter(map(code.__getitem__, cols[0]), dtype=np.int64, count=len(u))
        t_req, t_grant, t_rel = (np.array(c, dtype=float) for c in cols[1:4])
        amount, weight = np.array(cols[4], dtype=float), np.array(cols[5], dtype=float)
    else:
        res = np.zeros(0, dtype=np.int64)
        t_req = t_grant = t_rel = amount = weight = np.zeros(0)
    held = np.maximum(np.minimum(t_rel, end) - np.minimum(t_grant, end), 0.0) * amount  # as Series.clip: NaN stays
    held_by = dict(zip(names, group_sums(res, held, len(names)), strict=True))
    wait_by = dict(zip(names, group_sums(res, (t_grant - t_req) * weight, len(names)), strict=True))
    waits = Counter(names[int(k)] for k in res[t_grant > t_req])
    piece, tail, blame = _blame_sums(world)
    pieces_held = blame.pieces_held()
    rows: list[dict[str, Any]] = []
    for info in infos:
        name = info.name
        cap = 1.0 if info.kind in SLOT_KINDS else float(info.capacity)
        if cap <= 0:
            cap = 1.0
        wait_h = float(piece.get(name, 0.0))
        held_n = int(pieces_held.get(name, 0))
        rows.append({"resource": name, "kind": info.kind, "node": info.node,
                     "utilization": float(held_by.get(name, 0.0)) / cap / end, "wait_h": wait_h,
                     "closure_wait_h": float(tail.get(name, 0.0)),
                     "person_wait_h": max(float(wait_by.get(name, 0.0)) - wait_h, 0.0),
                     "waits": int(waits.get(name, 0)), "pieces_held": held_n,
                     "mean_wait_h": wait_h / held_n if held_n > 0 else 0.0})
    rows.sort(key=lambda r: (-r["closure_wait_h"], -r["wait_h"], -r["person_wait_h"], -r["utilization"], r["resource"]))
    short = 0.0
    if world.housing:
        need: dict[tuple[str, int], list[int]] = {}
        for site, day, required, housed in world.housing:
            s = need.setdefault((site, day), [0, 0])
            s[0] += required
            s[1] += housed
        short = float(sum(r - h for r, h in need.values()))
    return rows, short


def _bottlenecks(top: list[dict[str, Any]], world: World, facts: _PlanFacts) -> list[dict[str, Any]]:
    """The top bottlenecks as the summary lists them (its figures rounded alike; the peak use where `top`
    has it)."""
    said = facts.words([r["resource"] for r in top], world.plan.network, tuple(o.name for o in world.outages.all))
    return [{"resource": r["resource"], "kind": r["kind"], "node": r["node"], "words": said[r["resource"]][0],
             "waiters": said[r["resource"]][1], "utilization": round(float(r["utilization"]), 4),
             **({"peak_utilization": round(float(r["peak_utilization"]), 4)} if "peak_utilization" in r else {}),
             "wait_h": round(float(r["wait_h"]), 3), "closure_wait_h": round(float(r["closure_wait_h"]), 3),
             "person_wait_h": round(float(r["person_wait_h"]), 3), "waits": int(r["waits"]),
             "pieces_held": int(r["pieces_held"]), "mean_wait_h": round(float(r["mean_wait_h"]), 3)}
            for r in top]


# ---- the rest of the summary: what `summary` adds to the figures ------------------------------------------
def _unit_details(world: World, facts: _PlanFacts, units: list[dict[str, Any]]) -> None:
    """Add to each unit (in `_units`' order) what closure.unit_table gives beside its closure: its deployment
    list lines (';'-joined), its last piece (h: None while a piece or a person is not in) and the resource its
    pieces waited for longest, in a planner's words, with those piece-hours (summed as unit_table's bincount,
    rows in the same order)."""
    ps, delivered = world.pieces, world.ledger.delivered
    index = {(u["force"], u["unit"]): i for i, u in enumerate(units)}
    unit_of = np.full(len(ps), -1, dtype=np.int64)  # the index of each force piece's unit
    last: list[float] = [0.0] * len(units)
    missing = [False] * len(units)
    for p in ps:
        if not p.flow:
            i = index[(p.force, p.unit)]
            unit_of[p.pid] = i
            t = delivered[p.pid]
            if math.isnan(t):
                missing[i] = True
            elif t > last[i]:
                last[i] = t
    longest: dict[int, tuple[str, float]] = {}
    blame = _blame_sums(world)[2]
    if len(blame.pid) and len(ps):
        names = sorted(blame.names)  # as pd.factorize(sort=True): resources by name
        rank = np.array([names.index(n) for n in blame.names], dtype=np.int64)
        u = unit_of[blame.pid]
        ok = u >= 0
        pair = u[ok] * len(names) + rank[blame.code[ok]]
        hours = np.bincount(pair, weights=blame.wait_h[ok], minlength=len(units) * len(names)).reshape(len(units), len(names))
        resources = world.resources
        mine = [n for n in names if n in resources]
        said = facts.words(mine, world.plan.network, tuple(o.name for o in world.outages.all))
        for i in range(len(units)):
            if hours[i].max(initial=0.0) > 0:
                j = int(np.argmax(hours[i]))  # the first resource (by name) with the most hours
                name = names[j]
                longest[i] = (said[name][0] if name in said else name, float(hours[i, j]))
    for i, unit in enumerate(units):
        personnel_h = unit["personnel_h"]
        unit["lines"] = ";".join(facts.ulns.get((unit["force"], unit["unit"]), []))
        unit["last_piece_h"] = None if missing[i] or personnel_h is None else max(last[i], personnel_h)
        unit["waited_longest_for"], unit["waited_h"] = longest.get(i, ("", 0.0))


def _unit_row(u: dict[str, Any], cal: Calendar | None) -> dict[str, Any]:
    """A unit's row as the summary gives it (results._unit_row): times rounded (h), None where unknown; with a
    calendar, when it closed, its C+day and the day its RDD falls due."""
    row = {"force": u["force"], "unit": u["unit"], "lines": u["lines"], "closed_h": _num(u["closed_h"]),
           "rdd_h": _num(u["rdd_h"]), "late_h": _num(u["late_h"]), "timing": u["timing"],
           "last_piece_h": _num(u["last_piece_h"]), "waited_longest_for": u["waited_longest_for"],
           "waited_h": round(float(u["waited_h"]), 3)}
    if cal is not None:
        closed, rdd = row["closed_h"], row["rdd_h"]
        row["closed_at"] = cal.iso(closed)
        row["closed_c"] = None if closed is None else cal.c_plus(closed)
        row["rdd"] = None if rdd is None else cal.at(rdd - 1e-6).date().isoformat()
    return row


def _peak_utilization(world: World, names: list[str]) -> dict[str, float]:
    """Per resource named: the most in use at once over its capacity (at most 1), as results._queue_peaks
    finds it: the changes of its uses (requests, grants, releases, in that order) sorted stably by time and
    then by the change of the queue, the amount in use added up (np.cumsum) and read once all changes at a
    time are made."""
    u = world.ledger.usage
    rows: dict[str, list[int]] = {n: [] for n in names}
    for i, use in enumerate(u):
        r = rows.get(use[0])
        if r is not None:
            r.append(i)
    out = {}
    for name in names:
        info = world.resources[name]
        cap = 1.0 if info.kind in SLOT_KINDS else float(info.capacity)
        if cap <= 0:
            cap = 1.0
        idx = rows[name]
        if not idx:
            out[name] = min(0.0 / cap, 1.0)
            continue
        mine = [u[i] for i in idx]
        k = len(mine)
        amount = np.array([m[4] for m in mine], dtype=float)
        t = np.array([m[1] for m in mine] + [m[2] for m in mine] + [m[3] for m in mine], dtype=float)
        dq = np.concatenate([np.ones(k), -np.ones(k), np.zeros(k)])
        du = np.concatenate([np.zeros(k), amount, -amount])
        order = np.lexsort((dq, t))
        t, du = t[order], du[order]
        in_use = np.cumsum(du)
        settled = np.r_[t[1:] != t[:-1], True]
        out[name] = float(np.minimum(in_use[settled].max() / cap, 1.0))
    return out


def _nanmin(values: list[float]) -> float:
    """The least value that is not NaN (as a column's min); NaN when there is none."""
    there = [v for v in values if not math.isnan(v)]
    return min(there) if there else math.nan


def _missing(x: Any) -> bool:
    """A key pandas' groupby leaves out: None or NaN (as tables.missing, which this module does not import: the
    tables module names pandas, which figures does without)."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _waiting(world: World) -> list[dict[str, Any]]:
    """As Results.waiting: undelivered pieces, then persons, by (status, node) in sorted order: how many and
    since when (h, the earliest time one of them took that status there)."""
    led = world.ledger
    pieces: dict[tuple[str, str], list[float]] = {}
    for pid, st in enumerate(led.status):
        if st != DELIVERED and not _missing(st) and not _missing(led.node[pid]):
            pieces.setdefault((st, led.node[pid]), []).append(led.since[pid])
    out: list[dict[str, Any]] = [{"kind": "pieces", "status": st, "node": node, "count": len(since),
                                  "since_h": round(float(_nanmin(since)), 4)}
                                 for (st, node), since in sorted(pieces.items())]
    persons: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for key, n in sorted(led.pax.items()):
        _f, _u, st, node = key
        if n and st != DELIVERED and not _missing(st) and not _missing(node):
            persons.setdefault((st, node), []).append((n, led.pax_since.get(key, 0.0)))
    for (st, node), g in sorted(persons.items()):
        out.append({"kind": "personnel", "status": st, "node": node or "", "count": int(sum(n for n, _ in g)),
                    "since_h": round(float(_nanmin([s for _, s in g])), 4)})
    return out


def _mean(values: list[float]) -> float:
    """A column's mean as pandas takes it: NaN left out, the rest summed as one array (numpy's pairwise sum)
    over how many there are; NaN when none is there."""
    a = np.array(values, dtype=float)
    gone = np.isnan(a)
    a[gone] = 0.0
    n = len(a) - int(gone.sum())
    return float(a.sum() / n) if n else math.nan


def _rail(world: World) -> dict[str, Any]:
    """As Results.rail_summary: per force, trains run, pieces and tracked vehicles per train, the first departure
    after the force's first discharge (h), the mean wagon cycle (stock granted to stock back, h); per railhead,
    trains per day over the days it dispatched trains."""
    trains = world.trains
    if not trains:
        return {}

    def col(rows: list[dict[str, Any]], c: str) -> list[float]:
        return [float(r.get(c, math.nan)) for r in rows]

    first_in: dict[str, float] = {}
    for p in world.pieces:
        first_in.setdefault(p.force, math.nan)
        t = world.ledger.entered[p.pid]
        if not math.isnan(t) and not t >= first_in[p.force]:  # NaN so far, or later
            first_in[p.force] = t
    by_force: dict[str, list[dict[str, Any]]] = {}
    by_head: dict[str, list[dict[str, Any]]] = {}
    for r in trains:
        if not _missing(r.get("force", math.nan)):
            by_force.setdefault(r["force"], []).append(r)
        if not _missing(r.get("railhead", math.nan)):
            by_head.setdefault(r["railhead"], []).append(r)
    forces = {}
    for force, g in sorted(by_force.items()):
        dep = [t for t in col(g, "t_depart") if not math.isnan(t)]
        cycle = [b - s for b, s in zip(col(g, "t_back"), col(g, "t_stock"), strict=True)]
        cycle = [c for c in cycle if not math.isnan(c)]
        first = first_in.get(force, 0.0)
        forces[str(force)] = {
            "trains": len(g),
            "pieces_per_train": round(_mean(col(g, "pieces")), 3),
            "tracked_per_train": round(_mean(col(g, "tracked")), 3),
            "first_train_after_first_discharge_h": _num(round(float(min(dep) - first), 4) if dep else None),
            "wagon_cycle_h": _num(round(_mean(cycle), 4) if cycle else None),
        }
    heads = {}
    for head, g in sorted(by_head.items()):
        dep = [t for t in col(g, "t_depart") if not math.isnan(t)]
        days = max((max(dep) - min(dep)) / 24.0, 1.0) if dep else 1.0
        heads[str(head)] = round(len(dep) / days, 3)
    return {"forces": forces, "trains_per_day": heads}


def _disruptions(world: World) -> list[dict[str, Any]]:
    """As Results.disruption_costs in the summary: each disruption, what it hit and when (h), and what it cost:
    piece-hours of waiting (all pieces, and those that set closure), pieces diverted, movements re-routed."""
    wait, tail, _ = _blame_sums(world)
    diverted = Counter(d[5] for d in world.diversions)
    rerouted = Counter(r[6] for r in world.reroutes)
    return [{"name": o.name, "kind": o.kind, "target": o.target, "start_h": round(float(o.start), 3),
             "end_h": round(float(o.end), 3), "capacity_factor": float(o.factor),
             "delay_piece_h": round(float(wait.get(f"disruption:{o.name}", 0.0)), 3),
             "closure_delay_piece_h": round(float(tail.get(f"disruption:{o.name}", 0.0)), 3),
             "diverted": int(diverted.get(o.name, 0)), "rerouted": int(rerouted.get(o.name, 0))}
            for o in world.outages.all]


def _kahan_cumsum(values: np.ndarray) -> list[float]:
    """The running sum of `values` as pandas' grouped cumsum adds one group (Kahan's compensation; a NaN
    stays NaN and is skipped)."""
    s = c = 0.0
    out = []
    for x in values.tolist():
        if math.isnan(x):
            out.append(math.nan)
            continue
        y = x - c
        t = s + y
        c = t - s - y
        s = t
        out.append(t)
    return out


def _berth_hours_over(uses: list[tuple[Any, ...]], free: float, end_h: float) -> float:
    """Berth-hours the military held beyond what commercial ships leave (`free` berths), as
    Results.civil_displaced reads Results.queue_series of one berth resource: the berths in use after all
    changes at each time, times the hours to the next change (the last to the end of the run)."""
    if not uses:
        return 0.0
    k = len(uses)
    amount = np.array([m[4] for m in uses], dtype=float)
    t = np.array([m[1] for m in uses] + [m[2] for m in uses] + [m[3] for m in uses], dtype=float)
    dq = np.concatenate([np.ones(k), -np.ones(k), np.zeros(k)])
    du = np.concatenate([np.zeros(k), amount, -amount])
    order = np.lexsort((dq, t))  # stable, NaN last: as sort_values(["resource", "t", "dq"], kind="stable")
    t, in_use = t[order], np.array(_kahan_cumsum(du[order]))
    keep = ~np.isnan(t)  # a time that is NaN is no group
    t, in_use = t[keep], in_use[keep]
    last: dict[float, float] = {}
    for ti, v in zip(t.tolist(), in_use.tolist(), strict=True):  # the last value not NaN at each time (.last())
        if ti not in last or not math.isnan(v):
            last[ti] = v
    times = sorted(last)
    if not times:
        return 0.0
    tt = np.append(np.array(times, dtype=float), max(end_h, float(times[-1])))
    over = (np.array([last[x] for x in times], dtype=float) - free).clip(min=0)
    return float((over * np.diff(tt)).sum())


def _civil_displaced(world: World, facts: _PlanFacts, end_h: float) -> dict[str, float]:
    """As Results.civil_displaced summed per unit in the summary: where the military went first, civil train
    paths taken beyond what civil trains leave (day by day), berth-hours beyond what commercial ships leave,
    and serials entering road links in peak hours."""
    from .dates import week_hour_of
    from .ids import paths_of
    from .windows import anchor, parse_window

    usage = world.ledger.usage
    rows: list[tuple[str, float]] = []
    for c in world.plan.civil:
        if not c.get("military_first"):
            continue
        kind, key, free = c.get("kind"), c.get("key"), c["free"]
        if kind == "rail":
            names = [paths_of(f"{key}{d}").name for d in "><"]
            per_day = Counter((m[0], int(m[2] // 24)) for m in usage if m[0] in names)
            short = np.array([per_day[k] - free for k in sorted(per_day)])
            rows.append(("civil train paths", float(short.clip(min=0).sum()) if len(short) else 0.0))
        elif kind == "berth":
            name = f"berths@{key}"
            rows.append(("berth-hours", _berth_hours_over([m for m in usage if m[0] == name], free, end_h)))
        elif kind == "road":
            names = [f"entry@{key}>", f"entry@{key}<"]
            clock = float(facts.data.get("start_clock_h", 0.0))
            cal = facts.cal
            peaks = anchor(parse_window(c.get("unit")), clock, None if cal is None else week_hour_of(cal.start))
            inside = [peaks.next_open(float(m[2])) == float(m[2]) for m in usage if m[0] in names]
            rows.append(("serials in peak hours", float(sum(inside))))
    by_unit: dict[str, list[float]] = {}
    for unit, displaced in rows:
        by_unit.setdefault(unit, []).append(displaced)
    return {unit: round(float(np.array(v, dtype=float).sum()), 3) for unit, v in sorted(by_unit.items())}


def _sustainment(world: World, end_h: float) -> dict[str, dict[str, Any]]:
    """As Results.flow_throughput summed per direction in the summary: the sustainment flows' pieces and
    persons, delivered, and delivered per day over each flow's window."""
    led = world.ledger
    pieces: dict[str, list[int]] = {}
    for p in world.pieces:
        pieces.setdefault(p.force, []).append(p.pid)
    pax_in: Counter[str] = Counter()
    for force, _u, n, _t in led.pax_delivered:
        pax_in[force] += n
    rows: dict[str, list[tuple[int, int, float, int, float]]] = {}
    for f in world.plan.flows:
        mine = pieces.get(f.name, [])
        done = sum(1 for i in mine if led.status[i] == DELIVERED)
        days = np.float64(f.end_h - f.start_h) / 24.0  # a float64, as the flows' table's column divides
        rows.setdefault(f.direction, []).append((len(mine), done, float(done / days), pax_in[f.name],
                                                 float(np.float64(pax_in[f.name]) / days)))
    return {d: {"pieces": int(sum(r[0] for r in g)), "delivered": int(sum(r[1] for r in g)),
                "pieces_per_day": round(float(np.array([r[2] for r in g]).sum()), 3),
                "persons_delivered": int(sum(r[3] for r in g)),
                "persons_per_day": round(float(np.array([r[4] for r in g]).sum()), 3)}
            for d, g in sorted(rows.items())}


def _accommodation(world: World) -> dict[str, dict[str, int]]:
    """As Results.housing_shortfall in the summary: per hosting site, the most persons to house on a day, the
    most short of a bed on a day, and the days some were short."""
    need: dict[tuple[str, int], list[int]] = {}
    for site, day, required, housed in world.housing:
        s = need.setdefault((site, day), [0, 0])
        s[0] += required
        s[1] += housed
    sites: dict[str, list[tuple[int, int]]] = {}
    for (site, _day), (required, housed) in sorted(need.items()):
        sites.setdefault(site, []).append((required, required - housed))
    return {site: {"required": int(max(r for r, _ in g)), "max_short": int(max(s for _, s in g)),
                   "days_short": sum(1 for _, s in g if s > 0)}
            for site, g in sorted(sites.items())}
