"""The Mesa-compatible front of the model: built from a scenario file, overrides and levers by name.

``mesa.batch_run`` builds models from keyword arguments; this class takes them as Mesa models do and
resolves them into a validated scenario (``ecosim.scenario.resolve``), then is the core model::

    EcosystemModel("scenarios/retail.yaml", seed=3, goals__mean_alignment=0.3)
    mesa.batch_run(EcosystemModel, parameters={"scenario": "scenarios/retail.yaml",
                   "goals.mean_alignment": [0.2, 0.5]}, rng=[1, 2], max_steps=52)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ecosim.core import model as core

if TYPE_CHECKING:
    from ecosim.scenario.schema import Scenario


class EcosystemModel(core.EcosystemModel):
    """:class:`ecosim.core.model.EcosystemModel`, built from a file or an object, overrides and levers.

    Args:
        scenario: a validated :class:`~ecosim.scenario.schema.Scenario`, or the path of a scenario
            file. In ``mesa.batch_run``'s ``parameters``, pass a Scenario object inside a list:
            batch_run iterates over what it is given.
        seed: the run's seed; replaces the scenario's ``seed`` when given.
        overrides: ``dotted.path=value`` strings or a mapping of dotted paths to values, applied to
            the scenario and validated as a file's would be.
        **levers: more overrides by name: a dotted path (``**{"goals.mean_alignment": 0.3}``) or the
            same with ``__`` for each dot (``goals__mean_alignment=0.3``). They win over ``overrides``.
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str],
        seed: int | None = None,
        overrides: Iterable[str] | Mapping[str, Any] = (),
        **levers: Any,
    ) -> None:
        from ecosim.scenario.resolve import resolve_scenario

        super().__init__(resolve_scenario(scenario, seed, overrides, levers))
