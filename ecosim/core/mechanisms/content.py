"""Content decay: live posts lose value with a half-life (information decay; Foote et al. 2024)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """Age the platform's content and each learner's live posts by one week."""
    e.content.decay()
    e.state.recent_posts *= e.layout.per_row(e.content.decay_factor)
