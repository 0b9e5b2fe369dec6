"""KPIs of one replication on hand-made Records, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from capsim.attendance import Status
from capsim.metrics import KPI_NAMES, hourly_series, peak_wip, summarize
from capsim.records import Records

NAN = np.nan


@pytest.fixture
def records() -> Records:
    """Two days, the first is warm-up. Orders by index:
    0: arrives in the warm-up, not counted;   1: on time, wait 1, lead 4;
    2: late (finish 33 > due 31), wait 3, lead 7;
    3: on time, no wait, lead 1;              4: never started, late;
    5: due after the horizon: not counted for on-time, but arrived in the window.
    Technician 1 is on vacation on day 1."""
    status = np.array([[0, 0], [0, Status.VACATION]], np.int8)
    start = np.array([[0.0, 24.0], [0.0, 24.0]])
    return Records(
        horizon=48.0, warmup=24.0, start_weekday=0,
        arrival=np.array([10.0, 25.0, 26.0, 27.0, 30.0, 40.0]),
        due=np.array([20.0, 30.0, 31.0, 32.0, 35.0, 50.0]),
        order_class=np.zeros(6, np.int16),
        work=np.array([2.0, 3.0, 4.0, 1.0, 1.0, 1.0]),
        start=np.array([10.0, 26.0, 29.0, 27.0, NAN, NAN]),
        finish=np.array([12.0, 29.0, 33.0, 28.0, NAN, NAN]),
        technician=np.array([0, 0, 0, 1, -1, -1], np.int32),
        status=status, shift_start=start, shift_end=start + 24,
        busy_hours=np.array([[2.0, 6.0], [1.0, 0.0]]),
        overtime_hours=np.array([[0.0, 0.5], [0.0, 0.0]]),
    )


def test_kpis_by_hand(records):
    k = summarize(records, 0).kpis
    assert list(k) == list(KPI_NAMES)
    # counted: orders 1-4; on time: 1 (29 <= 30) and 3 (28 <= 32)
    assert k["on_time_rate"] == 0.5
    assert k["lead_time_mean_hours"] == pytest.approx((4 + 7 + 1) / 3)
    assert k["lead_time_p50_hours"] == 4.0
    assert k["lead_time_p90_hours"] == pytest.approx(4 + 0.8 * 3)  # linear interpolation
    assert k["wait_mean_hours"] == pytest.approx((1 + 3 + 0) / 3)
    assert k["wait_positive_share"] == 0.75  # the never-started order counts as waiting
    assert k["utilization"] == 6.0 / 24.0  # day 1 only, technician 1 on vacation
    assert k["overtime_hours"] == 0.5
    assert (k["on_hand_mean"], k["on_hand_std"], k["on_hand_min"]) == (1.0, 0.0, 1.0)
    assert (k["orders_arrived"], k["orders_completed"], k["orders_unfinished"]) == (5, 3, 2)
    assert k["peak_wip"] == 3  # just after the arrival at 27: orders 1, 2 and 3 in-house


def test_peak_wip_counts_a_batch_whole(records):
    batch = Records(**{**records.__dict__,
                       "arrival": np.array([30.0, 30.0, 30.0]),
                       "finish": np.array([31.0, NAN, NAN]),
                       "start": np.array([30.0, 31.0, NAN]),
                       "due": np.full(3, 40.0)})
    assert peak_wip(batch) == 3


def test_hourly_series_by_hand(records):
    series = hourly_series(records)
    assert {name: len(values) for name, values in series.items()} == {
        "wip": 48, "queue": 48, "on_hand": 48, "busy": 48}
    # at t = 26: arrived 0, 1, 2; finished 0; started 0, 1
    assert (series["wip"][26], series["queue"][26], series["busy"][26]) == (2, 1, 1)
    assert series["on_hand"][5] == 2
    assert series["on_hand"][26] == 1
    assert series["wip"][47] == 2  # orders 4 and 5, never started


def test_nothing_to_measure_is_nan(records):
    empty = Records(**{**records.__dict__, **{
        name: np.empty(0) for name in ("arrival", "due", "work", "start", "finish")},
        "order_class": np.empty(0, np.int16), "technician": np.empty(0, np.int32)})
    k = summarize(empty, 0).kpis
    assert np.isnan(k["on_time_rate"])
    assert np.isnan(k["lead_time_p99_hours"])
    assert k["orders_arrived"] == 0
    assert k["peak_wip"] == 0
