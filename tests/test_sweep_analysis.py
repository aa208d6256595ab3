"""Analysing sweeps: statistics per point, tipping points, Sobol and Morris indices, the shipped sweeps."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sweep_util import TINY_BASE, tiny_sweep, write

from ecosim.cli import main
from ecosim.sweep.analysis import analyze, sensitivity, t_interval, tipping_points
from ecosim.sweep.design import build_design
from ecosim.sweep.runner import run_sweep
from ecosim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"

# --------------------------------------------------------------------------------------------
# Pure functions against known answers
# --------------------------------------------------------------------------------------------


def test_t_interval_is_students():
    lo, hi = t_interval(np.array([1.0, 5.0]), np.array([2.0, 1.0]), np.array([4, 1]))
    half = stats.t.ppf(0.975, 3) * 2.0 / 2.0  # t(0.975, 3) x sd / sqrt(4)
    assert lo[0] == pytest.approx(1.0 - half) and hi[0] == pytest.approx(1.0 + half)
    assert math.isnan(lo[1]) and math.isnan(hi[1])  # one run: no interval


def test_tipping_points_interpolate_where_the_mean_crosses_the_threshold():
    xs = np.linspace(0, 1, 11)
    grid = pd.DataFrame(
        {
            "a": np.tile(xs, 3),
            "f": np.repeat([0, 2, 8], 11),
            "mean": np.concatenate([0.05 * xs, 0.4 * xs, 0.2 + 0 * xs]),
        }
    )
    t = tipping_points(grid, "a", "f", 0.1).set_index("f")
    assert t.loc[0, "where"] == "below" and math.isnan(t.loc[0, "a_at_threshold"])
    assert t.loc[2, "where"] == "crosses" and t.loc[2, "a_at_threshold"] == pytest.approx(0.25)
    assert t.loc[8, "where"] == "above" and t.loc[8, "a_at_threshold"] == 0.0
    # no intervals (one run per point): the means alone tell nothing for sure
    assert (t["reading"] == "cannot_tell").all() and (t["undecided"] == 11).all()


def _cells(means, half, xs=None):
    """One row of cells (f = 8) with the given means and interval half-widths."""
    means = np.asarray(means, dtype=float)
    xs = np.round(np.linspace(0, 1, means.size), 3) if xs is None else xs
    return pd.DataFrame(
        {"a": xs, "f": 8, "mean": means, "ci_low": means - half, "ci_high": means + half, "n": 2, "sd": half / 9}
    )


def test_a_statement_follows_from_the_intervals_not_from_the_first_mean():
    """The issue's row: over the line at the lowest alignment, 0.0929 at the next: not 'above throughout'."""
    means = [0.12, 0.0929, 0.13, 0.2, 0.3, 0.4]
    (row,) = tipping_points(_cells(means, 0.05), "a", "f", 0.1).to_dict("records")
    assert row["where"] == "recrosses"  # the means alone: back under the line after the lowest alignment
    assert row["reading"] == "cannot_tell" and "above the threshold" not in row["statement"].split(":")[0]
    assert row["statement"] == "cannot tell where it leaves the ghost town: cannot tell at 0 to 0.4, above the " + (
        "threshold at 0.6 to 1"
    )
    # narrow intervals: at 0.2 it is wholly under the line, so the intervals say where it leaves
    (row,) = tipping_points(_cells(means, 0.005), "a", "f", 0.1).to_dict("records")
    assert row["reading"] == "cannot_tell"  # over, under, over: more than one crossing
    assert row["statement"].startswith("cannot tell where it leaves the ghost town: above the threshold at 0,")
    # every interval wholly over the line: above over the whole range
    (row,) = tipping_points(_cells([0.2, 0.3, 0.5], 0.05), "a", "f", 0.1).to_dict("records")
    assert row["reading"] == "above" and row["statement"] == "above the threshold over the whole range"


def test_a_clean_crossing_is_bracketed_by_the_intervals():
    means = [0.02, 0.05, 0.09, 0.11, 0.3, 0.5]
    (row,) = tipping_points(_cells(means, 0.005), "a", "f", 0.1).to_dict("records")
    assert row["reading"] == "crosses" and (row["a_low"], row["a_high"]) == (0.4, 0.6)
    assert row["statement"] == "leaves the ghost town between 0.4 and 0.6 (the mean crosses at 0.5)"
    assert row["undecided"] == 0
    (row,) = tipping_points(_cells(means, 0.03), "a", "f", 0.1).to_dict("records")
    assert row["reading"] == "crosses" and (row["a_low"], row["a_high"]) == (0.2, 0.8) and row["undecided"] == 2


def test_too_few_replicates_to_place_the_boundary_are_warned_with_the_monte_carlo_error():
    from ecosim.sweep.analysis import boundary_warning

    means = [0.02, 0.05, 0.09, 0.11, 0.3, 0.5]
    narrow = _cells(means, 0.005)
    assert boundary_warning(narrow, tipping_points(narrow, "a", "f", 0.1), 0.1) is None
    wide = _cells(means, 0.03)
    text = boundary_warning(wide, tipping_points(wide, "a", "f", 0.1), 0.1)
    se = np.median(wide["sd"].to_numpy()[2:4] / np.sqrt(2))
    assert text.startswith("2 runs per point are too few to place the tipping boundary for 1 of 1 rows")
    assert f"Monte Carlo error of a point's mean near the threshold is {se:.3f}" in text and "2 points" in text


def _manifest(method: str, names: list[str], bounds: list[list[float]], **design) -> dict:
    return {
        "name": "synthetic",
        "root_seed": 1,
        "design": {"method": method, "parameters": names},
        "sweep": {"parameters": [{"path": n, "bounds": b} for n, b in zip(names, bounds)], "design": design},
    }


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    from SALib.sample import sobol as sobol_sample

    names, bounds = ["x1", "x2", "x3"], [[-math.pi, math.pi]] * 3
    problem = {"num_vars": 3, "names": names, "bounds": bounds}
    x = sobol_sample.sample(problem, 1024, calc_second_order=True, seed=3)
    a, b = 7.0, 0.1
    y = np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    design = pd.DataFrame({"point": np.arange(len(x))})
    point_stats = pd.DataFrame({"point": np.arange(len(x)), "metric": "y", "mean": y})
    # points given out of order: the indices must not depend on the order of the table
    point_stats = point_stats.sample(frac=1, random_state=0)
    idx = sensitivity(_manifest("sobol", names, bounds, second_order=True), design, point_stats, "y").set_index(
        "parameter"
    )
    v1, v2, v13 = 0.5 * (1 + b * math.pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * math.pi**8 / 225
    var = v1 + v2 + v13
    exact = {"x1": (v1 / var, (v1 + v13) / var), "x2": (v2 / var, v2 / var), "x3": (0.0, v13 / var)}
    for n, (s1, st) in exact.items():
        # within twice the bootstrap 95% half-width (a ~4-sigma band) of the analytic value
        assert abs(idx.loc[n, "S1"] - s1) <= 2 * idx.loc[n, "S1_conf"], n
        assert abs(idx.loc[n, "ST"] - st) <= 2 * idx.loc[n, "ST_conf"], n


def test_morris_mu_star_of_a_linear_function_is_slope_times_range():
    from SALib.sample import morris as morris_sample

    names, bounds = ["a", "b", "c"], [[0, 1], [0, 2], [0, 5]]
    x = morris_sample.sample({"num_vars": 3, "names": names, "bounds": bounds}, 10, num_levels=4, seed=2)
    y = 2 * x[:, 0] - 3 * x[:, 1] + 0 * x[:, 2]
    design = pd.DataFrame({"point": np.arange(len(x)), **{f"sample:{n}": x[:, j] for j, n in enumerate(names)}})
    point_stats = pd.DataFrame({"point": np.arange(len(x)), "metric": "y", "mean": y})
    idx = sensitivity(_manifest("morris", names, bounds, levels=4), design, point_stats, "y").set_index("parameter")
    assert idx.loc["a", "mu_star"] == pytest.approx(2.0)  # slope x width of the range
    assert idx.loc["b", "mu_star"] == pytest.approx(6.0)
    assert idx.loc["b", "mu"] == pytest.approx(-6.0)
    assert idx.loc["c", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert np.allclose(idx["sigma"], 0, atol=1e-12)  # a linear function has no interactions


# --------------------------------------------------------------------------------------------
# analyze on real sweeps
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    path = tiny_sweep(
        folder,
        """
        parameters:
          goals.mean_alignment: [0.2, 0.6, 1.0]
          facilitation.facilitators: [0, 4]
        replicates: 3
    """,
    )
    out = folder / "results"
    run_sweep(load_sweep(path), out, executor="sequential")
    return out


def test_analyze_grid_writes_statistics_phase_diagram_and_tipping_points(grid_results, capsys):
    assert main(["analyze", str(grid_results)]) == 0
    printed = capsys.readouterr().out
    assert "Analysed 18 finished runs" in printed and "Tipping points" in printed
    # parameters in the schema's plain words and units, with their keys
    assert "goal alignment (score) (goals.mean_alignment)" in printed and "  facilitators = 4:" in printed
    out = grid_results / "analysis"
    assert (out / "report.html").is_file()
    for name in ("phase_diagram.png", "lines.png"):
        assert (out / name).read_bytes()[:8] == PNG
    points = pd.read_csv(out / "points.csv")
    runs = pd.read_parquet(grid_results / "runs.parquet")
    share = points[points["metric"] == "final_active_share"].set_index("point")
    assert len(share) == 6 and (share["n"] == 3).all()
    direct = runs.groupby("point")["final_active_share"].agg(["mean", "std"])
    assert np.allclose(share["mean"], direct["mean"], rtol=1e-5) and np.allclose(share["sd"], direct["std"], rtol=1e-5)
    assert ((share["ci_low"] <= share["mean"] + 1e-12) & (share["mean"] <= share["ci_high"] + 1e-12)).all()
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert np.allclose(verdicts.filter(like="_share").sum(axis=1), 1.0)
    tipping = pd.read_csv(out / "tipping_points.csv")
    assert list(tipping["facilitation.facilitators"]) == [0, 4]
    assert set(tipping["where"]) <= {"below", "crosses", "recrosses", "above"}
    assert set(tipping["reading"]) <= {"below", "crosses", "above", "cannot_tell"}


def test_analyze_refuses_bad_requests_with_exit_2(grid_results, tmp_path, capsys):
    assert main(["analyze", str(grid_results), "--x", "platform.friction", "--out", str(tmp_path / "a")]) == 2
    assert "not a swept parameter" in capsys.readouterr().err
    assert main(["analyze", str(grid_results), "--metric", "verdict", "--out", str(tmp_path / "a")]) == 2
    assert "not a numeric metric" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path)]) == 2
    assert "no sweep results here" in capsys.readouterr().err


@pytest.mark.parametrize(
    "design,rows", [("{method: sobol, samples: 4}", 4 * (2 * 2 + 2)), ("{method: morris, trajectories: 4}", 4 * 3)]
)
def test_analyze_sensitivity_designs(tmp_path, design, rows):
    path = tiny_sweep(
        tmp_path,
        f"""
        design: {design}
        parameters:
          goals.mean_alignment: {{bounds: [0.2, 1.0]}}
          facilitation.facilitators: {{bounds: [0, 6]}}
        replicates: 2
        timeseries: false
    """,
    )
    out = tmp_path / "results"
    report = run_sweep(load_sweep(path), out, executor="sequential")
    assert report.ok == rows * 2
    assert not (out / "timeseries").exists()
    result = analyze(out)
    method = design.split()[1].rstrip(",")
    table = pd.read_csv(out / "analysis" / f"{method}_indices.csv")
    assert list(table["parameter"]) == ["goals.mean_alignment", "facilitation.facilitators"]
    key = "ST" if method == "sobol" else "mu_star"
    assert table[key].notna().all()
    assert (out / "analysis" / f"{method}_final_active_share.png").read_bytes()[:8] == PNG
    assert result.indices is not None


# --------------------------------------------------------------------------------------------
# The shipped sweeps
# --------------------------------------------------------------------------------------------


def _shipped(tmp_path: Path, name: str) -> Path:
    """The shipped sweep file, on its real base scenario when there is one, else on a tiny stand-in."""
    src = REPO / "scenarios" / "sweeps" / name
    dst = tmp_path / "sweeps" / name
    dst.parent.mkdir(parents=True)
    shutil.copy(src, dst)
    write(tmp_path, "retail.yaml", TINY_BASE)  # the base the sweeps name: ../retail.yaml
    return dst


def test_shipped_sweeps_load_on_their_real_base():
    for name in ("alignment_x_facilitation.yaml", "levers_morris.yaml"):
        sweep = load_sweep(REPO / "scenarios" / "sweeps" / name)
        assert sweep.base.name == "retail"
        assert len(build_design(sweep)) > 0


def test_alignment_x_facilitation_is_550_runs_and_draws_a_phase_diagram(tmp_path):
    sweep = load_sweep(_shipped(tmp_path, "alignment_x_facilitation.yaml"))
    design = build_design(sweep)
    assert len(design) * sweep.replicates == 550
    assert sorted(design.points["facilitation.facilitators"].unique()) == [0, 1, 2, 4, 8]
    assert sorted(design.points["goals.mean_alignment"].unique()) == [i / 10 for i in range(11)]
    out = tmp_path / "results"
    report = run_sweep(sweep.with_replicates(1), out, executor="sequential")
    assert report.ok == 55
    analyze(out)
    assert (out / "analysis" / "phase_diagram.png").read_bytes()[:8] == PNG
    assert len(pd.read_csv(out / "analysis" / "tipping_points.csv")) == 5


def test_levers_morris_screens_the_main_levers(tmp_path):
    sweep = load_sweep(_shipped(tmp_path, "levers_morris.yaml"))
    levers = {p.path for p in sweep.parameters}
    assert levers == {
        "goals.mean_alignment",
        "facilitation.hours_per_week",
        "facilitation.event_every_weeks",
        "platform.friction",
        "learning.socialisation",
        "turnover.annual_rate",
        "network.cross_store_ties",
        "content.half_life_weeks",
    }
    design = build_design(sweep)
    assert len(design) == sweep.design.trajectories * (len(levers) + 1)
    trimmed = tmp_path / "sweeps" / "small.yaml"
    trimmed.write_text(
        trimmed.with_name("levers_morris.yaml")
        .read_text()
        .replace("trajectories: 20", "trajectories: 4")
        .replace("replicates: 5", "replicates: 1")
    )
    out = tmp_path / "results"
    run_sweep(load_sweep(trimmed), out, executor="sequential")
    result = analyze(out)
    assert set(result.indices["parameter"]) == levers
    assert (result.indices["mu_star"] >= 0).all()
    assert (out / "analysis" / "morris_final_active_share.png").read_bytes()[:8] == PNG


def test_with_two_replicates_analyze_warns_and_lines_show_runs_not_bands(tmp_path, capsys):
    from matplotlib.collections import PathCollection, PolyCollection

    from ecosim.plotting.sweep import lines
    from ecosim.sweep.analysis import cell_stats

    path = tiny_sweep(
        tmp_path,
        """
        parameters:
          goals.mean_alignment: [0.0, 0.3, 0.6, 0.9]
          facilitation.facilitators: [0, 4]
        replicates: 2
    """,
    )
    out = tmp_path / "results"
    run_sweep(load_sweep(path), out, executor="sequential")
    assert main(["analyze", str(out)]) == 0
    captured = capsys.readouterr()
    tipping = pd.read_csv(out / "analysis" / "tipping_points.csv")
    printed = [line for line in captured.out.splitlines() if line.startswith("  facilitators = ")]
    assert [line.split(": ", 1)[1] for line in printed] == list(tipping["statement"])
    assert (tipping["reading"] == "cannot_tell").all()  # 2 runs: Student's t with 1 degree of freedom
    # without facilitators every interval straddles the threshold; with four, two runs at 0.9 agree
    # closely enough to lie above it, yet the boundary below cannot be placed
    assert list(tipping["statement"]) == [
        "cannot tell: every interval straddles the threshold",
        "cannot tell where it leaves the ghost town: cannot tell at 0 to 0.6, above the threshold at 0.9",
    ]
    (warning,) = captured.err.splitlines()
    assert warning.startswith("warning: 2 runs per point are too few to place the tipping boundary for 2 of 2 rows")
    assert "Monte Carlo error of a point's mean near the threshold is" in warning and "--replicates" in warning
    # lines.png: no band that fills the plot, each run a dot
    runs = pd.read_parquet(out / "runs.parquet")
    grid = cell_stats(runs, "goals.mean_alignment", "facilitation.facilitators", "final_active_share")
    fig = lines(grid, "goals.mean_alignment", "facilitation.facilitators", "final_active_share", 0.1, "t", runs=runs)
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == len(runs) == 16
    assert "too few for a 95% band" in " ".join(text.get_text() for text in fig.texts)
    # three runs a point: bands again
    grid3 = grid.assign(n=3)
    ax3 = lines(grid3, "goals.mean_alignment", "facilitation.facilitators", "final_active_share", 0.1, "t").axes[0]
    assert [c for c in ax3.collections if isinstance(c, PolyCollection)]
