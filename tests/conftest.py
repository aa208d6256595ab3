"""Shared test helpers, and the guard that keeps every test offline and inside temporary folders."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
import urllib.parse
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


# ---- no test downloads anything or writes outside a temporary folder ----------------------------

#: Folders a test may never change: the clone (except what Python and pytest keep there) and the
#: folder where Solara serves the page's JavaScript from, which `python -m ecosim viz
#: --prepare-assets` fills before the tests (`.ci/run` does); the browser tests use what is there or skip.
WATCHED = [ROOT, Path(sys.prefix) / "share" / "solara"]
UNWATCHED = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", "build"}


def is_local(host: str | None) -> bool:
    """Whether ``host`` is this machine (a loopback address, ``localhost`` or any-address)."""
    if host in (None, "", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(str(host).strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def in_temporary_folder(path: Path) -> bool:
    """Whether ``path`` is in a temporary folder, and not in the clone or the environment (which may be
    in one themselves, as a clone made under /tmp is)."""
    path = Path(path).resolve()
    if any(path.is_relative_to(Path(w).resolve()) for w in [ROOT, sys.prefix]):
        return False
    return any(path.is_relative_to(Path(t).resolve()) for t in {tempfile.gettempdir(), "/tmp"})


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (outside :data:`UNWATCHED`) with its size and modification time."""
    files = {}
    for here, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in UNWATCHED and not d.endswith(".egg-info")]
        for name in names:
            path = Path(here, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            files[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return files


@pytest.fixture(scope="session", autouse=True)
def writes_nothing_outside_temporary_folders():
    """The session fails if any test added, changed or removed a file in the clone or Solara's asset folder."""
    before = {folder: snapshot(folder) for folder in WATCHED}
    yield
    changed = []
    for folder, files in before.items():
        after = snapshot(folder)
        changed += sorted(set(after) ^ set(files)) + sorted(f for f in set(after) & set(files) if after[f] != files[f])
    assert not changed, "tests wrote outside a temporary folder: " + ", ".join(changed[:10])


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Every test runs offline: a connection beyond this machine, or fetching the page's JavaScript
    from a registry that is not on this machine or into a folder that is not temporary, fails the test
    (even where the code under test would have caught the refusal and carried on)."""
    from ecosim.viz import assets

    attempts: list[str] = []

    def guard(connect):
        def guarded(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type & socket.SOCK_STREAM:
                if not is_local(address[0]):
                    attempts.append(f"a connection to {address[0]}:{address[1]}")
                    raise ConnectionRefusedError(f"tests run offline: no connection to {address[0]}")
            return connect(sock, address)

        return guarded

    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex))

    npm_pack, prepare = assets._npm_pack, assets.prepare

    def guarded_npm_pack(npm, package, folder, registry):
        registry = registry or os.environ.get("npm_config_registry")
        if not registry or not is_local(urllib.parse.urlsplit(registry).hostname):
            attempts.append(f"npm pack {package.spec} from {registry or 'the npm registry'}")
            raise assets.AssetError(f"{package.spec}: tests run offline")
        return npm_pack(npm, package, folder, registry)

    def guarded_prepare(cache=None, **kwargs):
        where = assets.cache_dir() if cache is None else Path(cache)
        if not in_temporary_folder(where):
            attempts.append(f"storing the page's JavaScript in {where}")
            raise assets.AssetError(f"tests write only into temporary folders, not {where}")
        return prepare(cache, **kwargs)

    monkeypatch.setattr(assets, "_npm_pack", guarded_npm_pack)
    monkeypatch.setattr(assets, "prepare", guarded_prepare)
    yield attempts
    if attempts:
        pytest.fail("a test must not download anything nor write outside a temporary folder: " + "; ".join(attempts))
