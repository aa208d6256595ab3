"""Content decay: live posts lose value with a half-life (information decay; Foote et al. 2024)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """Age the platform's content and each learner's live posts by one week."""
    m.content.decay()
    m.state.recent_posts *= np.float32(m.content.decay_factor)
