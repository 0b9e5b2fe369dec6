"""The overtime policy: technicians stay past shift end, job by job, while the queue calls.

Checked against hand-computed schedules (one technician, fixed work, batches: every
trigger, both caps, an order in hand that crosses the shift end), against an
independent brute force of the rule for one technician on random scenarios, against
the caps on random scenarios of many technicians, engine against engine order by order
(every dispatch rule, follow-ups, abandonment, fractional shift hours), the fused path
against the Records path bit for bit, and against the policy off under common random
numbers. Bad input names the field.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.attendance import is_present
from capsim.engines import simpy_model, vectorized
from capsim.errors import ScenarioError
from capsim.metrics import summarize
from capsim.sampling import sample
from tests.conftest import merge, scenario
from tests.test_fast_engine import assert_same_orders_and_kpis, operations
from tests.test_fused import assert_identical, both_paths

# one technician on 08-16, 12 one-hour orders at 08:00 on day 0 and 06:00 on day 1
HAND = {
    "name": "hand", "horizon_days": 2, "warmup_days": 0,
    "demand": {"rate_per_hour": 0.0, "batches": [{"at_hour": 8.0, "orders": 12},
                                                  {"at_hour": 30.0, "orders": 12}]},
    "work": {"distribution": "fixed", "mean_minutes": 60.0, "promise_hours": 100.0},
    "workforce": {"roster": 1, "shifts": [{"name": "day", "start_hour": 8,
                                           "length_hours": 8}]},
}


def starts(data, **policy):
    s = scenario(merge(data, {"policies": {"overtime": policy}}) if policy else data)
    real = sample(s, 0, seed=1)
    reference = simpy_model.simulate(s, real)
    assert_same_orders_and_kpis(reference, vectorized.simulate(s, real))
    return [None if math.isnan(t) else t for t in reference.start], reference


def hours(first, count):
    return [float(h) for h in range(first, first + count)]


NONE = [None]


def test_without_the_policy_nothing_new_starts_after_the_shift():
    got, _ = starts(HAND)
    assert got == hours(8, 8) + hours(32, 8) + NONE * 8


def test_the_queue_trigger_stays_until_the_next_job_would_pass_max_hours():
    # 16:00: 4 wait, stay (job ends 17: 1 h past the end); 17: stay (ends 18: 2 h);
    # 18: the next job would end 19, 3 h > 2.5: home. Day 1 likewise from 14 waiting.
    got, records = starts(HAND, max_hours=2.5)
    assert got == hours(8, 10) + hours(32, 10) + NONE * 4
    np.testing.assert_array_equal(records.overtime_hours, [[2.0, 2.0]])


def test_the_weekly_cap_counts_the_week_so_far():
    # day 0 uses 2 of the 3 weekly hours; on day 1 one more job fits (3 <= 3), not two
    got, records = starts(HAND, max_hours=2.5, weekly_max_hours=3.0)
    assert got == hours(8, 10) + hours(32, 9) + NONE * 5
    np.testing.assert_array_equal(records.overtime_hours, [[2.0, 1.0]])


def test_a_threshold_on_the_queue():
    # more than 3 must wait: 16:00 (4 wait) stay; 17:00 (3 wait) home. Day 1: 15 wait at
    # 32:00; at 40:00 7 wait, at 41:00 6: stay twice (the second ends 2 h past the end)
    got, _ = starts(HAND, max_hours=2.5, threshold=3.0)
    assert got == hours(8, 9) + hours(32, 10) + NONE * 5


def test_the_oldest_wait_trigger():
    # more than 8.5 h: at 16:00 the oldest (arrived 08:00) has waited 8 h: home; on day 1
    # at 40:00 the oldest (arrived 30:00) has waited 10 h: stay, caps as before
    got, _ = starts(HAND, max_hours=2.5, when="oldest_wait", threshold=8.5)
    assert got == hours(8, 8) + hours(32, 10) + NONE * 6
    got, _ = starts(HAND, max_hours=2.5, when="oldest_wait", threshold=7.5)
    assert got == hours(8, 10) + hours(32, 10) + NONE * 4
    got, _ = starts(HAND, max_hours=2.5, when="oldest_wait", threshold=10.5)
    assert got == hours(8, 8) + hours(32, 8) + NONE * 8


def test_the_at_risk_trigger():
    data = merge(HAND, {"work": {"promise_hours": 10.0}})  # due 18:00 and 40:00
    # risk 2 h: at 16:00 four are due within 2 h: stay; at 17 too; at 18 the cap binds
    got, _ = starts(data, max_hours=2.5, when="at_risk", risk_hours=2.0)
    assert got == hours(8, 10) + hours(32, 10) + NONE * 4
    # risk 1.5 h: at 16:00 the due (18:00) is 2 h away: home; at 40:00 all are due: stay
    got, _ = starts(data, max_hours=2.5, when="at_risk", risk_hours=1.5)
    assert got == hours(8, 8) + hours(32, 10) + NONE * 6
    # more than 7 at risk: at 16:00 four: home; at 40:00 eight: stay; at 41:00 seven: home
    got, _ = starts(data, max_hours=2.5, when="at_risk", risk_hours=2.0, threshold=7.0)
    assert got == hours(8, 8) + hours(32, 9) + NONE * 7


def test_the_order_in_hand_counts_toward_the_caps():
    # 1.5 h jobs: the sixth runs 15:30-17:00 (1 h past the end, never refused); the next
    # would end 18:30, 2.5 h past: allowed by max 2.5, the one after (20:00) is not
    data = merge(HAND, {"work": {"mean_minutes": 90.0}})
    got, records = starts(data, max_hours=2.5)
    assert got[:8] == [8.0, 9.5, 11.0, 12.5, 14.0, 15.5, 17.0, 32.0]
    assert records.overtime_hours[0, 0] == 2.5
    got, records = starts(data, max_hours=2.0)  # the next would end 2.5 h past: home
    assert got[:7] == [8.0, 9.5, 11.0, 12.5, 14.0, 15.5, 32.0]
    assert records.overtime_hours[0, 0] == 1.0


def test_overtime_cost_is_the_premium_times_the_overtime_hours():
    data = merge(HAND, {"costs": {"wage_per_hour": 20.0, "overtime_premium": 1.5}})
    _, records = starts(data, max_hours=2.5)
    kpis = summarize(records, 0).kpis
    assert kpis["cost_overtime"] == 20.0 * 1.5 * 4.0  # 2 h on each day, exactly
    assert kpis["cost_wages"] == 20.0 * 16.0


# --------------------------------------------------------------------------- brute force


def brute_force(real, policy, horizon):
    """The policy for one technician and FIFO, written out plainly (no heaps, no engine)."""
    intervals = [(b, e) for b, e, p in zip(real.shift_start[0], real.shift_end[0],
                                           is_present(real.status)[0], strict=True) if p]
    arrival, work = real.arrival, real.work
    start = np.full(arrival.size, np.nan)
    weekly = math.inf if policy["weekly_max_hours"] is None else policy["weekly_max_hours"]
    week_used: dict[int, float] = {}
    k, t = 0, -math.inf
    for n, (b, e) in enumerate(intervals):
        t = max(t, b)
        while k < arrival.size and max(t, arrival[k]) < e:  # on duty
            t = max(t, arrival[k])
            if t >= horizon:
                return start
            start[k], t = t, t + work[k]
            k += 1
        following = intervals[n + 1][0] if n + 1 < len(intervals) else math.inf
        if t < e or t >= following:
            continue  # idle at the shift end, or still busy when the next one begins
        week = math.floor(e / 168.0)
        while k < arrival.size and t < horizon:  # free off duty at t: stay or go home
            waiting = [j for j in range(k, arrival.size) if arrival[j] <= t]
            if policy["when"] == "queue":
                calls = len(waiting) > policy["threshold"]
            elif policy["when"] == "oldest_wait":
                calls = any(t - arrival[j] > policy["threshold"] for j in waiting)
            else:
                risky = [j for j in waiting
                         if arrival[j] + PROMISE - t <= policy["risk_hours"]]
                calls = len(risky) > policy["threshold"]
            extra = t + work[k] - e
            if not calls or extra > policy["max_hours"] or (
                    week_used.get(week, 0.0) + extra > weekly):
                break
            start[k], t = t, t + work[k]
            k += 1
        week_used[week] = week_used.get(week, 0.0) + (t - e)
    return start


PROMISE = 6.0


@st.composite
def one_technician(draw):
    start = draw(st.one_of(st.integers(0, 20), st.integers(0, 2000).map(lambda h: h / 100)))
    length = draw(st.sampled_from([4.0, 6.5, 8.0]))
    policy = {"max_hours": draw(st.sampled_from([0.5, 1.0, 3.0])),
              "weekly_max_hours": draw(st.sampled_from([None, 0.0, 2.0, 5.0])),
              "when": draw(st.sampled_from(["queue", "oldest_wait", "at_risk"])),
              "threshold": float(draw(st.sampled_from([0, 1, 2]))),
              "risk_hours": draw(st.sampled_from([1.0, 4.0]))}
    data = {"name": "one", "horizon_days": draw(st.integers(2, 9)), "warmup_days": 0,
            "demand": {"rate_per_hour": draw(st.floats(0.3, 3.0))},
            "work": {"distribution": "exponential", "mean_minutes": draw(st.floats(10, 90)),
                     "promise_hours": PROMISE},
            "workforce": {"roster": 1, "shifts": [{"start_hour": start, "length_hours": length,
                                                   "days_per_week": draw(st.integers(3, 7))}]},
            "absence": {"daily_rate": draw(st.sampled_from([0.0, 0.2]))},
            "policies": {"overtime": {k: v for k, v in policy.items() if v is not None}}}
    return scenario(data), policy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=one_technician(), replication=st.integers(0, 1000))
def test_one_technician_follows_the_rule_as_written_out(case, replication):
    s, policy = case
    real = sample(s, replication, seed=3)
    expected = brute_force(real, policy, s.horizon_hours)
    got = vectorized.simulate(s, real).start
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- engines, caps


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(overtime=True), replication=st.integers(0, 1000))
def test_the_engines_agree_order_by_order(s, replication):
    real = sample(s, replication, seed=17)
    assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(overtime=True, follow_ups=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_rework_remakes_and_repeat_contacts(s, replication):
    real = sample(s, replication, seed=19)
    assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(overtime=True, holds=True), replication=st.integers(0, 1000))
def test_the_engines_agree_with_information_holds(s, replication):
    real = sample(s, replication, seed=31)
    assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(overtime=True), first=st.integers(0, 1000), count=st.integers(1, 3))
def test_the_fused_pipeline_gives_the_records_path_summaries_bit_for_bit(s, first, count):
    for one, two in both_paths(s, first, count, seed=7):
        assert_identical(one, two)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(max_roster=12, max_rate=20.0, overtime=True),
       replication=st.integers(0, 1000))
def test_overtime_never_passes_the_caps(s, replication):
    """Each technician-day's overtime after a job the policy added is within max_hours,
    and the week's overtime up to that day within the weekly cap (the order in hand is
    never refused, so a day without a policy job may pass them)."""
    policy = s.policies.overtime
    real = sample(s, replication, seed=23)
    records = vectorized.simulate(s, real)
    present = is_present(real.status)
    for tech in range(real.roster):
        used: dict[int, float] = {}
        for day in np.flatnonzero(present[tech]):
            end = real.shift_end[tech, day]
            overtime = records.overtime_hours[tech, day]
            week = math.floor(end / 168.0)
            used[week] = used.get(week, 0.0) + overtime
            mine = records.technician == tech
            added = mine & (records.start >= end) & (records.start < end + policy.max_hours)
            if added.any():
                assert overtime <= policy.max_hours + 1e-9
                if policy.weekly_max_hours is not None:
                    assert used[week] <= policy.weekly_max_hours + 1e-9


def test_a_policy_that_never_triggers_changes_nothing():
    s = operations_example()
    never = scenario(merge(s.as_data(), {"policies": {"overtime": {
        "max_hours": 2.0, "threshold": 1e6}}}))
    for replication in range(3):
        real = sample(s, replication, seed=5)
        a, b = summarize(vectorized.simulate(s, real), 0), summarize(
            vectorized.simulate(never, real), 0)
        assert_identical(a, b)


def operations_example():
    return scenario({
        "name": "floor", "horizon_days": 6, "warmup_days": 1,
        "demand": {"rate_per_hour": 3.0},
        "work": {"distribution": "lognormal", "cv": 1.0, "mean_minutes": 70.0,
                 "promise_hours": 8.0},
        "workforce": {"roster": 5, "shifts": [
            {"name": "early", "start_hour": 6.5, "length_hours": 8, "share": 0.6},
            {"name": "late", "start_hour": 14.25, "length_hours": 8, "share": 0.4}]},
        "absence": {"daily_rate": 0.1, "last_minute_share": 0.5}})


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(overtime=True), replication=st.integers(0, 1000))
def test_fifo_on_time_rate_never_drops_with_the_policy_on(s, replication):
    """Under FIFO, with nobody abandoning and no follow-ups, common random numbers.

    Checked, not proved: single orders can start later with the policy on (a
    technician staying takes the head of the queue, and who does what afterwards
    changes), so the test does not assert it per order; the on-time rate did not drop
    in any of about 2,000 random cases tried while building the policy. Derandomized,
    so that the examples are the same on every run.
    """
    data = s.as_data()
    data["dispatch"] = "fifo"
    for c in data["classes"]:
        c["patience"] = None
    with_policy = scenario(data)
    without = scenario({**data, "policies": {"overtime": None}})
    real = sample(without, replication, seed=29)
    on = summarize(vectorized.simulate(with_policy, real), 0).kpis["on_time_rate"]
    off = summarize(vectorized.simulate(without, real), 0).kpis["on_time_rate"]
    assert on >= off or (math.isnan(on) and math.isnan(off))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("change", "field"), [
    ({"max_hours": 17.0}, "policies.overtime.max_hours"),  # 16 h between two 8-h shifts
    ({"max_hours": 0.0}, "policies.overtime.max_hours"),
    ({"max_hours": 2.0, "threshold": -1.0}, "policies.overtime.threshold"),
    ({"max_hours": 2.0, "weekly_max_hours": -1.0}, "policies.overtime.weekly_max_hours"),
    ({"max_hours": 2.0, "when": "sometimes"}, "policies.overtime.when"),
    ({}, "policies.overtime.max_hours"),
])
def test_bad_policies_name_the_field(change, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(merge(HAND, {"policies": {"overtime": change}}))


def test_a_round_the_clock_roster_has_no_shift_end():
    data = merge(HAND, {"workforce": {"roster": 1, "always_on": True, "shifts": []},
                        "policies": {"overtime": {"max_hours": 2.0}}})
    with pytest.raises(ScenarioError, match="always_on"):
        scenario(data)


def test_the_report_says_which_overtime_is_planned():
    from types import SimpleNamespace

    from capsim.reporting.sections import _overtime_rule

    def rule(data):
        return _overtime_rule(SimpleNamespace(b=SimpleNamespace(scenario=scenario(data))))

    assert rule(HAND) == "no overtime is planned"
    data = merge(HAND, {"policies": {"overtime": {"max_hours": 2.5, "when": "at_risk",
                                                  "risk_hours": 4.0}}})
    assert rule(data) == ("and, under the overtime policy, on more jobs while more than 0 "
                          "orders are due within 4 h, up to 2.5 h past the shift end")
