"""Confidence intervals: their definitions, and whether they cover what they claim to.

Coverage is checked where the truth is known exactly: samples from distributions with a
known mean, and samples drawn from a finite population of simulated KPI values (a
population's mean is known exactly; each experiment draws its replications from it, as
the simulation draws seasons). Coverage estimates from E experiments have a standard
error of sqrt(0.95 · 0.05 / E); the bands are the issue's 93–97 %, several standard
errors wide at the E used, and the generators are seeded so that the tests are
deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from capsim.experiment import run
from capsim.scenario import load_scenario
from capsim.stats import (
    difference_interval,
    mean_interval,
    needed_replications,
    skewness,
    t_interval,
    welch_interval,
    wilson_interval,
)
from tests.conftest import ROOT

BAND = (0.93, 0.97)


def coverage(samples: np.ndarray, truth: float, method=mean_interval) -> float:
    hits = [(iv := method(x)).ci_low <= truth <= iv.ci_high for x in samples]
    return float(np.mean(hits))


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_wilson_intervals_always_contain_their_estimate(level):
    """At 0 and n successes the formula's bounds are exactly 0 and 1 in exact arithmetic,
    but floating point left them an ulp inside (0.9999999999999999 with every one of 10
    seasons meeting the target), outside the estimate: the report's error bars failed."""
    for n in range(1, 400):
        for k in {0, 1, n // 2, n - 1, n}:
            iv = wilson_interval(k, n, level)
            assert iv.ci_low <= iv.mean <= iv.ci_high, (k, n, iv)
        assert wilson_interval(n, n, level).ci_high == 1.0
        assert wilson_interval(0, n, level).ci_low == 0.0


def test_mean_intervals_contain_their_estimate_even_when_clipped():
    rng = np.random.default_rng(5)
    for n in (2, 3, 5, 20, 200):
        for _ in range(200):
            x = np.minimum(rng.beta(0.3, 0.05, n), 1.0)
            for iv in (mean_interval(x, 0.95, (0.0, 1.0)), t_interval(x, 0.95, (0.0, 1.0))):
                assert 0.0 <= iv.ci_low <= iv.mean <= iv.ci_high <= 1.0


def test_for_symmetric_values_it_is_the_t_interval():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert skewness(x) == 0.0
    hall, student = mean_interval(x, 0.9), t_interval(x, 0.9)
    assert hall.ci_low == pytest.approx(student.ci_low, rel=1e-14)
    assert hall.ci_high == pytest.approx(student.ci_high, rel=1e-14)
    low, high = stats.t.interval(0.9, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert student.ci_low == pytest.approx(low, rel=1e-12)
    assert student.ci_high == pytest.approx(high, rel=1e-12)


def test_its_ends_solve_halls_transformed_equation():
    """Independently of the closed-form inverse: at each end, G(T) = ∓q with
    T = (mean − end)/(s/√n) and G(t) = t + a t² + a² t³ / 3 + b (Hall 1992)."""
    rng = np.random.default_rng(9)
    for n in (5, 30, 400):
        x = rng.exponential(2.0, n)
        iv = mean_interval(x, 0.95)
        g = skewness(x)
        a, b = g / (3 * math.sqrt(n)), g / (6 * math.sqrt(n))
        q = special.stdtrit(n - 1, 0.975)
        se = x.std(ddof=1) / math.sqrt(n)
        for end, value in ((iv.ci_low, q), (iv.ci_high, -q)):
            t = (x.mean() - end) / se
            assert t + a * t**2 + a**2 * t**3 / 3 + b == pytest.approx(value, rel=1e-10)
    # right skew: the interval reaches further up than down, the t interval does not
    assert iv.ci_high - iv.mean > iv.mean - iv.ci_low


def test_skewness_is_the_moment_estimator():
    x = np.random.default_rng(2).gamma(0.5, size=300)
    assert skewness(x) == pytest.approx(stats.skew(x, bias=True), rel=1e-12)
    assert needed_replications(0.0) == 50
    assert needed_replications(-6.0) == 90


@pytest.mark.parametrize(("name", "draw", "truth", "n", "t_holds"), [
    # skewness 2: the rule asks for 50, where the t interval gets 93.4 % too
    ("exponential", lambda rng, size: rng.exponential(1.0, size), 1.0, 50, True),
    # an on-time rate's shape: most seasons near 1, a long lower tail (skewness -2.4)
    ("flipped beta", lambda rng, size: 1 - rng.beta(0.2, 4.0, size), 1 - 0.2 / 4.2, 50,
     False),
    # skewness 6.2: the rule asks for 96
    ("lognormal", lambda rng, size: rng.lognormal(0.0, 1.0, size), math.exp(0.5), 100,
     False),
])
def test_coverage_on_skewed_distributions_with_a_known_mean(name, draw, truth, n, t_holds):
    """10,000 samples: the coverage estimate's standard error is 0.22 points, so the band
    is about 9 of them either side. The plain t interval covers less, and below the band
    on the two more skewed shapes."""
    rng = np.random.default_rng(17)
    samples = draw(rng, (10_000, n))
    hall, student = coverage(samples, truth), coverage(samples, truth, t_interval)
    assert BAND[0] <= hall <= BAND[1], name
    assert student < hall, name
    assert (student >= BAND[0]) == t_holds, (name, student)


COVERED_KPIS = ("on_time_rate", "wait_mean_hours", "wait_positive_share",
                "lead_time_p90_hours", "lead_time_p95_hours", "lead_time_p99_hours")


@pytest.fixture(scope="module")
def population():
    """2,000 seasons of experiments/rare_bad_seasons.toml: a finite population whose KPI
    means are known exactly."""
    result = run(load_scenario(ROOT / "experiments" / "rare_bad_seasons.toml"),
                 replications=2000, seed=5, workers=1, progress=False)
    return {kpi: result.column(kpi) for kpi in COVERED_KPIS}


@pytest.mark.slow
@pytest.mark.parametrize("kpi", COVERED_KPIS)
def test_reported_intervals_cover_simulated_kpis(population, kpi):
    """4,000 experiments of n seasons drawn from the population (standard error 0.34
    points: the band is 6 of them either side), n the replications the interval asks
    for at the population's skewness. The plain t interval undercovered these KPIs."""
    values = population[kpi][~np.isnan(population[kpi])]
    g = skewness(values)
    n = needed_replications(g)
    samples = np.random.default_rng(23).choice(values, (4000, n), replace=True)
    covered = coverage(samples, float(values.mean()))
    assert BAND[0] <= covered <= BAND[1], (kpi, g, n, covered)


@pytest.mark.slow
def test_the_t_interval_undercovers_the_skewed_kpis(population):
    """What the issue found: on skewed KPIs the t interval holds well under 95 % (here
    at 50 replications); the skewness-corrected interval at the same 50 does better."""
    rng = np.random.default_rng(29)
    for kpi in ("on_time_rate", "wait_mean_hours", "lead_time_p90_hours"):
        values = population[kpi][~np.isnan(population[kpi])]
        samples = rng.choice(values, (4000, 50), replace=True)
        student = coverage(samples, float(values.mean()), t_interval)
        hall = coverage(samples, float(values.mean()))
        assert student < 0.9, (kpi, student)
        assert hall > student + 0.03, (kpi, hall, student)


def test_an_interval_from_too_few_replications_is_marked_unreliable():
    rng = np.random.default_rng(4)
    assert not mean_interval(rng.normal(size=20)).reliable
    assert mean_interval(rng.normal(size=60)).reliable
    one_bad_season = np.array([1.0] * 59 + [0.0])  # skewness -7.5: 143 needed
    assert needed_replications(skewness(one_bad_season)) == 143
    assert not mean_interval(one_bad_season).reliable


def test_welch_interval_is_scipys():
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 30), rng.normal(1.4, 2.0, 45)
    got = welch_interval(a, b, 0.9)
    want = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.9)
    assert (got.ci_low, got.ci_high) == pytest.approx((want.low, want.high), rel=1e-12)
    assert got.mean == pytest.approx(b.mean() - a.mean())


def test_a_paired_difference_is_the_interval_of_the_differences():
    rng = np.random.default_rng(4)
    a = rng.random(60)
    b = a + rng.normal(0.05, 0.01, 60)  # common random numbers: a small, certain change
    paired = difference_interval(a, b, paired=True, level=0.95, bounds=(0.0, 1.0))
    assert paired == mean_interval(b - a, 0.95, (-1.0, 1.0))
    unpaired = difference_interval(a, b, paired=False, level=0.95)
    assert paired.ci_high - paired.ci_low < (unpaired.ci_high - unpaired.ci_low) / 10
