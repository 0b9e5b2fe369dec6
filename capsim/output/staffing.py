"""Rendering a staffing answer (``capsim size``): JSON, the curve as CSV, a table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from capsim._version import __version__
from capsim.kpis import KPI_NAMES, SHARE_KPIS, interval_columns, relation
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
from capsim.output.run import detail_files
from capsim.scenario import scenario_dict
from capsim.staffing import SizeResult


def _kpis(result: SizeResult, roster: int) -> dict[str, Any]:
    run = result.evaluations[roster]
    return {**{name: run.kpis[name].as_dict() for name in KPI_NAMES},
            "p_target_met": result.p_met(roster).as_dict()}


def detail_roster(result: SizeResult) -> int | None:
    """The roster whose series and distributions are written.

    The recommended one or, when none meets the target, the largest evaluated.
    """
    if result.recommended is not None:
        return result.recommended
    return max(result.evaluations, default=None)


def size_summary(result: SizeResult) -> dict[str, Any]:
    """The machine-readable answer (what ``capsim size --json`` prints)."""
    cut = result.rough_cut
    peak = result.on_hand_at_peak()
    engines = {r.engine for r in result.evaluations.values()}
    return json_object({
        "scenario": result.scenario.name,
        "recommended": result.recommended,
        "met": result.recommended is not None,
        "objective": result.objective,
        "smallest": result.smallest,
        "criterion": result.criterion,
        "kpi": result.kpi,
        "target": result.target,
        "confidence": result.confidence,
        "targets": [{**g.as_dict(), "needs": need} for g, need in result.needs().items()],
        "binding": None if result.binding is None else result.binding.as_dict(),
        "on_hand_at_peak": None if peak is None else {
            "day": cut.peak_day, "mean": peak[0], "p10": peak[1]},
        "curve": [{"roster": n, "meets": result.verdict(n),
                   "replications": result.evaluations[n].replications,
                   "kpis": _kpis(result, n),
                   "by_class": by_class_json(result.evaluations[n]),
                   **with_supplies(result.evaluations[n])} for n in result.curve],
        "rule_of_thumb": cut.rule_of_thumb,
        "rough_cut": {"roster": cut.roster, "lower_bound": cut.lower_bound,
                      "on_hand": cut.on_hand, "peak_day": cut.peak_day,
                      "peak_day_orders": cut.peak_day_orders,
                      "scheduled_share": cut.scheduled_share, "presence": cut.presence,
                      "confidence": cut.confidence, "assumptions": list(cut.assumptions)},
        "detail_roster": detail_roster(result),
        "evaluations": list(result.evaluations),
        "replications": result.replications,
        "max_replications": result.max_replications,
        "seed": result.seed,
        "engine": ", ".join(sorted(engines)) or None,
        "partial": result.partial,
        "notes": list(result.notes),
        "capsim_version": __version__,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
    })


def curve_csv(result: SizeResult) -> str:
    """Every evaluated roster: verdict, replications, KPI means and intervals, P(met)."""
    names = classes_of(result.evaluations.values())
    header = ["roster", "meets", "replications"]
    header += [*interval_columns(), *interval_header(names)]
    rows = []
    for n in sorted(result.evaluations):
        kpis = _kpis(result, n)
        row: list[Any] = [n, int(result.verdict(n)), result.evaluations[n].replications]
        for name in (*KPI_NAMES, "p_target_met"):
            row += [kpis[name]["mean"], kpis[name]["ci_low"], kpis[name]["ci_high"]]
        rows.append([*row, *interval_values(result.evaluations[n], names)])
    return csv_text(header, rows)


def size_files(result: SizeResult, command: Sequence[str]) -> dict[str, str]:
    """summary.json (with the resolved scenario and command), curve.csv, timing.json.

    Also the :func:`detail_roster`'s timeseries.csv, daily.csv and lead_time.csv.
    """
    document = {**reproducible(size_summary(result)), "command": list(command),
                "resolved_scenario": scenario_dict(result.scenario)}
    n = detail_roster(result)
    details = detail_files(result.evaluations[n]) if n is not None else {}
    return {"summary.json": json_text(document), "curve.csv": curve_csv(result), **details,
            TIMING: timing_text(result.elapsed_seconds)}


def write_size(result: SizeResult, out: Path, command: Sequence[str]) -> list[Path]:
    """Write :func:`size_files` as the folder ``out`` (see :mod:`capsim.output.folder`)."""
    return write_folder(out, "size", lambda: size_files(result, command))


def _value(kpi: str, value: float) -> str:
    if kpi in SHARE_KPIS:
        return percent(value)
    return "-" if math.isnan(value) else f"{value:.3f}" + (" h" if kpi.endswith("hours") else "")


def _question(result: SizeResult) -> str:
    question = _smallest_question(result)
    if result.objective == "cost":
        return question.replace("the smallest roster", "the cheapest roster (mean cost_total)",
                                1)
    return question


def _smallest_question(result: SizeResult) -> str:
    if len(result.goals) > 1:
        goals = " and ".join(g.text for g in result.goals)
        if result.criterion == "mean":
            return f"the smallest roster whose means meet every target: {goals}"
        return (f"the smallest roster with P(a season meets every target) >= "
                f"{result.confidence:g}, on the Wilson lower bound: {goals}")
    goal = f"{result.kpi} {relation(result.kpi)} {_value(result.kpi, result.target)}"
    if result.criterion == "mean":
        return f"the smallest roster whose mean {goal}"
    return (f"the smallest roster with P(a season has {goal}) >= {result.confidence:g}, "
            "on the Wilson lower bound")


def binding_lines(result: SizeResult) -> list[str]:
    """Which target sets the roster, and what each needs (several targets only)."""
    bind = result.binding
    if len(result.goals) < 2 or bind is None:
        return []
    need = result.needs()
    def needed(n: int | None) -> str:
        return "no evaluated roster" if n is None else f"{n}"
    verb = "is not met" if need[bind] is None else f"binds (needs {need[bind]})"
    others = "; ".join(f"{g.text} needs {needed(need[g])}" for g in result.goals if g != bind)
    return [f"  binding target: {bind.text} {verb}; {others} (smallest evaluated roster "
            "meeting each alone)"]


def _headline(result: SizeResult) -> list[str]:
    cut = result.rough_cut
    if result.recommended is None:
        what = "INTERRUPTED" if result.partial else (
            "NO ROSTER MEETS THE TARGET" if len(result.goals) == 1
            else "NO ROSTER MEETS EVERY TARGET")
        return [f"{what}: evaluated {sorted(result.evaluations) or 'nothing'}"]
    n = result.recommended
    peak = result.on_hand_at_peak()
    assert peak is not None
    lines = [f"RECOMMENDED: {n} technicians on the roster: {peak[0]:.1f} on hand on the busiest "
             f"day (day {cut.peak_day}; at least {peak[1]:g} in 9 seasons of 10)"]
    run = result.evaluations[n]
    if result.objective == "cost" and result.smallest is not None:
        cost = run.kpis["cost_total"]
        smallest = result.evaluations[result.smallest].kpis["cost_total"].mean
        lines.append(f"  the cheapest roster meeting every target: mean cost_total "
                     f"{cost.mean:,.0f} a season, {round(100 * run.ci_level)} % CI "
                     f"[{cost.ci_low:,.0f}, {cost.ci_high:,.0f}]; the smallest, "
                     f"{result.smallest}, costs {smallest:,.0f}")
    level = round(100 * run.ci_level)
    if result.criterion == "mean":
        k = run.kpis[result.kpi]
        lines.append(f"  mean {result.kpi} {_value(result.kpi, k.mean)}, {level} % CI "
                     f"[{_value(result.kpi, k.ci_low)}, {_value(result.kpi, k.ci_high)}]")
    else:
        share = result.p_met(n)
        which = "every target" if len(result.goals) > 1 else "target"
        lines.append(f"  {which} met in {percent(share.mean, 0)} of seasons, {level} % CI "
                     f"[{percent(share.ci_low, 0)}, {percent(share.ci_high, 0)}]")
    lines.append(f"  rule of thumb (1 per 100 orders in-house at the peak): {cut.rule_of_thumb}; "
                 f"analytic rough cut: {cut.lower_bound} to {cut.roster}")
    return lines


def format_size(result: SizeResult) -> str:
    """The staffing answer in plain words, then the curve around it."""
    some = next(iter(result.evaluations.values()), None)
    engine = some.engine if some is not None else "-"
    count = (f"{result.replications}" if result.max_replications is None else
             f"{result.replications} to {result.max_replications} (as the verdict needs)")
    lines = [f"{result.scenario.name}: {_question(result)}",
             f"({count} replications per roster on the same seeds, seed {result.seed}, engine "
             f"{engine})", "", *_headline(result)]
    lines += binding_lines(result)
    lines += [f"  note: {note}" for note in result.notes]
    level = round(100 * some.ci_level) if some is not None else 95
    priced = result.scenario.has_costs
    lines += ["", f"{'':2}{'roster':>6}  {result.kpi + f' ({level} % CI)':<36}"
              f"{'P(target met)':<26}{'on hand':>8}{'utilization':>12}{'overtime h':>11}"
              + (f"{'cost':>14}" if priced else "")]
    for n in result.curve:
        run = result.evaluations[n]
        k, share = run.kpis[result.kpi], result.p_met(n)
        mark = ">" if n == result.recommended else ("+" if result.verdict(n) else " ")
        kpi = f"{_value(result.kpi, k.mean)} [{_value(result.kpi, k.ci_low)}, " \
              f"{_value(result.kpi, k.ci_high)}]"
        met = f"{percent(share.mean, 0)} [{percent(share.ci_low, 0)}, {percent(share.ci_high, 0)}]"
        lines.append(f"{mark:<2}{n:>6}  {kpi:<36}{met:<26}{run.kpis['on_hand_mean'].mean:>8.1f}"
                     f"{percent(run.kpis['utilization'].mean, 1):>12}"
                     f"{run.kpis['overtime_hours'].mean:>11.1f}"
                     + (f"{run.kpis['cost_total'].mean:>14,.0f}" if priced else ""))
    order = ", ".join(map(str, result.evaluations))
    lines += ["", f"> recommended, + meets the target. Evaluated {len(result.evaluations)} "
                  f"rosters in this order: {order} ({result.elapsed_seconds:.1f} s)"]
    if result.partial:
        lines.append("interrupted: the search stopped early; completed evaluations are kept")
    return "\n".join(lines)
