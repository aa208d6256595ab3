"""Running a sweep: design points x replicates, dispatched to an executor, streamed to Parquet."""

from __future__ import annotations

import datetime as _dt
import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ecosim.errors import InputError
from ecosim.io import write_json, write_with
from ecosim.sweep.design import Design, build_design, run_overrides
from ecosim.sweep.seeds import run_seed
from ecosim.sweep.spec import MAX_REPLICATES, Sweep
from ecosim.sweep.storage import (
    DESIGN,
    MANIFEST,
    RUNS,
    RUNS_PARTS,
    TIMESERIES_PARTS,
    SweepStore,
    runs_schema,
    timeseries_schema,
)
from ecosim.sweep.worker import RunOutcome, RunTask, execute, failed

log = logging.getLogger(__name__)

#: Runs per part file: a killed sweep loses at most the runs not yet written (and FLUSH_SECONDS).
PART_RUNS = 250
#: A part is written at least this often while runs finish, so a long sweep loses little on a kill.
FLUSH_SECONDS = 30.0


def run_id(point: int, replicate: int) -> int:
    """The run id of (design point, replicate): ``point * 10,000 + replicate``."""
    return point * MAX_REPLICATES + replicate


def split_run_id(rid: int | np.ndarray) -> tuple[Any, Any]:
    """(design point, replicate) of a run id or an array of them: the inverse of :func:`run_id`."""
    return rid // MAX_REPLICATES, rid % MAX_REPLICATES


@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    folder: Path
    planned: int  # runs in the sweep (points x replicates)
    skipped: int  # already finished before this session (resume)
    ok: int  # finished in this session
    failed: int  # failed in this session
    elapsed: float
    executor: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    totals: dict[str, int] = field(default_factory=dict)  # ok / failed over the whole sweep

    @property
    def pending(self) -> int:
        """Runs of the sweep not yet made (a resume with fewer replicates leaves extra runs, not negative ones)."""
        return max(0, self.planned - self.totals.get("ok", 0) - self.totals.get("failed", 0))


class ProgressBar(Protocol):
    """What a progress bar needs (tqdm's interface): ``update(n)`` and ``close()``."""

    def update(self, n: int = 1) -> object:
        """Count ``n`` more runs done."""

    def close(self) -> None:
        """Finish the bar."""


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    part_runs: int = PART_RUNS,
    flush_seconds: float = FLUSH_SECONDS,
    progress: Callable[[int, int], ProgressBar] | None = None,
    command: list[str] | None = None,
) -> SweepReport:
    """Run every run of ``sweep`` not yet finished in ``out``.

    Args:
        sweep: a checked sweep (:func:`ecosim.sweep.spec.load_sweep`).
        out: the results folder.
        executor: ``processes``, ``sequential`` or ``dask``.
        workers: worker processes (processes, local Dask cluster); default: one per core.
        scheduler: address of an existing Dask scheduler.
        resume: continue the sweep already in ``out`` (finished runs are skipped, failed runs are
            tried again). An empty or missing folder starts a new sweep.
        force: delete the sweep results in ``out`` and start again.
        part_runs: runs per part file.
        flush_seconds: write a part at least this often.
        progress: ``progress(total, initial)`` returns a progress bar (``update``, ``close``).
        command: the command line, for the manifest.

    Raises:
        InputError: the folder holds other files or another sweep, or the design is invalid.
        OutputError: the folder cannot be written, or another command is writing it.
    """
    from ecosim.outputs import open_output
    from ecosim.sweep.executors import make_executor

    started = time.perf_counter()
    design = build_design(sweep)
    again = "--resume to continue it, --force to start it again, or another folder (--out DIR)"
    with open_output(out, "sweep", force=force, resume=resume, journal=True, again=again) as folder:
        folder.claim(MANIFEST, DESIGN, RUNS, f"{RUNS_PARTS}/part-*.parquet", f"{TIMESERIES_PARTS}/part-*.parquet")
        store = SweepStore(folder.path)
        schema = runs_schema(sweep, design.columns)
        ts_schema = timeseries_schema(sweep) if sweep.timeseries else None
        manifest = _prepare(store, sweep, design, resumed=folder.resumed)

        # the folder's replicate count never shrinks: a resume with fewer replicates keeps (and counts)
        # the runs made with more, so the manifest's counts are those of every run in the folder
        stored = manifest.get("replicates") if folder.resumed else None
        held = max(sweep.replicates, stored if isinstance(stored, int) and not isinstance(stored, bool) else 0)
        planned = len(design) * held
        done = store.finished()
        points, reps = split_run_id(done)
        skipped = int(np.count_nonzero((points < len(design)) & (reps < sweep.replicates)))
        todo = len(design) * sweep.replicates - skipped

        session: dict[str, Any] = {
            "started": _now(),
            "command": command if command is not None else sys.argv,
            "replicates": sweep.replicates,
            "skipped": skipped,
        }
        manifest.setdefault("sessions", []).append(session)
        manifest["status"] = "running"
        write_json(store.manifest_path, manifest)

        report = SweepReport(folder.path, planned, skipped, 0, 0, 0.0)
        writer = _PartWriter(store, sweep, design, schema, ts_schema, part_runs, flush_seconds)
        bar = progress(skipped + todo, skipped) if progress is not None else None
        try:
            if todo:
                with make_executor(executor, workers=workers, scheduler=scheduler) as ex:
                    report.executor = ex.describe()
                    session["executor"] = report.executor
                    write_json(store.manifest_path, manifest)
                    for outcome in ex.map(execute, _tasks(sweep, design, done), on_error=failed):
                        writer.add(outcome)
                        if outcome.status == "ok":
                            report.ok += 1
                        else:
                            report.failed += 1
                            log.warning("run %d failed: %s", outcome.run_id, outcome.error)
                        if bar is not None:
                            bar.update(1)
        except KeyboardInterrupt:
            report.interrupted = True
            raise
        finally:
            if bar is not None:
                bar.close()
            writer.flush()
            report.totals = store.compact(schema)
            report.elapsed = time.perf_counter() - started
            session.update(
                finished=_now(),
                elapsed_seconds=round(report.elapsed, 3),
                runs_ok=report.ok,
                runs_failed=report.failed,
                interrupted=report.interrupted,
            )
            pending = planned - report.totals.get("ok", 0) - report.totals.get("failed", 0)
            manifest["replicates"] = held
            manifest["runs"] = {"planned": planned, **report.totals, "pending": max(pending, 0)}
            manifest["status"] = "incomplete" if pending > 0 else "complete"
            manifest["updated"] = _now()
            write_json(store.manifest_path, manifest)
        return report


def _tasks(sweep: Sweep, design: Design, done: np.ndarray | set[int]) -> Iterator[RunTask]:
    """The runs not yet finished, design point by design point (lazily: memory stays flat).

    ``done`` holds the run ids already finished (a sorted array: 8 bytes per run, whatever the sweep's size).
    """
    done = np.unique(np.fromiter(done, dtype=np.int64)) if isinstance(done, set) else np.asarray(done, np.int64)
    reps = np.arange(sweep.replicates, dtype=np.int64)
    for point in range(len(design)):
        ids = point * MAX_REPLICATES + reps
        pos = np.searchsorted(done, ids).clip(max=max(done.size - 1, 0))
        finished = (done[pos] == ids) if done.size else np.zeros(ids.size, bool)
        if finished.all():
            continue
        scenario = sweep.scenario_for(run_overrides(design, point))
        for rep in np.flatnonzero(~finished):
            rep = int(rep)
            yield RunTask(
                run_id(point, rep), run_seed(sweep.seed, point, rep), scenario, sweep.metrics, sweep.timeseries
            )


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _prepare(store: SweepStore, sweep: Sweep, design: Design, *, resumed: bool) -> dict[str, Any]:
    """Check a resumed sweep against this one, or write a new sweep's design; returns the manifest."""
    import json

    folder = store.folder
    if resumed and not store.has_sweep():
        raise InputError(
            "the sweep's manifest is missing",
            file=str(store.manifest_path),
            allowed="--force to start the sweep again, or another folder (--out DIR)",
        )
    if resumed:
        try:
            manifest = json.loads(store.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the sweep's manifest: {exc}", file=str(store.manifest_path)) from None
        _check_input_files(manifest, sweep, folder)
        if manifest.get("sweep_sha256") != sweep.sha256():
            raise InputError(
                "the results folder holds a different sweep (its parameters, design, base scenario, seed, "
                "metrics or weekly columns differ)",
                file=str(folder),
                value=manifest.get("sweep_file"),
                allowed="--resume with the same sweep, --force to start again, or another folder (--out DIR)",
            )
        _check_design(store, design)
        removed = store.clean_incomplete()
        if removed:
            log.info("removed %d unfinished files left by an interrupted session", removed)
        return manifest
    _write_design(store, design)
    return _new_manifest(sweep, design)


def _check_input_files(manifest: dict[str, Any], sweep: Sweep, folder: Path) -> None:
    """Refuse to resume when a file the runs read (an edge list, a nodes file) changed since the sweep began."""
    before = manifest.get("input_files") or {}
    now = sweep.input_files()
    for path, digest in now.items():
        if path in before and before[path] != digest:
            raise InputError(
                f"the file changed since the sweep began (sha256 {before[path][:12]}... then, {digest[:12]}... now): "
                "resuming would mix two different inputs in one table",
                file=path,
                allowed=f"the original file back in place, or --force to start the sweep in {folder} again",
            )


def _design_table(design: Design):
    import pandas as pd

    table = design.points.copy()
    table.insert(0, "point", np.arange(len(table), dtype=np.int64))
    if design.sample is not None:
        # the sampler's values before whole-number parameters were rounded (what SALib analyses)
        for j, c in enumerate(design.columns):
            table[f"sample:{c}"] = design.sample[:, j]
    return pd.DataFrame(table)


def _write_design(store: SweepStore, design: Design) -> None:
    table = _design_table(design)
    write_with(store.folder / DESIGN, lambda tmp: table.to_parquet(tmp, index=False, compression="zstd"))


def _check_design(store: SweepStore, design: Design) -> None:
    import pandas as pd

    path = store.folder / DESIGN
    if not path.is_file():
        raise InputError(
            "the sweep's design table is missing",
            file=str(path),
            allowed="a results folder written by 'ecosim sweep' (or --force to start again)",
        )
    stored = pd.read_parquet(path)
    now = _design_table(design)
    try:
        pd.testing.assert_frame_equal(stored.reset_index(drop=True), now.reset_index(drop=True), check_dtype=False)
    except AssertionError:
        raise InputError(
            "the design points differ from those the sweep started with (another version of the sampler?)",
            file=str(path),
            allowed="--force to start the sweep again, or another folder (--out DIR)",
        ) from None


def _new_manifest(sweep: Sweep, design: Design) -> dict[str, Any]:
    from ecosim.report import versions
    from ecosim.scenario.loader import scenario_to_dict

    return {
        "kind": "ecosim sweep",
        "name": sweep.name,
        "description": sweep.description,
        "created": _now(),
        "sweep_file": str(Path(sweep.file).resolve()),
        "sweep_sha256": sweep.sha256(),
        "sweep": sweep.to_dict(),
        "base_scenario_file": sweep.base_file,
        "base_scenario_sha256": sweep.identity()["base_scenario_sha256"],
        "input_files": sweep.input_files(),
        "base_scenario": scenario_to_dict(sweep.base),
        "root_seed": sweep.seed,
        "seeds": "numpy.random.SeedSequence(root_seed, spawn_key=(point, replicate)), first 64-bit word >> 1",
        "run_id": f"point * {MAX_REPLICATES} + replicate",
        "design": {"method": sweep.design.method, "points": len(design), "parameters": list(design.columns)},
        "replicates": sweep.replicates,
        "metrics": list(sweep.metrics),
        "timeseries_columns": list(sweep.timeseries),
        "versions": versions("SALib", "dask", "distributed"),
        "files": {
            "design": DESIGN,
            "runs": RUNS,
            "runs_parts": "runs/part-*.parquet",
            "timeseries_parts": "timeseries/part-*.parquet",
        },
    }


class _PartWriter:
    """Buffers finished runs and writes them as parts."""

    def __init__(
        self, store: SweepStore, sweep: Sweep, design: Design, schema, ts_schema, part_runs: int, flush_seconds: float
    ) -> None:
        self.store = store
        self.sweep = sweep
        self.schema = schema
        self.ts_schema = ts_schema
        self.part_runs = max(1, part_runs)
        self.flush_seconds = flush_seconds
        self.columns = design.columns
        self.values = design.column_values()
        self.buffer: list[RunOutcome] = []
        self.last_flush = time.monotonic()
        self.number = store.next_part()

    def add(self, outcome: RunOutcome) -> None:
        self.buffer.append(outcome)
        if len(self.buffer) >= self.part_runs or time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        import pyarrow as pa

        rows = []
        series = []
        for o in self.buffer:
            point, rep = split_run_id(o.run_id)
            row = {"run_id": o.run_id, "point": point, "replicate": rep, "seed": run_seed(self.sweep.seed, point, rep)}
            for c in self.columns:
                row[c] = self.values[c][point]
            row.update(status=o.status, error=o.error, wall_time=o.wall_time)
            for m in self.sweep.metrics:
                row[m] = o.metrics.get(m)
            rows.append(row)
            if o.timeseries is not None and self.ts_schema is not None:
                series.append(o)
        runs = pa.Table.from_pylist(rows, schema=self.schema)
        ts = None
        if series:
            cols: dict[str, Any] = {
                "run_id": np.concatenate([np.full(len(o.timeseries["week"]), o.run_id, np.int64) for o in series]),
            }
            for name in self.ts_schema.names[1:]:
                cols[name] = np.concatenate([o.timeseries[name] for o in series])
            ts = pa.table(cols, schema=self.ts_schema)
        self.store.write_part(self.number, runs, ts)
        self.number += 1
        self.buffer = []
