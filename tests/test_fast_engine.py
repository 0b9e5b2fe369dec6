"""The fast engine against the SimPy reference: the same start and finish for every order.

Randomized scenarios (hypothesis) cover shifts, days off, absences, outbreaks, stress
absences, surges, batch drops, overtime, order classes, abandonment (patience) and
every dispatch rule, with
whole-hour shift starts, batches and fixed work contents so that simultaneous events
(ties) are common, and shifts at fractional hours (which SimPy could not reach exactly by
a delay). The compiled loop, the numpy steps (FIFO) and the loop run as plain Python
(EDD, priority) must agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim import engines
from capsim.engines import _kernel, simpy_model, vectorized
from capsim.engines._kernel import compiled
from capsim.metrics import summarize
from capsim.records import dispatch_keys, patience_deadline
from capsim.sampling import sample
from tests.conftest import scenario


@st.composite
def operations(draw, max_roster=7, max_rate=8.0, follow_ups=False, holds=False,
               dispatch=None, overtime=False):
    days = draw(st.integers(2, 5))
    fixed = draw(st.booleans())
    work = ({"distribution": "fixed", "mean_minutes": float(draw(st.sampled_from([30, 60, 90])))}
            if fixed else {"distribution": "lognormal", "cv": draw(st.floats(0.3, 1.5)),
                           "mean_minutes": draw(st.floats(10, 120))})
    # whole hours make ties common; hundredths of an hour are not dyadic, so a shift's
    # start cannot be reached exactly by adding a delay to most earlier times
    hour = st.one_of(st.integers(0, 23), st.integers(0, 2399).map(lambda h: h / 100))
    length = st.one_of(st.integers(2, 14), st.integers(200, 1400).map(lambda h: h / 100))
    shifts = [{"start_hour": draw(hour), "length_hours": draw(length),
               "days_per_week": draw(st.integers(4, 7)), "share": 1.0}]
    if draw(st.booleans()):
        shifts[0]["share"] = 0.5
        shifts.append({"start_hour": draw(hour), "length_hours": draw(length), "share": 0.5})
    roster = draw(st.integers(1, max_roster))
    # few distinct priorities and whole-hour promises: equal keys (FIFO within them) occur
    n_classes = draw(st.integers(1, 3))
    classes = [{"name": f"c{j}", "share": 1.0 / n_classes, "priority": draw(st.integers(0, 2)),
                "promise_hours": float(draw(st.integers(1, 30)))} for j in range(n_classes)]
    if draw(st.booleans()):  # abandonment: a patience for everyone, or for one class
        patience = {"distribution": draw(st.sampled_from(["fixed", "exponential"])),
                    "mean_minutes": float(draw(st.sampled_from([15, 60, 240]))),
                    "at_once": draw(st.sampled_from([0.0, 0.2]))}
        classes[0]["patience"] = patience
    data = {
        "dispatch": dispatch or draw(st.sampled_from(["fifo", "edd", "priority"])),
        "classes": classes,
        "name": "random", "horizon_days": days, "warmup_days": draw(st.integers(0, 1)),
        "demand": {"rate_per_hour": draw(st.floats(0.2, max_rate)),
                   "surges": [{"start_hour": 24.0, "end_hour": 30.0,
                               "multiplier": draw(st.floats(0.5, 3.0))}],
                   "batches": [{"at_hour": float(draw(st.integers(0, 24 * days - 1))),
                                "orders": draw(st.integers(1, 25))}]},
        "work": {**work, "promise_hours": draw(st.floats(1.0, 30.0))},
        "workforce": ({"roster": roster, "always_on": True}
                      if not overtime and draw(st.booleans())
                      else {"roster": roster, "shifts": shifts}),
        "absence": {"daily_rate": draw(st.floats(0.0, 0.3)),
                    "last_minute_share": draw(st.floats(0.0, 1.0)),
                    "cover_probability": draw(st.floats(0.0, 1.0)),
                    "outbreaks": [{"start_day": 1, "share": draw(st.floats(0.1, 1.0)),
                                   "duration_days": 1}]},
        "stress": [{"name": "flu", "kind": "absence", "start_day": 1, "days": 1,
                    "technicians": 1, "enabled": draw(st.booleans())}],
    }
    if draw(st.booleans()):  # a service level, short abandons counted every way
        data["targets"] = {"answer_within_hours": draw(st.sampled_from([0.25, 1.0, 4.0])),
                           "abandoned_short": draw(st.sampled_from(["exclude", "met",
                                                                    "missed"]))}
    if follow_ups:
        _add_follow_ups(draw, data)
    if overtime:
        _add_overtime(draw, data)
    if holds:
        _add_holds(draw, data)
    return scenario(data)


def _add_overtime(draw, data):
    """An overtime policy (tests/test_overtime.py): every trigger, caps that bind often."""
    rest = min(24.0 - s["length_hours"] for s in data["workforce"]["shifts"])
    policy = {"max_hours": min(rest, draw(st.sampled_from([0.5, 1.0, 2.5, 4.0]))),
              "when": draw(st.sampled_from(["queue", "oldest_wait", "at_risk"])),
              "threshold": float(draw(st.sampled_from([0, 1, 3]))),
              "risk_hours": draw(st.sampled_from([0.5, 2.0, 8.0]))}
    if draw(st.booleans()):
        policy["weekly_max_hours"] = draw(st.sampled_from([0.0, 1.5, 6.0]))
    data["policies"] = {"overtime": policy}


def _add_holds(draw, data):
    """Information holds (tests/test_holds.py): for everyone or for one class, each way."""
    response = st.sampled_from([{"distribution": "fixed", "mean_minutes": 60.0},
                                {"distribution": "fixed", "mean_minutes": 300.0},
                                {"distribution": "exponential", "mean_minutes": 180.0}])
    hold = {"share": draw(st.sampled_from([0.3, 0.7, 1.0])),
            "when": draw(st.sampled_from(["before", "during"])),
            "at": draw(st.sampled_from([0.25, 0.5, 0.9])), "response": draw(response),
            "due": draw(st.sampled_from(["unchanged", "paused"]))}
    if draw(st.booleans()):
        data["hold"] = hold
    else:
        data["classes"][-1]["hold"] = hold


def _add_follow_ups(draw, data):
    """Rework, remakes and repeat contacts (tests/test_quality.py), with ties likely."""
    classes = data["classes"]
    delay = st.sampled_from([{"distribution": "fixed", "mean_minutes": 60.0},
                             {"distribution": "fixed", "mean_minutes": 240.0},
                             {"distribution": "exponential", "mean_minutes": 120.0}])
    if draw(st.booleans()):
        customer = draw(st.sampled_from([0.0, 0.5, 1.0]))
        quality = {"right_first_time": draw(st.sampled_from([0.5, 0.8, 0.95])),
                   "found_by_customer": customer,
                   "rework_first": draw(st.booleans()),
                   "remake_due": draw(st.sampled_from(["original", "renewed"]))}
        if customer > 0:
            quality["remake_delay"] = draw(delay)
        if draw(st.booleans()):
            quality["rework"] = {"distribution": "fixed", "mean_minutes": 30.0}
        if draw(st.booleans()):
            data["quality"] = quality
        else:
            classes[-1]["quality"] = quality
    if draw(st.booleans()) or ("quality" not in data and "quality" not in classes[-1]):
        returns = {"probability": draw(st.sampled_from([0.2, 0.5, 1.0])), "delay": draw(delay),
                   "as_class": f"c{draw(st.integers(0, len(classes) - 1))}",
                   "max_returns": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            returns["extra_minutes"] = {"distribution": "fixed", "mean_minutes": 15.0}
        classes[0]["returns"] = returns


def assert_same_orders_and_kpis(reference, fast):
    """Per-order start and finish within 1e-9 h, the same technicians, the same KPIs."""
    np.testing.assert_array_equal(np.isnan(reference.start), np.isnan(fast.start))
    np.testing.assert_allclose(fast.start, reference.start, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.isnan(reference.finish), np.isnan(fast.finish))
    np.testing.assert_allclose(fast.finish, reference.finish, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.technician, reference.technician)
    np.testing.assert_array_equal(fast.abandon, reference.abandon)
    a, b = summarize(reference, 0).kpis, summarize(fast, 0).kpis
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-12, nan_ok=True), name


@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), replication=st.integers(0, 1000))
def test_the_engines_agree_order_by_order(s, replication):
    real = sample(s, replication, seed=11)
    assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(max_roster=120, max_rate=150.0), replication=st.integers(0, 1000))
def test_the_engines_agree_with_large_rosters(s, replication):
    """Up to 120 technicians: the technician heap keeps the tie rule at every size."""
    real = sample(s, replication, seed=13)
    assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))


def _batch(s, reps=4):
    reals = [sample(s, r, seed=5) for r in range(reps)]
    begin, end = vectorized._duty_table(reals)
    offsets = np.concatenate([[0], np.cumsum([r.orders for r in reals])])
    keys = None if s.dispatch == "fifo" else np.concatenate(
        [dispatch_keys(s, r) for r in reals])
    deadline = None if not s.has_patience else np.concatenate(
        [patience_deadline(r) for r in reals])
    return (np.concatenate([r.arrival for r in reals]), np.concatenate([r.work for r in reals]),
            offsets, begin, end, s.horizon_hours, keys, deadline)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations())
def test_compiled_and_numpy_recursions_are_identical(s):
    """FIFO: numpy steps; EDD, priority or patience: the loop as plain Python."""
    assert compiled() is not None, "numba is part of the dev extra: the compiled path must run"
    args = _batch(s)
    one = vectorized._recursion(*args, compiled=True)
    with pytest.MonkeyPatch.context() as patch:
        for name in _kernel._HELPERS:  # what runs when numba is missing (CAPSIM_AOT=1:
            helper = getattr(_kernel, name)  # the built loops leave them plain)
            patch.setattr(_kernel, name, getattr(helper, "py_func", helper))
        two = vectorized._recursion(*args, compiled=False)
    for x, y in zip(one, two, strict=True):
        np.testing.assert_array_equal(x, y)


def test_many_at_once_equals_one_by_one(shifts_data):
    s = scenario(shifts_data)
    reals = [sample(s, r, seed=3) for r in range(5)]
    together = vectorized.simulate_many(s, reals)
    for real, record in zip(reals, together, strict=True):
        alone = vectorized.simulate(s, real)
        np.testing.assert_array_equal(alone.start, record.start)
        np.testing.assert_array_equal(alone.finish, record.finish)


def test_auto_picks_the_fast_engine_when_it_can(shifts_data):
    from tests.conftest import merge

    for dispatch in ("fifo", "edd", "priority"):
        s = scenario(merge(shifts_data, {"dispatch": dispatch}))
        assert engines.resolve("auto", s) == "fast"
        assert engines.resolve("fast", s) == "fast"


def test_auto_passes_over_the_fast_engine_without_numba(shifts_data, monkeypatch):
    """Without the compiled loop, small batches run faster on SimPy: auto picks it."""
    monkeypatch.setenv("CAPSIM_NO_NUMBA", "1")
    assert engines.resolve("auto", scenario(shifts_data)) == "simpy"
    assert engines.resolve("fast", scenario(shifts_data)) == "fast"  # still on request
