"""What a scenario can name, as tables to read (`rsom list KIND`): the network's sea ports, airfields, railheads,
exits, corridors and investments, and the built-in force templates and equipment types, each id with its name
and key capacities. The network is read as the model reads it (sim/network.py), the templates and equipment
from sim/data; column units and the notes under each table come from the declared schema (sim/data/schema.csv).

Figures are never cut on a narrow terminal: number columns do not wrap, and only text (names, changes) folds
onto more lines."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from .equipment import load_equipment
from .errors import InputError, Problem
from .forces import load_templates
from .ids import PIECE_CLASSES
from .lift import load_aircraft
from .network import Network, catalogue, discharge_rates, load_network
from .plan import network_path, resolve_network
from .scenario import read_scenario
from .tables import schema

KINDS = ("ports", "airfields", "railheads", "exits", "corridors", "templates", "investments", "equipment", "aircraft")


def network_folder(name: str | None, default_scenario: Path) -> Path:
    """The network folder to list: `name` as a scenario's `network:` is read (a folder under networks/, else a
    path, here relative to the current folder), or the network of `default_scenario` when no name is given."""
    if name is None:
        return resolve_network(read_scenario(default_scenario), default_scenario)
    return network_path(name, Path.cwd())


def read_network(folder: Path) -> Network:
    """The network as the model loads it; InputError when the folder is missing or a table has an error
    (warnings, such as a number without a source, do not stop a listing)."""
    if not folder.is_dir():
        raise InputError([Problem("(command line)", "--network", str(folder), "no network folder there")])
    net = load_network(folder)
    errors = [p for p in net.problems if p.severity == "error"]
    if errors:
        raise InputError(errors)
    return net


def _num(x: Any) -> str:
    """A figure as a planner reads it: thousands separated, at most two decimals, '-' when not given."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    v = float(x)
    if v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _unit(table: str, attribute: str) -> str:
    """The declared unit of a table column (schema.csv)."""
    return next(c.unit for c in schema()[table] if c.attribute == attribute)


def _note(table: str, attributes: Iterable[str], labels: dict[str, str] | None = None) -> list[str]:
    """What the shown columns mean, one line each, from their declared descriptions and units (schema.csv)."""
    cols = {c.attribute: c for c in schema()[table]}
    labels = labels or {}
    return [f"{labels.get(a, a)}: {cols[a].description}" + (f" ({cols[a].unit})" if cols[a].unit else "")
            for a in attributes]


def _named(key: str, name: str) -> Text:
    """An id with its name below it, dimmed; the name folds onto more lines."""
    out = Text(key, style="bold")
    if name and name != key:
        out.append("\n" + name, style="dim")
    return out


SHORT = {"tracked": "trk", "wheeled": "whl", "trailer": "trl", "container": "ctr", "helicopter": "heli"}


def _table(title: str, notes: list[str], first: str, numbers: list[tuple[str, str]], texts: Iterable[str] = (),
           fold: str | None = None) -> Table:
    """A table whose columns never wrap except one, `fold` (by default the first): number columns (header, unit)
    right-aligned, then text columns. On a narrow terminal rich narrows only that one column, whose text folds
    onto more lines, so no figure is ever cut (two folding columns of equal width would make rich narrow every
    column instead)."""
    fold = first if fold is None else fold
    t = Table(title=title, caption="\n".join(notes), caption_justify="left")
    t.add_column(first, overflow="fold", no_wrap=fold != first)
    for header, unit in numbers:
        t.add_column(f"{header}\n{unit}" if unit and unit != header else header, justify="right", no_wrap=True)
    for header in texts:
        t.add_column(header, overflow="fold", no_wrap=fold != header)
    return t


def _node_names(net: Network) -> dict[str, str]:
    return {str(k): str(v) for k, v in net.nodes["name"].items()}


def ports(net: Network) -> Table:
    """Sea ports: berths, discharge rate of a berth by piece class, marshalling spaces."""
    names = _node_names(net)
    classes = " ".join(SHORT[c] for c in PIECE_CLASSES)
    notes = _note("seaports", ["berths", "discharge_pph", "marshalling_spaces"],
                  {"discharge_pph": classes, "marshalling_spaces": "spaces"})
    notes[1] += f"; here by piece class ({', '.join(PIECE_CLASSES)}), a class's own rate where the table gives one"
    t = _table(f"Sea ports of {net.name}", notes, "port", [("berths", ""), *((SHORT[c], "") for c in PIECE_CLASSES),
                                                           ("spaces", "")])
    for key, row in net.seaports.iterrows():
        rates = discharge_rates(row)
        t.add_row(_named(str(key), names.get(str(key), "")), _num(row["berths"]),
                  *(_num(rates[c]) for c in PIECE_CLASSES), _num(row["marshalling_spaces"]))
    return t


def _facilities(net: Network, table: str, title: str, first: str, labels: dict[str, str]) -> Table:
    """A node table's rows (one per node: its id and name, then the `labels` columns with their units)."""
    names = _node_names(net)
    cols = list(labels)
    t = _table(f"{title} of {net.name}", _note(table, cols, labels), first, [(labels[c], _unit(table, c)) for c in cols])
    for key, row in getattr(net, table).iterrows():
        t.add_row(_named(str(key), names.get(str(key), "")), *(_num(row[c]) for c in cols))
    return t


def airfields(net: Network) -> Table:
    """Airfields: aircraft on ground at once, ground time, passenger and cargo processing."""
    return _facilities(net, "airfields", "Airfields", "airfield",
                       {"mog": "MOG", "turnaround_h": "turnaround", "pax_ph": "pax", "cargo_pph": "cargo"})


def railheads(net: Network) -> Table:
    """Railheads: ramps, loading and unloading times, longest train."""
    return _facilities(net, "railheads", "Railheads", "railhead",
                       {"ramps": "ramps", "load_h": "load", "unload_h": "unload", "max_train_m": "max train"})


def _in_service(flags: Iterable[Any]) -> str:
    """'yes', 'no' or 'k of n' for the in_service flags of some links (empty = in service)."""
    values = [v is not False for v in flags]
    if all(values):
        return "yes"
    return "no" if not any(values) else f"{sum(values)} of {len(values)}"


def exits(net: Network) -> Table:
    """Nodes of kind exit, with the modes of the links that reach them."""
    rows = net.nodes[net.nodes["kind"] == "exit"]
    notes = [*_note("nodes", ["kind", "country", "in_service"], {"in_service": "in service"}),
             "modes: modes of the links that reach the exit (`rsom list corridors`)"]
    t = _table(f"Exits of {net.name}", notes, "exit", [], ["kind", "modes", "country", "in service"])
    links = net.links
    for key, row in rows.iterrows():
        touching = links[(links["from"] == key) | (links["to"] == key)]
        modes = ", ".join(sorted(set(touching["mode"]))) or "-"
        t.add_row(_named(str(key), str(row["name"])), str(row["kind"]), modes, str(row["country"]),
                  "no" if row["in_service"] is False else "yes")
    return t


def corridors(net: Network) -> Table:
    """One row per corridor and mode: its links, their length and (rail) military paths a day."""
    links = net.links
    notes = ["links: links of the corridor (a scenario names a corridor or one of its link ids)",
             "km: " + _note("links", ["length_km"])[0].split(": ", 1)[1] + ", added up over the links",
             *_note("links", ["paths_per_day"], {"paths_per_day": "paths/day"}),
             "  (the fewest and the most over the corridor's links)",
             "in service: links in service (the others are kept in the data but out of the graph)"]
    t = _table(f"Corridors of {net.name}", notes, "corridor",
               [("links", ""), ("km", ""), ("paths/day", "")], ["mode", "in service"])
    for (corridor, mode), group in links.groupby(["corridor", "mode"], sort=True):
        paths = "-"
        if mode == "rail":
            ppd = [float(v or 0) for v in group["paths_per_day"]]
            lo, hi = min(ppd), max(ppd)
            paths = _num(lo) if lo == hi else f"{_num(lo)}-{_num(hi)}"
        t.add_row(Text(str(corridor), style="bold"), str(len(group)), _num(round(float(group["length_km"].sum()), 1)),
                  paths, str(mode), _in_service(group["in_service"]))
    return t


def templates() -> Table:
    """The built-in brigade-equivalent templates (sim/data/forces.csv): units, personnel, pieces by class."""
    problems: list[Problem] = []
    data = load_templates(problems=problems)
    if problems:
        raise InputError(problems)
    cols = {c.attribute: c for c in schema()["forces"]}
    notes = ["units: units (battalion-sized) of the template",
             *_note("forces", ["personnel"]),
             " ".join(SHORT[c] for c in PIECE_CLASSES) + ": "
             + ", ".join(cols[c].description.lower() for c in PIECE_CLASSES) + f" ({cols[PIECE_CLASSES[0]].unit})",
             "pieces: all pieces of the template"]
    t = _table("Built-in force templates", notes, "template",
               [("units", ""), ("personnel", ""), *((SHORT[c], "") for c in PIECE_CLASSES), ("pieces", "")])
    for name, units in data.items():
        by_cls = {c: sum(n for u in units for k, n in u.pieces if k == c) for c in PIECE_CLASSES}
        t.add_row(Text(name, style="bold"), str(len(units)), _num(sum(u.personnel for u in units)),
                  *(_num(by_cls[c]) for c in PIECE_CLASSES), _num(sum(by_cls.values())))
    return t


def investments(net: Network) -> Table:
    """The network's investments (investments.csv), each with the changes it makes."""
    invs = catalogue(net)
    notes = [*_note("investments", ["cost_eur", "first_year"], {"cost_eur": "cost", "first_year": "year"}),
             "changes: table key.attribute op value, one line per change (" +
             _note("investments", ["table"])[0].split(": ", 1)[1] + ")"]
    t = _table(f"Investments of {net.name}", notes, "investment", [("cost", "EUR"), ("year", "")], ["changes"],
               fold="changes")
    for name, inv in invs.items():
        changes = "\n".join(f"{c.table} {c.key}.{c.attribute} {c.op} {_num(c.value)}" for c in inv.changes)
        t.add_row(Text(name, style="bold"), _num(inv.cost_eur), str(inv.first_year), changes)
    return t


def equipment() -> Table:
    """Equipment types (sim/data/equipment.csv): class, size, mass, wagon loading."""
    problems: list[Problem] = []
    types = load_equipment(problems=problems)
    if problems:
        raise InputError(problems)
    cols = ["length_m", "width_m", "mass_t"]
    labels = {"length_m": "length", "width_m": "width", "mass_t": "mass", "out_of_gauge": "gauge",
              "wagon_type": "wagon type", "per_wagon": "per wagon"}
    notes = _note("equipment", ["class", *cols, "out_of_gauge", "wagon_type", "per_wagon"], labels)
    notes[4] = notes[4].replace("gauge: ", "gauge: out = ", 1)
    t = _table("Equipment types", notes, "equipment", [*((labels[c], _unit("equipment", c)) for c in cols),
                                                       ("per wagon", "")], ["class", "gauge", "wagon type"])
    for key, e in types.items():
        t.add_row(Text(key, style="bold"), _num(e.length_m), _num(e.width_m), _num(e.mass_t),
                  _num(e.per_wagon) if e.wagon_type else "-", e.cls, "out" if e.out_of_gauge else "in",
                  e.wagon_type or "-")
    return t


def aircraft() -> Table:
    """Aircraft types (sim/data/aircraft.csv) that a force's `lift` may plan flights of and its flights may
    name: seats, hold, payload, 463L pallet positions, ground time (empty: the airfield's turnaround)."""
    problems: list[Problem] = []
    types = load_aircraft(problems=problems)
    if problems:
        raise InputError(problems)
    cols = ["seats", "cargo_length_m", "payload_t", "pallets", "ground_time_h"]
    labels = {"seats": "seats", "cargo_length_m": "hold", "payload_t": "payload", "pallets": "pallets",
              "ground_time_h": "ground time"}
    t = _table("Aircraft types", _note("aircraft", cols, labels), "aircraft",
               [(labels[c], _unit("aircraft", c)) for c in cols])
    for key, a in types.items():
        t.add_row(Text(key, style="bold"), _num(a.seats), _num(a.cargo_length_m), _num(a.payload_t), _num(a.pallets),
                  "" if a.ground_time_h is None else _num(a.ground_time_h))
    return t


_BY_NETWORK: dict[str, Callable[[Network], Table]] = {
    "ports": ports, "airfields": airfields, "railheads": railheads, "exits": exits, "corridors": corridors,
    "investments": investments,
}


def listing(kind: str, network: str | None, default_scenario: Path) -> Table:
    """The table of one kind; InputError for an unknown kind or a network that cannot be read."""
    if kind not in KINDS:
        raise InputError([Problem("(command line)", "KIND", kind, f"unknown list; use one of {', '.join(KINDS)}")])
    if kind == "templates":
        return templates()
    if kind == "equipment":
        return equipment()
    if kind == "aircraft":
        return aircraft()
    return _BY_NETWORK[kind](read_network(network_folder(network, default_scenario)))

