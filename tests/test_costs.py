"""Cost KPIs: exact sums of the scenario's prices times what a replication recorded.

Each cost is checked against an independent computation from the Records of the same
replication (or, with no absence, against a count by hand), to the last bit where the
sum is of exact binary numbers and to 1e-12 relative elsewhere; the fused fast path
must give the Records path's costs bit for bit on randomised scenarios.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from capsim.attendance import Status
from capsim.engines import fused, vectorized
from capsim.errors import ScenarioError
from capsim.experiment import run
from capsim.kpis import BY_NAME
from capsim.metrics import summarize, summarize_many
from capsim.output.run import format_table
from capsim.records import build_records
from capsim.sampling import sample, sample_many
from tests.conftest import merge, scenario
from tests.test_fast_engine import operations
from tests.test_fused import assert_identical

COST_KPIS = [name for name, k in BY_NAME.items() if k.feature == "costs"]

TWO_SHIFTS = {
    "name": "priced", "horizon_days": 7, "warmup_days": 1,
    "demand": {"rate_per_hour": 1.5},
    "work": {"distribution": "exponential", "mean_minutes": 50.0, "promise_hours": 6.0},
    "workforce": {"roster": 5, "shifts": [
        {"name": "early", "start_hour": 6, "length_hours": 8, "count": 3},
        {"name": "late", "start_hour": 14, "length_hours": 8, "count": 2,
         "wage_per_hour": 30.0}]},
    "costs": {"wage_per_hour": 20.0, "overtime_premium": 1.5, "late_per_order": 40.0,
              "late_per_hour": 2.5},
}


def one_run(data, seed=3):
    s = scenario(data)
    real = sample(s, 0, seed=seed)
    rec = vectorized.simulate_many(s, [real])[0]
    return s, rec, summarize(rec, 0).kpis


def test_wages_are_the_scheduled_hours_at_each_pattern_s_wage():
    _, _, kpis = one_run(TWO_SHIFTS)
    # no absence: every technician works 8 h on each of the 6 days after the warm-up
    assert kpis["cost_wages"] == (3 * 20.0 + 2 * 30.0) * 8 * 6


def test_overtime_late_and_total_are_the_recorded_quantities_priced():
    _s, rec, kpis = one_run(TWO_SHIFTS)
    wage = np.where(np.arange(5) < 3, 20.0, 30.0)
    window = slice(1, None)
    overtime = (rec.overtime_hours[:, window] * wage[:, None]).sum() * 1.5
    assert kpis["cost_overtime"] == pytest.approx(overtime, rel=1e-12)
    assert kpis["overtime_hours"] > 0  # the case exercises overtime
    counted = (rec.arrival >= 24.0) & (rec.due <= rec.horizon)
    late = counted & ~(rec.finish <= rec.due)  # no patience: nobody abandons
    hours_late = np.where(np.isnan(rec.finish), rec.horizon, rec.finish)[late] - rec.due[late]
    assert kpis["orders_late"] == late.sum() > 0
    assert kpis["late_hours"] == pytest.approx(hours_late.sum(), rel=1e-12)
    assert kpis["cost_late"] == pytest.approx(40.0 * late.sum() + 2.5 * hours_late.sum(),
                                              rel=1e-12)
    parts = ["cost_wages", "cost_overtime", "cost_cover", "cost_late", "cost_abandoned"]
    assert kpis["cost_total"] == pytest.approx(sum(kpis[p] for p in parts), rel=1e-12)
    assert kpis["cost_per_order"] == pytest.approx(kpis["cost_total"] / kpis["orders_arrived"])


@pytest.mark.parametrize("absent_paid", [True, False])
def test_absent_days_are_paid_as_the_scenario_says_and_cover_is_priced(absent_paid):
    data = merge(TWO_SHIFTS, {
        "horizon_days": 28, "absence": {"daily_rate": 0.15, "last_minute_share": 0.3,
                                        "cover_probability": 0.5,
                                        "vacation": {"weeks_per_year": 5}},
        "costs": {"absent_paid": absent_paid, "cover_per_day": 150.0,
                  "abandoned_per_order": 9.0},
        "patience": {"distribution": "exponential", "mean_minutes": 120.0}})
    _, rec, kpis = one_run(data)
    status = rec.status[:, 1:]
    paid = np.isin(status, [Status.PRESENT, Status.VACATION])
    if absent_paid:
        paid = status != Status.DAY_OFF
    assert (status == Status.LAST_MINUTE).any()
    assert (status == Status.COVERED).any()
    wage = np.where(np.arange(5) < 3, 20.0, 30.0)[:, None]
    assert kpis["cost_wages"] == pytest.approx((paid * 8.0 * wage).sum(), rel=1e-12)
    assert kpis["cost_cover"] == 150.0 * (status == Status.COVERED).sum()
    gone = (rec.arrival >= 24.0) & ~np.isnan(rec.abandon)
    assert kpis["cost_abandoned"] == 9.0 * gone.sum() > 0


def test_without_costs_every_cost_is_undefined_and_the_run_table_leaves_them_out():
    data = {k: v for k, v in TWO_SHIFTS.items() if k != "costs"}
    result = run(scenario(data), replications=3, seed=1, workers=1, progress=False)
    for name in COST_KPIS:
        assert math.isnan(result.kpis[name].mean)
    assert not any(name in format_table(result) for name in COST_KPIS)
    priced = run(scenario(TWO_SHIFTS), replications=3, seed=1, workers=1, progress=False)
    assert all(name in format_table(priced) for name in COST_KPIS)
    # prices never change what happens: the same replications, the same operation
    for name in ("on_time_rate", "overtime_hours", "utilization"):
        assert priced.kpis[name].mean == result.kpis[name].mean


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations())
def test_the_fused_pipeline_prices_exactly_as_the_records_path(s):
    priced = s.replace("costs", {"wage_per_hour": 17.5, "overtime_premium": 2.0,
                                 "absent_paid": False, "cover_per_day": 99.0,
                                 "late_per_order": 3.0, "late_per_hour": 0.7,
                                 "abandoned_per_order": 11.0})
    reals = sample_many(priced, [0, 1], seed=5)
    expected = summarize_many(vectorized.simulate_many(priced, reals), [0, 1])
    for one, two in zip(fused.summarize_many(priced, reals, [0, 1]), expected, strict=True):
        assert_identical(one, two)
        assert not math.isnan(one.kpis["cost_total"])


def test_records_carry_the_wages_of_the_patterns():
    s = scenario(TWO_SHIFTS)
    real = sample(s, 0, seed=1)
    n = real.orders
    rec = build_records(s, real, np.full(n, np.nan), np.full(n, np.nan), np.full(n, -1))
    np.testing.assert_array_equal(rec.wage, [20.0, 20.0, 20.0, 30.0, 30.0])


@pytest.mark.parametrize(("changes", "field"), [
    ({"costs": {"wage_per_hour": -1.0}}, "costs.wage_per_hour"),
    ({"costs": {"overtime_premium": 0.5}}, "costs.overtime_premium"),
    ({"costs": {"late_per_hour": float("inf")}}, "costs.late_per_hour"),
    ({"costs": {"salary": 3.0}}, "costs.salary"),
])
def test_bad_prices_name_the_field(changes, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(merge(TWO_SHIFTS, changes))


def test_rework_is_priced_like_any_operation():
    """Follow-up jobs build their Records by another road: the prices must come along."""
    plain = one_run(TWO_SHIFTS)[2]
    data = merge(TWO_SHIFTS, {"quality": {"right_first_time": 0.8},
                              "costs": {"late_per_order": 0.0, "late_per_hour": 0.0}})
    reworked = one_run(data)[2]
    assert reworked["rework_hours"] > 0
    assert reworked["cost_wages"] == plain["cost_wages"]  # no absence: the same paid hours
    assert reworked["cost_total"] == pytest.approx(reworked["cost_wages"]
                                                   + reworked["cost_overtime"], rel=1e-12)
