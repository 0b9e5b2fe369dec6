"""``size --objective cost``: the cheapest roster meeting every target.

Checked against an exhaustive search: every roster from the smallest meeting the target
to well past the cheapest is run on the same replications, and the cheapest of those
that meet the target must be the search's answer (so the search's stopping rule, the
first rise of the mean cost, loses nothing on these cases). With wages alone the
cheapest is the smallest; with a price on lateness it is larger.
"""

from __future__ import annotations

import pytest

from capsim.cli import main
from capsim.errors import ArgumentError
from capsim.experiment import run
from capsim.staffing import size_staff
from tests.conftest import mmc_data, scenario

REPS, SEED = 8, 11


def priced(**costs):
    return scenario(mmc_data(8.0, 1.0, 10, 2.0, horizon_days=8, warmup_days=1,
                             targets={"on_time_rate": 0.5},
                             costs={"wage_per_hour": 20.0, **costs}))


def exhaustive(s, low, high):
    """Mean cost of every roster in [low, high] meeting the target, on the same seeds."""
    costs = {}
    for n in range(low, high + 1):
        r = run(s.with_roster(n), replications=REPS, seed=SEED, workers=1, progress=False)
        if r.kpis["on_time_rate"].mean >= 0.5:
            costs[n] = r.kpis["cost_total"].mean
    return costs


@pytest.mark.parametrize(("late", "pricier"), [
    ({"late_per_order": 150.0, "late_per_hour": 40.0}, True),
    ({}, False),
])
def test_the_cheapest_roster_is_the_exhaustive_search_s(late, pricier):
    s = priced(**late)
    result = size_staff(s, replications=REPS, seed=SEED, workers=1, progress=False,
                        objective="cost")
    assert result.smallest is not None
    costs = exhaustive(s, result.smallest, result.smallest + 8)
    assert result.recommended == min(costs, key=costs.__getitem__)
    assert (result.recommended > result.smallest) == pricier
    headcount = size_staff(s, replications=REPS, seed=SEED, workers=1, progress=False)
    assert headcount.recommended == result.smallest


def test_cost_needs_prices_and_the_cli_shows_them(tmp_path, capsys):
    bare = scenario(mmc_data(8.0, 1.0, 10, 2.0, horizon_days=4, warmup_days=1))
    with pytest.raises(ArgumentError, match=r"objective 'cost' needs prices: add a \[costs\]"):
        size_staff(bare, replications=2, objective="cost", progress=False)
    path = tmp_path / "priced.toml"
    path.write_text("""
name = "priced"
horizon_days = 8
warmup_days = 1
[demand]
rate_per_hour = 8.0
[work]
distribution = "exponential"
mean_minutes = 60.0
promise_hours = 2.0
[workforce]
roster = 10
always_on = true
[targets]
on_time_rate = 0.5
[costs]
wage_per_hour = 20.0
late_per_order = 150.0
late_per_hour = 40.0
""")
    assert main(["size", str(path), "--objective", "cost", "--replications", str(REPS),
                 "--seed", str(SEED), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "the cheapest roster (mean cost_total)" in out
    assert "the cheapest roster meeting every target: mean cost_total" in out
    assert "cost" in out.splitlines()[next(i for i, line in enumerate(out.splitlines())
                                           if line.strip().startswith("roster"))]
    bare_path = tmp_path / "bare.toml"
    bare_path.write_text(path.read_text().split("[costs]")[0])
    assert main(["size", str(bare_path), "--objective", "cost", "--replications", "2"]) == 2
    assert "bare.toml: objective 'cost' needs prices" in capsys.readouterr().err
