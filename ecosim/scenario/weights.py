"""The posterior of the fitted engagement weights: a verdict that carries the model's own uncertainty.

The weights no study measures were fitted to every pattern at once (docs/model.md section 8); the
fit left not one value for each but a posterior, a weighted sample of particles
(``ecosim/scenarios/weights/posterior.json``). The scenario defaults are its best particle. With
``--weights posterior`` each run draws its weights from the posterior instead: which particle
follows from the run's seed alone, so a run is reproducible and two scenarios run on the same seed
use the same particle (common random numbers). A weight the scenario sets to a value other than its default is kept.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

from ecosim.errors import InputError

#: What ``--weights`` takes: the scenario's own weights, or a draw from the fit's posterior for each run.
CHOICES = ("defaults", "posterior")


@functools.cache
def posterior() -> dict[str, Any]:
    """The shipped posterior: particles (dicts of dotted weights), their weights, and the fit's record."""
    from importlib import resources

    path = resources.files("ecosim") / "scenarios" / "weights" / "posterior.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a broken installation, not the user's input
        raise InputError(
            f"cannot read the weights' posterior: {exc}", file=str(path), allowed="a reinstalled ecosim"
        ) from None


def particle(seed: int) -> dict[str, float]:
    """The posterior particle of the run with ``seed``: drawn in proportion to its weight, from the seed alone."""
    post = posterior()
    w = np.asarray(post["weights"], dtype=float)
    u = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 0x5EED]))).random()
    k = int(np.searchsorted(np.cumsum(w / w.sum()), u, side="right"))
    return post["particles"][min(k, len(post["particles"]) - 1)]


def draw(scenario, seed: int | None = None):
    """``scenario`` with the weights of the posterior particle of ``seed`` (default: its own seed).

    Weights that the scenario sets to a value other than the default stay as they are.
    """
    seed = scenario.seed if seed is None else seed
    chosen = {path: value for path, value in particle(seed).items() if not _set_by_scenario(scenario, path)}
    if not chosen:
        return scenario.model_copy(update={"seed": seed})
    by_section: dict[str, dict[str, Any]] = {}
    for path, value in chosen.items():
        section, *rest = path.split(".")
        by_section.setdefault(section, {})[".".join(rest)] = value
    update: dict[str, Any] = {"seed": seed}
    for section, values in by_section.items():
        current = getattr(scenario, section)
        nested: dict[str, dict[str, Any]] = {}
        flat = {}
        for key, value in values.items():
            if "." in key:
                sub, leaf = key.split(".", 1)
                nested.setdefault(sub, {})[leaf] = value
            else:
                flat[key] = value
        for sub, leaves in nested.items():
            flat[sub] = getattr(current, sub).model_copy(update=leaves)
        update[section] = current.model_copy(update=flat)
    return scenario.model_copy(update=update)


def _set_by_scenario(scenario, path: str) -> bool:
    """Whether the scenario gives this weight a value of its own: one other than the schema's default.

    Judged by value, not by which keys a file wrote, so that a scenario keeps its answer through
    every copy, dump and validation on its way to a run (and a drawn weight stays drawn).
    """
    node = scenario
    parts = path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part)
    default = type(node).model_fields[parts[-1]].default
    return getattr(node, parts[-1]) != default


def for_run(scenario):
    """The scenario a run uses: with ``weights: posterior``, its weights drawn for its seed; else itself."""
    if scenario.weights != "posterior":
        return scenario
    return draw(scenario)


def for_runs(scenario, seeds, weights: str = "defaults") -> list:
    """The scenario of each seed's run: with its own weights, or with a draw from the posterior."""
    if weights not in CHOICES:
        raise InputError("unknown weights", file="--weights", value=weights, allowed="one of " + ", ".join(CHOICES))
    if weights == "defaults":
        return [scenario.model_copy(update={"seed": int(s)}) for s in seeds]
    return [draw(scenario, int(s)) for s in seeds]
