"""Talk to the browser page's server as a browser would, over its websocket, without a browser.

The page is a Solara app: the browser opens a websocket per tab, speaks the Jupyter kernel
protocol over it, and the page's widgets (sliders, the seed field, buttons) are Jupyter widgets.
:class:`Tab` opens such a websocket, starts the page, keeps every widget's state as the server
sends it and can send what a browser sends: a slider's new value, a click. So a test can send
what no browser sends (a string to a slider, a foreign ``Origin``) and read what the page shows.

:func:`page_server` starts the page's server (:func:`ecosim.viz.server.serve`, what
``python -m ecosim viz`` runs) as a process in its own process group, without the check for
the page's JavaScript, which these tests do not load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]

SERVE = (
    "import sys\n"
    "from ecosim.viz.server import serve\n"
    "serve(sys.argv[1], port=int(sys.argv[2]), on_ready=lambda url: print('ecosim viz:', url, flush=True))\n"
)


@dataclass
class PageServer:
    """A running page server: its process, port and output."""

    process: subprocess.Popen
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def rss_mb(self) -> float:
        """The server process's resident memory, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")  # pragma: no cover

    def log(self) -> str:
        return "\n".join(self.output)

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body) of a plain HTTP request to the server."""
        request = urllib.request.Request(self.url.rstrip("/") + path, method=method, headers=headers or {})
        if method == "POST":
            request.data = b""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@contextmanager
def page_server(scenario: str | os.PathLike[str], env: dict[str, str] | None = None) -> Iterator[PageServer]:
    """Serve ``scenario`` on a free port of 127.0.0.1; stop the server's process group on exit."""
    from ecosim.viz.browser import NO_CDN, free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(scenario), str(port)],
        cwd=ROOT,
        env={**os.environ, "SOLARA_ASSETS_CDN": NO_CDN, **(env or {})},  # nothing leaves this machine
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = PageServer(process, port)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line.rstrip("\n"))
            if line.startswith("ecosim viz:"):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the page's server did not start:\n" + server.log()[-3000:])
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(15)


def _message(msg_type: str, content: dict[str, Any], channel: str = "shell") -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": msg_type, "session": "ecosim-test", "username": "", "version": "5.3"}
    text = json.dumps(
        {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}
    )
    return msg_id, text


class Tab:
    """One browser tab's websocket to the page: the page's widgets, as the server sent them.

    ``widgets`` maps each widget's id to its state (``_model_name``, ``label``, ``v_model``,
    ``children`` ...), updated by every message the server sends.
    """

    def __init__(self, port: int, *, origin: str | None = "own", timeout: float = 120.0) -> None:
        self.kernel_id = str(uuid.uuid4())
        self.page_id = str(uuid.uuid4())
        self.port = port
        self.timeout = timeout
        self.widgets: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # every message received
        url = f"ws://127.0.0.1:{port}/jupyter/api/kernels/{self.kernel_id}/channels?session_id={self.page_id}"
        if origin == "own":
            origin = f"http://127.0.0.1:{port}"
        # a context manager, entered here and left in close() (websockets 17 warns otherwise)
        self.ws = connect(url, origin=origin, open_timeout=timeout, max_size=None).__enter__()

    # ---- the protocol -------------------------------------------------------------------------

    def _take(self, text: str | bytes) -> dict[str, Any] | None:
        if isinstance(text, bytes):
            return None  # binary messages carry pictures
        msg = json.loads(text)
        self.sent.append(msg)
        kind = msg["header"]["msg_type"]
        content = msg.get("content", {})
        data = content.get("data", {}) if isinstance(content, dict) else {}
        if kind == "comm_open" and "state" in data:
            self.widgets[content["comm_id"]] = dict(data["state"])
        elif kind == "comm_msg" and data.get("method") == "update" and content.get("comm_id") in self.widgets:
            self.widgets[content["comm_id"]].update(data.get("state", {}))
        elif kind == "comm_close":
            self.widgets.pop(content.get("comm_id"), None)
        return msg

    def send(self, msg_type: str, content: dict[str, Any]) -> None:
        """Send a message and read the server's answers until it has handled it (its status is idle)."""
        msg_id, text = _message(msg_type, content)
        self.ws.send(text)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._take(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if (
                msg is not None
                and msg["header"]["msg_type"] == "status"
                and msg.get("parent_header", {}).get("msg_id") == msg_id
                and msg["content"].get("execution_state") == "idle"
            ):
                return

    def start(self) -> Tab:
        """Start the page, as the browser does once its websocket is open."""
        control = uuid.uuid4().hex
        self.send("comm_open", {"comm_id": control, "target_name": "solara.control", "data": {}})
        run = {"method": "run", "args": {"path": "", "appName": "__default__"}}
        self.send("comm_msg", {"comm_id": control, "data": run})
        return self

    def set(self, widget: str, **state: Any) -> None:
        """Send a widget's new state, as the browser does when a slider moves or a field is typed in."""
        self.send("comm_msg", {"comm_id": widget, "data": {"method": "update", "state": state, "buffer_paths": []}})

    def click(self, widget: str) -> None:
        """Click a button."""
        event = {"method": "custom", "content": {"event": "click", "data": {}}}
        self.send("comm_msg", {"comm_id": widget, "data": event})

    def close(self) -> None:
        """Close the websocket, as a lost connection does (the page's close beacon is not sent)."""
        self.ws.close()

    def close_tab(self) -> int:
        """Close the tab as a browser does: the websocket, then the close beacon; the beacon's status."""
        self.ws.close()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_solara/api/close/{self.kernel_id}?session_id={self.page_id}",
            method="POST",
            data=b"",
            headers={"Origin": f"http://127.0.0.1:{self.port}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    # ---- what the page shows ------------------------------------------------------------------

    def find(self, model: str, **match: Any) -> list[str]:
        """The ids of the widgets of ``model`` (e.g. "SliderModel") whose state has the values ``match``."""
        return [
            wid
            for wid, state in self.widgets.items()
            if state.get("_model_name") == model and all(state.get(k) == v for k, v in match.items())
        ]

    def one(self, model: str, **match: Any) -> str:
        found = self.find(model, **match)
        assert len(found) == 1, (model, match, found)
        return found[0]

    def slider(self, label: str) -> str:
        return self.one("SliderModel", label=label)

    def button(self, label: str) -> str:
        """The button whose text is ``label`` (Step, Reset, ...)."""
        for wid, state in self.widgets.items():
            if state.get("_model_name") == "BtnModel" and label in self._texts(state.get("children", []), 3):
                return wid
        raise AssertionError(f"no button {label!r}")

    def _texts(self, children: list[Any], depth: int) -> list[str]:
        out = []
        for child in children:
            if isinstance(child, str) and child.startswith("IPY_MODEL_"):
                state = self.widgets.get(child[len("IPY_MODEL_") :], {})
                if depth > 0:
                    out += self._texts(state.get("children", []), depth - 1)
            elif isinstance(child, str):
                out.append(child)
        return out

    def text(self) -> str:
        """Every text the page's widgets hold (HTML included), one per line."""
        texts = []
        for state in self.widgets.values():
            for key in ("unsafe_innerHTML", "v_model", "label", "children", "value", "description"):
                value = state.get(key)
                if isinstance(value, str) and value != "!!disabled!!":  # ipyvue's "no v_model"
                    texts.append(value)
                elif isinstance(value, list):
                    texts += [v for v in value if isinstance(v, str) and not v.startswith("IPY_MODEL_")]
        return "\n".join(texts)

    def html(self, testid: str) -> list[str]:
        """The HTML of the widgets whose ``data-testid`` attribute is ``testid``."""
        return [
            state.get("unsafe_innerHTML", "")
            for state in self.widgets.values()
            if (state.get("attributes") or {}).get("data-testid") == testid
        ]

    def __enter__(self) -> Tab:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing a websocket the server already closed
            pass
