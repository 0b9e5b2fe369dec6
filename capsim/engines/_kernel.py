"""The fast engine's dynamics as one compiled loop, for every dispatch rule.

numba (``pip install "capsim[fast]"``) compiles :func:`_loop` and its heap helpers on
first use and caches the machine code on disk, so later processes load it in a fraction
of a second. Without numba the same functions run as plain Python (slow, but the same
numbers bit for bit); :mod:`capsim.engines.vectorized` then uses numpy steps for FIFO.

The loop is the reference engine's rule (:mod:`capsim.engines.simpy_model`) written as
a sequence of decisions. Per replication it keeps

- the technicians in a binary heap keyed on (available since, index), where available
  since = max(last finish, start of the duty interval holding it) is also the earliest
  moment the technician can start (its *duty pointer* marks that interval);
- the queued orders: a range of indices under FIFO, else a heap keyed on
  (due time or class priority, arrival index).

Each decision has a lower bound L, the moment the last order started or, when the
queue is empty, the next arrival. The heap's top is the winner: a technician can start
at max(since, L), and among those who can start then the one available longest (lowest
index on a tie) takes the order. A top whose duty interval ended by L is moved on to
its next interval first (its new since is that interval's start); every other entry
is either on duty at L or later than the top, so the top is right without looking
further. At the start time every order arrived by then joins the queue and the queue's
first order starts. So the cost per order is O(log roster) (plus O(log roster) per
duty interval that passes while its technician waits), and O(log queue) for keyed
queues.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from collections.abc import Callable

import numpy as np

#: The helpers :func:`_loop` calls; compiled with it (see :func:`_compile`).
_HELPERS = ("_tech_sift_down", "_order_push", "_order_pop", "_duty_since")


def _tech_sift_down(heap: np.ndarray, since: np.ndarray, n: int, pos: int) -> None:
    """Restore the heap below ``pos`` after since[heap[pos]] grew (key: since, index)."""
    item = heap[pos]
    key = since[item]
    while True:
        child = 2 * pos + 1
        if child >= n:
            break
        other = child + 1
        if other < n and (since[heap[other]] < since[heap[child]] or (
                since[heap[other]] == since[heap[child]] and heap[other] < heap[child])):
            child = other
        c = heap[child]
        if since[c] < key or (since[c] == key and c < item):
            heap[pos] = c
            pos = child
        else:
            break
    heap[pos] = item


def _order_push(heap: np.ndarray, keys: np.ndarray, n: int, order: int) -> int:
    """Push ``order`` on the queue heap of size n (key: keys[order], order); new size."""
    pos = n
    key = keys[order]
    while pos > 0:
        parent = (pos - 1) // 2
        p = heap[parent]
        if keys[p] < key or (keys[p] == key and p < order):
            break
        heap[pos] = p
        pos = parent
    heap[pos] = order
    return n + 1


def _order_pop(heap: np.ndarray, keys: np.ndarray, n: int) -> int:
    """Remove and return the first order of the queue heap of size n (> 0)."""
    first = heap[0]
    n -= 1
    if n == 0:
        return first
    item = heap[n]
    key = keys[item]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= n:
            break
        other = child + 1
        if other < n and (keys[heap[other]] < keys[heap[child]] or (
                keys[heap[other]] == keys[heap[child]] and heap[other] < heap[child])):
            child = other
        c = heap[child]
        if keys[c] < key or (keys[c] == key and c < item):
            heap[pos] = c
            pos = child
        else:
            break
    heap[pos] = item
    return first


def _duty_since(begin: np.ndarray, end: np.ndarray, pointer: np.ndarray, r: int, i: int,
                t: float) -> float:
    """The first moment at or after t when technician i is on duty (+inf: never again).

    Moves its duty pointer to the first interval ending after t.
    """
    p = pointer[i]
    while end[r, i, p] <= t:
        p += 1
    pointer[i] = p
    return max(t, begin[r, i, p])


def _loop(arrival: np.ndarray, work: np.ndarray, keys: np.ndarray, fifo: bool,
          offsets: np.ndarray, begin: np.ndarray, end: np.ndarray, horizon: float,
          start: np.ndarray, finish: np.ndarray, technician: np.ndarray) -> None:
    """Replication r's orders are arrival[offsets[r]:offsets[r + 1]] (and so on).

    ``keys`` orders the queue unless ``fifo`` (then arrival order). Writes start,
    finish and technician of each order started (finished) before the horizon.
    """
    reps, roster = begin.shape[0], begin.shape[1]
    since = np.empty(roster)
    pointer = np.zeros(roster, np.int64)
    heap = np.empty(roster, np.int64)
    queue = np.empty(max(arrival.size, 1), np.int64)
    for r in range(reps):
        pointer[:] = 0
        for i in range(roster):
            since[i] = _duty_since(begin, end, pointer, r, i, -np.inf)
        heap[:] = np.argsort(since, kind="mergesort")  # sorted by (since, index): a heap
        head, last = offsets[r], offsets[r + 1]  # next order to admit; end of the orders
        first, queued = head, 0  # FIFO: the queue is [first, head); else `queued` in heap
        lower = -np.inf
        while True:
            if queued == 0:
                if head == last or arrival[head] >= horizon:
                    break
                lower = max(lower, arrival[head])
            while True:  # the top technician, moved on if its duty ended by `lower`
                i = heap[0]
                p = pointer[i]
                if end[r, i, p] > lower:
                    break
                _duty_since(begin, end, pointer, r, i, lower)
                since[i] = begin[r, i, pointer[i]]  # on duty (and waiting) from then
                _tech_sift_down(heap, since, roster, 0)
            s = max(since[i], lower)
            if s >= horizon:
                break
            while head < last and arrival[head] <= s:
                if not fifo:
                    _order_push(queue, keys, queued, head)
                head += 1
                queued += 1
            if fifo:
                k = first
                first += 1
            else:
                k = _order_pop(queue, keys, queued)
            queued -= 1
            start[k] = s
            technician[k] = i
            done = s + work[k]
            if done < horizon:
                finish[k] = done
            since[i] = _duty_since(begin, end, pointer, r, i, done)
            _tech_sift_down(heap, since, roster, 0)
            lower = s


@functools.cache
def _compile() -> Callable[..., None] | None:
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(cache=True, nogil=True)
    # _loop finds its helpers among this module's globals when numba compiles it, so
    # the compiled helpers take the plain ones' place (they are callable from Python
    # too and give the same numbers; each keeps the original as .py_func)
    for name in _HELPERS:
        if not hasattr(globals()[name], "py_func"):
            globals()[name] = jit(globals()[name])
    return jit(_loop)


def available() -> bool:
    """Whether :func:`compiled` would give the compiled loop (numba installed, not off).

    Cheap: looks numba up without importing it.
    """
    return not os.environ.get("CAPSIM_NO_NUMBA") and importlib.util.find_spec("numba") is not None


def compiled() -> Callable[..., None] | None:
    """The compiled loop, or None when numba is missing or switched off.

    Set ``CAPSIM_NO_NUMBA=1`` to use the numpy version even with numba installed.
    """
    if os.environ.get("CAPSIM_NO_NUMBA"):
        return None
    kernel = _compile()
    if kernel is None:
        return None

    def run(*args: object) -> None:
        with warnings.catch_warnings():  # a read-only install cannot cache: it recompiles
            warnings.filterwarnings("ignore", module="numba")
            kernel(*args)

    return run


def interpreted() -> Callable[..., None]:
    """The loop as plain Python (what numba compiles): slow, the same numbers."""
    return _loop
