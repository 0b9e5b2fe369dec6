"""Rendering a what-if grid (``capsim sweep``): JSON, CSV, a table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from capsim._version import __version__
from capsim.kpis import KPI_NAMES, interval_columns
from capsim.output.classes import (
    by_class_json,
    classes_of,
    interval_header,
    interval_values,
    with_supplies,
)
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
from capsim.scenario import scenario_dict
from capsim.sweep import SweepResult


def sweep_summary(result: SweepResult) -> dict[str, Any]:
    """The grid and each point's KPIs (what ``capsim sweep --json`` prints)."""
    points = []
    for i, run in enumerate(result.results):
        values = dict(zip((v.path for v in result.varies), result.values(i), strict=True))
        points.append({"values": values, "completed": run is not None, "kpis": None if run is None
                       else {**{n: run.kpis[n].as_dict() for n in KPI_NAMES},
                             "p_target_met": run.p_target_met.as_dict()},
                       "by_class": None if run is None else by_class_json(run),
                       **({} if run is None else with_supplies(run))})
    return json_object({
        "scenario": result.scenario.name,
        "vary": [{"path": v.path, "values": list(v.values)} for v in result.varies],
        "points": points, "seed": result.seed, "replications": result.replications,
        "partial": result.partial, "capsim_version": __version__,
        "elapsed_seconds": round(result.elapsed_seconds, 3)})


def sweep_csv(result: SweepResult) -> str:
    """One row per completed grid point: the varied values, then every KPI with its interval."""
    names = classes_of(result.results)
    header = [v.path for v in result.varies]
    header += [*interval_columns(), *interval_header(names)]
    rows = []
    for i, run in enumerate(result.results):
        if run is None:
            continue
        row: list[Any] = [str(v) if isinstance(v, list | dict) else v for v in result.values(i)]
        for interval in [*(run.kpis[n] for n in KPI_NAMES), run.p_target_met]:
            row += [interval.mean, interval.ci_low, interval.ci_high]
        rows.append([*row, *interval_values(run, names)])
    return csv_text(header, rows)


def sweep_files(result: SweepResult, command: Sequence[str]) -> dict[str, str]:
    """summary.json (with the resolved base scenario and command), sweep.csv, timing.json."""
    document = {**reproducible(sweep_summary(result)), "command": list(command),
                "resolved_scenario": scenario_dict(result.scenario)}
    return {"summary.json": json_text(document), "sweep.csv": sweep_csv(result),
            TIMING: timing_text(result.elapsed_seconds)}


def write_sweep(result: SweepResult, out: Path, command: Sequence[str]) -> list[Path]:
    """Write :func:`sweep_files` as the folder ``out`` (see :mod:`capsim.output.folder`)."""
    return write_folder(out, "sweep", lambda: sweep_files(result, command))


def format_sweep(result: SweepResult) -> str:
    """A row per grid point: the varied values and the headline KPIs.

    With supplies, also the fill rate and the orders delayed by a stock-out (all supplies
    together; per supply in the JSON's ``by_supply``), the figures a sweep over reorder
    levels is read by.
    """
    stocked = result.scenario.has_supplies
    paths = [v.path for v in result.varies]
    widths = [max(len(p), *(len(str(x)) for x in v.values)) for p, v in
              zip(paths, result.varies, strict=True)]
    lines = [f"{result.scenario.name}: what-if over {' x '.join(paths)} "
             f"({result.replications} replications per point on the same seeds, seed "
             f"{result.seed})", ""]
    head = "  ".join(f"{p:>{w}}" for p, w in zip(paths, widths, strict=True))
    lines.append(f"{head}  {'on time (95 % CI)':<30}{'P(target met)':>14}{'on hand':>9}"
                 f"{'utilization':>12}{'lead p95 h':>11}"
                 + (f"{'fill rate':>11}{'delayed':>9}" if stocked else ""))
    for i, run in enumerate(result.results):
        values = "  ".join(f"{x!s:>{w}}" for x, w in zip(result.values(i), widths, strict=True))
        if run is None:
            lines.append(f"{values}  (not run: interrupted)")
            continue
        k = run.kpis["on_time_rate"]
        on_time = f"{percent(k.mean)} [{percent(k.ci_low)}, {percent(k.ci_high)}]"
        lines.append(f"{values}  {on_time:<30}"
                     f"{percent(run.p_target_met.mean, 0):>14}{run.kpis['on_hand_mean'].mean:>9.1f}"
                     f"{percent(run.kpis['utilization'].mean, 1):>12}"
                     f"{run.kpis['lead_time_p95_hours'].mean:>11.2f}"
                     + (f"{percent(run.kpis['fill_rate'].mean, 2):>11}"
                        f"{run.kpis['orders_delayed_by_stockout'].mean:>9.0f}" if stocked
                        else ""))
    lines.append(f"\n{sum(r is not None for r in result.results)} of {len(result.results)} "
                 f"points in {result.elapsed_seconds:.1f} s"
                 + (" (interrupted: partial)" if result.partial else ""))
    return "\n".join(lines)
