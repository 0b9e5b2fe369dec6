"""Where replications run: threads, processes or here give the same numbers; the choice rule."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import warnings
from types import SimpleNamespace

import pytest

from capsim import experiment, interrupts, placement
from capsim.engines import fused
from capsim.executors import InProcess, ProcessPool, ThreadPool
from capsim.experiment import Runner, replicate_many, run
from capsim.placement import SERIAL_SECONDS, WORKER_START_SECONDS, choose
from tests.conftest import scenario
from tests.test_experiment import _same


@pytest.fixture(scope="module")
def fused_scenario():
    """Shifts, absences, an outbreak and remakes: the compiled job loop and reductions."""
    return scenario({
        "name": "fused", "horizon_days": 8, "warmup_days": 1,
        "demand": {"rate_per_hour": 2.0, "forecast_cv": 0.1},
        "work": {"distribution": "lognormal", "mean_minutes": 40, "cv": 1.0,
                 "promise_hours": 8},
        "quality": {"right_first_time": 0.9, "found_by_customer": 0.5, "remake_delay": {
            "distribution": "lognormal", "mean_minutes": 600.0, "cv": 0.5}},
        "workforce": {"roster": 6, "shifts": [
            {"start_hour": 6, "length_hours": 9, "days_per_week": 5}]},
        "absence": {"daily_rate": 0.1, "outbreaks": [
            {"rate_per_30_days": 2, "share": 0.3, "duration_days": 2}]}})


def test_threads_processes_and_this_process_give_the_same_numbers(fused_scenario):
    """Each replication draws from its own seeds and results are put back in order, so
    the executor and the number of workers never show: bit for bit, in the same order.
    21 replications: one, then a batch of four here, then 16 in tasks of two, so that
    threads complete them out of order."""
    assert fused.available()  # the compiled pipeline, whose passes release the GIL
    here = run(fused_scenario, 21, 5, engine="fast", workers=1, progress=False)
    for workers, executor in [(2, "threads"), (3, "threads"), (2, "processes")]:
        with Runner(workers=workers, executor=executor) as runner:
            there = runner.run(fused_scenario, 21, 5, engine="fast", progress=False)
            kind = ThreadPool if executor == "threads" else ProcessPool
            assert isinstance(runner._executor, kind)
        _same(here, there)
    assert here.replications == 21


def test_a_run_on_a_running_pool_probes_nothing_here(fused_scenario, monkeypatch):
    """The first run times a batch here to choose its executor; once a pool runs, the
    next run (a search's next roster) has nothing to choose: here it runs only its first
    replication, and every other goes to the pool, which would otherwise wait. The
    numbers are those of a run in one process."""
    here_calls: list[int] = []

    def spy(scenario, *, seed, indices, engine):
        if threading.current_thread() is threading.main_thread():
            here_calls.append(len(indices))
        return replicate_many(scenario, seed=seed, indices=indices, engine=engine)

    monkeypatch.setattr(experiment, "replicate_many", spy)
    with Runner(workers=2, executor="threads") as runner:
        first = runner.run(fused_scenario, 21, 5, engine="fast", progress=False)
        assert here_calls == [1, experiment.PROBE]
        here_calls.clear()
        second = runner.run(fused_scenario.edit({"workforce.roster": 7}), 21, 5,
                            engine="fast", progress=False)
        assert here_calls == [1]
    _same(first, run(fused_scenario, 21, 5, engine="fast", workers=1, progress=False))
    _same(second, run(fused_scenario.edit({"workforce.roster": 7}), 21, 5, engine="fast",
                      workers=1, progress=False))


def test_a_signal_during_a_threaded_run_keeps_what_completed(fused_scenario):
    """SIGINT, as the CLI handles it, while threads work: the run ends with the
    replications that completed, and they are exactly a run of that many."""
    seen = []

    def signal_once(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with interrupts.handling_signals():
        result = run(fused_scenario, 40, 9, engine="fast", workers=2, executor="threads",
                     progress=signal_once)
    assert result.partial
    assert 5 <= result.replications < 40
    # the replications that completed, in order; tasks finish in any order, so the
    # kept ones need not be the first N (as with processes)
    kept = [s.replication for s in result.summaries]
    assert kept == sorted(set(kept))
    assert set(kept) >= set(range(5))
    alone = replicate_many(fused_scenario, seed=9, indices=kept, engine="fast")
    _same(result, SimpleNamespace(summaries=alone))


def test_the_choice_weighs_cpu_seconds_against_a_workers_start_up():
    """A fake estimate of the work, in CPU seconds; no clock involved."""
    f = 0.4  # a GIL-free share
    assert choose(SERIAL_SECONDS, 16, f) == "serial"  # too little to share
    assert choose(1000.0, 1, f) == "serial"  # one CPU
    # 1.5 s on 2 CPUs: threads 0.9 s, processes 1.1 + 0.75 s, here 1.5 s
    assert choose(1.5, 2, f) == "threads"
    # 50 s on 2 CPUs: threads 30 s, processes 26.1 s
    assert choose(50.0, 2, f) == "processes"
    # the crossing on 2 CPUs: W (1 - f) = start-up + W / 2
    crossing = WORKER_START_SECONDS / (1 - f - 0.5)
    assert choose(0.99 * crossing, 2, f) == "threads"
    assert choose(1.01 * crossing, 2, f) == "processes"
    # an engine holding the GIL gains nothing on threads
    assert choose(1.5, 2, 0.0) == "serial"
    assert choose(5.0, 2, 0.0) == "processes"
    # limited to what the caller asked for
    assert choose(50.0, 2, f, ("serial", "threads")) == "threads"
    assert choose(1.5, 2, f, ("serial", "processes")) == "serial"
    # a search's shared draws: threads and serial do 25 % less, processes all of it.
    # 9 s: threads 0.6 x 9 = 5.4 s against 1.1 + 4.5 = 5.6 s, a near tie; with 25 %
    # reused, threads 4.05 s. 40 s: threads 18 s, processes 21.1 s (24 s and 21.1 s unshared)
    assert choose(9.0, 2, f, reused=0.25) == "threads"
    assert choose(40.0, 2, f) == "processes"
    assert choose(40.0, 2, f, reused=0.25) == "threads"
    assert placement.reused_share(1) == 0.0
    assert placement.reused_share(6) == pytest.approx(placement.REUSED_SHARE * 5 / 6)


def _runner_choice(monkeypatch, seconds_each: float, remaining: int = 100, **kwargs):
    """The executor a Runner makes for a fake cost estimate, on 2 CPUs (none started)."""
    made = []

    def make_pool(kind, workers):
        made.append((kind, workers))
        return InProcess()

    monkeypatch.setattr("capsim.experiment.cpu_count", lambda: 2)
    monkeypatch.setattr("capsim.experiment.make_pool", make_pool)
    executor = Runner(**kwargs)._executor_for(remaining, seconds_each, "fast")
    return made, executor


def test_a_runner_chooses_from_the_estimate_and_honours_workers(monkeypatch):
    monkeypatch.setattr(placement, "GIL_FREE_SHARE", 0.4)
    assert _runner_choice(monkeypatch, 0.001)[0] == []  # 0.1 s: here, decided again later
    assert _runner_choice(monkeypatch, 0.015)[0] == [("threads", 2)]  # 1.5 s
    assert _runner_choice(monkeypatch, 0.5)[0] == [("processes", 2)]  # 50 s
    # planned runs count: 6 runs of 0.25 s are 1.5 s
    assert _runner_choice(monkeypatch, 0.0025, planned_runs=6)[0] == [("threads", 2)]
    # an explicit choice wins over any estimate
    assert _runner_choice(monkeypatch, 0.001, workers=3)[0] == [("processes", 3)]
    assert _runner_choice(monkeypatch, 0.5, workers=3, executor="threads")[0] == [
        ("threads", 3)]
    assert _runner_choice(monkeypatch, 0.5, workers=1)[0] == [("serial", 1)]
    assert _runner_choice(monkeypatch, 0.015, executor="processes")[0] == []  # 1.5 s
    assert _runner_choice(monkeypatch, 0.05, executor="processes")[0] == [
        ("processes", 2)]  # 5 s: 1.1 + 2.5 s on two processes
    assert _runner_choice(monkeypatch, 0.5, executor="threads")[0] == [("threads", 2)]


def test_the_simpy_engine_never_goes_to_threads():
    assert placement.gil_free_share("simpy") == 0.0
    assert placement.gil_free_share("fast") == placement.GIL_FREE_SHARE


def _counting_pools(monkeypatch) -> list:
    """The executors Runners make from now on (real ones, counted)."""
    made: list = []

    def counting(kind, workers):
        made.append(placement.make_pool(kind, workers))
        return made[-1]

    monkeypatch.setattr("capsim.experiment.make_pool", counting)
    return made


def test_one_pool_serves_every_run_inside_a_scope(monkeypatch, fused_scenario):
    """Three rosters inside ``one_pool``: one pool, open until the scope ends; outside
    a scope each run makes its own."""
    made = _counting_pools(monkeypatch)
    with placement.one_pool():
        for roster in (4, 5, 6):
            run(fused_scenario.with_roster(roster), 12, 3, engine="fast", workers=2,
                executor="threads", progress=False)
        assert len(made) == 1
        assert made[0]._pool is not None  # still open for the next run
    assert made[0]._pool is None  # closed with the scope
    made.clear()
    for roster in (4, 5):
        run(fused_scenario.with_roster(roster), 12, 3, engine="fast", workers=2,
            executor="threads", progress=False)
    assert len(made) == 2


@pytest.mark.parametrize("scoped", [True, False])
def test_capsim_report_starts_one_pool_for_its_search_and_stress_tests(
        monkeypatch, tmp_path, scoped):
    """The report's staffing search and its stress tests are separate Runners; inside
    the command's scope they share one pool (without the scope, as a check that the
    test can fail, each makes its own)."""
    from capsim.cli import main
    from tests.conftest import mmc_toml

    if not scoped:
        monkeypatch.setattr("capsim.cli.one_pool", contextlib.nullcontext)
        monkeypatch.setattr("capsim.reporting.one_pool", contextlib.nullcontext)
    path = tmp_path / "pool.toml"
    path.write_text(mmc_toml("pool", horizon_days=3, rate=4.0, mean_minutes=60.0,
                             promise=4.0, roster=6, replications=12)
                    + "[[stress]]\nkind = \"absence\"\nname = \"flu\"\nstart_day = 1\n"
                      "days = 1\ntechnicians = 2\n")
    made = _counting_pools(monkeypatch)
    assert main(["report", str(path), "--out", str(tmp_path / "out"), "--workers", "2",
                 "--executor", "threads", "--engine", "fast"]) == 0
    assert (len(made) == 1) is scoped


def test_worker_threads_do_not_swap_the_warning_filters(monkeypatch, fused_scenario):
    """``warnings.catch_warnings`` swaps process-wide state (not thread-safe): the
    compiled passes skip it off the main thread, where numba has nothing to compile."""
    replicate_many(fused_scenario, seed=1, indices=[0], engine="fast")  # loads the loops

    def refuse(*args, **kwargs):
        raise AssertionError("catch_warnings on a worker thread")

    monkeypatch.setattr(warnings, "catch_warnings", refuse)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            replicate_many(fused_scenario, seed=1, indices=[1, 2], engine="fast")
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert failures == []
