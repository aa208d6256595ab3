"""Calibration: fit a scenario to an organisation's observed weekly numbers and forecast with uncertainty.

``ecosim.calibrate(scenario, observed, fit, ...)`` runs pyabc's ABC-SMC (see
:mod:`ecosim.calibrate.engine`) and returns a :class:`CalibrationResult` whose posterior, forecast and
what-ifs are pandas frames. ``python -m ecosim calibrate`` writes them into a results folder.
"""

from ecosim.calibrate.engine import CalibrationResult, Generation, calibrate
from ecosim.calibrate.observed import Observed, parse_observed, read_observed

__all__ = ["CalibrationResult", "Generation", "Observed", "calibrate", "parse_observed", "read_observed"]


class _CallableModule(__import__("types").ModuleType):
    """``ecosim.calibrate`` is this package and also the function: ``ecosim.calibrate(...)`` calls it."""

    def __call__(self, *args, **kwargs) -> CalibrationResult:
        """Run :func:`ecosim.calibrate.engine.calibrate`."""
        return calibrate(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
