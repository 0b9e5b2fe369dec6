"""The Records of a batch of replications side by side, and the perfect order's KPIs.

:class:`Batch` is what :mod:`capsim.metrics` reduces: orders concatenated across
replications, technician-day tables stacked. :func:`quality_kpis` computes the perfect
order's KPIs from a :class:`Quality` (per order and per job, :mod:`capsim.followups`),
which a Batch builds from its Records and the fused path
(:mod:`capsim.engines.fused`) from its arrays, so that both compute them by the same
code; their definitions are in :mod:`capsim.metrics`' docstring.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from capsim.records import Records
from capsim.segments import per_segment


@dataclass(frozen=True, eq=False)
class Quality:
    """What the perfect order's KPIs read of a batch: its orders and its jobs.

    Orders are concatenated across replications (``rep`` says whose); ``first_finish``
    is when an order's first pass finished, ``right`` whether it was right first time,
    ``repeat`` whether it is a repeat contact, ``hold`` its hours on hold (answered by
    the horizon). Jobs (rework and remakes matter here)
    are concatenated too: replication r's are ``[job_offsets[r], job_offsets[r + 1])``;
    ``job_class`` is the class of the order a job serves. Without follow-ups the
    orders are right first time, no repeat contacts, and there are no jobs.
    """

    count: int
    warmup: float
    horizon: float
    rep: np.ndarray
    arrival: np.ndarray
    due: np.ndarray
    finish: np.ndarray
    abandon: np.ndarray
    order_class: np.ndarray
    first_finish: np.ndarray
    right: np.ndarray
    repeat: np.ndarray
    hold: np.ndarray
    job_offsets: np.ndarray
    job_start: np.ndarray
    job_work: np.ndarray
    job_rework: np.ndarray
    job_class: np.ndarray


def _quality(records: Sequence[Records], rep: np.ndarray, order_class: np.ndarray,
             columns: dict[str, np.ndarray]) -> Quality:
    """The :class:`Quality` of a batch of Records (``columns``: its order columns)."""
    first = records[0]
    most = max(r.arrival.size for r in records)
    jobs = [r.jobs for r in records if r.jobs is not None]
    sizes = [0 if r.jobs is None else r.jobs.work.size for r in records]

    def job_column(name: str, dtype: type) -> np.ndarray:
        return np.concatenate([np.zeros(0, dtype), *(getattr(j, name) for j in jobs)])

    return Quality(
        count=len(records), warmup=first.warmup, horizon=first.horizon, rep=rep,
        arrival=columns["arrival"], due=columns["due"], finish=columns["finish"],
        abandon=columns["abandon"], order_class=order_class,
        first_finish=np.concatenate([r.finish if r.first_finish is None else r.first_finish
                                     for r in records]),
        right=_per_order(records, "right_first_time", np.ones(most, bool)),
        repeat=_per_order(records, "repeat_contact", np.zeros(most, bool)),
        hold=_per_order(records, "hold", np.zeros(most)),
        job_offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        job_start=job_column("start", float), job_work=job_column("work", float),
        job_rework=np.concatenate([np.zeros(0, bool), *(j.rework for j in jobs)]),
        job_class=job_column("order_class", np.int16))


class Batch:
    """Records of several replications of one scenario, side by side.

    Orders are concatenated (``rep`` says whose); technician-day tables are stacked
    along a first axis.
    """

    #: The per-order columns, concatenated across replications (and filtered by :meth:`only`).
    ORDER_COLUMNS = ("arrival", "due", "start", "finish", "abandon", "order_class")
    arrival: np.ndarray
    due: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    abandon: np.ndarray
    order_class: np.ndarray
    status: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    busy_hours: np.ndarray
    overtime_hours: np.ndarray

    def __init__(self, records: Sequence[Records]):
        self.records = records
        first = records[0]
        self.count, self.horizon, self.warmup = len(records), first.horizon, first.warmup
        self.answer_within, self.abandoned_short = first.answer_within, first.abandoned_short
        self.hours, self.days = int(np.floor(first.horizon)), first.days
        self.class_names = first.class_names
        sizes = [r.arrival.size for r in records]
        self.rep = np.repeat(np.arange(self.count), sizes)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        for name in self.ORDER_COLUMNS:
            setattr(self, name, np.concatenate([getattr(r, name) for r in records]))
        for name in ("status", "shift_start", "shift_end", "busy_hours", "overtime_hours"):
            setattr(self, name, np.stack([getattr(r, name) for r in records]))
        self.quality = _quality(records, self.rep, self.order_class,
                                {name: getattr(self, name) for name in self.ORDER_COLUMNS})

    def only(self, keep: np.ndarray) -> Batch:
        """The batch with only the orders ``keep`` marks (technician-day tables as they are)."""
        part = copy.copy(self)
        for name in self.ORDER_COLUMNS:
            setattr(part, name, getattr(self, name)[keep])
        part.rep = self.rep[keep]
        part.offsets = np.concatenate([[0], np.cumsum(np.bincount(part.rep,
                                                                  minlength=self.count))])
        return part

    @property
    def departure(self) -> np.ndarray:
        """When each order left: finished or abandoned (NaN: still in-house)."""
        return np.where(np.isnan(self.finish), self.abandon, self.finish)

    @property
    def left_queue(self) -> np.ndarray:
        """When each order left the queue: started or abandoned (NaN: still waiting)."""
        return np.where(np.isnan(self.start), self.abandon, self.start)

    def per(self, mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per replication: how many orders satisfy ``mask`` (or the sum of ``weights``)."""
        return per_segment(self.rep, mask, self.count, weights)


def ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Top / bottom, NaN where bottom is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


def _per_order(records: Sequence[Records], name: str, default: np.ndarray) -> np.ndarray:
    """An optional per-order column of the batch (``default`` where a Records lacks it)."""
    return np.concatenate([default[:r.arrival.size] if getattr(r, name) is None
                           else getattr(r, name) for r in records])


def quality_kpis(q: Quality, order_class: int | None = None) -> dict[str, np.ndarray]:
    """The perfect order's KPIs (see the module docstring), per replication.

    With ``order_class``, of that class's orders alone and the jobs serving them (the
    same numbers as from a Quality of those alone: counts, and each replication's
    rework summed over the same jobs in the same order).
    """
    def per(mask: np.ndarray) -> np.ndarray:
        return per_segment(q.rep, mask, q.count)

    mine = np.bool_(True) if order_class is None else q.order_class == order_class
    counted = (q.arrival >= q.warmup) & (q.due <= q.horizon) & mine
    with np.errstate(invalid="ignore"):
        on_time = counted & (q.finish <= q.due)
    judged = counted & ~np.isnan(q.first_finish)
    arrived = (q.arrival >= q.warmup) & mine
    return {
        "perfect_order_rate": ratio(per(on_time & q.right & np.isnan(q.abandon)), per(counted)),
        "right_first_time_rate": ratio(per(judged & q.right), per(judged)),
        "rework_hours": rework_hours(q, order_class),
        "repeat_contacts": per(arrived & q.repeat),
        "hold_hours": per_segment(q.rep, arrived, q.count, q.hold),
        "orders_held": per(arrived & (q.hold > 0)),
    }


def rework_hours(q: Quality, order_class: int | None = None) -> np.ndarray:
    """Per replication, the work of the reworks and remakes started after the warm-up.

    With ``order_class``, of the jobs serving that class's orders alone.
    """
    serving = np.bool_(True) if order_class is None else q.job_class == order_class
    with np.errstate(invalid="ignore"):
        started = q.job_rework & (q.job_start >= q.warmup) & serving
    rework = np.zeros(q.count)
    for i in range(q.count):  # numpy's pairwise sum over each replication's jobs
        low, high = q.job_offsets[i], q.job_offsets[i + 1]
        rework[i] = q.job_work[low:high][started[low:high]].sum()
    return rework
