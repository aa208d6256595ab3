"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

#: A small organisation: a few stores, quick to build and run.
TINY = """\
name: tiny
weeks: 6
organisation:
  stores: 3
  staff_per_store: 6
  regions: 1
  head_office: 4
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
