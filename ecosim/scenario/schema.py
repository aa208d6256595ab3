"""The scenario schema: every parameter of ecosim, declared once.

Each parameter is a pydantic field with its type, range, unit, default and a one-line description
that cites its source where it has one. The same declaration validates YAML files, produces the
JSON Schema (``python -m ecosim schema``), generates ``docs/scenarios.md``, bounds sweep ranges and
feeds the sliders of the browser visualisation.

Time is in weeks throughout: one model step is one week.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from ecosim.core.limits import MAX_TIES

#: typing speed ratio keyboard / phone, 52 vs 36 words per minute (Palin 2019; Dhakal 2018).
PHONE_TYPING_COST_RATIO = 52.0 / 36.0


def param(
    default: Any,
    description: str,
    *,
    unit: str = "",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    source: str = "",
    lever: bool = False,
    mid_run: bool = False,
) -> Any:
    """Declare one scenario parameter.

    Args:
        default: the value used when a scenario does not set it.
        description: one line saying what the parameter means.
        unit: its unit (``weeks``, ``share``, ``log-odds``, ...).
        ge: inclusive lower bound.
        le: inclusive upper bound.
        gt: exclusive lower bound.
        lt: exclusive upper bound.
        source: where the default comes from, when it comes from a published fact.
        lever: whether it is one of the main levers shown as sliders in the browser app.
        mid_run: whether a scenario's ``interventions`` may change it during a run.
    """
    extra: dict[str, Any] = {}
    if unit:
        extra["unit"] = unit
    if source:
        extra["source"] = source
    if lever:
        extra["lever"] = True
    if mid_run:
        extra["mid_run"] = True
    text = description if not source else f"{description} Source: {source}."
    return Field(
        default,
        description=text,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        json_schema_extra=extra or None,
    )


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)


# --------------------------------------------------------------------------------------------
# The organisation and its network
# --------------------------------------------------------------------------------------------


class Organisation(Section):
    """Who works where. Used by the ``retail`` network generator."""

    stores: int = param(40, "Number of stores.", unit="stores", ge=1, le=1_000_000)
    staff_per_store: float = param(
        15.0,
        "Mean number of staff per store, the store manager included.",
        unit="people",
        ge=1,
        le=5000,
        source="BLS: ~15 in a typical US store; big-box stores 200-350",
    )
    store_size_spread: float = param(
        0.3,
        "Coefficient of variation of store sizes (0: every store the same size).",
        unit="ratio",
        ge=0,
        le=2,
    )
    regions: int = param(4, "Number of regions, each led by an area manager.", unit="regions", ge=1, le=100_000)
    head_office: int = param(30, "Staff at head office.", unit="people", ge=0, le=1_000_000)
    mobile_only_share: float = param(
        0.8,
        "Share of store staff who reach the platform only from a phone (head office staff use desktops).",
        unit="share",
        ge=0,
        le=1,
    )
    unit_word: str = param(
        "store",
        "What the organisation calls a store, the group people work in (team, ward, branch, office): "
        "used in every message, figure, report and page.",
    )
    units_word: str | None = param(None, "The plural of unit_word (default: unit_word with an s).")
    site_word: str = param(
        "region", "What the organisation calls a region, the units under one manager (site, division, hospital)."
    )
    sites_word: str | None = param(None, "The plural of site_word (default: site_word with an s).")
    hub_word: str = param(
        "head office", "What the organisation calls its head office, the staff who work centrally (shared services)."
    )

    @field_validator("unit_word", "units_word", "site_word", "sites_word", "hub_word")
    @classmethod
    def _a_word(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z][A-Za-z' -]{0,39}", value):
            raise ValueError(
                f"organisation.{info.field_name} is not a word: {value!r}; "
                "allowed: 1-40 letters, spaces, hyphens or apostrophes"
            )
        return value


NetworkKind = Literal["retail", "erdos_renyi", "watts_strogatz", "barabasi_albert", "complete", "edgelist", "hr"]


class Network(Section):
    """Who talks to whom."""

    kind: NetworkKind = param(
        "retail",
        "Network generator: retail (stores, regions, head office), erdos_renyi, watts_strogatz, "
        "barabasi_albert, complete, edgelist (a CSV file of a real organisation's ties), or hr (the "
        "organisation's HR file: units, sites and managers; docs/import.md).",
    )
    learners: int | None = param(
        None,
        "Number of learners for the generic generators (erdos_renyi, watts_strogatz, barabasi_albert, "
        "complete); the retail generator derives it from the organisation.",
        unit="people",
        ge=2,
        le=20_000_000,
    )
    mean_degree: float = param(8.0, "erdos_renyi: mean number of ties per learner.", unit="ties", gt=0, le=10_000)
    neighbours: int = param(
        8, "watts_strogatz: ties per learner in the ring before rewiring (even).", unit="ties", ge=2, le=10_000
    )
    rewiring: float = param(
        0.1, "watts_strogatz: probability that a ring tie is rewired.", unit="probability", ge=0, le=1
    )
    attachments: int = param(
        4, "barabasi_albert: ties each new learner makes by preferential attachment.", unit="ties", ge=1, le=10_000
    )
    within_store_tie_prob: float = param(
        0.6,
        "retail and hr: probability that two colleagues in the same store (an HR file's unit) talk regularly.",
        unit="probability",
        ge=0,
        le=1,
    )
    cross_store_ties: float = param(
        0.3,
        "retail and hr: mean number of ties a learner has to staff of other stores (friends, past stores).",
        unit="ties",
        ge=0,
        le=1000,
    )
    head_office_tie_prob: float = param(
        0.3, "retail: probability that two head-office staff talk regularly.", unit="probability", ge=0, le=1
    )
    manager_ties: bool = param(
        True,
        "retail: managers are tied to their staff, their region's peers, their area manager and head office "
        "(false: no ties of the line at all).",
    )
    path: str | None = param(
        None,
        "edgelist: CSV file with columns source,target (one tie per row); hr: the HR file (CSV: employee_id, "
        "start_date and any of end_date, unit, site, manager_id, role); relative to the scenario file.",
    )
    hr_date: str | None = param(
        None,
        "hr: the day whose staff are the learners (YYYY-MM-DD): everyone started by then and not yet left; "
        "default: the latest start or end date in the file.",
    )
    manager_ties: bool = param(True, "hr: everyone talks regularly with their manager (manager_id).")
    cross_site_share: float = param(
        0.2,
        "hr: share of the ties to other units (network.cross_store_ties) that go to another site.",
        unit="share",
        ge=0,
        le=1,
    )
    office_roles: list[str] = param(
        [],
        "hr: roles (the HR file's role column) of people who work at a desk without shift or floor time "
        "pressure, as head office staff do.",
    )
    hr_turnover: bool = param(
        True,
        "hr: set turnover.annual_rate from the HR file: leavers in the year up to network.hr_date per head.",
    )
    nodes_path: str | None = param(
        None,
        "edgelist: optional CSV file with columns id and any of store, region, role "
        "(associate, store_manager, area_manager, head_office), relative to the scenario file.",
    )

    @field_validator("hr_date", mode="before")
    @classmethod
    def _day_as_text(cls, value: Any) -> Any:
        import datetime as dt

        return value.isoformat() if isinstance(value, dt.date) else value

    @model_validator(mode="after")
    def _kind_needs(self) -> Network:
        generic = {"erdos_renyi", "watts_strogatz", "barabasi_albert", "complete"}
        if self.kind in generic and self.learners is None:
            raise ValueError(f"network.learners is required when network.kind is {self.kind}")
        if self.kind == "edgelist" and self.path is None:
            raise ValueError("network.path (a CSV edge list) is required when network.kind is edgelist")
        if self.kind == "hr" and self.path is None:
            raise ValueError("network.path (the HR file, a CSV file) is required when network.kind is hr")
        if self.hr_date is not None:
            import datetime as dt

            try:
                dt.date.fromisoformat(self.hr_date)
            except ValueError:
                raise ValueError(f"network.hr_date is not a date: {self.hr_date!r}; allowed: YYYY-MM-DD") from None
        if self.kind == "watts_strogatz" and self.neighbours % 2:
            raise ValueError(f"network.neighbours must be even for watts_strogatz, got {self.neighbours}")
        if self.kind == "watts_strogatz" and self.neighbours >= self.learners:
            raise ValueError(
                f"network.neighbours ({self.neighbours}) must be smaller than network.learners ({self.learners})"
            )
        expected = {
            "erdos_renyi": lambda: self.learners * self.mean_degree / 2,
            "watts_strogatz": lambda: self.learners * self.neighbours / 2,
            "barabasi_albert": lambda: self.learners * self.attachments,
        }.get(self.kind)
        if expected is not None and expected() > MAX_TIES:
            raise ValueError(
                f"network.kind {self.kind} with {self.learners:,} learners would have about {expected():,.0f} ties; "
                f"allowed: at most {MAX_TIES:,} (fewer learners or a lower degree)"
            )
        if self.kind == "barabasi_albert" and self.attachments >= self.learners:
            raise ValueError(
                f"network.attachments ({self.attachments}) must be smaller than network.learners ({self.learners})"
            )
        return self

    def arrays(self):
        """The edge list (and nodes file) read into arrays for the core (``kind: edgelist``)."""
        from ecosim.scenario.edgelist import read_network

        return read_network(self.path, self.nodes_path)

    def staff(self):
        """The HR file read into arrays for the core (``kind: hr``): units, sites, managers, roles."""
        from ecosim.scenario.staff import read_staff

        return read_staff(self.path, hr_date=self.hr_date, office_roles=tuple(self.office_roles))


class Goals(Section):
    """Personal goals against the organisation's goals: the alignment that decides whether people come."""

    topics: int = param(12, "Number of topics that goals and content are spread over.", unit="topics", ge=2, le=64)
    mean_alignment: float = param(
        0.5,
        "Mean alignment: how closely a learner's personal goals match the organisation's goals "
        "(0: unrelated, 1: identical; docs/model.md defines it exactly).",
        unit="cosine",
        ge=0,
        le=1,
        lever=True,
    )
    alignment_sd: float = param(0.15, "Standard deviation of alignment between learners.", unit="cosine", ge=0, le=0.5)
    manager_alignment_bonus: float = param(
        0.1,
        "Extra alignment of store managers, area managers and head office (their goals are closer to "
        "the organisation's).",
        unit="cosine",
        ge=-1,
        le=1,
    )


# --------------------------------------------------------------------------------------------
# The platform, facilitation and engagement
# --------------------------------------------------------------------------------------------


class Platform(Section):
    """The social learning platform the organisation builds."""

    launch_week: int = param(
        1, "Week in which the platform opens (1: from the start).", unit="week", ge=1, le=100_000, lever=True
    )
    friction: float = param(
        1.0,
        "Cost of a weekly visit for a desktop user (log-in, finding things, time away from the floor).",
        unit="log-odds",
        ge=0,
        le=10,
        lever=True,
        mid_run=True,
    )
    mobile_visit_cost: float = param(
        0.5,
        "Extra cost of a visit for mobile-only staff (small screen, no work account on the phone).",
        unit="log-odds",
        ge=0,
        le=10,
        mid_run=True,
    )
    mobile_posting_cost_ratio: float = param(
        PHONE_TYPING_COST_RATIO,
        "How much more a post costs on a phone than on a keyboard (typing speed ratio 52/36 wpm).",
        unit="ratio",
        ge=1,
        le=10,
        source="Palin et al. 2019; Dhakal et al. 2018",
        mid_run=True,
    )
    novelty: float = param(
        4.0, "Curiosity at launch: extra pull of a new platform, fading after launch.", unit="log-odds", ge=0, le=10
    )
    novelty_weeks: float = param(
        4.0, "Time constant over which curiosity at launch fades.", unit="weeks", gt=0, le=1000
    )
    launch_content: float = param(
        1.0,
        "Content seeded before launch, per learner, on the organisation's topics.",
        unit="posts per learner",
        ge=0,
        le=100,
    )


class Facilitation(Section):
    """Facilitators: L&D staff, community managers and champions who facilitate rather than own."""

    facilitators: int = param(3, "Number of facilitators.", unit="people", ge=0, le=100_000, lever=True, mid_run=True)
    hours_per_week: float = param(
        8.0,
        "Hours each facilitator spends on the ecosystem per week.",
        unit="hours",
        ge=0,
        le=60,
        lever=True,
        mid_run=True,
    )
    event_every_weeks: int = param(
        4,
        "Each facilitator runs a facilitated event (a chat, a live session) every this many weeks (0: never).",
        unit="weeks",
        ge=0,
        le=1000,
        lever=True,
        mid_run=True,
    )
    event_hours: float = param(3.0, "Hours to prepare and run one event.", unit="hours", ge=0.01, le=100, mid_run=True)
    event_attendance: float = param(
        0.04,
        "Share of the learners that one event reaches (invited and attending) among those of alignment 0.5; "
        "a learner's chance scales with 0.5 + alignment.",
        unit="share",
        ge=0,
        le=1,
        mid_run=True,
    )
    event_boost: float = param(
        1.0,
        "Pull of having attended an event, fading with facilitation_memory_weeks.",
        unit="log-odds",
        ge=0,
        le=10,
        mid_run=True,
    )
    reply_hours: float = param(
        0.25,
        "Hours to find, read and answer one newcomer's first post.",
        unit="hours",
        ge=0.01,
        le=10,
        mid_run=True,
    )
    reply_share: float = param(
        0.0229,
        "Most of the facilitators' hours left after events that go to answering first posts nobody answered.",
        unit="share",
        ge=0,
        le=1,
        mid_run=True,
    )
    reply_boost: float = param(
        1.2919,
        "Pull of a reply to a first post, on visiting and on posting again, fading with facilitation_memory_weeks.",
        unit="log-odds",
        ge=0,
        le=10,
        source="fitted so that a reply lifts first posters' return within 12 weeks from 44% to 56% "
        "(Joyce & Kraut 2006; docs/model.md section 8)",
        mid_run=True,
    )
    seed_hours: float = param(
        1.0, "Hours to write one post on the organisation's topics.", unit="hours", ge=0.01, le=100, mid_run=True
    )
    broker_hours: float = param(
        1.0,
        "Hours to find, introduce and follow up two active learners from different stores.",
        unit="hours",
        ge=0.01,
        le=100,
        mid_run=True,
    )
    max_brokered_ties: int = param(
        2,
        "Most brokered ties a learner holds at once; each active learner is introduced at most once a week.",
        unit="ties",
        ge=0,
        le=1000,
        mid_run=True,
    )
    seeding_share: float = param(
        0.5,
        "Share of the hours left after events and replies spent seeding content; the rest brokers ties.",
        unit="share",
        ge=0,
        le=1,
        mid_run=True,
    )
    facilitation_memory_weeks: float = param(
        3.0, "Half-life of the pull of an event or a reply.", unit="weeks", gt=0, le=1000
    )


class EcosystemRule(Section):
    """The default engagement rule: usefulness, social proof, facilitation and habit against cost.

    A learner visits the platform in a week with probability logistic(U), where U adds these
    weights (log-odds) times their drivers; a visitor posts with probability logistic(V).
    """

    intercept: float = param(-5.1694, "Baseline log-odds of a visit.", unit="log-odds", ge=-20, le=20)
    usefulness: float = param(
        2.3828,
        "Weight of perceived usefulness (relevance of the content to the learner's goals x its value); "
        "performance expectancy is the strongest predictor of use.",
        unit="log-odds",
        ge=0,
        le=50,
        source="Venkatesh et al. 2003 (UTAUT)",
    )
    local_social: float = param(
        0.0,
        "Weight of the share of a learner's colleagues (network neighbours) who were active last week "
        "(superseded by exposure, which counts contacts; kept for scenarios that set it).",
        unit="log-odds",
        ge=0,
        le=50,
    )
    exposure: float = param(
        4.0577,
        "Weight of social exposure on a visit: the pull of contacts seen on the platform lately, "
        "saturating in their number (exposure_half_contacts for half the weight).",
        unit="log-odds",
        ge=0,
        le=50,
    )
    post_exposure: float = param(
        2.2895,
        "Weight of contacts seen posting lately on a visitor's posting (someone one knows to talk with).",
        unit="log-odds",
        ge=0,
        le=50,
    )
    exposure_half_contacts: float = param(
        2.749, "Contacts seen lately at which exposure has half its weight.", unit="contacts", gt=0, le=1000
    )
    exposure_shape: float = param(
        2.0149,
        "Exponent of exposure in the number of contacts seen (1: each contact adds less; above 1: "
        "reinforcement, the second contact adds more than the first).",
        unit="exponent",
        ge=0.5,
        le=10,
    )
    exposure_memory_weeks: float = param(
        4.155, "Half-life of a contact's visit or post in what others see of it.", unit="weeks", gt=0, le=104
    )
    critical_mass: float = param(
        1.8944,
        "Weight of perceived organisation-wide activity (the share active last week).",
        unit="log-odds",
        ge=0,
        le=50,
    )
    habit: float = param(1.0295, "Weight of habit (0-1) on a visit.", unit="log-odds", ge=0, le=50)
    propensity_sd: float = param(
        1.5,
        "Standard deviation between learners of their own leaning toward online platforms at all "
        "(a fixed personal offset on a visit).",
        unit="log-odds",
        ge=0,
        le=10,
    )
    habit_rate: float = param(
        0.15, "Share of the way habit moves toward this week's behaviour each week.", unit="per week", gt=0, le=1
    )
    content_half_value: float = param(
        1.0,
        "Relevant content stock at which content has half its value.",
        unit="posts per learner",
        gt=0,
        le=1000,
    )
    content_convexity: float = param(
        1.5,
        "Exponent of content value in stock (>1: value accelerates with stock, so production needs a "
        "committed minority).",
        unit="exponent",
        ge=0.5,
        le=10,
        source="Oliver, Marwell & Teixeira 1985",
    )
    post_intercept: float = param(-6.4946, "Baseline log-odds that a visitor posts.", unit="log-odds", ge=-20, le=20)
    post_usefulness: float = param(
        2.0,
        "Weight of usefulness on posting (people share on what serves their goals).",
        unit="log-odds",
        ge=0,
        le=50,
    )
    post_habit: float = param(2.3519, "Weight of posting habit (0-1) on posting.", unit="log-odds", ge=0, le=50)
    post_propensity_sd: float = param(
        3.2458,
        "Standard deviation between learners of their own leaning toward writing (a fixed personal offset on posting).",
        unit="log-odds",
        ge=0,
        le=10,
    )
    post_cost: float = param(
        0.8,
        "Cost of writing a post on a keyboard (multiplied by the device ratio on phones).",
        unit="log-odds",
        ge=0,
        le=20,
    )
    posts_per_week: float = param(2.0, "Median posts a week of a learner who posts.", unit="posts", gt=0, le=100)
    initial_adopters: int = param(
        0,
        "Learners who are regular visitors from launch (habit 1), chosen at random: the seed of an experiment.",
        unit="people",
        ge=0,
        le=10_000_000,
    )
    max_posts_per_week: int = param(
        20,
        "Most posts one learner writes in a week: a bound of time (twenty posts take a few hours on a phone).",
        unit="posts",
        ge=1,
        le=1000,
    )
    reply_by_contact: float = param(
        0.5376,
        "Chance that a contact who posted last week answers a colleague's first post.",
        unit="probability",
        ge=0,
        le=1,
    )
    reply_by_anyone: float = param(
        0.0081,
        "Chance that someone else who posted last week answers a first post.",
        unit="probability",
        ge=0,
        le=1,
    )
    volume_leaning_correlation: float = param(
        0.4838,
        "Correlation between a learner's leaning toward writing and how much they write when they do "
        "(the few who post often are also those who post most: the superusers of a community).",
        unit="correlation",
        ge=0,
        le=1,
        source="van Mierlo 2014: superusers post often and at length",
    )
    posting_volume_spread: float = param(
        1.1248,
        "Log-normal sigma of how much people post when they post (heavy tail: a few write most).",
        unit="log-sd",
        ge=0,
        le=5,
        source="van Mierlo 2014: top 1% write most posts",
    )


class BassRule(Section):
    """Bass (1969) diffusion on the network: hazard p + q x (adopted neighbours / degree)."""

    p: float = param(
        0.03, "Innovation coefficient (external influence).", unit="per week", ge=0, le=10, source="Bass 1969"
    )
    q: float = param(
        0.38, "Imitation coefficient (internal influence).", unit="per week", ge=0, le=10, source="Bass 1969"
    )
    steps_per_week: int = param(
        1,
        "Sub-steps per week for the hazard 1 - exp(-h dt); more sub-steps approach the continuous model.",
        unit="steps",
        ge=1,
        le=1000,
    )


class ThresholdRule(Section):
    """Threshold adoption (Granovetter 1978; Watts 2002): adopt when enough neighbours have."""

    phi: float = param(
        0.18,
        "Mean fractional threshold: share of neighbours that must have adopted.",
        unit="share",
        ge=0,
        le=1,
        source="Watts 2002",
    )
    phi_sd: float = param(
        0.0, "Standard deviation of thresholds between learners (clipped to 0-1).", unit="share", ge=0, le=1
    )
    counts: list[int] | None = param(
        None,
        "Absolute thresholds (number of adopted neighbours), one per learner, in learner order; "
        "replaces phi (Granovetter 1978).",
    )
    initial_adopters: int = param(
        1, "Learners chosen at random who adopt at the start.", unit="people", ge=0, le=20_000_000
    )

    @field_validator("counts")
    @classmethod
    def _counts_not_negative(cls, counts: list[int] | None) -> list[int] | None:
        bad = next((i for i, c in enumerate(counts or ()) if c < 0), None)
        if bad is not None:
            raise ValueError(f"engagement.threshold.counts[{bad}] is {counts[bad]}; allowed: whole numbers >= 0")
        return counts


class Engagement(Section):
    """How learners decide to visit and post."""

    rule: Literal["ecosystem", "bass", "threshold"] = param(
        "ecosystem", "Engagement rule: ecosystem (default), bass or threshold."
    )
    ecosystem: EcosystemRule = Field(default_factory=EcosystemRule, description="Parameters of the ecosystem rule.")
    bass: BassRule = Field(default_factory=BassRule, description="Parameters of the bass rule.")
    threshold: ThresholdRule = Field(default_factory=ThresholdRule, description="Parameters of the threshold rule.")
    time_pressure: float = param(
        0.5, "Cost of time pressure on the shop floor (store staff only).", unit="log-odds", ge=0, le=10, mid_run=True
    )


# --------------------------------------------------------------------------------------------
# Learning and forgetting
# --------------------------------------------------------------------------------------------


class Learning(Section):
    """Knowledge as March (1991) beliefs about practice dimensions, learnt from experience, people and training."""

    dimensions: int = param(
        30, "Number of practice dimensions (March's m).", unit="dimensions", ge=1, le=1000, source="March 1991: m = 30"
    )
    initial_correct: float = param(
        0.3, "Share of dimensions an existing learner starts out right about.", unit="share", ge=0, le=1
    )
    initial_wrong: float = param(
        0.2, "Share of dimensions an existing learner starts out wrong about.", unit="share", ge=0, le=1
    )
    newcomer_correct: float = param(
        0.0, "Like initial_correct, for newcomers hired by turnover.", unit="share", ge=0, le=1
    )
    newcomer_wrong: float = param(0.0, "Like initial_wrong, for newcomers hired by turnover.", unit="share", ge=0, le=1)
    experiential: float = param(
        0.01,
        "Learning from experience: weekly probability, per dimension, of learning the truth on the job.",
        unit="per week",
        ge=0,
        le=1,
        mid_run=True,
    )
    social: float = param(
        0.3,
        "Learning from people: weekly probability of learning one belief from a colleague (a network neighbour), "
        "and from each contact a facilitator brokered.",
        unit="per week",
        ge=0,
        le=1,
        mid_run=True,
    )
    platform_reads: float = param(
        1.0,
        "Social learning through the platform: beliefs a visitor picks up per week from posts, "
        "each from a random post's author.",
        unit="beliefs per week",
        ge=0,
        le=100,
        mid_run=True,
    )
    socialisation: float = param(
        0.01,
        "Formal learning: weekly probability, per dimension, of moving one step toward the "
        "organisational code (March's p1; ~35 h of training a year).",
        unit="per week",
        ge=0,
        le=1,
        source="March 1991 (p1); ATD 2018/2020: ~34-35 h per employee per year",
        mid_run=True,
    )
    code_learning: float = param(
        0.1,
        "Code learning: March's p2, how readily the organisational code adopts the majority view of "
        "those who outperform it.",
        unit="per week",
        ge=0,
        le=1,
        source="March 1991 (p2)",
    )
    offline_visibility: float = param(
        0.1,
        "Share of learners who do not post whose knowledge the organisation still sees in a week "
        "(contributors are always seen). 1 gives March's original model.",
        unit="share",
        ge=0,
        le=1,
    )
    seed_accuracy: float = param(
        1.0,
        "How faithfully facilitators' posts carry the organisational code: a reader of a seeded post learns "
        "the code's belief with this probability, else a coin flip (1: exactly the code).",
        unit="share",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _shares(self) -> Learning:
        for prefix in ("initial", "newcomer"):
            total = getattr(self, f"{prefix}_correct") + getattr(self, f"{prefix}_wrong")
            if total > 1 + 1e-12:
                raise ValueError(
                    f"learning.{prefix}_correct + learning.{prefix}_wrong must be at most 1, got {total:g}"
                )
        return self


class Forgetting(Section):
    """Forgetting: power-law decay of unused beliefs (Ebbinghaus), slowed by reflecting and posting."""

    enabled: bool = param(True, "Whether beliefs decay.")
    rate: float = param(
        0.0738,
        "Weekly probability that a belief just learnt is forgotten; it falls with the belief's age as a power law.",
        unit="per week",
        ge=0,
        le=1,
        source="fitted: half of unused knowledge is lost in about 6.5 months (Tatel & Ackerman, skill-decay "
        "meta-analysis; Arthur et al. 1998)",
    )
    exponent: float = param(
        0.5,
        "Power-law exponent: the weekly hazard at age t weeks is rate / (1 + t) ** exponent.",
        unit="exponent",
        ge=0,
        le=5,
        source="Wixted & Ebbesen 1991; Rubin & Wenzel 1996 (power law fits better than one half-life)",
    )
    posting_protection: float = param(
        0.5,
        "How much posting (retrieval practice, reflection) cuts a contributor's forgetting that week.",
        unit="share",
        ge=0,
        le=1,
        source="Roediger & Karpicke 2006 (testing effect)",
    )
    visiting_protection: float = param(
        0.2, "How much visiting the platform cuts forgetting that week.", unit="share", ge=0, le=1
    )


class Content(Section):
    """The platform's content stock."""

    half_life_weeks: float = param(
        12.0,
        "Half-life of a post's value (information decays; a main driver of collective adoption).",
        unit="weeks",
        gt=0,
        le=100_000,
        lever=False,
        source="Foote et al. 2024",
    )


class Turnover(Section):
    """Leavers are replaced by newcomers: no knowledge, no habit, fresh goals."""

    annual_rate: float = param(
        0.6,
        "Separations per year per head (the weekly leaving probability is annual_rate / 52).",
        unit="per year",
        ge=0,
        le=52,
        lever=True,
        source="NRF / BLS: ~60% a year in frontline retail",
        mid_run=True,
    )


class Verdict(Section):
    """How the end of a run is judged."""

    ghost_town_below: float = param(
        0.10, "Weekly active share at the end under which the ecosystem is a ghost town.", unit="share", ge=0, le=1
    )
    thriving_at: float = param(
        0.40, "Weekly active share at the end from which it is thriving (if not falling).", unit="share", ge=0, le=1
    )
    window_weeks: int = param(
        12, "Weeks at the end over which the trend of the active share is measured.", unit="weeks", ge=2, le=1000
    )
    max_drop: float = param(
        0.05,
        "Drop of the active share over the window (least-squares slope x window) above which it counts as falling.",
        unit="share",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _ordered(self) -> Verdict:
        if self.ghost_town_below > self.thriving_at:
            raise ValueError(
                f"verdict.ghost_town_below ({self.ghost_town_below:g}) must not exceed "
                f"verdict.thriving_at ({self.thriving_at:g})"
            )
        return self


class Costs(Section):
    """What the levers cost, in one currency of the scenario's choosing, so that options can be weighed.

    Facilitators are paid for the hours they spend from launch on (``facilitation.hours_per_week``
    each), events for their own costs on top of those hours, the platform's licence for every learner
    employed in every month from launch, and formal training for its hours (``learning.socialisation``
    0.01 counts as 35 h a year per learner).
    """

    facilitator_hour: float = param(0.0, "Cost of one facilitator hour.", unit="currency per hour", ge=0, le=1e6)
    event: float = param(
        0.0,
        "Cost of one facilitated event beyond its facilitator hours (room, food, travel).",
        unit="currency",
        ge=0,
        le=1e9,
    )
    licence_per_learner_month: float = param(
        0.0, "Platform licence per learner per month, from launch.", unit="currency per learner-month", ge=0, le=1e6
    )
    training_hour: float = param(
        0.0,
        "Cost of one hour of formal training of one learner (trainer and time away from work).",
        unit="currency per hour",
        ge=0,
        le=1e6,
    )
    value_per_active_learner_week: float = param(
        0.0,
        "What a week in which one learner visits the platform is worth to the organisation (set it to price "
        "the options' value: run and compare then give each option's net value and return).",
        unit="currency per learner-week",
        ge=0,
        le=1e6,
    )
    value_per_capability_point: float = param(
        0.0,
        "What one percentage point of capability on the organisation's topics gained over the run is worth.",
        unit="currency per point",
        ge=0,
        le=1e12,
    )


def _mid_run_levers() -> dict[str, tuple[type[BaseModel], str]]:
    """The levers that interventions may change: dotted path -> (section model, field name)."""
    out = {}
    for name, fld in Scenario.model_fields.items():
        section = fld.annotation
        if not (isinstance(section, type) and issubclass(section, BaseModel)):
            continue
        for key, sub in section.model_fields.items():
            extra = sub.json_schema_extra if isinstance(sub.json_schema_extra, dict) else {}
            if extra.get("mid_run"):
                out[f"{name}.{key}"] = (section, key)
    return out


class Intervention(Section):
    """A change of levers during the run: at a week, or once a condition on the weekly metrics has held.

    ``set`` maps levers that may change mid-run (marked *Mid-run* in the tables above) to their new values. A
    condition (``when``) is a metric of the weekly table, a comparison (<, <=, >, >=, ==, !=) and a
    number, joined by ``and`` or ``or``, e.g. ``active_share < 0.15 and week >= 8``; it is checked on
    each finished week, and the change is made at the start of the week after it has held
    ``for_weeks`` weeks in a row.
    """

    week: int | None = param(
        None, "Week at whose start the levers change (instead of when).", unit="week", ge=1, le=100_000
    )
    when: str | None = param(None, "Condition on the weekly metrics that triggers the change (instead of week).")
    for_weeks: int = param(
        1, "Weeks in a row the condition must hold before the change is made.", unit="weeks", ge=1, le=100_000
    )
    once: bool = param(
        False,
        "With a condition: make the change only once (otherwise again after every further for_weeks weeks it holds).",
    )
    set: dict[str, float | int] = Field(
        ..., description="Levers to change, as dotted paths to their new values, e.g. {facilitation.facilitators: 6}."
    )

    @model_validator(mode="after")
    def _check(self) -> Intervention:
        from pydantic import ValidationError

        from ecosim.core.interventions import ConditionError, parse_condition
        from ecosim.core.metrics import COLUMNS

        if (self.week is None) == (self.when is None):
            raise ValueError("an intervention needs exactly one of 'week' (a week number) or 'when' (a condition)")
        if self.when is not None:
            try:
                parse_condition(self.when, list(COLUMNS))
            except ConditionError as exc:
                raise ValueError(f"when: {exc} (got {self.when!r})") from None
        if not self.set:
            raise ValueError("set: an intervention must change at least one lever")
        levers = _mid_run_levers()
        checked = {}
        for path, value in self.set.items():
            if path not in levers:
                from ecosim.errors import did_you_mean

                known = {info.path for info in iter_params()}
                if path in known:
                    problem = f"set: {path} cannot change during a run"
                else:
                    hint = did_you_mean(path, list(levers))
                    problem = f"set: unknown parameter {path!r}" + (f"; {hint}" if hint else "")
                raise ValueError(f"{problem}; allowed: {', '.join(levers)}")
            section, key = levers[path]
            try:
                checked[path] = getattr(section.model_validate({key: value}), key)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise ValueError(
                    f"set: {path}: {err['msg'][0].lower()}{err['msg'][1:]} (got {value!r}); "
                    f"allowed: {param_info(path).allowed()}"
                ) from None
        object.__setattr__(self, "set", checked)  # the values as their levers' types (16 -> 16.0 hours)
        return self


class Scenario(Section):
    """A complete ecosim scenario."""

    #: The file each ``costs`` key was set in, when another file than the scenario's own (``extends``):
    #: reports mark those costs as inherited. Not part of the scenario's content.
    _inherited_costs: dict[str, str] = PrivateAttr(default_factory=dict)

    name: str = Field(
        ...,
        description="Short name, used for the results folder.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=100,
    )
    description: str = param("", "What the scenario represents, in a sentence or two.")
    seed: int = param(1, "Root seed of the random number generator.", ge=0, le=2**63 - 1)
    weeks: int = param(52, "Number of weeks simulated.", unit="weeks", ge=1, le=100_000)
    organisation: Organisation = Field(default_factory=Organisation, description=Organisation.__doc__)
    network: Network = Field(default_factory=Network, description=Network.__doc__)
    goals: Goals = Field(default_factory=Goals, description=Goals.__doc__)
    platform: Platform = Field(default_factory=Platform, description=Platform.__doc__)
    facilitation: Facilitation = Field(default_factory=Facilitation, description=Facilitation.__doc__)
    engagement: Engagement = Field(default_factory=Engagement, description=Engagement.__doc__)
    learning: Learning = Field(default_factory=Learning, description=Learning.__doc__)
    forgetting: Forgetting = Field(default_factory=Forgetting, description=Forgetting.__doc__)
    content: Content = Field(default_factory=Content, description=Content.__doc__)
    turnover: Turnover = Field(default_factory=Turnover, description=Turnover.__doc__)
    verdict: Verdict = Field(default_factory=Verdict, description=Verdict.__doc__)
    costs: Costs = Field(default_factory=Costs, description=Costs.__doc__)
    interventions: list[Intervention] = Field(
        default_factory=list, description="Changes of levers during the run (see below)."
    )
    weights: Literal["defaults", "posterior"] = Field(
        "defaults",
        description="The engagement weights no study measures: 'defaults' uses the values above (the fit's "
        "best particle); 'posterior' draws each run's from the fit's posterior, by the run's seed, so a "
        "verdict carries the model's own uncertainty (weights the scenario sets itself are kept).",
    )


# --------------------------------------------------------------------------------------------
# Introspection: the one declaration also serves docs, sweeps and sliders
# --------------------------------------------------------------------------------------------


#: Units as people read them, where the exact unit (docs/scenarios.md, docs/model.md) is a modeller's:
#: a log-odds is a weight on the weekly choice (1 roughly multiplies its odds by 2.7), a cosine
#: between goals a score from 0 (unrelated goals) to 1 (the same goals).
PLAIN_UNITS = {
    "log-odds": "weight",
    "cosine": "score",
    "log-sd": "spread",
    "exponent": "power",
    "ratio": "times",
}


#: Plain names of the numeric parameters, for figures, tables, reports and the page's sliders:
#: what an L&D manager would call them (the path names the YAML key; the description explains).
#: A test keeps this table in step with the declarations above.
LABELS = {
    "seed": "random seed",
    "weeks": "weeks simulated",
    "organisation.stores": "stores",
    "organisation.staff_per_store": "staff per store",
    "organisation.store_size_spread": "spread of store sizes",
    "organisation.regions": "regions",
    "organisation.head_office": "head office staff",
    "organisation.mobile_only_share": "staff on phones only",
    "network.learners": "learners",
    "network.mean_degree": "colleagues per learner",
    "network.neighbours": "neighbours per learner",
    "network.rewiring": "rewired ties",
    "network.attachments": "ties per newcomer",
    "network.within_store_tie_prob": "ties within a store",
    "network.cross_store_ties": "ties across stores",
    "network.head_office_tie_prob": "ties within head office",
    "network.cross_site_share": "share of cross-unit ties to other sites",
    "goals.topics": "topics",
    "goals.mean_alignment": "goal alignment",
    "goals.alignment_sd": "spread of goal alignment",
    "goals.manager_alignment_bonus": "managers' extra alignment",
    "platform.launch_week": "launch week",
    "platform.friction": "platform friction",
    "platform.mobile_visit_cost": "extra cost of a visit by phone",
    "platform.mobile_posting_cost_ratio": "cost of posting by phone",
    "platform.novelty": "curiosity at launch",
    "platform.novelty_weeks": "weeks curiosity lasts",
    "platform.launch_content": "content at launch",
    "facilitation.facilitators": "facilitators",
    "facilitation.hours_per_week": "hours per facilitator",
    "facilitation.event_every_weeks": "weeks between events",
    "facilitation.event_hours": "hours per event",
    "facilitation.event_attendance": "event reach",
    "facilitation.event_boost": "pull of an event",
    "facilitation.reply_hours": "hours per reply",
    "facilitation.reply_boost": "pull of a reply",
    "facilitation.seed_hours": "hours per seeded post",
    "facilitation.broker_hours": "hours per introduction",
    "facilitation.max_brokered_ties": "brokered ties per learner",
    "facilitation.seeding_share": "time spent seeding posts",
    "facilitation.reply_share": "time spent answering first posts",
    "facilitation.facilitation_memory_weeks": "how long facilitation is remembered",
    "engagement.ecosystem.intercept": "baseline pull of a visit",
    "engagement.ecosystem.usefulness": "weight of usefulness",
    "engagement.ecosystem.local_social": "weight of colleagues who visit",
    "engagement.ecosystem.critical_mass": "weight of visible activity",
    "engagement.ecosystem.habit": "weight of habit",
    "engagement.ecosystem.propensity_sd": "spread of leaning toward online",
    "engagement.ecosystem.habit_rate": "how fast habits form",
    "engagement.ecosystem.content_half_value": "content for half its value",
    "engagement.ecosystem.content_convexity": "convexity of content value",
    "engagement.ecosystem.post_intercept": "baseline pull of posting",
    "engagement.ecosystem.post_usefulness": "weight of usefulness on posting",
    "engagement.ecosystem.post_habit": "weight of posting habit",
    "engagement.ecosystem.post_propensity_sd": "spread of leaning toward posting",
    "engagement.ecosystem.post_cost": "cost of writing a post",
    "engagement.ecosystem.posts_per_week": "posts per poster",
    "engagement.ecosystem.posting_volume_spread": "spread of posting volume",
    "engagement.ecosystem.volume_leaning_correlation": "volume follows leaning",
    "engagement.ecosystem.exposure": "pull of contacts seen lately",
    "engagement.ecosystem.exposure_half_contacts": "contacts for half the pull",
    "engagement.ecosystem.exposure_memory_weeks": "how long a visit is seen",
    "engagement.ecosystem.exposure_shape": "reinforcement by contacts",
    "engagement.ecosystem.post_exposure": "pull of contacts seen posting",
    "engagement.ecosystem.initial_adopters": "regular visitors from launch",
    "engagement.ecosystem.max_posts_per_week": "most posts a week",
    "engagement.ecosystem.reply_by_contact": "a contact answers a first post",
    "engagement.ecosystem.reply_by_anyone": "anyone answers a first post",
    "engagement.bass.p": "innovation (Bass p)",
    "engagement.bass.q": "imitation (Bass q)",
    "engagement.bass.steps_per_week": "sub-steps per week",
    "engagement.threshold.phi": "mean adoption threshold",
    "engagement.threshold.phi_sd": "spread of thresholds",
    "engagement.threshold.initial_adopters": "first adopters",
    "engagement.time_pressure": "time pressure",
    "learning.dimensions": "practices to learn",
    "learning.initial_correct": "practices known at the start",
    "learning.initial_wrong": "practices misunderstood at the start",
    "learning.newcomer_correct": "practices newcomers know",
    "learning.newcomer_wrong": "practices newcomers misunderstand",
    "learning.experiential": "learning on the job",
    "learning.social": "learning from colleagues",
    "learning.platform_reads": "learning from the platform",
    "learning.socialisation": "formal training",
    "learning.code_learning": "how fast the organisation learns",
    "learning.offline_visibility": "visibility of those who do not post",
    "learning.seed_accuracy": "accuracy of facilitators' posts",
    "forgetting.rate": "forgetting",
    "forgetting.exponent": "forgetting curve exponent",
    "forgetting.posting_protection": "forgetting saved by posting",
    "forgetting.visiting_protection": "forgetting saved by visiting",
    "content.half_life_weeks": "half-life of a post",
    "turnover.annual_rate": "staff turnover",
    "verdict.ghost_town_below": "ghost-town threshold",
    "verdict.thriving_at": "thriving threshold",
    "verdict.window_weeks": "weeks of the trend window",
    "verdict.max_drop": "largest drop still thriving",
    "costs.facilitator_hour": "cost of a facilitator hour",
    "costs.event": "cost of an event",
    "costs.licence_per_learner_month": "licence per learner-month",
    "costs.training_hour": "cost of a training hour",
    "costs.value_per_active_learner_week": "value of an active learner-week",
    "costs.value_per_capability_point": "value of a point of capability",
}


@dataclass(frozen=True)
class ParamInfo:
    """What the schema says about one leaf parameter."""

    path: str
    annotation: Any
    default: Any
    description: str
    unit: str
    ge: float | None
    le: float | None
    gt: float | None
    lt: float | None
    lever: bool
    choices: tuple[str, ...] | None
    mid_run: bool = False

    @property
    def label(self) -> str:
        """The parameter's plain name (from :data:`LABELS`; its key's words when it has none)."""
        return LABELS.get(self.path, self.path.rsplit(".", 1)[-1].replace("_", " "))

    @property
    def label_with_unit(self) -> str:
        """The plain name with its unit for people, for an axis: "staff turnover (per year)"."""
        return f"{self.label} ({self.plain_unit})" if self.plain_unit else self.label

    @property
    def plain_unit(self) -> str:
        """The unit in words for people (:data:`PLAIN_UNITS`): "weight", not "log-odds"; the exact one is ``unit``."""
        return PLAIN_UNITS.get(self.unit, self.unit)

    @property
    def is_numeric(self) -> bool:
        """Whether the parameter is a number (int or float, optionally None)."""
        return self.annotation in (int, float) or self.annotation in (int | None, float | None)

    @property
    def dtype(self) -> str:
        """How sweep results store the parameter: int64, float64, bool, string, or json (lists)."""
        kind = {int: "int64", float: "float64", bool: "bool", str: "string"}.get(self.annotation)
        return kind or ("string" if self.choices else "json")

    @property
    def lower(self) -> float | None:
        """The lower bound, inclusive or exclusive, or None."""
        return self.ge if self.ge is not None else self.gt

    @property
    def upper(self) -> float | None:
        """The upper bound, inclusive or exclusive, or None."""
        return self.le if self.le is not None else self.lt

    def allowed(self) -> str:
        """Describe the allowed values in words."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}.get(
            _strip_optional(self.annotation), "a value"
        )
        parts = []
        if self.ge is not None:
            parts.append(f">= {_num(self.ge)}")
        if self.gt is not None:
            parts.append(f"> {_num(self.gt)}")
        if self.le is not None:
            parts.append(f"<= {_num(self.le)}")
        if self.lt is not None:
            parts.append(f"< {_num(self.lt)}")
        text = kind + (" " + " and ".join(parts) if parts else "")
        if self.unit:
            text += f" ({self.unit})"
        return text


def _num(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def _strip_optional(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _constraint(field: Any, name: str) -> float | None:
    for meta in field.metadata:
        value = getattr(meta, name, None)
        if value is not None:
            return value
    return None


#: How a list entry's index is written in the dotted paths of :func:`iter_params` (``interventions.N.week``).
INDEX = "N"


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    """The item model of a ``list[SomeSection]`` annotation, or None."""
    if getattr(annotation, "__origin__", None) is list:
        (item,) = annotation.__args__
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def iter_params(model: type[BaseModel] = Scenario, prefix: str = "", *, entries: bool = False) -> Iterator[ParamInfo]:
    """Yield every leaf parameter of the schema, depth first, in declaration order.

    A list of sections (``interventions``) is yielded itself; with ``entries``, its entries' keys
    follow as ``interventions.N.<key>`` (for the reference and for checking dotted paths).
    """
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_params(annotation, path + ".", entries=entries)
            continue
        yield field_param(path, field)
        item = _list_item_model(annotation)
        if item is not None and entries:
            yield from iter_params(item, f"{path}.{INDEX}.", entries=True)


def field_param(path: str, field: FieldInfo) -> ParamInfo:
    """What a pydantic field declares (type, bounds, unit, choices, mid-run) as a :class:`ParamInfo`."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    inner = _strip_optional(field.annotation)
    return ParamInfo(
        path=path,
        annotation=inner,
        default=field.get_default(call_default_factory=True),
        description=field.description or "",
        unit=str(extra.get("unit", "")),
        ge=_constraint(field, "ge"),
        le=_constraint(field, "le"),
        gt=_constraint(field, "gt"),
        lt=_constraint(field, "lt"),
        lever=bool(extra.get("lever", False)),
        choices=tuple(inner.__args__) if getattr(inner, "__origin__", None) is Literal else None,
        mid_run=bool(extra.get("mid_run", False)),
    )


def is_index(part: str) -> bool:
    """Whether one part of a dotted path is a list index: the digits 0 to 9 only (``²`` or ``٣`` are not)."""
    return part.isascii() and part.isdigit()


def generic_path(path: str) -> str:
    """A dotted path with list indices written as ``N``: ``interventions.0.week`` -> ``interventions.N.week``."""
    return ".".join(INDEX if is_index(part) else part for part in path.split("."))


def canonical_path(path: str) -> str:
    """A dotted path with each list index written one way: ``interventions.00.week`` -> ``interventions.0.week``."""
    return ".".join(str(int(part)) if is_index(part) else part for part in path.split("."))


def field_of(path: str) -> FieldInfo:
    """The pydantic field declared for a dotted path (list indices allowed); KeyError if there is none."""
    loc = [0 if part == INDEX else part for part in generic_path(path).split(".")]
    _, field = model_at(Scenario, loc)
    if field is None:
        raise KeyError(path)
    return field


def model_at(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[Any, FieldInfo | None]:
    """What validates the value at a pydantic error's ``loc``: (its model or type, the field that declares it).

    Mapping keys and list indices pass to the item type; in a union of models, a tag in ``loc``
    names the member (its class name in lower case). (None, None) when ``loc`` leads nowhere.
    """
    node: Any = model
    field = None
    for part in loc:
        ann = node = _bare(node)
        args = [a for a in getattr(ann, "__args__", ()) if a is not type(None)]
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if part not in ann.model_fields:
                return None, None
            field = ann.model_fields[str(part)]
            node = field.annotation
        elif get_origin(ann) in (dict, list, tuple):
            node = args[-1] if get_origin(ann) is dict else args[0]
        elif members := [m for m in map(_bare, args) if getattr(m, "__name__", "").lower() == part]:
            node = members[0]
        else:
            return None, None
    return _bare(node), field


def _bare(annotation: Any) -> Any:
    """The annotation without ``Annotated[...]`` metadata or an ``| None``."""
    annotation = _strip_optional(annotation)
    return _strip_optional(annotation.__origin__) if get_origin(annotation) is Annotated else annotation


def section_keys(path: tuple[str | int, ...]) -> list[str] | None:
    """The keys allowed in the section at ``path`` (``()`` for the top level), or None if not a section."""
    model: type[BaseModel] = Scenario
    in_list = False
    for key in path:
        if in_list:
            if not isinstance(key, int):
                return None
            in_list = False
            continue
        if not isinstance(key, str) or key not in model.model_fields:
            return None
        annotation = model.model_fields[key].annotation
        item = _list_item_model(annotation)
        if item is not None:
            model, in_list = item, True
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return None if in_list else list(model.model_fields)


def get_value(scenario: Scenario, path: str) -> Any:
    """The value at a dotted ``path`` of a validated scenario."""
    value: Any = scenario
    for key in path.split("."):
        value = value[int(key)] if is_index(key) else getattr(value, key)
    return value


def param_info(path: str) -> ParamInfo:
    """Look up one leaf parameter by its dotted path (list indices allowed); KeyError if there is none."""
    generic = generic_path(path)
    for info in iter_params(entries=True):
        if info.path == generic:
            return info
    raise KeyError(path)
