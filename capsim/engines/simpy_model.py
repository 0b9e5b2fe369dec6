"""The reference engine: a SimPy model of the prepress floor.

Orders arrive into one shared queue. Each technician is a SimPy process that, while
on duty, offers itself for work, is given the next order by the dispatch rule (FIFO,
earliest due date, or class priority with FIFO inside a class), works on it for its
work content, and offers itself again. A technician finishes the order in hand after
the shift ends (the excess is overtime) and takes nothing new off duty. Orders still
queued or in progress at the horizon stay unfinished.

Who takes an order is decided by one rule, so that the outcome never depends on the
order in which simultaneous events happen to be processed (and so that another
engine can reproduce it exactly): **among the technicians who can start at that
moment, the one available longest takes the order**, available since the later of
its last finish and the start of its current duty interval; ties go to the lowest
index. Decisions are taken after every other event at the same moment (a dispatch
event of late priority), unless nothing else happens at that moment and nobody else
is waiting, when a technician simply takes the next order.

Abandonment: an order whose wait would exceed its patience leaves at arrival +
patience. Nothing else can have changed by then (the order was only waiting), so the
model removes it lazily: when the dispatch rule picks an order whose time ran out, it
is dropped and the next one picked. :func:`capsim.records.build_records` dates its
departure.

Rework, remakes and repeat contacts (:mod:`capsim.jobs`): when a job with a successor
finishes, the successor joins the queue at exactly finish + its delay (at once for an
internal rework, by an exact-time event otherwise) and a dispatch is requested, so the
tie rule holds for them too; the queue is then ordered by the jobs' key (group, rule
key, join time, job number), and a repeat contact abandons like an order (join +
its patience), a rework or remake never.

Arrivals enter the queue when someone looks at it, and cost an event only while a
technician is waiting (one wake-up at the next arrival): at night and at the peak,
when nobody waits, orders arrive for free. The model records start, finish and
technician of every order in its own process code; everything else is derived by
:func:`capsim.records.build_records`.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Generator
from functools import partial

import numpy as np
import simpy
from simpy.events import NORMAL, EventPriority

from capsim.attendance import duty_intervals, is_present
from capsim.jobs import EDD, PRIORITY, Jobs, jobs
from capsim.records import Records, build_records, dispatch_keys
from capsim.sampling import Realization
from capsim.scenario import Scenario

Process = Generator[simpy.Event, int | None, None]  # the body of a SimPy process
LATE = EventPriority(2)  # event priority after SimPy's URGENT (0) and NORMAL (1)


class _AfterAll(simpy.Event):
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
    the same moment. Events made by :func:`_at` carry their time, and this environment
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


class _At(simpy.Timeout):
    """A timeout that fires at exactly ``at`` (env.now == at afterwards, bit for bit)."""

    def __init__(self, env: simpy.Environment, at: float):
        self.at = at
        super().__init__(env, max(at - env.now, 0.0))


def _at(env: simpy.Environment, time: float) -> simpy.Timeout:
    """A timeout that fires at exactly ``time`` (see :class:`Environment`)."""
    return _At(env, time)


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


class _Jobs:
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
        rule = self.table.rule
        key = self.due[job] if rule == EDD else self._key[job] if rule == PRIORITY else 0.0
        heapq.heappush(self._heap, (self._group[job], key, self.join[job], job))

    def pop(self) -> int | None:
        return heapq.heappop(self._heap)[3] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


def _queue(scenario: Scenario, realization: Realization) -> _Fifo | _Keyed | _Jobs:
    if realization.follow_ups is not None:
        return _Jobs(jobs(scenario, realization), realization.arrival.tolist())
    if scenario.dispatch == "fifo":
        return _Fifo()
    return _Keyed(dispatch_keys(scenario, realization).tolist())


class PrepressFloor:
    """The SimPy processes of one replication and what they record.

    Parameters
    ----------
    env : Environment
        The environment to run in (this module's, so that shifts start on time).
    scenario, realization
        What to simulate.
    """

    def __init__(self, env: Environment, scenario: Scenario, realization: Realization):
        if not isinstance(env, Environment):
            raise TypeError("PrepressFloor needs capsim.engines.simpy_model.Environment, "
                            "which fires events at exact times")
        self.env = env
        self.horizon = scenario.horizon_hours
        self.queue = _queue(scenario, realization)
        self.arrival = realization.arrival.tolist()
        # when each order's patience runs out (None: nobody abandons)
        self.deadline = (None if realization.patience is None
                         else (realization.arrival + realization.patience).tolist())
        self.work = realization.work.tolist()
        self.successor: list[int] | None = None  # the job each job's finish brings (-1: none)
        if isinstance(self.queue, _Jobs):
            table = self.queue.table
            self.work = table.work.tolist()
            successor = np.full(table.size, -1, np.int64)
            follow = np.flatnonzero(table.pred >= 0)
            successor[table.pred[follow]] = follow
            self.successor = successor.tolist()
            self.deadline = [*(realization.arrival + table.patience[:table.orders]).tolist(),
                             *([np.inf] * (table.size - table.orders))]
        n = len(self.work)
        self.start = [np.nan] * n
        self.finish = [np.nan] * n
        self.technician = [-1] * n
        self.admitted = 0  # orders 0..admitted-1 have been put in the queue
        # technicians offering themselves: a heap of (available since, technician, ticket);
        # an entry is live while its ticket is the technician's current one
        self.waiting: list[tuple[float, int, int]] = []
        self.ticket = [0] * realization.roster
        self.offer: dict[int, simpy.Event] = {}  # waiting technician -> its assignment event
        self.alarm = False  # a wake-up at the next arrival is pending
        self.dispatch_pending = False
        present = is_present(realization.status)
        for tech in range(realization.roster):
            duty = duty_intervals(realization.shift_start[tech], realization.shift_end[tech],
                                  present[tech])
            if duty:
                env.process(self._technician(tech, duty))

    # --- the queue ---------------------------------------------------------------

    def _admit(self) -> None:
        """Put every order that has arrived by now into the queue (lazily, when asked)."""
        now, arrival, k = self.env.now, self.arrival, self.admitted
        push = self.queue.push
        while k < len(arrival) and arrival[k] <= now:
            push(k)
            k += 1
        self.admitted = k

    def _take(self) -> int | None:
        """The next order by the dispatch rule still waiting now; those out of patience go."""
        now, deadline = self.env.now, self.deadline
        while True:
            order = self.queue.pop()
            if order is None or deadline is None or now <= deadline[order]:
                return order

    def _finished(self, job: int) -> None:
        """``job`` finished now: its successor (if any) joins at finish + its delay."""
        assert self.successor is not None
        assert isinstance(self.queue, _Jobs)
        follow = self.successor[job]
        if follow < 0:
            return
        table = self.queue.table
        at = self.env.now + float(table.delay[follow])
        if at >= self.horizon:
            return
        if at <= self.env.now:
            self._join(follow)
        else:
            _at(self.env, at).callbacks.append(lambda _event: self._join(follow))

    def _join(self, job: int) -> None:
        assert isinstance(self.queue, _Jobs)
        assert self.deadline is not None
        now = self.env.now
        self.deadline[job] = now + float(self.queue.table.patience[job])
        self.queue.joins(job, now)
        self._request_dispatch()

    # --- dispatch ----------------------------------------------------------------

    def _request_dispatch(self) -> None:
        if not self.dispatch_pending:
            self.dispatch_pending = True
            _AfterAll(self.env).callbacks.append(self._dispatch)

    def _dispatch(self, _event: simpy.Event) -> None:
        """Give queued orders to waiting technicians, available longest first."""
        self.dispatch_pending = False
        self._admit()
        while self.offer:
            order = self._take()
            if order is None:
                break
            while True:
                _, tech, ticket = heapq.heappop(self.waiting)
                if ticket == self.ticket[tech] and tech in self.offer:
                    break  # else stale: the technician left or offered again since
            self.offer.pop(tech).succeed(order)
        self._arm()

    def _arm(self) -> None:
        """While someone waits, keep one wake-up pending at the next arrival."""
        if not self.alarm and self.offer and self.admitted < len(self.arrival):
            self.alarm = True
            _at(self.env, self.arrival[self.admitted]).callbacks.append(self._ring)

    def _ring(self, _event: simpy.Event) -> None:
        self.alarm = False
        self._request_dispatch()

    def _wait_for_work(self, tech: int, since: float) -> simpy.Event:
        """Offer ``tech`` for work, available since ``since``.

        The returned event yields the order given, or None if the shift ends first.
        """
        self.ticket[tech] += 1
        heapq.heappush(self.waiting, (since, tech, self.ticket[tech]))
        event = self.env.event()
        self.offer[tech] = event
        self._request_dispatch()
        return event

    def _end_shift(self, tech: int, _event: simpy.Event) -> None:
        event = self.offer.pop(tech, None)
        if event is not None:
            event.succeed(None)

    def _alone(self) -> bool:
        """Nothing else happens at this moment and nobody else waits: no tie is possible."""
        return not self.offer and self.env.peek() > self.env.now

    # --- technicians -------------------------------------------------------------

    def _technician(self, tech: int, duty: list[tuple[float, float]]) -> Process:
        env, work = self.env, self.work
        start, finish, technician = self.start, self.finish, self.technician
        for begin, end in duty:
            if begin >= self.horizon:
                return
            if begin > env.now:
                yield _at(env, begin)
            if end < self.horizon and end > env.now:
                _at(env, end).callbacks.append(partial(self._end_shift, tech))
            since = env.now
            while env.now < end:
                order = None
                if self._alone():
                    self._admit()
                    order = self._take()
                if order is None:
                    order = yield self._wait_for_work(tech, since)
                    if order is None:
                        break  # the shift ended while waiting
                start[order] = env.now
                technician[order] = tech
                yield env.timeout(work[order])
                finish[order] = env.now
                if self.successor is not None:
                    self._finished(order)
                since = env.now

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
    env = Environment()
    floor = PrepressFloor(env, scenario, realization)
    env.run(until=scenario.horizon_hours)
    return floor.records(scenario, realization)
