"""Records -> KPIs, hourly series and daily table, replication by replication (pure functions).

Definitions (the KPI names are part of capsim's public contract):

- *counted orders*: arrived at or after the warm-up and due within the horizon.
  ``on_time_rate`` is the share of counted orders finished by their due time
  (unfinished and abandoned ones are late). Lead-time statistics use the counted
  orders that finished; ``wait_mean_hours`` those that left the queue, by starting
  or by abandoning (their wait is the time until they left: Erlang A's waiting
  time); ``wait_positive_share`` counts an order never started as having waited.
  ``abandonment_rate`` is the share of counted orders that abandoned (their
  patience ran out before anyone started on them). ``service_level`` is the share of
  counted orders whose wait was at most ``targets.answer_within_hours`` (NaN without
  one): an order never started waited longer; one that abandoned within the threshold
  is left out, met or missed as ``targets.abandoned_short`` says, and later is missed.
- *window*: the days from the end of the warm-up to the horizon. ``utilization``
  (busy hours inside shifts / scheduled hours of technicians present),
  ``overtime_hours`` (total), and the ``on_hand_*`` statistics (technicians present
  per day, population standard deviation) are taken over the window;
  ``peak_wip`` is the most orders in-house at any time in it.
- ``orders_arrived`` counts orders arriving in the window; each is exactly one of
  ``orders_completed``, ``orders_abandoned`` or ``orders_unfinished`` at the horizon.
  ``orders_late`` counts the counted orders not on time that did not abandon (finished
  late, or unfinished), and ``late_hours`` sums their lateness: finish − due, or
  horizon − due for an unfinished one.
- the cost KPIs price these (:mod:`capsim.costs`), NaN without ``[costs]``.
- Quality and returns (:mod:`capsim.followups`): an order is *finished* when its last
  pass (the right product) finishes, so ``on_time_rate`` judges the right product.
  ``perfect_order_rate``: counted orders on time, right first time and not abandoned,
  over counted orders (the on-time rate when nothing can go wrong);
  ``right_first_time_rate``: among counted orders whose first pass finished, those
  with one pass and no repeat contact; ``rework_hours``: work of the rework and remake
  passes started in the window; ``repeat_contacts``: repeat contacts arriving in the
  window (orders in their own right, in ``orders_arrived``). ``wip`` counts an order
  until its last pass finishes; ``queue`` and ``busy`` count jobs (passes).
- Information holds (:class:`capsim.scenario.Hold`): ``hold_hours`` is the hours the
  orders arriving in the window (``orders_arrived``) spent on hold for the customer's
  answer, each hold counted whole once answered before the horizon (a hold before the
  work: its order arrives at the answer, so one answered after the horizon never
  arrives; a hold during the work still open at the horizon counts 0);
  ``orders_held``: those orders with such a hold. An order on hold during the work is
  in-house (``wip``) but not in the ``queue``.
- Supplies: ``stockout_hours``, ``orders_delayed_by_stockout`` and ``fill_rate`` are
  defined in :mod:`capsim.stockouts`. An order blocked for stock is in the ``queue``.

A KPI with nothing to measure (no counted orders, say) is NaN.
*Per class* (scenarios with two or more classes): each KPI the registry marks
``per_class`` is computed by the same reduction from that class's orders alone (and
the jobs serving them: a rework pass belongs to its order's class, a repeat contact is
an order of its own class); a class with no counted orders has NaN rates, as above;
counts add up to the totals.
``lead_time_counts`` is the distribution of the counted orders' lead time against
their promise, x = lead time / (due − arrival): bin i of the first
:data:`LEAD_TIME_BINS_PER_PROMISE` × :data:`LEAD_TIME_PROMISES` holds
i ≤ x·LEAD_TIME_BINS_PER_PROMISE < i + 1, the last bin everything later (unfinished
orders included, and orders due by their arrival: a hold before the work that outlasted
the promise under ``due = "unchanged"``), except that an order finished exactly at its
due time (x = 1) is on time and counts in the bin just below the promise: the
cumulative share at the promise is exactly ``on_time_rate``.
Hourly series are time averages over each hour [h, h + 1), h = 0, 1, ..., horizon − 1:
``wip`` (arrived, not finished or abandoned), ``queue`` (arrived, not started or
abandoned), ``busy``
(started, not finished) and ``on_hand`` (technicians on a present shift). Averages,
not values at the whole hour: shifts change on the hour, and a queue that starts
draining at 06:00 would be seen at its peak every morning (Stutterfly's WIP read 0.49 %
high that way); the averages add up to the time orders spent in-house (Little's law).

The reductions work on a batch of replications of one scenario at once (orders
concatenated, technician-day tables stacked), but every number of a replication is
computed from that replication's data alone: results never depend on which
replications share a batch (or on the executor that formed it).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from capsim.attendance import Status, is_present
from capsim.batch import Batch, quality_kpis, ratio
from capsim.costs import cost_kpis
from capsim.equipment import equipment_kpis
from capsim.kpis import KPI_NAMES, KPIS, PER_CLASS
from capsim.records import Records
from capsim.segments import segment_percentiles, time_average_until
from capsim.stockouts import per_supply, stock_kpis

#: The range each KPI lives in; confidence intervals are clipped to it (the true
#: mean lies in it, so clipping never excludes it).
KPI_RANGES: dict[str, tuple[float, float]] = {k.name: k.bounds for k in KPIS}
SERIES_NAMES: tuple[str, ...] = ("wip", "queue", "on_hand", "busy")
ABSENCE_REASONS: tuple[Status, ...] = (
    Status.VACATION, Status.UNPLANNED, Status.LAST_MINUTE, Status.OUTBREAK, Status.STRESS,
    Status.CLOSED,
)
DAILY_NAMES: tuple[str, ...] = (
    "orders_arrived", "orders_due", "on_time_rate", "scheduled", "on_hand",
    *(f"absent_{s.label}" for s in ABSENCE_REASONS), "covered", "called_in", "agency",
    "busy_hours", "overtime_hours",
)
LEAD_TIME_PERCENTILES = (50, 90, 95, 99)
LEAD_TIME_BINS_PER_PROMISE = 48
LEAD_TIME_PROMISES = 4


@dataclass(frozen=True, eq=False)
class ReplicationSummary:
    """What an experiment keeps of one replication.

    Attributes
    ----------
    replication : int
        Its index.
    kpis : dict of str to float
        One value per name in :data:`capsim.kpis.KPI_NAMES`.
    hourly : mapping of str to numpy.ndarray
        One float array per name in :data:`SERIES_NAMES`, the average over each hour
        (a dict; in a long run's later replications, a :class:`capsim.spill.SpilledSeries`
        that reads it back from a temporary file).
    daily : mapping of str to numpy.ndarray
        One float array per name in :data:`DAILY_NAMES`, one value per day (the same).
    lead_time_counts : numpy.ndarray
        Counted orders per lead-time bin (see the module docstring), int64.
    by_class : dict of str to dict of str to float
        Per order class (two or more classes; else empty), one value per name in
        :data:`capsim.kpis.PER_CLASS`, from that class's orders alone.
    by_supply : dict of str to dict of str to float
        Per ``[[supplies]]`` entry (scenarios with supplies; else empty), one value per
        name in :data:`capsim.stockouts.STOCK_KPIS`, for that supply alone
        (:func:`capsim.stockouts.per_supply`).
    """

    replication: int
    kpis: dict[str, float]
    hourly: Mapping[str, np.ndarray]
    daily: Mapping[str, np.ndarray]
    lead_time_counts: np.ndarray
    by_class: dict[str, dict[str, float]] = field(default_factory=dict)
    by_supply: dict[str, dict[str, float]] = field(default_factory=dict)


def _order_kpis(b: Batch) -> dict[str, np.ndarray]:
    counted = (b.arrival >= b.warmup) & (b.due <= b.horizon)
    done = counted & ~np.isnan(b.finish)
    left_queue = b.left_queue
    waited_out = counted & ~np.isnan(left_queue)  # started, or abandoned
    abandoned = ~np.isnan(b.abandon)
    lead = b.finish - b.arrival
    with np.errstate(invalid="ignore"):
        on_time = counted & (b.finish <= b.due)  # NaN (unfinished) compares False
        waited = counted & ~(b.start <= b.arrival)  # never started counts as waited
    late = counted & ~on_time & ~abandoned
    in_window = b.arrival >= b.warmup
    arrived, completed = b.per(in_window), b.per(in_window & ~np.isnan(b.finish))
    gone = b.per(in_window & abandoned)
    n_counted, n_done = b.per(counted), b.per(done)
    percentiles = segment_percentiles(lead[done], b.rep[done], b.count, LEAD_TIME_PERCENTILES)
    return {
        "service_level": _service_level(b, counted, left_queue, abandoned),
        "on_time_rate": ratio(b.per(on_time), n_counted),
        "lead_time_mean_hours": ratio(b.per(done, lead), n_done),
        **{f"lead_time_p{p}_hours": percentiles[:, i]
           for i, p in enumerate(LEAD_TIME_PERCENTILES)},
        "wait_mean_hours": ratio(b.per(waited_out, left_queue - b.arrival),
                                  b.per(waited_out)),
        "wait_positive_share": ratio(b.per(waited), n_counted),
        "orders_arrived": arrived,
        "orders_completed": completed,
        "orders_unfinished": arrived - completed - gone,
        "abandonment_rate": ratio(b.per(counted & abandoned), n_counted),
        "orders_abandoned": gone,
        "orders_late": b.per(late),
        "late_hours": b.per(late, np.where(np.isnan(b.finish), b.horizon, b.finish) - b.due),
    }


def _service_level(b: Batch, counted: np.ndarray, left_queue: np.ndarray,
                   abandoned: np.ndarray) -> np.ndarray:
    """Share of counted orders that waited at most the threshold (see the docstring)."""
    if np.isnan(b.answer_within):
        return np.full(b.count, np.nan)
    with np.errstate(invalid="ignore"):
        within = left_queue - b.arrival <= b.answer_within  # NaN: never left, not within
    short = abandoned & within  # abandoned within the threshold
    met = counted & within if b.abandoned_short == "met" else counted & within & ~short
    among = counted & ~short if b.abandoned_short == "exclude" else counted
    return ratio(b.per(met), b.per(among))


def _lead_time_counts(b: Batch) -> np.ndarray:
    """Counted orders per bin of lead time / promise, replications × bins."""
    per, last = LEAD_TIME_BINS_PER_PROMISE, LEAD_TIME_BINS_PER_PROMISE * LEAD_TIME_PROMISES
    counted = (b.arrival >= b.warmup) & (b.due <= b.horizon)
    with np.errstate(invalid="ignore", divide="ignore"):
        # a due at or before the arrival (a hold before the work outlasted the promise):
        # late whatever happens, in the last bin
        share = np.where(b.due > b.arrival, (b.finish - b.arrival) / (b.due - b.arrival),
                         np.inf)
        on_time = b.finish <= b.due
    raw = np.nan_to_num(np.floor(share * per), nan=last, posinf=last)
    # the order's verdict decides its side of the promise, whatever the rounding
    index = np.where(on_time, np.clip(raw, 0, per - 1), np.clip(raw, per, last)).astype(np.int64)
    cells = b.rep[counted] * (last + 1) + index[counted]
    return np.bincount(cells, minlength=b.count * (last + 1)).reshape(b.count, last + 1)


def _class_kpis(b: Batch) -> list[dict[str, dict[str, float]]]:
    """Per replication, each class's per-class KPIs from its orders alone (2+ classes)."""
    if len(b.class_names) < 2:
        return [{} for _ in range(b.count)]
    per = {name: {**_order_kpis(b.only(b.order_class == c)),
                  **quality_kpis(b.quality, c)}
           for c, name in enumerate(b.class_names)}
    return [{c: {k: float(values[k][i]) for k in PER_CLASS} for c, values in per.items()}
            for i in range(b.count)]


def _staff_kpis(b: Batch) -> dict[str, np.ndarray]:
    first_day = round(b.warmup / 24.0)
    present = is_present(b.status)[:, :, first_day:]
    hours = (np.minimum(b.shift_end, b.horizon) - b.shift_start)[:, :, first_day:]
    scheduled = np.where(present, hours, 0.0).sum(axis=(1, 2))
    on_hand = present.sum(axis=1)
    empty = on_hand.shape[1] == 0
    nan = np.full(b.count, np.nan)
    return {
        "utilization": ratio(b.busy_hours[:, :, first_day:].sum(axis=(1, 2)), scheduled),
        "overtime_hours": b.overtime_hours[:, :, first_day:].sum(axis=(1, 2)),
        "on_hand_mean": nan if empty else on_hand.mean(axis=1),
        "on_hand_std": nan if empty else on_hand.std(axis=1),
        "on_hand_min": nan if empty else on_hand.min(axis=1).astype(float),
        "float_call_ins": (b.status[:, :, first_day:] == Status.FLOAT).sum(axis=(1, 2))
        .astype(float),
        "agency_days": (b.status[:, :, first_day:] == Status.AGENCY).sum(axis=(1, 2))
        .astype(float),
    }


def _peak_wip(b: Batch) -> np.ndarray:
    """The most orders in-house at any time in the window, per replication.

    WIP rises only at arrivals, so the peak is at the warm-up's end or just after an
    arrival (a batch counted whole): #arrived by then − #left (finished or abandoned)
    by then.
    """
    peak = np.zeros(b.count)
    departure = b.departure
    for r, (low, high) in enumerate(itertools.pairwise(b.offsets)):
        arrival, finish = b.arrival[low:high], departure[low:high]
        finish = np.sort(finish[~np.isnan(finish)], kind="stable")
        moments = np.concatenate([[b.warmup], arrival[arrival >= b.warmup]])
        wip = (np.searchsorted(arrival, moments, side="right")
               - np.searchsorted(finish, moments, side="right"))
        peak[r] = wip.max()
    return peak


def _hourly(b: Batch) -> dict[str, np.ndarray]:
    def count(times: np.ndarray, rep: np.ndarray = b.rep) -> np.ndarray:
        return time_average_until(times, rep, b.count, b.hours)

    arrived, started, finished = count(b.arrival), count(b.start), count(b.finish)
    gone = count(b.abandon)
    present = is_present(b.status)
    rep = np.broadcast_to(np.arange(b.count)[:, None, None], present.shape)[present]
    on_duty = count(b.shift_start[present], rep) - count(b.shift_end[present], rep)
    series = {"wip": arrived - finished - gone, "queue": arrived - started - gone,
              "on_hand": on_duty,
              "busy": started - finished}
    if any(r.jobs is not None for r in b.records):  # queue and busy count passes
        joined, began, ended = (
            np.concatenate([getattr(r, name) if r.jobs is None else getattr(r.jobs, part)
                            for r in b.records])
            for name, part in (("arrival", "join"), ("start", "start"), ("finish", "finish")))
        jobs = np.repeat(np.arange(b.count), [r.arrival.size if r.jobs is None
                                              else r.jobs.join.size for r in b.records])
        began_count = count(began, jobs)
        series["queue"] = count(joined, jobs) - began_count - gone
        series["busy"] = began_count - count(ended, jobs)
    return {name: series[name] for name in SERIES_NAMES}


def _daily(b: Batch) -> dict[str, np.ndarray]:
    def cells(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each order's (replication, day) cell, and which orders fall in a day at all."""
        index = np.floor(times / 24.0)
        keep = (index >= 0) & (index < b.days)
        return b.rep[keep] * b.days + index[keep].astype(np.int64), keep

    def per_day(cell: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        counts = np.bincount(cell, weights, minlength=b.count * b.days)
        return counts.reshape(b.count, b.days).astype(float)

    due_cell, due_kept = cells(np.where(b.due <= b.horizon, b.due, np.nan))
    with np.errstate(invalid="ignore"):
        on_time = (b.finish <= b.due)[due_kept].astype(float)
    due = per_day(due_cell)
    table = {
        "orders_arrived": per_day(cells(b.arrival)[0]),
        "orders_due": due,
        "on_time_rate": ratio(per_day(due_cell, on_time), due),
        "scheduled": (b.status != Status.DAY_OFF).sum(axis=1).astype(float),
        "on_hand": is_present(b.status).sum(axis=1).astype(float),
        **{f"absent_{s.label}": (b.status == s).sum(axis=1).astype(float)
           for s in ABSENCE_REASONS},
        "covered": (b.status == Status.COVERED).sum(axis=1).astype(float),
        "called_in": (b.status == Status.FLOAT).sum(axis=1).astype(float),
        "agency": (b.status == Status.AGENCY).sum(axis=1).astype(float),
        "busy_hours": b.busy_hours.sum(axis=1),
        "overtime_hours": b.overtime_hours.sum(axis=1),
    }
    return {name: table[name] for name in DAILY_NAMES}


def summarize_many(records: Sequence[Records], replications: Sequence[int]
                   ) -> list[ReplicationSummary]:
    """Reduce the Records of several replications of one scenario, one summary each.

    Each summary is what an experiment keeps of its replication.
    """
    if not records:
        return []
    batch = Batch(records)
    kpis = {**_order_kpis(batch), **_staff_kpis(batch), "peak_wip": _peak_wip(batch),
            **quality_kpis(batch.quality),
            **equipment_kpis([r.downtime for r in records], [r.interruptions for r in records],
                             batch.warmup, batch.horizon),
            **stock_kpis(records)}
    first = records[0]
    kpis |= cost_kpis(first.costs, first.wage if first.wage is not None else
                      np.zeros(first.status.shape[0]), batch.status, batch.shift_start,
                      batch.shift_end, batch.overtime_hours, batch.horizon, batch.warmup, kpis)
    hourly, daily, lead = _hourly(batch), _daily(batch), _lead_time_counts(batch)
    by_class = _class_kpis(batch)
    return [ReplicationSummary(
        replication=replication,
        kpis={name: float(kpis[name][i]) for name in KPI_NAMES},
        hourly={name: hourly[name][i] for name in SERIES_NAMES},
        daily={name: daily[name][i] for name in DAILY_NAMES},
        lead_time_counts=lead[i],
        by_class=by_class[i],
        by_supply=per_supply(records[i]),
    ) for i, replication in enumerate(replications)]


def summarize(records: Records, replication: int) -> ReplicationSummary:
    """Reduce one replication's Records to what an experiment keeps."""
    return summarize_many([records], [replication])[0]


def peak_wip(records: Records) -> float:
    """The most orders in-house at any time in the window (one replication)."""
    return float(_peak_wip(Batch([records]))[0])


def hourly_series(records: Records) -> dict[str, np.ndarray]:
    """WIP, queue, busy and on-hand technicians averaged over each hour (one replication)."""
    return {name: series[0] for name, series in _hourly(Batch([records])).items()}
