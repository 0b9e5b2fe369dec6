"""``capsim schedule``: the cheapest shift mix meeting every target (:mod:`capsim.schedule`).

Exit status: 0 with a mix meeting every target; 2 for bad input (an hour with demand no
shift pattern covers, an always-on workforce); 3 when the search found no mix meeting
every target; 130 when Ctrl-C stopped it (the best mix simulated whole so far is printed,
marked partial, and written with ``--out``).

``--out DIR`` writes the folder :mod:`capsim.output.schedule` describes (the mix, its KPIs
and costs, every mix simulated, scheduled against required staff by hour of the week,
with its figure), built aside and swapped in whole (:mod:`capsim.output.folder`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from capsim.cli.args import PROBABILITY, add_debug, add_overrides, bounded
from capsim.cli.run_commands import EXIT_INTERRUPTED
from capsim.scenario.base import MAX_REPLICATIONS, MAX_SEED

EXIT_NOT_MET = 3


def register(commands: Any) -> None:
    """Add schedule."""
    p = commands.add_parser(
        "schedule", help="the cheapest shift mix meeting the targets",
        description="Choose how many technicians work each of the scenario's shift patterns: "
        "a mixed-integer cover of the hourly (or daily) requirements, then simulation on the "
        "same seeds for every mix and local moves until none both meets every target and "
        "costs less (mean cost_total with [costs], else headcount).")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    p.add_argument("--replications", "-r", type=bounded(int, 1, MAX_REPLICATIONS),
                   help="per mix (default: the scenario's experiment.replications)")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), help="root seed")
    add_overrides(p)
    p.add_argument("--criterion", choices=["mean", "chance"], default="mean",
                   help="every target's mean meets it, or the chance that a season meets all "
                   "of them is at least --confidence (Wilson lower bound)")
    p.add_argument("--confidence", type=PROBABILITY, default=0.9,
                   help="for --criterion chance (default 0.9)")
    p.add_argument("--workers", type=bounded(int, 1), help="processes (default: auto)")
    p.add_argument("--engine", default="auto", choices=["auto", "simpy", "fast"],
                   help="simulation engine (default auto: fast when numba is installed)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write the schedule, its KPIs and costs, every mix simulated and the "
                   "figure of scheduled against required staff into DIR")
    add_debug(p)
    p.set_defaults(handler=_schedule)


def _schedule(args: argparse.Namespace) -> int:
    from capsim.output import prepare_out_dir
    from capsim.output.schedule import schedule_summary, write_schedule
    from capsim.scenario import load_scenario
    from capsim.schedule import schedule

    scenario = load_scenario(args.scenario, args.overrides)
    if args.out is not None:
        prepare_out_dir(args.out)  # a bad --out is refused before any simulation
    result = schedule(scenario, criterion=args.criterion, confidence=args.confidence,
                      replications=args.replications, seed=args.seed, workers=args.workers,
                      engine=args.engine)
    shifts = scenario.workforce.shifts
    kpis = result.run.kpis
    if args.out is not None and result.counts in result.evaluations:
        write_schedule(result, args.out, ["capsim", *args.argv], _figures)
    if args.json:
        print(json.dumps(schedule_summary(result), indent=2))
    else:
        cost = f"mean cost_total {result.cost:,.0f}" if scenario.has_costs else (
            f"{result.cost:g} technicians (no [costs]: the headcount is the cost)")
        verdict = "meets every target" if result.meets else "NO MIX FOUND MEETING EVERY TARGET"
        lines = [f"{scenario.name}: the cheapest shift mix ({verdict}; {cost})",
                 f"{result.run.replications} replications per mix on the same seeds, "
                 f"{len(result.evaluations)} mixes simulated ({result.elapsed_seconds:.1f} s)",
                 "",
                 f"  {'pattern':<16}{'start':>7}{'hours':>7}{'days/wk':>9}{'count':>7}"
                 f"{'warm start':>12}"]
        for s, n, w in zip(shifts, result.counts, result.warm_start, strict=True):
            lines.append(f"  {s.name or '-':<16}{s.start_hour:>7g}{s.length_hours:>7g}"
                         f"{s.days_per_week or len(s.weekdays):>9}{n:>7}{w:>12}")
        lines.append("")
        lines += [f"  {g.text}: {g.shown(g.interval(result.run).mean)}" for g in result.goals]
        lines.append(f"  on hand per day {kpis['on_hand_mean'].mean:.1f}, utilization "
                     f"{100 * kpis['utilization'].mean:.1f} %")
        print("\n".join(lines))
        if args.out is not None:
            print(f"\nwrote {args.out}/ (schedule.csv, summary.json, candidates.csv, "
                  "staff_by_hour.csv and .png)")
    if result.partial:
        print("capsim: interrupted: the best mix simulated so far (marked partial)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if result.meets else EXIT_NOT_MET


def _figures(files: Mapping[str, str]) -> dict[str, bytes]:
    """staff_by_hour.png and .svg, drawn from staff_by_hour.csv (matplotlib, lazily)."""
    from capsim.reporting.bundle import parse_table
    from capsim.reporting.figures import render, staff_by_hour

    table = parse_table(files["staff_by_hour.csv"], "staff_by_hour.csv")
    drawn = render("staff_by_hour", lambda: staff_by_hour(
        table["hour_of_week"], table["scheduled"], table["required"],
        "Technicians on duty by hour of the week"))
    return {"staff_by_hour.png": drawn.png, "staff_by_hour.svg": drawn.svg}
