"""Work-content distributions: sample with an explicit generator, know their mean and cv.

Parametrised by mean and coefficient of variation (cv = standard deviation / mean),
the way planners state them. All sample in minutes; callers convert units.

- fixed: every order takes ``mean`` (cv 0);
- exponential: cv 1;
- lognormal: sigma² = ln(1 + cv²), mu = ln(mean) − sigma² / 2;
- gamma: shape 1 / cv², scale mean · cv²;
- empirical: resampled with replacement from observed values.

Each also gives its survival function and limited mean E[min(X, x)], which the
offered-load formulas of :mod:`capsim.analytic` integrate exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from capsim.scenario.orders import Duration


def _special() -> Any:  # scipy is untyped
    """scipy.special, imported on first use.

    It costs about 0.2 s, and only the analytic paths (survival, limited mean) need it,
    not a simulation run.
    """
    from scipy import special

    return special


@dataclass(frozen=True)
class WorkDistribution:
    """A work-content distribution in minutes.

    Attributes
    ----------
    kind : str
        One of fixed, exponential, lognormal, gamma, empirical.
    mean : float
        Mean in minutes.
    cv : float
        Coefficient of variation.
    values : tuple of float
        The observed values (empirical only).
    """

    kind: str
    mean: float
    cv: float
    values: tuple[float, ...] = ()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` work contents in minutes."""
        if self.kind == "fixed":
            return np.full(n, self.mean)
        if self.kind == "exponential":
            return rng.exponential(self.mean, n)
        if self.kind == "lognormal":
            sigma2 = math.log1p(self.cv**2)
            return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), n)
        if self.kind == "gamma":
            return rng.gamma(1 / self.cv**2, self.mean * self.cv**2, n)
        if self.kind == "empirical":
            return rng.choice(np.asarray(self.values), n, replace=True)
        raise ValueError(f"unknown distribution {self.kind!r}")

    def second_moment(self) -> float:
        """E[X²] in minutes², for offered-load and M/G/c formulas."""
        return self.mean**2 * (1 + self.cv**2)

    def _lognormal(self) -> tuple[float, float]:
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    def survival(self, x: np.ndarray) -> np.ndarray:
        """P(X > x) for minutes x."""
        x = np.asarray(x, dtype=float)
        if self.kind == "fixed":
            return (x < self.mean).astype(float)
        if self.kind == "exponential":
            return np.asarray(np.exp(-np.maximum(x, 0.0) / self.mean))
        if self.kind == "lognormal":
            mu, sigma = self._lognormal()
            with np.errstate(divide="ignore"):
                return np.asarray(_special().ndtr(-(np.log(np.maximum(x, 0.0)) - mu) / sigma))
        if self.kind == "gamma":
            shape, scale = 1 / self.cv**2, self.mean * self.cv**2
            return np.asarray(_special().gammaincc(shape, np.maximum(x, 0.0) / scale))
        values = np.sort(np.asarray(self.values))
        return 1.0 - np.searchsorted(values, x, side="right") / values.size

    def limited_mean(self, x: np.ndarray) -> np.ndarray:
        """E[min(X, x)] = ∫₀ˣ P(X > s) ds for minutes x >= 0 (0 for x <= 0).

        Closed forms: lognormal E[X; X <= x] = mean·Φ((ln x − μ − σ²)/σ); gamma
        E[X; X <= x] = mean·P(k + 1, x/θ) (regularised incomplete gamma).
        """
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        if self.kind == "fixed":
            return np.asarray(np.minimum(x, self.mean))
        if self.kind == "exponential":
            return -self.mean * np.expm1(-x / self.mean)
        if self.kind == "lognormal":
            mu, sigma = self._lognormal()
            with np.errstate(divide="ignore"):
                below = self.mean * _special().ndtr((np.log(x) - mu - sigma**2) / sigma)
            return np.asarray(below + x * self.survival(x))
        if self.kind == "gamma":
            shape, scale = 1 / self.cv**2, self.mean * self.cv**2
            below = self.mean * _special().gammainc(shape + 1, x / scale)
            return np.asarray(below + x * self.survival(x))
        values = np.sort(np.asarray(self.values))
        below = np.concatenate([[0.0], np.cumsum(values)])
        count = np.searchsorted(values, x, side="right")
        return (below[count] + x * (values.size - count)) / values.size


def work_distribution(spec: Duration) -> WorkDistribution:
    """Build the distribution a ``[work]`` (or ``[patience]``) table describes."""
    if spec.distribution == "empirical":
        values = np.asarray(spec.empirical_minutes, dtype=float)
        mean = float(values.mean())
        cv = float(values.std() / mean)
        return WorkDistribution("empirical", mean, cv, tuple(values.tolist()))
    assert spec.mean_minutes is not None
    spread = {"fixed": 0.0, "exponential": 1.0}.get(spec.distribution, spec.cv)
    assert spread is not None
    return WorkDistribution(spec.distribution, spec.mean_minutes, spread)
