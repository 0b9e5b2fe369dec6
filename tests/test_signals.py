"""SIGTERM is Ctrl-C: what completed is kept, marked partial, and the workers stop at once.

Real child processes, real signals. Each test waits for the line on stderr that shows
the child got far enough (``--progress lines``), never for a fixed time; after the
signal, the output pipes must close, which they do only once every worker is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future

import psutil
import pytest

from capsim import interrupts
from capsim.cli import main
from capsim.executors import ProcessPool, _bounded
from tests import processes
from tests.conftest import ROOT, mmc_toml
from tests.pool_tasks import large_result
from tests.processes import PATIENCE, Child

TINY = mmc_toml("tiny", horizon_days=4, rate=2.0, mean_minutes=30.0, promise=4.0,
                roster=2, replications=100000)
# a roster takes about half a second (SimPy, 20 replications), a search about seven, and
# the stress tests (a baseline and six events) about as long again
SEARCH = mmc_toml("search", horizon_days=10, rate=9.0, mean_minutes=60.0, promise=3.0,
                  roster=1, replications=20) + """""" + "".join(f"""
[[stress]]
name = "surge {day}"
kind = "demand"
start_day = {day}
days = 2
multiplier = 3.0
""" for day in range(2, 8))
SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]


@pytest.fixture
def spawn():
    """Start ``python -m capsim ARGS``; whatever a failing test leaves is ended after it."""
    children: list[Child] = []

    def start(*args: str) -> Child:
        children.append(Child(*args))
        return children[-1]

    yield start
    for child in children:
        child.close()


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture
def search(tmp_path):
    path = tmp_path / "search.toml"
    path.write_text(SEARCH)
    return path


def summary(out):
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("number", SIGNALS)
def test_a_signal_during_run_keeps_the_replications_and_stops_the_workers(
        spawn, tiny, tmp_path, number):
    out = tmp_path / "out"
    child = spawn("run", str(tiny), "--workers", "2", "--progress", "lines", "--out",
                  str(out))
    # the first 5 replications run in the parent; more means the pool has delivered
    child.wait_for(r"capsim: ([6-9]|\d\d+) of 100000 replications")
    workers = child.descendants()
    assert len(workers) >= 2
    child.signal(number)
    assert child.finish() == 128 + number, child.stderr
    _, alive = psutil.wait_procs(workers, timeout=PATIENCE)
    assert not alive
    assert "interrupted: kept" in child.stderr
    assert "Traceback" not in child.stderr
    data = summary(out)
    assert data["partial"] is True
    assert 5 < data["replications"] < 100000
    rows = (out / "replications.csv").read_text().splitlines()
    assert len(rows) - 1 == data["replications"]


def test_sigterm_during_size_writes_the_completed_rosters(spawn, search, tmp_path):
    out = tmp_path / "out"
    child = spawn("size", str(search), "--target", "0.9", "--workers", "1", "--engine",
                  "simpy", "--progress", "lines", "--out", str(out))
    child.wait_for(r"roster \d+ \(1 of about \d+\): 20 of 20 replications")
    child.signal(signal.SIGTERM)
    assert child.finish() == 143, child.stderr
    data = summary(out)
    assert data["partial"] is True
    assert data["recommended"] is None
    assert 1 <= len(data["evaluations"]) < 6
    rows = (out / "curve.csv").read_text().splitlines()
    assert len(rows) - 1 == len(data["evaluations"])


def test_sigterm_during_sweep_writes_the_completed_points(spawn, tiny, tmp_path):
    out = tmp_path / "out"
    child = spawn("sweep", str(tiny), "--vary", "workforce.roster=2,3,4", "-r", "3000",
                  "--workers", "1", "--progress", "lines", "--out", str(out))
    child.wait_for(r"point 2 of 3 ")
    child.signal(signal.SIGTERM)
    assert child.finish() == 143, child.stderr
    data = summary(out)
    assert data["partial"] is True
    assert [p["completed"] for p in data["points"]] == [True, False, False]
    assert len((out / "sweep.csv").read_text().splitlines()) == 2


def test_sigterm_during_stress_writes_the_baseline(spawn, search, tmp_path):
    out = tmp_path / "out"
    child = spawn("stress", str(search), "--set", "workforce.roster=11", "--workers", "1",
                  "--engine", "simpy", "--progress", "lines", "--out", str(out))
    child.wait_for(r"stress test: surge 3 \(3 of 7\)")
    child.signal(signal.SIGTERM)
    assert child.finish() == 143, child.stderr
    data = summary(out)
    assert data["partial"] is True
    assert data["replications"] == 20
    assert [e["name"] for e in data["events"]] == ["surge 2"]


@pytest.mark.parametrize("number", SIGNALS)
def test_a_signal_during_the_stress_tests_keeps_the_search_in_the_report(
        spawn, search, tmp_path, number):
    """The search is done when the stress tests start: the report shows it, partial."""
    out = tmp_path / "report"
    child = spawn("report", str(search), "--out", str(out), "--target", "0.9", "--workers",
                  "1", "--engine", "simpy", "--progress", "lines", "--json")
    # the baseline is the search's run of the recommended roster, not run again: the
    # first stress test that runs is the first event
    child.wait_for(r"stress test: .+ \(2 of 7\)")
    child.signal(number)
    assert child.finish() == 128 + number, child.stderr
    printed = json.loads(child.stdout)
    assert printed["partial"] is True
    assert printed["recommended"] is not None
    assert summary(out / "data")["partial"] is False  # the search completed
    assert "PARTIAL RESULTS" in (out / "index.html").read_text()


def test_sigterm_during_the_report_search_gives_a_partial_report(spawn, search, tmp_path):
    out = tmp_path / "report"
    child = spawn("report", str(search), "--out", str(out), "--target", "0.9",
                  "--workers", "1", "--engine", "simpy", "--progress", "lines")
    child.wait_for(r"roster \d+ \(1 of about \d+\): 20 of 20 replications")
    child.signal(signal.SIGTERM)
    assert child.finish() == 143, child.stderr
    data = summary(out / "data")
    assert data["partial"] is True
    assert len(data["evaluations"]) >= 1
    assert "Partial results" in (out / "report.md").read_text()


# The workers of a pool: they stop at once when the parent stops waiting for them, and
# when the parent dies. Their task here takes an hour.


def test_ctrl_c_while_waiting_for_a_pool_stops_its_busy_workers(tmp_path):
    started = tmp_path / "started"
    pool = ProcessPool(1)
    workers = []

    def ctrl_c_once_the_task_runs() -> None:
        workers.append(psutil.Process(int(processes.wait_for_file(started))))
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    threading.Thread(target=ctrl_c_once_the_task_runs, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            list(pool.imap(processes.busy, [str(started)]))
        _, alive = psutil.wait_procs(workers, timeout=60)
        assert not alive, "the worker goes on with its task"
    finally:
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()
    pool.close()


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    """SIGKILL leaves the parent no chance to clean up: the workers see it is gone."""
    started = tmp_path / "started"
    code = ("from capsim.executors import ProcessPool; from tests.processes import busy; "
            f"list(ProcessPool(1).imap(busy, [{str(started)!r}]))")
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    worker = psutil.Process(int(processes.wait_for_file(started)))
    try:
        parent.kill()
        parent.wait(PATIENCE)
        _, alive = psutil.wait_procs([worker], timeout=60)
        assert not alive, "the worker outlived its parent"
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()


# A signal once the computing is done: the results are written in full, the exit status
# still says that a signal came. Raised in this process, at the moment of writing.


def _signal_while(monkeypatch, target: str, number: int = signal.SIGINT) -> list[str]:
    """Replace ``target`` by itself preceded by a signal to this process."""
    import importlib

    module, name = target.rsplit(".", 1)
    original = getattr(importlib.import_module(module), name)
    seen = []

    def signalled(*args, **kwargs):
        signal.raise_signal(number)
        seen.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, signalled)
    return seen


def test_ctrl_c_while_size_writes_its_files_leaves_them_whole(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.toml"
    path.write_text(SEARCH.replace("replications = 20", "replications = 8"))
    out = tmp_path / "out"
    seen = _signal_while(monkeypatch, "capsim.output.staffing.write_size")
    assert main(["size", str(path), "--target", "0.9", "--workers", "1", "--out",
                 str(out)]) == 130
    assert seen == ["write_size"]
    assert "results were complete" in capsys.readouterr().err
    data = summary(out)
    assert data["partial"] is False
    assert data["recommended"] is not None
    assert len((out / "curve.csv").read_text().splitlines()) - 1 == len(data["evaluations"])


def test_ctrl_c_while_sweep_writes_its_files_leaves_them_whole(tiny, tmp_path, monkeypatch):
    out = tmp_path / "out"
    seen = _signal_while(monkeypatch, "capsim.output.sweep.write_sweep")
    assert main(["sweep", str(tiny), "--vary", "workforce.roster=2,3", "-r", "4",
                 "--workers", "1", "--out", str(out)]) == 130
    assert seen == ["write_sweep"]
    assert [p["completed"] for p in summary(out)["points"]] == [True, True]
    assert len((out / "sweep.csv").read_text().splitlines()) == 3


def test_ctrl_c_while_the_report_draws_its_figures_leaves_it_whole(search, tmp_path,
                                                                  monkeypatch):
    out = tmp_path / "report"
    seen = _signal_while(monkeypatch, "capsim.reporting._draw")
    assert main(["report", str(search), "--out", str(out), "--target", "0.9", "-r", "8",
                 "--workers", "1"]) == 130
    assert seen == ["_draw"]
    assert (out / "index.html").is_file()
    assert "PARTIAL" not in (out / "index.html").read_text()


def test_ctrl_c_while_the_search_results_are_written_skips_the_stress_tests(
        search, tmp_path, monkeypatch):
    """Writing is not cut short; the stress tests that would follow do not start."""
    out = tmp_path / "report"
    _signal_while(monkeypatch, "capsim.reporting.bundle.size_data")
    assert main(["report", str(search), "--out", str(out), "--target", "0.9", "-r", "8",
                 "--workers", "1"]) == 130
    assert summary(out / "data")["partial"] is False
    assert "PARTIAL RESULTS" in (out / "index.html").read_text()


def test_a_second_ctrl_c_does_not_wait_for_the_writing(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.toml"
    path.write_text(SEARCH.replace("replications = 20", "replications = 8"))

    def twice(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        raise AssertionError("not reached")

    monkeypatch.setattr("capsim.output.staffing.write_size", twice)
    assert main(["size", str(path), "--target", "0.9", "--workers", "1", "--out",
                 str(tmp_path / "out")]) == 130
    assert "capsim: interrupted" in capsys.readouterr().err


def test_signals_are_handled_as_before_once_main_returns(tiny):
    before = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    assert main(["run", str(tiny), "-r", "2", "--workers", "1"]) == 0
    assert {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)} == before


def test_a_stop_inside_deferred_raises_only_on_leaving_it():
    """Inside deferred() a signal is recorded, never raised half-way (the CI hang: a
    KeyboardInterrupt inside concurrent.futures left the process unable to exit)."""
    reached = []

    def stop_then_go_on() -> None:
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append(interrupts.requested())

    with interrupts.handling_signals(), interrupts.interruptible(), \
            pytest.raises(KeyboardInterrupt):
        stop_then_go_on()
    assert reached == [signal.SIGINT]


def test_a_stop_while_waiting_on_workers_abandons_every_task_in_flight():
    """A signal that lands while tasks are submitted ends the wait with every submitted
    task tracked: those not started are cancelled, and the running ones abandoned."""
    futures: list[Future] = []
    abandoned = []

    def submit(task: int) -> Future:
        future: Future = Future()
        if task == 0:
            future.set_running_or_notify_cancel()  # started: cannot be cancelled
        futures.append(future)
        if task == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return future

    with interrupts.handling_signals(), interrupts.interruptible(), \
            pytest.raises(KeyboardInterrupt):
        list(_bounded(submit, range(10), 3, abandon=lambda: abandoned.append(True)))
    assert len(futures) == 3  # nothing submitted after the signal
    assert [f.cancelled() for f in futures] == [False, True, True]
    assert abandoned == [True]



def test_results_come_back_through_files_that_are_then_removed(tmp_path):
    """The CI hang: a worker terminated while it wrote a large result into the pool's
    result pipe left half a message there; the pool's manager thread waited for the rest
    for ever (the parent holds the pipe's other end, so no end of file comes) and the
    process could not exit. A result now travels as a file and the pipe carries only the
    file's name, which one write() delivers whole: here 20 MB come back intact, and the
    pool's folder is gone once it closes."""
    marker = tmp_path / "sent"
    with ProcessPool(1) as pool:
        folder = None
        for result in pool.imap(large_result, [(str(marker), 20_000_000)]):
            folder = pool._folder
            assert result == b"x" * 20_000_000
        assert folder
        assert os.path.isdir(folder)
        assert os.listdir(folder) == []  # read and removed as it came
    assert not os.path.exists(folder)
