"""Scenario fuzzing: hypothesis strategies for whole scenarios on small random networks, mutations of valid
input files, and the invariants every case must keep. Used by tests/test_fuzz.py (a few hundred cases) and
experiments/fuzz.py (thousands, in worker processes).

A case is plain data (picklable, printable): the network tables as rows and the scenario as a dict.
`write_case` puts it on disk as `scenario.yaml` beside a `net/` folder, so a failing case can be replayed
with `rsom run scenario.yaml`."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from netkit import BELGIUM, link, node, write_table

from sim.errors import InputError, Problem

CLASSES = ("tracked", "wheeled", "trailer", "container", "helicopter")
MODES = ("rail", "road", "het", "barge", "air")
TIME_NAMES = ("discharge", "tech_check", "turnaround", "pax_processing", "cargo_processing", "rail_load", "rail_unload",
              "staging_prep", "reassembly", "het_load", "barge_load", "travel")
WINDOWS = ("", "", "", "", "", "", "21:00-05:00", "06:00-18:00", "22:00-06:00;12:00-13:00", "00:00-00:30", "08:00-08:05")
PEAKS = ("", "", "06:30-09:30;15:30-19:00", "07:00-09:00", "00:00-23:00", "12:00-12:01", "12:00-12:01")
WEEKLY = ("Mon-Fri 21:00-05:00;Sat-Sun always", "Sat-Sun closed;Mon-Fri 06:00-18:00", "Fri 20:00-04:00", "Sun 23:30-00:30",
          "Fri-Mon 08:00-08:05")  # windows by day of the week (they need the scenario's start)
WALL_LIMIT_S = 20.0  # a case that runs longer than this is a hang
BOUND_TOL_H = 1e-6  # closure may equal the bound; summary figures are rounded to 4 decimals, the bound too
NET = "net"  # the network folder beside scenario.yaml


@dataclass
class Case:
    """One fuzz input: network tables (table name -> rows) and the scenario (as YAML data)."""

    tables: dict[str, list[dict[str, Any]]]
    scenario: dict[str, Any]


@dataclass
class FileCase:
    """A valid case with one input file mutated: `target` is `scenario.yaml` or `net/<table>.csv`; `content`
    is the new file content (bytes), or None to delete the file, or the string "<folder>" for a folder in
    its place. `kind` names the mutation."""

    base: Case
    target: str
    kind: str
    content: bytes | str | None


@dataclass
class Outcome:
    """What happened to one case: `ok`, `input_error` or `failure`; `kind` says which failure."""

    status: str
    kind: str = ""
    detail: str = ""
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)


# ---- scenarios ------------------------------------------------------------------------------------------
def _num(draw: st.DrawFn, lo: float, hi: float, *special: float) -> float:
    """A float in [lo, hi], often a round number, sometimes one of `special` (edges worth hitting)."""
    if special and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(special))
    if draw(st.booleans()):
        return float(draw(st.integers(math.ceil(lo), math.floor(hi))))
    return round(draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False)), 3)


@st.composite
def distributions(draw: st.DrawFn) -> Any:
    """A time factor: deterministic (0 included), exponential, triangular or lognormal, in any spelling."""
    kind = draw(st.sampled_from(["number", "number", "name", "deterministic", "exponential", "triangular", "lognormal"]))
    if kind == "number":
        return draw(st.sampled_from([1, 1, 0.5, 2, 0, 1.0]))
    if kind == "name":
        return draw(st.sampled_from(["exponential", "deterministic"]))
    if kind == "deterministic":
        return {"dist": "deterministic", "value": _num(draw, 0, 3, 0.0, 1.0)}
    if kind == "exponential":
        return {"dist": "exponential", "mean": _num(draw, 0.01, 3, 1.0)}
    if kind == "triangular":
        lo = _num(draw, 0, 1, 0.0)
        hi = lo + _num(draw, 0.01, 2)
        mode = draw(st.sampled_from([lo, hi, (lo + hi) / 2]))
        return {"dist": "triangular", "low": lo, "mode": min(max(round(mode, 6), lo), hi), "high": hi}
    return {"dist": "lognormal", "mean": _num(draw, 0.1, 3, 1.0), "sd": _num(draw, 0.01, 3)}


@st.composite
def mode_rules(draw: st.DrawFn) -> dict[str, list[str]]:
    """Mode rules for a few classes: any modes in any order, usually ending in one that can always serve the
    class (road, or air for helicopters) so most rules compile."""
    out = {}
    for c in draw(st.lists(st.sampled_from(CLASSES), max_size=3, unique=True)):
        modes = draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True))
        last = "air" if c == "helicopter" else "road"
        if last not in modes and draw(st.integers(0, 3)) > 0:
            modes.append(last)
        out[c] = modes
    return out


@st.composite
def networks(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """A small network: sea ports, airfields, railheads (at ports or own nodes, or none), staging areas,
    convoy support centres, exits, junctions and waterway nodes, joined by a random road tree plus extra road,
    rail and water links with random lengths, speeds, paths, headways, windows, delays, train lengths and
    civil traffic."""
    ports = [f"port{i}" for i in range(draw(st.integers(1, 2)))]
    airfields = [f"apod{i}" for i in range(draw(st.integers(0, 2)))]
    stagings = [f"stage{i}" for i in range(draw(st.integers(0, 2)))]
    cscs = [f"csc{i}" for i in range(draw(st.integers(0, 1)))]
    exits = [f"exit{i}" for i in range(draw(st.integers(1, 3)))]
    junctions = [f"j{i}" for i in range(draw(st.integers(0, 3)))]
    rh_nodes = [f"rh{i}" for i in range(draw(st.integers(0, 2)))]
    waterways = [f"ww{i}" for i in range(draw(st.integers(0, 2)))]
    kinds = {**dict.fromkeys(ports, "seaport"), **dict.fromkeys(airfields, "airfield"), **dict.fromkeys(stagings, "staging"),
             **dict.fromkeys(cscs, "csc"), **dict.fromkeys(exits, "exit"), **dict.fromkeys(junctions, "junction"),
             **dict.fromkeys(rh_nodes, "railhead"), **dict.fromkeys(waterways, "waterway")}
    nodes = []
    for n, kind in kinds.items():
        lon = 6.1 if kind == "exit" else round(draw(st.floats(2.6, 6.0)), 3)
        nodes.append(node(n, kind, round(draw(st.floats(49.6, 51.4)), 3), lon))
    links: list[dict[str, Any]] = []
    corridors = ["A", "B", "C", "L1", "L2", "W1"]

    def add(mode: str, a: str, b: str, tree: bool = False) -> None:
        row = link(f"{mode[:2]}{len(links)}", mode, a, b, _num(draw, 0.5, 300, 0.5, 1.0),
                   _num(draw, 5, 120, 5.0, 120.0), corridor=draw(st.sampled_from(corridors[:3] if tree else corridors)))
        row["delay_h"] = draw(st.sampled_from([0, 0, 0, 0.5, 2, 24]))
        if not tree and draw(st.integers(0, 9)) == 0:
            row["in_service"] = False
        if mode == "rail":
            row["paths_per_day"] = _num(draw, 0.1, 48, 0.1, 0.5, 1.0, 24.0)
            row["max_train_m"] = draw(st.sampled_from([0, 0, 0, 60, 200, 400, 740]))
            if draw(st.booleans()):
                cap = _num(draw, 1, 200)
                row["capacity_trains_per_day"] = cap
                row["civil_trains_per_day"] = draw(st.sampled_from([0.0, cap / 2, cap, round(cap * 0.9, 3)]))
        else:
            row["headway_min"] = draw(st.sampled_from([0, 0, 0, 1, 5, 30, 120, 600]))
            row["window"] = draw(st.sampled_from(WINDOWS))
        links.append(row)

    land = [*ports, *airfields, *stagings, *cscs, *exits, *junctions, *rh_nodes]
    order = draw(st.permutations(land))
    for k in range(1, len(order)):  # a random road tree over every land node: each joins an earlier one
        add("road", order[draw(st.integers(0, k - 1))], order[k], tree=True)
    for _ in range(draw(st.integers(0, 4))):  # roads around the tree: other routes when a link is closed
        a, b = draw(st.lists(st.sampled_from(land), min_size=2, max_size=2, unique=True))
        add("road", a, b)
    rail_nodes = [*ports, *rh_nodes, *exits, *junctions, *stagings]
    spine: list[str] = []
    if draw(st.integers(0, 3)) > 0:  # usually a rail line from a port (or a railhead) to an exit, maybe two ways
        for _ in range(draw(st.integers(1, 2))):
            start = draw(st.sampled_from(ports + rh_nodes))
            middle = draw(st.lists(st.sampled_from(junctions + rh_nodes), max_size=2, unique=True)) \
                if junctions + rh_nodes else []
            chain = [start, *[m for m in middle if m != start], draw(st.sampled_from(exits))]
            for a, b in itertools.pairwise(chain):
                add("rail", a, b)
            spine.append(start)
    for _ in range(draw(st.integers(0, 4))):
        a, b = draw(st.lists(st.sampled_from(rail_nodes), min_size=2, max_size=2, unique=True))
        add("rail", a, b)
    if waterways or draw(st.integers(0, 3)) == 0:
        water_nodes = [*ports, *waterways, *exits]
        for _ in range(draw(st.integers(1, 4))):
            a, b = draw(st.lists(st.sampled_from(water_nodes), min_size=2, max_size=2, unique=True))
            add("water", a, b)

    seaports = []
    for p in ports:
        berths = draw(st.integers(1, 3))
        seaports.append({"node": p, "berths": berths, "discharge_pph": _num(draw, 0.2, 60, 0.2),
                         "marshalling_spaces": draw(st.sampled_from([1, 2, 10, 50, 400])),
                         "tech_check_h": draw(st.sampled_from([0, 0.5, 1, 12])),
                         "civil_berths": draw(st.sampled_from([0, 0, 0, 0, 0.5, berths - 0.5, berths]))})
    airfield_rows = [{"node": a, "mog": draw(st.integers(1, 3)), "turnaround_h": _num(draw, 0.1, 12),
                      "pax_ph": _num(draw, 1, 2000, 1.0), "cargo_pph": _num(draw, 0.1, 50, 0.1)} for a in airfields]
    heads = sorted(set(rh_nodes + spine + draw(st.lists(st.sampled_from([*ports, *exits, *stagings]), max_size=3))))
    if draw(st.integers(0, 9)) == 0:
        heads = []  # no railhead at all: rail cannot serve
    railheads = [{"node": r, "ramps": draw(st.integers(1, 3)), "load_h": _num(draw, 0.1, 12, 0.1),
                  "unload_h": _num(draw, 0.1, 12), "max_train_m": draw(st.sampled_from([30, 60, 200, 740, 740, 740]))}
                 for r in heads]
    staging = [{"node": s, "role": "staging", "vehicle_spaces": draw(st.sampled_from([0, 5, 50, 200, *[1000] * 6])),
                "beds": draw(st.sampled_from([0, 20, 200, 2000, *[5000] * 6])), "prep_h": draw(st.sampled_from([0, 2, 24]))}
               for s in stagings]
    staging += [{"node": c, "role": "csc", "vehicle_spaces": draw(st.sampled_from([1, 20, 100])), "beds": 0,
                 "prep_h": draw(st.sampled_from([0, 1, 8]))} for c in cscs]
    return {"nodes": nodes, "links": links, "seaports": seaports, "airfields": airfield_rows, "railheads": railheads,
            "staging": staging}


def _ids(tables: dict[str, list[dict[str, Any]]], table: str, key: str = "node") -> list[str]:
    return [r[key] for r in tables[table]]


@st.composite
def forces(draw: st.DrawFn, tables: dict[str, list[dict[str, Any]]], n: int) -> tuple[dict, list[dict]]:
    """Templates and `n` forces: units with random sizes by class, ship calls and flights, staging or not,
    exits, sometimes the force's own mode rules or railhead."""
    ports, airfields = _ids(tables, "seaports"), _ids(tables, "airfields")
    stagings = [r["node"] for r in tables["staging"] if r["role"] == "staging"]
    exits = [r["id"] for r in tables["nodes"] if r["kind"] == "exit"]
    templates, out = {}, []
    for i in range(n):
        units = []
        for u in range(draw(st.integers(1, 3))):
            unit = {"unit": f"u{u}", "personnel": draw(st.sampled_from([0, 1, 10, 40, 150]))}
            for c in CLASSES:
                k = draw(st.sampled_from([0, 0, 0, 1, 3, 10, 40]))
                if k:
                    unit[c] = k
            units.append(unit)
        if not airfields:
            for u in units:
                u["personnel"] = 0  # persons come by air only
        templates[f"t{i}"] = units
        personnel = sum(u["personnel"] for u in units)
        n_pieces = sum(u.get(c, 0) for u in units for c in CLASSES)
        force: dict[str, Any] = {"id": f"f{i}", "template": f"t{i}",
                                 "exits": draw(st.lists(st.sampled_from(exits), min_size=1, max_size=len(exits), unique=True))}
        if stagings and draw(st.integers(0, 3)) > 0:
            force["staging"] = draw(st.sampled_from(stagings))
        airlift = 0
        if airfields and (personnel or draw(st.integers(0, 3)) == 0):
            count = draw(st.integers(1, 3))
            seats = max(1, math.ceil(personnel / count)) + draw(st.sampled_from([0, 0, 0, 5, 200]))
            per = draw(st.sampled_from([0, 0, 0, 1, 3]))
            per = min(per, n_pieces // count)
            airlift = count * per
            force["flights"] = [{"airfield": draw(st.sampled_from(airfields)), "at_h": _num(draw, 0, 100, 0.0),
                                 "count": count, "every_h": draw(st.sampled_from([0, 1, 3, 24])), "pax": seats,
                                 "pieces": per}]
        by_sea = n_pieces - airlift
        n_ships = draw(st.integers(1 if by_sea or "flights" not in force else 0, 3))
        ships = [{"port": draw(st.sampled_from(ports)), "at_h": _num(draw, 0, 100, 0.0)} for _ in range(n_ships)]
        if ships and by_sea >= len(ships) and draw(st.integers(0, 3)) == 0:  # manifests given: split the pieces
            cuts = sorted(draw(st.lists(st.integers(1, by_sea - 1), min_size=len(ships) - 1, max_size=len(ships) - 1,
                                        unique=True))) if len(ships) > 1 and by_sea > len(ships) else list(range(1, len(ships)))
            bounds = [0, *cuts, by_sea]
            for call, lo, hi in zip(ships, bounds, bounds[1:]):
                call["pieces"] = hi - lo
        force["ships"] = ships
        if draw(st.integers(0, 4)) == 0:
            force["modes"] = draw(mode_rules())
        heads = _ids(tables, "railheads")
        if heads and draw(st.integers(0, 5)) == 0:
            force["railhead"] = draw(st.sampled_from(heads))
        out.append(force)
    return templates, out


@st.composite
def friction(draw: st.DrawFn, tables: dict[str, list[dict[str, Any]]], horizon: float, force_ids: list[str]) -> dict:
    """Disruptions (scheduled and random; nodes, corridors, links), civil traffic up to saturation,
    sustainment flows both ways and accommodation."""
    out: dict[str, Any] = {}
    facilities = sorted({r["node"] for t in ("seaports", "airfields", "railheads", "staging") for r in tables[t]})
    links = [r["id"] for r in tables["links"]]
    corridors = sorted({r["corridor"] for r in tables["links"]})
    targets = facilities + links + corridors
    if draw(st.integers(0, 2)) == 0:
        events = []
        for j in range(draw(st.integers(1, 3))):
            e = {"kind": draw(st.sampled_from(["sabotage", "drone", "cyber", "high_water", "other"])),
                 "target": draw(st.sampled_from(targets)), "at_h": _num(draw, 0, horizon * 1.2, 0.0),
                 "duration_h": _num(draw, 0.01, 500, 0.01, 10_000.0)}
            if draw(st.booleans()):
                e["capacity_factor"] = draw(st.sampled_from([0.0, 0.01, 0.5, 0.99]))
            if draw(st.booleans()):
                e["name"] = f"d{j}"
            events.append(e)
        random = []
        for _ in range(draw(st.integers(0, 2))):
            r = {"targets": draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3)),
                 "rate_per_day": _num(draw, 0.01, 4, 0.01), "duration_h": _num(draw, 0.01, 100, 0.01)}
            if draw(st.booleans()):
                r["duration_factor"] = draw(distributions())
            if draw(st.booleans()):
                r["capacity_factor"] = draw(st.sampled_from([0.0, 0.3, 0.9]))
            if draw(st.booleans()):
                r["start_h"] = _num(draw, 0, horizon)
                r["end_h"] = r["start_h"] + _num(draw, 1, horizon)
            random.append(r)
        out["disruptions"] = {"events": events, "random": random,
                              "divert_after_h": draw(st.sampled_from([0, 1, 12, 100]))}
    if draw(st.integers(0, 2)) == 0:
        civil: dict[str, Any] = {"level": draw(st.sampled_from([0, 0.5, 1, 1.5, 2, 3])),
                                 "priority": draw(st.sampled_from(["civil", "military"]))}
        if draw(st.booleans()):
            civil["military_priority_on"] = draw(st.lists(st.sampled_from(corridors + _ids(tables, "seaports")), max_size=2))
        civil["road_peaks"] = draw(st.sampled_from(PEAKS))
        road = sorted({r["corridor"] for r in tables["links"] if r["mode"] == "road"})
        if road and draw(st.integers(0, 3)) == 0:
            civil["road_peak_corridors"] = draw(st.lists(st.sampled_from(road), max_size=2, unique=True))
        out["civil_traffic"] = civil
    nodes = [r["id"] for r in tables["nodes"]]
    exits = [r["id"] for r in tables["nodes"] if r["kind"] == "exit"]
    if draw(st.integers(0, 2)) == 0:
        flows = []
        for j in range(draw(st.integers(1, 2))):
            mode = draw(st.sampled_from(["rail", "road"]))
            heads = _ids(tables, "railheads")
            usual = draw(st.integers(0, 3)) > 0  # usually ends the mode can serve; sometimes any node
            land = [r["id"] for r in tables["nodes"] if r["kind"] != "waterway"]
            a = draw(st.sampled_from(heads if mode == "rail" and heads and usual else land if usual else nodes))
            ends = [n for n in (heads + exits if mode == "rail" else land) if n != a] if usual else []
            b = draw(st.sampled_from(ends or [n for n in nodes if n != a]))
            start = _num(draw, 0, horizon, 0.0)
            f = {"name": f"flow{j}", "origin": a, "destination": b, "mode": mode,
                 "cls": draw(st.sampled_from(CLASSES[:4] if draw(st.integers(0, 9)) else CLASSES)), "start_h": start, "end_h": start + _num(draw, 1, 400, 24.0)}
            what = draw(st.sampled_from(["pieces", "pieces", "persons", "both"]))
            if what != "persons":
                f["pieces_per_day"] = _num(draw, 0.1, 20, 1.0)
            if what != "pieces":
                f["persons_per_day"] = _num(draw, 0.5, 100)
            flows.append(f)
        out["sustainment"] = flows
    sites = [r["node"] for r in tables["staging"] if r["role"] == "staging"]
    if sites and draw(st.integers(0, 3)) == 0:
        out["accommodation"] = [{"site": draw(st.sampled_from(sites)), "persons": draw(st.sampled_from([1, 100, 3000])),
                                 "start_h": _num(draw, 0, horizon / 2, 0.0), "weeks": _num(draw, 0.05, 12),
                                 "modules": draw(st.integers(0, 4))} for _ in range(draw(st.integers(1, 2)))]
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> Case:
    """A whole scenario on a small random network: forces, mode rules, pools down to 1, time distributions,
    rules, corridors and nodes out of service, friction, horizon from small to large."""
    tables = draw(networks())
    horizon = draw(st.sampled_from([1.0, 24.0, 150.0, 1000.0, 5000.0, 5000.0, 5000.0]))
    templates, force_list = draw(forces(tables, draw(st.integers(1, 2))))
    data: dict[str, Any] = {"name": "fuzz", "network": NET, "horizon_h": horizon, "seed": draw(st.integers(0, 2**31 - 1)),
                            "start_clock_h": draw(st.sampled_from([0.0, 6.0, 23.99])), "templates": templates,
                            "forces": force_list}
    if draw(st.booleans()):
        data["modes"] = draw(mode_rules())
    if draw(st.integers(0, 2)) > 0:
        wagons = {"heavy_flat": 1, "flat": 1, "container_flat": 1} if draw(st.integers(0, 3)) == 0 else \
            {wt: draw(st.sampled_from([1, 2, 10, 60, 200])) for wt in ("heavy_flat", "flat", "container_flat")}
        data["pools"] = {"wagons": wagons, "train_sets": draw(st.sampled_from([1, 2, 10])),
                         "hets": draw(st.sampled_from([1, 3, 40])), "buses": draw(st.sampled_from([1, 5, 60])),
                         "bus_seats": draw(st.sampled_from([1, 10, 50])), "bus_speed_kmh": _num(draw, 5, 120),
                         "barges": draw(st.sampled_from([1, 4])), "reassembly_teams": draw(st.sampled_from([1, 4]))}
    if draw(st.booleans()):
        data["times"] = {t: draw(distributions()) for t in draw(st.lists(st.sampled_from(TIME_NAMES), max_size=5, unique=True))}
    if draw(st.integers(0, 3)) == 0:
        data["convoy"] = {"max_vehicles": draw(st.sampled_from([1, 2, 20])), "gap_m": draw(st.sampled_from([0, 75, 500])),
                          "max_wait_h": _num(draw, 0.01, 24), "seats_per_vehicle": draw(st.sampled_from([0, 2, 9]))}
        data["rail"] = {"max_wait_h": _num(draw, 0.01, 48), "locomotive_m": draw(st.sampled_from([0, 20, 100]))}
        data["het"] = {"speed_kmh": _num(draw, 1, 80), "load_h": _num(draw, 0, 3)}
        data["barge"] = {"load_h": _num(draw, 0, 12), "unload_h": _num(draw, 0, 12), "max_wait_h": _num(draw, 0.1, 48)}
        data["air"] = {"reassembly_h": _num(draw, 0, 24)}
    corridors = sorted({r["corridor"] for r in tables["links"]} | {r["id"] for r in tables["links"]})
    spare = sorted({r["corridor"] for r in tables["links"] if r["corridor"] not in ("A", "B", "C")} |
                   {r["id"] for r in tables["links"] if r["corridor"] not in ("A", "B", "C")})  # off the road tree
    if spare and draw(st.integers(0, 4)) == 0:
        data["corridors"] = {"out_of_service": draw(st.lists(st.sampled_from(spare), max_size=1)),
                             "in_service": draw(st.lists(st.sampled_from(corridors), max_size=2))}
    if draw(st.integers(0, 6)) == 0:
        data["nodes_out_of_service"] = draw(st.lists(st.sampled_from([r["id"] for r in tables["nodes"]]), max_size=1))
    if draw(st.integers(0, 4)) == 0:
        text = draw(st.sampled_from(WINDOWS + WEEKLY))
        data["windows"] = {draw(st.sampled_from(corridors)): text}
        if text in WEEKLY and draw(st.integers(0, 3)) > 0:  # mostly with the calendar a weekday window needs
            data.pop("start_clock_h")
            data["start"] = f"2027-02-{15 + draw(st.integers(0, 6))}T{draw(st.sampled_from(['00:00', '06:00', '23:59']))}"
    data.update(draw(friction(tables, horizon, [f["id"] for f in force_list])))
    return Case(tables, data)


# ---- writing a case -------------------------------------------------------------------------------------
def write_case(case: Case, folder: Path) -> Path:
    """Write the scenario and its network folder; returns the scenario path."""
    net = folder / NET
    net.mkdir(parents=True, exist_ok=True)
    for name, rows in case.tables.items():
        write_table(net, name, rows)
    for name in ("piece_classes", "wagon_types"):
        if name not in case.tables:
            shutil.copy(BELGIUM / f"{name}.csv", net / f"{name}.csv")
    write_table(net, "sources", [])
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(case.scenario, sort_keys=False), encoding="utf-8")
    return path


def write_file_case(fc: FileCase, folder: Path) -> Path:
    """Write the base case, then put the mutated file in place; returns the scenario path."""
    path = write_case(fc.base, folder)
    target = folder / fc.target
    if target.exists():
        target.unlink()
    if fc.content == "<folder>":
        (target / "x").mkdir(parents=True)
    elif isinstance(fc.content, bytes):
        target.write_bytes(fc.content)
    return path


# ---- mutated files --------------------------------------------------------------------------------------
BAD_VALUES: tuple[Any, ...] = (-1, 0, -0.5, 1e308, 10**40, float("nan"), float("inf"), float("-inf"), 1e-300, "abc", "",
                               None, True, [], {}, [1, 2], {"x": 1}, "nowhere", "1e309", "-inf", 2**63)
BAD_CELLS = ("", "nan", "NaN", "inf", "-inf", "-1", "0", "1e308", "1e309", "abc", "1.5", "true", "x" * 300, "0x10",
             "-0", "1e-320", " ", "None", "nowhere", "99999999999999999999999")


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in nested dicts and lists."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _set(data: Any, path: tuple, value: Any, delete: bool = False) -> None:
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    if delete:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value


def _deep(depth: int, as_list: bool) -> Any:
    out: Any = 1
    for _ in range(depth):
        out = [out] if as_list else {"a": out}
    return out


@st.composite
def mutated_scenario(draw: st.DrawFn, base: Case) -> FileCase:
    """The base case's scenario YAML with one mutation: a key deleted or duplicated, a value of the wrong type
    or out of range, an unknown name, an empty or non-mapping file, deep nesting, aliases, bad bytes."""
    import copy

    data = copy.deepcopy(base.scenario)
    paths = _paths(data)
    kind = draw(st.sampled_from(["delete", "value", "value", "value", "unknown_key", "duplicate_key", "empty", "top",
                                 "deep", "alias", "bytes", "text_cut"]))
    if kind == "delete":
        path = draw(st.sampled_from(paths))
        _set(data, path, None, delete=True)
        text = yaml.safe_dump(data, sort_keys=False)
    elif kind == "value":
        path = draw(st.sampled_from(paths))
        _set(data, path, draw(st.sampled_from(BAD_VALUES)))
        text = yaml.safe_dump(data, sort_keys=False)
    elif kind == "unknown_key":
        dicts = [p for p in paths if isinstance(_get(data, p), dict)] + [()]
        where = draw(st.sampled_from(dicts))
        (_get(data, where) if where else data)["bogus_key"] = 1
        text = yaml.safe_dump(data, sort_keys=False)
    elif kind == "duplicate_key":
        lines = yaml.safe_dump(data, sort_keys=False).splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
        text = "\n".join(lines) + "\n"
    elif kind == "empty":
        text = draw(st.sampled_from(["", "\n", "# nothing\n", "---\n", "...\n", "null\n", "~\n"]))
    elif kind == "top":
        text = draw(st.sampled_from(["[1, 2]\n", "42\n", "'a string'\n", "- name: x\n", "!!binary aGVsbG8=\n",
                                     "!!python/object:os.system {}\n", "{name: x, forces: 3}\n"]))
    elif kind == "deep":
        path = draw(st.sampled_from(paths))
        _set(data, path, _deep(draw(st.sampled_from([5, 50, 200])), draw(st.booleans())))
        text = yaml.safe_dump(data, sort_keys=False)
    elif kind == "alias":
        body = yaml.safe_dump(data, sort_keys=False)
        how = draw(st.sampled_from(["bomb", "forces", "templates", "scalar"]))
        if how == "bomb":  # nested aliases, small enough to expand: n ** n leaves
            n = draw(st.integers(2, 4))
            bomb = "x_bomb:\n  a0: &a0 [1, 2, 3]\n" + "".join(
                f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * n)}]\n" for i in range(1, n))
            key = draw(st.sampled_from(["description", "templates", "modes", "windows"]))
            text = bomb + "".join(ln + "\n" for ln in body.splitlines() if not ln.startswith(f"{key}:")) + f"{key}: *a{n - 1}\n"
        elif how == "forces":
            text = body.replace("forces:\n- ", "forces:\n- &f0 ", 1) + "x_again: [*f0]\n"
        elif how == "templates":
            text = body.replace("templates:", "templates: &t", 1) + "modes: *t\n"
        else:
            text = body.replace("name: fuzz", "name: &n fuzz", 1) + "description: *n\n"
    elif kind == "bytes":
        raw = yaml.safe_dump(data, sort_keys=False).encode()
        i = draw(st.integers(0, len(raw)))
        return FileCase(base, "scenario.yaml", kind, raw[:i] + draw(st.sampled_from([b"\xff\xfe", b"\x00", b"\x80abc", b"\t"])) + raw[i:])
    else:  # text_cut: the file truncated anywhere
        raw = yaml.safe_dump(data, sort_keys=False)
        text = raw[: draw(st.integers(0, len(raw)))]
    return FileCase(base, "scenario.yaml", kind, text.encode())


def _get(data: Any, path: tuple) -> Any:
    cur = data
    for p in path:
        cur = cur[p]
    return cur


def _cell(v: Any) -> str:
    return "true" if v is True else "false" if v is False else str(v)


@st.composite
def mutated_table(draw: st.DrawFn, base: Case) -> FileCase:
    """One network table of the base case mutated: a column deleted, duplicated or renamed, a cell of the wrong
    type or out of range (NaN, inf, negative, zero, huge), a row deleted or duplicated, a ragged row, an empty
    file, bad bytes, the file missing or a folder in its place."""
    import csv
    import io

    from sim.tables import schema

    table = draw(st.sampled_from(sorted(base.tables)))
    cols = [c.attribute for c in schema()[table]]
    rows = [[_cell(r.get(c, "")) for c in cols] for r in base.tables[table]]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "cell", "drop_column", "dup_column", "rename_column",
                                 "drop_row", "dup_row", "ragged", "empty", "header_only", "missing", "folder", "bytes"]))
    if kind == "missing":
        return FileCase(base, f"{NET}/{table}.csv", kind, None)
    if kind == "folder":
        return FileCase(base, f"{NET}/{table}.csv", kind, "<folder>")
    if kind == "empty":
        return FileCase(base, f"{NET}/{table}.csv", kind, b"")
    header = list(cols)
    if kind == "cell" and rows:
        i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(cols) - 1))
        rows[i][j] = draw(st.sampled_from(BAD_CELLS + tuple(r[0] for r in rows)))
    elif kind == "drop_column":
        j = draw(st.integers(0, len(cols) - 1))
        header.pop(j)
        rows = [r[:j] + r[j + 1:] for r in rows]
    elif kind == "dup_column":
        j = draw(st.integers(0, len(cols) - 1))
        header.append(header[j])
        rows = [[*r, draw(st.sampled_from([r[j], "7", ""]))] for r in rows]
    elif kind == "rename_column":
        header[draw(st.integers(0, len(cols) - 1))] = "bogus"
    elif kind == "drop_row" and rows:
        rows.pop(draw(st.integers(0, len(rows) - 1)))
    elif kind == "dup_row" and rows:
        rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
    elif kind == "ragged" and rows:
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][:-1] if draw(st.booleans()) else [*rows[i], "extra"]
    elif kind == "header_only":
        rows = []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    raw = buf.getvalue().encode()
    if kind == "bytes":
        i = draw(st.integers(0, len(raw)))
        raw = raw[:i] + draw(st.sampled_from([b"\xff\xfe", b"\x00", b"\x80", b'"']))  + raw[i:]
    return FileCase(base, f"{NET}/{table}.csv", kind, raw)


@st.composite
def mutated_files(draw: st.DrawFn) -> FileCase:
    """A valid scenario with its YAML or one of its network tables mutated."""
    base = draw(scenarios())
    return draw(mutated_scenario(base) if draw(st.booleans()) else mutated_table(base))


# ---- invariants ---------------------------------------------------------------------------------------
class Violation(AssertionError):
    """An invariant broken by a case; `kind` names which."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


def check_problems(problems: list[Problem]) -> None:
    """Each problem of an InputError names a file, a field and (in its text) a value."""
    if not problems:
        raise Violation("bad_problem", "InputError without problems")
    for p in problems:
        if not isinstance(p.file, str) or not p.file or not isinstance(p.field, str) or not p.field:
            raise Violation("bad_problem", f"problem without file or field: {p!r}")
        if "\n" in str(p):
            raise Violation("bad_problem", f"problem text spans lines: {str(p)!r}")


def check_accounting(summary: dict[str, Any]) -> None:
    """Every piece and person planned is delivered, still in the system or not arrived yet."""
    for kind in ("pieces", "personnel", "sustainment_pieces", "sustainment_personnel"):
        if kind not in summary:
            continue
        a = summary[kind]
        if a["planned"] != a["delivered"] + a["in_system"] + a["not_arrived"] or a["entered"] != a["delivered"] + a["in_system"] \
                or min(a.values()) < 0:
            raise Violation("conservation", f"{kind}: {a}")


def run_scenario_checks(path: Path, wall_limit_s: float = WALL_LIMIT_S, twice: bool = True) -> Outcome:
    """Load the scenario at `path`, run one replication and check the invariants: only InputError (with
    proper problems) from loading; no exception, no hang, conservation, closure not below the analytic bound,
    the same summary from the same seed. Returns the outcome; never raises for a case's own failure."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", module=r"sim(\..*)?")  # as the project's pytest settings: a warning is a defect
        return _scenario_checks(path, wall_limit_s, twice)


def _scenario_checks(path: Path, wall_limit_s: float, twice: bool) -> Outcome:
    from sim.bound import closure_bound
    from sim.plan import load_plan
    from sim.runner import run_replication

    t0 = time.perf_counter()
    try:
        plan = load_plan(path)
    except InputError as exc:
        try:
            check_problems(exc.problems)
        except Violation as v:
            return Outcome("failure", v.kind, v.detail, time.perf_counter() - t0)
        return Outcome("input_error", "", str(exc.problems[0]), time.perf_counter() - t0)
    except Exception as exc:
        return Outcome("failure", "crash_load", _trace(exc), time.perf_counter() - t0)
    try:
        t1 = time.perf_counter()
        summary = run_replication(plan).summary()
        try:
            text = json.dumps(summary, sort_keys=True, allow_nan=False)
        except ValueError as exc:
            raise Violation("nan_in_summary", f"{exc}: {json.dumps(summary, sort_keys=True)[:3000]}") from None
        elapsed = time.perf_counter() - t1
        if elapsed > wall_limit_s:
            raise Violation("hang", f"one replication took {elapsed:.1f} s (limit {wall_limit_s:g} s)")
        check_accounting(summary)
        try:
            report = closure_bound(plan)  # rsom run computes it for every plan
        except Exception as exc:
            raise Violation("crash_bound", _trace(exc)) from None
        try:
            json.dumps(report.as_dict(), allow_nan=False)
        except ValueError:
            raise Violation("nan_in_bound", str(report.as_dict())) from None
        closure, bound = summary.get("closure_h"), report.bound_h
        if closure is not None and plan.pieces and math.isfinite(bound) and closure < bound - BOUND_TOL_H - 1e-4:
            raise Violation("bound_above_closure", f"closure {closure} < bound {bound} ({report.binding})")
        if twice:
            again = json.dumps(run_replication(plan).summary(), sort_keys=True)
            if again != text:
                raise Violation("nondeterminism", _first_difference(text, again))
    except Violation as v:
        return Outcome("failure", v.kind, v.detail, time.perf_counter() - t0)
    except Exception as exc:
        return Outcome("failure", "crash_run", _trace(exc), time.perf_counter() - t0)
    return Outcome("ok", "", "", time.perf_counter() - t0,
                   {"pieces": summary["pieces"]["planned"], "closure_h": summary.get("closure_h")})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"summaries differ at char {i}: {a[max(0, i - 80):i + 80]!r} vs {b[max(0, i - 80):i + 80]!r}"


def run_cli_checks(path: Path, commands: tuple[str, ...] = ("validate", "run")) -> Outcome:
    """`rsom validate FILE` and `rsom run FILE --json` through typer's CliRunner: exit 0 or 2, no traceback,
    and on exit 2 every stderr line starts with `error:`. Returns `ok` (all exit 0), `input_error` (some
    exit 2) or a failure."""
    from typer.testing import CliRunner

    from sim.cli import app

    runner = CliRunner()
    t0 = time.perf_counter()
    status = "ok"
    for cmd in commands:
        args = [cmd, str(path)] + (["--json"] if cmd == "run" else [])
        t1 = time.perf_counter()
        result = runner.invoke(app, args)
        elapsed = time.perf_counter() - t1
        out = result.stdout
        try:
            err = result.stderr
        except (ValueError, AttributeError):
            err = ""
        if "Traceback" in out + err:
            return Outcome("failure", f"traceback_{cmd}", out + err, time.perf_counter() - t0)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return Outcome("failure", f"crash_{cmd}", _trace(result.exception), time.perf_counter() - t0)
        if result.exit_code not in (0, 2):
            return Outcome("failure", f"exit_{result.exit_code}_{cmd}", out + err, time.perf_counter() - t0)
        if elapsed > WALL_LIMIT_S:
            return Outcome("failure", f"hang_{cmd}", f"{cmd} took {elapsed:.1f} s", time.perf_counter() - t0)
        if result.exit_code == 2:
            lines = [ln for ln in err.splitlines() if ln.strip()]
            errors = [ln for ln in lines if not ln.startswith("note:")]  # notes (what was not checked) come last
            bad = [ln for ln in errors if not ln.startswith("error:")] + ([] if lines[:len(errors)] == errors else ["order"])
            if not errors or bad:
                return Outcome("failure", f"stderr_{cmd}", err or "(no stderr)", time.perf_counter() - t0)
            if out.strip():
                return Outcome("failure", f"stdout_on_error_{cmd}", out, time.perf_counter() - t0)
            status = "input_error"
            break  # validate said no: run says the same (checked on its own in the tests)
        if cmd == "run":
            try:
                json.loads(out, parse_constant=_no_constant)
            except ValueError:
                return Outcome("failure", "run_json", out[:2000], time.perf_counter() - t0)
    return Outcome(status, "", "", time.perf_counter() - t0)
