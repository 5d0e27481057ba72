"""The state of the deployment at a time: where every piece and person is and why it waits, the queues, the
trains under way or waiting for a path, and each unit's forecast against its RDD, as tables and in words.

The run is stopped at the time (every event before it processed, none at or after it), read, and then
continued to its end for the forecast: the continuation is the run an uninterrupted replication makes, so
the forecast is that run's closure (one replication; the seed decides the random events after the time)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import lazy_loader

from .dates import Calendar
from .ledger import DELIVERED, NOT_ARRIVED
from .model import Model

if TYPE_CHECKING:
    import pandas as pd

    from .plan import Plan
    from .results import Results
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

WORDS_SHOWN = 8  # queues told in words, longest first: a briefing names the few that matter


@dataclass
class Situation:
    """The state at `t_h` (h after the start) of one replication, and that replication's outcome."""

    t_h: float
    when: str  # the time in words (C+day and date) or in hours
    pieces: pd.DataFrame  # one row per piece: force, unit, cls, status, node, since_h, for_h
    persons: pd.DataFrame  # one row per (force, unit, status, node) held: persons, since_h
    queues: pd.DataFrame  # pieces and persons waiting, by why and where: count, longest_h
    trains: pd.DataFrame  # trains made up and not back: train, force, unit, railhead, state, since_h, depart_h
    units: pd.DataFrame  # per unit: pieces and persons delivered by t, the forecast closure against the RDD
    words: list[str] = field(default_factory=list)
    outcome: Results | None = None  # the replication run on to its end (the forecast)
    disrupted: list[dict[str, Any]] = field(default_factory=list)  # disruptions in force at t: name, kind, target, ...

    def accounting(self) -> dict[str, int]:
        """Pieces and persons by where they are at t: every one is counted exactly once."""
        p = self.pieces["status"]
        return {"pieces": len(self.pieces), "pieces_not_arrived": int((p == NOT_ARRIVED).sum()),
                "pieces_delivered": int((p == DELIVERED).sum()),
                "pieces_in_country": int(((p != NOT_ARRIVED) & (p != DELIVERED)).sum()),
                "persons": int(self.persons["persons"].sum()),
                "persons_delivered": int(self.persons.loc[self.persons["status"] == DELIVERED, "persons"].sum())}

    def as_dict(self) -> dict[str, Any]:
        """The state as plain data (JSON): time, words, accounting, queues, trains and units."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                    for r in df.to_dict("records")]
        return {"t_h": self.t_h, "when": self.when, "words": self.words, "accounting": self.accounting(),
                "disrupted": self.disrupted,
                "queues": records(self.queues), "trains": records(self.trains), "units": records(self.units)}


def situation(plan: Plan, t_h: float, seed: int | None = None, replication: int = 0, forecast: bool = True) -> Situation:
    """The state at `t_h` (h) of replication `replication` of the plan; with `forecast`, the run is continued
    to its end and each unit's closure is forecast against its RDD."""
    m = Model(plan, seed=seed, replication=replication)
    m.start()
    w = m.world
    w.advance(t_h)
    led = w.ledger
    names = plan.network.nodes["name"].to_dict() if "name" in plan.network.nodes else {}
    pieces = pd.DataFrame({
        "pid": range(len(w.pieces)), "force": [p.force for p in w.pieces], "unit": [p.unit for p in w.pieces],
        "cls": [p.cls for p in w.pieces], "status": list(led.status), "node": list(led.node),
        "since_h": list(led.since)})
    pieces["for_h"] = (t_h - pieces["since_h"]).where(pieces["status"] != NOT_ARRIVED, 0.0)
    persons = pd.DataFrame([{"force": f, "unit": u, "status": st, "node": node, "persons": n,
                             "since_h": led.pax_since.get((f, u, st, node), 0.0)}
                            for (f, u, st, node), n in sorted(led.pax.items()) if n > 0],
                           columns=["force", "unit", "status", "node", "persons", "since_h"])
    queues = _queues(pieces, persons, t_h, names)
    trains = _trains(w.trains, t_h)
    delivered = pieces[pieces["status"] == DELIVERED].groupby(["force", "unit"]).size()
    total = pieces.groupby(["force", "unit"]).size()
    pax_in = persons[persons["status"] == DELIVERED].groupby(["force", "unit"])["persons"].sum()
    disrupted = [{"name": o.name, "kind": o.kind, "target": o.target, "start_h": o.start, "end_h": o.end,
                  "capacity_factor": o.factor} for o in w.outages.all if o.start <= t_h < o.end]
    outcome = None
    if forecast:
        from .results import Results

        outcome = Results.from_model(w, w.simulate())
    units = _units(plan, total, delivered, pax_in, outcome)
    cal = Calendar.of(plan.scenario.model_dump(mode="json"))
    when = cal.words(t_h) if cal else f"t = {t_h:,.1f} h"
    s = Situation(t_h, when, pieces, persons, queues, trains, units, outcome=outcome, disrupted=disrupted)
    s.words = _words(s, names, cal)
    return s


def _queues(pieces: pd.DataFrame, persons: pd.DataFrame, t_h: float, names: dict[str, str]) -> pd.DataFrame:
    """Pieces and persons waiting (a status that says what for), by why and where, longest wait first."""
    cols = ["kind", "status", "node", "place", "count", "longest_h"]
    out = []
    waiting = pieces[pieces["status"].str.contains("waiting", regex=False)]
    for (status, node), g in waiting.groupby(["status", "node"], sort=True):
        out.append({"kind": "pieces", "status": status, "node": node, "place": names.get(node, node),
                    "count": len(g), "longest_h": round(t_h - float(g["since_h"].min()), 4)})
    waiting_p = persons[persons["status"].str.contains("waiting", regex=False)]
    for (status, node), g in waiting_p.groupby(["status", "node"], sort=True):
        out.append({"kind": "persons", "status": status, "node": node, "place": names.get(node, node),
                    "count": int(g["persons"].sum()), "longest_h": round(t_h - float(g["since_h"].min()), 4)})
    df = pd.DataFrame(out, columns=cols)
    return df.sort_values(["count", "longest_h", "status", "node"], ascending=[False, False, True, True],
                          ignore_index=True)


def _trains(records: list[dict[str, Any]], t_h: float) -> pd.DataFrame:
    """Trains made up and not yet back at t: waiting for wagons or a ramp, loading, waiting for a path,
    running, or at the far end and returning."""
    out = []
    for r in records:
        if r.get("t_back", math.inf) <= t_h:
            continue
        depart = r.get("t_depart", math.nan)
        if "t_exit" in r:
            state, since = "beyond the border or returning", r["t_exit"]
        elif depart <= t_h:
            state, since = "running", depart
        elif "t_loaded" in r:
            state, since = "loaded, waiting for its path", r["t_loaded"]
        elif "t_positioned" in r:
            state, since = "at the ramps", r["t_positioned"]
        else:
            state, since = "waiting for its wagons", r["t_stock"]
        out.append({"train": r["train"], "force": r["force"], "unit": r["unit"], "railhead": r["railhead"],
                    "pieces": r["pieces"], "state": state, "since_h": since, "depart_h": depart})
    return pd.DataFrame(out, columns=["train", "force", "unit", "railhead", "pieces", "state", "since_h", "depart_h"])


def _units(plan: Plan, total: pd.Series, delivered: pd.Series, pax_in: pd.Series, outcome: Results | None) -> pd.DataFrame:
    """Per unit of the forces: what has arrived by t, and the forecast closure, its RDD and the margin (h;
    negative: late)."""
    fc = outcome.units().set_index(["force", "unit"]) if outcome is not None else None
    forces = {f.id for f in plan.scenario.forces}
    out = []
    for (force, unit), u in sorted(plan.units.items()):
        if force not in forces:
            continue
        row: dict[str, Any] = {"force": force, "unit": unit, "pieces": int(total.get((force, unit), 0)),
                               "pieces_delivered": int(delivered.get((force, unit), 0)),
                               "personnel": u.personnel, "personnel_delivered": int(pax_in.get((force, unit), 0)),
                               "rdd_h": math.nan if u.rdd_h is None else u.rdd_h}
        if fc is not None and (force, unit) in fc.index:
            f = fc.loc[(force, unit)]
            closed = float(f["closed_h"]) if pd.notna(f["closed_h"]) else math.nan
            row["forecast_h"] = closed
            row["margin_h"] = row["rdd_h"] - closed if pd.notna(row["rdd_h"]) and pd.notna(closed) else math.nan
            row["waited_longest_for"] = f["waited_longest_for"]
        out.append(row)
    return pd.DataFrame(out)


def _words(s: Situation, names: dict[str, str], cal: Calendar | None) -> list[str]:
    """The state in a few sentences: what has arrived, the longest queues, the trains, the units forecast late."""
    a = s.accounting()
    out = [f"{s.when}: {a['pieces_delivered']:,} of {a['pieces']:,} pieces delivered, {a['pieces_in_country']:,} "
           f"in the country, {a['pieces_not_arrived']:,} not yet arrived; {a['persons_delivered']:,} of "
           f"{a['persons']:,} persons delivered."]
    for d in s.disrupted:
        until = cal.words(d["end_h"]) if cal else f"{d['end_h']:,.1f} h"
        state = "closed" if d["capacity_factor"] == 0 else f"at {d['capacity_factor']:.0%} of capacity"
        out.append(f"{names.get(d['target'], d['target'])} is {state} until {until} ({d['name']}).")
    st = s.pieces["status"]
    moving = {"on trains": int((st == "on train").sum()), "marching by road": int((st == "road march").sum()),
              "on HETs": int(st.str.startswith("on HET").sum() - st.str.startswith("on HET, waiting").sum()),
              "on barges": int((st == "on barge").sum()), "in flight": int((st == "in flight").sum())}
    if any(moving.values()):
        out.append("Under way: " + ", ".join(f"{n:,} pieces {what}" for what, n in moving.items() if n) + ".")
    tr = s.trains
    if len(tr):
        waiting = tr[tr["state"] == "loaded, waiting for its path"]
        for rh, g in waiting.groupby("railhead", sort=True):
            out.append(f"{len(g)} train{'s' * (len(g) != 1)} wait{'s' * (len(g) == 1)} for a path at "
                       f"{names.get(rh, rh)}.")
        running = int((tr["state"] == "running").sum())
        if running:
            out.append(f"{running} train{'s' * (running != 1)} running.")
    for _, q in s.queues.head(WORDS_SHOWN).iterrows():
        out.append(f"{q['count']:,} {q['kind']} {q['status']} at {q['place']} (the first for {q['longest_h']:,.0f} h).")
    if "margin_h" in s.units:
        late = s.units[s.units["margin_h"] < 0].sort_values("margin_h")
        for _, u in late.iterrows():
            at = cal.words(u["forecast_h"]) if cal else f"{u['forecast_h']:,.0f} h"
            out.append(f"{u['force']}/{u['unit']} is forecast to close {at}, {-u['margin_h']:,.0f} h after its RDD"
                       + (f" (waiting longest for {u['waited_longest_for']})." if u.get("waited_longest_for") else "."))
        if not len(late) and s.outcome is not None:
            out.append("Every unit is forecast to close by its RDD.")
    return out
