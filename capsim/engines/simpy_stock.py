"""The reference engine's stock: consumables an order needs before it can start.

:class:`Stock` is the one hook :mod:`capsim.engines.simpy_model` calls when it takes
the next order from the queue (:meth:`Stock.take`). The scenario side is described in
:mod:`capsim.scenario.supplies`, the draws in :mod:`capsim.supplies`.

- *Demand moment*: the first time the dispatch rule offers an order to a technician.
  If every supply it needs has its units on hand, they are taken and the order starts.
  Otherwise the order is *blocked*: its units count as backordered, it keeps its place
  in the queue, and the dispatch goes on to the next order by the rule that can start
  (technicians do not idle while other work can start). After every delivery a
  blocked order is offered again, first in line by its place, and starts as soon as all
  its units are there (a delivery requests a dispatch). An order whose patience runs
  out while blocked leaves, and its backorder with it. Blocked orders are set aside
  between deliveries (nothing else can let them start), so they do not count toward
  an overtime policy's queue trigger.
- *Inventory position* = on hand + on order − backordered. Continuous review
  (``review_hours = 0``): the policy looks at the position at hour 0 and after every
  demand moment of an order using the supply (so base stock orders at the demand
  moment what was demanded); periodic review: at hours 0, R, 2R, ... only.
- *Suppliers*: replenishment order k (of that supply) arrives ``lead[k]`` after it is
  placed; placed inside a primary outage window, it goes to the backup (its k-th
  lead time) if there is one, else it arrives ``lead[k]`` after the window's end. An
  order in transit when an outage starts still arrives on time.
- An order that found its units but was then put back (a technician staying for
  overtime whose caps the order does not fit) keeps its units (they are *allocated*)
  and needs none when it is taken again.

Only the orders themselves consume (jobs ``0 .. orders − 1``); follow-up jobs need no
units. Deliveries are exact-time events; the tie rule of the dispatch is unchanged.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Protocol

import numpy as np
import simpy

from capsim.engines.simpy_env import at_time as at
from capsim.sampling import Realization
from capsim.scenario import Scenario
from capsim.supplies import StockRecords


class Queue(Protocol):
    """What :meth:`Stock.take` needs of the engine's queue (``simpy_queues``)."""

    def pop(self) -> int | None: ...  # noqa: D102

    def push(self, order: int) -> None: ...  # noqa: D102


class Stock:
    """The supplies of one replication: shelves, orders in transit, blocked orders.

    Parameters
    ----------
    env : simpy.Environment
        The replication's environment (:class:`capsim.engines.simpy_env.Environment`).
    scenario, realization
        What is simulated (``realization.supplies`` must be set).
    queue : Queue
        The engine's queue (orders by key and number, :mod:`capsim.engines.simpy_queues`).
    jobs : int
        How many jobs the queue holds (orders first).
    deadline : list of float or None
        When each job's patience runs out (the engine's list, updated in place).
    dispatch : callable
        Requests a dispatch (after a delivery).
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, realization: Realization,
                 queue: Queue, jobs: int, deadline: list[float] | None,
                 dispatch: Callable[[], None]) -> None:
        draws = realization.supplies
        assert draws is not None
        self.env, self.draws, self.specs = env, draws, scenario.supplies
        self.horizon, self.deadline, self.dispatch = scenario.horizon_hours, deadline, dispatch
        self.orders = realization.orders
        m = len(draws.names)
        self.need = np.zeros((jobs, m))
        self.need[:self.orders] = draws.need
        # per order, the (supply, units) it needs
        self.uses = [[(j, float(q)) for j, q in enumerate(row) if q > 0]
                     for row in draws.need.tolist()]
        self.initial = np.array([s.initial_stock for s in self.specs], dtype=float)
        self.on_hand = self.initial.tolist()
        self.on_order, self.backordered = [0.0] * m, [0.0] * m
        self.received, self.consumed, self.placed = [0.0] * m, [0.0] * m, [0] * m
        self.demand = np.full(jobs, np.nan)
        self.short = np.zeros((jobs, m), bool)
        self.blocked = np.zeros(jobs, bool)
        self.allocated = np.zeros(jobs, bool)
        self.queue = queue
        self.parked: set[int] = set()  # blocked orders set aside until a delivery
        self.expiry: list[tuple[float, int]] = []  # (patience deadline, parked order)
        for j, spec in enumerate(self.specs):
            if spec.review_hours > 0:
                self._review(j)
            else:
                self._look(j)

    # --- orders taken from the queue ---------------------------------------------

    def take(self) -> int | None:
        """The next order by the dispatch rule that can start now, its units taken.

        Orders short of stock are set aside (:meth:`_park`); those out of patience leave.
        """
        now, deadline = self.env.now, self.deadline
        while True:
            order = self.queue.pop()
            if order is None or (deadline is not None and now > deadline[order]):
                if order is None:
                    return None
                self._drop(order)
                continue
            if self._starts(order):
                return order
            self._park(order)

    def _park(self, order: int) -> None:
        """Set blocked ``order`` aside until the next delivery.

        Stock on hand only grows at deliveries, so the order cannot start before one;
        every delivery puts the parked orders back in the queue, where the dispatch rule
        finds them in their place (the queue orders by key and number).
        """
        self.parked.add(order)
        if self.deadline is not None and order < self.orders:
            heapq.heappush(self.expiry, (self.deadline[order], order))

    def _starts(self, order: int) -> bool:
        """Whether ``order`` has its units (taking them); its demand moment if the first."""
        if order >= self.orders or self.allocated[order] or not self.uses[order]:
            return True
        uses, on_hand = self.uses[order], self.on_hand
        first = math.isnan(self.demand[order])
        ready = all(on_hand[j] >= q for j, q in uses)
        if first:
            self.demand[order] = self.env.now
            for j, q in uses:
                self.short[order, j] = on_hand[j] < q
        if ready:
            for j, q in uses:
                on_hand[j] -= q
                self.consumed[j] += q
                if self.blocked[order]:
                    self.backordered[j] -= q
            self.allocated[order] = True
        elif first:
            self.blocked[order] = True
            for j, q in uses:
                self.backordered[j] += q
        if first:
            for j, _ in uses:
                if self.specs[j].review_hours == 0:
                    self._look(j)
        return ready

    def _drop(self, order: int) -> None:
        """``order`` left unserved (patience): a blocked one's backorder goes with it."""
        if order < self.orders and self.blocked[order] and not self.allocated[order]:
            for j, q in self.uses[order]:
                self.backordered[j] -= q

    def _expire(self) -> None:
        """Parked orders whose patience ran out before now leave (before a policy looks)."""
        now, expiry = self.env.now, self.expiry
        while expiry and expiry[0][0] < now:
            _, order = heapq.heappop(expiry)
            if order in self.parked:
                self.parked.discard(order)
                self._drop(order)

    # --- the reorder policy and the suppliers ------------------------------------

    def position(self, j: int) -> float:
        """Supply ``j``'s inventory position: on hand + on order − backordered."""
        position: float = self.on_hand[j] + self.on_order[j] - self.backordered[j]
        return position

    def _look(self, j: int) -> None:
        """The policy of supply ``j`` looks at its position and orders what it says."""
        self._expire()
        spec = self.specs[j]
        if spec.policy == "r_Q":
            assert spec.reorder_point is not None
            assert spec.quantity is not None
            while self.position(j) <= spec.reorder_point:
                self._place(j, spec.quantity)
            return
        assert spec.order_up_to is not None
        below = spec.order_up_to - self.position(j)
        trigger = spec.reorder_point if spec.policy == "s_S" else None
        if below > 0 and (trigger is None or self.position(j) <= trigger):
            self._place(j, below)

    def _review(self, j: int) -> None:
        """A periodic review of supply ``j`` now, and the next one booked."""
        self._look(j)
        following = self.env.now + self.specs[j].review_hours
        if following < self.horizon:
            at(self.env, following).callbacks.append(lambda _event: self._review(j))

    def _place(self, j: int, units: float) -> None:
        """Order ``units`` of supply ``j`` now, from the primary or (in an outage) the backup."""
        k, now, draws = self.placed[j], self.env.now, self.draws
        if k >= draws.lead[j].size:
            raise RuntimeError(f"supply {draws.names[j]!r}: more replenishment orders than "
                               f"lead times drawn ({k})")
        self.placed[j] += 1
        self.on_order[j] += units
        windows = draws.outages[j]
        i = int(np.searchsorted(windows[:, 0], now, side="right")) - 1
        backup = draws.backup_lead[j]
        if i >= 0 and now < windows[i, 1]:  # the primary is out
            arrival = (now + float(backup[k]) if backup is not None
                       else float(windows[i, 1]) + float(draws.lead[j][k]))
        else:
            arrival = now + float(draws.lead[j][k])
        if arrival < self.horizon:
            at(self.env, arrival).callbacks.append(lambda _event: self._receive(j, units))

    def _receive(self, j: int, units: float) -> None:
        """A delivery of ``units`` of supply ``j``: on the shelf, and a dispatch."""
        self.on_hand[j] += units
        self.on_order[j] -= units
        self.received[j] += units
        for order in self.parked:
            self.queue.push(order)
        self.parked.clear()
        self.dispatch()

    def records(self) -> StockRecords:
        """What the replication did with its supplies (per job; see StockRecords)."""
        return StockRecords(
            names=self.draws.names, need=self.need, demand=self.demand, short=self.short,
            blocked=self.blocked, initial=self.initial, received=np.array(self.received),
            consumed=np.array(self.consumed), final=np.array(self.on_hand),
            placed=np.array(self.placed, dtype=np.int64))
