"""The fused fast pipeline against the Records path: the same summaries, bit for bit.

capsim.engines.fused simulates and reduces a batch without building Records; every
number it keeps of a replication (KPIs, hourly series, daily table, lead-time
histogram) must equal what capsim.metrics computes from the fast engine's Records,
exactly (the reductions are written to do numpy's arithmetic in numpy's order), on
randomised scenarios with every dispatch rule, shifts at fractional hours, batches,
absences and outbreaks, and rework, remakes and repeat contacts (the engine decides
per job; orders are made of the jobs); per order class too (each per-class KPI of
each class, the perfect order's included).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim.engines import fused, vectorized
from capsim.jobs import Jobs, batch, jobs
from capsim.metrics import summarize_many
from capsim.sampling import sample_many
from tests.test_fast_engine import operations


def assert_identical(one, two):
    assert one.replication == two.replication
    assert one.kpis.keys() == two.kpis.keys()
    for name in one.kpis:
        np.testing.assert_array_equal(one.kpis[name], two.kpis[name], err_msg=name)
    for table in ("hourly", "daily"):
        a, b = getattr(one, table), getattr(two, table)
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{table} {name}")
    np.testing.assert_array_equal(one.lead_time_counts, two.lead_time_counts)
    assert_identical_by_class(one, two)


def both_paths(s, first, count, seed):
    """(fused, Records path) summary pairs of replications first .. first + count - 1."""
    assert fused.available(), "numba is part of the dev extra: the fused path must run"
    indices = list(range(first, first + count))
    reals = sample_many(s, indices, seed=seed)
    expected = summarize_many(vectorized.simulate_many(s, reals), indices)
    return list(zip(fused.summarize_many(s, reals, indices), expected, strict=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), first=st.integers(0, 1000), count=st.integers(1, 4))
def test_the_fused_pipeline_gives_the_records_path_summaries_bit_for_bit(s, first, count):
    for one, two in both_paths(s, first, count, seed=7):
        assert_identical(one, two)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(follow_ups=True), first=st.integers(0, 1000), count=st.integers(1, 4))
def test_with_follow_ups_the_fused_pipeline_gives_the_records_path_summaries(s, first, count):
    """Rework, remakes and repeat contacts: KPIs (the perfect order's included), hourly
    series (queue and busy count passes, wip orders), daily table, histogram, busy and
    overtime from the job intervals, per class: all bit for bit."""
    assert s.has_follow_ups
    for one, two in both_paths(s, first, count, seed=13):
        assert_identical(one, two)
        assert bool(one.by_class) == (len(s.class_names) >= 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(follow_ups=True, holds=True), first=st.integers(0, 1000),
       count=st.integers(2, 4))
def test_a_batch_of_jobs_is_each_replications_own_table(s, first, count):
    """capsim.jobs.batch builds each column once for the whole batch: replication r's
    slice is the table of its realization alone (numbered within it), and the loop's
    arrival column is +inf where a follow-up's join is left to its predecessor."""
    reals = sample_many(s, list(range(first, first + count)), seed=3)
    table = batch(s, reals)
    assert table.offsets[-1] == table.work.size
    for r, real in enumerate(reals):
        mine, alone = table.replication(r), jobs(s, real)
        for field in dataclasses.fields(Jobs):
            a, b = getattr(mine, field.name), getattr(alone, field.name)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype, field.name
                np.testing.assert_array_equal(a, b, err_msg=field.name)
            else:
                assert a == b, field.name
        low, high = table.offsets[r], table.offsets[r + 1]
        assert np.isinf(table.arrival[low + mine.orders:high]).all()


def test_the_experiment_takes_the_fused_path_with_follow_ups(monkeypatch):
    """Stutterfly's remakes no longer send the fast engine to the Records path."""
    from capsim import experiment
    from capsim.scenario import load_scenario
    from tests.conftest import STUTTERFLY

    s = load_scenario(STUTTERFLY)
    assert s.has_follow_ups
    seen = []
    monkeypatch.setattr(experiment, "summarize_many",
                        lambda *a: seen.append("records") or summarize_many(*a))
    got = experiment.replicate_many(s, seed=3, indices=[0, 1], engine="fast")
    assert seen == []
    reals = sample_many(s, [0, 1], seed=3)
    for one, two in zip(got, summarize_many(vectorized.simulate_many(s, reals), [0, 1]),
                        strict=True):
        assert_identical(one, two)
        assert one.kpis["rework_hours"] > 0
        assert set(one.by_class) == set(s.class_names)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(max_roster=120, max_rate=150.0), first=st.integers(0, 1000))
def test_the_fused_pipeline_agrees_with_large_rosters(s, first):
    reals = sample_many(s, [first, first + 1], seed=9)
    expected = summarize_many(vectorized.simulate_many(s, reals), [first, first + 1])
    for one, two in zip(fused.summarize_many(s, reals, [first, first + 1]), expected,
                        strict=True):
        assert_identical(one, two)


def test_an_empty_batch_gives_nothing(shifts_data):
    from tests.conftest import scenario

    assert fused.summarize_many(scenario(shifts_data), [], []) == []


def test_orders_that_leave_as_they_come_are_not_in_house_at_that_moment():
    """A batch of five at hour 0, one technician, every order leaving at once unless
    served: four leave at hour 0 itself. Peak WIP counts the moment after its events,
    as the Records path does (found by hypothesis: the fused path counted five)."""
    from tests.conftest import mmc_data, scenario

    s = scenario(mmc_data(0.0, 1.0, 1, 4.0, horizon_days=1, warmup_days=0,
                          demand={"batches": [{"at_hour": 0.0, "orders": 5}]},
                          patience={"distribution": "fixed", "mean_minutes": 10.0,
                                    "at_once": 1.0}))
    reals = sample_many(s, [0], seed=1)
    expected = summarize_many(vectorized.simulate_many(s, reals), [0])[0]
    assert expected.kpis["peak_wip"] == 1
    assert expected.kpis["orders_abandoned"] == 4
    assert_identical(fused.summarize_many(s, reals, [0])[0], expected)


def assert_identical_by_class(one, two):
    assert one.by_class.keys() == two.by_class.keys()
    for name in one.by_class:
        assert one.by_class[name].keys() == two.by_class[name].keys()
        for kpi in one.by_class[name]:
            np.testing.assert_array_equal(one.by_class[name][kpi], two.by_class[name][kpi],
                                          err_msg=f"{kpi}__{name}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=operations(), first=st.integers(0, 1000), count=st.integers(1, 3))
def test_per_class_kpis_are_the_records_path_ones_bit_for_bit(s, first, count):
    """Every per-class KPI of the fused path equals the Records path's, exactly."""
    for one, two in both_paths(s, first, count, seed=11):
        assert_identical_by_class(one, two)
        assert bool(one.by_class) == (len(s.class_names) >= 2)
