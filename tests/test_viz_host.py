"""The browser page refuses requests under a name that is not its own (DNS rebinding): 403."""

from __future__ import annotations

import asyncio

import pytest

from ecosim.viz.server import HostCheck, allowed_hosts


def call(app, host: bytes | None, kind: str = "http"):
    sent = []
    headers = [(b"host", host)] if host is not None else []

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": kind, "headers": headers, "path": "/"}, receive, send))
    return sent


async def page(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"the page"})


@pytest.mark.parametrize("host", [b"127.0.0.1:8765", b"localhost:8765", b"LOCALHOST", b"[::1]:8765", b"lab.example:80"])
def test_the_servers_own_names_are_served(host):
    app = HostCheck(page, allowed_hosts("lab.example"))
    assert call(app, host)[0]["status"] == 200


@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:8765", b"127.0.0.1.evil.example", b"", None])
def test_other_names_get_403(host):
    app = HostCheck(page, allowed_hosts("127.0.0.1"))
    sent = call(app, host)
    assert sent[0]["status"] == 403 and b"403 Forbidden" in sent[1]["body"]
    assert call(app, host, "websocket") == [{"type": "websocket.close", "code": 1008}]


def test_listening_everywhere_allows_this_machines_names():
    import socket

    names = allowed_hosts("0.0.0.0")
    assert socket.gethostname().lower() in names and "localhost" in names
