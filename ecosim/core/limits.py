"""Limits of the engine, beside the code they limit; the scenario layer checks files against them."""

#: A network with more ties than this is refused rather than built (about 6 GB of adjacency).
MAX_TIES = 500_000_000
