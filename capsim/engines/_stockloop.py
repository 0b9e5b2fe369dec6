"""The fast engine's stock: the reference engine's supplies as helpers of the compiled job loop.

The same rules as :mod:`capsim.engines.simpy_stock` (read its docstring first), in the
same order of operations, so that both engines place the same replenishment orders
at the same moments and every order starts at the same time. The job loop
(:mod:`capsim.engines._jobloop`) calls four entry points per replication:

- :func:`reset` at its start: shelves at their initial stock, and the policies' looks
  at hour 0 (a periodic review books the next one);
- :func:`advance` before every decision at s: every delivery and periodic review at
  or before s, in the reference engine's order (time, then the order the events were
  made in: its event queue's ties), so a delivery of an order placed at a review comes
  before the next review at the same instant. A delivery puts every *parked* order (a
  blocked order set aside) back: the loop returns them to the queue heap with their
  original key, so they are in their place;
- :func:`starts` when the queue's first job is offered at s: whether it has its units
  (taking them; its demand moment if the first, and the continuous-review looks then),
  and :func:`park` when it has not; :func:`drop` for an order whose patience ran out;
- :func:`advance` to the horizon at the end (deliveries and reviews after the last
  decision still count in the stock's records).

Parked orders whose patience ran out leave, with their backorder, at the next policy
look (``_expire``), as in the reference engine; one expiry entry per parked order
(the reference engine's duplicates have the same key and no further effect).

Arrays (packed by :func:`tables`): ``supplies`` is the inputs
(policy codes, the ``SPEC`` columns, lead times, backup lead times, outage windows and
the units per job), ``stock`` the state and the outputs (see :data:`STOCK`). Plain
Python that numba compiles and caches, as ``_kernel``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from capsim.engines import _kernel
from capsim.engines._kernel import _sift_down, _sift_up
from capsim.sampling import Realization
from capsim.scenario import Scenario

#: The helpers the job loop calls, compiled by :func:`compile_helpers`.
_HELPERS = ("_position", "drop", "_place", "_expire", "_look", "_review", "_receive",
            "advance", "starts", "park", "reset", "close")

#: What the job loop calls.
ENTRIES = ("advance", "drop", "park", "reset", "starts", "close")

#: Policy codes (``Supply.policy``).
BASE_STOCK, S_S, R_Q = 0, 1, 2
POLICIES = {"base_stock": BASE_STOCK, "s_S": S_S, "r_Q": R_Q}
#: Columns of the supplies' spec table.
INITIAL, ORDER_UP_TO, REORDER_POINT, QUANTITY, REVIEW = range(5)
#: Rows of the level table: on hand, on order, backordered (per supply).
ON_HAND, ON_ORDER, BACKORDERED = range(3)
#: Entries of the counters: deliveries in transit (heap size), events made so far
#: (their sequence numbers), parked orders, entries of the parked list, expiry heap
#: size, the supply that ran out of lead times (-1: none) and its order count.
DELIVERIES, EVENTS, PARKED, LISTED, EXPIRING, ERROR_SUPPLY, ERROR_COUNT = range(7)
#: A job's parked state.
NOT_PARKED, IS_PARKED, UNPARKED = 0, 1, 2
#: Rows of the flows table (per replication and supply).
RECEIVED, CONSUMED, FINAL = range(3)
#: The ``stock`` tuple's entries, in order.
STOCK = ("level", "counters", "delivery_time", "delivery_seq", "delivery_supply",
         "delivery_units", "review_at", "review_seq", "expiry_time", "expiry_item",
         "parked", "listed", "in_expiry", "allocated", "demand", "short", "blocked",
         "flows", "placed")
(LEVEL, COUNTERS, DELIVERY_TIME, DELIVERY_SEQ, DELIVERY_SUPPLY, DELIVERY_UNITS, REVIEW_AT,
 REVIEW_SEQ, EXPIRY_TIME, EXPIRY_ITEM, PARKED_STATE, PARKED_LIST, IN_EXPIRY, ALLOCATED,
 DEMAND, SHORT, BLOCKED, FLOWS, PLACED) = range(len(STOCK))
#: The ``supplies`` tuple's entries, in order.
SUPPLIES = ("policy", "spec", "lead", "backup", "has_backup", "lead_count", "outages",
            "outage_count", "need")
POLICY, SPEC, LEAD, BACKUP, HAS_BACKUP, LEAD_COUNT, OUTAGES, OUTAGE_COUNT, NEED = range(
    len(SUPPLIES))


def _position(level: np.ndarray, j: int) -> float:
    """Supply j's inventory position: on hand + on order − backordered."""
    return float(level[ON_HAND, j] + level[ON_ORDER, j] - level[BACKORDERED, j])


def drop(o: int, supplies: Any, stock: Any) -> None:
    """Job o left unserved (patience): a blocked order's backorder goes with it."""
    need, level = supplies[NEED], stock[LEVEL]
    if stock[BLOCKED][o] and not stock[ALLOCATED][o]:
        for j in range(need.shape[1]):
            if need[o, j] > 0:
                level[BACKORDERED, j] -= need[o, j]


def _place(j: int, units: float, now: float, r: int, horizon: float, supplies: Any,
           stock: Any) -> bool:
    """Order ``units`` of supply j at ``now`` (primary, or in its outage the backup).

    False (and the error counters set) when the draws hold no lead time for it.
    """
    counters, placed = stock[COUNTERS], stock[PLACED]
    lead, windows = supplies[LEAD], supplies[OUTAGES]
    k = placed[r, j]
    if k >= supplies[LEAD_COUNT][r, j]:
        counters[ERROR_SUPPLY], counters[ERROR_COUNT] = j, k
        return False
    placed[r, j] = k + 1
    stock[LEVEL][ON_ORDER, j] += units
    i = -1  # the last outage starting at or before now
    while i + 1 < supplies[OUTAGE_COUNT][r, j] and windows[r, j, i + 1, 0] <= now:
        i += 1
    if i >= 0 and now < windows[r, j, i, 1]:  # the primary is out
        if supplies[HAS_BACKUP][j]:
            arrival = now + supplies[BACKUP][r, j, k]
        else:
            arrival = windows[r, j, i, 1] + lead[r, j, k]
    else:
        arrival = now + lead[r, j, k]
    if arrival < horizon:
        seq = counters[EVENTS]
        counters[EVENTS] = seq + 1
        stock[DELIVERY_SUPPLY][seq], stock[DELIVERY_UNITS][seq] = j, units
        _sift_up(stock[DELIVERY_TIME], stock[DELIVERY_SEQ], counters[DELIVERIES], arrival, seq)
        counters[DELIVERIES] += 1
    return True


def _expire(now: float, supplies: Any, stock: Any) -> None:
    """Parked orders whose patience ran out before now leave (before a policy looks)."""
    counters, time, item = stock[COUNTERS], stock[EXPIRY_TIME], stock[EXPIRY_ITEM]
    parked = stock[PARKED_STATE]
    while counters[EXPIRING] > 0 and time[0] < now:
        o = item[0]
        n = counters[EXPIRING] - 1
        counters[EXPIRING] = n
        if n > 0:
            _sift_down(time, item, n, time[n], item[n])
        stock[IN_EXPIRY][o] = False
        if parked[o] == IS_PARKED:
            parked[o] = NOT_PARKED
            counters[PARKED] -= 1
            drop(o, supplies, stock)


def _look(j: int, now: float, r: int, horizon: float, supplies: Any, stock: Any) -> bool:
    """Supply j's policy looks at its position at ``now`` and orders what it says."""
    _expire(now, supplies, stock)
    spec, level = supplies[SPEC], stock[LEVEL]
    if supplies[POLICY][j] == R_Q:
        while _position(level, j) <= spec[j, REORDER_POINT]:
            if not _place(j, spec[j, QUANTITY], now, r, horizon, supplies, stock):
                return False
        return True
    below = spec[j, ORDER_UP_TO] - _position(level, j)
    if below > 0 and (supplies[POLICY][j] == BASE_STOCK
                      or _position(level, j) <= spec[j, REORDER_POINT]):
        return _place(j, below, now, r, horizon, supplies, stock)
    return True


def _review(j: int, now: float, r: int, horizon: float, supplies: Any, stock: Any) -> bool:
    """A periodic review of supply j at ``now``, and the next one booked (after its orders)."""
    done = _look(j, now, r, horizon, supplies, stock)
    following = now + supplies[SPEC][j, REVIEW]
    counters = stock[COUNTERS]
    if following < horizon:
        stock[REVIEW_AT][j], stock[REVIEW_SEQ][j] = following, counters[EVENTS]
        counters[EVENTS] += 1
    else:
        stock[REVIEW_AT][j] = np.inf
    return done


def _receive(j: int, units: float, r: int, stock: Any) -> None:
    """A delivery of ``units`` of supply j: on the shelf, and every parked order put back."""
    level = stock[LEVEL]
    level[ON_HAND, j] += units
    level[ON_ORDER, j] -= units
    stock[FLOWS][RECEIVED, r, j] += units
    parked, listed = stock[PARKED_STATE], stock[PARKED_LIST]
    for e in range(stock[COUNTERS][LISTED]):
        if parked[listed[e]] == IS_PARKED:
            parked[listed[e]] = UNPARKED
    stock[COUNTERS][PARKED] = 0


def advance(limit: float, r: int, horizon: float, supplies: Any, stock: Any) -> bool:
    """Every delivery and review at or before ``limit``, in order; whether a delivery came.

    The caller returns the parked list's UNPARKED orders to the queue after a delivery
    (and empties the list). Stops early when a supply runs out of lead times
    (``counters[ERROR_SUPPLY]``).
    """
    counters = stock[COUNTERS]
    time, seq = stock[DELIVERY_TIME], stock[DELIVERY_SEQ]
    review_at, review_seq = stock[REVIEW_AT], stock[REVIEW_SEQ]
    delivered = False
    while counters[ERROR_SUPPLY] < 0:
        first = -1  # the earliest review due by limit (ties: the one made first)
        for j in range(review_at.size):
            due = review_at[j]  # inf: none booked before the horizon
            if due <= limit and due < horizon and (first < 0 or due < review_at[first] or (
                    due == review_at[first] and review_seq[j] < review_seq[first])):
                first = j
        n = counters[DELIVERIES]
        if n > 0 and time[0] <= limit and (first < 0 or time[0] < review_at[first] or (
                time[0] == review_at[first] and seq[0] < review_seq[first])):
            event = seq[0]
            n -= 1
            counters[DELIVERIES] = n
            if n > 0:
                _sift_down(time, seq, n, time[n], seq[n])
            _receive(stock[DELIVERY_SUPPLY][event], stock[DELIVERY_UNITS][event], r, stock)
            delivered = True
        elif first >= 0:
            _review(first, review_at[first], r, horizon, supplies, stock)
        else:
            break
    return delivered


def starts(o: int, s: float, r: int, horizon: float, supplies: Any, stock: Any) -> bool:
    """Whether job o, offered at s, has its units (taken now); its demand moment if the first.

    Follow-up jobs need no units (their rows of ``need`` are 0).
    """
    need, spec, level = supplies[NEED], supplies[SPEC], stock[LEVEL]
    demand, short, blocked = stock[DEMAND], stock[SHORT], stock[BLOCKED]
    if stock[ALLOCATED][o]:
        return True
    uses, ready = False, True
    for j in range(need.shape[1]):
        if need[o, j] > 0:
            uses = True
            ready = ready and level[ON_HAND, j] >= need[o, j]
    if not uses:
        return True
    first = math.isnan(demand[o])
    if first:
        demand[o] = s
        for j in range(need.shape[1]):
            if need[o, j] > 0:
                short[o, j] = level[ON_HAND, j] < need[o, j]
    if ready:
        for j in range(need.shape[1]):
            if need[o, j] > 0:
                level[ON_HAND, j] -= need[o, j]
                stock[FLOWS][CONSUMED, r, j] += need[o, j]
                if blocked[o]:
                    level[BACKORDERED, j] -= need[o, j]
        stock[ALLOCATED][o] = True
    elif first:
        blocked[o] = True
        for j in range(need.shape[1]):
            if need[o, j] > 0:
                level[BACKORDERED, j] += need[o, j]
    if first:
        for j in range(need.shape[1]):
            if (need[o, j] > 0 and spec[j, REVIEW] == 0
                    and not _look(j, s, r, horizon, supplies, stock)):
                break
    return ready


def park(o: int, deadline: float, stock: Any) -> None:
    """Set blocked order o aside until the next delivery (it leaves at ``deadline``)."""
    counters = stock[COUNTERS]
    stock[PARKED_STATE][o] = IS_PARKED
    stock[PARKED_LIST][counters[LISTED]] = o
    counters[LISTED] += 1
    counters[PARKED] += 1
    if deadline < np.inf and not stock[IN_EXPIRY][o]:
        _sift_up(stock[EXPIRY_TIME], stock[EXPIRY_ITEM], counters[EXPIRING], deadline, o)
        counters[EXPIRING] += 1
        stock[IN_EXPIRY][o] = True


def reset(r: int, horizon: float, supplies: Any, stock: Any) -> None:
    """Replication r's shelves at their initial stock, and the policies' looks at hour 0."""
    spec, level, counters = supplies[SPEC], stock[LEVEL], stock[COUNTERS]
    counters[:] = 0
    counters[ERROR_SUPPLY] = -1
    for j in range(spec.shape[0]):
        level[ON_HAND, j], level[ON_ORDER, j], level[BACKORDERED, j] = spec[j, INITIAL], 0.0, 0.0
        stock[REVIEW_AT][j] = np.inf
    for j in range(spec.shape[0]):
        if counters[ERROR_SUPPLY] >= 0:
            return
        if spec[j, REVIEW] > 0:
            _review(j, 0.0, r, horizon, supplies, stock)
        else:
            _look(j, 0.0, r, horizon, supplies, stock)


def close(r: int, horizon: float, supplies: Any, stock: Any) -> bool:
    """Replication r's deliveries after its last start, and its final levels.

    False when a supply ran out of lead times (the loop stops; the caller raises).
    """
    if stock[COUNTERS][ERROR_SUPPLY] < 0:
        advance(np.inf, r, horizon, supplies, stock)
    if stock[COUNTERS][ERROR_SUPPLY] >= 0:
        return False
    for j in range(supplies[SPEC].shape[0]):
        stock[FLOWS][FINAL, r, j] = stock[LEVEL][ON_HAND, j]
    return True


def compile_helpers() -> None:
    """Compile this module's helpers in place (numba resolves their calls here).

    Called by :mod:`capsim.engines._jobloop` once ``_kernel``'s heap helpers are
    compiled; their compiled versions take the plain ones' place here too.
    """
    namespace = globals()
    for name in ("_sift_down", "_sift_up"):
        namespace[name] = getattr(_kernel, name)
    _kernel.compile_helpers(namespace, _HELPERS)


def tables(scenario: Scenario, realizations: Sequence[Realization],
                   offsets: np.ndarray, orders: np.ndarray) -> tuple[tuple[Any, ...],
                                                                     tuple[Any, ...]]:
    """The job loop's ``supplies`` and ``stock`` tuples (:data:`SUPPLIES`, :data:`STOCK`).

    Without supplies, empty tables (no rows of spec: the loop keeps no stock).
    """
    draws = [real.supplies for real in realizations]
    specs = scenario.supplies if draws and draws[0] is not None else ()
    m, reps, size = len(specs), len(realizations), int(offsets[-1])
    spec = np.array([[s.initial_stock, np.nan if s.order_up_to is None else s.order_up_to,
                      np.nan if s.reorder_point is None else s.reorder_point,
                      np.nan if s.quantity is None else s.quantity, s.review_hours]
                     for s in specs], dtype=float).reshape(m, 5)
    leads = max([d.lead[j].size for d in draws if d is not None for j in range(m)], default=1)
    windows = max([d.outages[j].shape[0] for d in draws if d is not None for j in range(m)],
                  default=1)
    leads, windows = max(leads, 1), max(windows, 1)
    lead, backup = np.full((reps, m, leads), np.nan), np.full((reps, m, leads), np.nan)
    outages = np.zeros((reps, m, windows, 2))
    lead_count, outage_count = np.zeros((reps, m), np.int64), np.zeros((reps, m), np.int64)
    need = np.zeros((size if m else 1, m))
    for r, d in enumerate(draws if m else ()):
        assert d is not None
        need[offsets[r]:offsets[r] + orders[r]] = d.need
        for j in range(m):
            lead_count[r, j] = d.lead[j].size
            lead[r, j, :d.lead[j].size] = d.lead[j]
            spare = d.backup_lead[j]
            if spare is not None:
                backup[r, j, :spare.size] = spare
            outage_count[r, j] = d.outages[j].shape[0]
            outages[r, j, :d.outages[j].shape[0]] = d.outages[j]
    reviews = sum(int(np.ceil(scenario.horizon_hours / s.review_hours)) + 2
                  for s in specs if s.review_hours > 0)
    events = int(lead_count.sum(axis=1).max(initial=0)) + reviews + 1
    supplies = (np.array([POLICIES[s.policy] for s in specs], np.int64), spec,
                lead, backup, np.array([s.backup is not None for s in specs], np.bool_),
                lead_count, outages, outage_count, need)
    jobs_ = need.shape[0]
    stock = (np.zeros((3, m)), np.zeros(8, np.int64), np.zeros(events),
             np.zeros(events, np.int64), np.zeros(events, np.int64), np.zeros(events),
             np.zeros(m), np.zeros(m, np.int64), np.zeros(jobs_), np.zeros(jobs_, np.int64),
             np.zeros(jobs_, np.int8), np.zeros(jobs_, np.int64), np.zeros(jobs_, np.bool_),
             np.zeros(jobs_, np.bool_), np.full(jobs_, np.nan), np.zeros((jobs_, m), np.bool_),
             np.zeros(jobs_, np.bool_), np.zeros((3, reps, m)), np.zeros((reps, m), np.int64))
    return supplies, stock
