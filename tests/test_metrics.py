"""The weekly metrics' fast paths give what their plain definitions give."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim.core import metrics


@pytest.mark.parametrize("size", [1, 7, 100, 1001, 25_000])
def test_top_shares_match_top_share_one_fraction_at_a_time(size):
    rng = np.random.default_rng(size)
    posts = np.maximum(1, rng.lognormal(0, 1.5, size)).astype(np.int32)
    got = metrics.top_shares(posts, (0.01, 0.10))
    want = [metrics.top_share(posts.astype(np.float64), f) for f in (0.01, 0.10)]
    assert got == want  # the same integers summed exactly: equal to the last bit


def test_top_shares_of_nothing_are_nan():
    assert all(np.isnan(x) for x in metrics.top_shares(np.zeros(0, np.int32), (0.01, 0.1)))
    assert all(np.isnan(x) for x in metrics.top_shares(np.zeros(5, np.int32), (0.01, 0.1)))


@pytest.mark.parametrize("order", ["C", "F"])
def test_correct_by_dimension_in_either_layout(order):
    rng = np.random.default_rng(3)
    beliefs = np.asarray(rng.integers(-1, 2, (1000, 30)), dtype=np.int8, order=order)
    reality = np.where(rng.random(30) < 0.5, -1, 1).astype(np.int8)
    want = np.array([np.sum(beliefs[:, j] == reality[j]) for j in range(30)])
    np.testing.assert_array_equal(metrics.correct_by_dimension(beliefs, reality), want)


def test_top_share_of_people_counts_those_who_never_posted():
    from ecosim.core.metrics import top_share_of_people

    posts = np.array([90, 5, 5])  # three posters among 200 people: the top 1% is the top 2 people
    assert top_share_of_people(posts, 200, 0.01) == pytest.approx(95 / 100)
    assert top_share_of_people(posts, 50, 0.01) == pytest.approx(0.9)
    assert top_share_of_people(np.array([1]), 1000, 0.01) == 1.0
    assert np.isnan(top_share_of_people(np.zeros(0, int), 10, 0.01))
