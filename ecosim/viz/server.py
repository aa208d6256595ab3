"""Serve the browser page with Solara's Starlette app under uvicorn, from a command.

This is what ``solara run`` does, without its extras that reach the internet: the server runs
in production mode (no check against solara.dev in the page), with Solara's usage telemetry off,
and the page's JavaScript comes from Solara's local CDN cache when
``python -m ecosim viz --prepare-assets`` has filled it (see :mod:`ecosim.viz.assets`).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable
from urllib.parse import parse_qs

from ecosim.errors import printable

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def check_port(host: str, port: int) -> None:
    """Raise InputError naming ``--host``/``--port`` when the server could not listen there."""
    from ecosim.errors import InputError

    if not 0 <= port <= 65535:
        raise InputError("not a port number", file="--port", value=port, allowed="0-65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(
            f"unknown host ({exc.strerror})",
            file="--host",
            value=host,
            allowed="an address of this machine, e.g. 127.0.0.1 or 0.0.0.0",
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    "the port is already in use",
                    file="--port",
                    value=port,
                    hint="stop the program using it or choose another port with --port",
                ) from None
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror})",
                file="--host",
                value=host,
                allowed="an address of this machine, e.g. 127.0.0.1 or 0.0.0.0",
            ) from None


def allowed_hosts(host: str) -> set[str]:
    """The names a browser may use for this server: 127.0.0.1, localhost, ::1 and ``host``.

    Listening on every interface (``0.0.0.0`` or ``::``) adds this machine's name and addresses.
    """
    names = {"127.0.0.1", "localhost", "::1", host.lower().strip("[]")}
    if host in ("0.0.0.0", "::", ""):
        me = socket.gethostname()
        names |= {me.lower(), socket.getfqdn().lower()}
        try:
            names |= {info[4][0].lower() for info in socket.getaddrinfo(me, None)}
        except OSError:
            pass
    return names


#: A host name as a Host header gives it: dot-separated labels of letters, digits, ``-`` and ``_``.
_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\Z")
_PORT = re.compile(r":([0-9]{1,5})\Z")
#: An ``Origin`` header: a scheme and a host with an optional port, nothing else (no path, no user).
_ORIGIN = re.compile(r"(https?)://([^/?#@\\\s]+)\Z")
#: Solara's routes that fail with a traceback when their page id (``session_id``) is missing.
SOLARA_PAGE_ROUTES = {"http": "/_solara/api/close/", "websocket": "/jupyter/api/kernels/"}


def split_host(raw: str) -> tuple[str, int | None] | None:
    """(name, port) of a ``Host`` header or an origin's host (``lab.example:8765``, ``[::1]``), or None.

    None when it is not a host name or address with an optional port: ``127.0.0.1:8765@evil.com``,
    ``127.0.0.1:8765:80`` and ``127.0.0.1:99999`` are refused, not read as 127.0.0.1.
    """
    text = raw.strip().lower()
    if text.startswith("["):  # [::1]:8765
        end = text.find("]")
        name, rest = text[1:end], text[end + 1 :]
        if end < 0 or not _is_ipv6(name):
            return None
    elif text.count(":") > 1:  # ::1 without brackets
        return (text, None) if _is_ipv6(text) else None
    else:
        name, colon, port = text.partition(":")
        rest = colon + port
        if not _NAME.match(name):
            return None
    if not rest:
        return name, None
    match = _PORT.match(rest)
    if match is None or int(match.group(1)) > 65535:
        return None
    return name, int(match.group(1))


def _is_ipv6(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 6
    except ValueError:
        return False


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def host_name(scope) -> str | None:
    """The host named by a request's ``Host`` header, without its port and brackets, lower case; None if malformed."""
    host = split_host(_header(scope, b"host") or "")
    return None if host is None else host[0]


def same_origin(scope) -> bool:
    """Whether the request comes from the page itself, or from no web page at all.

    Browsers send ``Origin`` with every websocket and every cross-site request; it must name the
    scheme, host and port the request was sent to (its ``Host``). A request without ``Origin`` is not sent
    by a web page (a browser always sends it on a websocket), so it is not refused here.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    match = _ORIGIN.match(origin.strip().lower())
    if match is None:  # "null" (sandboxed frames, file:// pages), a path, a user name
        return False
    scheme, where = match.groups()
    served = "https" if scope.get("scheme") in ("https", "wss") else "http"
    theirs, ours = split_host(where), split_host(_header(scope, b"host") or "")
    if scheme != served or theirs is None or ours is None:
        return False
    default = 443 if served == "https" else 80
    return theirs[0] == ours[0] and (theirs[1] or default) == (ours[1] or default)


def bad_request(scope) -> str | None:
    """Why a request's path cannot be served (a control character, a missing page id), or None.

    Solara answers these with a traceback (500) instead of a refusal.
    """
    path = scope.get("path", "")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "a control character in the path"
    route = SOLARA_PAGE_ROUTES.get(scope["type"])
    if route and path.startswith(route):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if not query.get("session_id"):
            return "no session_id"
    return None


class HostCheck:
    """ASGI middleware: only the page itself, under one of this server's names, is served.

    - A request whose ``Host`` header is not one of ours gets 403: a web page on another site can
      make the browser send requests to this server under the other site's name (DNS rebinding).
    - A request whose ``Origin`` is another site's gets 403: any page the user visits could
      otherwise open the page's websocket, read the model and press its buttons.
    - A path with a control character, or a Solara route without its page id, gets 400 (Solara
      would answer 500 with a traceback).
    """

    def __init__(self, app, hosts: set[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send) -> None:
        """Serve the request if it comes from the page under one of our names, else refuse it."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if host_name(scope) not in self.hosts:
            status, why = 403, "this page is served only as " + ", ".join(sorted(self.hosts))
        elif not same_origin(scope):
            status, why = 403, "requests from other sites are refused"
        else:
            problem = bad_request(scope)
            if problem is None:
                await self.app(scope, receive, send)
                return
            status, why = 400, problem
        log.info("refused %s %s: %s", scope["type"], printable(scope.get("path", ""))[:200], why)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403 to the client
            return
        body = f"{status} {'Forbidden' if status == 403 else 'Bad Request'}: {why}\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def configure_solara(scenario: str | os.PathLike[str], host: str, port: int) -> None:
    """Point Solara at the page and switch off what would reach the internet.

    Must run before ``solara.server.app`` is imported: Solara reads the app to serve from the
    environment when that module is imported.
    """
    from ecosim.scenario.loader import find_scenario
    from ecosim.viz.app import SCENARIO_ENV, grace_seconds

    os.environ[SCENARIO_ENV] = str(find_scenario(scenario).resolve())  # a shipped scenario's name too
    os.environ["SOLARA_APP"] = "ecosim.viz.app"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    import solara.server.settings as settings

    settings.main.mode = "production"  # no solara.dev check in the page, minified JavaScript
    settings.telemetry.mixpanel_enable = False
    settings.theme.show_banner = False
    # a tab's session (its model) is closed at once when the tab closes, and when its connection
    # was lost, after the grace instead of Solara's 24 hours
    settings.kernel.cull_timeout = f"{grace_seconds():g}s"
    # plain http on this machine: Solara falls back to SameSite=lax cookies, which is right here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)


def serve(
    scenario: str | os.PathLike[str],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the page for ``scenario`` until interrupted (Ctrl+C or SIGTERM).

    Args:
        scenario: the scenario file (validated before the server starts).
        host: the address to listen on; 127.0.0.1 keeps the page on this machine.
        port: the port to listen on.
        on_ready: called with the page's address once the server accepts connections.
        log_level: uvicorn's log level.
    """
    from ecosim.scenario.loader import load_scenario
    from ecosim.viz.app import grace_seconds, max_tabs

    load_scenario(scenario)  # bad files fail here, with the loader's message, not in the browser
    max_tabs(), grace_seconds()  # and bad limits
    check_port(host, port)
    configure_solara(scenario, host, port)
    import uvicorn
    from solara.server.starlette import app

    config = uvicorn.Config(
        HostCheck(app, allowed_hosts(host)),
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=3,
        ws_ping_interval=20,
    )
    server = uvicorn.Server(config)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    url = f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started and on_ready is not None:
            on_ready(url)

    threading.Thread(target=announce, name="ecosim-viz-ready", daemon=True).start()
    server.run()
