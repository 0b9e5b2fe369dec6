"""RunOptions: one object for the settings that run, size_staff, sweep, stress_test and
report share; keywords still work and win over it."""

from __future__ import annotations

import pytest

import capsim
from capsim.errors import ArgumentError
from capsim.options import RunOptions, resolve_options
from capsim.scenario import validate
from capsim.staffing import size_staff
from capsim.stress import stress_test
from capsim.sweep import parse_vary, sweep
from tests.conftest import mmc_data, same_numbers

SCENARIO = validate(mmc_data(2.0, 2.0, 2, 4.0, horizon_days=3, warmup_days=1,
                             experiment={"replications": 5, "seed": 1},
                             stress=[{"name": "out", "kind": "closure", "start_day": 1,
                                      "days": 1}]))
OPTIONS = RunOptions(replications=3, seed=9, workers=1, engine="simpy", progress=False)


def same_kpis(a, b) -> bool:
    return len(a.summaries) == len(b.summaries) and all(
        same_numbers(x.kpis, y.kpis) for x, y in zip(a.summaries, b.summaries, strict=True))


def test_options_equal_the_keywords_in_every_function():
    keywords = {"replications": 3, "seed": 9, "workers": 1, "engine": "simpy",
                "progress": False}
    by_options, by_keywords = (capsim.run(SCENARIO, options=OPTIONS),
                               capsim.run(SCENARIO, **keywords))
    assert (by_options.seed, by_options.replications, by_options.engine) == (9, 3, "simpy")
    assert same_kpis(by_options, by_keywords)
    size_a = size_staff(SCENARIO, 0.5, options=OPTIONS)
    size_b = size_staff(SCENARIO, 0.5, **keywords)
    assert (size_a.seed, size_a.replications) == (9, 3)
    assert list(size_a.evaluations) == list(size_b.evaluations)
    assert all(same_kpis(size_a.evaluations[n], size_b.evaluations[n])
               for n in size_a.evaluations)
    vary = [parse_vary("workforce.roster=2,3")]
    grid = sweep(SCENARIO, vary, options=OPTIONS)
    assert [r.engine for r in grid.results] == ["simpy", "simpy"]
    assert same_kpis(grid.results[0], sweep(SCENARIO, vary, **keywords).results[0])
    stressed = stress_test(SCENARIO, options=OPTIONS)
    assert (stressed.baseline.seed, stressed.baseline.replications) == (9, 3)
    assert same_kpis(stressed.baseline, stress_test(SCENARIO, **keywords).baseline)


def test_a_keyword_given_wins_over_the_options():
    result = capsim.run(SCENARIO, replications=2, options=OPTIONS)
    assert (result.replications, result.seed, result.engine) == (2, 9, "simpy")
    # None means "not given": the options (or the scenario's defaults) stand
    assert capsim.run(SCENARIO, seed=None, options=OPTIONS).seed == 9
    plain = capsim.run(SCENARIO, workers=1)
    assert (plain.replications, plain.seed) == (5, 1)  # the scenario's [experiment]


def test_report_takes_the_options(tmp_path):
    done = capsim.report(SCENARIO, tmp_path / "r", target=0.5, options=OPTIONS)
    assert done.recommended is not None
    assert "--seed 9 --replications 3" in (done.path / "command.txt").read_text()


@pytest.mark.parametrize(("changes", "message"), [
    ({"replications": 0}, "replications must be >= 1, got 0"),
    ({"workers": 0}, "workers must be >= 1, got 0"),
    ({"max_replications": -1}, "max_replications must be >= 1, got -1"),
    ({"executor": "gpu"}, "unknown executor 'gpu'; allowed: auto, processes, threads, dask"),
    ({"ci_level": 1.0}, r"ci_level must be in \(0, 1\), got 1.0"),
])
def test_bad_options_are_refused_with_the_runs_message(changes, message):
    with pytest.raises(ArgumentError, match=message):
        RunOptions(**changes)
    with pytest.raises(ArgumentError, match=message):
        OPTIONS.replace(**changes)


def test_replace_and_resolve():
    assert OPTIONS.replace(seed=None) is not OPTIONS
    assert OPTIONS.replace(seed=None) == OPTIONS
    assert resolve_options(None, seed=4) == RunOptions(seed=4)
    assert resolve_options(OPTIONS, engine="fast").engine == "fast"
    with pytest.raises(ArgumentError, match="unknown run options colour; allowed: "
                                            "replications, seed"):
        OPTIONS.replace(colour="blue")
    with pytest.raises(AttributeError):
        OPTIONS.seed = 3  # frozen: share one object across calls safely
