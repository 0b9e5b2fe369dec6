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

For the orders alone this is the engines' key of old: (due, arrival index) and
(priority, arrival index) give the same order.

The order-level view (:func:`order_jobs`): the orders of a replication are the
outside orders and the repeat contacts that joined before the horizon, sorted by
arrival (join time), ties by job number; an order's first pass is its own job and its
last pass the last job it owns (:attr:`Jobs.last`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from capsim.followups import HOLD, REMAKE, REPEAT, REWORK
from capsim.sampling import Realization
from capsim.scenario import Scenario

#: ``Jobs.rule`` codes: the queue's rule key.
FIFO, EDD, PRIORITY = 0, 1, 2
RULES = {"fifo": FIFO, "edd": EDD, "priority": PRIORITY}


@dataclass(frozen=True, eq=False)
class Jobs:
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


def jobs(scenario: Scenario, realization: Realization) -> Jobs:
    """The jobs of a realization (with follow-ups or without)."""
    n = realization.orders
    follow = realization.follow_ups
    classes = realization.order_class
    order_patience = (np.full(n, np.inf) if realization.patience is None
                      else realization.patience)
    if follow is None:
        pred, delay, work = np.full(n, -1, np.int64), np.zeros(n), realization.work
        patience, kind, owner = order_patience, np.zeros(n, np.int8), np.arange(n)
    else:
        pred = np.concatenate([np.full(n, -1, np.int64), follow.pred])
        delay = np.concatenate([np.zeros(n), follow.delay])
        work = np.concatenate([realization.work, follow.work])
        patience = np.concatenate([order_patience, follow.patience])
        kind = np.concatenate([np.zeros(n, np.int8), follow.kind])
        owner = np.concatenate([np.arange(n), follow.owner])
        classes = np.concatenate([classes, follow.order_class])
    table = scenario.order_classes

    def per_class(values: list[Any], dtype: type) -> np.ndarray:
        """Each job's class's value (one value for every class: a fill, not a gather)."""
        if all(v == values[0] for v in values):
            return np.full(classes.size, values[0], dtype)
        gathered: np.ndarray = np.array(values, dtype)[classes]
        return gathered

    paused = per_class([c.hold is not None and c.hold.due == "paused" for c in table], bool)
    before = np.zeros(n) if realization.hold is None else realization.hold
    hold = np.concatenate([before, np.where(kind[n:] == HOLD, delay[n:], 0.0)])
    promise = per_class([c.promise_hours for c in table], float)
    if realization.hold is not None:
        promise[:n] -= np.where(paused[:n], 0.0, before)
    renewed = per_class([c.quality is not None and c.quality.remake_due == "renewed"
                         for c in table], bool)
    first = per_class([c.quality is not None and c.quality.rework_first for c in table], bool)
    again = (kind == REWORK) | (kind == REMAKE)
    priority = (per_class([c.priority for c in table], float)
                if scenario.dispatch == "priority" else np.zeros(work.size))
    return Jobs(
        orders=n, rule=RULES[scenario.dispatch], arrival=realization.arrival, work=work,
        pred=pred, delay=delay, patience=patience,
        renew=(kind == 0) | (kind == REPEAT) | ((kind == REMAKE) & renewed),
        promise=promise, key=priority,
        group=np.where(again & first, 0.0, 1.0), kind=kind, owner=owner, order_class=classes,
        shift=np.where((kind == HOLD) & paused, delay, 0.0), hold=hold)


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
