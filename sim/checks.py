"""Checks of a scenario against its network: every node, corridor, template, wagon type, disruption target,
flow and accommodation site it names exists, and what hosted troops leave to transit units. Each returns
Problems (errors and warnings) for the caller to report together; none raises."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import Problem
from .forces import load_templates
from .network import Network, corridor_names
from .scenario import Scenario

if TYPE_CHECKING:
    from .plan import UnitPlan


def check_names(s: Scenario, file: str, net: Network) -> list[Problem]:
    """Every node, corridor, template and wagon type the scenario names exists."""
    out = []
    nodes = set(net.nodes.index)
    corridors = corridor_names(net)
    for j, name in enumerate(s.corridors.out_of_service):
        if name not in corridors:
            out.append(Problem(file, f"corridors.out_of_service[{j}]", name, "unknown corridor or link"))
    for j, name in enumerate(s.corridors.in_service):
        if name not in corridors:
            out.append(Problem(file, f"corridors.in_service[{j}]", name, "unknown corridor or link"))
    for j, name in enumerate(s.nodes_out_of_service):
        if name not in nodes:
            out.append(Problem(file, f"nodes_out_of_service[{j}]", name, "unknown node"))
    for key in s.windows:
        if key not in corridors:
            out.append(Problem(file, f"windows.{key}", key, "unknown corridor or link"))
    for wt in s.pools.wagons:
        if wt not in net.wagon_types.index:
            out.append(Problem(file, f"pools.wagons.{wt}", wt, f"unknown wagon type; the network has {sorted(net.wagon_types.index)}"))
    builtin = set(load_templates())
    for i, f in enumerate(s.forces):
        here = f"forces[{i}]"
        if f.template not in builtin and f.template not in s.templates:
            out.append(Problem(file, f"{here}.template", f.template, f"unknown template; built-in: {sorted(builtin)}"))
        for j, call in enumerate(f.ships):
            if call.port not in net.seaports.index:
                out.append(Problem(file, f"{here}.ships[{j}].port", call.port, "unknown sea port (not in seaports.csv)"))
        for j, fl in enumerate(f.flights):
            if fl.airfield not in net.airfields.index:
                out.append(Problem(file, f"{here}.flights[{j}].airfield", fl.airfield, "unknown airfield (not in airfields.csv)"))
        if f.staging is not None and (f.staging not in net.staging.index or net.staging.at[f.staging, "role"] != "staging"):
            out.append(Problem(file, f"{here}.staging", f.staging, "unknown staging area (not a staging row in staging.csv)"))
        if f.railhead is not None and f.railhead not in net.railheads.index:
            out.append(Problem(file, f"{here}.railhead", f.railhead, "unknown railhead (not in railheads.csv)"))
        for j, x in enumerate(f.exits):
            if x not in nodes:
                out.append(Problem(file, f"{here}.exits[{j}]", x, "unknown node"))
        if not f.ships and not f.flights:
            out.append(Problem(file, here, f.id, "a force needs ships or flights"))
    ids = [f.id for f in s.forces]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        out.append(Problem(file, "forces", dup, "force id used more than once"))
    out += check_friction(s, file, net, nodes, corridors, set(ids))
    return out


def check_friction(s: Scenario, file: str, net: Network, nodes: set[str], corridors: set[str], force_ids: set[str]) -> list[Problem]:
    """Names in the disruptions, civil traffic, sustainment and accommodation sections exist."""
    out = []
    facilities = set(net.seaports.index) | set(net.airfields.index) | set(net.railheads.index) | set(net.staging.index)

    def target_problem(where: str, t: str) -> Problem | None:
        if t in corridors:
            return None
        if t in nodes and t not in facilities:
            return Problem(file, where, t, "this node has no port, airfield, railhead or staging facility to disrupt; "
                                           "name its links or corridors to close movement through it")
        if t not in nodes:
            return Problem(file, where, t, "unknown node, corridor or link")
        return None

    names = [e.name for e in s.disruptions.events]
    for j, e in enumerate(s.disruptions.events):
        p = target_problem(f"disruptions.events[{j}].target", e.target)
        out += [p] if p else []
        if e.name and names.index(e.name) < j:
            out.append(Problem(file, f"disruptions.events[{j}].name", e.name,
                               f"name already used by disruptions.events[{names.index(e.name)}]"))
        if e.at_h >= s.horizon_h:
            out.append(Problem(file, f"disruptions.events[{j}].at_h", e.at_h,
                               f"starts after the horizon ({s.horizon_h:g} h): it would never happen", "warning"))
    for j, r in enumerate(s.disruptions.random):
        for k, t in enumerate(r.targets):
            p = target_problem(f"disruptions.random[{j}].targets[{k}]", t)
            out += [p] if p else []
        if r.end_h is not None and r.end_h <= r.start_h:
            out.append(Problem(file, f"disruptions.random[{j}].end_h", r.end_h, f"must be after start_h ({r.start_h})"))
        if r.start_h >= s.horizon_h:
            out.append(Problem(file, f"disruptions.random[{j}].start_h", r.start_h,
                               f"starts after the horizon ({s.horizon_h:g} h): no event would happen", "warning"))
    c = s.civil_traffic
    for j, key in enumerate(c.military_priority_on):
        if key not in corridors and key not in net.seaports.index:
            out.append(Problem(file, f"civil_traffic.military_priority_on[{j}]", key, "unknown corridor, link or sea port"))
    road = net.links[net.links["mode"] == "road"]
    road_names = set(road["corridor"]) | set(road.index)
    for j, key in enumerate(c.road_peak_corridors or []):
        if key not in corridors:
            out.append(Problem(file, f"civil_traffic.road_peak_corridors[{j}]", key, "unknown corridor or link"))
        elif key not in road_names:
            out.append(Problem(file, f"civil_traffic.road_peak_corridors[{j}]", key, "not a road corridor or link (peaks apply to roads)"))
    flow_ids = [f.name for f in s.sustainment]
    for j, f in enumerate(s.sustainment):
        here = f"sustainment[{j}]"
        for attr in ("origin", "destination"):
            if getattr(f, attr) not in nodes:
                out.append(Problem(file, f"{here}.{attr}", getattr(f, attr), "unknown node"))
        if f.origin == f.destination:
            out.append(Problem(file, f"{here}.destination", f.destination, "same as the origin"))
        if f.end_h <= f.start_h:
            out.append(Problem(file, f"{here}.end_h", f.end_h, f"must be after start_h ({f.start_h})"))
        if f.pieces_per_day == 0 and f.persons_per_day == 0:
            out.append(Problem(file, f"{here}.pieces_per_day", 0, "a flow needs pieces_per_day or persons_per_day > 0"))
        if f.name in force_ids or flow_ids.count(f.name) > 1:
            out.append(Problem(file, f"{here}.name", f.name, "name already used by a force or another flow"))
    for j, a in enumerate(s.accommodation):
        if a.site not in net.staging.index or net.staging.at[a.site, "role"] != "staging":
            out.append(Problem(file, f"accommodation[{j}].site", a.site, "unknown site (not a staging row in staging.csv)"))
        if a.start_h >= s.horizon_h:
            out.append(Problem(file, f"accommodation[{j}].start_h", a.start_h,
                               f"starts after the horizon ({s.horizon_h:g} h)", "warning"))
    return out


def housing_warnings(s: Scenario, file: str, net: Network, units: Iterable[UnitPlan]) -> list[Problem]:
    """Units staging where hosted troops leave too few beds for them wait until those troops leave."""
    out = []
    for j, a in enumerate(s.accommodation):
        left = int(net.staging.at[a.site, "beds"]) - a.persons
        for u in sorted(units, key=lambda u: (u.force, u.unit)):
            if u.staging == a.site and u.personnel > max(left, 0):
                out.append(Problem(file, f"accommodation[{j}]", a.site,
                                   f"{u.force}/{u.unit} needs {u.personnel} beds at {a.site} but hosted troops leave "
                                   f"{max(left, 0)}: it waits until they leave (add modules or another site)", "warning"))
    return out
