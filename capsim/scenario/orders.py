"""The order side of a scenario.

Demand (rates, profiles, surges, batches, forecast, trace replay), work
contents, and order classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from capsim.scenario.base import (
    MAX_BATCH_ORDERS,
    MAX_CV,
    MAX_ENTRIES,
    MAX_FORECAST_CV,
    MAX_NAME_LENGTH,
    MAX_RATE_PER_HOUR,
    MAX_WORK_MINUTES,
    MIN_CV,
    FieldError,
    Float,
    Hours,
    Int,
    Multiplier,
    Name,
    PositiveHours,
    Probability,
    SchemaModel,
    resolve_path,
)
from capsim.scenario.files import TraceData, read_minutes, read_trace


class Surge(SchemaModel):
    """A window during which the arrival rate is multiplied (a holiday, a promotion)."""

    name: Name = ""
    start_hour: Hours = Field(description="Hours from the start of day 0.")
    end_hour: PositiveHours = Field(description="Hours from the start of day 0; after "
                                    "start_hour.")
    multiplier: Multiplier = Field(description="Factor on the arrival rate inside the window.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_hour <= self.start_hour:
            raise FieldError("end_hour", f"must be after start_hour ({self.start_hour:g})",
                             self.end_hour)
        return self


def surge_peak(surges: Sequence[Surge]) -> float:
    """The largest product of the multipliers of surges active at the same time (at least 1).

    Windows are half-open, so a surge that ends where another starts does not overlap it.
    """
    events = sorted([(s.end_hour, -1, s.multiplier) for s in surges]
                    + [(s.start_hour, 1, s.multiplier) for s in surges])
    logs, zeros, best = 0.0, 0, 0.0
    for _, step, multiplier in events:  # at equal times, ends (-1) come before starts
        if multiplier == 0:
            zeros += step
        else:
            logs += step * math.log(multiplier)
        if zeros == 0:
            best = max(best, logs)
    return math.exp(min(best, 700.0))


class Batch(SchemaModel):
    """A batch drop: ``orders`` orders arriving together at ``at_hour``."""

    name: Name = ""
    at_hour: Hours = Field(description="Hours from the start of day 0.")
    orders: Int = Field(ge=1, le=MAX_BATCH_ORDERS, description="Number of orders in the batch.")
    order_class: Name | None = Field(
        None, alias="class", description="Class of every order in the batch; default: by shares."
    )


class Trace(SchemaModel):
    """Replay arrivals from a CSV file instead of sampling them.

    The file has a header and a column ``arrival_hour`` (hours from the start of
    day 0) or ``timestamp`` (ISO 8601); optional columns ``class`` and
    ``work_minutes``. Without ``work_minutes``, work contents are sampled.
    """

    file: Path = Field(description="CSV file, relative to the scenario file.")
    origin: datetime | None = Field(
        None, description="The date-time of hour 0 for timestamps; default: midnight of the "
        "earliest timestamp's date."
    )
    _data: TraceData | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> Self:
        try:
            self._data = read_trace(resolve_path(self.file, info), self.origin)
        except ValueError as exc:
            raise FieldError("file", str(exc), str(self.file)) from None
        return self

    @property
    def data(self) -> TraceData:
        """The arrivals read from the file."""
        assert self._data is not None
        return self._data


class Demand(SchemaModel):
    """Order arrivals: a non-homogeneous Poisson process, batch drops, or a replayed trace.

    rate(t) = rate_per_hour × hour_profile[hour of day] × week_profile[weekday]
    × (multipliers of the surges active at t) × forecast multiplier.
    Profiles multiply as given; with profile means of 1, rate_per_hour is the mean rate.
    """

    rate_per_hour: Float = Field(0.0, ge=0, le=MAX_RATE_PER_HOUR,
                                 description="Base arrival rate, orders per hour.")
    hour_profile: tuple[Multiplier, ...] = Field(
        (1.0,) * 24, min_length=24, max_length=24,
        description="24 multipliers, hour 0-1 first.",
    )
    week_profile: tuple[Multiplier, ...] = Field(
        (1.0,) * 7, min_length=7, max_length=7, description="7 multipliers, Monday first."
    )
    surges: tuple[Surge, ...] = Field((), max_length=MAX_ENTRIES)
    batches: tuple[Batch, ...] = Field((), max_length=MAX_ENTRIES)
    forecast_cv: Float = Field(
        0.0, ge=0, le=MAX_FORECAST_CV, description="Coefficient of variation of a "
        "per-replication rate multiplier (mean 1): uncertainty in the forecast."
    )
    forecast_distribution: Literal["lognormal", "gamma"] = Field(
        "lognormal", description="Distribution of the forecast multiplier; gamma makes the "
        "season's order count negative binomial (the Poisson-gamma model).")
    trace: Trace | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.trace is not None and self.rate_per_hour > 0:
            raise FieldError("trace", "give either rate_per_hour (sampled arrivals) or trace "
                             "(replayed arrivals), not both")
        return self


# --------------------------------------------------------------------------- work

Distribution = Literal["fixed", "exponential", "lognormal", "gamma", "empirical"]
#: The promise of a scenario that states none.
DEFAULT_PROMISE_HOURS = 24.0


class Duration(SchemaModel):
    """A random duration in minutes: its distribution and parameters (work, patience)."""

    distribution: Distribution = "exponential"
    mean_minutes: Annotated[Float, Field(gt=0, le=MAX_WORK_MINUTES)] | None = Field(
        None, description="Mean in minutes (all but empirical)."
    )
    cv: Annotated[Float, Field(ge=MIN_CV, le=MAX_CV)] | None = Field(
        None, description="Coefficient of variation (lognormal and gamma only)."
    )
    file: Path | None = Field(
        None, description="CSV of work contents in minutes (empirical only), relative to the "
        "scenario file; resampled with replacement."
    )
    column: Annotated[str, Field(max_length=MAX_NAME_LENGTH)] | None = Field(
        None, description="Column of `file`; default: the first.")
    _minutes: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        kind = self.distribution
        if kind == "empirical":
            if self.mean_minutes is not None or self.cv is not None:
                raise FieldError("mean_minutes" if self.cv is None else "cv",
                                 "distribution 'empirical' takes its mean and cv from file")
            if self.file is not None:
                try:
                    self._minutes = read_minutes(resolve_path(self.file, info), self.column)
                except ValueError as exc:
                    raise FieldError("file", str(exc), str(self.file)) from None
            return self
        if self.file is not None or self.column is not None:
            raise FieldError("file" if self.file is not None else "column",
                             f"applies to distribution 'empirical' only, not {kind!r}")
        if kind in ("fixed", "exponential") and self.cv is not None:
            raise FieldError("cv", f"distribution {kind!r} has no cv parameter", self.cv)
        return self

    def check_complete(self) -> None:
        """Raise :class:`FieldError` if a parameter the distribution needs is missing.

        Checked only for the tables that orders actually use: a scenario whose classes
        all give their own ``work`` needs no mean in ``[work]``.
        """
        kind = self.distribution
        if kind == "empirical" and self.file is None:
            raise FieldError("file", "distribution 'empirical' needs file (a CSV of minutes)")
        if kind != "empirical" and self.mean_minutes is None:
            raise FieldError("mean_minutes", f"distribution {kind!r} needs mean_minutes")
        if kind in ("lognormal", "gamma") and self.cv is None:
            raise FieldError("cv", f"distribution {kind!r} needs cv")

    @property
    def empirical_minutes(self) -> Any:
        """The values read from ``file`` (empirical only), else None."""
        return self._minutes


class Work(Duration):
    """Work content (touch time) of an order, and the promise that sets its due time."""

    promise_hours: PositiveHours = Field(
        DEFAULT_PROMISE_HOURS, description="Due time = arrival + promise_hours (classes may "
        "override)."
    )


class Patience(Duration):
    """How long an order (a customer) waits for its start before it leaves unserved.

    An order whose wait would exceed its patience abandons at arrival + patience: it
    is never served and never on time. ``at_once`` is a mass at zero: the share who
    leave at once unless someone can start on them the moment they arrive.
    """

    at_once: Probability = Field(0.0, description="Probability of zero patience (leave at once "
                           "unless served on arrival).")


#: The least ``right_first_time`` allowed: at 0.05 the chance that an order needs
#: more than :data:`MAX_PASSES` passes is 0.95^1000 ≈ 5e-23, so the cap never binds.
MIN_RIGHT_FIRST_TIME = 0.05
#: The most passes drawn for one order (first pass, reworks and remakes).
MAX_PASSES = 1000
#: The most repeat contacts one original order can bring.
MAX_RETURNS = 5


class Quality(SchemaModel):
    """Defects and their recovery: each pass of an order is right with ``right_first_time``.

    A wrong pass is found by the internal check at its end (the rework joins the
    queue at once) or, with probability ``found_by_customer``, by the customer
    ``remake_delay`` later (a remake joins then). Every pass draws again, so the
    number of passes is geometric. Rework and remakes join the same queue: by join
    time under FIFO, by the order's due under EDD, by class priority under
    ``priority``; ``rework_first`` puts them ahead of fresh orders under every rule.
    Defaults: ``rework_first = false`` (the plain shared queue, the M/M/c-with-feedback
    model of the textbooks) and ``remake_due = "original"`` (the customer was promised
    a right product by the original due; a remake does not earn a new promise, so a late
    remake is a late order). ``"renewed"`` gives a remake due = report time + promise.
    """

    right_first_time: Annotated[Float, Field(ge=MIN_RIGHT_FIRST_TIME, le=1)] = Field(
        1.0, description="Probability that a pass is right (each pass draws again); at least "
        f"{MIN_RIGHT_FIRST_TIME}.")
    found_by_customer: Probability = Field(
        0.0, description="Share of defects the customer finds (a remake after remake_delay) "
        "instead of the internal check (rework at once).")
    remake_delay: Duration | None = Field(
        None, description="Minutes from a defective pass's finish to the customer's report; "
        "needed when found_by_customer > 0.")
    rework: Duration | None = Field(
        None, description="Work content of a rework or remake pass; default: the class's work.")
    rework_first: bool = Field(
        False, description="Rework and remakes go ahead of fresh orders in the queue.")
    remake_due: Literal["original", "renewed"] = Field(
        "original", description="A remake's due: the order's original due, or renewed (report "
        "time + promise).")

    @model_validator(mode="after")
    def _remake_delay_given(self) -> Self:
        if self.found_by_customer > 0 and self.remake_delay is None:
            raise FieldError("remake_delay", "needed when found_by_customer > 0 (how long the "
                             "customer takes to report a defect)", self.found_by_customer)
        return self

    def durations(self) -> dict[str, Duration]:
        """The duration tables given (for the completeness check)."""
        return {k: v for k, v in (("remake_delay", self.remake_delay),
                                  ("rework", self.rework)) if v is not None}


class Returns(SchemaModel):
    """Repeat contacts: a completed contact comes back with ``probability`` after ``delay``.

    The repeat contact is a new order of class ``as_class`` (default: the same class)
    with its own work draw plus ``extra_minutes`` (re-explaining), its own due (arrival
    + that class's promise), patience and quality. It may come back again, up to
    ``max_returns`` repeat contacts per original order, each with ``probability`` (this
    table, the original order's class's, governs the whole chain). Counted as demand.
    """

    probability: Probability = Field(description="Probability that a completed contact "
                                     "comes back.")
    delay: Duration = Field(description="Minutes from a contact's completion to its return.")
    as_class: Name | None = Field(None, description="Class of the repeat contact; default: the "
                                  "same class.")
    extra_minutes: Duration | None = Field(
        None, description="Re-explain work added to the repeat contact's own work draw.")
    max_returns: Int = Field(1, ge=1, le=MAX_RETURNS, description="Most repeat contacts per "
                             "original order.")

    def durations(self) -> dict[str, Duration]:
        """The duration tables given (for the completeness check)."""
        return {"delay": self.delay, **({} if self.extra_minutes is None
                                        else {"extra_minutes": self.extra_minutes})}
