"""The people side of a scenario.

Shift patterns, the workforce, and absence (unplanned, vacations, outbreaks).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, model_validator

from capsim.scenario.base import (
    MAX_ENTRIES,
    MAX_HORIZON_DAYS,
    MAX_ROSTER,
    Days,
    FieldError,
    Float,
    Headcount,
    Int,
    Name,
    Price,
    Probability,
    SchemaModel,
    Share,
    Weekday,
)
from capsim.scenario.calendar import DAYS_PER_YEAR, first_fit, free_weeks, vacation_blocks


class Shift(SchemaModel):
    """A shift pattern: when it runs, and how many technicians it takes.

    A technician assigned to a pattern works ``days_per_week`` of its weekdays;
    the days off are staggered across the pattern's technicians so that every
    weekday loses about as many. Give ``count`` (technicians) or ``share`` (of the
    roster) when there is more than one pattern.
    """

    name: Name = ""
    start_hour: Float = Field(ge=0, lt=24, description="Hour of day, 0-24.")
    length_hours: Float = Field(gt=0, le=24, description="At most 24 hours.")
    weekdays: tuple[Weekday, ...] = Field(
        tuple(range(7)), min_length=1, max_length=7,
        description="Days the shift runs: 0-6 (Monday first) or names.",
    )
    days_per_week: Annotated[Int, Field(ge=1, le=7)] | None = Field(
        None, description="Days each technician works; default: every weekday."
    )
    count: Headcount | None = Field(None, description="Technicians on this pattern.")
    share: Share | None = Field(
        None, description="Share of the remaining roster on this pattern."
    )
    wage_per_hour: Price | None = Field(
        None, description="Pay per paid hour on this pattern; default [costs].wage_per_hour.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise FieldError("weekdays", "repeat a day", list(self.weekdays))
        if self.days_per_week is not None and self.days_per_week > len(self.weekdays):
            raise FieldError("days_per_week", f"exceeds the {len(self.weekdays)} weekdays of "
                             "the shift", self.days_per_week)
        if self.count is not None and self.share is not None:
            raise FieldError("share", "give count or share, not both", self.share)
        return self


class Workforce(SchemaModel):
    """The roster and how it is scheduled."""

    roster: Headcount = Field(description="Technicians employed (headcount).")
    always_on: StrictBool = Field(
        False, description="Every technician works around the clock every day (classical "
        "queues); otherwise give [[workforce.shifts]]."
    )
    shifts: tuple[Shift, ...] = Field((), max_length=MAX_ENTRIES)

    def shortest_rest(self) -> tuple[str, float]:
        """The shift pattern with the shortest rest between two of its shifts, and that rest.

        Hours from a shift's end to the next start of the same pattern (the days a
        technician works are among the pattern's weekdays, so no technician rests less).
        """
        best = ("", math.inf)
        for i, shift in enumerate(self.shifts):
            days = sorted(shift.weekdays)
            steps = [(b - a) % 7 or 7 for a, b in zip(days, [*days[1:], days[0]], strict=True)]
            rest = 24.0 * min(steps) - shift.length_hours
            if rest < best[1]:
                best = (shift.name or f"shifts[{i}]", rest)
        return best

    @property
    def counts_only(self) -> bool:
        """Whether every shift pattern is given by a ``count`` (a fixed plan, no shares)."""
        return bool(self.shifts) and all(s.count is not None for s in self.shifts)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.always_on and self.shifts:
            raise FieldError("shifts", "always_on = true excludes [[workforce.shifts]]")
        if not self.always_on and not self.shifts:
            raise FieldError("shifts", "give [[workforce.shifts]] or set always_on = true")
        if len(self.shifts) > 1 and any(s.count is None and s.share is None for s in self.shifts):
            raise FieldError("shifts", "with several shifts, each needs count or share")
        counted = sum(s.count or 0 for s in self.shifts)
        shares = [s.share for s in self.shifts if s.share is not None]
        if shares and not math.isclose(sum(shares), 1.0, abs_tol=1e-9):
            raise FieldError("shifts", f"shares sum to {sum(shares):g}; they must sum to 1")
        if counted > self.roster:
            raise FieldError("roster", f"is less than the {counted} technicians the shift "
                             "counts ask for", self.roster)
        if self.counts_only and counted != self.roster:
            raise FieldError("roster", f"differs from the {counted} technicians the shift "
                             "counts add up to; give one shift a share to take the rest",
                             self.roster)
        return self


# --------------------------------------------------------------------------- absence


class Window(SchemaModel):
    """Whole days [start_day, end_day) from the start of day 0."""

    start_day: Days
    end_day: Annotated[Int, Field(gt=0, le=MAX_HORIZON_DAYS)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_day <= self.start_day:
            raise FieldError("end_day", f"must be after start_day ({self.start_day})",
                             self.end_day)
        return self


class Vacation(SchemaModel):
    """Vacation: weeks per technician per year, taken in blocks of whole weeks.

    Blocks are placed at random over a 52-week year that starts on day 0, never in
    a blackout window; the horizon sees the part of the year it covers.
    """

    weeks_per_year: Int = Field(0, ge=0, le=52)
    block_weeks: Int = Field(1, ge=1, le=52, description="Length of a block; the last may be "
                             "shorter.")
    blackouts: tuple[Window, ...] = Field((), max_length=MAX_ENTRIES,
                                          description="No vacation in these windows.")

    def check_fits(self, horizon_days: int) -> None:
        """Raise :class:`FieldError` unless the blocks fit outside blackouts.

        Checked for every year that the horizon touches.
        """
        blocks = vacation_blocks(self.weeks_per_year, self.block_weeks)
        windows = [(w.start_day, w.end_day) for w in self.blackouts]
        for year in range(-(-horizon_days // DAYS_PER_YEAR)):
            free = free_weeks(windows, year)
            if first_fit(free, blocks) is None:
                raise FieldError(
                    "weeks_per_year", f"{len(blocks)} block(s) of up to {self.block_weeks} "
                    f"week(s) do not fit in the {sum(free)} weeks of year {year} outside "
                    "blackouts", self.weeks_per_year)


class Outbreak(SchemaModel):
    """Correlated illness that sends several technicians home at once.

    At the start of the outbreak's day, each technician falls ill with probability
    ``share`` (the attack rate) and stays home for a random number of days.

    Give ``rate_per_30_days`` (outbreaks at random days, a Poisson process) or
    ``start_day`` (one outbreak on that day).
    """

    rate_per_30_days: Annotated[Float, Field(ge=0, le=30)] | None = Field(
        None, description="Outbreaks per 30 days (at most 30: one a day).")
    start_day: Days | None = None
    share: Share = Field(description="Attack rate per technician.")
    duration_days: Float = Field(ge=1, le=MAX_HORIZON_DAYS, description="Mean days at home.")
    duration_distribution: Literal["fixed", "geometric"] = Field(
        "fixed", description="fixed: exactly duration_days (a whole number); geometric on "
        "1, 2, ... with mean duration_days."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.rate_per_30_days is None) == (self.start_day is None):
            raise FieldError("start_day", "give exactly one of rate_per_30_days and start_day",
                             self.start_day)
        if self.duration_distribution == "fixed" and self.duration_days != int(self.duration_days):
            raise FieldError("duration_days", "must be a whole number of days when "
                             "duration_distribution = 'fixed'", self.duration_days)
        return self


class Absence(SchemaModel):
    """Unplanned absence, its cover, vacations and outbreaks.

    Each scheduled technician-day is absent with probability ``daily_rate``,
    independently. A share ``last_minute_share`` of those is known only at shift
    start; the others are known the day before and covered by a replacement with
    probability ``cover_probability``. Last-minute and outbreak absences are never
    covered.
    """

    daily_rate: Probability = 0.0
    last_minute_share: Probability = 0.0
    cover_probability: Probability = 0.0
    vacation: Vacation = Vacation()
    outbreaks: tuple[Outbreak, ...] = Field((), max_length=MAX_ENTRIES)


# --------------------------------------------------------------------------- policies


class FloatPool(SchemaModel):
    """People outside the roster, shared by every shift, called in to fill absences.

    Every day, shift pattern by pattern (in the file's order), each technician absent
    and not covered (sick, a last-minute call-in, an outbreak, a stress event; not a
    vacation, a day off or a closure) leaves a gap while the pattern's technicians on
    hand are fewer than ``required_share`` of those scheduled (rounded up). For each gap
    the pool's members not yet asked that day are called in turn, each answering with
    ``answer_probability``, until one comes; a member works at most one shift a day.
    A gap known only at shift start (last minute) is filled ``notice_hours`` late.
    """

    size: Annotated[Int, Field(ge=0, le=MAX_ROSTER)] = Field(
        description="People in the pool (not counted in the roster); 0: no pool (so that "
        "a sweep can compare sizes 0, 1, 2, ...).")
    answer_probability: Probability = Field(1.0, description="Chance that a called member "
                                            "comes in.")
    notice_hours: Annotated[Float, Field(ge=0, le=24)] = Field(
        0.0, description="How late a member called at shift start arrives.")
    required_share: Annotated[Float, Field(gt=0, le=1)] = Field(
        1.0, description="Calls stop once this share of the pattern's scheduled "
        "technicians is on hand (1: fill every gap).")


class Overtime(SchemaModel):
    """Technicians stay past shift end, job by job, while the queue calls for it.

    Decided at the moment a technician is free at or after the end E of its duty
    interval (it finished the order in hand there, which it always does): it stays for
    the next job, by the dispatch rule, iff the trigger holds on the orders waiting
    then and the job fits the caps, and again after that job; otherwise it goes home
    until its next shift. Triggers (waiting orders that have not run out of patience,
    jobs of rework and remakes included): ``queue``: more than ``threshold`` wait;
    ``oldest_wait``: the longest wait exceeds ``threshold`` hours; ``at_risk``: more than
    ``threshold`` are due within ``risk_hours`` (or overdue). Caps: a job is taken only
    if it ends at most ``max_hours`` after E and keeps the technician's overtime in
    the week (weeks of 168 h from hour 0, by E; the orders in hand count) within
    ``weekly_max_hours``. Simultaneous decisions follow the engines' tie rule (the one
    available longest, then the lowest index; a technician staying is available since
    its finish), each seeing the queue as the earlier ones left it.
    """

    max_hours: Annotated[Float, Field(gt=0, le=24)] = Field(
        description="Latest end of an overtime job after the shift end, in hours (at most the "
        "rest until the same person's next shift).")
    weekly_max_hours: Annotated[Float, Field(ge=0, le=168)] | None = Field(
        None, description="Overtime hours per technician per week; default: no weekly cap.")
    when: Literal["queue", "oldest_wait", "at_risk"] = Field(
        "queue", description="What must exceed the threshold: the waiting orders, the "
        "oldest order's wait (hours), or the orders due within risk_hours.")
    threshold: Annotated[Float, Field(ge=0, le=1e6)] = Field(
        0.0, description="Stay while the trigger exceeds this (orders, or hours for "
        "oldest_wait); 0: whenever an order waits.")
    risk_hours: Annotated[Float, Field(ge=0, le=MAX_HORIZON_DAYS * 24)] = Field(
        2.0, description="For at_risk: an order due within this many hours is at risk.")


#: Bound of the agency's order counts (the most a day's forecast could reach, rounded up).
MAX_DAILY_ORDERS = 1e12


class Agency(SchemaModel):
    """Agency staff: people outside the roster booked a day ahead, under a stated rule.

    For each day the rule decides, from what is known the day before, how many to book
    (at most ``max_per_day``); each booked person works the shift pattern ``shift``
    (default: the first pattern) that day, on the pattern's weekdays only, and always
    shows up. Nobody is booked on a day a stress closure shuts the floor.

    - ``rule = "short"``: on the pattern's technicians scheduled that day (not on a day
      off, a vacation or a closure), the ones known the day before to be on hand are
      those scheduled minus the absences known a day ahead: an unplanned absence known
      the day before (not covered: a covered one has its replacement) and an outbreak or
      stress-event absence already under way the day before (the same status on the
      previous day). Last-minute absences and illnesses that begin that day are not
      known. Books ceil(``required_share`` × scheduled) − known on hand, when positive.
    - ``rule = "demand"``: books ceil((forecast − ``demand_threshold``) /
      ``orders_per_person``) when the forecast exceeds the threshold; the forecast is
      the day's expected orders from the arrival-rate profile (base rate, hour and week
      profiles, ``[[demand.surges]]``) plus the ``[[demand.batches]]`` dropped that day.
      It does not know the season's forecast error (``forecast_cv``) nor ``[[stress]]``
      demand events, which are shocks; a trace has no forecast (refused).
    """

    max_per_day: Annotated[Int, Field(ge=1, le=MAX_ROSTER)] = Field(
        description="Most people booked for one day.")
    rule: Literal["short", "demand"] = Field(
        "short", description="short: book the gap known the day before to required_share "
        "of the pattern's scheduled technicians; demand: book by tomorrow's forecast orders.")
    shift: Name | None = Field(None, description="The shift pattern agency staff work "
                               "(by name); default the first.")
    required_share: Annotated[Float, Field(gt=0, le=1)] = Field(
        1.0, description="rule short: book up to this share of the pattern's scheduled "
        "technicians known on hand.")
    demand_threshold: Annotated[Float, Field(ge=0, le=MAX_DAILY_ORDERS)] | None = Field(
        None, description="rule demand: forecast orders of a day above which to book.")
    orders_per_person: Annotated[Float, Field(gt=0, le=MAX_DAILY_ORDERS)] | None = Field(
        None, description="rule demand: forecast orders above the threshold per person "
        "booked.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name in ("demand_threshold", "orders_per_person"):
            value = getattr(self, name)
            if self.rule == "demand" and value is None:
                raise FieldError(name, "rule 'demand' needs demand_threshold and "
                                 "orders_per_person")
            if self.rule != "demand" and value is not None:
                raise FieldError(name, f"applies to rule 'demand' only, not {self.rule!r}",
                                 value)
        return self


class Policies(SchemaModel):
    """How the operation responds to shortfalls (a sweep can vary any of it)."""

    float_pool: FloatPool | None = Field(None, description="A float pool; default none.")
    overtime: Overtime | None = Field(None, description="Overtime past shift end; default "
                                      "none: only the order in hand is finished.")
    agency: Agency | None = Field(None, description="Agency staff booked a day ahead; "
                                  "default none.")
