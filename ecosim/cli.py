"""The command line: ``python -m ecosim <command>`` (or the ``ecosim`` script).

Each command lives in :mod:`ecosim.commands` as a module with ``add_arguments(parser)`` and
``run(args) -> int``; heavy imports happen inside ``run``, so ``--help`` stays fast.
Bad input of any kind ends with one clear message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ecosim import __version__

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("ecosim.commands.run", "run a scenario over 20 seeds (or one): verdicts, intervals, results and figures"),
    "compare": ("ecosim.commands.compare", "compare scenarios on the same seeds: paired differences, verdicts, costs"),
    "schema": ("ecosim.commands.schema", "print the JSON Schema of scenario files"),
    "sweep": ("ecosim.commands.sweep", "run a parameter sweep (replicates, resumable) into Parquet"),
    "analyze": ("ecosim.commands.analyze", "analyse a sweep: per-point statistics, phase diagram, sensitivity"),
    "viz": ("ecosim.commands.viz", "the browser visualisation of a scenario (Mesa SolaraViz)"),
    "calibrate": (
        "ecosim.commands.calibrate",
        "fit a scenario to observed weekly numbers (ABC); forecast and what-ifs",
    ),
    "import": (
        "ecosim.commands.import_",
        "read platform exports (Viva Engage, Slack, xAPI) and an HR file into calibrate's weekly table",
    ),
    "plan": (
        "ecosim.commands.plan",
        "search the levers for the plan that does best within a budget, confirmed on fresh futures",
    ),
    "validate": ("ecosim.commands.validate", "reproduce the classic results (Bass, Granovetter, Watts, March)"),
}

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a bad flag is one line naming the flag and what is allowed (usage: ``--help``)."""

    def error(self, message: str):
        """Print one line, ``error: <command>: <problem>``, and exit with code 2."""
        from ecosim.errors import printable

        self.exit(EXIT_USAGE, f"error: {self.prog}: {printable(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``ecosim`` argument parser, with one subcommand per entry of ``COMMANDS``."""
    parser = Parser(
        prog="ecosim",
        description="ecosim: will people come? Simulate the adoption of a learning ecosystem.",
    )
    parser.add_argument("--version", action="version", version=f"ecosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, text) in COMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=text, description=(mod.__doc__ or text).strip().splitlines()[0])
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


#: The exit code of a command whose output's reader went away: 128 + SIGPIPE, as a shell reports a
#: Unix tool stopped by a closed pipe.
EXIT_CLOSED_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        return _main(argv)
    except BrokenPipeError:  # `ecosim schema | head`: the reader has all it wanted
        return _closed_pipe()


def _closed_pipe() -> int:
    """Stop quietly when stdout's reader has gone, as Unix tools do: no traceback, no error at exit."""
    import os

    try:  # later writes, and the flush at exit, go nowhere instead of failing again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_CLOSED_PIPE


def _main(argv: Sequence[str] | None) -> int:
    from ecosim.errors import InputError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version or a usage error (code 2)
        return int(exc.code or 0)
    try:
        return int(args._module.run(args) or 0)
    except InputError as exc:
        print(f"error: {exc.message()}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_USAGE)
    except BrokenPipeError:  # stdout's reader went away: main() ends quietly
        raise
    except OSError as exc:  # a file or folder that could not be read or written, on one line
        from ecosim.outputs import os_error

        print(f"error: {os_error(exc, 'cannot read or write').message()}", file=sys.stderr)
        return os_error(exc, "").exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "error: the scenario needs more memory than this machine has; use fewer learners, dimensions "
            "or topics (docs/performance.md gives the memory a run needs)",
            file=sys.stderr,
        )
        return EXIT_FAIL


def entry() -> None:
    """The ``ecosim`` script and ``python -m ecosim``: run the command line and exit with its code."""
    code = main()
    # The command is done and its files are written and closed. Shutting the interpreter down would
    # now spend a quarter of a second collecting the objects of the libraries it imported (Mesa,
    # pandas, SciPy, Matplotlib) only to free memory the operating system frees anyway; frozen
    # objects are left alone by that collection. Every atexit handler still runs.
    import gc

    gc.freeze()
    sys.exit(code)
