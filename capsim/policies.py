"""Policies applied to a replication's attendance before any order moves: the float pool.

A float pool (:class:`capsim.scenario.FloatPool`) is a set of people outside the roster
who fill absences. Who is absent is known before the dynamics (attendance is sampled
first), so the pool's call-ins are too: they are worked out here, from the attendance
table and the pool's own stream, and appended to the technician-day tables as extra
rows (after the roster's, so the roster's technicians keep their indices and their
random numbers). Both engines then simulate them like any technician; nothing in the
dynamics knows about the pool.

The rule, day by day and pattern by pattern (in the scenario's order): while the
pattern's technicians on hand are fewer than ``required_share`` × those scheduled
(rounded up), each gap (an absent, uncovered technician, in index order) is offered to
the members not yet asked that day, in index order; member m answers on day d if
u[m, d] < ``answer_probability`` (one uniform per member and day from the
``float_pool`` stream, member by member, so a larger roster, or a larger pool, asks
the same people the same way). Whoever
answers works the absent technician's shift, ``notice_hours`` late for a gap known
only at shift start; a member who declined is not asked again that day. Agency staff
booked the day before (:mod:`capsim.agency`) count as on hand on their pattern. A pool of
size 0 is no pool.
"""

from __future__ import annotations

import math

import numpy as np

from capsim.attendance import Status, assign_patterns, is_present, shift_patterns
from capsim.rng import stream
from capsim.scenario import Scenario

#: Absences a float member can fill: not vacations, days off, closures or covered days.
GAPS = (Status.UNPLANNED, Status.LAST_MINUTE, Status.OUTBREAK, Status.STRESS)
_SCHEDULED_AWAY = (Status.DAY_OFF, Status.VACATION, Status.CLOSED)


def pool_size(scenario: Scenario) -> int:
    """Members of the float pool (0 without one)."""
    pool = scenario.policies.float_pool
    return 0 if pool is None else pool.size


def call_in(scenario: Scenario, seed: int, replication: int, status: np.ndarray,
            shift_start: np.ndarray, shift_end: np.ndarray, booked: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables with the float pool's rows appended (unchanged without a pool).

    Members not called on a day have a day off there. ``booked[p, d]``: people on hand on
    pattern ``p`` on day ``d`` besides the roster's (the agency's; default none).
    """
    pool = scenario.policies.float_pool
    if pool is None or pool.size == 0:
        return status, shift_start, shift_end
    roster, days = status.shape
    # member by member (each member's days are its own numbers whatever the pool's size:
    # common random numbers when a sweep varies the size)
    draws = stream(seed, replication, "float_pool").random((pool.size, days)).T
    answers = draws < pool.answer_probability
    rows = np.full((pool.size, days), Status.DAY_OFF, dtype=np.int8)
    begin, end = np.full((pool.size, days), np.nan), np.full((pool.size, days), np.nan)
    pattern, _ = assign_patterns(shift_patterns(scenario), roster)
    present = is_present(status)
    expected = ~np.isin(status, _SCHEDULED_AWAY)
    gap = np.isin(status, GAPS)
    for d in range(days):
        asked = 0  # members 0..asked-1 have been asked today
        for p in range(int(pattern.max()) + 1 if roster else 0):
            mine = pattern == p
            required = math.ceil(pool.required_share * int((mine & expected[:, d]).sum()) - 1e-9)
            on_hand = int((mine & present[:, d]).sum()) + (
                0 if booked is None else int(booked[p, d]))
            for tech in np.flatnonzero(mine & gap[:, d]):
                if on_hand >= required or asked == pool.size:
                    break
                late = pool.notice_hours if status[tech, d] == Status.LAST_MINUTE else 0.0
                start = shift_start[tech, d] + late
                if start >= shift_end[tech, d]:
                    continue  # the notice is longer than the shift: nobody to call
                while asked < pool.size:
                    member = asked
                    asked += 1
                    if answers[d, member]:
                        rows[member, d] = Status.FLOAT
                        begin[member, d], end[member, d] = start, shift_end[tech, d]
                        on_hand += 1
                        break
    return (np.concatenate([status, rows]), np.concatenate([shift_start, begin]),
            np.concatenate([shift_end, end]))
