"""Strategic lift of a force given as a deployment list: which ship call or flight brings each piece and each
person. Ship calls and flights are given in the scenario (the pieces of a port's lines fill that port's calls
in arrival order) or planned from the list (`forces[].lift`): ships of a stated capacity in pieces or lane
metres, aircraft of a type of the aircraft table (sim/data/aircraft.csv) with seats, hold length and payload.

Pieces and persons are lifted in the order of their lines' earliest arrival date (EAD), then priority, then
required delivery date (RDD), then list order; on board, a ship discharges in order of priority and RDD. A
planned ship or flight arrives at the start of the latest EAD among what it carries (and not before the
previous one at the same port or airfield plus the stated interval); a line that arrives after its latest
arrival date (LAD) is reported as a warning. Pure functions: no model, no randomness."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .equipment import EquipmentType
from .errors import Problem, suggest
from .network import table_source_problems
from .scenario import Force, Lift
from .tables import DATA_DIR, missing, read_table

AIRCRAFT_FILE = DATA_DIR / "aircraft.csv"
AIRCRAFT_SOURCES = DATA_DIR / "aircraft_sources.csv"


PALLET = "pallet_463l"  # the equipment type of a 463L pallet: it takes one pallet position of an aircraft's hold


@dataclass(frozen=True)
class Aircraft:
    """One aircraft type: persons it seats, hold length for vehicles (m, ramp included; 0: none), payload (t),
    463L pallet positions (0: none) and planned ground time at its airfield (h; None: the airfield's
    turnaround_h)."""

    id: str
    seats: int
    cargo_length_m: float
    payload_t: float
    pallets: int = 0
    ground_time_h: float | None = None


def _number(value: object) -> float | None:
    """A cell of the table as a number, None when empty (tables.missing, or an empty text)."""
    return None if missing(value) or value == "" else float(value)  # type: ignore[arg-type]


def load_aircraft(path: Path = AIRCRAFT_FILE, problems: list[Problem] | None = None) -> dict[str, Aircraft]:
    """The aircraft table, by type."""
    problems = [] if problems is None else problems
    frame = read_table(path, "aircraft", problems)
    cols = set(frame.columns)
    return {str(r["aircraft"]): Aircraft(str(r["aircraft"]), int(r["seats"] or 0), float(r["cargo_length_m"] or 0.0),
                                         float(r["payload_t"] or 0.0),
                                         int(_number(r["pallets"]) or 0) if "pallets" in cols else 0,
                                         _number(r["ground_time_h"]) if "ground_time_h" in cols else None)
            for _, r in frame.iterrows() if r["aircraft"]}


def check_aircraft_sources() -> list[Problem]:
    """Every number of the aircraft table carries a source or is marked as an assumption."""
    return table_source_problems(AIRCRAFT_FILE, "aircraft", AIRCRAFT_SOURCES, lambda f: list(f["aircraft"]))


@dataclass(frozen=True)
class Cargo:
    """One piece of a listed force to lift: its line (index in the scenario's deployment), unit, equipment,
    port or airfield, and the order it is lifted in (EAD h, priority, RDD h, line, position in the line)."""

    line: int
    unit: str
    equipment: EquipmentType
    pod: str
    order: tuple[float, int, float, int, int]
    lad_end_h: float


@dataclass(frozen=True)
class Party:
    """Persons of one line to fly in: unit, airfield, count, and the order they are lifted in."""

    line: int
    unit: str
    pod: str
    persons: int
    order: tuple[float, int, float, int, int]
    lad_end_h: float


@dataclass
class Carrier:
    """A ship call or flight with what it carries: pieces (indices into the force's cargo list, in discharge
    order) and parties (unit, persons). `index` orders the carriers as the scenario gives them (given calls)
    or as they were planned."""

    node: str
    at_h: float
    index: tuple[int, ...]  # (call) or (flights entry, flight): its place among the scenario's, or planned order
    pieces: list[int] = field(default_factory=list)
    parties: list[tuple[str, int]] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)
    aircraft: str = ""  # a flight's aircraft type ("" when not given; a ship call's is always "")


def lane_m(eq: EquipmentType, lane_width_m: float) -> float:
    """Deck lane metres one piece takes: its length times the lanes its width needs."""
    return eq.length_m * max(1, math.ceil(eq.width_m / lane_width_m - 1e-9))


def _discharge_order(carrier: Carrier, cargo: list[Cargo]) -> None:
    """On board, pieces leave by priority, then RDD, then lifting order."""
    carrier.pieces.sort(key=lambda k: (cargo[k].order[1], cargo[k].order[2], cargo[k].order))


def given_ships(force: Force, here: str, file: str, cargo: list[Cargo]) -> tuple[list[Carrier], list[Problem]]:
    """The force's sea-borne cargo on its given ship calls: each port's pieces, in lifting order, fill that
    port's calls in order of arrival, each call taking its `pieces` (or the port's pieces split evenly over its
    calls when no call gives a number)."""
    out: list[Problem] = []
    by_port: dict[str, list[int]] = {}
    for k, item in sorted(enumerate(cargo), key=lambda kc: kc[1].order):
        by_port.setdefault(item.pod, []).append(k)
    calls: dict[str, list[tuple[int, float]]] = {}
    for j, call in enumerate(force.ships):
        calls.setdefault(call.port, []).append((j, call.at_h))
    given = [c.pieces for c in force.ships]
    if any(g is None for g in given) and not all(g is None for g in given):
        return [], [Problem(file, f"{here}.ships", None, "give pieces on every ship call or on none")]
    carriers: list[Carrier] = []
    for port in sorted(set(by_port) | set(calls)):
        pids, at = by_port.get(port, []), sorted(calls.get(port, []), key=lambda jt: (jt[1], jt[0]))
        if not at:
            out.append(Problem(file, f"{here}.ships", port, f"{len(pids)} pieces of the force's lines arrive at {port} "
                                                            "but no ship call does: add a call, or give no calls and "
                                                            "`lift` to plan them"))
            continue
        if not pids:
            out.append(Problem(file, f"{here}.ships", port, f"ship calls at {port} but no line of the force has "
                                                            f"{port} as pod"))
            continue
        if given[0] is None:
            base, extra = divmod(len(pids), len(at))
            counts = [base + (1 if n < extra else 0) for n in range(len(at))]
        else:
            counts = [int(force.ships[j].pieces or 0) for j, _ in at]
            if sum(counts) != len(pids):
                out.append(Problem(file, f"{here}.ships", sum(counts), f"the calls at {port} carry {sum(counts)} pieces "
                                                                      f"but the force's lines bring {len(pids)} there"))
                continue
        cursor = 0
        for (j, t), n in zip(at, counts, strict=True):
            c = Carrier(port, t, (j,), pids[cursor:cursor + n])
            _discharge_order(c, cargo)
            carriers.append(c)
            cursor += n
    carriers.sort(key=lambda c: c.index)
    return carriers, out


def planned_ships(lift: Lift | None, here: str, file: str, cargo: list[Cargo]) -> tuple[list[Carrier], list[Problem]]:
    """Ships planned for the force's sea-borne cargo: per port, in lifting order, as many pieces as one ship
    takes (lift.ship_pieces, or lift.ship_lane_m of deck lanes); a ship arrives at the start of the latest EAD
    of its pieces, not before the previous one plus lift.ship_every_h."""
    if not cargo:
        return [], []
    if lift is None or (lift.ship_pieces is None and lift.ship_lane_m is None):
        ports = sorted({c.pod for c in cargo})
        return [], [Problem(file, f"{here}.lift", None, f"the force's lines bring pieces by sea to {', '.join(ports)} but "
                                                        "it has no ship calls: give `ships`, or `lift.ship_pieces` or "
                                                        "`lift.ship_lane_m` to plan them")]
    carriers: list[Carrier] = []
    by_port: dict[str, list[int]] = {}
    for k, item in sorted(enumerate(cargo), key=lambda kc: kc[1].order):
        by_port.setdefault(item.pod, []).append(k)
    cap = float(lift.ship_pieces or 0) if lift.ship_lane_m is None else lift.ship_lane_m
    for port in sorted(by_port):
        loads: list[list[int]] = [[]]
        used = 0.0
        for k in by_port[port]:
            size = 1.0 if lift.ship_lane_m is None else lane_m(cargo[k].equipment, lift.lane_width_m)
            if size > cap + 1e-9:
                return [], [Problem(file, f"{here}.lift.ship_lane_m", lift.ship_lane_m,
                                    f"one {cargo[k].equipment.id} takes {size:g} lane m: more than a ship has")]
            if loads[-1] and used + size > cap + 1e-9:
                loads.append([])
                used = 0.0
            loads[-1].append(k)
            used += size
        prev = -math.inf
        for ship in loads:
            t = max(0.0, prev + lift.ship_every_h, *(cargo[k].order[0] for k in ship))
            c = Carrier(port, t, (len(carriers),), list(ship), lines={cargo[k].line for k in ship})
            _discharge_order(c, cargo)
            carriers.append(c)
            prev = t
    return carriers, []


def hold_m(aircraft: Aircraft, eq: EquipmentType) -> float:
    """Hold length one piece takes: a vehicle its length (it takes the hold's width), a 463L pallet the share
    1 / pallets of the hold (more than the hold when the aircraft takes no pallets)."""
    if eq.id == PALLET:
        return aircraft.cargo_length_m / aircraft.pallets if aircraft.pallets else math.inf
    return eq.length_m


def _fits(aircraft: Aircraft, eqs: list[EquipmentType], eq: EquipmentType) -> bool:
    """One more piece fits the hold: vehicles stand one behind the other (each takes the hold's width) and
    pallets take their positions, within the hold's length and the payload."""
    return (sum(hold_m(aircraft, e) for e in eqs) + hold_m(aircraft, eq) <= aircraft.cargo_length_m + 1e-9
            and sum(e.mass_t for e in eqs) + eq.mass_t <= aircraft.payload_t + 1e-9)


def flight_types(force: Force, here: str, file: str, aircraft: dict[str, Aircraft]) -> list[Problem]:
    """Each given flight's aircraft type (`flights[].aircraft`, when given) is a row of the aircraft table and
    seats the flight's persons."""
    out: list[Problem] = []
    for j, fl in enumerate(force.flights):
        if fl.aircraft is None:
            continue
        ac = aircraft.get(fl.aircraft)
        if ac is None:
            out.append(Problem(file, f"{here}.flights[{j}].aircraft", fl.aircraft, "unknown aircraft type; "
                               + (suggest(fl.aircraft, aircraft) or "`rsom list aircraft` lists them")))
        elif fl.pax > ac.seats:
            out.append(Problem(file, f"{here}.flights[{j}].pax", fl.pax,
                               f"a {ac.id} seats {ac.seats} persons (sim/data/aircraft.csv)"))
    return out


def load_problems(c: Carrier, eqs: list[EquipmentType], aircraft: dict[str, Aircraft], where: str,
                  file: str) -> list[Problem]:
    """The pieces of a flight of a given type fit its hold (hold length, pallet positions) and payload."""
    ac = aircraft.get(c.aircraft)
    if ac is None:
        return []
    on: list[EquipmentType] = []
    for eq in eqs:
        if not _fits(ac, on, eq):
            return [Problem(file, where, len(eqs), f"{len(eqs)} pieces ({', '.join(sorted({e.id for e in eqs}))}) do "
                            f"not fit a {ac.id} (hold {ac.cargo_length_m:g} m, {ac.pallets} pallet positions, "
                            f"{ac.payload_t:g} t; sim/data/aircraft.csv)")]
        on.append(eq)
    return []


def given_flights(force: Force, here: str, file: str, cargo: list[Cargo], parties: list[Party],
                  aircraft: dict[str, Aircraft] | None = None) -> tuple[list[Carrier], list[Problem]]:
    """The force's air-borne persons and pieces on its given flights: each airfield's persons fill that
    airfield's flights' seats, and its pieces their `pieces`, in order of arrival; a flight of a given
    aircraft type must hold what it carries."""
    out: list[Problem] = []
    flights: dict[str, list[Carrier]] = {}
    for j, fl in enumerate(force.flights):
        for k in range(fl.count):
            flights.setdefault(fl.airfield, []).append(Carrier(fl.airfield, fl.at_h + k * fl.every_h, (j, k),
                                                               aircraft=fl.aircraft or ""))
    seats: dict[tuple[int, ...], int] = {(j, k): fl.pax for j, fl in enumerate(force.flights) for k in range(fl.count)}
    holds: dict[tuple[int, ...], int] = {(j, k): fl.pieces for j, fl in enumerate(force.flights) for k in range(fl.count)}
    need_p: dict[str, list[Party]] = {}
    for p in sorted(parties, key=lambda p: p.order):
        need_p.setdefault(p.pod, []).append(p)
    need_c: dict[str, list[int]] = {}
    for k, item in sorted(enumerate(cargo), key=lambda kc: kc[1].order):
        need_c.setdefault(item.pod, []).append(k)
    for field_ in sorted(set(need_p) | set(need_c)):
        fls = sorted(flights.get(field_, []), key=lambda c: (c.at_h, c.index))
        persons = sum(p.persons for p in need_p.get(field_, []))
        have = sum(seats[c.index] for c in fls)
        if persons > have:
            out.append(Problem(file, f"{here}.flights", have, f"flights into {field_} seat {have} persons but the "
                                                              f"force's lines fly {persons} there"))
            continue
        pieces = need_c.get(field_, [])
        room = sum(holds[c.index] for c in fls)
        if len(pieces) > room:
            out.append(Problem(file, f"{here}.flights", room, f"flights into {field_} carry {room} pieces but the "
                                                              f"force's lines fly {len(pieces)} there"))
            continue
        queue = [_Waiting(p) for p in need_p.get(field_, [])]
        cursor = 0
        for c in fls:
            _board(c, queue, seats[c.index])
            n = holds[c.index]
            c.pieces = pieces[cursor:cursor + n]
            c.lines |= {cargo[k].line for k in c.pieces}
            cursor += n
            if aircraft and c.aircraft and not any(p.field == f"{here}.flights[{c.index[0]}].pieces" for p in out):
                out += load_problems(c, [cargo[k].equipment for k in c.pieces], aircraft,
                                     f"{here}.flights[{c.index[0]}].pieces", file)
    carriers = sorted((c for fls in flights.values() for c in fls), key=lambda c: c.index)
    return carriers, out


@dataclass
class _Waiting:
    """Persons of a line not yet seated."""

    party: Party
    left: int = -1

    def __post_init__(self) -> None:
        self.left = self.party.persons


def _board(c: Carrier, queue: list[_Waiting], seats: int) -> float:
    """Seat persons from the front of the queue on a flight (one party per unit, merged when a unit's lines
    follow each other); returns the latest EAD (h) among those seated (0 when none)."""
    due = 0.0
    while queue and seats:
        w = queue[0]
        take = min(seats, w.left)
        unit = w.party.unit
        if c.parties and c.parties[-1][0] == unit:
            c.parties[-1] = (unit, c.parties[-1][1] + take)
        else:
            c.parties.append((unit, take))
        c.lines.add(w.party.line)
        due = max(due, w.party.order[0])
        w.left -= take
        seats -= take
        if not w.left:
            queue.pop(0)
    return due


def planned_flights(lift: Lift | None, aircraft: dict[str, Aircraft], here: str, file: str, cargo: list[Cargo],
                    parties: list[Party]) -> tuple[list[Carrier], list[Problem]]:
    """Flights planned for the force's air-borne persons and pieces: per airfield, aircraft of lift.aircraft
    filled in lifting order (seats with persons, the hold with pieces); a flight arrives at the start of the
    latest EAD of what it carries, not before the previous one plus lift.flights_every_h."""
    if not cargo and not parties:
        return [], []
    if lift is None or lift.aircraft is None:
        fields = sorted({c.pod for c in cargo} | {p.pod for p in parties})
        return [], [Problem(file, f"{here}.lift", None, f"the force's lines fly into {', '.join(fields)} but it has no "
                                                        "flights: give `flights`, or `lift.aircraft` to plan them")]
    ac = aircraft.get(lift.aircraft)
    if ac is None:
        return [], [Problem(file, f"{here}.lift.aircraft", lift.aircraft, "unknown aircraft type; "
                            + (suggest(lift.aircraft, aircraft) or "`rsom list aircraft` lists them"))]
    for item in cargo:
        eq = item.equipment
        if not _fits(ac, [], eq):
            return [], [Problem(file, f"{here}.lift.aircraft", ac.id, f"one {eq.id} ({eq.length_m:g} m, {eq.mass_t:g} t) "
                                f"does not fit a {ac.id} (hold {ac.cargo_length_m:g} m, {ac.payload_t:g} t)")]
    if parties and ac.seats == 0:
        return [], [Problem(file, f"{here}.lift.aircraft", ac.id, f"a {ac.id} has no seats for the force's personnel")]
    carriers: list[Carrier] = []
    fields = sorted({c.pod for c in cargo} | {p.pod for p in parties})
    for field_ in fields:
        queue = [_Waiting(p) for p in sorted(parties, key=lambda p: p.order) if p.pod == field_]
        pieces = [k for k, item in sorted(enumerate(cargo), key=lambda kc: kc[1].order) if item.pod == field_]
        prev = -math.inf
        while queue or pieces:
            c = Carrier(field_, 0.0, (len(carriers),), aircraft=ac.id)
            due = _board(c, queue, ac.seats)
            eqs: list[EquipmentType] = []
            while pieces and _fits(ac, eqs, cargo[pieces[0]].equipment):
                k = pieces.pop(0)
                eqs.append(cargo[k].equipment)
                c.pieces.append(k)
                c.lines.add(cargo[k].line)
                due = max(due, cargo[k].order[0])
            c.at_h = max(0.0, due, prev + lift.flights_every_h)
            prev = c.at_h
            carriers.append(c)
    return carriers, []


def late_lines(carriers: list[Carrier], cargo: list[Cargo], parties: list[Party]) -> dict[int, float]:
    """Lines (index) some of whose pieces or persons arrive after the end of their LAD: the latest arrival (h)."""
    lad = {c.line: c.lad_end_h for c in cargo} | {p.line: p.lad_end_h for p in parties}
    late: dict[int, float] = {}
    for c in carriers:
        for line in c.lines | {cargo[k].line for k in c.pieces}:
            if c.at_h > lad[line] + 1e-9:
                late[line] = max(late.get(line, c.at_h), c.at_h)
    return late


def land_arrivals(cargo: list[Cargo], parties: list[Party]) -> list[Carrier]:
    """Pieces and persons already in the country (mode land: a home station, a prepositioned stock) at their
    pod: a line's persons at the start of its EAD, its pieces spread evenly over the days from its EAD to its
    LAD (a stock is issued, a garrison loads out, day by day; the first days take the odd pieces), each day's at
    its start and none before the start of the run; one arrival per pod and time, in lifting order."""
    groups: dict[tuple[str, float], Carrier] = {}
    by_line: dict[int, list[int]] = {}
    for k, item in sorted(enumerate(cargo), key=lambda kc: kc[1].order):
        by_line.setdefault(item.line, []).append(k)
    for ks in by_line.values():
        first = cargo[ks[0]]
        days = max(1, round((first.lad_end_h - first.order[0]) / 24.0))
        base, extra = divmod(len(ks), days)
        cursor = 0
        for d in range(days):
            n = base + (1 if d < extra else 0)
            key = (first.pod, max(0.0, first.order[0] + 24.0 * d))
            groups.setdefault(key, Carrier(key[0], key[1], (len(groups),))).pieces.extend(ks[cursor:cursor + n])
            cursor += n
    for p in sorted(parties, key=lambda p: p.order):
        key = (p.pod, max(0.0, p.order[0]))
        _board(groups.setdefault(key, Carrier(key[0], key[1], (len(groups),))), [_Waiting(p)], p.persons)
    for group in groups.values():
        _discharge_order(group, cargo)
    return sorted(groups.values(), key=lambda g: (g.at_h, g.node))
