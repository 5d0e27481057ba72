"""Persons waiting at airfields: the person-hours from deplaning to boarding a bus (the passenger terminal's
queue and processing, then the wait for a bus), from the movement table of one run. It is what air terminal
equipment and buses act on; a closure of the airfield holds the aircraft in the air and is counted with the
disruptions, not here."""

from __future__ import annotations

import pandas as pd

from .ids import Stage


def airfield_wait_person_h(moves: pd.DataFrame, flow_names: set[str] | frozenset[str] = frozenset()) -> float:
    """Person-hours persons who landed spent at their airfield: each terminal record counts its persons times
    its time from deplaning to leaving the terminal (t_end - t_in, queue included), each bus load leaving an
    airfield whose terminal received persons counts its persons times its wait for the bus (t_start - t_in).
    Persons of sustainment flows (`flow_names`, which enter by bus at their origin) are left out: they did not
    land."""
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
