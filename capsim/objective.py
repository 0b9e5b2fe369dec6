"""What a staffing search minimises: the headcount, or the expected cost of the season.

``headcount`` (the default) is the smallest roster meeting every target. ``cost`` starts
from that roster and adds technicians while the mean ``cost_total`` (wages, overtime,
cover, float pool, and the price of late and abandoned orders: :mod:`capsim.costs`) keeps
falling, on the same replications, and returns the cheapest roster that meets every
target. It stops at the first roster that costs no less than the best so far: wages grow
linearly with the roster while the penalties fall with diminishing returns, so the
expected cost is convex in the roster and its first rise is its minimum (on the same
seeds, a sample path's cost is convex up to noise; the curve shows every roster
evaluated, so a planner can see the rise).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from capsim.errors import ArgumentError
from capsim.results import RunResult
from capsim.scenario import Scenario

Objective = Literal["headcount", "cost"]
OBJECTIVES: tuple[Objective, ...] = ("headcount", "cost")


def check_objective(objective: str, scenario: Scenario) -> None:
    """Raise :class:`ArgumentError` for an unknown objective, or cost without prices."""
    if objective not in OBJECTIVES:
        raise ArgumentError(f"objective must be one of {', '.join(OBJECTIVES)}, got "
                            f"{objective!r}")
    if objective == "cost" and not scenario.has_costs:
        raise ArgumentError(f"{scenario.source}: objective 'cost' needs prices: add a [costs] "
                            "table (wage_per_hour, late_per_order, ...) to the scenario")


def mean_cost(result: RunResult) -> float:
    """The mean cost of a season at this roster (``cost_total``)."""
    return result.kpis["cost_total"].mean


def cheapest(smallest: int, high: int, passes: Callable[[int], bool],
             run_of: Callable[[int], RunResult]) -> int:
    """The cheapest roster meeting every target, from the smallest that does.

    ``passes`` evaluates a roster (memoised) and says whether it meets every target;
    ``run_of`` gives its run. Rosters that miss a target (noise above the smallest) are
    passed over without ending the search.
    """
    best, best_cost = smallest, mean_cost(run_of(smallest))
    roster = smallest
    while roster < high:
        roster += 1
        meets = passes(roster)
        cost = mean_cost(run_of(roster))
        if not meets:
            continue
        if not cost < best_cost or math.isnan(cost):
            break
        best, best_cost = roster, cost
    return best
