"""Per-run seeds, spawned from the sweep's root seed keyed by (design point, replicate).

A run's seed depends only on the root seed, its design point and its replicate number: not on the
order in which runs are dispatched, on which machine or worker they run, or on whether the sweep
was interrupted and resumed. ``numpy.random.SeedSequence(root, spawn_key=(point, replicate))`` is
exactly the sequence that ``SeedSequence(root).spawn`` would give at that position of a
two-level spawn tree, so streams of different runs are independent in the same sense as spawned
children.
"""

from __future__ import annotations

import numpy as np

#: spawn key of the design sampler (Latin hypercube, Sobol' scrambling, Morris trajectories); runs use
#: two-element keys (point, replicate), so the sampler's stream never coincides with a run's.
DESIGN_KEY = (2**32 - 1,)


def run_seed(root: int, point: int, replicate: int) -> int:
    """The seed of one run: a whole number in [0, 2**63), as scenarios accept."""
    ss = np.random.SeedSequence(root, spawn_key=(point, replicate))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def design_seed(root: int) -> int:
    """The seed of the design sampler."""
    ss = np.random.SeedSequence(root, spawn_key=DESIGN_KEY)
    return int(ss.generate_state(1, np.uint32)[0])
