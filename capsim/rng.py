"""The seed tree: one root seed, one child per replication, one named stream per purpose.

Replication ``r`` of an experiment with seed ``s`` uses
``SeedSequence(s, spawn_key=(r,))``, the same child that
``SeedSequence(s).spawn(r + 1)[r]`` gives; within it each purpose has its own
stream, and each technician has streams of their own. A technician's draws
therefore do not depend on how many other technicians there are, and an order's
draws do not depend on the roster: common random numbers across rosters come
for free. Results depend only on (seed, replication), never on which process or
machine ran the replication.

The purpose numbers below are part of the reproducibility contract: never
renumber them, only add new ones.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

#: Stream numbers of the replication-level purposes.
PURPOSES: dict[str, int] = {
    "arrivals": 0,
    "classes": 1,
    "work": 2,
    "forecast": 3,
    "batches": 4,
    "outbreaks": 5,
    "technicians": 6,
    "stress": 7,
    "patience": 8,
    "quality": 9,
    "returns": 10,
    "holds": 11,  # who needs an answer from the customer (capsim.followups.holds)
    "hold_response": 12,  # how long the answer takes
    "float_pool": 16,  # policies (16 on), apart from the order side's purposes
    "station_failures": 24,  # equipment (24 on): each station's times between failures
    "station_repairs": 25,  # and its repair times (capsim.equipment)
    # supplies (30 on), one stream per supply under each (supply_stream)
    "consumption": 30,  # units each order uses
    "lead_times": 31,  # the lead times of replenishment orders 0, 1, 2, ... (and backup's)
    "supplier_outages": 32,  # the random outages of each supply's primary supplier
}

#: Sources of orders, each with streams of its own for per-order draws (patience,
#: quality, returns, holds, hold_response):
#: so that a batch or a stress event never changes the draws of other orders.
ORDER_SOURCES: dict[str, int] = {"base": 0, "batch": 1, "stress": 2}

#: Stream numbers of each technician's purposes (under ``technicians``).
TECHNICIAN_PURPOSES: dict[str, int] = {
    "vacation": 0,
    "absence": 1,
    "outbreak": 2,
}


# numpy's SeedSequence (numpy/random/bit_generator.pyx), written out for one purpose:
# the PCG64 state of SeedSequence(seed, spawn_key=key) for a non-empty key, with the mixing
# of every key prefix kept, so that a stream costs the mixing of its last key element and
# the state's output. The hash constants do not depend on the data (the k-th hashmix
# multiplies by INIT_A * MULT_A**(k + 1)), so they are tables. A replication's ~50 streams
# (one per technician and purpose) cost about a third of numpy's SeedSequence objects,
# built and hashed from the start for each. tests/test_rng.py checks the states against
# numpy's for random seeds and keys.
_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4  # numpy's DEFAULT_POOL_SIZE
_HASH_A = [_INIT_A]  # _HASH_A[k]: the hash constant before the k-th hashmix (+ 1: after)
for _ in range(256):  # seeds and keys of up to about 60 words of 32 bits; longer: a copy
    _HASH_A.append(_HASH_A[-1] * _MULT_A & _MASK)
_HASH_B = [_INIT_B * _MULT_B**i & _MASK for i in range(2 * _POOL + 1)]  # generate_state's


def _hash_a(k: int) -> list[int]:
    """The table of hash constants, long enough for the k-th hashmix.

    A longer one is a copy (the shared table never changes: threads share it).
    """
    if k + 1 < len(_HASH_A):
        return _HASH_A
    table = list(_HASH_A)
    while len(table) <= k + 1:
        table.append(table[-1] * _MULT_A & _MASK)
    return table


def _words(value: int) -> list[int]:
    """The 32-bit words numpy makes of a non-negative int, least significant first.

    numpy integers become Python ints first (their products would wrap around).
    """
    value = int(value)
    if value < 0:
        raise ValueError(f"seeds and stream keys are non-negative integers, not {value}")
    words = [value & _MASK]
    value >>= 32
    while value:
        words.append(value & _MASK)
        value >>= 32
    return words


def _hashmix(value: int, k: int) -> int:
    """The k-th call of numpy's hashmix."""
    a = _hash_a(k)
    value = (value ^ a[k]) * a[k + 1] & _MASK
    return value ^ value >> 16


def _mix(x: int, y: int) -> int:
    value = (_MIX_L * x - _MIX_R * y) & _MASK
    return value ^ value >> 16


def _absorb(pool: list[int], k: int, word: int) -> int:
    """Mix one more entropy word into every pool word (mix_entropy's last loop); next k.

    hashmix and mix written out (the hot path of :func:`_state`).
    """
    a = _hash_a(k + _POOL)
    for d in range(_POOL):
        value = (word ^ a[k + d]) * a[k + d + 1] & _MASK
        value = (_MIX_L * pool[d] - _MIX_R * (value ^ value >> 16)) & _MASK
        pool[d] = value ^ value >> 16
    return k + _POOL


@functools.lru_cache(maxsize=1024)
def _mixed(seed: int, prefix: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The pool, and the hashmix calls so far, once the seed and ``prefix`` are in."""
    if prefix:
        pool_words, k = _mixed(seed, prefix[:-1])
        pool = list(pool_words)
        for word in _words(prefix[-1]):
            k = _absorb(pool, k, word)
        return tuple(pool), k
    entropy = _words(seed)
    entropy += [0] * (_POOL - len(entropy))  # a spawn key follows: numpy pads the seed
    pool = [_hashmix(entropy[i], i) for i in range(_POOL)]
    k = _POOL
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], _hashmix(pool[src], k))
                k += 1
    for word in entropy[_POOL:]:
        k = _absorb(pool, k, word)
    return tuple(pool), k


def _state(seed: int, key: tuple[int, ...]) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)`` (key not empty)."""
    pool_words, k = _mixed(seed, key[:-1])
    pool = list(pool_words)
    for word in _words(key[-1]):
        k = _absorb(pool, k, word)
    state, hb = [], _HASH_B
    for i in range(0, 2 * _POOL, 2):  # generate_state: 32-bit words, little-endian pairs
        low = (pool[i % _POOL] ^ hb[i]) * hb[i + 1] & _MASK
        high = (pool[(i + 1) % _POOL] ^ hb[i + 1]) * hb[i + 2] & _MASK
        state.append(low ^ low >> 16 | (high ^ high >> 16) << 32)
    return np.array(state, np.uint64)


class _Seeded(ISeedSequence):
    """The seed sequence a stream's PCG64 is made from, its state worked out by :func:`_state`.

    Other sizes of state go to numpy's SeedSequence of the same seed and key; it does not
    spawn (nothing in capsim spawns from a stream).
    """

    def __init__(self, seed: int, key: tuple[int, ...]) -> None:
        self.seed, self.key = seed, key

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words == _POOL and np.dtype(dtype) == np.uint64:  # what PCG64 asks for
            return _state(self.seed, self.key)
        sequence = np.random.SeedSequence(self.seed, spawn_key=self.key)
        return sequence.generate_state(n_words, dtype)


def _generator(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    """``Generator(PCG64(SeedSequence(seed, spawn_key=key)))``, the same stream, faster."""
    # numpy takes any ISeedSequence (BitGenerator.__init__); its stubs name SeedSequence only
    return np.random.Generator(np.random.PCG64(_Seeded(seed, key)))  # type: ignore[arg-type]


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose of one replication.

    Parameters
    ----------
    seed : int
        The experiment's root seed (>= 0).
    replication : int
        Replication index (>= 0).
    purpose : str
        One of :data:`PURPOSES`.
    """
    return _generator(seed, (replication, PURPOSES[purpose]))


def stress_stream(seed: int, replication: int, event: int) -> np.random.Generator:
    """The generator of one stress event (by its index in the scenario) in one replication."""
    return _generator(seed, (replication, PURPOSES["stress"], event))


def supply_stream(seed: int, replication: int, purpose: str,
                  supply: int) -> np.random.Generator:
    """The generator of one purpose of one supply (by its index in ``[[supplies]]``).

    A supply's draws do not depend on the other supplies (adding one changes nothing
    for the rest), nor on the roster.
    """
    return _generator(seed, (replication, PURPOSES[purpose], supply))


def technician_stream(
    seed: int, replication: int, technician: int, purpose: str
) -> np.random.Generator:
    """The generator for one purpose of one technician in one replication."""
    key = (replication, PURPOSES["technicians"], technician, TECHNICIAN_PURPOSES[purpose])
    return _generator(seed, key)


def station_stream(seed: int, replication: int, station: int,
                   purpose: str) -> np.random.Generator:
    """The generator of one purpose (failures or repairs) of one workstation.

    A station's k-th time between failures and k-th repair do not depend on the number of
    stations, on the repair crew or on the roster.
    """
    return _generator(seed, (replication, PURPOSES[purpose], station))


def order_stream(seed: int, replication: int, purpose: str, source: str,
                 index: int = 0) -> np.random.Generator:
    """The generator of one purpose for the orders of one source (see :data:`ORDER_SOURCES`).

    ``index`` tells batches and stress events apart (their index in the scenario).
    """
    return _generator(seed, (replication, PURPOSES[purpose], ORDER_SOURCES[source], index))
