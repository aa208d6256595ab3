"""Platform and HR exports read into the observed weekly table that ``calibrate`` reads.

    from ecosim.imports import import_files, write_import

    imported = import_files("engage-export", ["export.zip"], hr="staff.csv", launch="2025-01-06")
    imported.table        # the weekly table (pandas; empty cells where the format cannot tell)
    imported.quality      # the data-quality report (a dict; quality_markdown() in plain words)
    write_import("observed/", imported)

Formats (:data:`FORMATS`): ``engage-usage`` (Microsoft 365 usage reports for Viva Engage),
``engage-export`` (the Viva Engage network data export), ``slack`` (workspace analytics or member
analytics), ``xapi`` (statements from a Learning Record Store). docs/import.md describes each: its
columns, where to get it, and what it gives.

This layer reads files into validated tables; it imports nothing from the command line, plotting or
the browser page. People are pseudonymised as they are read (:mod:`ecosim.imports.privacy`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecosim import lazy_exports
from ecosim.errors import InputError

if TYPE_CHECKING:
    from ecosim.imports.privacy import Pseudonymiser
    from ecosim.imports.weekly import COLUMNS, Imported, quality_markdown

log = logging.getLogger(__name__)

#: Format name -> what it is.
FORMATS = {
    "engage-usage": "Microsoft 365 usage reports for Viva Engage: activity counts, user counts, user detail (CSV)",
    "engage-export": "the Viva Engage network data export (ZIP with Messages.csv, Users.csv, Groups.csv)",
    "slack": "Slack analytics: the workspace overview CSV, or member analytics (JSON lines, gzipped or not)",
    "xapi": "xAPI statements from a Learning Record Store (JSON array or JSON lines)",
}

#: The files an import writes.
TABLE = "observed.csv"
QUALITY_MD = "quality.md"
QUALITY_JSON = "quality.json"
REPLY_GRAPH = "reply_graph.csv"
HR_TABLE = "hr_weekly.csv"
SCENARIO = "scenario.yaml"
MANIFEST = "import.json"

__all__ = ["COLUMNS", "FORMATS", "Imported", "import_files", "parse_day_flag", "quality_markdown", "write_import"]

# pandas loads when the tables are first needed, so that ``ecosim --help`` stays fast
__getattr__ = lazy_exports(
    __name__,
    {
        "COLUMNS": "ecosim.imports.weekly",
        "Imported": "ecosim.imports.weekly",
        "quality_markdown": "ecosim.imports.weekly",
    },
)


def parse_day_flag(text: str | dt.date | None, flag: str) -> dt.date | None:
    """A ``--launch`` or ``--until`` value (``YYYY-MM-DD``) as a date."""
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError("not a date", file=flag, value=str(text), allowed="a date YYYY-MM-DD") from None


def import_files(
    format: str,
    files: Sequence[str | os.PathLike[str]],
    *,
    hr: str | os.PathLike[str] | None = None,
    launch: str | dt.date | None = None,
    until: str | dt.date | None = None,
    verbs: str | os.PathLike[str] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> Imported:
    """Read ``files`` of ``format`` (and the HR file) into the weekly table and the quality report.

    Args:
        format: one of :data:`FORMATS`.
        files: the export's files.
        hr: the organisation's HR file (headcount, joiners and leavers from its dates).
        launch: the platform's launch day (week 1 starts on it); default the first day in the export.
        until: the last day the export covers (default: its last day with data).
        verbs: an xAPI verb mapping file (``xapi`` only).
        pseudonymiser: replaces identifiers (default: a new random key, kept in memory only).

    Raises:
        InputError: a file that cannot be read, or any bad row (one line naming file, row and column).
    """
    if format not in FORMATS:
        from ecosim.errors import did_you_mean

        raise InputError(
            "unknown format",
            file="FORMAT",
            value=format,
            hint=did_you_mean(format, FORMATS),
            allowed=", ".join(FORMATS),
        )
    if not files:
        raise InputError("no file to import", file="FILE", allowed="one or more export files")
    if verbs is not None and format != "xapi":
        raise InputError("--verbs is for xAPI statements", file="--verbs", allowed="--verbs with the xapi format")
    from ecosim.imports.privacy import Pseudonymiser
    from ecosim.imports.weekly import build

    launch_day = parse_day_flag(launch, "--launch")
    until_day = parse_day_flag(until, "--until")
    pseudo = pseudonymiser or Pseudonymiser()
    if format == "engage-usage":
        from ecosim.imports import m365

        parsed = m365.read(files, pseudo)
    elif format == "engage-export":
        from ecosim.imports import engage

        parsed = engage.read(files, pseudo)
    elif format == "slack":
        from ecosim.imports import slack

        parsed = slack.read(files, pseudo)
    else:
        from ecosim.imports import xapi

        mapping = xapi.read_verbs(verbs) if verbs is not None else None
        parsed = xapi.read(files, pseudo, mapping)
    hr_weeks = None
    if hr is not None:
        from ecosim.imports.hr import read_hr

        hr_weeks = read_hr(hr, pseudo)
    imported = build(parsed, launch=launch_day, until=until_day, hr=hr_weeks)
    if hr is not None:
        imported.scenario = organisation_scenario(hr, launch=imported.quality["launch"])
    imported.quality["pseudonyms"] = f"keyed BLAKE2b, key kept in {pseudo.kept_in}"
    log.info("imported %s: %d weeks", format, len(imported.table))
    return imported


def organisation_scenario(hr: str | os.PathLike[str], *, launch: str) -> str:
    """A scenario of the HR file's organisation, in numbers only: its units, their sizes, sites, turnover.

    The organisation generator's shape (``organisation.stores`` units of ``staff_per_store`` people on
    average, spread ``store_size_spread``, in ``regions`` sites) and ``turnover.annual_rate``, read
    from the people employed on the file's latest date (:mod:`ecosim.scenario.staff`). No person, unit
    or site is named in it, so it may travel with the import; ``network.kind: hr`` reads the file itself.
    """
    import numpy as np

    from ecosim.scenario.staff import read_staff

    staff = read_staff(hr)
    sizes = staff.unit_sizes().astype(float)
    if sizes.size == 0:  # no unit column: one unit per site, or one in all
        sizes = np.array([float(staff.n)])
    mean = float(sizes.mean())
    spread = float(sizes.std() / mean) if sizes.size > 1 and mean > 0 else 0.0
    sites = int(np.unique(staff.site[staff.site >= 0]).size) or 1
    lines = [
        f"# Written by ecosim import from the HR file's {staff.rows:,} rows: the shape of the organisation",
        f"# employed on {staff.day.isoformat()} ({staff.n:,} people), in numbers only (no person, unit or site",
        "# is named). Start from it, or give the HR file itself with network.kind: hr (docs/import.md).",
        "extends: retail",
        "name: imported_organisation",
        "description: >",
        f"  The organisation of an HR file: {sizes.size:,} units of about {mean:.0f} people at {sites:,} site(s),",
        f"  {staff.annual_turnover:.0%} yearly turnover (from its dates), the platform launched on {launch}.",
        "organisation:",
        "  unit_word: unit",
        "  site_word: site",
        f"  stores: {sizes.size}",
        f"  staff_per_store: {round(mean, 2)}",
        f"  store_size_spread: {round(min(spread, 2.0), 3)}",
        f"  regions: {min(sites, sizes.size)}",
        "  head_office: 0",
        "turnover:",
        f"  annual_rate: {staff.annual_turnover}",
        "",
    ]
    return "\n".join(lines)


def write_import(folder: str | os.PathLike[str], imported: Imported) -> list[str]:
    """Write the import's files into ``folder`` (each atomically); returns their names.

    Only names of files (no folders, which may name a person) and pseudonyms are written.
    """
    from ecosim import __version__
    from ecosim.imports.weekly import quality_markdown
    from ecosim.io import write_json, write_text

    out = Path(folder)
    names = [TABLE, QUALITY_MD, QUALITY_JSON]
    write_text(out / TABLE, imported.table.to_csv(index=False, lineterminator="\n"))
    write_text(out / QUALITY_MD, quality_markdown(imported.quality))
    write_json(out / QUALITY_JSON, imported.quality)
    if imported.edges is not None:
        write_text(out / REPLY_GRAPH, imported.edges.to_csv(index=False, lineterminator="\n"))
        names.append(REPLY_GRAPH)
    if imported.hr_table is not None:
        write_text(out / HR_TABLE, imported.hr_table.to_csv(index=False, lineterminator="\n"))
        names.append(HR_TABLE)
    if imported.scenario is not None:
        write_text(out / SCENARIO, imported.scenario)
        names.append(SCENARIO)
    manifest: dict[str, Any] = {
        "format": imported.quality["format"],
        "ecosim": __version__,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": imported.quality["files"],
        "launch": imported.quality["launch"],
        "weeks": imported.quality["weeks"]["count"],
        "outputs": names + [MANIFEST],
        "pseudonyms": imported.quality.get("pseudonyms"),
    }
    write_json(out / MANIFEST, manifest)
    names.append(MANIFEST)
    return names
