"""Sweep files, designs and seeds: invariants, seed stability, and clear errors for bad sweep files."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sweep_util import tiny_sweep, write

from ecosim.cli import main
from ecosim.sweep.design import build_design, design_size
from ecosim.sweep.runner import _tasks, run_id, split_run_id
from ecosim.sweep.seeds import design_seed, run_seed
from ecosim.sweep.spec import load_sweep

# --------------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------------


def test_grid_is_the_product_of_values_first_parameter_slowest(tmp_path):
    path = tiny_sweep(
        tmp_path,
        """
        parameters:
          goals.mean_alignment: {range: {min: 0, max: 1, steps: 11}}
          facilitation.facilitators: {values: [0, 1, 2, 4, 8]}
        replicates: 10
    """,
    )
    sweep = load_sweep(path)
    design = build_design(sweep)
    assert len(design) == design_size(sweep) == 55
    assert len(design) * sweep.replicates == 550
    pts = design.points
    # 0.3 exactly, not 0.30000000000000004: values are what the user would write
    assert sorted(pts["goals.mean_alignment"].unique()) == [i / 10 for i in range(11)]
    assert list(pts["facilitation.facilitators"][:5]) == [0, 1, 2, 4, 8]
    assert list(pts["goals.mean_alignment"][:5]) == [0.0] * 5
    assert str(pts["facilitation.facilitators"].dtype) == "Int64"
    combos = set(zip(pts["goals.mean_alignment"], pts["facilitation.facilitators"]))
    assert combos == set(itertools.product([i / 10 for i in range(11)], [0, 1, 2, 4, 8]))
    # the overrides handed to runs are plain Python values of the schema's types
    assert design.overrides(7) == {"goals.mean_alignment": 0.1, "facilitation.facilitators": 2}
    assert type(design.overrides(7)["facilitation.facilitators"]) is int


def test_combinations_are_added_after_the_grid_with_base_values_filled_in(tmp_path):
    path = tiny_sweep(
        tmp_path,
        """
        parameters:
          goals.mean_alignment: [0.2, 0.8]
        combinations:
          - {goals.mean_alignment: 0.5, platform.friction: 2.5}
    """,
    )
    design = build_design(load_sweep(path))
    assert len(design) == 3
    assert list(design.columns) == ["goals.mean_alignment", "platform.friction"]
    base_friction = load_sweep(path).base.platform.friction
    assert list(design.points["platform.friction"]) == [base_friction, base_friction, 2.5]


def test_no_parameters_means_replicates_of_the_base_scenario(tmp_path):
    sweep = load_sweep(tiny_sweep(tmp_path, "replicates: 3\n"))
    design = build_design(sweep)
    assert len(design) == 1 and design.columns == ()
    assert design.overrides(0) == {}


# --------------------------------------------------------------------------------------------
# Sampled designs
# --------------------------------------------------------------------------------------------

SAMPLED = """\
design: {design}
parameters:
  goals.mean_alignment: {{bounds: [0.1, 0.9]}}
  facilitation.facilitators: {{bounds: [0, 8]}}
  platform.friction: {{bounds: [0.5, 3]}}
"""


def _bounds_ok(design):
    pts = design.points
    assert pts["goals.mean_alignment"].between(0.1, 0.9).all()
    assert pts["facilitation.facilitators"].between(0, 8).all()
    assert pts["platform.friction"].between(0.5, 3).all()
    # whole-number parameters are whole numbers; the sampler's own values are kept beside them
    assert str(pts["facilitation.facilitators"].dtype) == "Int64"
    assert np.array_equal(np.rint(design.sample[:, 1]).astype(int), pts["facilitation.facilitators"].to_numpy(int))


def test_sobol_has_n_times_2d_plus_2_rows_within_bounds(tmp_path):
    d = 3
    for second, rows in ((True, 2 * d + 2), (False, d + 2)):
        path = tiny_sweep(
            tmp_path, SAMPLED.format(design=f"{{method: sobol, samples: 16, second_order: {str(second).lower()}}}")
        )
        design = build_design(load_sweep(path))
        assert len(design) == 16 * rows
        _bounds_ok(design)


def test_lhs_has_one_sample_in_each_stratum_of_each_parameter(tmp_path):
    n = 40
    design = build_design(load_sweep(tiny_sweep(tmp_path, SAMPLED.format(design=f"{{method: lhs, samples: {n}}}"))))
    assert len(design) == n
    _bounds_ok(design)
    for j, (lo, hi) in enumerate([(0.1, 0.9), (0, 8), (0.5, 3)]):
        strata = np.floor((design.sample[:, j] - lo) / (hi - lo) * n).clip(0, n - 1).astype(int)
        assert sorted(strata) == list(range(n))


def test_morris_trajectories_change_one_parameter_per_step(tmp_path):
    t, d = 6, 3
    design = build_design(
        load_sweep(tiny_sweep(tmp_path, SAMPLED.format(design=f"{{method: morris, trajectories: {t}}}")))
    )
    assert len(design) == t * (d + 1)
    _bounds_ok(design)
    x = design.sample.reshape(t, d + 1, d)
    steps = np.count_nonzero(np.diff(x, axis=1), axis=2)
    assert (steps == 1).all()


def test_sampled_designs_are_reproducible_and_follow_the_root_seed(tmp_path):
    path = tiny_sweep(tmp_path, SAMPLED.format(design="{method: lhs, samples: 10}") + "seed: 5\n")
    a = build_design(load_sweep(path))
    b = build_design(load_sweep(path))
    assert np.array_equal(a.sample, b.sample)
    other = tiny_sweep(tmp_path, SAMPLED.format(design="{method: lhs, samples: 10}") + "seed: 6\n", name="other.yaml")
    assert not np.array_equal(a.sample, build_design(load_sweep(other)).sample)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["lhs", "sobol", "morris"]),
    lo=st.floats(0, 0.9, allow_nan=False),
    width=st.floats(0.01, 1.0, allow_nan=False),
    hours=st.tuples(st.integers(0, 30), st.integers(1, 30)),
    seed=st.integers(0, 2**32),
)
def test_every_sample_lies_within_its_bounds(tmp_path, method, lo, width, hours, seed):
    lo = round(lo, 6)  # YAML 1.1 reads 1e-09 as text; six decimals stay numbers
    hi = round(min(1.0, lo + width), 6)
    h_lo, h_hi = hours[0], hours[0] + hours[1]
    size = {"lhs": "samples: 7", "sobol": "samples: 8", "morris": "trajectories: 3"}[method]
    path = tiny_sweep(
        tmp_path,
        f"""
        design: {{method: {method}, {size}}}
        seed: {seed}
        parameters:
          goals.mean_alignment: {{bounds: [{lo:.6f}, {hi:.6f}]}}
          facilitation.event_every_weeks: {{bounds: [{h_lo}, {h_hi}]}}
    """,
    )
    design = build_design(load_sweep(path))
    assert len(design) > 0
    assert design.points["goals.mean_alignment"].between(lo, hi).all()
    assert design.points["facilitation.event_every_weeks"].between(h_lo, h_hi).all()


# --------------------------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------------------------


def test_run_seed_is_the_spawn_tree_of_the_root_seed():
    root = 12345
    children = np.random.SeedSequence(root).spawn(4)
    for point in range(4):
        grand = children[point].spawn(3)
        for rep in range(3):
            expected = int(grand[rep].generate_state(1, np.uint64)[0] >> np.uint64(1))
            assert run_seed(root, point, rep) == expected


def test_seeds_do_not_depend_on_the_order_runs_are_made_in():
    pairs = [(p, r) for p in range(30) for r in range(7)]
    forward = {pr: run_seed(99, *pr) for pr in pairs}
    shuffled = pairs[:]
    random.Random(3).shuffle(shuffled)
    assert {pr: run_seed(99, *pr) for pr in shuffled} == forward
    assert len(set(forward.values())) == len(pairs)  # no two runs share a seed
    assert all(0 <= s < 2**63 for s in forward.values())
    assert run_seed(100, 0, 0) != run_seed(99, 0, 0)
    assert design_seed(99) != design_seed(100)


def test_resumed_tasks_get_the_seeds_they_would_have_had(tmp_path):
    sweep = load_sweep(
        tiny_sweep(
            tmp_path,
            """
        parameters:
          goals.mean_alignment: [0.2, 0.5, 0.8]
        replicates: 4
        seed: 11
    """,
        )
    )
    design = build_design(sweep)
    fresh = {t.run_id: t.seed for t in _tasks(sweep, design, set())}
    assert len(fresh) == 12
    done = set(random.Random(1).sample(sorted(fresh), 7))
    resumed = {t.run_id: t.seed for t in _tasks(sweep, design, done)}
    assert set(resumed) == set(fresh) - done
    assert all(resumed[r] == fresh[r] for r in resumed)
    for rid, seed in fresh.items():
        point, rep = split_run_id(rid)
        assert run_id(point, rep) == rid and seed == run_seed(11, point, rep)
    # more replicates later: the existing runs keep their seeds
    more = {t.run_id: t.seed for t in _tasks(sweep.with_replicates(6), design, set())}
    assert all(more[r] == s for r, s in fresh.items()) and len(more) == 18


# --------------------------------------------------------------------------------------------
# Bad sweep files: one clear message, exit code 2, nothing written
# --------------------------------------------------------------------------------------------

GOOD_PARAMS = """
parameters:
  goals.mean_alignment: [0.2, 0.8]
"""

BAD = {
    "unknown top-level key": (
        GOOD_PARAMS + "replicate: 3\n",
        ["sweep.yaml:5", "unknown key 'replicate'", "did you mean 'replicates'"],
    ),
    "misspelt parameter": (
        "parameters:\n  goals.mean_alignmnt: [0.2, 0.8]\n",
        ["sweep.yaml:3", "unknown parameter", "did you mean 'goals.mean_alignment'"],
    ),
    "value out of bounds": (
        "parameters:\n  goals.mean_alignment:\n    values: [0.5,\n             1.5]\n",
        ["sweep.yaml:5", "goals.mean_alignment", "got 1.5", "allowed: a number >= 0 and <= 1"],
    ),
    "fraction for a whole number": (
        "parameters:\n  facilitation.facilitators: [1, 2.5]\n",
        ["sweep.yaml:3", "facilitation.facilitators", "got 2.5", "a whole number"],
    ),
    "range with fractional steps for a whole number": (
        "parameters:\n  facilitation.facilitators: {range: {min: 0, max: 8, steps: 4}}\n",
        ["sweep.yaml:3", "not whole numbers", "choose steps"],
    ),
    "bounds in a grid": (
        "parameters:\n  goals.mean_alignment: {bounds: [0, 1]}\n",
        ["sweep.yaml:3", "bounds are for sampled designs"],
    ),
    "values in a sampled design": (
        "design: {method: lhs, samples: 8}\nparameters:\n  goals.mean_alignment: [0, 1]\n",
        ["sweep.yaml:4", "samples between bounds", "bounds: [min, max]"],
    ),
    "sobol samples not a power of two": (
        "design: {method: sobol, samples: 10}\nparameters:\n  goals.mean_alignment: {bounds: [0, 1]}\n",
        ["sweep.yaml:2", "power of 2", "got 10", "8 or 16"],
    ),
    "unknown design method": (
        "design: sobel\n" + GOOD_PARAMS,
        ["sweep.yaml:2", "unknown design method", "did you mean 'sobol'"],
    ),
    "unknown metric": (
        GOOD_PARAMS + "metrics: [final_active]\n",
        ["sweep.yaml:5", "unknown metrics name", "did you mean 'final_active_share'"],
    ),
    "zero replicates": (
        GOOD_PARAMS + "replicates: 0\n",
        ["sweep.yaml:5", "replicates", "got 0", "a whole number >= 1"],
    ),
    "the seed swept": (
        "parameters:\n  seed: [1, 2]\n",
        ["sweep.yaml:3", "cannot be varied", "root seed"],
    ),
    "a point that breaks a rule across parameters": (
        "parameters:\n  learning.initial_correct: [0.5, 0.7]\n  learning.initial_wrong: [0.2, 0.4]\n",
        ["design point 3", "learning.initial_correct=0.7", "learning.initial_wrong=0.4", "must be at most 1"],
    ),
    "a bad value in set": (
        GOOD_PARAMS + "set: {weeks: -3}\n",
        ["sweep.yaml:5", "weeks", "got -3"],
    ),
    "YAML syntax": (
        "parameters: [unclosed\n",
        ["sweep.yaml:", "YAML syntax error"],
    ),
    "misspelt key in a range": (
        "parameters:\n  goals.mean_alignment: {range: {min: 0, max: 1, step: 3}}\n",
        ["sweep.yaml:3:", "unknown key 'step'", "did you mean 'steps'", "keys min, max, steps"],
    ),
    "a design without a method": (
        "design: {samples: 8}\n",
        ["sweep.yaml:2", "design: needs 'method'", "grid, lhs, sobol, morris"],
    ),
    "a key of another design": (
        "design: {method: lhs, samples: 8, levels: 4}\nparameters:\n  goals.mean_alignment: {bounds: [0, 1]}\n",
        ["sweep.yaml:2", "unknown key 'levels'", "keys method, samples"],
    ),
    "a design missing its size": (
        "design: lhs\nparameters:\n  goals.mean_alignment: {bounds: [0, 1]}\n",
        ["sweep.yaml:2", "design.samples: required key is missing", "a whole number >= 2"],
    ),
    "odd Morris levels": (
        "design: {method: morris, trajectories: 4, levels: 3}\nparameters:\n  goals.mean_alignment: {bounds: [0, 1]}\n",
        ["sweep.yaml:2", "design.levels", "must be even", "got 3"],
    ),
    "three bounds": (
        "design: {method: lhs, samples: 8}\nparameters:\n  goals.mean_alignment: {bounds: [0, 1, 2]}\n",
        ["sweep.yaml:4", "goals.mean_alignment.bounds", "got [0, 1, 2]", "two numbers [min, max]"],
    ),
    "an entry that is neither a list nor a mapping": (
        "parameters:\n  goals.mean_alignment: 0.3\n",
        ["sweep.yaml:3", "must be a list of values, or a mapping", "got 0.3"],
    ),
    "timeseries of the wrong type": (
        GOOD_PARAMS + "timeseries: 3\n",
        ["sweep.yaml:5", "timeseries", "got 3", "true, false or a list of names"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_files_get_one_clear_message_and_exit_2(tmp_path, capsys, case):
    body, expected = BAD[case]
    path = tiny_sweep(tmp_path, body)
    out = tmp_path / "results"
    code = main(["sweep", str(path), "--out", str(out), "--executor", "sequential", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("error: ")
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert not out.exists()  # nothing written for a bad sweep file


def test_replicates_on_the_command_line_are_checked_like_the_file(tmp_path, capsys):
    path = tiny_sweep(tmp_path, GOOD_PARAMS)
    assert main(["sweep", str(path), "--replicates", "20000", "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--replicates: replicates:" in err and "got 20000" in err and "a whole number >= 1 and <= 10,000" in err


def test_missing_or_absent_base_is_reported(tmp_path, capsys):
    no_base = write(tmp_path, "a.yaml", GOOD_PARAMS)
    assert main(["sweep", str(no_base), "--quiet"]) == 2
    assert "base: required key is missing" in capsys.readouterr().err
    gone = write(tmp_path, "b.yaml", "base: nowhere.yaml\n" + GOOD_PARAMS)
    assert main(["sweep", str(gone), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "b.yaml:1" in err and "base scenario does not exist" in err and "nowhere.yaml" in err


def test_an_error_in_the_base_scenario_names_the_base_file(tmp_path, capsys):
    path = tiny_sweep(tmp_path, GOOD_PARAMS, base="name: tiny\nweeks: many\n")
    assert main(["sweep", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "base.yaml" in err and "weeks" in err and "many" in err
