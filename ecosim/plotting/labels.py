"""Plain words for parameters and metrics, as every figure, table and report names them.

Parameters take their plain name and unit from the scenario schema
(:data:`ecosim.scenario.schema.LABELS` and each parameter's ``unit``), so a figure says "formal
training (per week)" where the scenario file says ``learning.socialisation``. Outcomes take theirs
from their declaration (:mod:`ecosim.core.outcomes`).
"""

from __future__ import annotations


def param(path: str, *, unit: bool = True, words=None) -> str:
    """A parameter's plain name, with its unit unless ``unit`` is False: "staff turnover (per year)".

    ``words`` (:class:`ecosim.words.Words`) puts the organisation's own words in ("teams", not "stores").
    """
    from ecosim.scenario.schema import param_info
    from ecosim.words import say

    try:
        info = param_info(path)
    except KeyError:  # not a schema path (a derived column): its words
        return path.rsplit(".", 1)[-1].replace("_", " ")
    return say(info.label_with_unit if unit else info.label, words)


def metric(name: str) -> str:
    """An outcome's plain words: "weekly active share at the end"."""
    from ecosim.core.outcomes import label

    return label(name)


def is_share(name: str) -> bool:
    """Whether an outcome is a share between 0 and 1."""
    from ecosim.core.outcomes import is_share as share

    return share(name)
