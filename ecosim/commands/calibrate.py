r"""Fit a scenario to an organisation's observed weekly numbers, then forecast and compare what-ifs.

    python -m ecosim calibrate scenarios/retail.yaml --observed usage.csv \\
        --fit goals.mean_alignment platform.friction --what-if facilitation.facilitators=6

Priors are uniform over each parameter's range in the schema unless given (``NAME=LOW:HIGH``,
``NAME=log:LOW:HIGH``, or a calibration file with ``--config``). Results go to ``--out``
(default ``results/<scenario name>-calibration/``, checked, locked and marked by :mod:`ecosim.outputs`);
``--resume`` continues an interrupted calibration there, ``--force`` starts afresh.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecosim.commands._args import add_weights_argument, whole_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario file (YAML); its weeks is the forecast horizon")
    parser.add_argument("--config", metavar="FILE", help="calibration file (YAML): observed, fit with priors, distance")
    parser.add_argument(
        "--observed",
        metavar="CSV|DIR",
        help="observed weekly numbers (docs/calibration.md), or the folder ecosim import wrote",
    )
    parser.add_argument(
        "--fit",
        action="extend",
        nargs="+",
        default=[],
        metavar="PARAM",
        help="parameters to fit: NAME (uniform over its schema range), NAME=LOW:HIGH or NAME=log:LOW:HIGH "
        "(repeatable: --fit A --fit B fits both)",
    )
    parser.add_argument(
        "--survey",
        metavar="CSV",
        help="a pulse survey of how well the platform serves people's own goals (Likert items): the priors "
        "of goals.mean_alignment and goals.alignment_sd (docs/calibration.md)",
    )
    parser.add_argument("--population", type=whole_number(10), help="learners simulated (shrinks the organisation)")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--generations", type=whole_number(1, 1000), help="ABC-SMC generations (default 8)")
    stop.add_argument("--budget", type=whole_number(10), metavar="SIMULATIONS", help="stop after this many simulations")
    parser.add_argument("--particles", type=whole_number(10, 100_000), help="accepted particles per generation (200)")
    parser.add_argument("--distance", choices=("relative", "adaptive"), help="how far a simulation is from the data")
    parser.add_argument("--draws", type=whole_number(10, 100_000), help="posterior draws for forecasts (100)")
    parser.add_argument(
        "--what-if",
        dest="what_if",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a lever to compare with doing nothing, e.g. --what-if facilitation.facilitators=6 (repeatable)",
    )
    parser.add_argument("--executor", choices=("sequential", "processes", "dask"), default="sequential")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler (with --executor dask)")
    parser.add_argument("--workers", type=whole_number(1, 1024), default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=whole_number(0), help="random seed (default: the scenario's seed)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario parameter (repeatable)",
    )
    add_weights_argument(parser)
    parser.add_argument("--out", metavar="DIR", help="results folder (default: results/<scenario>-calibration/)")
    parser.add_argument("--resume", action="store_true", help="continue the calibration stored in --out")
    parser.add_argument("--force", action="store_true", help="start afresh in a non-empty results folder")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    """Calibrate, write the results folder and print the posterior and the forecast; returns the exit code."""
    from ecosim.calibrate.engine import HISTORY_DB, SETTINGS, calibrate
    from ecosim.calibrate.observed import read_observed
    from ecosim.calibrate.outputs import write_calibration
    from ecosim.calibrate.spec import CalibrationSpec, parse_fit_flags, read_spec, resolve_priors
    from ecosim.core.metrics import VERDICT_WORDS
    from ecosim.core.outcomes import label as outcome_words
    from ecosim.errors import InputError
    from ecosim.outputs import open_output
    from ecosim.scenario.loader import load_scenario

    spec, folder = read_spec(args.config) if args.config else (CalibrationSpec(), Path.cwd())
    fit = dict(spec.fit)
    fit.update(parse_fit_flags(args.fit))
    survey_notes: list[str] = []
    survey = args.survey or (str(folder / spec.survey) if spec.survey else None)
    if survey is not None:
        from ecosim.calibrate.spec import Prior
        from ecosim.calibrate.survey import read_survey

        drawn = read_survey(survey)
        survey_notes += [drawn.sentence(), *drawn.notes]
        for name, (low, high) in drawn.priors().items():
            given = fit.get(name)
            if given is not None and (given.low is not None or given.high is not None):
                survey_notes.append(f"{name}: the prior given with --fit or in the calibration file is kept")
                continue
            fit[name] = Prior(low=low, high=high)
    observed = args.observed or (str(folder / spec.observed) if spec.observed else None)
    if observed is None:
        raise InputError(
            "no observed data",
            file="--observed",
            allowed="--observed CSV (or an ecosim import folder), or observed: in --config FILE",
        )
    if not fit:
        raise InputError(
            "no parameter to fit", file="--fit", allowed="--fit NAME ..., --survey CSV, or fit: in --config FILE"
        )
    if args.scheduler and args.executor != "dask":
        raise InputError("--scheduler needs --executor dask", file="--scheduler", value=args.scheduler)
    generations, budget = args.generations, args.budget
    if generations is None and budget is None:
        generations, budget = spec.generations, spec.budget
    scenario = load_scenario(args.scenario, args.overrides, seed=args.seed)
    # bad input is reported before the results folder is touched
    observed = read_observed(observed)
    if observed.needs_headcount():  # counts are shares of the scenario's learners: checked as such
        from ecosim.calibrate.engine import launch_learners
        from ecosim.scenario.loader import scenario_to_dict

        observed.check_shares(headcount=launch_learners(scenario_to_dict(scenario)))

    observed.notes[:0] = survey_notes
    resolve_priors(fit, source="--fit")
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-calibration"
    if args.resume and args.force:
        raise InputError("--resume and --force contradict each other", file="--force", allowed="one of the two")
    if args.resume and out.is_dir():  # a history that cannot be continued is refused before anything is touched
        from ecosim.calibrate.engine import check_history

        check_history(out / HISTORY_DB)

    def progress(gen) -> None:
        if not args.quiet:
            print(
                f"generation {gen.t + 1}: epsilon {gen.epsilon:.4g}, acceptance {gen.acceptance:.1%}, "
                f"simulations {gen.simulations:,} (total {gen.total_simulations:,}), {gen.seconds:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    # the history is written as the calibration goes (so --resume can continue it); the results at the end
    with open_output(
        out,
        "calibrate",
        force=args.force,
        resume=args.resume,
        journal=True,
        again="--resume to continue the calibration, --force to start afresh, or another folder (--out DIR)",
    ) as folder:
        folder.record(HISTORY_DB, SETTINGS)
        result = calibrate(
            args.scenario,
            observed,
            fit,
            seed=args.seed,
            overrides=args.overrides,
            population=args.population or spec.population,
            particles=args.particles or spec.particles,
            generations=generations,
            budget=budget,
            distance=args.distance or spec.distance,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            what_if=args.what_if,
            draws=args.draws or spec.draws,
            out=folder.dir,
            resume=args.resume,
            progress=progress,
        )
        command = ["ecosim", "calibrate", *sys.argv[2:]] if sys.argv else None
        files = write_calibration(folder.dir, result, command=command)
        folder.record(*files)
    if not args.quiet:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"ecosim: {result.scenario_name} calibrated to {result.observed_weeks} (seed {result.seed})")
        for name in result.fitted:
            q = result.summary["parameters"][name]
            lo, hi = q["interval_90"]
            print(f"  {name:<40} {q['median']:.3g}  (90% interval {lo:.3g} to {hi:.3g})")
        odds = ", ".join(f"{VERDICT_WORDS[k]} {v:.0%}" for k, v in result.verdicts.items())
        print(f"At week {result.weeks_forecast}: {odds}")
        if result.check is not None:
            words = {k: outcome_words(k) for k in result.check.table["statistic"]}
            print(result.check.sentence(words), file=sys.stdout if result.check.passed else sys.stderr)
        print(f"Results: {out}/ ({len(files)} files; calibration.md is the report)")
        if result.early_warning is not None:
            print(result.early_warning.sentence())
    return 0
