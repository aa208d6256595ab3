"""The package itself: versions recorded once, helpers shared across modules."""

from __future__ import annotations

import math

import pytest
from conftest import SCENARIOS

import ecosim
from ecosim.report import versions
from ecosim.scenario.levers import nice_ceiling
from ecosim.scenario.schema import get_value, iter_params, param_info


def test_versions_name_ecosim_by_its_one_version_and_add_extra_packages():
    v = versions("SALib", "no-such-package-ecosim")
    assert v["ecosim"] == ecosim.__version__
    assert {"python", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "SALib"} <= set(v)
    assert v["no-such-package-ecosim"] == "not installed"


@pytest.mark.parametrize(
    ("x", "ceiling"),
    [(0.7, 1.0), (1.0, 1.0), (1.1, 2.0), (2.2, 2.5), (3, 5.0), (7, 10.0), (0.021, 0.025), (4e6, 5e6), (0, 1.0)],
)
def test_nice_ceiling_is_the_smallest_round_number_at_or_above(x, ceiling):
    assert math.isclose(nice_ceiling(x), ceiling)
    assert nice_ceiling(float("nan")) == 1.0 and nice_ceiling(-3) == 1.0


def test_storage_types_follow_the_schema():
    kinds = {info.path: info.dtype for info in iter_params()}
    assert kinds["weeks"] == "int64"
    assert kinds["goals.mean_alignment"] == "float64"
    assert kinds["engagement.rule"] == "string"  # a choice
    assert set(kinds.values()) == {"int64", "float64", "bool", "string", "json"}
    assert param_info("network.kind").dtype == "string"


def test_get_value_follows_a_dotted_path():
    scenario = ecosim.load_scenario(SCENARIOS / "retail.yaml")
    assert get_value(scenario, "goals.mean_alignment") == scenario.goals.mean_alignment
    with pytest.raises(AttributeError):
        get_value(scenario, "goals.no_such_key")


def test_shipped_scenarios_are_found_by_name_and_a_typo_gets_a_suggestion(tmp_path, monkeypatch):
    from ecosim.scenario.errors import ScenarioError
    from ecosim.scenario.loader import find_scenario, shipped_scenarios

    monkeypatch.chdir(tmp_path)  # no scenarios/ folder here
    assert sorted(p.name for p in shipped_scenarios().glob("*.yaml")) == sorted(
        p.name for p in SCENARIOS.glob("*.yaml")
    )
    assert find_scenario("retail").samefile(SCENARIOS / "retail.yaml")
    assert find_scenario("validation/bass.yaml").samefile(SCENARIOS / "validation" / "bass.yaml")
    assert ecosim.load_scenario("retail_low_alignment").name == "retail_low_alignment"
    (tmp_path / "retail").write_text("name: mine\n")  # a file of that name wins over the shipped one
    assert find_scenario("retail") == tmp_path.joinpath("retail").relative_to(tmp_path)
    with pytest.raises(ScenarioError) as err:
        ecosim.load_scenario("retial_facilitated")
    assert "did you mean 'retail_facilitated'?" in str(err.value) and "retail_high_alignment" in str(err.value)
