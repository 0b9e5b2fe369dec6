"""The reference engine: a SimPy model of the prepress floor.

Orders arrive into one shared queue. Each technician is a SimPy process that,
while on duty, takes the next order by the dispatch rule (FIFO, earliest due
date, or class priority with FIFO inside a class), works on it for its work
content, and repeats; with nothing to do it waits until an order arrives or its
shift ends. Arrivals enter the queue when someone looks at it, and cost an event
only while a technician is idle (one pending wake-up at the next arrival): at
night and at the peak, when nobody is idle, orders arrive for free. A technician
finishes the order in hand after the shift ends (the excess is overtime) and
starts nothing new off duty. Orders still queued or in progress at the horizon
stay unfinished.

When an order arrives and several technicians are idle, the one idle longest
takes it. The model records start, finish and technician of every order in its
own process code; everything else is derived by :func:`capsim.records.build_records`.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Generator
from functools import partial

import numpy as np
import simpy

from capsim.attendance import duty_intervals, is_present
from capsim.records import Records, build_records
from capsim.sampling import Realization
from capsim.scenario import Scenario

Process = Generator[simpy.Event, None, None]  # the body of a SimPy process


class _Fifo:
    """First in, first out (orders are numbered in arrival order)."""

    def __init__(self) -> None:
        self._items: deque[int] = deque()
        self.push = self._items.append

    def pop(self) -> int | None:
        return self._items.popleft() if self._items else None

    def __len__(self) -> int:
        return len(self._items)


class _Keyed:
    """Smallest key first, ties by arrival (EDD: key = due time; priority: class priority)."""

    def __init__(self, keys: list[float]) -> None:
        self._keys = keys
        self._heap: list[tuple[float, int]] = []

    def push(self, order: int) -> None:
        heapq.heappush(self._heap, (self._keys[order], order))

    def pop(self) -> int | None:
        return heapq.heappop(self._heap)[1] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


def _queue(scenario: Scenario, realization: Realization) -> _Fifo | _Keyed:
    classes = scenario.order_classes
    if scenario.dispatch == "edd":
        promise = np.array([c.promise_hours for c in classes], dtype=float)
        return _Keyed((realization.arrival + promise[realization.order_class]).tolist())
    if scenario.dispatch == "priority":
        priority = np.array([c.priority for c in classes], dtype=float)
        return _Keyed(priority[realization.order_class].tolist())
    return _Fifo()


class PrepressFloor:
    """The SimPy processes of one replication and what they record.

    Parameters
    ----------
    env : simpy.Environment
        The environment to run in.
    scenario, realization
        What to simulate.
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, realization: Realization):
        self.env = env
        self.horizon = scenario.horizon_hours
        self.queue = _queue(scenario, realization)
        self.idle: dict[int, simpy.Event] = {}  # idle on-duty technicians, longest idle first
        self.work = realization.work.tolist()
        n = realization.orders
        self.start = [np.nan] * n
        self.finish = [np.nan] * n
        self.technician = [-1] * n
        self.arrival = realization.arrival.tolist()
        self.admitted = 0  # orders 0..admitted-1 have been put in the queue
        self.alarm = False  # whether a wake-up at the next arrival is pending
        present = is_present(realization.status)
        for tech in range(realization.roster):
            duty = duty_intervals(realization.shift_start[tech], realization.shift_end[tech],
                                  present[tech])
            if duty:
                env.process(self._technician(tech, duty))

    def _admit(self) -> None:
        """Put every order that has arrived by now into the queue.

        Arrivals are admitted when someone looks (lazily): while every technician is
        busy or off duty, an arrival needs no event of its own. The queue holds the
        same orders at every decision as if each had been pushed on arrival.
        """
        now, arrival, k = self.env.now, self.arrival, self.admitted
        push = self.queue.push
        while k < len(arrival) and arrival[k] <= now:
            push(k)
            k += 1
        self.admitted = k

    def _take(self) -> int | None:
        self._admit()
        return self.queue.pop()

    def _arm(self) -> None:
        """While someone is idle, keep one wake-up pending at the next arrival."""
        if not self.alarm and self.idle and self.admitted < len(self.arrival):
            self.alarm = True
            delay = self.arrival[self.admitted] - self.env.now
            self.env.timeout(delay).callbacks.append(self._ring)

    def _ring(self, _event: simpy.Event) -> None:
        """The next arrival is here: admit it (a batch whole), wake one idle per order."""
        self.alarm = False
        self._admit()
        self._wake(len(self.queue))
        self._arm()

    def _wake(self, count: int) -> None:
        """Wake up to ``count`` technicians, those idle longest first."""
        for _ in range(min(count, len(self.idle))):
            tech = next(iter(self.idle))
            self.idle.pop(tech).succeed()

    def _end_shift(self, tech: int, _event: simpy.Event) -> None:
        wake = self.idle.pop(tech, None)
        if wake is not None:
            wake.succeed()

    def _technician(self, tech: int, duty: list[tuple[float, float]]) -> Process:
        env, queue, work = self.env, self.queue, self.work
        start, finish, technician = self.start, self.finish, self.technician
        for begin, end in duty:
            if begin >= self.horizon:
                return
            if begin > env.now:
                yield env.timeout(begin - env.now)
            if end < self.horizon and end > env.now:
                env.timeout(end - env.now).callbacks.append(partial(self._end_shift, tech))
            while env.now < end:
                order = self._take()
                if order is None:
                    wake = env.event()
                    self.idle[tech] = wake
                    self._arm()
                    yield wake
                    continue
                start[order] = env.now
                technician[order] = tech
                yield env.timeout(work[order])
                finish[order] = env.now
            self._admit()  # a wake-up that reached us as the shift ended goes on
            self._wake(1 if len(queue) else 0)

    def records(self, scenario: Scenario, realization: Realization) -> Records:
        """The replication's Records (call after the environment has run)."""
        return build_records(
            scenario, realization, np.array(self.start, dtype=float),
            np.array(self.finish, dtype=float), np.array(self.technician, dtype=np.int32))


def unsupported(scenario: Scenario) -> str | None:
    """The reference engine runs every scenario."""
    return None


def simulate(scenario: Scenario, realization: Realization) -> Records:
    """Run one replication in SimPy and return its Records."""
    env = simpy.Environment()
    floor = PrepressFloor(env, scenario, realization)
    env.run(until=scenario.horizon_hours)
    return floor.records(scenario, realization)
