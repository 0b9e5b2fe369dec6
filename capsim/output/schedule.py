"""Rendering a shift schedule (``capsim schedule``): JSON, the tables as CSV, the folder.

``capsim schedule --out DIR`` writes, as one folder (:mod:`capsim.output.folder`):

- ``schedule.csv``: the chosen mix, one row per shift pattern (pattern, start hour,
  length, weekdays, days a week, count, the MILP warm start's count);
- ``summary.json``: the answer (what ``--json`` prints) with every KPI of the chosen
  mix as an interval, its cost breakdown, the resolved scenario and the command;
- ``costs.csv`` (with ``[costs]``): each cost KPI of the chosen mix, mean and interval;
- ``candidates.csv``: every mix the search simulated, in the order it did (counts per
  pattern, cost, whether it meets every target, its tightest target);
- ``staff_by_hour.csv``: by hour of the week, technicians scheduled (Σ counts × the
  expected share on duty) and required (:func:`capsim.schedule.staff_by_hour_of_week`);
- the chosen mix's ``replications.csv``, ``timeseries.csv``, ``daily.csv``,
  ``lead_time.csv`` (as ``capsim run --out`` writes them), and ``timing.json``;
- figures the caller draws from these files (``figures``: the CLI adds
  ``staff_by_hour.png`` and ``.svg``, :mod:`capsim.reporting.figures`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from capsim._version import __version__
from capsim.costs import COST_NAMES
from capsim.kpis import INTERVAL_COLUMNS, KPI_NAMES
from capsim.output.common import TIMING, csv_text, json_object, json_text, reproducible, timing_text
from capsim.output.folder import write_folder
from capsim.output.run import detail_files, replications_csv
from capsim.scenario import WEEKDAY_NAMES, scenario_dict
from capsim.schedule import ScheduleResult, staff_by_hour_of_week

#: The files of a schedule folder a report's data folder copies (``data/schedule/``).
SCHEDULE_FILES = ("summary.json", "schedule.csv", "candidates.csv", "staff_by_hour.csv")


def _pattern_names(result: ScheduleResult) -> list[str]:
    return [s.name or f"pattern {p + 1}" for p, s in enumerate(result.scenario.workforce.shifts)]


def schedule_rows(result: ScheduleResult) -> list[dict[str, Any]]:
    """The chosen mix, one row per shift pattern."""
    shifts = result.scenario.workforce.shifts
    return [{"pattern": name, "start_hour": s.start_hour, "length_hours": s.length_hours,
             "weekdays": list(s.weekdays),
             "days_per_week": s.days_per_week or len(s.weekdays), "count": n,
             "warm_start": w}
            for name, s, n, w in zip(_pattern_names(result), shifts, result.counts,
                                     result.warm_start, strict=True)]


def schedule_summary(result: ScheduleResult) -> dict[str, Any]:
    """The machine-readable answer (what ``capsim schedule --json`` prints)."""
    run = result.run
    priced = result.scenario.has_costs
    return json_object({
        "scenario": result.scenario.name,
        "meets": result.meets,
        "cost": result.cost,
        "priced": priced,
        "partial": result.partial,
        "criterion": result.criterion,
        "confidence": result.confidence,
        "targets": [{**g.as_dict(), "value": g.interval(run).as_dict()} for g in result.goals],
        "binding": result.binding(result.counts).as_dict(),
        "schedule": schedule_rows(result),
        "headcount": sum(result.counts),
        "warm_start": list(result.warm_start),
        "kpis": {name: run.kpis[name].as_dict() for name in KPI_NAMES},
        "costs": {name: run.kpis[name].as_dict() for name in COST_NAMES} if priced else None,
        "p_target_met": run.p_target_met.as_dict(),
        "evaluated": [list(c) for c in result.evaluations],
        "replications": run.replications,
        "seed": run.seed,
        "engine": run.engine,
        "capsim_version": __version__,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
    })


def schedule_csv(result: ScheduleResult) -> str:
    """The chosen mix (see :func:`schedule_rows`), weekdays as ``Mon Tue ...``."""
    header = ["pattern", "start_hour", "length_hours", "weekdays", "days_per_week", "count",
              "warm_start"]
    return csv_text(header, [[r["pattern"], r["start_hour"], r["length_hours"],
                              " ".join(WEEKDAY_NAMES[d][:3] for d in r["weekdays"]),
                              r["days_per_week"], r["count"],
                              r["warm_start"]] for r in schedule_rows(result)])


def costs_csv(result: ScheduleResult) -> str:
    """Each cost KPI of the chosen mix: mean, interval, level."""
    run = result.run
    return csv_text(["kpi", *INTERVAL_COLUMNS, "ci_level"],
                    [[name, run.kpis[name].mean, run.kpis[name].ci_low, run.kpis[name].ci_high,
                      run.kpis[name].ci_level] for name in COST_NAMES])


def candidates_csv(result: ScheduleResult) -> str:
    """Every simulated mix, in the search's order: counts, cost, verdict, tightest target."""
    header = [*_pattern_names(result), "headcount", "cost", "meets", "binding", "chosen"]
    rows = [[*counts, sum(counts), result.cost_of(counts), int(result.verdict(counts)),
             result.binding(counts).name, int(counts == result.counts)]
            for counts in result.evaluations]
    return csv_text(header, rows)


def staff_by_hour_csv(result: ScheduleResult) -> str:
    """By hour of the week: scheduled and required technicians on duty (means)."""
    hours, scheduled, required = staff_by_hour_of_week(result.scenario, result.counts)
    return csv_text(["hour_of_week", "weekday", "hour", "scheduled", "required"],
                    [[int(h), WEEKDAY_NAMES[h // 24][:3], int(h % 24), float(s), float(r)]
                     for h, s, r in zip(hours.tolist(), scheduled, required, strict=True)])


def schedule_files(result: ScheduleResult, command: Sequence[str]) -> dict[str, str]:
    """The text files of a schedule folder (the module docstring)."""
    files = {"schedule.csv": schedule_csv(result), "candidates.csv": candidates_csv(result),
             "staff_by_hour.csv": staff_by_hour_csv(result),
             **({"costs.csv": costs_csv(result)} if result.scenario.has_costs else {}),
             "replications.csv": replications_csv(result.run), **detail_files(result.run),
             TIMING: timing_text(result.elapsed_seconds)}
    document = {**reproducible(schedule_summary(result)), "command": list(command),
                "resolved_scenario": scenario_dict(result.planned),
                "files": sorted([*files, "summary.json"])}
    return {"summary.json": json_text(document), **files}


def write_schedule(result: ScheduleResult, out: Path, command: Sequence[str],
                   figures: Callable[[Mapping[str, str]], Mapping[str, bytes]] | None = None
                   ) -> list[Path]:
    """Write :func:`schedule_files` (and ``figures(files)``) as the folder ``out``."""
    def files() -> dict[str, str | bytes]:
        texts = schedule_files(result, command)
        return {**texts, **(figures(texts) if figures is not None else {})}
    return write_folder(out, "schedule", files)
