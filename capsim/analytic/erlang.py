"""Erlang B and C, and the M/M/c queue under FIFO.

Erlang B uses the recurrence 1/B(k) = 1 + (k/a)/B(k − 1), B(0) = 1: only
positive terms, no factorials or powers, accurate to a few ulps for any number
of servers (1/B(k) grows with k, so if the answer is representable no step
overflows; if it is below the smallest double it underflows to 0, the nearest
double). Erlang C follows from B: C = c·B / (c − a·(1 − B)).

M/M/c with arrival rate λ, service rate μ, c servers, offered load a = λ/μ and
θ = cμ − λ: the wait W is 0 with probability 1 − C and otherwise Exp(θ), so
P(W > t) = C·e^{−θt}; the sojourn (lead time) T = W + S with S ~ Exp(μ). With
a >= c the queue grows without bound: every wait is infinite, never a negative
or finite number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from capsim.errors import ArgumentError

Metric = Literal["delay-prob", "service-level", "on-time", "mean-wait"]
METRICS: tuple[str, ...] = ("delay-prob", "service-level", "on-time", "mean-wait")


def _check(servers: int, load: float) -> None:
    if not isinstance(servers, int) or isinstance(servers, bool) or servers < 0:
        raise ArgumentError(f"servers must be a whole number >= 0, got {servers!r}")
    if not math.isfinite(load) or load < 0:
        raise ArgumentError(f"offered load must be a finite number >= 0, got {load!r}")


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang's loss formula).

    Parameters
    ----------
    servers : int
        Number of servers c (>= 0).
    load : float
        Offered load a = λ/μ in Erlangs (>= 0).
    """
    _check(servers, load)
    if load == 0:
        return 1.0 if servers == 0 else 0.0
    inverse = 1.0
    for k in range(1, servers + 1):
        inverse = 1.0 + inverse * k / load
    return 1.0 / inverse


def _c_from_b(servers: int, load: float, b: float) -> float:
    return servers * b / (servers - load * (1.0 - b))


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang's delay formula); 1 when a >= c."""
    _check(servers, load)
    if load == 0:
        return 1.0 if servers == 0 else 0.0
    if load >= servers:
        return 1.0
    return _c_from_b(servers, load, erlang_b(servers, load))


# --- M/M/c formulas, as functions of the Erlang C value `delay` they all rest on ---


def _wait_exceeds(c: int, lam: float, mu: float, delay: float, t: float) -> float:
    theta = c * mu - lam
    return 1.0 if theta <= 0 else delay * math.exp(-theta * t)


def _mean_wait(c: int, lam: float, mu: float, delay: float) -> float:
    theta = c * mu - lam
    return math.inf if theta <= 0 else delay / theta


def _exceeds_exp_sum(theta: float, mu: float, t: float) -> float:
    """P(Exp(θ) + Exp(μ) > t), stable when θ is close to or equal to μ.

    (θe^{−μt} − μe^{−θt})/(θ − μ) = e^{−μt}·(1 + μ·(1 − e^{−(θ−μ)t})/(θ − μ)),
    and (1 − e^{−dt})/d = −expm1(−dt)/d → t as d → 0.
    """
    d = theta - mu
    ratio = t if d == 0 else -math.expm1(-d * t) / d
    return math.exp(-mu * t) * (1.0 + mu * ratio)


def _sojourn_cdf(c: int, lam: float, mu: float, delay: float, t: float) -> float:
    theta = c * mu - lam
    if theta <= 0 or t <= 0:
        return 0.0
    tail = (1.0 - delay) * math.exp(-mu * t) + delay * _exceeds_exp_sum(theta, mu, t)
    return 1.0 - tail


@dataclass(frozen=True)
class MMc:
    """The M/M/c queue (FIFO, unlimited waiting room) in steady state.

    Parameters
    ----------
    arrival_rate : float
        λ per hour (or any time unit, used consistently).
    service_rate : float
        μ per server, same unit.
    servers : int
        c.
    """

    arrival_rate: float
    service_rate: float
    servers: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.arrival_rate) or self.arrival_rate < 0:
            raise ArgumentError(f"arrival rate must be >= 0, got {self.arrival_rate!r}")
        if not math.isfinite(self.service_rate) or self.service_rate <= 0:
            raise ArgumentError(f"service rate must be > 0, got {self.service_rate!r}")
        _check(self.servers, self.load)

    @property
    def load(self) -> float:
        """Offered load a = λ/μ (Erlangs)."""
        return self.arrival_rate / self.service_rate

    @property
    def utilization(self) -> float:
        """ρ = a/c (1 or more: the queue is unstable)."""
        return self.load / self.servers if self.servers else math.inf

    @property
    def stable(self) -> bool:
        """Whether a steady state exists (a < c)."""
        return self.load < self.servers

    @property
    def delay_probability(self) -> float:
        """P(W > 0), Erlang C."""
        return erlang_c(self.servers, self.load)

    @property
    def theta(self) -> float:
        """cμ − λ: the rate of the wait of those who wait."""
        return self.servers * self.service_rate - self.arrival_rate

    @property
    def mean_wait(self) -> float:
        """E[W] = C/(cμ − λ); infinite when unstable."""
        return _mean_wait(self.servers, self.arrival_rate, self.service_rate,
                          self.delay_probability)

    def wait_exceeds(self, t: float) -> float:
        """P(W > t) = C·e^{−(cμ−λ)t}."""
        return _wait_exceeds(self.servers, self.arrival_rate, self.service_rate,
                             self.delay_probability, t)

    def service_level(self, t: float) -> float:
        """P(W <= t): the share that starts within t."""
        return 1.0 - self.wait_exceeds(t)

    def sojourn_cdf(self, t: float) -> float:
        """P(T <= t), T = W + S the time in system (the lead time)."""
        return _sojourn_cdf(self.servers, self.arrival_rate, self.service_rate,
                            self.delay_probability, t)

    @property
    def mean_queue_length(self) -> float:
        """E[Lq] = λ·E[W] (Little's law)."""
        return self.arrival_rate * self.mean_wait if self.stable else math.inf

    @property
    def mean_in_system(self) -> float:
        """E[L] = E[Lq] + a."""
        return self.mean_queue_length + self.load if self.stable else math.inf

    @property
    def mean_sojourn(self) -> float:
        """E[T] = E[W] + 1/μ."""
        return self.mean_wait + 1.0 / self.service_rate



@dataclass(frozen=True)
class MMcFeedback:
    """M/M/c with Bernoulli feedback: each pass is right with probability p, else redone.

    A finished pass is checked at once; with probability 1 − p the order goes back to
    the end of the queue for another pass, with a fresh Exp(μ) work content. The passes
    of an order are geometric (mean 1/p), the total arrival rate of passes is λ/p, and
    the number in the system is that of the M/M/c queue at λ/p (the feedback network
    is a Jackson network); an arriving pass (new or fed back) sees its time-average
    distribution, so the wait per pass is Erlang C's at λ/p
    (:attr:`per_pass`). Stable when λ/p < cμ.

    Parameters
    ----------
    arrival_rate, service_rate : float
        λ (new orders per hour), μ (passes per hour per server).
    servers : int
        c.
    right_first_time : float
        p in (0, 1].
    """

    arrival_rate: float
    service_rate: float
    servers: int
    right_first_time: float

    def __post_init__(self) -> None:
        if not 0 < self.right_first_time <= 1:
            raise ArgumentError(f"right-first-time probability must be in (0, 1], got "
                                f"{self.right_first_time!r}")
        MMc(self.arrival_rate / self.right_first_time, self.service_rate,
            self.servers)  # raises on a bad rate or server count

    @property
    def per_pass(self) -> MMc:
        """The queue every pass joins: M/M/c at the pass rate λ/p."""
        return MMc(self.arrival_rate / self.right_first_time, self.service_rate, self.servers)

    @property
    def mean_passes(self) -> float:
        """E[passes per order] = 1/p (geometric)."""
        return 1.0 / self.right_first_time

    @property
    def mean_wait_per_pass(self) -> float:
        """E[wait of one pass] = Erlang C's mean wait at λ/p."""
        return self.per_pass.mean_wait

    @property
    def mean_wait(self) -> float:
        """E[total wait of an order over its passes] = E[W at λ/p] / p (Wald)."""
        return self.mean_wait_per_pass / self.right_first_time

    @property
    def mean_sojourn(self) -> float:
        """E[arrival to final finish] = (E[W at λ/p] + 1/μ) / p."""
        return self.per_pass.mean_sojourn / self.right_first_time

    @property
    def rework_share(self) -> float:
        """The share of the servers' work that is rework: 1 − p."""
        return 1.0 - self.right_first_time

def meets(metric: Metric, value: float, target: float) -> bool:
    """Whether a value meets a target (delay probability and mean wait: at most)."""
    return value <= target if metric in ("delay-prob", "mean-wait") else value >= target


def _metric_value(metric: Metric, c: int, lam: float, mu: float, delay: float,
                  within: float | None) -> float:
    if metric == "delay-prob":
        return delay
    if metric == "mean-wait":
        return _mean_wait(c, lam, mu, delay)
    assert within is not None
    if metric == "service-level":
        return 1.0 - _wait_exceeds(c, lam, mu, delay, within)
    return _sojourn_cdf(c, lam, mu, delay, within)


def _check_target(metric: str, target: float, within: float | None, mu: float) -> None:
    if metric not in METRICS:
        raise ArgumentError(f"unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
    if metric == "mean-wait":
        if not target > 0:
            raise ArgumentError(f"a mean-wait target must be > 0 hours, got {target}")
        return
    if not 0 < target < 1:
        raise ArgumentError(f"a {metric} target must be in (0, 1), got {target}")
    if metric in ("service-level", "on-time") and (within is None or not within >= 0):
        raise ArgumentError(f"metric {metric!r} needs within >= 0 (hours), got {within}")
    if metric == "on-time":
        assert within is not None
        reach = -math.expm1(-mu * within)  # P(S <= within): no number of servers does better
        if reach <= target:
            raise ArgumentError(f"on-time target {target} is out of reach: the work alone takes "
                             f"longer than {within} h for {1 - reach:.3%} of orders")


def min_servers(arrival_rate: float, service_rate: float, target: float,
                metric: Metric = "delay-prob", within: float | None = None) -> int:
    """The fewest servers c for which M/M/c meets ``target`` on ``metric``.

    Metrics: ``delay-prob`` P(W > 0) <= target; ``mean-wait`` E[W] <= target;
    ``service-level`` P(W <= within) >= target; ``on-time`` P(T <= within) >= target.
    Each improves with every added server, so the first c that meets the target is
    the answer. One pass of the Erlang B recurrence, O(c).

    Raises
    ------
    capsim.errors.ArgumentError
        If the target is not a valid one for the metric or cannot be reached
        (on-time: P(S <= within) is the best any number of servers can do); a
        ValueError too.
    """
    if not math.isfinite(arrival_rate) or arrival_rate < 0:
        raise ArgumentError(f"arrival rate must be >= 0, got {arrival_rate!r}")
    if not math.isfinite(service_rate) or service_rate <= 0:
        raise ArgumentError(f"service rate must be > 0, got {service_rate!r}")
    _check_target(metric, target, within, service_rate)
    if arrival_rate == 0:
        return 0
    load = arrival_rate / service_rate
    first = math.floor(load) + 1  # the smallest stable c
    inverse, c = 1.0, 0
    while True:
        c += 1
        inverse = 1.0 + inverse * c / load
        if c >= first:
            delay = _c_from_b(c, load, 1.0 / inverse)
            value = _metric_value(metric, c, arrival_rate, service_rate, delay, within)
            if meets(metric, value, target):
                return c
