"""Stress tests: what breaks the plan, and how long recovery takes.

The scenario runs once with no stress event (the baseline) and once with each of
its ``[[stress]]`` events, all on the same replications: the same orders and the
same people, so every difference is the event's. For each event:

- **on time during**: the share of orders due during the event that were on time;
- **on time after**: the same for orders due in the :data:`AFTER_DAYS` days after it
  (to the horizon at most);
- **season**: ``on_time_rate`` over the whole measured season;
- **backlog cleared**: in each replication, the hours from the event's end until the
  orders in-house with the event are no more than without it (hourly series); a
  replication that has not recovered by the horizon counts as not cleared, and as
  taking longer than any that did: the median and 90th percentile are over *all*
  replications (empirical quantiles, the smallest value reached by at least that share
  of them), so when fewer than half clear, the median is "not by the horizon";
- **peak extra backlog**: the most extra orders in-house, from the event's start.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from capsim import engines
from capsim.errors import CapsimError
from capsim.experiment import Runner
from capsim.options import RunOptions, resolve_options
from capsim.progress import ProgressOption, progress_callback
from capsim.results import RunResult, Savable, View, html_table, interval_text, short_repr
from capsim.scenario import Scenario, StressEvent, scenario_dict
from capsim.stats import Interval, mean_interval

AFTER_DAYS = 7


def window_on_time(result: RunResult, first_day: int, last_day: int) -> np.ndarray:
    """Per replication, the on-time share of orders due on days [first_day, last_day)."""
    due = result.daily("orders_due")[:, first_day:last_day]
    rate = result.daily("on_time_rate")[:, first_day:last_day]
    on_time = np.where(due > 0, rate * due, 0.0).sum(axis=1)
    total = due.sum(axis=1)
    value: np.ndarray = np.divide(on_time, total, out=np.full(total.shape, np.nan), where=total > 0)
    return value


def clear_hours(stressed: RunResult, baseline: RunResult, event: StressEvent) -> np.ndarray:
    """Per replication, hours from the event's end until the extra backlog is gone.

    NaN where it is not gone by the horizon.
    """
    excess = stressed.hourly("wip").astype(float) - baseline.hourly("wip").astype(float)
    end = int(event.end_hour)
    hours = np.full(excess.shape[0], np.nan)
    if end >= excess.shape[1]:
        return hours
    done = excess[:, end:] <= 0
    cleared = done.any(axis=1)
    hours[cleared] = np.argmax(done[cleared], axis=1)
    return hours


@dataclass(frozen=True)
class Clearing:
    """How long the extra backlog of an event takes to clear, over the replications.

    ``median_hours`` and ``p90_hours`` are ``inf`` when that share of replications has
    not cleared it by the horizon.
    """

    share_cleared: float
    median_hours: float
    p90_hours: float

    @classmethod
    def of(cls, hours: np.ndarray) -> Clearing:
        """From per-replication hours to clear (NaN: not cleared by the horizon)."""
        if hours.size == 0:
            return cls(math.nan, math.nan, math.nan)
        never = np.where(np.isnan(hours), np.inf, hours)
        median, p90 = np.quantile(never, [0.5, 0.9], method="inverted_cdf")
        return cls(float(np.mean(~np.isnan(hours))), float(median), float(p90))


@dataclass(frozen=True, eq=False)
class StressOutcome:
    """One event against the baseline."""

    event: StressEvent
    result: RunResult
    baseline: RunResult

    def _windows(self) -> tuple[tuple[int, int], tuple[int, int]]:
        last = self.result.scenario.horizon_days
        start, end = self.event.start_day, min(self.event.start_day + self.event.days, last)
        return (start, end), (end, min(end + AFTER_DAYS, last))

    def on_time(self, which: str, *, baseline: bool = False) -> Interval:
        """On-time share of orders due ``during`` or ``after`` the event."""
        during, after = self._windows()
        days = during if which == "during" else after
        result = self.baseline if baseline else self.result
        return mean_interval(window_on_time(result, *days), result.ci_level, (0.0, 1.0))

    @property
    def clear_hours(self) -> np.ndarray:
        """Hours to clear the extra backlog, per replication (NaN: not cleared)."""
        return clear_hours(self.result, self.baseline, self.event)

    @property
    def clearing(self) -> Clearing:
        """The share of replications that clear the extra backlog, and how fast."""
        return Clearing.of(self.clear_hours)

    @property
    def peak_extra_wip(self) -> float:
        """Mean over replications of the most extra orders in-house from the event's start."""
        excess = (self.result.hourly("wip").astype(float)
                  - self.baseline.hourly("wip").astype(float))
        return float(excess[:, int(self.event.start_hour):].max(axis=1).mean())


@dataclass(frozen=True, eq=False)
class StressReport(Savable):
    """The baseline and every event's outcome."""

    scenario: Scenario
    baseline: RunResult
    outcomes: tuple[StressOutcome, ...]
    partial: bool = False
    elapsed_seconds: float = 0.0

    tables = View("capsim.tables", "StressTables")
    plot = View("capsim.reporting.plots", "StressPlots")

    def __repr__(self) -> str:
        return short_repr("StressReport", {
            "scenario": repr(self.scenario.name), "roster": self.scenario.workforce.roster,
            "events": [o.event.name for o in self.outcomes],
            "replications": self.baseline.replications,
            **({"partial": True} if self.partial else {})})

    def _repr_html_(self) -> str:
        rows = [(o.event.name, o.event.describe(), interval_text(
                    "on_time_rate", o.on_time("during")), interval_text(
                    "on_time_rate", o.on_time("during", baseline=True)))
                for o in self.outcomes]
        return html_table(f"{self.scenario.name}: stress tests at roster "
                          f"{self.scenario.workforce.roster}",
                          ("event", "what happens", "on time during", "without it"), rows)


def _reusable(run: RunResult | None, plain: Scenario, seed: int, replications: int,
              engine: str, ci_level: float) -> RunResult | None:
    """``run``'s first ``replications``, if it is the baseline these settings would run."""
    if (run is None or run.partial or run.seed != seed or run.replications < replications
            or run.ci_level != ci_level or run.engine != engines.resolve(engine, plain)
            or scenario_dict(run.scenario) != scenario_dict(plain)):
        return None
    return run.first(replications)


def stress_test(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
                workers: int | None = None, engine: str | None = None,
                executor: str | None = None, scheduler: str | None = None,
                ci_level: float | None = None, progress: ProgressOption = None,
                options: RunOptions | None = None,
                baseline: RunResult | None = None) -> StressReport:
    """Run the baseline and each stress event of the scenario on the same replications.

    ``baseline``, if given, is a run already made of this scenario with no event
    enabled, with the same seed and engine and at least as many replications (the
    staffing search's evaluation of this roster, say): its first ``replications`` are
    exactly the baseline this would run (:meth:`RunResult.first`), so it is used
    instead. A run that does not match is ignored.

    Raises
    ------
    capsim.errors.CapsimError
        If the scenario defines no ``[[stress]]`` events.
    """
    o = resolve_options(options, replications=replications, seed=seed, workers=workers,
                        engine=engine, executor=executor, scheduler=scheduler,
                        ci_level=ci_level, progress=progress)
    replications, seed, workers, scheduler = o.replications, o.seed, o.workers, o.scheduler
    engine, executor, ci_level, progress = o.engine, o.executor, o.ci_level, o.progress
    if not scenario.stress:
        raise CapsimError(f"{scenario.source}: no [[stress]] events to test; add some, e.g. "
                          '[[stress]] name = "flu" kind = "absence" start_day = 30 '
                          "technicians = 6")
    plain = scenario.edit([(("stress", i, "enabled"), False)
                           for i in range(len(scenario.stress))])
    replications = scenario.experiment.replications if replications is None else replications
    seed = scenario.experiment.seed if seed is None else seed
    began = time.perf_counter()
    outcomes: list[StressOutcome] = []
    partial = False
    with Runner(workers=workers, executor=executor, scheduler=scheduler,
                planned_runs=1 + len(scenario.stress)) as runner:

        def evaluate(variant: Scenario, label: str, number: int) -> RunResult:
            count = f"{number} of {1 + len(scenario.stress)}"
            notify, close = progress_callback(progress, replications,
                                              label=f"stress test: {label} ({count})")
            try:
                return runner.run(variant, replications, seed, engine=engine,
                                  ci_level=ci_level, progress=notify)
            finally:
                close()

        reused = _reusable(baseline, plain, seed, replications, engine, ci_level)
        baseline = reused if reused is not None else evaluate(plain, "baseline", 1)
        partial = baseline.partial or runner.stop_requested
        for i, event in enumerate(scenario.stress):
            if partial:
                break
            result = evaluate(plain.replace(("stress", i, "enabled"), True), event.name, i + 2)
            if not result.partial:
                outcomes.append(StressOutcome(event, result, baseline))
            if result.partial or runner.stop_requested:
                partial = True
                break
    return StressReport(scenario=scenario, baseline=baseline, outcomes=tuple(outcomes),
                        partial=partial, elapsed_seconds=time.perf_counter() - began)
