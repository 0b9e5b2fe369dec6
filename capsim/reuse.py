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
depends on) and key (seed, replication, technician...), until the budget
(:func:`budget`) is held; later ones are made each time, not kept (a search visits the
same replications again in the same order, so the first ones kept are the ones asked for
again). Everything is dropped when the outermost :func:`sharing` ends. Values are made
read-only when kept: code that wrote into a shared array would change another
candidate's draws.

A scope opened with ``evict=True`` (the what-if page's, for the server's life: its
what-ifs share the draws of the scenario they change) makes room instead: a value that
does not fit drops whole sides, the least recently used first (never its own), until it
fits.

The store is per process: threads share it; a process pool's workers open no scope and
draw everything they run (correct, just no reuse: each would hold its own store, up to
the budget, for the pool's life).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

from capsim.allocator import machine_memory
from capsim.errors import ArgumentError

T = TypeVar("T")

#: Most bytes of arrays kept; None: :func:`default_budget`.
BUDGET_BYTES: int | None = None
#: The environment variable that sets the budget, in MiB (0: keep nothing).
BUDGET_ENV = "CAPSIM_SHARE_MB"
#: Without it: this share of the machine's memory, within the two bounds.
MEMORY_SHARE = 1 / 16
MIN_BUDGET_BYTES = 256 * 2**20
MAX_BUDGET_BYTES = 2 * 2**30
#: What an entry costs besides its arrays' data (the objects around them), about.
ENTRY_BYTES = 1024


@functools.cache
def default_budget() -> int:
    """The bytes the store may hold: ``CAPSIM_SHARE_MB`` MiB, else 1/16 of the memory.

    Without the variable, :data:`MEMORY_SHARE` of this machine's memory, at least 256 MiB
    and at most 2 GiB (1.5 GiB on a 24 GiB machine). A search whose replications' draws do
    not all fit draws the rest again for every candidate: Stutterfly keeps about 0.8 MB a
    replication, and ``capsim size --replications 1000`` took 74.6 s of CPU within 1.5 GiB
    (peak memory 1.30 GB) against 92.6 s within 256 MiB (0.86 GB; README). Read once per
    process.

    Raises
    ------
    capsim.errors.ArgumentError
        When the variable is not a whole number of MiB, 0 or more.
    """
    value = os.environ.get(BUDGET_ENV)
    if value is None or not value.strip():
        return int(min(max(MEMORY_SHARE * machine_memory(), MIN_BUDGET_BYTES), MAX_BUDGET_BYTES))
    try:
        mib = int(value)
    except ValueError:
        mib = -1
    if mib < 0:
        raise ArgumentError(f"{BUDGET_ENV}={value!r}: the draws a search keeps, in MiB; "
                            "allowed: a whole number, 0 or more (0: keep none)")
    return mib * 2**20


def budget() -> int:
    """The bytes the store may hold (:data:`BUDGET_BYTES`, else :func:`default_budget`)."""
    return default_budget() if BUDGET_BYTES is None else BUDGET_BYTES


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.evicting = 0  # open scopes that make room (LRU by side) rather than stop keeping
        self.items: dict[str, dict[tuple[int, ...], object]] = {}  # least recently used first
        self.side_bytes: dict[str, int] = {}
        self.bytes = 0

    def touch(self, side: str) -> None:
        """Mark ``side`` the most recently used (the dict's order is the recency)."""
        self.items[side] = self.items.pop(side)

    def make_room(self, side: str, size: int) -> None:
        """Drop the least recently used sides but ``side`` until ``size`` more bytes fit."""
        limit = budget()
        for other in list(self.items):
            if self.bytes + size <= limit:
                return
            if other != side:
                del self.items[other]
                self.bytes -= self.side_bytes.pop(other, 0)


_STORE = _Store()


@contextlib.contextmanager
def sharing(evict: bool = False) -> Iterator[None]:
    """Keep what :func:`reused` makes until the outermost ``sharing`` ends.

    ``evict``: while this scope is open, a value over the budget makes room by dropping
    the least recently used sides (see the module docstring) instead of not being kept.
    A bad ``CAPSIM_SHARE_MB`` is refused here, before anything is drawn.
    """
    budget()
    with _STORE.lock:
        _STORE.depth += 1
        _STORE.evicting += evict
    try:
        yield
    finally:
        with _STORE.lock:
            _STORE.depth -= 1
            _STORE.evicting -= evict
            if _STORE.depth == 0:
                _STORE.items.clear()
                _STORE.side_bytes.clear()
                _STORE.bytes = 0


def active() -> bool:
    """Whether a :func:`sharing` scope is open in this process."""
    return _STORE.depth > 0


def get(side: str | None, key: tuple[int, ...]) -> object | None:
    """What :func:`put` kept for ``side`` and ``key`` (None: nothing, or not sharing)."""
    if side is None or _STORE.depth == 0:
        return None
    with _STORE.lock:
        kept = _STORE.items.get(side, {}).get(key)
        if kept is not None and _STORE.evicting:
            _STORE.touch(side)
        return kept


def put(side: str | None, key: tuple[int, ...], value: object, arrays: list[np.ndarray]) -> None:
    """Keep ``value`` for ``side`` and ``key`` if a scope is open and the budget allows.

    ``arrays`` are the value's arrays: their bytes, and :data:`ENTRY_BYTES`, count
    toward the budget, and they are made read-only when the value is kept.
    """
    if side is None or _STORE.depth == 0:
        return
    size = ENTRY_BYTES + sum(a.nbytes for a in arrays)
    limit = budget()
    with _STORE.lock:
        if _STORE.depth == 0 or key in _STORE.items.get(side, {}):
            return  # the scope ended, or another thread kept it first
        if _STORE.evicting and _STORE.bytes + size > limit:
            _STORE.make_room(side, size)
        if _STORE.bytes + size <= limit:
            _STORE.items.setdefault(side, {})[key] = value
            if _STORE.evicting:
                _STORE.touch(side)
            for a in arrays:
                a.flags.writeable = False
            _STORE.bytes += size
            _STORE.side_bytes[side] = _STORE.side_bytes.get(side, 0) + size


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
