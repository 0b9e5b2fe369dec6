"""Sizing what users write: count-only shift plans, and targets no roster can meet."""

from __future__ import annotations

import numpy as np
import pytest

from capsim.analytic import reach
from capsim.analytic.reach import duty_union, hopeless
from capsim.attendance import assign_patterns
from capsim.cli import main
from capsim.engines.vectorized import simulate
from capsim.metrics import summarize
from capsim.sampling import sample
from capsim.scenario import with_roster
from capsim.staffing import size_staff
from tests.conftest import mmc_data, scenario

WEEKDAYS_ONLY = mmc_data(2.0, 1.0, 5, 24.0, horizon_days=36, warmup_days=7, work={
    "distribution": "fixed", "mean_minutes": 20.0}, workforce={"always_on": False, "shifts": [
        {"start_hour": 8, "length_hours": 8, "weekdays": ["mon", "tue", "wed", "thu", "fri"]}]})


def counted(early: int, late: int, **changes):
    data = mmc_data(4.0, 2.0, early + late, 12.0, horizon_days=6, warmup_days=1,
                    workforce={"always_on": False, "shifts": [
                        {"name": "early", "start_hour": 6, "length_hours": 8, "count": early},
                        {"name": "late", "start_hour": 14, "length_hours": 8, "count": late}]},
                    **changes)
    return scenario(data)


def test_a_count_only_plan_is_sized_by_scaling_its_counts():
    """Every pattern by count: the error named --set workforce.roster=N, which the user
    never typed. Rosters now scale the counts in proportion, prefix-stably."""
    plan = counted(6, 3)
    for roster in (3, 9, 12):
        s = with_roster(plan, roster)
        pattern, _ = assign_patterns(s.workforce.shifts, roster)
        assert s.workforce.roster == roster
        assert np.bincount(pattern, minlength=2).tolist() == [2 * roster // 3, roster // 3]
    # technician i's pattern does not depend on the roster (common random numbers)
    small, large = (assign_patterns(with_roster(plan, n).workforce.shifts, n)[0]
                    for n in (9, 12))
    np.testing.assert_array_equal(large[:9], small)


def test_size_and_the_cli_accept_a_count_only_plan(tmp_path, capsys):
    result = size_staff(counted(2, 1), 0.9, replications=4, seed=1, workers=1,
                        progress=False)
    assert result.recommended is not None
    assert any("given by count (2 early + 1 late)" in note for note in result.notes)
    path = tmp_path / "plan.toml"
    path.write_text("""
name = "plan"
horizon_days = 6
warmup_days = 1
[demand]
rate_per_hour = 4.0
[work]
distribution = "exponential"
mean_minutes = 30.0
promise_hours = 12.0
[workforce]
roster = 3
shifts = [{ name = "early", start_hour = 6, length_hours = 8, count = 2 },
          { name = "late", start_hour = 14, length_hours = 8, count = 1 }]
""")
    assert main(["size", str(path), "-r", "4", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "RECOMMENDED" in out
    assert "scaling the counts in proportion" in out


def test_reach_by_hand_for_a_weekday_only_shift():
    """Mon-Fri 08:00-16:00, 24 h promise, uniform demand, whole weeks counted: an order
    arriving from Friday 16:00 to Sunday 08:00 (40 of 168 hours) sees no shift before it
    is due. The bound is exact up to the minute grid (edges on whole hours: exact)."""
    bound = reach(scenario(WEEKDAYS_ONLY))
    assert bound.on_time_rate == pytest.approx(128 / 168, abs=1e-12)
    assert bound.lost_by_weekday[4] == pytest.approx(8 / 168, abs=1e-12)  # Friday 16-24
    assert bound.lost_by_weekday[5] == pytest.approx(24 / 168, abs=1e-12)  # Saturday
    assert bound.lost_by_weekday[6] == pytest.approx(8 / 168, abs=1e-12)  # Sunday 0-8
    assert bound.worst_days() == ["saturday", "friday", "sunday"]
    always = scenario(mmc_data(2.0, 1.0, 5, 24.0))
    assert reach(always).on_time_rate == 1.0


def test_no_replication_beats_the_bound():
    """Replication by replication (exact): no order arriving in a hopeless interval is on
    time, even with 12 technicians for 2 orders an hour; and those orders are nearly all
    that is late, so the bound is close to what the roster reaches."""
    s = with_roster(scenario(WEEKDAYS_ONLY), 12)
    bad = hopeless(duty_union(s), 24.0, s.horizon_hours)
    for replication in range(3):
        record = simulate(s, sample(s, replication, seed=2))
        counted = (record.arrival >= s.warmup_hours) & (record.due <= s.horizon_hours)
        doomed = np.zeros(record.arrival.size, dtype=bool)
        for a, b in bad:
            doomed |= (record.arrival >= a) & (record.arrival <= b)
        on_time = record.finish <= record.due
        assert not np.any(on_time & doomed & counted)
        possible = np.sum(counted & ~doomed) / np.sum(counted)
        rate = summarize(record, replication).kpis["on_time_rate"]
        assert possible - 0.02 < rate <= possible


def test_size_says_why_no_roster_meets_the_target(tmp_path, capsys):
    path = tmp_path / "weekdays.toml"
    path.write_text("""
name = "weekdays only"
horizon_days = 36
warmup_days = 7
[demand]
rate_per_hour = 2.0
[work]
distribution = "fixed"
mean_minutes = 20.0
promise_hours = 24.0
[workforce]
roster = 5
shifts = [{ start_hour = 8, length_hours = 8, weekdays = ["mon", "tue", "wed", "thu", "fri"] }]
""")
    assert main(["size", str(path), "--max", "8", "-r", "3", "--workers", "1"]) == 3
    out = capsys.readouterr().out
    assert "no roster up to 8 meets mean on_time_rate >= 95.00 %: the best mean is" in out
    assert "at most 76.2 % of orders can be on time with any roster" in out
    assert "mostly on saturday, friday, sunday" in out
