"""Variants of a scenario: named parameters set to values and investments applied, compiled into a Plan.

A parameter name is either a network cell, `TABLE.KEY.ATTRIBUTE` (tables: seaports, airfields, railheads,
staging, links, nodes, corridor), a pool, `pools.NAME` or `pools.wagons.TYPE`, or any other scenario field
as a dotted path (`convoy.max_vehicles`, `horizon_h`, `rail.max_wait_h`)."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .investments import NETWORK_TARGETS, Change
from .plan import Plan, compile_plan, resolve_network
from .scenario import parse_scenario, read_scenario

Value = float | int | str | bool


def parse_value(text: str) -> Value:
    """A number where the text is one, else the text."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    low = text.strip().lower()
    return {"true": True, "false": False}.get(low, text.strip())


def parse_assignment(text: str) -> tuple[str, list[Value]]:
    """`name=v1,v2,...` into the name and its values."""
    if "=" not in text:
        raise InputError([Problem("(command line)", "--param", text, "expected NAME=VALUE[,VALUE...]")])
    name, values = text.split("=", 1)
    vals = [parse_value(v) for v in values.split(",") if v.strip() != ""]
    if not vals:
        raise InputError([Problem("(command line)", "--param", text, "no values given")])
    return name.strip(), vals


def as_change(name: str, value: Value) -> Change | None:
    """The network or pool change a parameter stands for (None: a scenario field)."""
    parts = name.split(".")
    is_cell = parts[0] in (*NETWORK_TARGETS, "corridor") and len(parts) == 3
    is_pool = parts[0] == "pools" and len(parts) in (2, 3)
    if not (is_cell or is_pool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError([Problem("(parameters)", name, value, "expected a number")]) from None
    if not math.isfinite(number):  # the value set is then checked against the network schema or the pools' bounds
        raise InputError([Problem("(parameters)", name, value, "expected a finite number")])
    if is_cell:
        return Change(parts[0], parts[1], parts[2], "set", number, f"parameter {name}")
    return Change("pools", ".".join(parts[1:]), "count", "set", number, f"parameter {name}")


def _set_path(data: dict, dotted: str, value: Value, file: str) -> None:
    cur: Any = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        if isinstance(cur, list):
            if not (p.isdigit() and int(p) < len(cur)):
                raise InputError([Problem(file, dotted, value, f"no item {p!r} in a list of {len(cur)}")])
            cur = cur[int(p)]
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise InputError([Problem(file, dotted, value, f"no field {p!r} in the scenario")])
    last = parts[-1]
    if isinstance(cur, list) and last.isdigit() and int(last) < len(cur):
        cur[int(last)] = value
    elif isinstance(cur, dict) and last in cur:
        cur[last] = value
    else:
        raise InputError([Problem(file, dotted, value, f"no field {last!r} in the scenario")])


def build_variant(scenario_file: Path | str, params: dict[str, Value] | None = None,
                  investments: list[str] | tuple[str, ...] = ()) -> Plan:
    """Compile a scenario file with parameters set and investments applied (after its own)."""
    path = Path(scenario_file)
    base = read_scenario(path)
    data = base.model_dump(mode="json", by_alias=True)
    changes = []
    for name, value in (params or {}).items():
        ch = as_change(name, value)
        if ch is None:
            _set_path(data, name, value, str(path))
        else:
            changes.append(ch)
    data["investments"] = list(data.get("investments", [])) + [i for i in investments if i not in data.get("investments", [])]
    scenario = parse_scenario(data, str(path))
    return compile_plan(scenario, str(path), resolve_network(scenario, path), extra_changes=changes)


@lru_cache(maxsize=16)
def cached_variant(scenario_file: str, params: tuple[tuple[str, Value], ...], investments: tuple[str, ...]) -> Plan:
    """build_variant, remembered per process (compiling costs about a second; a run reuses the plan)."""
    return build_variant(scenario_file, dict(params), investments)
