"""Persons waiting at airfields: the person-hours from their aircraft's arrival at the airfield to boarding a
bus (holding while the airfield is closed, waiting for a stand, the passenger terminal's queue and processing,
then the wait for a bus), from the movements of one run. It is what air terminal equipment, stands (MOG),
counter-drone systems and buses act on. Beside it, the piece-hours pieces flown in (vehicles, 463L pallets) spent
at their airfield from their aircraft's arrival to leaving its cargo terminal: what the terminal's cargo rate
and its equipment act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .ids import Stage
from .ledger import MOVE_COLUMNS, MOVE_FIELDS

if TYPE_CHECKING:
    import pandas as pd

_COLUMNS = ("kind", "force", "count", "stage", "node", "t_in", "t_start", "t_end")  # what the figures read


def _table_columns(moves: pd.DataFrame) -> dict[str, Sequence[Any]]:
    """The columns the figures read, from the movement table."""
    return {c: moves[c].tolist() for c in _COLUMNS}


def _record_columns(moves: list) -> dict[str, Sequence[Any]]:
    """The same columns from the ledger's flat list of Moves (MOVE_COLUMNS per record), without building the
    movement table."""
    return {c: moves[MOVE_COLUMNS.index(c)::MOVE_FIELDS] for c in _COLUMNS}


def airfield_wait_person_h(moves: pd.DataFrame, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """Person-hours persons who flew in spent at their airfield, from the movement table (see `_person_hours`)."""
    return _person_hours(_table_columns(moves), flow_names)


def airfield_wait_from_records(moves: list, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """The same figure from the ledger's flat list of Moves."""
    return _person_hours(_record_columns(moves), flow_names)


def _weighted_h(col: dict[str, Sequence[Any]], rows: list[int], start: str, end: str) -> float:
    """Sum over the records `rows` of their count times (end - start), the two time columns named, as arrays
    in record order (count-hours)."""
    n = np.array([col["count"][i] for i in rows], dtype=float)
    return float((n * (np.array([col[end][i] for i in rows], dtype=float)
                       - np.array([col[start][i] for i in rows], dtype=float))).sum())


def _person_hours(col: dict[str, Sequence[Any]], flow_names: set[str] | frozenset[str]) -> float:
    """From the movements' columns (_COLUMNS), in record order: each terminal record counts its persons times
    its time from the aircraft's arrival to leaving the terminal (t_end - t_in); each bus load leaving an
    airfield whose terminal received persons counts its persons times its wait for the bus (t_start - t_in).
    Persons of sustainment flows (`flow_names`, which enter by bus at their origin) are left out: they did not
    fly in. Summed as arrays in record order (person-hours)."""
    kinds, forces, stages, nodes = col["kind"], col["force"], col["stage"], col["node"]
    if not any(k == "pax" for k in kinds):
        return 0.0
    terminal, by_bus = Stage.TERMINAL.value, Stage.BUS.value  # looked up once: the loops pass every record
    term = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == terminal]
    airfields = {nodes[i] for i in term}
    out = _weighted_h(col, term, "t_in", "t_end")
    bus = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == by_bus
           and str(nodes[i]).split("->", 1)[0] in airfields and forces[i] not in flow_names]
    if bus:
        out += _weighted_h(col, bus, "t_in", "t_start")
    return round(out, 3)


def airfield_cargo_piece_h(moves: pd.DataFrame) -> float:
    """Piece-hours pieces flown in spent at their airfield, from the movement table (see `_piece_hours`)."""
    return _piece_hours(_table_columns(moves))


def airfield_cargo_from_records(moves: list) -> float:
    """The same figure from the ledger's flat list of Moves."""
    return _piece_hours(_record_columns(moves))


def _piece_hours(col: dict[str, Sequence[Any]]) -> float:
    """Each piece's cargo terminal record counts its time from the aircraft's arrival over the airfield
    (holding, the wait for a stand, the wait for the terminal) to leaving the terminal (t_end - t_in)."""
    terminal = Stage.TERMINAL.value
    rows = [i for i, (k, st) in enumerate(zip(col["kind"], col["stage"], strict=True))
            if k == "piece" and st == terminal]
    if not rows:
        return 0.0
    return round(_weighted_h(col, rows, "t_in", "t_end"), 3)
