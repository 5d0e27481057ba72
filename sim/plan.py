"""Compile a scenario against its network: concrete pieces with their mode and routes, ship calls with
manifests, flights with personnel. Every cross-reference is checked here and reported as a Problem."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import lazy_loader

from . import deployment, exercise, lift
from . import equipment as eqdata
from .changes import apply_changes
from .checks import check_names, housing_warnings
from .dates import Calendar
from .equipment import (
    EquipmentType,
    Split,
    check_split,
    deal,
    generic_types,
    load_equipment,
    load_split,
    tare_of,
    wagon_limits,
)
from .errors import InputError, Problem, skipped
from .forces import Template, Unit, load_templates
from .ids import PIECE_CLASSES
from .investments import Change, Investment
from .modes import mode_rules
from .nested import Nested
from .network import Network, build_graph, corridor_names, links_by_name, load_network
from .paths import find_scenario, networks_dir
from .routing import Route, Router
from .scenario import Flow, Force, Scenario, parse_equipment, parse_scenario, read_data

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_loader.load("networkx")  # loaded on first use: `rsom run` from a cached plan never needs it

EARTH_KM = 6371.0
FLOW_PRIORITY = 10  # sustainment flows' trains come after every force's (force priorities are 1-9)


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
    equipment: str = ""  # equipment type id (a key of Plan.equipment)
    tow: int = -1  # a trailer: the piece id of the prime mover that tows it from the staging area (-1: none)
    het_shuttle: bool = False  # rail: the road leg to the railhead (to_origin) is on a HET (Het.shuttle_over_km)
    uln: str = ""  # the deployment list's unit line the piece comes from ("" for a template's piece)
    critical: bool = False  # part of its unit's combat power (unit_closure or its line's `critical`)


def changed(p: PiecePlan, **changes: Any) -> PiecePlan:
    """A piece's plan with some fields changed: `dataclasses.replace` without running __init__ again, which
    costs ten times as much (a piece diverted or switched to another mode, on the hot path of the run)."""
    unknown = changes.keys() - p.__dict__.keys()
    if unknown:
        raise TypeError(f"PiecePlan has no field {sorted(unknown)}")
    q = object.__new__(PiecePlan)
    q.__dict__.update(p.__dict__, **changes)
    return q


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
    aircraft: str = ""  # its aircraft type (a key of Plan.aircraft), "" when not given


@dataclass(frozen=True)
class LandPlan:
    """Pieces and persons of a force already in the country (a home station, a prepositioned stock) entering at
    a railhead or staging area at a time."""

    force: str
    node: str
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
    exits: tuple[str, ...] = ()  # where the unit may go: its line's destination, or its force's exits
    priority: int = 1  # for discharge order, rolling stock and train paths (1 first)
    rdd_h: float | None = None  # required delivery date (h from the start; None: none)

    @property
    def rank(self) -> tuple[int, float]:
        """Order of service for rolling stock and train paths: priority, then the earlier RDD."""
        return (self.priority, math.inf if self.rdd_h is None else self.rdd_h)


@dataclass(repr=False)
class Plan(Nested):
    """Everything the model needs, compiled and checked. Pickled with its graph nested (sim/nested.py): a run
    reads which nodes it has (`nodes`), not the graph."""

    NESTED: ClassVar[tuple[str, ...]] = ("graph",)

    scenario: Scenario
    file: str
    network: Network
    graph: nx.MultiDiGraph
    router: Router
    templates: dict[str, Template]
    pieces: list[PiecePlan] = field(default_factory=list)
    ships: list[ShipPlan] = field(default_factory=list)
    flights: list[FlightPlan] = field(default_factory=list)
    land: list[LandPlan] = field(default_factory=list)  # listed lines entering inland (mode land)
    units: dict[tuple[str, str], UnitPlan] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    investments: tuple[Investment, ...] = ()  # the investments applied, in the scenario's order
    changes: tuple[Change, ...] = ()  # every change to tables and pools applied (investments, parameters, modules)
    flows: list[FlowPlan] = field(default_factory=list)
    civil: list[dict] = field(default_factory=list)  # shared capacity: what civil traffic uses and what is left
    links_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # corridor name or link id -> link ids
    scenario_as_written: Scenario | None = None  # before any change: what a saved result re-runs
    parameters: tuple[Change, ...] = ()  # changes given beside the scenario (a sweep's or variant's parameters)
    equipment: dict[str, EquipmentType] = field(default_factory=dict)  # every type a piece may have, by id
    split: Split = field(default_factory=dict)  # built-in units' pieces by equipment type (templates not overridden)
    generic: dict[str, EquipmentType] = field(default_factory=dict)  # per class, for pieces with no split
    aircraft: dict[str, lift.Aircraft] = field(default_factory=dict)  # aircraft types lift may plan flights of
    actions: list[exercise.Action] = field(default_factory=list)  # an exercise's decisions acting on the run

    @property
    def nodes(self) -> dict[str, None]:
        """The nodes of the graph, in sorted order (those of the router's graph, which is the plan's): ask
        `node in plan.nodes`."""
        return self.router.nodes

    @property
    def personnel_total(self) -> int:
        return sum(u.personnel for u in self.units.values())

    def __repr__(self) -> str:
        """One line (the dataclass's own would print the whole network): the scenario, its forces' pieces and
        persons, and what changes it runs with."""
        forces = [f.id for f in self.scenario.forces]
        invs = [i.name for i in self.investments]
        return (f"Plan({self.scenario.name!r}: {len(forces)} force{'s' * (len(forces) != 1)}, "
                f"{sum(not p.flow for p in self.pieces):,} pieces, "
                f"{sum(u.personnel for u in self.units.values() if u.force in forces):,} persons"
                + (f", investments {invs}" if invs else "")
                + (f", {len(self.parameters)} parameter change{'s' * (len(self.parameters) != 1)}" if self.parameters else "")
                + ")")


NOTHING_RANDOM = ("nothing in this scenario is random (every `times` factor is fixed and there are no random "
                  "disruptions), so its replications are identical; give `times` distributions (the built-in "
                  "scenario's, say) to see the spread")


def random_sources(s: Scenario) -> list[str]:
    """What makes the scenario's replications differ: the time factors that are distributions, and random
    disruptions."""
    out = [f"times.{name}" for name in type(s.times).model_fields
           if getattr(s.times, name).dist != "deterministic"]
    return out + (["disruptions.random"] if s.disruptions.random else [])


def great_circle_km(net: Network, a: str, b: str) -> float:
    """Great-circle distance between two nodes (km)."""
    nodes = net.rows("nodes")
    la1, lo1, la2, lo2 = (math.radians(float(nodes[n][c])) for n, c in ((a, "lat"), (a, "lon"), (b, "lat"), (b, "lon")))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def network_path(name: str, base: Path) -> Path:
    """A network name is a folder under networks/; otherwise a path relative to the folder `base`."""
    candidate = networks_dir() / name
    if candidate.is_dir():
        return candidate
    return (base / name).resolve()


def resolve_network(scenario: Scenario, scenario_file: Path) -> Path:
    """A network name is a folder under networks/; otherwise a path relative to the scenario file."""
    return network_path(scenario.network, scenario_file.parent)


# what a failed stage keeps from being checked (errors.skipped words the note)
NOT_NAMED = "the names the scenario uses (nodes, corridors, templates, investments ...) against its network, and its forces"
NOT_COMPILED = "the forces and flows themselves (units, pieces, ships, flights, trains, staging capacity)"


def load_plan(path: Path | str) -> Plan:
    """Read, validate and compile a scenario file; raises InputError with every problem found.

    A scenario whose keys or values are wrong cannot be compiled, but the network folder and the deployment
    list it names are read all the same and their problems reported with its own, so that one pass lists
    everything that can be found; a note says what could not be checked."""
    path = Path(path)
    try:
        data = read_data(path)
    except InputError as exc:
        notes = [skipped(str(path), "its network and everything it names")] if path.is_file() else []
        raise InputError(exc.problems, notes) from None
    try:
        scenario = parse_scenario(data, str(path))
    except InputError as exc:
        raise InputError(exc.problems + _named_inputs(data, path), [skipped(str(path), NOT_NAMED)]) from None
    return compile_plan(scenario, str(path), resolve_network(scenario, path))


def _named_inputs(data: object, path: Path) -> list[Problem]:
    """The errors of the network folder and the deployment list that an invalid scenario's YAML names (each
    read on its own, as a valid scenario would read it); nothing for a name that is not a plain string."""
    if not isinstance(data, dict):
        return []
    file = str(path)
    out: list[Problem] = []
    name = data.get("network", Scenario.model_fields["network"].default)
    if isinstance(name, str) and name:
        folder = network_path(name, path.parent)
        if folder.is_dir():
            out += [p for p in load_network(folder).problems if p.severity == "error"]
        else:
            out.append(Problem(file, "network", name, f"no network folder at {folder}"))
    listed = data.get("deployment_list")
    if isinstance(listed, str) and listed:
        out += deployment.read_list(path.parent / listed, str(path.parent / listed))[1]
    return out


def load(scenario: Path | str | None = None) -> Plan:
    """Read, validate and compile a scenario: a file (relative to the current folder, or absolute) or the name
    of a built-in scenario (`belgium_two_brigades`, `starter`; paths.builtin_scenarios), the built-in one
    when none is given; so a notebook anywhere can start from a name. Raises InputError with every problem."""
    return load_plan(find_scenario(scenario))


def compile_plan(scenario: Scenario, file: str, network_folder: Path, extra_changes: list[Change] | None = None) -> Plan:
    """Compile a validated scenario against a network folder; `extra_changes` (e.g. a sweep's parameters)
    apply after the scenario's investments."""
    scenario, listed = deployment.inline(scenario, file)  # the list's cells need no network
    if not network_folder.is_dir():
        raise InputError([Problem(file, "network", scenario.network, f"no network folder at {network_folder}"),
                          *listed], [skipped(file, NOT_NAMED)])
    as_written = scenario
    net = load_network(network_folder)
    problems = [p for p in net.problems if p.severity == "error"] + listed
    warnings = [p for p in net.problems if p.severity == "warning"]
    templates = load_templates(problems=problems)
    aircraft = lift.load_aircraft(problems=problems)
    equipment = load_equipment(problems=problems)
    split = load_split(problems=problems)
    problems += check_split(templates, equipment, split)
    try:
        named = check_names(scenario, file, net)  # reported together with the network's own problems
        named += exercise.check_exercise(scenario, file, net, set(net.nodes.index), corridor_names(net))
        if scenario.deployment or any(f.template is None for f in scenario.forces):
            exits = net.nodes.index[net.nodes["kind"] == "exit"] if "kind" in net.nodes else net.nodes.index
            named += deployment.check_lines(scenario, file, net.seaports.index, net.airfields.index, net.nodes.index,
                                            exits, equipment, {*net.railheads.index, *net.staging.index})
        problems += [p for p in named if p.severity == "error"]
        warnings += [p for p in named if p.severity != "error"]
        changed = apply_changes(scenario, file, net, extra_changes)
    except InputError as exc:  # the changes: their notes say what they did not reach
        raise InputError(problems + exc.problems, [*exc.notes, skipped(file, NOT_COMPILED)]) from None
    except (TypeError, ValueError, KeyError):
        if not problems:
            raise
        # a network with errors (a key twice, a cell that could not be read) may break the checks and changes
        # that rely on its tables: its own errors say what to fix
        raise InputError(problems, [skipped(file, NOT_NAMED)]) from None
    if problems:
        raise InputError(problems, [skipped(file, NOT_COMPILED)])
    warnings += changed.warnings
    net = changed.network
    scenario = exercise.expand(scenario)  # injects and closures decided become scheduled disruptions
    if changed.pools != scenario.pools:
        scenario = scenario.model_copy(update={"pools": changed.pools})
    graph = build_graph(net)
    for name, units in scenario.templates.items():
        templates[name] = tuple(
            Unit(u.unit, u.personnel, tuple((c, getattr(u, c)) for c in PIECE_CLASSES)) for u in units
        )
    generic = generic_types(net.piece_classes, equipment)
    plan = Plan(scenario, file, net, graph, Router(graph), templates, warnings=warnings,
                investments=changed.investments, changes=changed.changes, civil=changed.civil,
                links_of=links_by_name(net), scenario_as_written=as_written, parameters=tuple(extra_changes or ()),
                equipment={**equipment, **{g.id: g for g in generic.values()}},
                split={k: v for k, v in split.items() if k[0] not in scenario.templates}, generic=generic,
                aircraft=aircraft)
    for i, force in enumerate(scenario.forces):
        problems += _compile_force(plan, i, force) if force.template is not None else _compile_listed(plan, i, force)
    for i, flow in enumerate(scenario.sustainment):
        problems += _compile_flow(plan, i, flow)
    plan.warnings += housing_warnings(scenario, file, net, plan.units.values())
    plan.actions, decided = exercise.actions(plan)
    problems += decided
    if scenario.replications > 1 and not random_sources(scenario):
        plan.warnings.append(Problem(file, "replications", scenario.replications, NOTHING_RANDOM, "warning"))
    if problems:
        raise InputError(problems)
    return plan


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
            pid0 = len(plan.pieces)
            for k in range(n):
                pid = len(plan.pieces)
                plan.pieces.append(PiecePlan(pid, flow.name, flow.name, flow.cls, flow.mode, flow.origin, flow=True,
                                             equipment=plan.generic[flow.cls].id, **opt))
                arrivals.append((flow.start_h + k * 24.0 / flow.pieces_per_day, pid, 0))
            out += _trains_fit(plan, f"{here}.mode", plan.pieces[pid0:])
    persons, route = 0, cast(Route, ())
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
                n = round(flow.persons_per_day * share)
                if n:
                    arrivals.append((flow.start_h + 24.0 * day, -1, n))
                    persons += n
                day += 1
    if out:
        return out
    plan.units[(flow.name, flow.name)] = UnitPlan(flow.name, flow.name, None, 0, persons, flow.destination, route,
                                                  (flow.destination,), FLOW_PRIORITY)
    lon = net.nodes["lon"]
    direction = "east" if float(lon[flow.destination]) >= float(lon[flow.origin]) else "west"
    plan.flows.append(FlowPlan(flow.name, flow.origin, flow.destination, flow.mode, direction, flow.start_h,
                               flow.end_h, tuple(sorted(arrivals)), route))
    return out


def _speed(plan: Plan, cls: str) -> float:
    return float(plan.network.piece_classes.at[cls, "road_speed_kmh"])


Option = dict[str, Any]  # PiecePlan fields a mode sets: exit and route, and railhead, to_origin or air_km


def _mode_options(plan: Plan, force: Force, entry: str, cls: str, mode: str) -> Option | None:
    """Routes for one piece class by one mode from an entry node, or None when the mode cannot serve it."""
    if entry not in plan.graph:
        return None
    return _MODE_OPTIONS[mode](plan, force, entry, cls)


def _rail_option(plan: Plan, force: Force, entry: str, cls: str) -> Option | None:
    """The railhead reached fastest by road from the entry (the force's own, if it names one) that has a rail
    route to an exit; the piece is shuttled there unless it is the entry itself. A class whose rules allow HET
    but not road is routed there at HET speed and rides a HET when the move is longer than
    `het.shuttle_over_km` (it drives a shorter one, e.g. inside a port estate)."""
    net, router, s = plan.network, plan.router, plan.scenario
    wt = net.piece_classes.at[cls, "wagon_type"]
    if not wt or wt not in s.pools.wagons:
        return None
    rules = mode_rules(s, force).get(cls, [])
    het_ok = "het" in rules and "road" not in rules
    speed = s.het.speed_kmh if het_ok else _speed(plan, cls)
    exits = list(force.exits)
    heads = [force.railhead] if force.railhead else sorted(net.railheads.index)
    best: tuple[tuple[float, str], Option] | None = None
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
            by_het = het_ok and sum(leg.length_km for leg in access) > s.het.shuttle_over_km
            best = (score, {"railhead": head, "to_origin": access, "exit": found[0], "route": found[1],
                            "het_shuttle": by_het})
    return None if best is None else best[1]


def _road_option(plan: Plan, force: Force, entry: str, cls: str) -> Option | None:
    """By road to the force's staging area (if any), then on to the exit reached fastest."""
    speed = _speed(plan, cls)
    if speed <= 0:
        return None
    start = force.staging or entry
    access = () if start == entry else plan.router.route("road", entry, start, speed)
    found = None if access is None else plan.router.nearest("road", start, list(force.exits), speed)
    return None if found is None else {"to_origin": access, "exit": found[0], "route": found[1]}


def _het_option(plan: Plan, force: Force, entry: str, cls: str) -> Option | None:
    """On a HET by road from the entry to the exit reached fastest at the HET's speed."""
    found = plan.router.nearest("road", entry, list(force.exits), plan.scenario.het.speed_kmh)
    return None if found is None else {"exit": found[0], "route": found[1]}


def _barge_option(plan: Plan, force: Force, entry: str, cls: str) -> Option | None:
    """By barge along the waterways, for classes a barge carries."""
    if not plan.network.piece_classes.at[cls, "barge_share"]:
        return None
    found = plan.router.nearest("water", entry, list(force.exits))
    return None if found is None else {"exit": found[0], "route": found[1]}


def _air_option(plan: Plan, force: Force, entry: str, cls: str) -> Option | None:
    """Flying itself (helicopters) to the nearest exit in service, by great-circle distance."""
    if not plan.network.piece_classes.at[cls, "air_speed_kmh"]:
        return None
    live = [x for x in force.exits if x in plan.graph]
    if not live:
        return None
    x = min(live, key=lambda n: (great_circle_km(plan.network, entry, n), n))
    return {"exit": x, "air_km": great_circle_km(plan.network, entry, x)}


_MODE_OPTIONS: dict[str, Callable[[Plan, Force, str, str], Option | None]] = {
    "rail": _rail_option, "road": _road_option, "het": _het_option, "barge": _barge_option, "air": _air_option}


def _missing_wagon_pools(plan: Plan, here: str, force: Force, classes: list[str],
                         rules: dict[str, list[str]]) -> list[Problem]:
    """A class the mode rules send by rail needs a wagon pool of its wagon type. Without one, rail would be
    passed over in silence and the pieces would go by the next mode, so this is an error naming the pool."""
    out = []
    for cls in classes:
        wt = plan.network.piece_classes.at[cls, "wagon_type"]
        if "rail" in rules.get(cls, []) and wt and wt not in plan.scenario.pools.wagons:
            where = f"{here}.modes.{cls}" if force.modes and cls in force.modes else f"modes.{cls}"
            out.append(Problem(plan.file, f"pools.wagons.{wt}", None,
                               f"{where} sends {cls} of {force.id} by rail, but the scenario has no pool of {wt} "
                               f"wagons: add pools.wagons.{wt} (wagons) or take rail out of {where}"))
    return out


def _compile_force(plan: Plan, i: int, force: Force) -> list[Problem]:
    """Ship calls and flights with their manifests, each piece's mode and routes, and each unit's marry-up."""
    here = f"forces[{i}]"
    template = plan.templates[str(force.template)]
    out = lift.flight_types(force, here, plan.file, plan.aircraft)
    if out:
        return out
    pieces = [(u.name, c) for u in template for c, n in u.pieces for _ in range(n)]  # (unit, class) in unit order
    kinds = [eq for u in template for eq in deal(u.pieces, plan.split.get((str(force.template), u.name)), plan.equipment,
                                                  plan.generic)]  # equipment of each piece, in the same order
    counts, out = _manifests(plan, here, force, template, len(pieces))
    if out:
        return out
    pid0 = len(plan.pieces)
    arrivals = _deal(plan, here, force, template, counts)
    rules = mode_rules(plan.scenario, force)
    out = _missing_wagon_pools(plan, here, force, sorted({c for _, c in pieces}), rules)
    if out:
        return out
    out += _choose_modes(plan, force, pieces, kinds, arrivals, rules)
    out += _wagons_known(plan, here, force, plan.pieces[pid0:])
    if out:
        return out
    _couple(plan, force, pid0)
    out += _trains_fit(plan, f"{here}.railhead", plan.pieces[pid0:])
    facts = [UnitFacts(u.name, u.personnel, tuple(force.exits), force.priority, force.rdd_h) for u in template]
    out += _units(plan, here, force, facts, plan.pieces[pid0:])
    return out


@dataclass
class _Listed:
    """A listed force's lines as the lift and the units need them."""

    sea: list[lift.Cargo] = field(default_factory=list)  # pieces arriving by sea, in line order
    air: list[lift.Cargo] = field(default_factory=list)  # pieces flown in
    land: list[lift.Cargo] = field(default_factory=list)  # pieces already in the country (mode land)
    parties: list[lift.Party] = field(default_factory=list)  # persons flown in, by line
    critical: dict[tuple[int, str], bool] = field(default_factory=dict)  # (line, equipment id) -> critical
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> what its lines say (first-seen order)


def _listed_cargo(plan: Plan, force: Force) -> _Listed:
    """The pieces and persons of a listed force's lines, each with the order it is lifted in (EAD, priority,
    RDD, line, position), and per unit its persons, destination, priority, RDD and first airfield."""
    s, ports, fields = plan.scenario, set(plan.network.seaports.index), set(plan.network.airfields.index)
    start = deployment.start_of(s)
    rule = set(s.unit_closure.critical_classes)
    out = _Listed()
    for k, line in enumerate(s.deployment):
        if line.force != force.id:
            continue
        prio = line.priority or force.priority
        rdd_h = deployment.day_end_h(line.rdd, start) if line.rdd else force.rdd_h
        base = (deployment.day_start_h(line.ead, start), prio, math.inf if rdd_h is None else rdd_h, k)
        lad_end = deployment.day_end_h(line.lad or line.ead, start)
        names = deployment.critical_tokens(line.critical)
        pos = 0
        for name, n in parse_equipment(line.equipment):
            eq = plan.equipment[name] if name in plan.equipment else plan.generic[name]  # a class: its generic type
            out.critical[(k, eq.id)] = bool({name, eq.id, eq.cls} & set(names)) if names else eq.cls in rule
            for _ in range(n):
                (out.sea if line.pod in ports else out.air if line.pod in fields else out.land).append(
                    lift.Cargo(k, line.unit, eq, line.pod, (*base, pos), lad_end))
                pos += 1
        if line.personnel:
            out.parties.append(lift.Party(k, line.unit, line.pod, line.personnel, (*base, 0), lad_end))
        u = out.units.setdefault(line.unit, {"personnel": 0, "exits": tuple(force.exits), "priority": prio,
                                             "rdd": [], "airfield": None})
        u["personnel"] += line.personnel
        u["priority"] = min(u["priority"], prio)
        if rdd_h is not None:
            u["rdd"].append(rdd_h)
        if line.destination:
            u["exits"] = (line.destination,)
        if line.personnel and u["airfield"] is None:
            u["airfield"] = line.pod
    return out


def _compile_listed(plan: Plan, i: int, force: Force) -> list[Problem]:
    """A force given as lines of the deployment list: its pieces and persons by line, their ship calls and
    flights (given, or planned from `lift`), each piece's mode and routes to its line's destination, and each
    unit's marry-up, priority and RDD."""
    here, s = f"forces[{i}]", plan.scenario
    start = deployment.start_of(s)
    got = _listed_cargo(plan, force)
    sea, air, land, facts = got.sea, got.air, got.land, got.units
    parties = [p for p in got.parties if p.pod in plan.network.airfields.index]
    at_home = [p for p in got.parties if p.pod not in plan.network.airfields.index]
    ships, out = (lift.given_ships(force, here, plan.file, sea) if force.ships
                  else lift.planned_ships(force.lift, here, plan.file, sea))
    out += lift.flight_types(force, here, plan.file, plan.aircraft)
    if out:
        return out
    flights, more = (lift.given_flights(force, here, plan.file, air, parties, plan.aircraft) if force.flights
                     else lift.planned_flights(force.lift, plan.aircraft, here, plan.file, air, parties))
    out += more
    if out:
        return out
    cal = Calendar(start, s.c_day or start.date())
    for k, t in sorted({**lift.late_lines(ships, sea, []), **lift.late_lines(flights, air, parties)}.items()):
        line = s.deployment[k]
        file, at = deployment.where(s, k, line, "lad")
        plan.warnings.append(Problem(file or plan.file, at, (line.lad or line.ead).isoformat(),
                                     f"the line arrives {cal.words(t)}, after its latest arrival date", "warning"))
    pid0 = len(plan.pieces)
    order: list[lift.Cargo] = []
    for c in ships:
        plan.ships.append(ShipPlan(len(plan.ships), force.id, c.node, c.at_h,
                                   tuple(range(pid0 + len(order), pid0 + len(order) + len(c.pieces)))))
        order += [sea[k] for k in c.pieces]
    for c in flights:
        if not c.pieces and not c.parties:
            continue
        plan.flights.append(FlightPlan(len(plan.flights), force.id, c.node, c.at_h, tuple(c.parties),
                                       tuple(range(pid0 + len(order), pid0 + len(order) + len(c.pieces))),
                                       c.aircraft))
        order += [air[k] for k in c.pieces]
    for c in lift.land_arrivals(land, at_home):
        plan.land.append(LandPlan(force.id, c.node, c.at_h, tuple(c.parties),
                                  tuple(range(pid0 + len(order), pid0 + len(order) + len(c.pieces)))))
        order += [land[k] for k in c.pieces]
    listed = []
    views: dict[str, Force] = {}  # destination -> the force with its exits narrowed to it
    for item in order:
        line = s.deployment[item.line]
        dest = facts[line.unit]["exits"]
        view = views.get(dest[0]) if len(dest) == 1 and dest != tuple(force.exits) else force
        if view is None:
            view = views[dest[0]] = force.model_copy(update={"exits": list(dest)})
        listed.append((view, line.uln, got.critical[(item.line, item.equipment.id)]))
    pieces = [(c.unit, c.equipment.cls) for c in order]
    kinds = [c.equipment.id for c in order]
    arrivals = [(c.pod, " ".join(x for x in deployment.where(s, c.line, s.deployment[c.line], "pod") if x))
                for c in order]
    rules = mode_rules(s, force)
    out = _missing_wagon_pools(plan, here, force, sorted({c for _, c in pieces}), rules)
    if out:
        return out
    out += _choose_modes(plan, force, pieces, kinds, arrivals, rules, listed)
    out += _wagons_known(plan, here, force, plan.pieces[pid0:])
    if out:
        return out
    _couple(plan, force, pid0)
    out += _trains_fit(plan, f"{here}.railhead", plan.pieces[pid0:])
    units = [UnitFacts(name, f["personnel"], f["exits"], f["priority"], max(f["rdd"]) if f["rdd"] else None,
                       f["airfield"]) for name, f in facts.items()]
    out += _units(plan, here, force, units, plan.pieces[pid0:])
    return out


def _manifests(plan: Plan, here: str, force: Force, template: Template, n_pieces: int) -> tuple[list[int], list[Problem]]:
    """Pieces per ship call (given on every call, or split evenly over them): what flights do not carry must
    come by sea, and flights must seat every person."""
    file = plan.file
    airlift = sum(fl.count * fl.pieces for fl in force.flights)
    by_sea = n_pieces - airlift
    if by_sea < 0:
        return [], [Problem(file, f"{here}.flights", airlift,
                            f"flights carry more pieces than template {force.template} has ({n_pieces})")]
    given = [c.pieces for c in force.ships]
    if force.ships and all(g is None for g in given):
        base, extra = divmod(by_sea, len(force.ships))
        counts = [base + (1 if j < extra else 0) for j in range(len(force.ships))]
    elif any(g is None for g in given):
        return [], [Problem(file, f"{here}.ships", None, "give pieces on every ship call or on none")]
    else:
        counts = [int(g or 0) for g in given]
    if sum(counts) != by_sea:
        return [], [Problem(file, f"{here}.ships", sum(counts),
                            f"ship manifests carry {sum(counts)} pieces but {by_sea} of the {n_pieces} pieces of "
                            f"{force.template} must come by sea")]
    personnel = sum(u.personnel for u in template)
    seats = sum(fl.count * fl.pax for fl in force.flights)
    if seats < personnel:
        return [], [Problem(file, f"{here}.flights", seats,
                            f"flights seat {seats} persons but {force.template} has {personnel}")]
    return counts, []


def _deal(plan: Plan, here: str, force: Force, template: Template, counts: list[int]) -> list[tuple[str, str]]:
    """Deal the force's pieces to its ships, then to its flights, in unit order, and its persons to the
    flights' seats; returns (entry node, where in the scenario) per piece."""
    cursor = 0
    arrivals: list[tuple[str, str]] = []
    pid0 = len(plan.pieces)
    for j, (call, n) in enumerate(zip(force.ships, counts, strict=True)):
        pids = tuple(range(pid0 + cursor, pid0 + cursor + n))
        plan.ships.append(ShipPlan(len(plan.ships), force.id, call.port, call.at_h, pids))
        arrivals += [(call.port, f"{here}.ships[{j}]")] * n
        cursor += n
    unseated = {u.name: u.personnel for u in template}  # persons not yet on a flight, by unit (in unit order)
    for j, fl in enumerate(force.flights):
        for k in range(fl.count):
            pids = tuple(range(pid0 + cursor, pid0 + cursor + fl.pieces))
            arrivals += [(fl.airfield, f"{here}.flights[{j}]")] * fl.pieces
            cursor += fl.pieces
            seats_left, parties = fl.pax, []
            for name, left in unseated.items():
                if seats_left == 0:
                    break
                take = min(seats_left, left)
                if take:
                    parties.append((name, take))
                    unseated[name] -= take
                    seats_left -= take
            if parties or pids:
                plan.flights.append(FlightPlan(len(plan.flights), force.id, fl.airfield, fl.at_h + k * fl.every_h,
                                               tuple(parties), pids, fl.aircraft or ""))
    return arrivals


def _choose_modes(plan: Plan, force: Force, pieces: list[tuple[str, str]], kinds: list[str],
                  arrivals: list[tuple[str, str]], rules: dict[str, list[str]],
                  listed: list[tuple[Force, str, bool]] | None = None) -> list[Problem]:
    """Each piece takes the first mode of its class's rules that can serve it from its entry; an equipment type
    without a wagon type (equipment.csv: not by rail, a 463L pallet say) skips rail. A listed piece (`listed`:
    the force as its line sees it, with its exits narrowed to the line's destination, its unit line number and
    whether it is critical) goes where its line says."""
    out = []
    cache: dict[tuple[str, str, tuple[str, ...], bool], tuple[str, Option] | None] = {}
    critical = set(plan.scenario.unit_closure.critical_classes)
    for n, ((unit, cls), eq, (entry, where)) in enumerate(zip(pieces, kinds, arrivals, strict=True)):
        view, uln, crit = listed[n] if listed is not None else (force, "", cls in critical)
        kind = plan.equipment.get(eq)
        generic = plan.generic.get(cls)
        railed = kind is None or bool(kind.wagon_type) or (generic is not None and eq == generic.id)  # generic: class wagon
        key = (entry, cls, tuple(view.exits), railed)
        if key not in cache:
            modes = [m for m in rules.get(cls, []) if railed or m != "rail"]
            options = ((mode, _mode_options(plan, view, entry, cls, mode)) for mode in modes)
            cache[key] = next(((mode, opt) for mode, opt in options if opt is not None), None)
            if cache[key] is None:
                out.append(Problem(plan.file, where, f"{cls} from {entry}", f"no path to any of the exits "
                                   f"{view.exits} by the modes allowed for {cls}"
                                   + ("" if railed else f" other than rail ({eq} has no wagon type)")
                                   + f": {rules.get(cls, [])}"))
        choice = cache[key]
        if choice is not None:
            plan.pieces.append(PiecePlan(len(plan.pieces), force.id, unit, cls, choice[0], entry, equipment=eq,
                                         uln=uln, critical=crit, **choice[1]))
    return out


def _couple(plan: Plan, force: Force, pid0: int) -> None:
    """Each trailer that marches from the staging area is towed by a prime mover of its unit (a wheeled piece
    whose equipment type is a prime mover) marching to the same exit, one trailer per prime mover, both in
    piece order. A trailer beyond its unit's prime movers stays a vehicle of its own (tow = -1). Forces
    without a staging area form serials as pieces come off the ship, so their trailers are not coupled."""
    if not force.staging:
        return
    free: dict[tuple[str, str], list[int]] = {}  # (unit, exit) -> prime movers not yet towing, in piece order
    for p in plan.pieces[pid0:]:
        if p.mode == "road" and p.cls == "wheeled" and plan.equipment[p.equipment].prime_mover:
            free.setdefault((p.unit, p.exit), []).append(p.pid)
    for k in range(pid0, len(plan.pieces)):
        p = plan.pieces[k]
        if p.mode == "road" and p.cls == "trailer" and free.get((p.unit, p.exit)):
            plan.pieces[k] = replace(p, tow=free[(p.unit, p.exit)].pop(0))


@dataclass(frozen=True)
class UnitFacts:
    """What compiling a force knows of one of its units: persons, where it may go, priority and RDD (h)."""

    name: str
    personnel: int
    exits: tuple[str, ...]
    priority: int
    rdd_h: float | None
    airfield: str | None = None  # where its personnel land (a listed unit's first air line)


def _units(plan: Plan, here: str, force: Force, units: list[UnitFacts], pieces: list[PiecePlan]) -> list[Problem]:
    """Each unit's marry-up facts (pieces that march from staging, persons) and its personnel's way out; a
    unit must fit its staging area, which must be reachable by road from the force's airfields."""
    file, net = plan.file, plan.network
    out = []
    road_counts = Counter(p.unit for p in pieces if p.mode == "road")
    first_field = force.flights[0].airfield if force.flights else None
    for u in units:
        start_of_personnel = force.staging or u.airfield or first_field
        exit_, route = u.exits[0], cast(Route, ())
        if start_of_personnel and u.personnel:
            found = plan.router.nearest("road", start_of_personnel, list(u.exits))
            if found is None:
                out.append(Problem(file, f"{here}.exits", list(u.exits),
                                   f"personnel of {u.name} have no road from {start_of_personnel} to any exit"))
                continue
            exit_, route = found
        plan.units[(force.id, u.name)] = UnitPlan(force.id, u.name, force.staging, road_counts.get(u.name, 0),
                                                  u.personnel, exit_, route, u.exits, u.priority, u.rdd_h)
    if not force.staging:
        return out
    st = net.staging.loc[force.staging]
    for u in units:
        up = plan.units.get((force.id, u.name))
        if up and up.road_pieces > st["vehicle_spaces"]:
            out.append(Problem(file, f"{here}.staging", force.staging,
                               f"unit {u.name} has {up.road_pieces} road pieces but the staging area has "
                               f"{st['vehicle_spaces']} vehicle spaces (a unit is admitted whole): "
                               + _staging_alternatives(net, "vehicle_spaces", up.road_pieces)))
        if up and up.personnel > st["beds"]:
            out.append(Problem(file, f"{here}.staging", force.staging,
                               f"unit {u.name} has {up.personnel} persons but the staging area has {st['beds']} "
                               "beds (a unit is admitted whole): " + _staging_alternatives(net, "beds", up.personnel)))
    fields = sorted({fl.airfield for fl in force.flights if fl.pax} | {u.airfield for u in units if u.airfield})
    out += [Problem(file, f"{here}.staging", force.staging, f"no road from airfield {af} to the staging area")
            for af in fields if plan.router.route("road", af, force.staging) is None]
    return out


def _staging_alternatives(net: Network, column: str, need: int) -> str:
    """What to do about a unit bigger than its staging area: the areas big enough, or splitting the unit."""
    st = net.staging[(net.staging["role"] == "staging") & (net.staging[column] >= need)]
    big = [f"{n} ({int(v):,})" for n, v in sorted(st[column].items())]
    split = "or split the unit into parts no bigger than the area in a scenario template (templates:)"
    return (f"stage the force at {', '.join(big)} " + split) if big else ("no staging area is big enough; " + split)


def _wagons_known(plan: Plan, here: str, force: Force, pieces: list[PiecePlan]) -> list[Problem]:
    """Each equipment type the mode rules send by rail has a wagon type of the network, and a wagon's load
    (per_wagon pieces) is within the wagon's payload (payload_t, when the network gives one)."""
    net, out = plan.network, []
    for eid in sorted({p.equipment for p in pieces if p.mode == "rail"}):
        eq = plan.equipment[eid]
        generic = eid == plan.generic[eq.cls].id
        file, what = (net.file("piece_classes"), f"{eq.cls}.wagon_share") if generic else (
            str(eqdata.EQUIPMENT_FILE), f"{eid}.per_wagon")
        if not eq.wagon_type or eq.wagon_type not in net.wagon_types.index:
            out.append(Problem(str(eqdata.EQUIPMENT_FILE), f"{eid}.wagon_type", eq.wagon_type,
                               f"{here} sends {eq.cls} by rail, but equipment {eid} has "
                               + ("no wagon type" if not eq.wagon_type else f"a wagon type not in {net.file('wagon_types')}")
                               + f": give it one of {sorted(net.wagon_types.index)} or take rail out of modes.{eq.cls}"))
            continue
        payload = float(net.wagon_types.at[eq.wagon_type, "payload_t"] or 0)
        load = eq.per_wagon * eq.mass_t
        if payload > 0 and load > payload + 1e-9:
            out.append(Problem(file, what, f"{eq.per_wagon:g}",
                               f"{eq.per_wagon:g} x {eq.mass_t:g} t of {eid} = {load:g} t on one {eq.wagon_type} wagon "
                               f"exceeds its payload ({payload:g} t, wagon_types.csv payload_t)"))
    return out


def _trains_fit(plan: Plan, field: str, pieces: list[PiecePlan]) -> list[Problem]:
    """A train from a railhead must carry at least one piece of each equipment type loaded there. By length:
    the shortest of the railhead's, the far end's and the line's length limits, less the locomotive, must
    hold one wagon. By mass: the lightest of the lines' mass limits (max_train_t), less the locomotive, must
    hold one wagon with one piece. Checked for the pieces of forces and of sustainment flows alike (a train
    of no wagon could never leave)."""
    net, rail = plan.network, plan.scenario.rail
    loco, loco_t = rail.locomotive_m, rail.locomotive_t
    tare = tare_of(net.rows("wagon_types"))
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in pieces:
        if p.mode != "rail" or p.railhead is None:
            continue
        eq = plan.equipment[p.equipment]
        wt = eq.wagon_type
        if (p.railhead, p.exit, p.equipment) in seen or wt not in net.wagon_types.index:
            continue
        seen.add((p.railhead, p.exit, p.equipment))
        limits = {f"railheads.csv {p.railhead}.max_train_m": float(net.railheads.at[p.railhead, "max_train_m"])}
        if p.exit in net.railheads.index:
            limits[f"railheads.csv {p.exit}.max_train_m"] = float(net.railheads.at[p.exit, "max_train_m"])
        limits.update({f"links.csv {leg.link}.max_train_m": leg.max_train_m for leg in p.route if leg.max_train_m > 0})
        where, shortest = min(limits.items(), key=lambda kv: (kv[1], kv[0]))
        wagon = float(net.wagon_types.at[wt, "length_m"])
        masses = {f"links.csv {leg.link}.max_train_t": leg.max_train_t for leg in p.route if leg.max_train_t > 0}
        one = EquipmentType(eq.id, eq.cls, eq.length_m, eq.width_m, eq.mass_t, eq.out_of_gauge, wt, 1.0)  # one piece
        if wagon_limits(shortest - loco, 0.0, one, wagon, 0.0)[0] < 1:
            out.append(Problem(plan.file, field, p.railhead,
                               f"a train from {p.railhead} to {p.exit} may be {shortest:g} m ({where}) less the "
                               f"locomotive ({loco:g} m, rail.locomotive_m): too short for one {wt} wagon ({wagon:g} m)"))
        elif masses:
            where_t, lightest = min(masses.items(), key=lambda kv: (kv[1], kv[0]))
            usable = lightest - loco_t
            if usable <= 0 or wagon_limits(0.0, usable, one, wagon, tare.get(wt, 0.0))[1] < 1:
                out.append(Problem(plan.file, field, p.railhead,
                                   f"a train from {p.railhead} to {p.exit} may weigh {lightest:g} t ({where_t}) less the "
                                   f"locomotive ({loco_t:g} t, rail.locomotive_t): too light for one {wt} wagon "
                                   f"({tare.get(wt, 0.0):g} t) with one {eq.id} ({eq.mass_t:g} t)"))
    return out
