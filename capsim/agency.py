"""Agency staff booked a day ahead, by a stated rule, before any order moves.

An agency (:class:`capsim.scenario.Agency`) supplies people outside the roster, booked
for a day on the day before. What the rule looks at is known before the dynamics (the
attendance table and the arrival-rate profile), so the bookings are too: they are worked
out here and appended to the technician-day tables as ``max_per_day`` extra rows, after
the roster's and the float pool's (so those keep their indices and random numbers).
Row ``j`` works day ``d`` (status :attr:`~capsim.attendance.Status.AGENCY`) when
``j`` < the day's bookings, on the agency's shift pattern; it has a day off otherwise.
Booked people always show up, so the booking draws no random number.

The rules, for each day ``d`` on which the agency's pattern runs (one of its
``weekdays``) and no enabled stress closure shuts the floor, capped at ``max_per_day``:

- ``short``: the pattern's roster technicians scheduled on ``d`` (status not a day
  off, a vacation or a closure) number ``S``; those known on the day before to be away
  on ``d`` are the ``unplanned`` ones (known the day before, not covered) and the
  ``outbreak`` and ``stress`` ones with the same status on ``d - 1`` (already under way);
  the bookings are ceil(``required_share`` × S) − (S − known away), when positive
  (on day 0 nothing is under way yet).
- ``demand``: the forecast ``F`` of day ``d`` is the integral of the arrival rate over
  the day (base rate × hour and week profiles × ``[[demand.surges]]``; no forecast
  error, no stress demand events) plus the orders of the batches dropped that day; the
  bookings are ceil((F − ``demand_threshold``) / ``orders_per_person``) when F exceeds
  the threshold.

The float pool (:func:`capsim.policies.call_in`) is called on the day itself, after the
booking: it counts the agency's people on their pattern as on hand.
"""

from __future__ import annotations

import numpy as np

from capsim.attendance import Status, assign_patterns, shift_patterns
from capsim.demand import rate_pieces
from capsim.scenario import Agency, Scenario

#: Statuses that take a technician out of the day's schedule (not counted as scheduled).
_SCHEDULED_AWAY = (Status.DAY_OFF, Status.VACATION, Status.CLOSED)
#: Absences that, when already under way the day before, are known a day ahead.
_ONGOING = (Status.OUTBREAK, Status.STRESS)
_TOLERANCE = 1e-9  # against rounding in products and sums of floats before a ceiling


def agency_size(scenario: Scenario) -> int:
    """The agency's rows in the technician-day tables (``max_per_day``; 0 without one)."""
    agency = scenario.policies.agency
    return 0 if agency is None else agency.max_per_day


def agency_pattern(scenario: Scenario) -> int:
    """The index of the shift pattern agency staff work (its ``shift``, else the first)."""
    agency = scenario.policies.agency
    if agency is None or agency.shift is None:
        return 0
    return [s.name for s in shift_patterns(scenario)].index(agency.shift)


def forecast(scenario: Scenario) -> np.ndarray:
    """Each day's forecast orders: the rate profile's expected arrivals plus batch drops."""
    pieces = rate_pieces(scenario, 1.0)
    days = scenario.horizon_days
    day = np.minimum((pieces.edges[:-1] // 24.0).astype(np.int64), days - 1)
    result: np.ndarray = np.bincount(day, pieces.rates * np.diff(pieces.edges), minlength=days)
    for batch in scenario.demand.batches:
        if batch.at_hour < scenario.horizon_hours:
            result[int(batch.at_hour // 24.0)] += batch.orders
    return result


def _closed_days(scenario: Scenario) -> np.ndarray:
    closed = np.zeros(scenario.horizon_days, dtype=bool)
    for event in scenario.stress:
        if event.enabled and event.kind == "closure":
            closed[event.start_day:event.start_day + event.days] = True
    return closed


def _short(agency: Agency, mine: np.ndarray) -> np.ndarray:
    """Bookings by the ``short`` rule from the pattern's rows of the attendance table."""
    scheduled = (~np.isin(mine, _SCHEDULED_AWAY)).sum(axis=0)
    before = np.concatenate([np.full((mine.shape[0], 1), Status.PRESENT, dtype=mine.dtype),
                             mine[:, :-1]], axis=1)
    ongoing = np.isin(mine, _ONGOING) & (mine == before)
    known_away = ((mine == Status.UNPLANNED) | ongoing).sum(axis=0)
    required = np.ceil(agency.required_share * scheduled - _TOLERANCE)
    gap: np.ndarray = np.maximum(required - (scheduled - known_away), 0)
    return gap.astype(np.int64)


def _demand(agency: Agency, scenario: Scenario) -> np.ndarray:
    """Bookings by the ``demand`` rule from each day's forecast."""
    excess = forecast(scenario) - (agency.demand_threshold or 0.0)
    per_person = agency.orders_per_person or 1.0
    wanted: np.ndarray = np.maximum(np.ceil(excess / per_person - _TOLERANCE), 0)
    return wanted.astype(np.int64)


def bookings(scenario: Scenario, status: np.ndarray) -> np.ndarray:
    """The people booked for each day (0 without an agency), from the roster's table."""
    agency = scenario.policies.agency
    days = scenario.horizon_days
    if agency is None:
        return np.zeros(days, dtype=np.int64)
    p = agency_pattern(scenario)
    patterns = shift_patterns(scenario)
    if agency.rule == "short":
        pattern, _ = assign_patterns(patterns, status.shape[0])
        wanted = _short(agency, status[pattern == p])
    else:
        wanted = _demand(agency, scenario)
    weekday = (scenario.start_weekday + np.arange(days)) % 7
    runs = np.isin(weekday, patterns[p].weekdays) & ~_closed_days(scenario)
    return np.where(runs, np.minimum(wanted, agency.max_per_day), 0)


def book(scenario: Scenario, status: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The agency's rows (status, shift start, shift end) and the day's bookings.

    ``status`` is the roster's attendance table (before the float pool's rows).
    """
    days = scenario.horizon_days
    if scenario.policies.agency is None:  # no rows, nobody booked
        return (np.zeros((0, days), np.int8), np.zeros((0, days)), np.zeros((0, days)),
                np.zeros(days, np.int64))
    count = bookings(scenario, status)
    size = agency_size(scenario)
    works = np.arange(size)[:, None] < count[None, :]
    shift = shift_patterns(scenario)[agency_pattern(scenario)]
    start = 24.0 * np.arange(days) + shift.start_hour
    begin = np.where(works, start[None, :], np.nan)
    rows = np.where(works, Status.AGENCY, Status.DAY_OFF).astype(np.int8)
    return rows, begin, begin + shift.length_hours, count

