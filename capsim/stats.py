"""Confidence intervals over replications.

- Means: Student t intervals, mean ± t(1 − α/2, R − 1) · s / √R, where the
  replications are independent by construction (separate seeds).
- Shares of replications (e.g. the chance that a season meets its target):
  Wilson score intervals, which stay inside [0, 1] and behave at 0 % and 100 %.

NaN values (a KPI with nothing to measure in a replication) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special  # stdtrit and ndtri: the t and normal quantiles, without scipy.stats


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval.

    Attributes
    ----------
    mean : float
        The estimate (NaN when there were no values).
    ci_low, ci_high : float
        The interval's bounds (NaN when it cannot be computed, e.g. from one value).
    ci_level : float
        Its confidence level, e.g. 0.95.
    n : int
        How many values it rests on.
    """

    mean: float
    ci_low: float
    ci_high: float
    ci_level: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return (self.ci_high - self.ci_low) / 2

    def as_dict(self) -> dict[str, float]:
        """The contract's form: mean, ci_low, ci_high, ci_level."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "ci_level": self.ci_level}


def t_interval(values: np.ndarray, level: float = 0.95,
               bounds: tuple[float, float] = (-math.inf, math.inf)) -> Interval:
    """Student t confidence interval for the mean of independent values.

    ``bounds`` is the range the quantity lives in (e.g. [0, 1] for a share); the
    interval is clipped to it, which cannot exclude the true mean.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, level, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, level, 1)
    half = float(special.stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    low, high = bounds
    return Interval(mean, max(mean - half, low), min(mean + half, high), level, n)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, level, 0)
    z = float(special.ndtri(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), level, n)
