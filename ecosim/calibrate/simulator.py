"""Running the model for a calibration: a scenario as plain data, parameters set, summary series out.

Everything here is a module-level function or a small picklable class, so that worker processes and
Dask workers can run it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecosim.core.outcomes import OBSERVED, names
from ecosim.errors import InputError

#: Model timeseries columns kept from each forecast simulation: the observed statistics.
SERIES = names(OBSERVED)
#: Outcomes at the end compared by the what-ifs.
OUTCOMES = ("final_active_share", "final_contributor_share", "mean_knowledge_final", "org_capability_final")


def set_params(data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of scenario data with dotted parameters set."""
    from ecosim.scenario.loader import set_dotted

    out = copy.deepcopy(data)
    for key, value in params.items():
        set_dotted(out, key, value)
    return out


def run_series(data: dict[str, Any], params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Simulate scenario ``data`` with ``params`` set; return the weekly series and the summary."""
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.schema import Scenario

    scenario = Scenario.model_validate(set_params(data, {**params, "seed": int(seed)}))
    model = EcosystemModel(scenario)
    model.run()
    cols = model.timeseries_columns()
    learners = np.maximum(np.asarray(cols["learners"], dtype=float), 1.0)
    series = {
        "week": cols["week"].astype(int),
        "active_share": np.asarray(cols["active_share"], dtype=float),
        "contributor_share": np.asarray(cols["contributor_share"], dtype=float),
        "posts_per_head": np.asarray(cols["posts"], dtype=float) / learners,
    }
    return {"series": series, "summary": model.summary(), "learners": int(cols["learners"][0])}


@dataclass
class SeriesModel:
    """The pyabc model: parameters in, the observed statistics at the observed weeks out.

    The simulation's seed is drawn from pyabc's NumPy state, which the sampler seeds for every
    evaluation from the calibration's seed, so a particle's simulation does not depend on where it runs.
    """

    data: dict[str, Any]
    rows: dict[str, np.ndarray]  # statistic -> row index (model week - 1) of each observed week

    def __call__(self, params: dict[str, float]) -> dict[str, np.ndarray]:
        """Simulate and return the statistics compared with the observed data."""
        seed = int(np.random.randint(0, 2**62))
        out = run_series(self.data, {k: float(v) for k, v in params.items()}, seed)
        return {stat: out["series"][stat][rows] for stat, rows in self.rows.items()}


@dataclass
class RelativeDistance:
    """Root mean square of each statistic's error relative to its observed mean, averaged over statistics."""

    scales: dict[str, float]

    def __call__(self, x: dict[str, np.ndarray], x0: dict[str, np.ndarray]) -> float:
        """The distance between simulated ``x`` and observed ``x0``."""
        total = 0.0
        for stat, scale in self.scales.items():
            diff = (np.asarray(x[stat], dtype=float) - np.asarray(x0[stat], dtype=float)) / scale
            total += float(np.mean(diff * diff))
        return float(np.sqrt(total / len(self.scales)))


def shrink_population(data: dict[str, Any], population: int, learners: int, *, file: str) -> dict[str, Any]:
    """Scenario data for about ``population`` learners instead of ``learners``, structure kept.

    The retail generator keeps its store sizes and scales the number of stores, head office, regions
    and facilitators; the generic generators set ``network.learners``. An edge list cannot be shrunk.
    """
    out = copy.deepcopy(data)
    net = out.setdefault("network", {})
    kind = net.get("kind", "retail")
    if population >= learners:
        return out
    factor = population / learners
    if kind in ("edgelist", "hr"):
        raise InputError(
            "an edge-list network cannot be shrunk"
            if kind == "edgelist"
            else "a network from an HR file cannot be shrunk",
            file=file,
            key="--population",
            value=population,
            allowed="no --population for a scenario whose network is read from a file",
        )
    if kind == "retail":
        org = out.setdefault("organisation", {})
        stores = max(1, round(org.get("stores", 40) * factor))
        org["stores"] = stores
        org["head_office"] = round(org.get("head_office", 30) * factor)
        org["regions"] = max(1, min(stores, round(org.get("regions", 4) * factor)))
    else:
        net["learners"] = max(2, population)
    fac = out.setdefault("facilitation", {})
    if fac.get("facilitators", 0):
        fac["facilitators"] = max(1, round(fac["facilitators"] * factor))
    return out
