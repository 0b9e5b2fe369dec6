"""The scenario schema: the :class:`Scenario` itself, its targets and run defaults.

Frozen, typed pydantic models for everything a scenario file can say; the
tables live in ``orders.py`` (demand, work, classes) and ``staff.py``
(workforce, absence). Every default lives in the field that owns it. This
module validates values and their relations, and owns the typed edits of a
scenario (:meth:`Scenario.replace`, :meth:`Scenario.edit`,
:meth:`Scenario.with_roster`); it does not read TOML (see ``load.py``) and samples
nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, PrivateAttr, model_validator

from capsim.errors import CapsimWarning
from capsim.scenario.base import (
    MAX_CLASSES,
    MAX_ENTRIES,
    MAX_REPLICATIONS,
    MAX_SEED,
    WEEKDAY_NAMES,
    Days,
    FieldError,
    Int,
    Name,
    PositiveDays,
    SchemaModel,
    Text,
    Weekday,
)
from capsim.scenario.checks import (
    check_classes,
    check_data,
    check_peak_rate,
    check_policies,
    check_work,
    mention,
    unused_inputs,
)
from capsim.scenario.classes import ClassWork, Hold, OrderClass
from capsim.scenario.costs import Costs
from capsim.scenario.equipment import Equipment, check_equipment
from capsim.scenario.orders import (
    Batch,
    Demand,
    Patience,
    Quality,
    Returns,
    Surge,
    Trace,
    Work,
)
from capsim.scenario.paths import Edit, FieldPath, edits_of
from capsim.scenario.staff import Absence, Outbreak, Policies, Shift, Vacation, Window, Workforce
from capsim.scenario.stress import StressEvent
from capsim.scenario.supplies import Supply, check_supplies
from capsim.scenario.targets import ClassTargets, Targets, check_targets

#: How messages name a typed edit: ``workforce.roster (from Scenario.replace ...)``.
REPLACE = "Scenario.replace"

__all__ = [
    "WEEKDAY_NAMES", "Absence", "Batch", "ClassTargets", "ClassWork", "Costs", "Demand",
    "Equipment", "Experiment", "FieldError", "Hold", "OrderClass", "Outbreak", "Patience",
    "Policies", "Quality", "Returns", "Scenario", "Shift", "StressEvent", "Surge", "Targets",
    "Trace", "Vacation", "Window", "Work", "Workforce",
]


class Experiment(SchemaModel):
    """Defaults for a Monte Carlo run of this scenario (the CLI may override them)."""

    replications: Int = Field(100, ge=1, le=MAX_REPLICATIONS)
    seed: Int = Field(0, ge=0, le=MAX_SEED)


class Scenario(SchemaModel):
    """A complete description of an operation to simulate."""

    name: Name = Field(min_length=1)
    description: Text = ""
    horizon_days: PositiveDays = Field(description="Length of a replication in days.")
    warmup_days: Days = Field(0, description="Days excluded from the KPIs.")
    start_weekday: Weekday = Field(0, description="Weekday of day 0 (0 = Monday).")
    demand: Demand
    work: Work = Work()
    patience: Patience | None = Field(
        None, description="Abandonment: how long orders wait for their start before they "
        "leave unserved (classes may override); default: none, orders wait for ever.")
    quality: Quality | None = Field(None, description="Defects and rework (classes may "
                                    "override); default: none, every pass is right.")
    returns: Returns | None = Field(None, description="Repeat contacts (classes may override); "
                                    "default: none, nobody comes back.")
    hold: Hold | None = Field(None, description="Information holds (classes may override); "
                              "default: none, no order waits for the customer.")
    classes: tuple[OrderClass, ...] = Field(
        (), max_length=MAX_CLASSES, description="Order classes; default: one class from [work]."
    )
    workforce: Workforce
    absence: Absence = Absence()
    policies: Policies = Policies()
    dispatch: Literal["fifo", "edd", "priority"] = Field(
        "fifo", description="Queue discipline: first in first out, earliest due date, or class "
        "priority (FIFO within a class)."
    )
    targets: Targets = Targets()
    costs: Costs | None = Field(
        None, description="Prices: wages, overtime, cover, late and abandoned orders "
        "(any one currency); default none: no cost KPIs.")
    equipment: Equipment | None = Field(None, description="Workstations; default none.")
    experiment: Experiment = Experiment()
    stress: tuple[StressEvent, ...] = Field(
        (), max_length=MAX_ENTRIES,
        description="Stress events (applied only when enabled; see capsim stress).")
    supplies: tuple[Supply, ...] = Field(
        (), max_length=MAX_ENTRIES, description="Consumables with a reorder policy and "
        "suppliers (reference engine only); classes say what they consume.")
    _source: str = PrivateAttr(default="<scenario>")
    _base_dir: Path | None = PrivateAttr(default=None)
    _allow_outside_files: bool = PrivateAttr(default=False)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, source: str = "<scenario>",
                  base_dir: Path | None = None, edits: Sequence[Edit] = (),
                  flag: str = "--set", allow_outside_files: bool = False) -> Scenario:
        """Validate raw data, ``edits`` applied first (the core of :func:`validate`).

        Inputs that can never take effect (:meth:`unused_inputs`) give a
        :class:`~capsim.errors.CapsimWarning` naming the source and the field.
        """
        context = {"base_dir": base_dir, "allow_outside_files": allow_outside_files}
        scenario = check_data(cls, data, source=source, edits=edits, flag=flag,
                              context=context)
        scenario._base_dir = base_dir
        scenario._source = source
        scenario._allow_outside_files = allow_outside_files
        for field, why in scenario.unused_inputs():
            warnings.warn(f"{source}: {mention(field, edits, flag)}: {why}", CapsimWarning,
                          stacklevel=1)
        return scenario

    def as_data(self) -> dict[str, Any]:
        """The fully resolved scenario (every default filled in) as JSON-ready data."""
        return self.model_dump(mode="json", by_alias=True)

    def replace(self, path: FieldPath, value: Any) -> Scenario:
        """The scenario with the field at ``path`` set to ``value``, validated again.

        Parameters
        ----------
        path : str or sequence of str and int
            The field, as ``--set`` writes it (``demand.surges[0].multiplier``) or as
            parts (``("demand", "surges", 0, "multiplier")``). A list element must
            exist; a table or a list may be replaced whole.
        value : object
            The new value, as TOML would give it (numbers, text, lists, dicts), or a
            scenario table (``Surge(...)``); tuples, numpy numbers and paths are taken
            as lists, Python numbers and text.

        Returns
        -------
        Scenario
            A new scenario with the same :attr:`source` and :attr:`base_dir` (relative
            data-file paths resolve as before); this one is unchanged.

        Raises
        ------
        capsim.errors.ScenarioError
            If the path does not exist or the value does not validate, worded as for
            ``--set``: the source, the field (``from Scenario.replace PATH=VALUE``),
            the value and what is allowed.
        """
        return self.edit([(path, value)])

    def edit(self, changes: Mapping[Any, Any] | Iterable[tuple[FieldPath, Any]], *,
             flag: str = REPLACE) -> Scenario:
        """The scenario with several fields set at once, validated once, after the last.

        ``changes`` maps paths to values (or is a sequence of ``(path, value)`` pairs),
        each as for :meth:`replace`, applied in order. Fields that only make sense
        together (a horizon and its warm-up) can change in one step. ``flag`` names the
        changes in messages (``--vary`` for a sweep's grid points).
        """
        return Scenario.from_data(self.as_data(), source=self.source, base_dir=self.base_dir,
                                  edits=edits_of(changes, flag), flag=flag,
                                  allow_outside_files=self.allow_outside_files)

    def with_roster(self, roster: int) -> Scenario:
        """The scenario with ``roster`` technicians, as the staffing search varies it.

        A plan whose patterns are all given by ``count``
        (:attr:`Workforce.counts_only`) fixes the roster; to size it, the counts become
        shares in proportion (patterns with a count of 0 drop out) and the roster is
        apportioned by them, as for any shared plan
        (:func:`capsim.attendance.assign_patterns`: prefix-stable, so common random
        numbers hold across rosters). At the plan's own total the counts per pattern
        are the plan's, though which technician works which pattern can differ from a
        run of the file itself.
        """
        if not self.workforce.counts_only:
            return self.edit([("workforce.roster", roster)], flag="Scenario.with_roster")
        shifts = [s for s in self.as_data()["workforce"]["shifts"] if s["count"]]
        total = sum(s["count"] for s in shifts)
        for shift in shifts:
            shift["share"], shift["count"] = shift.pop("count") / total, None
        return self.edit([("workforce.roster", roster), ("workforce.shifts", shifts)],
                         flag="Scenario.with_roster")

    @property
    def source(self) -> str:
        """Where the scenario came from (its file), for messages."""
        return self._source

    @property
    def base_dir(self) -> Path | None:
        """The directory its data files are resolved against."""
        return self._base_dir

    @property
    def allow_outside_files(self) -> bool:
        """Whether its data files may lie outside :attr:`base_dir` (kept for overrides)."""
        return self._allow_outside_files

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (pydantic's), without the values cached from this scenario's fields."""
        copied = super().model_copy(update=update, deep=deep)
        for name in ("order_classes", "class_names"):  # the cached_property values
            copied.__dict__.pop(name, None)
        return copied

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.warmup_days >= self.horizon_days:
            raise FieldError("warmup_days", f"must be less than horizon_days "
                             f"({self.horizon_days})", self.warmup_days)
        check_classes(self)
        check_targets(self.targets, self.class_names)
        names = [event.name for event in self.stress]
        if len(set(names)) != len(names):
            raise FieldError("stress", "stress event names repeat", names)
        for i, event in enumerate(self.stress):
            if event.kind == "demand" and self.demand.trace is not None:
                raise FieldError(f"stress[{i}].kind", "a demand event scales sampled arrivals; "
                                 "this scenario replays a trace", event.kind)
        check_work(self)
        try:
            self.absence.vacation.check_fits(self.horizon_days)
        except FieldError as exc:
            raise FieldError(f"absence.vacation.{exc.field}", str(exc), exc.value) from None
        check_peak_rate(self)
        check_supplies(self)
        check_policies(self)
        check_equipment(self.equipment, self.workforce.roster)
        if self.workforce.roster == 0 and self.has_demand:
            raise FieldError("workforce.roster", "no technician to serve the demand; allowed: "
                             ">= 1 when there is demand", 0)
        return self

    @property
    def has_overtime_policy(self) -> bool:
        """Whether technicians may stay past shift end for more work (``policies.overtime``)."""
        return self.policies.overtime is not None

    def unused_inputs(self) -> list[tuple[str, str]]:
        """Inputs that can never take effect, as (field, why): events after the horizon.

        They are valid, so the loader warns about them rather than refusing them.
        """
        return unused_inputs(self)

    @property
    def has_demand(self) -> bool:
        """Whether any order can arrive."""
        d = self.demand
        return d.rate_per_hour > 0 or bool(d.batches) or d.trace is not None

    @cached_property
    def order_classes(self) -> tuple[OrderClass, ...]:
        """The order classes with every default filled in (work, promise).

        A class's promise is the first one given of: its ``promise_hours``, its own
        ``work.promise_hours``, ``[work].promise_hours`` (which defaults to 24 hours).
        """
        if not self.classes:
            # model_construct: the parts are validated already (and a data file is not re-read)
            return (OrderClass.model_construct(name="default", share=1.0, priority=0,
                                               promise_hours=self.work.promise_hours,
                                               # a complete [work] is a complete ClassWork
                                               work=self.work,  # type: ignore[arg-type]
                                               patience=self.patience,
                                               quality=self.quality, returns=self.returns,
                                               hold=self.hold),)
        return tuple(
            c.model_copy(update={"work": c.work or self.work, "promise_hours": self._promise(c),
                                 **{part: getattr(c, part) or getattr(self, part)
                                    for part in ("patience", "quality", "returns", "hold")}})
            for c in self.classes
        )

    @property
    def has_answer_within(self) -> bool:
        """Whether the targets set a service-level threshold (``service_level`` applies)."""
        return self.targets.answer_within_hours is not None

    @property
    def has_float_pool(self) -> bool:
        """Whether a float pool fills absences (``policies.float_pool``, size 1 or more)."""
        return self.policies.float_pool is not None and self.policies.float_pool.size > 0

    @property
    def has_agency(self) -> bool:
        """Whether agency staff can be booked (``policies.agency``)."""
        return self.policies.agency is not None

    @property
    def has_equipment(self) -> bool:
        """Whether work needs a workstation that can fail (``[equipment]``)."""
        return self.equipment is not None

    @property
    def has_costs(self) -> bool:
        """Whether the scenario prices anything (``[costs]``: the cost KPIs apply)."""
        return self.costs is not None

    @property
    def has_patience(self) -> bool:
        """Whether any order can abandon (some class has a patience)."""
        return any(c.patience is not None for c in self.order_classes)

    @property
    def has_quality(self) -> bool:
        """Whether some pass can be wrong (a class's right_first_time below 1)."""
        return any(c.quality is not None and c.quality.right_first_time < 1
                   for c in self.order_classes)

    @property
    def has_returns(self) -> bool:
        """Whether some completed contact can come back (a return probability above 0)."""
        return any(c.returns is not None and c.returns.probability > 0
                   for c in self.order_classes)

    @property
    def has_holds(self) -> bool:
        """Whether some order can wait for the customer (a hold share above 0)."""
        return any(c.hold is not None and c.hold.share > 0 for c in self.order_classes)

    @property
    def has_supplies(self) -> bool:
        """Whether some class consumes a supply (orders may wait for stock)."""
        return any(c.consumes for c in self.classes) and bool(self.supplies)

    @property
    def has_follow_ups(self) -> bool:
        """Whether orders run as jobs: rework, remakes, repeat contacts or holds."""
        return self.has_quality or self.has_returns or self.has_holds

    def _promise(self, order_class: OrderClass) -> float:
        """A class's promise: its own, else its work table's, else ``[work]``'s (24 h)."""
        own = order_class.work.promise_hours if order_class.work is not None else None
        for hours in (order_class.promise_hours, own):
            if hours is not None:
                return hours
        return self.work.promise_hours

    @cached_property
    def class_names(self) -> tuple[str, ...]:
        """Names of the order classes, in order."""
        return tuple(c.name for c in self.order_classes)

    @property
    def active_stress(self) -> tuple[StressEvent, ...]:
        """The stress events that apply (enabled)."""
        return tuple(event for event in self.stress if event.enabled)

    @property
    def horizon_hours(self) -> float:
        """The horizon in hours."""
        return 24.0 * self.horizon_days

    @property
    def warmup_hours(self) -> float:
        """The warm-up in hours."""
        return 24.0 * self.warmup_days
