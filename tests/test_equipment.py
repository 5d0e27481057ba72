"""Equipment types: the built-in data (class sums, sources), wagon loading per type, trains limited by length
and by mass, the generic per-class fallback, and bad equipment data through the CLI."""

from __future__ import annotations

import math
import shutil
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from netkit import link, road_links, scenario, tiny_network, write_scenario
from test_bad_input import _errors, _invoke

from sim import equipment as eqdata
from sim.equipment import (
    EquipmentType,
    check_equipment_sources,
    check_split,
    deal,
    load_equipment,
    load_split,
    max_wagons,
    train_mass_t,
    wagon_limits,
    wagon_of,
    wagons_for,
)
from sim.errors import InputError
from sim.forces import load_templates
from sim.lift import check_aircraft_sources
from sim.network import load_network
from sim.paths import builtin_scenario, networks_dir
from sim.plan import compile_plan, load_plan
from sim.scenario import Rail, read_scenario

BELGIUM = networks_dir() / "belgium"


@pytest.fixture(scope="module")
def eq() -> dict[str, EquipmentType]:
    problems: list = []
    out = load_equipment(problems=problems)
    assert problems == []
    return out


# ---- the built-in data --------------------------------------------------------------------------------------
def test_split_sums_to_the_class_counts_of_every_built_in_unit(eq):
    problems: list = []
    templates, split = load_templates(problems=problems), load_split(problems=problems)
    assert problems == []
    assert check_split(templates, eq, split) == []
    for name, units in templates.items():  # the same, counted here independently of check_split
        for u in units:
            have = Counter()
            for e, n in split[(name, u.name)]:
                have[eq[e].cls] += n
            assert {c: n for c, n in u.pieces if n} == {c: n for c, n in have.items() if n}, (name, u.name)


def test_split_check_catches_a_missing_piece_and_an_unknown_type(eq):
    templates, split = load_templates(), load_split()
    rows = list(split[("us_abct", "cab_1")])
    rows[0] = (rows[0][0], rows[0][1] - 1)  # one tank fewer
    bad = {**split, ("us_abct", "cab_1"): (*rows, ("hovercraft", 1))}
    found = [str(p) for p in check_split(templates, eq, bad)]
    assert any("us_abct/cab_1.tracked" in p and "forces.csv gives 120" in p for p in found), found
    assert any("hovercraft" in p for p in found), found


def test_every_equipment_number_is_sourced():
    assert [str(p) for p in check_equipment_sources()] == []
    assert [str(p) for p in check_aircraft_sources()] == []


def test_an_abct_carries_its_sourced_main_equipment(eq):
    """87 Abrams, 18 Paladins (belgium_facts.md 2.1) and Bradleys within the observed 121-144."""
    split = load_split()
    total = Counter()
    for (t, _), rows in split.items():
        if t == "us_abct":
            for e, n in rows:
                total[e] += n
    assert total["mbt_m1a2"] == 87
    assert total["sph_m109"] == 18
    assert 121 <= total["ifv_bradley"] <= 144


def test_out_of_gauge_follows_the_width_rule(eq):
    """Wider than 3.15 m (a flat wagon's load in normal running) is out of gauge, and nothing else."""
    for e in eq.values():
        assert e.out_of_gauge == (e.width_m > 3.15), e.id


# ---- wagon loading ------------------------------------------------------------------------------------------
def test_two_infantry_fighting_vehicles_share_a_wagon_a_tank_does_not(eq):
    ifv, mbt = eq["ifv_bradley"], eq["mbt_m1a2"]
    assert wagon_of(ifv) == ("heavy_flat", 0.5)
    assert wagon_of(mbt) == ("heavy_flat", 1.0)
    assert wagons_for([ifv, ifv]) == {"heavy_flat": 1}
    assert wagons_for([ifv, ifv, ifv]) == {"heavy_flat": 2}
    assert wagons_for([ifv, mbt]) == {"heavy_flat": 2}  # an IFV and a tank do not share
    assert wagons_for([ifv] * 38) == {"heavy_flat": 19}  # the Kallo train: 19 wagons of 2 Bradleys
    assert wagons_for([ifv, eq["container_20ft"], eq["heli_ah64"]]) == {"container_flat": 1, "heavy_flat": 1}


def test_train_mass_adds_tare_and_load(eq):
    ifv = eq["ifv_bradley"]
    wagons = wagons_for([ifv] * 3)
    assert train_mass_t(wagons, [ifv] * 3, {"heavy_flat": 25.0}) == pytest.approx(2 * 25.0 + 3 * ifv.mass_t)
    assert train_mass_t(wagons, [ifv] * 3, {}) == pytest.approx(3 * ifv.mass_t)


def test_a_tank_train_is_cut_by_mass_before_length(eq):
    """With the network's figures (740 m line, 1,700 t, 16 m heavy flats of 24.7 t tare) and the locomotive's
    (20 m, 90 t), a train of battle tanks reaches its mass limit long before its length limit; the number it
    allows agrees with the "about 18 battle tanks (mass-limited)" reported by DB Cargo (rail_facts.md)."""
    net = load_network(BELGIUM)
    rail = Rail()
    wagon_m, tare = float(net.wagon_types.at["heavy_flat", "length_m"]), float(net.wagon_types.at["heavy_flat", "tare_t"])
    line = net.links.loc["l_tongeren_vise"]
    usable_m = float(line["max_train_m"]) - rail.locomotive_m
    usable_t = float(line["max_train_t"]) - rail.locomotive_t
    mbt = eq["mbt_m1a2"]
    by_length, by_mass = wagon_limits(usable_m, usable_t, mbt, wagon_m, tare)
    assert by_length == math.floor(usable_m / wagon_m)
    assert by_mass < by_length
    n = max_wagons(usable_m, usable_t, mbt, wagon_m, tare)
    assert n == by_mass
    assert 16 <= n <= 20  # "about 18"
    full = train_mass_t({"heavy_flat": n}, [mbt] * n, {"heavy_flat": tare})
    assert full <= usable_t < train_mass_t({"heavy_flat": n + 1}, [mbt] * (n + 1), {"heavy_flat": tare})
    # the observed Kallo train (19 wagons of 2 Bradleys, reference 1.4) stays within the same line figure
    ifv = eq["ifv_bradley"]
    kallo = train_mass_t(wagons_for([ifv] * 38), [ifv] * 38, {"heavy_flat": tare}) + rail.locomotive_t
    assert kallo <= float(line["max_train_t"])
    assert max_wagons(usable_m, usable_t, ifv, wagon_m, tare) >= 19
    # without a mass limit the length decides
    assert max_wagons(usable_m, 0.0, mbt, wagon_m, tare) == by_length


def test_every_wagon_load_is_within_its_payload(eq):
    net = load_network(BELGIUM)
    for e in eq.values():
        if e.wagon_type:
            assert e.per_wagon * e.mass_t <= float(net.wagon_types.at[e.wagon_type, "payload_t"]), e.id


def test_builtin_pieces_carry_their_equipment():
    plan = load_plan(builtin_scenario())
    split = load_split()
    for force in read_scenario(builtin_scenario()).forces:
        got = Counter((p.unit, p.equipment) for p in plan.pieces if p.force == force.id)
        template = force.template or force.id  # the built-in list's forces are named for the templates it came from
        want = Counter({(u, e): n for (t, u), rows in split.items() if t == template for e, n in rows if n})
        assert got == want, force.id
    assert all(plan.equipment[p.equipment].cls == p.cls for p in plan.pieces)


def test_dealing_is_by_counts_in_file_order(eq):
    generic = {"tracked": EquipmentType("generic_tracked", "tracked", 7, 3, 40, True, "heavy_flat", 1.0)}
    kinds = deal([("tracked", 5)], [("mbt_m1a2", 2), ("ifv_bradley", 2)], eq, generic)
    assert kinds == ["mbt_m1a2", "mbt_m1a2", "ifv_bradley", "ifv_bradley", "generic_tracked"]


# ---- generic fallback ---------------------------------------------------------------------------------------
def test_a_template_without_split_gets_the_network_class_rules(tmp_path: Path):
    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, modes={"tracked": ["rail"], "wheeled": ["rail"]})
    path = write_scenario(tmp_path / "s.yaml", data)
    plan = load_plan(path)
    net = load_network(folder)
    assert {p.equipment for p in plan.pieces} == {"generic_tracked", "generic_wheeled"}
    for cls in ("tracked", "wheeled"):
        g = plan.equipment[f"generic_{cls}"]
        assert g.wagon_type == net.piece_classes.at[cls, "wagon_type"]
        assert g.share == pytest.approx(float(net.piece_classes.at[cls, "wagon_share"]))
    pieces = [plan.equipment[p.equipment] for p in plan.pieces]
    # same wagons as the class rule: ceil(sum of wagon_share) per wagon type
    share: Counter = Counter()
    for p in plan.pieces:
        share[net.piece_classes.at[p.cls, "wagon_type"]] += float(net.piece_classes.at[p.cls, "wagon_share"])
    assert wagons_for(pieces) == {wt: math.ceil(s - 1e-9) for wt, s in share.items()}


def test_a_line_too_light_for_one_loaded_wagon_is_refused(tmp_path: Path):
    folder = tiny_network(tmp_path / "net", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50,
                                                                        paths_per_day=24, max_train_t=120)])
    data = scenario(folder, modes={"tracked": ["rail"], "wheeled": ["road"]})
    s = read_scenario(write_scenario(tmp_path / "s.yaml", data))
    with pytest.raises(InputError) as exc:
        compile_plan(s, "s.yaml", folder)
    text = " ".join(str(p) for p in exc.value.problems)
    assert "links.csv l_port_exit.max_train_t" in text
    assert "rail.locomotive_t" in text
    # a heavier limit lets the same train run
    folder2 = tiny_network(tmp_path / "net2", links=[*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50,
                                                                          paths_per_day=24, max_train_t=200)])
    compile_plan(s, "s.yaml", folder2)


def test_a_wagon_overloaded_by_the_class_rule_is_refused(tmp_path: Path):
    wagons = [{"type": t, "length_m": m, "tare_t": 20, "payload_t": 30}
              for t, m in (("heavy_flat", 16), ("flat", 19.9), ("container_flat", 14))]
    folder = tiny_network(tmp_path / "net", wagon_types=wagons)
    data = scenario(folder, modes={"tracked": ["rail"], "wheeled": ["road"]})
    s = read_scenario(write_scenario(tmp_path / "s.yaml", data))
    with pytest.raises(InputError) as exc:
        compile_plan(s, "s.yaml", folder)
    found = [str(p) for p in exc.value.problems]
    assert any("piece_classes.csv" in p and "tracked.wagon_share" in p and "payload" in p for p in found), found


# ---- bad equipment data through the CLI ---------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "words"), [("0", "greater than zero"), ("two", "expected int"), ("1.5", "whole number")])
def test_a_wrong_per_wagon_names_file_field_and_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str,
                                                      words: str):
    bad = tmp_path / "equipment.csv"
    text = eqdata.EQUIPMENT_FILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    k = lines[0].split(",").index("per_wagon")
    row = next(ln for ln in lines if ln.startswith("ifv_bradley,"))
    cells = row.split(",")
    cells[k] = cell
    bad.write_text(text.replace(row, ",".join(cells)), encoding="utf-8")
    monkeypatch.setattr(eqdata, "EQUIPMENT_FILE", bad)
    folder = tiny_network(tmp_path / "net")
    path = write_scenario(tmp_path / "s.yaml", scenario(folder))
    for cmd in (["validate", str(path)], ["run", str(path), "--json"]):
        code, out, err = _invoke(*cmd)
        assert code == 2, (cmd, code, out, err)
        mine = [ln for ln in _errors(err) if str(bad) in ln and "per_wagon" in ln]
        assert len(mine) == 1, err
        for w in ("ifv_bradley", cell, words):
            assert w in mine[0], mine[0]
        assert out.strip() == ""


def test_the_equipment_tables_are_plain_copies_of_the_schema(tmp_path: Path):
    """A copy of the built-in file reads the same (the CLI test above changes only one cell)."""
    copy = tmp_path / "equipment.csv"
    shutil.copy(eqdata.EQUIPMENT_FILE, copy)
    problems: list = []
    assert load_equipment(copy, problems) == load_equipment()
    assert problems == []


# ---- trailers with their prime movers ----------------------------------------------------------------------
def _trailer_run(tmp_path: Path, wheeled: int, trailers: int, max_vehicles: int, personnel: int = 0):
    from sim.runner import run_replication

    folder = tiny_network(tmp_path / "net")
    data = scenario(folder, templates={"t": [{"unit": "a", "personnel": personnel, "wheeled": wheeled,
                                              "trailer": trailers}]},
                    modes={"wheeled": ["road"], "trailer": ["road"]},
                    convoy={"max_vehicles": max_vehicles, "gap_m": 75.0})
    plan = load_plan(write_scenario(tmp_path / "s.yaml", data))
    return plan, run_replication(plan)


def test_trailers_are_coupled_one_each_to_prime_movers_of_their_unit(tmp_path: Path):
    plan, _ = _trailer_run(tmp_path, wheeled=4, trailers=6, max_vehicles=4)
    movers = [p.pid for p in plan.pieces if p.cls == "wheeled"]
    tows = [p.tow for p in plan.pieces if p.cls == "trailer"]
    assert tows == [*movers, -1, -1]  # in piece order; the two beyond the prime movers go on their own


def test_a_serial_of_trucks_with_trailers(tmp_path: Path):
    """N trucks towing N trailers march from staging as one serial of N vehicles (not 2N): each trailer arrives
    with its truck, and the column is longer by the trailers' length, with no gap of their own."""
    n = 4
    plan, r = _trailer_run(tmp_path, wheeled=n, trailers=n, max_vehicles=n)
    s = r.summary()
    assert s["pieces"]["delivered"] == 2 * n  # every piece, trailers included, delivered and recorded
    done = r.pieces.set_index("pid")["delivered_h"]
    for p in plan.pieces:
        if p.cls == "trailer":
            assert done[p.pid] == pytest.approx(done[p.tow], abs=1e-9)
    trucks = sorted(done[p.pid] for p in plan.pieces if p.cls == "wheeled")
    v = min(60.0, 80.0)  # class speed (piece_classes) below the link's 80 km/h
    trailer_m = plan.equipment["generic_trailer"].length_m
    gaps = [b - a for a, b in pairwise(trucks)]
    assert gaps == pytest.approx([(75.0 + trailer_m) / 1000.0 / v] * (n - 1), abs=1e-9)
    # one serial: without coupling, 2n pieces in serials of n vehicles would need two
    assert trucks[-1] - trucks[0] == pytest.approx((n - 1) * (75.0 + trailer_m) / 1000.0 / v, abs=1e-9)
    stages = r.moves[(r.moves["kind"] == "piece") & (r.moves["stage"] == "road")]
    assert len(stages) == 2 * n


def test_riders_take_the_seats_of_vehicles_not_trailers(tmp_path: Path):
    """Two seats per vehicle: 4 trucks towing 4 trailers seat 8 persons in the serial; the rest go by bus."""
    _, r = _trailer_run(tmp_path, wheeled=4, trailers=4, max_vehicles=4, personnel=20)
    road = r.moves[(r.moves["kind"] == "pax") & (r.moves["stage"] == "road")]
    assert int(road["count"].sum()) == 4 * 2
    assert r.summary()["personnel"]["delivered"] == 20


def test_equipment_without_a_generic_row_is_a_problem(tmp_path: Path):
    bad = tmp_path / "equipment.csv"
    bad.write_text("\n".join(ln for ln in eqdata.EQUIPMENT_FILE.read_text(encoding="utf-8").splitlines()
                             if not ln.startswith("generic_trailer,")) + "\n", encoding="utf-8")
    problems: list = []
    load_equipment(bad, problems)
    assert [p.value for p in problems] == ["generic_trailer"]
