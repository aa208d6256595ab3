"""Experiments: the one way ecosim runs models, and what is built on it.

:mod:`ecosim.experiment.runs` turns scenarios into results, one at a time or many at once through
the batched engine; ensembles, comparisons, sweeps, calibration, validation and planning are designs
over it and reductions of its results.
"""

#: Seeds in an ensemble unless told otherwise (here, where the command line can read it cheaply).
DEFAULT_SEEDS = 20
