"""The reference engine's queues: FIFO, keyed (EDD, priority) and the jobs' queue.

Each holds order (or job) numbers and gives the next by the dispatch rule; the jobs'
queue also keeps each job's join and due time, which follow-ups and the overtime
policy's triggers read (:mod:`capsim.engines.simpy_model`).
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from capsim.jobs import EDD, PRIORITY, Jobs, jobs
from capsim.records import dispatch_keys
from capsim.sampling import Realization
from capsim.scenario import Scenario


class Fifo:
    """First in, first out (orders are numbered in arrival order)."""

    def __init__(self) -> None:
        self._items: deque[int] = deque()
        self.push = self._items.append

    def pop(self) -> int | None:
        """Remove and give the next order (None: empty)."""
        return self._items.popleft() if self._items else None

    def __len__(self) -> int:
        return len(self._items)


class Keyed:
    """Smallest key first, ties by arrival (EDD: key = due time; priority: class priority)."""

    def __init__(self, keys: list[float]) -> None:
        self._keys = keys
        self._heap: list[tuple[float, int]] = []

    def push(self, order: int) -> None:
        """Queue ``order``."""
        heapq.heappush(self._heap, (self._keys[order], order))

    def pop(self) -> int | None:
        """Remove and give the next order (None: empty)."""
        return heapq.heappop(self._heap)[1] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


class JobQueue:
    """Jobs by (group, rule key, join time, job number), smallest first (see capsim.jobs)."""

    def __init__(self, table: Jobs, arrival: list[float]) -> None:
        self.table = table
        n, size = table.orders, table.size
        self.join = [*arrival, *([np.nan] * (size - n))]
        promise = table.promise.tolist()
        self.due = [self.join[j] + promise[j] for j in range(n)] + [np.nan] * (size - n)
        self._heap: list[tuple[float, float, float, int]] = []
        self._group, self._key = table.group.tolist(), table.key.tolist()

    def joins(self, job: int, now: float) -> None:
        """Job ``job`` (a follow-up) joins at ``now``: its due is set, then it queues."""
        t = self.table
        self.join[job] = now
        self.due[job] = (now + float(t.promise[job]) if t.renew[job]
                         else self.due[t.pred[job]] + float(t.shift[job]))
        self.push(job)

    def push(self, job: int) -> None:
        """Queue ``job`` (joined already: its join and due are set)."""
        rule = self.table.rule
        key = self.due[job] if rule == EDD else self._key[job] if rule == PRIORITY else 0.0
        heapq.heappush(self._heap, (self._group[job], key, self.join[job], job))

    def pop(self) -> int | None:
        """Remove and give the next job (None: empty)."""
        return heapq.heappop(self._heap)[3] if self._heap else None

    def waiting(self) -> list[int]:
        """The queued jobs, in no particular order."""
        return [entry[3] for entry in self._heap]

    def __len__(self) -> int:
        return len(self._heap)


def make_queue(scenario: Scenario, realization: Realization) -> Fifo | Keyed | JobQueue:
    """The queue a replication's dispatch rule needs (jobs with follow-ups or overtime)."""
    if realization.follow_ups is not None or scenario.has_overtime_policy:
        return JobQueue(jobs(scenario, realization), realization.arrival.tolist())
    if scenario.dispatch == "fifo" and not scenario.has_supplies:
        return Fifo()  # (with supplies, by number: an order passed over keeps its place)
    return Keyed(dispatch_keys(scenario, realization).tolist())
