"""The page's inputs, whatever they are sent: taken, or refused with one line saying why.

Hypothesis sends the sliders, the seed and Reset any JSON value (what any program can send over
the page's websocket); ``tests/test_viz_websocket.py`` does the same through a real server.
"""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario
from ecosim.viz.levers import MAX_SEED, levers, parse_lever, parse_seed

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.text(max_size=40)
    | st.sampled_from(["0.3", "1e9", "-0", "", " ", str(MAX_SEED), str(MAX_SEED + 1), "\u0663", "1_000", "nan"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    from conftest import TINY

    path = tmp_path_factory.mktemp("inputs") / "tiny.yaml"
    path.write_text(TINY)
    return path


def one_line(exc: InputError) -> str:
    message = exc.message()
    assert "\n" not in message and len(message) < 400, message
    return message


@settings(max_examples=400, deadline=None)
@given(value=json_values | st.floats(-5, 200) | st.integers(-5, 200))
def test_a_slider_takes_a_number_in_its_range_or_refuses_in_one_line(tiny_path, value):
    for lever in levers(load_scenario(tiny_path)):
        try:
            taken = parse_lever(lever, value)
        except InputError as exc:
            assert lever.label in one_line(exc)
        else:
            assert type(taken) is (int if lever.integer else float)
            assert lever.lo <= taken <= lever.hi and math.isfinite(taken)
            assert taken == value and not isinstance(value, bool)


@settings(max_examples=400, deadline=None)
@given(value=json_values | st.integers(-5, 2**64).map(str))
def test_the_seed_is_a_whole_number_from_0_to_2_63_or_refused_in_one_line(value):
    try:
        seed = parse_seed(value)
    except InputError as exc:
        assert "seed" in one_line(exc)
    else:
        assert seed is None or (type(seed) is int and 0 <= seed <= MAX_SEED)


@pytest.mark.parametrize("seed", [str(MAX_SEED + 1), 2**64, "1" + "0" * 5000, "\u0663", [1], -1])
def test_parse_seed_refuses_what_the_command_line_refuses(seed):
    with pytest.raises(InputError, match="seed"):
        parse_seed(seed)
    assert parse_seed(str(MAX_SEED)) == MAX_SEED


@settings(max_examples=40, deadline=None)
@given(
    seed=json_values,
    overrides=st.dictionaries(
        st.sampled_from(["goals.mean_alignment", "facilitation.facilitators", "platform.launch_week", "turnover"]),
        json_values | st.floats(-2, 50),
        max_size=3,
    ),
)
def test_reset_with_any_inputs_builds_a_model_and_says_what_it_refused(tiny_path, seed, overrides):
    """What Reset passes to the page's model: a model is always built; each refused input is one line."""
    from ecosim.viz.app import PageModel

    model = PageModel(str(tiny_path), seed=seed, **overrides)
    if model.input_problem:
        for problem in model.input_problem.split("; "):
            assert "\n" not in problem
    model.step()
    assert model.week == 1


def test_a_seed_too_large_keeps_the_other_changes(tiny_path):
    from ecosim.viz.app import PageModel

    model = PageModel(str(tiny_path), seed=str(MAX_SEED + 1), **{"goals.mean_alignment": 0.3})
    assert "seed" in model.input_problem and str(MAX_SEED + 1) in model.input_problem
    assert model.params.goals.mean_alignment == 0.3 and model.seed == load_scenario(tiny_path).seed


# ---- the bound on tabs, the grace ----------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [(None, 20), ("", 20), ("1", 1), (" 5 ", 5), ("10000", 10_000)])
def test_max_tabs(monkeypatch, text, expected):
    from ecosim.viz.app import MAX_TABS_ENV, max_tabs

    if text is None:
        monkeypatch.delenv(MAX_TABS_ENV, raising=False)
    else:
        monkeypatch.setenv(MAX_TABS_ENV, text)
    assert max_tabs() == expected


@pytest.mark.parametrize("text", ["0", "-1", "10001", "2.5", "many", "\u0663", "9" * 5000])
def test_max_tabs_refuses_in_one_line(monkeypatch, text):
    from ecosim.viz.app import MAX_TABS_ENV, max_tabs

    monkeypatch.setenv(MAX_TABS_ENV, text)
    with pytest.raises(InputError, match=MAX_TABS_ENV) as refused:
        max_tabs()
    one_line(refused.value)


@pytest.mark.parametrize("text, expected", [(None, 60.0), ("0", 0.0), ("2.5", 2.5), ("86400", 86_400.0)])
def test_grace(monkeypatch, text, expected):
    from ecosim.viz.app import GRACE_ENV, grace_seconds

    if text is None:
        monkeypatch.delenv(GRACE_ENV, raising=False)
    else:
        monkeypatch.setenv(GRACE_ENV, text)
    assert grace_seconds() == expected


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "86401", "1m", "soon"])
def test_grace_refuses_in_one_line(monkeypatch, text):
    from ecosim.viz.app import GRACE_ENV, grace_seconds

    monkeypatch.setenv(GRACE_ENV, text)
    with pytest.raises(InputError, match=GRACE_ENV) as refused:
        grace_seconds()
    one_line(refused.value)


def test_the_viz_command_refuses_bad_limits_before_it_starts(monkeypatch, tiny_path, capsys):
    from ecosim.cli import main

    monkeypatch.setenv("ECOSIM_VIZ_MAX_TABS", "lots")
    assert main(["viz", str(tiny_path), "--port", "8765"]) == 2
    err = capsys.readouterr().err.strip()
    assert "ECOSIM_VIZ_MAX_TABS" in err and "\n" not in err and "Traceback" not in err


def test_tabs_hold_at_most_the_limit_and_give_places_back():
    from ecosim.viz.app import Tabs

    tabs = Tabs()
    taken = [tabs.take(3) for _ in range(5)]
    assert taken[3:] == [None, None] and len(tabs) == 3 and len(set(taken[:3])) == 3
    tabs.give_back(taken[0])
    tabs.give_back(taken[0])  # twice: nothing more
    tabs.give_back(None)
    assert len(tabs) == 2 and tabs.take(3) is not None and tabs.take(3) is None

    many = Tabs()
    got: list[int | None] = []
    threads = [threading.Thread(target=lambda: got.append(many.take(10))) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(many) == 10 and sum(g is not None for g in got) == 10
