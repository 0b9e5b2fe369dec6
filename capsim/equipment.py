"""Workstation downtime: every station's up/down timeline, drawn before the dynamics.

Stations fail on calendar time, whether in use or not (:mod:`capsim.scenario.equipment`),
so when each one is down does not depend on the orders or the technicians: it is part of
the :class:`capsim.sampling.Realization`, like attendance. All stations are up at hour 0;
station ``s`` fails its first time-between-failures draw later, and each time it is back
up it fails a further draw later. With a repair crew of ``c``, failed stations wait for
a crew member first come, first served (simultaneous failures by station index), which
is the queue of a ``c``-server FIFO system: taking failures in time order, each one's
repair starts at the later of its failure and the earliest moment a crew member is free
(the Kiefer-Wolfowitz recursion). Without a crew every repair starts at its failure.

Draws: station ``s``'s k-th time between failures and k-th repair come from its own
streams (:func:`capsim.rng.station_stream`, purposes ``station_failures`` and
``station_repairs``), so they do not change with the number of stations, the crew or the
roster (common random numbers). A scenario without ``[equipment]`` draws nothing here.

This module also reduces what the engine recorded to the two KPIs of downtime
(:func:`equipment_kpis`); the dynamics are :mod:`capsim.engines.simpy_stations`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from capsim.distributions import WorkDistribution
from capsim.rng import station_stream
from capsim.scenario import Scenario
from capsim.scenario.equipment import DowntimeDuration

#: Draws are made this many at a time (the k-th draw is the same whatever the chunk).
CHUNK = 64


@dataclass(frozen=True, eq=False)
class Downtime:
    """Every station's down intervals in one replication.

    Station ``s`` is down on ``[fail[s][k], back[s][k])`` (failures before the horizon;
    ``back`` may lie past it), its repair under way from ``repair_start[s][k]`` (later
    than the failure when it waited for the crew). Sorted, disjoint.
    """

    fail: tuple[np.ndarray, ...]
    repair_start: tuple[np.ndarray, ...]
    back: tuple[np.ndarray, ...]
    restart: bool  # on_failure = "restart": an interrupted order's work starts again

    @property
    def stations(self) -> int:
        """Number of stations."""
        return len(self.fail)

    def down_hours(self, begin: float, end: float) -> float:
        """Station-hours down inside ``[begin, end)``, over all stations."""
        total = 0.0
        for fail, back in zip(self.fail, self.back, strict=True):
            total += float(np.maximum(np.minimum(back, end) - np.maximum(fail, begin),
                                      0.0).sum())
        return total


@dataclass(frozen=True, eq=False)
class Interruptions:
    """The failures that struck an order in work, as the engine recorded them.

    ``at``: when the station failed under the order; ``resumed``: when its technician got
    a station up and free again (NaN: not by the horizon); ``lost``: work hours thrown
    away (under ``restart`` the work done on it since it last started, else 0);
    ``job``: the order (or job) interrupted.
    """

    at: np.ndarray
    resumed: np.ndarray
    lost: np.ndarray
    job: np.ndarray


class _Draws:
    """One station's successive draws of one duration, made :data:`CHUNK` at a time."""

    def __init__(self, spec: DowntimeDuration, rng: np.random.Generator) -> None:
        self._dist = WorkDistribution(spec.distribution, spec.mean_hours, spec.spread)
        self._rng = rng
        self._values: list[float] = []

    def next(self) -> float:
        if not self._values:
            self._values = self._dist.sample(self._rng, CHUNK).tolist()[::-1]
        return self._values.pop()


def sample_downtime(scenario: Scenario, seed: int, replication: int) -> Downtime | None:
    """Draw every station's down intervals (None without ``[equipment]``)."""
    equipment = scenario.equipment
    if equipment is None:
        return None
    horizon, n = scenario.horizon_hours, equipment.stations
    between = [_Draws(equipment.time_between_failures,
                      station_stream(seed, replication, s, "station_failures"))
               for s in range(n)]
    repair = [_Draws(equipment.repair, station_stream(seed, replication, s, "station_repairs"))
              for s in range(n)]
    crew = None if equipment.repair_crew is None else [0.0] * equipment.repair_crew
    rows: list[list[tuple[float, float, float]]] = [[] for _ in range(n)]
    pending = [(between[s].next(), s) for s in range(n)]
    heapq.heapify(pending)
    while pending:
        failed, s = heapq.heappop(pending)  # failures in time order, ties by station
        if failed >= horizon:
            continue  # its later failures are later still
        begin = failed if crew is None else max(failed, heapq.heappop(crew))
        end = begin + repair[s].next()
        if crew is not None:
            heapq.heappush(crew, end)
        rows[s].append((failed, begin, end))
        heapq.heappush(pending, (end + between[s].next(), s))
    columns = [np.array(r, dtype=float).reshape(-1, 3) for r in rows]
    return Downtime(tuple(c[:, 0] for c in columns), tuple(c[:, 1] for c in columns),
                    tuple(c[:, 2] for c in columns), equipment.on_failure == "restart")


def equipment_kpis(downtimes: Sequence[Downtime | None],
                   interruptions: Sequence[Interruptions | None], warmup: float,
                   horizon: float) -> dict[str, np.ndarray]:
    """``station_availability`` and ``hours_lost_to_downtime``, one value per replication.

    Over the window ``[warmup, horizon)``: availability is the share of station-hours
    up (NaN without stations); hours lost are the hours technicians holding an
    interrupted order waited for a station (the part of each wait inside the window)
    plus the work thrown away by interruptions in the window (restart), 0 without
    equipment.
    """
    count = len(downtimes)
    availability, lost = np.full(count, np.nan), np.zeros(count)
    span = horizon - warmup
    for r, (down, hit) in enumerate(zip(downtimes, interruptions, strict=True)):
        if down is not None and down.stations > 0 and span > 0:
            total = down.stations * span
            availability[r] = (total - down.down_hours(warmup, horizon)) / total
        if hit is not None and hit.at.size:
            until = np.where(np.isnan(hit.resumed), horizon, hit.resumed)
            waited = np.maximum(np.minimum(until, horizon) - np.maximum(hit.at, warmup), 0.0)
            lost[r] = float(waited.sum() + hit.lost[hit.at >= warmup].sum())
    return {"station_availability": availability, "hours_lost_to_downtime": lost}

