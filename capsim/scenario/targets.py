"""The ``[targets]`` table: what the operation must achieve, whole floor and per class.

Its fields come from the KPI registry (:mod:`capsim.kpis`): every *sizable* KPI (one that
improves as technicians are added) may carry a target, a larger-is-better one under its
own name (``service_level = 0.8``) and a smaller-is-better one as ``<name>_max``
(``abandonment_rate_max = 0.05``, ``wait_mean_hours_max = 0.5``). ``on_time_rate`` is
always a target (default 0.95: the headline target); the others apply when set. A KPI
added to the registry with ``sizable=True`` gets its field here with no further code.
Share targets lie in (0, 1) (on_time_rate in (0, 1]), hour and count targets above 0.

``[targets.by_class.<class>]`` takes the same fields for one order class's own KPIs
(those the registry reports per class), none of them set by default.

This module owns the table and the checks that need only it and the scenario's class
names (:func:`check_targets`); how targets are met is :mod:`capsim.goals`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, Strict, create_model

from capsim.kpis import KPIS, Kpi
from capsim.scenario.base import FieldError, Name, PositiveHours, SchemaModel, Share

ShareTarget = Annotated[float, Strict(), Field(gt=0, lt=1)]
CountTarget = Annotated[float, Strict(), Field(gt=0, le=1e12)]


def target_field(kpi: Kpi) -> str:
    """The field holding a target on ``kpi``: its name, or ``<name>_max`` (smaller is better)."""
    return f"{kpi.name}_max" if kpi.smaller_is_better else kpi.name


def targetable(per_class: bool) -> tuple[Kpi, ...]:
    """The KPIs a target may name: sizable ones (per class: those reported per class)."""
    return tuple(k for k in KPIS if k.sizable and (k.per_class or not per_class))


def _fields(per_class: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for kpi in targetable(per_class):
        kind = {"rate": ShareTarget, "hours": PositiveHours}.get(kpi.kind, CountTarget)
        bound = "at most" if kpi.smaller_is_better else "at least"
        whose = "the class's own " if per_class else ""
        fields[target_field(kpi)] = (kind | None, Field(
            None, description=f"Target: {whose}{kpi.name} ({kpi.description}) {bound} this; "
            "none: no target on it."))
    return fields


class TargetFields(SchemaModel):
    """What the target tables share: one optional target per targetable KPI."""

    def set_targets(self) -> dict[str, float]:
        """``{kpi: target}`` for the targets this table sets, in registry order."""
        out = {}
        for kpi in KPIS:
            value = getattr(self, target_field(kpi), None) if kpi.sizable else None
            if value is not None:
                out[kpi.name] = float(value)
        return out


if TYPE_CHECKING:  # the derived models have these fields and methods, and more
    ClassTargets = TargetFields
    _WholeFloor = TargetFields
else:
    ClassTargets = create_model(
        "ClassTargets", __base__=TargetFields, __module__=__name__,
        __doc__="Targets on one order class's own KPIs (none set by default).",
        **_fields(per_class=True))
    _WholeFloor = create_model("WholeFloorTargets", __base__=TargetFields,
                               __module__=__name__, **_fields(per_class=False))


class Targets(_WholeFloor):
    """What the operation must achieve, and how a service level is counted."""

    on_time_rate: Share = Field(0.95, description="Target: on_time_rate at least this "
                                "(the headline target, always applies).")
    answer_within_hours: PositiveHours | None = Field(
        None, description="The service level's threshold: the share of orders whose wait "
        "for their start is at most this (the contact centre's '80 % in 20 s'); none: no "
        "service_level KPI.")
    abandoned_short: Literal["exclude", "met", "missed"] = Field(
        "exclude", description="An order that abandoned within answer_within_hours: left "
        "out of the service level, counted as met, or as missed.")
    by_class: dict[Name, ClassTargets] = Field(
        default_factory=dict, description="Targets per order class: [targets.by_class.NAME] "
        "with the same fields, on that class's own KPIs.")

    def __hash__(self) -> int:  # frozen, but by_class is a dict
        return hash(self.model_dump_json())


def check_targets(targets: Targets, class_names: tuple[str, ...]) -> None:
    """Refuse targets the scenario cannot measure (:class:`FieldError` naming the field).

    An unknown class, a service-level target without a threshold.
    """
    known = ", ".join(map(repr, class_names))
    if targets.by_class and len(class_names) < 2:
        raise FieldError("targets.by_class", "per-class targets need two or more order "
                         "classes ([[classes]]); with one, the [targets] apply to it",
                         sorted(targets.by_class))
    for name in targets.by_class:
        if name not in class_names:
            raise FieldError(f"targets.by_class.{name}", f"unknown order class; allowed: "
                             f"{known}", name)
    if targets.answer_within_hours is None:
        tables = [("targets", targets), *((f"targets.by_class.{n}", t)
                                          for n, t in targets.by_class.items())]
        for where, table in tables:
            if "service_level" in table.set_targets():
                raise FieldError(f"{where}.service_level", "a service-level target needs "
                                 "targets.answer_within_hours (the threshold it counts)",
                                 table.set_targets()["service_level"])
