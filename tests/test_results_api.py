"""Result objects: short reprs, tidy DataFrames, exact save/load, plots, reports from them.

Every table is checked against the files capsim writes for the same result (the
numbers people read), the round trip against every field bit for bit, and the report
made from a loaded result against the one made from the fresh result, byte for byte.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from matplotlib.axes import Axes

import capsim
from capsim.errors import CapsimError
from capsim.kpis import KPI_NAMES
from capsim.metrics import DAILY_NAMES, SERIES_NAMES
from capsim.persist import load_result
from capsim.reporting import report
from capsim.scenario import validate
from capsim.staffing import size_staff
from capsim.stress import stress_test
from capsim.sweep import parse_vary, sweep
from tests.conftest import mmc_data

SHIFTED = {
    "name": "small lab", "horizon_days": 14, "warmup_days": 2,
    "demand": {"rate_per_hour": 4.0,
               "surges": [{"name": "promotion", "start_hour": 168, "end_hour": 240,
                           "multiplier": 1.5}]},
    "work": {"distribution": "lognormal", "mean_minutes": 30.0, "cv": 0.7,
             "promise_hours": 16.0},
    "workforce": {"roster": 6, "shifts": [
        {"name": "early", "start_hour": 6, "length_hours": 8, "days_per_week": 5,
         "share": 0.6},
        {"name": "late", "start_hour": 14, "length_hours": 8, "days_per_week": 5,
         "share": 0.4}]},
    "absence": {"daily_rate": 0.05, "last_minute_share": 0.5},
    "targets": {"on_time_rate": 0.9},
    "experiment": {"replications": 8, "seed": 11},
    "stress": [{"name": "flu", "kind": "absence", "start_day": 8, "days": 2, "technicians": 2}],
}


@pytest.fixture(scope="module")
def scenario():
    return validate(SHIFTED)


@pytest.fixture(scope="module")
def ran(scenario):
    return capsim.run(scenario, replications=10, seed=3, workers=1)


@pytest.fixture(scope="module")
def sized(scenario):
    return size_staff(scenario, workers=1, also=[3])


def read_csv(path):
    with path.open() as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def same_floats(a, b) -> bool:
    """Equal bit for bit, NaN equal to NaN, dtype and shape included."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def assert_same_run(a, b):
    assert a.scenario.as_data() == b.scenario.as_data()
    assert (a.scenario.source, a.scenario.base_dir) == (b.scenario.source, b.scenario.base_dir)
    for name in ("seed", "replications_requested", "engine", "ci_level", "elapsed_seconds",
                 "stopped_by", "precision"):
        assert getattr(a, name) == getattr(b, name), name
    assert len(a.summaries) == len(b.summaries)
    for x, y in zip(a.summaries, b.summaries, strict=True):
        assert x.replication == y.replication
        assert list(x.kpis) == list(y.kpis)
        assert same_floats(list(x.kpis.values()), list(y.kpis.values()))
        for table in ("hourly", "daily"):
            assert list(getattr(x, table)) == list(getattr(y, table))
            for name in getattr(x, table):
                assert same_floats(getattr(x, table)[name], getattr(y, table)[name]), name
        assert same_floats(x.lead_time_counts, y.lead_time_counts)
    assert a.kpis == b.kpis or all(  # the intervals, recomputed from the same values
        same_floats([*a.kpis[k].as_dict().values()], [*b.kpis[k].as_dict().values()])
        for k in KPI_NAMES)


def test_repr_is_short_and_html_is_a_table(ran, sized):
    text = repr(ran)
    assert text.startswith("RunResult(scenario='small lab', replications=10, seed=3")
    assert "on_time_rate=" in text
    assert len(text) < 300  # a 10-replication run once printed 84 KB
    page = ran._repr_html_()
    assert page.startswith("<table>")
    assert page.count("<tr>") == 1 + len(KPI_NAMES) + 1
    assert len(repr(sized)) < 300
    assert sized._repr_html_().count("<tr>") == 1 + len(sized.evaluations)


def test_run_tables_hold_the_numbers_of_the_files(ran, tmp_path):
    folder = ran.save(tmp_path / "run")
    header, rows = read_csv(folder / "replications.csv")
    frame = ran.tables.replications()
    assert list(frame.columns) == header
    for row, (_, record) in zip(rows, frame.iterrows(), strict=True):
        # the CSV writes Python's shortest round-trip repr: float(text) is the value
        assert [float(c) if c else math.nan for c in row] == pytest.approx(
            list(record), nan_ok=True, rel=0, abs=0)
    summary = json.loads((folder / "summary.json").read_text())
    kpis = ran.tables.kpis().set_index("kpi")
    assert list(kpis.index) == [*KPI_NAMES, "p_target_met"]
    for name, interval in summary["kpis"].items():
        for part in ("mean", "ci_low", "ci_high"):
            written = math.nan if interval[part] is None else interval[part]  # JSON null
            assert kpis.loc[name, part] == pytest.approx(written, rel=0, abs=0, nan_ok=True)
    assert kpis.loc["p_target_met", "mean"] == summary["p_target_met"]["mean"]
    series = ran.tables.timeseries()
    hours = ran.scenario.horizon_days * 24
    assert len(series) == 10 * hours
    assert list(series.columns) == ["replication", "hour", *SERIES_NAMES]
    header, rows = read_csv(folder / "timeseries.csv")
    means = series.groupby("hour")["wip"].mean().to_numpy()
    # the same mean over 10 replications, summed in another order: a few ulps apart
    assert means == pytest.approx([float(r[header.index("wip_mean")]) for r in rows],
                                  rel=1e-12, abs=1e-12)
    daily = ran.tables.daily()
    assert list(daily.columns) == ["replication", "day", *DAILY_NAMES]
    assert len(daily) == 10 * ran.scenario.horizon_days
    lead = ran.tables.lead_time()
    at_promise = lead[lead["promises"] == 1.0].set_index("replication")["share"]
    assert at_promise.to_numpy() == pytest.approx(ran.column("on_time_rate"), rel=1e-12)


def test_size_tables(sized):
    curve = sized.tables.curve()
    assert list(curve["roster"]) == sorted(sized.evaluations)
    assert curve["recommended"].sum() == 1
    assert int(curve.loc[curve["recommended"], "roster"].iloc[0]) == sized.recommended
    for _, row in curve.iterrows():
        run = sized.evaluations[int(row["roster"])]
        assert row["on_time_rate"] == run.kpis["on_time_rate"].mean
        assert bool(row["meets"]) == sized.verdict(int(row["roster"]))
    long = sized.tables.kpis()
    assert len(long) == len(sized.evaluations) * (len(KPI_NAMES) + 1)
    reps = sized.tables.replications()
    assert len(reps) == sum(r.replications for r in sized.evaluations.values())
    assert len(sized.tables.timeseries()) == len(
        sized.evaluations[sized.recommended].tables.timeseries())
    with pytest.raises(KeyError, match="roster 99 was not evaluated"):
        sized.tables.timeseries(99)


def test_run_saves_and_loads_exactly(ran, tmp_path):
    loaded = load_result(ran.save(tmp_path / "a"))
    assert isinstance(loaded, capsim.RunResult)
    assert_same_run(ran, loaded)
    # and saving the loaded result writes the same files (arrays compared as arrays)
    again = loaded.save(tmp_path / "b")
    for path in sorted((tmp_path / "a").iterdir()):
        if path.name != "arrays.npz":
            assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    with np.load(tmp_path / "a" / "arrays.npz") as x, np.load(again / "arrays.npz") as y:
        assert x.files == y.files
        assert all(same_floats(x[k], y[k]) for k in x.files)


def test_size_saves_and_loads_exactly(sized, tmp_path):
    loaded = load_result(sized.save(tmp_path / "size"))
    for name in ("criterion", "kpi", "target", "confidence", "seed", "replications",
                 "max_replications", "rough_cut", "recommended", "partial",
                 "elapsed_seconds", "notes"):
        assert getattr(loaded, name) == getattr(sized, name), name
    assert list(loaded.evaluations) == list(sized.evaluations)  # the order of evaluation
    for n, run in sized.evaluations.items():
        assert_same_run(run, loaded.evaluations[n])


def test_sweep_and_stress_save_and_load_exactly(scenario, tmp_path):
    grid = sweep(scenario, [parse_vary("workforce.roster=4,6")], replications=3, workers=1)
    loaded = load_result(grid.save(tmp_path / "sweep"))
    assert (loaded.varies, loaded.points) == (grid.varies, grid.points)
    for a, b in zip(grid.results, loaded.results, strict=True):
        assert_same_run(a, b)
    assert list(loaded.tables.points()["workforce.roster"]) == [4, 6]
    stressed = stress_test(scenario, replications=3, workers=1)
    back = load_result(stressed.save(tmp_path / "stress"))
    assert_same_run(stressed.baseline, back.baseline)
    assert [o.event for o in back.outcomes] == [o.event for o in stressed.outcomes]
    for a, b in zip(stressed.outcomes, back.outcomes, strict=True):
        assert_same_run(a.result, b.result)
        assert b.baseline is back.baseline
    assert back.tables.events().equals(stressed.tables.events())
    ax = back.plot.events()
    assert ax.figure.get_suptitle() == f"Stress tests at {scenario.workforce.roster} technicians"
    # bars: the event's on-time rate during it, as the events table has it
    during = [p.get_width() for p in ax.patches][len(back.outcomes):]
    assert during == list(back.tables.events()["on_time_during"])


def test_a_loaded_result_renders_the_same_report_byte_for_byte(scenario, sized, tmp_path):
    stressed = stress_test(scenario.with_roster(sized.recommended), workers=1)
    argv = ["capsim", "report", "small.toml", "--out", "report"]  # the command is shown
    fresh = report(scenario, tmp_path / "fresh", size=sized, stress=stressed, command=argv)
    size_back = load_result(sized.save(tmp_path / "size"))
    stress_back = load_result(stressed.save(tmp_path / "stress"))
    loaded = report(scenario, tmp_path / "loaded", size=size_back, stress=stress_back,
                    command=argv)
    files = sorted(p.relative_to(fresh.path) for p in fresh.path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(loaded.path) for p in loaded.path.rglob("*")
                           if p.is_file())
    assert any(str(f).startswith("figures/") for f in files)
    for name in files:
        assert (fresh.path / name).read_bytes() == (loaded.path / name).read_bytes(), name


def test_report_refuses_results_of_another_scenario(scenario, sized, tmp_path):
    other = scenario.replace("demand.rate_per_hour", 5.0)
    with pytest.raises(CapsimError, match="SizeResult of another scenario"):
        report(other, tmp_path / "r", size=sized)


def test_plots_are_the_reports_figures(ran, sized):
    ax = sized.plot.curve()
    assert isinstance(ax, Axes)
    line = ax.get_lines()[0]  # the means, one point per evaluated roster
    curve = sized.tables.curve()
    assert list(line.get_xdata()) == list(curve["roster"])
    assert list(line.get_ydata()) == list(curve["on_time_rate"])
    assert ax.get_title() == "On-time delivery by roster"
    for method in ("chance", "in_house", "on_hand", "lead_time", "utilization"):
        assert isinstance(getattr(sized.plot, method)(), Axes)
    assert len(sized.plot.utilization().figure.axes) == 2
    in_house = ran.plot.in_house()
    assert in_house.get_title().endswith(f"{ran.scenario.workforce.roster} technicians on "
                                         "the roster")
    assert isinstance(ran.plot.on_hand(), Axes)
    assert isinstance(ran.plot.lead_time(), Axes)


def test_loading_a_folder_without_a_result_says_so(tmp_path):
    with pytest.raises(CapsimError, match="not a saved capsim result"):
        load_result(tmp_path)
    with pytest.raises(CapsimError, match="not a saved capsim result"):
        capsim.load_result(tmp_path / "missing")


def test_a_tiny_always_on_run_round_trips_with_its_nan_kpis(tmp_path):
    # one replication and a horizon too short for any due order: NaN KPIs, NaN intervals
    run = capsim.run(validate(mmc_data(0.5, 2.0, 1, 48.0, horizon_days=1, warmup_days=0)),
                     replications=1, seed=2, workers=1)
    assert math.isnan(run.kpis["on_time_rate"].mean)
    assert_same_run(run, load_result(run.save(tmp_path / "nan")))


def test_a_run_stopped_before_any_replication_still_has_its_tables(scenario, tmp_path):
    empty = capsim.RunResult(scenario=scenario, seed=1, replications_requested=4,
                             engine="fast", summaries=(), stopped_by="interrupted")
    assert "partial=True" in repr(empty)
    assert empty.tables.replications().empty
    assert list(empty.tables.timeseries().columns) == ["replication", "hour", *SERIES_NAMES]
    assert empty.tables.daily().empty
    assert empty.tables.lead_time().empty
    assert empty.tables.kpis()["n"].eq(0).all()
    assert_same_run(empty, load_result(empty.save(tmp_path / "empty")))
