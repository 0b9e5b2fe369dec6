"""A rough-cut roster for a scenario, in milliseconds, with its assumptions spelled out.

Two numbers that bracket the simulated answer:

- **lower bound**: the roster whose *expected* on-hand technicians just cover the
  *average* work after the warm-up, at 100 % utilization. No roster below it keeps up.
- **rough cut**: enough technicians on hand for the *peak*, with a square-root safety
  buffer, inflated for days off and absence so that the peak is covered with the
  given confidence. Deliberately conservative: it designs for the busiest day (or
  hour), while a season's on-time rate forgives some late orders on it.

Peak technicians needed on hand:

- around-the-clock servers (``always_on``): the peak of the offered load m(t), then
  the Erlang C minimum for the on-time target at that load (M/M/c with the mean work
  content; if the promise cannot be met that way, P(wait > 0) <= 1 − target), or the
  Erlang A minimum (M/M/c+M: abandoned orders are late) when every class's patience is
  the same exponential with no mass at zero;
- shifts: the busiest day's expected work in technician-days x = work hours / shift
  length, plus a buffer z·σ for the day's work: σ² = (Poisson orders: n·E[S²] + forecast
  error: (cv·n·E[S])²) / shift length², z = Φ⁻¹(target).

Then the roster: the fewest n with P(Binomial(floor(f·n), p) >= on hand) >= confidence,
f the share of the roster scheduled on a day and p the presence probability (unplanned
absence net of cover, vacation in the peak week, expected outbreak absence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from capsim.analytic.erlang import min_servers
from capsim.analytic.erlang_a import ErlangA
from capsim.analytic.offered_load import memory_hours, offered_load, peak
from capsim.analytic.staffing import RuleOfThumb, absence_buffer, presence_probability
from capsim.demand import rate_pieces
from capsim.distributions import work_distribution
from capsim.errors import ArgumentError
from capsim.scenario import Scenario
from capsim.scenario.calendar import free_weeks


@dataclass(frozen=True)
class RoughCut:
    """A rough-cut staffing answer and the figures behind it."""

    lower_bound: int
    roster: int
    on_hand: int
    peak_day: int
    peak_day_orders: float
    peak_load: float
    scheduled_share: float
    presence: float
    confidence: float
    rule_of_thumb: int
    assumptions: tuple[str, ...]


def _daily_orders(scenario: Scenario) -> np.ndarray:
    """Expected orders arriving on each day.

    Sampled arrivals at the forecast's mean, batches, and replayed traces.
    """
    days = scenario.horizon_days
    orders = np.zeros(days)
    trace = scenario.demand.trace
    if trace is None:
        pieces = rate_pieces(scenario)
        mids = (pieces.edges[:-1] + pieces.edges[1:]) / 2
        amount = pieces.rates * np.diff(pieces.edges)
        np.add.at(orders, np.minimum((mids // 24).astype(int), days - 1), amount)
    else:
        hours = trace.data.arrival_hour
        hours = hours[hours < scenario.horizon_hours]
        np.add.at(orders, (hours // 24).astype(int), 1.0)
    for batch in scenario.demand.batches:
        if batch.at_hour < scenario.horizon_hours:
            orders[int(batch.at_hour // 24)] += batch.orders
    return orders


def _work_moments(scenario: Scenario) -> tuple[float, float]:
    """E[S] and E[S²] in hours over the class mix (batches and traces at the mix too)."""
    mean = second = 0.0
    for c in scenario.order_classes:
        dist = work_distribution(c.work)  # type: ignore[arg-type]
        mean += c.share * dist.mean / 60
        second += c.share * dist.second_moment() / 3600
    return mean, second


def scheduled_share(scenario: Scenario) -> float:
    """Share of the roster scheduled on an operating day (1 when always on)."""
    wf = scenario.workforce
    if wf.always_on:
        return 1.0
    weights = [s.count / wf.roster if s.count is not None and wf.roster else (s.share or 1.0)
               for s in wf.shifts]
    shares = [(s.days_per_week or len(s.weekdays)) / len(s.weekdays) for s in wf.shifts]
    return float(np.average(shares, weights=weights)) if sum(weights) > 0 else 1.0


def _vacation_share(scenario: Scenario, day: int) -> float:
    """Chance that a technician is on vacation on ``day``: weeks a year / free weeks.

    Exact for one-week blocks (each free week is equally likely). Longer blocks must
    fit inside the year and between blackouts, so weeks at those edges are less likely
    and the others a little more: an approximation there.
    """
    vacation = scenario.absence.vacation
    if vacation.weeks_per_year == 0:
        return 0.0
    year, week = divmod(day // 7, 52)
    free = free_weeks([(w.start_day, w.end_day) for w in vacation.blackouts], year)
    return vacation.weeks_per_year / sum(free) if free[week] else 0.0


def _outbreak_share(scenario: Scenario, day: int) -> float:
    """Chance that a technician is home with an outbreak illness on ``day``.

    Each outbreak strikes each technician independently with its ``share``. Random
    outbreaks start as a Poisson process on days 0, 1, ... (none before the season),
    and one that started k days ago still keeps its victims home with probability
    P(duration > k): the outbreaks holding a technician on ``day`` are Poisson with
    mean m = rate/30 · share · Σ_{k<=day} P(duration > k), which grows to
    rate/30 · share · E[duration]; the chance of none is exp(−m). A dated outbreak
    adds a factor (1 − share) while it lasts.
    """
    spared, mean = 1.0, 0.0
    for o in scenario.absence.outbreaks:
        if o.start_day is not None:
            if o.start_day <= day < o.start_day + o.duration_days:
                spared *= 1.0 - o.share
            continue
        if o.duration_distribution == "fixed":
            lasting: float = min(int(o.duration_days), day + 1)  # days 0..day, then gone
        else:  # geometric on 1, 2, ... with mean duration_days: P(D > k) = q^k
            q = 1.0 - 1.0 / o.duration_days
            lasting = (1.0 - q ** (day + 1)) * o.duration_days
        mean += (o.rate_per_30_days or 0.0) / 30.0 * o.share * lasting
    return 1.0 - spared * math.exp(-mean)


def presence_on(scenario: Scenario, day: int) -> float:
    """Probability that a scheduled technician-day on ``day`` is worked (expected)."""
    a = scenario.absence
    base = presence_probability(a.daily_rate, a.last_minute_share, a.cover_probability,
                                _vacation_share(scenario, day))
    return base * (1.0 - _outbreak_share(scenario, day))


def _shift_hours(scenario: Scenario) -> float:
    wf = scenario.workforce
    return 24.0 if wf.always_on else float(np.mean([s.length_hours for s in wf.shifts]))


#: Cells of times × rate pieces the peak search may evaluate (a few seconds).
PEAK_CELLS = 5 * 10**7


def _peak_step(scenario: Scenario) -> float:
    """The time step of the search for the peak of m(t): a quarter hour, or coarser.

    Each time adds up the rate pieces of the work content's memory (:func:`~capsim.
    analytic.offered_load.memory_hours`). When the times × pieces would pass
    :data:`PEAK_CELLS` (years of horizon and work contents of weeks), the step grows to
    keep them there: m(t) then changes on the scale of the work content, far slower.
    """
    horizon = scenario.horizon_hours
    memory = max(memory_hours(work_distribution(c.work))  # type: ignore[arg-type]
                 for c in scenario.order_classes)
    per_hour = max(1.0, len(rate_pieces(scenario).rates) / horizon)
    band = min(horizon, memory) * per_hour + 2
    return max(0.25, horizon * band / PEAK_CELLS)


def _patience_rate(scenario: Scenario) -> float | None:
    """θ per hour when every class's patience is one exponential with no mass at zero."""
    patience = scenario.order_classes[0].patience
    if any(c.patience != patience for c in scenario.order_classes):
        return None
    if patience is None or patience.distribution != "exponential" or patience.at_once > 0:
        return None
    assert patience.mean_minutes is not None
    return 60.0 / patience.mean_minutes


def _erlang_a_on_hand(load: float, mean_work: float, theta: float, target: float,
                      promise: float) -> int | None:
    """The fewest M/M/c+M servers whose on-time rate at the promise is >= target.

    None when no number reaches it (on time needs the service itself to fit the promise:
    at most 1 − e^(−μ·promise) of the orders can be).
    """
    mu = 1.0 / mean_work
    if load == 0:
        return 0
    if -math.expm1(-mu * promise) < target:
        return None

    def meets(c: int) -> bool:
        return ErlangA(load * mu, mu, c, theta).on_time_within(promise) >= target

    high = max(1, math.ceil(load))
    while not meets(high):
        high *= 2
        if high > 4 * load + 1000:  # the limit 1 − e^(−μ·promise) is approached, never met
            return None
    low = 0  # meets(low) is False or low == 0
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def _around_the_clock(scenario: Scenario, load: float, load_time: float, mean_work: float,
                      target: float, theta: float | None) -> tuple[int, str]:
    """Technicians on hand for the peak of always-on servers, and how they were found.

    Erlang A when patience is exponential, else Erlang C; if the promise is out of reach
    that way, P(wait > 0) <= 1 − target.
    """
    promise = min(c.promise_hours or 0.0 for c in scenario.order_classes)
    if theta is not None:
        on_hand = _erlang_a_on_hand(load, mean_work, theta, target, promise)
        if on_hand is not None:
            return on_hand, (f"peak offered load {load:.2f} at hour {load_time:g}; Erlang A "
                             f"(M/M/c+M, patience rate {theta:g}/h) on-time: P(served and "
                             f"lead time <= {promise:g} h) >= {target:g}")
    try:
        on_hand = min_servers(load / mean_work, 1 / mean_work, target, "on-time", promise)
        return on_hand, (f"peak offered load {load:.2f} at hour {load_time:g}; Erlang C "
                         f"on-time: P(lead time <= {promise:g} h) >= {target:g} (M/M/c)")
    except ValueError:
        on_hand = min_servers(load / mean_work, 1 / mean_work, 1 - target, "delay-prob")
        return on_hand, (f"peak offered load {load:.2f}; the promise is out of reach for "
                         f"M/M/c, so P(wait > 0) <= {1 - target:g}")


def rough_cut(scenario: Scenario, confidence: float = 0.9,
              target: float | None = None) -> RoughCut:
    """The rough-cut roster for a scenario (see the module docstring for the method).

    Parameters
    ----------
    scenario : Scenario
        The operation.
    confidence : float
        Required chance that the peak has enough technicians on hand.
    target : float, optional
        On-time target; default the scenario's.
    """
    if not 0 < confidence < 1:
        raise ArgumentError(f"confidence must be in (0, 1), got {confidence}")
    target = scenario.targets.on_time_rate if target is None else target
    from scipy import special  # norm.ppf is ndtri; scipy.stats costs 0.4 s to import

    z = float(special.ndtri(min(target, 1 - 1e-9)))
    first = scenario.warmup_days
    orders = _daily_orders(scenario)
    mean_work, second_work = _work_moments(scenario)
    shift = _shift_hours(scenario)
    f = scheduled_share(scenario)
    peak_day = first + int(np.argmax(orders[first:]))
    step = _peak_step(scenario)
    times = np.arange(0.0, scenario.horizon_hours, step)
    load, load_time = peak(offered_load(scenario, times), times, scenario.warmup_hours)
    notes = [f"work content: mean {60 * mean_work:.2f} min over the order classes"]
    if step > 0.25:
        notes.append(f"peak offered load searched every {step:.3g} h (work contents this "
                     "long make m(t) change slowly)")
    theta = _patience_rate(scenario)
    if scenario.has_patience and theta is None:
        notes.append("patience not exponential (or a mass at zero): the rough cut leaves "
                     "abandonment out")
    if scenario.workforce.always_on:
        on_hand, note = _around_the_clock(scenario, load, load_time, mean_work, target, theta)
        notes.append(note)
    else:
        n = orders[peak_day]
        x = n * mean_work / shift
        sigma = math.sqrt(n * second_work + (scenario.demand.forecast_cv * n * mean_work) ** 2)
        on_hand = math.ceil(x + z * sigma / shift - 1e-9)
        notes.append(f"busiest day {peak_day}: {n:,.0f} orders, {x:.2f} technician-days of "
                     f"work in {shift:g} h shifts; buffer z = {z:.2f} x sd {sigma / shift:.2f}")
    presence = presence_on(scenario, peak_day)
    notes.append(f"scheduled share {f:.3f} (days off), presence {presence:.3f} (absence net "
                 f"of cover, vacation, outbreaks), confidence {confidence:g}")
    roster = absence_buffer(on_hand, presence, confidence, f)
    average_days = float(orders[first:].mean()) * mean_work / shift
    mean_presence = float(np.mean([presence_on(scenario, d)
                                   for d in range(first, scenario.horizon_days)]))
    lower = math.ceil(average_days / (f * mean_presence) - 1e-9)
    rule = RuleOfThumb().technicians(orders[peak_day])
    notes.append(f"lower bound: average {average_days:.2f} technician-days of work a day at "
                 "100 % utilization and expected absence")
    return RoughCut(
        lower_bound=min(lower, roster), roster=roster, on_hand=on_hand, peak_day=peak_day,
        peak_day_orders=float(orders[peak_day]), peak_load=load, scheduled_share=f,
        presence=presence, confidence=confidence, rule_of_thumb=rule,
        assumptions=tuple(notes))

