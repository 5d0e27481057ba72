"""Checks of a scenario against its network: every node, corridor, template, wagon type, disruption target,
flow and accommodation site it names exists, and what hosted troops leave to transit units. Each returns
Problems (errors and warnings) for the caller to report together; none raises."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import lazy_loader

from .bands import open_hours, parse_bands
from .errors import Problem, suggest
from .forces import load_templates
from .network import Network, corridor_names, links_by_name
from .scenario import WEEKDAYS_NEED_START, Force, Scenario
from .windows import Weekly, parse_window

if TYPE_CHECKING:
    import pandas as pd

    from .plan import UnitPlan
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it


def _unknown(file: str, field: str, names: list[str], known: set[str] | pd.Index, message: str,
             listed_by: str = "") -> list[Problem]:
    """A problem for each name of a list (field[j]) that is not among the known ones, with what to write instead."""
    return [_name(file, f"{field}[{j}]", name, known, message, listed_by)
            for j, name in enumerate(names) if name not in known]


def _name(file: str, field: str, name: str, known: Iterable[str], message: str, listed_by: str = "") -> Problem:
    """An unknown name: the message, then the closest valid names, all of them, or the command that lists them."""
    hint = suggest(name, known, listed_by)
    return Problem(file, field, name, f"{message}; {hint}" if hint else message)


def check_names(s: Scenario, file: str, net: Network) -> list[Problem]:
    """Every node, corridor, template, wagon type and sea port the scenario names exists."""
    nodes = set(net.nodes.index)
    corridors = corridor_names(net)
    out = _unknown(file, "corridors.out_of_service", s.corridors.out_of_service, corridors, "unknown corridor or link",
                   "rsom list corridors")
    out += _unknown(file, "corridors.in_service", s.corridors.in_service, corridors, "unknown corridor or link",
                    "rsom list corridors")
    out += _unknown(file, "nodes_out_of_service", s.nodes_out_of_service, nodes, "unknown node")
    out += [_name(file, f"windows.{key}", key, corridors, "unknown corridor or link", "rsom list corridors")
            for key in s.windows if key not in corridors]
    out += _check_windows_on_bands(s, file, net, corridors)
    out += _check_weekday_links(s, file, net)
    out += [_name(file, f"pools.wagons.{wt}", wt, net.wagon_types.index, "unknown wagon type")
            for wt in s.pools.wagons if wt not in net.wagon_types.index]
    for i, f in enumerate(s.forces):
        out += _check_force(s, file, net, f"forces[{i}]", f)
    ids = [f.id for f in s.forces]
    out += [Problem(file, "forces", dup, "force id used more than once") for dup in sorted({x for x in ids if ids.count(x) > 1})]
    out += check_friction(s, file, net, nodes, corridors, set(ids))
    out += [_name(file, f"ports.by_port.{port}", port, net.seaports.index, "unknown sea port", "rsom list ports")
            for port in s.ports.by_port if port not in net.seaports.index]
    out += check_rail(s, file, net)
    return out


def _check_weekday_links(s: Scenario, file: str, net: Network) -> list[Problem]:
    """A link window by day of the week in the network (one the scenario's `windows` do not replace) needs the
    scenario's start, as the scenario's own weekday windows do (those are checked with the calendar)."""
    if s.start is not None:
        return []
    out = []
    replaced = set(s.windows)
    for lid, row in net.links.iterrows():
        if lid in replaced or row["corridor"] in replaced:
            continue
        try:
            weekly = isinstance(parse_window(row["window"]), Weekly)
        except ValueError:  # reported with the network's problems
            continue
        if weekly:
            out.append(Problem(net.file("links"), f"{lid}.window", row["window"],
                               f"a window by day of the week {WEEKDAYS_NEED_START} in {file}"))
    return out


def _check_windows_on_bands(s: Scenario, file: str, net: Network, corridors: set[str]) -> list[Problem]:
    """A scenario window on a link with path bands leaves some hour in which a band offers paths (trains enter
    such a link only when both are open)."""
    out = []
    by_name = links_by_name(net)
    for key, text in sorted(s.windows.items()):
        if key not in corridors:
            continue
        window = parse_window(text)
        for lid in by_name[key]:
            try:
                bands = parse_bands(net.links.at[lid, "path_bands"])
            except ValueError:  # reported with the network's problems
                continue
            spans = tuple((a, b) for a, b, n in bands if n > 0)
            if bands and open_hours(spans, window) <= 0:
                out.append(Problem(file, f"windows.{key}", text, f"leaves link {lid} no hour in which its path bands "
                                                                 f"({net.links.at[lid, 'path_bands']}) offer a path"))
    return out


def check_rail(s: Scenario, file: str, net: Network) -> list[Problem]:
    """Rolling stock starts at known nodes, and only pools the scenario has are placed; far ends are exits
    some force or flow uses."""
    kinds = {*s.pools.wagons, "train_sets"}
    out = [Problem(file, f"rail.yards.{kind}", kind, f"not a pool of rolling stock ({sorted(kinds)})")
           for kind in sorted(s.rail.yards) if kind not in kinds]
    out += [Problem(file, f"rail.yards.{kind}", yard, "unknown node") for kind, yard in sorted(s.rail.yards.items())
            if yard not in net.nodes.index]
    exits = ({x for f in s.forces for x in f.exits} | {fl.destination for fl in s.sustainment}
             | {line.destination for line in s.deployment if line.destination})
    out += [Problem(file, f"rail.far_ends.{x}", x, f"not an exit of any force or flow ({sorted(exits)})")
            for x in sorted(s.rail.far_ends) if x not in exits]
    return out


def _check_force(s: Scenario, file: str, net: Network, here: str, f: Force) -> list[Problem]:
    """The template, ports, airfields, staging area, railhead and exits one force names exist."""
    builtin = set(load_templates())
    out = []
    if f.template is not None and f.template not in builtin and f.template not in s.templates:
        out.append(_name(file, f"{here}.template", f.template, builtin | set(s.templates), "unknown template",
                         "rsom list templates"))
    out += [_name(file, f"{here}.ships[{j}].port", c.port, net.seaports.index, "unknown sea port", "rsom list ports")
            for j, c in enumerate(f.ships) if c.port not in net.seaports.index]
    out += [_name(file, f"{here}.flights[{j}].airfield", fl.airfield, net.airfields.index, "unknown airfield",
                  "rsom list airfields")
            for j, fl in enumerate(f.flights) if fl.airfield not in net.airfields.index]
    if f.staging is not None and (f.staging not in net.staging.index or net.staging.at[f.staging, "role"] != "staging"):
        areas = net.staging.index[net.staging["role"] == "staging"]
        out.append(_name(file, f"{here}.staging", f.staging, areas, "unknown staging area (not a staging row in staging.csv)"))
    if f.railhead is not None and f.railhead not in net.railheads.index:
        out.append(_name(file, f"{here}.railhead", f.railhead, net.railheads.index, "unknown railhead",
                         "rsom list railheads"))
    exits = net.nodes.index[net.nodes["kind"] == "exit"] if "kind" in net.nodes else net.nodes.index
    out += [_name(file, f"{here}.exits[{j}]", x, exits if len(exits) else net.nodes.index, "unknown node", "rsom list exits")
            for j, x in enumerate(f.exits) if x not in net.nodes.index]
    if not f.ships and not f.flights and f.template is not None:
        out.append(Problem(file, here, f.id, "a force needs ships or flights"))
    if f.lift is not None and f.template is not None:
        out.append(Problem(file, f"{here}.lift", None, "lift plans ships and flights from deployment list lines; a "
                                                      "force with a template gives its ships and flights"))
    return out


def check_friction(s: Scenario, file: str, net: Network, nodes: set[str], corridors: set[str], force_ids: set[str]) -> list[Problem]:
    """Names in the disruptions, civil traffic, sustainment and accommodation sections exist."""
    return (_check_disruptions(s, file, net, nodes, corridors) + _check_civil(s, file, net, corridors)
            + _check_flows(s, file, nodes, force_ids) + _check_accommodation(s, file, net))


def disruption_target_problems(file: str, where: str, target: str, net: Network, nodes: set[str],
                               corridors: set[str]) -> list[Problem]:
    """What is wrong with a disruption's target (none if it is a corridor, a link or a node with a facility)."""
    facilities = set(net.seaports.index) | set(net.airfields.index) | set(net.railheads.index) | set(net.staging.index)
    if target in corridors or (target in facilities and target in nodes):
        return []
    if target in nodes:
        return [Problem(file, where, target, "this node has no port, airfield, railhead or staging facility to "
                                             "disrupt; name its links or corridors to close movement through it")]
    return [_name(file, where, target, corridors | (facilities & nodes), "unknown node, corridor or link")]


def _check_disruptions(s: Scenario, file: str, net: Network, nodes: set[str], corridors: set[str]) -> list[Problem]:
    """Disruption targets are corridors, links or nodes with a facility; names are unique; events fall in the run."""
    def target_problem(where: str, t: str) -> list[Problem]:
        return disruption_target_problems(file, where, t, net, nodes, corridors)

    out = []
    names = [e.name for e in s.disruptions.events]
    for j, e in enumerate(s.disruptions.events):
        out += target_problem(f"disruptions.events[{j}].target", e.target)
        if e.name and names.index(e.name) < j:
            out.append(Problem(file, f"disruptions.events[{j}].name", e.name,
                               f"name already used by disruptions.events[{names.index(e.name)}]"))
        if e.at_h >= s.horizon_h:
            out.append(Problem(file, f"disruptions.events[{j}].at_h", e.at_h,
                               f"starts after the horizon ({s.horizon_h:g} h): it would never happen", "warning"))
    for j, r in enumerate(s.disruptions.random):
        for k, t in enumerate(r.targets):
            out += target_problem(f"disruptions.random[{j}].targets[{k}]", t)
        if r.end_h is not None and r.end_h <= r.start_h:
            out.append(Problem(file, f"disruptions.random[{j}].end_h", r.end_h, f"must be after start_h ({r.start_h})"))
        if r.start_h >= s.horizon_h:
            out.append(Problem(file, f"disruptions.random[{j}].start_h", r.start_h,
                               f"starts after the horizon ({s.horizon_h:g} h): no event would happen", "warning"))
    return out


def _check_civil(s: Scenario, file: str, net: Network, corridors: set[str]) -> list[Problem]:
    """Military priority names corridors, links or sea ports; road peaks name road corridors or links."""
    c = s.civil_traffic
    out = _unknown(file, "civil_traffic.military_priority_on", c.military_priority_on,
                   corridors | set(net.seaports.index), "unknown corridor, link or sea port")
    road = net.links[net.links["mode"] == "road"]
    road_names = set(road["corridor"]) | set(road.index)
    for j, key in enumerate(c.road_peak_corridors or []):
        if key not in corridors:
            out.append(Problem(file, f"civil_traffic.road_peak_corridors[{j}]", key, "unknown corridor or link"))
        elif key not in road_names:
            out.append(Problem(file, f"civil_traffic.road_peak_corridors[{j}]", key,
                               "not a road corridor or link (peaks apply to roads)"))
    return out


def _check_flows(s: Scenario, file: str, nodes: set[str], force_ids: set[str]) -> list[Problem]:
    """Each sustainment flow runs between two known nodes, over a window, carries something, has its own name."""
    out = []
    flow_ids = [f.name for f in s.sustainment]
    for j, f in enumerate(s.sustainment):
        here = f"sustainment[{j}]"
        out += [Problem(file, f"{here}.{attr}", getattr(f, attr), "unknown node")
                for attr in ("origin", "destination") if getattr(f, attr) not in nodes]
        if f.origin == f.destination:
            out.append(Problem(file, f"{here}.destination", f.destination, "same as the origin"))
        if f.end_h <= f.start_h:
            out.append(Problem(file, f"{here}.end_h", f.end_h, f"must be after start_h ({f.start_h})"))
        if f.pieces_per_day == 0 and f.persons_per_day == 0:
            out.append(Problem(file, f"{here}.pieces_per_day", 0, "a flow needs pieces_per_day or persons_per_day > 0"))
        if f.name in force_ids or flow_ids.count(f.name) > 1:
            out.append(Problem(file, f"{here}.name", f.name, "name already used by a force or another flow"))
    return out


def _check_accommodation(s: Scenario, file: str, net: Network) -> list[Problem]:
    """Troops are housed at staging sites, from a time within the run."""
    out = []
    for j, a in enumerate(s.accommodation):
        if a.site not in net.staging.index or net.staging.at[a.site, "role"] != "staging":
            out.append(Problem(file, f"accommodation[{j}].site", a.site, "unknown site (not a staging row in staging.csv)"))
        if a.start_h >= s.horizon_h:
            out.append(Problem(file, f"accommodation[{j}].start_h", a.start_h,
                               f"starts after the horizon ({s.horizon_h:g} h)", "warning"))
    return out


def housing_warnings(s: Scenario, file: str, net: Network, units: Iterable[UnitPlan]) -> list[Problem]:
    """Units staging where hosted troops leave too few beds for them wait until those troops leave."""
    ordered = sorted(units, key=lambda u: (u.force, u.unit))
    out = []
    for j, a in enumerate(s.accommodation):
        left = max(int(net.staging.at[a.site, "beds"]) - a.persons, 0)
        out += [Problem(file, f"accommodation[{j}]", a.site,
                        f"{u.force}/{u.unit} needs {u.personnel} beds at {a.site} but hosted troops leave {left}: "
                        "it waits until they leave (add modules or another site)", "warning")
                for u in ordered if u.staging == a.site and u.personnel > left]
    return out
