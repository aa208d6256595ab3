"""The results folder of a sweep, written as runs finish.

::

    manifest.json             the sweep and base scenario as resolved, hashes, root seed, versions,
                              status and one entry per session (start, resume)
    design.parquet            one row per design point: point, parameter values
    runs/part-000001.parquet  the runs table, appended in parts as runs finish
    timeseries/part-000001.parquet
                              weekly metrics of the runs in the runs part of the same number
                              (long format: run_id, week, one column per metric)
    runs.parquet              the runs table compacted: one row per run (written at the end of
                              each session; the parts stay, they are the journal)

Every file is written under a temporary name and renamed, so a killed sweep leaves whole files
only. A timeseries part is written before the runs part of the same number, and a run counts as
done only once its runs part exists; on resume a timeseries part without its runs part (the sweep
died between the two) is deleted, and those runs are done again. So nothing is duplicated or lost.

When a run appears more than once in the parts (it failed, then succeeded on resume), the table
keeps its ``ok`` row, else its latest row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.io import write_with

if TYPE_CHECKING:
    import pyarrow as pa

    from ecosim.sweep.spec import Sweep

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs.parquet"
RUNS_PARTS = "runs"
TIMESERIES_PARTS = "timeseries"
ANALYSIS = "analysis"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")
COMPRESSION = "zstd"


def _arrow(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "json": pa.string(),
    }[kind]


def runs_schema(sweep: Sweep, columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of the runs table; ``columns`` are the design's parameter paths."""
    import pyarrow as pa

    from ecosim.scenario.schema import param_info
    from ecosim.sweep.worker import TEXT_METRICS

    fields = [
        pa.field("run_id", pa.int64()),
        pa.field("point", pa.int64()),
        pa.field("replicate", pa.int32()),
        pa.field("seed", pa.int64()),
    ]
    fields += [pa.field(c, _arrow(param_info(c).dtype)) for c in columns]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string()), pa.field("wall_time", pa.float64())]
    fields += [pa.field(m, pa.string() if m in TEXT_METRICS else pa.float64()) for m in sweep.metrics]
    return pa.schema(fields)


def timeseries_schema(sweep: Sweep) -> pa.Schema:
    """The Arrow schema of the timeseries table: run id, week and one column per recorded series."""
    import pyarrow as pa

    return pa.schema(
        [pa.field("run_id", pa.int64()), pa.field("week", pa.int32())]
        + [pa.field(c, pa.float64()) for c in sweep.timeseries]
    )


def _parts(folder: Path) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.iterdir():
        m = _PART.match(p.name)
        if m:
            out[int(m.group(1))] = p
    return dict(sorted(out.items()))


def part_name(number: int) -> str:
    """The file name of part ``number``, e.g. ``part-000001.parquet``."""
    return f"part-{number:06d}.parquet"


class SweepStore:
    """The files of one sweep's results folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @property
    def manifest_path(self) -> Path:
        """The sweep's manifest.json in this folder."""
        return self.folder / MANIFEST

    def has_sweep(self) -> bool:
        """Whether the folder holds a sweep (its manifest exists)."""
        return self.manifest_path.is_file()

    def runs_parts(self) -> dict[int, Path]:
        """The runs part files, by part number (ascending)."""
        return _parts(self.folder / RUNS_PARTS)

    def timeseries_parts(self) -> dict[int, Path]:
        """The timeseries part files, by part number (ascending)."""
        return _parts(self.folder / TIMESERIES_PARTS)

    def clean_incomplete(self) -> int:
        """Delete temporary files and timeseries parts whose runs part was never written.

        Returns the number of files deleted.
        """
        removed = 0
        runs = self.runs_parts()
        for number, path in self.timeseries_parts().items():
            if number not in runs:
                log.info("removing %s: the sweep stopped before its runs part was written", path)
                path.unlink()
                removed += 1
        for sub in (self.folder, self.folder / RUNS_PARTS, self.folder / TIMESERIES_PARTS):
            if sub.is_dir():
                for p in sub.iterdir():
                    if p.name.startswith(".") and p.name.endswith(".tmp"):
                        p.unlink()
                        removed += 1
        return removed

    def next_part(self) -> int:
        """The number for the next part file: one more than the highest runs or timeseries part."""
        numbers = list(self.runs_parts()) + list(self.timeseries_parts())
        return max(numbers, default=0) + 1

    def write_part(self, number: int, runs: pa.Table, timeseries: pa.Table | None) -> None:
        """Write one part: its timeseries first, then its runs (which marks those runs as done)."""
        import pyarrow.parquet as pq

        if timeseries is not None and timeseries.num_rows:
            write_with(
                self.folder / TIMESERIES_PARTS / part_name(number),
                lambda tmp: pq.write_table(timeseries, tmp, compression=COMPRESSION),
            )
        write_with(
            self.folder / RUNS_PARTS / part_name(number), lambda tmp: pq.write_table(runs, tmp, compression=COMPRESSION)
        )

    def finished(self) -> np.ndarray:
        """Run ids with an ``ok`` row, sorted."""
        runs = one_row_per_run(self.runs_parts(), ["status"])
        return runs.column("run_id").to_numpy()[_is_ok(runs)]

    def compact(self, schema: pa.Schema) -> dict[str, int]:
        """Write ``runs.parquet``: one row per run, from the parts, sorted by run id.

        Returns the runs per status (a run that failed and then succeeded is ok).
        """
        import pyarrow.parquet as pq

        parts = self.runs_parts()
        runs = one_row_per_run(parts).cast(schema) if parts else schema.empty_table()
        write_with(self.folder / RUNS, lambda tmp: pq.write_table(runs, tmp, compression=COMPRESSION))
        ok = int(np.count_nonzero(_is_ok(runs)))
        return {"ok": ok, "failed": runs.num_rows - ok}


def one_row_per_run(parts: dict[int, Path], columns: Sequence[str] | None = None) -> pa.Table:
    """The runs parts read once (``columns`` only, with run id and status): one row per run, sorted by run id.

    A run that appears more than once (it failed, then was made again on resume) keeps its ``ok``
    row, else its row in the latest part.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not parts:
        return pa.table({"run_id": pa.array([], pa.int64()), "status": pa.array([], pa.string())})
    dataset = ds.dataset([str(p) for p in parts.values()], format="parquet")  # in part order
    names = dataset.schema.names if columns is None else _with_keys(columns)
    table = dataset.to_table(columns=[*names, "__fragment_index"])
    ids = table.column("run_id").to_numpy()
    order = np.lexsort((table.column("__fragment_index").to_numpy(), _is_ok(table), ids))
    last = np.r_[ids[order][1:] != ids[order][:-1], True]  # by id: failed before ok, older parts first
    return table.drop_columns("__fragment_index").take(order[last])


def _is_ok(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("status").to_numpy(zero_copy_only=False) == "ok")


# --------------------------------------------------------------------------------------------
# Reading results
# --------------------------------------------------------------------------------------------


def read_runs(folder: str | Path, columns: Sequence[str] | None = None) -> pa.Table:
    """The runs table of a results folder, one row per run, sorted by run id.

    Works on a finished sweep and on one still running or interrupted (it reads the parts). Only
    ``columns`` are read when given (``run_id`` and ``status`` are always included).
    """
    import pyarrow.parquet as pq

    store = SweepStore(folder)
    parts = store.runs_parts()
    if not parts:
        path = Path(folder) / RUNS
        if path.is_file():
            return pq.read_table(path, columns=_with_keys(columns)).sort_by("run_id")
        from ecosim.errors import InputError

        raise InputError(
            "no sweep results here", file=str(folder), allowed="a folder written by 'python -m ecosim sweep'"
        )
    return one_row_per_run(parts, columns)


def _with_keys(columns: Sequence[str] | None) -> list[str] | None:
    return None if columns is None else list(dict.fromkeys(["run_id", "status", *columns]))


def iter_timeseries(folder: str | Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    """The weekly series part by part (for sweeps too large to read at once)."""
    import pyarrow.parquet as pq

    store = SweepStore(folder)
    runs = store.runs_parts()
    for number, path in store.timeseries_parts().items():
        if number in runs:  # a part without its runs part is an unfinished write
            cols = None if columns is None else list(dict.fromkeys(["run_id", "week", *columns]))
            yield pq.read_table(path, columns=cols)


def read_timeseries(
    folder: str | Path, columns: Sequence[str] | None = None, run_ids: Sequence[int] | None = None
) -> pa.Table:
    """The weekly series of the runs (long format: run_id, week, metrics), sorted by run id and week."""
    import pyarrow as pa
    import pyarrow.compute as pc

    tables = []
    wanted = None if run_ids is None else pa.array(np.asarray(run_ids, dtype=np.int64))
    for t in iter_timeseries(folder, columns):
        if wanted is not None:
            t = t.filter(pc.is_in(t.column("run_id"), value_set=wanted))
        tables.append(t)
    if not tables:
        return pa.table({"run_id": pa.array([], pa.int64()), "week": pa.array([], pa.int32())})
    return pa.concat_tables(tables).sort_by([("run_id", "ascending"), ("week", "ascending")])


def read_design(folder: str | Path) -> Any:
    """The design table (pandas DataFrame): point, then one column per parameter."""
    import pandas as pd

    return pd.read_parquet(Path(folder) / DESIGN)
