"""Interventions: levers changed during a run, at a week or when a condition has held."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY, write

from ecosim.api import simulate
from ecosim.core.agents import Facilitator
from ecosim.core.interventions import ConditionError, parse_condition
from ecosim.core.metrics import COLUMNS
from ecosim.scenario import ScenarioError, load_scenario

BASE = TINY.replace("weeks: 6", "weeks: 16")


def scenario_file(tmp_path, interventions: str):
    return write(tmp_path / "iv.yaml", BASE + "interventions:\n" + interventions)


def test_a_week_triggered_change_fires_exactly_at_its_week(tmp_path):
    path = scenario_file(
        tmp_path, "  - week: 6\n    set: {facilitation.facilitators: 5, facilitation.hours_per_week: 10}\n"
    )
    changed = simulate(path, keep_model=True)
    plain = simulate(write(tmp_path / "plain.yaml", BASE))
    ts, base = changed.timeseries, plain.timeseries
    assert ts["interventions"].tolist() == [1 if w == 6 else 0 for w in range(1, 17)]
    assert ts["facilitator_hours"].tolist() == [3 * 8.0] * 5 + [5 * 10.0] * 11
    # the same seed: identical weeks until the change
    before = ts["week"] < 6
    assert ts[before].drop(columns=["interventions"]).equals(base[before].drop(columns=["interventions"]))
    assert not ts[~before]["facilitator_hours"].equals(base[~before]["facilitator_hours"])
    applied = changed.model.interventions.applied
    assert [(a.week, a.index, a.trigger) for a in applied] == [(6, 0, "week 6")]
    assert changed.summary["interventions"] == [
        {
            "week": 6,
            "intervention": 0,
            "set": {"facilitation.facilitators": 5, "facilitation.hours_per_week": 10.0},
            "trigger": "week 6",
        }
    ]
    assert len(changed.model.facilitators) == 5
    assert len(changed.model.agents_by_type[Facilitator]) == 5
    assert changed.model.params.facilitation.hours_per_week == 10.0


def test_facilitators_leave_when_an_intervention_cuts_them(tmp_path):
    path = scenario_file(tmp_path, "  - week: 3\n    set: {facilitation.facilitators: 0}\n")
    result = simulate(path, keep_model=True)
    assert result.model.facilitators == []
    assert len(result.model.agents_by_type.get(Facilitator, [])) == 0
    assert result.timeseries["facilitator_hours"].tolist()[2:] == [0.0] * 14
    assert result.timeseries["events"].iloc[2:].sum() == 0


def first_streak_end(held: np.ndarray, n: int) -> int | None:
    """The week (1-based) at whose end ``held`` has been true ``n`` weeks in a row for the first time."""
    streak = 0
    for week, h in enumerate(held, start=1):
        streak = streak + 1 if h else 0
        if streak >= n:
            return week
    return None


@pytest.mark.parametrize("for_weeks", [1, 4, 5])
def test_a_condition_fires_only_after_it_has_held_for_weeks(tmp_path, for_weeks):
    plain = simulate(write(tmp_path / "plain.yaml", BASE)).timeseries
    # on this seed the condition holds in weeks 6, 8 and 10, not in 7 and 9, then from 11 on
    held = ((plain["active_share"] < 0.2) | (plain["week"] >= 11)).to_numpy()
    expected = first_streak_end(held, for_weeks)
    assert expected is not None and expected < 16, "the baseline must let the condition hold in time"
    if for_weeks == 5:
        assert held.sum() >= 5 and expected > np.argmax(held) + 5, "a broken run of weeks must not count"
    path = scenario_file(
        tmp_path,
        f"  - when: active_share < 0.2 or week >= 11\n    for_weeks: {for_weeks}\n    once: true\n"
        "    set: {facilitation.event_every_weeks: 1}\n",
    )
    ts = simulate(path).timeseries
    assert ts["interventions"].tolist() == [1 if w == expected + 1 else 0 for w in range(1, 17)]


def test_without_once_a_condition_fires_again_after_another_run_of_weeks(tmp_path):
    path = scenario_file(tmp_path, "  - when: week >= 2\n    for_weeks: 3\n    set: {platform.friction: 0.5}\n")
    ts = simulate(path).timeseries
    # holds at the end of weeks 2, 3, 4 -> fires at the start of 5; again after 5, 6, 7 -> 8; ...
    assert ts.loc[ts["interventions"] == 1, "week"].tolist() == [5, 8, 11, 14]


def test_an_intervention_week_can_be_swept_like_a_parameter(tmp_path):
    path = scenario_file(tmp_path, "  - week: 6\n    set: {facilitation.facilitators: 5}\n")
    scenario = load_scenario(path, {"interventions.0.week": 9})
    assert scenario.interventions[0].week == 9
    ts = simulate(scenario).timeseries
    assert ts.loc[ts["interventions"] == 1, "week"].tolist() == [9]
    scenario = load_scenario(path, ["interventions.0.week=11"])
    assert scenario.interventions[0].week == 11
    with pytest.raises(ScenarioError, match="no entry 3 in the list of 1"):
        load_scenario(path, ["interventions.3.week=11"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{when: actve_share < 0.15, set: {facilitation.facilitators: 6}}", "unknown metric 'actve_share'"),
        ("{when: active_share =< 0.15, set: {facilitation.facilitators: 6}}", "unexpected '=<'"),
        ("{when: active_share < high, set: {facilitation.facilitators: 6}}", "expected a number"),
        ("{when: 'active_share < 0.1 and', set: {facilitation.facilitators: 6}}", "incomplete comparison"),
        ("{when: 'active_share < 0.1 xor week > 2', set: {facilitation.facilitators: 6}}", "expected 'and' or 'or'"),
        ("{when: '__import__(\"os\")', set: {facilitation.facilitators: 6}}", "unexpected"),
        ("{when: 5, set: {facilitation.facilitators: 6}}", "valid string"),
        ("{week: 3, set: {goals.mean_alignment: 0.9}}", "goals.mean_alignment cannot change during a run"),
        ("{week: 3, set: {facilitation.facilitatrs: 6}}", "did you mean 'facilitation.facilitators'"),
        ("{week: 3, set: {facilitation.facilitators: 6.5}}", "valid integer"),
        ("{week: 3, set: {facilitation.facilitators: -1}}", "greater than or equal to 0"),
        ("{week: 3, set: {}}", "at least one lever"),
        ("{week: 3, when: week > 2, set: {facilitation.facilitators: 6}}", "exactly one of 'week'"),
        ("{set: {facilitation.facilitators: 6}}", "exactly one of 'week'"),
        ("{week: 0, set: {facilitation.facilitators: 6}}", "greater than or equal to 1"),
        ("{week: 3, wek: 4, set: {facilitation.facilitators: 6}}", "did you mean 'week'"),
    ],
)
def test_a_bad_intervention_is_refused_when_the_scenario_is_read(tmp_path, entry, message):
    path = scenario_file(tmp_path, f"  - {entry}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = info.value.message()
    assert message in text
    assert text.startswith(f"{path}:"), "the error names the file and line"
    assert "\n" not in text


def test_the_condition_grammar_binds_and_tighter_than_or():
    cond = parse_condition("week < 3 or active_share > 0.5 and week > 10", list(COLUMNS))
    assert cond.holds({"week": 1, "active_share": 0.0})
    assert not cond.holds({"week": 5, "active_share": 0.9})
    assert cond.holds({"week": 11, "active_share": 0.9})
    assert parse_condition("active_share <= 15%", list(COLUMNS)).holds({"active_share": 0.15})
    with pytest.raises(ConditionError):
        parse_condition("", list(COLUMNS))


def test_the_shipped_rescue_fires_after_four_stalled_weeks_and_the_push_at_launch():
    from conftest import SCENARIOS

    for seed in (1, 2, 3):
        ts = simulate(SCENARIOS / "retail_rescue.yaml", seed=seed).timeseries
        fired = ts.loc[ts["interventions"] == 1, "week"].tolist()
        stalled = (ts["active_share"] < 0.15).to_numpy()
        assert len(fired) <= 1
        if fired:
            week = fired[0]
            assert stalled[week - 5 : week - 1].all(), "the four weeks before held the condition"
            assert first_streak_end(stalled, 4) == week - 1, "and it fired at the first chance"
            assert ts["facilitator_hours"].iloc[week - 1] == 6 * 16.0
        else:
            assert first_streak_end(stalled, 4) is None
    ts = simulate(SCENARIOS / "retail_launch_push.yaml", seed=1).timeseries
    assert ts.loc[ts["interventions"] == 1, "week"].tolist() == [1]
    assert (ts["facilitator_hours"] == 6 * 16.0).all()


def test_the_browser_page_marks_the_weeks_of_interventions(tmp_path):
    from ecosim.experiment.model import EcosystemModel
    from ecosim.plotting.page import engagement_curves

    path = scenario_file(tmp_path, "  - week: 3\n    set: {facilitation.facilitators: 5}\n")
    model = EcosystemModel(load_scenario(path))
    picture = engagement_curves(model)
    labels = [t.get_text() for t in picture.layers.ax.get_legend().get_texts()]
    assert "intervention" in labels
    for _ in range(2):
        model.step()
    picture.png(model.timeseries_columns())
    assert len(picture.marks.get_segments()) == 0, "nothing applied yet"
    for _ in range(3):
        model.step()
    picture.png(model.timeseries_columns())
    (segment,) = picture.marks.get_segments()
    assert segment[0][0] == segment[1][0] == 3
    plain = engagement_curves(EcosystemModel(load_scenario(write(tmp_path / "plain.yaml", BASE))))
    assert "intervention" not in [t.get_text() for t in plain.layers.ax.get_legend().get_texts()]


def test_a_single_runs_engagement_figure_marks_the_intervention(tmp_path):
    from ecosim.plotting.run import engagement

    path = scenario_file(tmp_path, "  - week: 6\n    set: {facilitation.facilitators: 5}\n")
    ts = simulate(path).timeseries
    fig = engagement(ts, "iv", 0.1, 0.4)
    marks = [line for line in fig.axes[0].get_lines() if list(line.get_xdata()) == [6, 6]]
    assert len(marks) == 1 and marks[0].get_label() == "intervention"


def test_a_sweep_varies_an_interventions_week_and_refuses_a_bad_one(tmp_path):
    from ecosim.errors import InputError
    from ecosim.sweep.spec import load_sweep

    base = scenario_file(tmp_path, "  - week: 6\n    set: {facilitation.facilitators: 5}\n")
    sweep_text = f"base: {base}\nname: iv\nparameters:\n  interventions.0.week: {{values: [3, 9]}}\n"
    sweep = load_sweep(write(tmp_path / "sweep.yaml", sweep_text))
    weeks = []
    for week in (3, 9):
        ts = simulate(sweep.scenario_for({"interventions.0.week": week})).timeseries
        weeks.append(ts.loc[ts["interventions"] == 1, "week"].tolist())
    assert weeks == [[3], [9]]
    bad = write(tmp_path / "bad.yaml", sweep_text.replace("[3, 9]", "[0, 9]"))
    with pytest.raises(InputError, match="interventions.0.week"):
        load_sweep(bad)
