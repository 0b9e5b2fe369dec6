"""Results as tidy pandas DataFrames: ``result.tables.replications()`` and friends.

One row per observation, one column per variable, named after the KPI registry
(:mod:`capsim.kpis`):

- :class:`RunTables`: ``replications()`` (replication × KPIs), ``kpis()`` (one row per
  KPI: mean, interval, n, unit), ``timeseries()`` (replication × hour, one column per
  series), ``daily()`` (replication × day) and ``lead_time()`` (replication × bin);
- :class:`SizeTables`: ``curve()`` (one row per evaluated roster: verdict and KPI
  means), ``kpis()`` (roster × KPI with intervals), ``replications()`` (roster ×
  replication) and ``timeseries()`` of any evaluated roster;
- :class:`SweepTables`: ``points()``, ``kpis()``, ``replications()``, the varied
  fields as columns;
- :class:`StressTables`: ``events()`` (one row per event, against the baseline).

The tables are views: building one computes nothing new, and the files capsim writes
hold the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from capsim.kpis import BY_NAME, KPI_NAMES, P_TARGET_MET, PER_CLASS, class_kpi_name
from capsim.metrics import DAILY_NAMES, LEAD_TIME_BINS_PER_PROMISE, SERIES_NAMES
from capsim.results import RunResult
from capsim.staffing import SizeResult
from capsim.stats import Interval
from capsim.stress import StressReport
from capsim.sweep import SweepResult


def _interval_row(name: str, interval: Interval) -> dict[str, Any]:
    k = BY_NAME[name]
    return {"kpi": name, "mean": interval.mean, "ci_low": interval.ci_low,
            "ci_high": interval.ci_high, "ci_level": interval.ci_level, "n": interval.n,
            "reliable": interval.reliable, "unit": k.unit}


def _kpi_rows(run: RunResult, target_met: Interval) -> list[dict[str, Any]]:
    return [*(_interval_row(n, run.kpis[n]) for n in KPI_NAMES),
            _interval_row(P_TARGET_MET.name, target_met)]


def _by_replication(run: RunResult, values: Callable[[], dict[str, np.ndarray]],
                    axis: str, names: Sequence[str]) -> pd.DataFrame:
    """Replications × steps arrays as a long table, ``replication`` and ``axis`` first.

    A run without replications (stopped at once) gives the columns and no rows.
    """
    if not run.summaries:
        return pd.DataFrame({"replication": np.array([], dtype=np.int64),
                             axis: np.array([], dtype=np.int64),
                             **{name: np.array([], dtype=float) for name in names}})
    arrays = values()
    replications = np.array([s.replication for s in run.summaries], dtype=np.int64)
    steps = next(iter(arrays.values())).shape[1]
    return pd.DataFrame({
        "replication": np.repeat(replications, steps),
        axis: np.tile(np.arange(steps, dtype=np.int64), len(replications)),
        **{name: arrays[name].reshape(-1) for name in names}})


class RunTables:
    """The DataFrames of a :class:`~capsim.results.RunResult`."""

    def __init__(self, result: RunResult):
        self.result = result

    def replications(self) -> pd.DataFrame:
        """One row per completed replication, one float column per KPI.

        With two or more order classes, then one per class and per-class KPI, named
        ``<kpi>__<class>`` as in ``replications.csv``.
        """
        r = self.result
        s = r.summaries
        return pd.DataFrame(
            {"replication": np.array([x.replication for x in s], dtype=np.int64),
             **{k: np.array([x.kpis[k] for x in s], dtype=float) for k in KPI_NAMES},
             **{class_kpi_name(k, c): r.class_column(k, c)
                for c in r.class_names for k in PER_CLASS}})

    def by_class(self) -> pd.DataFrame:
        """One row per order class and per-class KPI: mean, interval, level, n, unit.

        Empty with fewer than two classes (the totals are :meth:`kpis`).
        """
        rows = [{"order_class": c, **_interval_row(k, interval)}
                for c, per in self.result.by_class.items() for k, interval in per.items()]
        return pd.DataFrame(rows, columns=["order_class", "kpi", "mean", "ci_low", "ci_high",
                                           "ci_level", "n", "reliable", "unit"])

    def kpis(self) -> pd.DataFrame:
        """One row per KPI (``p_target_met`` last): mean, interval, level, n, unit."""
        return pd.DataFrame(_kpi_rows(self.result, self.result.p_target_met))

    def timeseries(self) -> pd.DataFrame:
        """Hourly averages: one row per replication and hour, a column per series."""
        r = self.result
        return _by_replication(r, lambda: {n: r.hourly(n).astype(float) for n in SERIES_NAMES},
                               "hour", SERIES_NAMES)

    def daily(self) -> pd.DataFrame:
        """The daily table: one row per replication and day."""
        r = self.result
        return _by_replication(r, lambda: {n: r.daily(n).astype(float) for n in DAILY_NAMES},
                               "day", DAILY_NAMES)

    def lead_time(self) -> pd.DataFrame:
        """Cumulative share of counted orders by lead time, per replication and bin.

        ``promises`` is each bin's upper end as a multiple of the promise; the last
        bin (everything later, unfinished orders included) is left out.
        """
        r = self.result
        frame = _by_replication(r, lambda: {"share": r.lead_time_cdf()[:, :-1]}, "bin",
                                ["share"])
        frame.insert(2, "promises", (frame["bin"].to_numpy() + 1) / LEAD_TIME_BINS_PER_PROMISE)
        return frame.drop(columns="bin")


class SizeTables:
    """The DataFrames of a :class:`~capsim.staffing.SizeResult`."""

    def __init__(self, result: SizeResult):
        self.result = result

    def curve(self) -> pd.DataFrame:
        """One row per evaluated roster (ascending): verdict, effort, every KPI's mean."""
        r = self.result
        rows = []
        for n in sorted(r.evaluations):
            run = r.evaluations[n]
            rows.append({"roster": n, "meets": r.verdict(n), "recommended": n == r.recommended,
                         "replications": run.replications,
                         **{k: run.kpis[k].mean for k in KPI_NAMES},
                         P_TARGET_MET.name: r.p_met(n).mean})
        columns = ["roster", "meets", "recommended", "replications", *KPI_NAMES,
                   P_TARGET_MET.name]
        return pd.DataFrame(rows, columns=columns)

    def kpis(self) -> pd.DataFrame:
        """One row per evaluated roster and KPI, with its interval."""
        r = self.result
        rows = [{"roster": n, **row} for n in sorted(r.evaluations)
                for row in _kpi_rows(r.evaluations[n], r.p_met(n))]
        return pd.DataFrame(rows)

    def replications(self) -> pd.DataFrame:
        """One row per evaluated roster and replication (the same seasons for every roster)."""
        frames = [RunTables(self.result.evaluations[n]).replications()
                  .assign(roster=n) for n in sorted(self.result.evaluations)]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["replication", *KPI_NAMES, "roster"])
        return frame[["roster", "replication", *KPI_NAMES]]

    def timeseries(self, roster: int | None = None) -> pd.DataFrame:
        """The hourly series of one roster (default: the recommended, else the largest)."""
        runs = self.result.evaluations
        if roster is None:
            roster = self.result.recommended if self.result.recommended is not None else max(runs)
        if roster not in runs:
            raise KeyError(f"roster {roster} was not evaluated; evaluated: {sorted(runs)}")
        return RunTables(runs[roster]).timeseries()


class SweepTables:
    """The DataFrames of a :class:`~capsim.sweep.SweepResult` (completed points only)."""

    def __init__(self, result: SweepResult):
        self.result = result

    def _done(self) -> list[tuple[int, dict[str, Any], RunResult]]:
        r = self.result
        paths = [v.path for v in r.varies]
        return [(i, dict(zip(paths, r.values(i), strict=True)), run)
                for i, run in enumerate(r.results) if run is not None]

    def points(self) -> pd.DataFrame:
        """One row per completed grid point: the varied values, then every KPI's mean."""
        return pd.DataFrame([{"point": i, **values, **{k: run.kpis[k].mean for k in KPI_NAMES},
                              P_TARGET_MET.name: run.p_target_met.mean}
                             for i, values, run in self._done()])

    def kpis(self) -> pd.DataFrame:
        """One row per completed grid point and KPI, with its interval."""
        return pd.DataFrame([{"point": i, **values, **row} for i, values, run in self._done()
                             for row in _kpi_rows(run, run.p_target_met)])

    def replications(self) -> pd.DataFrame:
        """One row per completed grid point and replication."""
        frames = [RunTables(run).replications().assign(point=i, **values)
                  for i, values, run in self._done()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class StressTables:
    """The DataFrames of a :class:`~capsim.stress.StressReport`."""

    def __init__(self, result: StressReport):
        self.result = result

    def events(self) -> pd.DataFrame:
        """One row per event: on time during and after it, with and without it, recovery."""
        rows = []
        for o in self.result.outcomes:
            c = o.clearing
            rows.append({
                "event": o.event.name, "kind": o.event.kind, "description": o.event.describe(),
                "on_time_during": o.on_time("during").mean,
                "baseline_on_time_during": o.on_time("during", baseline=True).mean,
                "on_time_after": o.on_time("after").mean,
                "baseline_on_time_after": o.on_time("after", baseline=True).mean,
                "season_on_time": o.result.kpis["on_time_rate"].mean,
                "baseline_season_on_time": o.baseline.kpis["on_time_rate"].mean,
                "share_cleared": c.share_cleared, "median_clear_hours": c.median_hours,
                "p90_clear_hours": c.p90_hours, "peak_extra_wip": o.peak_extra_wip})
        return pd.DataFrame(rows)

    def kpis(self) -> pd.DataFrame:
        """One row per run (``baseline``, then each event) and KPI, with its interval."""
        runs = [("baseline", self.result.baseline),
                *((o.event.name, o.result) for o in self.result.outcomes)]
        return pd.DataFrame([{"run": name, **row} for name, run in runs
                             for row in _kpi_rows(run, run.p_target_met)])

