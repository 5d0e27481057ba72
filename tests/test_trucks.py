"""A pool of trucks carrying containers by road from their entry, one each, with their drivers' hours (Reg. (EC)
No 561/2006: at most 9 h driving a day, a 45 min break after 4.5 h of driving, 11 h daily rest). Without the
pool (the default) containers drive in their serials as vehicles of their own, as before.

The tiny network (tests/netkit.py): containers are discharged 0.1 h apart at the port, drive at 60 km/h (their
class's road speed); port to staging area 50 km (0.8333 h), staging area to road exit 100 km; a serial halts
15 min after its first hour of driving. A truck loads and unloads in 0.25 h each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netkit import scenario, tiny_network, write_scenario

from sim.plan import load_plan
from sim.runner import run_replication


def _run(tmp_path: Path, containers: int, trucks: int | None, staging: bool = False, **kw: Any) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    force = {"id": "f", "template": "t", "exits": ["exit_road"], "ships": [{"port": "port", "at_h": 0}],
             **({"staging": "stage"} if staging else {})}
    data = scenario(tiny_network(tmp_path / "net"), templates={"t": [{"unit": "a", "personnel": 0,
                                                                      "container": containers}]},
                    forces=[force], modes={"container": ["road"]}, **kw)
    if trucks is not None:
        data["pools"] = {**data.get("pools", {}), "trucks": trucks}
    return run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))


def _ends(r: Any, stage: str) -> list[float]:
    mv = r.moves[(r.moves["kind"] == "piece") & (r.moves["stage"] == stage)].sort_values("id")
    return [float(t) for t in mv["t_end"]]


def test_without_a_truck_pool_containers_drive_as_before(tmp_path: Path) -> None:
    """Two containers in one serial leave when the second is discharged (0.2 h): 150 km at 60 km/h is 2.5 h
    and one 15 min halt: 2.95 h, the second 75 m behind (0.00125 h)."""
    r = _run(tmp_path, 2, None)
    assert _ends(r, "road") == pytest.approx([2.95, 2.95125])
    assert "trucks" not in set(r.resources["name"])


def test_one_truck_carries_a_container_then_its_driver_rests_for_the_day(tmp_path: Path) -> None:
    """One truck. Container 0 (discharged 0.1 h) is loaded by 0.35 h and at the exit at 0.35 + 2.75 = 3.1 h; the
    truck unloads (0.25 h) and drives back empty (2.5 h). Its driver has driven 5 h: a 45 min break fell due
    after 4.5 h, and another 5 h turn would pass the day's 9 h, so the daily rest of 11 h (which the break
    precedes) comes first: the truck is free at 3.1 + 2.75 + 0.75 + 11 = 17.6 h, loads container 1 by 17.85 h:
    at the exit at 20.6 h. Two trucks carry both in one serial from 0.45 h (container 1 loaded): 3.2 and
    3.20125 h."""
    one = _run(tmp_path / "a", 2, 1)
    assert _ends(one, "road") == pytest.approx([3.1, 20.6])
    two = _run(tmp_path / "b", 2, 2)
    assert _ends(two, "road") == pytest.approx([3.2, 3.20125])
    stats = one.resource_stats().set_index("resource")
    assert stats.loc["trucks", "wait_h"] > 0
    from sim.causes import resource_causes

    assert resource_causes(one)["trucks"] == "trucks for containers"
    assert "trucks for containers" in one.summary()["bottlenecks"][0]["words"]


def test_a_driver_takes_a_break_after_four_and_a_half_hours_of_driving(tmp_path: Path) -> None:
    """One truck shuttles four containers 50 km to the staging area: each turn is 0.25 h loading, 0.8333 h
    there, 0.25 h unloading, 0.8333 h back (1.6667 h driving). Truck free at 0.1, 2.2667, 4.4333 h: containers
    reach the staging area at 1.1833, 3.35 and 5.5167 h. After the third turn the driver has driven 5 h since
    the last break: 45 min break, so the truck is free at 6.6 + 0.75 = 7.35 h and the fourth container arrives
    at 7.35 + 0.25 + 0.8333 = 8.4333 h (without the break 7.6833 h). The day's driving (5 h, and 6.67 h with
    one more turn) stays within 9 h: no daily rest."""
    r = _run(tmp_path, 4, 1, staging=True)
    assert _ends(r, "to_staging") == pytest.approx([1.1833, 3.35, 5.5167, 8.4333], abs=1e-4)


def test_more_trucks_never_lengthen_closure(tmp_path: Path) -> None:
    closures = [_run(tmp_path / str(n), 6, n, staging=True).closure_h for n in (1, 2, 3, 6, 20)]
    assert closures == sorted(closures, reverse=True)
    assert closures[0] > closures[-1]


def test_containers_leaving_the_railway_for_the_road_ride_the_trucks(tmp_path: Path) -> None:
    """Containers that would wait too long for a train (rail.switch_after_h; tanks fill the one path every two
    days) go on by road: with a truck pool each takes a truck at its railhead, as every container leaving its
    entry by road does."""
    from netkit import link, road_links

    links = [*road_links(), link("l_port_exit", "rail", "port", "exit_rail", 100, 50, paths_per_day=0.5),
             link("r_port_exit", "road", "port", "exit_rail", 100, 80)]
    net = tiny_network(tmp_path / "net", links=links)
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 0, "tracked": 60, "container": 60}]},
                    forces=[{"id": "f", "template": "t", "exits": ["exit_rail"], "ships": [{"port": "port", "at_h": 0}],
                             "modes": {"tracked": ["rail"], "container": ["rail", "road"]}}],
                    rail={"switch_after_h": {"container": 24}}, pools={"trucks": 5})
    r = run_replication(load_plan(write_scenario(tmp_path / "s.yaml", data)))
    assert (r.pieces["status"] == "delivered").all()
    moved = r.pieces[r.pieces["mode"] == "road"]
    assert len(moved) > 0
    assert int((r.usage["resource"] == "trucks").sum()) == len(moved)
