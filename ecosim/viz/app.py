"""The browser page: a Mesa SolaraViz app for one scenario file.

``python -m ecosim viz SCENARIO`` serves :func:`Page` (see :mod:`ecosim.viz.server`); it can also
be served by Solara directly with the scenario in ``ECOSIM_VIZ_SCENARIO``::

    ECOSIM_VIZ_SCENARIO=scenarios/retail.yaml solara run ecosim.viz.app

Each browser tab (each Solara session) builds its own model, so tabs never share one. Mesa's
controller (``mesa.visualization.solara_viz.ModelController``) steps, plays and resets the model;
the sidebar around it is ecosim's own: sliders that show their value and unit at all times, the
seed, the pace of play and "Week 3 of 52". Reset rebuilds the model from the scenario file with
the page's inputs as overrides, through :func:`ecosim.scenario.loader.load_scenario`, so every
value is validated by the schema. An input the schema refuses is reported on the page and only
that input is replaced by the scenario file's value; every valid change is kept, and the inputs
are set back to the values the model uses, so the page never shows a value the model is not using.
"""

from __future__ import annotations

import html
import itertools
import logging
import os
import threading
from typing import Any

import numpy as np
import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from ecosim.core import metrics
from ecosim.errors import InputError
from ecosim.experiment.model import EcosystemModel
from ecosim.plotting import page as drawing
from ecosim.plotting import style
from ecosim.plotting.html import render as render_template
from ecosim.scenario.loader import load_scenario
from ecosim.viz.levers import SEED_LABEL, Lever, get_value, levers, parse_lever, parse_seed

log = logging.getLogger(__name__)

#: The environment variable naming the scenario file the page serves.
SCENARIO_ENV = "ECOSIM_VIZ_SCENARIO"
#: The environment variable bounding the browser tabs that hold a model at once.
MAX_TABS_ENV = "ECOSIM_VIZ_MAX_TABS"
DEFAULT_MAX_TABS = 20
#: The environment variable giving the seconds a tab's model is kept after its connection is lost.
GRACE_ENV = "ECOSIM_VIZ_GRACE"
DEFAULT_GRACE = 60.0


def max_tabs() -> int:
    """How many browser tabs may hold a model at once (``ECOSIM_VIZ_MAX_TABS``, default 20)."""
    text = os.environ.get(MAX_TABS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_TABS
    if not (len(text) <= 5 and text.isascii() and text.isdigit() and 1 <= int(text) <= 10_000):
        allowed = "a whole number from 1 to 10,000"
        raise InputError("not a number of tabs", file=MAX_TABS_ENV, value=text, allowed=allowed)
    return int(text)


def grace_seconds() -> float:
    """Seconds a tab's model outlives a lost connection (``ECOSIM_VIZ_GRACE``, default 60)."""
    text = os.environ.get(GRACE_ENV, "").strip()
    if not text:
        return DEFAULT_GRACE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:  # also NaN
        raise InputError("not a number of seconds", file=GRACE_ENV, value=text, allowed="0 to 86,400 seconds")
    return value


class Tabs:
    """The browser tabs that hold a model now, at most a given number at once.

    A tab takes a place when its page starts and gives it back when Solara closes the tab's
    session: at once when the tab is closed (the page's close beacon), or when a tab whose
    connection was lost has not come back within the grace (:func:`grace_seconds`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[int] = set()
        self._tokens = itertools.count(1)

    def take(self, limit: int) -> int | None:
        """A token for a new tab's place, or None when ``limit`` tabs hold one already."""
        with self._lock:
            if len(self._held) >= limit:
                return None
            token = next(self._tokens)
            self._held.add(token)
            return token

    def give_back(self, token: int | None) -> None:
        """Free the place of ``token`` (nothing for None)."""
        with self._lock:
            self._held.discard(token)  # type: ignore[arg-type]

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


#: The tabs of this server that hold a model.
TABS = Tabs()


def scenario_path() -> str:
    """The scenario file this server shows (``ECOSIM_VIZ_SCENARIO``)."""
    path = os.environ.get(SCENARIO_ENV)
    if not path:
        raise InputError(f"no scenario file given: set {SCENARIO_ENV} or use `python -m ecosim viz SCENARIO`")
    return path


def load_page_inputs(scenario_path: str, seed: Any, overrides: dict[str, Any]) -> tuple[Any, list[str]]:
    """The scenario with every valid page input applied, and why each refused input was refused.

    Inputs are tried together first; when the schema refuses them, the seed and each lever are
    tried one at a time, so one bad field never discards the others.
    """
    try:
        return load_scenario(scenario_path, overrides, seed=parse_seed(seed)), []
    except InputError:
        pass
    problems = []
    try:
        seed_value = parse_seed(seed)
        if seed_value is not None:
            load_scenario(scenario_path, seed=seed_value)  # and whatever else the schema says of seeds
    except InputError as exc:
        seed_value = None
        problems.append(exc.message())
    kept: dict[str, Any] = {}
    for key, value in overrides.items():
        try:
            load_scenario(scenario_path, {**kept, key: value})
        except InputError as exc:
            problems.append(exc.message())
        else:
            kept[key] = value
    return load_scenario(scenario_path, kept, seed=seed_value), problems


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
        params, problems = load_page_inputs(scenario_path, seed, overrides)
        problem = "; ".join(problems) if problems else None
        if problem:
            log.info("page inputs refused: %s", problem)
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
.ecosim-verdict-not_launched, .ecosim-verdict-not_started, .ecosim-verdict-too_early {
  background: #eceff3; color: #3d4451; }
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
.ecosim-lever { margin-bottom: 2px; padding-top: 26px; }
.ecosim-lever-scale { margin: -12px 0 0 0; line-height: 1.2; }
.ecosim-sidebar-week { font-size: 16px; font-weight: 600; color: #1f3b73; margin: 10px 0 30px 0; }
.ecosim-problem { background: #f8e1e1; color: #8a1f1f; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
"""

NOT_STARTED = "Not started: press Step to simulate a week, or \u25b6 to play."


def current_verdict(model: EcosystemModel) -> tuple[str, str]:
    """(key, plain words) of the verdict if the run ended this week.

    The verdict judges the trend of the last ``verdict.window_weeks`` weeks: until the platform has
    been open that long (or the run reaches its last week) it is too early to tell, and the page says
    so rather than judging a launch spike. The words speak of this week, not of a final week.
    """
    if model.week == 0:
        return "not_started", NOT_STARTED
    launch = model.params.platform.launch_week
    if model.week < launch:
        return "not_launched", f"Not launched yet: the platform opens in week {launch}."
    window = model.params.verdict.window_weeks
    open_weeks = model.week - launch + 1
    if open_weeks < window and model.week < model.params.weeks:
        return "too_early", (
            f"Too early to tell: the verdict looks at the trend over {window} weeks of the platform, "
            f"and it has been open for {open_weeks} week{'s' if open_weeks != 1 else ''}; "
            f"it is given from week {launch + window - 1}."
        )
    columns = model.timeseries_columns()
    key = metrics.verdict(columns["active_share"], True, model.params)
    return key, page_verdict_words(key, float(columns["contributor_share"][-1]))


def page_verdict_words(key: str, contributor_share: float | None) -> str:
    """The verdict's words (:func:`ecosim.core.metrics.verdict_words`) as the page says them: of this week."""
    return metrics.verdict_words(key, contributor_share).replace("in the final week", "this week")


def _fmt(value: Any, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.0f}"
    else:
        text = f"{value:,}"
    if unit == "per year" and isinstance(value, float):
        return f"{value:.0%} a year"
    return f"{text} {unit}".strip() if unit in ("hours", "weeks", "weight") else text


def _html(text: str, testid: str, classes: list[str] | None = None):
    return solara.HTML(
        tag="div", unsafe_innerHTML=text, classes=classes or ["ecosim-card"], attributes={"data-testid": testid}
    )


def StatusPanel(model: PageModel):
    """Scenario, week, the verdict so far in plain words, this week's figures and the settings."""
    params = model.params
    key, words = current_verdict(model)
    now = None
    if model.week:
        row = model.pictures.columns()
        now = {
            "active": row["active_share"][-1],
            "posted": row["contributor_share"][-1],
            "knowledge": row["mean_knowledge"][-1],
            "code": row["org_code_knowledge"][-1],
            "posts": row["content_stock"][-1],
        }
    problem = None
    if model.input_problem:
        problem = (
            f"Refused: {model.input_problem}. That input is back to the scenario file's value; "
            "your other changes are in this run."
        )
    shown = [
        {
            "path": lever.path,
            "label": lever.label,
            "description": lever.description,
            "shown": _fmt(get_value(params, lever.path), lever.unit),
        }
        for lever in levers(params)
    ]
    text = render_template(
        "status.html.j2",
        name=params.name,
        description=(params.description or "").strip(),
        week=model.week,
        weeks=params.weeks,
        learners=model.state.n,
        facilitators=len(model.facilitators),
        verdict_key=key,
        verdict=words,
        now=now,
        window=params.verdict.window_weeks,
        problem=problem,
        levers=shown,
        seed=model.seed,
    )
    return _html(text, "ecosim-status")


def FacilitationPanel(model: PageModel):
    """What the facilitators' hours bought, and how unequal participation is."""
    f = model.params.facilitation
    if f.facilitators and f.hours_per_week:
        who = (
            f"{f.facilitators} facilitator{'s' if f.facilitators > 1 else ''} with {f.hours_per_week:g} hours "
            "a week each run events, reply to newcomers' first posts, seed content on the organisation's "
            "topics and introduce people who do not know each other yet."
        )
    else:
        who = "Nobody facilitates in this run: no events, no replies to newcomers, no seeded content, no introductions."
    context: dict[str, Any] = {"who": who, "rows": [], "ever_visited": 0.0, "ever_posted": 0.0, "top1": None}
    if model.week:
        c = model.pictures.columns()
        labels = (
            ("Events held", "events"),
            ("People at events", "event_attendees"),
            ("Replies to first posts", "replies"),
            ("Posts seeded by facilitators", "seeded_posts"),
            ("Introductions (ties brokered)", "introductions"),
            ("Posts by learners", "posts"),
        )
        top1 = float(c["top1_everyone_post_share"][-1])
        context.update(
            rows=[(label, float(c[k][-1]), float(np.sum(c[k]))) for label, k in labels],
            ever_visited=float(c["ever_active_share"][-1]),
            ever_posted=float(c["ever_posted_share"][-1]),
            top1=None if top1 != top1 else top1,  # NaN: nobody has posted yet
        )
    return _html(render_template("facilitation.html.j2", **context), "ecosim-facilitation")


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
    legend = render_template(
        "network_legend.html.j2", colours=style.ENGAGEMENT_COLOURS, facilitator=style.FACILITATOR
    ).strip()
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
                    f"{net.words.units.capitalize()} are clusters, grouped by {net.words.site} around {net.words.hub}."
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
    "(the pause between weeks sets the pace). To try other levers, move the sliders under Levers "
    "and press <b>Reset</b>: the run starts again from week 0 with them. The same seed gives the same "
    "run, here and with <code>python -m ecosim run</code>; change the seed to see another run of the "
    "same organisation."
)


CAPTIONS = {
    "engagement": "Share of learners who visited the platform each week, and who posted. Under the red band "
    "is a ghost town; at the green line or above, and not falling, it is thriving.",
    "knowledge": "Share of good practices that people know on average, and that the organisation's "
    "playbook (its shared code, March 1991) holds. The playbook learns from the people who know "
    "better than it does.",
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


def model_inputs(model: PageModel) -> dict[str, Any]:
    """What a Reset passes to :class:`PageModel` to rebuild ``model`` as it is: its file, levers and seed."""
    inputs: dict[str, Any] = {"scenario_path": model.scenario_path}
    for lever in levers(model.params):
        value = get_value(model.params, lever.path)
        inputs[lever.path] = int(value) if lever.integer else float(value)
    inputs["seed"] = str(model.seed)
    return inputs


PLAY_LABEL = "milliseconds between weeks when playing"


def week_text(model: PageModel) -> str:
    """The week in words, as the sidebar shows it: "Week 3 of 52"."""
    return f"Week {model.week} of {model.params.weeks}"


def _number(value: float, integer: bool) -> str:
    return f"{int(value):,}" if integer else f"{value:.4g}"


def scale_text(lever: Lever, value: float) -> str:
    """A slider's value, unit and range in words: "0.5 score (0 to 1)"."""
    unit = f" {lever.unit}" if lever.unit else ""
    lo, hi = _number(lever.lo, lever.integer), _number(lever.hi, lever.integer)
    return f"{_number(value, lever.integer)}{unit} ({lo} to {hi})"


#: The Pause slider: the milliseconds between weeks when playing.
PAUSE = Lever(
    path="pause", label="Pause", unit="ms", integer=True, lo=0, hi=1000, step=50, value=150, description=PLAY_LABEL
)


@solara.component
def CheckedSlider(lever: Lever, value: float, on_value, on_refused):
    """A slider that takes only numbers in its range: anything else is refused in words, and the slider stays.

    Solara's own sliders turn what they receive into a number first and show a traceback when that
    fails; a browser's slider never sends anything else, but any program can over the websocket.
    """
    remount = solara.use_reactive(0)  # a new widget shows the value in use again after a refusal

    def take(raw: Any) -> None:
        try:
            number = parse_lever(lever, raw)
        except InputError as exc:
            on_refused(f"{exc.message()}; the slider stays at {_number(value, lever.integer)}")
            remount.set(remount.value + 1)
        else:
            on_value(number)

    return solara.v.Slider(
        v_model=value,
        on_v_model=take,
        label=lever.label,
        min=lever.lo,
        max=lever.hi,
        step=lever.step,
        thumb_label="always",
        hide_details=True,
    ).key(f"slider-{lever.path}-{remount.value}")


@solara.component
def LeverSlider(lever: Lever, value: float, on_value, on_refused=lambda message: None):
    """One lever: a slider with its value always shown, and its value, unit and range in words under it."""
    with solara.Div(classes=["ecosim-lever"], attributes={"title": lever.description}) as main:
        CheckedSlider(lever, value, on_value, on_refused)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(scale_text(lever, value)),
            classes=["ecosim-muted", "ecosim-lever-scale"],
            attributes={"data-testid": f"ecosim-slider-{lever.path}"},
        )
    return main


@solara.component
def Sidebar(model: solara.Reactive[PageModel], inputs: solara.Reactive[dict], play_interval: solara.Reactive[int]):
    """The sidebar: Mesa's Step, Play and Reset, the week in words, the pace, the levers and the seed."""
    update_counter.get()  # redrawn after every step, like the dashboard
    m = model.value
    refused = solara.use_reactive({})  # slider -> why the value it was sent was refused

    def set_input(key: str):
        return lambda value: inputs.set({**inputs.value, key: value})

    def taken(key: str, then):
        def take(value):
            refused.set({k: v for k, v in refused.value.items() if k != key})
            then(value)

        return take

    def refuse(key: str):
        return lambda message: refused.set({**refused.value, key: message})

    with solara.Column() as main:
        for message in refused.value.values():
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(message),
                classes=["ecosim-problem"],
                attributes={"data-testid": "ecosim-input-problem"},
            )
        with solara.Card("Run"):
            # one week a step, drawn after each (Mesa's render interval and threads stay at their defaults)
            ModelController(
                model,
                model_parameters=inputs,
                play_interval=play_interval,
                render_interval=solara.use_reactive(1),
                use_threads=solara.use_reactive(False),
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(week_text(m)),
                classes=["ecosim-sidebar-week"],
                attributes={"data-testid": "ecosim-sidebar-week"},
            )
            with solara.Div(classes=["ecosim-lever"]):
                CheckedSlider(PAUSE, play_interval.value, taken("pause", play_interval.set), refuse("pause"))
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"{PLAY_LABEL}: {play_interval.value} (0 to 1,000)",
                classes=["ecosim-muted", "ecosim-lever-scale"],
                attributes={"data-testid": "ecosim-slider-pause"},
            )
        with solara.Card("Levers"):
            solara.HTML(
                tag="div",
                classes=["ecosim-muted"],
                unsafe_innerHTML="Move the sliders, then press <b>Reset</b>: the run starts again from week 0.",
            )
            for lever in levers(m.params):
                LeverSlider(
                    lever,
                    inputs.value.get(lever.path, lever.value),
                    taken(lever.path, set_input(lever.path)),
                    refuse(lever.path),
                )
            seed = inputs.value.get("seed", str(m.seed))
            solara.InputText(SEED_LABEL, value=seed, on_value=set_input("seed"), continuous_update=True)
    return main


def full_text(limit: int) -> str:
    """What a tab says when ``limit`` tabs hold a model already."""
    import solara.server.settings as settings
    from solara.util import parse_timedelta

    grace = parse_timedelta(settings.kernel.cull_timeout)
    wait = f"{grace:g} seconds" if grace < 120 else f"{grace / 60:g} minutes"
    return (
        f"Not started: this server already runs {limit} model{'s' if limit > 1 else ''}, one for each open tab, "
        "the most it keeps at once "
        f"({MAX_TABS_ENV}). Close a tab you no longer use (or wait {wait} for tabs that lost their connection "
        "to be freed), then reload this page."
    )


@solara.component
def Page():
    """The page: one model per browser tab, up to :func:`max_tabs` tabs at once; or why not."""
    limit = max_tabs()
    # a place among the tabs that hold a model, given back when Solara closes this tab's session
    token = solara.use_memo(lambda: TABS.take(limit), [])
    solara.use_effect(lambda: lambda: TABS.give_back(token), [])
    if token is None:
        log.warning("a new tab was refused: %d tabs hold a model (%s)", limit, MAX_TABS_ENV)
        solara.Style(CSS)
        solara.Title("ecosim: the server is full")
        solara.HTML(
            tag="div",
            unsafe_innerHTML=html.escape(full_text(limit)),
            classes=["ecosim-problem"],
            attributes={"data-testid": "ecosim-full"},
        )
        return
    ModelPage(scenario_path())


@solara.component
def ModelPage(path: str):
    """One tab's model, ecosim's sidebar around Mesa's controller, and the dashboard."""
    # one model per browser tab: built inside the session, never at module level
    first = solara.use_memo(lambda: PageModel(path), [])
    model = solara.use_reactive(first)
    inputs = solara.use_reactive(model_inputs(first))
    play_interval = solara.use_reactive(150)

    def show_inputs_in_use():
        # after a Reset, the inputs show what the model uses: a refused input is set back to the
        # file's value, every valid change stays as it was
        if model.value.input_problem:
            inputs.set(model_inputs(model.value))

    solara.use_effect(show_inputs_in_use, [model.value])
    solara.Style(CSS)
    solara.Title(f"ecosim: {first.params.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"ecosim: will people come? Scenario {first.params.name}")
    with solara.Sidebar():
        Sidebar(model, inputs, play_interval)
    Dashboard(model)
