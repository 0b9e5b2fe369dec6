"""The report's figures, drawn from a :class:`~capsim.reporting.bundle.Bundle` only.

matplotlib without pyplot (no global state, the Agg canvas), one style for all: the
Okabe–Ito colour-blind-safe palette, titles and axis labels with units, text sized
for reading at 100 % zoom (8 × 4.5 inches, written at 150 dpi). The same bundle gives
byte-identical files: no dates in the metadata, and a fixed salt for SVG ids.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MaxNLocator

from capsim.analytic.staffing import RuleOfThumb
from capsim.reporting.bundle import Bundle
from capsim.scenario import WEEKDAY_NAMES

#: Okabe & Ito (2008), "Color Universal Design".
PALETTE = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
           "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
           "purple": "#CC79A7", "grey": "#999999"}
STYLE: dict[Any, Any] = {
    "figure.figsize": (8.0, 4.5), "figure.dpi": 100, "savefig.dpi": 150,
    "font.family": "DejaVu Sans", "font.size": 11, "axes.titlesize": 13,
    "axes.titleweight": "bold", "axes.labelsize": 11, "legend.fontsize": 9.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#DDDDDD", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=[PALETTE[c] for c in
                                         ("blue", "orange", "green", "vermillion", "purple",
                                          "sky", "black")]),
    "svg.hashsalt": "capsim", "svg.fonttype": "path", "path.simplify": False,
}
PERCENT = FuncFormatter(lambda value, _: f"{100 * value:.0f} %")


@dataclass(frozen=True)
class Drawn:
    """A figure's files and the words that stand in for it."""

    name: str
    png: bytes
    svg: bytes
    alt: str


def _new() -> tuple[Figure, Axes]:
    figure = Figure(layout="constrained")
    return figure, figure.add_subplot()


def _rosters(b: Bundle) -> np.ndarray:
    return b.curve["roster"]


def _kpi(b: Bundle, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return b.curve[f"{name}_mean"], b.curve[f"{name}_ci_low"], b.curve[f"{name}_ci_high"]


def _mark_rosters(ax: Axes, b: Bundle) -> None:
    recommended = b.summary["recommended"]
    if recommended is not None:
        ax.axvline(recommended, color=PALETTE["green"], linewidth=2, alpha=0.5,
                   label=f"recommended: {recommended}")
    rule = b.summary["rule_of_thumb"]
    ax.axvline(rule, color=PALETTE["purple"], linestyle=":", linewidth=2,
               label=f"rule of thumb: {rule}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Technicians on the roster")


def _with_band(ax: Axes, x: np.ndarray, mean: np.ndarray, low: np.ndarray,
               high: np.ndarray, label: str) -> None:
    # an interval holds its estimate, but a file may say otherwise (rounding, an older
    # capsim): never draw a negative error bar, and leave a missing one out
    below, above = np.fmax(mean - low, 0.0), np.fmax(high - mean, 0.0)
    ax.errorbar(x, mean, yerr=[below, above], fmt="o-", color=PALETTE["blue"],
                ecolor=PALETTE["blue"], capsize=4, label=label)


def on_time_by_roster(b: Bundle) -> tuple[Figure, str]:
    """Section 2: mean on-time rate by roster, intervals, target."""
    figure, ax = _new()
    _with_band(ax, _rosters(b), *_kpi(b, "on_time_rate"),
               f"mean on-time rate, {round(100 * b.ci_level)} % confidence interval")
    if b.summary["kpi"] == "on_time_rate":
        ax.axhline(b.summary["target"], color=PALETTE["vermillion"], linestyle="--",
                   label=f"target {100 * b.summary['target']:g} %")
    _mark_rosters(ax, b)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("Orders on time (% of orders due)")
    ax.set_title("On-time delivery by roster")
    ax.legend(loc="lower right")
    return figure, ("On-time delivery rate against the number of technicians on the roster, "
                    "with confidence intervals and the target line.")


def target_chance_by_roster(b: Bundle) -> tuple[Figure, str]:
    """Section 3: the share of seasons meeting the target, by roster."""
    figure, ax = _new()
    _with_band(ax, _rosters(b), *_kpi(b, "p_target_met"),
               "share of seasons meeting the target (Wilson interval)")
    if b.summary["criterion"] == "chance":
        ax.axhline(b.summary["confidence"], color=PALETTE["vermillion"], linestyle="--",
                   label=f"required chance {b.summary['confidence']:g}")
    _mark_rosters(ax, b)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("Seasons meeting the target (%)")
    ax.set_title("Chance that a season meets the target, by roster")
    ax.legend(loc="lower right")
    return figure, ("Share of simulated seasons whose on-time rate meets the target, against "
                    "the number of technicians on the roster.")


def _shade_windows(ax: Axes, b: Bundle) -> None:
    """Warm-up and demand surges as shaded spans; surge names stacked at the top."""
    warmup = b.scenario.warmup_days
    if warmup:
        ax.axvspan(0, warmup, color=PALETTE["grey"], alpha=0.15, linewidth=0,
                   label="warm-up (not measured)")
    surges = [s for s in b.scenario.demand.surges if s.multiplier > 1]
    for i, surge in enumerate(surges):
        ax.axvspan(surge.start_hour / 24, surge.end_hour / 24, color=PALETTE["yellow"],
                   alpha=0.3, linewidth=0, label="demand surge" if i == 0 else None)
        ax.annotate(f"{surge.name or 'surge'} ×{surge.multiplier:g}",
                    (surge.start_hour / 24, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3 - 12 * i), textcoords="offset points", va="top",
                    fontsize=8.5)


def orders_in_house(b: Bundle) -> tuple[Figure, str]:
    """Section 4: the fan of orders in-house over the season."""
    assert b.timeseries is not None
    figure, ax = _new()
    days = b.timeseries["hour"] / 24
    _shade_windows(ax, b)
    ax.fill_between(days, b.timeseries["wip_p10"], b.timeseries["wip_p90"],
                    color=PALETTE["sky"], alpha=0.45, linewidth=0,
                    label="10th to 90th percentile of seasons")
    ax.plot(days, b.timeseries["wip_p50"], color=PALETTE["blue"], linewidth=1.2,
            label="median season")
    rule = RuleOfThumb()
    n = b.summary["rule_of_thumb"]
    capacity = n * rule.orders_in_house_per_technician
    ax.axhline(capacity, color=PALETTE["purple"], linestyle=":", linewidth=2,
               label=f"rule of thumb: {n} × {rule.orders_in_house_per_technician:g} "
                     "orders in-house")
    ax.set_xlim(0, b.scenario.horizon_days)
    # Headroom above the band and the capacity line for the stacked surge names.
    ax.set_ylim(0, 1.2 * max(capacity, float(np.max(b.timeseries["wip_p90"]))))
    ax.set_xlabel("Day of the season")
    ax.set_ylabel("Orders in-house")
    ax.set_title(f"Orders in-house over the season, {b.roster} technicians on the roster")
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    return figure, ("Orders in-house hour by hour over the season with the recommended roster: "
                    "the median season and the 10th to 90th percentile band, with surge "
                    "windows shaded and the rule-of-thumb capacity as a dotted line.")


def on_hand_by_day(b: Bundle) -> tuple[Figure, str]:
    """Section 5: technicians on hand per day against the analytic expectation."""
    assert b.daily is not None
    figure, ax = _new()
    day = b.daily["day"]
    ax.fill_between(day, b.daily["on_hand_p10"], b.daily["on_hand_p90"], step="mid",
                    color=PALETTE["sky"], alpha=0.45, linewidth=0,
                    label="simulated: 10th to 90th percentile of seasons")
    ax.step(day, b.daily["on_hand_mean"], where="mid", color=PALETTE["blue"],
            label="simulated: mean")
    if b.expected is not None:
        ax.step(b.expected["day"], b.expected["expected_on_hand"], where="mid",
                color=PALETTE["black"], linestyle="--", label="analytic expectation")
    ax.step(day, b.daily["scheduled_mean"], where="mid", color=PALETTE["grey"],
            linestyle=":", label="scheduled (before absence)")
    peak = b.summary["rough_cut"]["peak_day"]
    ax.axvline(peak, color=PALETTE["vermillion"], linewidth=1.5, alpha=0.6,
               label=f"busiest day ({peak})")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Day of the season")
    ax.set_ylabel("Technicians on hand")
    ax.set_title(f"Technicians on hand per day, {b.roster} on the roster")
    ax.legend(loc="lower left", framealpha=0.9, ncols=2)
    return figure, ("Technicians at work each day with the recommended roster: the simulated "
                    "mean and 10th to 90th percentile band against the analytic expectation "
                    "(scheduled technicians times the chance each one works).")


def lead_time_cdf(b: Bundle) -> tuple[Figure, str]:
    """Section 6: the lead-time distribution against the promise."""
    assert b.lead_time is not None
    figure, ax = _new()
    hours = b.lead_time["hours"]
    in_hours = not np.isnan(hours).any()
    x = np.concatenate([[0.0], hours if in_hours else b.lead_time["promises"]])
    promise = x[np.flatnonzero(b.lead_time["promises"] == 1.0)[0] + 1]

    table = b.lead_time

    def curve(name: str) -> np.ndarray:
        return np.concatenate([[0.0], table[name]])

    ax.fill_between(x, curve("share_p10"), curve("share_p90"), step="post",
                    color=PALETTE["sky"], alpha=0.45, linewidth=0,
                    label="10th to 90th percentile of seasons")
    ax.step(x, curve("share_mean"), where="post", color=PALETTE["blue"],
            label="mean over seasons")
    ax.axvline(promise, color=PALETTE["vermillion"], linestyle="--",
               label=f"promise: {promise:g} h" if in_hours else "promise")
    if b.summary["kpi"] == "on_time_rate":
        ax.axhline(b.summary["target"], color=PALETTE["black"], linestyle=":",
                   label=f"target {100 * b.summary['target']:g} %")
    ax.set_xlim(0, x[-1])
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("Lead time (hours)" if in_hours else "Lead time (share of the promise)")
    ax.set_ylabel("Orders done within it (%)")
    ax.set_title(f"Lead time against the promise, {b.roster} technicians")
    ax.legend(loc="lower right")
    return figure, ("Cumulative distribution of order lead times with the recommended roster, "
                    "with the promise as a vertical line: where they cross is the on-time "
                    "rate.")


def utilization_and_overtime(b: Bundle) -> tuple[Figure, str]:
    """Section 7: utilization and overtime by roster."""
    figure = Figure(layout="constrained")
    left, right = figure.subplots(1, 2)
    _with_band(left, _rosters(b), *_kpi(b, "utilization"), "mean, confidence interval")
    left.yaxis.set_major_formatter(PERCENT)
    left.set_ylabel("Utilization (% of hours on duty busy)")
    left.set_title("Utilization")
    _with_band(right, _rosters(b), *_kpi(b, "overtime_hours"), "mean, confidence interval")
    right.set_ylabel("Overtime per season (hours)")
    right.set_title("Overtime")
    for ax in (left, right):
        _mark_rosters(ax, b)
    left.legend(loc="lower left")
    return figure, ("Utilization of the technicians on duty and overtime hours per season, "
                    "against the number of technicians on the roster.")


def stress_tests(b: Bundle) -> tuple[Figure, str]:
    """Section 8: on time during each stress event, and backlog recovery."""
    assert b.stress is not None
    events = b.stress["events"]
    figure = Figure(layout="constrained", figsize=(8.0, 2.0 + 0.7 * len(events)))
    layout = figure.get_layout_engine()
    assert isinstance(layout, ConstrainedLayoutEngine)
    layout.set(wspace=0.06)
    left, right = figure.subplots(1, 2, sharey=True)
    y = np.arange(len(events))[::-1]
    names = [e["name"] for e in events]
    during = [e["on_time_during"]["mean"] for e in events]
    baseline = [e["baseline_on_time_during"]["mean"] for e in events]
    left.barh(y + 0.2, baseline, height=0.4, color=PALETTE["grey"], label="without the event")
    left.barh(y - 0.2, during, height=0.4, color=PALETTE["vermillion"], label="with the event")
    left.set_yticks(y, names)
    left.set_xlim(0, 1)
    left.xaxis.set_major_formatter(PERCENT)
    left.set_xlabel("Orders due during the event on time (%)")
    median = np.array([_number(e["backlog"]["median_hours"]) for e in events])
    p90 = np.array([_number(e["backlog"]["p90_hours"]) for e in events])
    right.barh(y, np.nan_to_num(median), height=0.5, color=PALETTE["orange"],
               label="hours to clear: median season")
    right.errorbar(np.nan_to_num(p90), y, fmt="|", color=PALETTE["black"], markersize=14,
                   label="90th percentile")
    right.set_xlabel("Hours to clear the extra backlog")
    figure.legend(loc="outside lower center", ncols=4, frameon=False)
    figure.suptitle(f"Stress tests at {b.stress['roster']} technicians", fontweight="bold")
    return figure, ("For each stress event: the on-time rate of orders due during it, with "
                    "and without the event, and the hours until the extra backlog is gone.")


def tradeoff(b: Bundle) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The trade-off's data (curve.csv): rosters, on-time and cost means, cost error bars."""
    cost, low, high = _kpi(b, "cost_total")
    return (_rosters(b), b.curve["on_time_rate_mean"], cost,
            np.stack([np.fmax(cost - low, 0.0), np.fmax(high - cost, 0.0)]))


def cost_against_on_time(b: Bundle) -> tuple[Figure, str]:
    """The cost section: mean cost_total against mean on-time rate over the size curve."""
    figure, ax = _new()
    rosters, on_time, cost, bars = tradeoff(b)
    ax.errorbar(on_time, cost, yerr=bars, fmt="o-", color=PALETTE["blue"], capsize=4,
                label=f"one roster: mean cost, {round(100 * b.ci_level)} % confidence interval")
    for n, x, y in zip(rosters, on_time, cost, strict=True):
        ax.annotate(f"{n:g}", (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8.5)
    recommended = b.summary["recommended"]
    row = b.at(recommended) if recommended is not None else None
    if row is not None:
        ax.plot(row["on_time_rate_mean"], row["cost_total_mean"], "o", markersize=12,
                markerfacecolor="none", color=PALETTE["green"],
                label=f"recommended: {recommended}")
    ax.axvline(b.summary["target"], color=PALETTE["vermillion"], linestyle="--",
               label=f"target {100 * b.summary['target']:g} %")
    ax.xaxis.set_major_formatter(PERCENT)
    ax.set_xlabel("Orders on time (% of orders due, mean over seasons)")
    ax.set_ylabel("Cost per season (mean cost_total)")
    ax.set_title("Cost against on-time delivery, by roster")
    ax.legend(loc="upper left")
    return figure, ("Mean cost per season against the mean on-time rate for each roster "
                    "evaluated, with the target as a dashed line.")


def staff_by_hour(hours: np.ndarray, scheduled: np.ndarray, required: np.ndarray,
                  title: str) -> tuple[Figure, str]:
    """Technicians scheduled against required by hour of the week (``staff_by_hour.csv``)."""
    figure, ax = _new()
    ax.step(hours, required, where="post", color=PALETTE["vermillion"], linestyle="--",
            label="required on duty (the cover's: load, buffer, absence)")
    ax.step(hours, scheduled, where="post", color=PALETTE["blue"],
            label="scheduled on duty (before absence)")
    ax.set_xticks(np.arange(0, 169, 24), [*(d[:3] for d in WEEKDAY_NAMES), ""], ha="left")
    ax.set_xlim(0, 168)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Hour of the week")
    ax.set_ylabel("Technicians on duty (mean over weeks)")
    ax.set_title(title)
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    return figure, ("Technicians scheduled on duty by hour of the week against those "
                    "required, averaged over the season's weeks after the warm-up.")


def schedule_figure(b: Bundle) -> tuple[Figure, str]:
    """The schedule section: :func:`staff_by_hour` from the report's data."""
    assert b.staff_by_hour is not None
    t = b.staff_by_hour
    return staff_by_hour(t["hour_of_week"], t["scheduled"], t["required"],
                         "Recommended schedule: technicians on duty by hour of the week")


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


#: Figure name -> how to draw it, in the report's order.
FIGURES: dict[str, Callable[[Bundle], tuple[Figure, str]]] = {
    "on_time_by_roster": on_time_by_roster,
    "target_chance_by_roster": target_chance_by_roster,
    "orders_in_house": orders_in_house,
    "on_hand_by_day": on_hand_by_day,
    "lead_time_cdf": lead_time_cdf,
    "utilization_and_overtime": utilization_and_overtime,
    "cost_against_on_time": cost_against_on_time,
    "staff_by_hour": schedule_figure,
    "stress_tests": stress_tests,
}


def available(b: Bundle) -> list[str]:
    """The figures this bundle has the data for."""
    needs = {"orders_in_house": b.timeseries, "on_hand_by_day": b.daily,
             "lead_time_cdf": b.lead_time, "stress_tests": b.stress,
             "cost_against_on_time": True if b.scenario.has_costs else None,
             "staff_by_hour": b.staff_by_hour}
    return [name for name in FIGURES
            if needs.get(name, True) is not None and len(b.curve) > 0]


def draw(b: Bundle, name: str) -> Drawn:
    """Draw one figure as PNG and SVG bytes."""
    return render(name, lambda: FIGURES[name](b))


def render(name: str, make: Callable[[], tuple[Figure, str]]) -> Drawn:
    """A figure ``make`` draws (in the report's style) as PNG and SVG bytes."""
    with mpl.rc_context(STYLE):
        figure, alt = make()
        files = {}
        for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None})):
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, metadata=metadata)
            files[fmt] = buffer.getvalue()
            # laid out once, for the PNG; the SVG keeps its positions (~15 % of the time)
            figure.set_layout_engine("none")
    return Drawn(name, files["png"], files["svg"], alt)


def draw_all(b: Bundle, directory: Path | None = None) -> list[Drawn]:
    """Every figure the bundle has data for; written to ``directory`` when given."""
    drawn = [draw(b, name) for name in available(b)]
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for d in drawn:
            (directory / f"{d.name}.png").write_bytes(d.png)
            (directory / f"{d.name}.svg").write_bytes(d.svg)
    return drawn
