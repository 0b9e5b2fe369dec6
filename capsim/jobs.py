"""The jobs of one replication as the engines see them, and the orders they make up.

A scenario with rework, remakes or repeat contacts (:mod:`capsim.followups`) is
simulated as *jobs*: jobs 0..n-1 are the orders arriving from outside, in arrival
order; a follow-up job joins the queue at its predecessor's finish + its delay when
that is before the horizon. Both engines order the queue by the same key,

    (group, rule key, join time, job number), smallest first,

where group is 0 for a rework or remake of a class with ``rework_first`` and 1
otherwise; the rule key is 0 under FIFO, the job's due time under EDD and the class
priority under ``priority``. A job's due time is one of three rules, set when it
joins (:func:`due_times` and both engines' join code read the same columns):

- *renew*: its join time + ``promise`` (its class's promise) for an order and a
  repeat contact (a new order) and for a remake under ``remake_due = "renewed"``; an
  order held before the work (:mod:`capsim.followups`) joins when the answer comes,
  and under the hold's ``due = "unchanged"`` its ``promise`` is the class's less the
  hold, so that its due is still the question's time + the class's promise
  (``"paused"``: the class's promise, counted from the answer);
- *keep*: its predecessor's due (a rework and an original-due remake keep the
  order's due; so does the work left after a hold during the work, ``"unchanged"``);
- *keep, shifted*: its predecessor's due + ``shift`` (the work left after a hold
  during the work under ``"paused"``: shift = the hold's length).

:func:`batch` builds the tables of several replications at once, each column once
for the whole batch (the fast engine runs a batch in one call); :func:`jobs`, the table
of one replication, is a batch of one, so both engines read the same columns.

For the orders alone this is the engines' key of old: (due, arrival index) and
(priority, arrival index) give the same order.

The order-level view (:func:`order_jobs`): the orders of a replication are the
outside orders and the repeat contacts that joined before the horizon, sorted by
arrival (join time), ties by job number; an order's first pass is its own job and its
last pass the last job it owns (:attr:`Jobs.last`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from capsim.followups import HOLD, REMAKE, REPEAT, REWORK, FollowUps
from capsim.sampling import Realization
from capsim.scenario import Scenario

#: ``Jobs.rule`` codes: the queue's rule key.
FIFO, EDD, PRIORITY = 0, 1, 2
RULES = {"fifo": FIFO, "edd": EDD, "priority": PRIORITY}


@dataclass(frozen=True, eq=False)
class JobColumns:
    """The per-job columns of :class:`Jobs` and :class:`JobBatch` (read Jobs' docstring)."""

    work: np.ndarray
    pred: np.ndarray
    delay: np.ndarray
    patience: np.ndarray
    renew: np.ndarray
    promise: np.ndarray
    key: np.ndarray
    group: np.ndarray
    kind: np.ndarray
    owner: np.ndarray
    order_class: np.ndarray
    shift: np.ndarray
    hold: np.ndarray


@dataclass(frozen=True, eq=False)
class Jobs(JobColumns):
    """Every job of a replication (orders first, then follow-ups).

    ``pred`` is -1 and ``delay`` 0 for the orders; ``patience`` is inf where a job
    never abandons; ``renew`` says whether the job's due is join + ``promise`` (else
    its predecessor's + ``shift``); ``hold`` the hours its order was on hold just
    before the job joined (an order held before the work; the work left after a hold
    during it; else 0); ``key`` is the class priority under ``priority`` (else 0);
    ``group`` 0 or 1 (see the module docstring); ``kind`` 0 for an outside order, else
    a :mod:`capsim.followups` code; ``owner`` the job that starts its order.
    """

    orders: int
    rule: int
    arrival: np.ndarray

    @property
    def size(self) -> int:
        """Number of jobs."""
        return int(self.work.size)

    @property
    def last(self) -> np.ndarray:
        """For each job that starts an order, its order's last pass (else -1)."""
        last = np.full(self.size, -1, np.int64)
        np.maximum.at(last, self.owner, np.arange(self.size))
        return last


@dataclass(frozen=True, eq=False)
class JobBatch(JobColumns):
    """The jobs of several replications, concatenated, each replication's orders first.

    Replication r's jobs are ``[offsets[r], offsets[r + 1])``, ``orders[r]`` of them
    outside orders. The columns are :class:`Jobs`', with ``pred`` and ``owner``
    numbered within each replication, as in its own table; ``arrival`` is per job
    here (+inf for a follow-up, which joins when its predecessor's finish says).
    """

    rule: int
    offsets: np.ndarray
    orders: np.ndarray
    arrival: np.ndarray

    def replication(self, r: int) -> Jobs:
        """Replication r's table (views of the batch's columns)."""
        low, high = int(self.offsets[r]), int(self.offsets[r + 1])
        n = int(self.orders[r])
        return Jobs(orders=n, rule=self.rule, arrival=self.arrival[low:low + n],
                    **{c.name: getattr(self, c.name)[low:high]
                       for c in dataclasses.fields(JobColumns)})


def jobs(scenario: Scenario, realization: Realization) -> Jobs:
    """The jobs of a realization (with follow-ups or without)."""
    return batch(scenario, [realization]).replication(0)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def batch(scenario: Scenario, realizations: Sequence[Realization]) -> JobBatch:
    """The jobs of several realizations, in one table (:class:`JobBatch`).

    Each column is built once for the whole batch: the realizations' arrays
    concatenated, then each job's rule columns from its kind and class.
    """
    count = np.array([real.orders for real in realizations], np.int64)
    follows = [real.follow_ups for real in realizations]
    extra = np.array([0 if f is None else f.pred.size for f in follows], np.int64)
    offsets = np.concatenate([[0], np.cumsum(count + extra)]).astype(np.int64)
    size = int(offsets[-1])
    plain = not extra.any()  # no follow-up in the batch: the jobs are the orders

    def column(of_orders: Callable[[Realization], np.ndarray],
               of_follow: Callable[[FollowUps], np.ndarray]) -> np.ndarray:
        if plain:
            return _joined([of_orders(real) for real in realizations])
        return _joined([part for real, f in zip(realizations, follows, strict=True)
                        for part in (of_orders(real), *(() if f is None else (of_follow(f),)))])

    # where each replication's follow-ups sit: the columns that are constant for the
    # outside orders are filled, then the follow-ups' values written there
    places = np.concatenate([np.arange(offsets[r] + count[r], offsets[r + 1])
                             for r in range(count.size)] or [np.zeros(0, np.int64)])
    mine = [f for f in follows if f is not None]

    def follow_column(fill: float, dtype: type, of_follow: Callable[[FollowUps], np.ndarray]
                      ) -> np.ndarray:
        values: np.ndarray = np.full(size, fill, dtype)
        if not plain:
            values[places] = _joined([of_follow(f) for f in mine])
        return values

    classes = column(lambda real: real.order_class, lambda f: f.order_class)
    arrival = column(lambda real: real.arrival, lambda f: np.full(f.pred.size, np.inf))
    work = column(lambda real: real.work, lambda f: f.work)
    pred = follow_column(-1, np.int64, lambda f: f.pred)
    delay = follow_column(0.0, float, lambda f: f.delay)
    kind = follow_column(0, np.int8, lambda f: f.kind)
    owner = column(lambda real: np.arange(real.orders), lambda f: f.owner)
    patience = column(lambda real: (np.full(real.orders, np.inf) if real.patience is None
                                    else real.patience), lambda f: f.patience)
    table = scenario.order_classes
    # the outside orders' rule columns are constants (their hold and promise apart): the
    # rules are worked out for the follow-ups alone (kind != 0), few, and written there
    kinds, later = kind[places], classes[places]

    def per_class(values: list[Any], dtype: type, where: np.ndarray | None = None
                  ) -> np.ndarray:
        """Each job's class's value (one value for every class: a fill, not a gather).

        Only the follow-ups' when ``where`` (their classes) is given.
        """
        at = classes if where is None else where
        if all(v == values[0] for v in values):
            return np.full(at.size, values[0], dtype)
        gathered: np.ndarray = np.array(values, dtype)[at]
        return gathered

    pauses = [c.hold is not None and c.hold.due == "paused" for c in table]
    paused = per_class(pauses, bool, later)
    promise = per_class([c.promise_hours for c in table], float)
    held_before = any(real.hold is not None for real in realizations)
    if held_before:  # an outside order's promise counts from its question, unless paused
        before = column(lambda real: np.zeros(real.orders) if real.hold is None else real.hold,
                        lambda f: np.zeros(f.pred.size))
        promise -= np.where((kind == 0) & ~per_class(pauses, bool), before, 0.0)
        hold = np.where(kind == 0, before, 0.0)
    else:
        hold = np.zeros(size)
    follow_delay = delay[places]
    hold[places] = np.where(kinds == HOLD, follow_delay, 0.0)
    renewed = per_class([c.quality is not None and c.quality.remake_due == "renewed"
                         for c in table], bool, later)
    first = per_class([c.quality is not None and c.quality.rework_first for c in table], bool,
                      later)
    again = (kinds == REWORK) | (kinds == REMAKE)
    renew = np.ones(size, np.bool_)
    renew[places] = (kinds == REPEAT) | ((kinds == REMAKE) & renewed)
    group = np.ones(size)
    group[places] = np.where(again & first, 0.0, 1.0)
    shift = np.zeros(size)
    shift[places] = np.where((kinds == HOLD) & paused, follow_delay, 0.0)
    priority = (per_class([c.priority for c in table], float)
                if scenario.dispatch == "priority" else np.zeros(size))
    return JobBatch(
        rule=RULES[scenario.dispatch], offsets=offsets, orders=count, arrival=arrival,
        work=work, pred=pred, delay=delay, patience=patience, renew=renew,
        promise=promise, key=priority, group=group, kind=kind, owner=owner,
        order_class=classes, shift=shift, hold=hold)


def join_times(table: Jobs, finish: np.ndarray, horizon: float) -> np.ndarray:
    """When each job joined the queue (NaN: not before the horizon)."""
    join = np.full(table.size, np.nan)
    join[:table.orders] = table.arrival
    follow = np.flatnonzero(table.pred >= 0)
    with np.errstate(invalid="ignore"):
        at = finish[table.pred[follow]] + table.delay[follow]
        join[follow] = np.where(at < horizon, at, np.nan)
    return join


def due_times(table: Jobs, join: np.ndarray) -> np.ndarray:
    """Each job's due time (see the module docstring; NaN for a job that never joined).

    A job that keeps its predecessor's due takes it from the nearest job up its chain
    that sets one, plus the shifts on the way (found by pointer jumping: log(chain
    length) steps). A chain has at most one shift between a job and the job that sets
    its due (one hold per order; a repeat contact renews), so the sum is exact in any
    order and equals the engines' join-by-join sum bit for bit.
    """
    anchor = np.where(table.renew, np.arange(table.size), table.pred)
    shift = np.where(table.renew, 0.0, table.shift)  # from the job to its anchor (excluded)
    while True:
        further = anchor[anchor]
        if np.array_equal(further, anchor):
            break
        shift = shift + shift[anchor]
        anchor = further
    own = join + table.promise
    due: np.ndarray = np.where(np.isnan(join), np.nan, own[anchor] + shift)
    return due


def order_jobs(table: Jobs, join: np.ndarray) -> np.ndarray:
    """The jobs that start an order that arrived, in Records order (by arrival, then job)."""
    starts = np.flatnonzero((table.owner == np.arange(table.size)) & ~np.isnan(join))
    ordered: np.ndarray = starts[np.argsort(join[starts], kind="stable")]
    return ordered


@dataclass(frozen=True, eq=False)
class OrderView:
    """The orders a replication's jobs make up, in Records order (see the module docstring).

    ``rows`` is the job that starts each order; ``join`` (per job) when each job joined
    the queue. Per order: ``arrival`` (its join), ``due`` (that of its latest pass to
    join), ``start`` (its first pass's), ``finish`` (its last pass's, NaN unless that
    finished), ``abandon`` (when it left unserved, else NaN), ``first_finish`` (its
    first pass's finish: after a hold during the work, the rest's), ``passes`` (drawn;
    the two parts of a pass split by a hold are one), ``right_first_time`` (one pass and no
    repeat contact), ``repeat_contact`` and ``hold``: the hours it was on hold,
    counting the holds answered before the horizon, whole (a hold before the work: the
    order arrived at the answer; a hold during the work: the rest of the work joined);
    a hold still open at the horizon counts 0.
    """

    join: np.ndarray
    rows: np.ndarray
    arrival: np.ndarray
    due: np.ndarray
    order_class: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    abandon: np.ndarray
    first_finish: np.ndarray
    passes: np.ndarray
    right_first_time: np.ndarray
    repeat_contact: np.ndarray
    hold: np.ndarray


def order_view(table: Jobs, start: np.ndarray, finish: np.ndarray,
               horizon: float) -> OrderView:
    """The orders of a replication from its jobs' starts and finishes (NaN: not by then)."""
    join = join_times(table, finish, horizon)
    due = due_times(table, join)
    rows = order_jobs(table, join)
    joined = np.flatnonzero(~np.isnan(join))
    latest = np.full(table.size, -1, np.int64)
    np.maximum.at(latest, table.owner[joined], joined)
    leaves = join[rows] + table.patience[rows]
    order_start = start[rows]
    abandon = np.where(np.isnan(order_start) & (leaves < horizon), leaves, np.nan)
    repeats = np.flatnonzero(table.kind == REPEAT)
    returned = np.zeros(table.size, bool)
    returned[table.owner[table.pred[repeats]]] = True
    held = np.flatnonzero(table.kind == HOLD)  # the rest of a first pass, after a hold
    first_pass = np.arange(table.size)
    first_pass[table.owner[held]] = held
    passes = np.bincount(table.owner, minlength=table.size)[rows]
    passes = passes - np.bincount(table.owner[held], minlength=table.size)[rows]
    hold = np.bincount(table.owner[joined], weights=table.hold[joined],
                       minlength=table.size)[rows]
    return OrderView(
        join=join, rows=rows, arrival=join[rows], due=due[latest[rows]],
        order_class=table.order_class[rows], start=order_start,
        finish=finish[table.last[rows]], abandon=abandon,
        first_finish=finish[first_pass[rows]],
        passes=passes, right_first_time=(passes == 1) & ~returned[rows],
        repeat_contact=table.kind[rows] == REPEAT, hold=hold)
