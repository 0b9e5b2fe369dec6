"""Scenario + replication index -> Realization: every random input, drawn before any dynamics.

Sampling is separate from the engine. Each source of orders draws its times,
classes and work contents from streams of its own, and the sources are merged by
time only at the end:

- sampled arrivals (the ``arrivals``, ``classes`` and ``work`` streams) or a
  replayed trace;
- batch drops (the ``batches`` stream);
- stress events on demand (their own streams): a spike adds the extra orders of an
  independent Poisson process on its window (superposition), a slump removes each
  order in its window with probability 1 − multiplier (thinning).

With ``[equipment]``, every workstation's down intervals are drawn here too, from each
station's own streams (:mod:`capsim.equipment`).

So a stress event, a batch, or a different roster never changes any other order's
arrival or work content, and each technician's attendance comes from that
technician's own streams: the same orders and the same people across every
comparison capsim makes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from capsim import reuse
from capsim.agency import agency_pattern, book
from capsim.attendance import apply_stress_attendance, attendance_table, schedule, shift_patterns
from capsim.demand import RatePieces, forecast_multiplier, rate_pieces, sample_poisson
from capsim.equipment import Downtime, sample_downtime
from capsim.followups import (
    FollowUps,
    follow_ups,
    holds,
    merged,
    patience_hours,
    thinned,
    work_hours,
)
from capsim.policies import call_in
from capsim.rng import order_stream, stream, stress_stream
from capsim.scenario import Scenario
from capsim.supplies import SupplyDraws, draw_supplies


@dataclass(frozen=True, eq=False)
class Realization:
    """The sampled inputs of one replication.

    Orders are sorted by arrival. Technician-day arrays have shape
    (roster + float pool + agency, horizon_days); day ``d`` of technician ``i`` is the
    shift that starts on day ``d``; the float pool's members (:mod:`capsim.policies`)
    come after the roster, the agency's ``max_per_day`` rows (:mod:`capsim.agency`)
    after them.

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
    patience : numpy.ndarray or None
        How long each order waits for its start before it abandons, hours (inf for a
        class without patience); None when no class has one.
    follow_ups : FollowUps or None
        The rework, remakes, repeat contacts and work left after holds drawn for the
        orders (jobs ``orders`` on; see :mod:`capsim.followups`); None when the scenario
        has no quality, returns or holds.
    hold : numpy.ndarray or None
        Per order, the hours it was on hold before it arrived (an information hold
        before the work: ``arrival`` is when the answer came, the question was asked
        ``hold`` earlier; 0: none); None without holds.
    downtime : Downtime or None
        Every workstation's down intervals (:mod:`capsim.equipment`); None without
        ``[equipment]``.
    supplies : SupplyDraws or None
        Units used per order, lead times and supplier outages (:mod:`capsim.supplies`);
        None without supplies.
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
    patience: np.ndarray | None = None
    follow_ups: FollowUps | None = None
    hold: np.ndarray | None = None
    downtime: Downtime | None = None
    supplies: SupplyDraws | None = None

    @property
    def orders(self) -> int:
        """Number of orders."""
        return int(self.arrival.size)

    @property
    def roster(self) -> int:
        """Number of technicians."""
        return int(self.status.shape[0])


@dataclass(frozen=True, eq=False)
class _Orders:
    """Orders of one source: times (hours), class indices, work and patience (hours).

    ``follow`` holds their follow-up jobs, numbered from the source's order count;
    ``hold`` each order's hours on hold before it joins (0: none; None: no holds).
    """

    time: np.ndarray
    order_class: np.ndarray
    work: np.ndarray
    patience: np.ndarray | None = None
    follow: FollowUps | None = None
    hold: np.ndarray | None = None

    def arrays(self) -> list[np.ndarray]:
        """Every array these orders hold (their follow-ups' too)."""
        own = [self.time, self.order_class, self.work, self.patience, self.hold]
        follow = [] if self.follow is None else [
            getattr(self.follow, f.name) for f in dataclasses.fields(self.follow)]
        return [a for a in own + follow if isinstance(a, np.ndarray)]

    def keep(self, mask: np.ndarray) -> _Orders:
        return _Orders(self.time[mask], self.order_class[mask], self.work[mask],
                       None if self.patience is None else self.patience[mask],
                       None if self.follow is None else thinned(self.follow, mask),
                       None if self.hold is None else self.hold[mask])

    def answered(self, horizon: float) -> _Orders:
        """These orders at the time they join: after their hold before the work, if any.

        An order whose answer comes at or after the horizon never arrives (it goes,
        with its follow-ups).
        """
        if self.hold is None:
            return self
        time = self.time + self.hold
        shifted = _Orders(time, self.order_class, self.work, self.patience, self.follow,
                          self.hold)
        return shifted.keep(time < horizon)

    def with_patience(self, scenario: Scenario, seed: int, replication: int, source: str,
                      index: int = 0) -> _Orders:
        """These orders with their patience, holds and follow-ups drawn (those the scenario has).

        Each from the source's own streams (``patience``, ``holds``, ``hold_response``,
        ``quality``, ``returns``).
        """
        patience = self.patience
        if scenario.has_patience:
            patience = patience_hours(scenario, self.order_class,
                                      order_stream(seed, replication, "patience", source, index))
        held = None
        if scenario.has_holds:
            held = holds(scenario, self.order_class, self.work,
                         order_stream(seed, replication, "holds", source, index),
                         order_stream(seed, replication, "hold_response", source, index))
        follow = None
        if scenario.has_follow_ups:
            follow = follow_ups(scenario, self.order_class,
                                order_stream(seed, replication, "quality", source, index),
                                order_stream(seed, replication, "returns", source, index), held)
        if held is None:
            return _Orders(self.time, self.order_class, self.work, patience, follow)
        return _Orders(self.time, self.order_class, held.work, patience, follow, held.before)


def _classes_by_share(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    # rng.choice(k, size=n, p=shares / shares.sum()) as numpy draws it (one uniform per
    # order against the normalised cumulative shares), with the index counted by
    # comparisons, which is several times faster than choice's searchsorted
    shares = np.array([c.share for c in scenario.order_classes])
    cdf = (shares / shares.sum()).cumsum()
    cdf /= cdf[-1]
    uniform = rng.random(n)
    classes = np.zeros(n, dtype=np.int16)
    for edge in cdf[:-1]:
        classes += uniform >= edge
    return classes


def _base_classes(scenario: Scenario, n: int, seed: int, replication: int) -> np.ndarray:
    """The classes of sampled or traced orders, from the ``classes`` stream.

    With one class there is nothing to draw: the stream (used for nothing else) is
    not even created.
    """
    if len(scenario.order_classes) == 1:
        return np.zeros(n, dtype=np.int16)
    return _classes_by_share(scenario, n, stream(seed, replication, "classes"))


def _sampled(scenario: Scenario, seed: int, replication: int, pieces: RatePieces) -> _Orders:
    times = sample_poisson(pieces, stream(seed, replication, "arrivals"))
    classes = _base_classes(scenario, times.size, seed, replication)
    orders = _Orders(times, classes, work_hours(scenario, classes,
                                                 stream(seed, replication, "work")))
    return orders.with_patience(scenario, seed, replication, "base")


def _traced(scenario: Scenario, seed: int, replication: int) -> _Orders:
    assert scenario.demand.trace is not None
    data = scenario.demand.trace.data
    keep = data.arrival_hour < scenario.horizon_hours
    times = data.arrival_hour[keep]
    if data.order_class is not None:
        index = {name: i for i, name in enumerate(scenario.class_names)}
        names = np.asarray(data.order_class, dtype=object)[keep]
        classes = np.array([index[c] for c in names], dtype=np.int16)
    else:
        classes = _base_classes(scenario, times.size, seed, replication)
    work = (data.work_minutes[keep] / 60.0 if data.work_minutes is not None
            else work_hours(scenario, classes, stream(seed, replication, "work")))
    return _Orders(times, classes, work).with_patience(scenario, seed, replication, "base")


def _batches(scenario: Scenario, seed: int, replication: int) -> list[_Orders]:
    if not scenario.demand.batches:
        return []  # nothing drawn: no stream
    rng = stream(seed, replication, "batches")
    drops = []
    for index, batch in enumerate(scenario.demand.batches):
        if batch.at_hour >= scenario.horizon_hours:
            continue
        if batch.order_class is None:
            classes = _classes_by_share(scenario, batch.orders, rng)
        else:
            classes = np.full(batch.orders, scenario.class_names.index(batch.order_class),
                              dtype=np.int16)
        drop = _Orders(np.full(batch.orders, batch.at_hour), classes,
                       work_hours(scenario, classes, rng))
        drops.append(drop.with_patience(scenario, seed, replication, "batch", index))
    return drops


def _stress_demand(scenario: Scenario, seed: int, replication: int, pieces: RatePieces,
                   base: _Orders) -> tuple[_Orders, list[_Orders]]:
    """Apply enabled demand events: thin ``base`` in slumps, add orders for spikes."""
    extra = []
    for index, event in enumerate(scenario.stress):
        if not (event.enabled and event.kind == "demand"):
            continue
        rng = stress_stream(seed, replication, index)
        factor = event.multiplier or 0.0
        inside = (base.time >= event.start_hour) & (base.time < event.end_hour)
        if factor < 1.0:
            base = base.keep(~inside | (rng.random(base.time.size) < factor))
        elif factor > 1.0:
            mids = (pieces.edges[:-1] + pieces.edges[1:]) / 2
            window = (mids >= event.start_hour) & (mids < event.end_hour)
            spike = RatePieces(pieces.edges, np.where(window, pieces.rates * (factor - 1), 0.0))
            times = sample_poisson(spike, rng)
            classes = _classes_by_share(scenario, times.size, rng)
            spiked = _Orders(times, classes, work_hours(scenario, classes, rng))
            extra.append(spiked.with_patience(scenario, seed, replication, "stress", index))
    return base, extra


def _merge(sources: list[_Orders], horizon: float) -> _Orders:
    sources = [s.answered(horizon) for s in sources]
    if len(sources) == 1 and sources[0].follow is None and not np.any(
            sources[0].time[1:] < sources[0].time[:-1]):
        return sources[0]  # in order already: the stable argsort below is the identity
    times = np.concatenate([s.time for s in sources])
    order = np.argsort(times, kind="stable")
    patience = None
    if sources[0].patience is not None:  # all or none have it
        patience = np.concatenate([s.patience for s in sources if s.patience is not None])
        patience = patience[order]
    follow = None
    if sources[0].follow is not None:  # all or none have them
        position = np.empty(times.size, np.int64)
        position[order] = np.arange(times.size)
        follow = merged([(s.time.size, s.follow) for s in sources if s.follow is not None],
                        position)
    hold = None
    if sources[0].hold is not None:  # all or none have them
        hold = np.concatenate([s.hold for s in sources if s.hold is not None])[order]
    return _Orders(times[order], np.concatenate([s.order_class for s in sources])[order],
                   np.concatenate([s.work for s in sources])[order], patience, follow, hold)


def sample(scenario: Scenario, replication: int, *, seed: int | None = None) -> Realization:
    """Draw the inputs of one replication.

    Parameters
    ----------
    scenario : Scenario
        What to sample (with its enabled stress events).
    replication : int
        Replication index (>= 0): selects the child of the root seed.
    seed : int, optional
        Root seed; default ``scenario.experiment.seed``. A keyword, so that the two
        integers cannot be swapped.
    """
    return sample_many(scenario, [replication], seed=seed)[0]


def sample_many(scenario: Scenario, replications: list[int], *,
                seed: int | None = None) -> list[Realization]:
    """Draw the inputs of several replications (the schedule is worked out once)."""
    if seed is None:
        seed = scenario.experiment.seed
    shifts = schedule(scenario, scenario.workforce.roster)
    certain = scenario.demand.trace is None and scenario.demand.forecast_cv == 0
    pieces = rate_pieces(scenario, 1.0) if certain else None  # the same every replication
    side = _order_side(scenario)
    return [_sample(scenario, r, seed, shifts, pieces, side) for r in replications]


#: Scenario fields that the orders' draws never read (the staff side, and what is drawn
#: or decided after the orders): the runs of a search share the orders across them.
#: Of ``stress`` only the enabled demand events count (:func:`_stress_demand`).
STAFF_SIDE = frozenset({"name", "description", "workforce", "absence", "policies", "dispatch",
                        "targets", "costs", "equipment", "experiment", "supplies", "stress"})


def _order_side(scenario: Scenario) -> str | None:
    """The key of what a replication's orders depend on but (seed, replication).

    For :func:`capsim.reuse.reused`; None: not shared (no sharing scope, or a trace
    file, whose rows a key of the scenario's fields would not name). The enabled
    demand events come with their index, which names their streams.
    """
    if not reuse.active() or scenario.demand.trace is not None:
        return None
    events = [f"{i}:{e.model_dump_json()}" for i, e in enumerate(scenario.stress)
              if e.enabled and e.kind == "demand"]
    return "\n".join([scenario.model_dump_json(exclude=set(STAFF_SIDE)), *events])


def _orders_of(scenario: Scenario, replication: int, seed: int, known: RatePieces | None
               ) -> tuple[float, _Orders]:
    """One replication's forecast multiplier and orders, from every source, merged."""
    multiplier = 1.0
    if scenario.demand.trace is not None:
        pieces = RatePieces(np.array([0.0, scenario.horizon_hours]), np.zeros(1))
        base = _traced(scenario, seed, replication)
    else:
        if scenario.demand.forecast_cv:  # else 1: nothing drawn, no stream
            multiplier = forecast_multiplier(scenario.demand.forecast_cv,
                                             stream(seed, replication, "forecast"),
                                             scenario.demand.forecast_distribution)
        pieces = known if known is not None else rate_pieces(scenario, multiplier)
        base = _sampled(scenario, seed, replication, pieces)
    base, extra = _stress_demand(scenario, seed, replication, pieces, base)
    return multiplier, _merge([base, *_batches(scenario, seed, replication), *extra],
                              scenario.horizon_hours)


def _sample(scenario: Scenario, replication: int, seed: int,
            shifts: tuple[np.ndarray, np.ndarray], known: RatePieces | None,
            side: str | None) -> Realization:
    multiplier, orders = reuse.reused(side, (seed, replication),
                                      lambda: _orders_of(scenario, replication, seed, known),
                                      lambda made: made[1].arrays())
    shift_start, shift_end = shifts
    status = attendance_table(scenario, seed, replication, shift_start)
    status = apply_stress_attendance(scenario, seed, replication, status)
    rows, begin, end, count = book(scenario, status)
    booked = np.zeros((len(shift_patterns(scenario)), scenario.horizon_days), dtype=np.int64)
    booked[agency_pattern(scenario)] = count
    status, shift_start, shift_end = call_in(scenario, seed, replication, status, shift_start,
                                             shift_end, booked)
    status, shift_start, shift_end = (np.concatenate([status, rows]),
                                      np.concatenate([shift_start, begin]),
                                      np.concatenate([shift_end, end]))
    return Realization(
        seed=seed, replication=replication, arrival=orders.time, order_class=orders.order_class,
        work=orders.work, shift_start=shift_start, shift_end=shift_end, status=status,
        forecast_multiplier=multiplier, patience=orders.patience, follow_ups=orders.follow,
        hold=orders.hold, downtime=sample_downtime(scenario, seed, replication),
        supplies=draw_supplies(scenario, orders.order_class, seed, replication))
