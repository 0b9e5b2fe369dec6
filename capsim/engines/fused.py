"""The fast pipeline: realizations -> replication summaries, without Records in Python.

:func:`capsim.metrics.summarize_many` reduces Records that the engines build per
replication; for the fast engine most of that work is per order, so here the compiled
dynamics (:mod:`capsim.engines._kernel`) and the compiled per-order reductions
(:mod:`capsim.engines._reduce`) run on the whole batch's concatenated order arrays,
and only the technician-day tables (roster × days per replication, small) are reduced
with numpy, by the same expressions as :mod:`capsim.metrics`. The summaries are the
same as the Records path's bit for bit (``tests/test_fused.py``), so which path ran
never shows in a result. Used when the fast engine runs compiled (:func:`available`);
otherwise the experiment takes the Records path. With rework, remakes or repeat
contacts the engine decides per job (:mod:`capsim.engines._jobloop`); the orders are
made of the jobs as :func:`capsim.jobs.order_view` makes the Records' (compiled, the
whole batch at once: :func:`capsim.engines._views.order_views`), and the reductions
read orders where :mod:`capsim.metrics` reads orders and jobs where it reads jobs
(the hourly queue and busy series, busy and overtime hours). The perfect order's KPIs
are :func:`capsim.batch.quality_kpis`' numbers, counted in one compiled pass for the
whole floor and every class (:func:`capsim.engines._views.quality_counts`); the
rework hours come from :func:`capsim.batch.rework_hours` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from capsim import metrics, stockouts
from capsim.attendance import Status, is_present
from capsim.batch import Quality, rework_hours
from capsim.costs import cost_kpis, wages
from capsim.engines import _kernel, _reduce, _views, vectorized
from capsim.equipment import Interruptions, equipment_kpis
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
    return _kernel.compiled() is not None and _reduce.compiled() is not None


@dataclass(frozen=True, eq=False)
class _Orders:
    """A batch's orders, concatenated: replication r's are [offsets[r], offsets[r + 1])."""

    arrival: np.ndarray
    due: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    abandon: np.ndarray
    order_class: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True, eq=False)
class _Passes:
    """A batch's jobs (with follow-ups; else its orders again), concatenated likewise."""

    join: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    technician: np.ndarray
    sequence: np.ndarray
    offsets: np.ndarray
    jobs: bool


def _plain(scenario: Scenario, realizations: Sequence[Realization]
           ) -> tuple[_Orders, _Passes, Quality]:
    """Without follow-ups: the orders are the jobs, right first time, none a repeat."""
    start, finish, technician, sequence, offsets = vectorized.decisions(scenario, realizations)
    promise = np.array([c.promise_hours for c in scenario.order_classes], dtype=float)
    arrival = np.concatenate([real.arrival for real in realizations])
    due = np.concatenate([real.arrival + promise[real.order_class] for real in realizations])
    abandon = np.full(arrival.size, np.nan)  # as capsim.records.build_records dates it
    if scenario.has_patience:
        leaves = np.concatenate([patience_deadline(real) for real in realizations])
        gone = np.isnan(start) & (leaves < scenario.horizon_hours)
        abandon[gone] = leaves[gone]
    order_class = np.concatenate([real.order_class for real in realizations])
    orders = _Orders(arrival, due, start, finish, abandon, order_class, offsets)
    count, none = len(realizations), np.zeros(0)
    quality = Quality(
        count=count, warmup=scenario.warmup_hours, horizon=scenario.horizon_hours,
        rep=np.repeat(np.arange(count), np.diff(offsets)), arrival=arrival, due=due,
        finish=finish, abandon=abandon, order_class=order_class, first_finish=finish,
        right=np.ones(arrival.size, bool), repeat=np.zeros(arrival.size, bool),
        hold=np.zeros(arrival.size), job_offsets=np.zeros(count + 1, np.int64),
        job_start=none, job_work=none,
        job_rework=np.zeros(0, bool), job_class=np.zeros(0, np.int16))
    return orders, _Passes(arrival, start, finish, technician, sequence, offsets, False), quality


def _with_jobs(scenario: Scenario, realizations: Sequence[Realization]
               ) -> tuple[_Orders, _Passes, Quality, list[Interruptions] | None]:
    """With follow-ups or workstations: the jobs as the engine ran them.

    Also the orders they make up, and the failures that struck them in work.
    """
    run = vectorized.job_run(scenario, realizations)
    start, finish, technician, sequence, job_offsets = (
        run.start, run.finish, run.technician, run.sequence, run.offsets)
    view = _views.order_views(run.jobs, start, finish, scenario.horizon_hours)
    orders = _Orders(view.arrival, view.due, view.start, view.finish, view.abandon,
                     view.order_class, view.offsets)
    passes = _Passes(view.join, start, finish, technician, sequence, job_offsets, True)
    count = len(realizations)
    quality = Quality(
        count=count, warmup=scenario.warmup_hours, horizon=scenario.horizon_hours,
        rep=np.repeat(np.arange(count), np.diff(view.offsets)), arrival=orders.arrival,
        due=orders.due, finish=orders.finish, abandon=orders.abandon,
        order_class=orders.order_class, first_finish=view.first_finish,
        right=view.right_first_time, repeat=view.repeat_contact, hold=view.hold,
        job_offsets=job_offsets, job_start=start, job_work=view.job_work,
        job_rework=view.job_rework, job_class=view.job_class)
    return orders, passes, quality, run.interruptions


def _quality(scenario: Scenario, orders: _Orders, quality: Quality
             ) -> list[dict[str, np.ndarray]]:
    """:func:`capsim.batch.quality_kpis` of the whole floor, then of each class (two or more).

    The counts and hold hours in one compiled pass (:func:`capsim.engines._views.quality_counts`).
    """
    classes = len(scenario.class_names)
    q = quality
    table = _views.quality_counts(orders.offsets, q.arrival, q.due, q.finish, q.abandon,
                                  q.order_class, q.first_finish, q.right, q.repeat, q.hold,
                                  q.warmup, q.horizon, classes)
    groups = [None] + (list(range(classes)) if classes >= 2 else [])
    return [dict(zip(_views.QUALITY_COLUMNS, table[:, g].T, strict=True))
            | {"rework_hours": rework_hours(quality, c)} for g, c in enumerate(groups)]


def _by_class(scenario: Scenario, table: np.ndarray, quality: list[dict[str, np.ndarray]]
              ) -> list[dict[str, dict[str, float]]]:
    """Per replication, each class's per-class KPIs (two or more classes; else empty).

    ``table``: the compiled reductions' per-class order KPIs (reps × classes × columns).
    """
    names = scenario.class_names
    if len(names) < 2:
        return [{} for _ in range(table.shape[0])]
    per = []
    for j in range(len(names)):
        values = dict(zip(_reduce.ORDER_COLUMNS, table[:, j].T, strict=True))
        per.append(values | quality[1 + j])
    return [{c: {k: float(per[j][k][r]) for k in PER_CLASS} for j, c in enumerate(names)}
            for r in range(table.shape[0])]


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
        "agency_days": (status[:, :, first_day:] == Status.AGENCY).sum(axis=(1, 2))
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
        "agency": (status == Status.AGENCY).sum(axis=1).astype(float),
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
    if scenario.has_supplies:  # the stock KPIs read Records (capsim.stockouts)
        return metrics.summarize_many(vectorized.simulate_many(scenario, realizations),
                                      replications)
    reduce = _reduce.compiled()
    if reduce is None:
        raise RuntimeError("the fused pipeline needs numba")
    orders, passes, quality, hits = (
        _with_jobs(scenario, realizations) if scenario.has_follow_ups or scenario.has_equipment
        else (*_plain(scenario, realizations), None))
    status = np.stack([real.status for real in realizations])
    shift_start = np.stack([real.shift_start for real in realizations])
    shift_end = np.stack([real.shift_end for real in realizations])
    count, horizon, warmup = len(realizations), scenario.horizon_hours, scenario.warmup_hours
    hours, days = int(np.floor(horizon)), status.shape[2]
    table = np.zeros((count, len(_reduce.ORDER_COLUMNS)))
    classes = len(scenario.class_names)
    by_class_table = np.zeros((count, classes if classes >= 2 else 0, table.shape[1]))
    lead = np.zeros((count, LEAD_TIME_BINS_PER_PROMISE * LEAD_TIME_PROMISES + 1), np.int64)
    per_day = np.zeros((count, 3, days))
    timed = np.zeros((count, 6, hours))
    busy, overtime = np.zeros(status.shape), np.zeros(status.shape)
    short = SHORT_RULES.index(scenario.targets.abandoned_short)
    qualities = _quality(scenario, orders, quality)
    reduce(orders.arrival, orders.due, orders.start, orders.finish, orders.abandon,
           orders.order_class, orders.offsets, passes.join, passes.start, passes.finish,
           passes.technician, passes.sequence, passes.offsets, passes.jobs, shift_start, shift_end,
           is_present(status), warmup, horizon, service_threshold(scenario), short, table,
           by_class_table, lead, per_day, timed, busy, overtime)
    kpis = {**dict(zip(_reduce.ORDER_COLUMNS, table.T, strict=True)),
            **_staff(status, shift_start, shift_end, busy, overtime, horizon, warmup),
            **qualities[0],
            **equipment_kpis([real.downtime for real in realizations],
                             [None] * count if hits is None else hits, warmup, horizon),
            **stockouts.absent(count)}  # the fast engine: no stock
    kpis |= cost_kpis(scenario.costs, wages(scenario, status.shape[1]), status, shift_start,
                      shift_end, overtime, horizon, warmup, kpis)
    arrived, finished, gone = timed[:, 0], timed[:, 1], timed[:, 2]
    joined, began, ended = timed[:, 3], timed[:, 4], timed[:, 5]
    series = {"wip": arrived - finished - gone, "queue": joined - began - gone,
              "on_hand": _on_hand(status, shift_start, shift_end, hours),
              "busy": began - ended}
    daily = _daily(status, busy, overtime, per_day)
    by_class = _by_class(scenario, by_class_table, qualities)
    # Python floats column by column (tolist: the values float() gives, at one call each)
    rows = {name: np.asarray(kpis[name], dtype=float).tolist() for name in KPI_NAMES}
    return [ReplicationSummary(
        replication=replication,
        kpis={name: rows[name][i] for name in KPI_NAMES},
        hourly={name: series[name][i] for name in SERIES_NAMES},
        daily={name: daily[name][i] for name in DAILY_NAMES},
        lead_time_counts=lead[i],
        by_class=by_class[i],
    ) for i, replication in enumerate(replications)]
