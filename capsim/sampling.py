"""Scenario + replication index -> Realization: every random input, drawn before any dynamics.

Sampling is separate from the engine. The arrivals, classes and work contents
come from replication-level streams that know nothing of the roster, and each
technician's attendance comes from that technician's own streams; so two rosters
(or two engines) run on the same replication see exactly the same orders and
the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.attendance import attendance_table, schedule
from capsim.demand import forecast_multiplier, rate_pieces, sample_poisson
from capsim.distributions import work_distribution
from capsim.rng import stream
from capsim.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Realization:
    """The sampled inputs of one replication.

    Orders are sorted by arrival. Technician-day arrays have shape
    (roster, horizon_days); day ``d`` of technician ``i`` is the shift that starts
    on day ``d``.

    Attributes
    ----------
    seed, replication : int
        Where in the seed tree this realization comes from.
    arrival : numpy.ndarray
        Arrival times, hours from the start of day 0 (float64, sorted).
    order_class : numpy.ndarray
        Index into ``scenario.order_classes`` of each order (int16).
    work : numpy.ndarray
        Work content of each order, hours.
    shift_start, shift_end : numpy.ndarray
        Scheduled shift of each technician-day, hours; NaN on days off.
    status : numpy.ndarray
        :class:`capsim.attendance.Status` code of each technician-day (int8).
    forecast_multiplier : float
        The replication's demand multiplier (forecast uncertainty).
    """

    seed: int
    replication: int
    arrival: np.ndarray
    order_class: np.ndarray
    work: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    status: np.ndarray
    forecast_multiplier: float

    @property
    def orders(self) -> int:
        """Number of orders."""
        return int(self.arrival.size)

    @property
    def roster(self) -> int:
        """Number of technicians."""
        return int(self.status.shape[0])


def _classes_by_share(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    shares = np.array([c.share for c in scenario.order_classes])
    return rng.choice(shares.size, size=n, p=shares / shares.sum()).astype(np.int16)


def _sampled_arrivals(scenario: Scenario, seed: int, replication: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
    """Arrival times, classes, given work (minutes, or None) and the forecast multiplier."""
    demand = scenario.demand
    trace = demand.trace
    if trace is not None:
        data = trace.data
        keep = data.arrival_hour < scenario.horizon_hours
        times = data.arrival_hour[keep]
        if data.order_class is not None:
            index = {name: i for i, name in enumerate(scenario.class_names)}
            classes = np.array([index[c] for c, k in zip(data.order_class, keep, strict=True)
                                if k], dtype=np.int16)
        else:
            classes = _classes_by_share(scenario, times.size, stream(seed, replication, "classes"))
        minutes = None if data.work_minutes is None else data.work_minutes[keep]
        return times, classes, minutes, 1.0
    multiplier = forecast_multiplier(demand.forecast_cv, stream(seed, replication, "forecast"))
    times = sample_poisson(rate_pieces(scenario, multiplier), stream(seed, replication, "arrivals"))
    classes = _classes_by_share(scenario, times.size, stream(seed, replication, "classes"))
    return times, classes, None, multiplier


def _batch_arrivals(scenario: Scenario, seed: int, replication: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    rng = stream(seed, replication, "batches")
    times, classes = [], []
    for batch in scenario.demand.batches:
        if batch.at_hour >= scenario.horizon_hours:
            continue
        times.append(np.full(batch.orders, batch.at_hour))
        if batch.order_class is None:
            classes.append(_classes_by_share(scenario, batch.orders, rng))
        else:
            index = scenario.class_names.index(batch.order_class)
            classes.append(np.full(batch.orders, index, dtype=np.int16))
    if not times:
        return np.empty(0), np.empty(0, dtype=np.int16)
    return np.concatenate(times), np.concatenate(classes)


def _work_hours(scenario: Scenario, classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    minutes = np.empty(classes.size)
    for index, order_class in enumerate(scenario.order_classes):
        assert order_class.work is not None
        chosen = np.flatnonzero(classes == index)
        minutes[chosen] = work_distribution(order_class.work).sample(rng, chosen.size)
    return minutes / 60.0


def sample(scenario: Scenario, replication: int, seed: int | None = None) -> Realization:
    """Draw the inputs of one replication.

    Parameters
    ----------
    scenario : Scenario
        What to sample.
    replication : int
        Replication index (>= 0): selects the child of the root seed.
    seed : int, optional
        Root seed; default ``scenario.experiment.seed``.
    """
    if seed is None:
        seed = scenario.experiment.seed
    times, classes, given, multiplier = _sampled_arrivals(scenario, seed, replication)
    batch_times, batch_classes = _batch_arrivals(scenario, seed, replication)
    order = np.argsort(np.concatenate([times, batch_times]), kind="stable")
    arrival = np.concatenate([times, batch_times])[order]
    order_class = np.concatenate([classes, batch_classes])[order]
    work = _work_hours(scenario, order_class, stream(seed, replication, "work"))
    if given is not None:
        from_trace = order < times.size
        work[from_trace] = given[order[from_trace]] / 60.0
    shift_start, shift_end = schedule(scenario, scenario.workforce.roster)
    status = attendance_table(scenario, seed, replication, shift_start)
    return Realization(
        seed=seed, replication=replication, arrival=arrival, order_class=order_class,
        work=work, shift_start=shift_start, shift_end=shift_end, status=status,
        forecast_multiplier=multiplier,
    )
