"""The float pool: people outside the roster called in, by a stated rule, to fill absences.

Checked against the rule itself: exact call-in counts on a deterministic attendance
pattern (a stress event sends a known number home), an independent re-implementation of
the rule on random attendance (same draws, written as plainly as possible), the notice
and required-share refinements, and the engines: both simulate the members like
technicians, order by order, and the fused path keeps its bit-for-bit agreement.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.attendance import Status, assign_patterns
from capsim.engines import fused, simpy_model, vectorized
from capsim.errors import ScenarioError
from capsim.metrics import summarize, summarize_many
from capsim.rng import stream
from capsim.sampling import sample, sample_many
from tests.conftest import merge, scenario
from tests.test_fast_engine import assert_same_orders_and_kpis, operations
from tests.test_fused import assert_identical

FLOOR = {
    "name": "floor", "horizon_days": 10, "warmup_days": 0,
    "demand": {"rate_per_hour": 2.0},
    "work": {"distribution": "exponential", "mean_minutes": 60.0, "promise_hours": 12.0},
    "workforce": {"roster": 6, "shifts": [
        {"name": "day", "start_hour": 7, "length_hours": 8, "share": 0.5},
        {"name": "late", "start_hour": 15, "length_hours": 8, "share": 0.5}]},
    "policies": {"float_pool": {"size": 2}},
}


def pool_rows(real, roster):
    return real.status[roster:], real.shift_start[roster:], real.shift_end[roster:]


def test_call_ins_follow_the_rule_exactly_on_a_known_absence():
    # days 2-4: four of the six technicians are sent home; nobody else is ever absent
    s = scenario(merge(FLOOR, {"stress": [{"name": "out", "kind": "absence",
                                           "technicians": 4, "start_day": 2, "days": 3,
                                           "enabled": True}]}))
    real = sample(s, 0, seed=1)
    status, begin, end = pool_rows(real, 6)
    called = (status == Status.FLOAT).sum(axis=0)
    assert called.tolist() == [0, 0, 2, 2, 2, 0, 0, 0, 0, 0]  # two members, four gaps
    # each member works the shift of an absent technician of that day, whole
    regular = real.status[:6]
    for d in (2, 3, 4):
        gaps = {(real.shift_start[t, d], real.shift_end[t, d])
                for t in np.flatnonzero(regular[:, d] == Status.STRESS)}
        for m in np.flatnonzero(status[:, d] == Status.FLOAT):
            assert (begin[m, d], end[m, d]) in gaps
    assert np.isnan(begin[status != Status.FLOAT]).all()
    # the roster's own attendance is what it is without the pool
    plain = sample(scenario(merge(FLOOR, {"policies": {"float_pool": None},
                                          "stress": s.as_data()["stress"]})), 0, seed=1)
    np.testing.assert_array_equal(plain.status, regular)


def rule_by_hand(s, real, roster, seed):
    """The documented rule, plainly: (member, day) -> (start, end) of each call-in."""
    pool = s.policies.float_pool
    days = real.status.shape[1]
    u = stream(seed, real.replication, "float_pool").random((pool.size, days)).T
    pattern = assign_patterns(s.workforce.shifts, roster)[0].tolist()
    calls = {}
    for d in range(real.status.shape[1]):
        asked = 0
        for p in (0, 1):
            techs = [t for t in range(roster) if pattern[t] == p]
            status = [real.status[t, d] for t in techs]
            expected = sum(x not in (Status.DAY_OFF, Status.VACATION, Status.CLOSED)
                           for x in status)
            on_hand = sum(x in (Status.PRESENT, Status.COVERED) for x in status)
            need = math.ceil(pool.required_share * expected - 1e-9)
            for t, x in zip(techs, status, strict=True):
                if x not in (Status.UNPLANNED, Status.LAST_MINUTE, Status.OUTBREAK,
                             Status.STRESS):
                    continue
                if on_hand >= need or asked == pool.size:
                    break
                start = real.shift_start[t, d] + (pool.notice_hours
                                                  if x == Status.LAST_MINUTE else 0.0)
                if start >= real.shift_end[t, d]:
                    continue
                while asked < pool.size:
                    asked += 1
                    if u[d, asked - 1] < pool.answer_probability:
                        calls[(asked - 1, d)] = (start, real.shift_end[t, d])
                        on_hand += 1
                        break
    return calls


@pytest.mark.parametrize(("answer", "notice", "share"), [
    (1.0, 0.0, 1.0), (0.6, 2.5, 1.0), (0.8, 9.0, 0.7), (0.3, 1.0, 0.5)])
def test_call_ins_on_random_attendance_match_the_rule_written_by_hand(answer, notice, share):
    data = merge(FLOOR, {
        "horizon_days": 40, "workforce": {"roster": 9},
        "absence": {"daily_rate": 0.2, "last_minute_share": 0.5, "cover_probability": 0.3,
                    "outbreaks": [{"start_day": 12, "share": 0.5, "duration_days": 3}]},
        "policies": {"float_pool": {"size": 3, "answer_probability": answer,
                                    "notice_hours": notice, "required_share": share}}})
    s = scenario(data)
    calls = 0
    for replication in range(4):
        real = sample(s, replication, seed=3)
        status, begin, end = pool_rows(real, 9)
        got = {(m, d): (begin[m, d], end[m, d])
               for m, d in zip(*np.nonzero(status == Status.FLOAT), strict=True)}
        assert got == rule_by_hand(s, real, 9, seed=3)
        kpis = summarize(vectorized.simulate(s, real), 0).kpis
        assert kpis["float_call_ins"] == len(got)
        calls += len(got)
    assert calls  # the case calls people in


def test_a_larger_pool_calls_in_at_least_as_many_on_every_day():
    """Common random numbers across pool sizes: member m's answers are its own draws, so
    the first members of a larger pool are asked and answer as in the smaller one."""
    data = merge(FLOOR, {"absence": {"daily_rate": 0.3, "last_minute_share": 0.5}})
    for replication in range(20):
        called = []
        for size in range(5):
            s = scenario(merge(data, {"policies": {"float_pool": {
                "size": size, "answer_probability": 0.5}}}))
            status = sample(s, replication, seed=3).status[6:]
            called.append((status == Status.FLOAT).sum(axis=0))
        assert all((a <= b).all() for a, b in itertools.pairwise(called))


def test_members_serve_orders_and_are_priced_by_the_day():
    data = merge(FLOOR, {"absence": {"daily_rate": 0.3},
                         "costs": {"wage_per_hour": 20.0, "float_per_day": 250.0}})
    s = scenario(data)
    real = sample(s, 0, seed=2)
    rec = vectorized.simulate(s, real)
    members = rec.technician >= 6
    assert members.any()  # float members take orders
    kpis = summarize(rec, 0).kpis
    days = (real.status[6:] == Status.FLOAT).sum()
    assert kpis["cost_float"] == 250.0 * days
    np.testing.assert_array_equal(rec.wage[6:], [0.0, 0.0])
    # absent technicians are paid by default, members only by the day
    paid = (real.status[:6] != Status.DAY_OFF)
    hours = np.where(paid, real.shift_end[:6] - real.shift_start[:6], 0.0)
    assert kpis["cost_wages"] == pytest.approx(20.0 * hours.sum(), rel=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), size=st.integers(1, 3), answer=st.sampled_from([1.0, 0.5]),
       notice=st.sampled_from([0.0, 1.25]))
def test_the_engines_agree_order_by_order_with_a_float_pool(s, size, answer, notice):
    s = s.edit({"policies.float_pool": {"size": size, "answer_probability": answer,
                                        "notice_hours": notice}})
    reals = sample_many(s, [0, 1], seed=4)
    for real in reals:
        assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))
    expected = summarize_many(vectorized.simulate_many(s, reals), [0, 1])
    for one, two in zip(fused.summarize_many(s, reals, [0, 1]), expected, strict=True):
        assert_identical(one, two)


@pytest.mark.parametrize(("pool", "field"), [
    ({"size": -1}, "policies.float_pool.size"),
    ({"size": 2, "answer_probability": 1.5}, "policies.float_pool.answer_probability"),
    ({"size": 2, "notice_hours": -1.0}, "policies.float_pool.notice_hours"),
    ({"size": 2, "required_share": 0.0}, "policies.float_pool.required_share"),
    ({"answer_probability": 0.5}, "policies.float_pool.size"),
])
def test_bad_pools_name_the_field(pool, field):
    data = {**FLOOR, "policies": {"float_pool": pool}}
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(data)
