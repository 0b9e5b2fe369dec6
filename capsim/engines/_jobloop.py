"""The fast engine's loop for jobs: orders plus the rework, remakes and repeat contacts they bring.

The same decisions as :func:`capsim.engines._kernel._loop` (read its docstring
first), with work that creates work (:mod:`capsim.jobs`): when a job starts, its
finish is known, and with it when its successor (if any) joins the queue, finish +
delay, if that is before the horizon. Such joins wait in a *pending* heap of (join
time, job). At a decision at time s every arrival and every pending join at or before
s enters the queue; when the queue is empty the next decision's lower bound is the
next arrival or pending join, whichever comes first. The queue is a heap of (group,
rule key, join time, job), the key :mod:`capsim.jobs` defines and the reference
engine uses; a job's due (EDD's key, by :mod:`capsim.jobs`' rules: renew, keep, keep
shifted) and patience deadline are set when it joins. Jobs join in (join time, job)
order, the arrivals and the pending joins merged; so under FIFO with one group and no
supplies (or priorities all equal) the queue's order is the order of joining, and the
queue is a plain range.
Scenarios without follow-ups keep :mod:`capsim.engines._kernel`'s loop (its FIFO
index range is faster).

Plain Python that numba compiles and caches, as ``_kernel``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from capsim.engines import _kernel, _stockloop
from capsim.engines._kernel import (
    _duty_since,
    _first_on_duty,
    _sift_down,
    _sift_up,
    compile_loop,
)
from capsim.engines._stockloop import (
    COUNTERS,
    DELIVERIES,
    DELIVERY_TIME,
    ERROR_SUPPLY,
    LISTED,
    NOT_PARKED,
    PARKED,
    PARKED_LIST,
    PARKED_STATE,
    REVIEW_AT,
    SPEC,
    UNPARKED,
    advance,
    close,
    drop,
    park,
    reset,
    starts,
)
from capsim.jobs import EDD

_HELPERS = ("_sift_down", "_sift_up", "_duty_since", "_first_on_duty", "_before", "_push",
            "_pop", "_joins_in_order", "_calls_for_overtime", "_unpark", "advance", "close",
            "drop", "park", "reset", "starts")

#: The helpers inlined into the loop (:func:`capsim.engines._kernel.compile_helpers`): the
#: technician heap's and the job queue's, called per job.
INLINED = (*_kernel.INLINED, "_before", "_push", "_pop")

#: Overtime trigger codes (``Overtime.when``); NO_OVERTIME: no policy.
NO_OVERTIME, QUEUE, OLDEST_WAIT, AT_RISK = -1, 0, 1, 2
TRIGGERS = {"queue": QUEUE, "oldest_wait": OLDEST_WAIT, "at_risk": AT_RISK}
HOURS_PER_WEEK = 168.0  # the overtime policy's weekly cap counts weeks from hour 0


def _before(a: int, b: int, group: np.ndarray, key: np.ndarray, join: np.ndarray,
            item: np.ndarray) -> bool:
    """Whether heap entry a comes before entry b: (group, key, join, item) smaller."""
    if group[a] != group[b]:
        return bool(group[a] < group[b])
    if key[a] != key[b]:
        return bool(key[a] < key[b])
    if join[a] != join[b]:
        return bool(join[a] < join[b])
    return bool(item[a] < item[b])


def _push(group: np.ndarray, key: np.ndarray, join: np.ndarray, item: np.ndarray, n: int,
          g: float, k: float, t: float, x: int) -> None:
    """Add (g, k, t, x) to the queue heap of size n (entry n is free)."""
    group[n], key[n], join[n], item[n] = g, k, t, x
    pos = n
    while pos > 0:
        parent = (pos - 1) // 2
        if not _before(pos, parent, group, key, join, item):
            break
        group[pos], group[parent] = group[parent], group[pos]
        key[pos], key[parent] = key[parent], key[pos]
        join[pos], join[parent] = join[parent], join[pos]
        item[pos], item[parent] = item[parent], item[pos]
        pos = parent


def _pop(group: np.ndarray, key: np.ndarray, join: np.ndarray, item: np.ndarray,
         n: int) -> int:
    """Remove the queue heap's first entry (size n > 0); its item."""
    top = item[0]
    n -= 1
    group[0], key[0], join[0], item[0] = group[n], key[n], join[n], item[n]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= n:
            break
        if child + 1 < n and _before(child + 1, child, group, key, join, item):
            child += 1
        if not _before(child, pos, group, key, join, item):
            break
        group[pos], group[child] = group[child], group[pos]
        key[pos], key[child] = key[child], key[pos]
        join[pos], join[child] = join[child], join[pos]
        item[pos], item[child] = item[child], item[pos]
        pos = child
    return int(top)


def _joins_in_order(rule: int, group: np.ndarray, key: np.ndarray) -> bool:
    """Whether jobs join the queue in its order, so that the queue is a range, not a heap.

    So they do with one group and one rule key (FIFO, or every priority equal).
    """
    if rule == EDD:
        return False
    for j in range(group.size):  # noqa: SIM110 - a loop numba compiles, not all() of a generator
        if group[j] != group[0] or key[j] != key[0]:
            return False
    return True


def _calls_for_overtime(when: int, threshold: float, risk: float, s: float, queued: int,
                        q_item: np.ndarray, q_join: np.ndarray, deadline: np.ndarray,
                        due: np.ndarray) -> bool:
    """Whether the overtime trigger holds at s on the queued jobs still waiting."""
    count = 0
    for e in range(queued):
        j = q_item[e]
        if s <= deadline[j]:
            if when == OLDEST_WAIT:
                if s - q_join[e] > threshold:
                    return True
            elif when == QUEUE or due[j] - s <= risk:
                count += 1
    return count > threshold


def _unpark(stock: Any, group: np.ndarray, key: np.ndarray, due: np.ndarray,
            arrival: np.ndarray, rule: int, q_group: np.ndarray, q_key: np.ndarray,
            q_join: np.ndarray, q_item: np.ndarray, queued: int) -> int:
    """After a delivery, the orders it put back rejoin the queue heap: the queue's size.

    Each rejoins with its original entry (group, key, join, item), so it is in its place.
    """
    parked, listed, counters = stock[PARKED_STATE], stock[PARKED_LIST], stock[COUNTERS]
    for e in range(counters[LISTED]):
        o = listed[e]
        if parked[o] == UNPARKED:
            parked[o] = NOT_PARKED
            _push(q_group, q_key, q_join, q_item, queued, group[o],
                  due[o] if rule == EDD else key[o], arrival[o], o)
            queued += 1
    counters[LISTED] = 0
    return queued


def _loop(arrival: np.ndarray, orders: np.ndarray, work: np.ndarray, patience: np.ndarray,
          successor: np.ndarray, pred: np.ndarray, delay: np.ndarray, renew: np.ndarray,
          shift: np.ndarray, promise: np.ndarray, key: np.ndarray, group: np.ndarray, rule: int,
          offsets: np.ndarray, begin: np.ndarray, end: np.ndarray, horizon: float,
          start: np.ndarray, finish: np.ndarray, technician: np.ndarray,
          sequence: np.ndarray, ot_when: int, ot_threshold: float, ot_risk: float,
          ot_max: float, ot_weekly: float, supplies: Any, stock: Any) -> None:
    """Replication r's jobs are [offsets[r], offsets[r + 1]), its orders the first orders[r].

    ``arrival`` is indexed like the jobs (only the orders' entries are read);
    ``successor`` and ``pred`` hold job numbers across the whole batch (-1: none);
    ``rule`` is a :mod:`capsim.jobs` rule code. Writes start, finish and technician of
    every job started (finished) before the horizon and, in ``sequence[offsets[r]:]``,
    replication r's jobs in the order they started.

    Overtime (``ot_when`` a trigger code, else NO_OVERTIME; ``ot_weekly`` inf: no weekly
    cap): a technician that finishes off duty at f is *staying*, with key f, and its
    shift end E (the end of the last duty interval before f) kept. When it is the top
    at a decision whose lower bound L exceeds f, the queue was empty at f (else the
    decision at f would have been taken at f: a top's key bounds the decisions), so it
    went home; at f itself it stays for the queue's first job iff the trigger holds and
    the job ends within ``ot_max`` of E and its week's cap, else it goes home and the
    job stays first.

    Supplies (``supplies`` and ``stock``: :mod:`capsim.engines._stockloop`'s tuples, no
    supplies when ``supplies``' spec has no rows): every delivery and review at or
    before a decision comes first; a job offered without its units is parked (out of
    the queue heap, so not counted by the overtime trigger) and the next one offered;
    while the queue is empty and orders are parked, the next delivery bounds the next
    decision too. A supply out of lead times stops the loop (``stock``'s counters say
    which; the caller raises).
    """
    reps, roster = begin.shape[0], begin.shape[1]
    pointer = np.zeros(roster, np.int64)
    since = np.empty(roster)
    tech_key, tech = np.empty(roster), np.empty(roster, np.int64)
    size = max(work.size, 1)
    q_group, q_key, q_join = np.empty(size), np.empty(size), np.empty(size)
    q_item = np.empty(size, np.int64)
    p_time, p_item = np.empty(size), np.empty(size, np.int64)  # pending joins
    due, deadline = np.empty(size), np.empty(size)
    staying = np.zeros(roster, np.bool_)
    shift_end, week, week_hours = np.empty(roster), np.empty(roster), np.empty(roster)
    stocked = supplies[SPEC].shape[0] > 0
    # without supplies (whose parked orders rejoin in their place)
    ordered = not stocked and _joins_in_order(rule, group, key)
    counters, delivery, reviews = stock[COUNTERS], stock[DELIVERY_TIME], stock[REVIEW_AT]
    for r in range(reps):
        pointer[:] = 0
        staying[:] = False
        week[:] = -1.0
        week_hours[:] = 0.0
        for i in range(roster):
            since[i] = _duty_since(begin, end, pointer, r, i, -np.inf)
        tech[:] = np.argsort(since, kind="mergesort")
        tech_key[:] = since[tech]
        head, last = offsets[r], offsets[r] + orders[r]
        queued = pending = first = 0
        lower = -np.inf
        started = offsets[r]
        if stocked:
            reset(r, horizon, supplies, stock)
        while not stocked or counters[ERROR_SUPPLY] < 0:
            if queued == 0:
                upcoming = arrival[head] if head < last else np.inf
                if pending > 0 and p_time[0] < upcoming:
                    upcoming = p_time[0]
                if stocked and counters[PARKED] > 0:  # a delivery puts them back
                    if counters[DELIVERIES] > 0 and delivery[0] < upcoming:
                        upcoming = delivery[0]
                    for j in range(reviews.size):  # a review may order one in time
                        if reviews[j] < upcoming:
                            upcoming = reviews[j]
                if upcoming >= horizon:
                    break
                lower = max(lower, upcoming)
            while True:  # the heap's top, on duty after lower or deciding on overtime
                i = _first_on_duty(tech_key, tech, begin, end, pointer, r, lower, staying)
                if not staying[i] or tech_key[0] >= lower:
                    break
                staying[i] = False  # nothing waited at its finish: it went home
                week_hours[i] += tech_key[0] - shift_end[i]
                _sift_down(tech_key, tech, roster,
                           _duty_since(begin, end, pointer, r, i, tech_key[0]), i)
            s = max(tech_key[0], lower)
            if s >= horizon:
                break
            if stocked and advance(s, r, horizon, supplies, stock):
                queued = _unpark(stock, group, key, due, arrival, rule, q_group, q_key, q_join,
                                 q_item, queued)
            while True:  # arrivals and pending joins by s, in (join time, job) order
                if pending > 0 and p_time[0] <= s and (
                        head == last or p_time[0] < arrival[head]):
                    j, t = p_item[0], p_time[0]  # an arrival on a tie: its number is lower
                    pending -= 1
                    if pending > 0:
                        _sift_down(p_time, p_item, pending, p_time[pending], p_item[pending])
                    due[j] = t + promise[j] if renew[j] else due[pred[j]] + shift[j]
                elif head < last and arrival[head] <= s:
                    j, t = head, arrival[head]
                    head += 1
                    due[j] = t + promise[j]
                else:
                    break
                deadline[j] = t + patience[j]
                if ordered:  # joins come in queue order: the queue is [first, first + queued)
                    q_item[first + queued], q_join[first + queued] = j, t
                else:
                    _push(q_group, q_key, q_join, q_item, queued, group[j],
                          due[j] if rule == EDD else key[j], t, j)
                queued += 1
            home = staying[i] and not _calls_for_overtime(
                ot_when, ot_threshold, ot_risk, s, queued, q_item[first:], q_join[first:],
                deadline, due)
            k = -1
            while not home and queued > 0:  # the queue's first job still waiting at s
                if ordered:
                    k = q_item[first]
                    first += 1
                else:
                    g, kk, t = q_group[0], q_key[0], q_join[0]
                    k = _pop(q_group, q_key, q_join, q_item, queued)
                queued -= 1
                if s <= deadline[k]:
                    if stocked and not starts(k, s, r, horizon, supplies, stock):
                        park(k, deadline[k], stock)
                        k = -1
                        continue
                    if staying[i]:
                        extra = s + work[k] - shift_end[i]
                        if extra > ot_max or week_hours[i] + extra > ot_weekly:
                            if ordered:  # it stays first
                                first -= 1
                            else:
                                _push(q_group, q_key, q_join, q_item, queued, g, kk, t, k)
                            queued += 1
                            home = True
                            k = -1
                    break
                if stocked:
                    drop(k, supplies, stock)
                k = -1  # its patience ran out: it left, unserved
            if home:
                staying[i] = False
                week_hours[i] += s - shift_end[i]
                _sift_down(tech_key, tech, roster, _duty_since(begin, end, pointer, r, i, s), i)
                continue
            if k < 0:
                continue
            start[k] = s
            technician[k] = i
            sequence[started] = k
            started += 1
            done = s + work[k]
            if done < horizon:
                finish[k] = done
                j = successor[k]
                if j >= 0 and done + delay[j] < horizon:
                    _sift_up(p_time, p_item, pending, done + delay[j], j)
                    pending += 1
            free = _duty_since(begin, end, pointer, r, i, done)
            if ot_when != NO_OVERTIME and free > done and done < horizon:  # off duty at done
                if not staying[i]:
                    staying[i] = True
                    shift_end[i] = end[r, i, pointer[i] - 1]
                    w = math.floor(shift_end[i] / HOURS_PER_WEEK)
                    if w != week[i]:
                        week[i], week_hours[i] = w, 0.0
                free = done
            elif staying[i]:  # an overtime job ran into the next duty interval
                staying[i] = False
                week_hours[i] += done - shift_end[i]
            _sift_down(tech_key, tech, roster, free, i)
            lower = s
        if stocked and not close(r, horizon, supplies, stock):
            return


@functools.cache
def _compile() -> Callable[..., None] | None:
    if _kernel.compiled() is None:
        return None
    return compile_loop(globals(), _HELPERS, inline=INLINED, prepare=prepare_jit)


@functools.cache
def prepare_jit() -> None:
    """Compile this module's helpers for numba (the station loop calls them too)."""
    _kernel.prepare_jit()
    _stockloop.compile_helpers()  # they call each other in their own module
    namespace = globals()
    for name in _stockloop.ENTRIES:
        namespace[name] = getattr(_stockloop, name)
    _kernel.compile_helpers(namespace, _HELPERS, INLINED)


def compiled() -> Callable[..., None] | None:
    """The compiled loop, or None without numba (or with ``CAPSIM_NO_NUMBA`` set)."""
    return _compile() if _kernel.compiled() is not None else None


def interpreted() -> Callable[..., None]:
    """The loop as plain Python (what numba compiles): slow, the same numbers."""
    return _loop
