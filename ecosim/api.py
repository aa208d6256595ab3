"""The one entry point of notebooks and scripts: scenario + seed -> result (:mod:`ecosim.experiment.runs`)."""

from ecosim.experiment.runs import RunResult, run_batch, run_many, simulate

__all__ = ["RunResult", "run_batch", "run_many", "simulate"]
