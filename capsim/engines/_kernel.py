"""The fast engine's dynamics as one compiled loop, for every dispatch rule.

numba (``pip install "capsim[fast]"``) compiles :func:`_loop` and its heap helpers on
first use and caches the machine code on disk, so later processes load it in a fraction
of a second. Without numba the same functions run as plain Python (slow, but the same
numbers bit for bit); :mod:`capsim.engines.vectorized` then uses numpy steps for FIFO.

The loop is the reference engine's rule (:mod:`capsim.engines.simpy_model`) written as
a sequence of decisions. Per replication it keeps

- the technicians in a binary heap of (available since, index), where available
  since = max(last finish, start of the duty interval holding it) is also the earliest
  moment the technician can start (its *duty pointer* marks that interval);
- the queued orders: a range of indices under FIFO, else a heap of
  (due time or class priority, arrival index).

Each decision has a lower bound L, the moment the last order started or, when the
queue is empty, the next arrival. The heap's top is the winner: a technician can start
at max(since, L), and among those who can start then the one available longest (lowest
index on a tie) takes the order. A top whose duty interval ended by L is moved on to
its next interval first (its new since is that interval's start); every other entry
is either on duty at L or later than the top, so the top is right without looking
further. At the start time every order arrived by then joins the queue and the queue's
first order starts (orders whose patience ran out are dropped as they come up: they
left at arrival + patience, and nothing they did changed anything else). So the cost
per order is O(log roster) (plus O(log roster) per duty interval that passes while its
technician waits), and O(log queue) for keyed queues.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
import warnings
from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal

import numpy as np

#: The helpers :func:`_loop` calls; compiled with it (see :func:`_compile`).
_HELPERS = ("_sift_down", "_sift_up", "_duty_since", "_first_on_duty")


def _sift_down(key: np.ndarray, item: np.ndarray, n: int, k: float, x: int) -> None:
    """Put (k, x) at the root of the heap of size n and restore the heap.

    The heap holds pairs (key[j], item[j]), smallest first, ties by the smaller item;
    keys sit in the heap's own array, so that comparisons read memory in order. The
    hole left at the root first sinks along the smaller children to a leaf, then (k, x)
    rises from there (Floyd's bottom-up variant: a finishing technician's new key is
    usually among the largest, so it rises little, and half the comparisons go).
    """
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= n:
            break
        other = child + 1
        if other < n and (key[other] < key[child] or (
                key[other] == key[child] and item[other] < item[child])):
            child = other
        key[pos], item[pos] = key[child], item[child]
        pos = child
    _sift_up(key, item, pos, k, x)


def _sift_up(key: np.ndarray, item: np.ndarray, n: int, k: float, x: int) -> None:
    """Let (k, x) rise from the hole at n: at the end, it adds to a heap of size n.

    :func:`_sift_down` ends with the same rise, from the leaf its hole sank to.
    """
    pos = n
    while pos > 0:
        parent = (pos - 1) // 2
        if key[parent] < k or (key[parent] == k and item[parent] < x):
            break
        key[pos], item[pos] = key[parent], item[parent]
        pos = parent
    key[pos], item[pos] = k, x


def _bisect_right(values: np.ndarray, lo: int, hi: int, x: float) -> int:
    """The first index in [lo, hi) of sorted ``values`` holding more than x (hi: none).

    Python's ``bisect_right``; numba's ``np.searchsorted`` on a slice costs far more.
    """
    while lo < hi:
        middle = (lo + hi) // 2
        if x < values[middle]:
            hi = middle
        else:
            lo = middle + 1
    return lo


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


def _first_on_duty(tech_key: np.ndarray, tech: np.ndarray, begin: np.ndarray,
                   end: np.ndarray, pointer: np.ndarray, r: int, lower: float,
                   staying: np.ndarray) -> int:
    """The technician heap's top, once it is on duty after ``lower`` or ``staying``.

    A top whose duty interval ended by ``lower`` moves on to its next interval (on duty,
    and waiting, from that interval's start) and sinks to its place; every other entry
    is on duty at ``lower`` or later than the top (see the module docstring). A top
    deciding on overtime (:mod:`capsim.engines._jobloop`; ``staying``) is the caller's.
    """
    roster = tech.size
    while True:
        i = tech[0]
        if staying[i] or end[r, i, pointer[i]] > lower:
            return int(i)
        _duty_since(begin, end, pointer, r, i, lower)
        _sift_down(tech_key, tech, roster, begin[r, i, pointer[i]], i)


def _loop(arrival: np.ndarray, work: np.ndarray, deadline: np.ndarray, keys: np.ndarray,
          fifo: bool,
          offsets: np.ndarray, begin: np.ndarray, end: np.ndarray, horizon: float,
          start: np.ndarray, finish: np.ndarray, technician: np.ndarray,
          sequence: np.ndarray) -> None:
    """Replication r's orders are arrival[offsets[r]:offsets[r + 1]] (and so on).

    ``keys`` orders the queue unless ``fifo`` (then arrival order); an order still
    queued after its ``deadline`` (arrival + patience; +inf: never) leaves unserved
    when its turn comes (the reference engine drops it then too). Writes start,
    finish and technician of each order started (finished) before the horizon, and
    in ``sequence[offsets[r]:]`` the orders of replication r in the order they started.
    """
    reps, roster = begin.shape[0], begin.shape[1]
    pointer = np.zeros(roster, np.int64)
    since = np.empty(roster)
    tech_key, tech = np.empty(roster), np.empty(roster, np.int64)  # technician heap
    size = max(arrival.size, 1)
    queue_key, queue = np.empty(size), np.empty(size, np.int64)  # order heap (not FIFO)
    staying = np.zeros(roster, np.bool_)  # nobody works overtime here (see _jobloop)
    for r in range(reps):
        pointer[:] = 0
        for i in range(roster):
            since[i] = _duty_since(begin, end, pointer, r, i, -np.inf)
        tech[:] = np.argsort(since, kind="mergesort")  # sorted by (since, index): a heap
        tech_key[:] = since[tech]
        head, last = offsets[r], offsets[r + 1]  # next order to admit; end of the orders
        first, queued = head, 0  # FIFO: the queue is [first, head); else `queued` in heap
        lower = -np.inf
        started = head
        while True:
            if queued == 0:
                if head == last or arrival[head] >= horizon:
                    break
                lower = max(lower, arrival[head])
            i = _first_on_duty(tech_key, tech, begin, end, pointer, r, lower, staying)
            s = max(tech_key[0], lower)
            if s >= horizon:
                break
            while head < last and arrival[head] <= s:
                if not fifo:
                    _sift_up(queue_key, queue, queued, keys[head], head)
                head += 1
                queued += 1
            k = -1
            while queued > 0:  # the queue's first order still waiting at s
                queued -= 1
                if fifo:
                    k = first
                    first += 1
                else:
                    k = queue[0]
                    if queued > 0:
                        _sift_down(queue_key, queue, queued, queue_key[queued], queue[queued])
                if s <= deadline[k]:
                    break
                k = -1  # its patience ran out: it left, unserved
            if k < 0:
                continue  # nobody to serve: the technicians wait for the next arrival
            start[k] = s
            technician[k] = i
            sequence[started] = k
            started += 1
            done = s + work[k]
            if done < horizon:
                finish[k] = done
            _sift_down(tech_key, tech, roster, _duty_since(begin, end, pointer, r, i, done), i)
            lower = s


#: The helpers called per order or per decision, which the loops inline (see
#: :func:`compile_helpers`): the technician heap and the duty pointers.
INLINED = ("_sift_down", "_sift_up", "_duty_since", "_first_on_duty")


def compile_helpers(namespace: dict[str, Any], helpers: Sequence[str],
                    inline: Collection[str] = ()) -> None:
    """Compile a module's ``helpers`` in place; those in ``inline`` to be inlined.

    A helper in ``inline`` is compiled with numba's ``inline="always"``: numba puts its
    code into each caller before the caller is optimised (the same operations in the
    same order, so the same numbers bit for bit). LLVM inlines the calls anyway, yet
    the loops run faster so: the job loop on Stutterfly's jobs 3.03 and 2.86 ms per
    replication against 3.70 and 4.21 (two runs, medians of 10 rounds alternated in
    one process), the M/M/10 recursion 58.7 against 78.2 ns per customer (medians of
    5 alternated pairs of processes). Inlining costs compile time, once (then numba's
    cache serves), so only the helpers called per order are inlined: a cold first
    Stutterfly run took 86 s against 69 s; with every helper of the job loop inlined
    (the stock's too) it took 178 s. Every helper stays callable from Python and keeps
    the plain function as ``.py_func``.
    """
    import numba

    for name in helpers:
        if not hasattr(namespace[name], "py_func"):
            how: Literal["always", "never"] = "always" if name in inline else "never"
            namespace[name] = numba.njit(cache=True, nogil=True, inline=how)(namespace[name])


#: numba's dispatcher of each loop compiled in this process, by ``module.entry``: the
#: signatures :mod:`capsim.engines._aot` builds ahead of time.
DISPATCHERS: dict[str, Any] = {}


def compile_loop(namespace: dict[str, Any], helpers: tuple[str, ...], entry: str = "_loop",
                 inline: Collection[str] = (), prepare: Callable[[], None] | None = None
                 ) -> Callable[..., None] | None:
    """``namespace[entry]`` (``_loop``) compiled, run quietly; None without numba.

    Built ahead of time when :mod:`capsim.engines._aot` built it for these sources (numba
    not imported; numba's loop, compiled then, for arguments of types it was not built
    for); else compiled by numba. ``_loop`` finds its helpers among its module's globals
    when numba compiles it, so the compiled helpers take the plain ones' place in
    ``namespace`` (they are callable from Python too and give the same numbers; each
    keeps the original as ``.py_func``; those in ``inline`` are inlined, see
    :func:`compile_helpers`), after ``prepare`` (numba's path only) has compiled what
    they call elsewhere. numba's loop runs with its warnings silenced: a read-only
    install cannot cache, and recompiles. Every compiled module's loop is built here.
    """
    from capsim.engines import _aot

    def jit() -> Callable[..., None] | None:
        return _jit_loop(namespace, helpers, entry, inline, prepare)

    built = _aot.variants(namespace["__name__"].rsplit(".", 1)[-1], entry)
    return _aot.runner(built, functools.cache(jit), namespace[entry]) if built else jit()


def _jit_loop(namespace: dict[str, Any], helpers: tuple[str, ...], entry: str,
              inline: Collection[str], prepare: Callable[[], None] | None
              ) -> Callable[..., None] | None:
    try:
        import numba
    except ImportError:
        return None
    from capsim.engines import _numba_cache

    _numba_cache.install()  # the cache is keyed on every compiled module's source
    if prepare is not None:
        prepare()
    compile_helpers(namespace, helpers, inline)
    kernel = numba.njit(cache=True, nogil=True)(namespace[entry])
    DISPATCHERS[f"{namespace['__name__']}.{entry}"] = kernel

    def run(*args: object) -> None:
        # catch_warnings swaps the process-wide filters, which is not thread-safe: on a
        # thread pool's threads (capsim.executors.ThreadPool) the loop runs as is. numba
        # warns only when it compiles, which the first replications do in the main
        # thread before any pool starts.
        if threading.current_thread() is not threading.main_thread():
            kernel(*args)
            return
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="numba")
            kernel(*args)

    return run


def prepare_jit() -> None:
    """Compile this module's helpers for numba (other modules' loops call them)."""
    compile_helpers(globals(), _HELPERS, INLINED)


@functools.cache
def _compile() -> Callable[..., None] | None:
    return compile_loop(globals(), _HELPERS, inline=INLINED)


def available() -> bool:
    """Whether :func:`compiled` would give a compiled loop (built, or numba; not off).

    Cheap: looks numba up without importing it.
    """
    from capsim.engines import _aot

    return not os.environ.get("CAPSIM_NO_NUMBA") and (
        importlib.util.find_spec("numba") is not None or bool(_aot.variants("_kernel", "_loop")))


def compiled() -> Callable[..., None] | None:
    """The compiled loop (built ahead of time, or numba's), or None: neither, or off.

    Set ``CAPSIM_NO_NUMBA=1`` to use the numpy version even with numba installed.
    """
    if os.environ.get("CAPSIM_NO_NUMBA"):
        return None
    return _compile()


def interpreted() -> Callable[..., None]:
    """The loop as plain Python (what numba compiles): slow, the same numbers."""
    return _loop
