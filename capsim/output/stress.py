"""Rendering stress tests (``capsim stress``): JSON, CSV, a table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from capsim._version import __version__
from capsim.output.classes import with_supplies
from capsim.output.common import (
    TIMING,
    csv_text,
    json_object,
    json_text,
    percent,
    reproducible,
    timing_text,
)
from capsim.output.folder import write_folder
from capsim.results import RunResult
from capsim.scenario import scenario_dict
from capsim.stockouts import STOCK_KPIS
from capsim.stress import AFTER_DAYS, StressOutcome, StressReport


def _clearing(outcome: StressOutcome) -> dict[str, Any]:
    """The backlog's clearing; a quantile not reached by the horizon is null (JSON, CSV)."""
    c = outcome.clearing
    return {"share_cleared": c.share_cleared,
            "median_hours": c.median_hours if math.isfinite(c.median_hours) else None,
            "p90_hours": c.p90_hours if math.isfinite(c.p90_hours) else None}


def _hours(value: float | None) -> str:
    return "not by the horizon" if value is None else f"{value:.0f} h"


def _stock(run: RunResult) -> dict[str, Any]:
    """With supplies: the run's stock KPIs (``stock``) and each supply's (``by_supply``)."""
    if not run.scenario.has_supplies:
        return {}
    return {"stock": {k: run.kpis[k].as_dict() for k in STOCK_KPIS}, **with_supplies(run)}


def _row(outcome: StressOutcome) -> dict[str, Any]:
    return {
        "name": outcome.event.name, "kind": outcome.event.kind,
        "description": outcome.event.describe(),
        "on_time_during": outcome.on_time("during").as_dict(),
        "baseline_on_time_during": outcome.on_time("during", baseline=True).as_dict(),
        "on_time_after": outcome.on_time("after").as_dict(),
        "baseline_on_time_after": outcome.on_time("after", baseline=True).as_dict(),
        "season_on_time": outcome.result.kpis["on_time_rate"].as_dict(),
        "p_target_met": outcome.result.p_target_met.as_dict(),
        "backlog": _clearing(outcome), "peak_extra_wip": outcome.peak_extra_wip,
        **({"supply": outcome.event.supply} if outcome.event.kind == "supplier" else {}),
        **_stock(outcome.result)}


def stress_summary(report: StressReport) -> dict[str, Any]:
    """The baseline and each event (what ``capsim stress --json`` prints)."""
    base = report.baseline
    return json_object({
        "scenario": report.scenario.name, "roster": report.scenario.workforce.roster,
        "replications": base.replications, "seed": base.seed, "after_days": AFTER_DAYS,
        "baseline": {"season_on_time": base.kpis["on_time_rate"].as_dict(),
                     "p_target_met": base.p_target_met.as_dict(), **_stock(base)},
        "events": [_row(o) for o in report.outcomes], "partial": report.partial,
        "capsim_version": __version__, "elapsed_seconds": round(report.elapsed_seconds, 3)})


def stress_csv(report: StressReport) -> str:
    """One row per event: on-time during, after and over the season, backlog clearing."""
    header = ["event", "kind", "description", "on_time_during", "baseline_on_time_during",
              "on_time_after", "baseline_on_time_after", "season_on_time",
              "baseline_season_on_time", "share_cleared", "median_clear_hours",
              "p90_clear_hours", "peak_extra_wip"]
    rows = []
    for o in report.outcomes:
        r, c = _row(o), _clearing(o)
        rows.append([o.event.name, o.event.kind, o.event.describe(),
                     r["on_time_during"]["mean"], r["baseline_on_time_during"]["mean"],
                     r["on_time_after"]["mean"], r["baseline_on_time_after"]["mean"],
                     r["season_on_time"]["mean"], report.baseline.kpis["on_time_rate"].mean,
                     c["share_cleared"], c["median_hours"], c["p90_hours"], o.peak_extra_wip])
    return csv_text(header, rows)


def stress_files(report: StressReport, command: Sequence[str]) -> dict[str, str]:
    """summary.json (with the resolved scenario and command), stress.csv, timing.json."""
    document = {**reproducible(stress_summary(report)), "command": list(command),
                "resolved_scenario": scenario_dict(report.scenario)}
    return {"summary.json": json_text(document), "stress.csv": stress_csv(report),
            TIMING: timing_text(report.elapsed_seconds)}


def write_stress(report: StressReport, out: Path, command: Sequence[str]) -> list[Path]:
    """Write :func:`stress_files` as the folder ``out`` (see :mod:`capsim.output.folder`)."""
    return write_folder(out, "stress", lambda: stress_files(report, command))


def _change(now: float, before: float) -> str:
    return f"{percent(now, 1)} ({100 * (now - before):+.1f})"


def format_stress(report: StressReport) -> str:
    """Each event against the baseline, on the same replications."""
    base = report.baseline
    labels = [f"{o.event.name}: {o.event.describe()}" for o in report.outcomes]
    width = max([len("baseline (no event)"), *map(len, labels)]) + 2
    lines = [f"{report.scenario.name}: stress tests at roster "
             f"{report.scenario.workforce.roster} ({base.replications} replications, the same "
             "with and without each event)", "",
             f"{'event':<{width}}{'on time during':>16}{f'next {AFTER_DAYS} days':>16}"
             f"{'season':>16}   backlog cleared (median / p90)",
             f"{'baseline (no event)':<{width}}{'':>16}{'':>16}"
             f"{percent(base.kpis['on_time_rate'].mean, 1):>16}"]
    for o, label in zip(report.outcomes, labels, strict=True):
        c = _clearing(o)
        during, after = o.on_time("during"), o.on_time("after")
        season = _change(o.result.kpis["on_time_rate"].mean, base.kpis["on_time_rate"].mean)
        cleared = (f"{_hours(c['median_hours'])} / {_hours(c['p90_hours'])} "
                   f"({percent(c['share_cleared'], 0)} cleared)"
                   if c["share_cleared"] > 0 else "not by the horizon")
        lines.append(f"{label:<{width}}"
                     f"{_change(during.mean, o.on_time('during', baseline=True).mean):>16}"
                     f"{_change(after.mean, o.on_time('after', baseline=True).mean):>16}"
                     f"{season:>16}   {cleared}")
    lines.append("\n(in brackets: percentage points against the baseline on the same days)"
                 + ("\ninterrupted: partial" if report.partial else ""))
    return "\n".join(lines)
