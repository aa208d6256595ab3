"""Mesa agents: learners and facilitators.

A ``Learner`` is one person: a thin view onto their row of the model's state arrays, so Mesa's
agent sets, queries, portrayals and notebooks work while the weekly mechanisms stay vectorised.
When the person leaves, the agent is removed from the model and a new one takes the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ecosim.core.network import ROLE_NAMES
from ecosim.core.state import ENGAGEMENT_NAMES

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


class Learner(mesa.Agent):
    """A member of staff who may or may not use the learning ecosystem.

    Attributes read through to the model's arrays, so they are always current while the person is
    employed. ``step`` does nothing: the model runs each mechanism over all learners at once.
    """

    def __init__(self, model: EcosystemModel, row: int, person: int | None = None) -> None:
        super().__init__(model)  # Mesa registers the agent and gives it the next id
        self.row = row
        self.person = int(model.state.person[row]) if person is None else person

    @property
    def employed(self) -> bool:
        """Whether this person still works here (turnover replaces people)."""
        return bool(self.model.state.person[self.row] == self.person)

    def _get(self, name: str):
        if not self.employed:
            raise LookupError(f"learner {self.person} has left the organisation")
        return getattr(self.model.state, name)[self.row]

    @property
    def engagement(self) -> str:
        """'inactive', 'consumer' (visited, did not post) or 'contributor' (posted) this week."""
        return ENGAGEMENT_NAMES[int(self._get("engagement"))]

    @property
    def knowledge(self) -> float:
        """Share of practice dimensions this learner is right about (March's knowledge)."""
        beliefs = self._get("beliefs")
        return float(np.mean(beliefs == self.model.reality))

    @property
    def alignment(self) -> float:
        """Cosine between this person's goals and the organisation's (-1 to 1)."""
        return float(self._get("alignment"))

    @property
    def role(self) -> str:
        """'associate', 'store_manager', 'area_manager' or 'head_office'."""
        return ROLE_NAMES[int(self._get("role"))]

    @property
    def store(self) -> int:
        """Index of this person's store (-1: not in a store)."""
        return int(self._get("store"))

    @property
    def region(self) -> int:
        """Index of this person's region (-1: none)."""
        return int(self._get("region"))

    @property
    def mobile_only(self) -> bool:
        """Whether this person reaches the platform only from a phone."""
        return bool(self._get("mobile"))

    @property
    def habit(self) -> float:
        """Habit of visiting the platform (0-1)."""
        return float(self._get("habit"))

    @property
    def posts(self) -> int:
        """Posts written by this person so far."""
        return int(self._get("posts"))

    @property
    def tenure(self) -> int:
        """Weeks in the organisation."""
        return int(self._get("tenure"))

    def __repr__(self) -> str:
        return f"Learner(person={self.person}, row={self.row})"


class Facilitator(mesa.Agent):
    """An L&D facilitator, community manager or champion with a weekly budget of hours.

    The model spends facilitators' hours in one vectorised pass; each facilitator keeps a tally of
    what their hours bought.
    """

    def __init__(self, model: EcosystemModel, hours_per_week: float, offset: int) -> None:
        super().__init__(model)
        self.hours_per_week = float(hours_per_week)
        self.offset = int(offset)  # staggers events between facilitators
        self.events_run = 0
        self.replies = 0.0
        self.posts_seeded = 0.0
        self.introductions = 0.0

    def __repr__(self) -> str:
        return f"Facilitator(id={self.unique_id}, hours_per_week={self.hours_per_week:g})"
