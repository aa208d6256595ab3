"""Every figure opens as a PNG of the right size, is not blank, keeps its labels in the canvas and speaks plainly."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL = """\
name: small
weeks: 12
organisation: {stores: 8, staff_per_store: 8, regions: 3, head_office: 6}
facilitation: {facilitators: 2}
"""


def _inside(fig) -> None:
    """Nothing drawn outside the canvas: Matplotlib's tight bounding box lies within the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.get_tightbbox(canvas.get_renderer())
    w, h = fig.get_size_inches()
    tol = 0.02  # inches: anti-aliasing of a glyph's edge
    assert box.x0 >= -tol and box.y0 >= -tol, f"clipped on the left or bottom: {box}"
    assert box.x1 <= w + tol and box.y1 <= h + tol, f"clipped on the right or top: {box} in {w}x{h}"


def _png(fig, path: Path) -> np.ndarray:
    """Save ``fig`` as the commands do, open the PNG and check its size and that it is not blank."""
    from PIL import Image

    from ecosim.plotting.style import save

    save(fig, path)
    with Image.open(path) as im:
        assert im.format == "PNG"
        w, h = fig.get_size_inches() * fig.dpi
        assert im.size == (round(w), round(h))
        pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
    ink = np.any(np.abs(pixels - 255) > 30, axis=2).mean()
    assert ink > 0.02, f"{path.name} is nearly blank ({ink:.1%} drawn)"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 8
    return pixels


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _overlapping(texts, renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text() and t.get_visible()]
    return [(a, b) for (a, ba), (b, bb) in combinations(boxes, 2) if ba.overlaps(bb)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from ecosim.api import simulate
    from ecosim.scenario.loader import load_scenario

    folder = tmp_path_factory.mktemp("plotting")
    path = folder / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return simulate(load_scenario(path), keep_model=True)


def test_run_figures_open_unclipped_and_written_with_the_verdict(run, tmp_path):
    from ecosim.plotting import run as figures

    data = figures.payload(run.timeseries, run.model, run.summary)
    ts, name = data["columns"], data["name"]
    drawn = {
        "engagement": figures.engagement(
            ts, name, data["ghost"], data["thriving"], data["verdict"], data["verdict_key"]
        ),
        "knowledge": figures.knowledge(ts, name),
        "content": figures.content(ts, name),
        "network": figures.network(data["network"]),
    }
    for key, fig in drawn.items():
        _inside(fig)
        _png(fig, tmp_path / f"{key}.png")
    # the verdict, in the words the summary prints, is on the engagement figure
    assert data["verdict"].startswith("Verdict: ")
    assert any(data["verdict"] in t.replace("\n", " ") for t in _texts(drawn["engagement"]))
    (tmp_path / "all").mkdir()
    assert figures.render(tmp_path / "all", data) == list(figures.FIGURE_FILES)
    for key in drawn:
        _png(drawn[key], tmp_path / "all" / f"{key}.png")


def test_content_has_one_honest_scale_per_panel(run):
    from ecosim.plotting import run as figures

    ts = {c: run.timeseries[c].to_numpy() for c in run.timeseries.columns}
    fig = figures.content(ts, "small")
    axes = fig.axes
    assert len(axes) == 2, "two panels, no twin axes"
    for ax in axes:
        assert ax.get_ylim()[0] == 0, "each panel's scale starts at zero"
        assert ax.yaxis.get_label_position() == "left"
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert min(ticks) >= 0 and len(set(ticks)) == len(ticks)


def test_knowledge_says_what_it_plots_and_no_two_lines_coincide(run):
    from ecosim.plotting import run as figures

    ts = {c: run.timeseries[c].to_numpy() for c in run.timeseries.columns}
    fig = figures.knowledge(ts, "small")
    ax = fig.axes[0]
    assert "dimension" not in ax.get_ylabel()
    lines = [line.get_ydata() for line in ax.get_lines()]
    for a, b in combinations(lines, 2):
        assert np.max(np.abs(np.asarray(a) - np.asarray(b))) >= 0.02, "two lines on top of each other"
    # two measures that differ are both drawn
    far = dict(ts, org_capability=np.asarray(ts["mean_knowledge"]) + 0.1)
    assert len(figures.knowledge(far, "small").axes[0].get_lines()) == 3


def test_network_names_regions_and_head_office_and_keeps_introductions_faint(run):
    from matplotlib.collections import LineCollection

    from ecosim.plotting import run as figures
    from ecosim.plotting import style

    data = figures.network_data(run.model)
    fig = figures.network(data)
    texts = " ".join(_texts(fig))
    assert "head office" in texts
    assert all(f"region {r}" in texts for r in (1, 2, 3))
    assert f"{data['brokered']:,} introductions by facilitators" in texts
    purple = [c for c in fig.axes[0].collections if isinstance(c, LineCollection) and c.get_alpha() is not None]
    from matplotlib.colors import to_rgba

    brokered = [c for c in purple if np.allclose(c.get_edgecolor()[0][:3], to_rgba(style.FACILITATOR)[:3])]
    assert brokered and all(c.get_alpha() <= 0.1 for c in brokered)


def _indices(params: list[str], rng) -> pd.DataFrame:
    mu = np.sort(rng.uniform(0.01, 0.3, len(params)))[::-1]
    return pd.DataFrame(
        {
            "parameter": params,
            "metric": "final_active_share",
            "mu_star": mu,
            "mu_star_conf": mu * 0.2,
            "sigma": mu * rng.uniform(0.5, 1.2, len(params)),
            "S1": mu,
            "S1_conf": mu * 0.1,
            "ST": mu * 1.2,
            "ST_conf": mu * 0.1,
        }
    )


LEVERS = [
    "platform.friction",
    "learning.socialisation",
    "facilitation.facilitators",
    "goals.mean_alignment",
    "turnover.annual_rate",
    "facilitation.hours_per_week",
    "facilitation.event_every_weeks",
    "platform.mobile_posting_cost_ratio",
]


def test_morris_and_sobol_use_plain_names_and_nothing_overlaps_or_is_clipped(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ecosim.plotting import sweep

    t = _indices(LEVERS, np.random.default_rng(3))
    # two points close together at the far right, where long names used to run off the canvas
    t.loc[0, ["mu_star", "sigma"]] = [0.3, 0.3]
    t.loc[1, ["mu_star", "sigma"]] = [0.298, 0.297]
    for draw in (sweep.morris, sweep.sobol):
        fig = draw(t, "final_active_share", "retail levers", runs_per_point=5)
        _inside(fig)
        _png(fig, tmp_path / f"{draw.__name__}.png")
        labels = [lab.get_text() for lab in fig.axes[0].get_yticklabels()]
        assert any("formal training" in lab for lab in labels) and not any("." in lab for lab in labels)
        assert "weekly active share at the end" in " ".join(_texts(fig))
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        assert not _overlapping(fig.axes[0].get_yticklabels(), renderer)
        if draw is sweep.morris:
            assert not _overlapping(fig.axes[1].texts, renderer)


def test_one_replicate_says_its_noise_on_the_figure():
    from ecosim.plotting import sweep

    t = _indices(LEVERS[:3], np.random.default_rng(1))
    note = "noise between runs is not measured"
    assert note in " ".join(_texts(sweep.morris(t, "final_active_share", "s", runs_per_point=1)))
    assert note not in " ".join(_texts(sweep.morris(t, "final_active_share", "s", runs_per_point=5)))
    xs, ys = [0.1, 0.2, 0.3], [1, 2, 4]
    grid = pd.DataFrame(
        [
            {"goals.mean_alignment": x, "facilitation.facilitators": y, "mean": x + 0.01 * y, "n": 1}
            for x in xs
            for y in ys
        ]
    )
    grid["ci_low"] = grid["ci_high"] = np.nan
    fig = sweep.phase_diagram(
        grid, "goals.mean_alignment", "facilitation.facilitators", "final_active_share", 0.1, 0.4, "s", []
    )
    text = " ".join(_texts(fig)).replace("\n", " ")
    # steps between neighbours: 0.1 along x (6 of them), 0.01 and 0.02 along y (3 each): median 0.06
    assert note in text and "neighbours differ by a median of 0.06" in text
    _inside(fig)
    # the axes are named in plain words with units from the schema
    assert fig.axes[0].get_xlabel() == "goal alignment (score)"
    assert fig.axes[0].get_ylabel() == "facilitators (people)"


def test_every_numeric_parameter_has_a_plain_name():
    from ecosim.scenario.schema import LABELS, iter_params

    numeric = {i.path for i in iter_params() if i.is_numeric}
    assert numeric == set(LABELS)
    assert all(name and "_" not in name and "." not in name for name in LABELS.values())


@pytest.mark.parametrize("case", ["granovetter", "patterns"])
def test_validation_figures_open_unclipped(case, tmp_path):
    from ecosim.plotting import validation
    from ecosim.validation.cases import CASES, QUICK

    fig = validation.DRAW[case](CASES[case](QUICK).data)
    _inside(fig)
    _png(fig, tmp_path / f"{case}.png")


def test_thriving_verdict_says_when_nobody_posts():
    from ecosim.core.metrics import VERDICT_TEXT, verdict_words

    assert "people come, contribute" not in " ".join(VERDICT_TEXT.values())
    assert "nobody posted" in verdict_words("thriving", 0.0)
    assert "4.2% of learners posted" in verdict_words("thriving", 0.042)
    assert verdict_words("ghost_town", 0.0) == VERDICT_TEXT["ghost_town"]


def test_scenarios_figure_draws_a_median_and_a_band_per_scenario(tmp_path):
    from matplotlib.collections import PolyCollection

    from ecosim.plotting import run, style

    rng = np.random.default_rng(0)
    series = {
        "high": (np.clip(0.6 + 0.05 * rng.standard_normal((20, 52)), 0, 1), style.GOOD),
        "low": (np.clip(0.05 + 0.02 * rng.standard_normal((20, 52)), 0, 1), style.GHOST_LINE),
    }
    fig = run.scenarios(series, 0.1, 0.4, "Will they come? Weekly active share, median and 10-90% band over 20 seeds")
    _inside(fig)
    _png(fig, tmp_path / "scenarios.png")
    ax = fig.axes[0]
    medians = [line for line in ax.get_lines() if line.get_label() in series]
    assert [m.get_label() for m in medians] == ["high", "low"]
    assert np.allclose(medians[0].get_ydata(), np.median(series["high"][0], axis=0))
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2


def test_ensemble_and_comparison_figures_open_unclipped(tmp_path):
    from ecosim.ensemble import run_ensemble
    from ecosim.plotting import ensemble
    from ecosim.scenario.loader import load_scenario

    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    ens = run_ensemble(load_scenario(path), 4, executor="sequential", network=True)
    drawn = {"engagement": ensemble.engagement(ens), "knowledge": ensemble.knowledge(ens)}
    for key, fig in drawn.items():
        _inside(fig)
        _png(fig, tmp_path / f"{key}.png")
    # the verdicts over the runs are on the engagement figure
    assert any(ens.verdict_text() in t.replace("\n", " ") for t in _texts(drawn["engagement"]))
    ax = drawn["knowledge"].axes[0]
    medians = [line.get_ydata() for line in ax.get_lines() if "median" in line.get_label()]
    for a, b in combinations(medians, 2):
        assert np.max(np.abs(np.asarray(a) - np.asarray(b))) >= 0.02, "two bands on top of each other"


def _validation_data(case: str) -> dict:
    """Figure data of the shape each validation case hands its figure (made up here: the figure is under test)."""
    t = np.arange(26, dtype=float)
    curve = 1 - np.exp(-0.2 * t)
    if case == "bass_complete":
        panels = [
            {"p": p, "q": q, "mean": curve, "se": np.full(t.size, 0.01), "steps": 8, "weekly_scheme": curve * 0.98}
            for p, q in ((0.03, 0.38), (0.01, 0.5), (0.1, 0.1))
        ]
        return {"panels": panels, "weekly": {"mean": curve, "scheme": curve * 0.99, "gap": 0.05}}
    if case == "bass_networks":
        t = np.arange(31, dtype=float)
        curve = 1 - np.exp(-0.2 * t)
        names = ("complete", "circle", "small world", "random", "scale-free")
        curves = {name: curve * (1 - 0.05 * k) for k, name in enumerate(names)}
        return {"t": t, "lower": curve * 0.7, "upper": curve, "curves": curves, "steps": 8}
    if case == "watts":
        z = np.arange(0.5, 10.01, 0.5)
        counts = np.clip(np.round(30 * np.exp(-((z - 4) ** 2) / 6)), 0, 30)
        size = np.where(counts > 0, 0.8, np.nan)
        return {
            "window": (1.05, 6.5),
            "theory_z": z,
            "theory_freq": counts / 30,
            "theory_size_z": z,
            "theory_size": np.nan_to_num(size),
            "counts": counts,
            "runs": 30,
            "freq": counts / 30,
            "z": z,
            "size": size,
            "phi": 0.18,
            "n": 10_000,
        }
    if case == "march":
        grid = {(p1, p2): (0.5 + 0.3 * p1 * p2, 0.02) for p1 in (0.1, 0.5, 0.9) for p2 in (0.1, 0.5, 0.9)}
        reference = {k: v[0] + 0.01 for k, v in grid.items()}
        turnover = {(p1, p3): (0.6 - p3, 0.02) for p1 in (0.1, 0.5, 0.9) for p3 in (0.0, 0.1, 0.2)}
        return {"grid": grid, "reference": reference, "turnover": turnover}
    raise KeyError(case)


@pytest.mark.parametrize("case", ["bass_complete", "bass_networks", "watts", "march"])
def test_every_other_validation_figure_opens_unclipped(case, tmp_path):
    from ecosim.plotting import validation

    fig = validation.DRAW[case](_validation_data(case))
    _inside(fig)
    _png(fig, tmp_path / f"{case}.png")
