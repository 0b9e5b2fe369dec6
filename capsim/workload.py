"""Before a run samples anything: how much it will take, and a clear refusal when it cannot fit.

:func:`estimate` works out, from the scenario alone, the orders of one replication
and of the whole run, and the memory the run holds at its peak;
:func:`check_workload` refuses (:class:`~capsim.errors.WorkloadError`, exit status 2)
a run whose memory would exceed half of this machine's, or that would simulate more
than :data:`MAX_TOTAL_ORDERS` orders, saying what it estimated and what to change.
Setting the environment variable ``CAPSIM_ALLOW_LARGE_RUNS=1`` lets such a run go ahead.

The memory model, measured on both engines (``tracemalloc``) and rounded up:

- replications in flight at once: :data:`BYTES_PER_ORDER` per order (sampled inputs,
  records, the reductions' temporaries) and :data:`BYTES_PER_TECHNICIAN_DAY` per
  technician-day. Up to ``max(4, workers)`` replications are in flight together (a first
  batch of four in this process, then one task per worker); the orders are taken at the
  99.9th percentile of the forecast multiplier, so that one season in a thousand fits too;
- what the run keeps of every replication: its series (hourly and daily,
  :data:`SERIES_BYTES_PER_HOUR` per hour of the horizon) up to the run's budget
  (:data:`capsim.spill.BUDGET_BYTES`; the rest go to a temporary file), plus
  :data:`BYTES_PER_REPLICATION` (its KPIs, per class too, and lead-time counts);
- what reading them back takes: :data:`AGGREGATED_BYTES_PER_HOUR` per replication and
  hour (three hourly series across the replications at once: a stress test's excess
  over its baseline);
- inside a search's sharing scope (:mod:`capsim.reuse`), the draws it keeps:
  :data:`SHARED_BYTES_PER_ORDER` per order, up to the store's budget.

The module samples nothing and imports no engine; it is cheap enough to run before
every evaluation of a staffing search.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from capsim import reuse, spill
from capsim.allocator import machine_memory
from capsim.demand import rate_pieces
from capsim.errors import WorkloadError
from capsim.executors import cpu_count
from capsim.scenario import Scenario

ALLOW_ENV = "CAPSIM_ALLOW_LARGE_RUNS"
BYTES_PER_ORDER = 300
BYTES_PER_TECHNICIAN_DAY = 100
SERIES_BYTES_PER_HOUR = 48
AGGREGATED_BYTES_PER_HOUR = 24
#: Measured: a Stutterfly run's peak grew by 11 KB per replication from 3,000 to 10,000.
BYTES_PER_REPLICATION = 12 * 1024
#: What the sharing scope keeps of an order (time, class, work; Stutterfly: 19.4 bytes).
SHARED_BYTES_PER_ORDER = 24
#: Replications sampled together before the rest go to the executor (see experiment.PROBE).
FIRST_BATCH = 4
#: More orders than this in one run (about three hours at a million orders a second) is
#: refused as a mistake unless allowed.
MAX_TOTAL_ORDERS = 10**10
#: Share of this machine's memory a run may plan to use.
MEMORY_SHARE = 0.5
GIB = 2.0**30


@dataclass(frozen=True)
class Workload:
    """What a run is estimated to take.

    Attributes
    ----------
    orders_per_replication : float
        Expected orders of one replication (forecast at its mean).
    peak_orders_per_replication : float
        Orders of a heavy replication (forecast at its 99.9th percentile).
    replications : int
        Replications planned (the cap, for a sequential run).
    at_once : int
        Replications in flight together.
    memory_bytes : float
        Memory at the peak of the run.
    """

    orders_per_replication: float
    peak_orders_per_replication: float
    replications: int
    at_once: int
    memory_bytes: float

    @property
    def total_orders(self) -> float:
        """Expected orders over all replications."""
        return self.orders_per_replication * self.replications


def _forecast_quantile(cv: float, level: float = 0.999,
                       distribution: str = "lognormal") -> float:
    """The ``level`` quantile of the forecast multiplier (mean 1, this cv)."""
    if cv == 0:
        return 1.0
    if distribution == "gamma":
        from scipy.stats import gamma

        return float(gamma.ppf(level, 1 / cv**2, scale=cv**2))
    sigma2 = math.log1p(cv**2)
    return math.exp(-sigma2 / 2 + NormalDist().inv_cdf(level) * math.sqrt(sigma2))


def _sampled_orders(scenario: Scenario) -> float:
    """Expected sampled arrivals, demand stress spikes included, at forecast multiplier 1."""
    if scenario.demand.rate_per_hour == 0:
        return 0.0
    pieces = rate_pieces(scenario, 1.0)
    amounts = pieces.rates * np.diff(pieces.edges)
    mids = (pieces.edges[:-1] + pieces.edges[1:]) / 2
    total = float(amounts.sum())
    for event in scenario.active_stress:
        if event.kind == "demand" and (event.multiplier or 0.0) > 1.0:
            inside = (mids >= event.start_hour) & (mids < event.end_hour)
            total += float(amounts[inside].sum()) * ((event.multiplier or 0.0) - 1.0)
    return total


def estimate(scenario: Scenario, replications: int, workers: int | None = None) -> Workload:
    """Estimate the orders and the peak memory of ``replications`` replications."""
    horizon = scenario.horizon_hours
    fixed = sum(b.orders for b in scenario.demand.batches if b.at_hour < horizon)
    if scenario.demand.trace is not None:
        fixed += int(np.count_nonzero(scenario.demand.trace.data.arrival_hour < horizon))
    sampled = _sampled_orders(scenario)
    demand = scenario.demand
    peak = sampled * _forecast_quantile(demand.forecast_cv,
                                        distribution=demand.forecast_distribution) + fixed
    at_once = min(replications, max(FIRST_BATCH, workers or cpu_count()))
    in_flight = (peak * BYTES_PER_ORDER + scenario.workforce.roster * scenario.horizon_days
                 * BYTES_PER_TECHNICIAN_DAY)
    kept = (min(replications * horizon * SERIES_BYTES_PER_HOUR, spill.BUDGET_BYTES)
            + replications * (horizon * AGGREGATED_BYTES_PER_HOUR + BYTES_PER_REPLICATION))
    if reuse.active():
        kept += min(replications * (sampled + fixed) * SHARED_BYTES_PER_ORDER, reuse.budget())
    return Workload(orders_per_replication=sampled + fixed, peak_orders_per_replication=peak,
                    replications=replications, at_once=at_once,
                    memory_bytes=at_once * in_flight + kept)


def memory_budget() -> float:
    """Bytes a run may plan to use: :data:`MEMORY_SHARE` of this machine's memory."""
    return MEMORY_SHARE * machine_memory()


def allowed() -> bool:
    """Whether ``CAPSIM_ALLOW_LARGE_RUNS`` lets a run past the limits."""
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def check_workload(scenario: Scenario, replications: int,
                   workers: int | None = None) -> Workload:
    """Refuse a run that cannot fit, before anything is sampled; return the estimate.

    Raises
    ------
    capsim.errors.WorkloadError
        When the run would need more memory than :func:`memory_budget` or more orders
        than :data:`MAX_TOTAL_ORDERS`, unless ``CAPSIM_ALLOW_LARGE_RUNS=1``.
    """
    work = estimate(scenario, replications, workers)
    budget = memory_budget()
    problems = []
    if work.memory_bytes > budget:
        problems.append(f"about {work.memory_bytes / GIB:,.1f} GiB of memory at its peak "
                        f"(this machine allows {budget / GIB:,.1f} GiB: half of its memory)")
    if work.total_orders > MAX_TOTAL_ORDERS:
        problems.append(f"{work.total_orders:.3g} orders in all (more than "
                        f"{MAX_TOTAL_ORDERS:,}: hours of computing)")
    if problems and not allowed():
        raise WorkloadError(
            f"{scenario.source}: this run is too large: {' and '.join(problems)}; "
            f"estimated from {work.orders_per_replication:,.0f} orders per replication "
            f"({work.peak_orders_per_replication:,.0f} in a heavy one), "
            f"{scenario.workforce.roster:,} technicians x {scenario.horizon_days:,} days, "
            f"{work.replications:,} replications ({work.at_once} at once). Lower the "
            "replications (--replications, --max-replications), horizon_days, the demand "
            f"or the roster; or set {ALLOW_ENV}=1 to run it anyway")
    return work
