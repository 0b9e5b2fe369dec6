"""Calendar arithmetic shared by validation and sampling: vacation weeks and blocks.

The vacation year is 52 weeks (364 days); year ``y`` covers days
[364·y, 364·y + 364). A week is blocked when any of its days falls in a blackout
window. Pure functions, no randomness.
"""

from __future__ import annotations

from collections.abc import Sequence

WEEKS_PER_YEAR = 52
DAYS_PER_YEAR = 7 * WEEKS_PER_YEAR


def vacation_blocks(weeks_per_year: int, block_weeks: int) -> list[int]:
    """Block lengths in weeks, longest first: whole blocks, then the remainder."""
    blocks = [block_weeks] * (weeks_per_year // block_weeks)
    if weeks_per_year % block_weeks:
        blocks.append(weeks_per_year % block_weeks)
    return blocks


def free_weeks(blackouts: Sequence[tuple[int, int]], year: int) -> list[bool]:
    """For each week of ``year``, whether no blackout day [start, end) falls in it."""
    first = year * WEEKS_PER_YEAR
    free = [True] * WEEKS_PER_YEAR
    for start, end in blackouts:
        for week in range(start // 7, -(-end // 7)):
            if first <= week < first + WEEKS_PER_YEAR:
                free[week - first] = False
    return free


def open_starts(free: Sequence[bool], taken: Sequence[bool], length: int) -> list[int]:
    """The weeks where a block of ``length`` weeks can start, in order.

    Every week of the block must be free of blackouts, not yet taken, and inside the year.
    """
    starts: list[int] = []
    begin = -1  # the first week of the open run under way (-1: none)
    for week, (open_week, gone) in enumerate(zip(free, taken, strict=True)):
        if open_week and not gone:
            begin = week if begin < 0 else begin
        elif begin >= 0:
            starts.extend(range(begin, week - length + 1))
            begin = -1
    if begin >= 0:
        starts.extend(range(begin, len(free) - length + 1))
    return starts


def first_fit(free: Sequence[bool], blocks: Sequence[int]) -> list[int] | None:
    """Start weeks for the blocks, each at the earliest place it fits (None if one does not).

    Used to check that a vacation rule can be honoured at all.
    """
    taken = [False] * len(free)
    starts = []
    for length in blocks:
        options = open_starts(free, taken, length)
        if not options:
            return None
        taken[options[0]:options[0] + length] = [True] * length
        starts.append(options[0])
    return starts
