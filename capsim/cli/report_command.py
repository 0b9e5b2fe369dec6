"""``capsim report``: the staffing report, a folder with an HTML page and a Markdown file.

Exit status: 0 with a recommendation; 2 for bad input (including an ``--out`` that is
a file, a foreign non-empty folder or unwritable, and ``--from`` results that do not
match); 3 when no roster meets the target (the report says so); 130 when Ctrl-C
stopped it, 143 for SIGTERM: the report shows what completed, marked partial (a stop
during the stress tests keeps the search; one while the report is being written lets
it finish).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from capsim.cli.args import POSITIVE, PROBABILITY, bounded
from capsim.cli.run_commands import EXIT_INTERRUPTED, add_simulation_options
from capsim.cli.staffing_commands import EXIT_NOT_MET


def register(commands: Any) -> None:
    """Add report."""
    report = commands.add_parser(
        "report", help="the staffing report: recommendation, evidence, stress tests",
        description="Size the roster, run the scenario's stress tests at the recommended "
        "roster (or reuse results from --from DIR) and write a report folder: index.html "
        "(self-contained), report.md, figures, data, scenario.toml and the command that "
        "rebuilds it.")
    add_simulation_options(report, out_help="the report folder (new, empty, or a previous "
                           "report, which is replaced), e.g. reports/stutterfly",
                           json_help="print where the report is and its recommendation as "
                           "JSON instead of the executive summary")
    report.add_argument("--target", type=POSITIVE, help="on-time target (default: the "
                        "scenario's targets.on_time_rate)")
    report.add_argument("--criterion", choices=["mean", "chance"],
                        help="mean on-time rate meets the target (default), or the chance "
                        "that a season does is at least --confidence")
    report.add_argument("--confidence", type=PROBABILITY,
                        help="for --criterion chance (default 0.9)")
    report.add_argument("--max", dest="maximum", type=bounded(int, 1),
                        help="the largest roster to try (default: 4 x the rough cut)")
    report.add_argument("--max-replications", type=bounded(int, 1), metavar="N",
                        help="add replications to a roster whose verdict is still open, up "
                        "to N")
    report.add_argument("--from", dest="from_dir", type=Path, metavar="DIR",
                        help="reuse results written earlier (a report folder, or capsim "
                        "size --out DIR) instead of simulating again")
    report.add_argument("--schedule", action="store_true",
                        help="also search the cheapest mix of the scenario's shift patterns "
                        "meeting every target (capsim schedule, on the same seeds) and add "
                        "it to the report")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from capsim.reporting import report
    from capsim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    result = report(scenario, args.out, from_dir=args.from_dir, target=args.target,
                    criterion=args.criterion, confidence=args.confidence,
                    replications=args.replications, max_replications=args.max_replications,
                    seed=args.seed, maximum=args.maximum, workers=args.workers,
                    engine=args.engine, executor=args.executor, scheduler=args.scheduler,
                    ci_level=args.ci_level, progress=args.progress,
                    command=["capsim", *args.argv], schedule=args.schedule)
    if args.json:
        print(json.dumps({"report": str(result.path), "index": str(result.index),
                          "recommended": result.recommended, "partial": result.partial},
                         indent=2))
    else:
        print(f"{result.summary}\n\nreport: {result.index}")
    if result.partial:
        print("capsim: interrupted: the report shows the completed evaluations (marked "
              "partial)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_NOT_MET if result.recommended is None else 0
