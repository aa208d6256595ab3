"""Serve the browser visualisation of a scenario (Mesa SolaraViz), or prepare its assets for offline use.

python -m ecosim viz scenarios/retail.yaml             # then open the address it prints
python -m ecosim viz --prepare-assets                  # once, for closed networks (see docs/viz.md)
"""

from __future__ import annotations

import argparse
import sys

from ecosim.commands._args import whole_number
from ecosim.viz.server import DEFAULT_HOST, DEFAULT_PORT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``viz`` command's arguments to ``parser``."""
    parser.add_argument("scenario", nargs="?", help="scenario file (YAML), e.g. scenarios/retail.yaml")
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
        "0.0.0.0 lets other machines open the page)",
    )
    parser.add_argument(
        "--port",
        type=whole_number(1, 65535, "a port number"),
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--prepare-assets",
        action="store_true",
        help="fetch the page's JavaScript and CSS from the npm registry into the folder Solara "
        "serves them from, so the page works without the public CDN; safe to repeat",
    )
    parser.add_argument(
        "--check-assets",
        action="store_true",
        help="say where the page's JavaScript is served from and whether any is missing (exit code 1 if so)",
    )
    parser.add_argument(
        "--registry",
        metavar="URL",
        help="npm registry for the page's JavaScript, fetched with --prepare-assets or when missing at start "
        "(default: npm's own setting, else https://registry.npmjs.org/)",
    )
    parser.add_argument(
        "--no-npm",
        action="store_true",
        help="with --prepare-assets: download from the registry directly instead of with npm pack",
    )


def run(args: argparse.Namespace) -> int:
    """Check or prepare the page's assets, or serve the page for a scenario; returns the exit code."""
    from ecosim.viz import assets

    if args.check_assets:
        print(assets.describe())
        return 1 if assets.missing() else 0
    if args.prepare_assets:
        try:
            assets.prepare(
                registry=args.registry,
                use_npm=False if args.no_npm else None,
                report=lambda line: print(line, flush=True),
            )
        except assets.AssetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"The page's JavaScript is in {assets.cache_dir()}; the viz works offline.")
        if args.scenario is None:
            return 0
    elif args.no_npm:
        print("error: --no-npm goes with --prepare-assets", file=sys.stderr)
        return 2
    if args.scenario is None:
        print(
            "error: give a scenario file, e.g. python -m ecosim viz scenarios/retail.yaml (or --prepare-assets)",
            file=sys.stderr,
        )
        return 2
    return _serve(args, assets)


def _serve(args: argparse.Namespace, assets) -> int:
    from ecosim.scenario.loader import load_scenario
    from ecosim.viz.app import grace_seconds, max_tabs
    from ecosim.viz.server import check_port, serve

    load_scenario(args.scenario)  # a bad file, bad limits or a busy port are said before anything is fetched
    max_tabs(), grace_seconds()
    check_port(args.host, args.port)
    # never serve a blank page: the page's JavaScript is fetched now, or the server does not start
    try:
        absent = assets.missing()
        if absent:
            print(
                "note: the page's JavaScript is not stored locally ("
                + ", ".join(p.spec for p in absent)
                + "); fetching it from the npm registry once",
                file=sys.stderr,
                flush=True,
            )
            assets.prepare(registry=args.registry, report=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    except assets.AssetError as exc:
        print(
            f"error: the page's JavaScript is missing and could not be fetched ({exc}); on a machine that "
            "reaches the npm registry run `python -m ecosim viz --prepare-assets` (`--registry URL` for a "
            f"mirror), or copy {assets.cache_dir()} from a machine where it was prepared (docs/viz.md)",
            file=sys.stderr,
        )
        return 1
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"note: listening on {args.host}: anyone who can reach this machine on port {args.port} can open "
            "the page and run models on it.",
            file=sys.stderr,
        )

    def ready(url: str) -> None:
        print(f"ecosim viz: {args.scenario} at {url} (Ctrl+C to stop)", flush=True)

    serve(args.scenario, args.host, args.port, on_ready=ready)
    return 0
