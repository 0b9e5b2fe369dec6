"""How to run an experiment, as one object: :class:`RunOptions`.

``capsim.run``, ``size_staff``, ``sweep``, ``stress_test`` and ``report`` take the same
settings (replications, seed, workers, executor, engine, confidence level, progress,
...). Give them once as ``options=RunOptions(...)``, and reuse the object across calls;
the keyword arguments still work, and a keyword given (not None) wins over the
options::

    fast = RunOptions(replications=200, seed=7, workers=4, progress=False)
    capsim.run(scenario, options=fast)
    capsim.size_staff(scenario, 0.95, options=fast, replications=50)  # 50 wins

None in a field means "the default": the scenario's ``[experiment]`` for
``replications`` and ``seed``, all cores (as the work needs) for ``workers``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from capsim.errors import ArgumentError
from capsim.executors import EXECUTORS
from capsim.progress import ProgressOption


@dataclass(frozen=True)
class RunOptions:
    """The settings of a Monte Carlo experiment (every field optional).

    Attributes
    ----------
    replications : int, optional
        Replications per run (per roster, per grid point); default the scenario's.
    seed : int, optional
        Root seed; default the scenario's.
    workers : int, optional
        Processes (threads with ``executor="threads"``); default as the work needs.
        Results do not depend on it.
    engine : str
        ``auto`` (the fast engine where it applies), ``simpy`` or ``fast``.
    executor : str
        ``auto`` (this process, threads or processes, as the work needs: see
        :func:`capsim.placement.choose`), ``processes``, ``threads`` or ``dask`` (with
        ``scheduler``, a Dask scheduler's address).
    scheduler : str, optional
        The Dask scheduler's address.
    ci_level : float
        Confidence level of every interval, in (0, 1).
    progress : str, bool or callable, optional
        See :func:`capsim.progress.progress_callback`.
    max_replications : int, optional
        The cap of a sequential run (``run`` with a precision; ``size_staff`` adding
        replications where a verdict is close).
    """

    replications: int | None = None
    seed: int | None = None
    workers: int | None = None
    engine: str = "auto"
    executor: str = "auto"
    scheduler: str | None = None
    ci_level: float = 0.95
    progress: ProgressOption = None
    max_replications: int | None = None

    def __post_init__(self) -> None:
        """Refuse what no run accepts, with the messages the run itself would give."""
        for name in ("replications", "workers", "max_replications"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ArgumentError(f"{name} must be >= 1, got {value}")
        if self.executor not in EXECUTORS:
            raise ArgumentError(f"unknown executor {self.executor!r}; allowed: "
                                f"{', '.join(EXECUTORS)}")
        if not 0 < self.ci_level < 1:
            raise ArgumentError(f"ci_level must be in (0, 1), got {self.ci_level}")

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with the fields given (None leaves a field as it is)."""
        given = {k: v for k, v in changes.items() if v is not None}
        unknown = sorted(set(given) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ArgumentError(f"unknown run options {', '.join(unknown)}; allowed: "
                                f"{', '.join(f.name for f in dataclasses.fields(self))}")
        return dataclasses.replace(self, **given)

    def runner(self) -> dict[str, Any]:
        """The keywords of :class:`capsim.experiment.Runner`."""
        return {"workers": self.workers, "executor": self.executor,
                "scheduler": self.scheduler}


def resolve_options(options: RunOptions | None, **given: Any) -> RunOptions:
    """``options`` (default: all defaults) with every keyword given, not None, over it."""
    return (options if options is not None else RunOptions()).replace(**given)
