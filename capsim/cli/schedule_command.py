"""``capsim schedule``: the cheapest shift mix meeting every target (:mod:`capsim.schedule`).

Exit status: 0 with a mix meeting every target; 2 for bad input (an hour with demand no
shift pattern covers, an always-on workforce); 3 when the search found no mix meeting
every target; 130 when Ctrl-C stopped it (the best mix simulated whole so far is printed,
marked partial).
"""

from __future__ import annotations

import argparse
import json
import sys
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
    add_debug(p)
    p.set_defaults(handler=_schedule)


def _schedule(args: argparse.Namespace) -> int:
    from capsim.scenario import load_scenario
    from capsim.schedule import schedule

    scenario = load_scenario(args.scenario, args.overrides)
    result = schedule(scenario, criterion=args.criterion, confidence=args.confidence,
                      replications=args.replications, seed=args.seed, workers=args.workers,
                      engine=args.engine)
    shifts = scenario.workforce.shifts
    kpis = result.run.kpis
    if args.json:
        print(json.dumps({
            "scenario": scenario.name, "meets": result.meets, "cost": result.cost,
            "partial": result.partial,
            "priced": scenario.has_costs,
            "schedule": [{"pattern": s.name, "start_hour": s.start_hour,
                          "length_hours": s.length_hours, "weekdays": list(s.weekdays),
                          "days_per_week": s.days_per_week, "count": n}
                         for s, n in zip(shifts, result.counts, strict=True)],
            "warm_start": list(result.warm_start),
            "kpis": {g.name: g.interval(result.run).mean for g in result.goals},
            "evaluated": [list(c) for c in result.evaluations],
            "elapsed_seconds": round(result.elapsed_seconds, 3)}, indent=2))
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
    if result.partial:
        print("capsim: interrupted: the best mix simulated so far (marked partial)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if result.meets else EXIT_NOT_MET
