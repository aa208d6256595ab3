"""Learner agents: made when first looked at, kept current through turnover, Mesa semantics intact."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim.core.agents import Facilitator, Learner
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import load_scenario

TURNOVER = {"turnover.annual_rate": 5.2, "weeks": 12}  # 10% a week: many replacements


def model(tiny, **overrides) -> EcosystemModel:
    return EcosystemModel(load_scenario(tiny, {**TURNOVER, **overrides}, seed=3))


def people(m: EcosystemModel) -> list[tuple[int, int]]:
    return sorted((a.row, a.person) for a in m.agents_by_type[Learner])


def check_agents_match_rows(m: EcosystemModel) -> None:
    n = m.state.n
    learners = m.agents_by_type[Learner]
    assert len(learners) == n
    assert people(m) == [(r, int(p)) for r, p in enumerate(m.state.person)]
    assert all(a.employed for a in learners)
    assert [m.learner(r).row for r in range(n)] == list(range(n))
    ids = [a.unique_id for a in m.agents]
    assert len(ids) == len(set(ids)) == n + len(m.facilitators)
    assert set(m.agents) == set(learners) | set(m.agents_by_type[Facilitator])


def test_agents_made_late_match_agents_made_early(tiny):
    early, late = model(tiny), model(tiny)
    first = early.learners[0]  # made at the start, kept current through every replacement
    facilitators = len(early.facilitators)
    assert first.unique_id == facilitators + 1 and early.learner(5).unique_id == facilitators + 6
    early.run()
    late.run()
    assert int(early.timeseries()["leavers"].sum()) > 0
    check_agents_match_rows(early)
    check_agents_match_rows(late)
    assert people(early) == people(late)
    np.testing.assert_array_equal(early.state.beliefs, late.state.beliefs)  # looking changes nothing
    if not first.employed:
        with pytest.raises(LookupError):
            first.engagement  # noqa: B018


def test_mesa_assigns_ids_facilitators_first_then_learners_by_row_then_newcomers(tiny):
    m = model(tiny)
    n, f = m.state.n, len(m.facilitators)
    assert sorted(a.unique_id for a in m.agents_by_type[Facilitator]) == list(range(1, f + 1))
    assert [a.unique_id for a in m.learners] == list(range(f + 1, f + n + 1))  # looked at now: row order
    m.run()
    by_row = {a.row: a.unique_id for a in m.agents_by_type[Learner] if a.person < n}
    assert by_row and all(uid == f + 1 + row for row, uid in by_row.items())
    newcomers = sorted(a.unique_id for a in m.agents_by_type[Learner] if a.person >= n)
    leavers = int(m.timeseries()["leavers"].sum())
    assert newcomers and min(newcomers) > f + n
    assert m.agent_id_counter == f + n + leavers + 1  # every agent ever made got the next id, none reused


def test_agents_made_mid_run_are_kept_current(tiny):
    m = model(tiny)
    for _ in range(4):
        m.step()
    assert len(m.agents_by_type[Learner]) == m.state.n
    m.run()
    check_agents_match_rows(m)


def test_listeners_of_agent_signals_hear_every_learner(tiny):
    """With a listener on Mesa's agent signals, learners are registered one by one, as Mesa does."""
    from mesa.experimental.mesa_signals import ModelSignals

    class Listener:  # Mesa keeps weak references to bound methods
        def __init__(self) -> None:
            self.heard = []

        def hear(self, signal) -> None:
            self.heard.append(signal)

    m = model(tiny)
    on_add, on_remove = Listener(), Listener()
    added, removed = on_add.heard, on_remove.heard
    m.observe("agents", ModelSignals.AGENT_ADDED, on_add.hear)
    m.observe("agents", ModelSignals.AGENT_REMOVED, on_remove.hear)
    n = m.state.n
    assert len(m.agents_by_type[Learner]) == n
    assert len(added) == n
    m.run()
    leavers = int(m.timeseries()["leavers"].sum())
    assert len(added) == n + leavers and len(removed) == leavers
    check_agents_match_rows(m)


def test_remove_all_agents_removes_learners_not_yet_looked_at(tiny):
    m = model(tiny)
    m.remove_all_agents()
    assert len(m.agents) == 0 and len(m.agents_by_type.get(Learner, [])) == 0
