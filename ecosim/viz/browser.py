"""Drive the page in a real headless browser.

For the browser test, the screenshot in the README and the benchmark's round-trip figures.

Needs Playwright for Python (the ``test`` extra) and a Chromium: Debian's ``/usr/bin/chromium``
by default (``ECOSIM_CHROMIUM`` names another), driven through Playwright's ``executable_path``,
so no browser download is needed. The server is a real ``python -m ecosim viz`` process in its
own process group, stopped by its id.

    python -m ecosim.viz.browser screenshot docs/img/viz.png     # the README's picture
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
#: Flags that work for headless Chromium in containers and CI, with no traffic of its own.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Where the page's assets must not come from in tests: an address on this machine that refuses
#: connections, so a missing asset fails at once instead of reaching the public CDN.
NO_CDN = "http://127.0.0.1:9/"


def chromium_path() -> str | None:
    """The Chromium to drive (``ECOSIM_CHROMIUM`` or /usr/bin/chromium), or None if absent."""
    path = os.environ.get("ECOSIM_CHROMIUM", CHROMIUM)
    return path if Path(path).is_file() and os.access(path, os.X_OK) else shutil.which(path)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free when asked for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``python -m ecosim viz`` process."""

    process: subprocess.Popen
    url: str
    output: list[str] = field(default_factory=list)

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the server's process group by its id (SIGTERM, then SIGKILL); its exit code."""
        if self.process.poll() is None:
            pgid = os.getpgid(self.process.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.process.wait(timeout)
        return self.process.returncode


@contextmanager
def viz_server(
    scenario: str | os.PathLike[str],
    *,
    port: int | None = None,
    offline: bool = True,
    startup_timeout: float = 120.0,
    cwd: str | os.PathLike[str] | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start ``python -m ecosim viz SCENARIO --port PORT`` on 127.0.0.1; stop it on exit.

    With ``offline`` the server's Solara is pointed at a refusing local address instead of the
    public CDN, so the page renders only from locally prepared assets (as on a closed network).
    ``env`` adds to the server's environment.
    """
    port = free_port() if port is None else port
    env = {**os.environ, **(env or {})}
    if offline:
        env["SOLARA_ASSETS_CDN"] = NO_CDN
    cmd = [sys.executable, "-m", "ecosim", "viz", str(scenario), "--port", str(port), *extra_args]
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    server = Server(process, f"http://127.0.0.1:{port}/")
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line.rstrip("\n"))
            if line.startswith("ecosim viz:"):
                ready.set()

    threading.Thread(target=pump, name="ecosim-viz-output", daemon=True).start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the viz server did not start (exit code {process.poll()}):\n" + "\n".join(server.output[-30:])
                )
        yield server
    finally:
        server.stop()


@contextmanager
def browser(executable: str | None = None) -> Iterator[Any]:
    """A headless Chromium driven by Playwright (a ``playwright.sync_api.Browser``)."""
    from playwright.sync_api import sync_playwright

    path = executable or chromium_path()
    if path is None:
        raise RuntimeError(f"no Chromium at {CHROMIUM} (install Debian's chromium, or set ECOSIM_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=list(CHROMIUM_FLAGS), headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class PageWatch:
    """What a page did: console errors, failed requests, requests that left this machine."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    cdn: dict[str, int] = field(default_factory=dict)


def open_page(b: Any, url: str, *, width: int = 1500, height: int = 1100, timeout: float = 90.0):
    """Open the page, blocking any request that would leave this machine.

    Returns (page, watch) once the week counter is shown.
    """
    watch = PageWatch()
    context = b.new_context(viewport={"width": width, "height": height})
    page = context.new_page()

    def route(r) -> None:
        target = r.request.url
        if target.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:", "data:")):
            r.continue_()
        else:
            watch.outside.append(target)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and watch.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: watch.errors.append(f"page error: {e}"))

    def response(r) -> None:
        if "/_solara/cdn/" in r.url:
            watch.cdn[r.url.split("/_solara/cdn/", 1)[1]] = r.status

    page.on("response", response)
    page.goto(url)
    page.wait_for_selector("[data-testid=ecosim-week]", timeout=timeout * 1000)
    wait_for_pictures(page)
    return page, watch


def week(page) -> int:
    """The week the page shows."""
    return int(page.inner_text("[data-testid=ecosim-week]"))


def wait_for_pictures(page, timeout: float = 30.0) -> None:
    """Wait until every picture on the page has loaded."""
    page.wait_for_function(
        "() => { const imgs = document.querySelectorAll('.ecosim-stack img');"
        " return imgs.length >= 8 && Array.from(imgs).every(i => i.complete && i.naturalWidth > 0); }",
        timeout=timeout * 1000,
    )


def step(page, times: int = 1, timeout: float = 30.0) -> int:
    """Press Step ``times`` times, waiting for the week shown to advance each time; the week."""
    for _ in range(times):
        before = week(page)
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(
            f"() => Number(document.querySelector('[data-testid=ecosim-week]').innerText) > {before}",
            timeout=timeout * 1000,
        )
    wait_for_pictures(page)
    return week(page)


def screenshot(
    path: str | os.PathLike[str],
    scenario: str = "scenarios/retail_high_alignment.yaml",
    *,
    weeks: int = 20,
    width: int = 1500,
    height: int = 1780,
) -> Path:
    """Serve ``scenario``, step it ``weeks`` weeks in the browser and save a PNG of the page."""
    from ecosim.io import write_with

    target = Path(path)
    with viz_server(scenario) as server, browser() as b:
        page, watch = open_page(b, server.url, width=width, height=height)
        step(page, weeks)
        page.wait_for_timeout(500)
        write_with(target, lambda tmp: page.screenshot(path=str(tmp), type="png"))
        if watch.errors:
            raise RuntimeError("the page reported errors: " + "; ".join(watch.errors))
    return target


def main(argv: list[str] | None = None) -> int:
    """The command line of ``python -m ecosim.viz.browser``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m ecosim.viz.browser", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    shot = sub.add_parser("screenshot", help="save a PNG of the page after some weeks")
    shot.add_argument("path")
    shot.add_argument("--scenario", default="scenarios/retail_high_alignment.yaml")
    shot.add_argument("--weeks", type=int, default=20)
    args = parser.parse_args(argv)
    print(screenshot(args.path, args.scenario, weeks=args.weeks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
