"""capsim sweep (grid expansion, same seeds) and capsim stress (the report and its measures)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import tomli_w

from capsim.cli import main
from capsim.errors import CapsimError
from capsim.output.stress import format_stress, stress_summary
from capsim.scenario import StressEvent
from capsim.stress import Clearing, StressOutcome, clear_hours, stress_test, window_on_time
from capsim.sweep import Vary, grid, parse_vary, sweep
from tests.conftest import merge, scenario


@pytest.mark.parametrize(("text", "vary"), [
    ("workforce.roster=12,14,16", Vary("workforce.roster", (12, 14, 16))),
    ("workforce.roster=12:16:2", Vary("workforce.roster", (12, 14, 16))),
    ("workforce.roster=12:17:2", Vary("workforce.roster", (12, 14, 16))),
    ("absence.daily_rate=0.02:0.06:0.02", Vary("absence.daily_rate", (0.02, 0.04, 0.06))),
    ("dispatch=fifo,edd", Vary("dispatch", ("fifo", "edd"))),
    ("demand.surges[0].multiplier=1.5, 2", Vary("demand.surges[0].multiplier", (1.5, 2))),
    ("absence.vacation.blackouts=[{start_day=1, end_day=7}],[]",
     Vary("absence.vacation.blackouts", ([{"start_day": 1, "end_day": 7}], []))),
])
def test_parse_vary(text, vary):
    assert parse_vary(text) == vary


def test_grid_is_the_product_first_field_slowest():
    points = grid([Vary("a", (1, 2)), Vary("b", ("x", "y", "z"))])
    assert points == [(("a", 1), ("b", "x")), (("a", 1), ("b", "y")), (("a", 1), ("b", "z")),
                      (("a", 2), ("b", "x")), (("a", 2), ("b", "y")), (("a", 2), ("b", "z"))]
    with pytest.raises(CapsimError, match="one or two fields"):
        grid([Vary("a", (1,)), Vary("b", (1,)), Vary("c", (1,))])
    with pytest.raises(CapsimError, match="varied twice"):
        grid([Vary("a", (1,)), Vary("a", (2,))])


@pytest.mark.parametrize(("text", "message"), [
    ("workforce.roster=", "no values"),
    ("workforce.roster", "expected PATH=VALUES"),
    ("workforce.roster=5:1:1", "STOP >= START"),
    ("workforce.roster=1:5:0", "STEP > 0"),
    ("a..b=1", "cannot parse field path"),
])
def test_bad_vary(text, message):
    with pytest.raises(CapsimError, match=message):
        parse_vary(text)


def test_every_point_runs_on_the_same_seeds(shifts_data):
    """Varying a label leaves the numbers bit-identical; varying the roster keeps the orders
    (common random numbers). It need not raise every
    replication's on-time rate: with shifts, an extra technician changes who takes which
    order (tests/test_engine.py shows a case where that makes an order late)."""
    base = scenario(shifts_data)
    result = sweep(base, [parse_vary('description="a","b"')], replications=3, seed=2,
                   workers=1, progress=False)
    a, b = result.results
    assert np.array_equal(a.column("on_time_rate"), b.column("on_time_rate"))
    result = sweep(base, [parse_vary("workforce.roster=7,9")], replications=3, seed=2,
                   workers=1, progress=False)
    small, large = result.results
    assert np.array_equal(small.column("orders_arrived"), large.column("orders_arrived"))
    for a, b in zip(small.summaries, large.summaries, strict=True):
        assert np.array_equal(a.daily["orders_arrived"], b.daily["orders_arrived"])


def toml_text(data):
    return tomli_w.dumps(data)


def test_sweep_cli(shifts_data, tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(shifts_data))
    out = tmp_path / "out"
    argv = ["sweep", str(path), "--vary", "workforce.roster=7,9", "--vary",
            "absence.daily_rate=0.0,0.1", "-r", "2", "--workers", "1", "--out", str(out)]
    assert main(argv) == 0
    assert "4 of 4 points" in capsys.readouterr().out
    data = json.loads((out / "summary.json").read_text())
    assert [p["values"] for p in data["points"]] == [
        {"workforce.roster": 7, "absence.daily_rate": 0.0},
        {"workforce.roster": 7, "absence.daily_rate": 0.1},
        {"workforce.roster": 9, "absence.daily_rate": 0.0},
        {"workforce.roster": 9, "absence.daily_rate": 0.1}]
    header = (out / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["workforce.roster", "absence.daily_rate", "on_time_rate_mean"]


def test_a_sweep_over_a_reorder_point_shows_the_stock_kpis(shifts_data):
    """With supplies the table gains each point's fill rate and orders delayed by a
    stock-out (the run's own means, shown to the digits the table prints) and the JSON
    each supply's figures; a plain scenario's table has no such columns."""
    from capsim.output.sweep import format_sweep, sweep_summary
    paper = {"name": "paper", "initial_stock": 40.0, "policy": "s_S", "reorder_point": 10.0,
             "order_up_to": 60.0, "review_hours": 24.0,
             "lead_time": {"distribution": "fixed", "mean_minutes": 2880.0}}
    base = scenario(merge(shifts_data, {
        "supplies": [paper], "classes": [{"name": "all", "share": 1.0,
                                          "consumes": {"paper": 1.0}}]}))
    result = sweep(base, [parse_vary("supplies[0].reorder_point=5,40")], replications=2,
                   seed=2, workers=1, progress=False)
    lines = format_sweep(result).splitlines()
    assert lines[2].endswith("fill rate  delayed")
    for line, run in zip(lines[3:5], result.results, strict=True):
        assert run is not None
        fill, delayed = run.kpis["fill_rate"].mean, run.kpis["orders_delayed_by_stockout"].mean
        assert line.endswith(f"{100 * fill:.2f} %{delayed:>9.0f}"), line
    assert result.results[0].kpis["orders_delayed_by_stockout"].mean > 0  # stock-outs shown
    points = sweep_summary(result)["points"]
    assert [p["by_supply"][0]["supply"] for p in points] == ["paper", "paper"]
    assert points[0]["by_supply"][0]["fill_rate"]["mean"] == pytest.approx(
        result.results[0].kpis["fill_rate"].mean)
    plain = sweep(scenario(shifts_data), [parse_vary("workforce.roster=8")], replications=1,
                  seed=2, workers=1, progress=False)
    assert "fill rate" not in format_sweep(plain)
    assert "by_supply" not in sweep_summary(plain)["points"][0]


@pytest.mark.parametrize(("vary", "fragment"), [
    ("workforce.rooster=1,2", "workforce.rooster (from --vary"),
    ("workforce.roster=", "no values"),
    ("absence.daily_rate=0.1,1.5", "absence.daily_rate (from --vary absence.daily_rate=1.5)"),
])
def test_sweep_bad_input_exits_2(shifts_data, tmp_path, capsys, vary, fragment):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(shifts_data))
    assert main(["sweep", str(path), "--vary", vary, "-r", "1"]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


class Fake:
    """Stands in for a RunResult with given daily and hourly arrays."""

    def __init__(self, daily=None, hourly=None):
        self._daily, self._hourly = daily or {}, hourly or {}

    def daily(self, name):
        return self._daily[name]

    def hourly(self, name):
        return self._hourly[name]


def test_window_on_time_and_clear_hours_by_hand():
    due = np.array([[10.0, 0.0, 5.0]])
    rate = np.array([[0.5, np.nan, 1.0]])
    np.testing.assert_allclose(
        window_on_time(Fake({"orders_due": due, "on_time_rate": rate}), 0, 3), [10 / 15])
    event = StressEvent(name="e", kind="closure", start_day=0, days=1)
    base = Fake(hourly={"wip": np.zeros((2, 48), dtype=np.int32)})
    wip = np.zeros((2, 48), dtype=np.int32)
    wip[0, 24:30] = 5  # extra orders until hour 30: cleared 6 h after the event's end (24)
    wip[1, 24:] = 1  # never cleared
    np.testing.assert_array_equal(clear_hours(Fake(hourly={"wip": wip}), base, event),
                                  [6, np.nan])


def test_stress_report(shifts_data):
    data = merge(shifts_data, {"workforce": {"roster": 9}, "stress": [
        {"name": "flu", "kind": "absence", "start_day": 10, "days": 3, "technicians": 4},
        {"name": "outage", "kind": "closure", "start_day": 15}]})
    report = stress_test(scenario(data), replications=4, seed=1, workers=1, progress=False)
    assert [o.event.name for o in report.outcomes] == ["flu", "outage"]
    for outcome in report.outcomes:
        assert outcome.on_time("during").mean <= outcome.on_time("during", baseline=True).mean
        assert outcome.peak_extra_wip > 0
        assert np.array_equal(outcome.result.column("orders_arrived"),
                              report.baseline.column("orders_arrived"))


def test_stress_cli_and_a_scenario_without_events(shifts_data, tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(shifts_data))
    assert main(["stress", str(path), "-r", "1"]) == 2
    assert "no [[stress]] events" in capsys.readouterr().err
    path.write_text(toml_text(merge(shifts_data, {"stress": [
        {"name": "outage", "kind": "closure", "start_day": 5}]})))
    assert main(["stress", str(path), "-r", "2", "--workers", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (event,) = data["events"]
    assert event["name"] == "outage"
    assert {"on_time_during", "on_time_after", "season_on_time", "backlog"} <= set(event)


def test_ctrl_c_during_a_sweep_keeps_the_completed_points(shifts_data):
    seen = []

    def interrupt_in_the_second_point(done, total):
        seen.append(done)
        if seen.count(1) == 2:
            raise KeyboardInterrupt

    result = sweep(scenario(shifts_data), [parse_vary("workforce.roster=7,8,9")],
                   replications=3, seed=1, workers=1, progress=interrupt_in_the_second_point)
    assert result.partial
    assert [r is not None for r in result.results] == [True, False, False]


def test_the_backlog_median_counts_the_seasons_that_never_clear():
    """19 of 20 seasons never clear: the median season does not clear by the horizon (it
    was printed as the one season's 111 h). Quantiles are empirical over all seasons."""
    hours = np.array([111.0] + [np.nan] * 19)
    c = Clearing.of(hours)
    assert (c.share_cleared, c.median_hours, c.p90_hours) == (0.05, math.inf, math.inf)
    c = Clearing.of(np.array([10.0, 20.0, 30.0, np.nan]))
    assert (c.median_hours, c.p90_hours) == (20.0, math.inf)
    c = Clearing.of(np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]))
    assert (c.median_hours, c.p90_hours) == (50.0, 90.0)


def test_the_stress_table_says_not_by_the_horizon(shifts_data, monkeypatch):
    data = merge(shifts_data, {"stress": [
        {"name": "outage", "kind": "closure", "start_day": 10, "days": 3}]})
    report = stress_test(scenario(data), replications=2, seed=1, workers=1, progress=False)
    monkeypatch.setattr(StressOutcome, "clearing",
                        property(lambda self: Clearing(0.05, 111.0, math.inf)))
    assert format_stress(report).splitlines()[-3].endswith(
        "111 h / not by the horizon (5 % cleared)")
    row = stress_summary(report)["events"][0]["backlog"]
    assert row == {"share_cleared": 0.05, "median_hours": 111.0, "p90_hours": None}
