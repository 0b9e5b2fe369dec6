"""Records: what one replication did, per order and per technician-day.

An engine decides, for every order, when it started, when it finished and who
did it; :func:`build_records` adds everything that follows from those three
columns and the realization (due times; busy and overtime hours per
technician-day), so that every engine shares the same bookkeeping.

Missing values: an order never started has ``start = NaN`` and
``technician = -1``; an order not finished by the horizon has ``finish = NaN``. An
order never started whose patience ran out before the horizon abandoned:
``abandon`` holds the time it left (arrival + patience), NaN for every other order.

With rework, remakes or repeat contacts the engines decide per *job*
(:mod:`capsim.jobs`), and :func:`build_records` makes the orders of them: one row per
outside order and per repeat contact that arrived before the horizon (by arrival, ties
by job number); an order's ``start`` is its first pass's start, ``technician`` who
started it, ``finish`` its last pass's finish (NaN unless the last pass finished), and
``due`` the due in force at the horizon (that of its latest pass to join: renewed by a
remake under ``remake_due = "renewed"``). ``passes``, ``right_first_time`` (one pass
and no repeat contact, as drawn: a defect counts even when it comes to light after
the horizon), ``repeat_contact`` and ``hold`` (hours on hold for an answer from the
customer, the holds answered before the horizon: :class:`capsim.jobs.OrderView`)
describe each order; :class:`JobRecords` keeps the
jobs, and busy and overtime hours come from every job's interval.

With supplies, ``stock`` (:class:`capsim.supplies.StockRecords`) holds what the engine
recorded of them: per order its units, demand moment, which supplies were short then and
whether it was blocked (the row of the job that starts the order), per supply the units
received and consumed and the stock at the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from capsim.attendance import is_present
from capsim.costs import wages
from capsim.equipment import Downtime, Interruptions
from capsim.followups import REMAKE, REWORK
from capsim.jobs import jobs, order_view
from capsim.sampling import Realization
from capsim.scenario import Costs, Scenario
from capsim.supplies import StockRecords


@dataclass(frozen=True, eq=False)
class JobRecords:
    """Per job (see :mod:`capsim.jobs`): when it joined, started, finished, who did it.

    ``kind`` is 0 for an outside order, else a :mod:`capsim.followups` code; ``work``
    its work content, hours; ``join`` NaN for a job that never joined; ``order_class``
    the class of the order it serves (a rework pass: its order's).
    """

    join: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    technician: np.ndarray
    work: np.ndarray
    kind: np.ndarray
    order_class: np.ndarray

    @property
    def rework(self) -> np.ndarray:
        """Which jobs are rework or remake passes."""
        result: np.ndarray = (self.kind == REWORK) | (self.kind == REMAKE)
        return result


@dataclass(frozen=True, eq=False)
class Records:
    """Per-order and per-technician-day columns of one replication.

    Order columns (length = orders, sorted by arrival): ``arrival``, ``due``,
    ``order_class``, ``work``, ``start``, ``finish``, ``technician``, ``abandon``.
    Technician-day columns (shape roster × days): ``status``, ``shift_start``,
    ``shift_end``, ``busy_hours`` (busy time inside the day's shift, present days
    only) and ``overtime_hours`` (busy time after the shift ends, before the
    technician's next shift). All times in hours from the start of day 0.
    """

    horizon: float
    warmup: float
    start_weekday: int
    arrival: np.ndarray
    due: np.ndarray
    order_class: np.ndarray
    work: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    technician: np.ndarray
    abandon: np.ndarray
    status: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    busy_hours: np.ndarray
    overtime_hours: np.ndarray
    #: The service level's threshold (hours; NaN: none) and how short abandons count.
    answer_within: float = float("nan")
    abandoned_short: str = "exclude"
    #: The scenario's prices (None: none) and each technician's wage per hour.
    costs: Costs | None = None
    wage: np.ndarray | None = None
    #: Per order, with follow-ups (None without: one pass each, right first time, no
    #: repeat contact): passes drawn, when the first pass finished (NaN: not by the
    #: horizon), right first time, whether a repeat contact.
    passes: np.ndarray | None = None
    first_finish: np.ndarray | None = None
    right_first_time: np.ndarray | None = None
    repeat_contact: np.ndarray | None = None
    #: Per order, with follow-ups (None without: 0): hours on hold, answered by the horizon.
    hold: np.ndarray | None = None
    #: The jobs, with follow-ups (None without: the orders are the jobs).
    jobs: JobRecords | None = None
    #: The order classes' names, in the order ``order_class`` indexes them.
    class_names: tuple[str, ...] = ()
    #: With ``[equipment]`` (None without): the stations' down intervals (from the
    #: realization) and the failures that struck an order in work (from the engine).
    downtime: Downtime | None = None
    interruptions: Interruptions | None = None
    #: The supplies: demand moments, stock-outs, units (None: no supplies).
    stock: StockRecords | None = None

    @property
    def days(self) -> int:
        """Number of days in the horizon."""
        return int(self.status.shape[1])


def _busy_and_overtime(shift_start: np.ndarray, shift_end: np.ndarray, present: np.ndarray,
                       start: np.ndarray, until: np.ndarray, technician: np.ndarray,
                       horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Busy hours inside each present shift, and overtime after it, for every technician.

    B(t), a technician's cumulative busy time, is piecewise linear with breaks at its
    orders' starts and ends (one order at a time). Technician i's timeline is shifted
    by i·(horizon + 1), so that one interpolation serves all of them: busy inside a
    shift [a, b) is B(b) − B(a); overtime is B(next present shift start) − B(b).
    """
    busy = np.zeros(present.shape)
    overtime = np.zeros(present.shape)
    served = technician >= 0
    if not served.any() or not present.any():
        return busy, overtime
    span = horizon + 1.0
    shift = technician[served] * span
    order = np.argsort(start[served] + shift, kind="stable")
    s, f = (start[served] + shift)[order], (until[served] + shift)[order]
    xp = np.column_stack([s, f]).ravel()
    done = np.concatenate([[0.0], np.cumsum(f - s)])
    fp = np.column_stack([done[:-1], done[1:]]).ravel()
    tech, day = np.nonzero(present)  # by technician, then day
    offset = tech * span
    a = shift_start[tech, day]
    b = np.minimum(shift_end[tech, day], horizon)
    last = np.append(tech[1:] != tech[:-1], True)
    following = np.where(last, horizon, np.minimum(np.append(a[1:], horizon), horizon))

    def cumulative(t: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.interp(t + offset, xp, fp, left=0.0, right=fp[-1])
        return result

    at_end = cumulative(b)
    busy[tech, day] = at_end - cumulative(a)
    overtime[tech, day] = np.maximum(cumulative(np.maximum(following, b)) - at_end, 0.0)
    return busy, overtime


def dispatch_keys(scenario: Scenario, realization: Realization) -> np.ndarray:
    """The queue key of each order: smallest first, ties by arrival (float64).

    EDD: the due time; priority: the class priority; FIFO: zeros (arrival order).
    Every engine orders its queue by these keys.
    """
    classes = realization.order_class
    if scenario.dispatch == "edd":
        promise = np.array([c.promise_hours for c in scenario.order_classes], dtype=float)
        due: np.ndarray = realization.arrival + promise[classes]
        return due
    if scenario.dispatch == "priority":
        priority = np.array([c.priority for c in scenario.order_classes], dtype=float)
        keys: np.ndarray = priority[classes]
        return keys
    return np.zeros(realization.orders)


def patience_deadline(realization: Realization) -> np.ndarray:
    """When each order's patience runs out: arrival + patience (+inf: never)."""
    if realization.patience is None:
        return np.full(realization.orders, np.inf)
    deadline: np.ndarray = realization.arrival + realization.patience
    return deadline


def build_records(scenario: Scenario, realization: Realization, start: np.ndarray,
                  finish: np.ndarray, technician: np.ndarray, *,
                  stock: StockRecords | None = None) -> Records:
    """Assemble the Records of one replication from an engine's per-order decisions.

    Parameters
    ----------
    scenario, realization
        What was simulated.
    start, finish : numpy.ndarray
        Start and finish time of each order (NaN if it did not happen by the horizon).
    technician : numpy.ndarray
        Who started each order (-1 if nobody did).
    stock : StockRecords, optional
        What the engine recorded of the supplies, per order (per job with follow-ups).
    """
    if realization.follow_ups is not None:
        return _job_records(scenario, realization, start, finish, technician, stock=stock)
    horizon = scenario.horizon_hours
    promise = np.array([c.promise_hours for c in scenario.order_classes], dtype=float)
    until = np.where(np.isnan(finish), horizon, finish)
    abandon = np.full(realization.orders, np.nan)
    if realization.patience is not None:
        leaves = realization.arrival + realization.patience
        gone = np.isnan(start) & (leaves < horizon)
        abandon[gone] = leaves[gone]
    busy, overtime = _busy_and_overtime(
        realization.shift_start, realization.shift_end, is_present(realization.status),
        start, until, technician, horizon)
    return Records(
        **_settings(scenario, realization),
        arrival=realization.arrival,
        due=realization.arrival + promise[realization.order_class],
        order_class=realization.order_class,
        work=realization.work,
        start=start,
        finish=finish,
        technician=technician,
        abandon=abandon,
        busy_hours=busy,
        overtime_hours=overtime,
        stock=stock,
    )


def _settings(scenario: Scenario, realization: Realization) -> dict[str, Any]:
    """The Records fields that come from the scenario and the technician-day tables."""
    return {"horizon": scenario.horizon_hours, "warmup": scenario.warmup_hours,
            "start_weekday": scenario.start_weekday, "status": realization.status,
            "shift_start": realization.shift_start, "shift_end": realization.shift_end,
            "answer_within": service_threshold(scenario),
            "abandoned_short": scenario.targets.abandoned_short, "costs": scenario.costs,
            "wage": wages(scenario, realization.roster), "class_names": scenario.class_names,
            "downtime": realization.downtime}


def _job_records(scenario: Scenario, realization: Realization, start: np.ndarray,
                 finish: np.ndarray, technician: np.ndarray, *,
                 stock: StockRecords | None = None) -> Records:
    """:func:`build_records` from per-job decisions (see the module docstring)."""
    horizon = scenario.horizon_hours
    table = jobs(scenario, realization)
    view = order_view(table, start, finish, horizon)
    until = np.where(np.isnan(finish), horizon, finish)
    busy, overtime = _busy_and_overtime(
        realization.shift_start, realization.shift_end, is_present(realization.status),
        start, until, technician, horizon)
    return Records(
        **_settings(scenario, realization),
        arrival=view.arrival, due=view.due, order_class=view.order_class,
        work=table.work[view.rows], start=view.start, finish=view.finish,
        technician=technician[view.rows], abandon=view.abandon,
        busy_hours=busy, overtime_hours=overtime, passes=view.passes,
        first_finish=view.first_finish, right_first_time=view.right_first_time,
        repeat_contact=view.repeat_contact, hold=view.hold,
        stock=None if stock is None else stock.rows(view.rows),
        jobs=JobRecords(view.join, start, finish, technician, table.work, table.kind,
                        table.order_class))


#: How :attr:`Targets.abandoned_short` is passed to the compiled reductions.
SHORT_RULES = ("exclude", "met", "missed")


def service_threshold(scenario: Scenario) -> float:
    """``targets.answer_within_hours``, NaN when the scenario sets none."""
    within = scenario.targets.answer_within_hours
    return float("nan") if within is None else within
