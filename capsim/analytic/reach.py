"""The most on-time delivery any roster can reach, given when shifts run.

Technicians start orders only while on duty, and an order is on time only if it starts
before its due time. An order arriving at a such that no shift pattern runs anywhere in
[a, a + promise) therefore cannot be on time, however many technicians are rostered:
that happens in an off-duty gap longer than the promise (a weekend without a shift, a
night longer than the promise). The share of counted orders (arrived after the warm-up,
due within the horizon) that arrive at such times bounds the on-time rate from above.

Computed for the expected demand (rates at the forecast's mean, batches, a replayed
trace) at the class mix: the bad arrival times are a union of intervals, and the rate
is piecewise constant, integrated minute by minute. Days off are ignored (a large roster
covers every weekday of a pattern), so the bound is what the shift *pattern* allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capsim.demand import RatePieces, rate_pieces
from capsim.distributions import work_distribution
from capsim.scenario import WEEKDAY_NAMES, Scenario


@dataclass(frozen=True)
class Reach:
    """The best on-time rate the shift patterns allow.

    Attributes
    ----------
    on_time_rate : float
        Upper bound on the on-time rate of counted orders, whatever the roster (NaN
        when nothing is counted).
    lost_by_weekday : tuple of float
        The share of counted orders that cannot be on time, by weekday of arrival
        (Monday first); they sum to 1 − on_time_rate.
    """

    on_time_rate: float
    lost_by_weekday: tuple[float, ...]

    def worst_days(self, least: float = 0.005) -> list[str]:
        """Weekday names losing at least ``least`` of the orders, the worst first.

        Days that lose as much (to 1e-9) keep weekday order.
        """
        lost = self.lost_by_weekday
        order = sorted(range(7), key=lambda i: (-round(lost[i], 9), i))
        return [WEEKDAY_NAMES[i] for i in order if lost[i] >= least]


def duty_union(scenario: Scenario) -> list[tuple[float, float]]:
    """Hours when some shift pattern runs, as merged intervals over the horizon."""
    if scenario.workforce.always_on:
        return [(0.0, scenario.horizon_hours)]
    spans = []
    for day in range(scenario.horizon_days):
        weekday = (scenario.start_weekday + day) % 7
        for shift in scenario.workforce.shifts:
            if weekday in shift.weekdays:
                start = 24.0 * day + shift.start_hour
                spans.append((start, start + shift.length_hours))
    merged: list[tuple[float, float]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def hopeless(duty: list[tuple[float, float]], promise: float,
             horizon: float) -> list[tuple[float, float]]:
    """Arrival times a whose [a, a + promise) holds no duty: [gap start, gap end − promise].

    ``duty`` as :func:`duty_union` gives it; an order arriving in one of these intervals
    cannot be on time.
    """
    gaps, previous = [], 0.0
    for begin, end in [*duty, (np.inf, np.inf)]:
        if begin - previous > promise:
            gaps.append((previous, min(begin - promise, horizon)))
        previous = max(previous, end)
    return [(a, b) for a, b in gaps if b > a]


def reach(scenario: Scenario) -> Reach:
    """The best on-time rate the scenario's shift patterns allow (see the module docstring)."""
    duty = duty_union(scenario)
    horizon, warmup = scenario.horizon_hours, scenario.warmup_hours
    pieces = rate_pieces(scenario) if scenario.demand.trace is None else None
    total, lost = 0.0, np.zeros(7)
    for order_class in scenario.order_classes:
        promise = float(order_class.promise_hours or 0.0)
        window = (warmup, horizon - promise)  # counted: arrived after warm-up, due in time
        if window[1] <= window[0]:
            continue
        bad = hopeless(duty, promise, horizon)
        counted, missed = _expected(scenario, pieces, window, bad)
        total += order_class.share * counted
        lost += order_class.share * missed
    if total == 0:
        return Reach(float("nan"), (0.0,) * 7)
    return Reach(float(1 - lost.sum() / total), tuple(float(x) for x in lost / total))


def abandonment_floor(scenario: Scenario) -> float:
    """The least abandonment rate any roster allows, given when shifts run (NaN: none counted).

    With technicians enough, an order arriving while a shift runs starts at once; one
    arriving in an off-duty gap waits until the next shift starts (or the horizon), and
    leaves if its patience is shorter than that wait (an ``at_once`` share always does).
    The expected share of counted orders that do so, at the expected demand and the class
    mix, is a lower bound on ``abandonment_rate``.
    """
    duty = duty_union(scenario)
    horizon, warmup = scenario.horizon_hours, scenario.warmup_hours
    pieces = rate_pieces(scenario) if scenario.demand.trace is None else None
    times, weights = _arrival_mass(scenario, pieces)
    starts = np.array([begin for begin, _ in duty] + [horizon])
    ends = np.array([end for _, end in duty] + [horizon])
    index = np.searchsorted(ends, times, side="right")  # the first duty ending after t
    on_duty = (index < len(duty)) & (starts[np.minimum(index, len(duty))] <= times)
    wait = np.where(on_duty, 0.0, np.minimum(starts[np.minimum(index, len(duty))], horizon)
                    - times)
    total = gone = 0.0
    for order_class in scenario.order_classes:
        promise = float(order_class.promise_hours or 0.0)
        counted = (times >= warmup) & (times <= horizon - promise)
        total += order_class.share * float(weights[counted].sum())
        patience = order_class.patience
        if patience is None:
            continue
        leaves = 1.0 - work_distribution(patience).survival(60.0 * wait)
        chance = np.where(wait > 0, patience.at_once + (1 - patience.at_once) * leaves, 0.0)
        gone += order_class.share * float((weights * chance)[counted].sum())
    return gone / total if total > 0 else float("nan")


def _expected(scenario: Scenario, pieces: RatePieces | None, window: tuple[float, float],
              bad: list[tuple[float, float]]) -> tuple[float, np.ndarray]:
    """Expected orders arriving in ``window``, and those of them in ``bad``, by weekday."""
    times, weights = _arrival_mass(scenario, pieces)
    inside = (times >= window[0]) & (times <= window[1])
    hopeless = np.zeros(times.size, dtype=bool)
    for a, b in bad:
        hopeless |= (times >= a) & (times <= b)
    weekday = ((scenario.start_weekday + times // 24) % 7).astype(np.int64)
    chosen = inside & hopeless
    missed = np.bincount(weekday[chosen], weights[chosen], minlength=7)
    return float(weights[inside].sum()), missed


def _arrival_mass(scenario: Scenario, pieces: RatePieces | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The expected demand as point masses: rate pieces cut into minutes, batches, a trace.

    Pieces are at most an hour long and cut into 60 equal parts, so a bad interval's
    edge falls inside a part at most a minute wide: the bound is exact to 1/60 of an
    hour of demand at each edge.
    """
    times: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    if pieces is not None:
        edges, rates = pieces.edges, pieces.rates
        parts = 60
        fractions = (np.arange(parts) + 0.5) / parts
        starts, lengths = edges[:-1], np.diff(edges)
        times.append((starts[:, None] + fractions * lengths[:, None]).ravel())
        weights.append(np.repeat(rates * lengths / parts, parts))
    else:
        assert scenario.demand.trace is not None
        hours = scenario.demand.trace.data.arrival_hour
        times.append(hours)
        weights.append(np.ones(hours.size))
    for batch in scenario.demand.batches:
        times.append(np.array([batch.at_hour]))
        weights.append(np.array([float(batch.orders)]))
    return np.concatenate(times), np.concatenate(weights)
