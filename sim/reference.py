"""The scenario file described for its readers: its JSON Schema (`rsom schema`) and a field reference in
Markdown (`rsom schema --markdown`, committed as docs/scenario-reference.md). Both are generated from the typed
models in sim/scenario.py, their descriptions, units, defaults and bounds, so they say what is checked."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from .scenario import Scenario
from .tables import DATA_DIR

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REFERENCE_FILE = "docs/scenario-reference.md"  # where the generated reference is committed (relative to the repo)


class _WithFactoryDefaults(GenerateJsonSchema):
    """Pydantic's generator, also giving the defaults a default_factory makes (empty lists and mappings, the
    default mode rules and wagon pools), which it leaves out: a reader needs every default."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return factory()  # type: ignore[call-arg]
        return super().get_default_value(schema)


STARTER_FILE = DATA_DIR / "starter.yaml"


def starter_text() -> str:
    """The starter scenario `rsom init` writes: one force, commented (sim/data/starter.yaml; the tests check it
    validates against the JSON Schema and the network, and runs)."""
    return STARTER_FILE.read_text(encoding="utf-8")


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, keys as the YAML spells them (by alias). Besides the
    standard keywords each field carries `description`, `default` where it has one, and `unit` where it has one."""
    body = Scenario.model_json_schema(by_alias=True, mode="validation", schema_generator=_WithFactoryDefaults)
    return {"$schema": DIALECT, **body}


def json_text() -> str:
    """The JSON Schema as the file `rsom schema` writes."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# ---- the Markdown reference -------------------------------------------------------------------------------
def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _refs(node: Any) -> list[str]:
    """Names of the definitions a property's schema refers to, in order."""
    out: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            out.append(_ref_name(node["$ref"]))
        for key, value in node.items():
            if key not in ("default", "discriminator"):
                out += [r for r in _refs(value) if r not in out]
    elif isinstance(node, list):
        for value in node:
            out += [r for r in _refs(value) if r not in out]
    return out


def _child_path(path: str, key: str, prop: dict[str, Any]) -> str:
    """Where a property's nested section sits in the YAML: `forces[]` for a list, `rail.far_ends.<key>` for a
    mapping, `times.discharge` for a value."""
    here = f"{path}.{key}" if path else key
    if prop.get("type") == "array":
        return here + "[]"
    if prop.get("type") == "object" and isinstance(prop.get("additionalProperties"), dict):
        inner = prop["additionalProperties"]
        return here + ".<key>" + ("[]" if inner.get("type") == "array" else "")
    return here


def _places(schema: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each definition's places in the YAML, in the order a reader meets them (depth first), and the keys of
    the section at each place."""
    defs = schema.get("$defs", {})
    places: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {"": list(schema.get("properties", {}))}

    def walk(node: dict[str, Any], path: str) -> None:
        for key, prop in node.get("properties", {}).items():
            sub = _child_path(path, key, prop)
            for name in _refs(prop):
                first = name not in places
                places.setdefault(name, []).append(sub)
                if first:
                    keys[sub] = list(defs[name].get("properties", {}))
                    walk(defs[name], sub)

    walk(schema, "")
    return places, keys


def _shortened(where: list[str], keys: dict[str, list[str]]) -> list[str]:
    """Places of one definition with every key of a section written `section.*` (`times.*`)."""
    out: list[str] = []
    for place in where:
        parent = place.rpartition(".")[0]
        siblings = [p for p in where if p.rpartition(".")[0] == parent]
        if len(siblings) > 1 and parent in keys and len(siblings) == len(keys[parent]):
            short = f"{parent}.*" if parent else "*"
            if short not in out:
                out.append(short)
        else:
            out.append(place)
    return out


def _num(x: float) -> str:
    """A bound or default as a reader writes it: whole numbers with thousands separators, others short."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if math.isfinite(x) and float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))  # no separator in a year (2026)
    return f"{x:.4g}"


def _yaml(value: Any) -> str:
    """A default in YAML flow style, as it would be written in a scenario file."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return _num(value)
    if isinstance(value, str):
        return json.dumps(value) if value == "" or any(c in value for c in ":#{}[],'\"") else value
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    return str(value)


_TYPES = {"string": "text", "number": "number", "integer": "integer", "boolean": "true or false", "null": "null"}


def _type(prop: dict[str, Any]) -> str:
    """A property's type in words."""
    if "$ref" in prop:
        return f"section {_ref_name(prop['$ref'])}"
    if "oneOf" in prop:
        return "distribution (" + ", ".join(_ref_name(p["$ref"]) for p in prop["oneOf"] if "$ref" in p) + ")"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items")
        if isinstance(items, dict) and items:
            return f"list of {_type(items)}"
        return "[" + ", ".join(_type(p) for p in prop.get("prefixItems", [])) + "]"
    if kind == "object":
        inner = prop.get("additionalProperties")
        keys = "piece class" if "propertyNames" in prop else "name"
        return f"mapping of {keys} to {_type(inner)}" if isinstance(inner, dict) else "mapping"
    if kind in _TYPES:
        return _TYPES[kind]
    return "any"


def _bounds(prop: dict[str, Any]) -> list[str]:
    """The allowed values of one schema node: range, choices, sizes."""
    out = []
    low = [f">= {_num(prop['minimum'])}"] if "minimum" in prop else []
    low += [f"> {_num(prop['exclusiveMinimum'])}"] if "exclusiveMinimum" in prop else []
    high = [f"<= {_num(prop['maximum'])}"] if "maximum" in prop else []
    high += [f"< {_num(prop['exclusiveMaximum'])}"] if "exclusiveMaximum" in prop else []
    if low or high:
        out.append(", ".join(low + high))
    if "enum" in prop:
        out.append(" / ".join(f"`{v}`" for v in prop["enum"]))
    if "const" in prop:
        out.append(f"`{prop['const']}`")
    if "minItems" in prop and prop.get("type") == "array" and "prefixItems" not in prop:
        out.append(f"at least {prop['minItems']} item(s)")
    if "propertyNames" in prop and "enum" in prop["propertyNames"]:
        out.append("keys " + " / ".join(f"`{v}`" for v in prop["propertyNames"]["enum"]))
    return out


def _allowed(prop: dict[str, Any]) -> str:
    """The allowed values of a property, looking one level into lists, mappings and alternatives."""
    out = _bounds(prop)
    for key in ("items", "additionalProperties"):
        if isinstance(prop.get(key), dict):
            inner = _bounds(prop[key])
            out += [("each " + b) if not b.startswith("`") else ("values " + b) for b in inner]
            deeper = prop[key].get("items")
            if isinstance(deeper, dict):
                out += [("each " + b) if not b.startswith("`") else ("values " + b) for b in _bounds(deeper)]
    for alt in prop.get("anyOf", []):
        out += [b for b in _allowed(alt).split("; ") if b and b not in out]
    return "; ".join(out)


def _cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _default(prop: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" not in prop:
        return ""
    if "$ref" in prop:
        return "its keys' defaults"
    return f"`{_yaml(prop['default'])}`"


def _table(node: dict[str, Any]) -> list[str]:
    required = set(node.get("required", ()))
    lines = ["| key | type | allowed | default | unit | meaning |", "|---|---|---|---|---|---|"]
    for key, prop in node.get("properties", {}).items():
        cells = [f"`{key}`", _type(prop), _allowed(prop), _default(prop, key in required), prop.get("unit", ""),
                 prop.get("description", "")]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def markdown() -> str:
    """The field reference: one table per section of the scenario file (key, type, allowed values, default,
    unit, meaning), from the same schema `rsom schema` writes."""
    schema = json_schema()
    defs = schema.get("$defs", {})
    places, keys = _places(schema)
    out = [
        "# Scenario file reference",
        "",
        f"Generated by `rsom schema --markdown {REFERENCE_FILE}` from the typed models in `sim/scenario.py`; do not",
        "edit it by hand (a test checks that it matches). `rsom schema --out scenario.schema.json` writes the same",
        "as a JSON Schema, for editors that check YAML against one. `rsom init` writes a starter scenario, and",
        "`rsom list ports` (airfields, railheads, exits, corridors, templates, investments, equipment) lists the",
        "ids a scenario can name.",
        "",
        "Keys left out take their default; a key not listed here is an error. Times are hours from the start of",
        "the run (t = 0) unless the unit says clock time. `required` keys have no default. A distribution is",
        "written as a number (that factor every time), as the name `deterministic` or `exponential`, or as a",
        "mapping such as `{dist: triangular, low: 0.8, mode: 1.0, high: 1.5}`.",
        "",
        "## Top level",
        "",
        _cell(schema.get("description", "")),
        "",
        *_table(schema),
    ]
    for name, where in places.items():
        node = defs[name]
        out += ["", "## " + ", ".join(f"`{w}`" for w in _shortened(where, keys)) + f" ({name})", ""]
        if node.get("description"):
            out += [_cell(node["description"]), ""]
        out += _table(node)
    return "\n".join(out) + "\n"
