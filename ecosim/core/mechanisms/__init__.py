"""The weekly mechanisms, one module each, in the order the model runs them.

Each exposes ``step(model)``: a function over the model's state arrays, vectorised over learners.
"""

from ecosim.core.mechanisms import content, engagement, facilitation, forgetting, learning, turnover

#: The order of a week (docs/model.md "Process overview and scheduling").
WEEK = (turnover, facilitation, engagement, learning, forgetting, content)

__all__ = ["WEEK", "content", "engagement", "facilitation", "forgetting", "learning", "turnover"]
