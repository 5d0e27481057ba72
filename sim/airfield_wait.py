"""Persons waiting at airfields: the person-hours from their aircraft's arrival at the airfield to boarding a
bus (holding while the airfield is closed, waiting for a stand, the passenger terminal's queue and processing,
then the wait for a bus), from the movements of one run. It is what air terminal equipment, stands (MOG),
counter-drone systems and buses act on. Beside it, the piece-hours pieces flown in (vehicles, 463L pallets) spent
at their airfield from their aircraft's arrival to leaving its cargo terminal: what the terminal's cargo rate
and its equipment act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .ids import Stage
from .ledger import MOVE_FIELDS

_COLUMNS = ("kind", "force", "count", "stage", "node", "t_in", "t_start", "t_end")  # what the figure reads


def airfield_wait_person_h(moves: pd.DataFrame, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """Person-hours persons who flew in spent at their airfield, from the movement table (see `_person_hours`)."""
    return _person_hours({c: moves[c].tolist() for c in _COLUMNS}, flow_names)


def airfield_wait_from_records(moves: list, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """The same figure from the ledger's flat list of Moves (ledger.MOVE_FIELDS per record), without building
    the movement table."""
    at = {"kind": 0, "force": 2, "count": 5, "stage": 6, "node": 7, "t_in": 8, "t_start": 9, "t_end": 10}
    return _person_hours({c: moves[at[c]::MOVE_FIELDS] for c in _COLUMNS}, flow_names)


def _person_hours(col: dict[str, Sequence[Any]], flow_names: set[str] | frozenset[str]) -> float:
    """From the movements' columns (_COLUMNS), in record order: each terminal record counts its persons times
    its time from the aircraft's arrival to leaving the terminal (t_end - t_in); each bus load leaving an
    airfield whose terminal received persons counts its persons times its wait for the bus (t_start - t_in).
    Persons of sustainment flows (`flow_names`, which enter by bus at their origin) are left out: they did not
    fly in. Summed as arrays in record order (person-hours)."""
    kinds, forces, counts, stages, nodes = col["kind"], col["force"], col["count"], col["stage"], col["node"]
    t_in, t_start, t_end = col["t_in"], col["t_start"], col["t_end"]
    if not any(k == "pax" for k in kinds):
        return 0.0
    terminal, by_bus = Stage.TERMINAL.value, Stage.BUS.value  # looked up once: the loops pass every record
    term = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == terminal]
    airfields = {nodes[i] for i in term}

    def total(rows: list[int], start: Sequence[float], end: Sequence[float]) -> float:
        n = np.array([counts[i] for i in rows], dtype=float)
        return float((n * (np.array([end[i] for i in rows], dtype=float)
                           - np.array([start[i] for i in rows], dtype=float))).sum())
    out = total(term, t_in, t_end)
    bus = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == by_bus
           and str(nodes[i]).split("->", 1)[0] in airfields and forces[i] not in flow_names]
    if bus:
        out += total(bus, t_in, t_start)
    return round(out, 3)


def airfield_cargo_piece_h(moves: pd.DataFrame) -> float:
    """Piece-hours pieces flown in spent at their airfield, from the movement table (see `_piece_hours`)."""
    return _piece_hours({c: moves[c].tolist() for c in _COLUMNS})


def airfield_cargo_from_records(moves: list) -> float:
    """The same figure from the ledger's flat list of Moves (ledger.MOVE_FIELDS per record)."""
    at = {"kind": 0, "force": 2, "count": 5, "stage": 6, "node": 7, "t_in": 8, "t_start": 9, "t_end": 10}
    return _piece_hours({c: moves[at[c]::MOVE_FIELDS] for c in _COLUMNS})


def _piece_hours(col: dict[str, Sequence[Any]]) -> float:
    """Each piece's cargo terminal record counts its time from the aircraft's arrival over the airfield
    (holding, the wait for a stand, the wait for the terminal) to leaving the terminal (t_end - t_in)."""
    rows = [i for i, (k, st) in enumerate(zip(col["kind"], col["stage"], strict=True))
            if k == "piece" and st == Stage.TERMINAL.value]
    if not rows:
        return 0.0
    n = np.array([col["count"][i] for i in rows], dtype=float)
    d = np.array([col["t_end"][i] for i in rows], dtype=float) - np.array([col["t_in"][i] for i in rows], dtype=float)
    return round(float((n * d).sum()), 3)
