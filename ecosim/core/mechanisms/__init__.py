"""The weekly mechanisms, one module each, in the order the model runs them.

Each exposes ``step(engine, week)``: a function over the engine's state arrays, vectorised over the
learners of every replicate, that tells the rest of the week what it did through ``week``
(:class:`ecosim.core.engine.Week`).
"""

from ecosim.core.mechanisms import content, engagement, facilitation, forgetting, learning, turnover

#: The order of a week (docs/model.md "Process overview and scheduling").
WEEK = (turnover, facilitation, engagement, learning, forgetting, content)

__all__ = ["WEEK", "content", "engagement", "facilitation", "forgetting", "learning", "turnover"]
