"""Progress: where a long command is in the whole job, as a bar, as lines, or to a callable."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from capsim import progress as progress_module
from capsim.cli import main
from capsim.errors import ArgumentError
from capsim.experiment import progress_callback
from capsim.scenario import load_scenario
from capsim.staffing import _expected_evaluations, _plan, _Search, size_staff
from tests.conftest import mmc_toml

SMALL = mmc_toml("small", horizon_days=8, rate=9.0, mean_minutes=60.0, promise=3.0,
                 roster=1, replications=4) + """[[stress]]
name = "flu"
kind = "absence"
start_day = 3
days = 2
technicians = 2
[[stress]]
name = "outage"
kind = "closure"
start_day = 5
days = 1
"""
ROSTER_LINE = re.compile(r"capsim: roster (\d+) \((\d+) of about (\d+)\): (\d+) of (\d+) "
                         r"replications")


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_lines_show_the_first_update_at_once_then_at_most_one_a_second_and_the_last(
        capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "LINE_SECONDS", 3600.0)
    update, close = progress_callback("lines", 10, label="roster 4 (1 of about 6)")
    update(1, 10)
    update(2, 10)
    update(3, 10)
    close()
    assert capsys.readouterr().err.splitlines() == [
        "capsim: roster 4 (1 of about 6): 1 of 10 replications",
        "capsim: roster 4 (1 of about 6): 3 of 10 replications"]


def test_no_progress_and_a_bad_progress_value(capsys):
    update, close = progress_callback("none", 10)
    update(5, 10)
    close()
    assert capsys.readouterr().err == ""
    with pytest.raises(ArgumentError, match="progress must be"):
        progress_callback("loud", 10)


def test_size_says_which_roster_of_about_how_many(small, capsys):
    assert main(["size", str(small), "--target", "0.9", "--workers", "1", "--progress",
                 "lines", "--json"]) == 0
    captured = capsys.readouterr()
    evaluated = json.loads(captured.out)["evaluations"]
    lines = [ROSTER_LINE.match(line) for line in captured.err.splitlines()]
    finished = [m for m in lines if m and m[4] == m[5]]
    assert [int(m[1]) for m in finished] == evaluated
    assert [int(m[2]) for m in finished] == list(range(1, len(evaluated) + 1))
    assert all(int(m[3]) >= int(m[2]) for m in finished)
    assert int(finished[-1][3]) == len(evaluated)


def _search_with_estimates(answer: int, cut, also) -> tuple[int | None, int, list[int]]:
    """The search for a known answer, with the estimate shown at each evaluation."""
    estimates: list[int] = []

    def plan(search):
        return _plan(search, 1, 36, cut, also)

    def evaluate(roster):
        estimates.append(_expected_evaluations(search, plan, cut.roster))
        return roster >= answer

    search = _Search(evaluate, 1, 36)
    found = plan(search)
    return found, len(search.verdicts), estimates


def test_the_estimate_of_the_whole_search():
    """A dry run of the search on what is known: never less than what is under way,
    exact from the start when the rough cut is the answer, exact at the end."""
    cut = SimpleNamespace(lower_bound=6, roster=9)
    for answer in range(1, 30):
        found, total, estimates = _search_with_estimates(answer, cut, [3])
        assert found == answer
        assert all(e >= k for k, e in enumerate(estimates, start=1)), answer
        assert estimates[-1] == total, answer
        if answer == cut.roster:
            assert set(estimates) == {total}, answer


def test_a_progress_callable_still_gets_done_and_total_per_roster(small):
    calls = []
    result = size_staff(load_scenario(small), 0.9, workers=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert {total for _, total in calls} == {4}
    assert sum(done == 4 for done, _ in calls) == len(result.evaluations)


def test_report_shows_the_search_then_the_stress_tests(small, tmp_path, capsys):
    assert main(["report", str(small), "--out", str(tmp_path / "r"), "--target", "0.9",
                 "--workers", "1", "--progress", "lines"]) == 0
    err = capsys.readouterr().err
    assert ROSTER_LINE.search(err)
    for label in ("flu (2 of 3)", "outage (3 of 3)"):
        assert f"capsim: stress test: {label}: 4 of 4 replications" in err
    # the baseline is the search's run of the recommended roster (same target, seed and
    # replications), so it is not run again
    assert "stress test: baseline" not in err
    assert err.index("capsim: roster") < err.index("capsim: stress test")


def test_sweep_says_which_point_of_how_many(small, capsys):
    assert main(["sweep", str(small), "--vary", "workforce.roster=9,10,11", "--workers",
                 "1", "--progress", "lines"]) == 0
    err = capsys.readouterr().err
    for i, roster in enumerate((9, 10, 11), start=1):
        assert (f"capsim: point {i} of 3 (workforce.roster={roster}): 4 of 4 replications"
                in err)
