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
StockRecords; workstations (``[equipment]``): the job loop through a station gate,
:mod:`capsim.engines._stationloop`, with the reference engine's interruptions, the
overtime policy and the supplies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

from capsim.attendance import is_present
from capsim.engines import _jobloop, _kernel, _stationloop, _stockloop
from capsim.equipment import Interruptions
from capsim.jobs import JobBatch, batch
from capsim.records import Records, build_records, dispatch_keys, patience_deadline
from capsim.sampling import Realization
from capsim.scenario import Scenario
from capsim.supplies import StockRecords


def unsupported(scenario: Scenario) -> str | None:
    """Why the fast engine cannot run ``scenario`` (None: it can).

    Every scenario: workstations (``[equipment]``) run in the station loop, with
    overtime policies and supplies too; supplies without them in the job loop.
    """
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


@dataclass(frozen=True, eq=False)
class JobRun:
    """What the job loop decided for a batch (:func:`job_run`).

    ``jobs``: the batch's jobs; ``start``, ``finish``, ``technician`` and
    ``sequence`` per job, concatenated (replication r's ``[offsets[r], offsets[r + 1])``);
    ``stock``: each replication's StockRecords (None: no supplies); ``interruptions``:
    each one's failures in work (None: no ``[equipment]``).
    """

    jobs: JobBatch
    start: np.ndarray
    finish: np.ndarray
    technician: np.ndarray
    sequence: np.ndarray
    offsets: np.ndarray
    stock: list[StockRecords] | None
    interruptions: list[Interruptions] | None


def _downtime(realizations: Sequence[Realization]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray]:
    """The batch's downtime flattened for the station loop, and where each one's hits go."""
    downs = [real.downtime for real in realizations]
    assert all(d is not None for d in downs)
    fail = np.concatenate([t for d in downs if d is not None for t in d.fail] or [np.zeros(0)])
    back = np.concatenate([t for d in downs if d is not None for t in d.back] or [np.zeros(0)])
    counts = np.array([[t.size for t in d.fail] for d in downs if d is not None], np.int64)
    counts = counts.reshape(len(downs), -1)
    flat = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    stations = counts.shape[1]
    offsets = np.empty((len(downs), stations + 1), np.int64)
    for r in range(len(downs)):
        offsets[r] = flat[r * stations:(r + 1) * stations + 1]
    restart = bool(downs[0] is not None and downs[0].restart)
    hit_offsets = np.concatenate([[0], np.cumsum(counts.sum(axis=1))]).astype(np.int64)
    return fail, back, offsets, restart, hit_offsets


def _run_jobs(scenario: Scenario, realizations: Sequence[Realization]
              ) -> tuple[JobBatch, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                         np.ndarray, list[StockRecords] | None, list[Interruptions] | None]:
    """:func:`job_run`'s fields, in order."""
    begin, end = _duty_table(realizations)
    table = batch(scenario, realizations)
    offsets, orders = table.offsets, table.orders
    size = int(offsets[-1])
    start, finish = np.full(size, np.nan), np.full(size, np.nan)
    technician = np.full(size, -1, dtype=np.int32)
    sequence = np.full(size, -1, dtype=np.int64)
    supplies, stock = _stockloop.tables(scenario, realizations, offsets, orders)
    no_hits = None if not scenario.has_equipment else [
        Interruptions(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
        for _ in realizations]
    if begin.shape[1] == 0 or size == 0:
        if not scenario.has_supplies:
            return table, start, finish, technician, sequence, offsets, None, no_hits
        # nobody works or nothing arrives: the policies still look and deliveries come
        begin = end = np.full((len(realizations), 1, 1), np.inf)
    # the loop numbers jobs across the batch: each replication's from its offset
    pred = np.where(table.pred >= 0, table.pred + np.repeat(offsets[:-1], np.diff(offsets)),
                    -1)
    successor = np.full(size, -1, np.int64)
    follow = np.flatnonzero(pred >= 0)
    successor[pred[follow]] = follow
    overtime = scenario.policies.overtime
    policy = ((_jobloop.NO_OVERTIME, 0.0, 0.0, 0.0, 0.0) if overtime is None else (
        _jobloop.TRIGGERS[overtime.when], overtime.threshold, overtime.risk_hours,
        overtime.max_hours,
        np.inf if overtime.weekly_max_hours is None else overtime.weekly_max_hours))
    common = (table.arrival, orders, table.work, table.patience, successor, pred,
              table.delay, table.renew, table.shift, table.promise, table.key, table.group,
              table.rule, offsets, begin, end, scenario.horizon_hours, start, finish,
              technician, sequence)
    if scenario.has_equipment:
        fail, back, station_offsets, restart, hit_offsets = _downtime(realizations)
        hits = np.full((int(hit_offsets[-1]), 4), np.nan)
        count = np.zeros(len(realizations), np.int64)
        station_kernel = _stationloop.compiled() or _stationloop.interpreted()
        station_kernel(*common, *policy, supplies, stock, fail, back, station_offsets,
                       restart, hits, hit_offsets, count)
        # the loop writes an interruption when its segment starts; the reference, when
        # the failure comes: in time order, ties in the order the segments started
        rows = [h[np.argsort(h[:, 0], kind="stable")]
                for h in (hits[low:low + n] for low, n in zip(hit_offsets[:-1], count,
                                                                strict=True))]
        return (table, start, finish, technician, sequence, offsets,
                _stock_records(scenario, supplies, stock, offsets),
                [Interruptions(at=h[:, 0].copy(), resumed=h[:, 1].copy(), lost=h[:, 2].copy(),
                               job=h[:, 3].astype(np.int64) - first)  # the batch's: its own
                 for h, first in zip(rows, offsets, strict=False)])
    kernel = _jobloop.compiled() or _jobloop.interpreted()
    kernel(*common, *policy, supplies, stock)
    return (table, start, finish, technician, sequence, offsets,
            _stock_records(scenario, supplies, stock, offsets), None)


def job_run(scenario: Scenario, realizations: Sequence[Realization]) -> JobRun:
    """Run a batch's jobs (the job loop, or the station loop with ``[equipment]``)."""
    return JobRun(*_run_jobs(scenario, realizations))


def job_decisions(scenario: Scenario, realizations: Sequence[Realization]
                  ) -> tuple[JobBatch, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             np.ndarray]:
    """:func:`decisions` per job, for scenarios with follow-ups (:mod:`capsim.jobs`).

    Also runs the overtime policy and the supplies (the job loop's; without follow-ups
    the jobs are the orders, in the same order).

    Also gives the batch's jobs (the table they were run from).
    """
    run = job_run(scenario, realizations)
    return run.jobs, run.start, run.finish, run.technician, run.sequence, run.offsets


def decisions(scenario: Scenario, realizations: Sequence[Realization]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start, finish, technician and start sequence of several replications' orders.

    Concatenated (see :func:`_recursion`), with the offsets: replication r's orders
    are ``[offsets[r], offsets[r + 1])``. With follow-ups (:mod:`capsim.jobs`) the
    same per job: replication r's jobs are ``[offsets[r], offsets[r + 1])``.
    """
    if (scenario.has_follow_ups or scenario.has_overtime_policy or scenario.has_supplies
            or scenario.has_equipment):  # without follow-ups, the jobs are the orders
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
    if scenario.has_supplies or scenario.has_equipment:
        run = job_run(scenario, realizations)
        start, finish, technician, offsets = run.start, run.finish, run.technician, run.offsets
        stock, hits = run.stock, run.interruptions
    else:
        start, finish, technician, _, offsets = decisions(scenario, realizations)
        stock = hits = None
    records = [build_records(scenario, real, *(x[offsets[r]:offsets[r + 1]]
                                               for x in (start, finish, technician)),
                             stock=None if stock is None else stock[r])
               for r, real in enumerate(realizations)]
    if hits is None:
        return records
    return [replace(one, interruptions=hit) for one, hit in zip(records, hits, strict=True)]


def simulate(scenario: Scenario, realization: Realization) -> Records:
    """Run one replication (the engine contract); prefer :func:`simulate_many`."""
    return simulate_many(scenario, [realization])[0]
