"""Draws shared by the runs of a search: each replication's orders, sampled once.

A staffing search runs the same replications for several rosters, a schedule search
for several shift mixes. A replication's orders (arrivals, classes, work, patience,
holds, follow-ups, batches, demand stress) depend on the scenario's demand and order
side, the seed and the replication only, never on the staff (common random numbers,
:mod:`capsim.rng`), so drawing them again for every candidate repeats the same work:
on Stutterfly about 3.8 ms of a replication's 15. So do each technician's attendance
draws (vacations, outbreak illness, daily absences: :mod:`capsim.attendance`), which
depend on the absence rules and the technician's index, not on how many colleagues
the roster has.

Inside :func:`sharing` (a :class:`capsim.experiment.Runner` planned for several runs
enters it, and so does :func:`capsim.report` for its whole work), :func:`reused` (or
:func:`get` and :func:`put`) keeps values per *side* (a key naming everything the value
depends on) and key (seed, replication, technician...), until :data:`BUDGET_BYTES` are held;
later ones are made each time, not kept (a search visits the same replications again
in the same order, so the first ones kept are the ones asked for again). Everything is
dropped when the outermost :func:`sharing` ends. Values are made read-only when kept:
code that wrote into a shared array would change another candidate's draws.

The store is per process: threads share it; a process pool's workers each keep their
own, and hit only the replications they drew before (correct, just less reuse).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

T = TypeVar("T")

#: Most bytes of arrays kept (Stutterfly: about 0.6 MB per replication).
BUDGET_BYTES = 256 * 2**20
#: What an entry costs besides its arrays' data (the objects around them), about.
ENTRY_BYTES = 1024


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.items: dict[str, dict[tuple[int, ...], object]] = {}
        self.bytes = 0


_STORE = _Store()


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Keep what :func:`reused` makes until the outermost ``sharing`` ends."""
    with _STORE.lock:
        _STORE.depth += 1
    try:
        yield
    finally:
        with _STORE.lock:
            _STORE.depth -= 1
            if _STORE.depth == 0:
                _STORE.items.clear()
                _STORE.bytes = 0


def active() -> bool:
    """Whether a :func:`sharing` scope is open in this process."""
    return _STORE.depth > 0


def get(side: str | None, key: tuple[int, ...]) -> object | None:
    """What :func:`put` kept for ``side`` and ``key`` (None: nothing, or not sharing)."""
    if side is None or _STORE.depth == 0:
        return None
    with _STORE.lock:
        return _STORE.items.get(side, {}).get(key)


def put(side: str | None, key: tuple[int, ...], value: object, arrays: list[np.ndarray]) -> None:
    """Keep ``value`` for ``side`` and ``key`` if a scope is open and the budget allows.

    ``arrays`` are the value's arrays: their bytes, and :data:`ENTRY_BYTES`, count
    toward the budget, and they are made read-only when the value is kept.
    """
    if side is None or _STORE.depth == 0:
        return
    size = ENTRY_BYTES + sum(a.nbytes for a in arrays)
    with _STORE.lock:
        if _STORE.depth > 0 and _STORE.bytes + size <= BUDGET_BYTES:
            kept = _STORE.items.setdefault(side, {})
            if key not in kept:
                for a in arrays:
                    a.flags.writeable = False
                kept[key] = value
                _STORE.bytes += size


def reused(side: str | None, key: tuple[int, ...], make: Callable[[], T],
           arrays: Callable[[T], list[np.ndarray]]) -> T:
    """``make()``, or what it gave before for the same side and key (:func:`get`, :func:`put`).

    ``key``: the seed, the replication and whatever else tells values of one side apart.
    ``side`` None: nothing is shared.
    """
    hit = get(side, key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    value = make()
    put(side, key, value, arrays(value))
    return value
