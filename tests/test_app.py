"""The what-if page's logic, and the page driven headless (Streamlit's AppTest).

The oracle is the CLI: a knob on the page is a ``--set`` on ``capsim run``, so the page's
numbers must be the CLI's exactly (same scenario, same seed, same replications, same
engine: the same floating-point operations). Where the page computes a difference, the
oracle is the definition: the mean of the per-replication differences.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from scipy import stats as scipy_stats
from streamlit.testing.v1 import AppTest

import capsim
from capsim import reuse
from capsim.app import answers, knobs, launch, sources
from capsim.cli import main
from capsim.kpis import KPIS
from capsim.scenario import load_scenario
from capsim.staffing import size_staff
from capsim.stats import mean_interval
from tests.conftest import mmc_toml

PAGE = Path(launch.PAGE)
SMALL = {"horizon_days": 8, "rate": 9.0, "mean_minutes": 60.0, "promise": 2.0, "roster": 10,
         "replications": 12}
TIMEOUT_S = 120  # a page run simulates; generous for a loaded 2-core machine, never hit


@pytest.fixture(autouse=True)
def sessions_closed(monkeypatch):
    """Close the page's Session after each test: its scope of shared draws is the process's.

    Streamlit keeps the page's resources for the process's life, so a Session a page run
    made would leave draws shared (read-only) for the tests that come after.
    """
    made: list[answers.Session] = []
    start = answers.Session.__init__

    def recorded(self: answers.Session) -> None:
        start(self)
        made.append(self)

    monkeypatch.setattr(answers.Session, "__init__", recorded)
    yield
    st.cache_resource.clear()
    for session in made:
        session.close()
    assert not reuse.active()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder with the small M/M/10 scenario file in it, as the current directory."""
    (tmp_path / "small.toml").write_text(mmc_toml("small", **SMALL))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def cli_json(capsys, *args: str) -> dict:
    status, out, err = cli(capsys, "run", *args, "--json")
    assert status == 0, err
    return json.loads(out)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def page(initial: str = "small.toml") -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    at.session_state["initial"] = initial
    return at.run()


def knob_key(at: AppTest, path: str) -> str:
    return next(n.key for n in at.number_input if n.key.endswith(f":{path}"))


def turn(at: AppTest, path: str, value: float) -> AppTest:
    return at.number_input(key=knob_key(at, path)).set_value(value).run()


# ------------------------------------------------------------------ knobs and sources


def test_knobs_start_at_the_scenarios_values_with_its_field_descriptions():
    source = sources.example("stutterfly")
    scenario = load_scenario(source.path)
    found = {k.path: k for k in knobs.knobs(scenario)}
    assert found["workforce.roster"].default == scenario.workforce.roster
    assert found["absence.daily_rate"].default == scenario.absence.daily_rate
    assert found["absence.vacation.blackouts[0].end_day"].default == 56
    for i, surge in enumerate(scenario.demand.surges):
        assert found[f"demand.surges[{i}].multiplier"].default == surge.multiplier
        assert found[f"demand.surges[{i}].start_hour"].default == surge.start_hour
    assert found["experiment.seed"].default == scenario.experiment.seed
    # the schema's own words where it has them
    assert found["demand.surges[0].multiplier"].help == \
        "Factor on the arrival rate inside the window."
    assert all(k.help for k in found.values())


def test_a_plan_of_fixed_counts_gets_one_knob_per_shift(tmp_path):
    text = mmc_toml("shifts", horizon_days=7, rate=2.0, mean_minutes=30.0, promise=8.0,
                    roster=5, replications=2).replace("always_on = true", "")
    text += ('[[workforce.shifts]]\nname = "early"\nstart_hour = 6\nlength_hours = 8\n'
             'count = 3\n[[workforce.shifts]]\nname = "late"\nstart_hour = 14\n'
             'length_hours = 8\ncount = 2\n')
    (tmp_path / "s.toml").write_text(text)
    source = sources.from_file("s.toml", tmp_path)
    base = knobs.apply(source, [], {})
    assert base.scenario is not None, base.general
    found = [k.path for k in knobs.knobs(base.scenario) if k.group == "Staff"]
    assert found == ["workforce.shifts[0].count", "workforce.shifts[1].count"]


def test_knobs_make_the_scenario_the_cli_makes_with_the_same_set(folder):
    source = sources.from_file("small.toml", folder)
    knob_list = knobs.knobs(knobs.apply(source, [], {}).scenario)
    edited = knobs.apply(source, knob_list, {"workforce.roster": 12.0,  # a float from the page
                                             "absence.daily_rate": 0.05,
                                             "experiment.seed": 0})  # unchanged: no --set
    assert edited.overrides == ("workforce.roster=12", "absence.daily_rate=0.05")
    expected = load_scenario("small.toml", list(edited.overrides))
    assert edited.scenario.as_data() == expected.as_data()


def test_new_blackout_and_surge_knobs_add_them_as_a_set_of_the_whole_list(capsys):
    source = sources.example("stutterfly")
    scenario = load_scenario(source.path)
    knob_list = knobs.knobs(scenario)
    assert "absence.vacation.blackouts[1].start_day" in {k.path for k in knob_list}
    untouched = knobs.apply(source, knob_list, {k.path: k.default for k in knob_list})
    assert untouched.overrides == ()  # new elements appear only when a knob of theirs moves
    edited = knobs.apply(source, knob_list, {
        "absence.vacation.blackouts[1].start_day": 10,  # mid-November: no vacations
        "absence.vacation.blackouts[1].end_day": 21,
        "demand.surges[3].multiplier": 2.0,  # a promotion doubles Sunday 23 November
        "demand.surges[3].start_hour": 480.0, "demand.surges[3].end_hour": 504.0,
        "demand.surges[1].multiplier": 1.8})  # an edit of a surge that was there, after
    assert edited.scenario is not None, edited.general
    blackouts = edited.scenario.absence.vacation.blackouts
    assert [(w.start_day, w.end_day) for w in blackouts] == [(21, 56), (10, 21)]
    surges = edited.scenario.demand.surges
    assert [(s.start_hour, s.end_hour, s.multiplier) for s in surges] == [
        (600, 696, 1.6), (696, 1080, 1.8), (1080, 1344, 0.7), (480, 504, 2.0)]
    assert surges[:3][0].name == scenario.demand.surges[0].name
    # the CLI reads the same --set texts into the same scenario
    assert load_scenario(source.path, list(edited.overrides)).as_data() == \
        edited.scenario.as_data()
    # half a new window: the CLI's words beside the knob left out
    half = knobs.apply(source, knob_list, {"absence.vacation.blackouts[1].start_day": 30})
    assert "Input should be greater than 0 (got 0" in \
        half.errors["absence.vacation.blackouts[1].end_day"]


def test_a_bad_value_gets_the_clis_words_beside_its_field(folder, capsys):
    source = sources.from_file("small.toml", folder)
    knob_list = knobs.knobs(knobs.apply(source, [], {}).scenario)
    edited = knobs.apply(source, knob_list, {"absence.daily_rate": 1.5,
                                             "workforce.roster": -1})
    assert edited.scenario is None
    assert set(edited.errors) == {"absence.daily_rate", "workforce.roster"}
    status, _, err = cli(capsys, "run", "small.toml", *(
        a for o in edited.overrides for a in ("--set", o)))
    assert status == 2
    for message in edited.errors.values():
        assert message in err
    assert "allowed: a number >= 0 and <= 1" in edited.errors["absence.daily_rate"]


@pytest.mark.parametrize("text", ["../outside.toml", "/etc/passwd", "link/outside.toml",
                                  "sub/../../outside.toml"])
def test_a_path_outside_the_working_folder_is_refused(tmp_path, text):
    folder = tmp_path / "work"
    folder.mkdir()
    (tmp_path / "outside.toml").write_text(mmc_toml("x", **SMALL))
    os.symlink(tmp_path, folder / "link")
    with pytest.raises(sources.OutsideError, match="outside the working folder"):
        sources.from_file(text, folder)


def test_an_upload_is_read_with_the_clis_checks(tmp_path):
    good = sources.from_upload("mine.toml", mmc_toml("x", **SMALL).encode(), tmp_path)
    assert knobs.apply(good, [], {}).scenario.name == "x"
    for content, words in [(b"name = ", "invalid TOML"), (b"\xff\xfe", "not UTF-8"),
                           (b"a\x00b", "NUL bytes")]:
        with pytest.raises(Exception, match=words) as caught:
            sources.from_upload("bad.toml", content, tmp_path)
        assert "upload bad.toml" in str(caught.value)


def test_the_working_folder_listing_skips_hidden_and_build_folders(tmp_path):
    for name in ("a.toml", "sub/b.toml", ".git/c.toml", ".venv/d.toml", "pyproject.toml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert sources.listed(tmp_path) == ["a.toml", "sub/b.toml"]


# ------------------------------------------------------------------ answers


@pytest.fixture
def two_rosters(folder):
    base = load_scenario("small.toml")
    return answers.simulate(base), answers.simulate(base.with_roster(11))


def test_a_baseline_difference_is_the_mean_of_paired_differences(two_rosters):
    baseline, current = two_rosters
    rows = {r.kpi: r for r in answers.compare(baseline, current)}
    assert all(r.paired for r in rows.values())
    diffs = current.column("on_time_rate") - baseline.column("on_time_rate")
    expected = mean_interval(diffs, 0.95, (-1.0, 1.0))
    assert rows["on_time_rate"].difference == expected
    assert rows["on_time_rate"].current == current.kpis["on_time_rate"].mean
    # a change that changes nothing: zero, with an interval of zero width
    same_rows = {r.kpi: r for r in answers.compare(baseline, baseline)}
    d = same_rows["on_time_rate"].difference
    assert (d.mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert same_rows["on_time_rate"].clearly == ""
    # an extra technician: clearly better on time, clearly lower utilization (no better side)
    assert rows["on_time_rate"].clearly == "better"
    assert rows["utilization"].clearly == "lower"
    assert rows["wait_mean_hours"].clearly == "better"


def test_without_common_seeds_the_difference_is_welchs(folder):
    base = load_scenario("small.toml")
    a = answers.simulate(base)
    b = answers.simulate(base.replace("experiment.seed", 7).with_roster(11))
    row = next(r for r in answers.compare(a, b) if r.kpi == "lead_time_mean_hours")
    assert not row.paired
    x, y = b.column("lead_time_mean_hours"), a.column("lead_time_mean_hours")
    oracle = scipy_stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert row.difference.mean == pytest.approx(x.mean() - y.mean(), rel=1e-12)
    # same formula, different code paths: agreement to rounding
    assert row.difference.ci_low == pytest.approx(oracle.low, rel=1e-9)
    assert row.difference.ci_high == pytest.approx(oracle.high, rel=1e-9)


def test_the_downloaded_scenario_reproduces_the_numbers(folder, capsys):
    source = sources.from_file("small.toml", folder)
    knob_list = knobs.knobs(knobs.apply(source, [], {}).scenario)
    edited = knobs.apply(source, knob_list, {"workforce.roster": 11, "experiment.seed": 5})
    result = answers.simulate(edited.scenario)
    files = answers.downloads(result, source.label, edited.overrides)
    (folder / "edited.toml").write_text(files["small.toml"])
    assert "--set workforce.roster=11" in files["small.toml"]
    from_cli = cli_json(capsys, "edited.toml")
    page_summary = json.loads(files["summary.json"])
    assert page_summary["kpis"] == from_cli["kpis"]
    assert page_summary["p_target_met"] == from_cli["p_target_met"]
    header, *rows = files["replications.csv"].splitlines()
    assert header.startswith("replication,on_time_rate")
    assert len(rows) == SMALL["replications"]


def test_the_equivalent_command_names_the_file_and_the_sets(folder):
    command = answers.equivalent_command(folder / "small.toml", "small.toml",
                                         ["workforce.roster=11"], folder)
    assert command == "capsim run small.toml --set workforce.roster=11"
    quoted = answers.equivalent_command(folder / "small.toml", "small.toml",
                                        ["demand.surges=[{start_hour = 1}]"], folder)
    assert quoted.endswith("--set 'demand.surges=[{start_hour = 1}]'")  # as a shell reads it
    example = sources.example("stutterfly")
    assert answers.equivalent_command(example.path, example.label, [], folder) == (
        "capsim example stutterfly > stutterfly.toml && capsim run stutterfly.toml")


def test_size_reports_progress_and_is_size_staff(folder):
    scenario = load_scenario("small.toml", ["targets.on_time_rate=0.8"])
    seen: list[tuple[int, int]] = []
    result = answers.size(scenario, progress=lambda done, total: seen.append((done, total)))
    assert result.recommended == size_staff(scenario, progress="none").recommended
    ends = [done for done, total in seen if done == total]
    assert len(ends) == len(result.evaluations)  # each roster's run reaches its total
    rows = answers.size_rows(result)
    assert [r["roster"] for r in rows] == sorted(result.evaluations)
    assert [r["roster"] for r in rows if r["recommended"]] == [result.recommended]


@pytest.mark.slow
def test_the_report_comes_as_a_zip_of_the_report_folder(folder):
    scenario = load_scenario("small.toml", ["experiment.replications=4"])
    archive = zipfile.ZipFile(io.BytesIO(answers.report_zip(scenario)))
    names = archive.namelist()
    assert "report/index.html" in names
    assert "report/data/summary.json" in names
    summary = json.loads(archive.read("report/data/summary.json"))
    assert summary["command"] == ["capsim", "report", "small.toml", "--out", "report"]


# ------------------------------------------------------------------ the page, headless


def table(at: AppTest, column: str):
    """The page's table with this column (AppTest does not see a dataframe's key)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    return found[0] if found else None


def test_a_session_shares_draws_across_what_ifs_and_gives_capsim_runs_numbers():
    """The page's Session keeps each replication's orders and attendance across what-ifs.

    Stutterfly (batches, surges, remakes, absences: every source of draws) and what-ifs
    on the roster (one fewer), the absence rate and a surge: each run's summaries are
    those of ``capsim.run`` alone, bit for bit. The roster what-if draws nothing new (the store
    does not grow: every order and attendance row came from it), so sharing happened.
    """
    base = load_scenario("experiments/stutterfly.toml").edit({"experiment.replications": 3})
    what_ifs = [base, base.edit({"workforce.roster": 9}),  # its roster: 10
                base.edit({"absence.daily_rate": 0.07}),
                base.edit({"demand.surges[1].multiplier": 1.8})]
    session = answers.Session()
    try:
        shared = [session.simulate(what_ifs[0])]
        held = reuse._STORE.bytes
        shared.append(session.simulate(what_ifs[1]))
        assert held > 0
        assert reuse._STORE.bytes == held
        shared += [session.simulate(s) for s in what_ifs[2:]]
        assert reuse._STORE.bytes > held
    finally:
        session.close()
    assert not reuse.active()
    for scenario, got in zip(what_ifs, shared, strict=True):
        alone = capsim.run(scenario, workers=1, progress=False)
        for x, y in zip(got.summaries, alone.summaries, strict=True):
            assert x.kpis.keys() == y.kpis.keys()
            for name in x.kpis:
                assert same(x.kpis[name], y.kpis[name]), name
            for name in x.hourly:
                assert np.array_equal(x.hourly[name], y.hourly[name]), name


def kpi_table(at: AppTest) -> dict:
    frame = table(at, "shown")
    return {row.kpi: row for row in frame.itertuples()}


def test_the_page_headline_is_capsim_run_with_the_same_set(folder, capsys):
    at = page()
    assert not at.exception
    for roster in (11, 9):
        at = turn(at, "workforce.roster", roster)
        assert not at.exception, at.exception
        expected = cli_json(capsys, "small.toml", "--set", f"workforce.roster={roster}")
        table = kpi_table(at)
        # the KPIs that apply (as the CLI table shows them), each number the CLI's
        assert list(table) == [k.name for k in KPIS if k.applies_to(load_scenario(
            folder / "small.toml"))]
        for name in table:
            row, interval = table[name], expected["kpis"][name]
            for field in ("mean", "ci_low", "ci_high"):
                assert same(getattr(row, field), interval[field]), (roster, name, field)
        on_time = expected["kpis"]["on_time_rate"]["mean"]
        met = expected["p_target_met"]["mean"]
        assert [m.value for m in at.metric] == [answers.formatted("on_time_rate", on_time),
                                               answers.formatted("p_target_met", met)]
        assert f"--set workforce.roster={roster}" in at.code[0].value


def test_a_bad_value_on_the_page_shows_the_message_and_no_traceback(folder, capsys):
    at = turn(page(), "absence.daily_rate", 1.5)
    assert not at.exception
    shown = [e.value for e in at.sidebar.error]
    _, _, err = cli(capsys, "run", "small.toml", "--set", "absence.daily_rate=1.5")
    assert len(shown) == 1
    assert shown[0] in err
    assert not at.metric  # no answer for a scenario that does not validate
    at = turn(at, "absence.daily_rate", 0.02)
    assert not at.sidebar.error
    assert len(at.metric) == 2


def test_a_run_too_large_is_refused_by_the_replications_knob(folder, capsys):
    at = turn(page(), "experiment.replications", 1_000_000)
    assert not at.exception
    shown = [e.value for e in at.sidebar.error]
    status, _, err = cli(capsys, "run", "small.toml", "--replications", "1000000")
    assert status == 2
    assert len(shown) == 1
    assert shown[0] in err
    assert not at.metric


def test_the_page_refuses_a_path_outside_the_working_folder(folder):
    (folder.parent / "outside.toml").write_text(mmc_toml("x", **SMALL))
    at = page()
    at = at.text_input(key="path").input("../outside.toml").run()
    assert not at.exception
    assert any("outside the working folder" in e.value for e in at.sidebar.error)
    assert not at.metric


def test_pinning_a_baseline_shows_the_paired_difference(folder, capsys):
    at = page()
    at = at.button(key="pin").click().run()
    at = turn(at, "workforce.roster", 12)
    assert not at.exception
    frame = table(at, "difference").set_index("kpi")
    before = cli_json(capsys, "small.toml")["kpis"]["on_time_rate"]["mean"]
    after = cli_json(capsys, "small.toml", "--set", "workforce.roster=12")["kpis"]
    after = after["on_time_rate"]["mean"]
    assert frame.loc["on_time_rate", "baseline"] == before
    assert frame.loc["on_time_rate", "current"] == after
    # the mean of the differences against the difference of the means: rounding only
    assert frame.loc["on_time_rate", "difference"] == pytest.approx(after - before, abs=1e-12)
    assert frame.loc["on_time_rate", "ci_low"] <= frame.loc["on_time_rate", "difference"]
    assert "common random numbers" in " ".join(c.value for c in at.caption)
    at = at.button(key="drop").click().run()
    assert table(at, "difference") is None


def test_size_it_on_the_page_is_capsim_size(folder, capsys):
    at = turn(page(), "targets.on_time_rate", 0.8)  # 0.95 is out of reach with this promise
    at = at.button(key="size").click().run()
    assert not at.exception
    status, out, err = cli(capsys, "size", "small.toml", "--set", "targets.on_time_rate=0.8",
                           "--json")
    assert status == 0, err
    expected = json.loads(out)
    curve = table(at, "recommended")
    chosen = curve[curve["recommended"] == "<-"]["roster"].tolist()
    assert chosen == [expected["recommended"]]
    assert f"**{expected['recommended']} technicians**" in " ".join(m.value for m in at.markdown)
    at = at.button(key="use_size").click().run()  # the roster knob takes the answer
    assert at.number_input(key=knob_key(at, "workforce.roster")).value == \
        expected["recommended"]
    assert f"--set workforce.roster={expected['recommended']}" in at.code[0].value


def test_an_uploaded_scenario_answers_as_its_file_does(folder, capsys):
    at = page()
    at = at.radio(key="source_kind").set_value("Upload").run()
    assert not at.metric
    at.file_uploader(key="upload").set_value(
        ("mine.toml", (folder / "small.toml").read_bytes(), "application/toml"))
    at = at.run()
    assert not at.exception
    expected = cli_json(capsys, "small.toml")
    assert kpi_table(at)["on_time_rate"].mean == expected["kpis"]["on_time_rate"]["mean"]
    at.file_uploader(key="upload").set_value(("bad.toml", b"name = ", "application/toml"))
    at = at.run()
    assert not at.exception
    assert any("upload bad.toml" in e.value and "invalid TOML" in e.value
               for e in at.sidebar.error)


def test_the_app_command_refuses_a_scenario_outside_the_folder_or_invalid(folder, capsys):
    status, _, err = cli(capsys, "app", "../elsewhere.toml")
    assert status == 2
    assert "outside the working folder" in err
    (folder / "bad.toml").write_text(mmc_toml("bad", **{**SMALL, "roster": -1}))
    status, _, err = cli(capsys, "app", "bad.toml")
    assert status == 2
    assert "workforce.roster" in err
    assert "Traceback" not in err


def test_the_server_binds_locally_and_sends_no_statistics():
    options = launch.flag_options("127.0.0.1", 8765)
    assert options["server_address"] == "127.0.0.1"
    assert options["browser_gatherUsageStats"] is False
    assert options["server_headless"] is True
    assert options["server_fileWatcherType"] == "none"


def test_values_round_trip_through_literals():
    for value in (0, 12, 0.05, 1e-7, 1234.5, 2.0):
        assert float(knobs.literal(value)) == value
    assert knobs.literal(True) == "true"
    assert np.isnan(float(knobs.literal(math.nan)))
