"""Consumables: ``[[supplies]]`` (stock, reorder policy, suppliers, outages) and per-class use.

A supply is a stock of units on the shelf. Orders consume units (``[[classes]]
consumes``, :class:`Consumption`); an order cannot start without all its units. The
stock is replenished by a reorder policy through a supplier with a random lead time:

- ``base_stock``: order up to ``order_up_to`` (S) on every demand (continuous review)
  or at every review;
- ``s_S``: when the inventory position is at or below ``reorder_point`` (s), order up
  to S;
- ``r_Q``: when the position is at or below s, order ``quantity`` (Q), again and again
  until it is above s.

The *inventory position* is on hand + on order − backordered (the units demanded by
orders blocked for lack of stock). ``review_hours`` = 0 is continuous review (the
policy looks at the position at every demand, and at hour 0); above 0 it looks every
``review_hours`` hours from hour 0 only. A supplier ships nothing during its outages
(random: ``outages.rate_per_year`` and ``outages.duration``; scheduled:
``outages.scheduled``; and the ``[[stress]]`` events of kind ``"supplier"``): an
order placed during one goes to the ``backup`` supplier if there is one, else its lead
time counts from the outage's end; an order already in transit when an outage starts
still arrives on time. Lead times and outage durations are duration tables in
minutes, like ``[work]``.

Only the reference (SimPy) engine models stock; the fast engine refuses scenarios
with supplies and ``--engine auto`` falls back to SimPy. The dynamics are described
in :mod:`capsim.engines.simpy_stock`, the draws in :mod:`capsim.supplies`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, Strict, WithJsonSchema, model_validator

from capsim.scenario.base import (
    MAX_ENTRIES,
    Days,
    FieldError,
    Float,
    Hours,
    Name,
    PositiveDays,
    Price,
    SchemaModel,
)
from capsim.scenario.orders import Duration

#: Most units of any stock level, order or consumption (beyond it, a typo).
MAX_UNITS = 1e9
#: Most random outages a year.
MAX_OUTAGES_PER_YEAR = 365.0
Units = Annotated[float, Strict(), Field(ge=0, le=MAX_UNITS)]
PositiveUnits = Annotated[float, Strict(), Field(gt=0, le=MAX_UNITS)]


class Consumption(SchemaModel):
    """Units of one supply an order uses: a mean and how they vary from order to order."""

    mean: Units = Field(description="Mean units per order.")
    distribution: Literal["fixed", "poisson"] = Field(
        "fixed", description="fixed: exactly mean; poisson: a Poisson count of that mean.")


def _as_table(value: Any) -> Any:
    """A bare number of units is a fixed consumption of that many."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"mean": value}
    return value


_UNITS_SCHEMA = {"type": "number", "minimum": 0, "maximum": MAX_UNITS}
#: What a class consumes of a supply: units per order (a fixed amount), or a
#: :class:`Consumption` table.
Use = Annotated[Consumption, BeforeValidator(_as_table), WithJsonSchema({"anyOf": [
    {**_UNITS_SCHEMA, "description": "Units per order (fixed)."},
    {"type": "object", "required": ["mean"], "additionalProperties": False,
     "properties": {"mean": {**_UNITS_SCHEMA, "description": "Mean units per order."},
                    "distribution": {"enum": ["fixed", "poisson"], "default": "fixed",
                                     "description": "fixed: exactly mean; poisson: a "
                                     "Poisson count of that mean."}}}]})]


class ScheduledOutage(SchemaModel):
    """A known supplier stop: from the start of ``start_day`` for ``days`` days."""

    start_day: Days = Field(description="First day of the outage.")
    days: PositiveDays = Field(description="How many days it lasts.")


class Outages(SchemaModel):
    """When the primary supplier ships nothing: random events and scheduled stops."""

    rate_per_year: Annotated[Float, Field(ge=0, le=MAX_OUTAGES_PER_YEAR)] = Field(
        0.0, description="Random outages per year (a Poisson process over the horizon).")
    duration: Duration | None = Field(
        None, description="Minutes a random outage lasts (needed when rate_per_year > 0).")
    scheduled: tuple[ScheduledOutage, ...] = Field(
        (), max_length=MAX_ENTRIES, description="Known stops ([{start_day, days}]).")

    @model_validator(mode="after")
    def _duration_given(self) -> Self:
        if self.rate_per_year > 0:
            if self.duration is None:
                raise FieldError("duration", "random outages (rate_per_year > 0) need a "
                                 "duration table")
            try:
                self.duration.check_complete()
            except FieldError as exc:
                raise FieldError(f"duration.{exc.field}", str(exc), exc.value) from None
        return self


class Backup(SchemaModel):
    """A second supplier, used for orders placed while the primary is in an outage."""

    lead_time: Duration = Field(description="Minutes from an order to its arrival.")
    price_per_unit: Price | None = Field(None, description="What a unit costs from it "
                                         "(informative; not priced in the KPIs).")


class Supply(SchemaModel):
    """One consumable: its starting stock, reorder policy and suppliers (module docstring)."""

    name: Name = Field(min_length=1)
    initial_stock: Units = Field(description="Units on the shelf at hour 0.")
    policy: Literal["base_stock", "s_S", "r_Q"] = Field(
        description="base_stock: order up to S on every demand; s_S: at or below s, order "
        "up to S; r_Q: at or below s, order Q until above s.")
    order_up_to: Units | None = Field(None, description="S (base_stock and s_S).")
    reorder_point: Annotated[Float, Field(ge=-MAX_UNITS, le=MAX_UNITS)] | None = Field(
        None, description="s (s_S and r_Q): order when the position is at or below it.")
    quantity: PositiveUnits | None = Field(None, description="Q (r_Q): units per order.")
    review_hours: Hours = Field(0.0, description="0: continuous review; above 0: the policy "
                                "looks every review_hours hours from hour 0.")
    lead_time: Duration = Field(description="Minutes from an order to its arrival.")
    backup: Backup | None = Field(None, description="Second supplier during outages; "
                                  "default none: orders wait for the outage's end.")
    outages: Outages = Outages()

    @model_validator(mode="after")
    def _policy_fields(self) -> Self:
        needs = {"base_stock": ("order_up_to",), "s_S": ("reorder_point", "order_up_to"),
                 "r_Q": ("reorder_point", "quantity")}[self.policy]
        for name in needs:
            if getattr(self, name) is None:
                raise FieldError(name, f"policy {self.policy!r} needs {name}")
        for name in ("order_up_to", "reorder_point", "quantity"):
            if name not in needs and getattr(self, name) is not None:
                raise FieldError(name, f"does not apply to policy {self.policy!r}; it takes "
                                 + ", ".join(needs), getattr(self, name))
        if (self.policy == "s_S" and self.reorder_point is not None
                and self.order_up_to is not None and self.reorder_point >= self.order_up_to):
            raise FieldError("reorder_point", f"must be below order_up_to "
                             f"({self.order_up_to:g})", self.reorder_point)
        tables = [("lead_time", self.lead_time)]
        if self.backup is not None:
            tables.append(("backup.lead_time", self.backup.lead_time))
        for where, table in tables:
            try:
                table.check_complete()
            except FieldError as exc:
                raise FieldError(f"{where}.{exc.field}", str(exc), exc.value) from None
        return self


def check_supplies(scenario: Any) -> None:
    """Names are unique; classes consume declared supplies; supplier stress names one.

    Raises :class:`FieldError` naming the field and value, and what is allowed.
    """
    supplies: tuple[Supply, ...] = scenario.supplies
    names = [s.name for s in supplies]
    if len(set(names)) != len(names):
        raise FieldError("supplies", "supply names repeat", names)
    allowed = ", ".join(repr(n) for n in names) or "none (declare [[supplies]] first)"
    for i, order_class in enumerate(scenario.classes):
        for name in order_class.consumes:
            if name not in names:
                raise FieldError(f"classes[{i}].consumes.{name}", f"names no supply; "
                                 f"allowed: {allowed}", name)
    for i, event in enumerate(scenario.stress):
        if event.kind == "supplier" and event.supply not in names:
            raise FieldError(f"stress[{i}].supply", f"names no supply; allowed: {allowed}",
                             event.supply)
