"""Malformed scenarios of every kind get a ScenarioError, never another exception.

Hypothesis mutates a small valid scenario (wrong types, out-of-range values, unknown and misspelt
keys), writes broken YAML, and builds extends chains with missing targets and cycles. Scenarios that
stay valid are built and stepped, so that nothing the schema accepts can crash the model.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim.errors import InputError
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import ScenarioError, load_scenario
from ecosim.scenario.loader import set_dotted as set_path
from ecosim.scenario.schema import iter_params, section_keys

# numerical trouble (overflow, invalid values) in the model is a failure, not a warning
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BASE = {
    "name": "fuzz",
    "weeks": 3,
    "organisation": {"stores": 2, "staff_per_store": 5.0, "regions": 1, "head_office": 3},
}
# the list of interventions has its own tests (test_interventions.py)
PARAMS = {p.path: p for p in iter_params() if not p.path.startswith("interventions")}
LEAVES = list(PARAMS)
SECTIONS = [""] + sorted({path.rsplit(".", 1)[0] for path in PARAMS if "." in path})
SIZE_KEYS = {
    "organisation.stores",
    "organisation.staff_per_store",
    "organisation.head_office",
    "organisation.regions",
    "network.learners",
    "learning.dimensions",
    "goals.topics",
    "network.mean_degree",
    "network.neighbours",
    "network.attachments",
    "engagement.threshold.initial_adopters",
    "engagement.bass.steps_per_week",
}

values = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=6), st.integers(), max_size=2),
)


def in_range(info):
    """A value the schema allows (sizes kept small enough to build)."""
    if info.choices:
        return st.sampled_from(info.choices)
    lo = info.lower if info.lower is not None else -100
    hi = info.upper if info.upper is not None else 100
    if info.path in SIZE_KEYS:
        hi = min(hi, 40)
    if info.annotation is bool:
        return st.booleans()
    if info.annotation is int:
        return st.integers(int(lo) + (info.gt is not None), int(min(hi, 10**6)))
    if info.annotation is float:
        return st.floats(lo, hi, exclude_min=info.gt is not None, exclude_max=info.lt is not None)
    return values


def misspell(key: str, data) -> str:
    i = data.draw(st.integers(0, len(key) - 1))
    c = data.draw(st.sampled_from(string.ascii_lowercase))
    return key[:i] + c + key[i + 1 :] if key[i] != c else key + c


def check(path: Path) -> None:
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        assert exc.message()  # one clear message
        return
    # valid: the model must build and run (skip organisations too large for a unit test)
    if _learners(sc) > 3000 or sc.learning.dimensions * _learners(sc) > 200_000:
        return
    try:
        model = EcosystemModel(sc)
    except InputError:
        return
    weeks = min(2, sc.weeks)  # stepping past the last week warns and does nothing (tests/test_mesa_habits.py)
    for _ in range(weeks):
        model.step()
    assert len(model.timeseries()) == weeks


def _learners(sc) -> float:
    if sc.network.kind == "retail":
        o = sc.organisation
        return o.stores * o.staff_per_store * 3 + o.regions + o.head_office
    return sc.network.learners or 0


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_mutated_scenarios_get_scenario_errors(data):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["in_range", "in_range", "value", "unknown", "misspelt", "section"]))
        if kind == "in_range":
            path = data.draw(st.sampled_from(LEAVES))
            set_path(doc, path, data.draw(in_range(PARAMS[path])))
        elif kind == "value":
            path = data.draw(st.sampled_from(LEAVES))
            if path in SIZE_KEYS:
                value = data.draw(st.one_of(values, st.integers(-3, 60)))
            else:
                value = data.draw(values)
            set_path(doc, path, value)
        elif kind == "unknown":
            section = data.draw(st.sampled_from(SECTIONS))
            set_path(
                doc, f"{section}.{data.draw(st.text(string.ascii_lowercase, min_size=1, max_size=8))}".lstrip("."), 1
            )
        elif kind == "misspelt":
            section = data.draw(st.sampled_from(SECTIONS))
            keys = section_keys(tuple(section.split(".")) if section else ())
            key = misspell(data.draw(st.sampled_from(keys)), data)
            set_path(doc, f"{section}.{key}".lstrip("."), 0.5)
        else:
            section = data.draw(st.sampled_from(SECTIONS[1:]))
            set_path(doc, section, data.draw(values))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(yaml.safe_dump(doc))
        check(path)


@FUZZ
@given(text=st.text(max_size=200))
def test_arbitrary_text_gets_scenario_errors(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass") if "\ud800" not in text else None
        if path.exists():
            check(path)


@FUZZ
@given(
    lines=st.lists(
        st.sampled_from(
            [
                "name: x",
                "weeks: 3",
                "goals:",
                "  topics: 3",
                "  - 1",
                "[",
                "]",
                "{a: 1",
                "key: 'unclosed",
                "\t- tab",
                "&a b",
                "*a",
                "? complex",
                "--- ",
                "...",
                "!!binary xyz",
                "- x",
                ":",
                "a: b: c",
            ]
        ),
        max_size=10,
    )
)
def test_broken_yaml_gets_scenario_errors(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text("\n".join(lines) + "\n")
        check(path)


@settings(max_examples=60, deadline=None)
@given(chain=st.lists(st.integers(0, 4), min_size=1, max_size=6), missing=st.booleans())
def test_extends_chains_with_cycles_and_missing_targets(chain, missing):
    """File i extends file chain[i]; files may extend themselves, each other, or nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, target in enumerate(chain):
            head = f"extends: f{target}.yaml\n" if (target < len(chain) or missing) else ""
            (folder / f"f{i}.yaml").write_text(
                head + f"name: f{i}\nweeks: 2\norganisation:\n  stores: 2\n  staff_per_store: 4.0\n"
            )
        check(folder / "f0.yaml")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_values_the_schema_allows_run(data):
    """Whatever the schema accepts, the model builds and steps (or reports a ScenarioError)."""
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    for _ in range(data.draw(st.integers(1, 6))):
        path = data.draw(st.sampled_from(LEAVES))
        set_path(doc, path, data.draw(in_range(PARAMS[path])))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(yaml.safe_dump(doc))
        check(path)
