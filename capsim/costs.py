"""The cost KPIs: the scenario's prices (``[costs]``) times what a replication recorded.

A linear layer over quantities both KPI paths already have, computed by this one
module for both (:mod:`capsim.metrics` from Records, :mod:`capsim.engines.fused` from
its compiled reductions), so the two agree bit for bit and a cost is an exact sum:

- ``cost_wages``: Σ over paid technician-days in the window of the scheduled hours
  (inside the horizon) × the wage of the technician's pattern;
- ``cost_overtime``: Σ over technician-days of overtime hours × wage × overtime premium;
- ``cost_cover``: covered days in the window × ``cover_per_day``;
- ``cost_float``: float-pool days worked in the window × ``float_per_day``;
- ``cost_agency``: agency days worked in the window × ``agency_per_day``;
- ``cost_late``: ``orders_late`` × ``late_per_order`` + ``late_hours`` × ``late_per_hour``;
- ``cost_abandoned``: ``orders_abandoned`` × ``abandoned_per_order``;
- ``cost_total``: their sum; ``cost_per_order``: the total over ``orders_arrived``.

Which days are paid is :class:`capsim.scenario.costs.Costs`'s rule. Without ``[costs]``
every cost KPI is NaN (nothing to price), and tables leave them out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from capsim.agency import agency_size
from capsim.attendance import Status, assign_patterns, shift_patterns
from capsim.policies import pool_size
from capsim.scenario import Scenario
from capsim.scenario.costs import Costs

#: The cost KPIs, in registry order.
COST_NAMES = ("cost_total", "cost_wages", "cost_overtime", "cost_cover", "cost_float",
              "cost_agency", "cost_late", "cost_abandoned", "cost_per_order")
#: Statuses paid whatever ``absent_paid`` says: working, and vacation (paid leave).
_ALWAYS_PAID = (Status.PRESENT, Status.VACATION)


def wages(scenario: Scenario, rows: int) -> np.ndarray:
    """The wage per hour of each of ``rows`` technician rows.

    The pattern's ``wage_per_hour``, else ``[costs].wage_per_hour``; 0 for the float
    pool's and the agency's rows after the roster (paid by the day, ``float_per_day`` and
    ``agency_per_day``) and everywhere without ``[costs]``.
    """
    costs = scenario.costs
    roster = rows - pool_size(scenario) - agency_size(scenario)
    if costs is None or roster <= 0:
        return np.zeros(rows)
    patterns = shift_patterns(scenario)
    own = np.array([costs.wage_per_hour if p.wage_per_hour is None else p.wage_per_hour
                    for p in patterns])
    pattern, _ = assign_patterns(patterns, roster)
    return np.concatenate([own[pattern], np.zeros(rows - roster)])


def cost_kpis(costs: Costs | None, wage: np.ndarray, status: np.ndarray,
              shift_start: np.ndarray, shift_end: np.ndarray, overtime: np.ndarray,
              horizon: float, warmup: float, kpis: Mapping[str, np.ndarray]
              ) -> dict[str, np.ndarray]:
    """The cost KPIs of a batch of replications (technician-day tables stacked).

    ``kpis`` holds the batch's ``orders_late``, ``late_hours``, ``orders_abandoned`` and
    ``orders_arrived`` (one value per replication).
    """
    count = status.shape[0]
    if costs is None:
        return {name: np.full(count, np.nan) for name in COST_NAMES}
    first_day = round(warmup / 24.0)
    window = (slice(None), slice(None), slice(first_day, None))
    paid = np.isin(status, _ALWAYS_PAID)
    if costs.absent_paid:
        paid |= ~np.isin(status, (Status.DAY_OFF, Status.FLOAT, Status.AGENCY))
    hours = np.where(paid, np.minimum(shift_end, horizon) - shift_start, 0.0)
    rate = wage[None, :, None]
    parts = {
        "cost_wages": (hours * rate)[window].sum(axis=(1, 2)),
        "cost_overtime": (overtime * rate)[window].sum(axis=(1, 2)) * costs.overtime_premium,
        "cost_cover": (status == Status.COVERED)[window].sum(axis=(1, 2)) * costs.cover_per_day,
        "cost_float": (status == Status.FLOAT)[window].sum(axis=(1, 2)) * costs.float_per_day,
        "cost_agency": ((status == Status.AGENCY)[window].sum(axis=(1, 2))
                        * costs.agency_per_day),
        "cost_late": (kpis["orders_late"] * costs.late_per_order
                      + kpis["late_hours"] * costs.late_per_hour),
        "cost_abandoned": kpis["orders_abandoned"] * costs.abandoned_per_order,
    }
    total = (parts["cost_wages"] + parts["cost_overtime"] + parts["cost_cover"]
             + parts["cost_float"] + parts["cost_agency"] + parts["cost_late"]
             + parts["cost_abandoned"])
    arrived = kpis["orders_arrived"]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_order = np.where(arrived > 0, total / arrived, np.nan)
    return {"cost_total": total, **parts, "cost_per_order": per_order}
