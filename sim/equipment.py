"""Equipment types: what a piece is (battle tank, infantry fighting vehicle, truck, trailer, container,
helicopter), with its length, width, mass and how many of it one wagon carries.

Piece classes stay the groups that mode rules use; an equipment type belongs to one class. The built-in
templates split each unit's pieces of a class into equipment types (sim/data/force_equipment.csv); a template
without such a split (a scenario's own) gets one generic type per class whose wagon comes from the network's
piece_classes table. The functions at the end are pure: wagons for a set of pieces, a train's mass, and how
many wagons fit a train limited by length and by mass."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader

from .errors import Problem
from .ids import PIECE_CLASSES
from .network import source_problems
from .tables import DATA_DIR, missing, read_table

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

EQUIPMENT_FILE = DATA_DIR / "equipment.csv"
FORCE_EQUIPMENT_FILE = DATA_DIR / "force_equipment.csv"
EQUIPMENT_SOURCES = DATA_DIR / "equipment_sources.csv"
GENERIC = "generic_"  # id prefix of the per-class types for templates without an equipment split

Split = dict[tuple[str, str], tuple[tuple[str, int], ...]]  # (template, unit) -> ((equipment, count), ...) in file order


@dataclass(frozen=True)
class EquipmentType:
    """One type of equipment: dimensions (m), mass as moved (t), whether it is wider than a flat wagon may
    carry in normal running, its wagon (type, and pieces of this type one wagon carries; a wagon carries one
    type only), and whether it tows a trailer on the road. `wagon_type` is empty when the type does not go by
    rail."""

    id: str
    cls: str
    length_m: float
    width_m: float
    mass_t: float
    out_of_gauge: bool
    wagon_type: str
    per_wagon: float
    prime_mover: bool = False  # tows one trailer of its unit on the road

    @property
    def share(self) -> float:
        """Share of one wagon a piece takes (1 / per_wagon)."""
        return 1.0 / self.per_wagon

    @property
    def whole_per_wagon(self) -> int:
        """Whole pieces of this type one wagon carries (a generic type's per_wagon, 1 / wagon_share, may be
        fractional: a wagon carries no part of a piece), at least one."""
        return max(1, math.floor(self.per_wagon + 1e-9))


def load_equipment(path: Path | None = None, problems: list[Problem] | None = None) -> dict[str, EquipmentType]:
    """Equipment types from equipment.csv (EQUIPMENT_FILE unless `path`), by id; bad cells, unknown classes and
    ids given twice are Problems."""
    problems = [] if problems is None else problems
    path = EQUIPMENT_FILE if path is None else path
    frame = read_table(path, "equipment", problems)
    out: dict[str, EquipmentType] = {}
    for i, row in frame.iterrows():
        key = str(row["equipment"])
        if any(missing(row[c]) for c in ("equipment", "class", "length_m", "width_m", "mass_t", "per_wagon")) \
                or row["per_wagon"] <= 0:
            continue  # the bad cell is already a Problem
        if row["class"] not in PIECE_CLASSES:
            problems.append(Problem(str(path), f"{key}.class", row["class"], f"unknown piece class; use {list(PIECE_CLASSES)}"))
            continue
        if key in out:
            problems.append(Problem(str(path), f"line {i + 2} equipment", key, "appears more than once"))
            continue
        out[key] = EquipmentType(key, str(row["class"]), float(row["length_m"]), float(row["width_m"]),
                                 float(row["mass_t"]), bool(row["out_of_gauge"]), str(row["wagon_type"] or ""),
                                 float(row["per_wagon"]), bool(row["prime_mover"]))
    listed = set(frame["equipment"])  # a listed row with a bad cell has its own Problem
    problems += [Problem(str(path), "equipment", GENERIC + c, f"missing: a row {GENERIC + c} gives the size and mass "
                         f"of a {c} piece of a template without an equipment split") for c in PIECE_CLASSES
                 if GENERIC + c not in listed]
    return out


def load_split(path: Path | None = None, problems: list[Problem] | None = None) -> Split:
    """Each built-in unit's pieces by equipment type, from force_equipment.csv (FORCE_EQUIPMENT_FILE unless
    `path`), in file order."""
    problems = [] if problems is None else problems
    path = FORCE_EQUIPMENT_FILE if path is None else path
    frame = read_table(path, "force_equipment", problems)
    out: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for _, row in frame.iterrows():
        if any(missing(row[c]) for c in ("template", "unit", "equipment", "count")):
            continue  # the bad cell is already a Problem
        out.setdefault((str(row["template"]), str(row["unit"])), []).append((str(row["equipment"]), int(row["count"])))
    return {k: tuple(v) for k, v in out.items()}


def check_split(templates: Mapping[str, Iterable], equipment: Mapping[str, EquipmentType], split: Split,
                file: str | None = None) -> list[Problem]:
    """The split names known units and equipment types, and per unit and class its counts sum exactly to the
    unit's count of that class in forces.csv (a piece with no type, or a type with no piece, is an error)."""
    file = str(FORCE_EQUIPMENT_FILE) if file is None else file
    out: list[Problem] = []
    units = {(t, u.name): u for t, us in templates.items() for u in us}
    for (t, name), rows in split.items():
        if (t, name) not in units:
            out.append(Problem(file, f"{t}/{name}", name, "no such unit of a built-in template in forces.csv"))
            continue
        for eq, _ in rows:
            if eq not in equipment:
                out.append(Problem(file, f"{t}/{name}.equipment", eq, "unknown equipment type (not in equipment.csv)"))
    for (t, name), unit in units.items():
        have: Counter[str] = Counter()
        for eq, n in split.get((t, name), ()):
            if eq in equipment:
                have[equipment[eq].cls] += n
        for cls, n in unit.pieces:
            if have[cls] != n:
                out.append(Problem(file, f"{t}/{name}.{cls}", have[cls],
                                   f"equipment of class {cls} sums to {have[cls]} but forces.csv gives {n}"))
    return out


def check_equipment_sources() -> list[Problem]:
    """Every number of equipment.csv and force_equipment.csv carries a source or is marked as an assumption."""
    problems: list[Problem] = []
    eq = read_table(EQUIPMENT_FILE, "equipment", problems)
    split = read_table(FORCE_EQUIPMENT_FILE, "force_equipment", problems)
    tables = {}
    for name, frame, key in (("equipment", eq, list(eq["equipment"])),
                             ("force_equipment", split, [f"{t}/{u}" for t, u in zip(split["template"], split["unit"])])):
        defaulted = frame.attrs.get("defaulted", set())
        frame.index = pd.Index(key)
        frame.attrs["defaulted"] = defaulted
        tables[name] = frame
    sources = read_table(EQUIPMENT_SOURCES, "sources", problems)
    return problems + source_problems(tables, sources, str(EQUIPMENT_SOURCES))


def generic_types(piece_classes: pd.DataFrame, equipment: Mapping[str, EquipmentType]) -> dict[str, EquipmentType]:
    """One generic type per piece class of the network: dimensions and mass of the `generic_<class>` row of
    equipment.csv (an assumption), wagon type and share of the network's piece_classes table, so that a
    template without an equipment split loads exactly as the class rules say (per_wagon = 1 / wagon_share)."""
    out: dict[str, EquipmentType] = {}
    for cls in PIECE_CLASSES:
        known = cls in piece_classes.index  # a class the network does not list goes by no wagon
        wagon = str(piece_classes.at[cls, "wagon_type"] or "") if known else ""
        share = float(piece_classes.at[cls, "wagon_share"] or 1.0) if known else 1.0
        base = equipment.get(GENERIC + cls)
        if base is None:  # load_equipment reports the missing row as a Problem before any plan is made
            raise ValueError(f"equipment has no {GENERIC + cls} row")
        out[cls] = EquipmentType(GENERIC + cls, cls, base.length_m, base.width_m, base.mass_t, base.out_of_gauge,
                                 wagon, 1.0 / share, base.prime_mover)
    return out


def deal(unit_pieces: Iterable[tuple[str, int]], rows: Iterable[tuple[str, int]] | None,
         equipment: Mapping[str, EquipmentType], generic: Mapping[str, EquipmentType]) -> list[str]:
    """Equipment ids of a unit's pieces in the order the pieces are made (class by class, as `unit_pieces`
    lists them): within a class, the split's types in file order, each for its count. A class the split does
    not cover gets the class's generic type. No randomness: the same data give the same pieces."""
    by_cls: dict[str, list[str]] = {}
    for eq, n in rows or ():
        by_cls.setdefault(equipment[eq].cls, []).extend([eq] * n)
    out: list[str] = []
    for cls, n in unit_pieces:
        given = by_cls.get(cls, [])
        out += given[:n] + [generic[cls].id] * max(0, n - len(given))
    return out


# ---- loading rules (pure functions the rail model calls) ---------------------------------------------------
def wagon_of(eq: EquipmentType) -> tuple[str, float]:
    """Wagon type and share of one wagon a piece of this type takes (1 / per_wagon)."""
    return eq.wagon_type, eq.share


def wagons_for(equipments: Iterable[EquipmentType]) -> dict[str, int]:
    """Wagons by type for a set of pieces. Wagons are filled per equipment type, with whole pieces: two
    infantry fighting vehicles share a heavy flat, an infantry fighting vehicle and a battle tank do not.
    Pieces not carried by rail (no wagon type) take none."""
    count: dict[str, int] = {}  # by equipment id (hashing the type itself hashes every field)
    types: dict[str, EquipmentType] = {}
    for e in equipments:
        if e.wagon_type:
            count[e.id] = count.get(e.id, 0) + 1
            types[e.id] = e
    out: Counter[str] = Counter()
    for key, n in count.items():
        eq = types[key]
        out[eq.wagon_type] += math.ceil(n / eq.whole_per_wagon)
    return dict(sorted(out.items()))


def train_mass_t(wagons: Mapping[str, int], equipments: Iterable[EquipmentType], tare: Mapping[str, float]) -> float:
    """Mass of a loaded train without its locomotive (t): the wagons' tare plus the pieces' mass."""
    return sum(n * float(tare.get(wt, 0.0)) for wt, n in wagons.items()) + sum(e.mass_t for e in equipments)


def wagon_limits(usable_m: float, usable_t: float, eq: EquipmentType, wagon_m: float, tare_t: float) -> tuple[int, float]:
    """Wagons of full loads of one equipment type that fit a train by length and by mass: (by length, by mass).
    `usable_m` and `usable_t` are the train's length and mass limits less the locomotive; a mass limit of 0 or
    less means none (by mass is then infinite). A full wagon weighs its tare plus per_wagon pieces."""
    by_length = max(0, math.floor(usable_m / wagon_m + 1e-9)) if wagon_m > 0 else 0
    loaded = tare_t + eq.per_wagon * eq.mass_t
    by_mass = math.inf if usable_t <= 0 or loaded <= 0 else float(max(0, math.floor(usable_t / loaded + 1e-9)))
    return by_length, by_mass


def max_wagons(usable_m: float, usable_t: float, eq: EquipmentType, wagon_m: float, tare_t: float) -> int:
    """How many wagons of full loads of one equipment type a train may have: the fewer of what its length and
    its mass allow (see wagon_limits). A tank train is cut by mass long before length."""
    by_length, by_mass = wagon_limits(usable_m, usable_t, eq, wagon_m, tare_t)
    return int(min(by_length, by_mass))


def tare_of(wagon_types: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Tare (t) by wagon type from a network's wagon_types rows (Network.rows; 0 where not given)."""
    return {str(k): float(r.get("tare_t") or 0.0) for k, r in wagon_types.items()}
