"""Compile a scenario against its network: concrete pieces with their mode and routes, ship calls with
manifests, flights with personnel. Every cross-reference is checked here and reported as a Problem."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from pydantic import ValidationError

from .errors import InputError, Problem
from .forces import Template, Unit, load_templates
from .investments import Change, Investment, apply_to_pools, apply_to_tables, check_changes
from .network import PIECE_CLASSES, TABLES, Network, build_graph, catalogue, corridor_names, links_by_name, load_network
from .paths import networks_dir
from .routing import Route, Router
from .scenario import MODULE_BEDS, Flow, Force, Pools, Scenario, read_scenario
from .windows import subtract

EARTH_KM = 6371.0


@dataclass(frozen=True)
class PiecePlan:
    """Static facts of one piece: who it belongs to, how and where it moves."""

    pid: int
    force: str
    unit: str
    cls: str
    mode: str
    entry: str
    exit: str
    railhead: str | None = None  # rail: loading railhead
    to_origin: Route = ()  # road leg from the entry to the railhead or staging area (may be empty)
    route: Route = ()  # main leg: rail, road (from staging), het (from entry) or water
    air_km: float = 0.0  # air: great-circle distance
    flow: bool = False  # a piece of a sustainment flow (not of a force: it does not count towards closure)


@dataclass(frozen=True)
class ShipPlan:
    """One ship call with its manifest (piece ids)."""

    sid: int
    force: str
    port: str
    at_h: float
    pids: tuple[int, ...]


@dataclass(frozen=True)
class FlightPlan:
    """One flight with its personnel by unit and its airlifted pieces."""

    fid: int
    force: str
    airfield: str
    at_h: float
    parties: tuple[tuple[str, int], ...]  # (unit, persons)
    pids: tuple[int, ...]


@dataclass(frozen=True)
class FlowPlan:
    """A sustainment flow compiled: its arrivals in time order as (t, piece id or -1, persons)."""

    name: str
    origin: str
    destination: str
    mode: str
    direction: str  # east or west, from the longitudes of origin and destination
    start_h: float
    end_h: float
    arrivals: tuple[tuple[float, int, int], ...]
    person_route: Route = ()


@dataclass(frozen=True)
class UnitPlan:
    """Marry-up facts of one unit at its staging area."""

    force: str
    unit: str
    staging: str | None
    road_pieces: int  # pieces that march from the staging area
    personnel: int
    exit: str  # where the personnel go (nearest road exit)
    exit_route: Route


@dataclass
class Plan:
    """Everything the model needs, compiled and checked."""

    scenario: Scenario
    file: str
    network: Network
    graph: nx.MultiDiGraph
    router: Router
    templates: dict[str, Template]
    pieces: list[PiecePlan] = field(default_factory=list)
    ships: list[ShipPlan] = field(default_factory=list)
    flights: list[FlightPlan] = field(default_factory=list)
    units: dict[tuple[str, str], UnitPlan] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    investments: tuple = ()  # the Investment objects applied
    flows: list[FlowPlan] = field(default_factory=list)
    civil: list[dict] = field(default_factory=list)  # shared capacity: what civil traffic uses and what is left
    links_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # corridor name or link id -> link ids
    scenario_as_written: Scenario | None = None  # before investments and parameters changed its pools

    @property
    def personnel_total(self) -> int:
        return sum(u.personnel for u in self.units.values())


def great_circle_km(net: Network, a: str, b: str) -> float:
    """Great-circle distance between two nodes (km)."""
    la1, lo1, la2, lo2 = (math.radians(x) for x in (net.nodes.at[a, "lat"], net.nodes.at[a, "lon"],
                                                      net.nodes.at[b, "lat"], net.nodes.at[b, "lon"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def resolve_network(scenario: Scenario, scenario_file: Path) -> Path:
    """A network name is a folder under networks/; otherwise a path relative to the scenario file."""
    candidate = networks_dir() / scenario.network
    if candidate.is_dir():
        return candidate
    return (scenario_file.parent / scenario.network).resolve()


def load_plan(path: Path | str) -> Plan:
    """Read, validate and compile a scenario file; raises InputError with every problem found."""
    path = Path(path)
    scenario = read_scenario(path)
    return compile_plan(scenario, str(path), resolve_network(scenario, path))


def compile_plan(scenario: Scenario, file: str, network_folder: Path, extra_changes: list[Change] | None = None) -> Plan:
    """Compile a validated scenario against a network folder; `extra_changes` (e.g. a sweep's parameters)
    apply after the scenario's investments."""
    if not network_folder.is_dir():
        raise InputError([Problem(file, "network", scenario.network, f"no network folder at {network_folder}")])
    as_written = scenario
    net = load_network(network_folder)
    problems = [p for p in net.problems if p.severity == "error"]
    warnings = [p for p in net.problems if p.severity == "warning"]
    templates = load_templates(problems=problems)
    named = _check_names(scenario, file, net)  # reported together with the network's own problems
    problems += [p for p in named if p.severity == "error"]
    warnings += [p for p in named if p.severity != "error"]
    applied, more = _investments(scenario, file, net)
    problems += more
    housing = [Change("staging", a.site, "beds", "add", float(MODULE_BEDS * a.modules))
               for a in scenario.accommodation if a.modules and a.site in net.staging.index]
    if housing:
        extra_changes = list(extra_changes or []) + housing
    if extra_changes:
        extra = Investment("(parameters)", 0.0, 0, "", tuple(extra_changes))
        problems += check_changes({extra.name: extra}, {t: net.table(t) for t in TABLES}, file)
    if problems:
        raise InputError(problems)
    if applied or extra_changes:
        changes = [ch for inv in applied for ch in inv.changes] + list(extra_changes or [])
        tables = apply_to_tables({t: net.table(t) for t in TABLES}, changes)
        net = Network(**{**net.__dict__, **tables})
        try:
            pools = Pools(**apply_to_pools(scenario.pools.model_dump(), changes))
        except ValidationError as exc:
            raise InputError([Problem(file, f"pools.{'.'.join(str(x) for x in e['loc'])}", e.get("input"),
                                      f"after investments and parameters: {e['msg']}") for e in exc.errors()]) from None
        scenario = scenario.model_copy(update={"pools": pools})
    net = _apply_windows(scenario, net)
    net, civil, more = _civil_traffic(scenario, file, net)
    problems += more
    if problems:
        raise InputError(problems)
    graph = build_graph(net, frozenset(scenario.corridors.out_of_service), frozenset(scenario.corridors.in_service),
                        frozenset(scenario.nodes_out_of_service))
    for name, units in scenario.templates.items():
        templates[name] = tuple(
            Unit(u.unit, u.personnel, tuple((c, getattr(u, c)) for c in PIECE_CLASSES)) for u in units
        )
    plan = Plan(scenario, file, net, graph, Router(graph), templates, warnings=warnings, investments=tuple(applied),
                civil=civil, links_of=links_by_name(net), scenario_as_written=as_written)
    for i, force in enumerate(scenario.forces):
        problems += _compile_force(plan, i, force)
    for i, flow in enumerate(scenario.sustainment):
        problems += _compile_flow(plan, i, flow)
    plan.warnings += _housing_warnings(plan)
    if problems:
        raise InputError(problems)
    return plan


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
        else:
            applied.append(known[name])
    return applied, problems


def _apply_windows(scenario: Scenario, net: Network) -> Network:
    if not scenario.windows:
        return net
    links = net.links.copy()
    for key, text in sorted(scenario.windows.items()):
        mask = (links["corridor"] == key) | (links.index == key)
        links.loc[mask, "window"] = text
    net = Network(**{**net.__dict__, "links": links})
    return net


def _check_names(s: Scenario, file: str, net: Network) -> list[Problem]:
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
    out += _check_friction(s, file, net, nodes, corridors, set(ids))
    return out


def _check_friction(s: Scenario, file: str, net: Network, nodes: set[str], corridors: set[str], force_ids: set[str]) -> list[Problem]:
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


def _civil_traffic(s: Scenario, file: str, net: Network) -> tuple[Network, list[dict], list[Problem]]:
    """Capacity left to the military by civil traffic: rail paths (under civil priority, the military gets
    at most what civil trains leave of the line's capacity), berths, and road links closed in peak hours.
    Returns the changed network and one row per shared resource for the results."""
    c = s.civil_traffic
    if c.level == 0 and not c.road_peaks:
        return net, [], []
    links, ports = net.links.copy(), net.seaports.copy()
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
                else:
                    ports.at[port, "discharge_pph"] = float(r["discharge_pph"]) * free / cap
            rows.append({"kind": "berth", "key": port, "capacity": cap, "civil": civil, "free": free,
                         "military": cap if military_first else free, "military_first": military_first,
                         "unit": "berths"})
    return Network(**{**net.__dict__, "links": links, "seaports": ports}), rows, problems


def _housing_warnings(plan: Plan) -> list[Problem]:
    """Units staging where hosted troops leave too few beds for them wait until those troops leave."""
    out = []
    s, net = plan.scenario, plan.network
    for j, a in enumerate(s.accommodation):
        left = int(net.staging.at[a.site, "beds"]) - a.persons
        for (force, unit), u in sorted(plan.units.items()):
            if u.staging == a.site and u.personnel > max(left, 0):
                out.append(Problem(plan.file, f"accommodation[{j}]", a.site,
                                   f"{force}/{unit} needs {u.personnel} beds at {a.site} but hosted troops leave {max(left, 0)}: "
                                   "it waits until they leave (add modules or another site)", "warning"))
    return out


def _compile_flow(plan: Plan, i: int, flow: Flow) -> list[Problem]:
    """Pieces and persons of a sustainment flow, spread evenly over its window."""
    file, net, router = plan.file, plan.network, plan.router
    here = f"sustainment[{i}]"
    if flow.origin not in plan.graph or flow.destination not in plan.graph:
        return [Problem(file, here, f"{flow.origin}->{flow.destination}", "origin or destination out of service")]
    out: list[Problem] = []
    arrivals: list[tuple[float, int, int]] = []
    hours = flow.end_h - flow.start_h
    if flow.pieces_per_day > 0:
        pseudo = Force(id=flow.name, template="-", exits=[flow.destination], ships=[])
        opt = _mode_options(plan, pseudo, flow.origin, flow.cls, flow.mode)
        if opt is None:
            out.append(Problem(file, f"{here}.mode", flow.mode,
                               f"{flow.cls} cannot go by {flow.mode} from {flow.origin} to {flow.destination}"))
        else:
            n = math.floor(flow.pieces_per_day * hours / 24.0 + 1e-9)
            if n == 0:
                out.append(Problem(file, f"{here}.pieces_per_day", flow.pieces_per_day,
                                   f"less than one piece in the flow's {hours:g} h"))
            for k in range(n):
                pid = len(plan.pieces)
                plan.pieces.append(PiecePlan(pid, flow.name, flow.name, flow.cls, flow.mode, flow.origin, flow=True, **opt))
                arrivals.append((flow.start_h + k * 24.0 / flow.pieces_per_day, pid, 0))
    persons, route = 0, ()
    if flow.persons_per_day > 0:
        found = router.route("road", flow.origin, flow.destination)
        if found is None:
            out.append(Problem(file, f"{here}.persons_per_day", flow.persons_per_day,
                               f"no road from {flow.origin} to {flow.destination} for buses"))
        else:
            route = found
            day = 0
            while flow.start_h + 24.0 * day < flow.end_h - 1e-9:
                share = min(24.0, flow.end_h - flow.start_h - 24.0 * day) / 24.0
                n = int(round(flow.persons_per_day * share))
                if n:
                    arrivals.append((flow.start_h + 24.0 * day, -1, n))
                    persons += n
                day += 1
    if out:
        return out
    plan.units[(flow.name, flow.name)] = UnitPlan(flow.name, flow.name, None, 0, persons, flow.destination, route)
    lon = net.nodes["lon"]
    direction = "east" if float(lon[flow.destination]) >= float(lon[flow.origin]) else "west"
    plan.flows.append(FlowPlan(flow.name, flow.origin, flow.destination, flow.mode, direction, flow.start_h,
                               flow.end_h, tuple(sorted(arrivals)), route))
    return out


def _speed(plan: Plan, cls: str) -> float:
    return float(plan.network.piece_classes.at[cls, "road_speed_kmh"])


def _mode_options(plan: Plan, force: Force, entry: str, cls: str, mode: str) -> dict | None:
    """Routes for one piece class by one mode from an entry node, or None when the mode cannot serve it."""
    net, router, s = plan.network, plan.router, plan.scenario
    row = net.piece_classes.loc[cls]
    speed = _speed(plan, cls)
    exits = list(force.exits)
    if entry not in plan.graph:
        return None
    if mode == "rail":
        wt = row["wagon_type"]
        if not wt or wt not in s.pools.wagons:
            return None
        heads = [force.railhead] if force.railhead else sorted(net.railheads.index)
        best = None
        for head in heads:
            if head not in plan.graph or head in exits:
                continue
            access = () if head == entry else (router.route("road", entry, head, speed) if speed > 0 else None)
            if access is None:
                continue
            found = router.nearest("rail", head, exits)
            if found is None:
                continue
            score = (sum(leg.hours(speed) for leg in access), head)
            if best is None or score < best[0]:
                best = (score, dict(railhead=head, to_origin=access, exit=found[0], route=found[1]))
        return None if best is None else best[1]
    if mode == "road":
        if speed <= 0:
            return None
        start = force.staging or entry
        access = () if start == entry else router.route("road", entry, start, speed)
        if access is None:
            return None
        found = router.nearest("road", start, exits, speed)
        if found is None:
            return None
        return dict(to_origin=access, exit=found[0], route=found[1])
    if mode == "het":
        found = router.nearest("road", entry, exits, s.het.speed_kmh)
        return None if found is None else dict(exit=found[0], route=found[1])
    if mode == "barge":
        if not row["barge_share"]:
            return None
        found = router.nearest("water", entry, exits)
        return None if found is None else dict(exit=found[0], route=found[1])
    if mode == "air":
        if not row["air_speed_kmh"]:
            return None
        live = [x for x in exits if x in plan.graph]
        if not live:
            return None
        x = min(live, key=lambda n: (great_circle_km(net, entry, n), n))
        return dict(exit=x, air_km=great_circle_km(net, entry, x))
    return None


def _compile_force(plan: Plan, i: int, force: Force) -> list[Problem]:
    file, s, net = plan.file, plan.scenario, plan.network
    here = f"forces[{i}]"
    out: list[Problem] = []
    template = plan.templates[force.template]
    pieces_list = [(u.name, c) for u in template for c, n in u.pieces for _ in range(n)]
    n_pieces = len(pieces_list)
    airlift = sum(fl.count * fl.pieces for fl in force.flights)
    by_sea = n_pieces - airlift
    if by_sea < 0:
        out.append(Problem(file, f"{here}.flights", airlift, f"flights carry more pieces than template {force.template} has ({n_pieces})"))
        return out
    given = [c.pieces for c in force.ships]
    if force.ships and all(g is None for g in given):
        base, extra = divmod(by_sea, len(force.ships))
        counts = [base + (1 if j < extra else 0) for j in range(len(force.ships))]
    elif any(g is None for g in given):
        out.append(Problem(file, f"{here}.ships", None, "give pieces on every ship call or on none"))
        return out
    else:
        counts = list(given)  # type: ignore[arg-type]
    if sum(counts) != by_sea:
        out.append(Problem(file, f"{here}.ships", sum(counts),
                           f"ship manifests carry {sum(counts)} pieces but {by_sea} of the {n_pieces} pieces of {force.template} must come by sea"))
        return out
    personnel = sum(u.personnel for u in template)
    seats = sum(fl.count * fl.pax for fl in force.flights)
    if seats < personnel:
        out.append(Problem(file, f"{here}.flights", seats, f"flights seat {seats} persons but {force.template} has {personnel}"))
        return out

    # Deal pieces to ships, then to flights, in unit order.
    cursor = 0
    arrivals: list[tuple[str, str, int]] = []  # (kind, node, index) per piece
    pid0 = len(plan.pieces)
    for j, (call, n) in enumerate(zip(force.ships, counts)):
        pids = tuple(range(pid0 + cursor, pid0 + cursor + n))
        plan.ships.append(ShipPlan(len(plan.ships), force.id, call.port, call.at_h, pids))
        arrivals += [(call.port, f"{here}.ships[{j}]")] * n  # type: ignore[list-item]
        cursor += n
    remaining_pax = [[u.name, u.personnel] for u in template]
    for j, fl in enumerate(force.flights):
        for k in range(fl.count):
            pids = tuple(range(pid0 + cursor, pid0 + cursor + fl.pieces))
            arrivals += [(fl.airfield, f"{here}.flights[{j}]")] * fl.pieces  # type: ignore[list-item]
            cursor += fl.pieces
            seats_left, parties = fl.pax, []
            for entry in remaining_pax:
                if seats_left == 0:
                    break
                take = min(seats_left, entry[1])
                if take:
                    parties.append((entry[0], take))
                    entry[1] -= take
                    seats_left -= take
            if parties or pids:
                plan.flights.append(FlightPlan(len(plan.flights), force.id, fl.airfield, fl.at_h + k * fl.every_h,
                                               tuple(parties), pids))

    rules = {**s.modes, **(force.modes or {})}
    cache: dict[tuple[str, str], tuple[str, dict] | None] = {}
    for (unit, cls), (entry, where) in zip(pieces_list, arrivals):
        key = (entry, cls)
        if key not in cache:
            choice = None
            for mode in rules.get(cls, []):  # type: ignore[call-overload]
                opt = _mode_options(plan, force, entry, cls, mode)
                if opt is not None:
                    choice = (mode, opt)
                    break
            cache[key] = choice
            if choice is None:
                modes = rules.get(cls, [])  # type: ignore[call-overload]
                out.append(Problem(file, where, f"{cls} from {entry}",
                                   f"no path to any of the exits {force.exits} by the modes allowed for {cls}: {modes}"))
        choice = cache[key]
        if choice is None:
            continue
        mode, opt = choice
        plan.pieces.append(PiecePlan(len(plan.pieces), force.id, unit, cls, mode, entry, **opt))

    # Units: marry-up at the staging area and the personnel's way out.
    road_counts: dict[str, int] = {}
    for p in plan.pieces[pid0:]:
        if p.mode == "road":
            road_counts[p.unit] = road_counts.get(p.unit, 0) + 1
    start_of_personnel = force.staging or (force.flights[0].airfield if force.flights else None)
    for u in template:
        exit_, route = force.exits[0], ()
        if start_of_personnel and u.personnel:
            found = plan.router.nearest("road", start_of_personnel, list(force.exits))
            if found is None:
                out.append(Problem(file, f"{here}.exits", force.exits, f"personnel of {u.name} have no road from {start_of_personnel} to any exit"))
                continue
            exit_, route = found
        plan.units[(force.id, u.name)] = UnitPlan(force.id, u.name, force.staging, road_counts.get(u.name, 0),
                                                  u.personnel, exit_, route)
    if force.staging:
        st = net.staging.loc[force.staging]
        for u in template:
            up = plan.units.get((force.id, u.name))
            if up and up.road_pieces > st["vehicle_spaces"]:
                out.append(Problem(file, f"{here}.staging", force.staging,
                                   f"unit {u.name} has {up.road_pieces} road pieces but the staging area has {st['vehicle_spaces']} vehicle spaces"))
            if up and up.personnel > st["beds"]:
                out.append(Problem(file, f"{here}.staging", force.staging,
                                   f"unit {u.name} has {up.personnel} persons but the staging area has {st['beds']} beds"))
        for fl in force.flights:
            if plan.router.route("road", fl.airfield, force.staging) is None and fl.pax:
                out.append(Problem(file, f"{here}.staging", force.staging, f"no road from airfield {fl.airfield} to the staging area"))
    return out
