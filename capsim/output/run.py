"""Rendering a run: the JSON summary, the CSV files, and the table for people."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from capsim import engines
from capsim._version import __version__
from capsim.kpis import (
    BY_NAME,
    KPI_NAMES,
    KPIS,
    P_TARGET_MET,
    PER_CLASS,
    by_class_schema,
    interval_schema,
    kpis_schema,
)
from capsim.metrics import DAILY_NAMES, LEAD_TIME_BINS_PER_PROMISE, SERIES_NAMES
from capsim.output.classes import (
    by_class_json,
    replication_header,
    replication_values,
    with_supplies,
)
from capsim.output.common import (
    TIMING,
    csv_text,
    json_object,
    json_text,
    reproducible,
    timing_text,
)
from capsim.output.folder import write_folder
from capsim.results import RunResult
from capsim.scenario import WEEKDAY_NAMES, scenario_dict
from capsim.stockouts import STOCK_KPIS

QUANTILES = (10, 50, 90)


def summary(result: RunResult) -> dict[str, Any]:
    """The machine-readable summary of a run (what ``capsim run --json`` prints)."""
    return json_object({
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": result.replications,
        "replications_requested": result.replications_requested,
        "engine": result.engine,
        "capsim_version": __version__,
        "partial": result.partial,
        "stopped_by": result.stopped_by,
        "precision": None if result.precision is None else {
            "kpi": result.precision[0], "half_width": result.precision[1]},
        "target": {"kpi": "on_time_rate", "value": result.target},
        "kpis": {name: result.kpis[name].as_dict() for name in KPI_NAMES},
        "by_class": by_class_json(result),
        **with_supplies(result),
        "unreliable_intervals": [name for name in KPI_NAMES if not result.kpis[name].reliable],
        "p_target_met": result.p_target_met.as_dict(),
        "on_hand_histogram": result.on_hand_histogram,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
    })


def summary_schema() -> dict[str, Any]:
    """JSON Schema (Draft 2020-12) of a run's summary: ``run --json`` and ``summary.json``.

    Its ``kpis`` are exactly the registry's (:func:`capsim.kpis.kpis_schema`);
    ``capsim schema --summary`` prints it.
    """
    number, text = {"type": ["number", "null"]}, {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "capsim run summary", "type": "object",
        "required": ["scenario", "seed", "replications", "engine", "capsim_version",
                     "partial", "kpis", "p_target_met", "on_hand_histogram"],
        "properties": {
            "scenario": text, "seed": {"type": "integer"},
            "replications": {"type": "integer", "minimum": 0},
            "replications_requested": {"type": "integer", "minimum": 1}, "engine": text,
            "capsim_version": text, "partial": {"type": "boolean"},
            "stopped_by": {"enum": ["replications", "precision", "decided",
                                    "max_replications", "interrupted"]},
            "target": {"type": "object", "properties": {"kpi": text, "value": number}},
            "kpis": kpis_schema(),
            "by_class": by_class_schema(),
            "by_supply": {"type": "array", "description": "per supply (scenarios with "
                          "supplies only): its stock KPIs, for it alone", "items": {
                              "type": "object", "required": ["supply", *STOCK_KPIS,
                                                             "seasons_short"],
                              "additionalProperties": False,
                              "properties": {"supply": text, **{
                                  k: interval_schema() for k in (*STOCK_KPIS,
                                                                 "seasons_short")}}}},
            "unreliable_intervals": {"type": "array", "items": {"enum": list(KPI_NAMES)}},
            "p_target_met": interval_schema(),
            "on_hand_histogram": {"type": "object", "additionalProperties": number},
        },
    }


def replications_csv(result: RunResult) -> str:
    """One row per completed replication, one column per KPI (then per class and KPI)."""
    names = result.class_names
    rows = [[s.replication, *(s.kpis[k] for k in KPI_NAMES),
             *replication_values(s.by_class, names)] for s in result.summaries]
    return csv_text(["replication", *KPI_NAMES, *replication_header(names)], rows)


def _nanmean(values: np.ndarray) -> np.ndarray:
    finite = ~np.isnan(values)
    total = np.where(finite, values, 0.0).sum(axis=0)
    count = finite.sum(axis=0)
    result: np.ndarray = np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)
    return result


def timeseries_csv(result: RunResult) -> str:
    """Hourly series: mean and p10/p50/p90 across replications."""
    header, columns = ["hour"], []
    for name in SERIES_NAMES:
        values = result.hourly(name).astype(float)
        header += [f"{name}_mean", *(f"{name}_p{q}" for q in QUANTILES)]
        columns += [values.mean(axis=0), *np.percentile(values, QUANTILES, axis=0)]
    hours = len(columns[0]) if columns else 0
    return csv_text(header, [[h, *(float(c[h]) for c in columns)] for h in range(hours)])


def daily_csv(result: RunResult) -> str:
    """Per day: means across replications (and on-hand p10/p90)."""
    scenario = result.scenario
    means = [_nanmean(result.daily(name)) for name in DAILY_NAMES]
    on_hand = np.percentile(result.daily("on_hand"), (10, 90), axis=0)
    header = ["day", "weekday", "warmup", *(f"{n}_mean" for n in DAILY_NAMES),
              "on_hand_p10", "on_hand_p90"]
    rows = [
        [d, WEEKDAY_NAMES[(scenario.start_weekday + d) % 7][:3], int(d < scenario.warmup_days),
         *(float(m[d]) for m in means), float(on_hand[0][d]), float(on_hand[1][d])]
        for d in range(scenario.horizon_days)
    ]
    return csv_text(header, rows)


def lead_time_csv(result: RunResult) -> str:
    """Cumulative share of counted orders by lead time, across replications.

    Mean and p10/p50/p90 at each bin's upper end (in promises, and in hours when every
    order class has the same promise). At 1 promise the mean is the mean on-time rate;
    what the last row leaves short of 1 finished later or not at all.
    """
    cdf = result.lead_time_cdf()[:, :-1]
    promises = {c.promise_hours for c in result.scenario.order_classes}
    only = promises.pop() if len(promises) == 1 else None
    hours = math.nan if only is None else only
    mean = _nanmean(cdf)
    quantiles = (np.nanpercentile(cdf, QUANTILES, axis=0) if np.isfinite(cdf).any()
                 else np.full((len(QUANTILES), cdf.shape[1]), np.nan))
    rows = [[(i + 1) / LEAD_TIME_BINS_PER_PROMISE, (i + 1) / LEAD_TIME_BINS_PER_PROMISE * hours,
             float(mean[i]), *(float(q[i]) for q in quantiles)] for i in range(cdf.shape[1])]
    return csv_text(["promises", "hours", "share_mean", *(f"share_p{q}" for q in QUANTILES)],
                    rows)


def detail_files(result: RunResult) -> dict[str, str]:
    """The hourly series, daily table and lead-time distribution of a run, as CSV."""
    return {"timeseries.csv": timeseries_csv(result), "daily.csv": daily_csv(result),
            "lead_time.csv": lead_time_csv(result)}


def run_files(result: RunResult, command: Sequence[str]) -> dict[str, str]:
    """summary.json, replications.csv, the detail files and timing.json, as text.

    ``summary.json`` also holds the resolved scenario (every default filled in)
    and the command line, so the run can be repeated exactly; how long it took is
    in ``timing.json`` only. A run stopped before any replication has no detail files.
    """
    details = detail_files(result) if result.summaries else {}
    files = {"replications.csv": replications_csv(result), **details,
             TIMING: timing_text(result.elapsed_seconds)}
    document = {**reproducible(summary(result)), "command": list(command),
                "resolved_scenario": scenario_dict(result.scenario),
                "files": sorted([*files, "summary.json"])}
    return {"summary.json": json_text(document), **files}


def write_run(result: RunResult, out: Path, command: Sequence[str]) -> list[Path]:
    """Write :func:`run_files` as the folder ``out`` (see :mod:`capsim.output.folder`)."""
    return write_folder(out, "run", lambda: run_files(result, command))


def _why_not_fast(result: RunResult) -> str:
    """`` (fast engine: ...)`` when the run is on another engine because it must be."""
    reason = engines.passed_over(result.scenario)
    return "" if reason is None or result.engine == engines.PREFERENCE[0] else f" ({reason})"


def format_table(result: RunResult) -> str:
    """A readable summary of a run for the terminal."""
    level = round(100 * result.ci_level)
    met, share = result.p_target_met, P_TARGET_MET.format
    lines = [
        f"{result.scenario.name}: {result.replications} replications"
        + (f" of {result.replications_requested} (interrupted: partial)" if result.partial else "")
        + f", seed {result.seed}, engine {result.engine}{_why_not_fast(result)}, "
        f"{result.elapsed_seconds:.1f} s",
        f"target on_time_rate >= {result.target:g}: met in "
        f"{round(met.mean * met.n)} of {met.n} replications "
        f"({share(met.mean)}, {level} % CI {share(met.ci_low)} to {share(met.ci_high)})",
        "",
        f"{'kpi':<24}{'mean':>14}{f'{level} % CI':>30}",
    ]
    for kpi in KPIS:
        if not kpi.applies_to(result.scenario):
            continue  # always 0 here (no patience, say): the table leaves it out
        k = result.kpis[kpi.name]
        ci = f"[{kpi.format(k.ci_low)}, {kpi.format(k.ci_high)}]"
        lines.append(f"{kpi.name:<24}{kpi.format(k.mean):>14}{ci:>30}"
                     + ("" if k.reliable or k.n < 2 else " ~"))
    lines += _class_table(result)
    if any(not result.kpis[n].reliable and result.kpis[n].n >= 2 for n in KPI_NAMES):
        lines += ["", "~ too few replications for this KPI's skewness: its interval may cover "
                  "less than it says (README: Intervals)"]
    return "\n".join(lines)


def _class_table(result: RunResult) -> list[str]:
    """The per-class section of the run table: one column per class, the means."""
    names = result.class_names
    if not names:
        return []
    width = max(14, *(len(c) + 2 for c in names))
    lines = ["", "per order class (means)",
             f"{'kpi':<24}" + "".join(f"{c:>{width}}" for c in names)]
    for name in PER_CLASS:
        kpi = BY_NAME[name]
        if kpi.applies_to(result.scenario):
            lines.append(f"{name:<24}" + "".join(
                f"{kpi.format(result.by_class[c][name].mean):>{width}}" for c in names))
    return lines
