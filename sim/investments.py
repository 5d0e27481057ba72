"""Planned investments as data: each is a cost, a first year and a list of changes to network cells, to
resource pools or to the scenario's disruptions (a factor on their durations or on the rate of random ones). Applying one returns changed copies; nothing is modified in place."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import lazy_loader

from .errors import InputError, Problem
from .tables import Column, schema, violates

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

NETWORK_TARGETS = ("seaports", "airfields", "railheads", "staging", "links", "nodes")
TARGETS = (*NETWORK_TARGETS, "corridor", "pools", "disruptions")
OPS = ("add", "mul", "set")
# what a change to disruptions multiplies: each one's duration (scheduled and random), or the rate at which
# random ones start; its attribute is KIND.EFFECT, KIND a disruption kind or * (every kind)
DISRUPTION_EFFECTS = ("duration_h", "rate_per_day")
ANY = "*"  # a disruption change's key or kind that matches every target or kind
POOL_KEYS = ("train_sets", "hets", "trucks", "buses", "barges", "reassembly_teams", "bus_seats")
OPTIONAL_POOLS = ("trucks",)  # pools a scenario may leave unset (no such pool): a change to one then does nothing


@dataclass(frozen=True)
class Change:
    """One change: `op` `value` on `attribute` of row `key` in `table`."""

    table: str
    key: str
    attribute: str
    op: str
    value: float
    origin: str = ""  # what made the change (an investment's or a parameter's name), for messages

    def __str__(self) -> str:
        what = f"{self.op} {self.value:g}"
        return f"{self.origin} ({what})" if self.origin else what

    def apply(self, old: float) -> float:
        if self.op == "add":
            return old + self.value
        if self.op == "mul":
            return old * self.value
        return self.value


@dataclass(frozen=True)
class Investment:
    """A planned investment and the changes it makes."""

    name: str
    cost_eur: float
    first_year: int
    description: str
    changes: tuple[Change, ...]

    def in_service(self, as_of: date | None) -> bool:
        """Whether the investment has its effect on a date: from 1 January of its first year (ASSUMPTION: the
        tables give the first year of commitment or of effect, not a delivery date, so this is the earliest
        reading); every investment without a date."""
        return as_of is None or as_of >= date(self.first_year, 1, 1)


def from_frame(frame: pd.DataFrame, file: str, problems: list[Problem]) -> dict[str, Investment]:
    """Group change rows by investment name; cost and year must agree across an investment's rows."""
    out: dict[str, Investment] = {}
    for i, row in enumerate(frame.itertuples(index=False)):
        name = row.name
        if any(x is None or pd.isna(x) for x in (row.cost_eur, row.first_year, row.value)):
            continue  # a cell that could not be read: its problem is reported where the table is read
        change = Change(row.table, str(row.key), row.attribute, row.op, float(row.value), f"investment {name}")
        prev = out.get(name)
        if prev is None:
            out[name] = Investment(name, float(row.cost_eur), int(row.first_year), row.description or "", (change,))
            continue
        if prev.cost_eur != float(row.cost_eur) or prev.first_year != int(row.first_year):
            problems.append(Problem(file, f"line {i + 2} ({name}) cost_eur", row.cost_eur,
                                    f"differs from the investment's first row ({prev.cost_eur:g} EUR, {prev.first_year})"))
        out[name] = Investment(name, prev.cost_eur, prev.first_year, prev.description, (*prev.changes, change))
    return dict(sorted(out.items()))


def _columns(table: str) -> dict[str, Column]:
    """Declared columns of a change's target table (a corridor change targets links)."""
    return {c.attribute: c for c in schema()["links" if table == "corridor" else table]}


def _rows(frame: pd.DataFrame, ch: Change) -> list[object]:
    """Row keys a change touches: the row named, or every link of the corridor named."""
    if ch.table == "corridor":
        return list(frame.index[frame["corridor"] == ch.key])
    return [ch.key] if ch.key in frame.index else []


def _result_problem(col: Column, value: float) -> str | None:
    """Why a value a change leaves in a cell is not allowed there: not finite (the changes are finite, but
    `mul` can overflow), in_service other than 0 or 1, or outside the schema's declared constraint (the same
    rule the cell obeys when read from its CSV file)."""
    if col.attribute == "in_service":
        return None if value in (0, 1) else "in_service takes 1 (in service) or 0 (out of service)"
    if not math.isfinite(value):
        return "is not a finite number"
    if col.type == "int":
        value = round(value)
    return violates(value, col.constraint)


def _pool_change_problems(ch: Change, tables: dict[str, pd.DataFrame], file: str, where: str) -> list[Problem]:
    """A pool change names a wagon type of the network (wagons.TYPE) or a known pool."""
    if ch.key.startswith("wagons."):
        wt = ch.key.split(".", 1)[1]
        if wt not in tables["wagon_types"].index:
            return [Problem(file, where, wt, f"unknown wagon type; the network has {sorted(tables['wagon_types'].index)}")]
        return []
    if ch.key not in POOL_KEYS:
        return [Problem(file, where, ch.key, f"unknown pool; use wagons.TYPE or one of {list(POOL_KEYS)}")]
    return []


def _disruption_kinds() -> tuple[str, ...]:
    """The disruption kinds a scenario may name (scenario.DisruptionKind)."""
    from typing import get_args

    from .scenario import DisruptionKind

    return tuple(get_args(DisruptionKind))


def _disruption_change_problems(ch: Change, tables: dict[str, pd.DataFrame], file: str, where: str) -> list[Problem]:
    """A change to disruptions names a target (a node, a corridor or a link id of the network, or * for every
    target), an attribute KIND.EFFECT (KIND a disruption kind or *, EFFECT duration_h or rate_per_day), op mul
    and a factor above 0 (a factor of 0 would make a disruption last no time or never start: say so by leaving
    the disruption out of the scenario instead)."""
    out = []
    links = tables["links"]
    targets = {ANY, *map(str, tables["nodes"].index), *map(str, links.index), *map(str, links["corridor"])}
    if ch.key not in targets:
        out.append(Problem(file, where, ch.key, "unknown target of disruptions; use a node id, a corridor name, a "
                                                "link id or * (every target)"))
    kind, _, effect = ch.attribute.partition(".")
    kinds = _disruption_kinds()
    if kind not in (ANY, *kinds) or effect not in DISRUPTION_EFFECTS:
        out.append(Problem(file, where, ch.attribute, f"use KIND.EFFECT with KIND one of {[ANY, *kinds]} and EFFECT "
                                                      f"one of {list(DISRUPTION_EFFECTS)}, e.g. drone.duration_h"))
    if ch.op != "mul":
        out.append(Problem(file, where, ch.op, "a change to disruptions takes op mul (a factor on durations or rates)"))
    elif not ch.value > 0:
        out.append(Problem(file, where, ch.value, "a factor on disruptions must be above 0"))
    return out


def disruption_factor(changes: Iterable[Change], kind: str, target: str, effect: str) -> float:
    """The product of the factors the changes to disruptions put on `effect` (duration_h or rate_per_day) of a
    disruption of `kind` at `target` (a change matches by its key, the target's name as the scenario gives it, or
    *, and by its kind or *); 1 when none matches."""
    f = 1.0
    for ch in changes:
        if ch.table != "disruptions" or ch.key not in (ANY, target):
            continue
        k, _, e = ch.attribute.partition(".")
        if e == effect and k in (ANY, kind):
            f *= ch.value
    return f


def check_changes(invs: dict[str, Investment], tables: dict[str, pd.DataFrame], file: str) -> list[Problem]:
    """Every change names a known target, row, attribute and operation, and leaves the cells it changes
    within the network schema's bounds when its investment is applied alone to these tables (several
    investments together are checked again when applied: see apply_to_tables)."""
    out = []
    numeric = {t: {c.attribute for c in schema()[t] if c.type in ("int", "float", "bool")} for t in NETWORK_TARGETS}
    numeric["corridor"] = numeric["links"]
    for inv in invs.values():
        cells: dict[tuple[str, object, str], float] = {}  # (table, row, attribute) -> value after the changes so far
        for ch in inv.changes:
            where = f"{inv.name}: {ch.table}.{ch.key}.{ch.attribute}"
            known_op = ch.op in OPS
            if not known_op:
                out.append(Problem(file, where, ch.op, f"unknown op; use one of {list(OPS)}"))
            if not math.isfinite(ch.value):
                out.append(Problem(file, where, ch.value, "a change's value must be a finite number"))
                continue
            if ch.table not in TARGETS:
                out.append(Problem(file, where, ch.table, f"unknown table; use one of {list(TARGETS)}"))
                continue
            if ch.table == "pools":
                out += _pool_change_problems(ch, tables, file, where)
                continue
            if ch.table == "disruptions":
                out += _disruption_change_problems(ch, tables, file, where)
                continue
            is_numeric = ch.attribute in numeric[ch.table]
            if not is_numeric:
                out.append(Problem(file, where, ch.attribute, f"not a numeric attribute of {ch.table}"))
            bad_op = ch.attribute == "in_service" and ch.op != "set"
            if bad_op:
                out.append(Problem(file, where, ch.op, "in_service takes op set (value 1 or 0)"))
            links = tables["links"]
            known = set(links["corridor"]) if ch.table == "corridor" else set(tables[ch.table].index)
            if ch.key not in known:
                out.append(Problem(file, where, ch.key, f"unknown {'corridor' if ch.table == 'corridor' else ch.table + ' row'}"))
            if not is_numeric or not known_op or bad_op:
                continue
            col = _columns(ch.table)[ch.attribute]
            name = "links" if ch.table == "corridor" else ch.table
            frame = tables[name]
            for row in _rows(frame, ch):
                cell = (name, row, ch.attribute)
                old = cells.get(cell, frame.loc[[row], ch.attribute].iloc[0])  # first row if a key repeats
                if old is None or pd.isna(old):
                    if ch.op != "set":  # an unreadable cell, reported where it is read
                        continue
                    old = 0.0
                old = float(old)
                new = cells[cell] = ch.apply(old)
                why = _result_problem(col, new)
                if why:
                    at = f" on link {row}" if ch.table == "corridor" else ""
                    out.append(Problem(file, where, _shown(new, col),
                                       f"{ch.op} {ch.value:g} leaves {old:g}{at} at {_shown(new, col)}: {why}"))
    return out


def _shown(value: float, col: Column) -> float | int:
    """A cell's value as the table holds it (an int column rounds)."""
    return round(value) if col.type == "int" and math.isfinite(value) else value


def apply_to_tables(tables: dict[str, pd.DataFrame], changes: list[Change]) -> dict[str, pd.DataFrame]:
    """Copies of the network tables with the changes applied, in order. Raises InputError when the changes
    together leave a cell outside the network schema's bounds (each alone is checked by check_changes; two
    investments that each take one berth from a port with two leave it none)."""
    out = dict(tables)
    copied: set[str] = set()
    integer = {(c.table, c.attribute) for t in NETWORK_TARGETS for c in schema()[t] if c.type == "int"}
    touched: dict[tuple[str, object, str], list[Change]] = {}
    for ch in changes:
        if ch.table in ("pools", "disruptions"):  # the scenario's pools and disruptions: not network tables
            continue
        name = "links" if ch.table == "corridor" else ch.table
        if name not in copied:
            out[name] = out[name].copy()
            copied.add(name)
        frame = out[name]
        mask = (frame["corridor"] == ch.key) if ch.table == "corridor" else (frame.index == ch.key)
        frame[ch.attribute] = frame[ch.attribute].astype(object)
        for idx in frame.index[mask]:
            touched.setdefault((name, idx, ch.attribute), []).append(ch)
        if ch.attribute == "in_service":
            frame.loc[mask, ch.attribute] = ch.value != 0
            continue
        for idx in frame.index[mask]:
            old = frame.at[idx, ch.attribute]
            new = ch.apply(0.0 if old is None or pd.isna(old) else float(old))
            frame.at[idx, ch.attribute] = round(new) if (name, ch.attribute) in integer and math.isfinite(new) else new
    problems = []
    for (name, idx, attr), by in touched.items():
        if attr == "in_service":
            continue
        col = _columns(name)[attr]
        value = out[name].at[idx, attr]
        why = _result_problem(col, float(value))
        if why:
            problems.append(Problem(f"{name}.csv", f"{idx}.{attr}", value,
                                    f"after {', '.join(map(str, by))}: {why}"))
    if problems:
        raise InputError(problems)
    return out


def apply_to_pools(pools: dict, changes: list[Change]) -> dict:
    """A pools mapping (as in the scenario) with pool changes applied; a change to an optional pool the scenario
    does not set (OPTIONAL_POOLS) is left out. Raises InputError when a change leaves a pool at a number that is
    not finite (the scenario's own bounds on pool sizes are checked by the caller,
    which validates the result as Pools)."""
    out = {**pools, "wagons": dict(pools["wagons"])}
    for ch in changes:
        if ch.table != "pools":
            continue
        wagons = ch.key.startswith("wagons.")
        if not wagons and out.get(ch.key) is None and ch.key in OPTIONAL_POOLS:
            continue  # the scenario has no such pool: what it would buy is not represented (changes.py warns)
        old = float(out["wagons"].get(ch.key.split(".", 1)[1], 0)) if wagons else float(out[ch.key])
        new = ch.apply(old)
        if not math.isfinite(new):
            raise InputError([Problem("(pools)", f"pools.{ch.key}", new, f"after {ch}: is not a finite number")])
        if wagons:
            out["wagons"][ch.key.split(".", 1)[1]] = round(new)
        else:
            out[ch.key] = type(out[ch.key])(new)
    return out
