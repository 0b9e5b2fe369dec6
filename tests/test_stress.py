"""Stress events: applied only when enabled, exactly as defined, and like for like."""

from __future__ import annotations

import math

import numpy as np
import pytest

from capsim.attendance import Status
from capsim.demand import rate_pieces
from capsim.errors import ScenarioError
from capsim.sampling import sample
from capsim.scenario import validate
from tests.conftest import merge, scenario

Z = 4.0


@pytest.fixture
def base(shifts_data):
    return merge(shifts_data, {"absence": {"daily_rate": 0.05}, "workforce": {"roster": 12}})


def with_event(data, event, enabled=True):
    return scenario(merge(data, {"stress": [{**event, "enabled": enabled}]}))


def test_a_disabled_event_changes_nothing(base):
    event = {"name": "flu", "kind": "absence", "start_day": 5, "days": 3, "technicians": 4}
    a, b = sample(scenario(base), 2), sample(with_event(base, event, enabled=False), 2)
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_array_equal(a.arrival, b.arrival)


def test_absence_takes_exactly_k_of_those_who_would_have_worked(base):
    event = {"name": "flu", "kind": "absence", "start_day": 5, "days": 3, "technicians": 4}
    stressed = with_event(base, event)
    for replication in range(10):
        before, after = sample(scenario(base), replication), sample(stressed, replication)
        changed = before.status != after.status
        assert not changed[:, :5].any()
        assert not changed[:, 8:].any()
        hit = np.flatnonzero(after.status[:, 5] == Status.STRESS)
        assert hit.size == 4
        # all of them were due to work on the first day
        assert np.all((before.status[hit, 5] != Status.DAY_OFF)
                      & (before.status[hit, 5] != Status.VACATION))
        # the same people stay out for the event's days, except their days off
        window = after.status[:, 5:8]
        assert set(np.flatnonzero((window == Status.STRESS).any(axis=1))) == set(hit)
        np.testing.assert_array_equal(before.arrival, after.arrival)


def test_closure_closes_every_scheduled_day(base):
    stressed = with_event(base, {"name": "outage", "kind": "closure", "start_day": 9,
                                 "days": 2})
    before, after = sample(scenario(base), 0), sample(stressed, 0)
    window = before.status[:, 9:11]
    expected = np.where((window == Status.DAY_OFF) | (window == Status.VACATION), window,
                        Status.CLOSED)
    np.testing.assert_array_equal(after.status[:, 9:11], expected)


def test_a_demand_spike_adds_orders_in_its_window_only(base):
    """Superposition: the orders without the spike are all still there, unchanged; the extra
    ones fall in the window and their count is Poisson with mean (m − 1)·∫λ over it
    (4 SE over 60 replications)."""
    event = {"name": "viral", "kind": "demand", "start_day": 10, "days": 2, "multiplier": 2.5}
    plain, spiked = scenario(base), with_event(base, event)
    pieces = rate_pieces(plain)
    mids = (pieces.edges[:-1] + pieces.edges[1:]) / 2
    inside = (mids >= 240) & (mids < 288)
    mean_extra = 1.5 * float(np.sum((pieces.rates * np.diff(pieces.edges))[inside]))
    extras = []
    for replication in range(60):
        a, b = sample(plain, replication), sample(spiked, replication)
        key_a = set(zip(a.arrival.tolist(), a.work.tolist(), strict=True))
        key_b = set(zip(b.arrival.tolist(), b.work.tolist(), strict=True))
        assert key_a <= key_b
        extra = np.array(sorted(t for t, _ in key_b - key_a))
        assert np.all((extra >= 240) & (extra < 288))
        extras.append(extra.size)
    assert abs(np.mean(extras) - mean_extra) < Z * math.sqrt(mean_extra / len(extras))


def test_a_demand_slump_thins_its_window(base):
    event = {"name": "slump", "kind": "demand", "start_day": 3, "days": 4, "multiplier": 0.25}
    plain, slumped = scenario(base), with_event(base, event)
    kept = total = 0
    for replication in range(30):
        a, b = sample(plain, replication), sample(slumped, replication)
        key_b = set(zip(b.arrival.tolist(), b.work.tolist(), strict=True))
        window = (a.arrival >= 72) & (a.arrival < 168)
        outside = {k for k, w in zip(zip(a.arrival.tolist(), a.work.tolist(), strict=True),
                                     window, strict=True) if not w}
        assert outside <= key_b
        assert len(key_b - outside) <= window.sum()
        kept += len(key_b) - len(outside)
        total += int(window.sum())
    share = kept / total
    assert abs(share - 0.25) < Z * math.sqrt(0.25 * 0.75 / total)


@pytest.mark.parametrize(("event", "field"), [
    ({"name": "x", "kind": "absence", "start_day": 1}, "stress[0].technicians"),
    ({"name": "x", "kind": "absence", "start_day": 1, "technicians": 2, "share": 0.5},
     "stress[0].technicians"),
    ({"name": "x", "kind": "demand", "start_day": 1}, "stress[0].multiplier"),
    ({"name": "x", "kind": "closure", "start_day": 1, "multiplier": 2}, "stress[0].multiplier"),
    ({"name": "x", "kind": "flood", "start_day": 1}, "stress[0].kind"),
    ({"name": "x", "kind": "closure", "start_day": -1}, "stress[0].start_day"),
])
def test_bad_stress_events(base, event, field):
    with pytest.raises(ScenarioError) as info:
        validate(merge(base, {"stress": [event]}), source="s.toml")
    assert f"s.toml: {field}" in str(info.value)


def test_a_baseline_already_run_is_reused_exactly(base, monkeypatch):
    """The report's stress tests start from the roster the search evaluated: its first
    replications are the baseline (replication r depends on the seed and r alone), so
    it is not run again, and the report is what a fresh baseline gives, bit for bit."""
    from capsim import stress
    from capsim.experiment import Runner, run

    event = {"name": "flu", "kind": "absence", "start_day": 5, "days": 3, "technicians": 4}
    s = with_event(base, event, enabled=False)
    fresh = stress.stress_test(s, replications=6, seed=3, workers=1, progress=False)
    runs = []
    real_run = Runner.run
    monkeypatch.setattr(Runner, "run", lambda self, *a, **k: runs.append(a[0]) or
                        real_run(self, *a, **k))
    searched = run(s, replications=9, seed=3, workers=1, progress=False)  # more than needed
    runs.clear()
    again = stress.stress_test(s, replications=6, seed=3, workers=1, progress=False,
                               baseline=searched)
    assert len(runs) == 1  # the event only
    assert again.baseline.replications == 6
    for name, interval in fresh.baseline.kpis.items():
        assert again.baseline.kpis[name] == interval, name
    assert [o.result.kpis for o in again.outcomes] == [o.result.kpis for o in fresh.outcomes]
    # a run of another seed is not this baseline: it runs its own
    other = run(s, replications=9, seed=4, workers=1, progress=False)
    runs.clear()
    stress.stress_test(s, replications=6, seed=3, workers=1, progress=False, baseline=other)
    assert len(runs) == 2
