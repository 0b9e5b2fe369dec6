"""KPIs of one replication on hand-made Records, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from capsim.attendance import Status
from capsim.metrics import (
    KPI_NAMES,
    LEAD_TIME_BINS_PER_PROMISE,
    LEAD_TIME_PROMISES,
    hourly_series,
    peak_wip,
    summarize,
)
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
        abandon=np.full(6, NAN),
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
                       "due": np.full(3, 40.0), "abandon": np.full(3, NAN)})
    assert peak_wip(batch) == 3


def test_an_abandoned_order_by_hand(records):
    """Order 4 (arrived 30, never started) abandons at 32 instead of waiting: it leaves
    the queue and the house then, waited 2 h, and is late; the counts still add up."""
    gone = Records(**{**records.__dict__, "abandon": np.array([NAN] * 4 + [32.0, NAN])})
    k = summarize(gone, 0).kpis
    assert k["abandonment_rate"] == 0.25  # 1 of the 4 counted orders
    assert (k["orders_arrived"], k["orders_completed"], k["orders_abandoned"],
            k["orders_unfinished"]) == (5, 3, 1, 1)
    assert k["on_time_rate"] == 0.5
    assert k["wait_mean_hours"] == pytest.approx((1 + 3 + 0 + 2) / 4)
    series, before = hourly_series(gone), hourly_series(records)
    assert series["wip"][31] == before["wip"][31]  # still in-house during [31, 32)
    assert series["wip"][32] == before["wip"][32] - 1
    assert series["queue"][32] == before["queue"][32] - 1


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
        name: np.empty(0) for name in ("arrival", "due", "work", "start", "finish",
                                        "abandon")},
        "order_class": np.empty(0, np.int16), "technician": np.empty(0, np.int32)})
    k = summarize(empty, 0).kpis
    assert np.isnan(k["on_time_rate"])
    assert np.isnan(k["lead_time_p99_hours"])
    assert k["orders_arrived"] == 0
    assert k["peak_wip"] == 0


def test_lead_time_counts_by_hand(records):
    """Counted orders 1-4, promise 5 h: lead/promise 0.8, 1.4, 0.2 and unfinished."""
    counts = summarize(records, 0).lead_time_counts
    assert counts.size == LEAD_TIME_BINS_PER_PROMISE * LEAD_TIME_PROMISES + 1
    expected = np.zeros(counts.size, np.int64)
    for share in (0.8, 1.4, 0.2):  # bin i holds shares in [i/48, (i+1)/48)
        expected[int(share * LEAD_TIME_BINS_PER_PROMISE)] += 1
    expected[-1] += 1  # order 4 never finished
    np.testing.assert_array_equal(counts, expected)


def test_lead_time_counts_split_at_the_promise_like_on_time_rate(records):
    """Finished exactly at the due time: on time, at or below the promise; one float
    later: late, above it. The cumulative share at the promise is the on-time rate."""
    due = 25.1 + 0.3
    edge = Records(**{**records.__dict__,
                      "arrival": np.array([25.1, 25.1, 26.0]),
                      "due": np.array([due, due, 30.0]),
                      "finish": np.array([due, np.nextafter(due, np.inf), 26.0]),
                      "start": np.array([25.1, 25.1, 26.0]),
                      "order_class": np.zeros(3, np.int16), "work": np.ones(3),
                      "technician": np.zeros(3, np.int32), "abandon": np.full(3, NAN)})
    summary = summarize(edge, 0)
    counts = summary.lead_time_counts
    at_promise = counts[:LEAD_TIME_BINS_PER_PROMISE].sum()
    assert at_promise / counts.sum() == summary.kpis["on_time_rate"] == 2 / 3
    assert counts[0] == 1  # a zero lead time is in the first bin
    assert counts[LEAD_TIME_BINS_PER_PROMISE - 1] == 1  # at the due time: on time
    assert counts[LEAD_TIME_BINS_PER_PROMISE] == 1  # a float later: late


def test_lead_time_counts_against_a_histogram_of_a_simulated_season(shifts_data):
    """Two classes with different promises, a tight roster: the counts are the
    histogram of lead time / promise (late or unfinished beyond 4 promises in the last
    bin), and the cumulative share at the promise is the on-time rate, exactly."""
    from capsim.engines import simpy_model
    from capsim.results import RunResult
    from capsim.sampling import sample
    from tests.conftest import merge, scenario

    data = merge(shifts_data, {"classes": [
        {"name": "rush", "share": 0.3, "promise_hours": 4.0},
        {"name": "standard", "share": 0.7}], "workforce": {"roster": 16}})
    s = scenario(data)
    records = simpy_model.simulate(s, sample(s, 0, seed=11))
    summary = summarize(records, 0)
    counted = (records.arrival >= records.warmup) & (records.due <= records.horizon)
    share = ((records.finish - records.arrival) / (records.due - records.arrival))[counted]
    edges = np.arange(LEAD_TIME_BINS_PER_PROMISE * LEAD_TIME_PROMISES + 1)
    histogram, _ = np.histogram(share[~np.isnan(share)], edges / LEAD_TIME_BINS_PER_PROMISE)
    beyond = np.isnan(share).sum() + (share > LEAD_TIME_PROMISES).sum()
    assert beyond > 0  # both sides of the promise exercised
    assert 0.2 < summary.kpis["on_time_rate"] < 0.98
    np.testing.assert_array_equal(summary.lead_time_counts, [*histogram, beyond])
    result = RunResult(s, 11, 1, "simpy", (summary,))
    cdf = result.lead_time_cdf()
    assert cdf[0, LEAD_TIME_BINS_PER_PROMISE - 1] == summary.kpis["on_time_rate"]
    assert cdf[0, -1] == 1.0
