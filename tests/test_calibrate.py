"""Calibration: observed-data files, calibration files, executors, resume, what-ifs and the command."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, write

import ecosim
from ecosim.calibrate.engine import effective_sample_size, weighted_quantile
from ecosim.calibrate.observed import parse_observed
from ecosim.calibrate.simulator import run_series, set_params
from ecosim.cli import main
from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario, scenario_to_dict

#: A small organisation followed for 20 weeks, launching in week 1.
SMALL = """\
name: small
weeks: 20
organisation:
  stores: 4
  staff_per_store: 8
  regions: 1
  head_office: 4
"""

FIT = ["goals.mean_alignment", "platform.friction=0.2:4"]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path / "small.yaml", SMALL)


@pytest.fixture
def observed(small: Path, tmp_path: Path) -> Path:
    """Six observed weeks simulated from known parameters, written as an analytics export with a gap."""
    data = set_params(scenario_to_dict(load_scenario(small)), {"weeks": 6})
    out = run_series(data, {"goals.mean_alignment": 0.7, "platform.friction": 1.0}, 99)
    s, n = out["series"], out["learners"]
    frame = pd.DataFrame(
        {
            "week": s["week"],
            "active_users": np.round(s["active_share"] * n).astype(int),
            "posters": np.round(s["contributor_share"] * n).astype(int),
            "headcount": n,
            "region": "north",
        }
    )
    frame = frame.drop(index=3)  # a missing week
    path = tmp_path / "usage.csv"
    frame.to_csv(path, index=False)
    return path


def _calibrate(small, observed, **kw):
    args = dict(particles=12, generations=2, draws=10, seed=5)
    args.update(kw)
    return ecosim.calibrate(small, observed, FIT, **args)


# ------------------------------------------------------------------------------------------------
# Observed data
# ------------------------------------------------------------------------------------------------


def test_observed_counts_become_shares_with_gaps_and_a_note_for_extra_columns():
    obs = parse_observed("week,active_users,posters,posts,headcount,team\n1,50,5,12,100,a\n3,40,,8,,b\n", file="u.csv")
    assert obs.weeks.tolist() == [1, 3]
    assert obs.notes == ["u.csv: column 'team' ignored"]
    stats = obs.statistics(headcount=80)
    assert stats["active_share"][1].tolist() == [0.5, 40 / 80]  # the row without a headcount uses the scenario's
    assert stats["contributor_share"][0].tolist() == [1]  # the empty cell is left out
    assert stats["posts_per_head"][1].tolist() == [0.12, 0.1]
    assert obs.needs_headcount()


BAD_FILES = {
    "empty": ("", "observed data file is empty"),
    "header only": ("week,active_users\n", "has a header but no rows"),
    "no week column": ("wk,active_users\n1,3\n", "no week column"),
    "weeks not increasing": ("week,active_users\n1,3\n3,4\n2,5\n", ":4: week: weeks must increase"),
    "negative count": ("week,posters\n1,3\n2,-1\n", ":3: posters: negative (got '-1')"),
    "more active than headcount": ("week,active_users,headcount\n1,30,20\n", ":2: active_users: more active users"),
    "no usable column": ("week,headcount,team\n1,20,a\n", "no usable column"),
    "not a number": ("week,active_share\n1,half\n", ":2: active_share: not a number (got 'half')"),
    "share above one": ("week,active_share\n1,1.5\n", ":2: active_share: out of range"),
    "both columns": ("week,active_users,active_share\n1,3,0.3\n", "give active_users or active_share, not both"),
    "posters above active": ("week,active_users,posters\n1,3,4\n", ":2: posters: more posters than active users"),
    "fractional week": ("week,posts\n1.5,3\n", ":2: week: not a whole number"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_observed_file_gets_one_line_and_exit_2(name, small, tmp_path, capsys):
    text, expected = BAD_FILES[name]
    bad = write(tmp_path / "bad.csv", text)
    out = tmp_path / "out"
    code = main(["calibrate", str(small), "--observed", str(bad), "--fit", "goals.mean_alignment", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "Traceback" not in err
    assert err.startswith(f"error: {bad}") and expected in err, err
    assert not out.exists() or not any(out.iterdir())


def test_observed_weeks_beyond_the_scenario_are_refused(small, tmp_path):
    bad = write(tmp_path / "long.csv", "week,active_share\n1,0.2\n25,0.3\n")
    with pytest.raises(InputError, match=r"beyond the scenario's 20 weeks.*got 25"):
        _calibrate(small, bad)


# ------------------------------------------------------------------------------------------------
# Calibration files and --fit
# ------------------------------------------------------------------------------------------------


def test_calibration_file_errors_name_the_line_and_key(small, observed, tmp_path, capsys):
    conf = write(tmp_path / "c.yaml", f"observed: {observed.name}\nfit:\n  goals.mean_alignment: {{lo: 0.1}}\n")
    assert main(["calibrate", str(small), "--config", str(conf), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {conf}:3:") and "unknown key 'lo'" in err and "did you mean 'low'?" in err


@pytest.mark.parametrize(
    ("fit", "expected"),
    [
        ("goals.mean_alinment", "unknown parameter; did you mean 'goals.mean_alignment'?"),
        ("facilitation.facilitators", "cannot be fitted: it is a whole number"),
        ("platform.friction=0:20", "prior bounds outside the parameter's range (got [0.0, 20.0])"),
        ("platform.friction=log:0:2", "a log-uniform prior needs a positive lower bound"),
        ("platform.friction=a:b", "cannot read the prior bounds"),
    ],
)
def test_bad_fit_flags(fit, expected, small, observed, tmp_path, capsys):
    code = main(["calibrate", str(small), "--observed", str(observed), "--fit", fit, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and expected in err and "\n" not in err, err


def test_bad_what_if_is_refused_before_calibrating(small, observed):
    with pytest.raises(InputError, match="facilitation.facilitators"):
        _calibrate(small, observed, what_if=["facilitation.facilitators=-2"])


# ------------------------------------------------------------------------------------------------
# Results, reproducibility, executors, resume
# ------------------------------------------------------------------------------------------------


def test_calibrate_returns_frames_and_same_seed_same_posterior(small, observed):
    a = _calibrate(small, observed)
    assert list(a.posterior.columns) == ["goals.mean_alignment", "platform.friction", "weight"]
    assert len(a.posterior) == 12 and abs(a.posterior["weight"].sum() - 1) < 1e-9
    assert (a.posterior["platform.friction"].between(0.2, 4)).all()
    assert set(a.forecast["statistic"]) == {"active_share", "contributor_share", "posts_per_head"}
    assert a.forecast["week"].max() == 20 and (a.forecast["p5"] <= a.forecast["p95"]).all()
    assert abs(sum(a.verdicts.values()) - 1) < 1e-9
    assert a.generations["epsilon"].is_monotonic_decreasing
    b = _calibrate(small, observed)
    pd.testing.assert_frame_equal(a.posterior, b.posterior, check_exact=True)
    pd.testing.assert_frame_equal(a.forecast, b.forecast, check_exact=True)
    c = _calibrate(small, observed, seed=6)
    assert not a.posterior.equals(c.posterior)


def test_processes_give_the_same_posterior_as_sequential(small, observed):
    seq = _calibrate(small, observed, executor="sequential")
    par = _calibrate(small, observed, executor="processes", workers=2)
    pd.testing.assert_frame_equal(seq.posterior, par.posterior, check_exact=True)
    pd.testing.assert_frame_equal(seq.forecast, par.forecast, check_exact=True)
    pd.testing.assert_frame_equal(seq.generations, par.generations, check_exact=True)
    pd.testing.assert_frame_equal(seq.early_warning.table, par.early_warning.table, check_exact=True)
    np.testing.assert_array_equal(seq.early_warning.first_week, par.early_warning.first_week)


@pytest.mark.slow
def test_dask_gives_the_same_posterior_as_sequential(small, observed):
    seq = _calibrate(small, observed, executor="sequential")
    dsk = _calibrate(small, observed, executor="dask", workers=2)
    pd.testing.assert_frame_equal(seq.posterior, dsk.posterior, check_exact=True)
    pd.testing.assert_frame_equal(seq.forecast, dsk.forecast, check_exact=True)


def test_what_if_of_the_current_value_changes_nothing_common_random_numbers(small, observed):
    # the scenario already has 3 facilitators: with the same draws and seeds every run is the same
    res = _calibrate(small, observed, what_if=["facilitation.facilitators=3", "platform.friction=0.1"])
    same = res.what_ifs[res.what_ifs["what_if"] == "facilitation.facilitators=3"]
    assert (same["change_median"] == 0).all() and (same["change_p5"] == 0).all() and (same["change_p95"] == 0).all()
    easier = res.what_ifs[(res.what_ifs["what_if"] == "platform.friction=0.1")].set_index("outcome")
    assert easier.at["final_active_share", "p_better"] > 0.5


def test_resume_continues_without_repeating_generations(small, observed, tmp_path):
    whole = _calibrate(small, observed, generations=3, out=tmp_path / "whole")
    _calibrate(small, observed, generations=1, out=tmp_path / "split")
    first = _populations(tmp_path / "split" / "history.db")
    ran = []
    resumed = _calibrate(small, observed, generations=3, out=tmp_path / "split", resume=True, progress=ran.append)
    assert [g.t for g in ran] == [1, 2]  # only the generations not yet finished are run
    after = _populations(tmp_path / "split" / "history.db")
    assert after[: len(first)] == first and [t for t, _ in after] == [-1, 0, 1, 2]
    pd.testing.assert_frame_equal(whole.posterior, resumed.posterior, check_exact=True)


def test_resume_refuses_other_settings(small, observed, tmp_path):
    _calibrate(small, observed, generations=1, out=tmp_path / "c")
    with pytest.raises(InputError, match="cannot resume: the priors differ"):
        ecosim.calibrate(small, observed, ["goals.mean_alignment"], particles=12, generations=2, draws=10, seed=5,
                         out=tmp_path / "c", resume=True)  # fmt: skip


def _populations(db: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(db) as con:
        return [tuple(r) for r in con.execute("SELECT t, nr_samples FROM populations ORDER BY t")]


def _cli(small, observed, out, *extra):
    return [sys.executable, "-m", "ecosim", "calibrate", str(small), "--observed", str(observed), "--fit", *FIT,
            "--particles", "12", "--draws", "10", "--seed", "5", "--out", str(out), *extra]  # fmt: skip


@pytest.mark.slow
def test_resume_after_sigkill_finishes_with_the_uninterrupted_posterior(small, observed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(_cli(small, observed, tmp_path / "whole", "--generations", "4"), check=True, env=env,
                   capture_output=True)  # fmt: skip
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _cli(small, observed, out, "--generations", "4"), env=env, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # wait for the second generation to be stored, then kill
        line = proc.stderr.readline()
        if line.startswith("generation 2:"):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _populations(out / "history.db")
    assert [t for t, _ in done][:3] == [-1, 0, 1] and len(done) < 5
    res = subprocess.run(_cli(small, observed, out, "--generations", "4", "--resume"), env=env, capture_output=True,
                         text=True)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "generation 1:" not in res.stderr and "generation 2:" not in res.stderr
    assert _populations(out / "history.db")[: len(done)] == done
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "whole" / "posterior.parquet"),
        pd.read_parquet(out / "posterior.parquet"),
        check_exact=True,
    )


def test_command_writes_the_results_folder(small, observed, tmp_path, capsys):
    out = tmp_path / "cal"
    argv = ["calibrate", str(small), "--observed", str(observed), "--fit", *FIT, "--particles", "12",
            "--generations", "2", "--draws", "10", "--what-if", "platform.friction=0.5", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "generation 1: epsilon" in cap.err and "acceptance" in cap.err and "simulations" in cap.err
    assert "note:" in cap.err and "column 'region' ignored" in cap.err
    assert "goals.mean_alignment" in cap.out and "At week 20:" in cap.out
    # the weeks that hold numbers are counted, not the last week: week 4 of 6 is missing
    assert "small calibrated to 5 observed weeks (weeks 1 to 6; week 4 missing) (seed 1)" in cap.out
    names = {p.name for p in out.iterdir()}
    expected = {"posterior.parquet", "posterior.json", "posterior.png", "pairs.png", "ppc.png", "forecast.png"}
    expected |= {"what_ifs.png", "calibration.md", "manifest.json", "history.db", "forecast.csv", "what_ifs.csv"}
    assert expected <= names and not [n for n in names if n.endswith(".tmp")]
    post = json.loads((out / "posterior.json").read_text())
    q = post["parameters"]["platform.friction"]
    assert q["interval_90"][0] <= q["interval_50"][0] <= q["median"] <= q["interval_50"][1] <= q["interval_90"][1]
    assert 1 <= post["effective_sample_size"] <= 12
    report = (out / "calibration.md").read_text()
    assert "## What-ifs" in report and "platform.friction=0.5" in report and "the verdict at the end" in report
    assert "parameter(s) to 5 observed weeks (weeks 1 to 6; week 4 missing) with" in report
    assert "of 5 observed weeks inside the 90% band" in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1 and "pyabc" in manifest["versions"]
    # a second run into the same folder is refused, not overwritten
    assert main(argv) == 2
    assert "already holds a calibrate" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# Weighted statistics
# ------------------------------------------------------------------------------------------------


def test_observed_weeks_in_words():
    from ecosim.calibrate.engine import observed_weeks_text

    assert (
        observed_weeks_text([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]) == "11 observed weeks (weeks 1 to 12; week 7 missing)"
    )
    assert observed_weeks_text([3, 3, 4, 5]) == "3 observed weeks (weeks 3 to 5)"
    assert observed_weeks_text([1, 4, 6]) == "3 observed weeks (weeks 1 to 6; weeks 2, 3, 5 missing)"
    assert observed_weeks_text([1, 10]) == "2 observed weeks (weeks 1 to 10; 8 weeks missing)"
    assert observed_weeks_text([2]) == "1 observed week (week 2)"


def test_weighted_quantile_matches_repeated_samples_and_ess():
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    w = rng.integers(1, 4, size=400).astype(float)
    repeated = np.repeat(x, w.astype(int))
    for q in (0.05, 0.5, 0.95):
        assert abs(weighted_quantile(x, w, [q])[0] - np.quantile(repeated, q)) < 0.05
    assert effective_sample_size(np.ones(50)) == pytest.approx(50)
    assert effective_sample_size(np.r_[1.0, np.zeros(9)]) == pytest.approx(1)


# ------------------------------------------------------------------------------------------------
# The shipped example
# ------------------------------------------------------------------------------------------------


def test_shipped_example_retail_launch_calibration_file_runs(tmp_path, capsys):
    from ecosim.calibrate.spec import read_spec

    conf = ROOT / "scenarios" / "observed" / "retail_launch.yaml"
    spec, folder = read_spec(conf)
    assert list(spec.fit) == ["goals.mean_alignment", "platform.friction", "platform.novelty"]
    obs = pd.read_csv(folder / spec.observed)
    assert obs["week"].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]  # week 7 is the documented gap
    out = tmp_path / "ex"
    argv = ["calibrate", str(ROOT / "scenarios" / "retail.yaml"), "--config", str(conf), "--particles", "10",
            "--generations", "1", "--draws", "10", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    post = json.loads((out / "posterior.json").read_text())
    assert set(post["parameters"]) == set(spec.fit) and post["weeks_observed"] == 12
    assert "At week 52:" in capsys.readouterr().out


def test_population_shrinks_the_retail_organisation_and_refuses_edge_lists():
    from ecosim.calibrate.simulator import shrink_population

    data = scenario_to_dict(load_scenario(ROOT / "scenarios" / "retail.yaml"))
    small = shrink_population(data, 155, 620, file="retail.yaml")
    assert small["organisation"]["stores"] == 10 and small["organisation"]["head_office"] == 8
    assert small["organisation"]["staff_per_store"] == data["organisation"]["staff_per_store"]
    assert small["facilitation"]["facilitators"] == 1 and small["organisation"]["regions"] == 1
    assert shrink_population(data, 700, 620, file="retail.yaml") == data  # never grown
    generic = {**data, "network": {**data["network"], "kind": "erdos_renyi", "learners": 1000}}
    assert shrink_population(generic, 200, 1000, file="g.yaml")["network"]["learners"] == 200
    edges = {**data, "network": {**data["network"], "kind": "edgelist"}}
    with pytest.raises(InputError, match="an edge-list network cannot be shrunk"):
        shrink_population(edges, 100, 620, file="e.yaml")


def test_calibrate_draws_the_engagement_weights_from_the_posterior(small, observed, tmp_path):
    """``--weights posterior``: each simulated particle's weights drawn for its seed; the fit then differs."""
    common = ["calibrate", str(small), "--observed", str(observed), "--fit", "goals.mean_alignment"]
    common += ["--particles", "12", "--generations", "2", "--draws", "10", "--seed", "5", "--quiet"]
    assert main([*common, "--weights", "posterior", "--out", str(tmp_path / "post")]) == 0
    assert main([*common, "--out", str(tmp_path / "def")]) == 0
    post = (tmp_path / "post" / "forecast.csv").read_text()
    assert post != (tmp_path / "def" / "forecast.csv").read_text()
    assert main([*common, "--weights", "posterior", "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "forecast.csv").read_text() == post
