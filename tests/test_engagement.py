"""The engagement mechanism at the edges of what the schema allows."""

from __future__ import annotations

import numpy as np


def test_usefulness_without_content_is_zero_even_for_a_vanishing_half_value(tmp_path):
    """content_half_value may be as small as the schema allows (> 0, down to 5e-324, which is 0 in
    float32): a learner with no relevant content then finds the platform useless, with no 0/0."""
    import warnings

    from ecosim.api import simulate

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nweeks: 2\norganisation: {stores: 2, staff_per_store: 5, regions: 1, head_office: 2}\n"
        "platform: {launch_content: 0}\nfacilitation: {facilitators: 0}\n"
        "engagement: {ecosystem: {content_half_value: 5.0e-324}}\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = simulate(path, seed=1, keep_model=True)
    assert np.isfinite(result.timeseries["mean_usefulness"]).all()
