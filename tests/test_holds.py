"""Information holds: a hand-computed floor, conservation of hold time, both engines order by
order, the fused path bit for bit, common random numbers, and bad input.

- One technician, fixed work and response (dyadic hours, so every time is exact): the
  start, finish, due and lead time of each order under ``when`` before/during and
  ``due`` unchanged/paused, worked out by hand below.
- Conservation: a hold during the work lasts exactly its response (the rest joins at
  the first part's finish + response, bit for bit), a hold before the work moves the
  order's arrival by exactly its response, the two parts' work add up to the work drawn,
  and ``hold_hours`` / ``orders_held`` equal the answered holds summed from the draws.
- Holds never change what else was drawn (their own streams); a hold share of 0 gives
  the numbers of a scenario without the table, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.engines import simpy_model, vectorized
from capsim.errors import ScenarioError
from capsim.followups import HOLD
from capsim.jobs import jobs
from capsim.metrics import summarize
from capsim.sampling import sample
from capsim.scenario import validate
from tests.conftest import merge, mmc_data, scenario
from tests.test_fast_engine import assert_same_orders_and_kpis, operations
from tests.test_fused import assert_identical, both_paths
from tests.test_quality import assert_same_jobs

ENGINES = {"simpy": simpy_model.simulate, "fast": vectorized.simulate}
DISPATCH = ["fifo", "edd", "priority"]


def _floor(when, due, at_hour=1.0, orders=2, promise=2.5, **hold):
    """One technician, always on; ``orders`` orders at ``at_hour``, 60 min of work each; every
    order held, answer after 120 min."""
    return scenario({
        "name": "holds by hand", "horizon_days": 1,
        "demand": {"batches": [{"at_hour": at_hour, "orders": orders}]},
        "work": {"distribution": "fixed", "mean_minutes": 60.0, "promise_hours": promise},
        "workforce": {"roster": 1, "always_on": True},
        "hold": {"share": 1.0, "when": when, "due": due,
                 "response": {"distribution": "fixed", "mean_minutes": 120.0}, **hold}})


# Two orders at 1.0 h. During (at = 0.5): order 0's first half 1.0-1.5, order 1's 1.5-2.0;
# their answers come at 3.5 and 4.0, the rest 3.5-4.0 and 4.0-4.5. Before: both join at
# 3.0 (answer), 3.0-4.0 and 4.0-5.0. Due: unchanged 1.0 + 2.5 = 3.5; paused moves it by the
# hold's 2 h: 5.5 (before: the answer 3.0 + 2.5, the same).
HAND = {
    ("during", "unchanged"): ([1.0, 1.0], [1.0, 1.5], [4.0, 4.5], [3.5, 3.5]),
    ("during", "paused"): ([1.0, 1.0], [1.0, 1.5], [4.0, 4.5], [5.5, 5.5]),
    ("before", "unchanged"): ([3.0, 3.0], [3.0, 4.0], [4.0, 5.0], [3.5, 3.5]),
    ("before", "paused"): ([3.0, 3.0], [3.0, 4.0], [4.0, 5.0], [5.5, 5.5]),
}


@pytest.mark.parametrize("engine", ["simpy", "fast"])
@pytest.mark.parametrize(("when", "due"), list(HAND))
def test_a_floor_worked_out_by_hand(engine, when, due):
    s = _floor(when, due)
    arrival, start, finish, due_at = HAND[(when, due)]
    r = ENGINES[engine](s, sample(s, 0, seed=1))
    np.testing.assert_array_equal(r.arrival, arrival)
    np.testing.assert_array_equal(r.start, start)
    np.testing.assert_array_equal(r.finish, finish)
    np.testing.assert_array_equal(r.due, due_at)
    np.testing.assert_array_equal(r.hold, [2.0, 2.0])
    k = summarize(r, 0).kpis
    assert k["hold_hours"] == 4.0
    assert k["orders_held"] == 2.0
    assert k["lead_time_mean_hours"] == np.mean(np.subtract(finish, arrival))
    assert k["on_time_rate"] == (1.0 if due == "paused" else 0.0)
    np.testing.assert_array_equal(r.passes, [1, 1])  # a hold is no defect
    assert k["right_first_time_rate"] == 1.0
    if when == "during":  # the technician works on order 1 while order 0 waits
        assert r.jobs is not None
        np.testing.assert_array_equal(r.jobs.start, [1.0, 1.5, 3.5, 4.0])
        np.testing.assert_array_equal(r.jobs.kind, [0, 0, HOLD, HOLD])


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_the_share_of_work_before_a_hold(engine):
    s = _floor("during", "unchanged", orders=1, at=0.25)
    r = ENGINES[engine](s, sample(s, 0, seed=1))
    assert r.jobs is not None
    np.testing.assert_array_equal(r.jobs.work, [0.25, 0.75])
    np.testing.assert_array_equal(r.jobs.start, [1.0, 3.25])  # answer at 1.25 + 2
    np.testing.assert_array_equal(r.finish, [4.0])


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_at_the_horizon_an_open_hold_counts_nothing(engine):
    """Answers due at 25.0 (before) and 25.5 (during), after the 24 h horizon: the order held
    before never arrives; the one held during the work is unfinished, its hold unanswered."""
    before = _floor("before", "unchanged", at_hour=23.0, orders=1)
    r = ENGINES[engine](before, sample(before, 0, seed=1))
    assert r.arrival.size == 0
    assert summarize(r, 0).kpis["hold_hours"] == 0.0
    during = _floor("during", "unchanged", at_hour=23.0, orders=1)
    r = ENGINES[engine](during, sample(during, 0, seed=1))
    np.testing.assert_array_equal(r.arrival, [23.0])
    assert np.isnan(r.finish[0])
    np.testing.assert_array_equal(r.hold, [0.0])
    k = summarize(r, 0).kpis
    assert (k["hold_hours"], k["orders_held"], k["orders_unfinished"]) == (0.0, 0.0, 1.0)


def _hold_scenario(**hold):
    return scenario(mmc_data(2.0, 1.0, 3, 8.0, horizon_days=12, warmup_days=2,
                             hold={"share": 0.4, "response": {"distribution": "exponential",
                                                              "mean_minutes": 240.0}, **hold}))


@pytest.mark.parametrize("engine", ["simpy", "fast"])
@pytest.mark.parametrize("when", ["before", "during"])
def test_every_hold_is_accounted(engine, when):
    s = _hold_scenario(when=when, due="paused")
    plain = scenario(mmc_data(2.0, 1.0, 3, 8.0, horizon_days=12, warmup_days=2))
    for replication in range(3):
        real, bare = sample(s, replication, seed=4), sample(plain, replication, seed=4)
        r = ENGINES[engine](s, real)
        table = jobs(s, real)
        if when == "during":  # the same orders; the two parts add up to the work drawn
            np.testing.assert_array_equal(real.arrival, bare.arrival)
            held = table.pred[table.kind == HOLD]
            whole = real.work.copy()
            whole[held] += table.work[table.kind == HOLD]
            np.testing.assert_allclose(whole, bare.work, rtol=1e-15)
            assert held.size > 0
        else:  # each order joins its response after it was placed (up to rounding)
            assert real.hold is not None
            assert (real.hold > 0).any()
            placed = real.arrival - real.hold
            index = np.searchsorted(bare.arrival, placed)
            gap = np.minimum(abs(placed - bare.arrival[np.maximum(index - 1, 0)]),
                             abs(placed - bare.arrival[np.minimum(index, bare.orders - 1)]))
            np.testing.assert_array_less(gap, 1e-12)
            assert placed.size <= bare.orders  # those answered after the horizon never came
        assert r.jobs is not None
        rest = np.flatnonzero(r.jobs.kind == HOLD)
        answered = rest[~np.isnan(r.jobs.join[rest])]
        first = table.pred[answered]
        np.testing.assert_array_equal(r.jobs.join[answered],
                                      r.jobs.finish[first] + table.delay[answered])
        # hold_hours: the answered holds of the orders arriving after the warm-up
        before = np.zeros(real.orders) if real.hold is None else real.hold
        per_order = before.copy()
        np.add.at(per_order, first, table.delay[answered])
        np.testing.assert_array_equal(r.hold, per_order)  # the Records order = the jobs'
        counted = r.arrival >= s.warmup_hours
        k = summarize(r, 0).kpis
        assert k["hold_hours"] == pytest.approx(per_order[counted].sum(), rel=1e-12)
        assert k["orders_held"] == np.count_nonzero(counted & (per_order > 0))


def test_holds_leave_every_other_draw_alone():
    """Their own streams: the arrivals, classes, work and the defects drawn stay as they were."""
    base = mmc_data(2.0, 1.0, 3, 8.0, horizon_days=6, quality={"right_first_time": 0.8},
                    patience={"distribution": "exponential", "mean_minutes": 600.0})
    one = sample(scenario(base), 2, seed=9)
    two = sample(scenario(merge(base, {"hold": {"share": 0.5, "when": "during", "response": {
        "distribution": "fixed", "mean_minutes": 90.0}}})), 2, seed=9)
    for name in ("arrival", "order_class", "patience"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    assert one.follow_ups is not None
    assert two.follow_ups is not None
    again = two.follow_ups.kind != HOLD
    np.testing.assert_array_equal(one.follow_ups.kind, two.follow_ups.kind[again])
    np.testing.assert_array_equal(one.follow_ups.work, two.follow_ups.work[again])


@pytest.mark.parametrize("when", ["before", "during"])
def test_a_hold_share_of_zero_changes_nothing(when):
    base = mmc_data(2.0, 1.0, 3, 8.0, horizon_days=8, warmup_days=1, dispatch="edd")
    held = scenario(merge(base, {"hold": {"share": 0.0, "when": when, "response": {
        "distribution": "fixed", "mean_minutes": 90.0}}}))
    plain = scenario(base)
    assert not held.has_holds
    for simulate in ENGINES.values():
        a = summarize(simulate(held, sample(held, 1, seed=2)), 0).kpis
        b = summarize(simulate(plain, sample(plain, 1, seed=2)), 0).kpis
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("dispatch", DISPATCH)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), replication=st.integers(0, 1000))
def test_the_engines_agree_order_by_order_with_holds(dispatch, data, replication):
    s = data.draw(operations(follow_ups=data.draw(st.booleans()), holds=True,
                             dispatch=dispatch))
    real = sample(s, replication, seed=23)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert_same_jobs(reference, fast)
    assert_same_orders_and_kpis(reference, fast)
    np.testing.assert_array_equal(reference.hold, fast.hold)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(follow_ups=True, holds=True), first=st.integers(0, 1000),
       count=st.integers(1, 3))
def test_with_holds_the_fused_pipeline_gives_the_records_path_summaries(s, first, count):
    for one, two in both_paths(s, first, count, seed=29):
        assert_identical(one, two)


BASE = mmc_data(2.0, 1.0, 3, 8.0)
RESPONSE = {"distribution": "fixed", "mean_minutes": 60.0}


@pytest.mark.parametrize(("hold", "field", "fragment"), [
    ({"share": 1.5, "response": RESPONSE}, "hold.share", "got 1.5"),
    ({"share": -0.1, "response": RESPONSE}, "hold.share", "got -0.1"),
    ({"share": 0.5, "response": {"distribution": "fixed", "mean_minutes": -60.0}},
     "hold.response.mean_minutes", "got -60.0"),
    ({"share": 0.5, "response": {"distribution": "exponential"}},
     "hold.response.mean_minutes", "needs mean_minutes"),
    ({"share": 0.5, "response": RESPONSE, "at": 0.0}, "hold.at", "got 0.0"),
    ({"share": 0.5, "response": RESPONSE, "at": 1.0}, "hold.at", "got 1.0"),
    ({"share": 0.5, "response": RESPONSE, "when": "after"}, "hold.when", "'before' or "
     "'during'"),
    ({"share": 0.5, "response": RESPONSE, "due": "moved"}, "hold.due", "'unchanged' or "
     "'paused'"),
    ({"share": 0.5}, "hold.response", "required"),
])
def test_bad_holds_name_the_field(hold, field, fragment):
    with pytest.raises(ScenarioError) as info:
        validate(merge(BASE, {"hold": hold}), source="scenario.toml")
    message = str(info.value)
    assert message.startswith(f"scenario.toml: {field}"), message
    assert fragment in message, message


def test_a_class_hold_is_checked_where_it_is():
    classes = [{"name": "a", "share": 1.0, "hold": {"share": 0.5, "at": 1.5,
                                                    "response": RESPONSE}}]
    with pytest.raises(ScenarioError, match=r"scenario.toml: classes\[0\]\.hold\.at"):
        validate(merge(BASE, {"classes": classes}), source="scenario.toml")


def test_a_class_inherits_the_scenario_hold_and_may_override_it():
    hold = {"share": 0.5, "response": RESPONSE}
    s = scenario(merge(BASE, {"hold": hold, "classes": [
        {"name": "a", "share": 0.5}, {"name": "b", "share": 0.5,
                                      "hold": {**hold, "when": "before"}}]}))
    a, b = s.order_classes
    assert a.hold is not None
    assert a.hold.when == "during"
    assert b.hold is not None
    assert b.hold.when == "before"
    assert s.replace("hold.share", 0.0).order_classes[0].hold.share == 0.0
