"""The knobs a planner turns on the what-if page, and the scenario they make.

A :class:`Knob` is one scenario field (``absence.daily_rate``,
``demand.surges[1].multiplier``, ...) with the scenario's own value as its default
and the schema's description of the field as its help text. :func:`knobs` lists
those of a scenario: its roster (or the count on each shift pattern, when the plan
fixes them), absence, cover, vacation and its blackouts, each surge's multiplier and
window, the promise, the target, replications and seed.

:func:`apply` turns the values on the page into ``--set PATH=VALUE`` overrides, only
for the knobs that moved, and validates the scenario with them exactly as
``capsim run SCENARIO --set ...`` does: the same scenario, and for a bad value the
same message, which the page shows next to the knob it names. This module knows
nothing of Streamlit.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from capsim.app.sources import Source
from capsim.errors import CapsimWarning, ScenarioError
from capsim.scenario import Scenario, json_schema, validate
from capsim.scenario.paths import format_path, path_parts

Number = int | float

#: Help for fields whose schema entry has no description of its own.
_HELP = {
    "workforce.roster": "Technicians employed (headcount).",
    "absence.daily_rate": "Chance that a scheduled technician-day is lost to an unplanned "
    "absence, each day independently.",
    "absence.last_minute_share": "Share of absences known only at shift start; they are never "
    "covered.",
    "absence.cover_probability": "Chance that an absence known the day before is covered by a "
    "replacement.",
    "absence.vacation.weeks_per_year": "Vacation weeks per technician per year.",
    "targets.on_time_rate": "The on-time share to reach (the target of the headline and of "
    "'size it').",
    "experiment.replications": "Seasons simulated; each a fresh draw of demand and absences.",
    "experiment.seed": "Root seed: the same seed gives the same seasons (common random "
    "numbers across what-ifs).",
    "start_day": "Whole days from the start of day 0.",
    "end_day": "Whole days from the start of day 0; after start_day.",
}


@dataclass(frozen=True)
class Knob:
    """One field the page lets a planner change.

    Attributes
    ----------
    path : str
        The field, as ``--set`` writes it.
    label : str
        What the page calls it.
    group : str
        The section of the page it sits in.
    default : int or float
        The scenario's own value.
    help : str
        The field's description from the schema (or a short one written here).
    adds : str or None
        For a field of an element the scenario does not have yet (a new blackout, a new
        surge): the list it is added to, once one of its knobs moves.
    """

    path: str
    label: str
    group: str
    default: Number
    help: str
    adds: str | None = None

    @property
    def whole(self) -> bool:
        """Whether the field takes whole numbers."""
        return isinstance(self.default, int)


@dataclass(frozen=True)
class Edited:
    """The scenario the knobs describe, or why there is none.

    Attributes
    ----------
    scenario : Scenario or None
        The validated scenario; None when a value is refused.
    overrides : tuple of str
        ``PATH=VALUE`` for each knob that moved, as ``--set`` takes them.
    errors : dict of str to str
        A message per knob path (the CLI's words for the field), for the page to show
        beside it.
    general : tuple of str
        Messages that name no knob (the whole CLI message when nothing more precise).
    warnings : tuple of str
        What the scenario's validation warned about.
    """

    scenario: Scenario | None
    overrides: tuple[str, ...]
    errors: dict[str, str] = field(default_factory=dict)
    general: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _value(data: Any, path: str) -> Any:
    for part in path_parts(path):
        data = data[part]
    return data


def _node(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema node with ``$ref`` followed and a nullable ``anyOf`` opened."""
    while True:
        if "$ref" in node:
            node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]],
                    **{k: v for k, v in node.items() if k != "$ref"}}
        elif "anyOf" in node:
            kinds = [n for n in node["anyOf"] if n.get("type") != "null"]
            node = {**kinds[0], **{k: v for k, v in node.items() if k != "anyOf"}}
        else:
            return node


@cache
def _schema() -> dict[str, Any]:
    return json_schema()


def field_help(path: str) -> str:
    """The schema's description of the field at ``path`` (or a short one written here)."""
    schema = _schema()
    node: dict[str, Any] = schema
    described = ""
    for part in path_parts(path):
        node = _node(schema, node)
        node = node["items"] if isinstance(part, int) else node.get("properties", {}).get(part,
                                                                                          {})
        described = node.get("description", "")
    last = path_parts(path)[-1]
    return described or _HELP.get(path) or _HELP.get(str(last), "")


def _knob(data: dict[str, Any], path: str, label: str, group: str) -> Knob:
    return Knob(path, label, group, _value(data, path), field_help(path))


#: The element a planner may add, per list: its fields, their starting values and labels.
NEW: dict[str, tuple[str, str, dict[str, tuple[float, str]]]] = {
    "absence.vacation.blackouts": ("Vacation", "New blackout", {
        "start_day": (0, "first day"), "end_day": (0, "end day (excluded)")}),
    "demand.surges": ("Demand surges", "New surge", {
        "multiplier": (1.0, "multiplier"), "start_hour": (0.0, "start hour"),
        "end_hour": (0.0, "end hour")}),
}
#: Fields the added element gets besides its knobs.
NEW_FIXED = {"demand.surges": {"name": "new surge"}}


def _new_knobs(data: dict[str, Any], where: str) -> list[Knob]:
    """Knobs for one more element of the list ``where``; moving one adds the element."""
    group, title, fields = NEW[where]
    index = len(_value(data, where))
    return [Knob(f"{where}[{index}].{name}", f"{title}: {label}", group, default,
                 field_help(f"{where}[{index}].{name}"), adds=where)
            for name, (default, label) in fields.items()]


def _staff_knobs(scenario: Scenario, data: dict[str, Any]) -> list[Knob]:
    if not scenario.workforce.counts_only:
        return [_knob(data, "workforce.roster", "Roster (technicians)", "Staff")]
    return [_knob(data, f"workforce.shifts[{i}].count",
                  f"Technicians on {shift.name or f'pattern {i + 1}'}", "Staff")
            for i, shift in enumerate(scenario.workforce.shifts)]


def _promise_knobs(scenario: Scenario, data: dict[str, Any]) -> list[Knob]:
    found = [_knob(data, "work.promise_hours", "Promise (hours)", "Promise and target")]
    for i, order_class in enumerate(scenario.classes):
        if order_class.promise_hours is not None:
            found.append(_knob(data, f"classes[{i}].promise_hours",
                               f"Promise of {order_class.name} (hours)", "Promise and target"))
    return found


def knobs(scenario: Scenario) -> list[Knob]:
    """The knobs of a scenario, in the order the page shows them."""
    data = scenario.as_data()
    found = _staff_knobs(scenario, data)
    found += [_knob(data, "absence.daily_rate", "Absence rate (per technician-day)", "Absence"),
              _knob(data, "absence.last_minute_share", "Last-minute share", "Absence"),
              _knob(data, "absence.cover_probability", "Cover probability", "Absence"),
              _knob(data, "absence.vacation.weeks_per_year", "Vacation weeks per year",
                    "Vacation")]
    for i, _ in enumerate(scenario.absence.vacation.blackouts):
        base = f"absence.vacation.blackouts[{i}]"
        found += [_knob(data, f"{base}.start_day", f"Blackout {i + 1}: first day", "Vacation"),
                  _knob(data, f"{base}.end_day", f"Blackout {i + 1}: end day (excluded)",
                        "Vacation")]
    found += _new_knobs(data, "absence.vacation.blackouts")
    for i, surge in enumerate(scenario.demand.surges):
        name = surge.name or f"surge {i + 1}"
        base = f"demand.surges[{i}]"
        found += [_knob(data, f"{base}.multiplier", f"{name}: multiplier", "Demand surges"),
                  _knob(data, f"{base}.start_hour", f"{name}: start hour", "Demand surges"),
                  _knob(data, f"{base}.end_hour", f"{name}: end hour", "Demand surges")]
    found += _new_knobs(data, "demand.surges")
    found += _promise_knobs(scenario, data)
    found += [_knob(data, "targets.on_time_rate", "On-time target", "Promise and target"),
              _knob(data, "experiment.replications", "Replications", "Run"),
              _knob(data, "experiment.seed", "Seed", "Run")]
    return found


def literal(value: Number) -> str:
    """A number as a TOML literal, the way ``--set`` reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _normal(knob: Knob, value: Any) -> Any:
    """A whole number for a whole-number knob when the page gave one as a float."""
    if knob.whole and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def inline(value: Any) -> str:
    """Plain data (tables, lists, text, numbers) as one TOML inline literal."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()
                               if v is not None) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string, escapes included
    return literal(value)


def overrides(knob_list: list[Knob], values: Mapping[str, Any],
              data: Mapping[str, Any] | None = None) -> list[str]:
    """``PATH=VALUE`` for each knob whose value moved from its default, in knob order.

    A moved knob of a new element (:attr:`Knob.adds`) adds the element: the whole list,
    the scenario's elements (from ``data``, the scenario's tables) and the new one,
    comes first, so that the edits of the elements already there apply to it.
    """
    moved, lists = [], []
    added: dict[str, dict[str, Any]] = {}
    for knob in knob_list:
        value = _normal(knob, values.get(knob.path, knob.default))
        changed = type(value) is not type(knob.default) or value != knob.default
        if knob.adds is not None:
            element = added.setdefault(knob.adds, dict(NEW_FIXED.get(knob.adds, {})))
            element[str(path_parts(knob.path)[-1])] = value
            if changed and knob.adds not in lists:
                lists.append(knob.adds)
        elif changed and knob.path in values:
            moved.append(f"{knob.path}={literal(value)}")
    if lists and data is None:
        raise ValueError("adding an element needs the scenario's data")
    grown = [f"{where}={inline([*_value(data, where), added[where]])}" for where in lists]
    return grown + moved


def apply(source: Source, knob_list: list[Knob], values: Mapping[str, Any]) -> Edited:
    """The source's scenario with the knobs' values, validated as ``--set`` would be."""
    moved = overrides(knob_list, values, _base_data(source) if any(
        k.adds for k in knob_list) else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CapsimWarning)
        try:
            scenario = validate(source.data, source=source.label, base_dir=source.base_dir,
                                overrides=moved)
        except ScenarioError as exc:
            return _refused(exc, moved, {k.path for k in knob_list})
    said = tuple(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, CapsimWarning)))
    return Edited(scenario, tuple(moved), warnings=said)


def _base_data(source: Source) -> dict[str, Any]:
    """The source's scenario tables, every default filled in (what the knobs start from)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapsimWarning)
        return validate(source.data, source=source.label, base_dir=source.base_dir).as_data()


def _refused(exc: ScenarioError, moved: list[str], paths: set[str]) -> Edited:
    errors: dict[str, str] = {}
    general: list[str] = []
    for problem in exc.problems:
        where = _canonical(problem.field)
        if where in paths and where not in errors:
            errors[where] = problem.render()
        else:
            general.append(problem.render())
    if general or not errors:
        general = [str(exc)]
    return Edited(None, tuple(moved), errors, tuple(general))


def _canonical(text: str) -> str:
    """The field a problem names, without the ``(from --set ...)`` that may follow it."""
    text = text.split(" (from ", 1)[0]
    try:
        return format_path(path_parts(text))
    except ValueError:
        return text
