"""Erlang A: the M/M/c+M queue, where waiting customers abandon at rate θ (patience Exp(θ)).

Solved exactly as a birth–death chain: from n customers in the system, arrivals
at rate λ, departures at rate min(n, c)·μ + max(n − c, 0)·θ. The stationary
probabilities p_n ∝ Π_{k<=n} λ/d_k are summed in log space and truncated where
the terms fall below 1e-300 of the largest (θ > 0 makes them fall faster than
geometrically, so the chain is stable for any λ).

By PASTA an arrival sees the stationary distribution. An arrival finding the
servers busy with q customers queued ahead enters service after q + 1 departures
from the queue, at rates cμ + jθ with j customers ahead, unless its own patience
runs out first; the per-customer quantities below follow that tagged customer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from capsim.errors import ArgumentError

#: Below this many queue positions the tagged customer's chain is exponentiated densely.
DENSE_STATES = 300


@dataclass(frozen=True, eq=False)
class ErlangA:
    """Steady state of M/M/c+M.

    Parameters
    ----------
    arrival_rate, service_rate, patience_rate : float
        λ, μ per server, θ per waiting customer (θ = 0: Erlang C, needs λ < cμ).
    servers : int
        c >= 1.
    """

    arrival_rate: float
    service_rate: float
    servers: int
    patience_rate: float
    #: P(N = n), n = 0, 1, ... (truncated where negligible); computed on creation.
    distribution: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("arrival_rate", "service_rate", "patience_rate"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ArgumentError(f"{name.replace('_', ' ')} must be >= 0, got {value!r}")
        if self.service_rate == 0:
            raise ArgumentError("service rate must be > 0")
        if not isinstance(self.servers, int) or self.servers < 1:
            raise ArgumentError(f"servers must be a whole number >= 1, got {self.servers!r}")
        if self.patience_rate == 0 and self.arrival_rate >= self.servers * self.service_rate:
            raise ArgumentError("without abandonment (patience rate 0) the queue needs "
                             "λ < cμ; it grows without bound")
        object.__setattr__(self, "distribution", self._stationary())

    def _stationary(self) -> np.ndarray:
        lam, mu, c, theta = (self.arrival_rate, self.service_rate, self.servers,
                             self.patience_rate)
        if lam == 0:
            return np.array([1.0])
        logs, top, n = [0.0], 0.0, 0
        while True:  # beyond c with departures outpacing arrivals, the terms only fall
            n += 1
            rate = min(n, c) * mu + max(n - c, 0) * theta
            logs.append(logs[-1] + math.log(lam / rate))
            top = max(top, logs[-1])
            if n > c and rate > lam and logs[-1] < top - 690.0:  # e^-690 ≈ 1e-300
                break
        from scipy.special import logsumexp  # (loaded where used: capsim start-up)

        log_p = np.array(logs)
        result: np.ndarray = np.exp(log_p - logsumexp(log_p))
        return result

    @property
    def _queued(self) -> np.ndarray:
        """P(an arrival finds all servers busy and q waiting), q = 0, 1, ..."""
        return self.distribution[self.servers:]

    @property
    def delay_probability(self) -> float:
        """P(an arrival waits) = P(N >= c)."""
        return float(self._queued.sum())

    @property
    def mean_queue(self) -> float:
        """E[number waiting]."""
        return float(np.arange(self._queued.size) @ self._queued)

    def _ahead_rates(self, q: int) -> np.ndarray:
        """Departure rates from the queue ahead of a tagged customer: j = 0..q ahead."""
        return self.servers * self.service_rate + np.arange(q + 1) * self.patience_rate

    @property
    def abandon_probability(self) -> float:
        """P(an arrival abandons), from the tagged customer directly.

        With q ahead, it is served if each of the q + 1 queue departures ahead of
        it comes before its own patience runs out: Π_j r_j / (r_j + θ).
        (Little's law gives the same number as θ·E[queue]/λ; the tests check it.)
        """
        theta = self.patience_rate
        if theta == 0 or self.arrival_rate == 0:
            return 0.0
        queued = self._queued
        rates = self._ahead_rates(queued.size - 1)
        served = np.exp(np.cumsum(np.log(rates / (rates + theta))))
        return float(queued @ (1.0 - served))

    @property
    def mean_wait(self) -> float:
        """E[time in queue] over all arrivals, served or not (E[queue]/λ)."""
        if self.arrival_rate == 0:
            return 0.0
        return self.mean_queue / self.arrival_rate

    def served_within(self, t: float) -> float:
        """P(an arrival starts service within t).

        That is: no wait, or a wait of at most t that ends in service rather than
        abandonment.
        The tagged customer's position (j ahead) falls at rate cμ + jθ and it
        abandons at rate θ; the chain, started from the queue an arrival sees, is
        solved with a matrix exponential (scipy's expm_multiply).
        """
        if t < 0:
            raise ArgumentError(f"t must be >= 0, got {t}")
        return self._tagged(t, served_only=True)

    def on_time_within(self, t: float) -> float:
        """P(an arrival is served and its wait plus an Exp(μ) service ends within t).

        The M/M/c+M counterpart of :meth:`capsim.analytic.MMc.sojourn_cdf`: the on-time
        rate of a promise t when abandoning counts as late. The tagged customer's chain
        of :meth:`served_within` gains one stage, its own service at rate μ, and the
        answer is the chance that the chain has left that stage by t.
        """
        if t < 0:
            raise ArgumentError(f"t must be >= 0, got {t}")
        return self._tagged(t, served_only=False)

    def _tagged(self, t: float, served_only: bool) -> float:
        """P(the tagged arrival has started (``served_only``) or finished service by t)."""
        queued = self._queued
        immediate = 1.0 - float(queued.sum())
        mu = self.service_rate
        if t == 0:
            return immediate if served_only else 0.0
        if queued.size == 0:
            return immediate if served_only else immediate * -math.expm1(-mu * t)
        # positions an arrival finds with a chance below 1e-17 in all change nothing
        tail = np.cumsum(queued[::-1])[::-1]
        queued = queued[:max(int(np.count_nonzero(tail > 1e-17)), 1)]
        rates = self._ahead_rates(queued.size - 1)
        size = rates.size
        # The tagged customer leaves the queue (served or not) after a sum of at most
        # `size` exponential stages of rates >= s0 = cμ + θ. Chernoff with u = s0/2:
        # P(still waiting at t) <= e^{-s0·t/2}·2^size, below 1e-16 from t_cap on: after
        # it only the service stage moves, in closed form (and expm_multiply, whose cost
        # grows with t, stays quick).
        s0 = rates[0] + self.patience_rate
        rest = max(t - 2.0 * (size * math.log(2.0) + 37.0) / s0, 0.0)
        t -= rest
        from scipy.linalg import expm
        from scipy.sparse import diags
        from scipy.sparse.linalg import expm_multiply

        # states 0..size-1 (customers ahead), `size` (in service), `size + 1` (done);
        # rows are targets
        generator = diags(
            [np.concatenate([-(rates + self.patience_rate), [-mu, 0.0]]),
             np.append(rates[1:], [0.0, 0.0])],
            [0, 1], shape=(size + 2, size + 2), format="lil")
        generator[size, 0] = rates[0]
        generator[size + 1, size] = mu
        start = np.concatenate([queued, [immediate, 0.0]])
        if served_only:  # no service stage: whoever reached it stays
            generator[size, size] = 0.0
            generator[size + 1, size] = 0.0
        if size < DENSE_STATES:  # small: one dense exponential is quicker than Krylov steps
            after = expm(generator.toarray() * t) @ start
        else:
            after = expm_multiply(generator.tocsr() * t, start)
        if served_only:
            return float(after[size] + after[size + 1])
        return float(after[size + 1] - after[size] * math.expm1(-mu * rest))
