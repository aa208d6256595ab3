"""``--weights posterior``: each run's engagement weights drawn from the fit's shipped posterior.

The posterior ships with the package; a run's particle follows from its seed alone (reproducible,
whatever the executor); a weight the scenario sets itself is kept; run, compare and calibrate take
the flag, and a verdict drawn that way differs from the defaults' only through the weights.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ecosim.scenario.loader import load_scenario
from ecosim.scenario.schema import param_info
from ecosim.scenario.weights import draw, particle, posterior
from ecosim.validation import patterns as pat

ROOT = Path(__file__).resolve().parents[1]


def test_the_posterior_ships_with_particles_of_known_weights():
    post = posterior()
    assert len(post["particles"]) == len(post["weights"]) >= 20
    assert math.isclose(sum(post["weights"]), 1.0, rel_tol=1e-9)
    for name in post["particles"][0]:
        param_info(name)  # every weight is a scenario parameter (raises if not)
    # the defaults are the shipped best particle
    for name, value in post["defaults"].items():
        assert param_info(name).default == pytest.approx(value, abs=1e-9), name


def test_a_runs_particle_follows_from_its_seed_alone():
    assert particle(7) == particle(7)
    assert len({json.dumps(particle(s), sort_keys=True) for s in range(40)}) > 5


def test_a_weight_the_scenario_sets_is_kept():
    base = load_scenario(pat.scenario_path("retail"), {"engagement.ecosystem.exposure": 4.321})
    drawn = draw(base, 3)
    assert drawn.engagement.ecosystem.exposure == 4.321
    chosen = particle(3)
    assert drawn.engagement.ecosystem.intercept == chosen["engagement.ecosystem.intercept"]


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ecosim", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.slow
def test_run_with_posterior_weights_is_reproducible_and_differs_from_the_defaults(tmp_path):
    common = ["run", "scenarios/retail.yaml", "--seeds", "4", "--set", "weeks=20"]
    a = _cli(*common, "--weights", "posterior", "--executor", "sequential", "--out", str(tmp_path / "a"))
    b = _cli(*common, "--weights", "posterior", "--executor", "processes", "--out", str(tmp_path / "b"))
    c = _cli(*common, "--out", str(tmp_path / "c"))
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr + b.stderr + c.stderr
    runs = {k: (tmp_path / k / "runs.csv").read_text() for k in "abc"}
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["scenario"]["weights"] == "posterior"


@pytest.mark.slow
def test_compare_takes_posterior_weights_and_a_bad_choice_is_refused(tmp_path):
    done = _cli(
        "compare", "scenarios/retail.yaml", "scenarios/retail_high_alignment.yaml", "--seeds", "3",
        "--set", "weeks=12", "--weights", "posterior", "--out", str(tmp_path / "cmp"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bad = _cli("run", "scenarios/retail.yaml", "--weights", "prior")
    assert bad.returncode == 2 and "--weights" in bad.stderr and "posterior" in bad.stderr
    assert "Traceback" not in bad.stderr
