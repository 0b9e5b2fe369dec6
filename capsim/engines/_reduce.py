"""The per-order KPI reductions of the fast pipeline, as compiled loops.

What :mod:`capsim.metrics` and :func:`capsim.records.build_records` compute from a
replication's orders (and, with follow-ups, its jobs), computed here straight from
the order and job arrays, replication by replication, without building Records:
counts and sums, exact lead-time percentiles (:mod:`capsim.engines._select`), the
lead-time histogram, peak WIP, the hourly time averages of arrivals, starts and
finishes, the per-day order counts, and busy and overtime hours per technician-day.
Every number is computed the way numpy computes it there (sums in order,
``np.percentile``'s linear rule, ``np.interp``'s formula), so the two paths agree bit
for bit; ``tests/test_fused.py`` checks that they do.

Like :mod:`capsim.engines._kernel`, the functions are plain Python that numba
compiles (and caches) when installed; the fast pipeline only uses them compiled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from capsim.engines import _kernel, _select
from capsim.engines._select import _group_percentiles

#: Columns of the ``orders`` output, one row per replication.
ORDER_COLUMNS = ("on_time_rate", "lead_time_mean_hours", "lead_time_p50_hours",
                 "lead_time_p90_hours", "lead_time_p95_hours", "lead_time_p99_hours",
                 "wait_mean_hours", "wait_positive_share", "orders_arrived",
                 "orders_completed", "orders_unfinished", "abandonment_rate",
                 "orders_abandoned", "peak_wip", "service_level", "orders_late", "late_hours")
_HELPERS = ("_ratio", "_time_average", "_cell", "_peak_wip", "_interp",
            "_busy_and_overtime", "_orders")


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom > 0 else np.nan


def _time_average(times: np.ndarray, hours: int, out: np.ndarray) -> None:
    """out[h] = the average over [h, h + 1) of #{t <= s} (capsim.segments' rule)."""
    full = np.zeros(hours + 1, np.int64)
    partial = np.zeros(hours)
    for t in times:
        if np.isnan(t):
            continue
        ceiling = np.ceil(t)
        full[int(min(max(ceiling, 0.0), hours))] += 1
        share = ceiling - t
        hour = ceiling - 1
        if share > 0 and hour >= 0 and hour < hours:
            partial[int(hour)] += share
    count = 0
    for h in range(hours):
        count += full[h]
        out[h] = count + partial[h]


def _cell(x: float, base: float, scale: float, cells: int) -> int:
    """Which of :func:`_peak_wip`'s cells time x falls in: monotone in x, 0 to cells."""
    if scale == 0.0:
        return 0
    return int(min(max((x - base) * scale, 0.0), float(cells)))


def _peak_wip(arrival: np.ndarray, finish: np.ndarray, abandon: np.ndarray,
              warmup: float) -> float:
    """The most orders in-house at the warm-up's end or just after an arrival.

    An order leaves when it finishes, or else (``finish`` NaN) when it abandons
    (``abandon``; NaN too: still in-house); ``arrival`` sorted. Just after arrival k,
    #in-house = #arrivals at or before it - #leaves f <= arrival[k]. The leaves are
    counted without sorting them or searching for each: the span of the arrivals is cut
    into as many equal cells as there are orders, and :func:`_cell` is monotone (a
    subtraction, a product and a truncation, each monotone in floating point), so every
    leave in an earlier cell than arrival k's is below it, every leave in a later one
    above it, and only the leaves in its own cell (about one) are compared. Exact
    whatever the rounding: the cells only group the comparisons. (The leaves are grouped
    by cell with a counting sort; this took 12.5 and 14.8 ns an order on Stutterfly's
    and M/M/10's orders, against 21 and 27 ns for a galloping search from each leave's
    neighbour.)
    """
    n = arrival.size
    if n == 0:
        return 0.0
    base = arrival[0]
    span = arrival[n - 1] - base
    scale = n / span if span > 0 else 0.0
    first = np.zeros(n + 2, np.int64)  # cell c's finishes: by_cell[first[c]:first[c + 1]]
    finished_by_warmup = 0
    m = 0
    for k in range(n):
        f = abandon[k] if np.isnan(finish[k]) else finish[k]
        if np.isnan(f):
            continue
        m += 1
        if f <= warmup:
            finished_by_warmup += 1
        first[_cell(f, base, scale, n) + 1] += 1
    for c in range(n + 1):
        first[c + 1] += first[c]
    fill = first.copy()
    by_cell = np.empty(m)
    for k in range(n):
        f = abandon[k] if np.isnan(finish[k]) else finish[k]
        if not np.isnan(f):
            c = _cell(f, base, scale, n)
            by_cell[fill[c]] = f
            fill[c] += 1
    peak = np.searchsorted(arrival, warmup, side="right") - finished_by_warmup
    arrived = 0
    for k in range(n):
        a = arrival[k]
        while arrived < n and arrival[arrived] <= a:
            arrived += 1
        if a < warmup:
            continue
        c = _cell(a, base, scale, n)
        finished = first[c]
        for i in range(first[c], first[c + 1]):
            finished += by_cell[i] <= a
        peak = max(peak, arrived - finished)
    return float(peak)


def _interp(x: float, xp: np.ndarray, fp: np.ndarray, j: int) -> tuple[float, int]:
    """``np.interp(x, xp, fp, left=0, right=fp[-1])`` for increasing xp, as numpy does it.

    Also the last j with xp[j] <= x, found by walking from ``j`` (any index from -1 to
    xp.size - 1): :func:`_busy_and_overtime` asks for nearby points one after another,
    so a walk from the last answer takes a step or two where a bisection took a dozen
    unpredictable branches.
    """
    while j + 1 < xp.size and xp[j + 1] <= x:
        j += 1
    while j >= 0 and xp[j] > x:
        j -= 1
    if j < 0:
        return 0.0, j
    if j >= xp.size - 1 or xp[j] == x:
        return fp[j], j
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[j], j


def _busy_and_overtime(shift_start: np.ndarray, shift_end: np.ndarray, present: np.ndarray,
                       start: np.ndarray, finish: np.ndarray, technician: np.ndarray,
                       sequence: np.ndarray, horizon: float, busy: np.ndarray,
                       overtime: np.ndarray) -> None:
    """:func:`capsim.records._busy_and_overtime` of one replication, written out.

    Its timeline sorts orders by (technician, start); a technician starts its orders
    one after the other, so grouping ``sequence`` (the orders in the order they
    started) by technician gives that order without sorting. An order not finished
    (``finish`` NaN) works until the horizon.
    """
    roster, days = present.shape
    served = 0
    while served < sequence.size and sequence[served] >= 0:
        served += 1
    if served == 0 or not present.any():
        return
    first = np.zeros(roster + 1, np.int64)  # technician i's orders: [first[i], first[i+1])
    for j in range(served):
        first[technician[sequence[j]] + 1] += 1
    first = np.cumsum(first)
    fill = first[:roster].copy()
    span = horizon + 1.0
    xp, fp = np.empty(2 * served), np.empty(2 * served)
    for j in range(served):
        k = sequence[j]
        shift = technician[k] * span
        at = fill[technician[k]]
        fill[technician[k]] += 1
        until = horizon if np.isnan(finish[k]) else finish[k]
        xp[2 * at], xp[2 * at + 1] = start[k] + shift, until + shift
    done = 0.0
    for j in range(served):
        fp[2 * j] = done
        done += xp[2 * j + 1] - xp[2 * j]
        fp[2 * j + 1] = done
    for i in range(roster):
        offset = i * span
        j = 2 * first[i] - 1  # the walks start before technician i's points
        for d in range(days):
            if not present[i, d]:
                continue
            a = shift_start[i, d]
            b = min(shift_end[i, d], horizon)
            following = horizon
            for e in range(d + 1, days):  # the technician's next present shift
                if present[i, e]:
                    following = min(shift_start[i, e], horizon)
                    break
            at_start, j = _interp(a + offset, xp, fp, j)
            at_end, j = _interp(b + offset, xp, fp, j)
            at_next, j = _interp(max(following, b) + offset, xp, fp, j)
            busy[i, d] = at_end - at_start
            overtime[i, d] = max(at_next - at_end, 0.0)


def _orders(arrival: np.ndarray, due: np.ndarray, start: np.ndarray, finish: np.ndarray,
            abandon: np.ndarray, group: np.ndarray, warmup: float, horizon: float,
            within: float, short: int, out: np.ndarray, counts: np.ndarray,
            daily: np.ndarray) -> None:
    """One replication's order KPIs (the floor's and each class's), histogram, daily counts.

    ``abandon`` is when an order abandoned (NaN: it did not). ``within`` is the
    service level's threshold (NaN: none) and ``short`` how an abandon within it
    counts (the index of its rule in :data:`capsim.records.SHORT_RULES`). ``out``
    (groups × ORDER_COLUMNS, zeroed) gets ORDER_COLUMNS but peak_wip: row 0 of all
    orders, row 1 + c (with two rows or more) of the orders of class ``group`` = c,
    each as of those orders alone (sums in the same order); ``counts`` the lead-time
    histogram and ``daily`` the orders arrived, due, and on time among those due, per
    day (all orders); all as :mod:`capsim.metrics` computes them.
    """
    per = 48
    last = counts.size - 1
    days = daily.shape[1]
    rows = 1 if out.shape[0] == 1 else 2
    # per row: counted, done, left, on time, waited, arrived, completed, gone, gone among
    # counted, met, among, late; sums: lead, wait, late hours
    tally, sums = np.zeros((out.shape[0], 12)), np.zeros((out.shape[0], 3))
    lead, lead_group = np.empty(arrival.size), np.empty(arrival.size, np.int64)
    n_done = 0
    for k in range(arrival.size):
        a, d, s, f, g = arrival[k], due[k], start[k], finish[k], abandon[k]
        day = np.floor(a / 24.0)
        if day >= 0 and day < days:
            daily[0, int(day)] += 1.0
        if d <= horizon:
            day = np.floor(d / 24.0)
            if day >= 0 and day < days:
                daily[1, int(day)] += 1.0
                daily[2, int(day)] += 1.0 if f <= d else 0.0
        mine = 1 + group[k]
        r = mine if rows == 2 else 0  # the row its counts go to (the floor's: summed below)
        if a >= warmup:
            tally[r, 5] += 1.0
            tally[r, 6] += 0.0 if np.isnan(f) else 1.0
            tally[r, 7] += 0.0 if np.isnan(g) else 1.0
        if not (a >= warmup and d <= horizon):
            continue
        on_time = f <= d
        late = not on_time and np.isnan(g)  # finished after its due time, or unfinished
        left = g if np.isnan(s) else s  # left the queue: started, or abandoned
        in_time = left - a <= within  # NaN (never left, or no threshold): False
        short_abandon = in_time and not np.isnan(g)  # abandoned within the threshold
        among = short != 0 if short_abandon else True
        met = short == 1 if short_abandon else in_time
        tally[r, 0] += 1.0
        if on_time:
            tally[r, 3] += 1.0
        elif late:
            tally[r, 11] += 1.0
            for j in range(rows):  # sums: the floor's and the class's, each in order
                sums[j * r, 2] += (horizon if np.isnan(f) else f) - d
        tally[r, 4] += 0.0 if s <= a else 1.0
        tally[r, 8] += 0.0 if np.isnan(g) else 1.0
        if not np.isnan(left):
            tally[r, 2] += 1.0
            for j in range(rows):
                sums[j * r, 1] += left - a
        tally[r, 10] += 1.0 if among else 0.0
        tally[r, 9] += 1.0 if among and met else 0.0
        if not np.isnan(f):
            tally[r, 1] += 1.0
            for j in range(rows):
                sums[j * r, 0] += f - a
        if not np.isnan(f):
            lead[n_done], lead_group[n_done] = f - a, mine
            n_done += 1
        x = np.floor((f - a) / (d - a) * per) if d > a else np.inf  # due by arrival: last
        if np.isnan(x) or x == np.inf:
            x = float(last)
        index = min(max(x, 0.0), per - 1.0) if on_time else min(max(x, float(per)), last)
        counts[int(index)] += 1
    if rows == 2:  # the floor's counts: its classes' (whole numbers, so exactly)
        for r in range(1, out.shape[0]):
            tally[0] += tally[r]
    _group_percentiles(lead[:n_done], lead_group[:n_done], out[:, 2:6])
    for r in range(out.shape[0]):
        t = tally[r]
        out[r, 0] = _ratio(t[3], t[0])
        out[r, 1] = _ratio(sums[r, 0], t[1])
        out[r, 6] = _ratio(sums[r, 1], t[2])
        out[r, 7] = _ratio(t[4], t[0])
        out[r, 8], out[r, 9], out[r, 10] = t[5], t[6], t[5] - t[6] - t[7]
        out[r, 11], out[r, 12] = _ratio(t[8], t[0]), t[7]
        out[r, 14] = np.nan if np.isnan(within) else _ratio(t[9], t[10])
        out[r, 15], out[r, 16] = t[11], sums[r, 2]


def _loop(arrival: np.ndarray, due: np.ndarray, start: np.ndarray, finish: np.ndarray,
          abandon: np.ndarray, order_class: np.ndarray, offsets: np.ndarray,
          join: np.ndarray, job_start: np.ndarray, job_finish: np.ndarray,
          technician: np.ndarray, sequence: np.ndarray,
          job_offsets: np.ndarray, jobs: bool, shift_start: np.ndarray,
          shift_end: np.ndarray, present: np.ndarray, warmup: float, horizon: float,
          within: float, short: int, orders: np.ndarray, by_class: np.ndarray,
          counts: np.ndarray, daily: np.ndarray, hourly: np.ndarray, busy: np.ndarray,
          overtime: np.ndarray) -> None:
    """Every replication's reductions; replication r's orders are [offsets[r], offsets[r+1]).

    With follow-ups (``jobs``) the passes are jobs, replication r's
    [job_offsets[r], job_offsets[r + 1]) of ``join``, ``job_start``, ``job_finish``,
    ``technician`` and ``sequence`` (the order they started); without, the jobs are
    the orders (pass the order arrays and offsets again). Outputs (zeroed by the
    caller): orders (reps × ORDER_COLUMNS), by_class (reps × classes × ORDER_COLUMNS:
    each class's orders alone, peak_wip 0, a whole-floor KPI; 0 classes: none),
    counts (reps × bins), daily (reps × 3 × days), hourly (reps × 6 × hours: orders
    arrived, finished, abandoned; jobs joined, started, finished), busy and overtime
    (reps × roster × days, from the jobs).
    """
    hours, classes = hourly.shape[2], by_class.shape[1]
    for r in range(offsets.size - 1):
        lo, hi = offsets[r], offsets[r + 1]
        a, f, g = arrival[lo:hi], finish[lo:hi], abandon[lo:hi]
        table = np.zeros((1 + classes, orders.shape[1]))
        _orders(a, due[lo:hi], start[lo:hi], f, g, order_class[lo:hi], warmup, horizon,
                within, short, table, counts[r], daily[r])
        orders[r] = table[0]
        by_class[r] = table[1:]
        orders[r, 13] = _peak_wip(a, f, g, warmup)
        _time_average(a, hours, hourly[r, 0])
        _time_average(f, hours, hourly[r, 1])
        _time_average(g, hours, hourly[r, 2])
        low, high = job_offsets[r], job_offsets[r + 1]
        ended = job_finish[low:high]
        _time_average(job_start[low:high], hours, hourly[r, 4])
        if jobs:
            _time_average(join[low:high], hours, hourly[r, 3])
            _time_average(ended, hours, hourly[r, 5])
        else:  # the jobs are the orders
            hourly[r, 3, :] = hourly[r, 0, :]
            hourly[r, 5, :] = hourly[r, 1, :]
        _busy_and_overtime(shift_start[r], shift_end[r], present[r], job_start[low:high],
                           ended, technician[low:high], sequence[low:high] - low, horizon,
                           busy[r], overtime[r])


@functools.cache
def _compile() -> Callable[..., None] | None:
    if _kernel.compiled() is None:
        return None
    return _kernel.compile_loop(globals(), _HELPERS, prepare=_prepare_jit)


def _prepare_jit() -> None:
    _select.compile_helpers()  # they call each other in their own module
    globals()["_group_percentiles"] = _select._group_percentiles


def compiled() -> Callable[..., None] | None:
    """The compiled reductions, or None without numba."""
    return _compile()
