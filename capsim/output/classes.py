"""Per-class KPIs in the files: ``<kpi>__<class>`` CSV columns and ``by_class`` JSON.

A run of a scenario with two or more order classes carries each per-class KPI of the
registry (:data:`capsim.kpis.PER_CLASS`) for each class (:attr:`RunResult.by_class`).
``replications.csv`` gets one column per class and KPI after the registry's, named
:func:`capsim.kpis.class_kpi_name`; ``curve.csv`` and ``sweep.csv`` the three interval
columns of each (``on_time_rate__express_mean``, ``_ci_low``, ``_ci_high``); JSON files a
``by_class`` object ``{class: {kpi: interval}}`` beside ``kpis``. A one-class scenario
gets none of them (its per-class numbers are the totals).

Files that hold several runs (a curve, a grid) use the classes of all of them, in the
order they first appear; a run without a class (a grid point that renamed it) leaves its
cells empty.

Per-supply KPIs (:attr:`RunResult.by_supply`, scenarios with supplies) go to JSON files
only, as a ``by_supply`` list beside ``kpis`` (:func:`by_supply_json`); without supplies
there is no such key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from capsim.kpis import INTERVAL_COLUMNS, PER_CLASS, class_kpi_name
from capsim.results import RunResult


def classes_of(runs: Iterable[RunResult | None]) -> tuple[str, ...]:
    """The classes reported apart in any of the runs, in the order they first appear."""
    seen: dict[str, None] = {}
    for run in runs:
        if run is not None:
            seen |= dict.fromkeys(run.class_names)
    return tuple(seen)


def by_class_json(run: RunResult) -> dict[str, dict[str, Any]]:
    """``{class: {kpi: interval}}`` of a run (empty with fewer than two classes)."""
    return {c: {k: run.by_class[c][k].as_dict() for k in PER_CLASS} for c in run.by_class}


def replication_header(classes: tuple[str, ...]) -> list[str]:
    """The per-class columns of ``replications.csv``."""
    return [class_kpi_name(k, c) for c in classes for k in PER_CLASS]


def replication_values(by_class: dict[str, dict[str, float]],
                       classes: tuple[str, ...]) -> list[float]:
    """One replication's per-class values, in :func:`replication_header`'s order."""
    return [by_class[c][k] if c in by_class else math.nan for c in classes for k in PER_CLASS]


def interval_header(classes: tuple[str, ...]) -> list[str]:
    """The per-class interval columns of ``curve.csv`` and ``sweep.csv``."""
    return [f"{name}_{part}" for name in replication_header(classes) for part in INTERVAL_COLUMNS]


def interval_values(run: RunResult, classes: tuple[str, ...]) -> list[float]:
    """A run's per-class intervals, in :func:`interval_header`'s order (NaN: no such class)."""
    row: list[float] = []
    for c in classes:
        for k in PER_CLASS:
            if c in run.by_class:
                interval = run.by_class[c][k]
                row += [interval.mean, interval.ci_low, interval.ci_high]
            else:
                row += [math.nan] * len(INTERVAL_COLUMNS)
    return row


def by_supply_json(run: RunResult) -> list[dict[str, Any]]:
    """Per supply, in ``[[supplies]]`` order: its name, its stock KPIs and ``seasons_short``.

    ``seasons_short``: the share of replications in which some order found it short
    (:meth:`RunResult.seasons_short`). A list, not an object keyed by name: a supply's
    name may hold any character, a dotted path into the file its position.
    """
    return [{"supply": name, **{k: interval.as_dict() for k, interval in per.items()},
             "seasons_short": run.seasons_short(name).as_dict()}
            for name, per in run.by_supply.items()]


def with_supplies(run: RunResult) -> dict[str, Any]:
    """``{"by_supply": ...}`` for a JSON object, or nothing when the run has no supplies."""
    return {"by_supply": by_supply_json(run)} if run.by_supply else {}
