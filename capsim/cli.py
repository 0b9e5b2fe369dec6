"""The ``capsim`` command line: a thin layer over the Python API.

``main(argv) -> int`` never raises for bad input: a :class:`CapsimError`
(bad scenario, bad ``--set``, bad ``--out``) or a bad argument prints one
message and returns 2; Ctrl-C returns 130 after saving what completed. With
``--debug``, errors show their traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from capsim._version import __version__
from capsim.errors import CapsimError

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a tool cut off by `head`


def _bounded(kind: type, low: float, high: float | None = None, *, open_low: bool = False,
             open_high: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        too_low = value <= low if open_low else value < low
        too_high = high is not None and (value >= high if open_high else value > high)
        if too_low or too_high or value != value:
            lo = f"{'>' if open_low else '>='} {low}"
            hi = "" if high is None else f" and {'<' if open_high else '<='} {high}"
            raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: {lo}{hi}")
        return value

    return parse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _simulation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario file (TOML)")
    parser.add_argument("--replications", "-r", type=_bounded(int, 1),
                        help="Monte Carlo replications (default: the scenario's "
                        "experiment.replications)")
    parser.add_argument("--seed", type=_bounded(int, 0),
                        help="root seed (default: the scenario's experiment.seed)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE", help="override a scenario field, e.g. "
                        "workforce.roster=12 (value read as TOML; repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write result files into DIR")
    parser.add_argument("--workers", type=_bounded(int, 1), help="processes (default: all "
                        "cores when the run is long enough to gain from them)")
    parser.add_argument("--engine", default="auto", help="auto (default) or simpy")
    parser.add_argument("--ci-level", type=_bounded(float, 0, 1, open_low=True, open_high=True),
                        default=0.95, help="confidence level of intervals (default 0.95)")
    _common(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``capsim`` command."""
    parser = argparse.ArgumentParser(
        prog="capsim", description="Capacity planning by simulation: how many technicians to "
        "roster so that on-time delivery meets its target.")
    parser.add_argument("--version", action="version", version=f"capsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="Monte Carlo run of a scenario",
                              description="Run replications of a scenario and report KPIs "
                              "with confidence intervals.")
    _simulation_options(run)
    run.set_defaults(handler=_cmd_run)

    validate = commands.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario", type=Path)
    validate.add_argument("--set", dest="overrides", action="append", default=[],
                          metavar="PATH=VALUE")
    _common(validate)
    validate.set_defaults(handler=_cmd_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    _common(schema)
    schema.set_defaults(handler=_cmd_schema)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from capsim.experiment import run
    from capsim.output import format_table, prepare_out_dir, summary, write_run
    from capsim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.out is not None:
        prepare_out_dir(args.out)
    result = run(scenario, args.replications, args.seed, workers=args.workers,
                 engine=args.engine, ci_level=args.ci_level)
    if result.replications == 0:
        print("capsim: interrupted before any replication completed; nothing written",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.out is not None:
        write_run(result, args.out, ["capsim", *args.argv])
    print(json.dumps(summary(result), indent=2) if args.json else format_table(result))
    if args.out is not None and not args.json:
        print(f"\nwrote {args.out}/ (summary.json, replications.csv, timeseries.csv, daily.csv)")
    if result.partial:
        print(f"capsim: interrupted: kept {result.replications} of "
              f"{result.replications_requested} replications (marked partial)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from capsim.scenario import load_scenario

    s = load_scenario(args.scenario, args.overrides)
    shifts = "always on" if s.workforce.always_on else f"{len(s.workforce.shifts)} shift pattern(s)"
    print(f"{args.scenario}: ok: {s.name!r}, {s.horizon_days} days ({s.warmup_days} warm-up), "
          f"roster {s.workforce.roster} ({shifts}), {len(s.order_classes)} order class(es), "
          f"dispatch {s.dispatch}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from capsim.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``capsim`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad argument (argparse printed it)
        return int(exc.code or 0)
    args.argv = argv
    try:
        return args.handler(args)
    except CapsimError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"capsim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("capsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `capsim run ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if args.debug:
            raise
        print(f"capsim: internal error: {type(exc).__name__}: {exc} (run again with --debug "
              "for the traceback, and please report it)", file=sys.stderr)
        return 1
