"""Scenario files: safe loading, extends, overrides and clear errors."""

from __future__ import annotations

import json

import pydantic
import pytest
import yaml
from conftest import SCENARIOS, TINY, write

from ecosim.scenario import ScenarioError, load_scenario
from ecosim.scenario.errors import ScenarioErrors
from ecosim.scenario.loader import MAX_FILE_BYTES, json_schema, scenario_hash
from ecosim.scenario.schema import Scenario, iter_params, param_info


def error_of(path, *args, **kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, *args, **kwargs)
    return info.value


# ---- the schema -----------------------------------------------------------------------------


def test_every_parameter_is_declared_with_description_and_bounds():
    for info in iter_params():
        assert info.description, info.path
        if info.annotation in (int, float) and info.path not in {"seed"}:
            assert info.lower is not None and info.upper is not None, f"{info.path} has no range"


def test_defaults_validate_and_are_frozen():
    sc = Scenario(name="x")
    with pytest.raises(pydantic.ValidationError):
        sc.weeks = 3  # type: ignore[misc]


def test_param_info_describes_allowed_values():
    info = param_info("goals.mean_alignment")
    assert info.lever and info.lower == 0 and info.upper == 1
    assert "number >= 0 and <= 1" in info.allowed()
    assert param_info("engagement.rule").allowed() == "one of ecosystem, bass, threshold"


# ---- loading ---------------------------------------------------------------------------------


def test_extends_deep_merges_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "base.yaml", TINY + "facilitation:\n  facilitators: 5\n  hours_per_week: 3\n")
    child = write(
        tmp_path / "sub" / "child.yaml", "extends: ../base.yaml\nname: child\nfacilitation:\n  facilitators: 1\n"
    )
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.facilitation.facilitators == 1
    assert sc.facilitation.hours_per_week == 3  # merged, not replaced
    assert sc.organisation.stores == 3


def test_overrides_and_seed(tiny):
    sc = load_scenario(tiny, ["goals.mean_alignment=0.3", "engagement.rule=bass"], seed=9)
    assert sc.goals.mean_alignment == 0.3 and sc.engagement.rule == "bass" and sc.seed == 9
    sc2 = load_scenario(tiny, {"facilitation.facilitators": 0})
    assert sc2.facilitation.facilitators == 0


def test_shipped_scenarios_extend_as_documented():
    low = load_scenario(SCENARIOS / "retail_low_alignment.yaml")
    base = load_scenario(SCENARIOS / "retail.yaml")
    fac = load_scenario(SCENARIOS / "retail_facilitated.yaml")
    assert low.goals.mean_alignment < base.goals.mean_alignment
    assert fac.goals.mean_alignment == low.goals.mean_alignment
    assert fac.facilitation.facilitators * fac.facilitation.hours_per_week > (
        base.facilitation.facilitators * base.facilitation.hours_per_week
    )
    assert low.organisation == base.organisation


def test_hash_identifies_the_resolved_scenario(tiny):
    a, b = load_scenario(tiny), load_scenario(tiny)
    assert scenario_hash(a) == scenario_hash(b)
    assert scenario_hash(load_scenario(tiny, seed=2)) != scenario_hash(a)


# ---- errors ----------------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\ngoals:\n  mean_alignment: [0.1, 0.2\n")
    err = error_of(path)
    assert err.file == str(path) and err.line == 4 and err.column is not None
    assert "YAML syntax error" in err.message()


def test_schema_error_names_key_value_allowed_and_line(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\nfacilitation:\n  facilitators: -3\n")
    err = error_of(path)
    assert err.key == "facilitation.facilitators"
    assert err.value == -3
    assert err.line == 3
    assert "whole number >= 0" in err.message()


def test_misspelt_key_gets_did_you_mean(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\nfacilitation:\n  facilitaters: 2\n")
    msg = error_of(path).message()
    assert "unknown key 'facilitaters'" in msg and "did you mean 'facilitators'?" in msg


def test_unknown_keys_point_at_the_key_and_bad_values_at_the_value(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\nfacilitation:\n  facilitators: 4\n  facilitaters:   6\n")
    err = error_of(path)
    assert (err.line, err.column) == (4, 3)  # the misspelt key, not its value at column 19
    assert f"{path}:4:3: facilitation: unknown key 'facilitaters'" in err.message()
    path = write(tmp_path / "bad2.yaml", "name: x\ngoals:\n  mean_alignment:   1.5\n")
    err = error_of(path)
    assert (err.line, err.column) == (3, 21)  # the bad value


def test_misspelt_override_gets_did_you_mean(tiny):
    err = error_of(tiny, ["goals.mean_alignmnt=0.2"])
    assert err.file == "--set" and "did you mean 'goals.mean_alignment'?" in err.message()


def test_error_in_parent_file_points_at_the_parent(tmp_path):
    write(tmp_path / "base.yaml", TINY + "turnover:\n  annual_rate: -1\n")
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nname: child\n")
    err = error_of(child)
    assert err.file == str(tmp_path / "base.yaml") and err.key == "turnover.annual_rate"


def test_several_problems_are_all_reported(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\nweeks: 0\ngoals:\n  topics: 1\n")
    err = error_of(path)
    assert isinstance(err, ScenarioErrors) and len(err.errors) == 2
    assert [e.line for e in err.errors] == [2, 4]


def test_wrong_types_are_not_coerced(tmp_path):
    path = write(tmp_path / "bad.yaml", 'name: x\ngoals:\n  mean_alignment: "0.5"\n')
    assert error_of(path).key == "goals.mean_alignment"
    path = write(tmp_path / "bad2.yaml", "name: x\nweeks: true\n")
    assert error_of(path).key == "weeks"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "empty"),
        ("- a\n- b\n", "top level"),
        ("name: x\nname: y\n", "duplicate key"),
        ("name: !!python/object/apply:os.system ['true']\n", "YAML"),
        ("name: x\n1: 2\n", "plain text"),
        ("a: &a [*a]\n", "recursive"),
    ],
)
def test_unsafe_or_malformed_documents_are_refused(tmp_path, text, problem):
    path = write(tmp_path / "bad.yaml", text)
    assert problem in error_of(path).message()


def test_alias_bomb_is_refused_not_expanded(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    assert "alias bomb" in error_of(path).message()


def test_oversized_file_is_refused(tmp_path):
    path = write(tmp_path / "big.yaml", "name: x\n" + "#" * (MAX_FILE_BYTES + 1) + "\n")
    assert "too large" in error_of(path).message()


def test_missing_file_and_missing_extends_target(tmp_path):
    assert "not found" in error_of(tmp_path / "nope.yaml").message()
    child = write(tmp_path / "child.yaml", "extends: nowhere.yaml\nname: c\n")
    err = error_of(child)
    assert err.key == "extends" and err.line == 1 and "does not exist" in err.message()


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nname: b\n")
    assert "cycle" in error_of(tmp_path / "a.yaml").message()


def test_section_validators_give_their_reason(tmp_path):
    path = write(tmp_path / "bad.yaml", "name: x\nnetwork:\n  kind: erdos_renyi\n")
    assert "network.learners is required" in error_of(path).message()


# ---- JSON Schema -----------------------------------------------------------------------------


def test_json_schema_accepts_shipped_scenarios_and_rejects_unknown_keys():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for path in SCENARIOS.glob("*.yaml"):
        validator.validate(yaml.safe_load(path.read_text()))
    assert list(validator.iter_errors({"name": "x", "goals": {"mean_alignmnt": 0.2}}))
    assert json.loads(json.dumps(schema))  # plain JSON


def test_bad_override_value_points_at_the_override(tiny):
    err = error_of(tiny, ["engagement.rule=nonsense"])
    assert err.file == "--set" and err.key == "engagement.rule" and err.value == "nonsense"


def test_exponent_numbers_without_a_decimal_point_are_numbers(tmp_path):
    path = write(tmp_path / "s.yaml", TINY + "forgetting:\n  rate: 5e-2\n")
    assert load_scenario(path).forgetting.rate == 0.05
    assert load_scenario(path, ["learning.experiential=1e-3"]).learning.experiential == 0.001
    assert load_scenario(path, ["weeks=10"]).weeks == 10  # whole numbers stay whole


def test_networks_too_large_to_build_are_refused(tiny):
    err = error_of(tiny, ["network.kind=erdos_renyi", "network.learners=20000000", "network.mean_degree=1000"])
    assert "ties" in err.message() and "500,000,000" in err.message()


def test_extends_names_a_shipped_scenario_as_run_does(tmp_path, capsys):
    from ecosim.cli import main

    retail = load_scenario(SCENARIOS / "retail.yaml")
    mine = write(tmp_path / "mine.yaml", "extends: retail\nname: mine\nplatform:\n  friction: 2.0\n")
    loaded = load_scenario(mine)
    assert loaded.name == "mine" and loaded.platform.friction == 2.0
    assert loaded.goals == retail.goals and loaded.organisation == retail.organisation
    bass = write(tmp_path / "b.yaml", "extends: validation/bass.yaml\nname: b\n")
    assert load_scenario(bass).engagement.rule == "bass"
    # a file of that name beside this one comes first
    write(tmp_path / "retail", "name: local\nweeks: 7\n")
    assert load_scenario(mine).weeks == 7
    # a misspelt name: one line, the shipped names and a suggestion
    bad = write(tmp_path / "bad.yaml", "extends: retial\nname: bad\n")
    assert main(["run", str(bad), "--seed", "1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{bad}:1:" in err and "did you mean 'retail'?" in err
    assert "a scenario shipped with ecosim: " in err and " retail, retail_facilitated," in err
