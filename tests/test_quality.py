"""Rework, remakes and repeat contacts: against exact results, and both engines job by job.

- Immediate rework with probability 1 − p on M/M/c (exponential rework, same mean): the
  passes per order are geometric(p) (exact), and the queue the technicians see is
  M/M/c at arrival rate λ/p: its number in system is the birth-death chain with
  births λ and deaths min(n, c)·μ·p, so Lq is Erlang C's at load λ/(μp), and by
  Little's law over the λ/p passes per hour the mean wait per pass is Erlang C's
  W_q(λ/p, μ). That holds for any queue order that ignores the work to come, so also
  with rework first. Tolerance: 4 standard errors (``tests/theory.py``).
- Conservation: rework hours are the rework draws of the passes started, every order
  ends exactly one way, repeat contacts counted are the chains realised.
- The engines agree job by job on randomised scenarios with every feature.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.engines import _jobloop, _kernel, simpy_model, vectorized
from capsim.experiment import replicate_many
from capsim.followups import REMAKE, REPEAT, REWORK
from capsim.metrics import summarize
from capsim.sampling import sample
from tests.conftest import merge, mmc_data, scenario
from tests.test_fast_engine import assert_same_orders_and_kpis, operations
from tests.theory import Z, assert_within, mmc_mean_wait

LAM, MU, C, P = 2.0, 1.0, 3, 0.8  # λ/p = 2.5 passes per hour on 3 servers: load 0.83
ENGINES = {"simpy": simpy_model.simulate, "fast": vectorized.simulate}


def _feedback(days=120, **quality):
    return scenario(mmc_data(LAM, MU, C, 24.0, horizon_days=days, warmup_days=10,
                             quality={"right_first_time": P, **quality}))


def _passes(real):
    n = real.orders
    return 1 + np.bincount(real.follow_ups.owner, minlength=n)[:n]


def test_passes_per_order_are_geometric():
    """P(K = k) = p (1 − p)^(k−1): the mean and the first two shares within 4 SE."""
    s = _feedback(days=60)
    passes = np.concatenate([_passes(sample(s, r, seed=3)) for r in range(6)])
    n = passes.size
    mean_se = math.sqrt((1 - P) / P**2 / n)
    assert abs(passes.mean() - 1 / P) <= Z * mean_se, passes.mean()
    for k in (1, 2, 3):
        share = P * (1 - P) ** (k - 1)
        assert abs((passes == k).mean() - share) <= Z * math.sqrt(share * (1 - share) / n), k


def test_defects_split_between_the_check_and_the_customer():
    s = _feedback(days=60, found_by_customer=0.3,
                  remake_delay={"distribution": "fixed", "mean_minutes": 90.0},
                  rework={"distribution": "fixed", "mean_minutes": 20.0})
    kinds = np.concatenate([sample(s, r, seed=4).follow_ups.kind for r in range(4)])
    remade = (kinds == REMAKE).mean()
    assert abs(remade - 0.3) <= Z * math.sqrt(0.3 * 0.7 / kinds.size)
    follow = sample(s, 0, seed=4).follow_ups
    np.testing.assert_array_equal(follow.delay, np.where(follow.kind == REMAKE, 1.5, 0.0))
    np.testing.assert_array_equal(follow.work, np.full(follow.size, 20.0 / 60.0))


@pytest.mark.parametrize(("engine", "rework_first"),
                         [("simpy", False), ("fast", False), ("fast", True)])
def test_mean_wait_per_pass_is_erlang_c_at_the_effective_rate(engine, rework_first):
    s = _feedback(rework_first=rework_first)
    exact = mmc_mean_wait(LAM / P, MU, C)
    means = []
    for r in range(8):
        jobs = ENGINES[engine](s, sample(s, r, seed=21)).jobs
        # passes that joined after the warm-up and two days before the horizon: all started
        mine = (jobs.join >= s.warmup_hours) & (jobs.join < s.horizon_hours - 48.0)
        assert not np.isnan(jobs.start[mine]).any()
        means.append((jobs.start[mine] - jobs.join[mine]).mean())
    assert_within(np.array(means), exact, f"mean wait per pass ({engine})")


def _everything():
    return scenario(merge(mmc_data(3.0, 1.0, 4, 6.0, horizon_days=20, warmup_days=2), {
        "patience": {"distribution": "exponential", "mean_minutes": 120.0},
        "quality": {"right_first_time": 0.7, "found_by_customer": 0.4,
                    "remake_delay": {"distribution": "exponential", "mean_minutes": 300.0},
                    "rework": {"distribution": "exponential", "mean_minutes": 30.0},
                    "remake_due": "renewed"},
        "returns": {"probability": 0.3, "delay": {"distribution": "fixed", "mean_minutes": 600.0},
                    "extra_minutes": {"distribution": "fixed", "mean_minutes": 10.0},
                    "max_returns": 3}}))


@pytest.mark.parametrize("replication", [0, 1, 2])
def test_conservation(replication):
    s = _everything()
    real = sample(s, replication, seed=8)
    records = vectorized.simulate(s, real)
    kpis = summarize(records, 0).kpis
    jobs, follow, n = records.jobs, real.follow_ups, real.orders
    warmup, horizon = s.warmup_hours, s.horizon_hours
    # rework hours: the rework and remake draws of the passes started after the warm-up
    again = np.flatnonzero((follow.kind == REWORK) | (follow.kind == REMAKE))
    started = again[jobs.start[n + again] >= warmup]
    assert kpis["rework_hours"] == pytest.approx(follow.work[started].sum(), rel=1e-12)
    assert kpis["rework_hours"] > 0
    # every follow-up joins at its predecessor's finish + delay, and starts no earlier
    at = jobs.finish[follow.pred] + follow.delay
    joined = np.where(at < horizon, at, np.nan)
    np.testing.assert_array_equal(jobs.join[n:], joined)
    began = ~np.isnan(jobs.start[n:])
    assert (jobs.start[n:][began] >= joined[began]).all()
    # rework and remakes never abandon (patience 2 h): at load 0.75 every one that joined
    # a day before the horizon started; a repeat contact can abandon, and some did
    early = ~np.isnan(joined) & (joined < horizon - 24.0)
    assert began[early & (follow.kind != REPEAT)].all()
    assert not began[early & (follow.kind == REPEAT)].all()
    # repeat contacts counted = the chains realised, in the window
    repeat = follow.kind == REPEAT
    realised = repeat & (joined >= warmup)  # NaN compares False
    assert kpis["repeat_contacts"] == realised.sum() > 0
    assert records.repeat_contact.sum() == (repeat & ~np.isnan(joined)).sum()
    # every arrival ends exactly one way
    done, gone = ~np.isnan(records.finish), ~np.isnan(records.abandon)
    assert not (done & gone).any()
    window = records.arrival >= warmup
    assert kpis["orders_arrived"] == window.sum()
    assert kpis["orders_arrived"] == (kpis["orders_completed"] + kpis["orders_abandoned"]
                                      + kpis["orders_unfinished"])
    assert kpis["orders_abandoned"] > 0
    # an order's finish is its last pass's; it is right first time iff one pass, no return
    counted = window & (records.due <= horizon)
    first_done = counted & ~np.isnan(records.first_finish)
    right = records.passes == 1
    returned = np.zeros(n + follow.size, bool)
    owner = np.concatenate([np.arange(n), follow.owner])
    returned[owner[follow.pred[repeat]]] = True
    rows = np.concatenate([np.arange(n), n + np.flatnonzero(repeat & ~np.isnan(joined))])
    rows = rows[np.argsort(np.concatenate([real.arrival, joined[repeat & ~np.isnan(joined)]]),
                           kind="stable")]
    np.testing.assert_array_equal(records.right_first_time, right & ~returned[rows])
    assert kpis["right_first_time_rate"] == pytest.approx(
        (first_done & records.right_first_time).sum() / first_done.sum(), rel=1e-12)
    on_time = counted & (records.finish <= records.due)
    assert kpis["perfect_order_rate"] == pytest.approx(
        (on_time & records.right_first_time).sum() / counted.sum(), rel=1e-12)
    assert kpis["perfect_order_rate"] < kpis["on_time_rate"]


def test_without_defects_the_perfect_order_rate_is_the_on_time_rate():
    s = scenario(mmc_data(9.0, 1.0, 10, 2.0, horizon_days=10, warmup_days=1))
    kpis = summarize(vectorized.simulate(s, sample(s, 0)), 0).kpis
    assert kpis["perfect_order_rate"] == kpis["on_time_rate"]
    assert kpis["right_first_time_rate"] == 1.0
    assert kpis["rework_hours"] == kpis["repeat_contacts"] == 0.0


def test_tables_that_change_nothing_change_no_number():
    """right_first_time = 1 and a return probability 0 draw nothing: the same summaries."""
    data = mmc_data(9.0, 1.0, 10, 2.0, horizon_days=10, warmup_days=1)
    plain = scenario(data)
    idle = scenario(merge(data, {"quality": {"right_first_time": 1.0, "rework_first": True},
                                 "returns": {"probability": 0.0,
                                             "delay": {"mean_minutes": 60.0}}}))
    assert not idle.has_follow_ups
    one = replicate_many(plain, seed=1, indices=[0, 1], engine="fast")
    two = replicate_many(idle, seed=1, indices=[0, 1], engine="fast")
    for a, b in zip(one, two, strict=True):
        assert a.kpis.keys() == b.kpis.keys()
        for name in a.kpis:
            np.testing.assert_array_equal(a.kpis[name], b.kpis[name], err_msg=name)


def test_quality_draws_change_no_arrival_work_or_patience():
    s = _everything()
    plain = scenario(merge(mmc_data(3.0, 1.0, 4, 6.0, horizon_days=20, warmup_days=2),
                           {"patience": s.patience.model_dump()}))
    one, two = sample(plain, 3), sample(s, 3)
    for name in ("arrival", "work", "order_class", "patience"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)


def test_the_fast_experiment_takes_the_records_path_and_agrees_with_simpy():
    s = _everything()
    fast = replicate_many(s, seed=2, indices=[0, 1], engine="fast")
    reference = replicate_many(s, seed=2, indices=[0, 1], engine="simpy")
    for a, b in zip(fast, reference, strict=True):
        for name in a.kpis:
            assert a.kpis[name] == pytest.approx(b.kpis[name], rel=1e-12, nan_ok=True), name


def assert_same_jobs(reference, fast):
    for name in ("join", "start", "finish", "technician", "work", "kind"):
        np.testing.assert_array_equal(getattr(fast.jobs, name), getattr(reference.jobs, name),
                                      err_msg=name)
    np.testing.assert_array_equal(fast.arrival, reference.arrival)
    np.testing.assert_array_equal(fast.due, reference.due)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(follow_ups=True), replication=st.integers(0, 1000))
def test_the_engines_agree_job_by_job(s, replication):
    assert s.has_follow_ups
    real = sample(s, replication, seed=17)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert_same_jobs(reference, fast)
    assert_same_orders_and_kpis(reference, fast)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(max_roster=60, max_rate=60.0, follow_ups=True),
       replication=st.integers(0, 1000))
def test_the_engines_agree_job_by_job_with_large_rosters(s, replication):
    real = sample(s, replication, seed=19)
    assert_same_jobs(simpy_model.simulate(s, real), vectorized.simulate(s, real))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(follow_ups=True))
def test_compiled_and_plain_job_loops_are_identical(s):
    assert _jobloop.compiled() is not None, "numba is part of the dev extra"
    reals = [sample(s, r, seed=5) for r in range(3)]
    one = vectorized.job_decisions(s, reals)[1:]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAPSIM_NO_NUMBA", "1")
        for module in (_jobloop, _kernel):
            for name in module._HELPERS:
                helper = getattr(module, name)
                patch.setattr(module, name, getattr(helper, "py_func", helper))
        two = vectorized.job_decisions(s, reals)[1:]
    for x, y in zip(one, two, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_records_with_follow_ups_keep_the_prices_and_the_classes(engine):
    """They were dropped once (every cost NaN, no per-class numbers): the wage bill, a
    function of attendance alone, equals that of the same floor without defects, exactly."""
    classes = [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5,
                                             "quality": {"right_first_time": 0.7}}]
    data = mmc_data(LAM, MU, C, 0.5, horizon_days=5, warmup_days=1, classes=classes,
                    costs={"wage_per_hour": 20.0, "late_per_order": 5.0})
    with_rework = scenario(data)
    plain = scenario(merge(data, {"classes": [classes[0], {"name": "b", "share": 0.5}]}))
    simulate = ENGINES[engine]
    r = simulate(with_rework, sample(with_rework, 0, seed=2))
    assert r.jobs is not None
    assert r.costs == with_rework.costs
    assert r.class_names == ("a", "b")
    got, same = summarize(r, 0), summarize(simulate(plain, sample(plain, 0, seed=2)), 0)
    assert got.kpis["cost_wages"] == same.kpis["cost_wages"] > 0
    assert got.kpis["cost_late"] > 0
    assert got.by_class["b"]["rework_hours"] > 0 == got.by_class["a"]["rework_hours"]
