"""The scenario file (YAML) as typed objects. Every default lives here, once; unknown keys are errors,
so a typo never falls back to a default silently."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .distributions import Deterministic, Distribution, as_distribution
from .errors import InputError, Problem
from .windows import parse_window

Mode = Literal["rail", "road", "het", "barge", "air"]
Dist = Annotated[Distribution, BeforeValidator(as_distribution)]
PieceClass = Literal["tracked", "wheeled", "trailer", "container", "helicopter"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShipCall(Strict):
    """A RoRo ship calling at a sea port; `pieces` is its manifest size (pieces). If no call of a force gives
    `pieces`, the force's pieces are split evenly over its calls."""

    port: str
    at_h: float = Field(0.0, ge=0)
    pieces: int | None = Field(None, ge=1)


class Flights(Strict):
    """`count` flights into an airfield, the first at `at_h`, then every `every_h` hours, each with up to
    `pax` persons and `pieces` airlifted pieces."""

    airfield: str
    at_h: float = Field(0.0, ge=0)
    count: int = Field(1, ge=1)
    every_h: float = Field(0.0, ge=0)
    pax: int = Field(0, ge=0)
    pieces: int = Field(0, ge=0)


class UnitSpec(Strict):
    """A unit of a scenario-defined template."""

    unit: str
    personnel: int = Field(ge=0)
    tracked: int = Field(0, ge=0)
    wheeled: int = Field(0, ge=0)
    trailer: int = Field(0, ge=0)
    container: int = Field(0, ge=0)
    helicopter: int = Field(0, ge=0)


class Force(Strict):
    """One brigade-equivalent: what it is, how it arrives and where it goes."""

    id: str
    template: str
    staging: str | None = None  # marry-up of personnel with road-moving pieces; None = straight to the exit
    exits: list[str] = Field(min_length=1)  # exit or handover nodes, any mode
    railhead: str | None = None  # force the loading railhead; None = nearest by road from the entry
    ships: list[ShipCall] = Field(default_factory=list)
    flights: list[Flights] = Field(default_factory=list)
    modes: dict[PieceClass, list[Mode]] | None = None  # overrides the scenario's mode rules, class by class


class ChangeSpec(Strict):
    """One change an investment makes (see the investments table in the schema)."""

    table: Literal["seaports", "airfields", "railheads", "staging", "links", "nodes", "corridor", "pools"]
    key: str
    attribute: str
    op: Literal["add", "mul", "set"] = "set"
    value: float


class InvestmentSpec(Strict):
    """A user-defined investment, used like the rows of the network's investments table."""

    name: str
    cost_eur: float = Field(ge=0)
    first_year: int = 2026
    description: str = ""
    changes: list[ChangeSpec] = Field(min_length=1)


class Corridors(Strict):
    """Corridor names (e.g. L24, IRON_RHINE) or link ids taken out of or put into service."""

    out_of_service: list[str] = Field(default_factory=list)
    in_service: list[str] = Field(default_factory=list)


class Pools(Strict):
    """Transport assets shared by all forces. Sizes are planning assumptions (see the scenario file)."""

    wagons: dict[str, int] = Field(default_factory=lambda: {"heavy_flat": 120, "flat": 160, "container_flat": 60})
    train_sets: int = Field(10, ge=1)  # locomotives with crews: trains running at once
    hets: int = Field(40, ge=1)
    buses: int = Field(60, ge=1)
    bus_seats: int = Field(50, ge=1)
    bus_speed_kmh: float = Field(80.0, gt=0)  # assumption: coach on motorway, below the 90 km/h limit for buses
    barges: int = Field(4, ge=1)
    reassembly_teams: int = Field(4, ge=1)

    @field_validator("wagons")
    @classmethod
    def _positive(cls, v: dict[str, int]) -> dict[str, int]:
        for k, n in v.items():
            if n <= 0:
                raise ValueError(f"wagon pool {k} must hold more than zero wagons, got {n}")
        return v


class Convoy(Strict):
    """Road march rules. Serial size and gaps: FM 3-21.8 / FHWA (<= 20 vehicles, open column 50-100 m);
    halts: 15 min after the first hour, then 10 min every 2 h (armytransportation.tpub.com TR10098)."""

    max_vehicles: int = Field(20, ge=1)
    gap_m: float = Field(75.0, ge=0)
    max_wait_h: float = Field(6.0, gt=0)  # a serial leaves short when its first vehicle waited this long
    first_halt_after_h: float = Field(1.0, gt=0)
    first_halt_h: float = Field(0.25, ge=0)
    halt_every_h: float = Field(2.0, gt=0)
    halt_h: float = Field(1 / 6, ge=0)
    seats_per_vehicle: int = Field(2, ge=0)  # personnel who ride in each road vehicle (assumption)


class Rail(Strict):
    """Train formation rules."""

    max_wait_h: float = Field(12.0, gt=0)  # a train leaves short when its first piece waited this long
    locomotive_m: float = Field(20.0, ge=0)  # assumption: one electric locomotive ~19-20 m


class Het(Strict):
    """Heavy equipment transporters (one tracked piece each)."""

    speed_kmh: float = Field(50.0, gt=0)  # assumption; SLT Elefant max 62 km/h (freenet.de)
    load_h: float = Field(0.5, ge=0)
    unload_h: float = Field(0.5, ge=0)


class Barge(Strict):
    """Barge loading at a port's quay."""

    load_h: float = Field(6.0, ge=0)
    unload_h: float = Field(6.0, ge=0)
    max_wait_h: float = Field(24.0, gt=0)


class Air(Strict):
    """Helicopters reassembled at the port, test-flown, then self-deploying."""

    reassembly_h: float = Field(8.0, ge=0)  # assumption; 77 CAB helicopters all at Chievres 60 h after arrival


class Times(Strict):
    """Factor distributions (dimensionless, mean about 1) multiplying each process's table time."""

    discharge: Dist = Deterministic()
    tech_check: Dist = Deterministic()
    turnaround: Dist = Deterministic()
    pax_processing: Dist = Deterministic()
    cargo_processing: Dist = Deterministic()
    rail_load: Dist = Deterministic()
    rail_unload: Dist = Deterministic()
    staging_prep: Dist = Deterministic()
    reassembly: Dist = Deterministic()
    het_load: Dist = Deterministic()
    barge_load: Dist = Deterministic()
    travel: Dist = Deterministic()


DisruptionKind = Literal["sabotage", "drone", "cyber", "high_water", "other"]


class DisruptionEvent(Strict):
    """A scheduled disruption: from `at_h`, for `duration_h` hours (repair included), the target works at
    `capacity_factor` of its capacity (0 = closed). The target is a node (its port, airfield, railhead or
    staging facility), a corridor name (every link of it) or a link id."""

    name: str | None = None  # defaults to "<kind>:<target>@<at_h>"
    kind: DisruptionKind = "other"
    target: str
    at_h: float = Field(ge=0)
    duration_h: float = Field(gt=0)
    capacity_factor: float = Field(0.0, ge=0, lt=1)


class RandomDisruptions(Strict):
    """Random disruptions for Monte Carlo: on each target, events start as a Poisson process of `rate_per_day`
    between `start_h` and `end_h` (default: the horizon); each lasts `duration_h` times a draw of
    `duration_factor`."""

    kind: DisruptionKind = "other"
    targets: list[str] = Field(min_length=1)
    rate_per_day: float = Field(gt=0)
    duration_h: float = Field(gt=0)
    duration_factor: Dist = Deterministic()
    capacity_factor: float = Field(0.0, ge=0, lt=1)
    start_h: float = Field(0.0, ge=0)
    end_h: float | None = Field(None, gt=0)


class Disruptions(Strict):
    """Hybrid threats and other friction that close or slow parts of the network for a time."""

    events: list[DisruptionEvent] = Field(default_factory=list)
    random: list[RandomDisruptions] = Field(default_factory=list)
    divert_after_h: float = Field(12.0, ge=0)  # rail pieces switch to their next allowed mode when every rail
    # route from their railhead stays closed longer than this (hours); 0 = at once


class CivilTraffic(Strict):
    """Civil traffic sharing the network: today's volumes come from the network tables (civil trains per
    line, commercial berths per port) scaled by `level`; `priority` decides who yields where both want the
    same path or berth. Peak hours keep military serials off the road links when civil traffic has priority."""

    level: float = Field(0.0, ge=0)  # 1 = today's civil traffic, 0 = none
    priority: Literal["civil", "military"] = "civil"
    military_priority_on: list[str] = Field(default_factory=list)  # corridors, links or sea ports where the military goes first
    road_peaks: str = ""  # e.g. "07:00-09:30;16:00-19:00" (clock time)
    road_peak_corridors: list[str] | None = None  # road corridors or links the peaks apply to; None = every road link

    @field_validator("road_peaks")
    @classmethod
    def _peaks_parse(cls, v: str) -> str:
        parse_window(v)
        return v


class Flow(Strict):
    """A regular flow alongside or after the surge: pieces (e.g. containers of ammunition, fuel, spares going
    east; damaged equipment going west) entering at `origin` at `pieces_per_day`, and persons (rotation,
    evacuation) at `persons_per_day` by bus, from `start_h` to `end_h`, moving to `destination`."""

    name: str
    origin: str
    destination: str
    mode: Literal["rail", "road"] = "rail"  # mode of the pieces
    cls: PieceClass = "container"
    pieces_per_day: float = Field(0.0, ge=0)
    persons_per_day: float = Field(0.0, ge=0)
    start_h: float = Field(0.0, ge=0)
    end_h: float = Field(gt=0)


class Accommodation(Strict):
    """Host-nation accommodation: `persons` housed at a staging site's beds from `start_h` for `weeks`;
    `modules` deployable accommodation modules (150 beds each) are added to the site first. Staging uses
    the beds that are left."""

    site: str
    persons: int = Field(ge=1)
    start_h: float = Field(0.0, ge=0)
    weeks: float = Field(gt=0)
    modules: int = Field(0, ge=0)


MODULE_BEDS = 150  # persons per deployable accommodation module (issue text: "deployable modules of 150 persons")

DEFAULT_MODES: dict[str, list[str]] = {
    "tracked": ["rail", "het"],
    "wheeled": ["road"],
    "trailer": ["road"],
    "container": ["rail", "road"],
    "helicopter": ["air"],
}


class Scenario(Strict):
    """A whole experiment: network, forces, arrivals, rules, pools, horizon, seed."""

    name: str
    description: str = ""
    network: str = "belgium"  # a folder under networks/, or a path relative to the scenario file
    start_clock_h: float = Field(0.0, ge=0, lt=24)  # clock time at t = 0, for time windows
    horizon_h: float = Field(720.0, gt=0)
    seed: int = 1
    replications: int = Field(1, ge=1)
    corridors: Corridors = Corridors()
    nodes_out_of_service: list[str] = Field(default_factory=list)
    windows: dict[str, str] = Field(default_factory=dict)  # corridor or link id -> "HH:MM-HH:MM" ("" = always)
    modes: dict[PieceClass, list[Mode]] = Field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_MODES.items()})
    pools: Pools = Pools()
    convoy: Convoy = Convoy()
    rail: Rail = Rail()
    het: Het = Het()
    barge: Barge = Barge()
    air: Air = Air()
    times: Times = Times()
    templates: dict[str, list[UnitSpec]] = Field(default_factory=dict)
    investments: list[str] = Field(default_factory=list)  # applied by name, from the network's table or below
    custom_investments: list[InvestmentSpec] = Field(default_factory=list)
    disruptions: Disruptions = Disruptions()
    civil_traffic: CivilTraffic = CivilTraffic()
    sustainment: list[Flow] = Field(default_factory=list)
    accommodation: list[Accommodation] = Field(default_factory=list)
    forces: list[Force] = Field(min_length=1)

    @field_validator("modes")
    @classmethod
    def _modes_over_defaults(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        """Classes the scenario names take its rules; the others keep the default rules."""
        return {**{k: list(x) for k, x in DEFAULT_MODES.items()}, **v}

    @field_validator("windows")
    @classmethod
    def _windows_parse(cls, v: dict[str, str]) -> dict[str, str]:
        for k, text in v.items():
            try:
                parse_window(text)
            except ValueError as exc:
                raise ValueError(f"{k}: {exc}") from exc
        return v


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
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            value = err.get("input", _lookup(data, loc))
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            elif err["type"] == "missing":
                msg, value = "required key is missing", None
            else:
                msg = err["msg"]
            problems.append(Problem(file, _loc(loc), value, msg))
        raise InputError(problems) from None


def read_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario YAML file (structure and types only; see plan.compile for the rest)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), "(file)", str(path), "scenario file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "(file)", str(path), f"cannot read: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "(yaml)"
        snippet = text.splitlines()[mark.line].strip() if mark and mark.line < len(text.splitlines()) else ""
        raise InputError([Problem(str(path), where, snippet, f"malformed YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse_scenario(data, str(path))
