"""Abandonment: orders whose wait would exceed their patience leave unserved.

Validated three ways:

- order by order against an independent brute force (a FIFO queue of always-on
  servers, one order at a time: it starts at the earliest moment a server is free if
  that is within its patience, else it leaves at arrival + patience), to 1e-9 h;
- conservation: every order that arrives in the window ends exactly one way
  (completed, abandoned, unfinished), abandoned orders were never started and left at
  arrival + patience, served ones started within their patience;
- Erlang A (M/M/c+M): P(abandon), P(wait > 0), the mean wait over every arrival
  (served or not), the service level and the on-time rate within 4 standard errors of
  the closed form, the SE taken across
  independent replications (a correct model fails one such check with probability
  about 6e-5).
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from capsim import engines
from capsim.analytic.erlang_a import ErlangA
from capsim.engines import simpy_model, vectorized
from capsim.errors import ScenarioError
from capsim.experiment import run
from capsim.metrics import summarize
from capsim.sampling import sample
from tests.conftest import mmc_data, scenario
from tests.theory import assert_within


def mmc_plus(lam: float, mu: float, c: int, patience: dict, **changes) -> dict:
    return mmc_data(lam, mu, c, 2.0, patience=patience, **changes)


def brute_force_fifo(arrival, work, patience, servers, horizon):
    """FIFO M/G/c+G by the order-by-order recursion (always-on servers)."""
    free = [0.0] * servers
    start = np.full(arrival.size, np.nan)
    finish = np.full(arrival.size, np.nan)
    for k in range(arrival.size):
        t = max(arrival[k], free[0])
        if t - arrival[k] > patience[k] or t >= horizon:
            continue  # leaves (or is still waiting at the horizon)
        start[k] = t
        heapq.heapreplace(free, t + work[k])
        if t + work[k] <= horizon:
            finish[k] = t + work[k]
    return start, finish


@pytest.mark.parametrize("patience", [
    pytest.param({"distribution": "exponential", "mean_minutes": 20.0}, id="exponential"),
    pytest.param({"distribution": "fixed", "mean_minutes": 15.0, "at_once": 0.3},
                 id="fixed+at-once"),
    pytest.param({"distribution": "lognormal", "mean_minutes": 30.0, "cv": 1.5},
                 id="lognormal"),
])
def test_orders_match_a_brute_force_fifo_queue(patience):
    sc = scenario(mmc_plus(11.0, 1.0, 10, patience, horizon_days=6, warmup_days=1))
    realization = sample(sc, 3, seed=11)
    records = simpy_model.simulate(sc, realization)
    start, finish = brute_force_fifo(realization.arrival, realization.work,
                                     realization.patience, 10, sc.horizon_hours)
    np.testing.assert_allclose(records.start, start, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(records.finish, finish, atol=1e-9, equal_nan=True)
    gone = ~np.isnan(records.abandon)
    assert gone.sum() > 100  # the case abandons a lot: the check has teeth
    np.testing.assert_array_equal(records.abandon[gone],
                                  (realization.arrival + realization.patience)[gone])


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
def test_every_order_ends_exactly_one_way(dispatch, shifts_data):
    data = {**shifts_data, "dispatch": dispatch,
            "patience": {"distribution": "gamma", "mean_minutes": 90.0, "cv": 0.8,
                         "at_once": 0.05},
            "classes": [
                {"name": "rush", "share": 0.3, "priority": 0, "promise_hours": 6.0,
                 "patience": {"distribution": "exponential", "mean_minutes": 30.0}},
                {"name": "calm", "share": 0.7, "priority": 1}]}
    sc = scenario(data)
    realization = sample(sc, 0, seed=5)
    records = simpy_model.simulate(sc, realization)
    gone = ~np.isnan(records.abandon)
    started = ~np.isnan(records.start)
    assert gone.sum() > 20
    assert started.sum() > 100
    assert not (gone & started).any()
    leaves = realization.arrival + realization.patience
    assert (records.abandon[gone] == leaves[gone]).all()
    assert (records.abandon[gone] < sc.horizon_hours).all()
    # nobody waiting at the horizon had run out of patience before it
    assert (leaves[~started & ~gone] >= sc.horizon_hours).all()
    # served orders started within their patience
    assert (records.start[started] - records.arrival[started] <= realization.patience[started]
            ).all()
    k = summarize(records, 0).kpis
    assert k["orders_arrived"] == (k["orders_completed"] + k["orders_abandoned"]
                                   + k["orders_unfinished"])
    assert k["orders_abandoned"] > 0
    counted = (records.arrival >= sc.warmup_hours) & (records.due <= sc.horizon_hours)
    assert k["abandonment_rate"] == pytest.approx((counted & gone).sum() / counted.sum())


def test_a_class_patience_overrides_the_scenario_and_a_class_without_one_waits():
    data = mmc_plus(4.0, 1.0, 3, {"distribution": "fixed", "mean_minutes": 6.0},
                    horizon_days=5, warmup_days=1, classes=[
                        {"name": "patient", "share": 0.5,
                         "patience": {"distribution": "fixed", "mean_minutes": 600.0}},
                        {"name": "default", "share": 0.5}])
    sc = scenario(data)
    assert [c.patience.mean_minutes for c in sc.order_classes] == [600.0, 6.0]
    realization = sample(sc, 0)
    expected = np.where(realization.order_class == 0, 10.0, 0.1)
    np.testing.assert_allclose(realization.patience, expected)
    no_patience = scenario(mmc_data(4.0, 1.0, 3, 2.0, classes=[
        {"name": "a", "share": 0.5,
         "patience": {"distribution": "exponential", "mean_minutes": 6.0}},
        {"name": "b", "share": 0.5}]))
    drawn = sample(no_patience, 0).patience
    classes = sample(no_patience, 0).order_class
    assert np.isinf(drawn[classes == 1]).all()
    assert np.isfinite(drawn[classes == 0]).all()


def test_patience_leaves_every_other_draw_unchanged():
    """Common random numbers: patience has streams of its own, so adding it changes
    no arrival, class or work content, and a scenario without it no result."""
    plain = scenario(mmc_data(9.0, 1.0, 10, 2.0, horizon_days=4, warmup_days=1))
    impatient = plain.replace(("patience",), {"distribution": "exponential",
                                              "mean_minutes": 30.0})
    a, b = sample(plain, 2), sample(impatient, 2)
    assert a.patience is None
    for name in ("arrival", "order_class", "work", "status"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_the_fast_engine_runs_patience_order_by_order_like_the_reference():
    """(tests/test_fast_engine.py draws patience into its randomised agreement tests.)"""
    sc = scenario(mmc_plus(11.0, 1.0, 10, {"distribution": "exponential",
                                           "mean_minutes": 30.0}, horizon_days=6))
    assert engines.resolve("auto", sc) == "fast"
    realization = sample(sc, 0, seed=5)
    reference = simpy_model.simulate(sc, realization)
    fast = vectorized.simulate(sc, realization)
    assert np.isfinite(reference.abandon).sum() > 50  # abandonment matters here
    for name in ("start", "finish", "technician", "abandon"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(reference, name), name)


@pytest.mark.parametrize(("patience", "field"), [
    ({"distribution": "exponential"}, "patience.mean_minutes"),
    ({"distribution": "gamma", "mean_minutes": 5.0}, "patience.cv"),
    ({"distribution": "fixed", "mean_minutes": 5.0, "at_once": 1.5}, "patience.at_once"),
])
def test_bad_patience_names_the_field(patience, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(mmc_plus(9.0, 1.0, 10, patience))


ERLANG_A = [
    # (lambda, mu, servers, theta) per hour: overloaded (rho = 1.1) and light (rho = 0.8)
    pytest.param((11.0, 1.0, 10, 2.0), id="M/M/10+M rho=1.1"),
    pytest.param((4.0, 1.0, 5, 0.5), id="M/M/5+M rho=0.8"),
]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["simpy", "fast"])
@pytest.mark.parametrize("case", ERLANG_A)
def test_erlang_a(case, engine):
    lam, mu, c, theta = case
    sc = scenario(mmc_plus(lam, mu, c, {"distribution": "exponential",
                                        "mean_minutes": 60.0 / theta},
                           horizon_days=30, warmup_days=2,
                           targets={"answer_within_hours": 0.1,
                                    "abandoned_short": "missed"}))
    result = run(sc, replications=40, seed=7, progress=False, engine=engine)
    assert result.engine == engine
    exact = ErlangA(arrival_rate=lam, service_rate=mu, servers=c, patience_rate=theta)
    kpis = {name: np.array([s.kpis[name] for s in result.summaries])
            for name in ("abandonment_rate", "wait_mean_hours", "wait_positive_share",
                         "service_level", "on_time_rate")}
    assert_within(kpis["abandonment_rate"], exact.abandon_probability, "P(abandon)")
    assert_within(kpis["wait_mean_hours"], exact.mean_wait, "mean wait")
    assert_within(kpis["wait_positive_share"], exact.delay_probability, "P(wait > 0)")
    # every abandon a miss: the service level is P(an arrival starts within 6 minutes)
    assert_within(kpis["service_level"], exact.served_within(0.1), "service level")
    # the 2-hour promise: served, and wait + work within it (abandoned orders are late)
    assert_within(kpis["on_time_rate"], exact.on_time_within(2.0), "on time")
