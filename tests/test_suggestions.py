"""Errors say what to write instead: the closest valid name or key, all of them when there are few, or the
command that lists them; values appear as the user wrote them."""

from datetime import date

import pytest
import yaml
from netkit import builtin_data

from sim.errors import InputError, Problem, suggest
from sim.plan import load_plan


def test_suggest_the_closest_names_all_of_few_or_the_listing_command():
    ports = ["antwerp_aet", "antwerp_ico_kallo", "zeebrugge", "ghent_kluizendok", "ostend_port"]
    assert suggest("zebrugge", ports) == "did you mean 'zeebrugge'?"
    assert suggest("ghent", ports) == "did you mean 'ghent_kluizendok'?"  # part of a name
    assert suggest("bremerhaven", ports) == "valid: antwerp_aet, antwerp_ico_kallo, ghent_kluizendok, ostend_port, zeebrugge"
    many = [f"node_{i:02d}" for i in range(40)]
    assert suggest("xyz", many, "rsom list exits") == "`rsom list exits` lists them"
    assert suggest("xyz", many) == ""


def test_a_date_is_shown_as_written():
    assert str(Problem("s.yaml", "forces[0].rdd", date(2027, 3, 1), "x")) == "error: s.yaml: forces[0].rdd = 2027-03-01: x"


def scenario_with(tmp_path, edit):
    data = builtin_data()
    edit(data)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("edit", "said"), [
    (lambda d: d["forces"][1]["ships"][0].update(port="zebrugge"), "forces[1].ships[0].port = 'zebrugge': unknown sea port; did you mean 'zeebrugge'?"),
    (lambda d: d["forces"][0].update(staging="grobendonk"), "did you mean 'grobbendonk'?"),
    (lambda d: d["forces"][1].update(template="eu_armored"), "unknown template; did you mean 'eu_armoured'?"),
    (lambda d: d["forces"][0]["ships"][0].update(at=d["forces"][0]["ships"][0].pop("at_h")),
     "forces[0].ships[0].at = 0: unknown key; did you mean 'at_h'?"),
    (lambda d: d["rail"].update(max_wait=d["rail"].pop("max_wait_h")), "rail.max_wait = 12: unknown key; did you mean 'max_wait_h'?"),
    (lambda d: d.update(horizon=d.pop("horizon_h")), "horizon = 1440: unknown key; did you mean 'horizon_h'?"),
])
def test_scenario_errors_suggest_the_valid_name_or_key(tmp_path, edit, said):
    with pytest.raises(InputError) as err:
        load_plan(scenario_with(tmp_path, edit))
    assert said in str(err.value)
