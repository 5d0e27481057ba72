"""Typed identifiers: the resources the model books waits to, the stages a piece or party passes, and the
batches pieces are grouped in. Inside the model they are values of these types; only at the edge (the
results tables) do they become the plain names a user reads, such as ``paths@L24_tongeren_vise>``.

Nothing parses a name back: what a table needs to know of a resource (its kind, node and link) is a column
of its own in ``Results.resources``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Literal, NamedTuple, get_args

PieceClass = Literal["tracked", "wheeled", "trailer", "container", "helicopter"]  # the one list of piece classes
PIECE_CLASSES: tuple[PieceClass, ...] = get_args(PieceClass)
Mode = Literal["rail", "road", "het", "barge", "air"]  # the modes of onward movement a rule may name
TRAIN = "train_set"  # the kind of rolling stock that is a locomotive with its crew (the others are wagon types)
Rank = tuple[int, float]  # order of service for rolling stock and train paths: priority (1 first), then RDD (h)


class Res(Enum):
    """A type of resource: the prefix of its name and its `kind` in the results (several names share a kind:
    passenger and cargo terminals are both terminals)."""

    BERTHS = ("berths", "berth")
    MARSHALLING = ("marshalling", "marshalling")
    MOG = ("mog", "mog")
    PAX_TERMINAL = ("pax_terminal", "terminal")
    CARGO_TERMINAL = ("cargo_terminal", "terminal")
    RAMPS = ("ramps", "ramp")
    STAGING_SPACES = ("staging_spaces", "staging_spaces")
    BEDS = ("beds", "beds")
    CSC = ("csc", "csc")
    PATHS = ("paths", "paths")  # military train paths on one direction of a rail link
    ENTRY = ("entry", "headway")  # serial or barge headway on one direction of a road or water link
    WAGONS = ("wagons", "wagons")  # one pool per wagon type
    TRAIN_SETS = ("train_sets", "train_sets")
    HETS = ("hets", "hets")
    TRUCKS = ("trucks", "trucks")
    BUSES = ("buses", "buses")
    BARGES = ("barges", "barges")
    REASSEMBLY = ("reassembly_teams", "reassembly")
    DISRUPTION = ("disruption", "disruption")

    @property
    def prefix(self) -> str:
        return self.value[0]

    @property
    def kind(self) -> str:
        return self.value[1]


_FLEETS = frozenset({Res.TRAIN_SETS, Res.HETS, Res.TRUCKS, Res.BUSES, Res.BARGES, Res.REASSEMBLY})
_TYPED = frozenset({Res.WAGONS, Res.DISRUPTION})  # name is prefix:what (a wagon type, a disruption's name)


@dataclass(frozen=True, order=True)
class ResourceId:
    """One resource: its type and where it is. `where` is a node for facilities, a directed link key
    (link id plus ``>`` or ``<``) for paths and headways, a wagon type for wagons, a disruption's name for a
    disruption, and empty for the national fleets (train sets, HETs, buses, barges, reassembly teams)."""

    res: Res
    where: str = ""

    def __post_init__(self) -> None:
        if (self.res in _FLEETS) != (self.where == ""):
            raise ValueError(f"{self.res.name}: 'where' must be {'empty' if self.res in _FLEETS else 'given'}")

    @property
    def name(self) -> str:
        """The name shown in the results: ``berths@antwerp``, ``wagons:heavy_flat``, ``hets``."""
        if self.res in _FLEETS:
            return self.res.prefix
        sep = ":" if self.res in _TYPED else "@"
        return f"{self.res.prefix}{sep}{self.where}"

    @property
    def kind(self) -> str:
        return self.res.kind

    @property
    def link(self) -> str:
        """The link id of a path or headway resource (the directed key without its direction marker), else ''."""
        return self.where[:-1] if self.res in (Res.PATHS, Res.ENTRY) else ""

    def __str__(self) -> str:
        return self.name


def paths_of(link_key: str) -> ResourceId:
    """The military train paths of one directed rail link (key such as ``L24_tongeren_vise>``)."""
    return ResourceId(Res.PATHS, link_key)


class Stage(StrEnum):
    """A stage of a piece's or a party's way, as recorded in the movement table (`moves.stage`)."""

    DISCHARGE = "discharge"
    TERMINAL = "terminal"
    BUS = "bus"
    BEDS = "beds"
    STAGING_GATE = "staging_gate"
    STAGING = "staging"
    SHUTTLE = "shuttle"
    TO_STAGING = "to_staging"
    RAIL_LOAD = "rail_load"
    RAIL = "rail"
    ROAD = "road"
    HET = "het"
    TRUCK = "truck"  # pieces on the trucks of the pool, to their staging area or exit
    BARGE = "barge"
    REASSEMBLY = "reassembly"
    AIR = "air"


class Batch(StrEnum):
    """The kinds of group pieces move in: a train, a serial to a railhead (shuttle), to a staging area or
    straight to the exit, a HET serial to the exit or to a railhead (HET shuttle), a serial of trucks to the
    staging area or the exit, a barge load."""

    TRAIN = "train"
    SHUTTLE = "shuttle"
    HET_SHUTTLE = "het_shuttle"
    TO_STAGING = "to_staging"
    ROAD = "road"
    HET = "het"
    TRUCK = "truck"  # pieces on the trucks of the pool, to their staging area or exit
    BARGE = "barge"


class BatchKey(NamedTuple):
    """Which batcher a piece joins: pieces with equal keys move together. `origin` is the railhead (trains)
    or the entry node; `dest` the exit (trains, road, HET, barge), the railhead (shuttles, HET shuttles) or the staging
    area (serials to staging); trains form per unit as well."""

    kind: Batch
    origin: str
    force: str
    dest: str
    wagon_type: str = ""
    unit: str = ""  # trains form per unit
