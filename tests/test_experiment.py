"""Experiments: reproducibility across workers, interrupted runs, and the intervals."""

from __future__ import annotations

import math
import socket

import numpy as np
import pytest
from scipy import stats

from capsim.experiment import run
from capsim.stats import t_interval, wilson_interval
from tests.conftest import merge, scenario


@pytest.fixture(scope="module")
def small():
    data = {
        "name": "small", "horizon_days": 10, "warmup_days": 1,
        "demand": {"rate_per_hour": 1.5, "forecast_cv": 0.1},
        "work": {"distribution": "lognormal", "mean_minutes": 40, "cv": 1.0,
                 "promise_hours": 8},
        "workforce": {"roster": 6, "shifts": [
            {"start_hour": 6, "length_hours": 9, "days_per_week": 5}]},
        "absence": {"daily_rate": 0.1, "outbreaks": [
            {"rate_per_30_days": 2, "share": 0.3, "duration_days": 2}]},
        "targets": {"on_time_rate": 0.55},  # about half the replications meet it
    }
    return scenario(data)


def _same(a, b) -> None:
    """Two runs' summaries equal bit for bit (KPIs, hourly series, daily tables)."""
    assert [s.replication for s in a.summaries] == [s.replication for s in b.summaries]
    for x, y in zip(a.summaries, b.summaries, strict=True):
        assert x.kpis.keys() == y.kpis.keys()
        for name in x.kpis:  # bit for bit, NaN included
            assert np.array_equal(x.kpis[name], y.kpis[name], equal_nan=True), name
        for name in x.hourly:
            assert np.array_equal(x.hourly[name], y.hourly[name]), name
        for name in x.daily:
            assert np.array_equal(x.daily[name], y.daily[name], equal_nan=True), name


def test_same_seed_same_numbers_with_one_or_two_workers(small):
    one = run(small, replications=6, seed=42, workers=1, progress=False)
    two = run(small, replications=6, seed=42, workers=2, progress=False)
    again = run(small, replications=6, seed=42, workers=1, progress=False)
    _same(one, two)
    _same(one, again)
    assert one.kpis == two.kpis


def test_different_seeds_differ(small):
    a = run(small, replications=3, seed=1, workers=1, progress=False)
    b = run(small, replications=3, seed=2, workers=1, progress=False)
    assert not np.array_equal(a.column("on_time_rate"), b.column("on_time_rate"))


def test_seed_and_replications_default_to_the_scenario(small):
    s = scenario(merge(small.model_dump(mode="json", by_alias=True),
                       {"experiment": {"replications": 2, "seed": 7}}))
    result = run(s, workers=1, progress=False)
    assert (result.replications, result.seed) == (2, 7)


def test_interrupt_keeps_the_completed_replications(small):
    """Ctrl-C after the first report: what completed is kept, and it is exactly a run of
    that many replications (tasks are consecutive replications)."""
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    result = run(small, replications=10, seed=42, workers=1, progress=interrupt)
    assert result.partial
    assert 1 <= result.replications < 10
    assert result.replications_requested == 10
    full = run(small, replications=result.replications, seed=42, workers=1, progress=False)
    _same(result, full)
    assert not full.partial


def test_progress_is_reported_until_done(small):
    seen = []
    run(small, replications=4, seed=0, workers=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (1, 4)
    assert seen[-1] == (4, 4)
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})


def test_p_target_met_and_histogram(small):
    result = run(small, replications=8, seed=3, workers=1, progress=False)
    rates = result.column("on_time_rate")
    met = result.p_target_met
    assert met.mean == np.mean(rates >= 0.55)
    assert met.n == 8
    assert 0 < met.mean < 1
    histogram = result.on_hand_histogram
    assert sum(histogram.values()) == pytest.approx(1.0)
    assert sum(k * v for k, v in histogram.items()) == pytest.approx(
        result.kpis["on_hand_mean"].mean)


def test_t_interval_matches_scipy():
    x = np.array([0.91, 0.95, 0.97, 0.93, 0.99, np.nan])
    ci = t_interval(x, 0.9)
    low, high = stats.t.interval(0.9, 4, loc=np.mean(x[:5]), scale=stats.sem(x[:5]))
    assert (ci.n, ci.ci_low, ci.ci_high) == (5, pytest.approx(low), pytest.approx(high))
    assert math.isnan(t_interval(np.array([1.0])).ci_low)
    clipped = t_interval(np.array([1.0, 1.0, 0.9]), 0.95, (0.0, 1.0))
    assert clipped.ci_high == 1.0
    assert clipped.ci_low == pytest.approx(
        stats.t.interval(0.95, 2, loc=np.mean([1, 1, 0.9]), scale=stats.sem([1, 1, 0.9]))[0])


def test_wilson_interval_textbook_values():
    """Wilson (1927) / Newcombe (1998), table I: 81 of 263 at 95 % -> [0.2553, 0.3662];
    0 of 10 -> [0, 0.2775]."""
    ci = wilson_interval(81, 263, 0.95)
    assert (round(ci.ci_low, 4), round(ci.ci_high, 4)) == (0.2553, 0.3662)
    ci = wilson_interval(0, 10, 0.95)
    assert (ci.ci_low, round(ci.ci_high, 4)) == (0.0, 0.2775)


def test_a_script_without_main_guard_gets_a_clear_error_not_a_hang(tmp_path):
    """Spawned workers import the calling script; unguarded, they cannot start. capsim must
    say so (and how to fix it) rather than wait for workers forever."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import capsim\n"
        f"s = capsim.load_scenario({str(ROOT / 'experiments' / 'stutterfly.toml')!r})\n"
        "capsim.run(s, replications=20, workers=2)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr


def test_sequential_precision_reaches_the_half_width(small):
    result = run(small, replications=5, seed=4, workers=1, progress=False, precision=0.02,
                 max_replications=400)
    assert result.stopped_by == "precision"
    assert 5 < result.replications <= 400
    values = result.column("on_time_rate")
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    assert half <= 0.02
    # the same replications as a fixed run of that length, bit for bit
    _same(result, run(small, replications=result.replications, seed=4, workers=1,
                      progress=False))


def test_sequential_precision_stops_at_the_cap(small):
    result = run(small, replications=4, seed=4, workers=1, progress=False, precision=1e-6,
                 max_replications=9)
    assert result.stopped_by == "max_replications"
    assert result.replications == 9


def test_a_runner_keeps_its_workers_across_runs(small):
    from capsim.experiment import Runner

    with Runner(workers=2) as runner:
        a = runner.run(small, 6, 3, progress=False)
        b = runner.run(small, 6, 3, progress=False)
    _same(a, b)
    _same(a, run(small, 6, 3, workers=1, progress=False))


@pytest.fixture
def port_8787_taken():
    """Dask's default dashboard port, held (by this socket, or already by someone else)."""
    held = socket.socket()
    try:
        held.bind(("127.0.0.1", 8787))
        held.listen()
    except OSError:  # in use already: taken either way
        pass
    yield
    held.close()


def test_dask_gives_the_same_numbers(small, port_8787_taken):
    """A Dask LocalCluster on loopback against local processes and this process; no fixed
    port, so it starts while 8787 is taken (a warning there would fail the test)."""
    dask = run(small, replications=6, seed=8, executor="dask", workers=2, progress=False)
    local = run(small, replications=6, seed=8, workers=2, progress=False)
    here = run(small, replications=6, seed=8, workers=1, progress=False)
    _same(dask, local)
    _same(dask, here)
