"""Planned investments as data: each is a cost, a first year and a list of changes to network cells or to
resource pools. Applying one returns changed copies; nothing is modified in place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import Problem
from .tables import schema

NETWORK_TARGETS = ("seaports", "airfields", "railheads", "staging", "links", "nodes")
TARGETS = (*NETWORK_TARGETS, "corridor", "pools")
OPS = ("add", "mul", "set")
POOL_KEYS = ("train_sets", "hets", "buses", "barges", "reassembly_teams", "bus_seats")


@dataclass(frozen=True)
class Change:
    """One change: `op` `value` on `attribute` of row `key` in `table`."""

    table: str
    key: str
    attribute: str
    op: str
    value: float

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


def from_frame(frame: pd.DataFrame, file: str, problems: list[Problem]) -> dict[str, Investment]:
    """Group change rows by investment name; cost and year must agree across an investment's rows."""
    out: dict[str, Investment] = {}
    for i, row in enumerate(frame.itertuples(index=False)):
        name = row.name
        change = Change(row.table, str(row.key), row.attribute, row.op, float(row.value))
        prev = out.get(name)
        if prev is None:
            out[name] = Investment(name, float(row.cost_eur), int(row.first_year), row.description or "", (change,))
            continue
        if prev.cost_eur != float(row.cost_eur) or prev.first_year != int(row.first_year):
            problems.append(Problem(file, f"line {i + 2} ({name}) cost_eur", row.cost_eur,
                                    f"differs from the investment's first row ({prev.cost_eur:g} EUR, {prev.first_year})"))
        out[name] = Investment(name, prev.cost_eur, prev.first_year, prev.description, prev.changes + (change,))
    return dict(sorted(out.items()))


def check_changes(invs: dict[str, Investment], tables: dict[str, pd.DataFrame], file: str) -> list[Problem]:
    """Every change names a known target, row, attribute and operation."""
    out = []
    numeric = {t: {c.attribute for c in schema()[t] if c.type in ("int", "float", "bool")} for t in NETWORK_TARGETS}
    numeric["corridor"] = numeric["links"]
    for inv in invs.values():
        for ch in inv.changes:
            where = f"{inv.name}: {ch.table}.{ch.key}.{ch.attribute}"
            if ch.op not in OPS:
                out.append(Problem(file, where, ch.op, f"unknown op; use one of {list(OPS)}"))
            if ch.table not in TARGETS:
                out.append(Problem(file, where, ch.table, f"unknown table; use one of {list(TARGETS)}"))
                continue
            if ch.table == "pools":
                if ch.key.startswith("wagons."):
                    wt = ch.key.split(".", 1)[1]
                    if wt not in tables["wagon_types"].index:
                        out.append(Problem(file, where, wt, f"unknown wagon type; the network has {sorted(tables['wagon_types'].index)}"))
                elif ch.key not in POOL_KEYS:
                    out.append(Problem(file, where, ch.key, f"unknown pool; use wagons.TYPE or one of {list(POOL_KEYS)}"))
                continue
            if ch.attribute not in numeric[ch.table]:
                out.append(Problem(file, where, ch.attribute, f"not a numeric attribute of {ch.table}"))
            if ch.attribute == "in_service" and ch.op != "set":
                out.append(Problem(file, where, ch.op, "in_service takes op set (value 1 or 0)"))
            links = tables["links"]
            known = set(links["corridor"]) if ch.table == "corridor" else set(tables[ch.table].index)
            if ch.key not in known:
                out.append(Problem(file, where, ch.key, f"unknown {'corridor' if ch.table == 'corridor' else ch.table + ' row'}"))
    return out


def apply_to_tables(tables: dict[str, pd.DataFrame], changes: list[Change]) -> dict[str, pd.DataFrame]:
    """Copies of the network tables with the changes applied, in order."""
    out = dict(tables)
    copied: set[str] = set()
    integer = {(c.table, c.attribute) for t in NETWORK_TARGETS for c in schema()[t] if c.type == "int"}
    for ch in changes:
        if ch.table == "pools":
            continue
        name = "links" if ch.table == "corridor" else ch.table
        if name not in copied:
            out[name] = out[name].copy()
            copied.add(name)
        frame = out[name]
        mask = (frame["corridor"] == ch.key) if ch.table == "corridor" else (frame.index == ch.key)
        frame[ch.attribute] = frame[ch.attribute].astype(object)
        if ch.attribute == "in_service":
            frame.loc[mask, ch.attribute] = ch.value != 0
            continue
        for idx in frame.index[mask]:
            old = frame.at[idx, ch.attribute]
            new = ch.apply(0.0 if old is None or pd.isna(old) else float(old))
            frame.at[idx, ch.attribute] = int(round(new)) if (name, ch.attribute) in integer else new
    return out


def apply_to_pools(pools: dict, changes: list[Change]) -> dict:
    """A pools mapping (as in the scenario) with pool changes applied."""
    out = {**pools, "wagons": dict(pools["wagons"])}
    for ch in changes:
        if ch.table != "pools":
            continue
        if ch.key.startswith("wagons."):
            wt = ch.key.split(".", 1)[1]
            out["wagons"][wt] = int(round(ch.apply(float(out["wagons"].get(wt, 0)))))
        else:
            out[ch.key] = type(out[ch.key])(ch.apply(float(out[ch.key])))
    return out


def load_file(path: Path, problems: list[Problem]) -> pd.DataFrame:
    from .tables import read_table

    return read_table(path, "investments", problems)
