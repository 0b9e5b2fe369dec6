"""The fast pipeline: realizations -> replication summaries, without Records in Python.

:func:`capsim.metrics.summarize_many` reduces Records that the engines build per
replication; for the fast engine most of that work is per order, so here the compiled
dynamics (:mod:`capsim.engines._kernel`) and the compiled per-order reductions
(:mod:`capsim.engines._reduce`) run on the whole batch's concatenated order arrays,
and only the technician-day tables (roster × days per replication, small) are reduced
with numpy, by the same expressions as :mod:`capsim.metrics`. The summaries are the
same as the Records path's bit for bit (``tests/test_fused.py``), so which path ran
never shows in a result. Used when the fast engine runs compiled (:func:`available`);
otherwise the experiment takes the Records path. Scenarios with rework, remakes or
repeat contacts (:func:`covers` is false) take the Records path too, with the fast
engine's compiled job loop (:mod:`capsim.engines._jobloop`): the per-order reductions
here know orders, not jobs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from capsim.attendance import Status, is_present
from capsim.costs import cost_kpis, wages
from capsim.engines import _kernel, _reduce, vectorized
from capsim.kpis import KPI_NAMES, PER_CLASS
from capsim.metrics import (
    ABSENCE_REASONS,
    DAILY_NAMES,
    LEAD_TIME_BINS_PER_PROMISE,
    LEAD_TIME_PROMISES,
    SERIES_NAMES,
    ReplicationSummary,
)
from capsim.records import SHORT_RULES, patience_deadline, service_threshold
from capsim.sampling import Realization
from capsim.scenario import Scenario
from capsim.segments import time_average_until


def available() -> bool:
    """Whether the compiled pipeline can run (numba installed and not switched off)."""
    return (_kernel.compiled() is not None and _reduce.compiled() is not None
            and _reduce.compiled_by_class() is not None)


def _by_class(scenario: Scenario, realizations: Sequence[Realization], arrival: np.ndarray,
              due: np.ndarray, start: np.ndarray, finish: np.ndarray, abandon: np.ndarray,
              offsets: np.ndarray, short: int) -> list[dict[str, dict[str, float]]]:
    """Per replication, each class's per-class KPIs (two or more classes; else empty)."""
    names = scenario.class_names
    if len(names) < 2:
        return [{} for _ in realizations]
    reduce = _reduce.compiled_by_class()
    assert reduce is not None  # available() compiled it
    order_class = np.concatenate([real.order_class for real in realizations])
    orders = np.zeros((len(realizations), len(names), len(_reduce.ORDER_COLUMNS)))
    reduce(arrival, due, start, finish, abandon, order_class, offsets,
           scenario.warmup_hours, scenario.horizon_hours, service_threshold(scenario), short,
           orders)
    column = {name: _reduce.ORDER_COLUMNS.index(name) for name in PER_CLASS}
    return [{c: {k: float(orders[r, j, column[k]]) for k in PER_CLASS}
             for j, c in enumerate(names)} for r in range(len(realizations))]


def covers(scenario: Scenario) -> bool:
    """Whether the fused pipeline reduces this scenario (not with follow-up jobs)."""
    return not scenario.has_follow_ups


def _perfect_order(on_time_rate: np.ndarray, done: np.ndarray) -> dict[str, np.ndarray]:
    """The perfect order's KPIs when nothing can go wrong (``done``: finished counted orders).

    Every order is right first time, so the perfect-order rate is the on-time rate,
    the right-first-time rate 1 (NaN with nothing to judge), and there is no rework.
    """
    zero = np.zeros(done.size)
    return {"perfect_order_rate": on_time_rate,
            "right_first_time_rate": _ratio(done.astype(float), done.astype(float)),
            "rework_hours": zero, "repeat_contacts": zero}


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


def _staff(status: np.ndarray, shift_start: np.ndarray, shift_end: np.ndarray,
           busy: np.ndarray, overtime: np.ndarray, horizon: float, warmup: float
           ) -> dict[str, np.ndarray]:
    """The technician-day KPIs of :mod:`capsim.metrics`, tables stacked by replication."""
    first_day = round(warmup / 24.0)
    present = is_present(status)[:, :, first_day:]
    hours = (np.minimum(shift_end, horizon) - shift_start)[:, :, first_day:]
    scheduled = np.where(present, hours, 0.0).sum(axis=(1, 2))
    on_hand = present.sum(axis=1)
    empty = on_hand.shape[1] == 0
    nan = np.full(status.shape[0], np.nan)
    return {
        "utilization": _ratio(busy[:, :, first_day:].sum(axis=(1, 2)), scheduled),
        "overtime_hours": overtime[:, :, first_day:].sum(axis=(1, 2)),
        "on_hand_mean": nan if empty else on_hand.mean(axis=1),
        "on_hand_std": nan if empty else on_hand.std(axis=1),
        "on_hand_min": nan if empty else on_hand.min(axis=1).astype(float),
        "float_call_ins": (status[:, :, first_day:] == Status.FLOAT).sum(axis=(1, 2))
        .astype(float),
    }


def _daily(status: np.ndarray, busy: np.ndarray, overtime: np.ndarray,
           orders: np.ndarray) -> dict[str, np.ndarray]:
    table = {
        "orders_arrived": orders[:, 0],
        "orders_due": orders[:, 1],
        "on_time_rate": _ratio(orders[:, 2], orders[:, 1]),
        "scheduled": (status != Status.DAY_OFF).sum(axis=1).astype(float),
        "on_hand": is_present(status).sum(axis=1).astype(float),
        **{f"absent_{s.label}": (status == s).sum(axis=1).astype(float)
           for s in ABSENCE_REASONS},
        "covered": (status == Status.COVERED).sum(axis=1).astype(float),
        "called_in": (status == Status.FLOAT).sum(axis=1).astype(float),
        "busy_hours": busy.sum(axis=1),
        "overtime_hours": overtime.sum(axis=1),
    }
    return {name: table[name] for name in DAILY_NAMES}


def _on_hand(status: np.ndarray, shift_start: np.ndarray, shift_end: np.ndarray,
             hours: int) -> np.ndarray:
    present = is_present(status)
    rep = np.broadcast_to(np.arange(status.shape[0])[:, None, None], present.shape)[present]
    count = status.shape[0]
    on_duty: np.ndarray = (time_average_until(shift_start[present], rep, count, hours)
                           - time_average_until(shift_end[present], rep, count, hours))
    return on_duty


def summarize_many(scenario: Scenario, realizations: Sequence[Realization],
                   replications: Sequence[int]) -> list[ReplicationSummary]:
    """Simulate and reduce several replications at once: one summary each.

    The same summaries as ``capsim.metrics.summarize_many`` of the fast engine's
    Records, bit for bit. Needs the compiled loops (:func:`available`).
    """
    if not realizations:
        return []
    if not covers(scenario):
        raise ValueError("the fused pipeline does not reduce rework or repeat contacts; "
                         "use capsim.metrics.summarize_many of the fast engine's Records")
    reduce = _reduce.compiled()
    if reduce is None:
        raise RuntimeError("the fused pipeline needs numba")
    start, finish, technician, sequence, offsets = vectorized.decisions(scenario, realizations)
    promise = np.array([c.promise_hours for c in scenario.order_classes], dtype=float)
    arrival = np.concatenate([real.arrival for real in realizations])
    due = np.concatenate([real.arrival + promise[real.order_class] for real in realizations])
    abandon = np.full(arrival.size, np.nan)  # as capsim.records.build_records dates it
    if scenario.has_patience:
        leaves = np.concatenate([patience_deadline(real) for real in realizations])
        gone = np.isnan(start) & (leaves < scenario.horizon_hours)
        abandon[gone] = leaves[gone]
    status = np.stack([real.status for real in realizations])
    shift_start = np.stack([real.shift_start for real in realizations])
    shift_end = np.stack([real.shift_end for real in realizations])
    count, horizon, warmup = len(realizations), scenario.horizon_hours, scenario.warmup_hours
    hours, days = int(np.floor(horizon)), status.shape[2]
    orders = np.zeros((count, len(_reduce.ORDER_COLUMNS)))
    lead = np.zeros((count, LEAD_TIME_BINS_PER_PROMISE * LEAD_TIME_PROMISES + 1), np.int64)
    per_day = np.zeros((count, 3, days))
    timed = np.zeros((count, 4, hours))
    busy, overtime = np.zeros(status.shape), np.zeros(status.shape)
    short = SHORT_RULES.index(scenario.targets.abandoned_short)
    reduce(arrival, due, start, finish, abandon, technician, sequence, offsets, shift_start,
           shift_end, is_present(status), warmup, horizon, service_threshold(scenario), short,
           orders, lead, per_day, timed, busy, overtime)
    kpis = {**dict(zip(_reduce.ORDER_COLUMNS, orders.T, strict=True)),
            **_staff(status, shift_start, shift_end, busy, overtime, horizon, warmup)}
    kpis |= cost_kpis(scenario.costs, wages(scenario, status.shape[1]), status, shift_start,
                      shift_end, overtime, horizon, warmup, kpis)
    with np.errstate(invalid="ignore"):
        judged = (arrival >= warmup) & (due <= horizon) & ~np.isnan(finish)
    done = np.bincount(np.repeat(np.arange(count), np.diff(offsets)), judged, minlength=count)
    kpis.update(_perfect_order(kpis["on_time_rate"], done))
    arrived, started, finished, gone = timed[:, 0], timed[:, 1], timed[:, 2], timed[:, 3]
    series = {"wip": arrived - finished - gone, "queue": arrived - started - gone,
              "on_hand": _on_hand(status, shift_start, shift_end, hours),
              "busy": started - finished}
    daily = _daily(status, busy, overtime, per_day)
    by_class = _by_class(scenario, realizations, arrival, due, start, finish, abandon, offsets,
                         short)
    return [ReplicationSummary(
        replication=replication,
        kpis={name: float(kpis[name][i]) for name in KPI_NAMES},
        hourly={name: series[name][i] for name in SERIES_NAMES},
        daily={name: daily[name][i] for name in DAILY_NAMES},
        lead_time_counts=lead[i],
        by_class=by_class[i],
    ) for i, replication in enumerate(replications)]
