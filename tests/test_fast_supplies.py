"""Supplies in the fast engine (issue 15, issue 11 item 5): the reference engine's numbers.

- Engine agreement order by order: start, finish and technician of every job within
  1e-9 h, and every :class:`capsim.supplies.StockRecords` array equal (demand moments
  within 1e-9 h), on floors with three supplies under the three policies, continuous
  and periodic review, a backup supplier, random and scheduled outages and a supplier
  stress event, patience, every dispatch rule, rework, an overtime policy and
  fractional shift hours; plus the hand-worked floors of ``tests/test_supplies.py``
  (a blocked order that keeps its place, an outage, a review that orders) and a
  blocked order whose patience runs out.
- The experiment's summaries (the fused path hands supply scenarios to the Records
  path) equal SimPy's, per-supply figures included.
- ``--engine auto`` runs a supplies scenario on the fast engine.
- With workstations (the station loop): the same agreement, interruptions included, on
  the mixed floor under every dispatch rule with overtime, a supplier stress event,
  periodic reviews, and restart with rework; and the summaries.
The base-stock closed form runs on both engines in ``tests/test_supplies.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from capsim import run
from capsim.engines import _jobloop, _stationloop, resolve, simpy_model, vectorized
from capsim.output.run import format_table
from capsim.sampling import sample
from tests.conftest import merge, scenario
from tests.test_fast_equipment import assert_same_interruptions
from tests.test_supplies import _by_hand, _mixed, _periodic_review

STOCK_FIELDS = ("need", "demand", "short", "blocked", "initial", "received", "consumed",
                "final", "placed")


def _agree(s, replications=3, seed=11, interpreted=False, monkeypatch=None) -> int:
    """Assert both engines agree on every replication; the blocked orders seen."""
    if interpreted:
        assert monkeypatch is not None
        monkeypatch.setattr(_jobloop, "compiled", lambda: None)
    blocked = 0
    realizations = [sample(s, r, seed=seed) for r in range(replications)]
    fast = vectorized.simulate_many(s, realizations)
    for real, b in zip(realizations, fast, strict=True):
        a = simpy_model.simulate(s, real)
        for column in ("start", "finish"):
            np.testing.assert_allclose(getattr(b, column), getattr(a, column), atol=1e-9,
                                       rtol=0)
        np.testing.assert_array_equal(b.technician, a.technician)
        assert a.stock is not None
        assert b.stock is not None
        assert b.stock.names == a.stock.names
        for field in STOCK_FIELDS:
            x, y = getattr(a.stock, field), getattr(b.stock, field)
            assert x.shape == y.shape, field
            np.testing.assert_allclose(y, x, atol=1e-9, rtol=0, err_msg=field)
        blocked += int(a.stock.blocked.sum())
        if s.has_equipment:
            assert_same_interruptions(a, b)
    return blocked


STRESS = {"stress": [{"name": "strike", "kind": "supplier", "supply": "ink", "start_day": 4,
                       "days": 2, "enabled": True}]}
OVERTIME = {"policies": {"overtime": {"when": "queue", "threshold": 3, "max_hours": 2.0}}}
REWORK = {"quality": {"right_first_time": 0.8, "found_by_customer": 0.3,
                       "remake_delay": {"distribution": "fixed", "mean_minutes": 600.0}}}


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
@pytest.mark.parametrize("changes", [
    {}, STRESS, OVERTIME,
    "reviews",
    {"workforce": {"shifts": [{"name": "day", "start_hour": 6.25, "length_hours": 9.5,
                               "days_per_week": 6}]}, **OVERTIME},
], ids=["mixed", "stress", "overtime", "reviews", "fractional-overtime"])
def test_engines_agree_order_by_order(dispatch, changes):
    data = _mixed(dispatch=dispatch)
    if changes == "reviews":  # paper continuous, ink and glue periodic
        for supply, hours in zip(data["supplies"], (0.0, 7.5, 12.0), strict=True):
            supply["review_hours"] = hours
        changes = {}
    assert _agree(scenario(merge(data, changes))) > 0


STATIONS = {"equipment": {"stations": 2, "time_between_failures": {"mean_hours": 6.0},
                          "repair": {"mean_hours": 1.0}, "repair_crew": 1}}
RESTART = {"equipment": {**STATIONS["equipment"], "on_failure": "restart", "stations": 3,
                         "time_between_failures": {"distribution": "fixed",
                                                   "mean_hours": 5.0}}}


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
@pytest.mark.parametrize("changes", [
    STATIONS, merge(STATIONS, OVERTIME), merge(STATIONS, STRESS), merge(RESTART, REWORK),
    "reviews",
], ids=["stations", "stations-overtime", "stations-stress", "restart-rework",
        "stations-reviews"])
def test_engines_agree_with_workstations(dispatch, changes):
    """Orders wait for their units and for a station up and free; failures interrupt
    them in work (the station loop, tests/test_fast_equipment.py)."""
    data = _mixed(dispatch=dispatch)
    if changes == "reviews":
        for supply, hours in zip(data["supplies"], (0.0, 7.5, 12.0), strict=True):
            supply["review_hours"] = hours
        changes = STATIONS
    s = scenario(merge(data, changes))
    hits = sum(simpy_model.simulate(s, sample(s, r, seed=11)).interruptions.at.size
               for r in range(3))
    assert _agree(s) > 0
    assert hits > 0  # the case exercises both gates


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
def test_engines_agree_with_rework(dispatch):
    """Rework and remakes join the queue as jobs; they need no units."""
    s = scenario(merge(_mixed(dispatch=dispatch), REWORK))
    assert s.has_follow_ups
    assert _agree(s) > 0


def test_the_interpreted_loop_agrees(monkeypatch):
    """The loop as plain Python (no numba) gives the same numbers."""
    s = scenario(_mixed(horizon_days=6, warmup_days=1, policies=OVERTIME["policies"]))
    assert _agree(s, replications=2, interpreted=True, monkeypatch=monkeypatch) > 0


def test_the_interpreted_station_loop_agrees(monkeypatch):
    monkeypatch.setattr(_stationloop, "compiled", lambda: None)
    s = scenario(merge(_mixed(horizon_days=6, warmup_days=1), merge(STATIONS, OVERTIME)))
    assert _agree(s, replications=2) > 0


def test_hand_worked_floors_agree():
    """The floors of tests/test_supplies.py: outage, backup, blocked order, periodic review."""
    for supply in ({}, {"backup": {"lead_time": {"distribution": "fixed",
                                                 "mean_minutes": 30.0}}}):
        _agree(scenario(_by_hand(**supply)), replications=1)
    s = scenario(_periodic_review())
    assert _agree(s, replications=1) == 1
    b = vectorized.simulate_many(s, [sample(s, 0, seed=1)])[0]
    np.testing.assert_array_equal(b.start, [1.0, 2.0, 11.0])  # the review at 10 orders


def test_a_blocked_order_whose_patience_runs_out_leaves():
    """Short patience: blocked orders abandon while parked, their backorder with them."""
    s = scenario(_mixed(patience={"distribution": "exponential", "mean_minutes": 240.0}))
    realizations = [sample(s, r, seed=5) for r in range(3)]
    assert _agree(s, seed=5) > 0
    gone = sum(int((r.stock.blocked & ~np.isnan(r.abandon)).sum())
               for r in vectorized.simulate_many(s, realizations))
    assert gone > 0  # the case exercises it


@pytest.mark.parametrize("changes", [{}, STATIONS], ids=["supplies", "with-stations"])
def test_summaries_equal_the_reference_engines_with_per_supply_figures(changes):
    s = scenario(merge(_mixed(), changes))
    fast = run(s, replications=3, seed=2, workers=1, progress=False, engine="fast")
    ref = run(s, replications=3, seed=2, workers=1, progress=False, engine="simpy")
    for a, b in zip(ref.summaries, fast.summaries, strict=True):
        assert a.by_supply
        assert b.by_supply == a.by_supply
        for name, value in a.kpis.items():
            assert b.kpis[name] == pytest.approx(value, abs=1e-9, nan_ok=True), name


def test_auto_runs_supplies_on_the_fast_engine():
    s = scenario(_mixed())
    assert vectorized.unsupported(s) is None
    assert resolve("auto", s) == "fast"
    result = run(s, replications=2, seed=1, workers=1, progress=False)
    assert result.engine == "fast"
    assert "fast engine: supplies" not in format_table(result)
