"""Workstations in the fast engine: the station loop against the reference, order by order.

The fast engine runs ``[equipment]`` through :mod:`capsim.engines._stationloop`. On
randomised scenarios (every dispatch rule, shifts at fractional hours, absences,
batches, abandonment, rework, remakes, repeat contacts and holds, fixed or random
failures and repairs, crews, resume and restart, fewer stations than technicians or
more) both engines give every job the same start, finish and technician (within 1e-9
h), the same interruptions, and the same KPIs; fixed durations on whole hours make
simultaneous failures, repairs, finishes and arrivals common, so the tie rules are
exercised. The same with an overtime policy (every trigger, caps that bind often), and with
supplies (tests/test_fast_supplies.py). The fused pipeline gives the Records path's
summaries bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.engines import _stationloop, resolve, simpy_model, vectorized
from capsim.metrics import summarize
from capsim.sampling import sample
from capsim.scenario import load_scenario, validate
from tests.conftest import STUTTERFLY
from tests.test_fast_engine import (
    _add_follow_ups,
    _add_holds,
    assert_same_orders_and_kpis,
    operations,
)
from tests.test_fused import assert_identical, both_paths


@st.composite
def with_equipment(draw, follow_ups=False, holds=False, overtime=False):
    """A random operation with workstations; ``overtime`` None: with a policy or not."""
    if overtime is None:
        overtime = draw(st.booleans())
    base = draw(operations(follow_ups=False, overtime=overtime))
    data = base.model_dump(mode="json", exclude_none=True)
    if follow_ups:
        _add_follow_ups(draw, data)
    if holds:
        _add_holds(draw, data)
    roster = data["workforce"]["roster"]
    fixed = draw(st.booleans())

    def duration(means):
        if fixed:
            return {"distribution": "fixed", "mean_hours": float(draw(st.sampled_from(means)))}
        mean = draw(st.floats(min(means), max(means)))
        if draw(st.booleans()):
            return {"distribution": "exponential", "mean_hours": mean}
        return {"distribution": "lognormal", "mean_hours": mean, "cv": 0.8}

    between, repair = duration([1, 2, 5, 12]), duration([1, 2, 4])
    equipment = {"stations": draw(st.integers(1, roster + 2)),
                 "time_between_failures": between, "repair": repair,
                 "on_failure": draw(st.sampled_from(["resume", "restart"]))}
    if draw(st.booleans()):
        equipment["repair_crew"] = draw(st.integers(1, 2))
    data["equipment"] = equipment
    return validate(data)


def assert_same_interruptions(reference, fast):
    a, b = reference.interruptions, fast.interruptions
    assert a is not None
    assert b is not None
    np.testing.assert_allclose(b.at, a.at, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(np.isnan(b.resumed), np.isnan(a.resumed))
    np.testing.assert_allclose(b.resumed, a.resumed, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.lost, a.lost, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(b.job, a.job)


def assert_engines_agree(s, replication, seed):
    real = sample(s, replication, seed=seed)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert_same_orders_and_kpis(reference, fast)
    assert_same_interruptions(reference, fast)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(), replication=st.integers(0, 1000))
def test_the_engines_agree_order_by_order(s, replication):
    assert_engines_agree(s, replication, seed=23)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(follow_ups=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_rework_remakes_and_repeat_contacts(s, replication):
    assert_engines_agree(s, replication, seed=29)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(holds=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_information_holds(s, replication):
    assert_engines_agree(s, replication, seed=31)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(overtime=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_an_overtime_policy(s, replication):
    """Staying past the shift through the stations' gate: at its finish only, with a
    station free then and after the moment's resumptions, else home (the reference)."""
    assert_engines_agree(s, replication, seed=43)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(follow_ups=True, overtime=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_overtime_and_follow_ups(s, replication):
    assert_engines_agree(s, replication, seed=47)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(follow_ups=True, overtime=None), first=st.integers(0, 1000),
       count=st.integers(1, 3))
def test_the_fused_pipeline_gives_the_records_path_summaries_bit_for_bit(s, first, count):
    for one, two in both_paths(s, first, count, seed=7):
        assert_identical(one, two)


def test_stutterfly_with_stations_interrupts_work_and_both_engines_agree():
    """A busy season on few stations: failures strike orders in work (the randomised
    cases above could pass without any), and the engines still agree on every order."""
    s = load_scenario(STUTTERFLY).edit({
        "workforce.roster": 12,
        "equipment": {"stations": 6, "time_between_failures": {"mean_hours": 6.0},
                      "repair": {"mean_hours": 1.5}, "repair_crew": 1}})
    real = sample(s, 3, seed=41)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert reference.interruptions is not None
    assert reference.interruptions.at.size > 20
    assert_same_orders_and_kpis(reference, fast)
    assert_same_interruptions(reference, fast)
    assert summarize(fast, 0).kpis["hours_lost_to_downtime"] > 0


def test_stutterfly_with_stations_and_overtime_both_engines_agree():
    """Few stations, frequent failures and an overtime policy whose caps bind: jobs are
    interrupted in overtime and technicians go home for want of a station."""
    s = load_scenario(STUTTERFLY).edit({
        "workforce.roster": 12,
        "policies.overtime": {"when": "queue", "threshold": 5, "max_hours": 2.0,
                              "weekly_max_hours": 6.0},
        "equipment": {"stations": 7, "time_between_failures": {"mean_hours": 5.0},
                      "repair": {"mean_hours": 1.5}, "repair_crew": 1}})
    real = sample(s, 2, seed=53)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert reference.interruptions is not None
    assert reference.interruptions.at.size > 20
    assert reference.overtime_hours.sum() > 10
    assert_same_orders_and_kpis(reference, fast)
    assert_same_interruptions(reference, fast)


def test_stutterfly_with_stations_and_supplies_both_engines_agree():
    """The supplies season on few, failing stations: the stock records and the
    interruptions are the reference's (orders blocked for their units and waiting for a
    station at once: tests/test_fast_supplies.py's small floors)."""
    s = load_scenario("experiments/stutterfly_supplies.toml").edit({
        "equipment": {"stations": 9, "time_between_failures": {"mean_hours": 8.0},
                      "repair": {"mean_hours": 1.5}, "repair_crew": 1}})
    assert vectorized.unsupported(s) is None
    assert resolve("auto", s) == "fast"
    real = sample(s, 1, seed=59)
    reference, fast = simpy_model.simulate(s, real), vectorized.simulate(s, real)
    assert reference.interruptions is not None
    assert reference.interruptions.at.size > 20
    assert reference.stock is not None
    assert fast.stock is not None
    assert_same_orders_and_kpis(reference, fast)
    assert_same_interruptions(reference, fast)
    for name in ("need", "demand", "short", "blocked", "received", "consumed", "final",
                 "placed"):
        np.testing.assert_allclose(getattr(fast.stock, name), getattr(reference.stock, name),
                                   atol=1e-9, rtol=0, err_msg=name)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=with_equipment(follow_ups=True, overtime=None),
       replication=st.integers(0, 1000))
def test_the_loop_as_plain_python_gives_the_compiled_numbers(s, replication):
    """Without numba the station loop runs as plain Python: the same numbers."""
    real = sample(s, replication, seed=37)
    compiled = vectorized.simulate(s, real)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_stationloop, "compiled", lambda: None)
        plain = vectorized.simulate(s, real)
    np.testing.assert_array_equal(plain.start, compiled.start)
    np.testing.assert_array_equal(plain.finish, compiled.finish)
    np.testing.assert_array_equal(plain.technician, compiled.technician)
    assert_same_interruptions(compiled, plain)
