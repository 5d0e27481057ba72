"""Around the table: an exercise file started from a scenario, its clock advanced, incidents injected and
decisions taken (each written into the file, so the file is the exercise's record and `rsom run` replays
it), the branches compared on common random numbers, and the exercise log with what each inject cost and
each decision saved against the same exercise without it."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader
import yaml

from .compare import compare_plans
from .dates import Calendar
from .defaults import resolve_run
from .errors import InputError, Problem
from .exercise import at_h, decision_field, decision_name, inject_name, played
from .plan import Plan, compile_plan, resolve_network
from .scenario import Decision, Exercise, Inject, Scenario, read_scenario

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

WITHOUT = "as planned"  # the scenario without the exercise's injects and decisions
PLAYED = "as played"  # the injects and the decisions taken on every branch


def start(scenario: Path, out: Path, name: str | None = None) -> Path:
    """Write a new exercise file at `out` that extends `scenario` (by a relative path), with its clock at
    the start and no inject or decision yet; the scenario is checked first."""
    s = read_scenario(scenario)
    rel = os.path.relpath(Path(scenario).resolve(), Path(out).resolve().parent)
    data = {"name": name or f"{s.name}: exercise", "base": rel.replace(os.sep, "/"),
            "exercise": {"now": "C+0", "injects": [], "decisions": [], "branches": {}}}
    _write(out, data)
    return out


def _read(path: Path) -> dict[str, Any]:
    """The exercise file's own YAML (its base not merged in), with its exercise section."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(top)", type(data).__name__, "an exercise file is a mapping")])
    data.setdefault("exercise", {})
    if not isinstance(data["exercise"], dict):
        raise InputError([Problem(str(path), "exercise", data["exercise"], "must be a mapping")])
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _edit(path: Path, change: Any) -> Scenario:
    """Apply `change` to the file's data and keep it only if the exercise still reads and compiles; the
    scenario as changed. A refused change leaves the file as it was and raises InputError."""
    before = Path(path).read_text(encoding="utf-8")
    data = _read(path)
    change(data["exercise"])
    _write(path, data)
    try:
        load_exercise(path)
    except InputError:
        Path(path).write_text(before, encoding="utf-8")
        raise
    return read_scenario(path)


def advance(path: Path, to: str) -> float:
    """Move the exercise clock to `to` (hours, C+day or date); returns it in hours. The clock only moves
    forward: the past of an exercise is what was played."""
    s = read_scenario(path)
    now = at_h(s.exercise.now, s) if s.exercise else 0.0
    try:
        t = at_h(to, s)
    except ValueError as exc:
        raise InputError([Problem("(command line)", "TO", to, str(exc))]) from None
    if t < now - 1e-9:
        raise InputError([Problem("(command line)", "TO", to, f"before the exercise clock ({s.exercise.now if s.exercise else 0}); "
                                  "the clock only moves forward (take a branch to play another course)")])
    _edit(path, lambda x: x.__setitem__("now", to))
    return t


def inject(path: Path, item: dict[str, Any]) -> Inject:
    """Add an inject (its `at` defaults to the exercise clock); returns it as checked."""
    def change(x: dict[str, Any]) -> None:
        x.setdefault("injects", []).append({"at": x.get("now", 0.0), **{k: v for k, v in item.items() if v is not None}})
    s = _edit(path, change)
    assert s.exercise is not None
    return s.exercise.injects[-1]


def decide(path: Path, item: dict[str, Any], branch: str | None = None) -> Decision:
    """Add a decision on every branch, or on `branch` (made when new); its `at` defaults to the clock."""
    def change(x: dict[str, Any]) -> None:
        entry = {"at": x.get("now", 0.0), **{k: v for k, v in item.items() if v is not None}}
        if branch is None:
            x.setdefault("decisions", []).append(entry)
        else:
            x.setdefault("branches", {}).setdefault(branch, []).append(entry)
    s = _edit(path, change)
    assert s.exercise is not None
    return (s.exercise.decisions if branch is None else s.exercise.branches[branch])[-1]


def load_exercise(path: Path) -> Plan:
    """The exercise file compiled as it is played (its `branch`, if it names one)."""
    from .plan import load_plan

    plan = load_plan(path)
    if plan.scenario.exercise is None:
        raise InputError([Problem(str(path), "exercise", None, "not an exercise: the file has no exercise section "
                                  "(start one with `rsom exercise start SCENARIO -o FILE`)")])
    return plan


def _variant(path: Path, s: Scenario, exercise: Exercise | None) -> Plan:
    """The exercise's scenario with another exercise section, compiled."""
    return compile_plan(s.model_copy(update={"exercise": exercise}), str(path), resolve_network(s, path))


def branch_plans(path: Path) -> dict[str, Plan]:
    """The courses of the exercise, compiled: as planned (no inject, no decision), as played (the injects and
    the decisions on every branch), and each branch on top of that."""
    s = read_scenario(path)
    x = s.exercise
    if x is None:
        raise InputError([Problem(str(path), "exercise", None, "not an exercise: the file has no exercise section")])
    plans = {WITHOUT: _variant(path, s, None), PLAYED: _variant(path, s, x.model_copy(update={"branch": None}))}
    for b in sorted(x.branches):
        plans[b] = _variant(path, s, x.model_copy(update={"branch": b}))
    return plans


def compare_branches(path: Path, replications: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """The courses of the exercise side by side (compare.compare_plans, as planned first): closure, hours
    saved against the plan with 95 % intervals over replications on common random numbers, and the other
    metrics (units late, hours late, piece-hours waiting for disruptions)."""
    return compare_plans(branch_plans(path), replications, seed)


@dataclass(frozen=True)
class Item:
    """An inject or decision of the course played: itself, where it stands in the file (an inject, a decision
    on every branch, or one of `branch`; its place `index` in that list), and when."""

    spec: Inject | Decision
    branch: str | None  # the branch a decision belongs to; None for injects and decisions on every branch
    index: int
    at_h: float

    @property
    def kind(self) -> str:
        return "inject" if isinstance(self.spec, Inject) else "decision"

    @property
    def name(self) -> str:
        return inject_name(self.spec) if isinstance(self.spec, Inject) else decision_name(self.spec)

    @property
    def field(self) -> str:
        """Where it stands in the file: exercise.injects[0], exercise.branches.B[1]."""
        return f"exercise.injects[{self.index}]" if self.kind == "inject" else decision_field(self.branch, self.index)


def items(s: Scenario) -> list[Item]:
    """The injects and the decisions a run of the scenario plays, in time order."""
    x = s.exercise
    if x is None:
        return []
    out = [Item(i, None, j, at_h(i.at, s)) for j, i in enumerate(x.injects)]
    out += [Item(d, branch, j, at_h(d.at, s)) for branch, j, d in played(x)]
    return sorted(out, key=lambda i: (i.at_h, i.kind != "inject", i.name))


def _without(x: Exercise, item: Item) -> Exercise:
    """The exercise without one of its injects or decisions."""
    def drop(seq: list[Any]) -> list[Any]:
        return [e for k, e in enumerate(seq) if k != item.index]
    if item.kind == "inject":
        return x.model_copy(update={"injects": drop(x.injects)})
    if item.branch is None:
        return x.model_copy(update={"decisions": drop(x.decisions)})
    return x.model_copy(update={"branches": {**x.branches, item.branch: drop(x.branches[item.branch])}})


def effects(path: Path, replications: int | None = None, seed: int | None = None,
            scenario: Scenario | None = None, course: Plan | None = None) -> list[dict[str, Any]]:
    """Each inject and decision of the course the file plays (or `scenario`, the file's scenario with another
    branch), with its time and what it did: closure, units late and hours late of the course against the same
    course without it (positive `closure_h_added`: it cost time; negative: it saved time), as means over
    replications on common random numbers. `course`: the course's plan when the caller has compiled it."""
    s = scenario or (course.scenario_as_written if course is not None else None) or read_scenario(path)
    x = s.exercise
    if x is None:
        return []
    cal = Calendar.of(s.model_dump(mode="json"))
    net = resolve_network(s, path)
    course = course or compile_plan(s, str(path), net)
    seed_, n = resolve_run(course.scenario, seed, replications)
    out = []
    for it in items(s):
        frame = compare_plans({"with": course, "without": compile_plan(s.model_copy(update={"exercise": _without(x, it)}),
                                                                         str(path), net)}, n, seed_)
        without = frame.iloc[1]  # its saving against the course with the item is what the item added
        out.append({"kind": it.kind, "name": it.name, "type": it.spec.kind, "at": it.spec.at, "at_h": round(it.at_h, 4),
                    "when": cal.words(it.at_h) if cal else None, "field": it.field,
                    "closure_h_added": _num(without["saved_h_mean"]),
                    "closure_h_added_ci95": [_num(without["saved_h_ci95_lo"]), _num(without["saved_h_ci95_hi"])],
                    "units_late_added": _num(without.get("late_units_saved_mean", math.nan)),
                    "hours_late_added": _num(without.get("late_h_total_saved_mean", math.nan)),
                    "replications": n, "seed": seed_})
    return out


def _num(x: Any) -> float | None:
    return None if x is None or math.isnan(float(x)) else round(float(x), 4)


def exercise_log(path: Path, replications: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """The exercise log for the control staff: every inject and decision of the file (each branch's too), in
    time order, with its time, what it hit or decided, the note given, and its effect on its course."""
    s = read_scenario(path)
    x = s.exercise
    if x is None:
        raise InputError([Problem(str(path), "exercise", None, "not an exercise: the file has no exercise section")])
    cal = Calendar.of(s.model_dump(mode="json"))
    rows: list[dict[str, Any]] = []
    courses: list[str | None] = [None, *sorted(x.branches)]
    for course in courses:
        sc = s.model_copy(update={"exercise": x.model_copy(update={"branch": course})})
        effect = {e["field"]: e for e in effects(path, replications, seed, sc)}
        for it in items(sc):
            if it.branch != course:  # a branch's log holds its own decisions; the common course, the rest
                continue
            e = effect[it.field]
            rows.append({"branch": course or "(every branch)", "kind": it.kind, "name": it.name, "type": it.spec.kind,
                         "at": it.spec.at, "at_h": round(it.at_h, 4), "date": cal.iso(it.at_h) if cal else None,
                         "c_day": f"C{cal.c_plus(it.at_h):+d}" if cal else None, "what": _what(it.spec),
                         "note": it.spec.note, "closure_h_added": e["closure_h_added"],
                         "units_late_added": e["units_late_added"], "hours_late_added": e["hours_late_added"],
                         "replications": e["replications"], "seed": e["seed"]})
    return pd.DataFrame(rows)


def _what(spec: Inject | Decision) -> str:
    """The inject or decision in words."""
    if isinstance(spec, Inject):
        cap = "closed" if spec.capacity_factor == 0 else f"at {spec.capacity_factor:.0%} of capacity"
        return f"{spec.target} {cap} for {spec.duration_h:g} h"
    if spec.kind == "priority":
        return f"{spec.unit} to priority {spec.priority}"
    if spec.kind == "mode":
        return f"{spec.unit}'s {spec.piece_class} pieces off the railway (next mode) from then"
    if spec.kind == "discharge":
        return f"discharge at {spec.target} x{spec.factor:g}" + (f" after {spec.lead_h:g} h" if spec.lead_h else "")
    if spec.kind == "paths":
        return f"{spec.count} more military train paths a day on {spec.target}"
    if spec.kind == "close":
        return f"{spec.target} closed" + (f" for {spec.duration_h:g} h" if spec.duration_h else " to the end")
    return f"{spec.count} more {spec.pool}" + (f" after {spec.lead_h:g} h" if spec.lead_h else "")


def write_log(frame: pd.DataFrame, out: Path) -> Path:
    """The log as CSV, or as an Excel workbook (.xlsx) with its columns sized to their text."""
    from . import output

    if out.suffix.lower() == ".xlsx":
        def write(fh: Any) -> None:
            with pd.ExcelWriter(fh, engine="openpyxl") as xw:
                frame.to_excel(xw, sheet_name="exercise log", index=False)
                sheet = xw.sheets["exercise log"]
                for k, col in enumerate(frame.columns, start=1):
                    width = max([len(str(col)), *(len(str(v)) for v in frame[col])]) + 2
                    sheet.column_dimensions[sheet.cell(1, k).column_letter].width = min(width, 60)
        output.atomic_write(out, write, "wb")
        return out
    output.write_text(out, frame.to_csv(index=False))
    return out
