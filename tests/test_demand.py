"""Arrivals: the rate function, exact NHPP sampling, forecast multiplier, batches, traces."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from capsim.demand import (
    forecast_multiplier,
    rate_at,
    rate_pieces,
    sample_poisson,
    sort_pieces,
)
from capsim.errors import CapsimWarning
from capsim.sampling import sample, sample_many
from tests.conftest import merge, mmc_data, scenario

Z = 4.0  # tolerance in standard errors; see test_validation_mmc for the reasoning

PROFILE = [0.2] * 6 + [1.0] * 6 + [2.0] * 6 + [0.8] * 6


def profiled(**changes):
    data = mmc_data(10.0, 1.0, 20, 4.0, horizon_days=14, demand={
        "hour_profile": PROFILE, "week_profile": [1, 1, 1, 1, 1, 0.5, 2.0],
        "surges": [{"start_hour": 30.5, "end_hour": 50.25, "multiplier": 3.0}]})
    return scenario(merge(data, changes))


def test_rate_is_the_product_of_profiles_and_surges():
    # day 0 is a Saturday (week profile 0.5), day 1 a Sunday (2.0), day 2 a Monday (1.0);
    # the surge [30.5, 50.25) triples the rate
    s = profiled(start_weekday=5)
    t = np.array([0.0, 7.5, 30.4999, 30.5, 50.2, 50.25, 24 * 2 + 13.0])
    expected = 10.0 * np.array([
        0.2 * 0.5,  # Sat 00:00
        1.0 * 0.5,  # Sat 07:30
        1.0 * 2.0,  # Sun 06:29, just before the surge
        1.0 * 2.0 * 3,  # Sun 06:30, surge starts (inclusive)
        0.2 * 1.0 * 3,  # Mon 02:12, still in the surge
        0.2 * 1.0,  # Mon 02:15, surge over (exclusive end)
        2.0 * 1.0,  # Mon 13:00
    ])
    np.testing.assert_allclose(rate_at(s, t), expected)


def test_pieces_break_at_hours_and_surge_edges():
    pieces = rate_pieces(profiled())
    assert {30.5, 50.25} <= set(pieces.edges.tolist())
    assert pieces.edges[0] == 0
    assert pieces.edges[-1] == 14 * 24
    mids = (pieces.edges[:-1] + pieces.edges[1:]) / 2
    np.testing.assert_allclose(pieces.rates, rate_at(profiled(), mids))


def test_nhpp_counts_per_hour_of_day_are_poisson_with_the_right_mean():
    """Over 200 independent samples, the count in each hour-of-day bucket (summed over 14
    days) is Poisson with mean ∫rate; check each bucket's mean within 4 SE and that the
    variance/mean ratio is 1 (Poisson, not over-dispersed)."""
    s = profiled()
    pieces = rate_pieces(s)
    rng = np.random.default_rng(7)
    counts = np.array([
        np.bincount(np.floor(sample_poisson(pieces, rng)).astype(int) % 24, minlength=24)
        for _ in range(200)
    ])
    hours = np.arange(24 * 14) + 0.5
    hour_mass = np.zeros(24)
    for start, end, rate in zip(pieces.edges[:-1], pieces.edges[1:], pieces.rates, strict=True):
        hour_mass[int(start) % 24] += rate * (end - start)
    assert hours.size == 336
    se = np.sqrt(hour_mass / counts.shape[0])  # Poisson: variance = mean
    z = (counts.mean(axis=0) - hour_mass) / se
    assert np.all(np.abs(z) < Z), z
    # dispersion: sum of (n-1) s²/μ over buckets is chi-square with 24·199 d.o.f.
    dispersion = ((counts.shape[0] - 1) * counts.var(axis=0, ddof=1) / hour_mass).sum()
    dof = 24 * (counts.shape[0] - 1)
    assert abs(dispersion - dof) < Z * math.sqrt(2 * dof)


def test_arrivals_are_uniform_within_pieces():
    """Conditional on the count, arrival times are uniform on each piece: the position
    within the piece, scaled to [0, 1), passes a Kolmogorov–Smirnov test (alpha = 1e-4)."""
    pieces = rate_pieces(profiled())
    times = sample_poisson(pieces, np.random.default_rng(3))
    index = np.searchsorted(pieces.edges, times, side="right") - 1
    position = (times - pieces.edges[index]) / np.diff(pieces.edges)[index]
    assert stats.kstest(position, "uniform").pvalue > 1e-4
    assert np.all(np.diff(times) >= 0)


@pytest.mark.parametrize("distribution", ["lognormal", "gamma"])
def test_forecast_multiplier_has_mean_one_and_the_given_cv(distribution):
    rng = np.random.default_rng(5)
    m = np.array([forecast_multiplier(0.2, rng, distribution) for _ in range(20_000)])
    se_mean = 0.2 / math.sqrt(m.size)
    assert abs(m.mean() - 1.0) < Z * se_mean
    assert m.std() == pytest.approx(0.2, rel=0.05)  # SE of a sample sd ≈ sd·√((κ−1)/4n) < 1 %
    assert forecast_multiplier(0.0, rng) == 1.0


def test_a_gamma_forecast_makes_the_season_count_negative_binomial():
    """Poisson counts with a gamma(1/cv², cv²) rate multiplier are negative binomial
    with n = 1/cv² and p = n / (n + Λ): a chi-square test of 3,000 seasons' counts
    against that pmf (cells with at least 5 expected), and the variance Λ + cv²Λ²."""
    cv = 0.4
    s = scenario(mmc_data(2.0, 1.0, 2, 4.0, horizon_days=1, warmup_days=0,
                          demand={"forecast_cv": cv, "forecast_distribution": "gamma"}))
    counts = np.array([r.orders for r in sample_many(s, list(range(3000)), seed=3)])
    expected_orders = rate_pieces(s, 1.0).expected_orders
    n = 1 / cv**2
    law = stats.nbinom(n, n / (n + expected_orders))
    edges = np.arange(law.ppf(0.001), law.ppf(0.999) + 1)
    observed = np.array([(counts < edges[0]).sum(),
                         *[(counts == k).sum() for k in edges],
                         (counts > edges[-1]).sum()])
    probabilities = np.array([law.cdf(edges[0] - 1), *law.pmf(edges), law.sf(edges[-1])])
    assert probabilities.sum() == pytest.approx(1.0)
    assert stats.chisquare(observed, probabilities * counts.size).pvalue > 1e-4
    variance = expected_orders + (cv * expected_orders) ** 2
    assert counts.var(ddof=1) == pytest.approx(variance, rel=0.1)  # SE of s² about 4 %


def test_forecast_scales_the_whole_season():
    s = profiled(demand={"forecast_cv": 0.3})
    real = sample(s, 0, seed=1)
    assert real.forecast_multiplier != 1.0
    expected = rate_pieces(s, real.forecast_multiplier).expected_orders
    assert abs(real.orders - expected) < Z * math.sqrt(expected)


def test_batches_arrive_together_with_their_class():
    data = mmc_data(0.0, 1.0, 2, 4.0, classes=[
        {"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}],
        demand={"batches": [{"at_hour": 5.5, "orders": 40, "class": "b"},
                            {"at_hour": 30, "orders": 7}, {"at_hour": 5000, "orders": 3}]})
    with pytest.warns(CapsimWarning, match="its orders never arrive"):
        real = sample(scenario(data), 0, seed=0)
    assert real.orders == 47  # the batch beyond the horizon never arrives
    assert np.all(real.arrival[:40] == 5.5)
    assert np.all(real.order_class[:40] == 1)
    assert np.all(real.arrival[40:] == 30.0)


def test_trace_replay(tmp_path):
    (tmp_path / "trace.csv").write_text(
        "arrival_hour,class,work_minutes\n3.5,b,12\n1.25,a,6\n2000,a,1\n")
    data = merge(mmc_data(0.0, 1.0, 2, 4.0, classes=[
        {"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]),
        {"demand": {"trace": {"file": "trace.csv"}}})
    with pytest.warns(CapsimWarning, match="1 of 3 arrivals fall at or after the horizon"):
        real = sample(scenario(data, base_dir=tmp_path), 0)
    np.testing.assert_array_equal(real.arrival, [1.25, 3.5])  # 2000 h is past the horizon
    np.testing.assert_array_equal(real.order_class, [0, 1])
    np.testing.assert_allclose(real.work, [0.1, 0.2])


def test_trace_timestamps_count_hours_from_the_origin(tmp_path):
    (tmp_path / "trace.csv").write_text(
        "timestamp\n2025-11-03T08:30:00\n2025-11-04T00:15:00\n")
    data = merge(mmc_data(0.0, 1.0, 2, 4.0), {"demand": {"trace": {"file": "trace.csv"}}})
    real = sample(scenario(data, base_dir=tmp_path), 0)
    np.testing.assert_allclose(real.arrival, [8.5, 24.25])
    data["demand"]["trace"]["origin"] = "2025-11-03T08:00:00"
    real = sample(scenario(data, base_dir=tmp_path), 0)
    np.testing.assert_allclose(real.arrival, [0.5, 16.25])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), pieces=st.integers(0, 40), per=st.sampled_from([0.5, 9.0, 60.0, 300.0]))
def test_the_arrivals_sorted_piece_by_piece_are_nps_sort_bit_for_bit(data, pieces, per):
    """Pieces of whole and of fractional hours (a surge's edges), quiet and busy ones.

    Whichever way sort_pieces sorts (row by row, or whole), its array must be np.sort's:
    with times at a piece's very edges (offsets 0 and 1 - 2**-53), a piece far busier
    than the rest, and pieces out of time order (then the rows, each sorted, do not
    follow one another and the whole is sorted again).
    """
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    cuts = rng.choice([1.0, 0.1, 1 / 3, 2.5], pieces)
    edges = np.concatenate([[0.0], np.cumsum(cuts)]) * data.draw(st.sampled_from([1.0, 7.3]))
    rates = rng.choice([0.0, per, 3 * per], pieces)
    if pieces and data.draw(st.booleans()):
        rates[rng.integers(pieces)] = 50 * per
    lengths = np.diff(edges)
    counts = rng.poisson(rates * lengths)
    offsets = rng.random(int(counts.sum()))
    offsets[rng.random(offsets.size) < 0.05] = 1.0 - 2.0**-53
    offsets[rng.random(offsets.size) < 0.05] = 0.0
    times = np.repeat(edges[:-1], counts) + offsets * np.repeat(lengths, counts)
    if data.draw(st.booleans()):  # the pieces out of order
        order = rng.permutation(pieces)
        ends = np.cumsum(counts)
        times = np.concatenate([times[ends[i] - counts[i]:ends[i]] for i in order] + [[]])
        counts = counts[order]
    np.testing.assert_array_equal(sort_pieces(times, counts), np.sort(times))
