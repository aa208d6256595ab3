"""The learning-ecosystem model: a Mesa model whose weekly step runs vectorised mechanisms."""

from __future__ import annotations

import gc
import warnings
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from ecosim.core import metrics, network
from ecosim.core.agents import Facilitator, Learner
from ecosim.core.content import ContentStock
from ecosim.core.engine import Engine, Week
from ecosim.core.interventions import Schedule
from ecosim.core.rng import make_rng
from ecosim.core.state import LearnerState
from ecosim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.scenario.schema import Scenario

#: Where a warning about stepping a finished run should not point: Mesa's scheduler and this module.
_NOT_THE_CALLER = (str(Path(mesa.__file__).parent), str(Path(__file__).parent))


class EcosystemModel(mesa.Model):
    """Learners and facilitators in an organisation that launches a learning platform.

    One call of :meth:`step` is one week: turnover, facilitation, engagement, learning,
    forgetting, content decay, then the week's metrics (see ``docs/model.md``). Built as Mesa
    models are, from keyword arguments, so ``mesa.batch_run`` runs it::

        EcosystemModel("scenarios/retail.yaml", seed=3, goals__mean_alignment=0.3)
        mesa.batch_run(EcosystemModel, parameters={"scenario": "scenarios/retail.yaml",
                       "goals.mean_alignment": [0.2, 0.5]}, rng=[1, 2], max_steps=52)

    This class takes a validated scenario; ``ecosim.EcosystemModel`` (the Mesa-compatible front,
    :mod:`ecosim.experiment.model`) also takes a scenario file, overrides and levers by name.

    Args:
        scenario: a validated :class:`~ecosim.scenario.schema.Scenario`. (Mesa's own experiment
            ``Scenario`` is not one: ecosim's scenario holds every parameter.)
        seed: the run's seed; replaces the scenario's ``seed`` when given. The engine's draws are
            counter-based from it (:mod:`ecosim.core.draws`); ``self.rng``, Mesa's generator, is
            seeded through ``SeedSequence(seed)`` for code that extends the model.

    Attributes:
        params: the scenario the model runs (seed and overrides applied).
        seed: the run's seed (``params.seed``).
        state: the learners' arrays (:class:`~ecosim.core.state.LearnerState`).
        ties: the network (:class:`~ecosim.core.network.Ties`).
        reality, code: March's hidden reality and organisational code (int8 vectors).
        content: the platform's content stock.
        week: weeks simulated so far. Equal to Mesa's ``steps`` until the run has ended: a
            :meth:`step` after the last week warns and simulates nothing (Mesa still counts it).
        week_metrics: the last simulated week's metrics (one value per ``metrics.COLUMNS`` entry).
        datacollector: a ``mesa.DataCollector`` holding every week's metrics, one model reporter per
            column of :meth:`timeseries` (``get_model_vars_dataframe()`` gives the same table).
    """

    def __init__(self, scenario: Scenario, seed: int | None = None) -> None:
        params = with_seed(scenario, seed)
        self.seed = params.seed
        # Mesa's own generator (for code that extends the model); the engine's draws come from the seed
        super().__init__(rng=make_rng(self.seed))
        self.engine = Engine([params], facilitator=self._hire, on_replace=self.replace_agents)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_week_metric, name) for name in metrics.COLUMNS}
        )
        # Learner agents are made when first looked at (model.agents, agents_by_type, learners):
        # a million Mesa agents take seconds to create and the weekly mechanisms never use them.
        # A list, not an object array, once made: NumPy arrays are invisible to the cycle collector,
        # so model -> array -> agent -> model would keep every finished model alive.
        self._learner_agents: list[Learner] = []
        self._learners_owed = True
        self.running = True

    def _hire(self, r: int, hours_per_week: float, offset: int) -> Facilitator:
        return Facilitator(self, hours_per_week, offset=offset)

    # ---- what the engine holds, for this model's one replicate ------------------------------

    @property
    def params(self) -> Scenario:
        """The scenario the model runs (seed and overrides applied; interventions change it)."""
        return self.engine.params[0]

    @property
    def state(self) -> LearnerState:
        """The learners' arrays."""
        return self.engine.state

    @property
    def ties(self) -> network.Ties:
        """The network."""
        return self.engine.ties

    @property
    def reality(self) -> np.ndarray:
        """March's hidden reality (int8 vector)."""
        return self.engine.reality[0]

    @property
    def code(self) -> np.ndarray:
        """The organisational code (int8 vector; a view, updated in place each week)."""
        return self.engine.code[0]

    @property
    def org_goals(self) -> np.ndarray:
        """The organisation's goals: a unit vector over topics."""
        return self.engine.org_goals[0]

    @property
    def dim_weights(self) -> np.ndarray:
        """Weight of each practice dimension in the organisation's capability (sums to 1)."""
        return self.engine.dim_weights[0]

    @property
    def content(self) -> ContentView:
        """The platform's content stock."""
        return ContentView(self.engine.content, 0)

    @property
    def facilitators(self) -> list[Facilitator]:
        """The facilitators employed now."""
        return self.engine.facilitators[0]

    @property
    def interventions(self) -> Schedule:
        """The scenario's interventions and which have been applied."""
        return self.engine.schedules[0]

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.engine.week

    @property
    def people_so_far(self) -> int:
        """Everyone employed so far, leavers included."""
        return int(self.engine.people_so_far[0])

    @property
    def departed_posts(self) -> np.ndarray:
        """Post counts of the people who have left and had posted (one entry per person)."""
        return self.engine.departed_posts(0)

    @property
    def departed_ever_active(self) -> int:
        """How many of the people who have left ever visited."""
        return int(self.engine.departed_ever_active[0])

    @property
    def first_posters(self) -> np.ndarray:
        """Rows of the learners who posted for the first time in the week just simulated."""
        return self.engine.first_posters

    @property
    def last_week(self) -> Week | None:
        """What the mechanisms of the week just simulated recorded (None before the first week)."""
        return self.engine.last_week

    @property
    def week_metrics(self) -> dict[str, float]:
        """The last simulated week's metrics (one value per ``metrics.COLUMNS`` entry; empty before week 1)."""
        if not self.week:
            return {}
        return metrics.row(self.engine.columns, 0, self.week - 1)

    # ---- the week ---------------------------------------------------------------------------

    @property
    def platform_open(self) -> bool:
        """Whether the platform has launched by this week."""
        return self.engine.platform_open

    def step(self) -> None:
        """Simulate one week; after the last week, warn and do nothing."""
        if self.week >= self.params.weeks:
            self.running = False
            warnings.warn(
                f"the run has ended: all {self.params.weeks} weeks are simulated, so step() does nothing "
                "(set weeks in the scenario to simulate more)",
                RuntimeWarning,
                skip_file_prefixes=_NOT_THE_CALLER,
            )
            return
        self.engine.step()
        self.datacollector.collect(self)
        if self.week >= self.params.weeks:
            self.running = False

    def run(self, progress: Any = None) -> None:
        """Run every remaining week; ``progress(week)`` is called after each."""
        while self.week < self.params.weeks:
            self.step()
            if progress is not None:
                progress(self.week)

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
        """Make the learner agents owed so far, in row order, through Mesa's ``Agent.__init__``."""
        if not self._learners_owed:
            return
        self._learners_owed = False
        # A million new objects would set off the cycle collector over and over, each time walking
        # every agent made so far; none of them is garbage yet, so it is paused while they are made.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._learner_agents = [Learner(self, row, person) for row, person in enumerate(self.state.person.tolist())]
        finally:
            if collecting:
                gc.enable()

    def replace_agents(self, rows: np.ndarray) -> None:
        """The people in ``rows`` left: remove their agents and create their successors' (once agents exist)."""
        if self._learners_owed:
            return
        table = self._learner_agents
        for row, person in zip(rows.tolist(), self.state.person[rows].tolist(), strict=True):
            table[row].remove()
            table[row] = Learner(self, row, person)

    # ---- results ----------------------------------------------------------------------------

    def timeseries_columns(self) -> dict[str, np.ndarray]:
        """The weekly metrics as NumPy columns (from the data collector)."""
        collected = self.datacollector.model_vars
        return {name: np.array(collected[name]) for name in metrics.COLUMNS}

    def timeseries(self) -> pd.DataFrame:
        """The weekly metrics as a DataFrame, one row per simulated week."""
        import pandas as pd

        return pd.DataFrame(self.timeseries_columns())

    def summary(self) -> dict[str, Any]:
        """The end-of-run summary (see :data:`ecosim.core.metrics.SUMMARY_KEYS`) and verdict."""
        return self.engine.summary(0)


class ContentView:
    """One replicate's content stock, read through (stock, seeded posts, topic direction, decay)."""

    def __init__(self, content: ContentStock, r: int) -> None:
        self._content = content
        self._r = r

    @property
    def stock(self) -> float:
        """Live posts (each decaying with the content half-life)."""
        return float(self._content.stock[self._r])

    @property
    def seeded(self) -> float:
        """Live posts written by facilitators."""
        return float(self._content.seeded[self._r])

    @property
    def direction(self) -> np.ndarray:
        """Sum of the live posts' topic vectors."""
        return self._content.direction[self._r]

    @property
    def decay_factor(self) -> float:
        """Share of a post's value left after a week."""
        return float(self._content.decay_factor[self._r])


def with_seed(scenario: Scenario, seed: int | None) -> Scenario:
    """``scenario`` with ``seed`` as its seed (itself when ``seed`` is None or already its seed)."""
    if not callable(getattr(scenario, "model_copy", None)):
        raise TypeError(f"EcosystemModel needs an ecosim scenario (ecosim.scenario.Scenario), not {scenario!r}")
    if isinstance(seed, np.integer):
        seed = int(seed)
    if seed is None or seed == scenario.seed:
        return scenario
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("the seed must be a whole number >= 0", key="seed", value=seed)
    return scenario.model_copy(update={"seed": seed})


def _week_metric(name: str, model: EcosystemModel) -> float:
    """The model reporter of column ``name``: its value in the week just simulated."""
    return model.engine.columns[name][0, model.week - 1].item()
