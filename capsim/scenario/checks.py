"""Validating raw scenario data, edits applied, and the wording of what is wrong.

A pydantic error becomes a :class:`~capsim.errors.FieldProblem` naming the field
path, the value and what is allowed; a field an edit set is named with the edit
(``workforce.roster (from --set workforce.roster=-1)``). The functions take the root
model as an argument, so that this module sits below the :class:`Scenario` class,
whose edit methods validate through it as the loader does.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from capsim.errors import FieldProblem, ScenarioError
from capsim.scenario.base import MAX_RATE_PER_HOUR, FieldError
from capsim.scenario.describe import allowed_values, field_names
from capsim.scenario.files import quote
from capsim.scenario.orders import surge_peak
from capsim.scenario.paths import Edit, PathPart, apply_edits, check_depth, format_path, parse_path

Model = TypeVar("Model", bound=BaseModel)


def check_data(model: type[Model], data: dict[str, Any], *, source: str,
               edits: Sequence[Edit] = (), flag: str = "--set",
               context: dict[str, Any] | None = None) -> Model:
    """``data`` with ``edits`` applied, validated as ``model``.

    Parameters
    ----------
    model : type
        The root model (:class:`~capsim.scenario.Scenario`).
    data : dict
        Raw data, as read from TOML.
    source : str
        How to name the data in messages (its file).
    edits : sequence of Edit
        Changes to apply first.
    flag : str
        What the edits came from, for messages (``--set``, ``--vary``,
        ``Scenario.replace``).
    context : dict, optional
        The pydantic validation context.

    Raises
    ------
    capsim.errors.ScenarioError
        Naming ``source`` and every problem found.
    """
    check_depth(data, source)
    data = apply_edits(data, edits, flag)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [problem(e, model, edits, flag) for e in exc.errors(include_url=False)]
        raise ScenarioError(source, problems) from None


def format_value(value: Any) -> str:
    """A bad value as messages quote it (at most 80 characters)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 80 else text[:77] + "..."


def problem(error: Any, model: type[BaseModel], edits: Sequence[Edit],
            flag: str) -> FieldProblem:
    """One pydantic error (from ``errors()``) of ``model`` in words."""
    loc: list[PathPart] = [p for p in error["loc"] if p != "__root__"]
    message = error["msg"].removeprefix("Value error, ")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        loc += parse_path(cause.field)
        value = None if cause.value is None else format_value(cause.value)
        return FieldProblem(mention(format_path(loc), edits, flag), message, value)
    field = format_path(loc)
    if error["type"] == "extra_forbidden":
        names = field_names(model, loc[:-1])
        key = str(loc[-1])
        guess = [n for n in names if n.startswith(key)] or difflib.get_close_matches(
            key, names, n=1, cutoff=0.6)
        message = "unknown field" + (f"; did you mean {guess[0]!r}?" if guess else "")
        return FieldProblem(mention(field, edits, flag), message, None, ", ".join(names))
    if error["type"] == "missing":
        return FieldProblem(field, "required field is missing", None,
                            allowed_values(model, loc))
    return FieldProblem(mention(field, edits, flag), message,
                        format_value(error.get("input")), allowed_values(model, loc))


def mention(field: str, edits: Sequence[Edit], flag: str) -> str:
    """``field``, with the edit (``--set``, ``--vary``, ...) that put its value there, if any.

    An edit puts the value of its own field and of every field inside the value it sets
    (a table, a list); of several, the last applied is the one that counts.
    """
    for edit in reversed(edits):
        path = format_path(edit.parts)
        if field and (field == path or field.startswith((f"{path}.", f"{path}["))):
            return f"{field} (from {flag} {edit.text})"
    return field


def unused_inputs(scenario: Any) -> list[tuple[str, str]]:
    """Inputs that can never take effect, as (field, why): late events, unused supplies.

    They are valid, so the loader warns about them rather than refusing them.
    """
    end, days = scenario.horizon_hours, scenario.horizon_days
    after = f"after the horizon ({scenario.horizon_days} days, hour {end:g})"
    notes = [(f"demand.surges[{i}].start_hour", f"starts at hour {s.start_hour:g}, {after}; "
              "it never applies") for i, s in enumerate(scenario.demand.surges)
             if s.start_hour >= end]
    notes += [(f"demand.batches[{i}].at_hour", f"arrives at hour {b.at_hour:g}, {after}; "
               "its orders never arrive") for i, b in enumerate(scenario.demand.batches)
              if b.at_hour >= end]
    notes += [(f"stress[{i}].start_day", f"starts on day {e.start_day}, {after}; it never "
               "applies") for i, e in enumerate(scenario.stress) if e.start_day >= days]
    notes += [(f"absence.outbreaks[{i}].start_day", f"starts on day {o.start_day}, {after}; "
               "it never happens") for i, o in enumerate(scenario.absence.outbreaks)
              if o.start_day is not None and o.start_day >= days]
    trace = scenario.demand.trace
    if trace is not None:
        late = int((trace.data.arrival_hour >= end).sum())
        if late:
            notes.append(("demand.trace.file", f"{late:,} of {trace.data.arrival_hour.size:,}"
                          f" arrivals fall at or {after}; they are left out"))
    if scenario.supplies and not any(c.consumes for c in scenario.classes):
        notes.append(("supplies", "no order class consumes any of them ([[classes]] "
                      "consumes); they never take effect"))
    return notes


def check_classes(scenario: Any) -> None:
    """Class names unique, shares summing to 1, every class named somewhere known."""
    names = [c.name for c in scenario.classes]
    if len(set(names)) != len(names):
        raise FieldError("classes", "class names repeat", names)
    total = sum(c.share for c in scenario.classes)
    if scenario.classes and not math.isclose(total, 1, abs_tol=1e-9):
        raise FieldError("classes", f"shares sum to {total:g}; they must sum to 1")
    known = ", ".join(map(repr, scenario.class_names))
    for i, batch in enumerate(scenario.demand.batches):
        if batch.order_class is not None and batch.order_class not in scenario.class_names:
            raise FieldError(f"demand.batches[{i}].class", f"unknown order class; allowed: "
                             f"{known}", batch.order_class)
    trace = scenario.demand.trace
    if trace is not None and trace.data.order_class is not None:
        unknown = sorted(set(trace.data.order_class) - set(scenario.class_names))
        if unknown:
            raise FieldError("demand.trace.file", f"unknown order class "
                             f"{quote(unknown[0])} in the trace; allowed: {known}",
                             str(trace.file))
    for i, c in enumerate(scenario.classes or [scenario]):
        back = c.returns.as_class if c.returns is not None else None
        if back is not None and back not in scenario.class_names:
            where = f"classes[{i}].returns" if scenario.classes else "returns"
            raise FieldError(f"{where}.as_class", f"unknown order class; allowed: {known}",
                             back)


def check_policies(scenario: Any) -> None:
    """The policies fit the workforce.

    Overtime within the rest between two shifts, the agency's pattern named, its demand
    rule on a forecast.
    """
    _check_overtime(scenario)
    _check_agency(scenario)


def _check_overtime(scenario: Any) -> None:
    overtime = scenario.policies.overtime
    if overtime is None:
        return
    if scenario.workforce.always_on:
        raise FieldError("policies.overtime", "workforce.always_on has no shift end to "
                         "work past; allowed: overtime with [[workforce.shifts]]")
    pattern, rest = scenario.workforce.shortest_rest()
    if overtime.max_hours > rest:
        raise FieldError("policies.overtime.max_hours", f"is longer than the {rest:g} h "
                         f"between two shifts of pattern {pattern!r}; allowed: at most "
                         f"{rest:g}", overtime.max_hours)


def _check_agency(scenario: Any) -> None:
    agency = scenario.policies.agency
    if agency is None:
        return
    names = [s.name for s in scenario.workforce.shifts]
    if agency.shift is not None and agency.shift not in names:
        raise FieldError("policies.agency.shift", "names no shift pattern; allowed: "
                         + (", ".join(repr(n) for n in names) or "none (always_on: leave "
                            "shift unset)"), agency.shift)
    if agency.rule == "demand" and scenario.demand.trace is not None:
        raise FieldError("policies.agency.rule", "'demand' books by the rate profile's "
                         "forecast; this scenario replays a trace (use 'short')",
                         agency.rule)


def check_peak_rate(scenario: Any) -> None:
    """The arrival rate's peak (profiles, overlapping surges, demand stress) is bounded."""
    d = scenario.demand
    if d.rate_per_hour == 0:
        return
    surges = [s for s in d.surges if s.start_hour < scenario.horizon_hours]
    spikes = [e.multiplier or 1.0 for e in scenario.stress if e.kind == "demand"]
    peak = (d.rate_per_hour * max(d.hour_profile) * max(d.week_profile)
            * surge_peak(surges) * max([1.0, *spikes]))
    if peak > MAX_RATE_PER_HOUR:
        raise FieldError("demand.rate_per_hour", f"with the profiles, overlapping surges "
                         f"and demand stress events, the arrival rate reaches {peak:.3g} "
                         f"orders per hour; allowed: at most {MAX_RATE_PER_HOUR:,.0f}",
                         d.rate_per_hour)

def check_work(scenario: Any) -> None:
    """Every duration table a class uses is complete (its own, else the scenario's)."""
    for i, order_class in enumerate(scenario.classes or [None]):
        for part in ("work", "patience", "quality", "returns", "hold"):
            own = order_class is not None and getattr(order_class, part) is not None
            table = getattr(order_class if own else scenario, part)
            where = f"classes[{i}].{part}" if own else part
            tables = {} if table is None else (
                table.durations() if part in ("quality", "returns", "hold") else {"": table})
            for name, duration in tables.items():
                try:
                    duration.check_complete()
                except FieldError as exc:
                    inner = f"{name}.{exc.field}" if name else exc.field
                    raise FieldError(f"{where}.{inner}", str(exc), exc.value) from None
