"""``capsim run``, ``capsim validate`` and ``capsim schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from capsim.cli.args import POSITIVE, PROBABILITY, add_debug, add_overrides, bounded
from capsim.errors import CapsimError
from capsim.executors import EXECUTORS
from capsim.scenario.base import MAX_REPLICATIONS, MAX_SEED

EXIT_INTERRUPTED = 130


def add_simulation_options(parser: argparse.ArgumentParser, out_help: str | None = None,
                           json_help: str = "print JSON instead of a table") -> None:
    """Options of every command that simulates (``out_help`` makes ``--out`` required)."""
    parser.add_argument("scenario", type=Path, help="scenario file (TOML)")
    parser.add_argument("--replications", "-r", type=bounded(int, 1, MAX_REPLICATIONS),
                        help="Monte Carlo replications (default: the scenario's "
                        "experiment.replications)")
    parser.add_argument("--seed", type=bounded(int, 0, MAX_SEED),
                        help="root seed (default: the scenario's experiment.seed)")
    add_overrides(parser)
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument("--out", type=Path, metavar="DIR", required=out_help is not None,
                        help=out_help or "write result files into DIR")
    parser.add_argument("--workers", type=bounded(int, 1), help="processes (threads with "
                        "--executor threads; default: all cores when the run is long "
                        "enough to gain from them)")
    parser.add_argument("--engine", default="auto",
                        help="auto (default: fast for FIFO scenarios when numba is "
                        "installed, else simpy), simpy or fast")
    parser.add_argument("--executor", default="auto", choices=list(EXECUTORS),
                        help="where replications run: auto (default: this process, threads "
                        "or processes, whichever the measured CPU time says ends first), "
                        "processes, threads or dask (needs: pip install 'capsim[dask]')")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (default: a local cluster)")
    parser.add_argument("--ci-level", type=PROBABILITY, default=0.95,
                        help="confidence level of intervals (default 0.95)")
    parser.add_argument("--progress", choices=["auto", "bar", "lines", "none"],
                        default="auto", help="progress on stderr: auto (default: a bar when "
                        "stderr is a terminal, else nothing), bar, lines (one line a second "
                        "at most, for logs) or none")
    add_debug(parser)
    # Ctrl-C and SIGTERM keep what completed (capsim.interrupts)
    parser.set_defaults(keeps_partial=True)


def runner_options(args: argparse.Namespace) -> dict[str, Any]:
    """The simulation options every simulating command passes on.

    Refuses ``--scheduler`` without ``--executor dask``, which would otherwise be ignored.
    """
    if args.scheduler is not None and args.executor != "dask":
        raise CapsimError("--scheduler applies only with --executor dask (it would be ignored)")
    return {"replications": args.replications, "seed": args.seed, "workers": args.workers,
            "engine": args.engine, "executor": args.executor, "scheduler": args.scheduler,
            "ci_level": args.ci_level, "progress": args.progress}


def register(commands: Any) -> None:
    """Add run, validate and schema to the subcommand parser."""
    run = commands.add_parser("run", help="Monte Carlo run of a scenario",
                              description="Run replications of a scenario and report KPIs "
                              "with confidence intervals. A run too large for this machine is "
                              "refused before it starts (CAPSIM_ALLOW_LARGE_RUNS=1 allows it).")
    add_simulation_options(run)
    run.add_argument("--precision", type=POSITIVE, metavar="H",
                     help="add replications until the confidence interval of --kpi "
                     "reaches at most H from its mean, and is reliable for the KPI's "
                     "skewness")
    run.add_argument("--kpi", help="the KPI --precision applies to (default: on_time_rate)")
    run.add_argument("--max-replications", type=bounded(int, 1, MAX_REPLICATIONS), metavar="N",
                     help="cap for --precision (default: 10 x --replications)")
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate", help="check a scenario file without running it",
        description="Read and validate a scenario file (with any --set overrides) and say "
        "what it describes; exit status 2 with every problem found, each naming the "
        "field, the value and what is allowed.")
    validate.add_argument("scenario", type=Path, help="scenario file (TOML)")
    add_overrides(validate)
    add_debug(validate)
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of scenario files, for completion and checking "
        "in editors that read one for TOML files.")
    schema.add_argument("--summary", action="store_true",
                        help="the schema of a run's summary (run --json, summary.json) instead")
    add_debug(schema)
    schema.set_defaults(handler=_schema)


def _sequential_options(args: argparse.Namespace) -> None:
    """Refuse --kpi and --max-replications without --precision: they would be ignored."""
    for flag, value in (("--kpi", args.kpi), ("--max-replications", args.max_replications)):
        if value is not None and args.precision is None:
            raise CapsimError(f"{flag} applies only with --precision (it would be ignored)")


def _run(args: argparse.Namespace) -> int:
    from capsim.experiment import precision_rule, run
    from capsim.output import format_table, prepare_out_dir, summary, write_run
    from capsim.scenario import load_scenario
    from capsim.workload import check_workload

    _sequential_options(args)
    options = runner_options(args)
    scenario = load_scenario(args.scenario, args.overrides)
    if args.precision is not None:  # a bad --kpi is said first, before the run's size
        precision_rule(args.kpi or "on_time_rate", args.precision, args.ci_level)
    replications = args.replications or scenario.experiment.replications
    sequential = args.max_replications or 10 * replications
    check_workload(scenario, replications if args.precision is None else sequential,
                   args.workers)  # before --out is created
    if args.out is not None:
        prepare_out_dir(args.out)
    result = run(scenario, precision=args.precision, kpi=args.kpi or "on_time_rate",
                 max_replications=args.max_replications, **options)
    if result.replications == 0:
        print("capsim: interrupted before any replication completed; nothing written",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.out is not None:
        write_run(result, args.out, ["capsim", *args.argv])
    print(json.dumps(summary(result), indent=2) if args.json else format_table(result))
    if args.out is not None and not args.json:
        print(f"\nwrote {args.out}/ (summary.json, replications.csv, timeseries.csv, daily.csv)")
    if result.precision is not None and not args.json:
        kpi, half = result.precision
        reached = {"precision": "reached", "max_replications": "NOT reached (cap hit)"}
        print(f"\nprecision: interval of {kpi} within +-{half:g} "
              f"{reached.get(result.stopped_by, '')} "
              f"after {result.replications} replications")
    if result.partial:
        print(f"capsim: interrupted: kept {result.replications} of "
              f"{result.replications_requested} replications (marked partial)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _validate(args: argparse.Namespace) -> int:
    from capsim.scenario import load_scenario

    s = load_scenario(args.scenario, args.overrides)
    shifts = "always on" if s.workforce.always_on else f"{len(s.workforce.shifts)} shift pattern(s)"
    print(f"{args.scenario}: ok: {s.name!r}, {s.horizon_days} days ({s.warmup_days} warm-up), "
          f"roster {s.workforce.roster} ({shifts}), {len(s.order_classes)} order class(es), "
          f"dispatch {s.dispatch}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from capsim.output.run import summary_schema
    from capsim.scenario import json_schema

    print(json.dumps(summary_schema() if args.summary else json_schema(), indent=2))
    return 0
