"""Segment reductions equal their one-array counterparts, and a batch equals its parts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsim.engines import vectorized
from capsim.metrics import summarize, summarize_many
from capsim.sampling import sample
from capsim.segments import count_until, segment_percentiles, time_average_until
from tests.conftest import scenario

values = st.lists(st.floats(0, 100, allow_nan=False), min_size=0, max_size=30)


@settings(max_examples=200, deadline=None)
@given(groups=st.lists(values, min_size=1, max_size=6))
def test_segment_percentiles_equal_numpy_bit_for_bit(groups):
    flat = np.array([x for g in groups for x in g], dtype=float)
    segment = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    got = segment_percentiles(flat, segment, len(groups), (0, 37.5, 50, 90, 95, 99, 100))
    for i, g in enumerate(groups):
        if g:
            expected = np.percentile(np.array(g), (0, 37.5, 50, 90, 95, 99, 100))
            np.testing.assert_array_equal(got[i], expected)
        else:
            assert np.all(np.isnan(got[i]))


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.lists(st.one_of(st.floats(0, 12), st.just(float("nan")),
                                          st.integers(0, 12).map(float)), max_size=20),
                       min_size=1, max_size=5))
def test_count_until_is_a_brute_force_count(groups):
    flat = np.array([x for g in groups for x in g], dtype=float)
    segment = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    got = count_until(flat, segment, len(groups), 10)
    for i, g in enumerate(groups):
        expected = [sum(1 for x in g if x <= h) for h in range(10)]  # NaN <= h is False
        assert got[i].tolist() == expected


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.lists(st.one_of(st.floats(0, 12), st.just(float("nan")),
                                          st.integers(0, 12).map(float)), max_size=20),
                       min_size=1, max_size=5))
def test_time_average_until_is_the_integral_over_each_hour(groups):
    """∫_h^{h+1} 1{t <= s} ds = clip(h + 1 − t, 0, 1), summed over the segment's times."""
    flat = np.array([x for g in groups for x in g], dtype=float)
    segment = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    got = time_average_until(flat, segment, len(groups), 10)
    for i, g in enumerate(groups):
        expected = [sum(min(max(h + 1 - x, 0.0), 1.0) for x in g if not np.isnan(x))
                    for h in range(10)]
        np.testing.assert_allclose(got[i], expected, rtol=0, atol=1e-12)


def test_hourly_wip_adds_up_to_the_hours_orders_spent_in_house(shifts_data):
    """Little's law without sampling error: the hourly averages of WIP sum to the total
    time orders spent in-house within the horizon; busy hours likewise."""
    s = scenario(shifts_data)
    for replication in range(3):
        record = vectorized.simulate(s, sample(s, replication, seed=8))
        series = summarize(record, replication).hourly
        horizon = record.horizon
        until = np.where(np.isnan(record.finish), horizon, np.minimum(record.finish, horizon))
        in_house = np.sum(until - record.arrival)
        assert series["wip"].sum() == pytest.approx(in_house, rel=1e-12)
        started = ~np.isnan(record.start)
        assert series["busy"].sum() == pytest.approx(
            np.sum(until[started] - record.start[started]), rel=1e-12)


@pytest.mark.parametrize("together", [2, 5])
def test_a_batch_summarizes_like_its_parts(shifts_data, together):
    s = scenario(shifts_data)
    reals = [sample(s, r, seed=4) for r in range(together)]
    records = vectorized.simulate_many(s, reals)
    batch = summarize_many(records, list(range(together)))
    for i, record in enumerate(records):
        alone = summarize(record, i)
        assert batch[i].kpis.keys() == alone.kpis.keys()
        np.testing.assert_array_equal(list(batch[i].kpis.values()), list(alone.kpis.values()))
        for name in alone.hourly:
            np.testing.assert_array_equal(batch[i].hourly[name], alone.hourly[name])
        for name in alone.daily:
            np.testing.assert_array_equal(batch[i].daily[name], alone.daily[name])
