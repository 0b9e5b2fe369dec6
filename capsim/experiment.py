"""Monte Carlo experiments: run replications on an executor, in batches, and stop on time.

Replication ``r`` depends only on (scenario, seed, r): it samples its inputs from
child ``r`` of the root seed, runs the engine and reduces the Records at once to a
:class:`~capsim.metrics.ReplicationSummary`. Summaries are put back in replication
order before anything is aggregated, so a result is the same bit for bit whatever
the executor or the number of workers.

A :class:`Runner` owns one executor for its whole life, so that a staffing search
evaluating many rosters starts its workers once; inside
:func:`capsim.placement.one_pool` every Runner shares one (one pool per command).
Where the replications run (here, threads or processes) is chosen from the CPU time
the first ones took (:func:`capsim.placement.choose`). Runs can be sequential: add
replications in batches until the confidence half-width of a KPI is small enough.
Ctrl-C (and, under :func:`capsim.interrupts.handling_signals`, SIGTERM) stops a run
and keeps the completed replications, marked ``interrupted``; with a stop already
requested, a run returns at once with none. The workers stop without finishing their
tasks (see :mod:`capsim.executors`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from typing import Self

import numpy as np

from capsim import engines, interrupts, reuse
from capsim.allocator import keep_freed_memory
from capsim.engines import fused
from capsim.errors import ArgumentError
from capsim.executors import EXECUTORS, DaskCluster, Executor, InProcess, cpu_count
from capsim.kpis import KPI_NAMES
from capsim.metrics import ReplicationSummary, summarize_many
from capsim.options import RunOptions, resolve_options
from capsim.placement import KINDS, Kind, choose, gil_free_share, make_pool, reused_share, shared
from capsim.progress import Progress, ProgressOption, progress_callback
from capsim.results import RunResult, StoppedBy
from capsim.sampling import sample_many
from capsim.scenario import Scenario
from capsim.spill import Kept
from capsim.stats import mean_interval, needed_replications, skewness
from capsim.workload import check_workload

#: Target duration of one task (a group of replications run together). Short, so that a
#: batch's arrays stay small: Stutterfly at roster 15 runs in batches of about 6 and
#: costs 15.4 ms and 288 MB at peak per 300 replications, against 17.7 ms and 455 MB
#: in the batches of about 28 that 0.5 s made (in one process, capsim.allocator on).
TASK_SECONDS = 0.1
#: The same for the fast engine without numba, whose numpy steps cost about as much for
#: a batch as for one replication: M/M/10, 1,000 replications, took 29.6 s in tasks of
#: 0.1 s and 6.5 s in tasks of 0.5 s (benchmarks/bench_engines.py's model).
VECTOR_TASK_SECONDS = 0.5
#: Most replications in one task (bounds the memory of a vectorised batch).
TASK_LIMIT = 64
#: Replications timed together to estimate the cost of the rest.
PROBE = 4


def replicate_many(scenario: Scenario, *, seed: int, indices: list[int],
                   engine: str = "simpy") -> list[ReplicationSummary]:
    """Run replications end to end: sample, simulate, summarise.

    Engines that can (the fast one) simulate all of them in one call; compiled, the
    fast one also reduces them without Records (:mod:`capsim.engines.fused`). Every
    argument after the scenario is a keyword: two integers (seed, replication) must
    never be swappable.
    """
    keep_freed_memory()  # once per process: the next batch reuses this one's pages
    realizations = sample_many(scenario, indices, seed=seed)
    if engine == "fast" and fused.available():
        return fused.summarize_many(scenario, realizations, indices)
    return summarize_many(engines.get_many(engine)(scenario, realizations), indices)


def replicate(scenario: Scenario, *, seed: int, replication: int,
              engine: str = "simpy") -> ReplicationSummary:
    """Run one replication end to end: sample, simulate, summarise (keywords only)."""
    return replicate_many(scenario, seed=seed, indices=[replication], engine=engine)[0]


def _run_chunk(job: tuple[Scenario, int, str, list[int]]) -> list[ReplicationSummary]:
    scenario, seed, engine, indices = job
    return replicate_many(scenario, seed=seed, indices=indices, engine=engine)


def _chunks(indices: list[int], workers: int, seconds_each: float,
            task_seconds: float = TASK_SECONDS) -> list[list[int]]:
    """Group replications into tasks of about ``task_seconds`` each.

    Big enough for little overhead per replication (the fast engine simulates a task's
    replications in one call), small enough that progress moves often and Ctrl-C
    loses little; at most :data:`TASK_LIMIT` replications, and with workers at least
    four tasks per worker.
    """
    size = min(TASK_LIMIT, max(1, math.floor(task_seconds / max(seconds_each, 1e-9))))
    if workers > 1:
        size = max(1, min(size, math.ceil(len(indices) / (4 * workers))))
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def _task_seconds(engine: str) -> float:
    """:data:`VECTOR_TASK_SECONDS` for the fast engine's numpy steps, else :data:`TASK_SECONDS`."""
    return VECTOR_TASK_SECONDS if engine == "fast" and not fused.available() else TASK_SECONDS


class Runner:
    """Runs replications on one executor, started on first need and kept until closed.

    Parameters
    ----------
    workers : int, optional
        Processes or threads (or, for Dask without an address, local cluster workers).
        None: the first replications run here, timed in CPU seconds; the rest run here,
        on threads or in processes over all cores, whichever
        :func:`capsim.placement.choose` expects to finish first. N > 1: N processes (N
        threads with ``executor="threads"``). 1: everything in this process.
    executor : str
        ``auto`` (default: as :func:`~capsim.placement.choose` says), ``processes``
        (this process or a process pool), ``threads`` (this process or threads) or
        ``dask``.
    scheduler : str, optional
        Address of a Dask scheduler; without one, ``dask`` starts a local cluster.
    planned_runs : int
        How many runs the caller expects to make (a staffing search, a grid), so that
        the choice of a pool weighs all the work, not only the first run's.
    """

    def __init__(self, *, workers: int | None = None, executor: str = "auto",
                 scheduler: str | None = None, planned_runs: int = 1):
        if workers is not None and workers < 1:
            raise ArgumentError(f"workers must be >= 1, got {workers}")
        if executor not in EXECUTORS:
            raise ArgumentError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
        self._workers, self._kind, self._scheduler = workers, executor, scheduler
        self._planned = max(1, planned_runs)
        self._executor: Executor | None = None
        self._rate: float | None = None  # seconds a replication, while a pool runs
        self._borrowed = False  # the executor is the command's (placement.one_pool)
        self._stopped = False
        self._sharing = ExitStack()

    @property
    def stop_requested(self) -> bool:
        """Whether a stop (Ctrl-C, or a signal :mod:`capsim.interrupts` recorded) came.

        A run it reaches after all its replications completed is whole, not partial;
        a search or a grid keeps that run and then starts no other.
        """
        return self._stopped or interrupts.requested() is not None

    def __enter__(self) -> Self:
        if self._planned > 1:  # the runs of a search share their orders (capsim.reuse)
            self._sharing.enter_context(reuse.sharing())
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._sharing.close()

    def close(self) -> None:
        """Release the executor's workers (a pool shared by the command stays open)."""
        if self._executor is not None:
            if not self._borrowed:
                self._executor.close()
            self._executor, self._borrowed, self._rate = None, False, None

    def _executor_for(self, remaining: int, seconds_each: float, engine: str) -> Executor:
        if self._executor is None:
            holder = shared() if self._workers != 1 else None
            if holder is not None and holder.executor is not None:
                self._executor, self._borrowed = holder.executor, True
                return self._executor
            self._executor = self._new_executor(remaining * seconds_each * self._planned,
                                                engine)
            if self._executor is None:
                return InProcess()  # decide again when more work comes
            if holder is not None and not isinstance(self._executor, InProcess):
                holder.executor, self._borrowed = self._executor, True
        return self._executor

    def _new_executor(self, work_seconds: float, engine: str) -> Executor | None:
        """The executor this Runner's settings give for the work; None: here, for now."""
        if self._kind == "dask":
            return DaskCluster(self._scheduler, self._workers)
        kind: Kind = "threads" if self._kind == "threads" else "processes"
        workers = self._workers
        if workers is None:
            allowed: dict[str, tuple[Kind, ...]] = {
                "processes": ("serial", "processes"), "threads": ("serial", "threads")}
            workers = cpu_count()
            kind = choose(work_seconds, workers, gil_free_share(engine),
                          allowed.get(self._kind, KINDS), reused_share(self._planned))
            if kind == "serial":
                return None
        return make_pool("serial" if workers == 1 else kind, workers)

    def replicate(self, scenario: Scenario, seed: int, indices: list[int], engine: str,
                  done: dict[int, ReplicationSummary], notify: Progress, total: int) -> None:
        """Run replications ``indices`` into ``done``.

        Each is kept as it completes, so an interruption loses only those in flight.
        """
        todo = [r for r in indices if r not in done]
        if not todo:
            return
        # the first pays one-off costs
        done[todo[0]] = replicate(scenario, seed=seed, replication=todo[0], engine=engine)
        notify(len(done), total)
        # timed as a batch, the way the rest will run; not while a pool runs (nothing to
        # decide, and the pool would wait): then the last probe's rate sizes the tasks
        probe = [] if self._rate else todo[1:1 + PROBE]
        began = time.process_time()
        for summary in replicate_many(scenario, seed=seed, indices=probe,
                                      engine=engine) if probe else ():
            done[summary.replication] = summary
        seconds_each = self._rate or (time.process_time() - began) / max(len(probe), 1)
        notify(len(done), total)
        interrupts.stop_point()
        rest = todo[1 + len(probe):]
        if not rest:
            return
        executor = self._executor_for(len(rest), seconds_each, engine)
        self._rate = seconds_each if executor.workers > 1 else None
        jobs = [(scenario, seed, engine, chunk)
                for chunk in _chunks(rest, executor.workers, seconds_each, _task_seconds(engine))]
        with closing(executor.imap(_run_chunk, jobs)) as results:
            for chunk in results:
                for summary in chunk:
                    done[summary.replication] = summary
                notify(len(done), total)
                interrupts.stop_point()  # a stop whose KeyboardInterrupt was lost, if any

    def _batches(self, scenario: Scenario, seed: int, engine: str, replications: int,
                 limit: int, rule: StopRule | None, done: dict[int, ReplicationSummary],
                 notify: Progress) -> StoppedBy:
        """Run batches into ``done`` until the rule (if any) is satisfied; say why it ended."""
        target = replications
        while True:
            self.replicate(scenario, seed, list(range(target)), engine, done, notify, limit)
            if rule is None:
                return "replications"
            wanted = rule.more([done[r] for r in sorted(done)])
            if wanted is None:
                return rule.name
            if target >= limit:
                return "max_replications"
            target = min(limit, max(wanted, target + 1))

    def run(self, scenario: Scenario, replications: int | None = None, seed: int | None = None,
            *, engine: str = "auto", ci_level: float = 0.95,
            progress: ProgressOption = None, rule: StopRule | None = None,
            max_replications: int | None = None) -> RunResult:
        """Run a Monte Carlo experiment (see :func:`run`); with a ``rule``, sequentially."""
        replications = scenario.experiment.replications if replications is None else replications
        seed = scenario.experiment.seed if seed is None else seed
        if replications < 1:
            raise ArgumentError(f"replications must be >= 1, got {replications}")
        limit = replications if rule is None else (max_replications or 10 * replications)
        if limit < replications:
            raise ArgumentError(f"max_replications ({limit}) is below replications "
                                f"({replications})")
        check_workload(scenario, limit, self._workers)  # refuses a run that cannot fit
        engine_name = engines.resolve(engine, scenario)
        began = time.perf_counter()
        done = Kept()  # series past a budget go to a temporary file (capsim.spill)
        notify, close = progress_callback(progress, limit)
        stopped: StoppedBy = "replications"
        try:
            with interrupts.interruptible():  # a stop request already pending ends it here
                stopped = self._batches(scenario, seed, engine_name, replications, limit,
                                        rule, done, notify)
        except KeyboardInterrupt:
            # a stop that lands once every requested replication is in (right after the
            # last progress report, say) leaves a complete run: nothing to mark partial
            complete = rule is None and len(done) >= replications
            stopped = "replications" if complete else "interrupted"
            self._stopped = True
        finally:
            close()
        return RunResult(
            scenario=scenario, seed=seed, replications_requested=limit, engine=engine_name,
            summaries=tuple(done[r] for r in sorted(done)), ci_level=ci_level,
            elapsed_seconds=time.perf_counter() - began, stopped_by=stopped,
            precision=None if rule is None else rule.precision)


@dataclass(frozen=True)
class StopRule:
    """When a sequential run has enough replications.

    ``more(summaries)`` returns None when the completed replications suffice, and
    otherwise the total to have next; ``name`` says what "enough" meant (the
    result's ``stopped_by``).
    """

    name: StoppedBy
    more: Callable[[list[ReplicationSummary]], int | None]
    precision: tuple[str, float] | None = None


def precision_rule(kpi: str, half_width: float, level: float) -> StopRule:
    """Enough once the interval of ``kpi`` reaches at most ``half_width`` from its mean.

    The interval is the one results report (:func:`capsim.stats.mean_interval`, before
    clipping to the KPI's range), and it must also be reliable: enough replications
    for the values' skewness. Next total: the estimate n·(h/H)² of what reaching H
    takes from reach h, at least what the skewness needs, and 10 % more than n.
    """
    if kpi not in KPI_NAMES:
        raise ArgumentError(f"unknown KPI {kpi!r}; allowed: {', '.join(KPI_NAMES)}")
    if not half_width > 0:
        raise ArgumentError(f"precision must be > 0, got {half_width}")

    def more(summaries: list[ReplicationSummary]) -> int | None:
        values = np.array([s.kpis[kpi] for s in summaries], dtype=float)
        interval = mean_interval(values, level)  # unclipped
        n = len(summaries)
        if interval.n >= 2 and interval.reliable and interval.reach <= half_width:
            return None
        if interval.n < 2 or not math.isfinite(interval.reach):
            return 2 * n
        wanted = math.ceil(n * (interval.reach / half_width) ** 2)
        return max(wanted, needed_replications(skewness(values)), math.ceil(1.1 * n))

    return StopRule("precision", more, (kpi, half_width))


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    engine: str | None = None,
    ci_level: float | None = None,
    progress: ProgressOption = None,
    precision: float | None = None,
    kpi: str = "on_time_rate",
    max_replications: int | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Run a Monte Carlo experiment on a scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario (see :func:`capsim.load_scenario`).
    replications : int, optional
        Number of replications; default ``scenario.experiment.replications``. With a
        ``precision``, the first batch.
    seed : int, optional
        Root seed; default ``scenario.experiment.seed``.
    workers : int, optional
        Processes to use (see :class:`Runner`). Results do not depend on this.
    engine : str, optional
        ``auto`` (default) or an engine name (see :mod:`capsim.engines`).
    ci_level : float, optional
        Confidence level of the intervals (default 0.95).
    progress : str, bool or callable, optional
        ``"auto"`` (default, also None): a bar on stderr when it is a terminal;
        ``"bar"`` (True); ``"lines"``, progress lines on stderr for logs; ``"none"``
        (False); or a callable, called as ``progress(done, total)`` as replications
        complete.
    precision : float, optional
        Add replications in batches until the confidence half-width of ``kpi`` is at
        most this, or ``max_replications`` have run; ``stopped_by`` says which.
    kpi : str
        The KPI ``precision`` applies to.
    max_replications : int, optional
        The cap for a sequential run (default: 10 × ``replications``).
    executor, scheduler : str
        ``auto`` (default), ``processes``, ``threads`` or ``dask`` (see :class:`Runner`),
        and the Dask scheduler's address.
    options : RunOptions, optional
        All of these settings at once (:mod:`capsim.options`); a keyword given here,
        not None, wins over it.

    Returns
    -------
    RunResult
        ``partial`` is True if Ctrl-C stopped the run early (or SIGTERM, inside
        :func:`capsim.interrupts.handling_signals`); the completed replications are
        kept.
    """
    o = resolve_options(options, replications=replications, seed=seed, workers=workers,
                        engine=engine, ci_level=ci_level, progress=progress,
                        max_replications=max_replications, executor=executor,
                        scheduler=scheduler)
    rule = None if precision is None else precision_rule(kpi, precision, o.ci_level)
    with Runner(**o.runner()) as runner:
        return runner.run(scenario, o.replications, o.seed, engine=o.engine,
                          ci_level=o.ci_level, progress=o.progress, rule=rule,
                          max_replications=o.max_replications)
