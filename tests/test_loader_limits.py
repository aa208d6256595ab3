"""Scenario values read as YAML 1.2, --set under the same limits as files, sizes bounded before building."""

from __future__ import annotations

import pytest
from conftest import SCENARIOS

from ecosim.cli import main
from ecosim.scenario import ScenarioError
from ecosim.scenario.limits import estimate, parse_bytes
from ecosim.scenario.loader import load_scenario


def scenario(tmp_path, text):
    path = tmp_path / "s.yaml"
    weeks = "" if text.startswith("weeks:") else "weeks: 3\n"
    path.write_text("name: s\n" + weeks + "organisation: {stores: 2, head_office: 2}\n" + text)
    return path


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ("description: 1:30\n", "description", "1:30"),  # YAML 1.1: the sexagesimal 90
        ("description: no\n", "description", "no"),  # YAML 1.1: false
        ("description: yes\n", "description", "yes"),
        ("weeks: 010\n", "weeks", 10),  # YAML 1.1: the octal 8
        ("weeks: 0o10\n", "weeks", 8),
        ("goals: {mean_alignment: 1e-1}\n", "goals.mean_alignment", 0.1),
    ],
)
def test_scenario_values_are_read_as_yaml_1_2(tmp_path, text, key, expected):
    sc = load_scenario(
        scenario(tmp_path, text.replace("weeks: 3\n", "")) if "weeks" in text else scenario(tmp_path, text)
    )
    value = sc
    for part in key.split("."):
        value = getattr(value, part)
    assert value == expected and type(value) is type(expected)


def test_name_no_is_a_name(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: no\nweeks: 3\norganisation: {stores: 2}\n")
    assert load_scenario(path).name == "no"


def test_an_alias_bomb_in_set_is_refused(tiny, capsys):
    levels = ["&a [x,x,x,x,x,x,x,x,x]"] + [f"&{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(7)]
    bomb = "[" + ", ".join(levels) + "]"
    assert main(["run", str(tiny), "--set", f"description={bomb}"]) == 2
    err = capsys.readouterr().err
    assert "--set" in err and "alias bomb" in err and err.count("\n") == 1


def test_a_huge_set_value_is_refused(tiny, capsys):
    assert main(["run", str(tiny), "--set", "description=" + "x" * 2_000_000]) == 2
    assert "too long" in capsys.readouterr().err


def test_an_organisation_too_large_for_memory_is_refused_when_read(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    args = ["run", str(SCENARIOS / "retail.yaml"), "--set", "organisation.stores=2000"]
    assert main([*args, "--set", "organisation.staff_per_store=5000"]) == 2
    err = capsys.readouterr().err
    assert "--set" in err and "organisation.st" in err and "10,000,034 learners" in err and "500,000,000" in err
    monkeypatch.setenv("ECOSIM_MAX_MEMORY", "100MB")  # less than the interpreter alone
    assert main([*args, "--quiet", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert (
        "the limit set by ECOSIM_MAX_MEMORY (0.1 GB)" in err
        and "about 30,034 learners" in err
        and "GB of memory" in err
    )
    assert not (tmp_path / "results").exists()
    monkeypatch.setenv("ECOSIM_MAX_MEMORY", "a lot")
    assert main(args) == 2
    assert "ECOSIM_MAX_MEMORY: not an amount of memory" in capsys.readouterr().err


def test_the_estimate_matches_the_built_network(tmp_path):
    """Learners and ties within a few percent of what the generator builds."""
    from ecosim.experiment.model import EcosystemModel

    sc = load_scenario(SCENARIOS / "retail.yaml", ["organisation.stores=200"])
    size = estimate(sc)
    model = EcosystemModel(sc)
    assert abs(size.learners - model.ties.n) / model.ties.n < 0.05
    assert abs(size.ties - model.ties.n_base_ties) / model.ties.n_base_ties < 0.1


def test_memory_amounts():
    assert parse_bytes("16GB") == 16 * 10**9 and parse_bytes("2GiB") == 2 * 2**30 and parse_bytes("1000") == 1000
    with pytest.raises(ScenarioError.__mro__[1]):
        parse_bytes("-5GB")


@pytest.mark.parametrize(
    "counts, problem",
    [("[0, 1, -2, 1]", "counts[2] is -2"), ("[0, 1, 1]", "needs one threshold per learner")],
)
def test_threshold_counts_name_the_file_and_line(tmp_path, counts, problem):
    path = tmp_path / "g.yaml"
    path.write_text(
        "name: g\nweeks: 3\nnetwork: {kind: complete, learners: 4}\n"
        f"engagement:\n  rule: threshold\n  threshold:\n    counts: {counts}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert problem in info.value.message() and info.value.file == str(path) and info.value.line == 7


@pytest.mark.parametrize("override", ["network.path=a\x00b", "description=a\x07b", "network.path=", "description=[*a]"])
def test_hostile_set_values_are_one_line(tiny, capsys, override):
    assert main(["run", str(tiny), "--set", override]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set") and err.count("\n") == 1


@pytest.mark.parametrize("path", ["", "\x00", "a\x00b"])
def test_scenario_paths_that_cannot_name_a_file_are_one_line(path, capsys):
    assert main(["run", path]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_threshold_counts_are_checked_against_an_edge_list_and_a_fixed_retail_organisation(tmp_path):
    from ecosim.experiment.model import EcosystemModel

    (tmp_path / "e.csv").write_text("source,target\na,b\nb,c\n")
    path = tmp_path / "g.yaml"
    head = "name: g\nweeks: 2\nengagement:\n  rule: threshold\n  threshold:\n"
    path.write_text(head + "    counts: [1, 1]\nnetwork: {kind: edgelist, path: e.csv}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "e.csv has 3" in info.value.message() and info.value.line == 6
    path.write_text(head + "    counts: [1, 1]\norganisation: {stores: 2, staff_per_store: 3}\n")
    with pytest.raises(ScenarioError, match="store sizes are drawn at random"):
        load_scenario(path)
    org = "organisation: {stores: 2, staff_per_store: 3, store_size_spread: 0, regions: 1, head_office: 2}\n"
    path.write_text(head + "    counts: [" + ", ".join(["1"] * 9) + "]\n" + org)
    assert EcosystemModel(load_scenario(path)).ties.n == 9
