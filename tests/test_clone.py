"""ecosim runs from the folder that holds a clone named ``ecosim``, the folder ``git clone`` makes.

That folder has no ``__init__.py``, so Python can take it for a namespace package called ecosim and
shadow the installed one. ecosim's editable install (``python -m pip install -e .``, as the README
says) puts the clone on the path as a regular package, which wins; this checks it with the Python
of the environment the tests run in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def python(*args: object, cwd: Path, interpreter: str = sys.executable) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    return subprocess.run(
        [interpreter, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def parent_of_a_clone(tmp_path: Path) -> Path:
    """A folder holding a copy of this clone, named ``ecosim`` as ``git clone`` names it."""
    skip = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "results", ".*cache", "__pycache__")
    shutil.copytree(ROOT, tmp_path / "ecosim", symlinks=True, ignore=skip)
    return tmp_path


def test_python_m_ecosim_runs_from_the_parent_of_a_clone(parent_of_a_clone):
    done = python("-m", "ecosim", "run", "retail", "--seed", "1", "--out", "out", cwd=parent_of_a_clone)
    assert done.returncode == 0, (
        f"exit {done.returncode} (reinstall with `python -m pip install -e .` after changing pyproject.toml):\n"
        f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    )
    assert "Verdict:" in done.stdout
    assert (parent_of_a_clone / "out" / "summary.json").is_file()


def test_a_script_in_the_parent_of_a_clone_imports_the_package(parent_of_a_clone):
    script = parent_of_a_clone / "use.py"
    script.write_text("import ecosim\nprint(ecosim.__file__, ecosim.__version__, ecosim.simulate.__name__)\n")
    done = python(script, cwd=parent_of_a_clone)
    assert done.returncode == 0, done.stderr[-2000:]
    where, version, simulate = done.stdout.split()
    assert Path(where).resolve() == (ROOT / "ecosim" / "__init__.py").resolve()
    assert simulate == "simulate"


def test_a_namespace_package_in_the_way_gets_one_line_saying_what_to_do(tmp_path):
    (tmp_path / "ecosim").mkdir()
    # without site-packages (-S), Python can only take the empty folder for ecosim, as an install
    # that does not put the clone on the path would let it
    code = (
        "import sys, runpy; sys.path.insert(0, ''); import ecosim; "
        f"runpy.run_path({str(ROOT / 'ecosim' / '__main__.py')!r}, run_name='__main__')"
    )
    done = python("-S", "-c", code, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: Python took the folder {tmp_path / 'ecosim'} for the ecosim package")
    assert "python -m pip install -e ." in line and "Traceback" not in line
