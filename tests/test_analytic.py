"""capsim.analytic against exact values, high precision, independent solutions and identities."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, linalg, stats

from capsim.analytic import (
    ErlangA,
    MMc,
    RuleOfThumb,
    absence_buffer,
    erlang_b,
    erlang_c,
    halfin_whitt_beta,
    halfin_whitt_delay,
    littles_law,
    min_servers,
    sqrt_staffing,
)
from capsim.analytic.offered_load import offered_load_from_rate
from capsim.analytic.staffing import binomial_at_least, on_hand_at_least
from capsim.distributions import WorkDistribution
from capsim.scenario import load_scenario
from tests.conftest import mmc_data, scenario
from tests.theory import mmc_sojourn_cdf


def exact_b(c: int, a: int) -> Fraction:
    """Erlang B as an exact rational, from its definition (a^c/c!) / Σ a^k/k!."""
    terms = [Fraction(a**k, math.factorial(k)) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(("c", "a"), [(1, 1), (2, 1), (3, 2), (10, 5), (10, 9), (20, 25)])
def test_erlang_b_equals_the_exact_rational(c, a):
    assert erlang_b(c, a) == pytest.approx(float(exact_b(c, a)), rel=1e-14)


def test_textbook_values():
    """Erlang C for 2 servers at 1 Erlang is 1/3; for M/M/1 it is ρ. The Erlang B table
    value for 10 servers at 5 Erlangs is 0.01838 (e.g. Kleinrock, Queueing Systems I)."""
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)
    assert erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-14)
    assert round(erlang_b(10, 5.0), 5) == 0.01838


def mp_erlang_b(c: int, a: float) -> mpmath.mpf:
    """High precision, by another route: B = e^{-a}·a^c / Γ(c + 1, a) (upper incomplete)."""
    a = mpmath.mpf(a)
    return mpmath.exp(-a) * a**c / mpmath.gammainc(c + 1, a)


@pytest.mark.parametrize(("c", "a"), [
    (1, 0.5), (10, 9.0), (100, 95.0), (100, 150.0), (1000, 980.0), (2500, 2400.5),
    (10_000, 9_500.0), (10_000, 9_900.0), (10_000, 10_000.0), (10_000, 12_000.0),
])
def test_erlang_b_and_c_to_1e9_against_mpmath(c, a):
    mpmath.mp.dps = 40
    b = mp_erlang_b(c, a)
    assert abs(erlang_b(c, a) - b) <= 1e-9 * b
    if a < c:
        exact_c = c * b / (c - a * (1 - b))
        assert abs(erlang_c(c, a) - exact_c) <= 1e-9 * exact_c
    else:
        assert erlang_c(c, a) == 1.0


def test_edge_cases():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_c(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_c(5, 0.0) == 0.0
    assert erlang_b(10_000, 1.0) == 0.0  # below the smallest double: underflows, no error
    overloaded = MMc(12.0, 1.0, 10)
    assert not overloaded.stable
    assert overloaded.mean_wait == math.inf
    assert overloaded.mean_queue_length == math.inf
    assert overloaded.sojourn_cdf(100.0) == 0.0
    assert overloaded.service_level(5.0) == 0.0
    assert MMc(10.0, 1.0, 10).mean_wait == math.inf  # ρ = 1 exactly: unstable too
    with pytest.raises(ValueError, match="servers"):
        erlang_b(-1, 2.0)
    with pytest.raises(ValueError, match="offered load"):
        erlang_c(3, float("nan"))


@pytest.mark.parametrize(("lam", "mu", "c", "t"), [
    (9.0, 1.0, 10, 2.0),  # θ = μ exactly
    (9.0, 1.0, 10, 0.3), (2.4, 1.0, 3, 3.0), (0.5, 1.0, 1, 2.0),
    (8.999999, 1.0, 10, 2.0),  # θ within 1e-6 of μ: no cancellation
])
def test_sojourn_distribution_against_the_oracle(lam, mu, c, t):
    q = MMc(lam, mu, c)
    assert q.sojourn_cdf(t) == pytest.approx(mmc_sojourn_cdf(lam, mu, c, t), rel=1e-8)


def test_sojourn_distribution_by_numerical_convolution():
    """P(T <= t) = (1 − C)·P(S <= t) + C·P(W' + S <= t), W' ~ Exp(θ), by quadrature."""
    q = MMc(9.0, 1.0, 10)
    theta, t = q.theta, 1.7
    conv = integrate.quad(lambda w: theta * math.exp(-theta * w) * (1 - math.exp(-(t - w))),
                          0, t)[0]
    expected = (1 - q.delay_probability) * (1 - math.exp(-t)) + q.delay_probability * conv
    assert q.sojourn_cdf(t) == pytest.approx(expected, rel=1e-10)


def test_mmc_littles_law_and_means():
    q = MMc(9.0, 1.0, 10)
    assert q.mean_queue_length == pytest.approx(9.0 * q.mean_wait)
    assert q.mean_in_system == pytest.approx(q.mean_queue_length + 9.0)
    assert q.mean_sojourn == pytest.approx(q.mean_in_system / 9.0)
    # E[W] = ∫ P(W > t) dt
    assert integrate.quad(q.wait_exceeds, 0, np.inf)[0] == pytest.approx(q.mean_wait)


@pytest.mark.parametrize(("metric", "target", "within"), [
    ("delay-prob", 0.2, None), ("delay-prob", 0.01, None), ("service-level", 0.8, 0.05),
    ("on-time", 0.9, 3.0), ("mean-wait", 0.05, None),
])
@pytest.mark.parametrize("lam", [0.3, 9.0, 97.5, 10_000.0])
def test_min_servers_is_the_first_that_meets_the_target(metric, target, within, lam):
    c = min_servers(lam, 1.0, target, metric, within)
    value = {"delay-prob": lambda q: q.delay_probability, "mean-wait": lambda q: q.mean_wait,
             "service-level": lambda q: q.service_level(within),
             "on-time": lambda q: q.sojourn_cdf(within)}[metric]
    better = metric in ("service-level", "on-time")

    def ok(servers: int) -> bool:
        v = value(MMc(lam, 1.0, servers))
        return v >= target if better else v <= target

    assert ok(c)
    assert c == 0 or not ok(c - 1)


def test_min_servers_refuses_the_impossible():
    with pytest.raises(ValueError, match="out of reach"):
        min_servers(9.0, 1.0, 0.95, "on-time", 2.0)  # P(S <= 2 h) = 0.865 < 0.95
    with pytest.raises(ValueError, match="needs within"):
        min_servers(9.0, 1.0, 0.9, "service-level")
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        min_servers(9.0, 1.0, 1.2, "delay-prob")
    assert min_servers(0.0, 1.0, 0.5) == 0


def birth_death_direct(lam, mu, c, theta, size=400):
    """The Erlang A chain solved as a linear system (π Q = 0, Σπ = 1), truncated at ``size``."""
    q = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    a = np.vstack([q.T, np.ones(size)])
    b = np.zeros(size + 1)
    b[-1] = 1.0
    return linalg.lstsq(a, b)[0]


@pytest.mark.parametrize(("lam", "mu", "c", "theta"), [
    (9.0, 1.0, 10, 0.5), (20.0, 1.0, 10, 1.0), (5.0, 2.0, 2, 0.1), (50.0, 1.0, 40, 3.0)])
def test_erlang_a_against_a_direct_solution_and_identities(lam, mu, c, theta):
    model = ErlangA(lam, mu, c, theta)
    pi = birth_death_direct(lam, mu, c, theta)
    n = np.arange(pi.size)
    assert model.delay_probability == pytest.approx(pi[c:].sum(), rel=1e-9)
    assert model.mean_queue == pytest.approx(((n - c).clip(0) * pi).sum(), rel=1e-9)
    # conservation of abandonments: λ·P(abandon) = θ·E[queue] (the module computes
    # P(abandon) per tagged customer, so this is a real identity, not a restatement)
    assert lam * model.abandon_probability == pytest.approx(theta * model.mean_queue, rel=1e-9)
    # everyone who does not abandon is served eventually
    assert model.served_within(1e4) == pytest.approx(1 - model.abandon_probability, abs=1e-9)
    assert model.served_within(0.0) == pytest.approx(1 - model.delay_probability)


def test_erlang_a_without_patience_is_erlang_c():
    a, c = ErlangA(9.0, 1.0, 10, 0.0), MMc(9.0, 1.0, 10)
    assert a.delay_probability == pytest.approx(c.delay_probability, rel=1e-12)
    assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-12)
    assert a.served_within(0.4) == pytest.approx(c.service_level(0.4), rel=1e-9)
    with pytest.raises(ValueError, match="grows without bound"):
        ErlangA(10.0, 1.0, 10, 0.0)


def test_halfin_whitt():
    """α(β) = 1/(1 + βΦ(β)/φ(β)) (Halfin & Whitt 1981), checked with scipy's normal law."""
    for beta in (0.1, 0.5, 1.0, 2.0, 3.5):
        phi, cdf = stats.norm.pdf(beta), stats.norm.cdf(beta)
        assert halfin_whitt_delay(beta) == pytest.approx(1 / (1 + beta * cdf / phi), rel=1e-12)
    assert halfin_whitt_beta(0.5) == pytest.approx(0.5061, abs=1e-4)  # Whitt's tables
    assert halfin_whitt_delay(halfin_whitt_beta(0.05)) == pytest.approx(0.05, rel=1e-10)


@pytest.mark.parametrize("load", [10.0, 50.0, 200.0, 1000.0, 10_000.0])
@pytest.mark.parametrize("alpha", [0.5, 0.2, 0.05])
def test_square_root_staffing_is_within_one_of_exact(load, alpha):
    s = sqrt_staffing(load, alpha)
    assert abs(s.servers - s.exact_servers) <= 1
    assert erlang_c(s.exact_servers, load) <= alpha < erlang_c(s.exact_servers - 1, load)


@pytest.mark.parametrize(("needed", "presence", "confidence", "share"), [
    (10, 0.95, 0.9, 1.0), (10, 0.958, 0.9, 5 / 7), (3, 0.7, 0.99, 1.0), (50, 0.9, 0.95, 5 / 7)])
def test_absence_buffer_by_brute_force(needed, presence, confidence, share):
    def chance(n: int) -> float:  # P(Binomial(floor(n·share), p) >= needed), summed exactly
        s = math.floor(n * share + 1e-9)
        return sum(math.comb(s, k) * presence**k * (1 - presence) ** (s - k)
                   for k in range(needed, s + 1))

    n = absence_buffer(needed, presence, confidence, share)
    assert chance(n) >= confidence > chance(n - 1)
    assert on_hand_at_least(n, needed, presence, share) == pytest.approx(chance(n))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2000), st.floats(0.0, 1.0), st.floats(1e-6, 1.0), st.data())
def test_binomial_tail_against_exact_sums(n, where, p, data):
    """P(X >= k) to 50 digits (mpmath, every term) and scipy's binom.sf(k - 1, n, p).

    Each term carries at most 2m rounding errors after m steps from the mode, and the
    terms that weigh anything lie within 40 standard deviations (at most 40·sqrt(500)
    = 900 steps at n = 2,000): 2·900·2.2e-16 = 4e-13, so 1e-12 cannot hide a wrong term.
    """
    k = data.draw(st.sampled_from([-1, 0, 1, round(where * n), n, n + 1]))
    mpmath.mp.dps = 50
    exact = mpmath.fsum(mpmath.binomial(n, j) * mpmath.mpf(p) ** j
                        * (1 - mpmath.mpf(p)) ** (n - j) for j in range(max(k, 0), n + 1))
    got = binomial_at_least(k, n, p)
    assert got == pytest.approx(float(exact), abs=1e-12)
    assert got == pytest.approx(float(stats.binom.sf(k - 1, n, p)), abs=1e-12)


def test_littles_law_and_the_rule_of_thumb():
    assert littles_law(throughput=1000 / 24, lead_time=24) == pytest.approx(1000)
    assert littles_law(wip=1000, lead_time=24) == pytest.approx(1000 / 24)
    assert littles_law(wip=1000, throughput=1000 / 24) == pytest.approx(24)
    with pytest.raises(ValueError, match="exactly two"):
        littles_law(wip=3)
    rule = RuleOfThumb()  # DESIGN.md §1: 100 in-house, 24 h lead time, 8 h shift
    assert rule.orders_per_technician_day == 100
    assert rule.orders_per_shift_hour == 12.5
    assert rule.touch_minutes == pytest.approx(4.8)
    assert rule.technicians(1000) == 10


@pytest.mark.parametrize("dist", [
    WorkDistribution("fixed", 30.0, 0.0), WorkDistribution("exponential", 30.0, 1.0),
    WorkDistribution("lognormal", 30.0, 0.8), WorkDistribution("gamma", 30.0, 0.5),
    WorkDistribution("gamma", 30.0, 2.0), WorkDistribution("empirical", 4.0, 0.5, (2.0, 4, 6)),
])
def test_limited_mean_is_the_integral_of_the_survival_function(dist):
    for x in (0.0, 1.0, 5.0, 30.0, 200.0):
        numeric = integrate.quad(lambda s: float(dist.survival(s)), 0, x, limit=200,
                                 points=[2, 4, 6, 30] if x > 30 else None)[0] if x else 0.0
        assert float(dist.limited_mean(x)) == pytest.approx(numeric, rel=1e-7, abs=1e-10)
    assert float(dist.limited_mean(1e9)) == pytest.approx(dist.mean, rel=1e-9)


def test_offered_load_of_a_step_and_of_steady_state():
    """From empty, a constant rate λ gives m(t) = λ·E[min(S, t)] → λ·E[S]; after the rate
    stops at T, m(t) = λ·(E[min(S, t)] − E[min(S, t − T)]); both by quadrature."""
    dist = WorkDistribution("lognormal", 90.0, 0.8)
    edges, rates = np.array([0.0, 10.0, 30.0]), np.array([6.0, 0.0])
    times = np.array([0.5, 2.0, 9.9, 10.0, 11.5, 29.0])
    load = offered_load_from_rate(edges, rates, dist, times)
    for t, m in zip(times, load, strict=True):
        upper = min(t, 10.0)
        expected = 6.0 * integrate.quad(lambda u, t=t: float(dist.survival(60 * (t - u))),
                                         0, upper, limit=200)[0]
        assert m == pytest.approx(expected, rel=1e-7)
    steady = offered_load_from_rate(np.array([0.0, 500.0]), np.array([6.0]), dist,
                                    np.array([499.0]))
    assert steady[0] == pytest.approx(6.0 * 1.5, rel=1e-9)


def test_expected_on_hand_per_day_against_the_simulation(shifts_data):
    """Scheduled technicians × presence_on(day) is the expected number on hand each day:
    daily absence net of cover, vacation weeks (one-week blocks, where the share is
    exact), and random outbreaks, frequent enough here that they overlap (they start on
    day 0, so their share builds up over the first days). Checked day by day over 28
    days at 4.5 standard errors (28 comparisons: a false alarm has chance < 2e-4) and
    over the whole season at 4 standard errors, 600 seasons, a fixed seed."""
    from capsim.analytic.rough_cut import presence_on
    from capsim.experiment import run
    from tests.conftest import merge, scenario

    s = scenario(merge(shifts_data, {"absence": {"vacation": {"block_weeks": 1}, "outbreaks": [
        {"rate_per_30_days": 6.0, "share": 0.5, "duration_days": 3,
         "duration_distribution": "geometric"}]}}))  # about a quarter of the team home
    result = run(s, replications=600, seed=8, workers=1, progress=False)
    scheduled, on_hand = result.daily("scheduled"), result.daily("on_hand")
    assert np.ptp(scheduled, axis=0).max() == 0  # the schedule is the same every season
    expected = scheduled[0] * np.array([presence_on(s, d) for d in range(s.horizon_days)])
    error = on_hand.std(axis=0, ddof=1) / math.sqrt(on_hand.shape[0])
    assert np.all(np.abs(on_hand.mean(axis=0) - expected) <= 4.5 * np.maximum(error, 1e-12))
    season = (on_hand - expected).mean(axis=1)
    assert abs(season.mean()) <= 4 * season.std(ddof=1) / math.sqrt(season.size)


def test_offered_load_in_blocks_is_the_same(monkeypatch):
    """m(t) is evaluated a block of times at a time, so that a long horizon with a long work
    content cannot allocate a times × pieces array of many GiB; blocks change nothing but
    rounding."""
    import importlib

    from capsim.scenario import validate
    from tests.conftest import mmc_data

    s = validate(mmc_data(4.0, 0.5, 3, 8.0, horizon_days=5, warmup_days=1, demand={
        "rate_per_hour": 4.0, "batches": [{"at_hour": 7.5, "orders": 30}],
        "surges": [{"start_hour": 20.5, "end_hour": 50, "multiplier": 2.0}]}))
    module = importlib.import_module("capsim.analytic.offered_load")
    times = np.arange(0.0, s.horizon_hours, 0.25)
    whole = module.offered_load(s, times)
    monkeypatch.setattr(module, "BAND_CELLS", 7)
    assert len(module._blocks(times, 100)) == times.size  # one time per block
    # the same terms; only the zero padding, and so the order of summation, differs
    np.testing.assert_allclose(module.offered_load(s, times), whole, rtol=1e-13)


def test_the_peak_search_coarsens_only_when_work_is_long():
    """Ten years of demand and work contents of weeks: m(t) changes on the scale of the
    work, and a quarter-hour search took minutes. The step grows to keep the search to
    a few seconds; with ordinary work it stays a quarter hour."""
    from capsim.analytic.rough_cut import _peak_step, rough_cut
    from tests.conftest import STUTTERFLY

    assert _peak_step(load_scenario(STUTTERFLY)) == 0.25
    long = scenario(mmc_data(5.0, 1.0, 10, 24.0, horizon_days=3660, warmup_days=1, work={
        "distribution": "lognormal", "mean_minutes": 100000.0, "cv": 10.0}))
    assert _peak_step(long) > 0.25
    cut = rough_cut(long)
    assert any("searched every" in note for note in cut.assumptions)
    # a constant rate: m(t) rises towards λ·E[S] and never above it
    assert 0.5 * 5.0 * 100000 / 60 < cut.peak_load <= 5.0 * 100000 / 60
