"""Where replications run: in this process, or in a pool of local processes.

An executor maps a picklable function over tasks and yields results as they
complete, in any order; callers put them back in order by replication index,
so results never depend on the executor.

Worker processes are started with ``spawn``: no state inherited from the
parent, the same behaviour on every platform, and no ``fork()`` of a process
that already runs threads (numpy's BLAS starts some). Like every spawn-based
pool, it re-imports the calling script in each worker, so a script that calls
:func:`capsim.run` must do so under ``if __name__ == "__main__":``; without the
guard the workers cannot start and capsim says so instead of hanging. Workers
ignore Ctrl-C: the parent decides what to keep.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from capsim.errors import CapsimError

T = TypeVar("T")
R = TypeVar("R")

GUARD_HINT = (
    "worker processes could not start. If you call capsim from a script, put the call "
    "under `if __name__ == \"__main__\":` (each worker imports the script), or pass "
    "workers=1 to stay in one process"
)


class Executor(Protocol):
    """Runs ``fn`` over tasks and yields the results as they complete."""

    workers: int

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task, in completion order."""
        ...


class InProcess:
    """Runs tasks one after another in this process (debugging, small runs)."""

    workers = 1

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task, in order."""
        for task in tasks:
            yield fn(task)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool:
    """Runs tasks in ``workers`` local processes.

    Parameters
    ----------
    workers : int
        Number of processes (>= 1).
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Generator[R, None, None]:
        """Yield ``fn(task)`` for each task as workers complete them.

        At most two tasks per worker are in flight. If the consumer stops early
        (an exception, Ctrl-C), queued tasks are cancelled and the running ones
        are waited for (keep tasks short).
        """
        pending = iter(tasks)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context,
                                 initializer=_ignore_sigint) as pool:
            running: set[Future[R]] = set()

            def refill() -> None:
                while len(running) < 2 * self.workers:
                    task = next(pending, None)
                    if task is None:
                        return
                    running.add(pool.submit(fn, task))

            try:
                refill()
                while running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.discard(future)
                        yield future.result()
                    refill()
            except BrokenProcessPool:
                raise CapsimError(GUARD_HINT) from None
            finally:
                for future in running:
                    future.cancel()


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
