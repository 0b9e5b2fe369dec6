"""The reference engine's workstations: a gate an order must pass to start, and failures.

With ``[equipment]`` (:mod:`capsim.scenario.equipment`) a technician needs a station up
(not failed, not under repair) and free to work. The stations' down intervals are drawn
before the dynamics (:mod:`capsim.equipment`: failures run on calendar time, in use or
not), so the engine only follows them:

- *dispatch*: an order goes to a waiting technician (by the floor's tie rule: available
  longest, then lowest index) only while a station is up and free; the technician takes
  the lowest-numbered such station. Without one, technicians and orders wait, and a
  dispatch is requested when a station comes back up or is freed.
- *failure in work*: when the station fails under an order, the order is interrupted:
  its technician keeps it (the order stays in hand, started, counted busy in the
  Records, past the shift end if need be: a technician finishes the order in hand) and
  goes on as soon as a station is up and free, with the work left (``resume``) or the
  whole work again (``restart``). A failure at the very moment the work ends does not
  interrupt it.
- *priority*: interrupted technicians get a station before any new dispatch, first
  interrupted first (ties by technician index); the decisions are taken in the floor's
  dispatch event, after every other event of the same moment.

What the failures cost is recorded per interruption (:class:`capsim.equipment.Interruptions`)
and reduced by :func:`capsim.equipment.equipment_kpis`.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import math
from collections.abc import Callable

import numpy as np
import simpy

from capsim.engines.simpy_env import Environment, Process, at_time
from capsim.equipment import Downtime, Interruptions
from capsim.records import Records


class Stations:
    """Who holds which station, and when each station is up (see the module docstring).

    Parameters
    ----------
    env : Environment
        The floor's environment.
    downtime : Downtime
        The stations' down intervals.
    horizon : float
        The end of the replication, hours.
    wake : callable
        Requests a dispatch (the floor's); called when a station comes up or is freed
        while someone waits, or a technician is interrupted.
    waiting : callable
        Whether a technician waits for an order (the floor's offers).
    """

    def __init__(self, env: Environment, downtime: Downtime, horizon: float,
                 wake: Callable[[], None], waiting: Callable[[], bool]) -> None:
        self.env = env
        self.fail = [times.tolist() for times in downtime.fail]
        self.back = [times.tolist() for times in downtime.back]
        self.restart = downtime.restart
        self.holder = [-1] * downtime.stations  # technician on each station (-1: free)
        self.held: dict[int, int] = {}  # technician given an order -> the station claimed
        self.stalled: list[tuple[float, int]] = []  # interrupted: (since, technician) heap
        self.resumes: dict[int, simpy.Event] = {}  # interrupted technician -> its station
        self.hits: list[list[float]] = []  # per interruption: at, resumed, lost, job
        self._wake, self._waiting = wake, waiting
        for back in sorted(t for times in self.back for t in times if t < horizon):
            at_time(env, back).callbacks.append(self._changed)

    # --- state -------------------------------------------------------------------

    def up(self, station: int, now: float) -> bool:
        """Whether ``station`` is up at ``now`` (down on [failure, back))."""
        k = bisect.bisect_right(self.fail[station], now) - 1
        return k < 0 or now >= self.back[station][k]

    def _next_failure(self, station: int, now: float) -> float:
        fail = self.fail[station]
        k = bisect.bisect_right(fail, now)
        return fail[k] if k < len(fail) else math.inf

    def _free(self) -> int | None:
        """The lowest-numbered station up and free now."""
        now = self.env.now
        for station, holder in enumerate(self.holder):
            if holder < 0 and self.up(station, now):
                return station
        return None

    def available(self) -> bool:
        """Whether a new order may start now: nobody interrupted waits, a station is free."""
        return not self.stalled and self._free() is not None

    def _changed(self, _event: simpy.Event | None = None) -> None:
        if self.stalled or self._waiting():
            self._wake()

    # --- decisions ---------------------------------------------------------------

    def claim(self, tech: int) -> None:
        """Give ``tech`` the lowest station up and free (there must be one)."""
        station = self._free()
        assert station is not None
        self.holder[station] = tech
        self.held[tech] = station

    def resume(self) -> None:
        """Give free stations to interrupted technicians, first interrupted first."""
        while self.stalled and self._free() is not None:
            _, tech = heapq.heappop(self.stalled)
            self.claim(tech)
            self.resumes.pop(tech).succeed()

    def work(self, tech: int, job: int, hours: float) -> Process:
        """``tech`` works ``hours`` on ``job`` from now, across the failures it meets.

        On the station claimed for it (by dispatch or a resume), else the lowest one up
        and free now (the floor's own start, when nothing else happens at this moment).
        """
        env, left = self.env, hours
        while True:
            station = self.held.pop(tech, None)
            if station is None:
                self.claim(tech)
                station = self.held.pop(tech)
            begin = env.now
            failure = self._next_failure(station, begin)
            if begin + left <= failure:
                yield env.timeout(left)
                self.holder[station] = -1
                self._changed()
                return
            yield at_time(env, failure)
            self.holder[station] = -1
            done = failure - begin
            hit = [failure, math.nan, done if self.restart else 0.0, float(job)]
            self.hits.append(hit)
            if not self.restart:
                left -= done
            event = env.event()
            self.resumes[tech] = event
            heapq.heappush(self.stalled, (failure, tech))
            self._wake()
            yield event
            hit[1] = env.now

    def attach(self, records: Records) -> Records:
        """``records`` with the interruptions recorded here."""
        table = np.array(self.hits, dtype=float).reshape(-1, 4)
        hits = Interruptions(at=table[:, 0], resumed=table[:, 1], lost=table[:, 2],
                             job=table[:, 3].astype(np.int64))
        return dataclasses.replace(records, interruptions=hits)


def make_stations(env: Environment, downtime: Downtime | None, horizon: float,
                  wake: Callable[[], None], waiting: Callable[[], bool]) -> Stations | None:
    """The stations of a replication with ``[equipment]``; None without."""
    return None if downtime is None else Stations(env, downtime, horizon, wake, waiting)
