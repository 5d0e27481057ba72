"""The scenario file (YAML) as typed objects. Every default lives here, once; unknown keys are errors,
so a typo never falls back to a default silently."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .dates import clock_of, parse_when, rdd_hours
from .distributions import Deterministic, Distribution, as_distribution
from .errors import InputError, Problem, suggest
from .ids import Mode, PieceClass
from .nested import SortedFieldsSet
from .windows import Weekly, parse_window

# Bounds of the scenario's numbers. None is near a real scenario's value: each keeps a number finite and
# within what the model can mean, so a typo (an extra zero, a sign, .inf) is an error instead of a run that
# never ends or a crash deep inside it.
MAX_HORIZON_H = 24 * 365 * 2  # 17,520 h = two years: the model plans a deployment and its sustainment (weeks
# to months); every event up to the horizon is simulated and stored, so an unbounded horizon runs for ever
MAX_TIME_H = MAX_HORIZON_H  # any time or duration (h): nothing after the longest horizon can have an effect
MAX_WEEKS = MAX_HORIZON_H / (24 * 7)  # durations given in weeks, the same two years
SEED_MAX = 2**63 - 1  # numpy seeds must be >= 0, and seeds are stored in 64-bit signed integer columns (Parquet)
MAX_REPLICATIONS = 10_000  # each replication is a whole run (seconds for two brigades); 10,000 narrows a
# closure mean's confidence interval a hundredfold against one run: more is a typo, not a study
MAX_PERSONS = 1_000_000  # persons in one unit, flight, flow day or housing: a corps is some tens of thousands
MAX_PIECES = 100_000  # pieces in one unit, ship call or flight: a heavy brigade has about 2,000, and every
# piece is planned and simulated one by one
MAX_POOL = 100_000  # transport assets in one pool (wagons, train sets, HETs, buses, barges, teams): far above
# any national fleet, yet a finite resource size
MAX_SEATS = 1_000  # seats in one bus or persons riding one vehicle: a double-deck coach has under 100
MAX_SPEED_KMH = 1_000.0  # road and rail vehicles move well below this; it only keeps speeds finite
MAX_LIST_ROWS = 10_000_000  # lines of a deployment list file: far beyond a corps' unit lines
MAX_LANE_M = 100_000.0  # lane metres of one ship: the largest RoRo carriers have under 10,000
MAX_LENGTH_M = 10_000.0  # gaps and lengths in a column or train (m): 10 km, beyond any march gap or train
MAX_MASS_T = 100_000.0  # masses of a locomotive or train (t): far above the heaviest freight trains (some 40,000 t)
MAX_FACTOR = 100.0  # time factors multiply a table time whose mean is right (mean about 1); 100x is beyond
# any plausible variability
MAX_RATE_PER_DAY = 100.0  # random disruptions per target per day: one every quarter hour
MAX_CIVIL_LEVEL = 10.0  # civil traffic at ten times today's volume already leaves no capacity to share
MAX_COST_EUR = 1e12  # one investment: a trillion euro is beyond any national programme
MAX_CHANGE = 1e9  # the number an investment change adds, multiplies by or sets: no network quantity (berths,
# rates, lengths, speeds) comes near a billion; the changed cell is checked against the network schema too
YEARS = (1900, 2200)  # first year of an investment: existing and planned programmes lie well inside



def _bounded_factor(value: Any) -> Any:
    """A time factor's parameters (value, mean, sd, low, mode, high; dimensionless) finite and at most
    MAX_FACTOR: an infinite or huge factor stretches a process past any horizon."""
    for name, attr in (("value", "value"), ("mean", "mean_"), ("sd", "sd"), ("low", "low"), ("mode", "mode"),
                       ("high", "high")):
        x = value.__dict__.get(attr)  # declared fields only (low and mean are also properties of some kinds)
        if x is None:
            continue
        if not math.isfinite(x) or x > MAX_FACTOR:
            raise ValueError(f"{name} = {x}: a time factor must be a finite number no larger than {MAX_FACTOR:g}")
    return value


def _unit(symbol: str) -> dict[str, Any]:
    """The `unit` keyword of a field's JSON Schema, for `rsom schema` and docs/scenario-reference.md (a field's
    description says its unit in words; this keyword gives it to tables and editors)."""
    return {"unit": symbol}


_FACTOR_INPUT = Annotated[float, Field(ge=0, le=MAX_FACTOR)]
Dist = Annotated[
    Distribution,
    BeforeValidator(as_distribution,
                    json_schema_input_type=_FACTOR_INPUT | Literal["deterministic", "exponential"] | Distribution),
    AfterValidator(_bounded_factor),
]
# a distribution may be written as a bare number (that factor every time) or as the name of one whose parameters
# all have defaults; the JSON Schema says so (json_schema_input_type)


class Strict(SortedFieldsSet, BaseModel):
    """Unknown keys are errors; numbers must be finite (no .inf or .nan: they would never end a wait)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class ShipCall(Strict):
    """A RoRo ship calling at a sea port; `pieces` is its manifest size (pieces). If no call of a force gives
    `pieces`, the force's pieces are split evenly over its calls."""

    port: str = Field(description="Sea port the ship calls at: a node of the network's seaports table "
                                  "(`rsom list ports`).")
    at_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                        description="When the ship arrives off the port and asks for a berth, in hours from the "
                                    "start of the run (t = 0).")
    pieces: int | None = Field(None, ge=1, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                               description="Pieces on board (its manifest). Give it on every call of the force or "
                                           "on none; on none the force's sea-borne pieces are split evenly over its "
                                           "calls.")


class Flights(Strict):
    """`count` flights into an airfield, the first at `at_h`, then every `every_h` hours, each with up to
    `pax` persons and `pieces` airlifted pieces."""

    airfield: str = Field(description="Airfield the flights land at: a node of the network's airfields table "
                                      "(`rsom list airfields`).")
    at_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                        description="When the first flight arrives, in hours from the start of the run.")
    # at most as many flights as hours in the longest horizon
    count: int = Field(1, ge=1, le=MAX_TIME_H, json_schema_extra=_unit("flights"), description="Number of flights.")
    every_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="Hours between two flights' arrivals (0: all arrive at `at_h`).")
    pax: int = Field(0, ge=0, le=MAX_PERSONS, json_schema_extra=_unit("persons"),
                     description="Seats on each flight (the force's flights together must seat all its personnel).")
    pieces: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                        description="Pieces each flight carries (airlifted; the rest of the force comes by sea): "
                                    "vehicles, or 463L pallets (equipment pallet_463l) of a deployment list's lines.")
    aircraft: str | None = Field(None, description=(
        "Aircraft type of the flights: a row of the aircraft table (`rsom list aircraft`). Given, the flights "
        "seat at most its seats, hold what they carry (hold length, 463L pallet positions, payload), and stand "
        "at their airfield for its ground_time_h (times the `times.turnaround` factor); not given, they stand "
        "for the airfield's turnaround_h."))


class UnitSpec(Strict):
    """A unit of a scenario-defined template."""

    unit: str = Field(description="Name of the unit (battalion-sized), unique within its template.")
    personnel: int = Field(ge=0, le=MAX_PERSONS, json_schema_extra=_unit("persons"),
                           description="Personnel of the unit.")
    tracked: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                         description="Tracked vehicles of the unit.")
    wheeled: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                         description="Wheeled vehicles of the unit.")
    trailer: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"), description="Trailers of the unit.")
    container: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                           description="Containers of the unit.")
    helicopter: int = Field(0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces"),
                            description="Helicopters of the unit.")
    # the YAML names each class as a key of its own; tests check these are exactly ids.PIECE_CLASSES


def parse_equipment(text: str) -> list[tuple[str, int]]:
    """Pieces by type from "type=count;type=count" (empty: none), in the order written; a type may appear once.
    Raises ValueError naming the bad part."""
    out: list[tuple[str, int]] = []
    for raw in str(text or "").split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, count = part.partition("=")
        name, count = name.strip(), count.strip()
        if not sep or not name or not count:
            raise ValueError(f"{part!r} is not type=count")
        try:
            n = int(count)
        except ValueError:
            raise ValueError(f"count {count!r} of {name} is not a whole number") from None
        if n < 0:
            raise ValueError(f"count {n} of {name} is negative")
        if any(name == seen for seen, _ in out):
            raise ValueError(f"{name} is given twice")
        out.append((name, n))
    return out



class UnitLine(Strict):
    """One line of a deployment list (a unit line number, as in NATO and US deployment plans): a unit's
    personnel and equipment arriving at one port or airfield between two dates and required at a destination by
    a date. A unit may have several lines (its equipment by sea and its personnel by air, say); it closes when
    the critical equipment and the personnel of all its lines have reached its destination. The CSV columns of
    a list file are these fields (`rsom deployment-list` writes one)."""

    uln: str = Field(min_length=1, description="Unit line number: unique in the list.")
    force: str = Field(min_length=1, description="The scenario force (`forces[].id`) the line belongs to.")
    unit: str = Field(min_length=1, description="Unit (battalion-sized) the line moves; several lines may name it.")
    nation: str = Field("", description="Nation of the unit (ISO country code); shown in the results.")
    personnel: int = Field(0, ge=0, le=MAX_PERSONS, json_schema_extra=_unit("persons"),
                           description="Persons of the unit on this line (they come by air or are in the country: "
                                       "pod is an airfield, a railhead or a staging area).")
    equipment: str = Field("", json_schema_extra=_unit("pieces"), description=(
        'Pieces by equipment type, "type=count;type=count" (`rsom list equipment`; a piece class such as '
        '`container` stands for its generic type).'))
    pod: str = Field(min_length=1, description=(
        "Where the line enters: a sea port (`rsom list ports`), an airfield (`rsom list airfields`), or, for a unit "
        "already in the country (its home station, a prepositioned stock), a railhead or staging area."))
    mode: Literal["sea", "air", "land"] | None = Field(None, description=(
        "Lift mode: sea (pod a sea port), air (an airfield) or land (a railhead or staging area: the line's pieces "
        "and persons are there at the start of its EAD). Not given: from the pod."))
    ead: date = Field(description="Earliest arrival date at the pod (ISO date).")
    lad: date | None = Field(None, description="Latest arrival date at the pod (ISO date); a line arriving later is "
                                               "reported. Not given: the EAD.")
    rdd: date | None = Field(None, description="Required delivery date at the destination (ISO date; met by arriving "
                                               "any time that day). Not given: the force's RDD, if any.")
    destination: str = Field("", description="Exit or handover node the line goes to (`rsom list exits`). Not given: "
                                             "the force's exits.")
    priority: int | None = Field(None, ge=1, le=9, description=(
        "Priority (1 first) of the line's unit for discharge order, rolling stock and train paths; ties go to the "
        "earlier RDD. Not given: the force's priority."))
    critical: str = Field("", description=(
        'Equipment types or piece classes of the line that make its combat power, "type;type" ("none": none). '
        "Not given: the classes of unit_closure.critical_classes."))
    row: int | None = Field(None, ge=1, le=MAX_LIST_ROWS, description="Line of the list file the line was read from (set when reading; "
                                              "names the row in problems).")

    @field_validator("equipment")
    @classmethod
    def _equipment_parses(cls, v: str) -> str:
        parse_equipment(v)
        return v


class Lift(Strict):
    """Ships and aircraft planned from a deployment list: each sea port's pieces fill ships of the stated
    capacity in the order of their lines' EAD, priority and RDD, and each airfield's persons and airlifted
    pieces fill aircraft of the stated type. A ship or aircraft arrives at the start of the latest EAD among
    what it carries (not before the previous one at the same port or airfield plus `ship_every_h` or
    `flights_every_h`); berths and aircraft stands then queue them as they queue given calls."""

    ship_pieces: int | None = Field(None, ge=1, le=MAX_PIECES, json_schema_extra=_unit("pieces"), description=(
        "Pieces one RoRo ship carries. Give it or ship_lane_m when the force's sea lines have no ship calls."))
    ship_lane_m: float | None = Field(None, gt=0, le=MAX_LANE_M, json_schema_extra=_unit("m"), description=(
        "Lane metres of one RoRo ship: a piece takes its length times the lanes its width needs (lane_width_m)."))
    lane_width_m: float = Field(3.0, gt=0, le=MAX_LENGTH_M, json_schema_extra=_unit("m"), description=(
        "Width of one deck lane (m). ASSUMPTION: RoRo deck lanes are about 3 m wide; a piece wider than a lane "
        "takes two."))
    ship_every_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"), description=(
        "Least hours between two planned ships' arrivals at one port (0: ships arrive as their cargo is due and "
        "queue for berths)."))
    aircraft: str | None = Field(None, description=(
        "Aircraft type of the planned flights: a row of the aircraft table (`rsom list aircraft`). Give it when the "
        "force's air lines have no flights. Its pieces fill the hold by length and 463L pallet positions; a "
        "planned flight stands at its airfield for the type's ground_time_h (else the airfield's turnaround_h)."))
    flights_every_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"), description=(
        "Least hours between two planned flights' arrivals at one airfield (0: as their load is due; the "
        "airfield's aircraft stands queue them)."))


class Force(Strict):
    """One brigade-equivalent: what it is, how it arrives and where it goes."""

    id: str = Field(description="Name of the force in the results; unique among forces and sustainment flows.")
    template: str | None = Field(None, description=(
        "Its units: a built-in template (`rsom list templates`) or one defined under `templates`. Not given: its "
        "units are the lines of the deployment list whose force is this id."))
    lift: Lift | None = Field(None, description=(
        "Ships and aircraft planned from the deployment list for lines without given ship calls or flights."))
    staging: str | None = Field(None, description="Staging area where personnel marry up with their road-moving "
                                                  "pieces: a staging row of the network's staging table. Not given: "
                                                  "straight to the exit.")
    exits: list[str] = Field(min_length=1, description="Exit or handover nodes, of any mode (`rsom list exits`); "
                                                       "each piece goes to the one its mode reaches fastest.")
    railhead: str | None = Field(None, description="Railhead where the force's trains load (`rsom list railheads`). "
                                                   "Not given: the one reached fastest by road from the piece's entry.")
    ships: list[ShipCall] = Field(default_factory=list, description="Ship calls bringing the force's pieces.")
    flights: list[Flights] = Field(default_factory=list,
                                   description="Flights bringing the force's personnel (and any airlifted pieces).")
    modes: dict[PieceClass, list[Mode]] | None = Field(
        None, description="Mode rules of this force, by piece class: the modes a class may take, in order of "
                          "preference. Classes not named follow the scenario's `modes`. Not given: the scenario's.")
    priority: int = Field(1, ge=1, le=9,
                          description="Priority for train paths and rolling stock: 1 goes first, then request time.")
    rdd: date | None = Field(None, description=(
        "Required delivery date of each of the force's units at its destination (ISO date; met by closing any time "
        "that day); needs the scenario's `start`. Give it or rdd_h."))
    rdd_h: float | None = Field(None, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"), description=(
        "Required delivery date of each of the force's units at its destination, in hours from the scenario's "
        "start. Not given: no RDD, units are not judged early or late."))


class ChangeSpec(Strict):
    """One change an investment makes (see the investments table in the schema)."""

    table: Literal["seaports", "airfields", "railheads", "staging", "links", "nodes", "corridor", "pools",
                   "disruptions"] = Field(
        description="What it changes: a network table, `corridor` (every link of a corridor), `pools` (the "
                    "scenario's resource pools) or `disruptions` (the scenario's disruptions: a factor on their "
                    "durations or on the rate of random ones, by kind and target).")
    key: str = Field(description="Row it changes: node id, link id, corridor name, or pool name (hets, train_sets, "
                                 "buses, barges, reassembly_teams, bus_seats, wagons.TYPE); for disruptions the "
                                 "target as the disruptions name it (node id, corridor name or link id) or * "
                                 "(every target).")
    attribute: str = Field(description="Column it changes (a numeric column of that table; for pools, `count`; for "
                                       "disruptions KIND.duration_h or KIND.rate_per_day, KIND a disruption kind or "
                                       "* for every kind, with op mul).")
    op: Literal["add", "mul", "set"] = Field("set", description="How `value` changes the cell: add to it, "
                                                                "multiply it, or set it.")
    value: float = Field(ge=-MAX_CHANGE, le=MAX_CHANGE,
                         description="Amount added, factor, or new value, in the unit of the changed column "
                                     "(in_service: 1 = in service, 0 = not).")


class InvestmentSpec(Strict):
    """A user-defined investment, used like the rows of the network's investments table."""

    name: str = Field(description="Name by which `investments` applies it and results show it.")
    cost_eur: float = Field(ge=0, le=MAX_COST_EUR, json_schema_extra=_unit("EUR"),
                            description="Total cost of the investment, in euro.")
    first_year: int = Field(2026, ge=YEARS[0], le=YEARS[1], json_schema_extra=_unit("year"),
                            description="First year of commitment or of effect.")
    description: str = Field("", description="What the investment is and how its changes were derived.")
    changes: list[ChangeSpec] = Field(min_length=1, description="The changes it makes, applied in order.")


class Corridors(Strict):
    """Corridor names (e.g. L24, IRON_RHINE) or link ids taken out of or put into service."""

    out_of_service: list[str] = Field(default_factory=list,
                                      description="Corridor names or link ids taken out of service for the run "
                                                  "(`rsom list corridors`).")
    in_service: list[str] = Field(default_factory=list,
                                  description="Corridor names or link ids put into service for the run (e.g. a "
                                              "line the network keeps out of service).")


class Pools(Strict):
    """Transport assets shared by all forces. Sizes are planning assumptions (see the scenario file)."""

    wagons: dict[str, Annotated[int, Field(ge=1, le=MAX_POOL)]] = Field(
        default_factory=lambda: {"heavy_flat": 120, "flat": 160, "container_flat": 60},
        json_schema_extra=_unit("wagons"),
        description="Rail wagons by wagon type (a type of the network's wagon_types table). A class whose wagon "
                    "type has no pool cannot go by rail.")
    train_sets: int = Field(10, ge=1, le=MAX_POOL, json_schema_extra=_unit("train sets"),
                            description="Locomotives with crews: trains that can run at the same time.")
    hets: int = Field(40, ge=1, le=MAX_POOL, json_schema_extra=_unit("HETs"),
                      description="Heavy equipment transporters (each carries one tracked piece).")
    buses: int = Field(60, ge=1, le=MAX_POOL, json_schema_extra=_unit("buses"),
                       description="Buses carrying persons by road: personnel from their airfield onward, persons of "
                                   "sustainment flows.")
    bus_seats: int = Field(50, ge=1, le=MAX_SEATS, json_schema_extra=_unit("persons"),
                           description="Seats in one bus: persons it carries.")
    # assumption: coach on motorway, below the 90 km/h limit for buses
    bus_speed_kmh: float = Field(80.0, gt=0, le=MAX_SPEED_KMH, json_schema_extra=_unit("km/h"),
                                 description="Speed of a bus on the road, in km/h.")
    barges: int = Field(4, ge=1, le=MAX_POOL, json_schema_extra=_unit("barges"),
                        description="Barges for pieces moving by waterway.")
    reassembly_teams: int = Field(4, ge=1, le=MAX_POOL, json_schema_extra=_unit("teams"),
                                  description="Teams reassembling helicopters at the port, each one helicopter at a "
                                              "time.")
    trucks: int | None = Field(None, ge=1, le=MAX_POOL, json_schema_extra=_unit("trucks"),
                               description="Trucks of a pool carrying containers (the classes of `truck.classes`) by "
                                           "road from their entry (or the railhead where they leave the railway) to "
                                           "their staging area or exit, one each, with driver hours (see `truck`). Not given: no pool, and such pieces drive "
                                           "in their serials as vehicles of their own.")


class Convoy(Strict):
    """Road march rules. Serial size and gaps: FM 3-21.8 / FHWA (<= 20 vehicles, open column 50-100 m);
    halts: 15 min after the first hour, then 10 min every 2 h (armytransportation.tpub.com TR10098)."""

    # at most MAX_SEATS: a serial of 1,000 vehicles is a whole brigade on one road
    max_vehicles: int = Field(20, ge=1, le=MAX_SEATS, json_schema_extra=_unit("vehicles"),
                              description="Most vehicles in one serial (march unit).")
    gap_m: float = Field(75.0, ge=0, le=MAX_LENGTH_M, json_schema_extra=_unit("m"),
                         description="Gap between two vehicles of a serial, in metres.")
    max_wait_h: float = Field(6.0, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="A serial leaves short when its first vehicle has waited this long, "
                                          "in hours.")
    first_halt_after_h: float = Field(1.0, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                      description="Driving time before the first halt, in hours.")
    first_halt_h: float = Field(0.25, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                description="Length of the first halt, in hours.")
    halt_every_h: float = Field(2.0, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                description="Driving time between later halts, in hours.")
    halt_h: float = Field(1 / 6, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                          description="Length of each later halt, in hours.")
    seats_per_vehicle: int = Field(2, ge=0, le=MAX_SEATS, json_schema_extra=_unit("persons"),
                                   description="Personnel who ride in each road vehicle of a serial.")  # assumption
    start_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="Convoy clearances hold from this time (hours from the start): no serial "
                                       "marches before.")


class FarEnd(Strict):
    """Where trains that cross an exit go on to: the run beyond the exit and back, and the time there."""

    transit_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                             description="Running time one way, from the exit to the unloading terminal, in hours.")
    turnaround_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                description="Unloading, shunting and forming the empty train at the far terminal, "
                                            "in hours.")


class Rail(Strict):
    """Train formation, rolling stock and train paths."""

    max_wait_h: float = Field(12.0, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="A train leaves short when its first piece has waited this long, in hours.")
    locomotive_m: float = Field(20.0, ge=0, le=MAX_LENGTH_M, json_schema_extra=_unit("m"),
                                description="Length of the locomotive, in metres (counts against train length "
                                            "limits).")  # assumption: one electric locomotive ~19-20 m
    # assumption: a four-axle (Bo'Bo') electric locomotive at the D4 line class limit of 22.5 t per axle, 4 x 22.5 t;
    # the freight locomotives of Belgian and German operators weigh 84-90 t
    locomotive_t: float = Field(90.0, ge=0, le=MAX_MASS_T, json_schema_extra=_unit("t"),
                                description="Mass of the locomotive, in tonnes (counts against train mass limits).")
    start_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="Rail operations begin at this time (hours from the start): no stock moves "
                                       "and no train leaves before.")
    positioning_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                 description="Shunting and brake test when stock arrives from elsewhere, in hours.")
    allocation_every_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                      description="Train paths are allocated in rounds this many hours apart "
                                                  "(0: as soon as a train asks).")
    path_lead_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                               description="A train departs no earlier than this many hours after its path is "
                                           "allocated.")
    far_ends: dict[str, FarEnd] = Field(default_factory=dict,
                                        description="By exit node: where trains crossing it go on to. At other "
                                                    "exits trains unload at the exit.")
    yards: dict[str, str] = Field(default_factory=dict,
                                  description="Node where each pool of rolling stock starts: wagon type or "
                                              "`train_sets` -> yard node. A pool not named starts where it is first "
                                              "needed (no positioning).")
    out_of_gauge_blocks: bool = Field(True, description="An out-of-gauge train takes the path of the other "
                                                        "direction too (no passing).")
    switch_after_h: dict[PieceClass, Annotated[float, Field(ge=0, le=MAX_TIME_H)]] = Field(
        default_factory=dict, json_schema_extra=_unit("h"),
        description="By piece class: a piece that would wait longer than this many hours for its train takes its "
                    "next mode (HET or road) where its mode rules allow. A class not named never switches for a "
                    "wait.")


class Het(Strict):
    """Heavy equipment transporters (one tracked piece each)."""

    # assumption; SLT Elefant max 62 km/h (freenet.de)
    speed_kmh: float = Field(50.0, gt=0, le=MAX_SPEED_KMH, json_schema_extra=_unit("km/h"),
                             description="Speed of HETs on the road, loaded or empty, in km/h.")
    load_h: float = Field(0.5, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                          description="Time to load a piece onto a HET, in hours.")
    unload_h: float = Field(0.5, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                            description="Time to unload a piece from a HET, in hours.")
    shuttle_over_km: float = Field(
        5.0, ge=0, le=1e5, json_schema_extra=_unit("km"),
        description="A piece whose mode rules allow HET but not road, going by rail from a railhead away from its "
                    "port, rides a HET to the railhead when the road move is longer than this many km, and drives "
                    "there under escort when it is shorter.")
    # ASSUMPTION: tracked vehicles do not march on Belgian public roads in these moves (all tracked by rail, DEF20:
    # europeafrica.army.mil 2092998); a move inside a port estate (Zeebrugge quay to its yard, 2.3 km) is driven


def _truck_classes() -> list[PieceClass]:
    """The classes a truck of the pool carries by default: containers."""
    return ["container"]


class Truck(Strict):
    """Trucks of the pool (`pools.trucks`): each carries one piece of the classes named from its entry to its
    staging area or exit in a serial, unloads and drives back empty; its driver keeps the driving and rest rules
    of Regulation (EC) No 561/2006 (Art. 6: at most 9 h driving a day; Art. 7: a 45 min break after 4.5 h of
    driving; Art. 8: a daily rest of 11 h)."""

    classes: list[PieceClass] = Field(default_factory=_truck_classes,
                                      description="Piece classes that ride a truck when they go by road from their "
                                                  "entry.")
    # ASSUMPTION: a reach stacker or straddle carrier puts a container on a chassis in about a quarter hour
    load_h: float = Field(0.25, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                          description="Time to load a piece onto a truck, in hours.")
    unload_h: float = Field(0.25, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                            description="Time to unload a piece from a truck, in hours.")
    break_after_h: float = Field(4.5, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                 description="Driving after which a driver takes a break, in hours (Reg. 561/2006 "
                                             "Art. 7).")
    break_h: float = Field(0.75, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="Length of that break, in hours (Reg. 561/2006 Art. 7: 45 min).")
    daily_driving_h: float = Field(9.0, gt=0, le=24, json_schema_extra=_unit("h"),
                                   description="Most driving in a driver's day, in hours (Reg. 561/2006 Art. 6: 9 h, "
                                               "10 h twice a week).")
    daily_rest_h: float = Field(11.0, ge=0, le=24, json_schema_extra=_unit("h"),
                                description="Daily rest before the next day's driving, in hours (Reg. 561/2006 "
                                            "Art. 8: 11 h).")


class Barge(Strict):
    """Barge loading at a port's quay."""

    load_h: float = Field(6.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                          description="Time to load one barge at the quay, in hours.")
    unload_h: float = Field(6.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                            description="Time to unload one barge at the exit, in hours.")
    max_wait_h: float = Field(24.0, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="A barge leaves part-loaded when its first piece has waited this long, "
                                          "in hours.")


class Air(Strict):
    """Helicopters reassembled at the port, test-flown, then self-deploying; flights diverting from a closed
    airfield."""

    # assumption; 77 CAB helicopters all at Chievres 60 h after arrival
    reassembly_h: float = Field(8.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                description="Reassembly and test flight of one helicopter by one team, in hours.")
    divert_after_h: float = Field(2.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"), description=(
        "A flight whose airfield is closed for longer than this when it arrives diverts to the nearest open "
        "airfield of the network (its persons are received there and go on by road); a shorter closure it waits "
        "out in the hold, as does a flight carrying pieces. ASSUMPTION: about the fuel reserve of a holding airliner; on 4 Nov 2025 flights "
        "to Liege, closed for drones for two hours and more, diverted to Maastricht and Cologne "
        "(networks/belgium/friction_sources.md)."))


def _factor(what: str) -> Any:
    """A Times field: a factor distribution on one table time, deterministic 1 unless given."""
    return Field(Deterministic(), description=f"Factor (dimensionless, mean about 1) multiplying {what}: a number, "
                                              "a distribution name, or {dist: ..., parameters}.")


class Times(Strict):
    """Factor distributions (dimensionless, mean about 1) multiplying each process's table time."""

    discharge: Dist = _factor("the discharge time of a piece (seaports discharge_pph)")
    tech_check: Dist = _factor("the technical check of a piece at the port (seaports tech_check_h)")
    turnaround: Dist = _factor("an aircraft's ground time (its type's ground_time_h, else airfields turnaround_h)")
    pax_processing: Dist = _factor("the passenger processing time (airfields pax_ph)")
    cargo_processing: Dist = _factor("the cargo processing time of an airlifted piece (airfields cargo_pph)")
    rail_load: Dist = _factor("the time to load a train (railheads load_h)")
    rail_unload: Dist = _factor("the time to unload a train (railheads unload_h)")
    staging_prep: Dist = _factor("a unit's preparation at its staging area (staging prep_h)")
    reassembly: Dist = _factor("a helicopter's reassembly (air.reassembly_h)")
    het_load: Dist = _factor("loading a piece onto a HET (het.load_h)")
    barge_load: Dist = _factor("loading a barge (barge.load_h)")
    travel: Dist = _factor("running times on the links (length / speed)")


DisruptionKind = Literal["sabotage", "drone", "cyber", "strike", "weather", "accident", "high_water", "closure", "other"]


class DisruptionEvent(Strict):
    """A scheduled disruption: from `at_h`, for `duration_h` hours (repair included), the target works at
    `capacity_factor` of its capacity (0 = closed). The target is a node (its port, airfield, railhead or
    staging facility), a corridor name (every link of it) or a link id."""

    name: str | None = Field(None, description='Name in the results. Not given: "<kind>:<target>@<at_h>".')
    kind: DisruptionKind = Field("other", description="What causes it (for the results).")
    target: str = Field(description="A node with a port, airfield, railhead or staging facility, a corridor name "
                                    "(every link of it) or a link id.")
    at_h: float = Field(ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                        description="When it starts, in hours from the start of the run.")
    duration_h: float = Field(gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="How long it lasts, repair included, in hours.")
    capacity_factor: float = Field(0.0, ge=0, lt=1, json_schema_extra=_unit("share of capacity"),
                                   description="Share of its capacity the target keeps meanwhile (0 = closed, "
                                               "0.5 = half).")


class RandomDisruptions(Strict):
    """Random disruptions for Monte Carlo: on each target, events start as a Poisson process of `rate_per_day`
    between `start_h` and `end_h` (default: the horizon); each lasts `duration_h` times a draw of
    `duration_factor`."""

    kind: DisruptionKind = Field("other", description="What causes them (for the results).")
    targets: list[str] = Field(min_length=1, description="Nodes with a facility, corridor names or link ids, each "
                                                         "disrupted on its own.")
    rate_per_day: float = Field(gt=0, le=MAX_RATE_PER_DAY, json_schema_extra=_unit("events/day"),
                                description="Mean number of disruptions starting per target per day.")
    duration_h: float = Field(gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="Mean length of one disruption, in hours (times a draw of "
                                          "`duration_factor`).")
    duration_factor: Dist = Field(Deterministic(), description="Factor (dimensionless, mean about 1) multiplying "
                                                               "`duration_h` for each disruption.")
    capacity_factor: float = Field(0.0, ge=0, lt=1, json_schema_extra=_unit("share of capacity"),
                                   description="Share of its capacity a target keeps while disrupted (0 = closed).")
    start_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="Disruptions may start from this time, in hours from the start of the run.")
    end_h: float | None = Field(None, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                description="Disruptions may start until this time, in hours. Not given: the horizon.")


def _when_text(value: Any) -> Any:
    """An exercise time is kept as text, as written (hours, a C+day or a date; sim.dates.parse_when), once it
    parses; hours given as a number are written without a trailing .0."""
    parse_when(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) else str(value)
    return str(int(value)) if float(value).is_integer() else repr(float(value))


When = Annotated[str, BeforeValidator(_when_text)]
InjectKind = Literal["sabotage", "drone", "cyber", "strike", "weather", "accident", "custom"]
DecisionKind = Literal["priority", "close", "reserve", "paths", "discharge", "mode"]
RESERVE_POOLS = ("hets", "buses", "barges", "train_sets", "trucks")  # pools a reserve or contract adds to (and wagons.TYPE)


class Inject(Strict):
    """An incident of the exercise (a line of the master events list): from `at`, for `duration_h` hours, the
    target works at `capacity_factor` of its capacity. The model learns of it when it happens, not before."""

    at: When = Field(description="When it happens: hours after the start, a C+day with an optional clock time "
                                 "(`C+3 06:00`), or a date and time.")
    kind: InjectKind = Field(description="What happens (custom: anything else, named in `name`).")
    target: str = Field(description="What it hits: a node with a port, airfield, railhead or staging facility, a "
                                    "corridor name or a link id.")
    duration_h: float = Field(gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                              description="How long the target is closed or slowed, repair included, in hours.")
    capacity_factor: float = Field(0.0, ge=0, lt=1, json_schema_extra=_unit("share of capacity"),
                                   description="Share of its capacity the target keeps meanwhile (0 = closed).")
    name: str | None = Field(None, description='Name in the results and the log. Not given: "<kind>:<target>@<at>".')
    note: str = Field("", description="What the players are told.")


class Decision(Strict):
    """A decision of the exercise staff, taking effect from `at` (a reserve: `lead_h` later). `priority`
    gives a unit (or every unit of a force) a new priority for rolling stock and train paths, its waiting
    requests included; `close` closes a corridor, link or facility for `duration_h` (to the horizon when not
    given); `reserve` activates a reserve or host-nation contract that adds `count` to a pool; `paths` gives the
    military `count` more train paths a day on a rail corridor or link (the paths civil traffic gives up when
    the military is given priority on the line); `discharge` multiplies a sea port's discharge rates by
    `factor` from `lead_h` after the decision (more stevedore gangs or cranes hired); `mode` sends a force's
    pieces of a class on by the next mode their rules allow after rail (road or HET) when their train is formed
    from then on."""

    at: When = Field(description="When it is taken: hours after the start, a C+day with an optional clock time, or "
                                 "a date and time.")
    kind: DecisionKind = Field(description="What is decided: priority, close, reserve, paths, discharge or mode.")
    name: str | None = Field(None, description='Name in the results and the log. Not given: "<kind>:<what>@<at>".')
    unit: str | None = Field(None, description="priority: the unit, as FORCE/UNIT, or a force id for all its units; "
                                               "mode: a force id.")
    piece_class: PieceClass | None = Field(None, description="mode: the class of piece that leaves the railway.")
    priority: int | None = Field(None, ge=1, le=9, description="priority: the new priority (1 first).")
    target: str | None = Field(None, description="close: a corridor name, link id or node with a facility; paths: a "
                                                 "rail corridor or link; discharge: a sea port.")
    duration_h: float | None = Field(None, gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                     description="close: how long, in hours. Not given: to the horizon.")
    pool: str | None = Field(None, description=f"reserve: the pool it adds to: {', '.join(RESERVE_POOLS)} or "
                                               "wagons.TYPE.")
    count: int | None = Field(None, ge=1, le=MAX_POOL, description="reserve: how many it adds; paths: train paths a "
                                                                    "day added in each direction.")
    factor: float | None = Field(None, gt=0, le=MAX_FACTOR, json_schema_extra=_unit("factor"),
                                 description="discharge: what the port's discharge rates are multiplied by.")
    lead_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                          description="reserve, discharge: hours from the decision until the assets are there (the "
                                      "contract's or reserve's notice).")
    note: str = Field("", description="The staff's reasoning.")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Decision:
        """Each kind names what it acts on; fields of another kind are refused."""
        need = {"priority": ("unit", "priority"), "close": ("target",), "reserve": ("pool", "count"),
                "paths": ("target", "count"), "discharge": ("target", "factor"), "mode": ("unit", "piece_class")}[self.kind]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} decision needs {' and '.join(missing)}")
        own = {"priority": {"unit", "priority"}, "close": {"target", "duration_h"}, "reserve": {"pool", "count"},
               "paths": {"target", "count"}, "discharge": {"target", "factor"}, "mode": {"unit", "piece_class"}}
        other = [f for f in sorted(set().union(*own.values()) - own[self.kind]) if getattr(self, f) is not None]
        if other:
            raise ValueError(f"{', '.join(other)} belong to another kind of decision than {self.kind}")
        if self.kind == "reserve" and self.pool not in RESERVE_POOLS and not str(self.pool).startswith("wagons."):
            raise ValueError(f"unknown pool {self.pool!r}; give {', '.join(RESERVE_POOLS)} or wagons.TYPE")
        return self


class Exercise(Strict):
    """A table-top exercise played on the scenario: its injects and decisions, the alternative decisions of
    its branches, and where its clock stands. A run plays the injects and decisions, and those of `branch`."""

    now: When = Field("0", description="Where the exercise clock stands (set by `rsom exercise advance`).")
    injects: list[Inject] = Field(default_factory=list, description="The incidents played, in any order.")
    decisions: list[Decision] = Field(default_factory=list, description="The decisions taken on every branch.")
    branches: dict[str, list[Decision]] = Field(default_factory=dict, description=(
        "Alternative courses of action: each a list of decisions taken on top of `decisions`."))
    branch: str | None = Field(None, description="The branch a run plays. Not given: no branch's decisions.")


class Disruptions(Strict):
    """Hybrid threats and other friction that close or slow parts of the network for a time."""

    events: list[DisruptionEvent] = Field(default_factory=list, description="Scheduled disruptions.")
    random: list[RandomDisruptions] = Field(default_factory=list, description="Random disruptions (Monte Carlo).")
    divert_after_h: float = Field(12.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                                  description="Rail pieces switch to their next allowed mode when every rail route "
                                              "from their railhead stays closed longer than this many hours "
                                              "(0 = at once).")


def _window_parse(value: str) -> str:
    parse_window(value)  # raises ValueError with the bad part (or day name)
    return value


WindowText = Annotated[str, AfterValidator(_window_parse)]  # a time window (windows.py), daily or by day of the week
WEEKDAYS_NEED_START = "needs the scenario's start (start: YYYY-MM-DDTHH:MM), the date that says which weekday t = 0 is"


class CivilTraffic(Strict):
    """Civil traffic sharing the network: today's volumes come from the network tables (civil trains per
    line, commercial berths per port) scaled by `level`; `priority` decides who yields where both want the
    same path or berth. Peak hours keep military serials off the road links when civil traffic has priority."""

    level: float = Field(0.0, ge=0, le=MAX_CIVIL_LEVEL, json_schema_extra=_unit("x today's traffic"),
                         description="Civil traffic as a multiple of today's (1 = today's, 0 = none).")
    priority: Literal["civil", "military"] = Field("civil", description="Who goes first where both want the same "
                                                                        "train path or berth.")
    military_priority_on: list[str] = Field(default_factory=list,
                                            description="Corridors, links or sea ports where the military goes "
                                                        "first whatever `priority` says.")
    road_peaks: WindowText = Field("", json_schema_extra=_unit("clock time"),
                                   description='Civil peak hours, e.g. "07:00-09:30;16:00-19:00" (clock time, every '
                                               'day) or by day of the week, e.g. "Mon-Fri 07:00-09:30;Mon-Fri '
                                               '16:00-19:00" (needs `start`): under civil priority no serial enters '
                                               'a road link then. "" = none.')
    road_peak_corridors: list[str] | None = Field(None, description="Road corridors or links the peaks apply to. "
                                                                    "Not given: every road link.")


def _shift_text(value: Any) -> Any:
    """Shifts as window text: "HH:MM-HH:MM[;HH:MM-HH:MM]" as given, or a list of [start_h, end_h] clock-hour
    pairs (e.g. [[6, 14], [14, 22]]) written as that text. Raises ValueError naming the bad pair."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not value:
        raise ValueError('give shifts as "HH:MM-HH:MM[;HH:MM-HH:MM]" or a list of [start_h, end_h] clock hours')
    parts = []
    for pair in value:
        hours = pair if isinstance(pair, list) and len(pair) == 2 else None
        if hours is None or any(isinstance(h, bool) or not isinstance(h, int | float) for h in hours):
            raise ValueError(f"shift {pair!r} is not a pair [start_h, end_h] of clock hours")
        if any(not (math.isfinite(h) and 0 <= h <= 24) for h in hours):
            raise ValueError(f"shift {pair!r} has an hour outside 0..24")
        minutes = [round(h * 60) for h in hours]
        if any(abs(m - h * 60) > 1e-6 for m, h in zip(minutes, hours, strict=True)):
            raise ValueError(f"shift {pair!r} does not fall on whole minutes")
        parts.append("-".join(f"{m // 60:02d}:{m % 60:02d}" for m in minutes))
    return ";".join(parts)


_CLOCK_HOUR = Annotated[float, Field(ge=0, le=24)]
Shifts = Annotated[str, BeforeValidator(_shift_text,
                                        json_schema_input_type=str | list[tuple[_CLOCK_HOUR, _CLOCK_HOUR]]),
                   AfterValidator(_window_parse)]


COMBAT_CLASSES: tuple[PieceClass, ...] = ("tracked", "wheeled", "helicopter")


class UnitClosure(Strict):
    """When a unit counts as closed: its critical equipment (a share of its pieces of the critical classes) and
    all its personnel have reached its destination. ASSUMPTION (default): a unit's combat power is its vehicles
    and aircraft (tracked, wheeled, helicopter), all of them; trailers and containers carry its stocks and follow
    (they still count in the last-piece closure)."""

    critical_classes: list[PieceClass] = Field(default_factory=lambda: list(COMBAT_CLASSES),
                                               description="Piece classes that make a unit's combat power")
    critical_share: float = Field(1.0, gt=0, le=1, json_schema_extra=_unit("share"), description=(
        "Share of a unit's pieces of the critical classes that must have arrived for it to close (0-1]"))
    on_time_h: float = Field(24.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"), description=(
        "A unit closing at most this many hours before its RDD is on time, earlier is early (h). ASSUMPTION: the "
        "day before the RDD"))


class Ports(Strict):
    """The hours sea ports work (clock time, see start_clock_h; or by day of the week, see `start`): discharge of a
    piece proceeds only inside a shift, stops at a shift's end and resumes at the next (the ship waits at its
    berth). "" = around the clock.
    The technical check follows the shifts only with `tech_check_in_shifts` (by default military teams check
    pieces in the marshalling area around the clock). Personnel and airfields are not affected."""

    shifts: Shifts = Field("", json_schema_extra=_unit("clock time"),
                           description='Shifts of every sea port, e.g. "06:00-14:00;14:00-22:00" or '
                                       '[[6, 14], [14, 22]] (clock hours, every day), or by day of the week, e.g. '
                                       '"Mon-Fri 06:00-22:00;Sat 06:00-14:00;Sun closed" (needs `start`). "" = '
                                       'around the clock.')
    by_port: dict[str, Shifts] = Field(default_factory=dict, json_schema_extra=_unit("clock time"),
                                       description="A sea port's own shifts, over `shifts`, by port node.")
    tech_check_in_shifts: bool = Field(False, description="The technical check also follows the shifts (false: "
                                                          "around the clock).")

    def shifts_at(self, port: str) -> str:
        """The shifts (window text) of one port."""
        return self.by_port.get(port, self.shifts)


class Flow(Strict):
    """A regular flow alongside or after the surge: pieces (e.g. containers of ammunition, fuel, spares going
    east; damaged equipment going west) entering at `origin` at `pieces_per_day`, and persons (rotation,
    evacuation) at `persons_per_day` by bus, from `start_h` to `end_h`, moving to `destination`."""

    name: str = Field(description="Name in the results; unique among flows and forces.")
    origin: str = Field(description="Node where the flow enters.")
    destination: str = Field(description="Node it moves to.")
    mode: Literal["rail", "road"] = Field("rail", description="Mode of the flow's pieces.")
    cls: PieceClass = Field("container", description="Piece class of the flow's pieces.")
    pieces_per_day: float = Field(0.0, ge=0, le=MAX_PIECES, json_schema_extra=_unit("pieces/day"),
                                  description="Pieces entering per day.")
    persons_per_day: float = Field(0.0, ge=0, le=MAX_PERSONS, json_schema_extra=_unit("persons/day"),
                                   description="Persons entering per day (they go by bus).")
    start_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="When the flow starts, in hours from the start of the run.")
    end_h: float = Field(gt=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                         description="When the flow ends, in hours from the start of the run.")


MODULE_BEDS = 150  # persons per deployable accommodation module (issue text: "deployable modules of 150 persons")


class Accommodation(Strict):
    """Host-nation accommodation: `persons` housed at a staging site's beds from `start_h` for `weeks`;
    `modules` deployable accommodation modules (150 beds each) are added to the site first. Staging uses
    the beds that are left."""

    site: str = Field(description="Staging area housing them: a staging row of the network's staging table.")
    persons: int = Field(ge=1, le=MAX_PERSONS, json_schema_extra=_unit("persons"), description="Persons housed.")
    start_h: float = Field(0.0, ge=0, le=MAX_TIME_H, json_schema_extra=_unit("h"),
                           description="When they move in, in hours from the start of the run.")
    weeks: float = Field(gt=0, le=MAX_WEEKS, json_schema_extra=_unit("weeks"),
                         description="How long they stay, in weeks.")
    modules: int = Field(0, ge=0, le=MAX_PERSONS // MODULE_BEDS, json_schema_extra=_unit("modules"),
                         description=f"Deployable accommodation modules of {MODULE_BEDS} beds each added to the "
                                     "site first.")  # as many beds as MAX_PERSONS


DEFAULT_MODES: dict[PieceClass, list[Mode]] = {
    "tracked": ["rail", "het"],
    "wheeled": ["road"],
    "trailer": ["road"],
    "container": ["rail", "road"],
    "helicopter": ["air"],
}


class Scenario(Strict):
    """A whole experiment: network, forces, arrivals, rules, pools, horizon, seed."""

    base: str | None = Field(None, description=(
        "A scenario file this one extends (relative to it): its keys apply unless this file gives them; mappings "
        "merge key by key (give `rail: {max_wait_h: 6}` to change one rule), lists are replaced whole. Set to the "
        "base's full path when read."))
    name: str = Field(description="Name of the scenario, shown in the results.")
    description: str = Field("", description="What the scenario is, in words.")
    network: str = Field("belgium", description="Network: a folder under networks/, or a path relative to the "
                                                "scenario file.")
    start: datetime | None = Field(None, description=(
        "Date and time at t = 0 (ISO, e.g. 2027-02-15T06:00); sets start_clock_h and the weekday of t = 0 (for "
        "windows by day of the week, which need it), and the outputs show dates and C+days beside hours. Not given: "
        "times are hours from the start only."))
    c_day: date | None = Field(None, description="C-day, the day counted C+0 in the outputs (ISO date). Not given: "
                                                 "the day of `start`.")
    start_clock_h: float = Field(0.0, ge=0, lt=24, json_schema_extra=_unit("h (clock)"),
                                 description="Clock time at t = 0, in hours after midnight, for daily time windows "
                                             "and shifts.")
    horizon_h: float = Field(720.0, gt=0, le=MAX_HORIZON_H, json_schema_extra=_unit("h"),
                             description="Length of the run, in hours.")
    seed: int = Field(1, ge=0, le=SEED_MAX, description="Seed of the random streams.")
    replications: int = Field(1, ge=1, le=MAX_REPLICATIONS, json_schema_extra=_unit("runs"),
                              description="Runs with independent random streams.")
    corridors: Corridors = Field(Corridors(), description="Corridors or links taken out of or put into service.")
    nodes_out_of_service: list[str] = Field(default_factory=list,
                                            description="Nodes taken out of service, with every link touching them.")
    windows: dict[str, WindowText] = Field(
        default_factory=dict, json_schema_extra=_unit("clock time"),
        description='Hours movements may enter a corridor or link: corridor or link id -> "HH:MM-HH:MM[;HH:MM-HH:MM]" '
                    '(every day; "" = always), or by day of the week: parts "[DAY[-DAY] ]HH:MM-HH:MM", "DAY[-DAY] '
                    'always" or "DAY[-DAY] closed" joined by ";", days Mon Tue Wed Thu Fri Sat Sun (a range may wrap, '
                    'Fri-Mon), e.g. "Mon-Fri 21:00-05:00;Sat-Sun always" (needs `start`; a part past midnight belongs '
                    'to the day it starts on; a part without a day applies every day).')
    modes: dict[PieceClass, list[Mode]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_MODES.items()},
        description="Mode rules by piece class: the modes a class may take, in order of preference. Classes not "
                    "named keep the default rules.")
    pools: Pools = Field(Pools(), description="Transport assets shared by all forces.")
    convoy: Convoy = Field(Convoy(), description="Road march rules.")
    rail: Rail = Field(Rail(), description="Rules of the railway: train formation, rolling stock, train paths, far "
                                           "ends.")
    het: Het = Field(Het(), description="Heavy equipment transporters.")
    truck: Truck = Field(Truck(), description="Trucks of the pool (pools.trucks) and their drivers' hours.")
    barge: Barge = Field(Barge(), description="Barge loading and unloading.")
    air: Air = Field(Air(), description="Helicopter reassembly.")
    times: Times = Field(Times(), description="Factor distributions on the table times.")
    templates: dict[str, list[UnitSpec]] = Field(default_factory=dict,
                                                 description="Templates of the scenario's own: name -> its units.")
    investments: list[str] = Field(default_factory=list,
                                   description="Investments applied, by name, from the network's table "
                                               "(`rsom list investments`) or `custom_investments`.")
    as_of: date | None = Field(None, description=(
        "Date at which investments are judged (ISO date): only those in service then apply, in the scenario and in "
        "`rsom compare`; an investment is in service from 1 January of its first_year (ASSUMPTION: the earliest "
        "reading of a first year of commitment or of effect). Not given: every investment."))
    custom_investments: list[InvestmentSpec] = Field(default_factory=list,
                                                     description="Investments defined in the scenario.")
    disruptions: Disruptions = Field(Disruptions(), description="Scheduled and random disruptions.")
    exercise: Exercise | None = Field(None, description=(
        "A table-top exercise played on the scenario: injects, decisions and branches (`rsom exercise`)."))
    civil_traffic: CivilTraffic = Field(CivilTraffic(), description="Civil traffic sharing the network.")
    ports: Ports = Field(Ports(), description="The hours sea ports work.")
    sustainment: list[Flow] = Field(default_factory=list,
                                    description="Regular flows of pieces and persons alongside or after the surge.")
    accommodation: list[Accommodation] = Field(default_factory=list,
                                               description="Troops housed for weeks at staging sites.")
    unit_closure: UnitClosure = Field(UnitClosure(), description="When a unit counts as closed.")
    deployment_list: str | None = Field(None, description=(
        "Deployment list file (CSV or Excel .xlsx), relative to the scenario file: the unit lines of the forces "
        "without a template. Read into `deployment` when the scenario is compiled, so a saved result holds its lines."))
    deployment: list[UnitLine] = Field(default_factory=list, description=(
        "Unit lines of the forces without a template, given in the scenario (a saved result holds its list here)."))
    deployment_from: str | None = Field(None, description="File the `deployment` lines were read from (set when "
                                                         "reading; kept in a saved result's scenario).")
    forces: list[Force] = Field(min_length=1, description="The forces moved (brigade-equivalents).")

    @field_validator("modes")
    @classmethod
    def _modes_over_defaults(cls, v: dict[PieceClass, list[Mode]]) -> dict[PieceClass, list[Mode]]:
        """Classes the scenario names take its rules; the others keep the default rules."""
        return {**{k: list(x) for k, x in DEFAULT_MODES.items()}, **v}


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("deterministic", "exponential", "triangular", "lognormal") or str(part).startswith("function-"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top)"


def _lookup(data: object, loc: tuple) -> object:
    cur = data
    for part in loc:
        try:
            cur = cur[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def parse_scenario(data: object, file: str) -> Scenario:
    """Validate parsed YAML into a Scenario; raises InputError listing every problem."""
    if not isinstance(data, dict):
        raise InputError([Problem(file, "(top)", type(data).__name__, "a scenario is a mapping of keys to values")])
    try:
        s = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            value = err.get("input", _lookup(data, loc))
            if err["type"] == "extra_forbidden":
                hint = suggest(loc[-1], _keys_at(loc[:-1])) if loc else ""
                msg = "unknown key" + (f"; {hint}" if hint else " (check the spelling)")
            elif err["type"] == "missing":
                msg, value = "required key is missing", None
            else:
                msg = err["msg"]
            problems.append(Problem(file, _loc(loc), value, msg))
        raise InputError(problems) from None
    return _with_calendar(s, data, file)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside a field's type (itself, or inside Optional, list or dict), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the scenario file accepts at a place (a validation error's location without its last part)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int) or part not in {f.alias or n for n, f in model.model_fields.items()}:
            continue  # a list index or a mapping key (a template's name, say)
        field = next(f for n, f in model.model_fields.items() if (f.alias or n) == part)
        model = _model_in(field.annotation)
    return [] if model is None else sorted(f.alias or n for n, f in model.model_fields.items())


def _window_texts(s: Scenario) -> list[tuple[str, str]]:
    """(field, text) of every time window the scenario gives: corridor windows, road peaks and port shifts."""
    out = [(f"windows.{key}", text) for key, text in sorted(s.windows.items())]
    out += [("civil_traffic.road_peaks", s.civil_traffic.road_peaks), ("ports.shifts", s.ports.shifts)]
    return out + [(f"ports.by_port.{port}", text) for port, text in sorted(s.ports.by_port.items())]


def _with_calendar(s: Scenario, data: dict[str, Any], file: str) -> Scenario:
    """The scenario with its calendar applied: start_clock_h from `start`, each force's RDD date as rdd_h. A
    value given both ways must agree (a scenario written back out holds both); an RDD date needs a start."""
    problems = []
    update: dict[str, Any] = {}
    if s.start is None:
        if s.c_day is not None:
            problems.append(Problem(file, "c_day", s.c_day.isoformat(), "a C-day needs the scenario's start"))
        problems += [Problem(file, field, text, f"a window by day of the week {WEEKDAYS_NEED_START}")
                     for field, text in _window_texts(s) if isinstance(parse_window(text), Weekly)]
    else:
        clock = clock_of(s.start)
        if "start_clock_h" in data and abs(s.start_clock_h - clock) > 1e-6:
            problems.append(Problem(file, "start_clock_h", data["start_clock_h"],
                                    f"differs from the clock time of start ({s.start:%H:%M}); give one of them"))
        update["start_clock_h"] = clock
    forces = list(s.forces)
    for i, f in enumerate(s.forces):
        if f.rdd is None:
            continue
        if s.start is None:
            problems.append(Problem(file, f"forces[{i}].rdd", f.rdd.isoformat(),
                                    "an RDD date needs the scenario's start (start: YYYY-MM-DDTHH:MM)"))
            continue
        h = rdd_hours(f.rdd, s.start)
        if h <= 0:
            problems.append(Problem(file, f"forces[{i}].rdd", f.rdd.isoformat(), f"before the start ({s.start:%Y-%m-%d})"))
        elif f.rdd_h is not None and abs(f.rdd_h - h) > 1e-6:
            problems.append(Problem(file, f"forces[{i}].rdd_h", f.rdd_h,
                                    f"differs from rdd {f.rdd.isoformat()} ({h:g} h after the start); give one of them"))
        else:
            forces[i] = f.model_copy(update={"rdd_h": h})
    if problems:
        raise InputError(problems)
    return s.model_copy(update={**update, "forces": forces}) if update or forces != list(s.forces) else s


class YAMLRefused(yaml.MarkedYAMLError):
    """A YAML construct the scenario loader refuses; `field` and `value` name it for the Problem."""

    def __init__(self, mark: Any, field: str, value: object, message: str):
        super().__init__(problem=message, problem_mark=mark)
        self.field, self.value, self.message = field, value, message


def _where(mark: Any) -> str:
    return f"line {mark.line + 1} column {mark.column + 1}" if mark else "(yaml)"


class ScenarioLoader(yaml.SafeLoader):
    """YAML's safe loader with limits, so that a scenario file cannot exhaust the stack, the memory or the
    time of the run: nesting at most MAX_DEPTH levels, at most MAX_VALUES values once aliases are expanded
    (the "billion laughs": a few hundred bytes of nested aliases expand to a billion values), no alias inside
    the node it names, and no key twice in one mapping (YAML would keep the last silently)."""

    MAX_DEPTH = 64  # levels of nesting; the scenario schema needs 6 (times.discharge.dist inside a mapping,
    # forces[0].ships[0].port), and the parser recurses about 3 Python frames per level (the limit is 1,000)
    MAX_VALUES = 1_000_000  # scalars, lists and mappings after expanding aliases; a two-brigade scenario has
    # a few hundred, and validating a million takes about a second

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._open: list[str] = []  # anchors of the nodes being composed (an alias to one would be a cycle)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise YAMLRefused(event.start_mark, _where(event.start_mark), f"*{event.anchor}",
                                  "alias inside the node it names (a cycle); write the values out")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self.MAX_DEPTH:
            raise YAMLRefused(event.start_mark, _where(event.start_mark), f"{self._depth} levels",
                              f"nested deeper than {self.MAX_DEPTH} levels; a scenario needs about 6")
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._open.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor:
                self._open.pop()

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            self._expanded(node, 1, {})
        return node

    def _expanded(self, node: yaml.Node, depth: int, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
        """(values, levels) of a node with its aliases expanded; each node is measured once, so the walk
        is as long as the file, not as the expansion."""
        known = seen.get(id(node))
        if known is None:
            if depth > self.MAX_DEPTH:
                raise YAMLRefused(node.start_mark, _where(node.start_mark), f"{depth} levels",
                                  f"nested deeper than {self.MAX_DEPTH} levels once aliases are expanded")
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            sizes = [self._expanded(c, depth + 1, seen) for c in children]
            known = seen[id(node)] = (1 + sum(s for s, _ in sizes), 1 + max((h for _, h in sizes), default=0))
        values, levels = known
        if depth + levels - 1 > self.MAX_DEPTH:
            raise YAMLRefused(node.start_mark, _where(node.start_mark), f"{depth + levels - 1} levels",
                              f"nested deeper than {self.MAX_DEPTH} levels once aliases are expanded")
        if values > self.MAX_VALUES:
            raise YAMLRefused(node.start_mark, _where(node.start_mark), f"{values:,} values",
                              f"expands to more than {self.MAX_VALUES:,} values through aliases (*name)")
        return known

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            first: dict[object, yaml.Mark] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: its keys may be overridden
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    line = first.get(key)
                except TypeError:  # an unhashable key: the base loader reports it
                    continue
                if line is not None:
                    raise YAMLRefused(key_node.start_mark, _where(key_node.start_mark), key,
                                      f"duplicate key (first on line {line.line + 1}); YAML would keep only the last")
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, file: str) -> object:
    """Parse scenario YAML with ScenarioLoader; any YAML problem becomes one InputError Problem."""
    try:
        return yaml.load(text, Loader=ScenarioLoader)
    except YAMLRefused as exc:
        raise InputError([Problem(file, exc.field, exc.value, exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        lines = text.splitlines()
        snippet = lines[mark.line].strip() if mark and mark.line < len(lines) else ""
        raise InputError([Problem(file, _where(mark), snippet, f"malformed YAML: {getattr(exc, 'problem', exc)}")]) from None


MAX_BASES = 8  # scenarios one may stack with `base:`; a set of cases needs one or two


def read_data(path: Path | str, seen: tuple[Path, ...] = ()) -> object:
    """A scenario file's YAML as parsed, not yet validated (a missing or unreadable file, or malformed YAML, is
    an InputError), with its `base` (a scenario file it extends, relative to it) merged under it: mappings
    merge key by key, anything else the file gives replaces the base's. The base's deployment list is named
    by absolute path, so that it is found from the file that extends it. What the network folder and
    deployment list it names can be read from when the scenario is invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), "(file)", str(path), "scenario file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "(file)", str(path), f"cannot read: {exc}")]) from None
    data = load_yaml(text, str(path))
    if not isinstance(data, dict) or not data.get("base"):
        return data
    base = (path.parent / str(data["base"])).resolve()
    if base in seen or len(seen) >= MAX_BASES:
        raise InputError([Problem(str(path), "base", data["base"], "scenarios extend each other in a circle"
                                  if base in seen else f"more than {MAX_BASES} scenarios stacked with base")])
    under = read_data(base, (*seen, path.resolve()))
    if not isinstance(under, dict):
        raise InputError([Problem(str(base), "(top)", type(under).__name__, "a scenario is a mapping of keys to values")])
    if under.get("deployment_list"):
        under["deployment_list"] = str(base.parent / str(under["deployment_list"]))
    under.pop("base", None)
    return _merged(under, {**data, "base": str(base)})


def _merged(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `under`: mappings merged key by key, other values replaced."""
    out = dict(under)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def read_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario YAML file (structure and types only; see plan.compile for the rest), with
    the scenario it extends (`base`) merged under it."""
    path = Path(path)
    return parse_scenario(read_data(path), str(path))
