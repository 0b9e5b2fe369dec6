"""Closed forms for the perfect-order model: M/M/c with rework, Erlang A's on-time rate.

Checked against results derived independently of the code under test:

- M/M/c with Bernoulli feedback: the number of orders in the system is a birth-death
  chain (arrivals λ; a pass ends at min(n, c)·μ and the order leaves with probability
  p), solved directly, and Little's law gives the mean lead time; for one server,
  Takács's result that the total sojourn is exponential with rate pμ − λ;
- Erlang A's on-time rate: without patience it is M/M/c's sojourn distribution (closed
  form), and with patience it equals the convolution of ``served_within`` (a separate
  computation) with the service time, integrated numerically;
- the rough cut with exponential patience is the smallest roster whose Erlang A on-time
  rate meets the target, found by scanning every roster.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from capsim.analytic import ErlangA, MMc, MMcFeedback, rough_cut
from capsim.errors import ArgumentError
from tests.conftest import mmc_data, scenario


def lead_time_by_birth_death(lam: float, mu: float, c: int, p: float) -> float:
    """E[lead time] of M/M/c with feedback: orders in system as a birth-death chain."""
    size = 4000
    down = np.minimum(np.arange(1, size), c) * mu * p  # an order leaves: its pass was right
    log_terms = np.concatenate([[0.0], np.cumsum(np.log(lam / down))])
    pi = np.exp(log_terms - log_terms.max())
    pi /= pi.sum()
    return float(np.arange(size) @ pi) / lam  # Little: L = λ·E[lead time]


@pytest.mark.parametrize(("lam", "mu", "c", "p"), [
    (0.5, 1.0, 1, 0.8), (7.0, 1.0, 10, 0.8), (30.0, 2.0, 20, 0.95), (3.0, 1.0, 4, 0.9)])
def test_feedback_lead_time_against_the_birth_death_chain(lam, mu, c, p):
    q = MMcFeedback(lam, mu, c, p)
    assert q.mean_sojourn == pytest.approx(lead_time_by_birth_death(lam, mu, c, p), rel=1e-9)
    assert q.mean_passes == pytest.approx(1 / p)
    assert q.per_pass.arrival_rate == pytest.approx(lam / p)
    # the wait per order is the lead time less the work of its passes (1/p of them)
    assert q.mean_wait == pytest.approx(q.mean_sojourn - 1 / (p * mu), rel=1e-9)


def test_feedback_single_server_is_takacs():
    for lam, mu, p in [(0.5, 1.0, 0.8), (0.2, 3.0, 0.5), (0.9, 1.0, 0.95)]:
        assert MMcFeedback(lam, mu, 1, p).mean_sojourn == pytest.approx(1 / (p * mu - lam))


def test_feedback_edges():
    plain, rework = MMc(9.0, 1.0, 10), MMcFeedback(9.0, 1.0, 10, 1.0)
    assert rework.mean_wait == pytest.approx(plain.mean_wait, rel=1e-12)
    assert not MMcFeedback(9.0, 1.0, 10, 0.85).per_pass.stable  # 9 / 0.85 > 10 servers
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ArgumentError, match="right-first-time"):
            MMcFeedback(9.0, 1.0, 10, bad)


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 10.0])
def test_erlang_a_on_time_without_patience_is_the_mmc_lead_time(t):
    # θ = 1e-9 per hour changes nothing a test can see over these times
    assert ErlangA(9.0, 1.0, 10, 1e-9).on_time_within(t) == pytest.approx(
        MMc(9.0, 1.0, 10).sojourn_cdf(t), abs=1e-8)


@pytest.mark.parametrize(("lam", "mu", "c", "theta", "t"), [
    (11.0, 1.0, 10, 2.0, 3.0), (4.0, 1.0, 5, 0.5, 1.5), (30.0, 4.0, 6, 6.0, 0.75)])
def test_erlang_a_on_time_is_the_convolution_of_the_start_with_the_work(lam, mu, c, theta, t):
    q = ErlangA(lam, mu, c, theta)
    # P(served, W + S <= t) = ∫ P(S <= t − w) dF(w), F(w) = P(served within w) with an
    # atom F(0) = P(no wait); integrated by Simpson on F's own values
    grid = np.linspace(0.0, t, 801)
    served = np.array([q.served_within(w) for w in grid])
    density = np.gradient(served, grid)
    continuous = integrate.simpson(density * -np.expm1(-mu * (t - grid)), x=grid)
    expected = served[0] * -np.expm1(-mu * t) + continuous
    assert q.on_time_within(t) == pytest.approx(expected, abs=2e-5)
    assert q.on_time_within(t) < q.served_within(t)
    assert q.on_time_within(0.0) == 0.0


def test_the_rough_cut_with_exponential_patience_is_erlang_a():
    lam, mu, theta, promise, target = 11.0, 1.0, 2.0, 3.0, 0.9
    sc = scenario(mmc_data(lam, mu, 10, promise, warmup_days=1, horizon_days=10,
                           patience={"distribution": "exponential",
                                     "mean_minutes": 60.0 / theta},
                           targets={"on_time_rate": target}))
    cut = rough_cut(sc)
    smallest = next(c for c in range(1, 100)
                    if ErlangA(lam, mu, c, theta).on_time_within(promise) >= target)
    assert cut.on_hand == smallest
    assert any("Erlang A" in note for note in cut.assumptions)
    # a patience that is not exponential: Erlang C, and a note that says so
    other = scenario(mmc_data(lam / 1.3, mu, 10, promise, patience={
        "distribution": "fixed", "mean_minutes": 30.0}))
    notes = rough_cut(other).assumptions
    assert any("leaves abandonment out" in note for note in notes)
    assert not any("Erlang A" in note for note in notes)
