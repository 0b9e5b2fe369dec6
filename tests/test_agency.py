"""Agency staff booked a day ahead, and sweeps over policy fields.

Checked against the rules themselves: exact bookings on deterministic attendance (an
outbreak that sends everyone home, absences that are all known or all last-minute, a
closure, a pattern's weekdays) and on a demand profile whose daily forecast is a hand
sum; the float pool counting the agency's people; the engines simulating the booked
people like technicians, order by order, with the fused path bit for bit; the price
an exact product; bad input naming its field, through the CLI too; and sweeps that vary
a policy field, including from a scenario without the policy's table.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.agency import bookings, forecast
from capsim.attendance import Status
from capsim.cli import main
from capsim.engines import fused, simpy_model, vectorized
from capsim.errors import ScenarioError
from capsim.experiment import run
from capsim.metrics import summarize, summarize_many
from capsim.sampling import sample, sample_many
from capsim.sweep import parse_vary, sweep
from tests.conftest import merge, scenario
from tests.test_fast_engine import assert_same_orders_and_kpis, operations
from tests.test_fused import assert_identical

FLOOR = {
    "name": "floor", "horizon_days": 10, "warmup_days": 0,
    "demand": {"rate_per_hour": 2.0},
    "work": {"distribution": "exponential", "mean_minutes": 60.0, "promise_hours": 12.0},
    "workforce": {"roster": 6, "shifts": [
        {"name": "day", "start_hour": 7, "length_hours": 8, "count": 3},
        {"name": "late", "start_hour": 15, "length_hours": 8, "count": 3,
         "weekdays": [0, 1, 2, 3, 4]}]},
    "policies": {"agency": {"max_per_day": 2, "shift": "late"}},
}
ROSTER = 6


def agency_rows(real):
    return real.status[ROSTER:], real.shift_start[ROSTER:], real.shift_end[ROSTER:]


def booked(data, seed=1):
    s = scenario(data)
    real = sample(s, 0, seed=seed)
    return (agency_rows(real)[0] == Status.AGENCY).sum(axis=0).tolist()


def test_an_outbreak_is_known_from_its_second_day_and_the_gap_is_booked_capped():
    # everyone falls ill on day 3 for two days: unknown on day 3, known on day 4
    flu = {"absence": {"outbreaks": [{"start_day": 3, "share": 1.0, "duration_days": 2}]}}
    assert booked(merge(FLOOR, flu)) == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0]  # gap 3, cap 2
    wide = merge(FLOOR, {**flu, "policies": {"agency": {"max_per_day": 5}}})
    assert booked(wide) == [0, 0, 0, 0, 3, 0, 0, 0, 0, 0]  # the whole gap of 3
    half = merge(wide, {"policies": {"agency": {"required_share": 0.5}}})
    assert booked(half) == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0]  # ceil(0.5 x 3) = 2 needed


def test_known_absences_are_booked_last_minute_ones_are_not_on_the_patterns_weekdays():
    known = {"absence": {"daily_rate": 1.0, "last_minute_share": 0.0},
             "policies": {"agency": {"max_per_day": 5}}}
    # the late pattern runs Monday to Friday (day 0 is a Monday): nobody on days 5, 6
    assert booked(merge(FLOOR, known)) == [3, 3, 3, 3, 3, 0, 0, 3, 3, 3]
    closed = merge(FLOOR, {**known, "stress": [{"name": "shut", "kind": "closure",
                                                "start_day": 8, "enabled": True}]})
    assert booked(closed) == [3, 3, 3, 3, 3, 0, 0, 3, 0, 3]
    covered = merge(known, {"absence": {"cover_probability": 1.0}})
    assert booked(merge(FLOOR, covered)) == [0] * 10  # a replacement works each shift
    last = merge(known, {"absence": {"last_minute_share": 1.0}})
    assert booked(merge(FLOOR, last)) == [0] * 10  # nobody knew the day before


def test_booked_people_work_the_named_pattern_and_leave_the_roster_as_it_was():
    data = merge(FLOOR, {"absence": {"daily_rate": 0.4, "last_minute_share": 0.5}})
    s = scenario(data)
    real = sample(s, 0, seed=5)
    status, begin, end = agency_rows(real)
    assert status.shape == (2, 10)
    works = status == Status.AGENCY
    days = np.nonzero(works)[1]
    np.testing.assert_array_equal(begin[works], 24.0 * days + 15.0)
    np.testing.assert_array_equal(end[works], 24.0 * days + 23.0)
    assert np.isnan(begin[~works]).all()
    assert (status[~works] == Status.DAY_OFF).all()
    # row j works a day when j < the day's bookings: rows fill in order
    assert (works[1] <= works[0]).all()
    # the bookings follow the rule on the roster's table, written plainly
    regular = real.status[:ROSTER]
    for d in range(10):
        late = regular[3:, d]
        scheduled = sum(x not in (Status.DAY_OFF, Status.VACATION) for x in late)
        away = sum(x == Status.UNPLANNED for x in late)
        assert works[:, d].sum() == min(2, away if d % 7 < 5 else 0) <= scheduled
    assert works.any()
    plain = sample(scenario(merge(data, {"policies": {"agency": None}})), 0, seed=5)
    np.testing.assert_array_equal(plain.status, regular)
    np.testing.assert_array_equal(plain.shift_start, real.shift_start[:ROSTER])


DEMAND = merge(FLOOR, {
    "demand": {"week_profile": [1, 1, 1, 1, 1, 2, 0.5],
               "surges": [{"start_hour": 48.0, "end_hour": 54.0, "multiplier": 3.0}],
               "batches": [{"at_hour": 75.0, "orders": 30}]},
    "policies": {"agency": {"max_per_day": 4, "shift": "day", "rule": "demand",
                            "demand_threshold": 50.0, "orders_per_person": 10.0}}})


def test_the_demand_rule_books_by_the_days_forecast():
    s = scenario(DEMAND)
    # 2/h x 24 h = 48 a weekday; day 2: +2 x 2 x 6 h of surge; day 3: a batch of 30;
    # Saturday doubles, Sunday halves
    np.testing.assert_allclose(forecast(s), [48, 48, 72, 78, 48, 96, 24, 48, 48, 48],
                               rtol=1e-12)
    # ceil((72 - 50) / 10) = 3, ceil(28 / 10) = 3, ceil(46 / 10) = 5 capped at 4
    assert booked(DEMAND) == [0, 0, 3, 3, 0, 4, 0, 0, 0, 0]
    # the same in every replication and whatever the attendance
    real = sample(scenario(merge(DEMAND, {"absence": {"daily_rate": 0.5}})), 3, seed=9)
    assert bookings(s, real.status[:ROSTER]).tolist() == [0, 0, 3, 3, 0, 4, 0, 0, 0, 0]
    exact = merge(DEMAND, {"policies": {"agency": {"demand_threshold": 72.0}}})
    assert booked(exact) == [0, 0, 0, 1, 0, 3, 0, 0, 0, 0]  # 72 does not exceed 72


def test_the_float_pool_counts_the_agency_and_fills_the_rest():
    shifts = [{**shift, "weekdays": list(range(7))} for shift in FLOOR["workforce"]["shifts"]]
    flu = merge(FLOOR, {"workforce": {"shifts": shifts},
                        "absence": {"outbreaks": [{"start_day": 3, "share": 1.0,
                                                   "duration_days": 2}]},
                        "policies": {"float_pool": {"size": 3},
                                     "agency": {"max_per_day": 3, "shift": "day"}}})
    real = sample(scenario(flu), 0, seed=1)
    pool, pool_begin = real.status[6:9], real.shift_start[6:9]
    agency = real.status[9:]
    # day 3: nobody knew; the pool fills the day pattern's three gaps first
    assert (agency[:, 3] == Status.DAY_OFF).all()
    assert (pool[:, 3] == Status.FLOAT).all()
    np.testing.assert_array_equal(pool_begin[:, 3], 24.0 * 3 + 7.0)
    # day 4: the agency covers the day pattern, so the pool goes to the late one
    assert (agency[:, 4] == Status.AGENCY).all()
    assert (pool[:, 4] == Status.FLOAT).all()
    np.testing.assert_array_equal(pool_begin[:, 4], 24.0 * 4 + 15.0)


def test_agency_days_are_priced_by_the_day_and_counted():
    data = merge(FLOOR, {"absence": {"daily_rate": 0.3},
                         "costs": {"wage_per_hour": 20.0, "agency_per_day": 310.0,
                                   "late_per_order": 5.0}})
    s = scenario(merge(data, {"warmup_days": 2}))
    real = sample(s, 0, seed=2)
    rec = vectorized.simulate(s, real)
    assert (rec.technician >= ROSTER).any()  # booked people take orders
    kpis = summarize(rec, 0).kpis
    days = int((real.status[ROSTER:, 2:] == Status.AGENCY).sum())
    assert days > 0
    assert kpis["agency_days"] == days
    assert kpis["cost_agency"] == 310.0 * days
    np.testing.assert_array_equal(rec.wage[ROSTER:], [0.0, 0.0])
    parts = ("cost_wages", "cost_overtime", "cost_cover", "cost_float", "cost_agency",
             "cost_late", "cost_abandoned")
    assert kpis["cost_total"] == pytest.approx(sum(kpis[p] for p in parts), rel=1e-12)
    hours = np.where(real.status[:ROSTER, 2:] != Status.DAY_OFF,
                     (real.shift_end - real.shift_start)[:ROSTER, 2:], 0.0)
    assert kpis["cost_wages"] == pytest.approx(20.0 * hours.sum(), rel=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), size=st.integers(1, 3), rule=st.sampled_from(["short", "demand"]),
       pool=st.booleans())
def test_the_engines_agree_order_by_order_with_agency_staff(s, size, rule, pool):
    agency = {"max_per_day": size, "rule": rule}
    if rule == "demand":
        agency |= {"demand_threshold": 12.0 * s.demand.rate_per_hour, "orders_per_person": 5.0}
    s = s.edit({"policies.agency": agency,
                "policies.float_pool": {"size": 1} if pool else None})
    reals = sample_many(s, [0, 1], seed=4)
    for real in reals:
        assert_same_orders_and_kpis(simpy_model.simulate(s, real), vectorized.simulate(s, real))
    expected = summarize_many(vectorized.simulate_many(s, reals), [0, 1])
    for one, two in zip(fused.summarize_many(s, reals, [0, 1]), expected, strict=True):
        assert_identical(one, two)


@pytest.mark.parametrize(("changes", "field"), [
    ({"costs": {"agency_per_day": -1.0}}, "costs.agency_per_day"),
    ({"policies": {"agency": {"max_per_day": 0}}}, "policies.agency.max_per_day"),
    ({"policies": {"agency": {"shift": "night"}}}, "policies.agency.shift"),
    ({"policies": {"agency": {"rule": "demand"}}}, "policies.agency.demand_threshold"),
    ({"policies": {"agency": {"orders_per_person": 5.0}}}, "policies.agency.orders_per_person"),
    ({"policies": {"agency": {"required_share": 0.0}}}, "policies.agency.required_share"),
    ({"policies": {"agency": {"rule": "often"}}}, "policies.agency.rule"),
])
def test_bad_agencies_name_the_field(changes, field):
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(merge(FLOOR, changes))


def test_an_unknown_shift_says_which_there_are_and_the_cli_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\nhorizon_days = 5\n[demand]\nrate_per_hour = 1.0\n'
        '[work]\ndistribution = "fixed"\nmean_minutes = 30.0\n'
        '[workforce]\nroster = 2\n[[workforce.shifts]]\nname = "day"\nstart_hour = 8.0\n'
        'length_hours = 8.0\n[policies.agency]\nmax_per_day = 1\nshift = "night"\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "policies.agency.shift" in err
    assert "'night'" in err
    assert "'day'" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- sweeps

SICK = merge(FLOOR, {"horizon_days": 14, "absence": {"daily_rate": 0.25},
                     "policies": {"agency": None}})


def test_a_sweep_varies_the_float_pool_from_a_scenario_without_one():
    s = scenario(SICK)
    grid = sweep(s, [parse_vary("policies.float_pool.size=0,1,2")], replications=3, seed=7,
                 workers=1, progress=False)
    calls = [run.kpis["float_call_ins"].mean for run in grid.results]
    # every member answers, so each day's call-ins are min(gaps, size): non-decreasing
    assert calls[0] == 0.0 < calls[1] <= calls[2]
    plain = run(s, 3, 7, workers=1, progress=False)  # size 0 is no pool at all
    assert {k: v.mean for k, v in grid.results[0].kpis.items()} == pytest.approx(
        {k: v.mean for k, v in plain.kpis.items()}, abs=0.0, nan_ok=True)
    with pytest.raises(ScenarioError, match=r"policies\.float_pool\.size.*required"):
        s.edit({"policies.float_pool.answer_probability": 0.5})


def test_a_sweep_varies_the_agency_cap_and_the_vacation_blackouts():
    s = scenario(merge(SICK, {"policies": {"agency": {"max_per_day": 1}}}))
    grid = sweep(s, [parse_vary("policies.agency.max_per_day=1,2,3")], replications=3,
                 seed=7, workers=1, progress=False)
    days = [run.kpis["agency_days"].mean for run in grid.results]
    assert 0 < days[0] <= days[1] <= days[2]  # min(gap, cap) grows with the cap
    # blackouts are a list of tables, varied whole; [] lifts them
    vary = parse_vary("absence.vacation.blackouts=[],[{start_day=0,end_day=7}]")
    assert vary.values == ([], [{"start_day": 0, "end_day": 7}])
    edited = [s.edit({"absence.vacation.blackouts": v}) for v in vary.values]
    assert [len(e.absence.vacation.blackouts) for e in edited] == [0, 1]
