"""Segment reductions equal their one-array counterparts, and a batch equals its parts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsim.engines import vectorized
from capsim.metrics import summarize, summarize_many
from capsim.sampling import sample
from capsim.segments import count_until, segment_percentiles
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


@pytest.mark.parametrize("together", [2, 5])
def test_a_batch_summarizes_like_its_parts(shifts_data, together):
    s = scenario(shifts_data)
    reals = [sample(s, r, 4) for r in range(together)]
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
