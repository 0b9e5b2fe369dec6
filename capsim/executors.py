"""Where replications run: in this process, on threads, in local processes, or on Dask.

An executor maps a picklable function over tasks and yields results as they
complete, in any order; callers put them back in order by replication index, so
results never depend on the executor. Executors are context managers: a pool or
cluster connection starts on first use and lives until ``close()``, so a staffing
search that evaluates many rosters starts its workers once.

Local worker processes are started with ``spawn``: no state inherited from the
parent, the same behaviour on every platform, and no ``fork()`` of a process that
already runs threads (numpy's BLAS starts some). Like every spawn-based pool it
re-imports the calling script in each worker, so a script that calls
:func:`capsim.run` must do so under ``if __name__ == "__main__":``; without the
guard the workers cannot start and capsim says so instead of hanging.

Stopping: workers ignore Ctrl-C (the parent decides what to keep). When the parent
stops early (Ctrl-C, SIGTERM, or any exception while results are awaited), it does
not wait for the tasks in flight: it cancels those not started and terminates the
workers, so they do not hold on to the CPUs or to the output pipes they share with
it. A worker whose parent dies (even by SIGKILL) exits at once: a thread in each
worker waits on :func:`multiprocessing.parent_process`'s sentinel.

Results come back through files, not through the pool's result pipe: a worker pickles
its result into a private temporary folder and sends only the file's name, a message
far below ``PIPE_BUF`` that one ``write()`` delivers whole. A worker terminated while it
sends a large result through the pipe leaves half a message there; the pool's manager
thread then waits for the rest for ever and the process can never exit (it hung in CI
that way). A half-written file is only a file, removed with the folder.

Threads (:class:`ThreadPool`) serve the fast engine: its compiled passes release the
GIL (numba, ``nogil=True``), so threads share the work of a batch without the start-up
of a process each (imports and the numba cache load, about a second). What a thread
runs must be thread-safe: each replication makes its own generators and arrays; the
compiled functions are built (their ``functools.cache``) by the replications the
caller runs in its own thread before any pool starts. Threads cannot be killed: on an
early stop the tasks not started are cancelled and those running (one batch each, well
under a second) finish in the background, their results dropped.

Dask (``pip install "capsim[dask]"``): ``DaskCluster(address)`` connects to a
running scheduler; without an address it starts a local cluster on loopback, every
port (scheduler, workers, the scheduler's HTTP endpoint) chosen free by the system.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import pickle
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, Self, TypeVar

from capsim import interrupts
from capsim.errors import ArgumentError, CapsimError

T = TypeVar("T")
R = TypeVar("R")

GUARD_HINT = (
    "worker processes could not start. If you call capsim from a script, put the call "
    "under `if __name__ == \"__main__\":` (each worker imports the script), or pass "
    "workers=1 to stay in one process"
)
#: ``auto``: in this process, on threads or in processes, as the work needs (see
#: :func:`capsim.experiment.choose`).
EXECUTORS = ("auto", "processes", "threads", "dask")


class Executor(Protocol):
    """Runs ``fn`` over tasks and yields the results as they complete."""

    workers: int

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task, in completion order."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


class _Closing:
    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(_Closing):
    """Runs tasks one after another in this process (debugging, small runs)."""

    workers = 1

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task, in order."""
        for task in tasks:
            yield fn(task)


#: Seconds a terminated worker is given to exit before it is killed.
TERMINATE_SECONDS = 5.0


def _exit_with_parent() -> None:
    """Exit this worker the moment its parent process ends."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _start_worker() -> None:
    """Initializer of each local worker: ignore Ctrl-C, die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, name="capsim-parent-watch",
                     daemon=True).start()


#: Seconds between two looks at a pending stop request while waiting on workers.
POLL_SECONDS = 0.05


def _to_file(fn: Callable[[T], R], folder: str, task: T) -> str:
    """Run ``fn(task)`` in a worker; pickle the result into ``folder``; its file's name."""
    result = fn(task)
    descriptor, path = tempfile.mkstemp(dir=folder, suffix=".pickle")
    with os.fdopen(descriptor, "wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _from_files(paths: Generator[str, None, None]) -> Generator[Any, None, None]:
    """Load and remove each result file as its name comes; closing this closes ``paths``."""
    try:
        for path in paths:
            with open(path, "rb") as handle:
                result = pickle.load(handle)
            os.unlink(path)
            yield result
    finally:
        paths.close()


def _first_done(running: set[Any], timeout: float) -> set[Any]:
    return wait(running, timeout=timeout, return_when=FIRST_COMPLETED).done


def _bounded(submit: Callable[[T], Any], tasks: Iterable[T], in_flight: int,
             first_done: Callable[[set[Any], float], set[Any]] = _first_done,
             broken: type[BaseException] | tuple[()] = (),
             abandon: Callable[[], None] = lambda: None) -> Generator[R, None, None]:
    """Keep at most ``in_flight`` tasks submitted; yield results as they complete.

    ``first_done(running, timeout)`` waits up to ``timeout`` seconds until at least one
    of the running futures is done and returns those that are (none on a timeout). If
    the consumer stops early (or an exception, Ctrl-C included, ends the wait), tasks
    not yet started are cancelled and ``abandon`` is called to stop those running.

    Submitting and waiting run inside :func:`capsim.interrupts.deferred`: a stop
    request is recorded there, never raised inside the executor's machinery (where it
    could leave a lock held or a submitted task untracked), and seen within
    :data:`POLL_SECONDS`; ``KeyboardInterrupt`` is then raised here, with ``running``
    exact, so that every task in flight is cancelled or abandoned.
    """
    pending: Iterator[T] = iter(tasks)
    running: set[Any] = set()

    def refill() -> None:
        while len(running) < in_flight:
            task = next(pending, None)
            if task is None:
                return
            running.add(submit(task))

    def next_done() -> set[Any]:
        while True:
            interrupts.stop_point()
            done = first_done(running, POLL_SECONDS)
            if done:
                return done

    try:
        with interrupts.deferred():
            refill()
        while running:
            with interrupts.deferred():
                done = next_done()
            for future in done:
                running.discard(future)
                yield future.result()
            with interrupts.deferred():
                refill()
    except broken:
        if interrupts.requested() is not None:  # the workers got the signal too
            raise KeyboardInterrupt from None
        raise CapsimError(GUARD_HINT) from None
    finally:
        with interrupts.deferred():
            for future in running:
                future.cancel()
            if any(not future.done() for future in running):
                abandon()


def _signal_all(processes: list[Any], how: str) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError, ValueError):  # gone, or closed
            getattr(process, how)()


class ProcessPool(_Closing):
    """Runs tasks in ``workers`` local processes, started on first use.

    Parameters
    ----------
    workers : int
        Number of processes (>= 1).
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ArgumentError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._folder = ""  # where workers leave their results (see the module docstring)

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task as workers complete them.

        Two tasks per worker are in flight; on an early stop, queued tasks are cancelled.
        """
        if self._pool is None:
            self._folder = tempfile.mkdtemp(prefix="capsim-results-")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker)
        pool, folder = self._pool, self._folder
        return _from_files(_bounded(lambda task: pool.submit(_to_file, fn, folder, task),
                                    tasks, 2 * self.workers, broken=BrokenProcessPool,
                                    abandon=self.terminate))

    def terminate(self) -> None:
        """Stop the workers now, without waiting for their tasks; the next use starts anew.

        Python 3.14 has ``ProcessPoolExecutor.terminate_workers()``; before it, this does
        the same through the executor's ``_processes`` (its processes by pid).
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)  # its manager thread reaps them
        _signal_all(processes, "terminate")
        exited = multiprocessing.connection.wait([p.sentinel for p in processes],
                                                 TERMINATE_SECONDS)
        _signal_all([p for p in processes if p.sentinel not in exited], "kill")
        self._remove_folder()

    def close(self) -> None:
        """Stop the workers (tasks already running finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._remove_folder()

    def _remove_folder(self) -> None:
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = ""


class ThreadPool(_Closing):
    """Runs tasks on ``workers`` threads of this process, started on first use.

    For functions that release the GIL for most of their time (the fast engine's
    compiled passes); see the module docstring for what they must guarantee.
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ArgumentError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task as threads complete them (two per thread queued)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="capsim-worker")
        pool = self._pool
        return _bounded(lambda task: pool.submit(fn, task), tasks, 2 * self.workers,
                        abandon=self.terminate)

    def terminate(self) -> None:
        """Cancel what has not started; the next use starts new threads.

        Running tasks end on their own: threads cannot be stopped.
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let running tasks finish and stop the threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskCluster(_Closing):
    """Runs tasks on a Dask distributed cluster.

    Parameters
    ----------
    address : str, optional
        A running scheduler, e.g. ``tcp://10.0.0.5:8786``. Without one, a local
        cluster of ``workers`` single-threaded processes starts on 127.0.0.1.
    workers : int, optional
        Local cluster size (default: all cores).
    """

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import distributed
        except ImportError:
            raise CapsimError('the Dask executor needs the dask extra: pip install '
                              '"capsim[dask]"') from None
        self._cluster: Any = None
        self._client: Any = None
        try:
            if address is None:
                # No fixed port: the scheduler's HTTP endpoint starts even without a
                # dashboard, on 8787 unless given another address (":0": a free one)
                self._cluster = distributed.LocalCluster(
                    n_workers=workers or cpu_count(), threads_per_worker=1, processes=True,
                    host="127.0.0.1", scheduler_port=0, dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"dashboard": False})
                address = self._cluster.scheduler_address
            self._client = distributed.Client(address, timeout="20s")
        except OSError as exc:
            self.close()
            raise CapsimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task as the cluster completes them."""
        import distributed

        client = self._client

        def first_done(running: set[Any], timeout: float) -> set[Any]:
            try:
                done: set[Any] = distributed.wait(running, timeout=timeout,
                                                  return_when="FIRST_COMPLETED").done
            except TimeoutError:
                return set()
            return done

        return _bounded(lambda task: client.submit(fn, task, pure=False), tasks,
                        2 * self.workers, first_done)

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
