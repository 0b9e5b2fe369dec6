"""The fast engine's loop with workstations (``[equipment]``): the job loop and a station gate.

The rules are the reference engine's (:mod:`capsim.engines.simpy_stations`; read its
docstring first): a start needs a station up and free, the lowest-numbered such one is
taken; a failure under a job in work stalls its technician, who keeps the job and goes
on (with the work left, or all of it under ``restart``) as soon as a station is up and
free, before any new start, first stalled first (ties by technician); a failure at the
very moment the work ends does not interrupt it. The stations' down intervals are drawn
before (:mod:`capsim.equipment`), so where a job's station fails next is known when the
job starts, and a job's segment either ends or is cut at that failure.

The decisions are :mod:`capsim.engines._jobloop`'s (orders and follow-up jobs, every
dispatch rule, patience; its range queue where the queue's order is that of joining),
with two kinds of moment taken in time order: a *resumption* at the first moment from
the first stall on when a station is up and free, and a *start* at the first moment
when the heap's top technician is on duty, a job waits and a station is up and free (a
moment of both: the resumption first). A stalled technician sits in the technician heap
with key +inf (it is marked like one deciding on overtime, so that nothing moves it on
to a later duty interval) and comes back with the finish of its job. The overtime
policy is the job loop's (a technician off duty at its finish is *staying*, with that
finish as key), with the gate's one rule for it (the reference's dispatch): a staying
technician gets a job only at its finish, and only if a station is up and free then,
after every resumption of that moment; otherwise it goes home, its overtime counted to
that finish. A job it stays for is checked against the caps on its work alone (a stall
may carry it past them, as in the reference), and the week's overtime counts the time
it really stayed. Supplies are the job loop's stock gate too (deliveries and reviews
taken up to each start, an order without its units parked out of the queue and the
next one offered, the next delivery bounding the next start while the queue is empty
and orders are parked); resumptions need no units (theirs were taken at the start).
Failure times are looked up by bisection
(:func:`capsim.engines._kernel._bisect_right`: numba's ``np.searchsorted`` on a slice
cost twice the whole loop's time).

Per replication ``downtime`` holds every station's failures and back-up times,
flattened (station s's are ``[station_offsets[r, s], station_offsets[r, s + 1])``);
the interruptions are written as rows (at, resumed, lost, job) of ``hits`` from the
replication's first row ``hit_offsets[r]``, their count to ``hit_count[r]``.

Plain Python that numba compiles and caches, as ``_kernel``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from capsim.engines import _jobloop, _kernel
from capsim.engines._jobloop import (
    HOURS_PER_WEEK,
    NO_OVERTIME,
    _calls_for_overtime,
    _joins_in_order,
    _pop,
    _push,
    _unpark,
)
from capsim.engines._kernel import (
    _bisect_right,
    _duty_since,
    _first_on_duty,
    _sift_down,
    _sift_up,
)
from capsim.engines._stockloop import (
    COUNTERS,
    DELIVERIES,
    DELIVERY_TIME,
    ERROR_SUPPLY,
    PARKED,
    REVIEW_AT,
    SPEC,
    advance,
    close,
    drop,
    park,
    reset,
    starts,
)
from capsim.jobs import EDD

_HELPERS = ("_bisect_right", "_up_from", "_next_failure", "_usable_from", "_lowest_usable",
            "_earliest_usable", "_position", "_send_home")
#: Inlined (``_kernel.compile_helpers``): each runs per job or per decision. The loop
#: on Stutterfly's jobs with 12 stations: 7.37 against 8.66 ms per replication
#: (medians of 10 rounds alternated in one process); a cold first run 110 s against 102.
INLINED = _HELPERS
#: The job loop's compiled helpers this loop calls.
_SHARED = ("_sift_down", "_sift_up", "_duty_since", "_first_on_duty", "_push", "_pop",
           "_before", "_joins_in_order", "_calls_for_overtime", "_unpark", "advance", "close",
           "drop", "park", "reset", "starts")


def _up_from(fail: np.ndarray, back: np.ndarray, lo: int, hi: int, t: float) -> float:
    """The first moment at or after t when the station (its down intervals [lo, hi)) is up."""
    k = _bisect_right(fail, lo, hi, t) - 1
    while k >= lo and t < back[k]:  # down on [fail, back): up again at back
        t = back[k]
        k = _bisect_right(fail, lo, hi, t) - 1
    return t


def _next_failure(fail: np.ndarray, lo: int, hi: int, t: float) -> float:
    """The station's first failure after t (+inf: none)."""
    k = _bisect_right(fail, lo, hi, t)
    return fail[k] if k < hi else np.inf


def _usable_from(fail: np.ndarray, back: np.ndarray, offsets: np.ndarray, free_at: np.ndarray,
                 r: int, station: int, t: float) -> float:
    """The first moment at or after t when the station is free and up."""
    return _up_from(fail, back, offsets[r, station], offsets[r, station + 1],
                    max(t, free_at[station]))


def _earliest_usable(fail: np.ndarray, back: np.ndarray, offsets: np.ndarray,
                     free_at: np.ndarray, r: int, t: float) -> float:
    """The first moment at or after t when some station is free and up (+inf: none)."""
    if _lowest_usable(fail, back, offsets, free_at, r, t) >= 0:
        return t
    best = np.inf
    for station in range(free_at.size):
        best = min(best, _usable_from(fail, back, offsets, free_at, r, station, t))
    return best


def _lowest_usable(fail: np.ndarray, back: np.ndarray, offsets: np.ndarray,
                   free_at: np.ndarray, r: int, t: float) -> int:
    """The lowest-numbered station free and up at t (-1: none)."""
    for station in range(free_at.size):
        if free_at[station] <= t and _up_from(fail, back, offsets[r, station],
                                              offsets[r, station + 1], t) == t:
            return station
    return -1


def _position(tech: np.ndarray, i: int) -> int:
    """Where technician i sits in the technician heap."""
    for p in range(tech.size):
        if tech[p] == i:
            return p
    return -1


def _send_home(i: int, at: float, staying: np.ndarray, held: np.ndarray,
               week_hours: np.ndarray, shift_end: np.ndarray, tech_key: np.ndarray,
               tech: np.ndarray, begin: np.ndarray, end: np.ndarray, pointer: np.ndarray,
               r: int) -> None:
    """The heap's top ``i``, staying, goes home at ``at``: back to its next duty."""
    staying[i] = held[i] = False
    week_hours[i] += at - shift_end[i]
    _sift_down(tech_key, tech, tech.size, _duty_since(begin, end, pointer, r, i, at), i)


def _loop(arrival: np.ndarray, orders: np.ndarray, work: np.ndarray, patience: np.ndarray,
          successor: np.ndarray, pred: np.ndarray, delay: np.ndarray, renew: np.ndarray,
          shift: np.ndarray, promise: np.ndarray, key: np.ndarray, group: np.ndarray, rule: int,
          offsets: np.ndarray, begin: np.ndarray, end: np.ndarray, horizon: float,
          start: np.ndarray, finish: np.ndarray, technician: np.ndarray,
          sequence: np.ndarray, ot_when: int, ot_threshold: float, ot_risk: float,
          ot_max: float, ot_weekly: float, supplies: Any, stock: Any,
          fail: np.ndarray, back: np.ndarray,
          station_offsets: np.ndarray, restart: bool, hits: np.ndarray,
          hit_offsets: np.ndarray, hit_count: np.ndarray) -> None:
    """:func:`capsim.engines._jobloop._loop`'s decisions through the stations' gate.

    The arguments up to ``stock`` are the job loop's; then the downtime and the
    interruptions' outputs (see the module docstring).
    """
    reps, roster = begin.shape[0], begin.shape[1]
    stations = station_offsets.shape[1] - 1
    pointer = np.zeros(roster, np.int64)
    since = np.empty(roster)
    tech_key, tech = np.empty(roster), np.empty(roster, np.int64)
    size = max(work.size, 1)
    q_group, q_key, q_join = np.empty(size), np.empty(size), np.empty(size)
    q_item = np.empty(size, np.int64)
    p_time, p_item = np.empty(size), np.empty(size, np.int64)  # pending joins
    due, deadline = np.empty(size), np.empty(size)
    stalled = np.zeros(roster, np.bool_)
    staying = np.zeros(roster, np.bool_)
    held = np.zeros(roster, np.bool_)  # stalled or staying: not moved on to a later duty
    shift_end, week, week_hours = np.empty(roster), np.empty(roster), np.empty(roster)
    s_key, s_item = np.empty(max(roster, 1)), np.empty(max(roster, 1), np.int64)  # stall heap
    job_of, left_of = np.empty(roster, np.int64), np.empty(roster)
    hit_of = np.empty(roster, np.int64)
    free_at = np.empty(stations)
    stocked = supplies[SPEC].shape[0] > 0
    # the job loop's range queue, without supplies (whose parked orders rejoin in place)
    ordered = not stocked and _joins_in_order(rule, group, key)
    counters, delivery, reviews = stock[COUNTERS], stock[DELIVERY_TIME], stock[REVIEW_AT]
    for r in range(reps):
        pointer[:] = 0
        stalled[:] = False
        staying[:] = False
        held[:] = False
        week[:] = -1.0
        week_hours[:] = 0.0
        free_at[:] = -np.inf
        for i in range(roster):
            since[i] = _duty_since(begin, end, pointer, r, i, -np.inf)
        tech[:] = np.argsort(since, kind="mergesort")
        tech_key[:] = since[tech]
        head, last = offsets[r], offsets[r] + orders[r]
        queued = pending = first = n_stalled = n_hits = 0
        lower = -np.inf
        started = offsets[r]
        h0 = hit_offsets[r]
        if stocked:
            reset(r, horizon, supplies, stock)
        while not stocked or counters[ERROR_SUPPLY] < 0:
            resume = np.inf  # the next resumption
            if n_stalled > 0:
                resume = _earliest_usable(fail, back, station_offsets, free_at, r, s_key[0])
            bound = lower  # the next start: its lower bound, then the start itself
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
                bound = max(lower, upcoming)
            s, i = np.inf, -1
            while bound < resume and bound < horizon:
                i = _first_on_duty(tech_key, tech, begin, end, pointer, r, bound, held)
                if stalled[i]:
                    break  # all the others are stalled too: no start
                if staying[i] and tech_key[0] < bound:  # nothing for it at its finish
                    _send_home(i, tech_key[0], staying, held, week_hours, shift_end,
                               tech_key, tech, begin, end, pointer, r)
                    continue
                t = max(tech_key[0], bound)
                if t >= horizon or t >= resume:
                    break
                u = _earliest_usable(fail, back, station_offsets, free_at, r, t)
                if u == t:
                    s = t
                    break
                bound = u  # no station before u: the top may be off duty by then (a
                # staying one goes home at its finish, above)
            if resume <= s:
                if resume >= horizon:
                    break
                i = s_item[0]
                n_stalled -= 1
                if n_stalled > 0:
                    _sift_down(s_key, s_item, n_stalled, s_key[n_stalled], s_item[n_stalled])
                hits[h0 + hit_of[i], 1] = resume
                k, at, left = job_of[i], resume, left_of[i]
                p = _position(tech, i)
            elif s < horizon:
                if stocked and advance(s, r, horizon, supplies, stock):
                    queued = _unpark(stock, group, key, due, arrival, rule, q_group, q_key,
                                     q_join, q_item, queued)
                # arrivals and pending joins by s, in (join time, job) order: the job
                # loop's admission, written out (a helper returning a tuple, not inlined,
                # made both loops two to three times slower)
                while True:
                    if pending > 0 and p_time[0] <= s and (
                            head == last or p_time[0] < arrival[head]):
                        j, t = p_item[0], p_time[0]
                        pending -= 1
                        if pending > 0:
                            _sift_down(p_time, p_item, pending, p_time[pending],
                                       p_item[pending])
                        due[j] = t + promise[j] if renew[j] else due[pred[j]] + shift[j]
                    elif head < last and arrival[head] <= s:
                        j, t = head, arrival[head]
                        head += 1
                        due[j] = t + promise[j]
                    else:
                        break
                    deadline[j] = t + patience[j]
                    if ordered:  # the queue is [first, first + queued)
                        q_item[first + queued], q_join[first + queued] = j, t
                    else:
                        _push(q_group, q_key, q_join, q_item, queued, group[j],
                              due[j] if rule == EDD else key[j], t, j)
                    queued += 1
                home = staying[i] and not _calls_for_overtime(
                    ot_when, ot_threshold, ot_risk, s, queued, q_item[first:],
                    q_join[first:], deadline, due)
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
                    _send_home(i, s, staying, held, week_hours, shift_end, tech_key, tech,
                               begin, end, pointer, r)
                    continue
                if k < 0:
                    continue
                start[k] = s
                technician[k] = i
                sequence[started] = k
                started += 1
                lower = s
                at, left, p = s, work[k], 0
            else:
                break
            station = _lowest_usable(fail, back, station_offsets, free_at, r, at)
            lo, hi = station_offsets[r, station], station_offsets[r, station + 1]
            failure = _next_failure(fail, lo, hi, at)
            if at + left <= failure:  # the job ends on this station
                done = at + left
                free_at[station] = done
                stalled[i] = False
                if done < horizon:
                    finish[k] = done
                    j = successor[k]
                    if j >= 0 and done + delay[j] < horizon:
                        _sift_up(p_time, p_item, pending, done + delay[j], j)
                        pending += 1
                free = _duty_since(begin, end, pointer, r, i, done)
                if ot_when != NO_OVERTIME and free > done and done < horizon:  # off duty
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
                held[i] = staying[i]
            else:  # cut by the failure: stalled from then on, the job in hand
                free_at[station] = failure
                stalled[i] = held[i] = True
                worked = failure - at
                hits[h0 + n_hits, 0], hits[h0 + n_hits, 1] = failure, np.nan
                hits[h0 + n_hits, 2] = worked if restart else 0.0
                hits[h0 + n_hits, 3] = k
                hit_of[i] = n_hits
                n_hits += 1
                job_of[i], left_of[i] = k, left if restart else left - worked
                _sift_up(s_key, s_item, n_stalled, failure, i)
                n_stalled += 1
                free = np.inf
            if p == 0 and tech[0] == i:  # a start: the top's new key
                _sift_down(tech_key, tech, roster, free, i)
            elif free < np.inf:  # a resumption that ends: back from +inf
                _sift_up(tech_key, tech, p, free, i)
        hit_count[r] = n_hits
        if stocked and not close(r, horizon, supplies, stock):
            return


@functools.cache
def _compile() -> Callable[..., None] | None:
    if _jobloop.compiled() is None:
        return None
    return _kernel.compile_loop(globals(), _HELPERS, inline=INLINED, prepare=_prepare_jit)


def _prepare_jit() -> None:
    _jobloop.prepare_jit()  # the job loop's helpers, compiled in its module, shared here
    globals().update({name: getattr(_jobloop, name) for name in _SHARED})


def compiled() -> Callable[..., None] | None:
    """The compiled loop, or None without numba (or with ``CAPSIM_NO_NUMBA`` set)."""
    return _compile() if _kernel.compiled() is not None else None


def interpreted() -> Callable[..., None]:
    """The loop as plain Python (what numba compiles): slow, the same numbers."""
    return _loop
