"""Order classes, and the information holds they may have.

:class:`OrderClass` gathers a class's share, work, promise, priority and its own
tables of the order side (patience, quality, returns, hold; each defaulting to the
scenario's). :class:`Hold` (``[hold]``, or per class ``[[classes]] hold``, like
``quality``): orders that wait for an answer from the customer; the dynamics it means
are described in :mod:`capsim.followups` (the draws and the job split) and
:mod:`capsim.jobs` (the due rules).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from capsim.scenario.base import (
    MAX_CLASSES,
    MAX_PRIORITY,
    Float,
    Int,
    Name,
    PositiveHours,
    Probability,
    SchemaModel,
    Share,
)
from capsim.scenario.orders import Duration, Patience, Quality, Returns, Work
from capsim.scenario.supplies import Use


class Hold(SchemaModel):
    """A share of orders needs an answer from the customer before or during the work.

    A held order leaves the queue (or never joins it) until the customer answers,
    ``response`` (a duration table in minutes) after the question, and then joins
    the queue again with the work left. ``when = "before"``: the question is asked at
    arrival; the order enters the queue (and counts as arrived, in the Records and the
    KPIs) when the answer comes, and one whose answer comes after the horizon never
    arrives. ``when = "during"``: a first part of the work (``at`` of it) is done, the
    order goes on hold, and the rest is a further pass that joins at the answer.
    ``due = "unchanged"``: the due stays arrival (the question's time, before) +
    promise; ``"paused"``: the promise clock stops while on hold, so the due moves
    later by the hold's length. Repeat contacts (``returns``) are never held; a rework
    or remake pass redoes the whole order, without a new hold.
    """

    share: Probability = Field(description="Probability that an order needs an answer from "
                               "the customer.")
    when: Literal["before", "during"] = Field(
        "during", description="The question comes at arrival (before any work) or after the "
        "first part of the work.")
    at: Annotated[Float, Field(gt=0, lt=1)] = Field(
        0.5, description="Share of the work done before a hold 'during' the work (0 to 1, "
        "exclusive).")
    response: Duration = Field(description="Minutes from the question to the customer's "
                               "answer.")
    due: Literal["unchanged", "paused"] = Field(
        "unchanged", description="The due while on hold: unchanged, or paused (moves later "
        "by the hold's length).")

    def durations(self) -> dict[str, Duration]:
        """The duration tables given (for the completeness check)."""
        return {"response": self.response}


class ClassWork(Work):
    """A class's own work table: as ``[work]``, but its promise is inherited when not given.

    None (the default, left out of written files) means "inherit": a round trip
    through ``scenario_toml`` or ``--set`` keeps it, so that an override of
    ``[work].promise_hours`` still reaches the class.
    """

    # a class's work may leave its promise to the class (a wider type than Work's)
    promise_hours: PositiveHours | None = Field(  # type: ignore[assignment]
        None, description="Default: the class's promise_hours, else [work].promise_hours."
    )


class OrderClass(SchemaModel):
    """A class of orders with its own share, work content, promise and priority.

    The promise of a class is the first one given of: its ``promise_hours``; its own
    ``work.promise_hours``; the scenario's ``[work].promise_hours``; 24 hours
    (:attr:`Scenario.order_classes` resolves it).
    """

    name: Name = Field(min_length=1)
    share: Share = Field(description="Share of sampled arrivals.")
    promise_hours: PositiveHours | None = Field(
        None, description="Default: the class's own work.promise_hours, else "
        "[work].promise_hours (24 unless given)."
    )
    priority: Int = Field(0, ge=-MAX_PRIORITY, le=MAX_PRIORITY,
                          description="Smaller is served first under dispatch = 'priority'.")
    work: ClassWork | None = Field(None, description="Default: the scenario's [work].")
    patience: Patience | None = Field(
        None, description="Abandonment: how long this class waits; default: the scenario's "
        "[patience] (none: orders wait for ever).")
    quality: Quality | None = Field(
        None, description="Defects and rework; default: the scenario's [quality] (none: every "
        "pass is right).")
    returns: Returns | None = Field(
        None, description="Repeat contacts; default: the scenario's [returns] (none: nobody "
        "comes back).")
    hold: Hold | None = Field(
        None, description="Information holds; default: the scenario's [hold] (none: no order "
        "waits for the customer).")
    consumes: dict[Name, Use] = Field(
        {}, max_length=MAX_CLASSES, description="Units of each [[supplies]] an order uses "
        "({paper = 1.0} or {ink = {mean = 0.2, distribution = 'poisson'}}); default none.")
