"""The learning-ecosystem model: a Mesa model whose weekly step runs vectorised mechanisms."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from ecosim.core import mechanisms, metrics, network
from ecosim.core.agents import Facilitator, Learner
from ecosim.core.content import ContentStock
from ecosim.core.interventions import Schedule
from ecosim.core.mechanisms import turnover
from ecosim.core.rng import make_rng
from ecosim.core.state import LearnerState
from ecosim.errors import InputError

try:  # Mesa's own agent sets, filled directly when learners are registered in bulk
    from mesa.agentset import _HardKeyAgentSet
except ImportError:  # pragma: no cover - another Mesa: agents are registered one by one
    _HardKeyAgentSet = None

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.scenario.schema import Scenario


class EcosystemModel(mesa.Model):
    """Learners and facilitators in an organisation that launches a learning platform.

    One call of :meth:`step` is one week: turnover, facilitation, engagement, learning,
    forgetting, content decay, then the week's metrics (see ``docs/model.md``).

    Args:
        params: a validated :class:`~ecosim.scenario.schema.Scenario`.
        seed: replaces ``params.seed`` when given. All randomness comes from ``self.rng``, one
            ``numpy.random.Generator`` seeded through ``SeedSequence(seed)``; third-party draws
            (networkx) get seeds drawn from it.

    Attributes:
        params: the scenario.
        state: the learners' arrays (:class:`~ecosim.core.state.LearnerState`).
        ties: the network (:class:`~ecosim.core.network.Ties`).
        reality, code: March's hidden reality and organisational code (int8 vectors).
        content: the platform's content stock.
        week: weeks simulated so far (equal to Mesa's ``steps``).
    """

    def __init__(self, params: Scenario, seed: int | None = None) -> None:
        self.seed = int(params.seed if seed is None else seed)
        super().__init__(rng=make_rng(self.seed))
        self.params = params
        rng = self.rng
        lp = params.learning
        self.ties = network.build(params, rng)
        n = self.ties.n
        topics, dims = params.goals.topics, lp.dimensions
        thr = params.engagement.threshold
        if thr.counts is not None and len(thr.counts) != n:
            raise InputError(
                f"needs one threshold per learner: the network has {n:,} learners",
                key="engagement.threshold.counts",
                value=f"{len(thr.counts)} values",
                allowed=f"a list of {n} whole numbers",
            )

        org = np.abs(rng.standard_normal(topics))
        self.org_goals = org / np.linalg.norm(org)
        self.reality = np.where(rng.random(dims) < 0.5, -1, 1).astype(np.int8)
        self.code = np.zeros(dims, dtype=np.int8)
        topic_of_dim = np.arange(dims) * topics // dims
        weight = self.org_goals**2 / np.bincount(topic_of_dim, minlength=topics).clip(min=1)
        self.dim_weights = weight[topic_of_dim] / weight[topic_of_dim].sum()

        self.state = LearnerState.empty(n, topics, dims)
        self.state.store[:] = self.ties.store
        self.state.region[:] = self.ties.region
        self.state.role[:] = self.ties.role
        self._next_person = 0
        self.people_so_far = 0
        self._departed_posts: list[np.ndarray] = []
        self.departed_ever_active = 0
        self.first_posters = np.empty(0, np.int64)
        self.last_usefulness: np.ndarray | None = None
        self.week_stats: dict[str, Any] = defaultdict(int)
        self.content = ContentStock(topics, params.content.half_life_weeks)
        self._rows: list[dict[str, float]] = []

        # Learner agents are made when first looked at (model.agents, agents_by_type, learners):
        # a million Mesa agents take seconds to create and the weekly mechanisms never use them.
        # The people in the rows at the start keep the ids 1..n they would have had if made now.
        # A list, not an object array, once made: NumPy arrays are invisible to the cycle collector,
        # so model -> array -> agent -> model would keep every finished model alive.
        self._learner_agents: list[Learner] | None = None
        self._first_learner_id = self.agent_id_counter
        self.agent_id_counter += n
        turnover.populate(self, np.arange(n), newcomers=False)
        self.facilitators = [
            Facilitator(self, params.facilitation.hours_per_week, offset=k)
            for k in range(params.facilitation.facilitators)
        ]
        self.interventions = Schedule.from_scenario(params, list(metrics.COLUMNS))
        if params.platform.launch_week == 1:
            self._launch()
        self.running = True

    # ---- the week ---------------------------------------------------------------------------

    @property
    def week(self) -> int:
        """Weeks simulated so far (Mesa's ``steps``)."""
        return self.steps

    @property
    def platform_open(self) -> bool:
        """Whether the platform has launched by this week."""
        return self.week >= self.params.platform.launch_week

    def step(self) -> None:
        """Simulate one week."""
        if self.week == self.params.platform.launch_week and self.week > 1:
            self._launch()
        self.week_stats = defaultdict(int)
        self.week_stats["interventions"] = self.interventions.before_week(self, self._rows[-1] if self._rows else None)
        self.last_usefulness = None
        for mechanism in mechanisms.WEEK:
            mechanism.step(self)
        self._rows.append(metrics.record(self))
        if self.week >= self.params.weeks:
            self.running = False

    def _launch(self) -> None:
        """Content seeded before the doors open."""
        self.content.add_seeded(self.params.platform.launch_content * self.state.n, self.org_goals)

    def run(self, progress: Any = None) -> None:
        """Run every remaining week; ``progress(week)`` is called after each."""
        while self.week < self.params.weeks:
            self.step()
            if progress is not None:
                progress(self.week)

    # ---- people -----------------------------------------------------------------------------

    def next_person_ids(self, k: int) -> np.ndarray:
        """Ids for ``k`` new people, never used before; counts them in ``people_so_far``."""
        ids = np.arange(self._next_person, self._next_person + k, dtype=np.int64)
        self._next_person += k
        self.people_so_far += k
        return ids

    def record_departures(self, rows: np.ndarray) -> None:
        """Keep the post counts and ever-active count of the learners in ``rows``, who are leaving."""
        posts = self.state.posts[rows]
        posts = posts[posts > 0]
        if posts.size:
            self._departed_posts.append(posts.copy())
        self.departed_ever_active += int(np.count_nonzero(self.state.ever_active[rows]))

    @property
    def departed_posts(self) -> np.ndarray:
        """Post counts of the people who have left and had posted (one entry per person)."""
        if len(self._departed_posts) > 1:
            self._departed_posts = [np.concatenate(self._departed_posts)]
        return self._departed_posts[0] if self._departed_posts else np.empty(0, np.int32)

    # ---- agents -----------------------------------------------------------------------------

    @property
    def agents(self):
        """All agents (Mesa's ``model.agents``): every learner employed now and the facilitators."""
        self._ensure_learner_agents()
        return super().agents

    @property
    def agents_by_type(self):
        """Mesa's agents grouped by type, with every learner agent made first."""
        self._ensure_learner_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """The agent types in the model (Mesa's ``agent_types``), with every learner agent made first."""
        self._ensure_learner_agents()
        return super().agent_types

    @property
    def learners(self) -> list[Learner]:
        """The Learner agent in each row (row order)."""
        self._ensure_learner_agents()
        return self._learner_agents

    def learner(self, row: int) -> Learner:
        """The Learner agent in ``row``."""
        return self.learners[row]

    def remove_all_agents(self) -> None:
        """Remove every agent (Mesa's ``remove_all_agents``), learners not yet made included."""
        self._ensure_learner_agents()  # so that learners not yet looked at are not made afterwards
        super().remove_all_agents()

    def _ensure_learner_agents(self) -> None:
        if getattr(self, "_learner_agents", True) is not None:  # made already, or the model is not built yet
            return
        n = self.state.n
        self._learner_agents = [None] * n
        rows = np.arange(n)
        original = self.state.person < n  # still the person who held the row at the start
        ids = np.where(original, self._first_learner_id + self.state.person, 0)
        fresh = ~original
        ids[fresh] = np.arange(self.agent_id_counter, self.agent_id_counter + int(fresh.sum()))
        self.agent_id_counter += int(fresh.sum())
        self._add_learner_agents(rows, ids)

    def _add_learner_agents(self, rows: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Learner agents for ``rows``, with ``ids`` (default: Mesa's next ids)."""
        persons = self.state.person[rows]
        if not _can_register_in_bulk(self):
            agents = list(Learner.create_agents(self, rows.size, row=rows))
            if ids is not None:
                for agent, uid in zip(agents, ids.tolist(), strict=True):
                    agent.unique_id = uid
        else:
            if ids is None:
                ids = np.arange(self.agent_id_counter, self.agent_id_counter + rows.size)
                self.agent_id_counter += rows.size
            agents = Learner._views(self, rows.tolist(), persons.tolist(), ids.tolist())
            everyone = self._all_agents._agents
            by_type = self._agents_by_type.get(Learner)
            if by_type is None:
                by_type = self._agents_by_type[Learner] = _HardKeyAgentSet([], random=self.random)
            everyone.update(dict.fromkeys(agents))
            by_type._agents.update(dict.fromkeys(agents))
        table = self._learner_agents
        for row, agent in zip(rows.tolist(), agents, strict=True):
            table[row] = agent

    def replace_agents(self, rows: np.ndarray) -> None:
        """The people in ``rows`` left: remove their agents and create their successors' (once agents exist)."""
        if self._learner_agents is None:
            return
        old = [self._learner_agents[row] for row in rows.tolist()]
        if _can_register_in_bulk(self):
            everyone = self._all_agents._agents
            by_type = self._agents_by_type[Learner]._agents
            for agent in old:
                everyone.pop(agent, None)
                by_type.pop(agent, None)
        else:
            for agent in old:
                agent.remove()
        self._add_learner_agents(rows)

    # ---- results ----------------------------------------------------------------------------

    def timeseries_columns(self) -> dict[str, np.ndarray]:
        """The weekly metrics as NumPy columns."""
        return {name: np.array([row[name] for row in self._rows]) for name in metrics.COLUMNS}

    def timeseries(self) -> pd.DataFrame:
        """The weekly metrics as a DataFrame, one row per simulated week."""
        import pandas as pd

        return pd.DataFrame(self.timeseries_columns())

    def summary(self) -> dict[str, Any]:
        """The end-of-run summary (see :data:`ecosim.core.metrics.SUMMARY_KEYS`) and verdict."""
        if not self._rows:
            raise RuntimeError("the model has not been stepped yet")
        launched = self.params.platform.launch_week <= self.week
        return metrics.summarise(self.timeseries_columns(), launched, self.params)


def _can_register_in_bulk(model: EcosystemModel) -> bool:
    """Whether learners can be put into Mesa's agent sets directly, skipping per-agent registration.

    Per agent, Mesa only adds the agent to two sets, gives it the next id, logs and emits an
    "agent added" signal. When anyone listens for agent signals, or the Learner class records
    datasets, or this Mesa keeps its sets differently, agents are registered one by one instead.
    """
    if _HardKeyAgentSet is None or Learner._datasets:
        return False
    if not isinstance(getattr(model, "_all_agents", None), _HardKeyAgentSet):
        return False
    if getattr(model, "_batch_context", None) is not None:
        return False
    return not any(key[0] == "agents" for key in getattr(model, "subscribers", {}))
