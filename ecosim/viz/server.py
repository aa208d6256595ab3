"""Serve the browser page with Solara's Starlette app under uvicorn, from a command.

This is what ``solara run`` does, without its extras that reach the internet: the server runs
in production mode (no check against solara.dev in the page), with Solara's usage telemetry off,
and the page's JavaScript comes from Solara's local CDN cache when
``python -m ecosim viz --prepare-assets`` has filled it (see :mod:`ecosim.viz.assets`).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable

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


class HostCheck:
    """ASGI middleware: a request whose ``Host`` header is not one of ours gets 403 (against DNS rebinding).

    A web page on another site can make the browser send requests to this server under the other
    site's name (DNS rebinding); checking the ``Host`` header refuses them.
    """

    def __init__(self, app, hosts: set[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send) -> None:
        """Serve the request if its Host header names this server, else refuse it with 403."""
        if scope["type"] in ("http", "websocket") and host_name(scope) not in self.hosts:
            body = b"403 Forbidden: this page is served only as " + ", ".join(sorted(self.hosts)).encode() + b"\n"
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def host_name(scope) -> str:
    """The host named by a request's ``Host`` header, without its port and brackets, lower case."""
    raw = next((v for k, v in scope.get("headers", ()) if k == b"host"), b"").decode("latin-1").strip().lower()
    if raw.startswith("["):  # [::1]:8765
        return raw[1 : raw.find("]")] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


def configure_solara(scenario: str | os.PathLike[str], host: str, port: int) -> None:
    """Point Solara at the page and switch off what would reach the internet.

    Must run before ``solara.server.app`` is imported: Solara reads the app to serve from the
    environment when that module is imported.
    """
    from ecosim.scenario.loader import find_scenario
    from ecosim.viz.app import SCENARIO_ENV

    os.environ[SCENARIO_ENV] = str(find_scenario(scenario).resolve())  # a shipped scenario's name too
    os.environ["SOLARA_APP"] = "ecosim.viz.app"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    import solara.server.settings as settings

    settings.main.mode = "production"  # no solara.dev check in the page, minified JavaScript
    settings.telemetry.mixpanel_enable = False
    settings.theme.show_banner = False
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

    load_scenario(scenario)  # bad files fail here, with the loader's message, not in the browser
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
