"""Scenario variants: parameters on network cells, pools and scenario fields; bad values are clear errors."""

import pytest

from sim.errors import InputError
from sim.paths import builtin_scenario
from sim.variants import build_variant, parse_assignment


def test_parameters_reach_the_network_pools_and_scenario():
    p = build_variant(builtin_scenario(), {"pools.wagons.container_flat": 120, "corridor.L16.paths_per_day": 5,
                                           "railheads.leopoldsburg_rail.ramps": 3, "convoy.max_vehicles": 15},
                      investments=("het_fleet",))
    assert p.scenario.pools.wagons["container_flat"] == 120
    assert p.scenario.pools.hets == 40 + 93  # the investment applies to the pool
    assert p.network.links.loc["l_lier_aarschot", "paths_per_day"] == 5
    assert p.network.railheads.loc["leopoldsburg_rail", "ramps"] == 3
    assert p.scenario.convoy.max_vehicles == 15
    assert [i.name for i in p.investments] == ["het_fleet"]


@pytest.mark.parametrize(("params", "needle"), [
    ({"pools.hets": 0}, "pools.hets"),
    ({"corridor.L16.paths_per_day": "abc"}, "expected a number"),
    ({"pools.wagons.nonexist": 3}, "unknown wagon type"),
    ({"railheads.nowhere.ramps": 2}, "unknown railheads row"),
    ({"convoy.max_vehicle": 3}, "no field"),
    ({"convoy.max_vehicles": 0}, "convoy.max_vehicles"),
])
def test_bad_parameters_are_input_errors(params, needle):
    with pytest.raises(InputError) as exc:
        build_variant(builtin_scenario(), params)
    assert needle in str(exc.value)


def test_parse_assignment():
    assert parse_assignment("pools.hets=40,80") == ("pools.hets", [40, 80])
    assert parse_assignment("rail.max_wait_h=6.5") == ("rail.max_wait_h", [6.5])
    with pytest.raises(InputError):
        parse_assignment("pools.hets")
