"""The supplies' random inputs of one replication, drawn before the dynamics.

For every ``[[supplies]]`` entry (:mod:`capsim.scenario.supplies`), from streams of its
own (:func:`capsim.rng.supply_stream`), so that a supply's draws depend neither on the
other supplies nor on the roster:

- ``consumption``: the units each order uses (its class's ``consumes``: a fixed amount,
  or a Poisson count of the mean);
- ``lead_times``: the primary supplier's lead time of replenishment order 0, 1, 2, ...
  (in the order the policy places them), then the backup's, as many as the policy can
  ever place in the replication (:func:`most_orders`): the k-th order's lead time is the
  k-th draw whatever the dynamics, which keeps common random numbers across rosters;
- ``supplier_outages``: the random outages (a Poisson count over the horizon, uniform
  starts, a duration each), merged with the scheduled ones and the enabled
  ``"supplier"`` stress events into disjoint windows.

Only the orders themselves consume: rework and remake passes, the rest of the work
after an information hold and repeat contacts use no supplies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from capsim.distributions import work_distribution
from capsim.rng import supply_stream
from capsim.scenario import Scenario, Supply

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True, eq=False)
class SupplyDraws:
    """The sampled supply inputs of one replication.

    Attributes
    ----------
    names : tuple of str
        The supplies, in ``[[supplies]]`` order.
    need : numpy.ndarray
        Units of each supply each order uses, orders × supplies (float64).
    lead : tuple of numpy.ndarray
        Per supply, the primary supplier's lead time of each replenishment order, hours.
    backup_lead : tuple of numpy.ndarray or None
        Per supply, the backup's lead time of each order, hours (None: no backup).
    outages : tuple of numpy.ndarray
        Per supply, the primary's outage windows [start, end) in hours, sorted and
        disjoint, shape (windows, 2).
    """

    names: tuple[str, ...]
    need: np.ndarray
    lead: tuple[np.ndarray, ...]
    backup_lead: tuple[np.ndarray | None, ...]
    outages: tuple[np.ndarray, ...]


def consumption(scenario: Scenario, order_class: np.ndarray, supply: int,
                rng: np.random.Generator) -> np.ndarray:
    """Units of supply ``supply`` each order uses, by its class."""
    name = scenario.supplies[supply].name
    mean, poisson = np.zeros(len(scenario.order_classes)), np.zeros(len(scenario.order_classes),
                                                                     bool)
    for c, spec in enumerate(scenario.order_classes):
        use = spec.consumes.get(name)
        if use is not None:
            mean[c], poisson[c] = use.mean, use.distribution == "poisson"
    per_order: np.ndarray = mean[order_class]
    random = poisson[order_class]
    if not random.any():
        return per_order
    counts = rng.poisson(np.where(random, per_order, 0.0)).astype(float)
    result: np.ndarray = np.where(random, counts, per_order)
    return result


def most_orders(supply: Supply, need: np.ndarray, horizon: float) -> int:
    """An upper bound on the replenishment orders ``supply``'s policy places by ``horizon``.

    The position changes only at demand moments (one per order with a need) and at
    placements; the policy looks at hour 0, at each demand (continuous review) or at each
    review. Base stock and (s, S) place at most one order per look; (R, Q) places Q at a
    time only at or below s, so Q × orders <= s + Q − initial stock + units demanded.
    """
    looks = 1 + int(np.count_nonzero(need > 0))
    if supply.review_hours > 0:
        looks = 1 + math.ceil(horizon / supply.review_hours)
    if supply.policy != "r_Q":
        return looks
    assert supply.quantity is not None
    assert supply.reorder_point is not None
    room = max(supply.reorder_point + supply.quantity - supply.initial_stock, 0.0)
    return 1 + math.ceil((room + float(need.sum())) / supply.quantity)


def outage_windows(scenario: Scenario, supply: int, rng: np.random.Generator) -> np.ndarray:
    """The primary supplier's outages of one replication: disjoint [start, end) hours."""
    spec, horizon = scenario.supplies[supply], scenario.horizon_hours
    outages = spec.outages
    windows = [(24.0 * o.start_day, 24.0 * (o.start_day + o.days)) for o in outages.scheduled]
    windows += [(e.start_hour, e.end_hour) for e in scenario.active_stress
                if e.kind == "supplier" and e.supply == spec.name]
    if outages.rate_per_year > 0:
        assert outages.duration is not None
        count = rng.poisson(outages.rate_per_year * horizon / HOURS_PER_YEAR)
        starts = np.sort(rng.uniform(0.0, horizon, count))
        lengths = work_distribution(outages.duration).sample(rng, count) / 60.0
        windows += list(zip(starts.tolist(), (starts + lengths).tolist(), strict=True))
    merged: list[list[float]] = []
    for begin, end in sorted(windows):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return np.array(merged, dtype=float).reshape(-1, 2)


def draw_supplies(scenario: Scenario, order_class: np.ndarray, seed: int,
                  replication: int) -> SupplyDraws | None:
    """The supply draws of one replication (None: the scenario has no supplies)."""
    if not scenario.has_supplies:
        return None
    horizon = scenario.horizon_hours
    need, lead, backup, outages = [], [], [], []
    for j, spec in enumerate(scenario.supplies):
        units = consumption(scenario, order_class, j,
                            supply_stream(seed, replication, "consumption", j))
        n = most_orders(spec, units, horizon)
        rng = supply_stream(seed, replication, "lead_times", j)
        lead.append(work_distribution(spec.lead_time).sample(rng, n) / 60.0)
        backup.append(None if spec.backup is None
                      else work_distribution(spec.backup.lead_time).sample(rng, n) / 60.0)
        outages.append(outage_windows(scenario, j,
                                      supply_stream(seed, replication, "supplier_outages", j)))
        need.append(units)
    return SupplyDraws(names=tuple(s.name for s in scenario.supplies),
                       need=np.column_stack(need), lead=tuple(lead), backup_lead=tuple(backup),
                       outages=tuple(outages))


@dataclass(frozen=True, eq=False)
class StockRecords:
    """What the engine recorded of the supplies in one replication (see :mod:`capsim.records`).

    Per order (rows as the Records' orders): ``need`` (orders × supplies, units),
    ``demand`` (its demand moment: when the dispatch rule first offered it to a
    technician; NaN: never), ``short`` (orders × supplies: that supply had fewer units
    on hand than the order needs at its demand moment) and ``blocked`` (the order could
    not start then: some supply was short; it waited, in its place in the queue, for
    stock). Per supply, over the whole horizon: ``initial`` (stock at hour 0),
    ``received`` (units delivered), ``consumed`` (units taken by orders), ``final``
    (stock on hand at the horizon) and ``placed`` (replenishment orders placed).
    """

    names: tuple[str, ...]
    need: np.ndarray
    demand: np.ndarray
    short: np.ndarray
    blocked: np.ndarray
    initial: np.ndarray
    received: np.ndarray
    consumed: np.ndarray
    final: np.ndarray
    placed: np.ndarray

    def rows(self, rows: np.ndarray) -> StockRecords:
        """The same records for the orders ``rows`` (the Records' rows of per-job columns)."""
        return StockRecords(self.names, self.need[rows], self.demand[rows], self.short[rows],
                            self.blocked[rows], self.initial, self.received, self.consumed,
                            self.final, self.placed)
