"""Variants of a scenario: named parameters set to values (or added to, or scaled) and investments applied,
compiled into a Plan: from a scenario file (`build_variant`, what sweeps run) or from a loaded plan (`variant`,
for notebooks).

A parameter name is either a network cell, `TABLE.KEY.ATTRIBUTE` (tables: seaports, airfields, railheads,
staging, links, nodes, corridor), a pool, `pools.NAME` or `pools.wagons.TYPE`, or any other scenario field
as a dotted path (`convoy.max_vehicles`, `horizon_h`, `rail.max_wait_h`)."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .investments import NETWORK_TARGETS, Change
from .plan import Plan, compile_plan, resolve_network
from .scenario import Scenario, parse_scenario, read_scenario

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


def as_change(name: str, value: Value, op: str = "set") -> Change | None:
    """The network or pool change a parameter stands for (None: a scenario field): `op` is set, add or mul
    (investments.OPS), applied to the cell or pool as an investment's change is."""
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
        return Change(parts[0], parts[1], parts[2], op, number, f"parameter {name}")
    return Change("pools", ".".join(parts[1:]), "count", op, number, f"parameter {name}")


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


def _get_path(data: dict, dotted: str, file: str) -> Any:
    """The value at a dotted path of the scenario's data (lists by index)."""
    cur: Any = data
    for p in dotted.split("."):
        if isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise InputError([Problem(file, dotted, None, f"no field {p!r} in the scenario")])
    return cur


def _combined(old: Any, op: str, value: Value, name: str, file: str) -> Value:
    """A scenario field's value after adding `value` to it or scaling it by `value` (an int field stays an int
    when the result is whole; the scenario's own checks then judge the value)."""
    if isinstance(old, bool) or not isinstance(old, int | float):
        raise InputError([Problem(file, name, old, f"{'add' if op == 'add' else 'scale'} needs a number here")])
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError([Problem("(parameters)", name, value, "expected a finite number")])
    new = old + value if op == "add" else old * value
    return int(new) if isinstance(old, int) and float(new).is_integer() else new


def _variant(scenario: Scenario, file: str, network: Path | None, prior: tuple[Change, ...],
             edits: list[tuple[str, str, Any]], investments: Sequence[str], name: str | None) -> Plan:
    """Compile `scenario` with `edits` (parameter, op, value; op set, add or mul) and `investments` (after its
    own), after the network and pool changes `prior` (an earlier variant's). `network`: the network folder
    to use, or None to find it from the scenario's `network` and `file`."""
    data = scenario.model_dump(mode="json", by_alias=True)
    changes = list(prior)
    for param, op, value in edits:
        ch = as_change(param, value, op)
        if ch is not None:
            changes.append(ch)
        elif op == "set":
            _set_path(data, param, value, file)
        else:
            _set_path(data, param, _combined(_get_path(data, param, file), op, value, param, file), file)
    data["investments"] = list(data.get("investments", [])) + [i for i in investments if i not in data.get("investments", [])]
    if name is not None:
        data["name"] = name
    changed = parse_scenario(data, file)
    folder = network if network is not None and changed.network == scenario.network else \
        resolve_network(changed, Path(file))
    return compile_plan(changed, file, folder, extra_changes=changes)


def build_variant(scenario_file: Path | str, params: dict[str, Value] | None = None,
                  investments: list[str] | tuple[str, ...] = ()) -> Plan:
    """Compile a scenario file with parameters set and investments applied (after its own)."""
    path = Path(scenario_file)
    edits = [(k, "set", v) for k, v in (params or {}).items()]
    return _variant(read_scenario(path), str(path), None, (), edits, investments, None)


def variant(plan: Plan, set: Mapping[str, Any] | None = None, add: Mapping[str, Value] | None = None,
            scale: Mapping[str, Value] | None = None, investments: Sequence[str] = (), name: str | None = None) -> Plan:
    """A new plan from a loaded one, with some values changed; `plan` itself is left as it is.

    Each mapping goes from a parameter name to a value: `set` puts the value there, `add` adds it (a negative
    value takes away), `scale` multiplies by it. A name is a network cell (`TABLE.KEY.ATTRIBUTE`, e.g.
    `corridor.L34.paths_per_day` for every link of a corridor, `seaports.antwerp.berths`), a pool
    (`pools.hets`, `pools.wagons.heavy_flat`) or any other scenario field as a dotted path (`horizon_h`,
    `convoy.max_vehicles`; `set` also takes lists, e.g. `corridors.out_of_service: ["L24"]`). Cells and
    pools change the way an investment's changes do (in the network's units: paths per day, berths,
    wagons...), so the network schema's bounds apply and the plan records them in `plan.parameters`.
    The plan's earlier parameters (a variant of a variant) apply first, then these, in the order set, add,
    scale. `investments` join the plan's own, and all investments apply before any parameter (as in a
    sweep), so a value set here is the value the run uses. `name` renames the scenario (its results, plots
    and tables then carry that name). Raises InputError naming every problem, e.g. an unknown cell or a
    pool taken below one."""
    edits = [(k, "set", v) for k, v in (set or {}).items()] + [(k, "add", v) for k, v in (add or {}).items()] + \
        [(k, "mul", v) for k, v in (scale or {}).items()]
    seen: dict[str, int] = {}
    for k, _, _ in edits:
        seen[k] = seen.get(k, 0) + 1
    twice = sorted(k for k, n in seen.items() if n > 1)
    if twice:
        raise InputError([Problem("(variant)", k, None, "given in more than one of set, add and scale: give it once")
                          for k in twice])
    scenario = plan.scenario_as_written or plan.scenario
    return _variant(scenario, plan.file, plan.network.folder, plan.parameters, edits, investments, name)


PREBUILT: dict[tuple[str, tuple, tuple[str, ...]], bytes] = {}
"""Variants compiled already, pickled, by (scenario file, parameters, investments): a sweep's process fills it
before its workers fork, and a worker then reads a plan back (a twentieth of compiling it) instead of compiling
it again (cached_variant)."""


@lru_cache(maxsize=16)
def cached_variant(scenario_file: str, params: tuple[tuple[str, Value], ...], investments: tuple[str, ...]) -> Plan:
    """build_variant, remembered per process (compiling costs about a second; a run reuses the plan), or read
    back from PREBUILT when compiled there."""
    pickled = PREBUILT.get((scenario_file, params, investments))
    if pickled is not None:
        return pickle.loads(pickled)
    return build_variant(scenario_file, dict(params), investments)
