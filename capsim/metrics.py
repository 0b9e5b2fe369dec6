"""Records -> KPIs, hourly series and daily table of one replication (pure functions).

Definitions (the KPI names are part of capsim's public contract):

- *counted orders*: arrived at or after the warm-up and due within the horizon.
  ``on_time_rate`` is the share of counted orders finished by their due time
  (unfinished ones are late). Lead-time statistics use the counted orders that
  finished; ``wait_mean_hours`` those that started; ``wait_positive_share``
  counts an order never started as having waited.
- *window*: the days from the end of the warm-up to the horizon. ``utilization``
  (busy hours inside shifts / scheduled hours of technicians present),
  ``overtime_hours`` (total), and the ``on_hand_*`` statistics (technicians present
  per day, population standard deviation) are taken over the window;
  ``peak_wip`` is the most orders in-house at any time in it.
- ``orders_arrived`` counts orders arriving in the window; each is either
  ``orders_completed`` or ``orders_unfinished`` at the horizon.

A KPI with nothing to measure (no counted orders, say) is NaN.
Hourly series are instantaneous at each whole hour t = 0, 1, ..., horizon − 1:
``wip`` (arrived, not finished), ``queue`` (arrived, not started), ``busy``
(started, not finished) and ``on_hand`` (technicians on a present shift at t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.attendance import Status, is_present
from capsim.records import Records

KPI_NAMES: tuple[str, ...] = (
    "on_time_rate",
    "lead_time_mean_hours",
    "lead_time_p50_hours",
    "lead_time_p90_hours",
    "lead_time_p95_hours",
    "lead_time_p99_hours",
    "wait_mean_hours",
    "wait_positive_share",
    "utilization",
    "overtime_hours",
    "on_hand_mean",
    "on_hand_std",
    "on_hand_min",
    "peak_wip",
    "orders_arrived",
    "orders_completed",
    "orders_unfinished",
)
#: The range each KPI lives in; confidence intervals are clipped to it (the true
#: mean lies in it, so clipping never excludes it). Every other KPI is >= 0.
KPI_RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, float("inf")) for name in KPI_NAMES},
    "on_time_rate": (0.0, 1.0),
    "wait_positive_share": (0.0, 1.0),
    "utilization": (0.0, 1.0),
}
SERIES_NAMES: tuple[str, ...] = ("wip", "queue", "on_hand", "busy")
ABSENCE_REASONS: tuple[Status, ...] = (
    Status.VACATION, Status.UNPLANNED, Status.LAST_MINUTE, Status.OUTBREAK, Status.STRESS,
    Status.CLOSED,
)
DAILY_NAMES: tuple[str, ...] = (
    "orders_arrived", "orders_due", "on_time_rate", "scheduled", "on_hand",
    *(f"absent_{s.label}" for s in ABSENCE_REASONS), "covered",
    "busy_hours", "overtime_hours",
)
LEAD_TIME_PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True, eq=False)
class ReplicationSummary:
    """What an experiment keeps of one replication.

    Attributes
    ----------
    replication : int
        Its index.
    kpis : dict of str to float
        One value per name in :data:`KPI_NAMES`.
    hourly : dict of str to numpy.ndarray
        One int32 array per name in :data:`SERIES_NAMES`, one value per hour.
    daily : dict of str to numpy.ndarray
        One float array per name in :data:`DAILY_NAMES`, one value per day.
    """

    replication: int
    kpis: dict[str, float]
    hourly: dict[str, np.ndarray]
    daily: dict[str, np.ndarray]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _order_kpis(r: Records) -> dict[str, float]:
    counted = (r.arrival >= r.warmup) & (r.due <= r.horizon)
    on_time = r.finish[counted] <= r.due[counted]  # NaN (unfinished) compares False
    done = counted & ~np.isnan(r.finish)
    lead = r.finish[done] - r.arrival[done]
    started = counted & ~np.isnan(r.start)
    waited = ~(r.start[counted] <= r.arrival[counted])  # never started counts as waited
    percentiles = (np.percentile(lead, LEAD_TIME_PERCENTILES) if lead.size
                   else np.full(len(LEAD_TIME_PERCENTILES), np.nan))
    in_window = r.arrival >= r.warmup
    completed = int(np.count_nonzero(in_window & ~np.isnan(r.finish)))
    return {
        "on_time_rate": _mean(on_time),
        "lead_time_mean_hours": _mean(lead),
        **{f"lead_time_p{p}_hours": float(v)
           for p, v in zip(LEAD_TIME_PERCENTILES, percentiles, strict=True)},
        "wait_mean_hours": _mean(r.start[started] - r.arrival[started]),
        "wait_positive_share": _mean(waited),
        "orders_arrived": float(np.count_nonzero(in_window)),
        "orders_completed": float(completed),
        "orders_unfinished": float(np.count_nonzero(in_window) - completed),
    }


def _staff_kpis(r: Records) -> dict[str, float]:
    first_day = round(r.warmup / 24.0)
    present = is_present(r.status)[:, first_day:]
    hours = np.minimum(r.shift_end, r.horizon) - r.shift_start
    scheduled_hours = float(np.sum(np.where(present, hours[:, first_day:], 0.0)))
    on_hand = present.sum(axis=0)
    busy = float(r.busy_hours[:, first_day:].sum())
    return {
        "utilization": busy / scheduled_hours if scheduled_hours > 0 else float("nan"),
        "overtime_hours": float(r.overtime_hours[:, first_day:].sum()),
        "on_hand_mean": _mean(on_hand),
        "on_hand_std": float(on_hand.std()) if on_hand.size else float("nan"),
        "on_hand_min": float(on_hand.min()) if on_hand.size else float("nan"),
    }


def _sorted_or_inf(times: np.ndarray) -> np.ndarray:
    # timsort: start and finish times are sorted or nearly so
    return np.sort(np.where(np.isnan(times), np.inf, times), kind="stable")


def peak_wip(r: Records) -> float:
    """The most orders in-house (arrived, not finished) at any time in the window.

    WIP rises only at arrivals, so the peak is at the warm-up's end or just after
    an arrival (a batch counted whole).
    """
    finish = _sorted_or_inf(r.finish)
    moments = np.concatenate([[r.warmup], r.arrival[r.arrival >= r.warmup]])
    wip = (np.searchsorted(r.arrival, moments, side="right")
           - np.searchsorted(finish, moments, side="right"))
    return float(wip.max())


def hourly_series(r: Records) -> dict[str, np.ndarray]:
    """WIP, queue, busy and on-hand technicians at each whole hour."""
    hours = np.arange(int(np.floor(r.horizon)), dtype=float)

    def count(times: np.ndarray) -> np.ndarray:
        return np.searchsorted(times, hours, side="right")

    arrived, started, finished = count(r.arrival), count(_sorted_or_inf(r.start)), count(
        _sorted_or_inf(r.finish))
    present = is_present(r.status)
    on_duty = count(np.sort(r.shift_start[present])) - count(np.sort(r.shift_end[present]))
    series = {
        "wip": arrived - finished,
        "queue": arrived - started,
        "on_hand": on_duty,
        "busy": started - finished,
    }
    return {name: series[name].astype(np.int32) for name in SERIES_NAMES}


def _per_day(times: np.ndarray, days: int, weights: np.ndarray | None = None) -> np.ndarray:
    index = np.floor(times / 24.0).astype(np.int64)
    keep = (index >= 0) & (index < days)
    return np.bincount(index[keep], weights=None if weights is None else weights[keep],
                       minlength=days).astype(float)


def daily_table(r: Records) -> dict[str, np.ndarray]:
    """Per-day orders, on-time rate of orders due that day, staffing and absences."""
    days = r.days
    due_in = r.due <= r.horizon
    due = _per_day(r.due[due_in], days)
    on_time = _per_day(r.due[due_in], days, (r.finish[due_in] <= r.due[due_in]).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(due > 0, on_time / due, np.nan)
    table = {
        "orders_arrived": _per_day(r.arrival, days),
        "orders_due": due,
        "on_time_rate": rate,
        "scheduled": (r.status != Status.DAY_OFF).sum(axis=0).astype(float),
        "on_hand": is_present(r.status).sum(axis=0).astype(float),
        **{f"absent_{s.label}": (r.status == s).sum(axis=0).astype(float)
           for s in ABSENCE_REASONS},
        "covered": (r.status == Status.COVERED).sum(axis=0).astype(float),
        "busy_hours": r.busy_hours.sum(axis=0),
        "overtime_hours": r.overtime_hours.sum(axis=0),
    }
    return {name: table[name] for name in DAILY_NAMES}


def summarize(records: Records, replication: int) -> ReplicationSummary:
    """Reduce one replication's Records to what an experiment keeps."""
    kpis = {**_order_kpis(records), **_staff_kpis(records), "peak_wip": peak_wip(records)}
    return ReplicationSummary(
        replication=replication,
        kpis={name: kpis[name] for name in KPI_NAMES},
        hourly=hourly_series(records),
        daily=daily_table(records),
    )
