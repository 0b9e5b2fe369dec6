"""Work-content distributions, the seed tree, and common random numbers in sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from capsim.distributions import WorkDistribution, work_distribution
from capsim.rng import stream, technician_stream
from capsim.sampling import sample
from capsim.scenario import Work
from tests.conftest import STUTTERFLY, merge, scenario

N = 200_000


@pytest.mark.parametrize("spec", [
    {"distribution": "fixed", "mean_minutes": 4.8},
    {"distribution": "exponential", "mean_minutes": 4.8},
    {"distribution": "lognormal", "mean_minutes": 4.8, "cv": 0.8},
    {"distribution": "gamma", "mean_minutes": 4.8, "cv": 0.5},
    {"distribution": "gamma", "mean_minutes": 4.8, "cv": 2.0},
])
def test_distribution_mean_and_cv(spec):
    """Sample mean within 4 SE (SE = cv·mean/√n); sample cv within 4 % (at n = 2e5 its
    SE is below 1 % for these shapes, lognormal cv 0.8 included)."""
    dist = work_distribution(Work(**spec))
    x = dist.sample(np.random.default_rng(11), N)
    assert abs(x.mean() - dist.mean) <= 4 * dist.cv * dist.mean / math.sqrt(N) + 1e-12
    assert x.std() / x.mean() == pytest.approx(dist.cv, abs=0.04 * max(dist.cv, 1e-9))
    assert np.all(x > 0)


def test_empirical_resamples_the_values():
    dist = WorkDistribution("empirical", 4.0, 0.5, (2.0, 4.0, 6.0))
    x = dist.sample(np.random.default_rng(1), 30_000)
    assert set(np.unique(x)) == {2.0, 4.0, 6.0}
    shares = np.bincount((x / 2).astype(int))[1:] / x.size
    np.testing.assert_allclose(shares, 1 / 3, atol=4 * math.sqrt(2 / 9 / x.size))


def test_streams_are_named_and_independent_of_each_other():
    a = stream(1, 0, "arrivals").random(3)
    assert np.array_equal(a, stream(1, 0, "arrivals").random(3))
    assert not np.array_equal(a, stream(1, 0, "work").random(3))
    assert not np.array_equal(a, stream(1, 1, "arrivals").random(3))
    assert not np.array_equal(a, stream(2, 0, "arrivals").random(3))
    # the replication child equals SeedSequence(seed).spawn(...)[r]
    child = np.random.SeedSequence(1).spawn(3)[2]
    grand = child.spawn(7)[0]  # purpose "arrivals" = 0
    assert np.array_equal(stream(1, 2, "arrivals").random(3),
                          np.random.Generator(np.random.PCG64(grand)).random(3))
    t = technician_stream(1, 0, 4, "absence").random(2)
    assert not np.array_equal(t, technician_stream(1, 0, 5, "absence").random(2))


def test_same_seed_same_realization():
    s = scenario(_stutterfly_data())
    a, b = sample(s, 3, seed=9), sample(s, 3, seed=9)
    for field in ("arrival", "order_class", "work", "status", "shift_start"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = sample(s, 4, seed=9)
    assert a.orders != c.orders or not np.array_equal(a.arrival, c.arrival)


def _stutterfly_data():
    import tomllib

    return tomllib.loads(STUTTERFLY.read_text())


def test_adding_a_technician_changes_no_one_else_and_no_order():
    """Common random numbers: roster n + 1 has the same orders and the same first n
    technicians (schedule and attendance) as roster n, for every replication."""
    data = _stutterfly_data()
    for roster in (9, 10, 13, 16):
        small = scenario(merge(data, {"workforce": {"roster": roster}}))
        large = scenario(merge(data, {"workforce": {"roster": roster + 1}}))
        for replication in range(3):
            a, b = sample(small, replication), sample(large, replication)
            np.testing.assert_array_equal(a.arrival, b.arrival)
            np.testing.assert_array_equal(a.order_class, b.order_class)
            np.testing.assert_array_equal(a.work, b.work)
            np.testing.assert_array_equal(a.status, b.status[:roster])
            np.testing.assert_array_equal(a.shift_start, b.shift_start[:roster])
            np.testing.assert_array_equal(a.shift_end, b.shift_end[:roster])
