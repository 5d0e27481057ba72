"""Every change a scenario makes to its network, applied in one pure pass: investments, a sweep's parameters
and accommodation modules (table and pool changes), time windows, civil traffic's share of paths, berths and
road hours, and corridors and nodes taken out of or put into service. The network read from disk is never
changed: `apply_changes` returns a new one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import lazy_loader
from pydantic import ValidationError

from .errors import InputError, Problem, skipped
from .investments import ANY, OPTIONAL_POOLS, Change, Investment, apply_to_pools, apply_to_tables, check_changes
from .network import DISCHARGE_COLUMNS, TABLES, Network, catalogue
from .scenario import MODULE_BEDS, Pools, Scenario
from .windows import subtract

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it


@dataclass(frozen=True)
class Changed:
    """The network and pools a scenario runs on, and what was changed to get them."""

    network: Network
    pools: Pools
    investments: tuple[Investment, ...]  # the investments applied, in the scenario's order
    changes: tuple[Change, ...]  # every table and pool change applied, in order (investments, parameters, modules)
    civil: list[dict]  # one row per resource civil traffic shares: what it uses and what is left
    warnings: list[Problem]  # what the changes make of the run that the user should know before it starts


def apply_changes(scenario: Scenario, file: str, net: Network, extra_changes: list[Change] | None = None) -> Changed:
    """The network and pools after the scenario's investments, then `extra_changes` (a sweep's parameters), then
    its accommodation modules; then its windows, civil traffic and corridors or nodes in or out of service.
    Raises InputError with every problem found."""
    applied, problems = _investments(scenario, file, net)
    left_out = [p for p in problems if p.severity != "error"]  # investments not in service on as_of
    problems = [p for p in problems if p.severity == "error"]
    housing = [Change("staging", a.site, "beds", "add", float(MODULE_BEDS * a.modules))
               for a in scenario.accommodation if a.modules and a.site in net.staging.index]
    extra = list(extra_changes or []) + housing
    if extra:
        params = Investment("(parameters)", 0.0, 0, "", tuple(extra))
        problems += check_changes({params.name: params}, {t: net.table(t) for t in TABLES}, file)
    if problems:  # the tables the later steps check are those after the investments: they are not checked
        raise InputError(problems, [skipped(file, "civil traffic and corridors in or out of service (they apply "
                                                  "after the investments)")])
    changes = [ch for inv in applied for ch in inv.changes] + extra
    tables = {t: net.table(t) for t in TABLES}
    pools = scenario.pools
    if changes:
        tables = apply_to_tables(tables, changes)
        try:
            pools = Pools(**apply_to_pools(scenario.pools.model_dump(), changes))
        except ValidationError as exc:  # the pools: civil traffic, on the tables, is checked all the same
            problems += [Problem(file, f"pools.{'.'.join(str(x) for x in e['loc'])}", e.get("input"),
                                 f"after investments and parameters: {e['msg']}") for e in exc.errors()]
    problems += [Problem(file, "pools." + ch.key, None, f"{ch}: the scenario sets no {ch.key} pool, so this change "
                                                        f"does nothing (set pools.{ch.key} to represent the pool)",
                         "warning")
                 for ch in changes if ch.table == "pools" and ch.key in OPTIONAL_POOLS
                 and getattr(scenario.pools, ch.key) is None]
    problems += _idle_disruption_changes(scenario, file, [(i.name, i.changes) for i in applied] + [("(parameters)", extra)])
    tables["links"] = _windows(scenario, tables["links"])
    tables["links"], tables["seaports"], civil, civil_problems = _civil_traffic(scenario, file, tables["links"],
                                                                                tables["seaports"])
    problems += civil_problems
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    tables["links"], tables["nodes"] = _service(scenario, tables["links"], tables["nodes"])
    return Changed(replace(net, **tables), pools, tuple(applied), tuple(changes), civil, left_out + problems)


def _idle_disruption_changes(s: Scenario, file: str, groups: list[tuple[str, Sequence[Change]]]) -> list[Problem]:
    """A warning per investment (or the parameters) whose changes to disruptions match no disruption of the
    scenario by kind and target (a rate: no random one): it changes nothing in this case, which a zero saving
    should be read with."""
    events = [(e.kind, e.target) for e in s.disruptions.events]
    random = [(r.kind, t) for r in s.disruptions.random for t in r.targets]
    out = []
    for name, changes in groups:
        mine = [ch for ch in changes if ch.table == "disruptions"]

        def acts(ch: Change) -> bool:
            kind, _, effect = ch.attribute.partition(".")
            return any(ch.key in (ANY, t) and kind in (ANY, k)
                       for k, t in (random + events if effect == "duration_h" else random))
        if mine and not any(acts(ch) for ch in mine):
            out.append(Problem(file, "disruptions", name, "its changes to disruptions match no disruption of this "
                                                          "scenario by kind and target, so it changes nothing here",
                               "warning"))
    return out


def _service(s: Scenario, links: pd.DataFrame, nodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corridors or links put in service, then those taken out (out wins), and nodes taken out of service."""
    c = s.corridors
    if not (c.in_service or c.out_of_service or s.nodes_out_of_service):
        return links, nodes
    links, nodes = links.copy(), nodes.copy()
    opened = links["corridor"].isin(c.in_service) | links.index.isin(c.in_service)
    closed = links["corridor"].isin(c.out_of_service) | links.index.isin(c.out_of_service)
    links.loc[opened, "in_service"] = True
    links.loc[closed, "in_service"] = False
    nodes.loc[nodes.index.isin(s.nodes_out_of_service), "in_service"] = False
    return links, nodes


def known_investments(s: Scenario, net: Network) -> dict[str, Investment]:
    """The investments a scenario can apply: its network's table and its own definitions (which win)."""
    known = dict(catalogue(net))
    for spec in s.custom_investments:
        known[spec.name] = Investment(spec.name, spec.cost_eur, spec.first_year, spec.description,
                                      tuple(Change(c.table, c.key, c.attribute, c.op, c.value) for c in spec.changes))
    return known


def _investments(s: Scenario, file: str, net: Network) -> tuple[list[Investment], list[Problem]]:
    """The investments a scenario applies, and the problems with its own definitions and names."""
    known = known_investments(s, net)
    problems = check_changes({i.name: known[i.name] for i in s.custom_investments}, {t: net.table(t) for t in TABLES}, file)
    applied = []
    for j, name in enumerate(s.investments):
        if name not in known:
            problems.append(Problem(file, f"investments[{j}]", name, f"unknown investment; known: {sorted(known)}"))
        elif not known[name].in_service(s.as_of):
            problems.append(Problem(file, f"investments[{j}]", name, f"not in service on {s.as_of} (as_of): its first "
                                    f"year is {known[name].first_year}; left out", "warning"))
        else:
            applied.append(known[name])
    return applied, problems


def _windows(scenario: Scenario, links: pd.DataFrame) -> pd.DataFrame:
    """Links with the scenario's time windows (by corridor or link id)."""
    if not scenario.windows:
        return links
    links = links.copy()
    for key, text in sorted(scenario.windows.items()):
        mask = (links["corridor"] == key) | (links.index == key)
        links.loc[mask, "window"] = text
    return links


def _civil_traffic(s: Scenario, file: str, links: pd.DataFrame,
                   ports: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[dict], list[Problem]]:
    """Capacity left to the military by civil traffic: rail paths (under civil priority, the military gets
    at most what civil trains leave of the line's capacity), berths, and road links closed in peak hours.
    Returns the changed links and ports and one row per shared resource for the results."""
    c = s.civil_traffic
    if c.level == 0 and not c.road_peaks:
        return links, ports, [], []
    links, ports = links.copy(), ports.copy()
    first = set(c.military_priority_on)
    rows, problems = [], []
    for lid in sorted(links.index):
        r = links.loc[lid]
        military_first = c.priority == "military" or lid in first or r["corridor"] in first
        if r["mode"] == "rail" and (r["civil_trains_per_day"] or 0) > 0 and c.level > 0:
            cap = float(r["capacity_trains_per_day"])
            civil = c.level * float(r["civil_trains_per_day"])
            free = max(0.0, cap - civil)
            paths = float(r["paths_per_day"]) if military_first else min(float(r["paths_per_day"]), free)
            links.at[lid, "paths_per_day"] = paths
            rows.append({"kind": "rail", "key": lid, "capacity": cap, "civil": civil, "free": free,
                         "military": paths, "military_first": military_first, "unit": "trains/day each way"})
        peaks_here = c.road_peak_corridors is None or lid in c.road_peak_corridors or r["corridor"] in c.road_peak_corridors
        if r["mode"] == "road" and c.road_peaks and peaks_here:
            if not military_first:
                try:
                    links.at[lid, "window"] = subtract(r["window"], c.road_peaks)
                except ValueError as exc:
                    problems.append(Problem(file, "civil_traffic.road_peaks", c.road_peaks, f"link {lid}: {exc}"))
            rows.append({"kind": "road", "key": lid, "capacity": 0.0, "civil": 0.0, "free": 0.0, "military": 0.0,
                         "military_first": military_first, "unit": c.road_peaks})
    for port in sorted(ports.index):
        r = ports.loc[port]
        if (r["civil_berths"] or 0) > 0 and c.level > 0:
            # commercial ships share the berths in time: under civil priority the military berths work only
            # the share of hours the commercial ships leave (discharge rate scaled), none when they leave nothing
            military_first = c.priority == "military" or port in first
            cap, civil = float(r["berths"]), c.level * float(r["civil_berths"])
            free = max(0.0, cap - civil)
            if not military_first:
                if free <= 1e-9:
                    ports.at[port, "berths"] = 0
                    problems += _no_berth_left(s, file, port, c.level)
                else:
                    for col in ("discharge_pph", *DISCHARGE_COLUMNS.values()):  # every class's rate, where given
                        if col in ports.columns and not pd.isna(r[col]):  # an empty cell keeps the fallback
                            ports.at[port, col] = float(r[col]) * free / cap
            rows.append({"kind": "berth", "key": port, "capacity": cap, "civil": civil, "free": free,
                         "military": cap if military_first else free, "military_first": military_first,
                         "unit": "berths"})
    return links, ports, rows, problems


def _no_berth_left(s: Scenario, file: str, port: str, level: float) -> list[Problem]:
    """Civil traffic that takes every berth of a port where forces' ships call: those ships wait for ever. A
    warning, not an error: a study may well compare such a case with an investment that frees a berth."""
    calls = [f"forces[{i}].ships[{j}]" for i, f in enumerate(s.forces) for j, c in enumerate(f.ships) if c.port == port]
    if not calls:
        return []
    return [Problem(file, "civil_traffic.level", level,
                    f"commercial ships take every berth at {port} under civil priority, so the ship calls there "
                    f"({', '.join(calls)}) wait for ever and the forces cannot close: set civil_traffic.priority: "
                    f"military, add {port} to civil_traffic.military_priority_on, lower the level or add berths",
                    "warning")]
