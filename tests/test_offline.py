"""The guard of tests/conftest.py: no test downloads anything or writes outside a temporary folder."""

from __future__ import annotations

import socket

import pytest
from conftest import in_temporary_folder, is_local, snapshot

from ecosim.viz import assets


def test_a_connection_beyond_this_machine_is_refused_and_fails_the_test(offline):
    with pytest.raises(ConnectionRefusedError, match="tests run offline"):
        socket.create_connection(("192.0.2.1", 443), timeout=5)  # TEST-NET-1: never a real host
    assert offline == ["a connection to 192.0.2.1:443"]
    offline.clear()  # the refusal was the point here; left in the list, it fails the test


def test_fetching_the_pages_javascript_into_the_environment_is_refused(offline, tmp_path, monkeypatch):
    with pytest.raises(assets.AssetError, match="temporary folders"):
        assets.prepare()  # the environment's own folder, where `viz --prepare-assets` stores it
    monkeypatch.delenv("npm_config_registry", raising=False)
    with pytest.raises(assets.AssetError, match="offline"):
        assets.prepare(tmp_path / "cdn", use_npm=True, packages=[assets.Package("left-pad", "1.3.0", "x")])
    assert [a.split(" ")[0] for a in offline] == ["storing", "npm"]
    offline.clear()


def test_what_is_local_and_what_is_temporary(tmp_path):
    assert all(is_local(h) for h in ["127.0.0.1", "::1", "localhost", "0.0.0.0", "[::1]", "127.8.0.1"])
    assert not any(is_local(h) for h in ["registry.npmjs.org", "10.0.0.5", "8.8.8.8", "example.com"])
    assert in_temporary_folder(tmp_path) and not in_temporary_folder(assets.__file__)


def test_a_local_connection_is_allowed(offline):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert offline == []


def test_the_snapshot_sees_a_new_or_changed_file(tmp_path):
    (tmp_path / "a").write_text("1")
    before = snapshot(tmp_path)
    (tmp_path / "b").write_text("2")
    (tmp_path / "a").write_text("11")
    after = snapshot(tmp_path)
    assert set(after) - set(before) == {str(tmp_path / "b")}
    assert after[str(tmp_path / "a")] != before[str(tmp_path / "a")]
