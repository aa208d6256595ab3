"""Every pattern and mechanism row of ``validate`` can fail: break what it measures and watch it fail.

Each test breaks one mechanism of the engine (monkeypatching the module, as the classic cases'
mutation tests do), runs only the arms its row reads, with the quick profile's seeds, and scores the
row at a family at least as large as the quick suite's.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosim.core.mechanisms import engagement, facilitation, forgetting, turnover
from ecosim.validation import QUICK
from ecosim.validation import patterns as pat

#: The quick suite's family is about a hundred checks; rows are scored at this bound here.
FAMILY = 200

pytestmark = pytest.mark.slow


def rows(patterns=(), effects=()):
    """The selected rows, run at the quick profile's seeds and finalised at the family bound."""
    seeds = range(pat.SEED0, pat.SEED0 + QUICK.pattern_runs)
    obs = pat.run_arms(pat.needed_arms(list(patterns), list(effects)), seeds)
    decay = [pat.decay_half_life(pat.SEED0 + 500 + i) for i in range(QUICK.decay_runs)] if "decay" in patterns else []
    checks = pat.pattern_checks(obs, decay, only=list(patterns)) + pat.effect_checks(obs, only=list(effects))
    assert len(checks) == len(patterns) + len(effects)
    for c in checks:
        c.finalise(FAMILY)
    return checks


def _wrap_ecosystem(monkeypatch, before, after=None):
    """Run ``before(state)`` ahead of each week's engagement and ``after(state, saved)`` behind it."""
    original = engagement.ecosystem

    def broken(e, week):
        saved = before(e.state)
        try:
            original(e, week)
        finally:
            if after is not None:
                after(e.state, saved)

    monkeypatch.setattr(engagement, "ecosystem", broken)


def _shift_posting(monkeypatch, shift):
    """Add ``shift(state)`` to the posting propensity during engagement (a broken posting rule)."""

    def before(s):
        delta = shift(s)
        s.post_propensity += delta
        return delta

    _wrap_ecosystem(monkeypatch, before, lambda s, delta: s.post_propensity.__isub__(delta))


EVER, TOP1, TOP10, RARE, NO_REPLY, REPLIED, TURNOVER = (p.name for p in pat.PATTERNS)
BROKER, PROTECT, EVENTS, REPLIES, MOBILE = (e.mechanism for e in pat.EFFECTS)


def test_everyone_posting_fails_the_lurker_and_top_ten_patterns(monkeypatch):
    """Far more posters: more than 25% post, and the top 10% no longer write nearly everything."""
    _shift_posting(monkeypatch, lambda s: np.float32(4.0))
    ever, top10 = rows([EVER, TOP10])
    assert not ever.passed and not top10.passed


def test_equal_posting_volumes_fail_the_top_one_pattern(monkeypatch):
    original = turnover.populate

    def same_volume(e, rows_, *, newcomers):
        original(e, rows_, newcomers=newcomers)
        e.state.volume[rows_] = 1.0

    monkeypatch.setattr(turnover, "populate", same_volume)
    assert not rows([TOP1])[0].passed


def test_posters_who_post_every_visit_fail_the_rare_actor_pattern(monkeypatch):
    _shift_posting(monkeypatch, lambda s: np.where(s.posts > 0, np.float32(8.0), np.float32(0.0)))
    assert not rows([RARE])[0].passed


def test_nobody_posting_twice_fails_the_return_patterns(monkeypatch):
    _shift_posting(monkeypatch, lambda s: np.where(s.posts > 0, np.float32(-20.0), np.float32(0.0)))
    no_reply, replied = rows([NO_REPLY, REPLIED])
    assert not no_reply.passed and not replied.passed


def test_replies_that_change_nothing_fail_the_replied_pattern(monkeypatch):
    def before(s):
        saved = s.reply_pull.copy()
        s.reply_pull[:] = 0
        return saved

    _wrap_ecosystem(monkeypatch, before, lambda s, saved: s.reply_pull.__setitem__(slice(None), saved))
    assert not rows([REPLIED])[0].passed


def test_monthly_leaving_rate_fails_the_turnover_pattern(monkeypatch):
    original = turnover.bernoulli_groups
    monkeypatch.setattr(
        turnover, "bernoulli_groups", lambda rngs, sizes, p: original(rngs, sizes, np.minimum(1.0, p * 52 / 12))
    )
    assert not rows([TURNOVER])[0].passed


def test_forgetting_without_a_power_law_fails_the_decay_pattern(monkeypatch):
    """A constant hazard (no slowing with age) loses half in ln 2 / rate weeks, far too fast."""
    monkeypatch.setattr(forgetting, "MAX_BELIEF_AGE", 0)
    assert not rows(["decay"])[0].passed


def test_no_brokered_ties_fails_the_brokering_row(monkeypatch):
    none = (np.empty(0, np.int64), np.empty(0, np.int64))
    monkeypatch.setattr(facilitation, "broker", lambda e, r, active, intros: none)
    assert not rows(effects=[BROKER])[0].passed


def test_posting_that_protects_nothing_fails_the_memory_row(monkeypatch):
    def visiting_only(e):
        s, fp = e.state, e.params[0].forgetting
        return 1.0 - np.maximum(s.engagement > 0, s.habit) * np.float32(fp.visiting_protection)

    monkeypatch.setattr(forgetting, "keep_share", visiting_only)
    assert not rows(effects=[PROTECT])[0].passed


def test_events_nobody_attends_fail_the_events_row(monkeypatch):
    def nobody(rngs, sizes, p):
        return np.empty(0, np.int64), np.zeros(len(rngs) + 1, np.int64)

    monkeypatch.setattr(facilitation, "bernoulli_groups", nobody)
    assert not rows(effects=[EVENTS])[0].passed


def test_replies_that_pull_nobody_fail_the_replies_row(monkeypatch):
    def before(s):
        saved = s.reply_pull.copy()
        s.reply_pull[:] = 0
        return saved

    _wrap_ecosystem(monkeypatch, before, lambda s, saved: s.reply_pull.__setitem__(slice(None), saved))
    assert not rows(effects=[REPLIES])[0].passed


def test_phones_that_type_like_keyboards_fail_the_mobile_row(monkeypatch):
    def before(s):
        saved = s.mobile.copy()
        s.mobile[:] = False
        return saved

    _wrap_ecosystem(monkeypatch, before, lambda s, saved: s.mobile.__setitem__(slice(None), saved))
    assert not rows(effects=[MOBILE])[0].passed
