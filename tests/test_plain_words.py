"""Plain units for people: no log-odds or cosine in the terminal, reports, figures' labels or sliders
(the exact units stay in docs/scenarios.md and the definitions in docs/model.md)."""

from __future__ import annotations

import re

from conftest import SCENARIOS
from test_templates import visible_text

from ecosim.cli import main
from ecosim.scenario import load_scenario
from ecosim.scenario.schema import PLAIN_UNITS, iter_params

JARGON = re.compile(r"log-odds|cosine|logit", re.I)


def test_every_parameters_label_and_unit_is_in_plain_words():
    for info in iter_params():
        assert not JARGON.search(info.label_with_unit), info.path
    assert {"log-odds", "cosine"} <= set(PLAIN_UNITS)
    reference = (SCENARIOS.parent / "docs" / "scenarios.md").read_text()
    assert "log-odds" in reference and "cosine" in reference  # the exact units stay in the reference


def test_the_terminal_the_report_and_the_sliders_speak_plainly(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "retail.yaml"), "--seed", "1", "--set", "weeks=3", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert not JARGON.search(printed.out + printed.err)
    report = visible_text((out / "report.html").read_text())
    assert "goal alignment" in report and not JARGON.search(report), JARGON.findall(report)
    from ecosim.viz.levers import levers

    for lever in levers(load_scenario(SCENARIOS / "retail.yaml")):
        assert not JARGON.search(f"{lever.label} {lever.unit} {lever.description}"), lever.path
