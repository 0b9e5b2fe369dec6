"""Time-varying demand: the offered load m(t) of the M_t/G/∞ queue, and staffing from it.

m(t) is the expected number of orders in service at t if every order started at
once: m(t) = ∫_{-∞}^{t} λ(u)·P(S > t − u) du (Eick, Massey & Whitt 1993), starting
empty at t = 0. For a piecewise-constant rate this is exact:
m(t) = Σ_i λ_i·[H((t − a_i)⁺) − H((t − b_i)⁺)] over pieces [a_i, b_i), with
H(x) = E[min(S, x)] the limited mean; a batch of N orders at t₀ adds N·P(S > t − t₀).
With a constant rate m(t) → λ·E[S], the stationary load.

Staffing from it: the modified offered load (MOL) rule s(t) = m(t) + β√m(t), and the
pointwise-stationary approximation (PSA), the stationary Erlang C answer for λ(t) as if
the rate never changed. PSA ignores that load lags the arrival rate by about a service
time; for long work contents, m(t) is the better guide.
"""

from __future__ import annotations

import math

import numpy as np

from capsim.analytic.erlang import min_servers
from capsim.analytic.staffing import halfin_whitt_beta
from capsim.demand import rate_at, rate_pieces
from capsim.distributions import WorkDistribution, work_distribution
from capsim.scenario import Scenario


def memory_hours(work: WorkDistribution, tolerance: float = 1e-12) -> float:
    """How far back arrivals still matter, in hours.

    The x beyond which the work left, E[(S − x)⁺] = mean − E[min(S, x)], is below
    ``tolerance`` × mean.
    """
    x = work.mean
    while work.mean - float(work.limited_mean(np.asarray(x))) > tolerance * work.mean:
        x *= 2.0
    return x / 60.0


#: Cells of the times × intervals band evaluated at once (bounds the memory to ~100 MB
#: whatever the horizon and the work content's memory).
BAND_CELLS = 2**21


def _blocks(times: np.ndarray, width: int) -> list[np.ndarray]:
    """``times`` in blocks whose band, at most ``width`` intervals each, fits BAND_CELLS."""
    size = max(1, BAND_CELLS // max(width, 1))
    return [times[i:i + size] for i in range(0, times.size, size)] or [times]


def _band(first: np.ndarray, last: np.ndarray, times: np.ndarray, memory: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """For each time, the sorted intervals [first, last] that overlap [t − memory, t].

    Returns their indices, padded to a common width, and a mask of the real ones.
    """
    lo = np.searchsorted(last, times - memory, side="right")
    hi = np.searchsorted(first, times, side="right")
    width = int(max(np.max(hi - lo, initial=0), 1))
    index = lo[:, None] + np.arange(width)[None, :]
    real = index < hi[:, None]
    return np.minimum(index, max(first.size - 1, 0)), real


def offered_load_from_rate(edges: np.ndarray, rates: np.ndarray, work: WorkDistribution,
                           times: np.ndarray) -> np.ndarray:
    """m(t) for a piecewise-constant rate and a work-content distribution.

    Rates are orders per hour on [edges[i], edges[i+1]), work contents in minutes;
    times in hours, the result in Erlangs.

    Only pieces within :func:`memory_hours` of t contribute; older ones add
    λ·(E[S] − E[S]) = 0 up to a relative 1e-12.
    """
    times = np.asarray(times, dtype=float)
    memory = memory_hours(work)

    def limited_hours(x: np.ndarray) -> np.ndarray:
        return work.limited_mean(60.0 * np.maximum(x, 0.0)) / 60.0

    def block(at: np.ndarray) -> np.ndarray:
        index, real = _band(edges[:-1], edges[1:], at, memory)
        since_start = at[:, None] - edges[:-1][index]
        since_end = at[:, None] - edges[1:][index]
        terms = (limited_hours(since_start) - limited_hours(since_end)) * rates[index]
        result: np.ndarray = np.where(real, terms, 0.0).sum(axis=1)
        return result

    return np.concatenate([block(at) for at in _blocks(times, edges.size - 1)])


def _class_distributions(scenario: Scenario) -> list[tuple[float, WorkDistribution]]:
    return [(c.share, work_distribution(c.work))  # type: ignore[arg-type]
            for c in scenario.order_classes]


def offered_load(scenario: Scenario, times: np.ndarray) -> np.ndarray:
    """The scenario's expected offered load m(t), in technicians busy, at ``times`` (hours).

    Sampled arrivals (at the forecast's mean), batches and replayed traces all count;
    each order class with its own work distribution.
    """
    times = np.asarray(times, dtype=float)
    classes = _class_distributions(scenario)
    total = np.zeros(times.size)
    if scenario.demand.trace is None:
        pieces = rate_pieces(scenario)
        for share, work in classes:
            total += share * offered_load_from_rate(pieces.edges, pieces.rates, work, times)
    else:
        data = scenario.demand.trace.data
        index = ({n: i for i, n in enumerate(scenario.class_names)} if data.order_class
                 else None)
        for k, (share, work) in enumerate(classes):
            chosen = (data.arrival_hour if index is None or data.order_class is None else
                      data.arrival_hour[[index[c] == k for c in data.order_class]])
            weight = share if index is None else 1.0
            total += weight * _arrivals_in_service(chosen, work, times)
    names = scenario.class_names
    for batch in scenario.demand.batches:
        for k, (share, work) in enumerate(classes):
            if batch.order_class is None or batch.order_class == names[k]:
                weight = share if batch.order_class is None else 1.0
                total += weight * _arrivals_in_service(
                    np.full(batch.orders, batch.at_hour), work, times)
    return total


def _arrivals_in_service(arrivals: np.ndarray, work: WorkDistribution,
                         times: np.ndarray) -> np.ndarray:
    """Σ_k P(S > t − a_k) over arrivals a_k <= t: orders known to arrive, still in service."""
    unique, counts = np.unique(arrivals, return_counts=True)
    if unique.size == 0:
        return np.zeros(times.size)
    memory = memory_hours(work)

    def block(at: np.ndarray) -> np.ndarray:
        index, real = _band(unique, unique, at, memory)
        elapsed = at[:, None] - unique[index]
        alive = np.where(real & (elapsed >= 0), work.survival(60.0 * np.maximum(elapsed, 0.0)),
                         0.0)
        result: np.ndarray = (alive * counts[index]).sum(axis=1)
        return result

    return np.concatenate([block(at) for at in _blocks(times, unique.size)])


def mol_staffing(load: np.ndarray, delay_probability: float) -> np.ndarray:
    """Modified-offered-load staffing s(t) = ceil(m(t) + β√m(t)), β from Halfin–Whitt."""
    beta = halfin_whitt_beta(delay_probability)
    load = np.asarray(load, dtype=float)
    result: np.ndarray = np.ceil(load + beta * np.sqrt(load) - 1e-9).astype(int)
    return result


def psa_staffing(scenario: Scenario, times: np.ndarray, delay_probability: float) -> np.ndarray:
    """Pointwise-stationary staffing: the Erlang C minimum for λ(t), as if it were constant.

    Uses the mean work content over classes (M/M/c with that mean).
    """
    mean_hours = sum(share * work.mean for share, work in _class_distributions(scenario)) / 60
    rates = rate_at(scenario, np.asarray(times, dtype=float))
    return np.array([min_servers(float(r), 1.0 / mean_hours, delay_probability, "delay-prob")
                     for r in rates])


def stationary_load(rate_per_hour: float, work: WorkDistribution) -> float:
    """λ·E[S]: the offered load of a constant rate, in Erlangs."""
    return rate_per_hour * work.mean / 60.0


def peak(load: np.ndarray, times: np.ndarray, after: float = 0.0) -> tuple[float, float]:
    """The largest load at or after ``after`` and when it occurs (hours)."""
    keep = np.asarray(times) >= after
    if not keep.any():
        return math.nan, math.nan
    i = int(np.argmax(np.where(keep, load, -np.inf)))
    return float(load[i]), float(times[i])
