"""``capsim schedule --out``: the files agree with the search's result, exactly; the folder
is written whole or not at all; the scheduled-against-required data is the cover's.

A small priced scenario (orders from 14:00 to 22:00, an early and a late pattern), six
replications per mix on the SimPy engine: a search takes a few seconds.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from capsim.cli import main
from capsim.costs import COST_NAMES
from capsim.goals import Goal
from capsim.kpis import KPI_NAMES
from capsim.output import json_ready
from capsim.output.schedule import schedule_files
from capsim.scenario import load_scenario
from capsim.schedule import coverage, requirements, schedule, staff_by_hour_of_week

REPS, SEED = 6, 5
EVENING = [0.0] * 14 + [3.0] * 8 + [0.0] * 2
PRICED = f"""
name = "late"
horizon_days = 9
warmup_days = 1
start_weekday = 2
[demand]
rate_per_hour = 2.0
hour_profile = {EVENING}
[work]
distribution = "exponential"
mean_minutes = 60.0
promise_hours = 3.0
[targets]
on_time_rate = 0.8
[costs]
wage_per_hour = 20.0
late_per_order = 10.0
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
days_per_week = 5
count = 1
wage_per_hour = 26.0
"""


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "late.toml"
    path.write_text(PRICED)
    return path


@pytest.fixture(scope="module")
def written(scenario_file, tmp_path_factory) -> tuple[Path, object]:
    """The folder the CLI writes, and the same search run in-process."""
    out = tmp_path_factory.mktemp("out") / "plan"
    code = main(["schedule", str(scenario_file), "-r", str(REPS), "--seed", str(SEED),
                 "--workers", "1", "--engine", "simpy", "--out", str(out)])
    assert code == 0
    result = schedule(load_scenario(scenario_file), replications=REPS, seed=SEED, workers=1,
                      engine="simpy")
    return out, result


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_the_folder_has_every_file_and_they_parse(written):
    out, _ = written
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "schedule.csv", "costs.csv", "candidates.csv",
            "staff_by_hour.csv", "staff_by_hour.png", "staff_by_hour.svg",
            "replications.csv", "timeseries.csv", "daily.csv", "lead_time.csv",
            "timing.json", ".capsim-output"} == names
    assert (out / "staff_by_hour.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (out / "staff_by_hour.svg").read_bytes()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"][:2] == ["capsim", "schedule"]
    assert set(summary["files"]) >= {"schedule.csv", "candidates.csv", "summary.json"}
    # Nothing of the temporary assembly is left beside the folder.
    assert [p.name for p in out.parent.iterdir()] == ["plan"]


def test_the_schedule_and_its_kpis_and_costs_are_the_results_exactly(written):
    out, result = written
    table = rows(out / "schedule.csv")
    assert [r["pattern"] for r in table] == ["early", "late"]
    assert tuple(int(r["count"]) for r in table) == result.counts
    assert tuple(int(r["warm_start"]) for r in table) == result.warm_start
    assert [(float(r["start_hour"]), float(r["length_hours"]), int(r["days_per_week"]))
            for r in table] == [(6.0, 8.0, 7), (14.0, 9.0, 5)]
    assert table[0]["weekdays"] == "mon tue wed thu fri sat sun"
    summary = json.loads((out / "summary.json").read_text())
    run = result.run
    assert summary["meets"] is result.meets is True
    assert summary["cost"] == result.cost == run.kpis["cost_total"].mean
    assert summary["kpis"] == json_ready({k: run.kpis[k].as_dict() for k in KPI_NAMES})
    assert summary["costs"] == {k: run.kpis[k].as_dict() for k in COST_NAMES}
    parts = sum(summary["costs"][k]["mean"] for k in COST_NAMES
                if k not in ("cost_total", "cost_per_order"))
    assert parts == pytest.approx(summary["costs"]["cost_total"]["mean"], rel=1e-12)
    costs = {r["kpi"]: r for r in rows(out / "costs.csv")}
    assert list(costs) == list(COST_NAMES)
    for name in COST_NAMES:
        k = run.kpis[name]
        assert (float(costs[name]["mean"]), float(costs[name]["ci_low"]),
                float(costs[name]["ci_high"])) == (k.mean, k.ci_low, k.ci_high)
    assert json.loads((out / "summary.json").read_text())["resolved_scenario"][
        "workforce"]["roster"] == sum(result.counts)


def test_the_candidates_are_every_mix_simulated_with_its_cost_and_verdict(written):
    out, result = written
    table = rows(out / "candidates.csv")
    assert [(int(r["early"]), int(r["late"])) for r in table] == list(result.evaluations)
    for r in table:
        mix = (int(r["early"]), int(r["late"]))
        run = result.evaluations[mix]
        assert float(r["cost"]) == run.kpis["cost_total"].mean
        assert r["meets"] == str(int(run.kpis["on_time_rate"].mean >= 0.8))
        assert r["binding"] == "on_time_rate"  # the only target
        assert int(r["headcount"]) == sum(mix)
        assert r["chosen"] == str(int(mix == result.counts))
    met = [float(r["cost"]) for r in table if r["meets"] == "1"]
    assert min(met) == result.cost


def test_the_files_are_the_same_from_the_command_and_from_the_result(written):
    out, result = written
    ours = schedule_files(result, [])
    for name in ("schedule.csv", "candidates.csv", "costs.csv", "staff_by_hour.csv",
                 "replications.csv", "timeseries.csv", "daily.csv", "lead_time.csv"):
        assert (out / name).read_text() == ours[name], name


def test_scheduled_and_required_by_hour_of_the_week_are_the_cover_averaged(scenario_file):
    """Against a loop over the season's hours: Σ_p a[p, t] n_p and r[t], by weekday hour."""
    s = load_scenario(scenario_file)
    counts = (2, 3)
    hours = np.arange(s.warmup_hours, s.horizon_hours) + 0.5
    a, r = coverage(s, hours), requirements(s, hours)
    sums: dict[int, list[float]] = {}
    for t, hour in enumerate(hours):
        day = int(hour // 24)
        key = 24 * ((s.start_weekday + day) % 7) + int(hour % 24)
        entry = sums.setdefault(key, [0.0, 0.0, 0.0])
        entry[0] += 2 * a[0, t] + 3 * a[1, t]
        entry[1] += r[t]
        entry[2] += 1
    week, scheduled, required = staff_by_hour_of_week(s, counts)
    assert week.tolist() == sorted(sums)
    assert scheduled == pytest.approx([sums[h][0] / sums[h][2] for h in sorted(sums)],
                                      abs=1e-12)
    assert required == pytest.approx([sums[h][1] / sums[h][2] for h in sorted(sums)],
                                     abs=1e-12)
    # Wednesday (day 0): at 13:00 the two early technicians, on every day; at 15:00 the
    # three late ones, each on five days of seven (the expected share on duty)
    assert scheduled[week.tolist().index(2 * 24 + 13)] == 2.0
    assert scheduled[week.tolist().index(2 * 24 + 15)] == pytest.approx(3 * 5 / 7, abs=1e-12)
    assert required[week.tolist().index(2 * 24 + 3)] == 0.0  # no orders at 3:00


def test_written_csv_of_scheduled_and_required_is_that_data(written):
    out, result = written
    week, scheduled, required = staff_by_hour_of_week(result.scenario, result.counts)
    table = rows(out / "staff_by_hour.csv")
    assert [int(r["hour_of_week"]) for r in table] == week.tolist()
    assert [float(r["scheduled"]) for r in table] == scheduled.tolist()
    assert [float(r["required"]) for r in table] == required.tolist()


def test_a_failure_while_writing_leaves_nothing_half_written(written, scenario_file,
                                                             tmp_path, monkeypatch, capsys):
    """The figure fails after every text file was made: no folder, no debris; and a
    folder written before stays as it was."""
    out, _ = written
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("capsim.reporting.figures.render", broken)
    argv = ["schedule", str(scenario_file), "-r", str(REPS), "--seed", str(SEED),
            "--workers", "1", "--engine", "simpy"]
    fresh = tmp_path / "fresh"
    assert main([*argv, "--out", str(fresh)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main([*argv, "--out", str(out)]) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert [p.name for p in out.parent.iterdir()] == ["plan"]


def test_a_bad_out_is_refused_before_any_simulation(scenario_file, tmp_path, monkeypatch,
                                                    capsys):
    def never(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr("capsim.schedule.schedule", never)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["schedule", str(scenario_file), "--out", str(foreign)]) == 2
    assert str(foreign) in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_the_binding_target_is_the_one_with_the_least_relative_slack(written):
    """By hand: margins (mean - target) / target, reversed for a smaller-is-better KPI."""
    _, result = written
    run = result.run
    on_time, wait = run.kpis["on_time_rate"].mean, run.kpis["wait_mean_hours"].mean
    headline = Goal("on_time_rate", 0.8)
    assert (on_time - 0.8) / 0.8 > 0.02  # the 1.01 below leaves 0.0099
    assert wait > 0
    tight = replace(result, goals=(headline, Goal("wait_mean_hours", 1.01 * wait)))
    loose = replace(result, goals=(headline, Goal("wait_mean_hours", 100 * wait)))
    assert tight.binding(result.counts).kpi == "wait_mean_hours"
    assert loose.binding(result.counts).kpi == "on_time_rate"
    missed = replace(result, goals=(headline, Goal("wait_mean_hours", 0.5 * wait)))
    assert missed.binding(result.counts).kpi == "wait_mean_hours"
    assert not missed.verdict(result.counts)
    assert tight.verdict(result.counts)
