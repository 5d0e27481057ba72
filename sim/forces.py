"""Brigade-equivalent templates: units (battalion-sized) with personnel and pieces by class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .ids import PIECE_CLASSES
from .network import table_source_problems
from .tables import DATA_DIR, read_table

FORCES_FILE = DATA_DIR / "forces.csv"
FORCES_SOURCES = DATA_DIR / "forces_sources.csv"


@dataclass(frozen=True)
class Unit:
    """One unit of a brigade: personnel (persons) and pieces by class."""

    name: str
    personnel: int
    pieces: tuple[tuple[str, int], ...]  # (class, count) in PIECE_CLASSES order

    @property
    def n_pieces(self) -> int:
        return sum(n for _, n in self.pieces)


Template = tuple[Unit, ...]


def load_templates(path: Path = FORCES_FILE, problems: list[Problem] | None = None) -> dict[str, Template]:
    """Built-in templates from sim/data/forces.csv."""
    problems = [] if problems is None else problems
    frame = read_table(path, "forces", problems)
    out: dict[str, list[Unit]] = {}
    for _, row in frame.iterrows():
        pieces = tuple((c, int(row[c] or 0)) for c in PIECE_CLASSES)
        out.setdefault(row["template"], []).append(Unit(row["unit"], int(row["personnel"]), pieces))
    return {k: tuple(v) for k, v in sorted(out.items())}


def check_force_sources() -> list[Problem]:
    """Every number of the built-in forces carries a source or is marked as an assumption."""
    return table_source_problems(FORCES_FILE, "forces", FORCES_SOURCES,
                                 lambda f: [f"{t}/{u}" for t, u in zip(f["template"], f["unit"], strict=True)])
