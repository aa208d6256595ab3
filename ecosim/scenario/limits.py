"""How big a scenario is before it is built: learners, ties and memory, checked against the memory available.

A scenario that cannot fit is refused when it is read (exit code 2, the estimate and the limit in
the message) instead of grinding for minutes and dying of a memory error. The estimate is the
expected size: learners from the organisation or ``network.learners``, structural ties from the
generator's expected degree, memory as a fixed interpreter cost plus bytes per learner (its state:
goals, beliefs and the week each was learnt, traits) plus bytes per tie while the network is built.
The per-learner and per-tie costs are fitted to the peak memory measured in docs/performance.md
(a million learners with 5.4 million ties peak at about 0.8 GB), rounded up.

The limit is the memory available on this machine (``MemAvailable`` in ``/proc/meminfo``, else the
physical memory), or the value of the environment variable ``ECOSIM_MAX_MEMORY`` when it is set
(``16GB``, ``500MB``, ``2.5GiB`` or a number of bytes).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ecosim.errors import InputError
from ecosim.scenario.errors import ScenarioError

ENV = "ECOSIM_MAX_MEMORY"
#: The interpreter with NumPy, SciPy, pandas and Mesa imported, before any model.
BASE_BYTES = 200_000_000
#: Per learner, besides 4 bytes per topic and 5 per belief dimension: other state and the tick's temporaries.
LEARNER_BYTES = 80
#: Per structural tie while the network is built (pair lists, sorted 64-bit keys, both CSR triangles).
TIE_BYTES = 80
#: Managers of a region, and area managers, each know about this many of their peers (as the generator).
PEERS = 6.0

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_UNITS["tib"] = 2**40


@dataclass(frozen=True)
class Size:
    """The expected size of a scenario's model."""

    learners: int
    ties: int
    memory: int  # bytes


def estimate(scenario) -> Size | None:
    """The expected learners, ties and peak memory of a scenario's model (None for an edge list: read the file)."""
    net, org = scenario.network, scenario.organisation
    if net.kind == "edgelist":
        return None
    if net.kind == "hr":
        staff = net.staff()  # the file is read (and checked) now, once
        n = float(staff.n)
        sizes = staff.unit_sizes().astype(float)
        within = float((sizes * (sizes - 1) / 2).sum()) * net.within_store_tie_prob
        ties = within + (n if net.manager_ties else 0.0) + net.cross_store_ties * n / 2
    elif net.kind == "retail":
        mean = float(org.staff_per_store)
        second = mean * mean * (1.0 + float(org.store_size_spread) ** 2)  # E[size^2] of the lognormal sizes
        staff = org.stores * mean
        n = staff + org.regions + org.head_office
        within = org.stores * max(second - mean, 0.0) / 2 * net.within_store_tie_prob
        # the store manager and each colleague not already tied; managers to their area manager and peers
        managers = (
            staff * (1 - net.within_store_tie_prob) + org.stores * (1 + PEERS / 2) + org.regions * (PEERS / 2 + 5)
        )
        office = org.head_office * max(org.head_office - 1, 0) / 2 * net.head_office_tie_prob
        ties = within + managers + office + net.cross_store_ties * n / 2
    else:
        n = float(net.learners)
        ties = {
            "erdos_renyi": lambda: n * net.mean_degree / 2,
            "watts_strogatz": lambda: n * net.neighbours / 2,
            "barabasi_albert": lambda: n * net.attachments,
            "complete": lambda: 0.0,  # never stored: neighbour sums are total - self
        }[net.kind]()
    per_learner = LEARNER_BYTES + 4 * scenario.goals.topics + 5 * scenario.learning.dimensions
    memory = BASE_BYTES + n * per_learner + ties * TIE_BYTES
    return Size(learners=int(round(n)), ties=int(round(ties)), memory=int(memory))


def memory_limit() -> tuple[int | None, str]:
    """The memory a model may use, in bytes, and where that figure comes from (None: unknown, no limit)."""
    text = os.environ.get(ENV)
    if text is not None and text.strip():
        return parse_bytes(text, source=ENV), f"the limit set by {ENV}"
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "the memory available on this machine"
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "this machine's memory"
    except (AttributeError, OSError, ValueError):
        return None, "unknown"


def parse_bytes(text: str, *, source: str = ENV) -> int:
    """``16GB``, ``500 MB``, ``2.5GiB`` or a number of bytes, as bytes."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS or len(text) > 40:
        raise InputError(
            "not an amount of memory", file=source, value=text, allowed="e.g. 16GB, 500MB, 2.5GiB or a number of bytes"
        )
    return int(float(m.group(1)) * _UNITS[unit])


def check_size(scenario, *, file: str = "<scenario>", line: int | None = None, key: str | None = None) -> None:
    """Refuse a scenario whose model would need more memory than the limit, or more ties than the network may have."""
    from ecosim.scenario.schema import MAX_TIES
    from ecosim.words import say, words

    size = estimate(scenario)
    if size is None:
        return
    what = f"about {size.learners:,} learners and {size.ties:,} ties"
    if size.ties > MAX_TIES:
        raise ScenarioError(
            f"the organisation would have {what}, more than a network may have",
            file=file,
            line=line,
            key=key,
            allowed=say(
                f"at most {MAX_TIES:,} ties: fewer or smaller stores, or lower tie probabilities", words(scenario)
            ),
        )
    limit, source = memory_limit()
    if limit is not None and size.memory > limit:
        raise ScenarioError(
            f"the model would need about {_gb(size.memory)} of memory ({what}), more than {source} ({_gb(limit)})",
            file=file,
            line=line,
            key=key,
            allowed=f"a smaller organisation, or a higher limit with {ENV} (e.g. {ENV}=64GB)",
        )


def most_facilitators(scenario) -> tuple[int, int | None]:
    """The most facilitators a run can have, and the intervention that sets them (None: the scenario's own).

    Each facilitator holds events and answers first posts on their own, so their number bounds a
    week's work as the learners do: 100,000 facilitators with 60 learners take seconds a week and
    model no organisation.
    """
    most, where = int(scenario.facilitation.facilitators), None
    for k, iv in enumerate(scenario.interventions):
        value = iv.set.get("facilitation.facilitators")
        if value is not None and int(value) > most:
            most, where = int(value), k
    return most, where


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB"
