"""The commands a planner picks the tool up with: `rsom schema` (the scenario file's JSON Schema and its
Markdown field reference, from the typed models), `rsom list KIND` (what a scenario can name, with key
capacities, figures never cut) and `rsom init` (a starter scenario that validates and runs)."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from netkit import tiny_network
from typer.testing import CliRunner

from sim.cli import app
from sim.listing import KINDS
from sim.network import discharge_rates, load_network
from sim.reference import REFERENCE_FILE, json_schema, json_text, markdown, starter_text
from sim.scenario import read_data

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = ROOT / "experiments" / "scenarios" / "belgium_two_brigades.yaml"
BELGIUM = ROOT / "networks" / "belgium"
DATA = ROOT / "sim" / "data"
CLASSES = ("tracked", "wheeled", "trailer", "container", "helicopter")

runner = CliRunner()


def _invoke(*args: str, columns: int = 100) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    try:
        err = result.stderr
    except (ValueError, AttributeError):  # older Click: stderr not captured separately
        err = result.output
    assert "Traceback" not in result.output + err, result.output + err
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, err


# ---- rsom schema ---------------------------------------------------------------------------------------------
def _example_scenarios() -> list[tuple[str, Any]]:
    """Every scenario file under experiments/ (a case that extends a base with the base merged under it, as
    the tool reads it), the friction variants of experiments/friction.py (applied to the
    built-in scenario, as that script does), the README's friction sections and the starter scenario."""
    out: list[tuple[str, Any]] = [(str(p.relative_to(ROOT)), read_data(p))  # with its base merged, as read
                                  for p in sorted((ROOT / "experiments").rglob("*.y*ml"))]
    base = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("friction_example", ROOT / "experiments" / "friction.py")
    assert spec is not None
    assert spec.loader is not None
    friction = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(friction)
    out += [(f"experiments/friction.py {name}", {**base, **variant}) for name, variant in friction.VARIANTS.items()]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)]
    out += [(f"README.md yaml block {i}", {**base, **b}) for i, b in enumerate(blocks) if isinstance(b, dict)]
    out.append(("starter (rsom init)", yaml.safe_load(starter_text())))
    return out


EXAMPLES = _example_scenarios()


def test_the_schema_is_a_valid_json_schema_and_the_command_prints_it(tmp_path: Path) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    code, out, _ = _invoke("schema")
    assert code == 0
    assert json.loads(out) == json.loads(json_text())
    target = tmp_path / "scenario.schema.json"
    code, out, _ = _invoke("schema", "--out", str(target))
    assert code == 0
    assert str(target) in out
    assert target.read_text(encoding="utf-8") == json_text()


def test_there_are_examples_beyond_the_builtin_scenario() -> None:
    names = [n for n, _ in EXAMPLES]
    assert "experiments/scenarios/belgium_two_brigades.yaml" in names
    assert any("friction.py" in n for n in names)
    assert any("README" in n for n in names)


@pytest.mark.parametrize(("name", "data"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_the_schema_accepts_every_example_scenario(name: str, data: Any) -> None:
    as_text = json.loads(json.dumps(data, default=str))  # YAML reads 2027-02-01 as a date; an editor sees the text
    jsonschema.Draft202012Validator(json_schema()).validate(as_text)


def _keys_in_schema(data: Any, node: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    """Keys of `data` that are not properties of the schema at their place (following $ref, lists, mappings
    and alternatives); a schema-independent check of the same thing jsonschema checks."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    alternatives = node.get("anyOf", []) + node.get("oneOf", [])
    if alternatives:
        found = [_keys_in_schema(data, alt, defs, where) for alt in alternatives]
        return min(found, key=len)
    if isinstance(data, dict) and "properties" in node:
        out = []
        for key, value in data.items():
            if key not in node["properties"]:
                out.append(f"{where}.{key}")
            else:
                out += _keys_in_schema(value, node["properties"][key], defs, f"{where}.{key}")
        return out
    if isinstance(data, dict) and isinstance(node.get("additionalProperties"), dict):
        inner = node["additionalProperties"]
        return [m for k, v in data.items() for m in _keys_in_schema(v, inner, defs, f"{where}.{k}")]
    if isinstance(data, list) and isinstance(node.get("items"), dict):
        return [m for i, v in enumerate(data) for m in _keys_in_schema(v, node["items"], defs, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize(("name", "data"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_key_of_every_example_is_a_property_at_its_place(name: str, data: Any) -> None:
    schema = json_schema()
    assert _keys_in_schema(data, schema, schema["$defs"], "") == []


def test_the_schema_refuses_a_misspelt_key() -> None:
    data = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(json_schema())
    for bad in ({**data, "horizon": 10}, {**data, "pools": {"het": 3}},
                {**data, "forces": [{**data["forces"][0], "ships": [{"port": "zeebrugge", "at": 0}]}]}):
        assert not validator.is_valid(bad)
    schema = json_schema()
    assert _keys_in_schema({**data, "horizon": 10}, schema, schema["$defs"], "") == [".horizon"]


def _properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(section, key, property schema, required) of the root and every definition."""
    out = []
    for section, node in [("(top)", schema), *schema["$defs"].items()]:
        required = set(node.get("required", ()))
        out += [(section, key, prop, key in required) for key, prop in node.get("properties", {}).items()]
    return out


def test_every_property_has_a_description_and_every_optional_one_a_default() -> None:
    props = _properties(json_schema())
    assert len(props) > 100
    assert [f"{s}.{k}" for s, k, p, _ in props if not str(p.get("description", "")).strip()] == []
    assert [f"{s}.{k}" for s, k, p, required in props if not required and "default" not in p] == []


@pytest.mark.parametrize(("suffix", "units"), [
    ("_h", {"h", "h (clock)"}), ("_kmh", {"km/h"}), ("_km", {"km"}), ("_m", {"m"}), ("_t", {"t"}),
    ("_per_day", {"pieces/day", "persons/day", "events/day"}), ("_eur", {"EUR"}), ("weeks", {"weeks"}),
])
def test_fields_named_for_a_unit_carry_it(suffix: str, units: set[str]) -> None:
    props = [(s, k, p) for s, k, p, _ in _properties(json_schema()) if k.endswith(suffix)]
    assert props
    assert [f"{s}.{k}: {p.get('unit')}" for s, k, p in props if p.get("unit") not in units] == []


def test_counts_of_persons_and_pieces_carry_their_unit() -> None:
    props = {(s, k): p for s, k, p, _ in _properties(json_schema())}
    for where in [("UnitSpec", "personnel"), ("Flights", "pax"), ("Accommodation", "persons"),
                  ("Pools", "bus_seats"), ("Convoy", "seats_per_vehicle")]:
        assert props[where]["unit"] == "persons", where
    for where in [("ShipCall", "pieces"), ("Flights", "pieces"), *(("UnitSpec", c) for c in CLASSES)]:
        assert props[where]["unit"] == "pieces", where


def test_the_field_reference_is_up_to_date(tmp_path: Path) -> None:
    committed = (ROOT / REFERENCE_FILE).read_text(encoding="utf-8")
    assert committed == markdown(), f"{REFERENCE_FILE} is stale: run `rsom schema --markdown {REFERENCE_FILE}`"
    target = tmp_path / "reference.md"
    code, out, _ = _invoke("schema", "--markdown", str(target))
    assert code == 0
    assert out.strip() == f"Field reference written to {target}"  # no JSON on stdout with --markdown alone
    assert target.read_text(encoding="utf-8") == committed


def test_the_field_reference_has_a_table_per_section_with_units_and_defaults() -> None:
    text = markdown()
    for heading in ("## Top level", "## `pools` (Pools)", "## `forces[]` (Force)", "## `forces[].ships[]` (ShipCall)",
                    "## `rail.far_ends.<key>` (FarEnd)",
                    "## `times.*`, `disruptions.random[].duration_factor` (Triangular)"):
        assert heading in text
    assert "| `horizon_h` | number | > 0, <= 17,520 | `720` | h | Length of the run, in hours. |" in text
    assert "| `bus_speed_kmh` | number | > 0, <= 1000 | `80` | km/h |" in text
    assert "`{heavy_flat: 120, flat: 160, container_flat: 60}`" in text  # a default_factory default
    assert "| `forces` | list of section Force | at least 1 item(s) | required |" in text


# ---- rsom list -----------------------------------------------------------------------------------------------
def _fig(x: Any) -> str:
    """A figure as the tables show it: thousands separated, at most two decimals."""
    v = float(x)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def _aircraft_rows() -> dict[str, list[str]]:
    with (DATA / "aircraft.csv").open(encoding="utf-8") as fh:
        return {r["aircraft"]: [_fig(r["seats"]), _fig(r["cargo_length_m"] or 0), _fig(r["payload_t"] or 0)]
                for r in csv.DictReader(fh)}


def _rows(kind: str) -> dict[str, list[str]]:
    """Expected rows, read from the data files here: first cell (id) -> the cells that follow on its first line."""
    net = load_network(BELGIUM)
    if kind == "ports":
        return {k: [_fig(r["berths"]), *(_fig(discharge_rates(r)[c]) for c in CLASSES), _fig(r["marshalling_spaces"])]
                for k, r in net.seaports.iterrows()}
    if kind == "airfields":
        cols = ("mog", "turnaround_h", "pax_ph", "cargo_pph")
        return {k: [_fig(r[c]) for c in cols] for k, r in net.airfields.iterrows()}
    if kind == "railheads":
        cols = ("ramps", "load_h", "unload_h", "max_train_m")
        return {k: [_fig(r[c]) for c in cols] for k, r in net.railheads.iterrows()}
    if kind == "exits":
        return {k: ["exit"] for k in net.nodes.index[net.nodes["kind"] == "exit"]}
    if kind == "corridors":
        out = {}
        for (corridor, mode), g in net.links.groupby(["corridor", "mode"]):
            ppd = sorted({_fig(v) for v in g["paths_per_day"]}) if mode == "rail" else ["-"]
            out[f"{corridor} {mode}"] = [str(len(g)), _fig(round(g["length_km"].sum(), 1)), "-".join(ppd), mode]
        return out
    if kind == "templates":
        with (DATA / "forces.csv").open(encoding="utf-8") as fh:
            units = list(csv.DictReader(fh))
        out = {}
        for t in sorted({u["template"] for u in units}):
            mine = [u for u in units if u["template"] == t]
            by_cls = [sum(int(u[c] or 0) for u in mine) for c in CLASSES]
            persons = sum(int(u["personnel"]) for u in mine)
            out[t] = [str(len(mine)), _fig(persons), *map(_fig, by_cls), _fig(sum(by_cls))]
        return out
    if kind == "investments":
        rows = net.investments
        return {n: [_fig(g["cost_eur"].iloc[0]), str(int(g["first_year"].iloc[0]))] for n, g in rows.groupby("name")}
    return _aircraft_rows() if kind == "aircraft" else _equipment_rows()


def _equipment_rows() -> dict[str, list[str]]:
    with (DATA / "equipment.csv").open(encoding="utf-8") as fh:
        return {r["equipment"]: [_fig(r["length_m"]), _fig(r["width_m"]), _fig(r["mass_t"]),
                                 _fig(r["per_wagon"] or 1) if r["wagon_type"] else "-"] for r in csv.DictReader(fh)}


def _first_lines(out: str, kind: str) -> dict[str, list[str]]:
    """Each table row's first line, split into cells, by its id (corridors: by id and mode)."""
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if not cells[0]:
            continue
        key = f"{cells[0]} {cells[4]}" if kind == "corridors" else cells[0]
        found.setdefault(key, cells[1:])
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_each_list_shows_every_id_with_its_figures_uncut_at_100_columns(kind: str) -> None:
    code, out, _ = _invoke("list", kind, columns=100)
    assert code == 0, out
    lines = out.splitlines()
    assert max(len(ln) for ln in lines) <= 100
    assert "…" not in out
    expected = _rows(kind)
    assert expected
    shown = _first_lines(out, kind)
    for key, cells in expected.items():
        assert key in shown, f"{key} missing from `rsom list {kind}`"
        assert shown[key][:len(cells)] == cells, (key, shown[key])


@pytest.mark.parametrize(("kind", "ids"), [
    ("ports", ["antwerp_aet", "zeebrugge"]), ("airfields", ["melsbroek", "liege_bierset"]),
    ("railheads", ["antwerp_noord", "leopoldsburg_rail"]), ("exits", ["de_lichtenbusch", "de_aachen_west"]),
    ("corridors", ["L24", "E40", "IRON_RHINE"]), ("templates", ["us_abct", "eu_armoured"]),
    ("investments", ["rail_wagons", "iron_rhine_reopening"]), ("equipment", ["mbt_m1a2", "container_20ft"]),
    ("aircraft", ["c17", "a400m"]),
])
def test_each_list_names_the_ids_a_planner_looks_for(kind: str, ids: list[str]) -> None:
    code, out, _ = _invoke("list", kind)
    assert code == 0
    for i in ids:
        assert re.search(rf"│ {re.escape(i)}\s", out), i


def test_lists_carry_names_units_and_changes() -> None:
    out = _invoke("list", "ports")[1]
    assert "Antwerp Euroterminal" in out  # the node's name, from nodes.csv
    assert "(pieces/h)" in out  # the unit, from the schema
    out = _invoke("list", "investments")[1]
    assert "railheads leopoldsburg_rail.ramps set 3" in out
    assert "pools wagons.heavy_flat.count add 112" in out
    out = _invoke("list", "corridors")[1]
    iron = _first_lines(out, "corridors")["IRON_RHINE rail"]
    assert iron[-1] == "no"  # kept in the data, out of service
    out = _invoke("list", "exits")[1]
    assert _first_lines(out, "exits")["nl_meuse_lanaye"][:2] == ["exit", "water"]


def test_unknown_list_kind_exits_2_naming_the_valid_kinds() -> None:
    code, out, err = _invoke("list", "harbours")
    assert code == 2
    assert out.strip() == ""
    (line,) = [ln for ln in err.splitlines() if ln.strip()]
    assert line.startswith("error: ")
    assert "harbours" in line
    for kind in KINDS:
        assert kind in line


def test_list_reads_the_network_named_or_the_builtin_scenarios(tmp_path: Path) -> None:
    default = _invoke("list", "railheads")[1]
    assert _invoke("list", "railheads", "--network", "belgium")[1] == default
    assert _invoke("list", "railheads", "--network", str(BELGIUM))[1].replace(str(BELGIUM), "") == default
    tiny = tiny_network(tmp_path / "net")
    code, out, _ = _invoke("list", "railheads", "--network", str(tiny))
    assert code == 0
    assert set(_first_lines(out, "railheads")) == {"port", "exit_rail"}
    code, out, err = _invoke("list", "ports", "--network", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no network folder" in err


def test_list_of_a_network_with_an_error_says_so(tmp_path: Path) -> None:
    tiny = tiny_network(tmp_path / "net", railheads=[{"node": "port", "ramps": 0, "load_h": 4, "unload_h": 1,
                                                       "max_train_m": 740}])
    code, _, err = _invoke("list", "railheads", "--network", str(tiny))
    assert code == 2
    assert "ramps" in err


# ---- rsom init -----------------------------------------------------------------------------------------------
def test_init_writes_a_starter_that_validates_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    code, out, _ = _invoke("init", str(target))
    assert code == 0
    assert str(target) in out
    text = target.read_text(encoding="utf-8")
    assert text == starter_text()
    assert text.count("#") >= 10  # commented
    data = yaml.safe_load(text)
    assert len(data["forces"]) == 1
    jsonschema.Draft202012Validator(json_schema()).validate(data)
    code, out, err = _invoke("validate", str(target))
    assert code == 0, err
    assert out.startswith(f"ok: {target}")
    short = tmp_path / "short.yaml"
    short.write_text(text.replace("horizon_h: 720 ", "horizon_h: 72  "), encoding="utf-8")
    assert yaml.safe_load(short.read_text(encoding="utf-8"))["horizon_h"] == 72
    code, out, err = _invoke("run", str(short), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["pieces"]["entered"] > 0
    assert summary["personnel"]["delivered"] > 0


def test_the_starters_commented_examples_are_valid_too(tmp_path: Path) -> None:
    text = starter_text()
    examples = re.findall(r"^# (\w+): ", text, flags=re.MULTILINE)
    assert examples  # e.g. investments
    target = tmp_path / "all.yaml"
    target.write_text(re.sub(r"^# (\w+): ", r"\1: ", text, flags=re.MULTILINE), encoding="utf-8")
    code, _, err = _invoke("validate", str(target))
    assert code == 0, err


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "scenario.yaml"
    target.write_text("name: mine\n", encoding="utf-8")
    code, out, err = _invoke("init", str(target))
    assert code == 1
    assert target.read_text(encoding="utf-8") == "name: mine\n"
    (line,) = [ln for ln in (out + err).splitlines() if ln.strip()]
    assert line.startswith(f"error: {target}:")
    assert "--force" in line
    code, _, _ = _invoke("init", str(target), "--force")
    assert code == 0
    assert target.read_text(encoding="utf-8") == starter_text()


def test_init_writes_scenario_yaml_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = _invoke("init")
    assert code == 0
    assert (tmp_path / "scenario.yaml").read_text(encoding="utf-8") == starter_text()
