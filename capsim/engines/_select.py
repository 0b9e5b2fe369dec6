"""Exact order statistics and numpy's percentiles, without sorting: the compiled reductions'.

:mod:`capsim.engines._reduce` computes each replication's lead-time percentiles, of the
whole floor and of each class, as ``np.percentile`` does (the linear rule), bit for
bit. The order statistics that rule reads are selected through buckets of the values
(:func:`_ranked`), for every group from one bucketing (:func:`_group_percentiles`).
Plain Python that numba compiles in place (:func:`compile_helpers`, as
:mod:`capsim.engines._stockloop`'s helpers); ``tests/test_reduce.py`` checks them against
numpy on awkward inputs.
"""

from __future__ import annotations

import numpy as np

from capsim.engines import _kernel

#: The percentiles computed (as fractions), in the order of ``_reduce.ORDER_COLUMNS``.
PERCENTILES = (0.5, 0.9, 0.95, 0.99)
_HELPERS = ("_ranked", "_ranks", "_combine", "_percentiles", "_group_percentiles")


def _percentiles(values: np.ndarray, out: np.ndarray) -> None:
    """``np.percentile(values, 100 q)`` for each q of PERCENTILES, as numpy computes it.

    The order statistics numpy's linear rule reads (:func:`_ranks`) come from
    :func:`_ranked`, not from a sort; :func:`_combine` interpolates between them.
    """
    n = values.size
    if n == 0:
        out[:] = np.nan
        return
    ranks = np.empty(2 * len(PERCENTILES), np.int64)
    _ranks(n, ranks)
    ordered = np.empty(ranks.size)
    _ranked(values, ranks, ordered)
    _combine(n, ordered, out)


def _ranks(n: int, ranks: np.ndarray) -> None:
    """The order statistics numpy's linear rule reads for PERCENTILES, of n > 0 values.

    Virtual index (n − 1)·q: ranks[2i] its floor, ranks[2i + 1] the next (both at most
    n − 1).
    """
    for i in range(len(PERCENTILES)):
        low = min(int(np.floor((n - 1) * PERCENTILES[i])), n - 1)
        ranks[2 * i], ranks[2 * i + 1] = low, min(low + 1, n - 1)


def _combine(n: int, ordered: np.ndarray, out: np.ndarray) -> None:
    """The percentiles from the order statistics of :func:`_ranks`, as numpy computes them.

    Between a = x[floor] and b = x[floor + 1] with gamma = the fraction, a + (b − a)·gamma
    (b − (b − a)·(1 − gamma) from gamma = 0.5 on); the last value from n − 1 on.
    """
    for i in range(len(PERCENTILES)):
        virtual = (n - 1) * PERCENTILES[i]
        if virtual >= n - 1:
            out[i] = ordered[2 * i]
            continue
        previous = np.floor(virtual)
        a, b = ordered[2 * i], ordered[2 * i + 1]
        gamma = virtual - previous
        diff = b - a
        out[i] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def _group_percentiles(values: np.ndarray, group: np.ndarray, out: np.ndarray) -> None:
    """out[g] = :func:`_percentiles` of group g's values, all groups from one bucketing.

    Group 0 is every value; with more rows than one, ``group[k]`` (>= 1) is value k's
    other row. As :func:`_ranked`'s first step, but for every group at once: the values go
    to buckets by a monotone function of the value over the whole range, each group
    counts its own, and only the values in a bucket holding one of a group's wanted ranks
    are kept for that group, whose order statistics :func:`_ranked` then finds among them
    (the rank among the kept: those kept in lower buckets, plus the rank within its
    bucket). The order statistics are the values a sort puts there whatever the buckets,
    so the percentiles are :func:`_percentiles`' bit for bit.
    """
    groups, n, wanted_ranks = out.shape[0], values.size, 2 * len(PERCENTILES)
    low = high = values[0] if n > 0 else 0.0
    for k in range(1, n):  # min and max in one pass
        low, high = min(low, values[k]), max(high, values[k])
    buckets = n // 8
    scale = buckets / (high - low) if high > low else 0.0
    if n <= 512 or not np.isfinite(scale) or scale == 0.0:
        for g in range(groups):
            _percentiles(values if g == 0 else values[group == g], out[g])
        return
    below = np.zeros((groups, buckets + 1), np.int64)  # below[g, b]: g's values in buckets < b
    for k in range(n):
        b = int(min((values[k] - low) * scale, buckets - 1.0))
        below[0, b + 1] += 1
        if groups > 1:
            below[group[k], b + 1] += 1
    ranks, home = np.empty((groups, wanted_ranks), np.int64), np.empty(wanted_ranks, np.int64)
    kept = np.zeros((groups, buckets + 1), np.int64)  # kept[g, b]: g's kept in buckets < b
    wanted = np.zeros((groups, buckets), np.bool_)
    size = np.empty(groups, np.int64)  # each group's values: all its buckets'
    for g in range(groups):
        for b in range(buckets):
            below[g, b + 1] += below[g, b]
        size[g] = below[g, buckets]
        if size[g] == 0:
            continue
        _ranks(size[g], ranks[g])
        home[:] = np.searchsorted(below[g], ranks[g], side="right") - 1
        wanted[g, home] = True
        for b in range(buckets):
            kept[g, b + 1] = kept[g, b] + (below[g, b + 1] - below[g, b] if wanted[g, b] else 0)
        for i in range(wanted_ranks):
            ranks[g, i] = kept[g, home[i]] + ranks[g, i] - below[g, home[i]]
    first = np.zeros(groups + 1, np.int64)  # group g's kept values: [first[g], first[g + 1])
    for g in range(groups):
        first[g + 1] = first[g] + kept[g, buckets]
    fill, chosen = first[:groups].copy(), np.empty(first[groups])
    for k in range(n):
        b = int(min((values[k] - low) * scale, buckets - 1.0))
        if wanted[0, b]:
            chosen[fill[0]] = values[k]
            fill[0] += 1
        if groups > 1 and wanted[group[k], b]:
            chosen[fill[group[k]]] = values[k]
            fill[group[k]] += 1
    ordered = np.empty(wanted_ranks)
    for g in range(groups):
        if size[g] == 0:
            out[g] = np.nan
            continue
        _ranked(chosen[first[g]:first[g + 1]], ranks[g], ordered)
        _combine(size[g], ordered, out[g])


def _ranked(values: np.ndarray, ranks: np.ndarray, out: np.ndarray) -> None:
    """out[i] = the ranks[i]-th smallest of values (NaN-free), the value a sort puts there.

    The values go to buckets by a monotone function of the value (a bucket's values
    are at most the next bucket's), and only the buckets holding a wanted rank are
    kept, again and again (skewed values: a wide range, most in a narrow part); the
    few left are sorted.
    """
    current, rank = values, ranks.copy()
    while True:
        n = current.size
        low, high = current.min(), current.max()
        buckets = n // 8
        scale = buckets / (high - low) if high > low else 0.0
        if n <= 512 or not np.isfinite(scale) or scale == 0.0:
            break
        bucket = np.minimum((current - low) * scale, buckets - 1).astype(np.int64)
        below = np.zeros(buckets + 1, np.int64)  # below[b]: the values in buckets < b
        for b in bucket:
            below[b + 1] += 1
        below = np.cumsum(below)
        wanted = np.zeros(buckets, np.bool_)
        home = np.searchsorted(below, rank, side="right") - 1
        wanted[home] = True
        kept = np.cumsum(np.where(wanted, below[1:] - below[:-1], 0))  # kept in buckets <= b
        if kept[-1] == n:
            break
        rank = kept[home] - (below[home + 1] - rank)
        current = current[wanted[bucket]]
    ordered = np.sort(current)
    for i in range(rank.size):
        out[i] = ordered[rank[i]]


def compile_helpers() -> None:
    """Compile this module's functions in place (numba resolves their calls here)."""
    _kernel.compile_helpers(globals(), _HELPERS)
