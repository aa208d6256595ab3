"""The docs stay true: the scenario reference matches the schema, CI runs the README's test command."""

from __future__ import annotations

import re

from conftest import ROOT

from ecosim.scenario.reference import markdown


def test_scenario_reference_is_in_step_with_the_schema():
    current = (ROOT / "docs" / "scenarios.md").read_text()
    assert current == markdown(), "regenerate it: python -m ecosim schema --markdown > docs/scenarios.md"


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_quickstart_has_two_commands_and_ci_runs_the_test_one():
    commands = quickstart_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    run, test = commands
    assert "python -m ecosim run scenarios/retail.yaml" in run
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci


def test_ci_runs_the_tests_inside_the_quickstarts_virtualenv():
    """CI follows the Quickstart: the first command (make .venv, activate it, install) before the test command."""
    run, test = quickstart_commands()
    assert run.startswith("python -m venv .venv && . .venv/bin/activate && ")
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert run in lines and test in lines, "keep .ci/run's two commands in step with the README's Quickstart"
    assert lines.index(run) < lines.index(test)
    before = lines[: lines.index(run)]
    assert not any(word in line for line in before for word in ("pip install", "pytest", "-m ecosim")), (
        "nothing may be installed or run before the Quickstart's virtualenv exists"
    )


def test_python_version_file_pins_312():
    assert (ROOT / ".python-version").read_text().strip() == "3.12"


def test_ci_lints_and_checks_formatting_before_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    lint, fmt, test = (ci.find(c) for c in ("ruff check .", "ruff format --check .", quickstart_commands()[1]))
    assert -1 < lint < test and -1 < fmt < test


def test_the_version_is_written_once():
    import tomllib

    import ecosim

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ecosim.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", ecosim.__version__)
