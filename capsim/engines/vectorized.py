"""The fast engine: the reference engine's dynamics as a recursion, for every dispatch rule.

With ``since`` the moment each technician became (or becomes) available, the later
of its last finish and the start of the duty interval holding it, each decision is

    L      = the moment the last order started, or the next arrival if none is queued
    s      = min_i max(since_i, L)           over technicians on duty then
    winner = among i with that s, the smallest (since, index)
    order  = the queue's first order at s (every order arrived by s has joined it):
             the earliest arrival (FIFO), the earliest due time (EDD) or the smallest
             class priority, earliest arrival first within it (priority)
    since_winner = g(s + w), where g(t) is the first moment at or after t on duty

This is exactly the reference engine's rule (:mod:`capsim.engines.simpy_model`), so
both give the same start and finish for every order of a realization. It runs as a
compiled loop over replications and orders when numba is installed
(:mod:`capsim.engines._kernel`: technicians and queued orders in heaps, O(log roster)
per order). Without numba, FIFO runs as numpy steps, one per order across all
replications at once (under FIFO orders start in arrival order, so order k's start
is a function of the technicians' state alone), and EDD and priority run the kernel's
loop as plain Python: the same numbers either way. Covers every feature of the
scenario (arrivals, surges, batches, classes, shifts, days off, absences, outbreaks,
stress events, overtime, every dispatch rule, abandonment: an order still queued past
its patience is dropped when its turn comes, as in the reference engine; rework,
remakes and repeat contacts: the jobs of :mod:`capsim.jobs`, run by the compiled job
loop of :mod:`capsim.engines._jobloop`, or as plain Python without numba; supplies: the
job loop's stock gate, :mod:`capsim.engines._stockloop`, with the reference engine's
StockRecords). Not covered: workstations (``[equipment]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from capsim.attendance import is_present
from capsim.engines import _jobloop, _kernel, _stockloop
from capsim.jobs import Jobs, jobs
from capsim.records import Records, build_records, dispatch_keys, patience_deadline
from capsim.sampling import Realization
from capsim.scenario import Scenario
from capsim.supplies import StockRecords


def unsupported(scenario: Scenario) -> str | None:
    """Why the fast engine cannot run ``scenario`` (None: it can).

    Workstation downtime (``[equipment]``) is modelled by the SimPy engine only;
    ``--engine auto`` falls back to it. Supplies run in the job loop.
    """
    if scenario.has_equipment:
        return "equipment: the fast engine does not model workstations yet"
    return None


def preferred() -> bool:
    """Whether ``auto`` should pick this engine: only with the compiled loop.

    The numpy steps cost about as much for one replication as for thirty (one step
    per order across the batch), so in the small batches that sequential stopping
    rules run they are slower than the SimPy engine (Stutterfly, roster 15: 830 ms
    for one replication, 61 ms each in a batch of 32, SimPy 160 ms). ``--engine
    fast`` still runs them, with the same numbers as the compiled loop.
    """
    return _kernel.available()


def _duty_table(realizations: Sequence[Realization]) -> tuple[np.ndarray, np.ndarray]:
    """Duty intervals as arrays (replication, technician, interval), padded with +inf.

    Row (r, t) holds :func:`capsim.attendance.duty_intervals` of technician t in
    replication r (present shifts, back-to-back ones merged), worked out for every row
    at once: a present shift opens an interval unless it starts by the latest end of
    the present shifts before it (then it extends the interval, which ends at the
    latest end of its shifts). At least one padding column, so that a pointer never
    runs off the end.
    """
    present = np.stack([is_present(real.status) for real in realizations])
    start = np.stack([real.shift_start for real in realizations])
    reach = np.maximum.accumulate(  # the latest end of the present shifts so far
        np.where(present, np.stack([real.shift_end for real in realizations]), -np.inf),
        axis=2)
    before = np.concatenate([np.full((*reach.shape[:2], 1), -np.inf), reach[:, :, :-1]],
                            axis=2)
    opens = present & ~(start <= before)
    number = np.cumsum(opens, axis=2) - 1  # the interval a day's shift belongs to
    last = np.concatenate([opens[:, :, 1:], np.ones((*opens.shape[:2], 1), bool)], axis=2)
    closes = last & (number >= 0)  # the last day of an interval's shifts (or of the row)
    width = 1 + int(number[:, :, -1].max(initial=-1)) + 1
    begin = np.full((*present.shape[:2], width), np.inf)
    end = np.full((*present.shape[:2], width), np.inf)
    r, t, d = np.nonzero(opens)
    begin[r, t, number[r, t, d]] = start[r, t, d]
    r, t, d = np.nonzero(closes)
    end[r, t, number[r, t, d]] = reach[r, t, d]
    return begin, end


def _recursion(arrival: np.ndarray, work: np.ndarray, offsets: np.ndarray, begin: np.ndarray,
               end: np.ndarray, horizon: float, keys: np.ndarray | None = None,
               deadline: np.ndarray | None = None, *, compiled: bool = True
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start, finish (NaN where not by the horizon), technician (-1) and start sequence.

    Orders of all replications are concatenated: replication r's are
    ``[offsets[r], offsets[r + 1])``, and ``sequence[offsets[r] + j]`` is the j-th of
    them to start (-1 after the last). ``keys`` orders the queue (smallest first, ties
    by arrival; see :func:`capsim.records.dispatch_keys`); None is FIFO. ``deadline``
    is arrival + patience of each order (None: nobody abandons). Uses the compiled
    loop of :mod:`capsim.engines._kernel` when numba is available (and ``compiled``),
    else the numpy steps below for FIFO without abandonment and the kernel's loop as
    plain Python otherwise: the same numbers bit for bit.
    """
    start = np.full(arrival.size, np.nan)
    finish = np.full(arrival.size, np.nan)
    technician = np.full(arrival.size, -1, dtype=np.int32)
    sequence = np.full(arrival.size, -1, dtype=np.int64)
    if begin.shape[1] == 0 or arrival.size == 0:
        return start, finish, technician, sequence
    kernel = _kernel.compiled() if compiled else None
    if kernel is None and (keys is not None or deadline is not None):
        kernel = _kernel.interpreted()
    if kernel is not None:
        fifo = keys is None
        kernel(arrival, work, np.full(arrival.size, np.inf) if deadline is None else deadline,
               np.zeros(1) if fifo else keys, fifo, offsets, begin, end, horizon, start,
               finish, technician, sequence)
        return start, finish, technician, sequence
    counts = np.diff(offsets)
    rows = np.repeat(np.arange(counts.size), counts)
    columns = np.arange(arrival.size) - np.repeat(offsets[:-1], counts)
    shape = (counts.size, int(counts.max()))
    padded_arrival, padded_work = np.full(shape, np.inf), np.zeros(shape)
    padded_arrival[rows, columns], padded_work[rows, columns] = arrival, work
    out = (np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, -1, dtype=np.int32))
    _numpy_steps(padded_arrival, padded_work, begin, end, horizon, *out)
    start, finish, technician = out[0][rows, columns], out[1][rows, columns], out[2][rows, columns]
    # FIFO starts orders in arrival order, and none after the first it cannot start
    began = np.flatnonzero(technician >= 0)
    sequence[began] = began
    return start, finish, technician, sequence


def _numpy_steps(arrival: np.ndarray, work: np.ndarray, begin: np.ndarray, end: np.ndarray,
                 horizon: float, start: np.ndarray, finish: np.ndarray,
                 technician: np.ndarray) -> None:
    """The recursion as one numpy step per order, across all replications at once."""
    reps, orders = arrival.shape
    roster, width = begin.shape[1], begin.shape[2]
    flat_begin, flat_end = begin.reshape(-1), end.reshape(-1)
    base = (np.arange(reps * roster) * width).reshape(reps, roster)
    pointer = np.zeros((reps, roster), dtype=np.int64)
    free = np.full((reps, roster), -np.inf)
    rows = np.arange(reps)
    for k in range(orders):
        a = arrival[:, k]
        active = a < horizon
        if not active.any():
            break
        t = np.maximum(a[:, None], free)
        t[~active] = -np.inf  # finished replications: keep their pointers still
        index = base + pointer
        behind = flat_end[index] <= t
        while behind.any():
            pointer += behind
            index = base + pointer
            behind = flat_end[index] <= t
        opens = flat_begin[index]
        can = np.maximum(t, opens)
        s = can.min(axis=1)
        ties = can == s[:, None]
        since = np.where(ties, np.maximum(free, opens), np.inf)
        winner = np.argmax(ties & (since == since.min(axis=1)[:, None]), axis=1)
        started = active & (s < horizon)
        if not started.any():
            continue
        done = s + work[:, k]
        start[started, k] = s[started]
        technician[started, k] = winner[started]
        free[rows[started], winner[started]] = done[started]
        ended = started & (done < horizon)
        finish[ended, k] = done[ended]


def _stock_records(scenario: Scenario, supplies: tuple[Any, ...], stock: tuple[Any, ...],
                   offsets: np.ndarray) -> list[StockRecords] | None:
    """Each replication's StockRecords from the loop's tables (None: no supplies)."""
    spec = supplies[_stockloop.SPEC]
    if spec.shape[0] == 0:
        return None
    counters = stock[_stockloop.COUNTERS]
    if counters[_stockloop.ERROR_SUPPLY] >= 0:  # the reference engine's message
        name = scenario.supplies[int(counters[_stockloop.ERROR_SUPPLY])].name
        raise RuntimeError(f"supply {name!r}: more replenishment orders than lead times "
                           f"drawn ({int(counters[_stockloop.ERROR_COUNT])})")
    names = tuple(s.name for s in scenario.supplies)
    need, flows = supplies[_stockloop.NEED], stock[_stockloop.FLOWS]
    demand, short = stock[_stockloop.DEMAND], stock[_stockloop.SHORT]
    blocked, placed = stock[_stockloop.BLOCKED], stock[_stockloop.PLACED]
    return [StockRecords(
        names=names, need=need[low:high], demand=demand[low:high], short=short[low:high],
        blocked=blocked[low:high], initial=spec[:, _stockloop.INITIAL].copy(),
        received=flows[_stockloop.RECEIVED, r].copy(),
        consumed=flows[_stockloop.CONSUMED, r].copy(), final=flows[_stockloop.FINAL, r].copy(),
        placed=placed[r].copy()) for r, (low, high) in enumerate(pairwise(offsets))]


def _run_jobs(scenario: Scenario, realizations: Sequence[Realization]
              ) -> tuple[list[Jobs], np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                         np.ndarray, list[StockRecords] | None]:
    """:func:`job_decisions`, and each replication's StockRecords (None: no supplies)."""
    begin, end = _duty_table(realizations)
    tables = [jobs(scenario, real) for real in realizations]
    offsets = np.concatenate([[0], np.cumsum([t.size for t in tables])]).astype(np.int64)
    orders = np.array([t.orders for t in tables], np.int64)
    size = int(offsets[-1])
    start, finish = np.full(size, np.nan), np.full(size, np.nan)
    technician = np.full(size, -1, dtype=np.int32)
    sequence = np.full(size, -1, dtype=np.int64)
    supplies, stock = _stockloop.tables(scenario, realizations, offsets, orders)
    if begin.shape[1] == 0 or size == 0:
        if not scenario.has_supplies:
            return tables, start, finish, technician, sequence, offsets, None
        # nobody works or nothing arrives: the policies still look and deliveries come
        begin = end = np.full((len(realizations), 1, 1), np.inf)
    pred = np.concatenate([np.where(t.pred >= 0, t.pred + o, -1)
                           for t, o in zip(tables, offsets, strict=False)])
    successor = np.full(size, -1, np.int64)
    follow = np.flatnonzero(pred >= 0)
    successor[pred[follow]] = follow
    arrival = np.concatenate([np.concatenate([t.arrival, np.full(t.size - t.orders, np.inf)])
                              for t in tables])

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(t, name) for t in tables])

    overtime = scenario.policies.overtime
    policy = ((_jobloop.NO_OVERTIME, 0.0, 0.0, 0.0, 0.0) if overtime is None else (
        _jobloop.TRIGGERS[overtime.when], overtime.threshold, overtime.risk_hours,
        overtime.max_hours,
        np.inf if overtime.weekly_max_hours is None else overtime.weekly_max_hours))
    kernel = _jobloop.compiled() or _jobloop.interpreted()
    kernel(arrival, orders, joined("work"), joined("patience"), successor, pred,
           joined("delay"), joined("renew"), joined("shift"), joined("promise"), joined("key"),
           joined("group"), tables[0].rule, offsets, begin, end, scenario.horizon_hours, start,
           finish, technician, sequence, *policy, supplies, stock)
    return (tables, start, finish, technician, sequence, offsets,
            _stock_records(scenario, supplies, stock, offsets))


def job_decisions(scenario: Scenario, realizations: Sequence[Realization]
                  ) -> tuple[list[Jobs], np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             np.ndarray]:
    """:func:`decisions` per job, for scenarios with follow-ups (:mod:`capsim.jobs`).

    Also runs the overtime policy and the supplies (the job loop's; without follow-ups
    the jobs are the orders, in the same order).

    Also gives each replication's jobs (the table they were run from).
    """
    return _run_jobs(scenario, realizations)[:6]


def decisions(scenario: Scenario, realizations: Sequence[Realization]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start, finish, technician and start sequence of several replications' orders.

    Concatenated (see :func:`_recursion`), with the offsets: replication r's orders
    are ``[offsets[r], offsets[r + 1])``. With follow-ups (:mod:`capsim.jobs`) the
    same per job: replication r's jobs are ``[offsets[r], offsets[r + 1])``.
    """
    if (scenario.has_follow_ups or scenario.has_overtime_policy
            or scenario.has_supplies):  # without follow-ups, the jobs are the orders
        _, start, finish, technician, sequence, offsets = job_decisions(scenario, realizations)
        return start, finish, technician, sequence, offsets
    begin, end = _duty_table(realizations)
    offsets = np.concatenate([[0], np.cumsum([real.orders for real in realizations])])
    keys = None if scenario.dispatch == "fifo" else np.concatenate(
        [dispatch_keys(scenario, real) for real in realizations])
    deadline = None if not scenario.has_patience else np.concatenate(
        [patience_deadline(real) for real in realizations])
    start, finish, technician, sequence = _recursion(
        np.concatenate([real.arrival for real in realizations]),
        np.concatenate([real.work for real in realizations]), offsets, begin, end,
        scenario.horizon_hours, keys, deadline)
    return start, finish, technician, sequence, offsets


def simulate_many(scenario: Scenario, realizations: Sequence[Realization]) -> list[Records]:
    """Run several replications at once; the Records of each, in the order given."""
    if not realizations:
        return []
    if scenario.has_supplies:
        _, start, finish, technician, _, offsets, stock = _run_jobs(scenario, realizations)
    else:
        start, finish, technician, _, offsets = decisions(scenario, realizations)
        stock = None
    return [build_records(scenario, real, *(x[offsets[r]:offsets[r + 1]]
                                            for x in (start, finish, technician)),
                          stock=None if stock is None else stock[r])
            for r, real in enumerate(realizations)]


def simulate(scenario: Scenario, realization: Realization) -> Records:
    """Run one replication (the engine contract); prefer :func:`simulate_many`."""
    return simulate_many(scenario, [realization])[0]
