"""The reference engine: a SimPy model of the prepress floor.

Orders arrive into one shared queue. Each technician is a SimPy process that, while
on duty, offers itself for work, is given the next order by the dispatch rule (FIFO,
earliest due date, or class priority with FIFO inside a class), works on it for its
work content, and offers itself again. A technician finishes the order in hand after
the shift ends (the excess is overtime) and takes nothing new off duty. Orders still
queued or in progress at the horizon stay unfinished. With an overtime policy
(``policies.overtime``) a technician free at or after its shift end may stay for more
jobs, one at a time, while the policy's trigger holds and the caps allow
(:class:`capsim.scenario.staff.Overtime`; the decision takes its turn in the tie rule
below, as a technician available since that finish).

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

Workstations (``[equipment]``, :mod:`capsim.engines.simpy_stations`): a start needs a
station up and free. The dispatch event first gives free stations to technicians whose
order a failure interrupted, then orders to waiting technicians (by the rule above) while
a station is free; the simple take-the-next-order path also needs a free station and
nobody interrupted waiting.

Arrivals enter the queue when someone looks at it, and cost an event only while a
technician is waiting (one wake-up at the next arrival): at night and at the peak,
when nobody waits, orders arrive for free. The model records start, finish and
technician of every order in its own process code; everything else is derived by
:func:`capsim.records.build_records`.

Supplies (``[[supplies]]``; the fast engine has the same rules in
:mod:`capsim.engines._stockloop`): an order needs its units to start;
:mod:`capsim.engines.simpy_stock` decides, when the dispatch rule takes the next order,
which order can start, and keeps the stock, the reorder policy and the suppliers.
"""

from __future__ import annotations

import heapq
import math
from functools import partial

import numpy as np
import simpy

from capsim.attendance import duty_intervals, is_present
from capsim.engines._jobloop import HOURS_PER_WEEK
from capsim.engines.simpy_env import AfterAll as _AfterAll
from capsim.engines.simpy_env import Environment, Process
from capsim.engines.simpy_env import at_time as _at
from capsim.engines.simpy_queues import JobQueue, make_queue
from capsim.engines.simpy_stations import make_stations
from capsim.engines.simpy_stock import Stock
from capsim.records import Records, build_records
from capsim.sampling import Realization
from capsim.scenario import Scenario


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
        self.queue = make_queue(scenario, realization)
        self.arrival = realization.arrival.tolist()
        # when each order's patience runs out (None: nobody abandons)
        self.deadline = (None if realization.patience is None
                         else (realization.arrival + realization.patience).tolist())
        self.work = realization.work.tolist()
        self.successor: list[int] | None = None  # the job each job's finish brings (-1: none)
        if isinstance(self.queue, JobQueue):
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
        # workstations (None without [equipment]): a gate at every start
        self.stations = make_stations(env, realization.downtime, self.horizon,
                                      self._request_dispatch, lambda: bool(self.offer))
        self.alarm = False  # a wake-up at the next arrival is pending
        self.dispatch_pending = False
        self.overtime = scenario.policies.overtime
        # technicians past their duty interval's end deciding whether to stay -> that end
        self.staying: dict[int, float] = {}
        self.week = [-1] * realization.roster  # the week of each one's latest overtime
        self.week_hours = [0.0] * realization.roster  # its overtime in that week so far
        self.stock = None if realization.supplies is None else Stock(
            env, scenario, realization, self.queue, n, self.deadline, self._request_dispatch)
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
        """The next order by the dispatch rule still waiting now; those out of patience go.

        With supplies, the next that has its units (:meth:`Stock.take`).
        """
        if self.stock is not None:
            return self.stock.take()
        now, deadline = self.env.now, self.deadline
        while True:
            order = self.queue.pop()
            if order is None or deadline is None or now <= deadline[order]:
                return order

    def _finished(self, job: int) -> None:
        """``job`` finished now: its successor (if any) joins at finish + its delay."""
        assert self.successor is not None
        assert isinstance(self.queue, JobQueue)
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
        assert isinstance(self.queue, JobQueue)
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
        """Give queued orders to waiting technicians, available longest first.

        A technician deciding on overtime (:attr:`staying`) takes its turn like the
        others; it goes home instead when the policy's trigger fails on the queue as it
        is, or the next job does not fit its caps (the job then stays first in line).
        """
        self.dispatch_pending = False
        self._admit()
        gate = self.stations
        if gate is not None:
            gate.resume()  # interrupted technicians first
        while self.offer and (gate is None or gate.available()):
            tech = self._first_waiting()
            staying = tech in self.staying
            if staying and not self._calls_for_overtime():
                self._send_home(tech)
                continue
            order = self._take()
            if order is None:
                break
            if staying and not self._fits(tech, order):
                self.queue.push(order)
                self._send_home(tech)
                continue
            heapq.heappop(self.waiting)
            if gate is not None:
                gate.claim(tech)
            self.offer.pop(tech).succeed(order)
        for tech in [t for t in self.offer if t in self.staying]:
            self._send_home(tech)  # nothing waits: whoever could stay goes home
        self._arm()

    def _first_waiting(self) -> int:
        """The waiting technician available longest (stale heap entries dropped)."""
        while True:
            _, tech, ticket = self.waiting[0]
            if ticket == self.ticket[tech] and tech in self.offer:
                return tech
            heapq.heappop(self.waiting)  # stale: the technician left or offered again since

    def _send_home(self, tech: int) -> None:
        self.offer.pop(tech).succeed(None)

    def _calls_for_overtime(self) -> bool:
        """Whether the overtime trigger holds on the jobs waiting now (see ``Overtime``)."""
        policy, now = self.overtime, self.env.now
        assert policy is not None
        assert isinstance(self.queue, JobQueue)
        assert self.deadline is not None
        queue, deadline = self.queue, self.deadline
        live = [j for j in queue.waiting() if now <= deadline[j]]
        if policy.when == "oldest_wait":
            return any(now - queue.join[j] > policy.threshold for j in live)
        if policy.when == "at_risk":
            live = [j for j in live if queue.due[j] - now <= policy.risk_hours]
        return len(live) > policy.threshold

    def _fits(self, tech: int, job: int) -> bool:
        """Whether ``job``, started now, keeps ``tech`` within the overtime caps."""
        policy = self.overtime
        assert policy is not None
        extra = self.env.now + self.work[job] - self.staying[tech]
        weekly = policy.weekly_max_hours
        return extra <= policy.max_hours and (
            weekly is None or self.week_hours[tech] + extra <= weekly)

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
        return (not self.offer and self.env.peek() > self.env.now
                and (self.stations is None or self.stations.available()))

    # --- technicians -------------------------------------------------------------

    def _technician(self, tech: int, duty: list[tuple[float, float]]) -> Process:
        env = self.env
        index = 0
        while index < len(duty):
            begin, end = duty[index]
            index += 1
            if begin >= self.horizon:
                return
            if begin > env.now:
                yield _at(env, begin)
            if end < self.horizon and end > env.now:
                _at(env, end).callbacks.append(partial(self._end_shift, tech))
            since = env.now
            waited_out = False
            while env.now < end:
                order = None
                if self._alone():
                    self._admit()
                    order = self._take()
                if order is None:
                    order = yield self._wait_for_work(tech, since)
                    if order is None:
                        waited_out = True  # the shift ended while waiting
                        break
                yield from self._work(tech, order)
                since = env.now
            if self.overtime is None or waited_out:
                continue
            while index < len(duty) and duty[index][1] <= env.now:
                index += 1  # duty intervals spent on the order in hand
            upcoming = duty[index][0] if index < len(duty) else np.inf
            if env.now < min(upcoming, self.horizon):  # off duty: stay, or go home
                yield from self._overtime(tech, duty[index - 1][1], upcoming)

    def _work(self, tech: int, order: int) -> Process:
        """``tech`` works on ``order`` from now to its finish."""
        self.start[order] = self.env.now
        self.technician[order] = tech
        if self.stations is None:
            yield self.env.timeout(self.work[order])
        else:
            yield from self.stations.work(tech, order, self.work[order])
        self.finish[order] = self.env.now
        if self.successor is not None:
            self._finished(order)

    def _overtime(self, tech: int, end: float, upcoming: float) -> Process:
        """Free at or after its duty's ``end``: job by job, stay while the policy says so.

        Back on duty if a job ends at or after the ``upcoming`` interval's start.
        """
        env = self.env
        week = math.floor(end / HOURS_PER_WEEK)
        if week != self.week[tech]:
            self.week[tech], self.week_hours[tech] = week, 0.0
        self.staying[tech] = end
        while env.now < upcoming:
            order = yield self._wait_for_work(tech, env.now)
            if order is None:
                break
            yield from self._work(tech, order)
        del self.staying[tech]
        self.week_hours[tech] += env.now - end

    def records(self, scenario: Scenario, realization: Realization) -> Records:
        """The replication's Records (call after the environment has run)."""
        records = build_records(
            scenario, realization, np.array(self.start, dtype=float),
            np.array(self.finish, dtype=float), np.array(self.technician, dtype=np.int32),
            stock=None if self.stock is None else self.stock.records())
        return records if self.stations is None else self.stations.attach(records)


def unsupported(scenario: Scenario) -> str | None:
    """The reference engine runs every scenario."""
    return None


def simulate(scenario: Scenario, realization: Realization) -> Records:
    """Run one replication in SimPy and return its Records."""
    env = Environment()
    floor = PrepressFloor(env, scenario, realization)
    env.run(until=scenario.horizon_hours)
    return floor.records(scenario, realization)
