"""Where a run's replications go: this process, threads or processes, and who decides.

:func:`choose` decides from an estimate of the work in CPU seconds (what the first
replications measured, times what is left), never from a wall-clock probe: on a loaded
machine a probe reads slow exactly when extra workers help least. Threads pay off for
the compiled fast engine, whose passes release the GIL (numba ``nogil``); a process
pays :data:`WORKER_START_SECONDS` of start-up per worker, and suits long runs and
engines that hold the GIL. :func:`make_pool` is the one place pools are made.

One pool per command: inside :func:`one_pool` (the CLI's simulating commands and
:func:`capsim.report` enter it), the first pool any :class:`~capsim.experiment.Runner`
starts serves every later Runner too (a report's search, its stress tests and its
schedule search), and closes when the scope ends. A Runner asked for one worker stays
in its own process.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from capsim.executors import Executor, InProcess, ProcessPool, ThreadPool

Kind = Literal["serial", "threads", "processes"]
KINDS: tuple[Kind, ...] = ("serial", "threads", "processes")

#: CPU seconds a spawned worker process spends before its first task (imports, numba's
#: cache load); measured 1.0-1.2 s per worker.
WORKER_START_SECONDS = 1.1
#: Share of the compiled fast engine's CPU time spent in passes that release the GIL
#: (the dynamics, the per-order reductions, the order views), measured with cProfile:
#: about 40 % on M/M/10, 45 % on Stutterfly at roster 15; sampling and the numpy steps
#: between the passes hold it. On threads only this share runs side by side.
GIL_FREE_SHARE = 0.4
#: Estimated work (CPU seconds) below which a run stays in this process.
SERIAL_SECONDS = 0.5
#: Share of a search's later runs that the draws it shares save in this process
#: (:mod:`capsim.reuse`: the orders and the attendance draws): about 30 % on Stutterfly
#: (``capsim size`` with one worker, 11.5 s without sharing, 8.7 s with). A process
#: pool's workers share nothing: they draw everything they run (capsim.reuse).
REUSED_SHARE = 0.3


def reused_share(planned_runs: int) -> float:
    """The share of ``planned_runs`` runs' work that sharing saves in one process."""
    return REUSED_SHARE * (planned_runs - 1) / planned_runs if planned_runs > 1 else 0.0


def choose(work_seconds: float, cpus: int, gil_free: float,
           allowed: tuple[Kind, ...] = KINDS, reused: float = 0.0) -> Kind:
    """Where work estimated at ``work_seconds`` of CPU time ends first on ``cpus`` CPUs.

    The expected wall time of each way; the shortest wins, a tie going to the cheaper
    (in the order serial, threads, processes), with ``W = work_seconds``:

    - serial: ``W (1 - reused)``: the share ``reused`` is what draws shared across a
      search's runs save (:func:`reused_share`);
    - threads: ``W (1 - reused) max(1 - gil_free, 1 / cpus)``: the share of the work
      that holds the GIL (``1 - gil_free``) runs one thread at a time;
    - processes: :data:`WORKER_START_SECONDS` + ``W / cpus``: the workers start side
      by side, then share the work, each drawing for itself.

    Work under :data:`SERIAL_SECONDS`, or one CPU, stays serial; ``allowed`` limits the
    choice (to the executor the caller asked for, say).
    """
    if cpus <= 1 or work_seconds <= SERIAL_SECONDS:
        return "serial"
    here = work_seconds * (1.0 - reused)
    wall: dict[Kind, float] = {
        "serial": here,
        "threads": (here * max(1.0 - gil_free, 1.0 / cpus) if gil_free > 0
                    else math.inf),
        "processes": WORKER_START_SECONDS + work_seconds / cpus}
    return min(allowed, key=lambda kind: (wall[kind], KINDS.index(kind)))


def gil_free_share(engine: str) -> float:
    """The share of an engine's work that threads run side by side (0: none)."""
    from capsim.engines import fused  # not at import: the CLI enters one_pool before

    return GIL_FREE_SHARE if engine == "fast" and fused.available() else 0.0


def make_pool(kind: Kind, workers: int) -> Executor:
    """A new executor of this kind (``serial``: this process)."""
    if kind == "threads":
        return ThreadPool(workers)
    if kind == "processes":
        return ProcessPool(workers)
    return InProcess()


@dataclass
class Shared:
    """The pool of a :func:`one_pool` scope (None until a Runner starts one)."""

    executor: Executor | None = None


_SHARED: ContextVar[Shared | None] = ContextVar("capsim_shared_pool", default=None)


def shared() -> Shared | None:
    """The enclosing :func:`one_pool` scope's holder, or None outside any."""
    return _SHARED.get()


@contextmanager
def one_pool() -> Iterator[None]:
    """Let every Runner inside share one pool, closed on leaving (nested: the outer's)."""
    if _SHARED.get() is not None:
        yield
        return
    holder = Shared()
    token = _SHARED.set(holder)
    try:
        yield
    finally:
        _SHARED.reset(token)
        if holder.executor is not None:
            holder.executor.close()
