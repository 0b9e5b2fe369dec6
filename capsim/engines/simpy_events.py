"""The reference engine's events: at an exact time, and after everything else at a moment.

:class:`Environment` puts events that carry their time (:func:`at`) on SimPy's queue at
exactly that time; :class:`AfterAll` is processed after every other event of its
moment (the dispatch decisions of :mod:`capsim.engines.simpy_model`).
"""

from __future__ import annotations

import heapq

import simpy
from simpy.events import NORMAL, EventPriority

LATE = EventPriority(2)  # event priority after SimPy's URGENT (0) and NORMAL (1)


class AfterAll(simpy.Event):
    """An event processed after every other event scheduled for the same moment.

    Triggered on creation, like SimPy's own Timeout (which sets the same two fields),
    but with a later priority.
    """

    def __init__(self, env: simpy.Environment):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LATE)


class Environment(simpy.Environment):
    """SimPy's environment, with events that fire at an exact time.

    SimPy schedules by delay, at ``now + delay``; for many pairs of floats no delay
    lands exactly on a given time (now = 29.116763271591715 cannot reach 115.52: the
    nearest sums are an ulp either side), so a shift starting at 115.52 h fired at
    115.51999999999998 and its technician took an order before a colleague starting at
    the same moment. Events made by :func:`at` carry their time, and this environment
    puts them on SimPy's event queue at that time. Subclassing the environment and its
    ``schedule`` is SimPy's own extension point (``RealtimeEnvironment`` does the same);
    ``tests/test_engine.py`` pins the behaviour.
    """

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL,
                 delay: float = 0) -> None:
        """Schedule ``event``: at its ``at`` time if it has one, else after ``delay``."""
        at = getattr(event, "at", None)
        if at is None:
            super().schedule(event, priority, delay)
        else:
            heapq.heappush(self._queue, (at, priority, next(self._eid), event))


class At(simpy.Timeout):
    """A timeout that fires at exactly ``at`` (env.now == at afterwards, bit for bit)."""

    def __init__(self, env: simpy.Environment, at: float):
        self.at = at
        super().__init__(env, max(at - env.now, 0.0))


def at(env: simpy.Environment, time: float) -> simpy.Timeout:
    """A timeout that fires at exactly ``time`` (see :class:`Environment`)."""
    return At(env, time)
