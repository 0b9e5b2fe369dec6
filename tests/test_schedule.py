"""``capsim schedule``: the cheapest shift mix meeting every target.

Checked against exhaustive searches on the same replications: a case whose demand falls
only in the late shift (the answer staffs the late shift, and costs no more than the
best mix of a grid around it that meets the target), and a single around-the-clock
pattern, where choosing the count is exactly ``capsim size``'s question (the same
answer). Bad input: an hour with demand no pattern covers, an always-on workforce.
"""

from __future__ import annotations

import itertools

import pytest

from capsim.cli import main
from capsim.errors import ArgumentError, ScenarioError
from capsim.experiment import run
from capsim.schedule import schedule, warm_start, with_counts
from capsim.staffing import size_staff
from tests.conftest import mmc_data, scenario

REPS, SEED = 6, 5
EVENING = [0.0] * 14 + [3.0] * 8 + [0.0] * 2  # orders only from 14:00 to 22:00
TWO_SHIFTS = [
    {"name": "early", "start_hour": 6, "length_hours": 8, "count": 1},
    {"name": "late", "start_hour": 14, "length_hours": 9, "count": 1, "wage_per_hour": 26.0}]


def late_only():
    return scenario(mmc_data(2.0, 1.0, 2, 3.0, horizon_days=5, warmup_days=1,
                             demand={"hour_profile": EVENING},
                             workforce={"roster": 2, "always_on": False,
                                        "shifts": TWO_SHIFTS},
                             targets={"on_time_rate": 0.8},
                             costs={"wage_per_hour": 20.0, "late_per_order": 10.0}))


def test_demand_in_the_late_shift_is_staffed_there_as_cheaply_as_an_exhaustive_grid():
    s = late_only()
    result = schedule(s, replications=REPS, seed=SEED, workers=1)
    assert result.meets
    early, late = result.counts
    assert early == 0 < late
    assert warm_start(s)[0] == 0
    costs = {}
    for mix in itertools.product(range(3), range(max(late - 2, 1), late + 3)):
        r = run(with_counts(s, mix), replications=REPS, seed=SEED, workers=1, progress=False)
        if r.kpis["on_time_rate"].mean >= 0.8:
            costs[mix] = r.kpis["cost_total"].mean
    assert result.cost <= min(costs.values())


def test_one_around_the_clock_pattern_is_the_staffing_search():
    s = scenario(mmc_data(8.0, 1.0, 10, 2.0, horizon_days=6, warmup_days=1,
                          workforce={"roster": 10, "always_on": False, "shifts": [
                              {"name": "all day", "start_hour": 0, "length_hours": 24,
                               "count": 10}]},
                          targets={"on_time_rate": 0.85}))
    chosen = schedule(s, replications=REPS, seed=SEED, workers=1)
    sized = size_staff(s, replications=REPS, seed=SEED, workers=1, progress=False)
    assert chosen.counts == (sized.recommended,)


def test_an_uncovered_hour_with_demand_and_an_always_on_workforce_are_refused(capsys):
    night = scenario(mmc_data(2.0, 1.0, 2, 1.0, horizon_days=3, warmup_days=0,
                              workforce={"roster": 2, "always_on": False,
                                         "shifts": TWO_SHIFTS}))
    with pytest.raises(ScenarioError, match=r"workforce\.shifts: no shift pattern covers "
                       r"hour 0 \(day 0, 0:00\)"):
        schedule(night, replications=2)
    with pytest.raises(ArgumentError, match="always_on"):
        schedule(scenario(mmc_data(2.0, 1.0, 2, 1.0, horizon_days=3, warmup_days=0)),
                 replications=2)


def test_the_command_prints_the_mix(tmp_path, capsys):
    path = tmp_path / "late.toml"
    path.write_text(f"""
name = "late"
horizon_days = 5
warmup_days = 1
[demand]
rate_per_hour = 2.0
hour_profile = {EVENING}
[work]
distribution = "exponential"
mean_minutes = 60.0
promise_hours = 3.0
[targets]
on_time_rate = 0.8
[workforce]
roster = 2
[[workforce.shifts]]
name = "early"
start_hour = 6
length_hours = 8
count = 1
[[workforce.shifts]]
name = "late"
start_hour = 14
length_hours = 9
count = 1
""")
    assert main(["schedule", str(path), "-r", str(REPS), "--seed", str(SEED),
                 "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "late: the cheapest shift mix (meets every target" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.strip().startswith(("early", "late "))}
    assert rows["early"][4] == "0"


def test_a_stop_keeps_the_mixes_simulated_whole_and_marks_the_answer_partial():
    stops = []

    def stop_in_the_third_mix(done: int, total: int) -> None:
        stops.append(done)
        if stops.count(total) == 2 and done == 1:
            raise KeyboardInterrupt

    result = schedule(late_only(), replications=REPS, seed=SEED, workers=1,
                      progress=stop_in_the_third_mix)
    assert result.partial
    assert len(result.evaluations) == 2
    assert all(r.replications == REPS and not r.partial for r in result.evaluations.values())
    assert result.counts in result.evaluations
