"""The golden tier: a short run of every shipped scenario, its summary pinned in ``tests/golden.json``.

An unintended change in the random stream (a draw added, moved or reordered; a mechanism changed)
changes these numbers and fails ``tests/test_golden.py`` loudly. An intended change is re-pinned
in the same commit, with the reason, by::

    python tests/golden.py --update --reason "why the numbers move"

which reruns every scenario, rewrites ``tests/golden.json`` and prints each value that moved.
``python tests/golden.py`` alone compares and prints the differences without writing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PINS = Path(__file__).with_name("golden.json")
#: Shipped scenario files: the examples and the validation cases (sweep files are not scenarios).
FOLDERS = (ROOT / "scenarios", ROOT / "scenarios" / "validation")
SEED = 1
WEEKS = 26  # at most: long enough for launch, turnover, facilitation and forgetting to act
#: Relative tolerance for floats: far above rounding differences between machines (1e-15), far
#: below any change of the random stream, which moves a summary by more than one learner in 10,000.
RTOL = 1e-9
#: Weekly columns whose totals are pinned too: they follow turnover, events and posting draws.
TOTALS = ("leavers", "events", "event_attendees", "new_posters", "introductions")


def scenario_files() -> list[Path]:
    """Every shipped scenario file, sorted."""
    return sorted(p for folder in FOLDERS for p in folder.glob("*.yaml"))


def key_of(path: Path) -> str:
    """The pin's name: the file's path under scenarios/, without the suffix."""
    return path.relative_to(ROOT / "scenarios").with_suffix("").as_posix()


def measure(path: Path) -> dict[str, Any]:
    """The pinned figures of one scenario: its summary after a short run, and some weekly totals."""
    from ecosim.api import simulate
    from ecosim.scenario import load_scenario

    weeks = min(WEEKS, load_scenario(path).weeks)
    result = simulate(path, seed=SEED, overrides={"weeks": weeks})
    ts = result.timeseries
    figures: dict[str, Any] = {"weeks": weeks, "learners": int(ts["learners"].iloc[-1])}
    figures.update({f"total_{name}": int(ts[name].sum()) for name in TOTALS})
    figures["ties_at_end"] = int(ts["ties"].iloc[-1])
    figures.update(result.summary)
    return figures


def measure_all() -> dict[str, dict[str, Any]]:
    """The pinned figures of every shipped scenario."""
    return {key_of(path): measure(path) for path in scenario_files()}


def same(pinned: Any, now: Any) -> bool:
    """Whether a value matches its pin: floats within RTOL, anything else exactly."""
    if isinstance(pinned, float) and isinstance(now, float):
        if math.isnan(pinned) or math.isnan(now):
            return math.isnan(pinned) and math.isnan(now)
        return math.isclose(pinned, now, rel_tol=RTOL, abs_tol=0.0)
    return type(pinned) is type(now) and pinned == now


def differences(pinned: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> list[str]:
    """Every scenario and value where ``now`` differs from ``pinned``, one line each."""
    out = []
    for name in sorted(set(pinned) | set(now)):
        if name not in now:
            out.append(f"{name}: pinned, but no such scenario file any more")
            continue
        if name not in pinned:
            out.append(f"{name}: a scenario file with no pin")
            continue
        for key in sorted(set(pinned[name]) | set(now[name])):
            old, new = pinned[name].get(key, "<missing>"), now[name].get(key, "<missing>")
            if not same(old, new):
                out.append(f"{name}: {key} pinned {old!r}, now {new!r}")
    return out


def read_pins() -> dict[str, Any]:
    """The pinned file: ``{"reason": ..., "seed": ..., "scenarios": {name: figures}}``."""
    return json.loads(PINS.read_text(encoding="utf-8"))


def write_pins(figures: dict[str, dict[str, Any]], reason: str) -> None:
    """Write the pins atomically (a temporary file, then rename)."""
    doc = {"reason": reason, "seed": SEED, "max_weeks": WEEKS, "scenarios": figures}
    fd, tmp = tempfile.mkstemp(dir=PINS.parent, prefix=".golden-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, PINS)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Compare with the pins, or re-pin with ``--update --reason``."""
    parser = argparse.ArgumentParser(description="The golden tier: pinned summaries of the shipped scenarios.")
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden.json with today's figures")
    parser.add_argument("--reason", help="why the pinned figures change (required with --update)")
    args = parser.parse_args(argv)
    if args.update and not (args.reason or "").strip():
        parser.error("--update needs --reason: say why the pinned figures change")
    now = measure_all()
    moved = differences(read_pins()["scenarios"], now) if PINS.exists() else ["no pins yet"]
    print("\n".join(moved) if moved else "every pinned figure matches")
    if args.update:
        write_pins(now, args.reason.strip())
        print(f"pinned {len(now)} scenarios in {PINS.relative_to(ROOT)}")
        return 0
    return 1 if moved else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
