"""The report's cost section, cost trade-off and shift schedule (``capsim report
--schedule``): numbers equal to the search's KPIs, the trade-off over the rosters the
search evaluated, the schedule's data equal to the cover's.

One small priced report, with its schedule, is built once for the module from a staffing
search in hand, so that its numbers can be checked against the search's results.
"""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from capsim.cli import main
from capsim.costs import COST_NAMES
from capsim.reporting import report
from capsim.reporting.blocks import show
from capsim.reporting.bundle import load_bundle
from capsim.reporting.figures import available, tradeoff
from capsim.scenario import load_scenario
from capsim.schedule import staff_by_hour_of_week
from capsim.staffing import size_staff
from tests.test_report import Page, resolve

#: Orders from 6:00 to 22:00 only: the two patterns cover them.
HOURS = [0.0] * 6 + [1.5] * 16 + [0.0] * 2
WORKFORCE = """
[workforce]
roster = 6
shifts = [
  { name = "early", start_hour = 6, length_hours = 8, share = 0.5 },
  { name = "late", start_hour = 14, length_hours = 8, share = 0.5, wage_per_hour = 26.0 },
]
"""
PRICED = f"""
name = "priced lab"
horizon_days = 12
warmup_days = 2

[demand]
rate_per_hour = 4.0
hour_profile = {HOURS}

[work]
distribution = "exponential"
mean_minutes = 30.0
promise_hours = 6.0

[targets]
on_time_rate = 0.85

[costs]
wage_per_hour = 24.0
overtime_premium = 1.5
late_per_order = 3.0

[experiment]
replications = 6
seed = 3
"""
SECTIONS = ["1. Executive summary", "2. On-time delivery by roster",
            "3. Chance of meeting the target", "4. Orders in-house over the season",
            "5. Technicians on hand", "6. Lead time against the promise",
            "7. Utilization and overtime", "8. Cost of the plan",
            "9. Recommended shift schedule", "10. Stress tests: what breaks the plan",
            "11. Analytic rough cut against simulation", "12. Assumptions: every input",
            "13. Method and reproducibility", "14. Every KPI"]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "priced.toml"
    path.write_text(PRICED + WORKFORCE)
    return path


@pytest.fixture(scope="module")
def sized(scenario_file):
    return size_staff(load_scenario(scenario_file), workers=1, engine="simpy",
                      progress=False)


@pytest.fixture(scope="module")
def built(scenario_file, sized, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "priced"
    report(load_scenario(scenario_file), out, size=sized, schedule=True, workers=1,
           engine="simpy", progress=False)
    return out


def test_the_report_has_the_cost_and_schedule_sections_numbered_in_order(built):
    page = Page((built / "index.html").read_text())
    assert page.headings == SECTIONS
    markdown = (built / "report.md").read_text()
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == SECTIONS
    for name in ("cost_against_on_time", "staff_by_hour"):
        assert (built / "figures" / f"{name}.png").is_file()
    assert {"summary.json", "schedule.csv", "candidates.csv", "staff_by_hour.csv"} <= {
        p.name for p in (built / "data" / "schedule").iterdir()}


def test_every_number_shown_is_the_one_in_its_data(built):
    page = Page((built / "index.html").read_text())
    for fact in page.facts:
        assert fact["text"] == show(resolve(built / "data", fact["source"]), fact["format"])


def test_the_cost_section_shows_each_cost_kpi_of_the_search_with_its_interval(built, sized):
    page = Page((built / "index.html").read_text())
    roster = json.loads((built / "data" / "summary.json").read_text())["detail_roster"]
    assert roster == sized.recommended
    kpis = sized.evaluations[roster].kpis
    shown = {f["source"] for f in page.facts if f["section"] == SECTIONS[7]}
    for name in COST_NAMES:
        for part in ("mean", "ci_low", "ci_high"):
            source = f"curve.csv:roster={roster}:{name}_{part}"
            assert source in shown, source
            assert resolve(built / "data", source) == getattr(kpis[name], part)
    per_order = next(f for f in page.facts if f["source"] ==
                     f"curve.csv:roster={roster}:cost_per_order_mean")
    assert per_order["text"] == f"{kpis['cost_per_order'].mean:,.2f}"


def test_the_trade_off_is_over_the_rosters_the_search_evaluated(built, sized, scenario_file):
    b = load_bundle(built / "data", load_scenario(scenario_file))
    rosters, on_time, cost, bars = tradeoff(b)
    evaluated = sorted(sized.evaluations)
    assert rosters.tolist() == evaluated
    assert on_time.tolist() == [sized.evaluations[n].kpis["on_time_rate"].mean
                                for n in evaluated]
    assert cost.tolist() == [sized.evaluations[n].kpis["cost_total"].mean for n in evaluated]
    assert bars.tolist() == [[sized.evaluations[n].kpis["cost_total"].mean
                              - sized.evaluations[n].kpis["cost_total"].ci_low
                              for n in evaluated],
                             [sized.evaluations[n].kpis["cost_total"].ci_high
                              - sized.evaluations[n].kpis["cost_total"].mean
                              for n in evaluated]]
    page = Page((built / "index.html").read_text())
    in_table = sorted({int(f["source"].split(":")[1].split("=")[1]) for f in page.facts
                       if f["section"] == SECTIONS[7]
                       and f["source"].endswith(":cost_total_mean")})
    assert in_table == evaluated
    assert "cost_against_on_time" in available(b)


def test_the_schedule_section_shows_the_mix_and_the_covers_data(built, scenario_file):
    s = load_scenario(scenario_file)
    summary = json.loads((built / "data" / "schedule" / "summary.json").read_text())
    counts = tuple(row["count"] for row in summary["schedule"])
    page = Page((built / "index.html").read_text())
    shown = {f["source"]: f["text"] for f in page.facts if f["section"] == SECTIONS[8]}
    for i, n in enumerate(counts):
        assert shown[f"schedule/summary.json:schedule.{i}.count"] == str(n)
    assert shown["schedule/summary.json:headcount"] == str(sum(counts))
    with (built / "data" / "schedule" / "staff_by_hour.csv").open() as handle:
        table = list(csv.DictReader(handle))
    week, scheduled, required = staff_by_hour_of_week(s, counts)
    assert [int(r["hour_of_week"]) for r in table] == week.tolist()
    assert np.array([float(r["scheduled"]) for r in table]).tolist() == scheduled.tolist()
    assert np.array([float(r["required"]) for r in table]).tolist() == required.tolist()
    # the schedule ran on the report's seed and replications
    assert (summary["seed"], summary["replications"]) == (3, 6)


def test_the_recorded_command_asks_for_the_schedule_again(built):
    argv = shlex.split((built / "command.txt").read_text())
    assert "--schedule" in argv


def test_a_report_from_its_own_data_keeps_the_schedule(built, scenario_file, tmp_path):
    again = tmp_path / "again"
    assert main(["report", str(scenario_file), "--from", str(built), "--out", str(again),
                 "--workers", "1"]) == 0
    assert (again / "index.html").read_text() == (built / "index.html").read_text()


def test_schedule_on_an_always_on_workforce_is_refused_before_any_simulation(
        tmp_path, capsys, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("simulated before refusing --schedule")

    monkeypatch.setattr("capsim.reporting.size_staff", never)
    path = tmp_path / "always.toml"
    path.write_text(PRICED + "[workforce]\nroster = 6\nalways_on = true\n")
    assert main(["report", str(path), "--out", str(tmp_path / "r"), "--schedule"]) == 2
    assert "always_on" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_ctrl_c_in_the_schedule_search_keeps_the_rest_marked_partial(scenario_file, sized,
                                                                     tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("capsim.reporting.schedule_search", interrupted)
    result = report(load_scenario(scenario_file), tmp_path / "r", size=sized, schedule=True,
                    workers=1, engine="simpy", progress=False)
    assert result.partial
    assert result.recommended == sized.recommended
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "Not done: the shift schedule and the figures." in markdown
    assert "## 8. Cost of the plan" in markdown
    assert "Recommended shift schedule" not in markdown
    assert not (tmp_path / "r" / "data" / "schedule").exists()
