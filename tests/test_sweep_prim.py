"""PRIM boxes: where a sweep's runs thrive or are a ghost town, with their coverage and density.

The stored sweep in tests/data/sweeps/alignment_x_facilitation is the shipped
scenarios/sweeps/alignment_x_facilitation.yaml run in full (550 runs, seed 20240611):
``python -m ecosim sweep scenarios/sweeps/alignment_x_facilitation.yaml``, keeping its manifest,
design and runs table (the weekly series are not needed for the analysis).
"""

from __future__ import annotations

import shutil
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecosim.cli import main
from ecosim.sweep.analysis import analyze
from ecosim.sweep.regions import Limit, choose_step, find_region, in_box, statement

STORED = Path(__file__).resolve().parent / "data" / "sweeps" / "alignment_x_facilitation"
PARAMS = ["goals.mean_alignment", "facilitation.facilitators"]


def _grid(replicates: int = 3) -> pd.DataFrame:
    xs = np.round(np.linspace(0, 1, 11), 2)
    ys = np.array([0, 1, 2, 4, 8], dtype=np.int64)
    rows = [(a, b) for a in xs for b in ys for _ in range(replicates)]
    return pd.DataFrame(rows, columns=["x", "y"]).astype({"y": "int64"})


# --------------------------------------------------------------------------------------------
# A region known in advance
# --------------------------------------------------------------------------------------------


def test_a_known_region_is_recovered_within_a_grid_step_with_density_one():
    x = _grid()
    hit = ((x["x"] >= 0.6) & (x["y"] >= 2)).to_numpy()
    region = find_region(x, hit, "thriving")
    assert region.found
    limits = {limit.parameter: limit for limit in region.limits}
    assert set(limits) == {"x", "y"}
    # the lower bound on x lies between the last value outside (0.5) and the first inside (0.6)
    assert 0.5 < limits["x"].low <= 0.6 and limits["x"].high is None
    # y is a whole number: its bound is the first whole value inside the region
    assert limits["y"].low == 2 and limits["y"].high is None and limits["y"].whole
    assert region.density == 1.0 and region.coverage == 1.0
    assert region.mass == pytest.approx(hit.mean())
    text = statement(region)
    assert text.startswith("thriving in 100% of runs when x >= ") and "and y >= 2" in text
    assert text.endswith("these runs are 100% of all thriving runs")


def test_a_region_bounded_on_both_sides_and_below():
    x = _grid()
    hit = ((x["x"] >= 0.3) & (x["x"] <= 0.7) & (x["y"] <= 1)).to_numpy()
    region = find_region(x, hit, "ghost_town")
    limits = {limit.parameter: limit for limit in region.limits}
    assert 0.2 < limits["x"].low <= 0.3 and 0.7 <= limits["x"].high < 0.8
    assert limits["y"].low is None and limits["y"].high == 1
    assert region.density == 1.0 and region.coverage == 1.0
    assert "x between " in statement(region) and "y <= 1" in statement(region)
    assert statement(region).endswith("of all ghost-town runs")


def test_noisy_labels_give_the_densest_box_that_holds_half_the_runs():
    rng = np.random.default_rng(7)
    x = _grid(replicates=6)
    inside = ((x["x"] >= 0.6) & (x["y"] >= 2)).to_numpy()
    hit = np.where(inside, rng.random(len(x)) < 0.9, rng.random(len(x)) < 0.1)
    region = find_region(x, hit, "thriving")
    t = region.trajectory
    assert region.coverage >= 0.5
    # no box on the trajectory holding half the runs is denser
    assert t.loc[region.step, "density"] == t.loc[t["coverage"] >= 0.5, "density"].max()
    # its numbers are counted from the rows
    mask = in_box(x, region.limits)
    assert region.density == pytest.approx(hit[mask].mean())
    assert region.coverage == pytest.approx(hit[mask].sum() / hit.sum())
    assert region.density > hit.mean() + 0.3


def test_choose_step_takes_the_densest_box_with_enough_coverage():
    t = pd.DataFrame({"coverage": [1.0, 0.8, 0.6, 0.49, 0.3], "density": [0.2, 0.5, 0.7, 0.9, 1.0]})
    assert choose_step(t) == 2
    assert choose_step(t, min_coverage=0.25) == 4
    # a tie in density goes to the larger coverage
    t = pd.DataFrame({"coverage": [1.0, 0.9, 0.7], "density": [0.2, 0.6, 0.6]})
    assert choose_step(t) == 1


def test_no_box_when_no_run_or_every_run_has_the_verdict():
    x = _grid()
    none = find_region(x, np.zeros(len(x), dtype=bool), "thriving")
    assert not none.found and statement(none) == "no run ended thriving, so there is no region where it is thriving"
    every = find_region(x, np.ones(len(x), dtype=bool), "ghost_town")
    assert not every.found
    assert statement(every) == "every run ended ghost town, so no region of the sweep singles it out"
    # a verdict spread evenly over the grid: no box does better than the whole sweep
    even = find_region(x, (np.arange(len(x)) % 3 == 0), "thriving")
    assert not even.found and "no range of x and y holds thriving runs more densely" in statement(even)


def test_a_parameter_whose_values_are_not_numbers_is_bounded_by_its_values():
    x = _grid()
    x["net"] = np.tile(["a.csv", "b.csv", "c.csv"], len(x) // 3)
    hit = ((x["x"] >= 0.6) & (x["net"] != "c.csv")).to_numpy()
    region = find_region(x, hit, "thriving")
    limits = {limit.parameter: limit for limit in region.limits}
    assert limits["net"].values == ["a.csv", "b.csv"]
    assert region.density == 1.0 and region.coverage == 1.0
    assert "net is one of a.csv, b.csv" in statement(region)
    assert Limit("net", values=["a.csv"]).contains(x["net"]).sum() == len(x) // 3


# --------------------------------------------------------------------------------------------
# The shipped alignment x facilitation sweep, stored
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stored") / "alignment_x_facilitation"
    shutil.copytree(STORED, folder)
    out = folder.parent / "analysis"
    return folder, out, analyze(folder, out=out, figures=False)


def _runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs.parquet")
    return runs[runs["status"] == "ok"].reset_index(drop=True)


def test_stored_sweep_is_the_shipped_one():
    import json

    manifest = json.loads((STORED / "manifest.json").read_text())
    assert manifest["name"] == "alignment_x_facilitation" and manifest["root_seed"] == 20240611
    assert list(manifest["design"]["parameters"]) == PARAMS
    assert len(_runs(STORED)) == 550


def test_boxes_of_the_stored_sweep_match_their_rows(stored):
    folder, out, result = stored
    boxes = pd.read_csv(out / "prim_boxes.csv")
    runs = _runs(folder)
    assert set(boxes["verdict"]) == {"thriving", "ghost_town"}
    for verdict, rows in boxes.groupby("verdict"):
        assert rows["found"].all()
        # the box, rebuilt from its bounds in the table, applied to the runs table
        inside = np.ones(len(runs), dtype=bool)
        for _, r in rows.iterrows():
            assert r["parameter"] in PARAMS
            values = runs[r["parameter"]].to_numpy(dtype=float)
            if pd.notna(r["low"]):
                inside &= values >= r["low"]
            if pd.notna(r["high"]):
                inside &= values <= r["high"]
        hit = (runs["verdict"] == verdict).to_numpy()
        first = rows.iloc[0]
        assert first["runs"] == len(runs) and first["verdict_runs"] == hit.sum()
        assert first["runs_in_box"] == inside.sum() and first["verdict_runs_in_box"] == (inside & hit).sum()
        assert first["density"] == pytest.approx((inside & hit).sum() / inside.sum(), abs=1e-6)
        assert first["coverage"] == pytest.approx((inside & hit).sum() / hit.sum(), abs=1e-6)
        assert first["mass"] == pytest.approx(inside.mean(), abs=1e-6)
        # the rule: at least half the verdict's runs, and far denser than over the whole sweep
        assert first["coverage"] >= 0.5 and first["density"] > hit.mean() + 0.3


def test_the_boxes_point_the_way_the_model_does(stored):
    """Thriving takes high alignment, a ghost town low alignment or few facilitators: bounds on the right sides."""
    _, out, _ = stored
    boxes = pd.read_csv(out / "prim_boxes.csv").set_index(["verdict", "parameter"])
    thriving = boxes.loc["thriving"]
    assert pd.notna(thriving.loc["goals.mean_alignment", "low"])
    assert pd.isna(thriving.loc["goals.mean_alignment", "high"])
    ghost = boxes.loc["ghost_town"]
    assert all(pd.isna(ghost.loc[p, "low"]) for p in ghost.index)


def test_the_sentences_are_in_the_analysis_markdown_and_the_report(stored):
    _, out, result = stored
    boxes = pd.read_csv(out / "prim_boxes.csv")
    markdown = (out / "analysis.md").read_text()
    html = (out / "report.html").read_text()
    assert "## Where the platform thrives or is a ghost town" in markdown
    for verdict, rows in boxes.groupby("verdict"):
        r = rows.iloc[0]
        text = r["statement"]
        assert f"- {text[0].upper()}{text[1:]}." in markdown
        assert html_escape(text) in html
        words = verdict.replace("_", " ")
        expected = f"{words} in {round(r['density'] * 100)}% of runs when "
        assert text.startswith(expected)
        assert f"these runs are {round(r['coverage'] * 100)}% of all {words.replace(' ', '-')} runs" in text
    # in the parameters' plain words, not their keys
    assert "goal alignment >=" in markdown and "facilitators" in markdown
    assert "goals.mean_alignment >=" not in markdown
    assert [statement(r) for r in result.regions] == list(boxes.drop_duplicates("verdict")["statement"])


def test_analyze_prints_the_regions(stored, tmp_path, capsys):
    folder, _, result = stored
    assert main(["analyze", str(folder), "--no-figures", "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "Where the platform thrives or is a ghost town" in printed
    for r in result.regions:
        assert f"  {statement(r)}" in printed


def test_a_sweep_with_no_thriving_run_says_so(stored, tmp_path):
    folder, _, _ = stored
    copy = tmp_path / "sweep"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("analysis"))
    runs = pd.read_parquet(copy / "runs.parquet")
    runs["verdict"] = runs["verdict"].replace("thriving", "struggling")
    runs.to_parquet(copy / "runs.parquet", index=False)
    analyze(copy, out=tmp_path / "out", figures=False)
    boxes = pd.read_csv(tmp_path / "out" / "prim_boxes.csv").set_index("verdict")
    assert not boxes.loc["thriving", "found"] and pd.isna(boxes.loc["thriving", "coverage"])
    assert boxes.loc["thriving", "statement"] == "no run ended thriving, so there is no region where it is thriving"
    assert "No run ended thriving" in (tmp_path / "out" / "analysis.md").read_text()
