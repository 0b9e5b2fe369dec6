"""The fast engine's recursion as a compiled loop, when numba is installed.

numba (``pip install "capsim[fast]"``) compiles :func:`recursion` on first use and
caches the machine code on disk, so later processes load it in a fraction of a
second. The loop follows the rule documented in :mod:`capsim.engines.vectorized`
step by step; without numba that module's numpy version runs instead, with the same
results bit for bit.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from collections.abc import Callable

import numpy as np


def _loop(arrival: np.ndarray, work: np.ndarray, offsets: np.ndarray, begin: np.ndarray,
          end: np.ndarray, horizon: float, start: np.ndarray, finish: np.ndarray,
          technician: np.ndarray) -> None:  # pragma: no cover - compiled by numba
    """Replication r's orders are arrival[offsets[r]:offsets[r + 1]] (and so on)."""
    reps, roster = begin.shape[0], begin.shape[1]
    free = np.empty(roster)
    pointer = np.empty(roster, np.int64)
    for r in range(reps):
        free[:] = -np.inf
        pointer[:] = 0
        for k in range(offsets[r], offsets[r + 1]):
            a = arrival[k]
            if a >= horizon:
                break
            best_can = np.inf
            best_since = np.inf
            best = -1
            for i in range(roster):
                t = max(a, free[i])
                p = pointer[i]
                while end[r, i, p] <= t:
                    p += 1
                pointer[i] = p
                opens = begin[r, i, p]
                can = max(t, opens)
                since = max(free[i], opens)
                if can < best_can or (can == best_can and since < best_since):
                    best_can = can
                    best_since = since
                    best = i
            if best_can >= horizon:
                break
            start[k] = best_can
            technician[k] = best
            done = best_can + work[k]
            free[best] = done
            if done < horizon:
                finish[k] = done


@functools.cache
def _compile() -> Callable[..., None] | None:
    try:
        import numba
    except ImportError:
        return None
    return numba.njit(cache=True, nogil=True)(_loop)


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
