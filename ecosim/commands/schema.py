"""Print the JSON Schema of scenario files, for editors that complete and check YAML."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--indent", type=int, default=2, help="indentation of the JSON (default 2)")


def run(args: argparse.Namespace) -> int:
    from ecosim.scenario.loader import json_schema

    print(json.dumps(json_schema(), indent=args.indent))
    return 0
