"""Print the JSON Schema of scenario files (for editors) or the scenario reference in Markdown."""

from __future__ import annotations

import argparse
import json

from ecosim.commands._args import whole_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``schema`` command's arguments to ``parser``."""
    parser.add_argument(
        "--indent", type=whole_number(0, 16), default=2, metavar="N", help="indentation of the JSON (0-16, default 2)"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the scenario reference (docs/scenarios.md) instead"
    )


def run(args: argparse.Namespace) -> int:
    """Print the scenario files' JSON Schema, or with ``--markdown`` the scenario reference; returns 0."""
    if args.markdown:
        from ecosim.scenario.reference import markdown

        print(markdown(), end="")
        return 0
    from ecosim.scenario.loader import json_schema

    print(json.dumps(json_schema(), indent=args.indent))
    return 0
