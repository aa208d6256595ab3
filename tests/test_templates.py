"""Organisations beyond retail: the contact centre, professional services and hospital templates tell
their stories over seeds 1-20, and speak their own words (no retail word in what a reader sees)."""

from __future__ import annotations

import functools
import html
import re

import numpy as np
import pytest
from conftest import SCENARIOS

from ecosim.api import simulate
from ecosim.cli import main
from ecosim.scenario import load_scenario
from ecosim.words import RETAIL, Words, plural, say, words

SEEDS = range(1, 21)
TEMPLATES = ("contact_centre", "professional_services", "hospital")


@functools.cache
def finals(name: str, **over) -> tuple[np.ndarray, tuple[str, ...]]:
    shares, verdicts = [], []
    overrides = {k.replace("__", "."): v for k, v in over.items()}
    for seed in SEEDS:
        r = simulate(load_scenario(SCENARIOS / f"{name}.yaml", overrides, seed=seed))
        shares.append(r.summary["final_active_share"])
        verdicts.append(r.summary["verdict"])
    return np.array(shares), tuple(verdicts)


def test_contact_centre_two_facilitators_are_worth_more_than_none():
    """Near the tipping point, two facilitators turn struggling runs into thriving ones."""
    with_two, v2 = finals("contact_centre")
    none, v0 = finals("contact_centre", facilitation__facilitators=0)
    assert v2.count("thriving") >= 8 and v0.count("thriving") <= 6
    assert v2.count("thriving") >= v0.count("thriving") + 4
    assert np.median(with_two) > np.median(none) + 0.05


def test_professional_services_alignment_decides():
    """Desks, laptops and low turnover: what decides is whether the platform serves people's own goals."""
    high, vh = finals("professional_services", goals__mean_alignment=0.65)
    low, vl = finals("professional_services", goals__mean_alignment=0.35)
    assert vh.count("thriving") >= 18
    assert "thriving" not in vl
    assert np.median(high) > np.median(low) + 0.2


def test_hospital_shift_work_holds_it_back_and_time_for_it_helps():
    """Shift work and phones: it never thrives as it stands; time for it on shift brings thriving runs."""
    shares, verdicts = finals("hospital")
    assert "thriving" not in verdicts and verdicts.count("ghost_town") >= 4
    eased, ve = finals("hospital", engagement__time_pressure=0.25)
    assert ve.count("thriving") >= 3
    assert np.median(eased) > np.median(shares) + 0.1


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_are_documented_with_their_sources(name):
    text = (SCENARIOS / f"{name}.yaml").read_text()
    assert re.search(r"^description:", text, re.M) and text.lstrip().startswith("#")
    docs = (SCENARIOS.parent / "docs" / "templates.md").read_text()
    assert f"`{name}.yaml`" in docs
    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    assert not words(sc).retail


RETAIL_WORDS = re.compile(r"\b(stores?|regions?|head office|head-office|shop floor|retail|area managers?)\b", re.I)


def visible_text(report: str) -> str:
    """The words a reader of report.html sees: no scripts, styles, images or the scenario file's keys."""
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", report, flags=re.S)
    t = re.sub(r"data:[a-z]+/[^\"']+", " ", t)
    t = html.unescape(re.sub(r"<[^>]+>", " ", t))
    return re.sub(r"\b[a-z_]+\.[a-z_.]+\b", " ", t)  # organisation.stores: a key of the scenario file


def figure_text(fig) -> str:
    from matplotlib.text import Text

    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_retail_word_in_what_a_non_retail_scenario_shows(name, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / f"{name}.yaml"), "--seed", "1", "--set", "weeks=4", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    seen = {"terminal": printed.out + printed.err, "report.html": visible_text((out / "report.html").read_text())}
    from ecosim.core.model import EcosystemModel
    from ecosim.plotting.page import NetworkPicture
    from ecosim.plotting.run import network, network_data

    model = EcosystemModel(load_scenario(SCENARIOS / f"{name}.yaml", {"weeks": 2}, seed=1))
    model.run()
    seen["network figure"] = figure_text(network(network_data(model, max_learners=300)))
    seen["page"] = NetworkPicture(model, max_learners=300).note
    from ecosim.viz.levers import levers

    seen["sliders"] = "\n".join(f"{lever.label}: {lever.description}" for lever in levers(model.params))
    w = words(model.params)
    assert w.units in seen["network figure"] and w.units in seen["page"]
    # a file's name is a reference, not the organisation's words: "formal training (inherited from retail.yaml)"
    seen = {k: re.sub(r"[\w./-]+\.yaml\b", "FILE", v) for k, v in seen.items()}
    assert "inherited from FILE" in seen["terminal"]
    found = {k: sorted(set(RETAIL_WORDS.findall(v))) for k, v in seen.items() if RETAIL_WORDS.search(v)}
    assert not found, found


def test_the_retail_words_leave_every_text_as_it_was():
    assert say("staff per store, 4 regions, head office", RETAIL) == "staff per store, 4 regions, head office"
    w = Words(unit="ward", units="wards", site="hospital", sites="hospitals", hub="corporate centre")
    assert say("Stores are grouped by region around head office", w) == (
        "Wards are grouped by hospital around corporate centre"
    )
    assert (
        say("time pressure on the shop floor (store staff only)", w)
        == "time pressure on the front line (ward staff only)"
    )
    assert [plural(x) for x in ("team", "branch", "facility", "office")] == [
        "teams",
        "branches",
        "facilities",
        "offices",
    ]
    assert words(load_scenario(SCENARIOS / "retail.yaml")) == RETAIL


def test_a_word_that_is_not_a_word_is_refused(tmp_path):
    from ecosim.errors import InputError

    path = tmp_path / "x.yaml"
    path.write_text("extends: retail\nname: x\norganisation:\n  unit_word: '<b>team</b>'\n")
    with pytest.raises(InputError, match="unit_word"):
        load_scenario(path)
