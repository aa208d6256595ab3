"""No number in README.md or docs/*.md that comes from a run is typed by hand: docs/make_numbers.py writes them.

Each such number sits between markers naming the block that writes it. These tests run the script's
blocks and fail when a committed block differs from what the script produces (regenerate with
``python docs/make_numbers.py``). The quick group runs in every test run; the groups that simulate
(ensembles and comparisons, the shipped sweeps, the README's calibration) are slow tests.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def numbers():
    spec = importlib.util.spec_from_file_location("make_numbers", ROOT / "docs" / "make_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(numbers, tmp_path, group: str) -> None:
    differ = numbers.regenerate({group}, write=False, workdir=tmp_path)
    assert not differ, "committed numbers differ from what `python docs/make_numbers.py` writes: " + "; ".join(differ)


def test_every_marker_names_a_block_and_every_block_is_quoted(numbers):
    found = numbers.markers()
    assert found, "no numbers markers in the docs"
    used = {numbers.parse(name)[0] for _, name, _ in found}
    assert used <= set(numbers.BLOCKS), used - set(numbers.BLOCKS)
    assert set(numbers.BLOCKS) <= used, f"blocks no document quotes: {sorted(set(numbers.BLOCKS) - used)}"
    for doc in numbers.documents():
        text = doc.read_text(encoding="utf-8")
        assert text.count("<!-- numbers:") == text.count("<!-- /numbers -->"), f"unbalanced markers in {doc.name}"


def test_the_readme_quotes_runs_only_through_the_script(numbers):
    """The README's terminal sessions and comparisons are inside blocks, and no run's number is outside one."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    outside = numbers.MARKER.sub("", readme)
    for produced in ("Verdict: ", "generation 1: epsilon", "better on every seed", "of posterior draws", " of 20 runs"):
        assert produced in readme and produced not in outside, produced
    assert not re.search(r"\b\d+ of 20\b", outside)


def test_schema_numbers_are_current(numbers, tmp_path):
    check(numbers, tmp_path, "schema")


def test_benchmark_figures_are_the_committed_measurements(numbers, tmp_path):
    check(numbers, tmp_path, "benchmarks")


def test_a_stale_number_is_found(numbers, tmp_path, monkeypatch):
    """The check compares what is committed: a block with another number differs (times measured are not compared)."""
    doc = tmp_path / "doc.md"
    doc.write_text("usefulness <!-- numbers:default:engagement.ecosystem.usefulness -->4.5<!-- /numbers -->\n")
    monkeypatch.setattr(numbers, "documents", lambda: [doc])
    monkeypatch.setattr(numbers, "ROOT", tmp_path)
    assert numbers.regenerate({"schema"}, write=False, workdir=tmp_path) == [
        "doc.md: default:engagement.ecosystem.usefulness"
    ]
    assert numbers.regenerate({"schema"}, write=True, workdir=tmp_path) and "4.5" not in doc.read_text()
    assert numbers.regenerate({"schema"}, write=False, workdir=tmp_path) == []
    assert numbers.comparable("generation 1: epsilon 0.79, 37.2 s") == numbers.comparable(
        "generation 1: epsilon 0.79, 9 s"
    )
    assert numbers.comparable("epsilon 0.79") != numbers.comparable("epsilon 0.80")


@pytest.mark.slow
def test_run_numbers_are_current(numbers, tmp_path):
    check(numbers, tmp_path, "runs")


@pytest.mark.slow
def test_sweep_numbers_are_current(numbers, tmp_path):
    check(numbers, tmp_path, "sweeps")


@pytest.mark.slow
def test_calibration_numbers_are_current(numbers, tmp_path):
    check(numbers, tmp_path, "calibration")
