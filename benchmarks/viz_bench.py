"""How long a week takes to draw in the browser visualisation, by organisation size.

For each size: building the model and its pictures (what Reset costs), then per week the model's
step, the network overlay, the three curve overlays and the page's text; median and 95th
percentile over the measured weeks. With --browser it also serves the largest size with
`python -m ecosim viz` and times, in a headless Chromium, the round trip of pressing Step until
the new week and all pictures are on screen.

    python benchmarks/viz_bench.py                      # 621 (retail), 2,000, 10,000 and 50,000 learners
    python benchmarks/viz_bench.py --browser            # plus the browser round trip at 10,000
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "scenarios" / "retail.yaml"


def scenario_with(learners: int, folder: Path) -> Path:
    """The retail scenario scaled (more stores) to about ``learners``, as a file."""
    from ecosim.scenario.loader import load_scenario

    base = load_scenario(RETAIL)
    org = base.organisation
    stores = max(1, round((learners - org.head_office - org.regions) / org.staff_per_store))
    path = folder / f"retail_{learners}.yaml"
    path.write_text(f"extends: {RETAIL}\nname: retail-{learners}\norganisation:\n  stores: {stores}\n")
    return path


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def bench_size(path: Path, warmup: int, weeks: int) -> dict[str, float]:
    from ecosim.viz.app import FacilitationPanel, PageModel, StatusPanel  # noqa: F401

    t0 = time.perf_counter()
    model = PageModel(str(path))
    t1 = time.perf_counter()
    pictures = model.pictures
    for name in ("network", "engagement", "knowledge", "content"):
        pictures.layers(name)
    t2 = time.perf_counter()
    for _ in range(warmup):
        model.step()
    rows: dict[str, list[float]] = {"step": [], "network": [], "curves": [], "text": [], "total": []}
    for _ in range(weeks):
        a = time.perf_counter()
        model.step()
        b = time.perf_counter()
        pictures.layers("network")
        c = time.perf_counter()
        for name in ("engagement", "knowledge", "content"):
            pictures.layers(name)
        d = time.perf_counter()
        _page_text(model)
        e = time.perf_counter()
        for key, value in zip(rows, (b - a, c - b, d - c, e - d, e - a), strict=True):
            rows[key].append(value * 1000)
    out = {
        "learners": model.state.n,
        "drawn": pictures.network.rows.size,
        "build_ms": (t1 - t0) * 1000,
        "pictures_ms": (t2 - t1) * 1000,
    }
    for key, values in rows.items():
        out[f"{key}_median"] = statistics.median(values)
        out[f"{key}_p95"] = p95(values)
    return out


def _page_text(model) -> None:
    """The page's text parts, as the page computes them each week (without a Solara session)."""
    from ecosim.viz.app import current_verdict
    from ecosim.viz.levers import levers

    current_verdict(model)
    model.timeseries_columns()
    levers(model.params)


def browser_round_trip(path: Path, clicks: int) -> list[float]:
    """Milliseconds from pressing Step to the new week and all pictures on screen, per click."""
    from ecosim.viz import browser

    times = []
    with browser.viz_server(path, cwd=ROOT) as server, browser.browser() as b:
        page, watch = browser.open_page(b, server.url)
        browser.step(page, 3)  # warm up
        for _ in range(clicks):
            before = browser.week(page)
            ms = page.evaluate(
                """async (before) => {
                    const t0 = performance.now();
                    const step = Array.from(document.querySelectorAll('button'))
                        .find(b => b.innerText.trim().toLowerCase() === 'step');
                    step.click();
                    const done = () => Number(document.querySelector('[data-testid=ecosim-week]').innerText) > before
                        && Array.from(document.querySelectorAll('.ecosim-stack img'))
                               .every(i => i.complete && i.naturalWidth > 0);
                    while (!done()) { await new Promise(r => requestAnimationFrame(r)); }
                    return performance.now() - t0;
                }""",
                before,
            )
            times.append(ms)
        if watch.errors:
            raise RuntimeError("page errors: " + "; ".join(watch.errors))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[621, 2000, 10_000, 50_000])
    parser.add_argument("--warmup", type=int, default=5, help="weeks before measuring (default 5)")
    parser.add_argument("--weeks", type=int, default=20, help="weeks measured per size (default 20)")
    parser.add_argument("--browser", action="store_true", help="also time Step in a headless browser")
    parser.add_argument("--browser-size", type=int, default=10_000)
    parser.add_argument("--clicks", type=int, default=15)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("Server side, per week (ms): model step, network picture, three curves, page text, total")
        print(
            f"{'learners':>9} {'drawn':>6} {'build':>7} {'pictures':>8} | "
            f"{'step':>11} {'network':>11} {'curves':>11} {'text':>9} {'total':>11}   (median / p95)"
        )
        for size in args.sizes:
            path = RETAIL if size == 621 else scenario_with(size, folder)
            r = bench_size(path, args.warmup, args.weeks)
            cell = lambda k, w=11, r=r: f"{r[k + '_median']:5.1f}/{r[k + '_p95']:<5.1f}".rjust(w)  # noqa: E731
            print(
                f"{r['learners']:>9,} {r['drawn']:>6,} {r['build_ms']:>7.0f} {r['pictures_ms']:>8.0f} | "
                f"{cell('step')} {cell('network')} {cell('curves')} {cell('text', 9)} {cell('total')}"
            )
        if args.browser:
            path = scenario_with(args.browser_size, folder)
            times = browser_round_trip(path, args.clicks)
            print(
                f"\nBrowser round trip at {args.browser_size:,} learners (press Step until the new week and "
                f"every picture are on screen), {len(times)} clicks: median {statistics.median(times):.0f} ms, "
                f"p95 {p95(times):.0f} ms, max {max(times):.0f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
