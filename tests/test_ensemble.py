"""Ensembles and comparisons: run over many seeds, compare on common random numbers, costs."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, write
from scipy import stats

import ecosim
from ecosim.api import simulate
from ecosim.cli import main
from ecosim.comparison import paired_difference
from ecosim.ensemble import representative, run_ensemble, verdict_sentence
from ecosim.scenario import load_scenario

#: The tiny organisation over a quarter: long enough for the levers to matter.
QUARTER = TINY.replace("weeks: 6", "weeks: 13")
COSTS = """\
costs:
  facilitator_hour: 50
  event: 200
  licence_per_learner_month: 3
  training_hour: 30
"""


@pytest.fixture
def quarter(tmp_path):
    return write(tmp_path / "quarter.yaml", QUARTER)


def test_run_answers_over_an_ensemble_of_seeds(quarter, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(quarter), "--seeds", "4", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    verdicts = Counter(run["verdict"] for run in summary["runs"])
    assert sum(verdicts.values()) == 4 and summary["ensemble"]["verdicts"] == dict(verdicts)
    assert f"Verdict: {verdict_sentence(verdicts, 4)}" in text
    assert "median" in text and "90% of runs" in text
    assert [run["seed"] for run in summary["runs"]] == [1, 2, 3, 4]
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["seed"].tolist() == [1, 2, 3, 4]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 4 * 13 and ts.groupby("seed")["week"].apply(list).tolist() == [list(range(1, 14))] * 4
    # every run is the run --seed would give
    for seed in (1, 3):
        single = simulate(quarter, seed=seed)
        row = runs[runs["seed"] == seed].iloc[0]
        for key in ("final_active_share", "total_posts", "org_capability_final", "verdict"):
            assert row[key] == single.summary[key], key
        np.testing.assert_array_equal(ts[ts["seed"] == seed]["active_share"], single.timeseries["active_share"])
    final = runs["final_active_share"].to_numpy()
    spread = summary["ensemble"]["final_active_share"]
    assert spread["median"] == pytest.approx(np.median(final))
    assert spread["low"] == pytest.approx(np.quantile(final, 0.05))
    assert spread["high"] == pytest.approx(np.quantile(final, 0.95))
    for png in ("engagement.png", "knowledge.png", "network.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["seeds"] == [1, 2, 3, 4]
        and manifest["representative_seed"] == summary["ensemble"]["representative_seed"]
    )


def test_workers_and_executors_give_identical_ensembles(quarter):
    scenario = load_scenario(quarter)
    forked = run_ensemble(scenario, 5, workers=2)
    alone = run_ensemble(scenario, 5, workers=1)
    pooled = run_ensemble(scenario, 5, executor="sequential")
    assert forked.summaries == alone.summaries
    assert forked.summaries == pooled.summaries
    for name, values in forked.series.items():
        np.testing.assert_array_equal(values, alone.series[name], err_msg=name)
        np.testing.assert_array_equal(values, pooled.series[name], err_msg=name)


def test_run_and_compare_reach_an_existing_dask_cluster_by_its_address(quarter, tmp_path, capsys):
    from distributed import LocalCluster

    base = tmp_path / "forked"
    assert main(["run", str(quarter), "--seeds", "3", "--out", str(base), "--quiet", "--no-figures"]) == 0
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        out = tmp_path / "cluster"
        args = ["--seeds", "3", "--scheduler", cluster.scheduler_address, "--quiet", "--no-figures"]
        done = cluster.scheduler.task_prefixes  # the runs that reached the cluster, by task name
        assert main(["run", str(quarter), *args, "--out", str(out)]) == 0
        assert done["one_task"].state_counts["memory"] == 3
        assert main(["compare", str(quarter), str(quarter), *args, "--out", str(tmp_path / "c")]) == 0
        assert done["one_task"].state_counts["memory"] == 3 + 2 * 3
        assert len(cluster.scheduler_info["workers"]) == 1  # someone else's cluster is left running
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), pd.read_parquet(base / "runs.parquet"))
    for command in (["run", str(quarter)], ["compare", str(quarter), str(quarter)]):
        bad = [*command, "--scheduler", "tcp://127.0.0.1:8786", "--executor", "processes", "--out", str(tmp_path / "x")]
        assert main(bad) == 2
        err = capsys.readouterr().err
        assert "--scheduler needs the dask executor" in err and err.count("\n") == 1


def test_the_representative_run_has_the_common_verdict_and_the_median_path():
    active = np.array([[0.5, 0.1], [0.5, 0.3], [0.5, 0.25], [0.5, 0.05], [0.5, 0.28]])
    verdicts = ["ghost_town", "struggling", "struggling", "ghost_town", "struggling"]
    # the median path is (0.5, 0.25): run 2 is on it
    assert representative(verdicts, active) == 2
    # ghost town is now the most common verdict: of those runs, the closest to the median path
    assert representative(["ghost_town", "ghost_town", "struggling", "ghost_town", "struggling"], active) == 1


def test_the_verdicts_are_said_most_frequent_first():
    assert (
        verdict_sentence(Counter(ghost_town=13, struggling=7), 20)
        == "Ghost town in 13 of 20 runs (65%), struggling in 7 (35%)."
    )
    assert verdict_sentence(Counter(thriving=3), 3) == "Thriving in 3 of 3 runs (100%)."


def test_costs_add_up_from_the_levers(tmp_path):
    path = write(tmp_path / "priced.yaml", QUARTER + COSTS)
    scenario = load_scenario(path)
    ens = run_ensemble(scenario, 2, workers=1)
    weeks = 13
    for k in range(2):
        n = int(ens.series["learners"][k, 0])  # the headcount stays: every leaver is replaced
        assert (ens.series["learners"][k] == n).all()
        events = ens.series["events"][k].sum()
        expected = {
            "facilitator_cost": 50 * 3 * 8.0 * weeks,
            "event_cost": 200 * events,
            "licence_cost": 3 * n * weeks * 12 / 52,
            "training_cost": 30 * n * 0.01 * 3500 / 52 * weeks,
        }
        s = ens.summaries[k]
        for key, value in expected.items():
            assert s[key] == pytest.approx(value), key
        assert s["total_cost"] == pytest.approx(sum(expected.values()))
        assert s["active_learner_weeks"] == pytest.approx((ens.series["active_share"][k] * n).sum())


def test_paired_difference_matches_scipy_and_counts_seeds_that_do_better():
    rng = np.random.default_rng(3)
    base = rng.normal(0.2, 0.05, 30)
    x = base + rng.normal(0.03, 0.01, 30)
    d = paired_difference(x, base)
    ci = stats.ttest_rel(x, base).confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high))
    assert d.mean == pytest.approx(np.mean(x - base))
    assert d.p_better == np.mean(x > base)
    assert paired_difference(base, x, better=-1).p_better == d.p_better
    welch = stats.ttest_ind(x, base, equal_var=False).confidence_interval(0.95)
    u = paired_difference(x, base, paired=False)
    assert (u.low, u.high) == pytest.approx((welch.low, welch.high))


def test_common_random_numbers_narrow_the_interval_of_a_difference(tmp_path):
    """The same seeds for both options cancel most of the noise between organisations; independent seeds do not."""
    a = write(tmp_path / "a.yaml", QUARTER)
    b = write(tmp_path / "b.yaml", QUARTER.replace("name: tiny", "name: easier") + "platform:\n  friction: 0.6\n")
    widths = {}
    for paired in (True, False):
        result = ecosim.compare([a, b], seeds=16, paired=paired)
        row = result.outcomes.set_index(["scenario", "outcome"]).loc[("easier", "active_learner_weeks")]
        assert row["difference_low95"] < row["difference"] < row["difference_high95"]
        widths[paired] = row["difference_high95"] - row["difference_low95"]
    assert widths[True] < 0.6 * widths[False], widths


def test_compare_writes_tables_words_and_figures(tmp_path, capsys):
    a = write(tmp_path / "a.yaml", QUARTER + COSTS)
    b = write(
        tmp_path / "b.yaml", QUARTER.replace("name: tiny", "name: more") + COSTS + "facilitation:\n  facilitators: 6\n"
    )
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--seeds", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "**more instead of tiny**" in text and "95% CI" in text
    names = {p.name for p in out.iterdir()}
    for table in ("outcomes", "verdicts", "costs", "runs"):
        assert {f"{table}.parquet", f"{table}.csv"} <= names
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{table}.parquet").convert_dtypes(),
            pd.read_csv(out / f"{table}.csv").convert_dtypes(),
            check_dtype=False,
            check_exact=False,
            rtol=1e-5,
        )
    assert {"comparison.md", "active_share.png", "differences.png", "manifest.json", "timeseries.parquet"} <= names
    assert (out / "comparison.md").read_text() == text.rsplit("Results:", 1)[0].rstrip("\n") + "\n"
    costs = pd.read_parquet(out / "costs.parquet").set_index("scenario")
    runs = pd.read_parquet(out / "runs.parquet")
    extra = runs.groupby("scenario")["total_cost"].mean()
    weeks = runs.groupby("scenario")["active_learner_weeks"].mean()
    assert costs.loc["more", "extra_cost"] == pytest.approx(extra["more"] - extra["tiny"])
    if weeks["more"] > weeks["tiny"]:
        assert costs.loc["more", "cost_per_extra_active_learner_week"] == pytest.approx(
            (extra["more"] - extra["tiny"]) / (weeks["more"] - weeks["tiny"])
        )
    verdicts = pd.read_parquet(out / "verdicts.parquet")
    assert (verdicts[["thriving", "struggling", "ghost_town", "not_launched"]].sum(axis=1) == 3).all()


def test_compare_refuses_bad_input_in_one_line(quarter, tmp_path, capsys):
    assert main(["compare", str(quarter), "--out", str(tmp_path / "x")]) == 2
    assert "at least two scenarios" in capsys.readouterr().err
    bad = write(tmp_path / "bad.yaml", "name: bad\ngoals:\n  mean_alignment: 3\n")
    assert main(["compare", str(quarter), str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "mean_alignment" in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()
    short = write(tmp_path / "short.yaml", QUARTER.replace("weeks: 13", "weeks: 8"))
    assert main(["compare", str(quarter), str(short), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "different numbers of weeks" in err and "[13, 8]" in err and err.count("\n") == 1


def test_running_twice_in_a_row_replaces_the_earlier_results(quarter, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(quarter), "--seeds", "3", "--quiet", "--no-figures"]) == 0
    first = (tmp_path / "results" / "tiny" / "runs.parquet").read_bytes()
    assert main(["run", str(quarter), "--seeds", "3", "--quiet", "--no-figures"]) == 0
    assert (tmp_path / "results" / "tiny" / "runs.parquet").read_bytes() == first
    # the README's next step: one seed and other levers, into the same folder
    assert main(["run", str(quarter), "--seed", "7", "--set", "goals.mean_alignment=0.7", "--quiet"]) == 0
    names = {p.name for p in (tmp_path / "results" / "tiny").iterdir()}
    assert "runs.parquet" not in names and "network.png" in names, "the earlier ensemble's files are gone"
    assert json.loads((tmp_path / "results" / "tiny" / "summary.json").read_text())["seed"] == 7
    for _ in range(2):
        assert main(["compare", str(quarter), str(quarter), "--seeds", "2", "--quiet", "--no-figures"]) == 0
    assert capsys.readouterr().err == ""


def test_ensemble_figures_open_unclipped_with_interventions_marked(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ecosim.plotting.ensemble import engagement, knowledge

    path = write(
        tmp_path / "iv.yaml", QUARTER + "interventions:\n  - week: 5\n    set: {facilitation.facilitators: 5}\n"
    )
    ens = run_ensemble(load_scenario(path), 3, workers=1, network=True)
    assert ens.network is not None and ens.network["week"] == 13
    for fig in (engagement(ens), knowledge(ens)):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer())
        w, h = fig.get_size_inches()
        assert box.x0 >= -0.02 and box.y0 >= -0.02 and box.x1 <= w + 0.02 and box.y1 <= h + 0.02
        ax = fig.axes[0]
        marks = [line for line in ax.get_lines() if list(line.get_xdata()) == [5, 5]]
        assert marks, "the week of the intervention is marked"
    text = [t.get_text() for t in engagement(ens).findobj(lambda o: hasattr(o, "get_text"))]
    assert any(ens.verdict_text() in t for t in text)
