"""``capsim size``, ``capsim sweep`` and ``capsim stress``: staffing answers and what-ifs.

Exit status: 0 with an answer; 2 for bad input; 3 when no roster up to ``--max``
meets the target (``size``); 130 when Ctrl-C stopped it, 143 for SIGTERM (what
completed is printed and written, marked partial; see :mod:`capsim.cli`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from capsim.cli.args import POSITIVE, PROBABILITY, bounded
from capsim.cli.run_commands import EXIT_INTERRUPTED, add_simulation_options, runner_options

EXIT_NOT_MET = 3


def register(commands: Any) -> None:
    """Add size, sweep and stress."""
    size = commands.add_parser(
        "size", help="the smallest roster meeting the targets",
        description="Find the smallest roster whose on-time delivery (or another KPI) meets "
        "the target, and every other target of the scenario's [targets] and "
        "[targets.by_class.*] at once, on the same simulated seasons for every roster; "
        "say which target binds.")
    add_simulation_options(size)
    size.add_argument("--target", type=POSITIVE, help="the target on --kpi (default: the "
                      "scenario's); the scenario's other targets still apply")
    size.add_argument("--criterion", choices=["mean", "chance"], default="mean",
                      help="every target's mean KPI meets it, or the chance that a season "
                      "meets all of them is at least --confidence (Wilson lower bound)")
    size.add_argument("--confidence", type=PROBABILITY, default=0.9,
                      help="for --criterion chance (default 0.9)")
    size.add_argument("--kpi", default="on_time_rate", help="the headline KPI: its target "
                      "is --target, in place of targets.on_time_rate when another KPI; the "
                      "other targets still apply")
    size.add_argument("--objective", choices=["headcount", "cost"], default="headcount",
                      help="the smallest roster meeting every target (default), or the "
                      "cheapest (mean cost_total; needs [costs] in the scenario)")
    size.add_argument("--min", dest="minimum", type=bounded(int, 1), default=1, metavar="N",
                      help="the smallest roster to consider (default 1)")
    size.add_argument("--max", dest="maximum", type=bounded(int, 1), metavar="N",
                      help="the largest roster to try (default: 4 x the rough cut)")
    size.add_argument("--max-replications", type=bounded(int, 1), metavar="N",
                      help="add replications (doubling, same seeds) to a roster whose verdict "
                      "is still open, up to N")
    size.set_defaults(handler=_size)

    sweep = commands.add_parser(
        "sweep", help="what-if grid over one or two fields",
        description="Run the scenario at every combination of the varied fields, on the "
        "same seeds.")
    add_simulation_options(sweep)
    sweep.add_argument("--vary", action="append", required=True, metavar="PATH=VALUES",
                       help="PATH=V1,V2,... or PATH=START:STOP:STEP (once or twice)")
    sweep.set_defaults(handler=_sweep)

    stress = commands.add_parser(
        "stress", help="what breaks the plan: the scenario's [[stress]] events",
        description="Run the scenario without and with each [[stress]] event on the same "
        "replications; report on-time delivery during and after, and backlog recovery.")
    add_simulation_options(stress)
    stress.set_defaults(handler=_stress)


def _finish(args: argparse.Namespace, document: dict[str, Any], table: str,
            write: Any, partial: bool) -> int:
    if args.out is not None:
        write(args.out, ["capsim", *args.argv])
    print(json.dumps(document, indent=2) if args.json else table)
    if args.out is not None and not args.json:
        print(f"\nwrote {args.out}/")
    if partial:
        print("capsim: interrupted: completed evaluations kept (marked partial)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _size(args: argparse.Namespace) -> int:
    from capsim.output import prepare_out_dir
    from capsim.output.staffing import format_size, size_summary, write_size
    from capsim.scenario import load_scenario
    from capsim.staffing import size_staff

    scenario = load_scenario(args.scenario, args.overrides)
    if args.out is not None:
        prepare_out_dir(args.out)
    result = size_staff(scenario, args.target, criterion=args.criterion,
                        confidence=args.confidence, kpi=args.kpi, minimum=args.minimum,
                        maximum=args.maximum, max_replications=args.max_replications,
                        objective=args.objective, **runner_options(args))
    status = _finish(args, size_summary(result), format_size(result),
                     lambda out, cmd: write_size(result, out, cmd), result.partial)
    return EXIT_NOT_MET if status == 0 and result.recommended is None else status


def _sweep(args: argparse.Namespace) -> int:
    from capsim.output import prepare_out_dir
    from capsim.output.sweep import format_sweep, sweep_summary, write_sweep
    from capsim.scenario import load_scenario
    from capsim.sweep import parse_vary, sweep

    scenario = load_scenario(args.scenario, args.overrides)
    varies = [parse_vary(text) for text in args.vary]
    if args.out is not None:
        prepare_out_dir(args.out)
    result = sweep(scenario, varies, **runner_options(args))
    return _finish(args, sweep_summary(result), format_sweep(result),
                   lambda out, cmd: write_sweep(result, out, cmd), result.partial)


def _stress(args: argparse.Namespace) -> int:
    from capsim.output import prepare_out_dir
    from capsim.output.stress import format_stress, stress_summary, write_stress
    from capsim.scenario import load_scenario
    from capsim.stress import stress_test

    scenario = load_scenario(args.scenario, args.overrides)
    if args.out is not None:
        prepare_out_dir(args.out)
    report = stress_test(scenario, **runner_options(args))
    return _finish(args, stress_summary(report), format_stress(report),
                   lambda out, cmd: write_stress(report, out, cmd), report.partial)
