"""Attendance: schedules, days off, absences, vacations and outbreaks against exact results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from capsim.attendance import (
    Status,
    assign_patterns,
    duty_intervals,
    is_present,
    schedule,
    working_weekdays,
)
from capsim.sampling import sample
from capsim.scenario import Shift
from tests.conftest import merge, mmc_data, scenario

Z = 4.0  # standard errors; see test_validation_mmc


def always_on(roster: int, days: int, absence: dict) -> object:
    return scenario(mmc_data(1.0, 1.0, roster, 4.0, horizon_days=days, warmup_days=0,
                             absence=absence))


def statuses(s, replications: int, seed: int = 0) -> np.ndarray:
    return np.array([sample(s, r, seed=seed).status for r in range(replications)])


def test_on_hand_is_binomial_with_a_daily_rate():
    """Only a daily rate q: on-hand per day ~ Binomial(n, 1 − q), independent across days,
    so its mean is n(1 − q) and its variance nq(1 − q), each within 4 SE over 100 × 60 days.
    SE of the sample variance: sqrt((μ4 − σ⁴)/N) with the binomial's fourth central moment
    μ4 = nq(1−q)(1 + 3(n − 2)q(1 − q))."""
    n, q = 12, 0.15
    on_hand = is_present(statuses(always_on(n, 60, {"daily_rate": q}), 100)).sum(axis=1).ravel()
    mean, var = n * (1 - q), n * q * (1 - q)
    mu4 = var * (1 + 3 * (n - 2) * q * (1 - q))
    assert abs(on_hand.mean() - mean) < Z * math.sqrt(var / on_hand.size)
    assert abs(on_hand.var(ddof=1) - var) < Z * math.sqrt((mu4 - var**2) / on_hand.size)


def test_last_minute_and_cover_shares():
    """Absent with probability q; last-minute with probability `last` among absences; covered with
    probability c among the others. Each share within 4 binomial SE."""
    q, last, c = 0.2, 0.3, 0.6
    st = statuses(always_on(10, 100, {"daily_rate": q, "last_minute_share": last,
                                      "cover_probability": c}), 20).ravel()
    for code, p in [(Status.LAST_MINUTE, q * last), (Status.COVERED, q * (1 - last) * c),
                    (Status.UNPLANNED, q * (1 - last) * (1 - c)), (Status.PRESENT, 1 - q)]:
        share = np.mean(st == code)
        assert abs(share - p) < Z * math.sqrt(p * (1 - p) / st.size), (code, share, p)
    assert np.mean(is_present(st)) == pytest.approx(np.mean((st == 0) | (st == 6)))


def test_vacations_add_up_to_the_configured_weeks_outside_blackouts():
    blackouts = [{"start_day": 40, "end_day": 96}, {"start_day": 300, "end_day": 320}]
    s = always_on(15, 364, {"vacation": {"weeks_per_year": 6, "block_weeks": 2,
                                         "blackouts": blackouts}})
    blocked = np.zeros(364, dtype=bool)
    for w in blackouts:
        # a week touched by a blackout is closed whole
        blocked[7 * (w["start_day"] // 7): 7 * -(-w["end_day"] // 7)] = True
    for replication in range(5):
        vacation = sample(s, replication).status == Status.VACATION
        assert np.all(vacation.sum(axis=1) == 6 * 7)
        assert not np.any(vacation[:, blocked])
        for row in vacation:  # whole weeks, in blocks of 2 weeks starting on week boundaries
            starts = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int)])) == 1)
            assert np.all(starts % 7 == 0)
            runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], row, [0]]).astype(int))))
            assert np.all(runs[::2] % 14 == 0)


def test_vacations_over_a_short_season_are_the_share_of_the_year():
    """A 10-week season sees on average 10/52 of the year's vacation (4 SE over techs × reps)."""
    s = always_on(20, 70, {"vacation": {"weeks_per_year": 5}})
    days = (statuses(s, 50) == Status.VACATION).sum(axis=2).ravel()
    expected = 5 * 7 * 10 / 52
    assert abs(days.mean() - expected) < Z * days.std(ddof=1) / math.sqrt(days.size)


def test_an_outbreak_sends_its_share_home_at_once():
    """A fixed outbreak on day 10: the affected technicians all leave on day 10 and stay away
    exactly duration_days; the affected share is share (each technician independently, so
    4 binomial SE over 40 replications × 25 technicians)."""
    share, n = 0.6, 25
    s = always_on(n, 30, {"outbreaks": [{"start_day": 10, "share": share, "duration_days": 4}]})
    st = statuses(s, 40)
    sick = st == Status.OUTBREAK
    assert not sick[:, :, :10].any()
    assert not sick[:, :, 14:].any()
    first_day = sick[:, :, 10]
    assert np.array_equal(sick[:, :, 10:14], np.repeat(first_day[:, :, None], 4, axis=2))
    assert abs(first_day.mean() - share) < Z * math.sqrt(share * (1 - share) / first_day.size)


def test_random_outbreaks_occur_at_their_rate():
    """rate_per_30_days = 1.5 over 60 days: Poisson mean 3 outbreaks; with share 1 and a
    1-day duration every outbreak day empties the floor (days may coincide, rarely)."""
    s = always_on(3, 60, {"outbreaks": [{"rate_per_30_days": 1.5, "share": 1.0,
                                         "duration_days": 1}]})
    st = statuses(s, 300)
    events = (st == Status.OUTBREAK).all(axis=1).sum(axis=1)
    # distinct days: E = 60·(1 − e^{−λ}) with λ = 3/60 per day
    expected = 60 * (1 - math.exp(-3 / 60))
    assert abs(events.mean() - expected) < Z * events.std(ddof=1) / math.sqrt(events.size)


def test_days_off_are_staggered():
    """Seven technicians on a 7-day pattern working 5 days: each weekday has exactly 5 on."""
    shift = Shift(start_hour=8, length_hours=8, days_per_week=5)
    on = [working_weekdays(shift, rank) for rank in range(7)]
    assert all(len(days) == 5 for days in on)
    assert [sum(d in days for days in on) for d in range(7)] == [5] * 7
    # the first few technicians already spread their days off
    off = [set(range(7)) - days for days in on[:3]]
    assert not (off[0] & off[1])
    assert not (off[1] & off[2])


def test_pattern_assignment_is_prefix_stable_and_proportional():
    patterns = (Shift(start_hour=6, length_hours=8, share=0.6),
                Shift(start_hour=14, length_hours=8, share=0.4))
    big, _ = assign_patterns(patterns, 50)
    for n in range(1, 50):
        small, _ = assign_patterns(patterns, n)
        assert np.array_equal(small, big[:n])
        # Sainte-Laguë keeps each pattern within one technician of its exact quota
        assert abs(np.sum(small == 0) - 0.6 * n) <= 1
    counted = (Shift(start_hour=6, length_hours=8, count=2),
               Shift(start_hour=14, length_hours=8, share=1.0))
    assert assign_patterns(counted, 5)[0].tolist() == [0, 0, 1, 1, 1]


def test_schedule_follows_start_hour_length_and_weekdays():
    data = mmc_data(1.0, 1.0, 2, 4.0, horizon_days=7, start_weekday=2, workforce={
        "always_on": False, "shifts": [{"start_hour": 22, "length_hours": 9,
                                        "weekdays": ["mon", "fri"]}]})
    start, end = schedule(scenario(data), 2)
    # day 0 is a Wednesday: Friday is day 2, Monday day 5
    expected = np.full(7, np.nan)
    expected[[2, 5]] = [2 * 24 + 22, 5 * 24 + 22]
    np.testing.assert_array_equal(start[0], expected)
    np.testing.assert_array_equal(end[1], expected + 9)


def test_duty_merges_back_to_back_shifts():
    start = np.array([0.0, 24.0, 48.0, 72.0])
    present = np.array([True, True, False, True])
    assert duty_intervals(start, start + 24, present) == [(0.0, 48.0), (72.0, 96.0)]
    assert duty_intervals(start, start + 8, present) == [(0.0, 8.0), (24.0, 32.0), (72.0, 80.0)]


def test_day_off_takes_precedence_over_every_absence(shifts_data):
    s = scenario(merge(shifts_data, {"absence": {"daily_rate": 0.5}}))
    real = sample(s, 0)
    scheduled = ~np.isnan(real.shift_start)
    assert np.array_equal(real.status == Status.DAY_OFF, ~scheduled)
