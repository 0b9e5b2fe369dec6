"""Bad input: one clear message naming the file, the field, the value and what is allowed;
exit status 2; no traceback unless --debug."""

from __future__ import annotations

import pytest

from capsim.cli import main
from capsim.errors import CapsimWarning, ScenarioError
from capsim.scenario import load_scenario, validate
from tests.conftest import STUTTERFLY, merge, mmc_data

BASE = mmc_data(9.0, 1.0, 10, 2.0)


def problem(data, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        validate(data, source="scenario.toml", **kwargs)
    return str(info.value)


@pytest.mark.parametrize(("changes", "field", "fragments"), [
    # unknown keys, top level and nested, with a suggestion
    ({"horizon": 3}, "horizon", ["unknown field", "did you mean 'horizon_days'"]),
    ({"demand": {"rate": 3}}, "demand.rate", ["unknown field", "rate_per_hour"]),
    # wrong types
    ({"horizon_days": "ten"}, "horizon_days", ["'ten'", "a whole number >= 1"]),
    ({"workforce": {"always_on": "yes please"}}, "workforce.always_on", ["true or false"]),
    ({"workforce": {"always_on": "yes"}}, "workforce.always_on", ["got 'yes'", "true or false"]),
    ({"demand": {"rate_per_hour": True}}, "demand.rate_per_hour", ["got true", "a number >= 0"]),
    ({"horizon_days": 60.0}, "horizon_days", ["got 60.0", "a whole number"]),
    # out of range
    ({"demand": {"rate_per_hour": -1.0}}, "demand.rate_per_hour", ["got -1.0", ">= 0"]),
    ({"absence": {"daily_rate": 1.5}}, "absence.daily_rate", ["got 1.5", ">= 0 and <= 1"]),
    ({"absence": {"cover_probability": -0.1}}, "absence.cover_probability", [">= 0 and <= 1"]),
    ({"demand": {"hour_profile": [1.0] * 23}}, "demand.hour_profile",
     ["exactly 24 values"]),
    ({"demand": {"week_profile": [1.0] * 8}}, "demand.week_profile", ["exactly 7 values"]),
    ({"workforce": {"always_on": False, "shifts": [{"start_hour": 8, "length_hours": 25}]}},
     "workforce.shifts[0].length_hours", ["got 25", "<= 24"]),
    ({"workforce": {"roster": 0}}, "workforce.roster", ["no technician", "got 0"]),
    ({"workforce": {"always_on": False, "roster": 8,
                    "shifts": [{"start_hour": 8, "length_hours": 8, "count": 5}]}},
     "workforce.roster", ["differs from the 5 technicians", "got 8"]),
    ({"demand": {"rate_per_hour": float("nan")}}, "demand.rate_per_hour",
     ["finite", "got nan"]),
    ({"work": {"mean_minutes": float("inf")}}, "work.mean_minutes", ["finite", "got inf"]),
    ({"dispatch": "lifo"}, "dispatch", ["'lifo'", "'fifo', 'edd' or 'priority'"]),
    ({"warmup_days": 60}, "warmup_days", ["less than horizon_days"]),
    # relations between fields
    ({"demand": {"surges": [{"start_hour": 10, "end_hour": 5, "multiplier": 2}]}},
     "demand.surges[0].end_hour", ["after start_hour"]),
    ({"work": {"distribution": "gamma"}}, "work.cv", ["needs cv"]),
    ({"classes": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.4}]}, "classes",
     ["sum to 0.9"]),
    ({"demand": {"batches": [{"at_hour": 1, "orders": 5, "class": "vip"}]}},
     "demand.batches[0].class", ["unknown order class", "'default'"]),
    ({"absence": {"vacation": {"weeks_per_year": 5, "block_weeks": 5,
                               "blackouts": [{"start_day": 0, "end_day": 350}]}}},
     "absence.vacation.weeks_per_year", ["do not fit"]),
    # quality and repeat contacts
    ({"quality": {"right_first_time": 1.2}}, "quality.right_first_time",
     ["got 1.2", ">= 0.05 and <= 1"]),
    ({"quality": {"right_first_time": 0.01}}, "quality.right_first_time",
     ["got 0.01", ">= 0.05"]),
    ({"quality": {"found_by_customer": -0.5}}, "quality.found_by_customer",
     ["got -0.5", ">= 0 and <= 1"]),
    ({"quality": {"right_first_time": 0.9, "found_by_customer": 0.3}}, "quality.remake_delay",
     ["needed when found_by_customer > 0"]),
    ({"quality": {"remake_due": "later"}}, "quality.remake_due", ["'original' or 'renewed'"]),
    ({"quality": {"rework": {"distribution": "lognormal", "mean_minutes": 20.0}}},
     "quality.rework.cv", ["needs cv"]),
    ({"returns": {"probability": 0.2, "delay": {"mean_minutes": 60.0}, "as_class": "vip"}},
     "returns.as_class", ["unknown order class", "got 'vip'", "'default'"]),
    ({"returns": {"probability": 0.2, "delay": {"mean_minutes": 60.0}, "max_returns": 0}},
     "returns.max_returns", ["got 0", ">= 1 and <= 5"]),
    ({"returns": {"probability": 0.2, "delay": {"mean_minutes": 60.0}, "max_returns": 6}},
     "returns.max_returns", ["got 6", "<= 5"]),
    ({"returns": {"probability": 1.5, "delay": {"mean_minutes": 60.0}}}, "returns.probability",
     ["got 1.5", ">= 0 and <= 1"]),
    ({"returns": {"probability": 0.2}}, "returns.delay", ["required field is missing"]),
    ({"classes": [{"name": "a", "share": 1.0, "returns": {
        "probability": 0.2, "delay": {"mean_minutes": 60.0}, "as_class": "b"}}]},
     "classes[0].returns.as_class", ["unknown order class", "got 'b'", "'a'"]),
])
def test_scenario_problem_names_the_field(changes, field, fragments):
    message = problem(merge(BASE, changes))
    assert message.startswith(f"scenario.toml: {field}"), message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_required_field():
    data = merge(BASE, {})
    del data["demand"]
    assert "demand: required field is missing" in problem(data)


def test_all_problems_are_listed():
    message = problem(merge(BASE, {"horizon_days": 0, "absence": {"daily_rate": 2}}))
    assert "2 problems" in message
    assert "horizon_days" in message
    assert "absence.daily_rate" in message


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_malformed_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nhorizon_days = = 3\n')
    with pytest.raises(ScenarioError, match=r"bad.toml: invalid TOML: .*line 2"):
        load_scenario(path)


def _empirical(tmp_path, csv_text: str | None) -> str:
    if csv_text is not None:
        (tmp_path / "touch.csv").write_text(csv_text)
    data = merge(BASE, {"work": {"distribution": "empirical", "file": "touch.csv"}})
    del data["work"]["mean_minutes"]
    return problem(data, base_dir=tmp_path)


@pytest.mark.parametrize(("csv_text", "fragments"), [
    (None, ["work.file", "file not found"]),
    ("minutes\n3\nabc\n", ["work.file", "line 3", "'abc' is not a number"]),
    ("minutes\n3\n-2\n", ["line 3", "> 0"]),
    ("minutes\n", ["no values"]),
    ("", ["is empty"]),
])
def test_bad_empirical_csv(tmp_path, csv_text, fragments):
    message = _empirical(tmp_path, csv_text)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("content", "fragment"), [
    (b"minutes\n\xff\xfe\x00\n", "is not a text file (it contains NUL bytes)"),
    (b"minutes\n3\n\xe9t\xe9\n", "is not UTF-8 text (byte 0xe9 at offset 10)"),
])
def test_unreadable_csv(tmp_path, content, fragment):
    (tmp_path / "touch.csv").write_bytes(content)
    assert fragment in _empirical(tmp_path, None)


@pytest.mark.parametrize(("csv_text", "fragments"), [
    ("when\n1\n", ["demand.trace.file", "needs a column 'arrival_hour'"]),
    ("arrival_hour\n1\nsoon\n", ["line 3", "'soon' is not a number"]),
    ("timestamp\n2025-11-03T08:00\nyesterday\n", ["line 3", "ISO 8601"]),
    ("arrival_hour,class\n1,vip\n", ["unknown order class 'vip'"]),
])
def test_bad_trace_csv(tmp_path, csv_text, fragments):
    (tmp_path / "trace.csv").write_text(csv_text)
    data = merge(BASE, {"demand": {"rate_per_hour": 0.0, "trace": {"file": "trace.csv"}}})
    message = problem(data, base_dir=tmp_path)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("override", "fragments"), [
    ("demand.rat=3", ["demand.rat (from --set demand.rat=3): unknown field", "rate_per_hour"]),
    ("workforce.roster=-1", ["workforce.roster (from --set workforce.roster=-1)", "got -1"]),
    ("demand.rate_per_hour.x=1", ["demand.rate_per_hour: is a value"]),
    ("demand.surges[3].multiplier=1", ["no such list element"]),
    ("roster", ["expected PATH=VALUE"]),
    ("a..b=1", ["cannot parse field path"]),
])
def test_bad_set(override, fragments):
    with pytest.raises(ScenarioError) as info:
        validate(BASE, source="scenario.toml", overrides=[override])
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["run", "nope.toml"], "nope.toml: file not found"),
    (["run", str(STUTTERFLY), "--set", "absence.daily_rate=2"], "absence.daily_rate"),
    (["validate", str(STUTTERFLY), "--set", "workforce.rooster=3"], "did you mean 'roster'"),
    (["run", str(STUTTERFLY), "--replications", "0"], "allowed: >= 1"),
    (["run", str(STUTTERFLY), "--workers", "two"], "'two' is not a whole number"),
    (["run", str(STUTTERFLY), "--engine", "warp"], "unknown engine 'warp'"),
    (["run", str(STUTTERFLY), "--ci-level", "1.5"], "allowed: > 0 and < 1"),
    (["run", str(STUTTERFLY), "--replications", "1000000000"], "allowed: >= 1 and <= 1e+06"),
    (["run", str(STUTTERFLY), "--max-replications", "5"], "--max-replications applies only "
     "with --precision"),
    (["run", str(STUTTERFLY), "--kpi", "peak_wip"], "--kpi applies only with --precision"),
    (["run", str(STUTTERFLY), "--scheduler", "tcp://x:1"], "--scheduler applies only with "
     "--executor dask"),
])
def test_cli_exit_2_with_one_message(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_cli_debug_shows_traceback(capsys):
    assert main(["run", "nope.toml", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "file not found" in err


def test_cli_out_must_be_a_directory(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("not a directory")
    assert main(["run", str(STUTTERFLY), "-r", "1", "--out", str(target)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert target.read_text() == "not a directory"


@pytest.mark.parametrize(("vary", "fragment"), [
    ("workforce.roster=1:1000000:0.000001", "spans 999,999,000,001 values; allowed: at most "
     "1,000 grid points"),
    ("demand.rate_per_hour=nan:5:1", "must be finite numbers"),
    ("demand.rate_per_hour=1:inf:1", "must be finite numbers"),
    ("demand.rate_per_hour=1:5:nan", "must be finite numbers"),
])
def test_sweep_spans_that_cannot_run(capsys, vary, fragment):
    assert main(["sweep", str(STUTTERFLY), "--vary", vary]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_sweep_grid_too_large(capsys):
    argv = ["sweep", str(STUTTERFLY), "--vary", "workforce.roster=1:100:1",
            "--vary", "absence.daily_rate=0:0.2:0.01"]
    assert main(argv) == 2
    assert "the grid has 2,100 points; allowed: at most 1,000" in capsys.readouterr().err


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"demand": {"surges": [{"start_hour": 1440, "end_hour": 1500, "multiplier": 2}]}},
     "scenario.toml: demand.surges[0].start_hour: starts at hour 1440, after the horizon "
     "(60 days, hour 1440); it never applies"),
    ({"demand": {"batches": [{"at_hour": 2000, "orders": 5}]}},
     "demand.batches[0].at_hour: arrives at hour 2000, after the horizon"),
    ({"stress": [{"name": "late", "kind": "closure", "start_day": 60}]},
     "stress[0].start_day: starts on day 60, after the horizon"),
    ({"absence": {"outbreaks": [{"start_day": 99, "share": 0.5, "duration_days": 2}]}},
     "absence.outbreaks[0].start_day: starts on day 99, after the horizon"),
])
def test_inputs_after_the_horizon_warn(changes, fragment):
    with pytest.warns(CapsimWarning) as caught:
        validate(merge(BASE, changes), source="scenario.toml")
    assert len(caught) == 1
    assert fragment in str(caught[0].message), str(caught[0].message)


def test_trace_arrivals_after_the_horizon_warn(tmp_path):
    (tmp_path / "trace.csv").write_text("arrival_hour\n1\n1439.9\n1440\n5000\n")
    data = merge(BASE, {"demand": {"rate_per_hour": 0.0, "trace": {"file": "trace.csv"}}})
    with pytest.warns(CapsimWarning, match=r"demand.trace.file: 2 of 4 arrivals fall at or "
                      r"after the horizon \(60 days, hour 1440\); they are left out"):
        validate(data, base_dir=tmp_path)


def test_the_override_that_made_it_is_named():
    with pytest.warns(CapsimWarning, match=r"stress\[0\].start_day \(from --set "
                      r"stress\[0\].start_day=70\): starts on day 70"):
        validate(merge(BASE, {"stress": [{"name": "s", "kind": "closure", "start_day": 1}]}),
                 overrides=["stress[0].start_day=70"])


def test_cli_prints_each_warning_once(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\nhorizon_days = 3\n[demand]\nrate_per_hour = 2.0\n'
        '[[demand.batches]]\nat_hour = 100\norders = 5\n'
        '[work]\nmean_minutes = 5.0\n[workforce]\nroster = 2\nalways_on = true\n')
    assert main(["sweep", str(path), "--vary", "workforce.roster=1,2,3", "-r", "2",
                 "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert err.count("capsim: warning: ") == 1, err
    assert f"capsim: warning: {path}: demand.batches[0].at_hour: arrives at hour 100" in err
    assert main(["validate", str(path)]) == 0  # and again in the next command
    assert capsys.readouterr().err.count("capsim: warning: ") == 1


def test_cli_messages_escape_control_characters(capsys, tmp_path):
    """What the user typed is quoted in messages; an escape sequence must not reach the
    terminal raw."""
    assert main(["validate", str(STUTTERFLY), "--set", "name=\x1b[2Jgone"]) == 2
    assert main(["validate", str(tmp_path / "a\x1b[31m.toml")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "name (from --set name=\\x1b[2Jgone)" in err
    assert "a\\x1b[31m.toml: file not found" in err
