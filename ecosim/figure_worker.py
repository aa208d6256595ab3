"""Drawing a run's figures in a second process, so the drawing overlaps the model on a second core."""

from __future__ import annotations

from pathlib import Path


class FigureWorker:
    """Draws the figures in a second process, started before NumPy and Mesa are imported.

    Importing Matplotlib and drawing take about as long as importing Mesa and running a retail
    scenario; on a machine with two or more cores the two overlap. The process is forked before
    NumPy exists in the parent (forking after NumPy has started its thread pools is unsafe); where
    that is not possible, ``render`` draws in this process instead.
    """

    def __init__(self) -> None:
        import multiprocessing as mp
        import os
        import sys

        self._proc = None
        self._conn = None
        if "numpy" in sys.modules or "fork" not in mp.get_all_start_methods() or (os.cpu_count() or 1) < 2:
            return
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="ecosim-figures")
        self._proc.start()
        child.close()

    def render(self, out: Path, data: dict) -> list[str]:
        """Draw the figures for ``data`` into ``out``, in the second process if there is one; returns the file names."""
        if self._proc is None:
            from ecosim.plotting.run import render

            return render(out, data)
        self._conn.send((str(out), data))
        status, result = self._conn.recv()
        self.close()
        if status != "ok":
            raise RuntimeError(f"drawing the figures failed: {result}")
        return result

    def close(self) -> None:
        """Stop the second process, if there is one: asked to finish, then terminated after 5 s."""
        if self._proc is None:
            return
        try:
            self._conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.terminate()
        self._conn.close()
        self._proc = None


def _serve(conn) -> None:
    """The figure process: load Matplotlib and its fonts now, draw when the data arrives."""
    import traceback

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    warm = Figure(figsize=(1, 1))
    warm.text(0.5, 0.5, "week")
    FigureCanvasAgg(warm).draw()
    try:
        job = conn.recv()
    except (EOFError, KeyboardInterrupt):
        return
    if job is None:
        return
    out, data = job
    try:
        from ecosim.plotting.run import render

        conn.send(("ok", render(Path(out), data)))
    except Exception:  # report to the parent, which raises it
        conn.send(("error", traceback.format_exc()))
