"""The engine: many replicates of the learning ecosystem stepped a week at a time, in one vectorised pass.

A batch holds R replicates, each a scenario with a random stream of its own. Their learners sit side
by side as contiguous blocks of rows (:class:`~ecosim.core.layout.Layout`), their networks side by
side as one block-diagonal matrix, and every per-replicate quantity (the platform's content, the
organisational code, the facilitators, the interventions) is kept per replicate. Each mechanism
runs once a week over the whole batch: arithmetic over all rows at once, and every random draw from
the stream of the replicate it belongs to, in the order a replicate alone would make it. So a
replicate gives exactly the run that it gives alone, whatever the batch it is in, its place in the
batch, or where the batch runs. A single run is a batch of one, through the same code.

Replicates of one batch share their shapes and their calendar: the number of weeks, of goal topics
and of practice dimensions, the adoption rule, whether the network is complete, and the launch week
(:func:`batch_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ecosim.core import mechanisms, metrics, network
from ecosim.core.content import ContentStock
from ecosim.core.draws import Draws, Site
from ecosim.core.interventions import Schedule
from ecosim.core.layout import Layout
from ecosim.core.mechanisms import turnover
from ecosim.core.rng import network_rng
from ecosim.core.state import LearnerState
from ecosim.errors import InputError

if TYPE_CHECKING:
    from ecosim.scenario.schema import Scenario


class Observer(Protocol):
    """Something that watches a batch week by week without changing it (a validation's probe).

    ``start`` is called once the batch is set up, ``week`` after each week's metrics; what it
    keeps is its own. The engine passes the batch itself, so an observer reads every array.
    """

    def start(self, engine: Engine) -> None:
        """The batch is set up (week 0)."""

    def week(self, engine: Engine, week: Week) -> None:
        """A week has been simulated and measured."""


class FacilitatorLike(Protocol):
    """What the engine needs of a facilitator: hours, a place in the event rota, and tallies."""

    hours_per_week: float
    offset: int
    events_run: int
    replies: float
    posts_seeded: float
    introductions: float

    def remove(self) -> None:
        """Leave the model (a Mesa agent leaves its model; a plain record has nothing to do)."""


@dataclass(eq=False)
class FacilitatorRecord:
    """A facilitator outside a Mesa model: hours a week, a place in the event rota, what the hours bought."""

    hours_per_week: float
    offset: int
    events_run: int = 0
    replies: float = 0.0
    posts_seeded: float = 0.0
    introductions: float = 0.0

    def remove(self) -> None:
        """Nothing to remove: a record belongs to no model."""


#: Makes a facilitator for replicate r: ``factory(r, hours_per_week, offset)``.
FacilitatorFactory = Callable[[int, float, int], FacilitatorLike]


def _record(r: int, hours: float, offset: int) -> FacilitatorRecord:
    return FacilitatorRecord(float(hours), int(offset))


@dataclass(eq=False)
class Week:
    """What the mechanisms of one week tell each other and the metrics: one typed record, per replicate.

    Counters have one entry per replicate. ``attendees`` holds the rows (sorted) of everyone who
    attended an event this week; ``usefulness`` the perceived usefulness of every row, once the
    engagement step has worked it out.
    """

    number: int
    leavers: np.ndarray
    events: np.ndarray
    event_attendees: np.ndarray
    replies: np.ndarray
    peer_replies: np.ndarray
    seeded_posts: np.ndarray
    introductions: np.ndarray
    posts: np.ndarray
    new_posters: np.ndarray
    interventions: np.ndarray
    attendees: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    usefulness: np.ndarray | None = None

    @classmethod
    def start(cls, number: int, replicates: int) -> Week:
        """A week with nothing done yet."""

        def zeros(dtype: type = np.int64) -> np.ndarray:
            return np.zeros(replicates, dtype=dtype)

        return cls(
            number=number,
            leavers=zeros(),
            events=zeros(),
            event_attendees=zeros(),
            replies=zeros(),
            peer_replies=zeros(),
            seeded_posts=zeros(np.float64),
            introductions=zeros(),
            posts=zeros(),
            new_posters=zeros(),
            interventions=zeros(),
        )


class Levers:
    """The replicates' parameters as vectors, one value per replicate, read once and kept until they change."""

    def __init__(self, scenarios: list[Scenario]) -> None:
        self._scenarios = scenarios
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, path: str) -> np.ndarray:
        """The value of the dotted parameter ``path`` in each replicate (float64)."""
        v = self._cache.get(path)
        if v is None:
            get = attrgetter(path)
            v = np.array([float(get(s)) for s in self._scenarios], dtype=np.float64)
            self._cache[path] = v
        return v

    def changed(self) -> None:
        """Forget the vectors: a replicate's scenario has changed."""
        self._cache.clear()


def batch_key(scenario: Scenario) -> tuple[Any, ...]:
    """What replicates of one batch must share: the shapes of their arrays and their adoption rule."""
    return (
        scenario.weeks,
        scenario.goals.topics,
        scenario.learning.dimensions,
        scenario.engagement.rule,
        scenario.network.kind == "complete",
        scenario.platform.launch_week,
    )


class Engine:
    """R replicates of the learning ecosystem, stepped together a week at a time.

    Args:
        scenarios: one validated scenario per replicate (they share :func:`batch_key`); each
            replicate's random numbers come from its scenario's ``seed`` (:mod:`ecosim.core.draws`;
            its network from a generator of its own, :func:`ecosim.core.rng.network_rng`).
        facilitator: makes a facilitator for a replicate (Mesa agents in :class:`EcosystemModel`,
            plain records otherwise).
        on_replace: called with the rows whose person left and was replaced, after the replacement.
        networks: the edge-list arrays of each replicate, where a scenario reads one (else read by
            the scenario's ``network.arrays()``).
        observers: watch every week (:class:`Observer`).

    Attributes:
        params: each replicate's scenario as it stands (interventions change it).
        read: each replicate's scenario as read.
        layout: where each replicate's rows are.
        state: every learner's arrays, all replicates side by side.
        ties: the networks side by side.
        content: each replicate's content stock.
        org_goals, reality, code, dim_weights: per replicate, shape (R, topics) or (R, dims).
        week: weeks simulated so far (all replicates step together).
        columns: the weekly metrics, one array of shape (R, weeks) per column of ``metrics.COLUMNS``.
    """

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        *,
        facilitator: FacilitatorFactory = _record,
        on_replace: Callable[[np.ndarray], None] | None = None,
        networks: Sequence[Any] | None = None,
        observers: Sequence[Observer] = (),
    ) -> None:
        scenarios = list(scenarios)
        if not scenarios:
            raise ValueError("an engine needs at least one scenario")
        keys = {batch_key(s) for s in scenarios}
        if len(keys) > 1:
            raise ValueError(f"replicates of one batch must share weeks, topics, dimensions, rule and launch: {keys}")
        self.read = scenarios
        self.params = list(scenarios)
        self.seeds = [int(sc.seed) for sc in scenarios]
        self.draws = Draws(self.seeds)
        self.levers = Levers(self.params)
        self.on_replace = on_replace
        self._facilitator = facilitator
        first = scenarios[0]
        topics, dims = first.goals.topics, first.learning.dimensions
        self.weeks = first.weeks

        parts = []
        for r, sc in enumerate(scenarios):
            # the network has a stream of its own: another network leaves the people as they were
            ties = network.build(sc, network_rng(sc.seed), None if networks is None else networks[r])
            counts = sc.engagement.threshold.counts
            if counts is not None and len(counts) != ties.n:
                raise InputError(
                    f"needs one threshold per learner: the network has {ties.n:,} learners",
                    key="engagement.threshold.counts",
                    value=f"{len(counts)} values",
                    allowed=f"a list of {ties.n} whole numbers",
                )
            parts.append(ties)
        self.ties = network.Ties.combine(parts)
        self.layout = Layout(np.array([t.n for t in parts], dtype=np.int64))
        replicates = self.layout.replicates
        # the organisation: its goals over topics and the hidden reality of its practices
        reps = np.repeat(np.arange(replicates), topics)
        org = np.abs(self.draws.normal(Site.ORGANISATION, reps, np.tile(np.arange(topics), replicates)))
        org = org.reshape(replicates, topics)
        # sums over contiguous rows: each replicate's numbers are those it has alone
        self.org_goals = org / np.sqrt((org * org).sum(axis=1))[:, None]
        reps = np.repeat(np.arange(replicates), dims)
        u = self.draws.uniform(Site.ORGANISATION, reps, np.tile(np.arange(dims), replicates), sub=1)
        self.reality = np.where(u < 0.5, -1, 1).astype(np.int8).reshape(replicates, dims)
        self.code = np.zeros((replicates, dims), dtype=np.int8)
        topic_of_dim = np.arange(dims) * topics // dims
        per_topic = np.bincount(topic_of_dim, minlength=topics).clip(min=1)
        weight = np.ascontiguousarray((self.org_goals**2 / per_topic)[:, topic_of_dim])
        self.dim_weights = weight / weight.sum(axis=1, keepdims=True)

        self.week = 0
        self.state = LearnerState.empty(self.layout.rows, topics, dims)
        self.state.store[:] = self.ties.store
        self.state.region[:] = self.ties.region
        self.state.role[:] = self.ties.role
        self._next_person = np.zeros(replicates, dtype=np.int64)
        self.people_so_far = np.zeros(replicates, dtype=np.int64)
        #: post counts of people who left having posted, and their replicates (chunks, joined when read)
        self._departed: list[tuple[np.ndarray, np.ndarray]] = []
        self.departed_ever_active = np.zeros(replicates, dtype=np.int64)
        self.first_posters = np.empty(0, np.int64)
        self.content = ContentStock(self.layout, topics, self.levers("content.half_life_weeks"))
        self.last_week: Week | None = None
        self.columns = metrics.allocate(replicates, self.weeks)

        turnover.populate(self, np.arange(self.layout.rows, dtype=np.int64), newcomers=False)
        self.facilitators: list[list[FacilitatorLike]] = [
            [facilitator(r, sc.facilitation.hours_per_week, k) for k in range(sc.facilitation.facilitators)]
            for r, sc in enumerate(scenarios)
        ]
        self.schedules = [Schedule.from_scenario(sc, list(metrics.COLUMNS)) for sc in scenarios]
        for r, sc in enumerate(scenarios):
            if sc.platform.launch_week == 1:
                self._launch(r)
        self.observers = list(observers)
        for observer in self.observers:
            observer.start(self)

    # ---- the week ---------------------------------------------------------------------------

    @property
    def replicates(self) -> int:
        """Number of replicates (R)."""
        return self.layout.replicates

    @property
    def platform_open(self) -> bool:
        """Whether the platform has launched by this week (replicates of a batch launch together)."""
        return self.week >= self.params[0].platform.launch_week

    def step(self) -> None:
        """Simulate one week of every replicate."""
        if self.week >= self.weeks:
            raise RuntimeError(f"all {self.weeks} weeks are simulated")
        self.week += 1
        self.draws.week = self.week
        for r, sc in enumerate(self.params):
            if self.week == sc.platform.launch_week and self.week > 1:
                self._launch(r)
        week = Week.start(self.week, self.replicates)
        for r, schedule in enumerate(self.schedules):
            if schedule.triggers:
                last = metrics.row(self.columns, r, self.week - 2) if self.week > 1 else None
                week.interventions[r] = schedule.before_week(self, r, last)
        # extreme parameters (a half-life of 1e-300 weeks) overflow to inf or 0, as plain floats do,
        # and mean what their limits mean: nothing is left, nothing is drawn
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            for mechanism in mechanisms.WEEK:
                mechanism.step(self, week)
            metrics.record(self, week)
        self.last_week = week
        for observer in self.observers:
            observer.week(self, week)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run every remaining week; ``progress(week)`` is called after each."""
        while self.week < self.weeks:
            self.step()
            if progress is not None:
                progress(self.week)

    def _launch(self, r: int) -> None:
        """Content seeded before the doors open."""
        sc = self.params[r]
        self.content.add_seeded(r, sc.platform.launch_content * int(self.layout.sizes[r]), self.org_goals[r])

    # ---- levers that change mid-run ---------------------------------------------------------

    def set_params(self, r: int, scenario: Scenario) -> None:
        """Replicate ``r`` now runs ``scenario`` (an intervention changed its levers)."""
        self.params[r] = scenario
        self.levers.changed()

    def match_facilitators(self, r: int) -> None:
        """Hire or let go facilitators of replicate ``r`` (the most recently hired first) to match its scenario."""
        f = self.params[r].facilitation
        team = self.facilitators[r]
        while len(team) > f.facilitators:
            team.pop().remove()
        for fac in team:
            fac.hours_per_week = float(f.hours_per_week)
        for k in range(len(team), f.facilitators):
            team.append(self._facilitator(r, f.hours_per_week, k))

    # ---- people -----------------------------------------------------------------------------

    def next_person_ids(self, r: int, k: int) -> np.ndarray:
        """Ids for ``k`` new people of replicate ``r``, never used there before; counts them in ``people_so_far``."""
        start = int(self._next_person[r])
        self._next_person[r] = start + k
        self.people_so_far[r] += k
        return np.arange(start, start + k, dtype=np.int64)

    def record_departures(self, rows: np.ndarray) -> None:
        """Keep the post counts and ever-active count of the learners in ``rows`` (sorted), who are leaving."""
        s = self.state
        posted = rows[s.posts[rows] > 0]
        if posted.size:
            self._departed.append((s.posts[posted].copy(), self.layout.rep[posted]))
        self.departed_ever_active += self.layout.counts(rows[s.ever_active[rows]])

    def departed(self) -> tuple[np.ndarray, np.ndarray]:
        """Post counts of everyone who has left having posted (one entry per person), and their replicates."""
        if len(self._departed) > 1:
            self._departed[:] = [tuple(np.concatenate(x) for x in zip(*self._departed))]
        return self._departed[0] if self._departed else (np.empty(0, np.int32), np.empty(0, np.intp))

    def departed_posts(self, r: int) -> np.ndarray:
        """Post counts of replicate ``r``'s people who have left and had posted (one entry per person)."""
        posts, rep = self.departed()
        return posts[rep == r]

    # ---- results ----------------------------------------------------------------------------

    def replicate_columns(self, r: int) -> dict[str, np.ndarray]:
        """Replicate ``r``'s weekly metrics so far, one array per column."""
        return {name: col[r, : self.week].copy() for name, col in self.columns.items()}

    def summary(self, r: int) -> dict[str, Any]:
        """Replicate ``r``'s end-of-run summary (see :data:`ecosim.core.metrics.SUMMARY_KEYS`) and verdict."""
        if not self.week:
            raise RuntimeError("the model has not been stepped yet")
        launched = self.params[r].platform.launch_week <= self.week
        return metrics.summarise(self.replicate_columns(r), launched, self.params[r])

    def applied(self, r: int) -> list[dict[str, Any]]:
        """The interventions applied to replicate ``r``, as plain data."""
        return [a.as_dict() for a in self.schedules[r].applied]
