"""A finished model is freed: many runs in one process (a sweep's worker) must not accumulate memory."""

from __future__ import annotations

import gc
import weakref

import ecosim
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario.loader import load_scenario


def test_a_model_is_garbage_collected_once_nothing_refers_to_it(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nweeks: 3\norganisation: {stores: 2, head_office: 2}\nturnover: {annual_rate: 5}\n")
    scenario = load_scenario(path)
    model = EcosystemModel(scenario)
    model.run()  # turnover replaces agents too
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None, "the model (and its agents) stay in memory after the run"
    result = ecosim.simulate(scenario, keep_model=True)
    ref = weakref.ref(result.model)
    del result
    gc.collect()
    assert ref() is None
