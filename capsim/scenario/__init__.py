"""Scenarios: the schema (``models``), loading and overrides (``load``), writing (``dump``).

A :class:`Scenario` is frozen and typed; load one with :func:`load_scenario`, change it
with its typed edits (:meth:`Scenario.replace`, :meth:`Scenario.edit`,
:meth:`Scenario.with_roster`), write it with :func:`scenario_toml`.
"""

from capsim.scenario.dump import data_files, scenario_toml
from capsim.scenario.edits import counts_only, replace, with_roster
from capsim.scenario.load import (
    apply_overrides,
    json_schema,
    load_scenario,
    parse_override,
    scenario_dict,
    validate,
    with_overrides,
)
from capsim.scenario.models import (
    WEEKDAY_NAMES,
    Absence,
    Batch,
    ClassWork,
    Costs,
    Demand,
    Equipment,
    Hold,
    OrderClass,
    Outbreak,
    Patience,
    Policies,
    Quality,
    Returns,
    Scenario,
    Shift,
    StressEvent,
    Surge,
    Trace,
    Vacation,
    Window,
    Work,
    Workforce,
)
from capsim.scenario.paths import FieldPath
from capsim.scenario.staff import Agency, FloatPool
from capsim.scenario.supplies import Backup, Consumption, Outages, ScheduledOutage, Supply

__all__ = [
    "WEEKDAY_NAMES",
    "Absence",
    "Agency",
    "Backup",
    "Batch",
    "ClassWork",
    "Consumption",
    "Costs",
    "Demand",
    "Equipment",
    "FieldPath",
    "FloatPool",
    "Hold",
    "OrderClass",
    "Outages",
    "Outbreak",
    "Patience",
    "Policies",
    "Quality",
    "Returns",
    "Scenario",
    "ScheduledOutage",
    "Shift",
    "StressEvent",
    "Supply",
    "Surge",
    "Trace",
    "Vacation",
    "Window",
    "Work",
    "Workforce",
    "apply_overrides",
    "counts_only",
    "data_files",
    "json_schema",
    "load_scenario",
    "parse_override",
    "replace",
    "scenario_dict",
    "scenario_toml",
    "validate",
    "with_overrides",
    "with_roster",
]
