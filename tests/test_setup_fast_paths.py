"""The per-replication set-up's fast paths give exactly what the plain code gives.

Each shortcut (vectorised duty table, class draws by comparison, open vacation weeks in
one pass, cached derived scenario tables) is checked against the plain definition it
replaces, value for value and, for draws, generator state for generator state: the
seeding contract (same streams, same draws in the same order) is what keeps every
result of capsim unchanged.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim import attendance, rng
from capsim.attendance import Status, duty_intervals, is_present
from capsim.demand import rate_pieces, sample_poisson
from capsim.engines import vectorized
from capsim.rng import stream
from capsim.sampling import _classes_by_share, sample, sample_many
from capsim.scenario import Work
from capsim.scenario.calendar import open_starts
from tests.conftest import merge, scenario
from tests.test_fast_engine import operations


def _padded(realizations):
    """The duty table written out from :func:`duty_intervals`, row by row."""
    rows = [[duty_intervals(real.shift_start[t], real.shift_end[t], is_present(real.status)[t])
             for t in range(real.roster)] for real in realizations]
    width = 1 + max((len(d) for per in rows for d in per), default=0)
    begin = np.full((len(rows), realizations[0].roster, width), np.inf)
    end = np.full_like(begin, np.inf)
    for r, t in itertools.product(range(len(rows)), range(realizations[0].roster)):
        for k, (low, high) in enumerate(rows[r][t]):
            begin[r, t, k], end[r, t, k] = low, high
    return begin, end


def _assert_duty_table(realizations):
    expected, got = _padded(realizations), vectorized._duty_table(realizations)
    for x, y in zip(expected, got, strict=True):
        assert x.shape == y.shape
        np.testing.assert_array_equal(x, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), seed=st.integers(0, 1000))
def test_duty_table_is_the_merged_present_shifts_of_every_technician(s, seed):
    """Fractional shift hours, two patterns, days off, absences, always-on rosters."""
    _assert_duty_table(sample_many(s, [0, 1, 2], seed=seed))


def test_duty_table_with_float_pool_members_called_in_late():
    """Members called in at notice after shift start, on some days only; a roster of 1."""
    floor = {"name": "floor", "horizon_days": 9,
             "demand": {"rate_per_hour": 2.0}, "work": {"mean_minutes": 60.0},
             "workforce": {"roster": 4, "shifts": [
                 {"start_hour": 6.5, "length_hours": 9.0, "share": 0.5},
                 {"start_hour": 15.25, "length_hours": 8.75, "share": 0.5}]},
             "absence": {"daily_rate": 0.3, "last_minute_share": 0.5},
             "policies": {"float_pool": {"size": 2, "notice_hours": 1.5,
                                         "answer_probability": 0.7}}}
    _assert_duty_table(sample_many(scenario(floor), list(range(6)), seed=4))
    floor["workforce"]["roster"] = 1
    _assert_duty_table(sample_many(scenario(floor), list(range(6)), seed=4))


_RAMP = np.linspace(0.01, 1.0, 40)


@pytest.mark.parametrize("shares", [[1.0], [0.7, 0.3], [0.2, 0.0001, 0.5, 0.2999],
                                    [1 / 3] * 3, list(_RAMP / _RAMP.sum())])
@pytest.mark.parametrize("n", [0, 1, 5_000])
def test_classes_are_the_draws_of_rng_choice(shares, n):
    """The same classes as ``rng.choice(k, n, p=shares / sum)``, and the same draws used."""
    classes = [{"name": f"c{j}", "share": share} for j, share in enumerate(shares)]
    s = scenario({"name": "mix", "horizon_days": 2, "demand": {"rate_per_hour": 1.0},
                  "work": {"mean_minutes": 60.0},
                  "classes": classes, "workforce": {"roster": 1, "always_on": True}})
    ours, numpy = np.random.default_rng(9), np.random.default_rng(9)
    p = np.array(shares) / np.sum(shares)
    got = _classes_by_share(s, n, ours)
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, numpy.choice(len(shares), size=n, p=p))
    assert ours.random() == numpy.random()  # the generator went exactly as far


def _open_starts_by_definition(free, taken, length):
    return [w for w in range(len(free) - length + 1)
            if all(free[v] and not taken[v] for v in range(w, w + length))]


@given(weeks=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60),
       length=st.integers(1, 62))
def test_open_starts_are_the_weeks_a_block_fits_in(weeks, length):
    free, taken = [f for f, _ in weeks], [t for _, t in weeks]
    assert open_starts(free, taken, length) == _open_starts_by_definition(free, taken, length)


def test_derived_classes_are_built_once_and_a_copy_rebuilds_them():
    s = scenario({"name": "one", "horizon_days": 2, "demand": {"rate_per_hour": 1.0},
                  "work": {"mean_minutes": 30.0},
                  "workforce": {"roster": 1, "always_on": True}})
    assert s.order_classes is s.order_classes
    assert s.class_names == ("default",)
    changed = s.model_copy(update={"work": Work(mean_minutes=45.0)})
    assert changed.order_classes[0].work.mean_minutes == 45.0
    assert s.order_classes[0].work.mean_minutes == 30.0
    assert changed == s.model_copy(update={"work": Work(mean_minutes=45.0)})
    assert s == scenario(s.as_data())  # the cache is no part of equality


def test_one_class_without_forecast_error_or_batches_samples_as_before():
    """No stream for classes, forecast, batches or outbreaks: nothing else moves.

    The arrivals and work come from their own streams, so they are the draws of those
    streams alone (reproduced here by hand).
    """
    s = scenario({"name": "one", "horizon_days": 3, "demand": {"rate_per_hour": 4.0},
                  "work": {"distribution": "exponential", "mean_minutes": 30.0},
                  "workforce": {"roster": 2, "always_on": True}})
    real = sample(s, 3, seed=21)
    times = sample_poisson(rate_pieces(s), stream(21, 3, "arrivals"))
    np.testing.assert_array_equal(real.arrival, times)
    np.testing.assert_array_equal(real.order_class, np.zeros(times.size, np.int16))
    np.testing.assert_array_equal(real.work,
                                  stream(21, 3, "work").exponential(30.0, times.size) / 60.0)
    assert real.forecast_multiplier == 1.0


def _random_fit_by_definition(free, blocks, rng):
    """The random vacation placement as first written, on calendar.open_starts."""
    for _ in range(100):
        taken = [False] * len(free)
        starts = []
        for length in blocks:
            options = open_starts(free, taken, length)
            if not options:
                break
            start = options[int(rng.integers(len(options)))]
            taken[start:start + length] = [True] * length
            starts.append(start)
        else:
            return starts
    return None


@settings(max_examples=300, deadline=None)
@given(free=st.lists(st.booleans(), min_size=52, max_size=52),
       blocks=st.lists(st.integers(1, 6), max_size=8).map(lambda b: sorted(b, reverse=True)),
       seed=st.integers(0, 2**32))
def test_vacation_blocks_are_placed_as_by_open_starts(free, blocks, seed):
    """Same starts (or the same give-up after 100 tries) and the same draws used."""
    ours, plain = np.random.default_rng(seed), np.random.default_rng(seed)
    assert attendance._random_fit(free, blocks, ours) == _random_fit_by_definition(
        free, blocks, plain)
    assert ours.bit_generator.state == plain.bit_generator.state


def _status_row_by_definition(scheduled, draws):
    row = np.full(scheduled.size, Status.PRESENT, dtype=np.int8)
    known = draws.absent & ~draws.last_minute
    row[known & draws.covered] = Status.COVERED
    row[known & ~draws.covered] = Status.UNPLANNED
    row[draws.absent & draws.last_minute] = Status.LAST_MINUTE
    row[draws.outbreak] = Status.OUTBREAK
    row[draws.vacation] = Status.VACATION
    row[~scheduled] = Status.DAY_OFF
    return row


def _technician_draws_by_definition(s, seed, replication, tech, events):
    """One technician's draws as first written: each purpose from its own stream, alone."""
    days, absence = s.horizon_days, s.absence
    none = np.zeros(days, dtype=bool)
    vacation = (attendance.vacation_days(absence.vacation, days,
                                         rng.technician_stream(seed, replication, tech,
                                                               "vacation"))
                if absence.vacation.weeks_per_year else none)
    outbreak = (attendance._outbreak_mask(events, days, rng.technician_stream(
        seed, replication, tech, "outbreak")) if events else none)
    if absence.daily_rate == 0:
        return attendance.TechnicianDraws(vacation, outbreak, none, none, none)
    u = rng.technician_stream(seed, replication, tech, "absence").random((3, days))
    return attendance.TechnicianDraws(vacation, outbreak, u[0] < absence.daily_rate,
                                      u[1] < absence.last_minute_share,
                                      u[2] < absence.cover_probability)


_CREW = {"name": "crew", "horizon_days": 400, "demand": {"rate_per_hour": 1.0},
         "work": {"mean_minutes": 60.0},
         "workforce": {"roster": 6, "shifts": [
             {"start_hour": 6.5, "length_hours": 8.0, "days_per_week": 5, "share": 0.6},
             {"start_hour": 14.5, "length_hours": 8.0, "days_per_week": 4, "share": 0.4}]},
         "absence": {"daily_rate": 0.05, "last_minute_share": 0.6, "cover_probability": 0.4,
                     "vacation": {"weeks_per_year": 7, "block_weeks": 3,
                                  "blackouts": [{"start_day": 20, "end_day": 70},
                                                {"start_day": 380, "end_day": 390}]},
                     "outbreaks": [{"rate_per_30_days": 1.0, "share": 0.3,
                                    "duration_days": 3,
                                    "duration_distribution": "geometric"},
                                   {"start_day": 5, "share": 0.5, "duration_days": 2}]}}


@pytest.mark.parametrize("absence", [
    {}, {"vacation": {"weeks_per_year": 0}, "outbreaks": []}, {"daily_rate": 0.0},
    {"outbreaks": []}, {"daily_rate": 0.0, "outbreaks": []},
    {"daily_rate": 0.0, "vacation": {"weeks_per_year": 0}},
    {"daily_rate": 0.0, "vacation": {"weeks_per_year": 0}, "outbreaks": []}])
@pytest.mark.parametrize("roster", [0, 1, 6])
def test_attendance_table_is_each_technicians_status_row(absence, roster):
    """The table drawn at once: row by row, each technician's draws combined alone.

    Two years (vacations placed per year), blackouts, random and fixed outbreaks, daily
    absences; each purpose on or off; an empty roster.
    """
    data = merge(_CREW, {"absence": absence, "workforce": {"roster": max(roster, 1)}})
    s = scenario(data)
    start, _ = attendance.schedule(s, roster)
    for replication in range(3):
        events = attendance.outbreak_days(s, 5, replication)
        expected = np.array([_status_row_by_definition(
            ~np.isnan(start[t]), _technician_draws_by_definition(s, 5, replication, t, events))
            for t in range(roster)], dtype=np.int8).reshape(start.shape)
        got = attendance.attendance_table(s, 5, replication, start)
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, expected)
        for t in range(roster):  # and one technician alone, as technician_draws gives it
            alone = attendance.technician_draws(s, 5, replication, t, events)
            np.testing.assert_array_equal(attendance.status_row(~np.isnan(start[t]), alone),
                                          expected[t])
