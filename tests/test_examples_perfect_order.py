"""The perfect-order example scenarios run, exercise what they are about, and keep the laws.

``airport_thanksgiving`` (impatient travellers, a wrong-ticket remake rate, a surge) and
``help_desk`` (repeat contacts, the 80/20 service level): each is run on the fast engine
(a few replications) and one replication on both engines, which must agree order by
order. Every arrival ends exactly one way, and the features the example is about show in
its numbers (they are not zero by construction).
"""

from __future__ import annotations

import pytest

from capsim import examples
from capsim.engines import simpy_model, vectorized
from capsim.experiment import run
from capsim.sampling import sample
from capsim.scenario import load_scenario
from tests.test_fast_engine import assert_same_orders_and_kpis


@pytest.mark.parametrize(("name", "features"), [
    ("airport_thanksgiving", ("abandonment_rate", "rework_hours", "service_level")),
    ("help_desk", ("abandonment_rate", "repeat_contacts", "service_level")),
])
def test_the_example_runs_and_exercises_its_features(name, features):
    scenario = load_scenario(examples.path(name))
    result = run(scenario, replications=4, seed=1, workers=1, progress=False)
    assert result.engine == "fast"
    for summary in result.summaries:
        k = summary.kpis
        assert k["orders_arrived"] == (k["orders_completed"] + k["orders_abandoned"]
                                       + k["orders_unfinished"])
        for feature in features:
            assert k[feature] > 0, feature
        assert k["perfect_order_rate"] <= k["on_time_rate"]
    real = sample(scenario, 0, seed=2)
    assert_same_orders_and_kpis(simpy_model.simulate(scenario, real),
                                vectorized.simulate(scenario, real))


def test_stutterfly_with_remakes_reports_per_class_and_prices():
    """Follow-up jobs build Records by their own road: per-class numbers and prices too."""
    scenario = load_scenario(examples.path("stutterfly"))
    assert scenario.has_quality
    priced = scenario.edit({"costs": {"wage_per_hour": 25.0}})
    result = run(priced, replications=2, seed=1, workers=1, progress=False)
    assert set(result.by_class) == {"prints", "photo books"}
    total = sum(result.summaries[0].by_class[c]["orders_arrived"] for c in result.by_class)
    assert total == result.summaries[0].kpis["orders_arrived"]
    assert result.kpis["cost_wages"].mean > 0
