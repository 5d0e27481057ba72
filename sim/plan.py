"""Compile a scenario against its network: concrete pieces with their mode and routes, ship calls with
manifests, flights with personnel. Every cross-reference is checked here and reported as a Problem."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import networkx as nx

from .changes import apply_changes
from .checks import check_names, housing_warnings
from .errors import InputError, Problem
from .forces import Template, Unit, load_templates
from .investments import Change, Investment
from .network import PIECE_CLASSES, Network, build_graph, links_by_name, load_network
from .paths import networks_dir
from .routing import Route, Router
from .scenario import Flow, Force, Scenario, read_scenario

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
    investments: tuple[Investment, ...] = ()  # the investments applied, in the scenario's order
    changes: tuple[Change, ...] = ()  # every change to tables and pools applied (investments, parameters, modules)
    flows: list[FlowPlan] = field(default_factory=list)
    civil: list[dict] = field(default_factory=list)  # shared capacity: what civil traffic uses and what is left
    links_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # corridor name or link id -> link ids
    scenario_as_written: Scenario | None = None  # before any change: what a saved result re-runs

    @property
    def personnel_total(self) -> int:
        return sum(u.personnel for u in self.units.values())


def mode_rules(s: Scenario, force: Force | None = None) -> dict[str, list[str]]:
    """The modes each piece class may take, in order of preference: the scenario's, with the force's own
    rules for the classes it names."""
    out: dict[str, list[str]] = {str(c): [str(m) for m in modes] for c, modes in s.modes.items()}
    if force is not None and force.modes:
        out.update({str(c): [str(m) for m in modes] for c, modes in force.modes.items()})
    return out


def great_circle_km(net: Network, a: str, b: str) -> float:
    """Great-circle distance between two nodes (km)."""
    la1, lo1, la2, lo2 = (math.radians(float(net.nodes.at[n, c])) for n, c in ((a, "lat"), (a, "lon"), (b, "lat"),
                                                                                  (b, "lon")))
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
    net = load_network(network_folder)
    problems = [p for p in net.problems if p.severity == "error"]
    warnings = [p for p in net.problems if p.severity == "warning"]
    templates = load_templates(problems=problems)
    named = check_names(scenario, file, net)  # reported together with the network's own problems
    problems += [p for p in named if p.severity == "error"]
    warnings += [p for p in named if p.severity != "error"]
    as_written = scenario
    try:
        changed = apply_changes(scenario, file, net, extra_changes)
    except InputError as exc:
        raise InputError(problems + exc.problems) from None
    if problems:
        raise InputError(problems)
    net = changed.network
    if changed.pools != scenario.pools:
        scenario = scenario.model_copy(update={"pools": changed.pools})
    graph = build_graph(net)
    for name, units in scenario.templates.items():
        templates[name] = tuple(
            Unit(u.unit, u.personnel, tuple((c, getattr(u, c)) for c in PIECE_CLASSES)) for u in units
        )
    plan = Plan(scenario, file, net, graph, Router(graph), templates, warnings=warnings,
                investments=changed.investments, changes=changed.changes, civil=changed.civil,
                links_of=links_by_name(net), scenario_as_written=as_written)
    for i, force in enumerate(scenario.forces):
        problems += _compile_force(plan, i, force)
    for i, flow in enumerate(scenario.sustainment):
        problems += _compile_flow(plan, i, flow)
    plan.warnings += housing_warnings(scenario, file, net, plan.units.values())
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
            for k in range(n):
                pid = len(plan.pieces)
                plan.pieces.append(PiecePlan(pid, flow.name, flow.name, flow.cls, flow.mode, flow.origin, flow=True, **opt))
                arrivals.append((flow.start_h + k * 24.0 / flow.pieces_per_day, pid, 0))
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
    arrivals: list[tuple[str, str]] = []  # (entry node, where in the scenario) per piece
    pid0 = len(plan.pieces)
    for j, (call, n) in enumerate(zip(force.ships, counts)):
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
                                               tuple(parties), pids))

    rules = mode_rules(s, force)
    out += _missing_wagon_pools(plan, here, force, sorted({c for _, c in pieces_list}), rules)
    if out:
        return out
    cache: dict[tuple[str, str], tuple[str, dict] | None] = {}
    for (unit, cls), (entry, where) in zip(pieces_list, arrivals):
        key = (entry, cls)
        if key not in cache:
            choice = None
            for mode in rules.get(cls, []):
                opt = _mode_options(plan, force, entry, cls, mode)
                if opt is not None:
                    choice = (mode, opt)
                    break
            cache[key] = choice
            if choice is None:
                modes = rules.get(cls, [])
                out.append(Problem(file, where, f"{cls} from {entry}",
                                   f"no path to any of the exits {force.exits} by the modes allowed for {cls}: {modes}"))
        choice = cache[key]
        if choice is None:
            continue
        mode, opt = choice
        plan.pieces.append(PiecePlan(len(plan.pieces), force.id, unit, cls, mode, entry, **opt))

    out += _trains_fit(plan, here, plan.pieces[pid0:])

    # Units: marry-up at the staging area and the personnel's way out.
    road_counts: dict[str, int] = {}
    for p in plan.pieces[pid0:]:
        if p.mode == "road":
            road_counts[p.unit] = road_counts.get(p.unit, 0) + 1
    start_of_personnel = force.staging or (force.flights[0].airfield if force.flights else None)
    for u in template:
        exit_, route = force.exits[0], cast(Route, ())
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
                                   f"unit {u.name} has {up.road_pieces} road pieces but the staging area has "
                                   f"{st['vehicle_spaces']} vehicle spaces (a unit is admitted whole): "
                                   + _staging_alternatives(net, "vehicle_spaces", up.road_pieces)))
            if up and up.personnel > st["beds"]:
                out.append(Problem(file, f"{here}.staging", force.staging,
                                   f"unit {u.name} has {up.personnel} persons but the staging area has {st['beds']} "
                                   "beds (a unit is admitted whole): " + _staging_alternatives(net, "beds", up.personnel)))
        for fl in force.flights:
            if plan.router.route("road", fl.airfield, force.staging) is None and fl.pax:
                out.append(Problem(file, f"{here}.staging", force.staging, f"no road from airfield {fl.airfield} to the staging area"))
    return out


def _staging_alternatives(net: Network, column: str, need: int) -> str:
    """What to do about a unit bigger than its staging area: the areas big enough, or splitting the unit."""
    st = net.staging[(net.staging["role"] == "staging") & (net.staging[column] >= need)]
    big = [f"{n} ({int(v):,})" for n, v in sorted(st[column].items())]
    split = "or split the unit into parts no bigger than the area in a scenario template (templates:)"
    return (f"stage the force at {', '.join(big)} " + split) if big else ("no staging area is big enough; " + split)


def _trains_fit(plan: Plan, here: str, pieces: list[PiecePlan]) -> list[Problem]:
    """A train from a railhead must hold at least one wagon of each type loaded there: the shortest of the
    railhead's, the far end's and the line's length limits, less the locomotive, must exceed a wagon."""
    net, loco = plan.network, plan.scenario.rail.locomotive_m
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in pieces:
        if p.mode != "rail" or p.railhead is None:
            continue
        wt = str(net.piece_classes.at[p.cls, "wagon_type"])
        if (p.railhead, p.exit, wt) in seen:
            continue
        seen.add((p.railhead, p.exit, wt))
        limits = {f"railheads.csv {p.railhead}.max_train_m": float(net.railheads.at[p.railhead, "max_train_m"])}
        if p.exit in net.railheads.index:
            limits[f"railheads.csv {p.exit}.max_train_m"] = float(net.railheads.at[p.exit, "max_train_m"])
        limits.update({f"links.csv {leg.link}.max_train_m": leg.max_train_m for leg in p.route if leg.max_train_m > 0})
        where, shortest = min(limits.items(), key=lambda kv: (kv[1], kv[0]))
        wagon = float(net.wagon_types.at[wt, "length_m"])
        if shortest - loco < wagon:
            out.append(Problem(plan.file, f"{here}.railhead", p.railhead,
                               f"a train from {p.railhead} to {p.exit} may be {shortest:g} m ({where}) less the "
                               f"locomotive ({loco:g} m, rail.locomotive_m): too short for one {wt} wagon ({wagon:g} m)"))
    return out
