"""Workstations and their downtime: the ``[equipment]`` table.

A technician needs a workstation to work on an order; there may be fewer stations than
technicians on duty. Every station fails on calendar time, whether in use or not (a
failure is wear and tear of the clock, not of the work: so every station's up/down
timeline is drawn before the dynamics, :mod:`capsim.equipment`), ``time_between_failures``
after it came back up (all stations are up at hour 0), and is down until its repair is
done: ``repair`` after a crew member starts on it. With ``repair_crew`` set, failed stations
wait for a free crew member first come, first served (ties by station index); unset, every
failed station is repaired at once. What a failure does to the order on the station is
``on_failure``: ``"resume"`` (the order continues where it stopped, on the next station up
and free) or ``"restart"`` (its work starts again from zero). The dynamics are those of the
reference engine (:mod:`capsim.engines.simpy_stations`), which the fast engine's station
loop (:mod:`capsim.engines._stationloop`) follows order by order, overtime policies
and supplies included.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from capsim.scenario.base import MAX_HOURS, MAX_ROSTER, FieldError, Float, Int, SchemaModel

#: Coefficient-of-variation range of a lognormal downtime duration.
MIN_DOWNTIME_CV, MAX_DOWNTIME_CV = 0.001, 10.0


class DowntimeDuration(SchemaModel):
    """A random duration in hours (a station's time between failures, or a repair).

    ``fixed``: always ``mean_hours``; ``exponential``: memoryless, cv 1; ``lognormal``:
    with ``cv`` (the coefficient of variation).
    """

    distribution: Literal["fixed", "exponential", "lognormal"] = "exponential"
    mean_hours: Annotated[Float, Field(gt=0, le=MAX_HOURS)] = Field(
        description="Mean in hours (required; more than 0).")
    cv: Annotated[Float, Field(ge=MIN_DOWNTIME_CV, le=MAX_DOWNTIME_CV)] | None = Field(
        None, description="Coefficient of variation (lognormal only, and required there).")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.distribution == "lognormal" and self.cv is None:
            raise FieldError("cv", "distribution 'lognormal' needs cv")
        if self.distribution != "lognormal" and self.cv is not None:
            raise FieldError("cv", f"distribution {self.distribution!r} has no cv parameter",
                             self.cv)
        return self

    @property
    def spread(self) -> float:
        """Its coefficient of variation (0 fixed, 1 exponential)."""
        if self.cv is not None:
            return self.cv
        return 0.0 if self.distribution == "fixed" else 1.0


class Equipment(SchemaModel):
    """Workstations that fail and get repaired (see the module docstring)."""

    stations: Int = Field(ge=0, le=MAX_ROSTER, description="Workstations; a technician needs "
                          "one to work (at least 1 when there is a roster).")
    time_between_failures: DowntimeDuration = Field(
        description="Hours a station stays up, from the moment it is up (calendar time: it "
        "fails whether in use or not).")
    repair: DowntimeDuration = Field(description="Hours a repair takes, from the moment a "
                                     "crew member starts on it.")
    repair_crew: Annotated[Int, Field(ge=1, le=MAX_ROSTER)] | None = Field(
        None, description="Repairers; failed stations wait for one first come, first served; "
        "default: every failed station is repaired at once.")
    on_failure: Literal["resume", "restart"] = Field(
        "resume", description="An order on a failing station continues where it stopped "
        "(resume) or starts its work again (restart), on the next station up and free.")


def check_equipment(equipment: Equipment | None, roster: int) -> None:
    """Raise :class:`FieldError` for zero stations and a roster that would need them."""
    if equipment is not None and equipment.stations == 0 and roster > 0:
        raise FieldError("equipment.stations", f"no workstation for the {roster} "
                         "technicians of the roster; allowed: >= 1 (or no [equipment])", 0)
