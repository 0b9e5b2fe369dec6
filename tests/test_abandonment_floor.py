"""The least abandonment any roster allows, and ``size`` saying so when a target is below it.

Orders arriving while no shift runs wait for the next shift whatever the roster; with
technicians enough, the others start at once. The floor (``abandonment_floor``) is the
expected share of counted orders whose patience ends before their wait, checked against
the simulation of a very large roster (within 4 standard errors across replications; the
KPI is a ratio per replication, whose O(1/n) bias is far below the SE at 2,500 orders a
season) and against the case worked by hand.
"""

from __future__ import annotations

import math

import numpy as np

from capsim.analytic.reach import abandonment_floor
from capsim.experiment import run
from capsim.staffing import size_staff
from tests.conftest import mmc_data, scenario
from tests.theory import assert_within


def day_shift_only(days=30, **changes):
    return scenario(mmc_data(4.0, 2.0, 4, 8.0, horizon_days=days, warmup_days=1,
                             patience={"distribution": "exponential", "mean_minutes": 10.0},
                             workforce={"roster": 4, "always_on": False, "shifts": [
                                 {"name": "day", "start_hour": 8, "length_hours": 8}]},
                             **changes))


def test_the_floor_by_hand():
    # counted arrivals: hours 24 to 24·days − 8 (after the warm-up, due by the horizon).
    # Duty is [24d + 8, 24d + 16); the counted window holds the last 8 hours of the night
    # before day 1 and the 16-hour nights of days 1 .. days − 2, and ends as day days − 1's
    # shift ends. An order arriving w hours before 08:00 leaves with probability
    # 1 − e^(−6w) (patience Exp, mean 10 min); over a gap of L hours the mean is
    # 1 − (1 − e^(−6L)) / (6L).
    days = 30
    counted = 24.0 * days - 8.0 - 24.0

    def gap(hours):
        return hours * (1 - (1 - math.exp(-6 * hours)) / (6 * hours))

    expected = (gap(8.0) + (days - 2) * gap(16.0)) / counted
    # the floor integrates the rate minute by minute: exact to a minute at each edge
    assert abs(abandonment_floor(day_shift_only(days)) - expected) < 1e-4


def test_a_large_roster_abandons_as_the_floor_says():
    s = day_shift_only()
    result = run(s.with_roster(40), replications=60, seed=2, workers=1, progress=False)
    rates = np.array([r.kpis["abandonment_rate"] for r in result.summaries])
    assert_within(rates, abandonment_floor(s), "abandonment floor")


def test_size_says_why_an_abandonment_target_is_out_of_reach():
    s = day_shift_only(days=6, targets={"on_time_rate": 0.2, "abandonment_rate_max": 0.05})
    result = size_staff(s, replications=4, seed=1, workers=1, progress=False, maximum=12)
    assert result.recommended is None
    floor = abandonment_floor(s)
    assert floor > 0.5
    assert any(note.startswith(f"likely cause: at least {100 * floor:.1f} % of orders abandon "
                               "with any roster") for note in result.notes)
