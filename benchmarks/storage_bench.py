"""Benchmark: reading a sweep's results folder (the runs parts) for resume, compaction and analysis.

Writes a synthetic results folder of ``--parts`` runs parts of ``--runs-per-part`` runs each, in the
runs table's own schema (a tenth of the runs failed once and were made again in a later part, as
after a resume), then times what a session does with it: which runs are finished (on resume),
compaction into ``runs.parquet`` with the status counts (at the end of a session), and
``read_runs`` (analysis). Prints the wall times and checks that each run is kept exactly once.

    python benchmarks/storage_bench.py                         # 400 parts x 250 runs = 100,000 runs
    python benchmarks/storage_bench.py --parts 40 --runs-per-part 250
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecosim.sweep.storage import SweepStore, part_name, read_runs


def write_parts(folder: Path, parts: int, per_part: int, metrics: int) -> int:
    """Synthetic runs parts; returns the number of distinct runs."""
    rng = np.random.default_rng(1)
    (folder / "runs").mkdir(parents=True)
    ids = np.arange(parts * per_part, dtype=np.int64)
    redo = rng.choice(ids, size=ids.size // 10, replace=False)  # failed first, made again later
    rows = np.concatenate([ids, np.sort(redo)])
    status = np.array(["ok"] * rows.size, dtype=object)
    status[np.isin(rows, redo) & (np.arange(rows.size) < ids.size)] = "failed"
    chunks = np.array_split(np.arange(rows.size), parts + parts // 10)
    for number, chunk in enumerate(chunks, start=1):
        n = chunk.size
        columns = {
            "run_id": rows[chunk],
            "point": rows[chunk] // 10_000,
            "replicate": (rows[chunk] % 10_000).astype(np.int32),
            "seed": rng.integers(0, 2**62, n),
            "goals.mean_alignment": rng.random(n),
            "status": status[chunk],
            "error": [None] * n,
            "wall_time": rng.random(n),
        }
        columns |= {f"metric_{k}": rng.random(n) for k in range(metrics)}
        pq.write_table(pa.table(columns), folder / "runs" / part_name(number), compression="zstd")
    return ids.size


def timed(function):
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=400)
    parser.add_argument("--runs-per-part", type=int, default=250)
    parser.add_argument("--metrics", type=int, default=14)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ecosim-storage-bench-") as tmp:
        folder = Path(tmp)
        runs = write_parts(folder, args.parts, args.runs_per_part, args.metrics)
        store = SweepStore(folder)
        schema = pq.read_schema(next(iter(store.runs_parts().values())))
        t_finished, finished = timed(store.finished)
        t_compact, _ = timed(lambda: store.compact(schema))
        t_read, table = timed(lambda: read_runs(folder))
        parts = len(store.runs_parts())
        once = table.num_rows == runs == len(finished) and len(set(table.column("run_id").to_pylist())) == runs
    print(f"results folder: {parts:,} runs parts, {runs:,} runs ({runs // 10:,} made twice), {args.metrics} metrics")
    print(f"finished runs (resume):    {t_finished:7.3f} s")
    print(f"compact to runs.parquet:   {t_compact:7.3f} s (with the status counts)")
    print(f"read_runs (analysis):      {t_read:7.3f} s")
    print(f"each run kept exactly once: {'yes' if once else 'NO'}")
    return 0 if once else 1


if __name__ == "__main__":
    raise SystemExit(main())
