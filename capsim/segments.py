"""Reductions over segments: the values of many replications in one array, grouped.

``segment`` gives, for each value, the replication (0 .. count − 1) it belongs to;
values of one segment are contiguous and in order. Each function computes every
segment's result from that segment's values alone, exactly as for one array, so a
replication's numbers do not depend on which others share the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def per_segment(segment: np.ndarray, mask: np.ndarray, count: int,
                weights: np.ndarray | None = None) -> np.ndarray:
    """Per segment: how many values satisfy ``mask``, or the sum of their ``weights``."""
    chosen = None if weights is None else weights[mask]
    return np.bincount(segment[mask], chosen, minlength=count).astype(float)


def count_until(times: np.ndarray, segment: np.ndarray, count: int, hours: int) -> np.ndarray:
    """For each segment and each whole hour h = 0 .. hours − 1: how many times t <= h.

    Exact for any float: t <= h exactly when ceil(t) <= h; NaN never counts.
    """
    valid = ~np.isnan(times)
    bucket = np.clip(np.ceil(times[valid]), 0, hours).astype(np.int64)
    cells = np.bincount(segment[valid] * (hours + 1) + bucket, minlength=count * (hours + 1))
    return np.cumsum(cells.reshape(count, hours + 1)[:, :hours], axis=1)


def time_average_until(times: np.ndarray, segment: np.ndarray, count: int,
                       hours: int) -> np.ndarray:
    """For each segment and hour h: the average over [h, h + 1) of #{times t <= s}.

    A time t inside (h, h + 1) counts for the share h + 1 − t of hour h and fully
    from hour h + 1 on; the difference of two such averages (arrivals minus finishes)
    is the time-average of what lies between them. NaN never counts.
    """
    full = count_until(times, segment, count, hours)
    valid = ~np.isnan(times)
    t = times[valid]
    ceiling = np.ceil(t)
    share = ceiling - t  # in [0, 1): the part of the hour ceil(t) − 1 after t
    hour = ceiling - 1
    inside = (share > 0) & (hour >= 0) & (hour < hours)
    cells = segment[valid][inside] * hours + hour[inside].astype(np.int64)
    partial = np.bincount(cells, share[inside], minlength=count * hours)
    return full + partial.reshape(count, hours)


def segment_percentiles(values: np.ndarray, segment: np.ndarray, count: int,
                        percentiles: Sequence[float]) -> np.ndarray:
    """Percentiles of each segment, as ``np.percentile`` gives them; NaN for an empty one.

    One ``np.percentile`` per segment: a partial sort of that segment alone.
    """
    out = np.full((count, len(percentiles)), np.nan)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(segment, minlength=count))])
    for r in range(count):
        if bounds[r + 1] > bounds[r]:
            out[r] = np.percentile(values[bounds[r]:bounds[r + 1]], percentiles)
    return out
