"""capsim checks itself: its simulation against exact results, with z-scores.

Cases: M/M/1 and M/M/c (Erlang C: mean wait, P(wait > 0), the lead-time
distribution; Little's law), a demand surge against the offered load m(t) of the
M_t/G/∞ queue (ample technicians, lognormal work), and staff on hand against the
binomial law. Each check compares the mean over replications with the exact
value; z = (simulated − exact) / standard error, and a check passes when |z| <= 4
(a correct model fails one by chance with probability about 6e-5).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from capsim.analytic import MMc, offered_load
from capsim.experiment import run
from capsim.results import RunResult
from capsim.scenario import Scenario, validate

Z_LIMIT = 4.0


@dataclass(frozen=True)
class Check:
    """One simulated quantity against its exact value."""

    case: str
    quantity: str
    exact: float
    simulated: float
    std_error: float

    @property
    def z(self) -> float:
        """(simulated − exact) / standard error."""
        if self.std_error == 0:
            return 0.0 if self.simulated == self.exact else math.inf
        return (self.simulated - self.exact) / self.std_error

    @property
    def ok(self) -> bool:
        """Within :data:`Z_LIMIT` standard errors."""
        return abs(self.z) <= Z_LIMIT


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def _queue(name: str, lam: float, mu: float, c: int, promise: float, days: int,
           warmup: int, **extra: object) -> Scenario:
    return validate({
        "name": name, "horizon_days": days, "warmup_days": warmup,
        "demand": {"rate_per_hour": lam},
        "work": {"distribution": "exponential", "mean_minutes": 60.0 / mu,
                 "promise_hours": promise},
        "workforce": {"roster": c, "always_on": True}, **extra})


def _mmc_checks(case: str, scenario: Scenario, result: RunResult, promise: float) -> list[Check]:
    lam = scenario.demand.rate_per_hour
    mu = 60.0 / (scenario.work.mean_minutes or 1.0)
    q = MMc(lam, mu, scenario.workforce.roster)
    checks = []
    for quantity, kpi, exact in [
        ("mean wait (h)", "wait_mean_hours", q.mean_wait),
        ("P(wait > 0)", "wait_positive_share", q.delay_probability),
        (f"P(lead time <= {promise:g} h)", "on_time_rate", q.sojourn_cdf(promise)),
        ("utilization", "utilization", q.utilization),
    ]:
        checks.append(Check(case, quantity, exact, *_mean_se(result.column(kpi))))
    wip = result.hourly("wip")[:, int(scenario.warmup_hours):].mean(axis=1)
    checks.append(Check(case, "mean WIP = λ·E[T] (Little)", q.mean_in_system, *_mean_se(wip)))
    return checks


def _surge_checks(result: RunResult) -> list[Check]:
    """WIP in chosen hours: with ample servers, its mean over [h, h + 1) is that of m(t).

    The hour's mean of m(t) by Simpson's rule on 64 panels (m is smooth: its error is
    far below the simulation's standard error).
    """
    hours = np.array([20.0, 31.0, 33.0, 36.0, 38.0, 44.0])
    grid = np.linspace(0.0, 1.0, 129)
    weights = np.ones(grid.size)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    load = offered_load(result.scenario, (hours[:, None] + grid).ravel()).reshape(hours.size, -1)
    exact = load @ weights / weights.sum()
    wip = result.hourly("wip")[:, hours.astype(int)]
    return [Check("surge, M_t/G/inf", f"WIP in hour {h:g} = mean m(t)", float(m),
                  *_mean_se(w)) for h, m, w in zip(hours, exact, wip.T, strict=True)]


def _on_hand_checks(result: RunResult, roster: int, q: float) -> list[Check]:
    on_hand = result.daily("on_hand").ravel()
    mean, var = roster * (1 - q), roster * q * (1 - q)
    mu4 = var * (1 + 3 * (roster - 2) * q * (1 - q))  # fourth central moment of the binomial
    return [
        Check("on hand ~ Binomial(n, 1-q)", "mean", mean, float(on_hand.mean()),
              math.sqrt(var / on_hand.size)),
        Check("on hand ~ Binomial(n, 1-q)", "variance", var, float(on_hand.var(ddof=1)),
              math.sqrt((mu4 - var**2) / on_hand.size)),
    ]


def cases(quick: bool) -> list[tuple[str, Scenario, int, Callable[[RunResult], list[Check]]]]:
    """The verification cases: (name, scenario, replications, how to check the result)."""
    scale = 1 if quick else 4
    mm1 = _queue("M/M/1", 0.7, 1.0, 1, 4.0, 60, 10)
    mmc = _queue("M/M/10", 9.0, 1.0, 10, 2.0, 40, 5)
    surge = validate({
        "name": "surge", "horizon_days": 3, "warmup_days": 0,
        "demand": {"rate_per_hour": 20.0, "surges": [
            {"start_hour": 30, "end_hour": 36, "multiplier": 3.0}]},
        "work": {"distribution": "lognormal", "mean_minutes": 60.0, "cv": 0.8},
        "workforce": {"roster": 400, "always_on": True}})
    staff = _queue("on hand", 0.5, 1.0, 20, 24.0, 60, 0, absence={"daily_rate": 0.1})
    return [
        ("M/M/1", mm1, 40 * scale, lambda r: _mmc_checks("M/M/1 rho=0.7", mm1, r, 4.0)),
        ("M/M/10", mmc, 30 * scale, lambda r: _mmc_checks("M/M/10 rho=0.9", mmc, r, 2.0)),
        ("surge", surge, 100 * scale, _surge_checks),
        ("on hand", staff, 10 * scale, lambda r: _on_hand_checks(r, 20, 0.1)),
    ]


def verify(quick: bool = False, seed: int = 1, workers: int | None = None) -> list[Check]:
    """Run every case and return its checks."""
    checks: list[Check] = []
    for _, scenario, replications, check in cases(quick):
        result = run(scenario, replications, seed, workers=workers, progress=False)
        checks += check(result)
    return checks

