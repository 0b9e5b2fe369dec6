"""Edits of a scenario that the decisions make (sizing varies the roster).

Each edit returns a new, validated :class:`Scenario`; the original is unchanged.
"""

from __future__ import annotations

from capsim.scenario.load import scenario_dict, validate, with_overrides
from capsim.scenario.models import Scenario


def counts_only(scenario: Scenario) -> bool:
    """Whether every shift pattern is given by a ``count`` (a fixed plan, no shares)."""
    shifts = scenario.workforce.shifts
    return bool(shifts) and all(s.count is not None for s in shifts)


def with_roster(scenario: Scenario, roster: int) -> Scenario:
    """The scenario with ``roster`` technicians, as the staffing search varies it.

    A plan whose patterns are all given by ``count`` fixes the roster; to size it, the
    counts become shares in proportion (patterns with a count of 0 drop out) and the
    roster is apportioned by them, as for any shared plan (:func:`capsim.attendance.
    assign_patterns`: prefix-stable, so common random numbers hold across rosters). At
    the plan's own total the counts per pattern are the plan's, though which technician
    works which pattern can differ from a run of the file itself.
    """
    if not counts_only(scenario):
        return with_overrides(scenario, [f"workforce.roster={roster}"])
    data = scenario_dict(scenario)
    shifts = [s for s in data["workforce"]["shifts"] if s["count"]]
    total = sum(s["count"] for s in shifts)
    for shift in shifts:
        shift["share"], shift["count"] = shift.pop("count") / total, None
    data["workforce"].update(roster=roster, shifts=shifts)
    return validate(data, source=scenario.source, base_dir=scenario.base_dir)
