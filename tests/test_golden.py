"""The golden tier: every shipped scenario's short-run summary equals its pin in tests/golden.json.

A failure here means the random stream or a mechanism changed. If that was meant, re-pin in the
same commit with the reason: ``python tests/golden.py --update --reason "..."``.
"""

from __future__ import annotations

import copy

import golden
import pytest


@pytest.fixture(scope="module")
def pins() -> dict:
    return golden.read_pins()


def test_every_shipped_scenario_is_pinned_and_every_pin_is_a_scenario(pins):
    names = {golden.key_of(p) for p in golden.scenario_files()}
    assert {"retail", "retail_low_alignment", "validation/bass"} <= names
    assert set(pins["scenarios"]) == names, "re-pin: python tests/golden.py --update --reason '...'"
    assert pins["reason"].strip() and pins["seed"] == golden.SEED and pins["max_weeks"] == golden.WEEKS


@pytest.mark.parametrize("path", golden.scenario_files(), ids=golden.key_of)
def test_the_short_run_matches_its_pin(path, pins):
    name = golden.key_of(path)
    moved = golden.differences({name: pins["scenarios"][name]}, {name: golden.measure(path)})
    assert not moved, "\n".join(moved) + "\nif meant, re-pin: python tests/golden.py --update --reason '...'"


def test_a_change_of_one_learner_in_ten_thousand_is_caught(pins):
    name, figures = next(iter(pins["scenarios"].items()))
    moved = copy.deepcopy(figures)
    moved["final_active_share"] = figures["final_active_share"] * (1 + 1e-4) + 1e-4
    moved["total_posts"] = figures["total_posts"] + 1
    found = golden.differences({name: figures}, {name: moved})
    assert len(found) == 2 and all(name in line for line in found)
    assert golden.differences({name: figures}, {name: copy.deepcopy(figures)}) == []
    rounding = {**figures, "final_active_share": figures["final_active_share"] * (1 + 1e-14)}
    assert golden.differences({name: figures}, {name: rounding}) == []
