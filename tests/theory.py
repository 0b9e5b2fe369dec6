"""Closed forms used as test oracles, written independently of capsim's code.

Erlang B by the recurrence 1/B(k) = 1 + (k/a)/B(k-1), B(0) = 1 (no factorials);
Erlang C from B: C = c·B / (c − a·(1 − B)). M/M/c under FIFO: the wait W is 0
with probability 1 − C and otherwise Exp(θ), θ = cμ − λ; the sojourn T = W + S
with S ~ Exp(μ) independent, so
    P(T > t) = (1 − C)·e^{−μt} + C·P(Exp(θ) + Exp(μ) > t),
    P(Exp(θ) + Exp(μ) > t) = (θ·e^{−μt} − μ·e^{−θt}) / (θ − μ)   (θ ≠ μ)
                           = (1 + μt)·e^{−μt}                    (θ = μ).
"""

from __future__ import annotations

import math
from typing import Any


def erlang_b(c: int, a: float) -> float:
    inverse = 1.0
    for k in range(1, c + 1):
        inverse = 1.0 + inverse * k / a
    return 1.0 / inverse


def erlang_c(c: int, a: float) -> float:
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_sojourn_cdf(lam: float, mu: float, c: int, t: float) -> float:
    delay = erlang_c(c, lam / mu)
    theta = c * mu - lam
    if math.isclose(theta, mu):
        tail = (1.0 + mu * t) * math.exp(-mu * t)
    else:
        tail = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return 1.0 - ((1.0 - delay) * math.exp(-mu * t) + delay * tail)


#: Tolerance of the validation tests in standard errors: a correct model fails one
#: such check with probability about 6e-5.
Z = 4.0


def assert_within(values: Any, expected: float, what: str, z_max: float = Z) -> None:
    """The mean of independent replications' values lies within ``z_max`` SE of ``expected``."""
    se = values.std(ddof=1) / math.sqrt(values.size)
    assert se > 0, f"{what}: no variation across replications"
    z = (values.mean() - expected) / se
    assert abs(z) <= z_max, (f"{what}: simulated {values.mean():.5f}, exact {expected:.5f}, "
                             f"z = {z:.2f}")
