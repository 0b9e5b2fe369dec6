"""Stress events: fixed shocks injected into every replication to see what breaks the plan.

A scenario lists them as ``[[stress]]`` blocks. An event only applies when
``enabled`` is true: ``capsim stress`` runs the scenario once without any and once
with each, on the same replications; ``--set stress[0].enabled=true`` applies one
in an ordinary run.

- ``absence``: ``technicians`` (or a ``share`` of the roster), chosen at random in
  each replication, are absent from ``start_day`` for ``days`` days (the flu that
  takes six of ten the same night);
- ``demand``: the arrival rate is multiplied by ``multiplier`` over those days (a
  viral promotion; below 1, a slump);
- ``closure``: nobody works on those days (a power cut, a floor closed), while
  orders keep arriving;
- ``supplier``: the supplier of ``supply`` (a ``[[supplies]]`` name) ships nothing on
  those days, like a scheduled outage (:mod:`capsim.scenario.supplies`).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, model_validator

from capsim.scenario.base import (
    MAX_ROSTER,
    Days,
    FieldError,
    Int,
    Multiplier,
    Name,
    PositiveDays,
    SchemaModel,
    Share,
)


class StressEvent(SchemaModel):
    """One stress event."""

    name: Name = Field(min_length=1)
    kind: Literal["absence", "demand", "closure", "supplier"]
    start_day: Days = Field(description="First day of the event.")
    days: PositiveDays = Field(1, description="How many days it lasts.")
    technicians: Annotated[Int, Field(ge=1, le=MAX_ROSTER)] | None = Field(
        None, description="absence: how many are out.")
    share: Share | None = Field(
        None, description="absence: the share of the roster out (instead of technicians).")
    multiplier: Multiplier | None = Field(None, description="demand: factor on the rate.")
    supply: Name | None = Field(None, description="supplier: the supply whose supplier stops.")
    enabled: StrictBool = Field(False, description="Apply the event (capsim stress sets it).")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "absence" and (self.technicians is None) == (self.share is None):
            raise FieldError("technicians", "an absence event needs technicians or share "
                             "(one of them)", self.technicians)
        if self.kind != "absence" and (self.technicians is not None or self.share is not None):
            raise FieldError("technicians" if self.technicians is not None else "share",
                             f"applies to kind 'absence' only, not {self.kind!r}")
        if self.kind == "demand" and self.multiplier is None:
            raise FieldError("multiplier", "a demand event needs multiplier")
        if self.kind != "demand" and self.multiplier is not None:
            raise FieldError("multiplier", f"applies to kind 'demand' only, not {self.kind!r}",
                             self.multiplier)
        if (self.kind == "supplier") != (self.supply is not None):
            raise FieldError("supply", "a supplier event needs supply (a [[supplies]] name)"
                             if self.kind == "supplier" else
                             f"applies to kind 'supplier' only, not {self.kind!r}", self.supply)
        return self

    @property
    def start_hour(self) -> float:
        """Hours from the start of day 0 to the event's start."""
        return 24.0 * self.start_day

    @property
    def end_hour(self) -> float:
        """Hours from the start of day 0 to the event's end."""
        return 24.0 * (self.start_day + self.days)

    def absent_count(self, roster: int) -> int:
        """How many technicians an absence event takes out of ``roster``."""
        if self.technicians is not None:
            return min(self.technicians, roster)
        return min(roster, round((self.share or 0.0) * roster))

    def describe(self) -> str:
        """A short label: what, when, for how long."""
        when = f"day {self.start_day}" + (f", {self.days} days" if self.days > 1 else "")
        if self.kind == "absence":
            who = (f"{self.technicians} technicians" if self.technicians is not None
                   else f"{self.share:.0%} of the roster")
            return f"{who} out from {when}"
        if self.kind == "demand":
            return f"demand x{self.multiplier:g} from {when}"
        if self.kind == "supplier":
            return f"{self.supply} supplier stopped from {when}"
        return f"closed on {when}"
