"""The summary figures of one replication straight from the run's flat records, without the results tables.

A comparison or a sweep needs of each replication only the figures of its row (sweep.tasks.summary_row):
closure and end (h), the forces' and their units' closures, the accounting of pieces and persons, throughput
per mode, the top bottlenecks, the metrics beside closure. Building every results table (Results.from_model)
and the whole summary from them costs about as much CPU as the simulation itself; `figures` computes those
entries of `Results.summary()` from the World's records alone, with the same arithmetic in the same order, so
each figure equals the summary's to the last digit (tests/test_figures.py holds the two side by side; the
tables stay the reference).

Left out: the units' rows beyond their closure and lateness, the bottlenecks' peak use, the waiting pieces,
the rail summary, and friction beyond the disruptions' delay; a replication whose tables are wanted runs
through Results as before."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import lazy_loader
import numpy as np

from .airfield_wait import airfield_cargo_from_records, airfield_wait_from_records
from .closure import line_rdds, timing
from .dates import Calendar
from .ledger import DELIVERED, NOT_ARRIVED
from .naming import catalogue, phrase
from .scenario import UnitClosure
from .statistics import TOP_BOTTLENECKS

if TYPE_CHECKING:
    import pandas as pd

    from .network import Network
    from .plan import Plan
    from .world import World
else:
    pd = lazy_loader.load("pandas")

SLOT_KINDS = ("paths", "headway")  # as results.SLOT_KINDS: capacity counted per slot, not at once
TAIL_SHARE = 0.10  # as results.TAIL_SHARE: the last 10 % of each force's pieces set its closure
FIGURE_KEYS = ("scenario", "seed", "replication", "version", "closure_h", "brigades", "start_date", "c_day",
               "late_units", "person_nights_without_bed", "airfield_wait_person_h", "airfield_cargo_piece_h", "pieces",
               "personnel",
               "throughput_per_day", "bottlenecks",
               "end_h", "events", "disruptions")
"""The entries of Results.summary() that `figures` gives (`disruptions` only when the scenario has some, as there);
`units` holds each unit's force, unit, closed_h, rdd_h, late_h and timing."""


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
                      "timing": timing(closed, r, rule.on_time_h)})
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


def _accounting(world: World, facts: _PlanFacts, pax_rows: list[tuple[str, str, str, int]]) -> dict[str, dict[str, int]]:
    """The forces' pieces and persons planned, entered, delivered, in the system, not arrived (Results.accounting)."""
    status = world.ledger.status
    force_pids = [p.pid for p in world.pieces if not p.flow]
    not_arrived = sum(1 for i in force_pids if status[i] == NOT_ARRIVED)
    done_n = sum(1 for i in force_pids if status[i] == DELIVERED)
    planned = len(force_pids)
    pers = [(st, n) for f, _u, st, n in pax_rows if f not in facts.flows]
    pax_planned = sum(n for _, n in pers)
    pax_not = sum(n for st, n in pers if st == NOT_ARRIVED)
    pax_del = sum(n for st, n in pers if st == DELIVERED)
    return {"pieces": {"planned": planned, "entered": planned - not_arrived, "delivered": done_n,
                       "in_system": planned - not_arrived - done_n, "not_arrived": not_arrived},
            "personnel": {"planned": pax_planned, "entered": pax_planned - pax_not, "delivered": pax_del,
                          "in_system": pax_planned - pax_not - pax_del, "not_arrived": pax_not}}


def figures(world: World, end_h: float) -> dict[str, Any]:
    """The summary figures of a finished replication (FIGURE_KEYS), each equal to Results.summary()'s."""
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
    out: dict[str, Any] = {
        "scenario": plan.scenario.name,
        "seed": world.seed,
        "replication": world.replication,
        "version": __version__,
        "closure_h": _num(max(float(b["closure_h"] or 0.0) for b in brigades.values())) if complete and brigades else None,
        "brigades": brigades,
        "start_date": None if cal is None else cal.start.isoformat(timespec="minutes"),
        "c_day": None if cal is None else cal.c_day.isoformat(),
        "units": [{"force": u["force"], "unit": u["unit"], "closed_h": _num(u["closed_h"]), "rdd_h": _num(u["rdd_h"]),
                   "late_h": _num(u["late_h"]), "timing": u["timing"]} for u in unit_order],
        "late_units": sum(1 for u in units if u["timing"] == "late"),
        "person_nights_without_bed": round(housing_short + beds_h / 24.0, 3),
        "airfield_wait_person_h": airfield_wait_from_records(world.ledger.moves, {f.name for f in plan.flows}),
        "airfield_cargo_piece_h": airfield_cargo_from_records(world.ledger.moves),
        "pieces": acc["pieces"],
        "personnel": acc["personnel"],
        "throughput_per_day": {mode: round(float(n) / days, 3) for mode, n in sorted(by_mode.items())},
        "bottlenecks": _bottlenecks(stats[:TOP_BOTTLENECKS], world, facts),
        "end_h": round(float(end_h), 4),
        "events": world.env.events_processed,
    }
    if world.outages.all:
        wait = _blame_sums(world)[0]
        out["disruptions"] = [{"name": o.name, "delay_piece_h": round(float(wait.get(f"disruption:{o.name}", 0.0)), 3)}
                              for o in world.outages.all]
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
        s = pd.Series(wait).groupby(code).sum()
        return {self.names[int(k)]: float(v) for k, v in s.items()}

    def pieces_held(self) -> dict[str, int]:
        """Pieces that waited for each resource at least once."""
        keep = self.wait_h > 0
        s = pd.Series(self.pid[keep]).groupby(self.code[keep]).nunique()
        return {self.names[int(k)]: int(v) for k, v in s.items()}


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
    rel, grant = pd.Series(t_rel), pd.Series(t_grant)
    sums = pd.DataFrame({"held": (rel.clip(upper=end) - grant.clip(upper=end)).clip(lower=0) * amount,
                         "wait": (grant - pd.Series(t_req)) * weight}).groupby(res).sum()
    held_by = {names[int(k)]: float(v) for k, v in sums["held"].items()}
    wait_by = {names[int(k)]: float(v) for k, v in sums["wait"].items()}
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
    """The top bottlenecks as the summary lists them (its figures rounded alike; the peak use left out)."""
    said = facts.words([r["resource"] for r in top], world.plan.network, tuple(o.name for o in world.outages.all))
    return [{"resource": r["resource"], "kind": r["kind"], "node": r["node"], "words": said[r["resource"]][0],
             "waiters": said[r["resource"]][1], "utilization": round(float(r["utilization"]), 4),
             "wait_h": round(float(r["wait_h"]), 3), "closure_wait_h": round(float(r["closure_wait_h"]), 3),
             "person_wait_h": round(float(r["person_wait_h"]), 3), "waits": int(r["waits"]),
             "pieces_held": int(r["pieces_held"]), "mean_wait_h": round(float(r["mean_wait_h"]), 3)}
            for r in top]
