"""Build small networks and scenarios in a temporary folder, for tests."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import yaml

from sim.tables import schema

BELGIUM = Path(__file__).resolve().parent.parent / "networks" / "belgium"


def write_table(folder: Path, table: str, rows: list[dict[str, Any]]) -> None:
    """Write one table with the schema's columns; missing cells stay empty (the default applies)."""
    cols = [c.attribute for c in schema()[table]]
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in r.items()})


def node(id: str, kind: str, lat: float = 50.8, lon: float = 4.5) -> dict:
    return {"id": id, "name": id, "kind": kind, "lat": lat, "lon": lon}


def link(id: str, mode: str, a: str, b: str, km: float, kmh: float, **kw: Any) -> dict:
    return {"id": id, "corridor": kw.pop("corridor", id), "mode": mode, "from": a, "to": b, "length_km": km, "speed_kmh": kmh, **kw}


def tiny_nodes() -> list[dict[str, Any]]:
    """The tiny network's nodes: a port with a railhead, an airfield, a staging area and two exits (road and rail)."""
    return [node("port", "seaport", 51.2, 4.3), node("apod", "airfield", 50.9, 4.5), node("stage", "staging", 51.1, 4.8),
            node("exit_road", "exit", 50.7, 6.1), node("exit_rail", "exit", 50.8, 6.1)]


def road_links() -> list[dict[str, Any]]:
    """The tiny network's roads: port and airfield to the staging area (50 and 30 km), on to exit_road (100 km),
    all at 80 km/h."""
    return [link("r_port_stage", "road", "port", "stage", 50, 80), link("r_apod_stage", "road", "apod", "stage", 30, 80),
            link("r_stage_exit", "road", "stage", "exit_road", 100, 80)]


def tiny_network(folder: Path, **tables: list[dict[str, Any]]) -> Path:
    """A port with a railhead, an airfield, a staging area and two exits (road and rail); override any table."""
    folder.mkdir(parents=True, exist_ok=True)
    base: dict[str, list[dict[str, Any]]] = {
        "nodes": tiny_nodes(),
        "links": [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=24)],
        "seaports": [{"node": "port", "berths": 1, "discharge_pph": 10, "marshalling_spaces": 1000, "tech_check_h": 0}],
        "airfields": [{"node": "apod", "mog": 2, "turnaround_h": 2, "pax_ph": 1000, "cargo_pph": 10}],
        "railheads": [{"node": "port", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740},
                      {"node": "exit_rail", "ramps": 1, "load_h": 4, "unload_h": 1, "max_train_m": 740}],
        "staging": [{"node": "stage", "role": "staging", "vehicle_spaces": 1000, "beds": 5000, "prep_h": 0}],
    }
    base.update(tables)
    for name, rows in base.items():
        write_table(folder, name, rows)
    for name in ("piece_classes", "wagon_types"):
        if name not in tables:
            shutil.copy(BELGIUM / f"{name}.csv", folder / f"{name}.csv")
    write_table(folder, "sources", [])
    return folder


def scenario(network: Path, **kw: Any) -> dict[str, Any]:
    """A one-force scenario on a tiny network: a custom template, one ship, one flight."""
    data: dict[str, Any] = {
        "name": "tiny",
        "network": str(network),
        "horizon_h": 2000,
        "seed": 1,
        "templates": {"t": [{"unit": "a", "personnel": 40, "tracked": 4, "wheeled": 6}]},
        "forces": [{"id": "f", "template": "t", "staging": "stage", "exits": ["exit_road", "exit_rail"],
                    "ships": [{"port": "port", "at_h": 0}], "flights": [{"airfield": "apod", "at_h": 0, "pax": 100}]}],
    }
    data.update(kw)
    return data


def builtin_data() -> dict[str, Any]:
    """The built-in scenario as YAML data, its deployment list named by absolute path so that the data may be
    written to a scenario file anywhere."""
    from sim.paths import builtin_scenario

    path = builtin_scenario()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["deployment_list"] = str((path.parent / data["deployment_list"]).resolve())
    return data


def write_scenario(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
