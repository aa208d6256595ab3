"""ecosim works when installed from a wheel, not only from a clone: its scenarios are package data.

The wheel is built from this source tree and installed as a user would install it: into a fresh
virtual environment of its own (no ``--system-site-packages``: inside a virtualenv that would expose
the base interpreter's packages, not this environment's), with its dependencies from the package
index (or pip's cache). It is then run from a folder outside the clone with no PYTHONPATH, so the
ecosim that runs is the one in the wheel (an editable install of ecosim outside the environment
must not shadow it; the test checks which one is imported). A dependency missing from
``pyproject.toml`` fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def run(*args: object, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """A virtual environment with the wheel of this tree installed; returns (its python, a work folder)."""
    base = tmp_path_factory.mktemp("wheel")
    work = base / "work"
    work.mkdir()
    venv = base / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=base)
    python = venv / "bin" / "python"
    # built from a copy, so that the build leaves nothing (build/, ecosim.egg-info) in the clone
    source = base / "source"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "results", ".*cache", ".hypothesis", "__pycache__"
    )
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    run(python, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", base / "dist", source, cwd=base)
    (wheel,) = (base / "dist").glob("ecosim-*.whl")
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=base)  # and its dependencies, as a user would
    where = run(python, "-c", "import ecosim; print(ecosim.__file__)", cwd=work).stdout.strip()
    assert Path(where).is_relative_to(venv), f"the wheel's ecosim is shadowed by {where}"
    return python, work


def test_the_installed_wheel_runs_a_shipped_scenario_by_name(installed):
    python, work = installed
    out = work / "retail"
    run(python, "-m", "ecosim", "run", "retail", "--seed", "3", "--set", "weeks=8", "--out", out, cwd=work)
    summary = json.loads((out / "summary.json").read_text())

    import ecosim

    here = ecosim.simulate(ROOT / "scenarios" / "retail.yaml", seed=3, overrides=["weeks=8"]).summary
    assert summary["final_active_share"] == pytest.approx(here["final_active_share"], abs=1e-12)
    assert summary["verdict"] == here["verdict"]
    assert (out / "engagement.png").stat().st_size > 0


def test_the_installed_wheel_passes_validate_quick(installed):
    python, work = installed
    done = run(python, "-m", "ecosim", "validate", "--quick", "--out", work / "validation", cwd=work)
    assert "checks passed" in done.stdout
    assert (work / "validation" / "validation.md").is_file()
