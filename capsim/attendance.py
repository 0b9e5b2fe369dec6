"""Who works when: shift assignment, schedules, and the technician × day attendance table.

Everything here is decided per technician from that technician's own random
streams, and shift assignment is prefix-stable (technician ``i``'s pattern does
not depend on the roster size). Adding technician ``n + 1`` therefore leaves
technicians ``1..n`` exactly as they were: the basis of common random numbers
across rosters.

Precedence of reasons for one technician-day: day off, then vacation, then
outbreak, then last-minute absence, then an absence known the day before
(covered by a replacement or not), then present.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import cast

import numpy as np

from capsim import reuse
from capsim.rng import stream, stress_stream, technician_stream
from capsim.scenario import Outbreak, Scenario, Shift, Vacation
from capsim.scenario.calendar import (
    DAYS_PER_YEAR,
    first_fit,
    free_weeks,
    vacation_blocks,
)

ALWAYS_ON = Shift(name="always on", start_hour=0.0, length_hours=24.0)


class Status(IntEnum):
    """The attendance of one technician on one day."""

    PRESENT = 0
    DAY_OFF = 1
    VACATION = 2
    UNPLANNED = 3  # absent, known the day before, not covered
    LAST_MINUTE = 4  # absent, known only at shift start
    OUTBREAK = 5
    COVERED = 6  # absent, known the day before, a replacement works the shift
    STRESS = 7  # absent in a stress-test event
    CLOSED = 8  # a stress-test closure: nobody works
    FLOAT = 9  # a float-pool member called in (capsim.policies)
    AGENCY = 10  # an agency person booked the day before (capsim.policies)

    @property
    def label(self) -> str:
        """Lower-case name for tables and CSV columns."""
        return self.name.lower()


#: Per :class:`Status` code, whether someone works the slot (see :func:`is_present`).
_WORKS = np.isin(np.arange(len(Status)), [Status.PRESENT, Status.COVERED, Status.FLOAT,
                                           Status.AGENCY])


def is_present(status: np.ndarray) -> np.ndarray:
    """Whether someone works each technician-day slot (present, covered, called in, booked)."""
    result: np.ndarray = _WORKS[status]  # one lookup, not four comparisons
    return result


def shift_patterns(scenario: Scenario) -> tuple[Shift, ...]:
    """The scenario's shift patterns (one around-the-clock pattern when always_on)."""
    wf = scenario.workforce
    return (ALWAYS_ON,) if wf.always_on else wf.shifts


def assign_patterns(patterns: tuple[Shift, ...], roster: int) -> tuple[np.ndarray, np.ndarray]:
    """Assign technicians to shift patterns, prefix-stably.

    Patterns with a ``count`` take the first technicians, in pattern order. The
    rest are apportioned to patterns with a ``share`` one at a time by the
    Sainte-Laguë (Webster) divisor method: each next technician joins the pattern
    with the largest share / (assigned + 0.5). Divisor methods are house-monotone,
    so technician ``i``'s pattern never depends on the roster size.

    Returns
    -------
    pattern : numpy.ndarray
        The pattern index of each technician.
    rank : numpy.ndarray
        The technician's position among those on the same pattern (staggers days off).
    """
    pattern = np.empty(roster, dtype=np.int64)
    rank = np.empty(roster, dtype=np.int64)
    assigned = [0] * len(patterns)
    fixed = [p for p, s in enumerate(patterns) if s.count is not None]
    queue = [p for p in fixed for _ in range(patterns[p].count or 0)]
    shares = {p: s.share if s.share is not None else 1.0
              for p, s in enumerate(patterns) if s.count is None}
    for tech in range(roster):
        if tech < len(queue):
            p = queue[tech]
        else:
            p = max(shares, key=lambda q: (shares[q] / (assigned[q] + 0.5), -q))
        pattern[tech], rank[tech] = p, assigned[p]
        assigned[p] += 1
    return pattern, rank


def working_weekdays(shift: Shift, rank: int) -> set[int]:
    """The weekdays a technician of this rank works on this pattern.

    With ``days_per_week`` below the pattern's weekdays, each technician's days off
    are consecutive in the pattern's week and staggered by rank, so that every
    weekday loses about as many technicians.
    """
    days = sorted(shift.weekdays)
    n_off = len(days) - (shift.days_per_week or len(days))
    if n_off == 0:
        return set(days)
    step = n_off if math.gcd(n_off, len(days)) == 1 else 1
    first = (rank * step) % len(days)
    off = {days[(first + j) % len(days)] for j in range(n_off)}
    return set(days) - off


def schedule(scenario: Scenario, roster: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift start and end times (hours) for every technician-day; NaN on days off."""
    patterns = shift_patterns(scenario)
    pattern, rank = assign_patterns(patterns, roster)
    days = np.arange(scenario.horizon_days)
    weekday = (scenario.start_weekday + days) % 7
    rows: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}  # a pattern's, per weekdays worked
    start = np.empty((roster, days.size))
    for tech in range(roster):
        p = int(pattern[tech])
        key = (p, tuple(sorted(working_weekdays(patterns[p], int(rank[tech])))))
        if key not in rows:  # NaN on the days off
            works = np.isin(np.arange(7), key[1])[weekday]
            rows[key] = np.where(works, 24.0 * days + patterns[p].start_hour, np.nan)
        start[tech] = rows[key]
    lengths = np.array([patterns[p].length_hours for p in pattern]).reshape(-1, 1)
    return start, start + lengths


# --------------------------------------------------------------------------- absences


def vacation_days(vacation: Vacation, horizon_days: int, rng: np.random.Generator) -> np.ndarray:
    """Whether each day of the horizon falls in one of this technician's vacation blocks.

    Each year, the blocks are placed one after another (longest first) at a
    uniformly random start week among those where they fit, outside blackouts
    and apart from the blocks already placed. If that random placement paints
    itself into a corner 100 times, the blocks are placed first-fit (validation
    guarantees that this works).
    """
    mask = np.zeros(horizon_days, dtype=bool)
    blocks = vacation_blocks(vacation.weeks_per_year, vacation.block_weeks)
    if not blocks:
        return mask
    windows = tuple((w.start_day, w.end_day) for w in vacation.blackouts)
    for year in range(-(-horizon_days // DAYS_PER_YEAR)):
        free = _free_weeks(windows, year)
        starts = _random_fit(free, blocks, rng) or first_fit(free, blocks)
        assert starts is not None, "validation guarantees that vacation blocks fit"
        for start, length in zip(starts, blocks, strict=True):
            first_day = year * DAYS_PER_YEAR + 7 * start
            mask[first_day:first_day + 7 * length] = True
    return mask


@functools.lru_cache(maxsize=64)
def _free_weeks(windows: tuple[tuple[int, int], ...], year: int) -> tuple[bool, ...]:
    """:func:`free_weeks`, worked out once per blackout list and year."""
    return tuple(free_weeks(windows, year))


def _open_starts(open_weeks: np.ndarray, length: int) -> np.ndarray:
    """:func:`~capsim.scenario.calendar.open_starts` on the weeks still open (free, not taken)."""
    if length == 1:
        return np.flatnonzero(open_weeks)
    closed = np.concatenate(([0], np.cumsum(~open_weeks)))  # closed weeks before each week
    return np.flatnonzero(closed[length:] == closed[:-length])


def _random_fit(free: Sequence[bool], blocks: list[int],
                rng: np.random.Generator) -> list[int] | None:
    free_weeks_ = np.array(free, dtype=bool)
    for _ in range(100):
        open_weeks = free_weeks_.copy()
        starts = []
        for length in blocks:
            options = _open_starts(open_weeks, length)
            if not options.size:
                break
            start = int(options[int(rng.integers(options.size))])
            open_weeks[start:start + length] = False
            starts.append(start)
        else:
            return starts
    return None


def outbreak_days(scenario: Scenario, seed: int, replication: int) -> list[tuple[int, Outbreak]]:
    """The (day, outbreak) events of one replication, in outbreak order then by day.

    Drawn from the replication's outbreak stream, so they are the same for every roster.
    """
    if not scenario.absence.outbreaks:
        return []  # nothing drawn: no stream
    rng = stream(seed, replication, "outbreaks")
    days = scenario.horizon_days
    events = []
    for spec in scenario.absence.outbreaks:
        if spec.start_day is not None:
            if spec.start_day < days:
                events.append((spec.start_day, spec))
            continue
        count = rng.poisson((spec.rate_per_30_days or 0.0) * days / 30.0)
        events += [(int(d), spec) for d in np.sort(rng.integers(0, days, count))]
    return events


def _outbreak_mask(events: list[tuple[int, Outbreak]], days: int,
                   rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(days, dtype=bool)
    for day, spec in events:
        affected = rng.random() < spec.share
        if spec.duration_distribution == "fixed":
            duration = int(spec.duration_days)
        else:
            duration = int(rng.geometric(1.0 / spec.duration_days))
        if affected:
            mask[day:day + duration] = True
    return mask


@dataclass(frozen=True, eq=False)
class TechnicianDraws:
    """Random inputs over the horizon (booleans per day): one technician's, or a table's."""

    vacation: np.ndarray
    outbreak: np.ndarray
    absent: np.ndarray
    last_minute: np.ndarray
    covered: np.ndarray


def technician_draws(scenario: Scenario, seed: int, replication: int, tech: int,
                     events: list[tuple[int, Outbreak]]) -> TechnicianDraws:
    """Draw one technician's vacations, outbreak illness and daily absences.

    Within a purpose every draw is made for every day whether it will matter or not,
    so that a technician's inputs do not shift when an unrelated parameter changes.
    A purpose the scenario does not use (no vacation, no outbreak, no daily absence)
    draws nothing; each purpose has its own stream, so that changes no other draw.
    """
    draws = _table_draws(scenario, seed, replication, [tech], events)
    return TechnicianDraws(draws.vacation[0], draws.outbreak[0], draws.absent[0],
                           draws.last_minute[0], draws.covered[0])


def _table_draws(scenario: Scenario, seed: int, replication: int, techs: Sequence[int],
                 events: list[tuple[int, Outbreak]]) -> TechnicianDraws:
    """:func:`technician_draws` of several technicians at once: rows in ``techs`` order.

    Each row from that technician's own streams, exactly as drawn alone; the per-day
    comparisons are made once for the whole table.
    """
    days, absence = scenario.horizon_days, scenario.absence
    none = np.zeros((len(techs), days), dtype=bool)
    vacation, outbreak = none, none
    if absence.vacation.weeks_per_year:
        vacation = np.array([vacation_days(absence.vacation, days,
                                           technician_stream(seed, replication, t, "vacation"))
                             for t in techs], dtype=bool).reshape(none.shape)
    if events:
        outbreak = np.array([_outbreak_mask(events, days,
                                            technician_stream(seed, replication, t, "outbreak"))
                             for t in techs], dtype=bool).reshape(none.shape)
    if absence.daily_rate == 0:
        return TechnicianDraws(vacation, outbreak, none, none, none)
    u = np.array([technician_stream(seed, replication, t, "absence").random((3, days))
                  for t in techs]).reshape(len(techs), 3, days)
    return TechnicianDraws(
        vacation=vacation,
        outbreak=outbreak,
        absent=u[:, 0] < absence.daily_rate,
        last_minute=u[:, 1] < absence.last_minute_share,
        covered=u[:, 2] < absence.cover_probability,
    )


def status_row(scheduled: np.ndarray, draws: TechnicianDraws) -> np.ndarray:
    """Combine a schedule and its draws into :class:`Status` codes (a row, or a table)."""
    row = np.full(scheduled.shape, Status.PRESENT, dtype=np.int8)
    known = draws.absent & ~draws.last_minute
    row[known & draws.covered] = Status.COVERED
    row[known & ~draws.covered] = Status.UNPLANNED
    row[draws.absent & draws.last_minute] = Status.LAST_MINUTE
    row[draws.outbreak] = Status.OUTBREAK
    row[draws.vacation] = Status.VACATION
    row[~scheduled] = Status.DAY_OFF
    return row


def attendance_table(scenario: Scenario, seed: int, replication: int,
                     shift_start: np.ndarray) -> np.ndarray:
    """The technician × day table of :class:`Status` codes for one replication."""
    events = outbreak_days(scenario, seed, replication)
    absence = scenario.absence
    scheduled = ~np.isnan(shift_start)
    if not (events or absence.daily_rate or absence.vacation.weeks_per_year):
        return np.where(scheduled, Status.PRESENT, Status.DAY_OFF).astype(np.int8)
    return status_row(scheduled, _roster_draws(scenario, seed, replication,
                                               shift_start.shape[0], events))


def _roster_draws(scenario: Scenario, seed: int, replication: int, roster: int,
                  events: list[tuple[int, Outbreak]]) -> TechnicianDraws:
    """:func:`_table_draws` of technicians 0 .. roster - 1.

    Inside a :func:`capsim.reuse.sharing` scope each technician's row is kept and
    handed to the next roster of a search: it depends on the absence rules, the
    horizon, the seed, the replication and the technician's index only.
    """
    techs = range(roster)
    if not reuse.active():
        return _table_draws(scenario, seed, replication, techs, events)
    side = f"attendance {scenario.horizon_days}\n{scenario.absence.model_dump_json()}"
    rows: list[object | None] = [reuse.get(side, (seed, replication, t)) for t in techs]
    missing = [t for t, row in zip(techs, rows, strict=True) if row is None]
    if len(missing) == roster:  # nothing kept: the whole table at once, as unshared
        table = _table_draws(scenario, seed, replication, techs, events)
        for t in techs:
            reuse.put(side, (seed, replication, t), *_row(table, t))
        return table
    if missing:
        table = _table_draws(scenario, seed, replication, missing, events)
        for i, t in enumerate(missing):
            rows[t], arrays = _row(table, i)
            reuse.put(side, (seed, replication, t), rows[t], arrays)
    return TechnicianDraws(*(np.concatenate(column) for column in zip(
        *(_draw_arrays(cast(TechnicianDraws, row)) for row in rows), strict=True)))


def _row(table: TechnicianDraws, i: int) -> tuple[TechnicianDraws, list[np.ndarray]]:
    """Row i of a table of draws, copied (so that keeping it keeps no more), and its arrays."""
    row = TechnicianDraws(*(a[i:i + 1].copy() for a in _draw_arrays(table)))
    return row, _draw_arrays(row)


def _draw_arrays(draws: TechnicianDraws) -> list[np.ndarray]:
    return [draws.vacation, draws.outbreak, draws.absent, draws.last_minute, draws.covered]


def duty_intervals(shift_start: np.ndarray, shift_end: np.ndarray,
                   present: np.ndarray) -> list[tuple[float, float]]:
    """One technician's on-duty intervals: present shifts, back-to-back ones merged.

    A technician whose shift ends exactly when their next shift starts stays on
    duty; the order in hand then carries over without counting as overtime.
    """
    intervals: list[tuple[float, float]] = []
    for begin, end in zip(shift_start[present].tolist(), shift_end[present].tolist(),
                          strict=True):
        if intervals and begin <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(end, intervals[-1][1]))
        else:
            intervals.append((begin, end))
    return intervals


def apply_stress_attendance(scenario: Scenario, seed: int, replication: int,
                            status: np.ndarray) -> np.ndarray:
    """Apply the enabled absence and closure stress events to an attendance table.

    An absence event sends home, for its days, technicians chosen at random (from the
    event's own stream) among those who would have worked on its first day: scheduled
    and not on vacation. A closure marks every scheduled technician-day of its days
    closed. Days off and vacations stay what they were.
    """
    status = status.copy()
    for index, event in enumerate(scenario.stress):
        if not event.enabled or event.kind in ("demand", "supplier"):
            continue
        days = slice(event.start_day, min(event.start_day + event.days, status.shape[1]))
        if event.start_day >= status.shape[1]:
            continue
        block = status[:, days]
        keep = (block == Status.DAY_OFF) | (block == Status.VACATION)
        if event.kind == "closure":
            status[:, days] = np.where(keep, block, Status.CLOSED)
            continue
        first = status[:, event.start_day]
        eligible = np.flatnonzero((first != Status.DAY_OFF) & (first != Status.VACATION))
        count = min(event.absent_count(status.shape[0]), eligible.size)
        chosen = stress_stream(seed, replication, index).choice(eligible, count, replace=False)
        status[chosen, days] = np.where(keep[chosen], block[chosen], Status.STRESS)
    return status
