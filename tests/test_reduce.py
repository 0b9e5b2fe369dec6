"""The compiled reductions' building blocks against numpy and brute force, exactly.

capsim.engines._select selects the lead-time percentiles' order statistics instead of
sorting, and the peak WIP counts each arrival's departures by cells of the arrivals'
span instead of sorting them; both must give numpy's (and a brute force's) numbers
exactly on any input: ties, sorted and reversed values, tiny arrays, departures far out
of order or past the last arrival, every arrival at one moment (a span of nothing).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from capsim import records
from capsim.engines import _reduce, _select
from capsim.segments import time_average_until

VALUES = st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 7.25]) | st.floats(0, 100),
                  min_size=1, max_size=300)


def compiled():
    assert _reduce.compiled() is not None, "numba is part of the dev extra"


def peak_wip(arrival, leave, warmup, abandoned):
    """The compiled peak, each order leaving by finishing, or (``abandoned``) by abandoning.

    The reductions read when an order left from two arrays, its finish and, where that
    is NaN, its abandonment: how they are split must not change the count.
    """
    finish = np.where(abandoned, np.nan, leave)
    abandon = np.where(abandoned, leave, np.nan)
    return _reduce._peak_wip(arrival, finish, abandon, warmup)


@settings(max_examples=300, deadline=None)
@given(values=VALUES, shape=st.sampled_from(["as drawn", "sorted", "reversed"]))
def test_the_percentiles_are_numpys_bit_for_bit(values, shape):
    compiled()
    x = np.array(values)
    x = {"as drawn": x, "sorted": np.sort(x), "reversed": np.sort(x)[::-1].copy()}[shape]
    out = np.zeros(len(_select.PERCENTILES))
    _select._percentiles(x, out)
    expected = np.percentile(x, [100 * q for q in _select.PERCENTILES])
    assert out.tobytes() == expected.tobytes()


def brute_peak(arrival, leave, warmup):
    """The most in-house at the warm-up's end or just after any arrival from it on."""
    moments = [warmup, *(a for a in arrival if a >= warmup)]
    gone = np.where(np.isnan(leave), np.inf, leave)
    return float(max(np.sum(arrival <= t) - np.sum(gone <= t) for t in moments))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(1, 60))
def test_peak_wip_is_the_brute_force_count(data, n):
    compiled()
    arrival = np.sort(np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, 8.0]),
                                                  min_size=n, max_size=n))))
    stay = data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5, 6.0, 30.0, np.nan]),
                              min_size=n, max_size=n))
    leave = arrival + np.array(stay)
    warmup = data.draw(st.sampled_from([0.0, 1.0, 2.0, 9.0]))
    abandoned = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assert peak_wip(arrival, leave, warmup, abandoned) == brute_peak(arrival, leave, warmup)


def _large_cases():
    rng = np.random.default_rng(5)
    skewed = rng.lognormal(0.0, 2.0, 40_000)
    return {
        "lognormal": rng.lognormal(1.0, 0.8, 40_000),
        "heavy tail": np.concatenate([skewed, [1e9, 1e12]]),
        "ties": np.round(rng.exponential(3.0, 20_000), 1),
        "sorted": np.sort(skewed[:5_000]),
        "reversed": np.sort(skewed[:5_000])[::-1].copy(),
        "ulps apart": 1.0 + np.spacing(1.0) * rng.integers(0, 50, 3_000),
        "tiny range": rng.random(2_000) * 1e-300,
        "constant": np.full(1_000, 2.5),
        "two values": np.where(rng.random(9_999) < 0.97, 1.0, 2.0),
    }


def test_the_percentiles_of_large_and_awkward_arrays_are_numpys():
    """Above a few hundred values the order statistics are found through buckets."""
    compiled()
    for name, x in _large_cases().items():
        out = np.zeros(len(_select.PERCENTILES))
        _select._percentiles(x, out)
        expected = np.percentile(x, [100 * q for q in _select.PERCENTILES])
        assert out.tobytes() == expected.tobytes(), name


def _group_case(values, labels, groups):
    """_group_percentiles' rows against np.percentile of each group's values (NaN: none)."""
    out = np.zeros((groups, len(_select.PERCENTILES)))
    _select._group_percentiles(values, labels, out)
    for g in range(groups):
        mine = values if g == 0 else values[labels == g]
        expected = (np.percentile(mine, [100 * q for q in _select.PERCENTILES]) if mine.size
                    else np.full(len(_select.PERCENTILES), np.nan))
        assert out[g].tobytes() == expected.tobytes(), g


@settings(max_examples=200, deadline=None)
@given(data=st.data(), groups=st.integers(1, 4), n=st.integers(0, 2_000),
       spread=st.sampled_from(["same", "shifted", "one tiny group", "an empty group", "ties"]))
def test_the_percentiles_of_every_group_from_one_bucketing_are_numpys(data, groups, n, spread):
    """Group 0 is every value, groups 1.. a share each; over 512 values through the buckets.

    Groups drawn apart (a group all in the lower tail, another far out, one of a single
    value, one empty) so that a group's wanted ranks fall in few of the shared buckets.
    """
    compiled()
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, max(groups, 2), n) if groups > 1 else np.ones(n, np.int64)
    values = rng.lognormal(0.0, 1.5, n)
    if spread == "shifted":
        values = values + 1000.0 * (labels - 1)
    elif spread == "one tiny group" and groups > 2:
        labels[labels == 2] = 1
        labels[:1] = 2
    elif spread == "an empty group" and groups > 2:
        labels[labels == groups - 1] = 1
    elif spread == "ties":
        values = np.round(values)
    _group_case(values, labels, groups)


def test_the_group_percentiles_of_large_and_awkward_arrays_are_numpys():
    compiled()
    rng = np.random.default_rng(9)
    for x in _large_cases().values():
        labels = 1 + (rng.random(x.size) < 0.2)  # groups 1 and 2: 80 % and 20 %
        _group_case(x, labels, 3)
        _group_case(x, np.ones(x.size, np.int64), 1)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 400))
def test_peak_wip_is_the_brute_force_count_on_continuous_times(data, n):
    """Arrivals spread or bunched (a batch: many at one moment), stays from none to long.

    The departures are counted by cells of the arrivals' span (as many cells as
    orders): long stays land far ahead or past the last arrival (the last cell), a
    bunch of ties shares one cell with the departures at that moment, and a departure
    on a cell's edge must be counted on the side its comparison puts it.
    """
    compiled()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrival = np.sort(rng.exponential(1.0, n).cumsum())
    if data.draw(st.booleans()):  # a batch: a share of the orders at one arrival's moment
        at = arrival[rng.integers(n)]
        arrival = np.sort(np.where(rng.random(n) < 0.4, at, arrival))
    stay = rng.exponential(data.draw(st.sampled_from([0.1, 3.0, 50.0])), n)
    stay[rng.random(n) < 0.1] = np.nan
    stay[rng.random(n) < 0.1] = 0.0
    leave = arrival + stay
    warmup = float(data.draw(st.sampled_from([0.0, arrival[n // 2], arrival[-1] + 1.0])))
    abandoned = rng.random(n) < 0.2
    assert peak_wip(arrival, leave, warmup, abandoned) == brute_peak(arrival, leave, warmup)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(2, 300))
def test_peak_wip_counts_departures_an_ulp_either_side_of_an_arrival(data, n):
    """Arrivals on a grid of tenths, departures a whole number of tenths later.

    k * 0.1 + j * 0.1 is often an ulp off the arrival (k + j) * 0.1, and the cells
    (n of them over the span) put such pairs in one cell or on either side of an edge:
    each must be counted as its comparison says, as the brute force counts it.
    """
    compiled()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrival = np.sort(rng.integers(0, data.draw(st.sampled_from([n, 3 * n])), n)) * 0.1
    leave = arrival + rng.integers(0, 12, n) * 0.1
    leave[rng.random(n) < 0.05] = np.nan
    warmup = float(data.draw(st.sampled_from([0.0, arrival[n // 3], arrival[-1]])))
    abandoned = rng.random(n) < 0.2
    assert peak_wip(arrival, leave, warmup, abandoned) == brute_peak(arrival, leave, warmup)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), roster=st.integers(1, 6), days=st.integers(1, 5))
def test_busy_and_overtime_are_the_records_paths_bit_for_bit(data, roster, days):
    """Each technician's jobs one after another, with gaps, ties and none at all.

    Shifts start at fractional hours, some overlap the next one or run past the
    horizon; some jobs take no time, start the moment the last one ended, or are not
    finished (NaN: worked until the horizon). The compiled reduction walks each
    technician's timeline from its last answer; capsim.records interpolates with numpy.
    """
    compiled()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    horizon = 24.0 * days
    present = rng.random((roster, days)) < data.draw(st.sampled_from([0.3, 0.8, 1.0]))
    shift_start = 24.0 * np.arange(days) + rng.choice([0.0, 6.5, 7.25, 20.0], (roster, days))
    shift_end = shift_start + rng.choice([0.5, 8.0, 9.75, 30.0], (roster, days))
    starts, finishes, technicians = [], [], []
    for i in range(roster):
        t = rng.choice([0.0, 3.3])
        for _ in range(rng.integers(0, 12)):
            t += rng.choice([0.0, 0.0, 1.5, 6.1])
            length = rng.choice([0.0, 0.7, 4.0, 13.0])
            if t >= horizon:
                break
            starts.append(t)
            technicians.append(i)
            finishes.append(t + length if t + length < horizon else np.nan)
            if np.isnan(finishes[-1]):
                break
            t += length
    start, finish = np.array(starts, float), np.array(finishes, float)
    technician = np.array(technicians, np.int64)
    sequence = np.argsort(start, kind="stable")
    busy, overtime = np.zeros((roster, days)), np.zeros((roster, days))
    _reduce._busy_and_overtime(shift_start, shift_end, present, start, finish, technician,
                               sequence, horizon, busy, overtime)
    until = np.where(np.isnan(finish), horizon, finish)
    expected = records._busy_and_overtime(shift_start, shift_end, present, start, until,
                                          technician, horizon)
    np.testing.assert_array_equal(busy, expected[0])
    np.testing.assert_array_equal(overtime, expected[1])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(0, 300), hours=st.integers(1, 30))
def test_the_hourly_time_averages_are_the_segments_ones_bit_for_bit(data, n, hours):
    """Times in order, nearly in order and shuffled; whole hours, NaN, out of range.

    Each hour's shares must be summed in the times' order, as bincount sums them, so
    that an hour whose times come in several runs (out of order) gets bincount's sum.
    (A version that summed each run in a register and added it to the hour's sum fails
    here.)
    """
    compiled()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    times = rng.uniform(-2.0, hours + 3.0, n)
    whole = rng.random(n) < 0.1
    times[whole] = rng.integers(0, hours + 1, whole.sum())  # no share of an hour
    if n:
        times[rng.random(n) < 0.1] = times[0]  # a batch: several at one moment
    times = np.sort(times)
    times[rng.random(n) < 0.05] = np.nan
    order = data.draw(st.sampled_from(["sorted", "swapped", "shuffled"]))
    if order == "swapped" and n > 1:
        i = rng.integers(0, n - 1, max(n // 10, 1))
        times[i], times[i + 1] = times[i + 1], times[i].copy()
    elif order == "shuffled":
        rng.shuffle(times)
    out = np.zeros(hours)
    _reduce._time_average(times, hours, out)
    expected = time_average_until(times, np.zeros(n, np.int64), 1, hours)[0]
    np.testing.assert_array_equal(out, expected)
