"""The result of a Monte Carlo run: replications in order, and what they add up to.

A :class:`RunResult` keeps each replication's KPI row, hourly series and daily
table (never its Records), and derives the aggregates from them: a t-interval per
KPI, the share of replications meeting a target (Wilson interval), the on-hand
histogram.

Every result object (this one, and the size, sweep and stress results built on it)
shows itself briefly (``repr`` and a Jupyter table, :func:`short_repr`,
:func:`html_table`) and offers three views, each provided by a module further down
the flow and imported on first use (:class:`View`): ``.tables`` (pandas DataFrames,
:mod:`capsim.tables`), ``.plot`` (the report's figures, :mod:`capsim.reporting.plots`)
and ``.save(dir)`` (:mod:`capsim.persist`; :func:`capsim.load_result` reads it back).
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from capsim.kpis import BY_NAME, KPIS, P_TARGET_MET, PER_CLASS, SMALLER_IS_BETTER
from capsim.metrics import ReplicationSummary
from capsim.scenario import Scenario
from capsim.stats import Interval, mean_interval, wilson_interval
from capsim.stockouts import STOCK_KPIS

#: How a staffing search judges a roster (see :mod:`capsim.staffing`).
Criterion = Literal["mean", "chance"]
StoppedBy = Literal["replications", "precision", "decided", "max_replications", "interrupted"]
def meets(kpi: str, value: float | np.ndarray, target: float) -> np.ndarray:
    """Whether values meet a target: at least it, or at most it for smaller-is-better KPIs."""
    value = np.asarray(value, dtype=float)
    return value <= target if kpi in SMALLER_IS_BETTER else value >= target


class View:
    """A view of a result that a module further down the flow provides.

    ``View("capsim.tables", "RunTables")`` on a class makes ``result.tables`` return
    ``RunTables(result)``, importing :mod:`capsim.tables` on first use: results import
    nothing below them (data flows one way), yet carry their tables and plots.
    """

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def provider(self) -> Callable[..., Any]:
        """What the view calls with the result."""
        factory: Callable[..., Any] = getattr(importlib.import_module(self.module), self.name)
        return factory

    def __get__(self, result: object, owner: type | None = None) -> Any:
        if result is None:
            return self
        return self.provider()(result)


class Savable:
    """What every result has: :meth:`save`."""

    def save(self, directory: str | Path) -> Path:
        """Write the result to a folder that :func:`capsim.load_result` reads back exactly.

        The folder holds what the matching command writes with ``--out`` (JSON and
        CSV for people and scripts), and ``result.json`` with ``arrays.npz``: every
        replication's KPIs, series and tables, bit for bit (:mod:`capsim.persist`).
        """
        saved: Path = View("capsim.persist", "save_result").provider()(self, Path(directory))
        return saved


def short_repr(kind: str, fields: dict[str, Any]) -> str:
    """``Kind(name=value, ...)`` on one line: what a notebook prints for a result."""
    return f"{kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


def html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A small HTML table (Jupyter's rich display of a result)."""
    def cells(tag: str, values: Sequence[Any]) -> str:
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return (f"<table><caption>{html.escape(caption)}</caption>"
            f"<thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>")


def interval_text(kpi: str, interval: Interval) -> str:
    """``95.12 % [94.80 %, 95.40 %]`` in the KPI's display format."""
    show = (P_TARGET_MET if kpi == P_TARGET_MET.name else _BY_NAME[kpi]).format
    return f"{show(interval.mean)} [{show(interval.ci_low)}, {show(interval.ci_high)}]"


_BY_NAME = {k.name: k for k in KPIS}


@dataclass(frozen=True, eq=False)
class RunResult(Savable):
    """The outcome of a Monte Carlo run.

    Attributes
    ----------
    scenario : Scenario
        What was run.
    seed : int
        The root seed.
    replications_requested : int
        How many replications were asked for (the maximum, with a precision target).
    engine : str
        The engine that ran.
    summaries : tuple of ReplicationSummary
        The completed replications, in replication order.
    ci_level : float
        Confidence level of every interval.
    elapsed_seconds : float
        Wall-clock time of the run.
    stopped_by : str
        Why the run ended: all requested ``replications`` ran; the ``precision``
        target was reached; the verdict on a target was ``decided`` (a staffing
        search); ``max_replications`` ran without getting there; or Ctrl-C
        (``interrupted``).
    precision : tuple of (str, float), optional
        The KPI and half-width asked for, when the run was sequential.
    kpis : dict of str to Interval
        Each KPI of the registry over the replications (derived).
    by_class : dict of str to dict of str to Interval
        With two or more order classes, ``by_class[class][kpi]`` for each per-class KPI
        (:data:`capsim.kpis.PER_CLASS`), from that class's orders alone; else empty
        (derived).
    by_supply : dict of str to dict of str to Interval
        With supplies, ``by_supply[supply][kpi]`` for each of
        :data:`capsim.stockouts.STOCK_KPIS`, for that supply alone; else empty, and
        empty too when the replications do not carry them (derived).
    """

    scenario: Scenario
    seed: int
    replications_requested: int
    engine: str
    summaries: tuple[ReplicationSummary, ...]
    ci_level: float = 0.95
    elapsed_seconds: float = 0.0
    stopped_by: StoppedBy = "replications"
    precision: tuple[str, float] | None = None
    kpis: dict[str, Interval] = field(init=False)
    by_class: dict[str, dict[str, Interval]] = field(init=False)
    by_supply: dict[str, dict[str, Interval]] = field(init=False)

    tables = View("capsim.tables", "RunTables")
    plot = View("capsim.reporting.plots", "RunPlots")

    def __repr__(self) -> str:
        return short_repr("RunResult", {
            "scenario": repr(self.scenario.name), "replications": self.replications,
            "seed": self.seed, "engine": repr(self.engine),
            "on_time_rate": interval_text("on_time_rate", self.kpis["on_time_rate"]),
            "p_target_met": interval_text(P_TARGET_MET.name, self.p_target_met),
            **({"partial": True} if self.partial else {})})

    def _repr_html_(self) -> str:
        level = round(100 * self.ci_level)
        rows = [(k.name, interval_text(k.name, self.kpis[k.name])) for k in KPIS]
        rows.append((P_TARGET_MET.name, interval_text(P_TARGET_MET.name, self.p_target_met)))
        return html_table(f"{self.scenario.name}: {self.replications} replications, seed "
                          f"{self.seed}, engine {self.engine}" + (" (partial)" if self.partial
                                                                  else ""),
                          ("kpi", f"mean [{level} % CI]"), rows)

    def first(self, n: int) -> RunResult:
        """Its first ``n`` replications as a run of ``n``.

        Replication r depends only on (seed, r) (:mod:`capsim.rng`), so this is the run
        of ``n`` replications with the same seed, bit for bit, but for its timing.
        """
        if not 1 <= n <= self.replications:
            raise ValueError(f"n must be in 1..{self.replications}, got {n}")
        return replace(self, summaries=self.summaries[:n],
                                   replications_requested=n, stopped_by="replications",
                                   precision=None)

    def __post_init__(self) -> None:
        kpis = {k.name: mean_interval(self.column(k.name), self.ci_level, k.bounds)
                for k in KPIS}
        object.__setattr__(self, "kpis", kpis)
        classes = self.class_names
        by_class = {c: {k: mean_interval(self.class_column(k, c), self.ci_level,
                                         BY_NAME[k].bounds) for k in PER_CLASS}
                    for c in classes}
        object.__setattr__(self, "by_class", by_class)
        by_supply = {name: {k: mean_interval(self.supply_column(k, name), self.ci_level,
                                             BY_NAME[k].bounds) for k in STOCK_KPIS}
                     for name in self.supply_names}
        object.__setattr__(self, "by_supply", by_supply)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The classes reported apart (:attr:`by_class`): two or more, else none.

        None either when the replications carry no per-class KPIs (a result saved by a
        capsim before them).
        """
        names = self.scenario.class_names
        carried = all(s.by_class for s in self.summaries)
        return names if len(names) >= 2 and carried else ()

    def class_column(self, kpi: str, order_class: str) -> np.ndarray:
        """One per-class KPI of one class across the completed replications."""
        return np.array([s.by_class[order_class][kpi] for s in self.summaries], dtype=float)

    @property
    def supply_names(self) -> tuple[str, ...]:
        """The supplies reported apart (:attr:`by_supply`), in ``[[supplies]]`` order.

        Empty without supplies, or when the replications carry no per-supply KPIs.
        """
        carried = bool(self.summaries) and all(s.by_supply for s in self.summaries)
        return tuple(s.name for s in self.scenario.supplies) if carried else ()

    def supply_column(self, kpi: str, supply: str) -> np.ndarray:
        """One per-supply KPI of one supply across the completed replications."""
        return np.array([s.by_supply[supply][kpi] for s in self.summaries], dtype=float)

    def seasons_short(self, supply: str) -> Interval:
        """Share of replications in which some order found ``supply`` short (Wilson)."""
        short = self.supply_column("orders_delayed_by_stockout", supply) > 0
        return wilson_interval(int(np.sum(short)), short.size, self.ci_level)

    @property
    def partial(self) -> bool:
        """True when Ctrl-C stopped the run before it was done."""
        return self.stopped_by == "interrupted"

    @property
    def replications(self) -> int:
        """Number of completed replications."""
        return len(self.summaries)

    @property
    def target(self) -> float:
        """The on-time target the scenario sets."""
        return self.scenario.targets.on_time_rate

    def column(self, kpi: str) -> np.ndarray:
        """One KPI across the completed replications."""
        return np.array([s.kpis[kpi] for s in self.summaries], dtype=float)

    def share_meeting(self, kpi: str, target: float) -> Interval:
        """Share of replications whose ``kpi`` meets ``target`` (Wilson interval)."""
        met = meets(kpi, self.column(kpi), target)
        return wilson_interval(int(np.sum(met)), met.size, self.ci_level)

    @property
    def p_target_met(self) -> Interval:
        """Share of replications whose on-time rate meets the target (Wilson interval)."""
        return self.share_meeting("on_time_rate", self.target)

    def hourly(self, name: str) -> np.ndarray:
        """An hourly series, replications × hours."""
        return np.array([s.hourly[name] for s in self.summaries])

    def daily(self, name: str) -> np.ndarray:
        """A daily quantity, replications × days."""
        return np.array([s.daily[name] for s in self.summaries])

    def lead_time_cdf(self) -> np.ndarray:
        """Per replication, the cumulative share of counted orders by lead-time bin.

        Replications × bins; bin i ends at (i + 1) / LEAD_TIME_BINS_PER_PROMISE
        promises (:mod:`capsim.metrics`), so column ``LEAD_TIME_BINS_PER_PROMISE − 1``
        is each replication's on-time rate. NaN where nothing was counted.
        """
        counts = np.array([s.lead_time_counts for s in self.summaries], dtype=float)
        total = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, np.cumsum(counts, axis=1) / total, np.nan)

    @property
    def on_hand_histogram(self) -> dict[int, float]:
        """Share of replication-days (after warm-up) with each number of technicians on hand."""
        if not self.summaries:
            return {}
        days = self.daily("on_hand")[:, self.scenario.warmup_days:].ravel().astype(int)
        if days.size == 0:
            return {}
        counts = np.bincount(days)
        return {k: float(c / days.size) for k, c in enumerate(counts) if c}
