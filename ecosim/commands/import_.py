r"""Read a platform's exports (and the HR file) into the observed weekly table that calibrate reads.

    python -m ecosim import engage-export export.zip --hr staff.csv --launch 2025-01-06 --out observed/

Formats: engage-usage (Microsoft 365 usage reports for Viva Engage), engage-export (the Viva Engage
network data export), slack (workspace or member analytics), xapi (statements from a Learning Record
Store). The folder gets ``observed.csv``, ``quality.md`` and ``quality.json``, and where the format or
``--hr`` gives them ``reply_graph.csv``, ``hr_weekly.csv`` and ``scenario.yaml`` (the organisation's
shape). People are pseudonymised as they are read; no name, e-mail address or account id is written
(docs/import.md).
"""

from __future__ import annotations

import argparse

from ecosim.commands._args import folder_arg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``import`` command's arguments to ``parser``."""
    from ecosim.imports import FORMATS

    parser.add_argument(
        "format", choices=list(FORMATS), metavar="FORMAT", help="; ".join(f"{k}: {v}" for k, v in FORMATS.items())
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="the export's files")
    parser.add_argument(
        "--out", required=True, type=folder_arg, metavar="DIR", help="folder for the weekly table and reports"
    )
    parser.add_argument("--hr", metavar="FILE", help="the HR file: employee_id, start_date, end_date, email, ...")
    parser.add_argument(
        "--launch",
        metavar="DATE",
        help="the launch day, YYYY-MM-DD: week 1 starts on it (default: the first day in the export)",
    )
    parser.add_argument(
        "--until", metavar="DATE", help="the last day the export covers, YYYY-MM-DD (default: its last day with data)"
    )
    parser.add_argument("--verbs", metavar="FILE", help="xapi: what each verb means (YAML: visit, post, ignore)")
    parser.add_argument(
        "--key",
        metavar="FILE",
        help="keep the pseudonyms' key in this file (outside --out), so successive imports give the same pseudonyms",
    )
    parser.add_argument("--force", action="store_true", help="replace an earlier import in --out")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    """Import, write the folder and say what it holds; returns the exit code."""
    from ecosim.imports import import_files, write_import
    from ecosim.imports.privacy import Pseudonymiser
    from ecosim.outputs import folder_path, open_output

    out = folder_path(args.out)
    pseudo = Pseudonymiser.from_key_file(args.key, out) if args.key else Pseudonymiser()
    # everything is read and checked before the folder is touched
    imported = import_files(
        args.format,
        args.files,
        hr=args.hr,
        launch=args.launch,
        until=args.until,
        verbs=args.verbs,
        pseudonymiser=pseudo,
    )
    with open_output(
        out, "import", force=args.force, again="--force to replace it, or another folder (--out DIR)"
    ) as folder:
        files = write_import(folder.dir, imported)
        folder.record(*files)
    pseudo.save_key()
    if not args.quiet:
        q = imported.quality
        t = imported.table
        filled = [c for c in t.columns[2:] if t[c].notna().any()]
        n, full = q["weeks"]["count"], q["weeks"]["full"]
        print(f"ecosim: {args.format} imported: {n} week{'s' * (n != 1)} from {q['launch']} ({full} in full)")
        print(f"  columns with values: {', '.join(filled) if filled else 'none'}")
        if q["gaps"]:
            print(f"  gaps: week(s) {', '.join(map(str, q['gaps']))}")
        if q["partial_weeks"]:
            print("  partial weeks: " + ", ".join(f"{p['week']} ({p['days']} days)" for p in q["partial_weeks"]))
        if q["hr"] is not None and q["hr"]["active_missing_from_hr"]:
            print(f"  {q['hr']['active_missing_from_hr']:,} active people are missing from the HR file")
        print(f"Results: {out}/ ({len(files)} files; quality.md is the data-quality report)")
    return 0
