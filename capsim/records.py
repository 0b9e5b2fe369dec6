"""Records: what one replication did, per order and per technician-day.

An engine decides, for every order, when it started, when it finished and who
did it; :func:`build_records` adds everything that follows from those three
columns and the realization (due times; busy and overtime hours per
technician-day), so that every engine shares the same bookkeeping.

Missing values: an order never started has ``start = NaN`` and
``technician = -1``; an order not finished by the horizon has ``finish = NaN``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.attendance import is_present
from capsim.sampling import Realization
from capsim.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Records:
    """Per-order and per-technician-day columns of one replication.

    Order columns (length = orders, sorted by arrival): ``arrival``, ``due``,
    ``order_class``, ``work``, ``start``, ``finish``, ``technician``.
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
    status: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    busy_hours: np.ndarray
    overtime_hours: np.ndarray

    @property
    def days(self) -> int:
        """Number of days in the horizon."""
        return int(self.status.shape[1])


def _busy_function(start: np.ndarray, finish: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints of B(t), the technician's cumulative busy time (orders one at a time)."""
    order = np.argsort(start, kind="stable")
    s, f = start[order], finish[order]
    xp = np.column_stack([s, f]).ravel()
    done = np.concatenate([[0.0], np.cumsum(f - s)])
    fp = np.column_stack([done[:-1], done[1:]]).ravel()
    return xp, fp


def _technician_hours(shift_start: np.ndarray, shift_end: np.ndarray, present: np.ndarray,
                      start: np.ndarray, finish: np.ndarray, horizon: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Busy-in-shift and overtime hours of one technician, per day."""
    busy = np.zeros(present.size)
    overtime = np.zeros(present.size)
    if start.size == 0 or not present.any():
        return busy, overtime
    xp, fp = _busy_function(start, finish)
    days = np.flatnonzero(present)
    a = shift_start[days]
    b = np.minimum(shift_end[days], horizon)
    following = np.minimum(np.append(a[1:], horizon), horizon)

    def cumulative(t: np.ndarray) -> np.ndarray:
        return np.interp(t, xp, fp, left=0.0, right=fp[-1])

    busy[days] = cumulative(b) - cumulative(a)
    overtime[days] = np.maximum(cumulative(np.maximum(following, b)) - cumulative(b), 0.0)
    return busy, overtime


def build_records(scenario: Scenario, realization: Realization, start: np.ndarray,
                  finish: np.ndarray, technician: np.ndarray) -> Records:
    """Assemble the Records of one replication from an engine's per-order decisions.

    Parameters
    ----------
    scenario, realization
        What was simulated.
    start, finish : numpy.ndarray
        Start and finish time of each order (NaN if it did not happen by the horizon).
    technician : numpy.ndarray
        Who started each order (-1 if nobody did).
    """
    horizon = scenario.horizon_hours
    promise = np.array([c.promise_hours for c in scenario.order_classes], dtype=float)
    present = is_present(realization.status)
    busy = np.zeros(realization.status.shape)
    overtime = np.zeros(realization.status.shape)
    until = np.where(np.isnan(finish), horizon, finish)
    by_tech = np.argsort(technician, kind="stable")
    bounds = np.searchsorted(technician[by_tech], np.arange(realization.roster + 1))
    for tech in range(realization.roster):
        mine = by_tech[bounds[tech]:bounds[tech + 1]]
        busy[tech], overtime[tech] = _technician_hours(
            realization.shift_start[tech], realization.shift_end[tech], present[tech],
            start[mine], until[mine], horizon)
    return Records(
        horizon=horizon,
        warmup=scenario.warmup_hours,
        start_weekday=scenario.start_weekday,
        arrival=realization.arrival,
        due=realization.arrival + promise[realization.order_class],
        order_class=realization.order_class,
        work=realization.work,
        start=start,
        finish=finish,
        technician=technician,
        status=realization.status,
        shift_start=realization.shift_start,
        shift_end=realization.shift_end,
        busy_hours=busy,
        overtime_hours=overtime,
    )
