"""The network as tables (nodes, ports, airfields, railheads, staging, links) and the graph derived from them.

Checks are small `check_*` functions that return Problems; the graph is built in sorted order so that
routes and event order never depend on hash order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import lazy_loader

from .bands import parse_bands
from .errors import Problem
from .ids import PIECE_CLASSES
from .nested import Nested
from .tables import NUMERIC, missing, read_table, schema
from .windows import parse_window

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
else:
    nx = lazy_loader.load("networkx")
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

TABLES = ("nodes", "seaports", "airfields", "railheads", "staging", "links", "piece_classes", "wagon_types")
KEYS = {
    "nodes": "id",
    "seaports": "node",
    "airfields": "node",
    "railheads": "node",
    "staging": "node",
    "links": "id",
    "piece_classes": "class",
    "wagon_types": "type",
    "forces": "template/unit",
}
DISCHARGE_COLUMNS: dict[str, str] = {cls: f"discharge_pph_{cls}" for cls in PIECE_CLASSES}  # seaports: each class's own rate


def discharge_rates(row: Mapping[str, Any]) -> dict[str, float]:
    """A sea port's discharge rate of one berth for each piece class (pieces per working hour): the class's own
    column where given, else `discharge_pph`."""
    out: dict[str, float] = {}
    for cls, col in DISCHARGE_COLUMNS.items():
        v: Any = row.get(col)
        out[cls] = float(row["discharge_pph"]) if missing(v) else float(v)
    return out


def _no_rows() -> pd.DataFrame:
    """An empty table (a network folder without investments.csv); pandas is named only when one is made."""
    return pd.DataFrame()


MODES = ("road", "rail", "water")
NODE_KINDS = ("seaport", "airfield", "railhead", "yard", "staging", "csc", "exit", "junction", "waterway")


@dataclass
class Network(Nested):
    """All tables of one network folder, indexed by their key."""

    name: str
    folder: Path
    nodes: pd.DataFrame
    seaports: pd.DataFrame
    airfields: pd.DataFrame
    railheads: pd.DataFrame
    staging: pd.DataFrame
    links: pd.DataFrame
    piece_classes: pd.DataFrame
    wagon_types: pd.DataFrame
    sources: pd.DataFrame
    investments: pd.DataFrame = field(default_factory=_no_rows)  # one row per change (investments.csv)
    problems: list[Problem] = field(default_factory=list)

    # pickled nested (sim/nested.py): a run from a cached plan reads the rows, not the tables, nor pandas
    NESTED: ClassVar[tuple[str, ...]] = (*TABLES, "sources", "investments", "problems")

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def file(self, table: str) -> str:
        return str(self.folder / f"{table}.csv")

    def rows(self, table: str) -> dict[str, dict[str, Any]]:
        """A table as plain dicts by key, in the table's order (Python values; NaN or None for an empty cell):
        what a run reads of the network. Row lookups in pandas are far too slow for the event loop, and a
        network read back from a pickle answers these without loading pandas (prepare). Made once
        per table and shared: never modify them."""
        made: dict[str, dict[str, dict[str, Any]]] = self.__dict__.setdefault("_rows", {})
        found = made.get(table)
        if found is None:
            found = made[table] = {str(k): {str(c): v for c, v in r.items()}
                                   for k, r in self.table(table).to_dict("index").items()}
        return found

    def prepare(self) -> None:
        """Before pickling: the rows of every table, which a run reads instead of the (nested) tables."""
        if "_nested" not in self.__dict__:
            for t in TABLES:
                self.rows(t)


def load_network(folder: Path) -> Network:
    """Read every table of a network folder and run all checks; problems are collected on the result.
    Cached per process while the folder's files are unchanged (a Network is never modified in place)."""
    folder = Path(folder).resolve()
    stamp = tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in folder.glob("*.csv"))) if folder.is_dir() else ()
    return _load_network(folder, stamp)


@lru_cache(maxsize=8)
def _load_network(folder: Path, stamp: tuple) -> Network:
    problems: list[Problem] = []
    frames = {t: read_table(folder / f"{t}.csv", t, problems) for t in TABLES}
    sources = read_table(folder / "sources.csv", "sources", problems)
    has_investments = (folder / "investments.csv").exists()
    investments = read_table(folder / "investments.csv", "investments", problems) if has_investments else \
        read_table(folder / "investments.csv", "investments", [])
    for t in TABLES:
        defaulted = frames[t].attrs.get("defaulted", set())
        frames[t] = frames[t].set_index(KEYS[t], drop=False)
        frames[t].attrs["defaulted"] = defaulted
        frames[t].index.name = None
    net = Network(name=folder.name, folder=folder, sources=sources, investments=investments, **frames)
    for check in (check_unique_keys, check_values, check_references, check_windows, check_bands, check_sources, check_investments):
        problems.extend(check(net))
    for t in (*TABLES, "investments"):  # defaulted-cell bookkeeping is only for check_sources; pandas copies attrs
        net.table(t).attrs.clear()
    net.problems = problems
    return net


def check_unique_keys(net: Network) -> list[Problem]:
    """Each row key appears once per table."""
    out = []
    for t in TABLES:
        idx = net.table(t).index
        out += [Problem(net.file(t), KEYS[t], key, "appears more than once") for key in sorted(set(idx[idx.duplicated()]))]
    return out


def check_values(net: Network) -> list[Problem]:
    """Enumerated columns hold known values."""
    out = []
    for key, row in net.nodes.iterrows():
        if row["kind"] not in NODE_KINDS:
            out.append(Problem(net.file("nodes"), f"{key}.kind", row["kind"], f"unknown kind; use one of {list(NODE_KINDS)}"))
    for key, row in net.links.iterrows():
        if row["mode"] not in MODES:
            out.append(Problem(net.file("links"), f"{key}.mode", row["mode"], f"unknown mode; use one of {list(MODES)}"))
        if row["mode"] == "rail" and (row["paths_per_day"] or 0) <= 0:
            out.append(Problem(net.file("links"), f"{key}.paths_per_day", row["paths_per_day"], "a rail link needs military train paths per day > 0"))
        if (row["civil_trains_per_day"] or 0) > 0 and (row["capacity_trains_per_day"] or 0) <= 0:
            out.append(Problem(net.file("links"), f"{key}.capacity_trains_per_day", row["capacity_trains_per_day"],
                               "a link with civil trains needs its capacity in trains per day > 0"))
        if row["from"] == row["to"]:
            out.append(Problem(net.file("links"), f"{key}.to", row["to"], "link joins a node to itself"))
    for key, row in net.staging.iterrows():
        if row["role"] not in ("staging", "csc"):
            out.append(Problem(net.file("staging"), f"{key}.role", row["role"], "use staging or csc"))
    for key, row in net.piece_classes.iterrows():
        if key not in PIECE_CLASSES:
            out.append(Problem(net.file("piece_classes"), f"{key}.class", key, f"unknown piece class; use {list(PIECE_CLASSES)}"))
        wt = row["wagon_type"]
        if wt and wt not in net.wagon_types.index:
            out.append(Problem(net.file("piece_classes"), f"{key}.wagon_type", wt, "unknown wagon type (not in wagon_types.csv)"))
    return out


def check_references(net: Network) -> list[Problem]:
    """Every node named by a capability table or a link exists in nodes.csv."""
    out = []
    nodes = set(net.nodes.index)
    for t in ("seaports", "airfields", "railheads", "staging"):
        out += [Problem(net.file(t), "node", key, "unknown node (not in nodes.csv)")
                for key in net.table(t).index if key not in nodes]
    for key, row in net.links.iterrows():
        out += [Problem(net.file("links"), f"{key}.{end}", row[end], "unknown node (not in nodes.csv)")
                for end in ("from", "to") if row[end] not in nodes]
    return out


def check_windows(net: Network) -> list[Problem]:
    """Link time windows parse."""
    out = []
    for key, row in net.links.iterrows():
        try:
            parse_window(row["window"])
        except ValueError as exc:
            out.append(Problem(net.file("links"), f"{key}.window", row["window"], str(exc)))
    return out


def check_bands(net: Network) -> list[Problem]:
    """Path bands parse, do not overlap, are given on rail links only and not with a window, and their paths
    add up to the link's paths_per_day."""
    out = []
    file = net.file("links")
    for key, row in net.links.iterrows():
        text = row["path_bands"]
        if not text:
            continue
        where = f"{key}.path_bands"
        if row["mode"] != "rail":
            out.append(Problem(file, where, text, f"path bands are for rail links; this link is {row['mode']}"))
        if row["window"]:
            out.append(Problem(file, where, text, f"give either path_bands or a window ({row['window']}), not both: "
                                                  "the bands already say when paths are offered"))
        try:
            bands = parse_bands(text)
        except ValueError as exc:
            out.append(Problem(file, where, text, str(exc)))
            continue
        total = sum(n for _, _, n in bands)
        ppd = row["paths_per_day"]
        if ppd is not None and not pd.isna(ppd) and float(ppd) != total:
            out.append(Problem(file, where, text, f"the bands give {total} paths a day but paths_per_day is {float(ppd):g}; "
                                                  f"set paths_per_day to {total}"))
    return out


def check_sources(net: Network) -> list[Problem]:
    """Every numeric value carries a source or is marked as an assumption (warnings)."""
    tables = {t: net.table(t) for t in TABLES}
    if len(net.investments):
        inv = net.investments.copy()
        inv.index = inv["name"]
        tables["investments"] = inv
    return source_problems(tables, net.sources, str(net.folder / "sources.csv"))


def check_investments(net: Network) -> list[Problem]:
    """Investment rows agree on cost and year, and each change names a known target."""
    from .investments import check_changes, from_frame

    problems: list[Problem] = []
    invs = from_frame(net.investments, net.file("investments"), problems)
    return problems + check_changes(invs, {t: net.table(t) for t in TABLES}, net.file("investments"))


def catalogue(net: Network) -> dict:
    """The network's investments by name."""
    from .investments import from_frame

    return from_frame(net.investments, net.file("investments"), [])


def table_source_problems(path: Path, table: str, sources_path: Path, keys: Callable[[pd.DataFrame], list[str]]) -> list[Problem]:
    """A data table read against its schema and checked against its sources file: every number carries a
    source or is marked as an assumption (`keys`: the row keys the sources file names, from the frame)."""
    problems: list[Problem] = []
    frame = read_table(path, table, problems)
    defaulted = frame.attrs.get("defaulted", set())
    frame.index = keys(frame)
    frame.attrs["defaulted"] = defaulted
    sources = read_table(sources_path, "sources", problems)
    return problems + source_problems({table: frame}, sources, str(sources_path))


def source_problems(tables: dict[str, pd.DataFrame], sources: pd.DataFrame, file: str) -> list[Problem]:
    """Numeric cells not covered by a row of the sources table, and source rows that are incomplete."""
    out = []
    covered: set[tuple[str, str, str]] = set()
    for i, row in sources.iterrows():
        if row["basis"] not in ("sourced", "derived", "assumption"):
            out.append(Problem(file, f"line {i + 2} basis", row["basis"], "use sourced, derived or assumption"))
        if row["basis"] in ("sourced", "derived") and not row["ref"]:
            out.append(Problem(file, f"line {i + 2} ref", "", f"a {row['basis']} value needs a reference"))
        for f in str(row["fields"]).split(";"):
            covered.add((row["table"], str(row["id"]), f.strip()))
    for t, frame in tables.items():
        numeric = [c.attribute for c in schema()[t] if c.type in NUMERIC]
        defaulted = frame.attrs.get("defaulted", set())
        for pos, (key, row) in enumerate(frame.iterrows()):
            for col in numeric:
                val = row[col]
                if val is None or (isinstance(val, float) and pd.isna(val)) or (pos, col) in defaulted:
                    continue
                if (t, str(key), col) not in covered:
                    out.append(Problem(file, f"{t}.{key}.{col}", val, "number has no source and is not marked as an assumption", "warning"))
    return out


def build_graph(
    net: Network,
    closed_corridors: frozenset[str] = frozenset(),
    opened_corridors: frozenset[str] = frozenset(),
    closed_nodes: frozenset[str] = frozenset(),
) -> nx.MultiDiGraph:
    """Directed multigraph of in-service nodes and links (both directions), added in sorted order.

    A corridor or link id in `closed_corridors` is taken out; one in `opened_corridors` is put in service."""
    g = nx.MultiDiGraph(name=net.name)
    live_nodes = []
    for nid in sorted(net.nodes.index):
        row = net.nodes.loc[nid]
        if (row["in_service"] is False) or nid in closed_nodes:
            continue
        live_nodes.append(nid)
        g.add_node(nid, name=row["name"], kind=row["kind"], lat=row["lat"], lon=row["lon"], country=row["country"])
    for lid in sorted(net.links.index):
        row = net.links.loc[lid]
        in_service = bool(row["in_service"]) if row["in_service"] is not None else True
        if row["corridor"] in opened_corridors or lid in opened_corridors:
            in_service = True
        if row["corridor"] in closed_corridors or lid in closed_corridors:
            in_service = False
        if not in_service or row["from"] not in g or row["to"] not in g:
            continue
        attrs = {
            "link": lid,
            "corridor": row["corridor"],
            "mode": row["mode"],
            "length_km": float(row["length_km"]),
            "speed_kmh": float(row["speed_kmh"]),
            "paths_per_day": float(row["paths_per_day"] or 0),
            "max_train_m": float(row["max_train_m"] or 0),
            "max_train_t": float(row["max_train_t"] or 0),
            "capacity_trains_per_day": float(row["capacity_trains_per_day"] or 0),
            "civil_trains_per_day": float(row["civil_trains_per_day"] or 0),
            "headway_h": float(row["headway_min"] or 0) / 60.0,
            "delay_h": float(row["delay_h"] or 0),
            "window": parse_window(row["window"]),
            "path_bands": parse_bands(row["path_bands"]),
        }
        g.add_edge(row["from"], row["to"], key=f"{lid}>", direction=">", **attrs)
        g.add_edge(row["to"], row["from"], key=f"{lid}<", direction="<", **attrs)
    return g


def corridor_names(net: Network) -> set[str]:
    """Corridor names and link ids a scenario may refer to."""
    return set(links_by_name(net))


def links_by_name(net: Network) -> dict[str, tuple[str, ...]]:
    """The link ids each corridor name or link id stands for, sorted."""
    out: dict[str, list[str]] = {}
    for lid, corridor in sorted(net.links["corridor"].items()):
        out.setdefault(lid, []).append(lid)
        out.setdefault(str(corridor), []).append(lid)
    return {k: tuple(v) for k, v in out.items()}
