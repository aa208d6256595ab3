"""Errors in scenario files: the subclass of ecosim's one bad-input error that names a scenario file."""

from __future__ import annotations

from ecosim.errors import InputError, InputErrors, did_you_mean

__all__ = ["InputError", "ScenarioError", "ScenarioErrors", "did_you_mean"]


class ScenarioError(InputError):
    """A problem in a scenario file (or a ``--set`` override of one), described for its author."""


class ScenarioErrors(InputErrors, ScenarioError):
    """Several problems found in one scenario file, reported together."""
