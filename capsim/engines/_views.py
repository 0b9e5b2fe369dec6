"""The fused pipeline's per-order steps before and beside the reductions, as compiled loops.

:func:`order_views` makes the orders of a batch's jobs, replication by replication,
as :func:`capsim.jobs.order_view` does (its docstring and :mod:`capsim.jobs`' say
what each column is), writing straight into batch-wide arrays instead of building a
view per replication and concatenating them. :func:`quality_counts` gives the
perfect order's KPIs of :func:`capsim.batch.quality_kpis` but the rework hours, of
the whole floor and of each class, in one pass over the batch's orders. Each number
is computed as numpy computes it there (counts, ``bincount``'s in-order sums, the
same additions in the same order), so the fused path's summaries stay those of the
Records path bit for bit (``tests/test_fused.py``). Like :mod:`capsim.engines._reduce`,
plain Python that numba compiles (and caches); the fast pipeline only uses it compiled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from capsim.engines import _kernel
from capsim.followups import HOLD, REMAKE, REPEAT, REWORK
from capsim.jobs import JobBatch

#: Columns of :func:`quality_counts`' output, in order (the rework hours apart).
QUALITY_COLUMNS = ("perfect_order_rate", "right_first_time_rate", "repeat_contacts",
                   "hold_hours", "orders_held")


def _view(orders: int, arrival: np.ndarray, pred: np.ndarray, delay: np.ndarray,
          renew: np.ndarray, shift: np.ndarray, promise: np.ndarray, patience: np.ndarray,
          owner: np.ndarray, kind: np.ndarray, job_class: np.ndarray, hold: np.ndarray,
          work: np.ndarray, start: np.ndarray, finish: np.ndarray, horizon: float,
          join: np.ndarray, job_work: np.ndarray, job_rework: np.ndarray,
          job_class_out: np.ndarray, o_arrival: np.ndarray, o_due: np.ndarray,
          o_start: np.ndarray, o_finish: np.ndarray, o_abandon: np.ndarray,
          o_first: np.ndarray, o_hold: np.ndarray, o_class: np.ndarray, o_right: np.ndarray,
          o_repeat: np.ndarray, count: np.ndarray) -> None:
    """One replication's order view; ``count[0]`` gets its number of orders.

    Per job (``join`` .. ``job_class_out``, this replication's slices): when it
    joined, its work, whether it is a rework or remake, its class. Per order (the
    ``o_`` columns, from this replication's first order on): the columns of
    :class:`OrderViews`.
    """
    size = pred.size
    latest = np.full(size, -1, np.int64)  # the latest job of each order to join
    last = np.full(size, -1, np.int64)  # its last job
    first_pass = np.arange(size)
    passes = np.zeros(size, np.int64)
    returned = np.zeros(size, np.bool_)
    held = np.zeros(size)
    for j in range(size):
        join[j] = np.nan
        if j < orders:
            join[j] = arrival[j]
        if pred[j] >= 0:
            at = finish[pred[j]] + delay[j]
            join[j] = at if at < horizon else np.nan
        job_work[j], job_class_out[j] = work[j], job_class[j]
        job_rework[j] = kind[j] == REWORK or kind[j] == REMAKE
        k = owner[j]
        last[k] = j
        passes[k] += 1
        if kind[j] == HOLD:
            first_pass[k] = j
            passes[k] -= 1
        if kind[j] == REPEAT:
            returned[owner[pred[j]]] = True
        if not np.isnan(join[j]):
            latest[k] = j
            held[k] += hold[j]
    rows = _by_arrival(orders, owner, join)
    # The order columns in three passes, each reading and writing a few arrays, likely
    # fewer streams than the prefetchers lose track of at 24 (Stutterfly's 36,000
    # orders: 0.57-0.58 ms a replication in three passes against 0.84-0.86 in one,
    # 0.66-0.77 in two; one process, best of 10 alternated).
    for i in range(rows.size):
        k = rows[i]
        leaves = join[k] + patience[k]
        o_arrival[i] = join[k]
        o_start[i] = start[k]
        o_abandon[i] = leaves if np.isnan(start[k]) and leaves < horizon else np.nan
        o_class[i] = job_class[k]
        o_repeat[i] = kind[k] == REPEAT
    for i in range(rows.size):
        k = rows[i]
        a, s = latest[k], 0.0  # the due of its latest pass: up the chain to a renewal
        while not renew[a]:
            s += shift[a]
            a = pred[a]
        o_due[i] = join[a] + promise[a] + s
        o_finish[i] = finish[last[k]]
    for i in range(rows.size):
        k = rows[i]
        o_first[i] = finish[first_pass[k]]
        o_hold[i] = held[k]
        o_right[i] = passes[k] == 1 and not returned[k]
    count[0] = rows.size


def _by_arrival(orders: int, owner: np.ndarray, join: np.ndarray) -> np.ndarray:
    """The jobs that start an order that joined, sorted by join time, ties by job.

    :func:`capsim.jobs.order_jobs`' stable sort, as a merge: the outside orders come
    first and (checked) in arrival order, so only the repeat contacts (few) are sorted.
    """
    starts = np.empty(owner.size, np.int64)
    n = split = 0
    ordered = True
    for j in range(owner.size):
        if owner[j] == j and not np.isnan(join[j]):
            if j < orders:
                ordered = ordered and (split == 0 or not join[j] < join[starts[split - 1]])
                split += 1
            starts[n] = j
            n += 1
    starts = starts[:n]
    if not ordered:
        return starts[np.argsort(join[starts], kind="mergesort")]
    outside, late = starts[:split], starts[split:]
    late = late[np.argsort(join[late], kind="mergesort")]
    rows = np.empty(n, np.int64)
    i = e = 0
    for k in range(n):  # ties: the outside order first (a smaller job number)
        if e == late.size or (i < outside.size and join[outside[i]] <= join[late[e]]):
            rows[k] = outside[i]
            i += 1
        else:
            rows[k] = late[e]
            e += 1
    return rows


@dataclass(frozen=True, eq=False)
class OrderViews:
    """A batch's orders made of its jobs (:func:`capsim.jobs.order_view`), concatenated.

    Replication r's orders are ``[offsets[r], offsets[r + 1])``; the per-job columns
    (``join``, ``job_work``, ``job_rework``, ``job_class``) follow the jobs' offsets.
    """

    offsets: np.ndarray
    arrival: np.ndarray
    due: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    abandon: np.ndarray
    first_finish: np.ndarray
    hold: np.ndarray
    order_class: np.ndarray
    right_first_time: np.ndarray
    repeat_contact: np.ndarray
    join: np.ndarray
    job_work: np.ndarray
    job_rework: np.ndarray
    job_class: np.ndarray


def order_views(jobs: JobBatch, start: np.ndarray, finish: np.ndarray,
                horizon: float) -> OrderViews:
    """The orders of each replication's jobs (``start``, ``finish``: the batch's jobs')."""
    view = _compile()
    assert view is not None, "the fused pipeline needs numba"
    job_offsets = jobs.offsets
    size = int(job_offsets[-1])
    dtype = jobs.order_class.dtype
    floats = [np.empty(size) for _ in range(7)]
    per_order = [*floats, np.empty(size, dtype), np.empty(size, np.bool_),
                 np.empty(size, np.bool_)]
    join, job_work, job_rework = np.empty(size), np.empty(size), np.empty(size, np.bool_)
    job_class = np.empty(size, dtype)
    offsets, count = np.zeros(jobs.orders.size + 1, np.int64), np.zeros(1, np.int64)
    for r in range(jobs.orders.size):
        t = jobs.replication(r)
        low, high, at = job_offsets[r], job_offsets[r + 1], offsets[r]
        view(t.orders, t.arrival, t.pred, t.delay, t.renew, t.shift, t.promise, t.patience,
             t.owner, t.kind, t.order_class, t.hold, t.work, start[low:high],
             finish[low:high], horizon, join[low:high], job_work[low:high],
             job_rework[low:high], job_class[low:high], *(c[at:] for c in per_order), count)
        offsets[r + 1] = at + count[0]
    n = int(offsets[-1])
    arrival, due, begun, ended, abandon, first, hold, order_class, right, repeat = (
        c[:n] for c in per_order)
    return OrderViews(offsets, arrival, due, begun, ended, abandon, first, hold, order_class,
                      right, repeat, join, job_work, job_rework, job_class)


def _quality(offsets: np.ndarray, arrival: np.ndarray, due: np.ndarray, finish: np.ndarray,
             abandon: np.ndarray, order_class: np.ndarray, first_finish: np.ndarray,
             right: np.ndarray, repeat: np.ndarray, hold: np.ndarray, warmup: float,
             horizon: float, out: np.ndarray) -> None:
    """out[r, 0] the whole floor's, out[r, 1 + c] class c's :data:`QUALITY_COLUMNS`."""
    groups = out.shape[1]
    for r in range(offsets.size - 1):
        counts = np.zeros((groups, 6))  # on time and perfect, counted, judged right, judged
        sums = np.zeros(groups)  # hold hours, summed in order (as bincount does)
        for k in range(offsets[r], offsets[r + 1]):
            if not arrival[k] >= warmup:
                continue
            for g in (0, 1 + order_class[k]):
                if repeat[k]:
                    counts[g, 4] += 1.0
                sums[g] += hold[k]
                if hold[k] > 0:
                    counts[g, 5] += 1.0
                if not due[k] <= horizon:
                    continue
                counts[g, 1] += 1.0
                if finish[k] <= due[k] and right[k] and np.isnan(abandon[k]):
                    counts[g, 0] += 1.0
                if not np.isnan(first_finish[k]):
                    counts[g, 3] += 1.0
                    if right[k]:
                        counts[g, 2] += 1.0
        for g in range(groups):
            out[r, g, 0] = counts[g, 0] / counts[g, 1] if counts[g, 1] > 0 else np.nan
            out[r, g, 1] = counts[g, 2] / counts[g, 3] if counts[g, 3] > 0 else np.nan
            out[r, g, 2], out[r, g, 3], out[r, g, 4] = counts[g, 4], sums[g], counts[g, 5]


def quality_counts(offsets: np.ndarray, arrival: np.ndarray, due: np.ndarray,
                   finish: np.ndarray, abandon: np.ndarray, order_class: np.ndarray,
                   first_finish: np.ndarray, right: np.ndarray, repeat: np.ndarray,
                   hold: np.ndarray, warmup: float, horizon: float, classes: int
                   ) -> np.ndarray:
    """Replications × (1 + classes) × :data:`QUALITY_COLUMNS` (0: the whole floor)."""
    loop = _compile_quality()
    assert loop is not None, "the fused pipeline needs numba"
    out = np.zeros((offsets.size - 1, 1 + classes, len(QUALITY_COLUMNS)))
    loop(offsets, arrival, due, finish, abandon, order_class, first_finish, right, repeat,
         hold, warmup, horizon, out)
    return out


@functools.cache
def _compile() -> Callable[..., None] | None:
    return _kernel.compile_loop(globals(), ("_by_arrival",), entry="_view")


@functools.cache
def _compile_quality() -> Callable[..., None] | None:
    return _kernel.compile_loop(globals(), (), entry="_quality")
