"""The browser page: a Mesa SolaraViz app for one scenario file.

``python -m ecosim viz SCENARIO`` serves :func:`Page` (see :mod:`ecosim.viz.server`); it can also
be served by Solara directly with the scenario in ``ECOSIM_VIZ_SCENARIO``::

    ECOSIM_VIZ_SCENARIO=scenarios/retail.yaml solara run ecosim.viz.app

Each browser tab (each Solara session) builds its own model, so tabs never share one. Mesa's
controls step, play and reset the model; Reset rebuilds it from the scenario file with the
page's inputs as overrides, through :func:`ecosim.scenario.loader.load_scenario`, so every value
is validated by the schema; an input the schema refuses is reported on the page and the
scenario file's own values are used instead.
"""

from __future__ import annotations

import html
import logging
import os
import threading
from typing import Any

import numpy as np
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from ecosim.core import metrics
from ecosim.core.model import EcosystemModel
from ecosim.errors import InputError
from ecosim.plotting import page as drawing
from ecosim.plotting import style
from ecosim.scenario.loader import load_scenario
from ecosim.viz.levers import SEED_LABEL, get_value, levers, parse_seed

log = logging.getLogger(__name__)

#: The environment variable naming the scenario file the page serves.
SCENARIO_ENV = "ECOSIM_VIZ_SCENARIO"


def scenario_path() -> str:
    """The scenario file this server shows (``ECOSIM_VIZ_SCENARIO``)."""
    path = os.environ.get(SCENARIO_ENV)
    if not path:
        raise InputError(f"no scenario file given: set {SCENARIO_ENV} or use `python -m ecosim viz SCENARIO`")
    return path


class PageModel(EcosystemModel):
    """An :class:`EcosystemModel` built from a scenario file and the page's inputs.

    Mesa's Reset calls this class with the page's inputs by name: ``seed`` (text) and each lever
    by its dotted scenario path (``goals.mean_alignment=0.3``), which become overrides of the
    scenario file. Mesa also passes an experiment ``scenario`` object of its own, which this model
    does not use.

    Attributes:
        scenario_path: the scenario file.
        input_problem: why the page's inputs could not be applied (the file's values were used
            instead), or None.
        pictures: the pictures of this model (built when first drawn).
    """

    def __init__(self, scenario_path: str, seed: Any = None, scenario: Any = None, **overrides: Any) -> None:
        try:
            params = load_scenario(scenario_path, overrides, seed=parse_seed(seed))
            problem = None
        except InputError as exc:
            log.info("page inputs refused: %s", exc.message())
            params = load_scenario(scenario_path)
            problem = exc.message()
        super().__init__(params)
        self.scenario_path = str(scenario_path)
        self.input_problem = problem
        self.lock = threading.RLock()  # the play thread steps while the page may be drawing
        self._pictures: PagePictures | None = None

    def step(self) -> None:
        """Simulate one week, holding the lock so the page never draws a half-stepped model."""
        with self.lock:
            super().step()

    @property
    def pictures(self) -> PagePictures:
        """The pictures of this model, built when first asked for."""
        with self.lock:
            if self._pictures is None:
                self._pictures = PagePictures(self)
            return self._pictures


class PagePictures:
    """The network picture and the three curve pictures of one model, drawn at most once a week."""

    def __init__(self, model: PageModel) -> None:
        self.model = model
        self.network = drawing.NetworkPicture(model)
        self.curves = {
            "engagement": drawing.engagement_curves(model),
            "knowledge": drawing.knowledge_curves(model),
            "content": drawing.content_curves(model),
        }
        self._cache: dict[str, tuple[int, bytes, bytes]] = {}
        self._columns: tuple[int, dict[str, np.ndarray]] | None = None

    def columns(self) -> dict[str, np.ndarray]:
        """The model's weekly columns, recomputed at most once a week."""
        week = self.model.week
        if self._columns is None or self._columns[0] != week:
            self._columns = (week, self.model.timeseries_columns())
        return self._columns[1]

    def layers(self, name: str) -> tuple[bytes, bytes]:
        """(background PNG, overlay) bytes of picture ``name`` ("network" or a curve) this week."""
        model = self.model
        with model.lock:
            week = model.week
            hit = self._cache.get(name)
            if hit is not None and hit[0] == week:
                return hit[1], hit[2]
            if name == "network":
                picture = self.network
                overlay = picture.png(model)
            else:
                picture = self.curves[name]
                overlay = picture.png(self.columns())
            self._cache[name] = (week, picture.background, overlay)
            return picture.background, overlay


# ---- the page's parts (the Dashboard draws each with the model after every step) ---------------

CSS = """
.ecosim-grid { display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 14px; padding: 0 14px 14px 14px;
               max-width: 1500px; }
.ecosim-grid > .ecosim-network-area { grid-column: span 7; }
.ecosim-grid > .ecosim-side-area { grid-column: span 5; display: flex; flex-direction: column; gap: 14px; }
.ecosim-grid > .ecosim-third { grid-column: span 4; }
@media (max-width: 1500px) { .ecosim-grid > .ecosim-third { grid-column: span 6; } }
@media (max-width: 1100px) {
  .ecosim-grid > .ecosim-network-area, .ecosim-grid > .ecosim-side-area, .ecosim-grid > .ecosim-third {
    grid-column: span 12; }
}
.ecosim-card { box-sizing: border-box; height: 100%; min-width: 0; padding: 12px 16px 10px 16px; color: #33383f;
               font-size: 14px; line-height: 1.4; display: flex; flex-direction: column; background: #fff;
               border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.14), 0 1px 2px rgba(0,0,0,.08); }
.ecosim-card h3 { font-size: 16px; font-weight: 600; margin: 0 0 2px 0; color: #1f3b73; }
.ecosim-muted { color: #5f6670; font-size: 12.5px; }
.ecosim-stack { position: relative; width: 100%; margin: 6px 0 4px 0; }
.ecosim-stack img { width: 100%; height: auto; display: block; }
.ecosim-stack > div + div { position: absolute; top: 0; left: 0; right: 0; bottom: 0; }
.ecosim-verdict { border-radius: 6px; padding: 7px 12px; margin: 8px 0 4px 0; font-weight: 600; }
.ecosim-verdict-thriving { background: #e3f1e5; color: #245c2f; }
.ecosim-verdict-struggling { background: #fdf0dc; color: #7a4b00; }
.ecosim-verdict-ghost_town { background: #f8e1e1; color: #8a1f1f; }
.ecosim-verdict-not_launched, .ecosim-verdict-not_started { background: #eceff3; color: #3d4451; }
.ecosim-table { border-collapse: collapse; margin-top: 4px; font-size: 13px; }
.ecosim-table td { padding: 1px 14px 1px 0; vertical-align: top; }
.ecosim-table td.v { font-weight: 600; white-space: nowrap; }
.ecosim-legend { margin-top: 2px; }
.ecosim-legend span.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
                          margin: 0 4px 0 8px; vertical-align: middle; }
.ecosim-legend span.line { display: inline-block; width: 18px; height: 0; border-top: 2px solid #7b3294;
                           margin: 0 4px 0 8px; vertical-align: middle; }
.ecosim-howto { margin-top: auto; padding-top: 10px; font-size: 13px; color: #3d4451; }
.ecosim-howto code { font-size: 12px; background: #f1f3f5; padding: 0 3px; border-radius: 3px; }
.ecosim-problem { background: #f8e1e1; color: #8a1f1f; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
"""

NOT_STARTED = "Not started: press Step to simulate a week, or \u25b6 to play."


def current_verdict(model: EcosystemModel) -> tuple[str, str]:
    """(key, plain words) of the verdict if the run ended this week."""
    if model.week == 0:
        return "not_started", NOT_STARTED
    launch = model.params.platform.launch_week
    if model.week < launch:
        return "not_launched", f"Not launched yet: the platform opens in week {launch}."
    columns = model.timeseries_columns()
    key = metrics.verdict(columns["active_share"], True, model.params)
    return key, metrics.verdict_words(key, float(columns["contributor_share"][-1]))


def _fmt(value: Any, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.0f}"
    else:
        text = f"{value:,}"
    if unit == "per year" and isinstance(value, float):
        return f"{value:.0%} a year"
    return f"{text} {unit}".strip() if unit in ("hours", "weeks", "log-odds") else text


def _html(text: str, testid: str, classes: list[str] | None = None):
    return solara.HTML(
        tag="div", unsafe_innerHTML=text, classes=classes or ["ecosim-card"], attributes={"data-testid": testid}
    )


def StatusPanel(model: PageModel):
    """Scenario, week, the verdict so far in plain words, this week's figures and the settings."""
    params = model.params
    key, words = current_verdict(model)
    e = html.escape
    parts = [f"<h3>Scenario: {e(params.name)}</h3>"]
    if params.description:
        parts.append(f"<div class='ecosim-muted'>{e(params.description.strip())}</div>")
    parts.append(
        f"<div style='margin-top:6px'>Week <b data-testid='ecosim-week'>{model.week}</b> of {params.weeks}"
        f" &middot; {model.state.n:,} learners &middot; {len(model.facilitators)} facilitators</div>"
    )
    parts.append(f"<div class='ecosim-verdict ecosim-verdict-{key}' data-testid='ecosim-verdict'>{e(words)}</div>")
    if model.week:
        row = model.pictures.columns()
        parts.append(
            "<div>This week <b>{:.0%}</b> visited and <b>{:.0%}</b> posted. Mean knowledge <b>{:.0%}</b>, "
            "organisational code <b>{:.0%}</b>, <b>{:,.0f}</b> live posts.</div>".format(
                row["active_share"][-1],
                row["contributor_share"][-1],
                row["mean_knowledge"][-1],
                row["org_code_knowledge"][-1],
                row["content_stock"][-1],
            )
        )
        parts.append(
            "<div class='ecosim-muted'>Judged as if the run ended this week, on the weekly active "
            f"share of the last {params.verdict.window_weeks} weeks.</div>"
        )
    if model.input_problem:
        parts.append(
            f"<div class='ecosim-problem' data-testid='ecosim-problem'>Your settings could not be "
            f"applied: {e(model.input_problem)}. This run uses the scenario file's values.</div>"
        )
    rows = []
    for lever in levers(params):
        value = get_value(params, lever.path)
        rows.append(
            f"<tr title='{e(lever.description, quote=True)}'><td>{e(lever.label)}</td>"
            f"<td class='v' data-testid='ecosim-param-{e(lever.path)}'>{e(_fmt(value, lever.unit))}</td></tr>"
        )
    rows.append(f"<tr><td>Seed</td><td class='v' data-testid='ecosim-param-seed'>{model.seed}</td></tr>")
    parts.append(
        "<div style='margin-top:8px'><b>Levers of this run</b> <span class='ecosim-muted'>"
        "(move a slider in the sidebar, its value shows while you drag, then press Reset)</span></div>"
    )
    parts.append(f"<table class='ecosim-table'>{''.join(rows)}</table>")
    return _html("".join(parts), "ecosim-status")


def FacilitationPanel(model: PageModel):
    """What the facilitators' hours bought, and how unequal participation is."""
    params = model.params
    f = params.facilitation
    if f.facilitators and f.hours_per_week:
        who = (
            f"{f.facilitators} facilitator{'s' if f.facilitators > 1 else ''} with {f.hours_per_week:g} hours "
            "a week each run events, reply to newcomers' first posts, seed content on the organisation's "
            "topics and introduce people who do not know each other yet."
        )
    else:
        who = "Nobody facilitates in this run: no events, no replies to newcomers, no seeded content, no introductions."
    parts = ["<h3>Facilitators and participation</h3>", f"<div class='ecosim-muted'>{who}</div>"]
    if model.week:
        c = model.pictures.columns()
        total = {
            k: float(np.sum(c[k]))
            for k in ("events", "event_attendees", "replies", "seeded_posts", "introductions", "posts")
        }
        rows = [
            ("Events held", c["events"][-1], total["events"]),
            ("People at events", c["event_attendees"][-1], total["event_attendees"]),
            ("Replies to first posts", c["replies"][-1], total["replies"]),
            ("Posts seeded by facilitators", c["seeded_posts"][-1], total["seeded_posts"]),
            ("Introductions (ties brokered)", c["introductions"][-1], total["introductions"]),
            ("Posts by learners", c["posts"][-1], total["posts"]),
        ]
        body = "".join(
            f"<tr><td>{label}</td><td class='v'>{week:,.0f}</td><td class='v'>{tot:,.0f}</td></tr>"
            for label, week, tot in rows
        )
        parts.append(
            "<table class='ecosim-table' style='margin-top:8px'><tr><td></td><td class='v'>this week</td>"
            f"<td class='v'>so far</td></tr>{body}</table>"
        )
        top1 = float(c["top1_everyone_post_share"][-1])
        top1 = None if top1 != top1 else top1  # NaN: nobody has posted yet
        parts.append(
            "<div style='margin-top:8px'>Of everyone employed so far, <b>{:.0%}</b> ever visited and <b>{:.0%}</b> "
            "ever posted.{}</div>".format(
                c["ever_active_share"][-1],
                c["ever_posted_share"][-1],
                "" if top1 is None else f" The most active 1% of them wrote <b>{top1:.0%}</b> of the posts.",
            )
        )
        parts.append(
            "<div class='ecosim-muted'>For comparison: in online communities under a quarter of people "
            "ever post, and the most active 1% of all members write about three quarters of the posts "
            "(van Mierlo 2014).</div>"
        )
    else:
        parts.append("<div style='margin-top:8px' class='ecosim-muted'>Figures appear after the first week.</div>")
    return _html("".join(parts), "ecosim-facilitation")


@solara.component
def Layered(background: bytes, overlay: bytes, testid: str, overlay_format: str = "png"):
    """A picture drawn as a background with a transparent overlay on top (see ecosim.viz.drawing)."""
    with solara.Div(classes=["ecosim-stack"], attributes={"data-testid": testid}) as main:
        solara.Image(background, format="png", classes=["ecosim-background"])
        solara.Image(overlay, format=overlay_format, classes=["ecosim-overlay"])
    return main


def NetworkView(model: PageModel):
    """The network coloured by engagement and sized by knowledge, with facilitators and a legend."""
    pictures = model.pictures
    background, overlay = pictures.layers("network")
    net = pictures.network
    c = style.ENGAGEMENT_COLOURS
    legend = (
        f"<span class='dot' style='background:{c[0]};margin-left:0'></span>inactive"
        f"<span class='dot' style='background:{c[1]}'></span>visited"
        f"<span class='dot' style='background:{c[2]}'></span>posted"
        f"<span style='color:{style.FACILITATOR};margin-left:8px'>&#9733;</span> facilitator"
        "<span class='line'></span>tie a facilitator brokered (bold: this week)"
    )
    if net.facilitators > drawing.MAX_FACILITATOR_MARKERS:
        fac = (
            f" The {net.facilitators:,} facilitators are the {drawing.MAX_FACILITATOR_MARKERS} stars "
            f"{net.fac_place} (one star stands for several)."
        )
    elif net.facilitators:
        fac = (
            f" The {net.facilitators} facilitator{'s are' if net.facilitators > 1 else ' is'} "
            f"the star{'s' if net.facilitators > 1 else ''} {net.fac_place}."
        )
    else:
        fac = " There are no facilitators."
    with solara.Div(classes=["ecosim-card"]) as main:
        solara.HTML(tag="h3", unsafe_innerHTML=f"The organisation's network in week {model.week}")
        solara.HTML(
            tag="div",
            classes=["ecosim-muted"],
            unsafe_innerHTML=(
                "Each dot is a learner, coloured by what they did this week and larger the more they know. "
                + (
                    "Stores are clusters, grouped by region around head office."
                    if net.stores_total
                    else "Learners sit on a circle."
                )
                + fac
            ),
        )
        Layered(background, overlay, "ecosim-network", net.layers.overlay_format)
        solara.HTML(tag="div", unsafe_innerHTML=legend, classes=["ecosim-legend", "ecosim-muted"])
        if net.note:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(net.note),
                classes=["ecosim-muted"],
                attributes={"data-testid": "ecosim-network-note"},
            )
        solara.HTML(tag="div", classes=["ecosim-howto"], unsafe_innerHTML=HOW_TO)
    return main


HOW_TO = (
    "<b>How to use this page.</b> <b>Step</b> simulates one week and <b>&#9654;</b> plays week after week "
    "(the play interval sets the pace). To try other levers, move the sliders under Model Parameters "
    "and press <b>Reset</b>: the run starts again from week 0 with them. The same seed gives the same "
    "run, here and with <code>python -m ecosim run</code>; change the seed to see another run of the "
    "same organisation."
)


CAPTIONS = {
    "engagement": "Share of learners who visited the platform each week, and who posted. Under the red band "
    "is a ghost town; at the green line or above, and not falling, it is thriving.",
    "knowledge": "Share of the practice dimensions that learners get right on average, and that the "
    "organisation's shared code gets right (March 1991). The code learns from the people who "
    "know better than it does.",
    "content": "Posts still live on the platform. Each fades with the content half-life of {half:g} weeks, "
    "so a platform needs a steady flow of posts to stay useful.",
}


def _curves_view(name: str):
    def view(model: PageModel):
        background, overlay = model.pictures.layers(name)
        caption = CAPTIONS[name].format(half=model.params.content.half_life_weeks)
        with solara.Div(classes=["ecosim-card"]) as main:
            solara.HTML(tag="h3", unsafe_innerHTML=html.escape(model.pictures.curves[name].title))
            Layered(background, overlay, f"ecosim-plot-{name}")
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(caption), classes=["ecosim-muted"])
        return main

    view.__name__ = f"{name.capitalize()}Plot"
    view.__qualname__ = view.__name__
    return view


EngagementPlot = _curves_view("engagement")
KnowledgePlot = _curves_view("knowledge")
ContentPlot = _curves_view("content")


@solara.component
def Dashboard(model: solara.Reactive[PageModel]):
    """The main area: the network beside the status and who comes; knowledge, content and facilitation below.

    SolaraViz runs the model (Step, Play, Reset in its sidebar) and bumps Mesa's update counter
    after each step; reading the counter here redraws the dashboard then. A Reset replaces
    ``model.value``, which redraws it too.
    """
    update_counter.get()
    m = model.value
    with solara.Div(classes=["ecosim-grid"]) as main:
        with solara.Div(classes=["ecosim-network-area"]):
            NetworkView(m)
        with solara.Div(classes=["ecosim-side-area"]):
            StatusPanel(m)
            EngagementPlot(m)
        for part in (KnowledgePlot, ContentPlot, FacilitationPanel):
            with solara.Div(classes=["ecosim-third"]):
                part(m)
    return main


def model_params(model: PageModel) -> dict[str, Any]:
    """Mesa ``model_params``: the scenario file (fixed), a slider per lever and the seed."""
    params: dict[str, Any] = {"scenario_path": model.scenario_path}
    for lever in levers(model.params):
        params[lever.path] = lever.mesa_param()
    params["seed"] = {"type": "InputText", "value": str(model.seed), "label": SEED_LABEL}
    return params


@solara.component
def Page():
    """The page: one model per browser tab, Mesa's SolaraViz controls and the dashboard."""
    path = scenario_path()
    # one model per browser tab: built inside the session, never at module level
    first = solara.use_memo(lambda: PageModel(path), [])
    model = solara.use_reactive(first)
    solara.Style(CSS)
    solara.Title(f"ecosim: {first.params.name}")
    SolaraViz(
        model,
        components=[],  # the main area is the Dashboard below, laid out for this model
        model_params=model_params(first),
        name=f"ecosim: will people come? Scenario {first.params.name}",
        play_interval=150,
    )
    Dashboard(model)
