"""Arrival rates and exact sampling of arrivals.

The rate is piecewise constant: it changes only at whole hours (hour and week
profiles) and at surge edges. On each piece the number of arrivals is Poisson
with mean rate × length, and given that count the arrival times are independent
and uniform on the piece; this samples the non-homogeneous Poisson process
exactly, with no thinning and no discretisation error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from capsim.scenario import Scenario


@dataclass(frozen=True, eq=False)
class RatePieces:
    """A piecewise-constant arrival rate.

    Attributes
    ----------
    edges : numpy.ndarray
        Piece boundaries in hours, increasing, from 0 to the horizon (n + 1 values).
    rates : numpy.ndarray
        The rate in orders per hour on each of the n pieces.
    """

    edges: np.ndarray
    rates: np.ndarray

    @property
    def expected_orders(self) -> float:
        """The expected number of arrivals, the integral of the rate."""
        return float(np.sum(self.rates * np.diff(self.edges)))


def rate_at(scenario: Scenario, t: np.ndarray, multiplier: float = 1.0) -> np.ndarray:
    """The arrival rate (orders per hour) at times ``t`` (hours from the start of day 0).

    Surge windows are half-open, [start_hour, end_hour).
    """
    d = scenario.demand
    t = np.asarray(t, dtype=float)
    hour = np.floor(t).astype(np.int64)
    weekday = (scenario.start_weekday + hour // 24) % 7
    rate: np.ndarray = (
        d.rate_per_hour * multiplier
        * np.asarray(d.hour_profile)[hour % 24]
        * np.asarray(d.week_profile)[weekday]
    )
    for surge in d.surges:
        active = (t >= surge.start_hour) & (t < surge.end_hour)
        rate = np.where(active, rate * surge.multiplier, rate)
    return rate


def rate_pieces(scenario: Scenario, multiplier: float = 1.0) -> RatePieces:
    """The scenario's arrival rate over its horizon as constant pieces."""
    horizon = scenario.horizon_hours
    surge_edges = [e for s in scenario.demand.surges for e in (s.start_hour, s.end_hour)]
    edges = np.unique(np.concatenate([
        np.arange(0.0, math.floor(horizon) + 1.0),
        [e for e in surge_edges if 0 < e < horizon],
        [horizon],
    ]))
    mids = (edges[:-1] + edges[1:]) / 2
    return RatePieces(edges, rate_at(scenario, mids, multiplier))


def sample_poisson(pieces: RatePieces, rng: np.random.Generator) -> np.ndarray:
    """Sample the arrival times of the NHPP with this rate, sorted."""
    lengths = np.diff(pieces.edges)
    counts = rng.poisson(pieces.rates * lengths)
    offsets = rng.random(int(counts.sum()))
    times = np.repeat(pieces.edges[:-1], counts) + offsets * np.repeat(lengths, counts)
    # the default sort (introsort, vectorised): several times faster than timsort on
    # the random order within each piece; a sort of floats (none of them -0.0 or NaN)
    # gives the same array whichever algorithm runs
    return np.sort(times)


def forecast_multiplier(cv: float, rng: np.random.Generator,
                        distribution: str = "lognormal") -> float:
    """A rate multiplier with mean 1 and the given coefficient of variation.

    ``lognormal`` (sigma² = ln(1 + cv²)) or ``gamma`` (shape 1/cv², scale cv²): with a
    gamma multiplier the season's order count is negative binomial, the Poisson–gamma
    model of the staffing literature. Either way the count has mean Λ and variance
    Λ + cv²Λ², Λ the expected orders at multiplier 1.
    """
    if cv == 0:
        return 1.0
    if distribution == "gamma":
        return float(rng.gamma(1 / cv**2, cv**2))
    sigma2 = math.log1p(cv**2)
    return float(rng.lognormal(-sigma2 / 2, math.sqrt(sigma2)))
