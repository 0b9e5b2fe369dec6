"""The Records of a batch of replications side by side, and the perfect order's KPIs.

:class:`Batch` is what :mod:`capsim.metrics` reduces: orders concatenated across
replications, technician-day tables stacked. :func:`quality_kpis` computes the perfect
order's KPIs from the jobs (:mod:`capsim.followups`); their definitions are in
:mod:`capsim.metrics`' docstring.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np

from capsim.records import Records
from capsim.segments import per_segment


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


def quality_kpis(b: Batch) -> dict[str, np.ndarray]:
    """The perfect order's KPIs (see the module docstring)."""
    most = max(r.arrival.size for r in b.records)
    right = _per_order(b.records, "right_first_time", np.ones(most, bool))
    repeat = _per_order(b.records, "repeat_contact", np.zeros(most, bool))
    first = np.concatenate([r.finish if r.first_finish is None else r.first_finish
                            for r in b.records])
    counted = (b.arrival >= b.warmup) & (b.due <= b.horizon)
    with np.errstate(invalid="ignore"):
        on_time = counted & (b.finish <= b.due)
    judged = counted & ~np.isnan(first)
    rework = np.zeros(b.count)
    for i, r in enumerate(b.records):
        if r.jobs is not None:
            with np.errstate(invalid="ignore"):
                started = r.jobs.rework & (r.jobs.start >= b.warmup)
            rework[i] = r.jobs.work[started].sum()
    return {
        "perfect_order_rate": ratio(b.per(on_time & right & np.isnan(b.abandon)),
                                     b.per(counted)),
        "right_first_time_rate": ratio(b.per(judged & right), b.per(judged)),
        "rework_hours": rework,
        "repeat_contacts": b.per((b.arrival >= b.warmup) & repeat),
    }
