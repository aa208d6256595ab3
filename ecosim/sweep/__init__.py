"""Batch parameter sweeps: from a laptop to a Dask cluster, resumable, streamed to Parquet.

A sweep file (YAML) names a base scenario, the parameters to vary and a design (``grid``, ``lhs``,
``sobol`` or ``morris``); every design point runs ``replicates`` times, each run with a seed spawned
from the sweep's root seed keyed by (design point, replicate). The pieces:

- :mod:`ecosim.sweep.spec`: reading and checking sweep files (:func:`load_sweep`);
- :mod:`ecosim.sweep.design`: the design points (:func:`build_design`);
- :mod:`ecosim.sweep.seeds`: per-run seeds;
- :mod:`ecosim.sweep.worker`: what runs on a worker (one run: scenario + seed -> summary row);
- :mod:`ecosim.sweep.executors`: sequential, local processes, Dask;
- :mod:`ecosim.sweep.storage`: the results folder (Parquet parts, compaction, resume);
- :mod:`ecosim.sweep.runner`: :func:`run_sweep`, which ties them together;
- :mod:`ecosim.sweep.analysis`: per-point statistics, phase diagrams, Sobol and Morris indices;
- :mod:`ecosim.sweep.regions`: where the platform thrives or is a ghost town, as PRIM boxes.

Importing this package is cheap; the heavy parts are imported when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecosim import lazy_exports

__all__ = ["Sweep", "load_sweep", "run_sweep", "read_runs", "read_timeseries"]

_LAZY = {
    "Sweep": "ecosim.sweep.spec",
    "load_sweep": "ecosim.sweep.spec",
    "run_sweep": "ecosim.sweep.runner",
    "read_runs": "ecosim.sweep.storage",
    "read_timeseries": "ecosim.sweep.storage",
}

if TYPE_CHECKING:
    from ecosim.sweep.runner import run_sweep
    from ecosim.sweep.spec import Sweep, load_sweep
    from ecosim.sweep.storage import read_runs, read_timeseries

__getattr__ = lazy_exports(__name__, _LAZY)
