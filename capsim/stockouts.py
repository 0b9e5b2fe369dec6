"""Records -> the supplies' KPIs of each replication (pure functions).

Definitions (the scenario side is :mod:`capsim.scenario.supplies`, the dynamics
:mod:`capsim.engines.simpy_stock`):

- an order is *blocked* when it could not start at its demand moment for lack of stock;
  it waits for stock from then until it starts (or abandons, or the horizon);
- ``stockout_hours``: the hours of the window (warm-up to horizon) during which at least
  one order waited for stock, whatever the supply (the union of the blocked orders'
  waits for stock);
- ``orders_delayed_by_stockout``: the orders arriving in the window that were blocked;
- ``fill_rate``: among the *demands* of the orders arriving in the window that reached
  their demand moment (one per order and supply it uses), the share whose supply had the
  units on hand then (NaN: no demand);
- :func:`per_supply` gives the three for each supply alone (a supply's stock-out:
  orders that found *it* short wait; its delayed orders: those that found it short), for
  the report, tables and tests; the experiment keeps them
  (:attr:`capsim.metrics.ReplicationSummary.by_supply`).

Without supplies the counts are 0 and the fill rate NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from capsim.records import Records

#: The KPIs this module computes (registry entries with ``feature = "supplies"``).
STOCK_KPIS = ("stockout_hours", "orders_delayed_by_stockout", "fill_rate")


def _covered(begin: np.ndarray, end: np.ndarray, low: float, high: float) -> float:
    """Length of the union of intervals [begin, end) clipped to [low, high]."""
    begin, end = np.clip(begin, low, high), np.clip(end, low, high)
    total, reach = 0.0, low
    for b, e in sorted(zip(begin.tolist(), end.tolist(), strict=True)):
        if e > reach:
            total += e - max(b, reach)
            reach = e
    return total


def _waits(r: Records, mask: np.ndarray) -> float:
    """Hours of the window with at least one order of ``mask`` waiting for stock."""
    assert r.stock is not None
    end = np.where(~np.isnan(r.start), r.start,
                   np.where(~np.isnan(r.abandon), r.abandon, r.horizon))
    return _covered(r.stock.demand[mask], end[mask], r.warmup, r.horizon)


def _fill(r: Records, supply: slice | int) -> float:
    assert r.stock is not None
    s = r.stock
    demands = ((r.arrival >= r.warmup) & ~np.isnan(s.demand))[:, None] & (s.need > 0)
    demands, short = demands[:, supply], s.short[:, supply]
    count = int(np.count_nonzero(demands))
    return float("nan") if count == 0 else float(np.count_nonzero(demands & ~short)) / count


def stock_kpis(records: Sequence[Records]) -> dict[str, np.ndarray]:
    """The supplies' KPIs of a batch of Records, one value per replication."""
    values = {name: np.zeros(len(records)) for name in STOCK_KPIS}
    for i, r in enumerate(records):
        if r.stock is None:
            values["fill_rate"][i] = np.nan
            continue
        blocked = r.stock.blocked
        values["stockout_hours"][i] = _waits(r, blocked)
        values["orders_delayed_by_stockout"][i] = np.count_nonzero(
            blocked & (r.arrival >= r.warmup))
        values["fill_rate"][i] = _fill(r, slice(None))
    return values


def absent(count: int) -> dict[str, np.ndarray]:
    """The supplies' KPIs of ``count`` replications of a scenario without supplies."""
    return {"stockout_hours": np.zeros(count), "orders_delayed_by_stockout": np.zeros(count),
            "fill_rate": np.full(count, np.nan)}


def per_supply(records: Records) -> dict[str, dict[str, float]]:
    """Each supply's :data:`STOCK_KPIS` in one replication (empty: no supplies).

    A supply's stock-out hours: the hours of the window during which at least one order
    that found that supply short at its demand moment waited for stock; its delayed
    orders: the orders arriving in the window that found it short (an order short of two
    supplies counts for both, so these add up to ``orders_delayed_by_stockout`` or more).
    """
    if records.stock is None:
        return {}
    s = records.stock
    window = records.arrival >= records.warmup
    return {name: {"stockout_hours": _waits(records, s.short[:, j]),
                   "orders_delayed_by_stockout": float(np.count_nonzero(s.short[:, j]
                                                                        & window)),
                   "fill_rate": _fill(records, j)} for j, name in enumerate(s.names)}
