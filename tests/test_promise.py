"""How an order class finds its promise (due = arrival + promise).

The order, first given wins: the class's ``promise_hours``; the class's own
``work.promise_hours``; the scenario's ``[work].promise_hours``; 24 hours.
"""

from __future__ import annotations

import math

import pytest

from capsim.experiment import run
from capsim.scenario import (
    load_scenario,
    scenario_dict,
    scenario_toml,
    validate,
    with_overrides,
)
from tests.conftest import STUTTERFLY, mmc_data

OWN_WORK = {"distribution": "exponential", "mean_minutes": 8.0}


def promises(data) -> list[float]:
    return [c.promise_hours for c in validate(data).order_classes]


def test_no_classes_take_the_promise_of_work():
    assert promises(mmc_data(1.0, 1.0, 2, 5.0)) == [5.0]


def test_no_promise_anywhere_is_24_hours():
    data = mmc_data(1.0, 1.0, 2, 5.0)
    del data["work"]["promise_hours"]
    assert promises(data) == [24.0]
    assert validate(data).work.promise_hours == 24.0  # written out as the default it is


@pytest.mark.parametrize(("order_class", "expected"), [
    ({}, 5.0),                                                   # [work]
    ({"promise_hours": 2.0}, 2.0),                               # the class
    ({"work": OWN_WORK}, 5.0),                                   # own work, no promise: [work]
    ({"work": {**OWN_WORK, "promise_hours": 3.0}}, 3.0),         # own work's promise
    ({"promise_hours": 2.0, "work": {**OWN_WORK, "promise_hours": 3.0}}, 2.0),  # class first
])
def test_each_path_of_the_inheritance(order_class, expected):
    data = mmc_data(1.0, 1.0, 2, 5.0, classes=[
        {"name": "a", "share": 0.5, **order_class}, {"name": "b", "share": 0.5}])
    assert promises(data) == [expected, 5.0]


def test_own_work_without_promise_and_no_work_promise_is_24_hours():
    data = mmc_data(1.0, 1.0, 2, 5.0, classes=[{"name": "a", "share": 1.0, "work": OWN_WORK}])
    del data["work"]["promise_hours"]
    assert promises(data) == [24.0]


def test_set_work_promise_reaches_classes_with_their_own_work():
    """Stutterfly's classes each have a work table of their own and no promise."""
    assert [c.promise_hours for c in load_scenario(STUTTERFLY).order_classes] == [24.0, 24.0]
    six = load_scenario(STUTTERFLY, ["work.promise_hours=6"])
    assert [c.promise_hours for c in six.order_classes] == [6.0, 6.0]
    again = with_overrides(load_scenario(STUTTERFLY), ["work.promise_hours=6"])
    assert [c.promise_hours for c in again.order_classes] == [6.0, 6.0]


def test_set_work_promise_changes_the_stutterfly_result():
    runs = {hours: run(load_scenario(STUTTERFLY, ["workforce.roster=15",
                                                   f"work.promise_hours={hours}"]),
                       replications=2, workers=1, progress=False)
            for hours in (24, 6)}
    assert runs[6].kpis["on_time_rate"].mean < runs[24].kpis["on_time_rate"].mean - 0.1


def test_inheritance_survives_the_written_scenario(tmp_path):
    """The resolved scenario file keeps "inherit" (it leaves the class's promise out), so an
    override of [work] still reaches the class after a round trip."""
    data = mmc_data(1.0, 1.0, 2, 5.0, classes=[{"name": "a", "share": 1.0, "work": OWN_WORK}])
    path = tmp_path / "written.toml"
    path.write_text(scenario_toml(validate(data)), encoding="utf-8")
    assert scenario_dict(load_scenario(path)) == scenario_dict(validate(data))
    assert [c.promise_hours for c in load_scenario(path, ["work.promise_hours=7"])
            .order_classes] == [7.0]


def test_no_one_waits_so_on_time_is_the_chance_that_work_fits_the_promise():
    """M/M/60 at 26 orders/h and 8 minutes: nobody waits (P(wait) < 1e-40), so the on-time
    rate is P(work <= 20 min) = 1 - e^(-2.5) exactly. The class has its own work table and
    no promise; it must take [work]'s 20 minutes. Tolerance: 4 binomial standard errors of
    the pooled rate over the counted orders."""
    data = mmc_data(26.0, 7.5, 60, 20 / 60, horizon_days=10, warmup_days=1,
                    classes=[{"name": "a", "share": 1.0, "work": OWN_WORK}])
    result = run(validate(data), replications=4, seed=3, workers=1, progress=False)
    counted = [s.lead_time_counts.sum() for s in result.summaries]
    on_time = sum(s.kpis["on_time_rate"] * n for s, n in zip(result.summaries, counted,
                                                                strict=True))
    n = sum(counted)
    exact = 1 - math.exp(-2.5)
    se = math.sqrt(exact * (1 - exact) / n)
    assert n > 20_000
    assert abs(on_time / n - exact) < 4 * se, (on_time / n, exact, se)


def test_class_promise_round_trips_through_overrides():
    base = mmc_data(1.0, 1.0, 2, 5.0, classes=[
        {"name": "a", "share": 0.5, "work": {**OWN_WORK, "promise_hours": 3.0}},
        {"name": "b", "share": 0.5, "work": OWN_WORK}])
    s = with_overrides(validate(base), ["work.promise_hours=9"])
    assert [c.promise_hours for c in s.order_classes] == [3.0, 9.0]
    t = with_overrides(s, ["classes[0].work.promise_hours=1"])
    assert [c.promise_hours for c in t.order_classes] == [1.0, 9.0]
