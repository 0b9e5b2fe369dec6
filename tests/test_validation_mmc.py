"""Both engines against M/M/c theory (Erlang C, the sojourn-time distribution, Little's law).

Tolerance: 4 standard errors of the mean over replications (the replications
are independent; the SE is estimated from them). A correct model fails such a
check with probability about 6e-5 per KPI. The remaining bias from starting
empty after a 5-day warm-up was measured at 800 replications as about 1 % of the
mean wait (0.006 h of 0.669 h for M/M/10), under 0.3 SE at the 60 replications
used here, so it cannot push a correct model out of tolerance.
"""

from __future__ import annotations

import math

import pytest

from capsim.experiment import run
from tests.conftest import mmc_data, scenario
from tests.theory import assert_within, erlang_c, mmc_mean_wait, mmc_sojourn_cdf

CASES = [
    # (lambda per hour, mu per hour, servers, promise hours); the first has θ = cμ − λ = μ
    pytest.param((9.0, 1.0, 10, 2.0), id="M/M/10 rho=0.9"),
    pytest.param((2.4, 1.0, 3, 3.0), id="M/M/3 rho=0.8"),
]


@pytest.fixture(scope="module", params=[(case, engine) for case in CASES
                                        for engine in ("simpy", "fast")],
                ids=lambda p: f"{p[0].id}, {p[1]}")
def mmc(request):
    case, engine = request.param
    lam, mu, c, promise = case.values[0]
    result = run(scenario(mmc_data(lam, mu, c, promise)), replications=60, seed=2024,
                 progress=False, engine=engine)
    assert result.engine == engine
    return (lam, mu, c, promise), result


def test_mean_wait_matches_erlang_c(mmc):
    (lam, mu, c, _), result = mmc
    assert_within(result.column("wait_mean_hours"), mmc_mean_wait(lam, mu, c), "mean wait")


def test_delay_probability_matches_erlang_c(mmc):
    (lam, mu, c, _), result = mmc
    assert_within(result.column("wait_positive_share"), erlang_c(c, lam / mu), "P(wait > 0)")


def test_on_time_rate_matches_sojourn_distribution(mmc):
    (lam, mu, c, promise), result = mmc
    assert_within(result.column("on_time_rate"), mmc_sojourn_cdf(lam, mu, c, promise),
                  "P(lead time <= promise)")


def test_utilization_is_offered_load_per_server(mmc):
    (lam, mu, c, _), result = mmc
    assert_within(result.column("utilization"), lam / (c * mu), "utilization")


def test_littles_law_on_the_wip_series(mmc):
    """Time-average WIP (hourly samples after warm-up) = λ · mean lead time (Erlang C)."""
    (lam, mu, c, _), result = mmc
    warmup = 24 * result.scenario.warmup_days
    mean_wip = result.hourly("wip")[:, warmup:].mean(axis=1)
    assert_within(mean_wip, lam * (mmc_mean_wait(lam, mu, c) + 1 / mu), "mean WIP")


def test_lead_time_mean_is_wait_plus_work(mmc):
    (lam, mu, c, _), result = mmc
    assert_within(result.column("lead_time_mean_hours"), mmc_mean_wait(lam, mu, c) + 1 / mu,
                  "mean lead time")


def test_theory_oracle_against_textbook_value():
    """The oracle itself: Erlang C for c = 2, a = 1 is exactly 1/3 (π_2 + π_3 + ... of M/M/2)."""
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    # M/M/1: P(T <= t) = 1 − e^{−(μ−λ)t}
    assert mmc_sojourn_cdf(0.5, 1.0, 1, 2.0) == pytest.approx(1 - math.exp(-1.0), rel=1e-12)
