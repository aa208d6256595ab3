"""The browser page refuses requests under a name that is not its own (DNS rebinding) or from another site's
page (its Origin): 403; and paths Solara would answer with a traceback: 400."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# ---- the whole Host, the Origin, the path -----------------------------------------------------------


def call_with(app, headers: list[tuple[bytes, bytes]], kind: str = "http", path: str = "/", query: bytes = b""):
    sent = []

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": kind, "headers": headers, "path": path, "query_string": query}, receive, send))
    return sent


@pytest.mark.parametrize(
    "host",
    [
        b"127.0.0.1:18765@evil.com",
        b"127.0.0.1:8765:80",
        b"127.0.0.1:99999",
        b"127.0.0.1:",
        "127.0.0.1:\u00b9".encode(),
        b"127.0.0.1 evil.com",
        b"[::1",
        b"[evil.com]:80",
        b"localhost/evil.com",
    ],
)
def test_a_host_that_only_begins_with_ours_gets_403(host):
    app = HostCheck(page, allowed_hosts("127.0.0.1"))
    assert call(app, host)[0]["status"] == 403
    assert call(app, host, "websocket") == [{"type": "websocket.close", "code": 1008}]


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://evil.example:8765",
        b"null",
        b"http://127.0.0.1:8766",
        b"http://localhost:8765",
        b"https://127.0.0.1:8765",
        b"http://127.0.0.1:8765@evil.example",
        b"http://user@127.0.0.1:8765",
        b"http://127.0.0.1:8765/path",
        b"ws://127.0.0.1:8765",
        b"",
    ],
)
def test_a_request_from_another_origin_gets_403(origin):
    app = HostCheck(page, allowed_hosts("127.0.0.1"))
    headers = [(b"host", b"127.0.0.1:8765"), (b"origin", origin)]
    assert call_with(app, headers, "websocket") == [{"type": "websocket.close", "code": 1008}]
    sent = call_with(app, headers)
    assert sent[0]["status"] == 403 and b"other sites" in sent[1]["body"]


@pytest.mark.parametrize(
    "host, origin",
    [
        (b"127.0.0.1:8765", b"http://127.0.0.1:8765"),
        (b"LOCALHOST:8765", b"http://localhost:8765"),
        (b"[::1]:8765", b"http://[::1]:8765"),
        (b"localhost", b"http://localhost:80"),
        (b"localhost:80", b"http://localhost"),
        (b"127.0.0.1:8765", None),  # not a web page: programs send no Origin
    ],
)
def test_the_pages_own_origin_is_served(host, origin):
    app = HostCheck(page, allowed_hosts("127.0.0.1"))
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin is not None else [])
    assert call_with(app, headers)[0]["status"] == 200


@pytest.mark.parametrize(
    "kind, path, query",
    [
        ("http", "/static/public/\x00", b""),
        ("http", "/static/a\nb", b""),
        ("http", "/static/\x7f", b""),
        ("http", "/_solara/api/close/abc", b""),
        ("http", "/_solara/api/close/abc", b"session_id="),
        ("websocket", "/jupyter/api/kernels/abc/channels", b"other=1"),
    ],
)
def test_paths_solara_would_answer_with_a_traceback_get_400(kind, path, query):
    app = HostCheck(page, allowed_hosts("127.0.0.1"))
    sent = call_with(app, [(b"host", b"127.0.0.1:8765")], kind, path, query)
    if kind == "websocket":
        assert sent == [{"type": "websocket.close", "code": 1008}]
    else:
        assert sent[0]["status"] == 400 and b"\n" == sent[1]["body"][-1:] and b"Traceback" not in sent[1]["body"]


def test_solara_still_has_the_routes_the_check_names():
    """The check names two of Solara's routes (``SOLARA_PAGE_ROUTES``); fail loudly when Solara moves them."""
    from solara.server.starlette import routes

    from ecosim.viz.server import SOLARA_PAGE_ROUTES

    paths = {getattr(r, "path", "") for r in routes}
    assert "/_solara/api/close/{kernel_id}" in paths and SOLARA_PAGE_ROUTES["http"] == "/_solara/api/close/"
    assert "/jupyter/api/kernels/{kernel_id}/{name}" in paths
    assert SOLARA_PAGE_ROUTES["websocket"] == "/jupyter/api/kernels/"


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=60))
def test_split_host_reads_a_host_or_refuses_it(raw):
    """Whatever the header holds, it is one of the server's names with a port, or refused; nothing else is read."""
    from ecosim.viz.server import split_host

    result = split_host(raw)
    if result is not None:
        name, port = result
        assert port is None or 0 <= port <= 65535
        assert name in raw.lower() and "@" not in raw and "/" not in raw and " " not in raw.strip()
