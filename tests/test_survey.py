"""calibrate --survey: a Likert pulse survey becomes the priors over goals.mean_alignment and goals.alignment_sd."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SCENARIOS, write

from ecosim.calibrate.survey import MAPPING_ALLOWANCE, cronbach_alpha, read_survey
from ecosim.cli import main
from ecosim.errors import InputError

CC = SCENARIOS / "observed" / "contact_centre"
SURVEY = CC / "survey.csv"
HEADER = "respondent,submitted,Helps with my goals (1-5),Useful for me (1-5)\n"


def test_the_fixtures_survey_gives_priors_that_hold_the_alignment_it_was_answered_from():
    s = read_survey(SURVEY)
    assert s.respondents > 350 and s.items == 3 and s.scale == 5
    lo, hi = s.mean_bounds
    assert lo < 0.55 < hi  # the scenario behind the fixtures: goals.mean_alignment 0.55
    assert hi - lo < 2 * MAPPING_ALLOWANCE + 0.05
    lo, hi = s.sd_bounds
    assert lo < 0.15 < hi  # goals.alignment_sd 0.15 (managers' bonus and the items' noise around it)
    assert 0.6 < s.alpha < 0.95
    assert "404 respondents" in s.sentence() and "CC1" not in s.sentence()


def test_cronbach_alpha_is_the_textbook_one():
    rng = np.random.default_rng(1)
    true = rng.normal(0, 1, 2000)
    items = np.column_stack([true + rng.normal(0, 1, true.size) for _ in range(4)])
    # four parallel items of reliability 0.5 each: alpha = 4 * 0.5 / (1 + 3 * 0.5) = 0.8
    assert abs(cronbach_alpha(items) - 0.8) < 0.03
    assert cronbach_alpha(np.column_stack([true, true])) == pytest.approx(1.0)


def test_a_seven_point_scale_is_read_from_the_headers(tmp_path):
    rows = "".join(f"r{i},x,{1 + i % 7},{1 + (i + 1) % 7}\n" for i in range(30))
    s = read_survey(write(tmp_path / "s.csv", HEADER.replace("(1-5)", "(1-7)") + rows))
    assert s.scale == 7 and 0 <= s.mean_bounds[0] < s.mean_bounds[1] <= 1


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            HEADER + "".join(f"r{i},x,3,4\n" for i in range(20)) + "r99,x,6,4\n",
            ["s.csv:22", "Helps with my goals (1-5)", "(got '6')", "1 to 5"],
        ),
        (
            HEADER + "".join(f"r{i},x,3,4\n" for i in range(20)) + "r99,x,3,often\n",
            ["s.csv:22", "Useful for me (1-5)", "'often'"],
        ),
        (HEADER + "".join(f"r{i},x,3,4\n" for i in range(5)), ["s.csv", "only 5 respondent(s)", "at least 10"]),
        ("respondent,submitted,comment\nr1,x,good\n", ["s.csv:1", "no column holds answers", "allowed:"]),
        (HEADER.replace("Useful for me (1-5)", "Useful for me (1-7)") + "r1,x,3,4\n", ["s.csv:1", "different scales"]),
        (HEADER + "r1,x,3,4\nr2,x,3", ["s.csv:3", "cells", "allowed:"]),
    ],
)
def test_a_malformed_survey_is_refused_on_one_line(tmp_path, text, fragments):
    with pytest.raises(InputError) as err:
        read_survey(write(tmp_path / "s.csv", text))
    message = err.value.message()
    assert "\n" not in message
    for f in fragments:
        assert f in message, (f, message)
    assert "r99" not in message  # respondents are never named


def test_a_survey_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(
        (HEADER + "".join(f"r{i},x,3,4\n" for i in range(12))).encode() + "r\u00e9,x,3,4\n".encode("latin-1")
    )
    with pytest.raises(InputError, match=r"s.csv:14: respondent: not UTF-8"):
        read_survey(path)


def test_calibrate_takes_its_alignment_priors_from_the_survey(tmp_path, capsys):
    imported = tmp_path / "imported"
    code = main(
        [
            "import",
            "engage-export",
            str(CC / "viva_engage_export.zip"),
            "--hr",
            str(CC / "hr.csv"),
            "--launch",
            "2025-01-06",
            "--out",
            str(imported),
            "--quiet",
        ]
    )
    assert code == 0
    cal = tmp_path / "cal"
    args = [
        "calibrate",
        str(CC / "contact_centre_synthetic.yaml"),
        "--observed",
        str(imported),
        "--survey",
        str(SURVEY),
    ]
    args += ["--population", "60", "--particles", "10", "--generations", "1", "--draws", "10", "--out", str(cal)]
    assert main(args) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "survey survey.csv: 404 respondents" in err
    settings = json.loads((cal / "calibration_settings.json").read_text())
    s = read_survey(SURVEY)
    assert settings["priors"]["goals.mean_alignment"]["low"] == s.mean_bounds[0]
    assert settings["priors"]["goals.alignment_sd"]["high"] == s.sd_bounds[1]
    report = (cal / "calibration.md").read_text()
    assert "Cronbach's alpha" in report and "CC1" not in report
    # a prior given on the command line is kept
    args2 = [a if a != str(cal) else str(tmp_path / "cal2") for a in args] + ["--fit", "goals.mean_alignment=0.2:0.9"]
    assert main(args2) == 0
    assert "the prior given with --fit" in capsys.readouterr().err
    settings = json.loads((tmp_path / "cal2" / "calibration_settings.json").read_text())
    assert settings["priors"]["goals.mean_alignment"]["low"] == 0.2


def test_a_bad_survey_stops_calibrate_before_anything_is_written(tmp_path, capsys):
    bad = write(tmp_path / "s.csv", HEADER + "r1,x,9,9\n")
    out = tmp_path / "cal"
    code = main(
        [
            "calibrate",
            str(CC / "contact_centre_synthetic.yaml"),
            "--observed",
            str(tmp_path),
            "--survey",
            str(bad),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "s.csv:2" in err
    assert not out.exists()
