"""The scenario a run uses: a file loaded, or an object, with a seed and overrides applied."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ecosim.errors import InputError
from ecosim.scenario.schema import Scenario


def resolve_scenario(
    scenario: Scenario | str | os.PathLike[str],
    seed: int | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    levers: Mapping[str, Any] | None = None,
) -> Scenario:
    """The scenario a run uses: a file loaded, or an object, with the seed and overrides applied.

    ``levers`` are more overrides by name, as ``mesa.batch_run`` passes its parameters: a dotted
    path or the same with ``__`` for each dot; they win over ``overrides``. With ``weights:
    posterior`` the run's engagement weights are drawn for its seed (:mod:`ecosim.scenario.weights`).
    """
    from ecosim.scenario.weights import for_run

    return for_run(_resolve(scenario, seed, overrides, levers))


def _resolve(
    scenario: Scenario | str | os.PathLike[str],
    seed: int | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    levers: Mapping[str, Any] | None = None,
) -> Scenario:
    """The scenario a run uses: a file loaded, or an object, with the seed and overrides applied.

    ``levers`` are more overrides by name, as ``mesa.batch_run`` passes its parameters: a dotted
    path or the same with ``__`` for each dot; they win over ``overrides``.
    """
    if isinstance(seed, np.integer):
        seed = int(seed)
    changes: dict[str, Any] | Iterable[str] = overrides
    if levers:
        from ecosim.scenario.loader import parse_override

        named = {key.replace("__", "."): value for key, value in levers.items()}
        if isinstance(overrides, Mapping):
            changes = {**overrides, **named}
        else:
            changes = dict(parse_override(text, source="overrides") for text in overrides) | named
    if isinstance(scenario, str | os.PathLike):
        from ecosim.scenario.loader import load_scenario

        return load_scenario(scenario, changes, seed=seed)
    if not callable(getattr(scenario, "model_copy", None)):
        raise TypeError(
            f"EcosystemModel needs an ecosim scenario (a file path or ecosim.scenario.Scenario), not {scenario!r}"
        )
    if changes:
        from ecosim.scenario import loader

        data = loader.apply_overrides(loader.scenario_to_dict(scenario), changes, source="overrides")
        if seed is not None:
            data["seed"] = seed
        return loader.validate(data, file=f"scenario {scenario.name!r}")
    if seed is not None and seed != scenario.seed:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError("the seed must be a whole number >= 0", key="seed", value=seed)
        return scenario.model_copy(update={"seed": seed})
    return scenario
