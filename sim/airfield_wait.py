"""Persons waiting at airfields: the person-hours from their aircraft's arrival at the airfield to boarding a
bus (holding while the airfield is closed, waiting for a stand, the passenger terminal's queue and processing,
then the wait for a bus), from the movement table of one run. It is what air terminal equipment, stands (MOG),
counter-drone systems and buses act on."""

from __future__ import annotations

import pandas as pd

from .ids import Stage


def airfield_wait_person_h(moves: pd.DataFrame, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """Person-hours persons who flew in spent at their airfield: each terminal record counts its persons times
    its time from the aircraft's arrival to leaving the terminal (t_end - t_in), each bus load leaving an
    airfield whose terminal received persons counts its persons times its wait for the bus (t_start - t_in).
    Persons of sustainment flows (`flow_names`, which enter by bus at their origin) are left out: they did not
    fly in."""
    pax = moves[moves["kind"] == "pax"]
    if not len(pax):
        return 0.0
    term = pax[pax["stage"] == Stage.TERMINAL.value]
    airfields = set(term["node"])
    total = float((term["count"].astype(float) * (term["t_end"] - term["t_in"])).sum())
    bus = pax[pax["stage"] == Stage.BUS.value]
    if len(bus) and airfields:
        origin = bus["node"].astype(str).str.split("->", n=1).str[0]
        mine = bus[origin.isin(airfields) & ~bus["force"].isin(flow_names)]
        total += float((mine["count"].astype(float) * (mine["t_start"] - mine["t_in"])).sum())
    return round(total, 3)


def airfield_wait_from_records(moves: list, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """The same figure as airfield_wait_person_h, from the ledger's flat list of Moves (ledger.MOVE_FIELDS per
    record), without building the movement table: the products are summed as numpy arrays in record order, as
    the table's sum does, so the two agree to the last digit."""
    import numpy as np

    from .ledger import MOVE_FIELDS

    kinds, counts, stages, nodes, forces = (moves[0::MOVE_FIELDS], moves[5::MOVE_FIELDS], moves[6::MOVE_FIELDS],
                                            moves[7::MOVE_FIELDS], moves[2::MOVE_FIELDS])
    t_in, t_start, t_end = moves[8::MOVE_FIELDS], moves[9::MOVE_FIELDS], moves[10::MOVE_FIELDS]
    term = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == Stage.TERMINAL.value]
    if not any(k == "pax" for k in kinds):
        return 0.0
    airfields = {nodes[i] for i in term}
    total = float((np.array([counts[i] for i in term], dtype=float)
                   * (np.array([t_end[i] for i in term], dtype=float) - np.array([t_in[i] for i in term], dtype=float))).sum())
    bus = [i for i, (k, st) in enumerate(zip(kinds, stages, strict=True)) if k == "pax" and st == Stage.BUS.value
           and str(nodes[i]).split("->", 1)[0] in airfields and forces[i] not in flow_names]
    if bus and airfields:
        total += float((np.array([counts[i] for i in bus], dtype=float)
                        * (np.array([t_start[i] for i in bus], dtype=float)
                           - np.array([t_in[i] for i in bus], dtype=float))).sum())
    return round(total, 3)
