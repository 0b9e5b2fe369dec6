"""Monte Carlo experiments: run replications, gather them, and summarise with intervals.

Replication ``r`` depends only on (scenario, seed, r): it samples its inputs
from child ``r`` of the root seed, runs the engine and reduces the Records at
once to a :class:`~capsim.metrics.ReplicationSummary`. Summaries are put back in
replication order before anything is aggregated, so the result is the same bit
for bit whatever the executor or the number of workers.

Ctrl-C during a run stops it and returns the completed replications, marked
``partial``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from capsim import engines
from capsim.executors import Executor, InProcess, ProcessPool, cpu_count
from capsim.metrics import KPI_NAMES, KPI_RANGES, ReplicationSummary, summarize
from capsim.sampling import sample
from capsim.scenario import Scenario
from capsim.stats import Interval, t_interval, wilson_interval

Progress = Callable[[int, int], None]
#: With ``workers=None``, runs expected to take longer than this many seconds in
#: one process go to a process pool.
POOL_THRESHOLD_SECONDS = 3.0
#: Target duration of one task sent to a worker process.
TASK_SECONDS = 0.5


def replicate(scenario: Scenario, seed: int, replication: int,
              engine: str = "simpy") -> ReplicationSummary:
    """Run one replication end to end: sample, simulate, summarise."""
    realization = sample(scenario, replication, seed)
    records = engines.get(engine)(scenario, realization)
    return summarize(records, replication)


def _run_chunk(job: tuple[Scenario, int, str, list[int]]) -> list[ReplicationSummary]:
    scenario, seed, engine, indices = job
    return [replicate(scenario, seed, r, engine) for r in indices]


@dataclass(frozen=True, eq=False)
class RunResult:
    """The outcome of a Monte Carlo run.

    Attributes
    ----------
    scenario : Scenario
        What was run.
    seed : int
        The root seed.
    replications_requested : int
        How many replications were asked for.
    engine : str
        The engine that ran.
    partial : bool
        True when the run was interrupted before all replications completed.
    summaries : tuple of ReplicationSummary
        The completed replications, in replication order.
    ci_level : float
        Confidence level of every interval.
    elapsed_seconds : float
        Wall-clock time of the run.
    """

    scenario: Scenario
    seed: int
    replications_requested: int
    engine: str
    partial: bool
    summaries: tuple[ReplicationSummary, ...]
    ci_level: float = 0.95
    elapsed_seconds: float = 0.0
    kpis: dict[str, Interval] = field(init=False)

    def __post_init__(self) -> None:
        kpis = {name: t_interval(self.column(name), self.ci_level, KPI_RANGES[name])
                for name in KPI_NAMES}
        object.__setattr__(self, "kpis", kpis)

    @property
    def replications(self) -> int:
        """Number of completed replications."""
        return len(self.summaries)

    @property
    def target(self) -> float:
        """The on-time target the scenario sets."""
        return self.scenario.targets.on_time_rate

    def column(self, kpi: str) -> np.ndarray:
        """One KPI across the completed replications."""
        return np.array([s.kpis[kpi] for s in self.summaries], dtype=float)

    @property
    def p_target_met(self) -> Interval:
        """Share of replications whose on-time rate meets the target (Wilson interval)."""
        rates = self.column("on_time_rate")
        return wilson_interval(int(np.sum(rates >= self.target)), rates.size, self.ci_level)

    def hourly(self, name: str) -> np.ndarray:
        """An hourly series, replications × hours."""
        return np.array([s.hourly[name] for s in self.summaries])

    def daily(self, name: str) -> np.ndarray:
        """A daily quantity, replications × days."""
        return np.array([s.daily[name] for s in self.summaries])

    @property
    def on_hand_histogram(self) -> dict[int, float]:
        """Share of replication-days (after warm-up) with each number of technicians on hand."""
        days = self.daily("on_hand")[:, self.scenario.warmup_days:].ravel().astype(int)
        if days.size == 0:
            return {}
        counts = np.bincount(days)
        return {k: float(c / days.size) for k, c in enumerate(counts) if c}


def _progress_callback(progress: bool | Progress | None, total: int
                       ) -> tuple[Progress, Callable[[], None]]:
    """Turn the ``progress`` argument into a per-replication callback and a closer."""
    if callable(progress):
        return progress, lambda: None
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return (lambda done, total: None), lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="rep", file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update, bar.close


def _chunks(indices: list[int], workers: int, seconds_each: float) -> list[list[int]]:
    """Group replications into tasks.

    One at a time in-process (exact progress and interruption). For a pool, enough
    to take about :data:`TASK_SECONDS` (less overhead per replication, yet a short
    wait for tasks in flight on Ctrl-C), and at least four tasks per worker.
    """
    if workers == 1:
        return [[i] for i in indices]
    by_time = math.floor(TASK_SECONDS / max(seconds_each, 1e-9))
    size = max(1, min(by_time, math.ceil(len(indices) / (4 * workers))))
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def _choose_executor(workers: int | None, remaining: int, seconds_each: float) -> Executor:
    if workers is None:
        cores = cpu_count()
        slow = remaining * seconds_each > POOL_THRESHOLD_SECONDS
        workers = cores if slow and cores > 1 else 1
    return InProcess() if workers == 1 or remaining <= 1 else ProcessPool(workers)


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    engine: str = "auto",
    ci_level: float = 0.95,
    progress: bool | Progress | None = None,
) -> RunResult:
    """Run a Monte Carlo experiment on a scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario (see :func:`capsim.load_scenario`).
    replications : int, optional
        Number of replications; default ``scenario.experiment.replications``.
    seed : int, optional
        Root seed; default ``scenario.experiment.seed``.
    workers : int, optional
        Processes to use. None (default) runs the first replication here and
        moves the rest to a pool over all cores if they would take more than a
        few seconds; 1 runs everything in this process. Results do not depend
        on this.
    engine : str
        ``auto`` (default) or an engine name (see :mod:`capsim.engines`).
    ci_level : float
        Confidence level of the intervals.
    progress : bool or callable, optional
        Show a progress bar on stderr (default: when stderr is a terminal), or
        call ``progress(done, total)`` after each replication.

    Returns
    -------
    RunResult
        ``partial`` is True if Ctrl-C stopped the run early; the completed
        replications are kept.
    """
    replications = scenario.experiment.replications if replications is None else replications
    seed = scenario.experiment.seed if seed is None else seed
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    engine_name = engines.resolve(engine, scenario)
    began = time.perf_counter()
    done: dict[int, ReplicationSummary] = {}
    notify, close = _progress_callback(progress, replications)
    partial = False
    try:
        first = time.perf_counter()
        done[0] = replicate(scenario, seed, 0, engine_name)
        seconds_each = time.perf_counter() - first
        notify(len(done), replications)
        rest = list(range(1, replications))
        executor = _choose_executor(workers, len(rest), seconds_each)
        jobs = [(scenario, seed, engine_name, chunk)
                for chunk in _chunks(rest, executor.workers, seconds_each)]
        with closing(executor.imap(_run_chunk, jobs)) as results:
            for chunk in results:
                for summary in chunk:
                    done[summary.replication] = summary
                notify(len(done), replications)
    except KeyboardInterrupt:
        partial = True
    finally:
        close()
    return RunResult(
        scenario=scenario, seed=seed, replications_requested=replications, engine=engine_name,
        partial=partial, summaries=tuple(done[r] for r in sorted(done)), ci_level=ci_level,
        elapsed_seconds=time.perf_counter() - began,
    )
