"""Rules of thumb made exact: square-root staffing, the absenteeism buffer, Little's law.

- **Square-root staffing** (Halfin & Whitt 1981): with c = a + β√a servers, the
  delay probability of M/M/c tends to α(β) = [1 + β·Φ(β)/φ(β)]^{-1} as a grows.
  Solving α(β) = target gives β; the exact Erlang C minimum is shown beside it.
- **Absenteeism buffer**: each rostered technician is present on a given day with
  probability p, independently; the fewest n with P(Binomial(n·f, p) >= k) >= confidence,
  where f is the share of the roster scheduled on a day (5/7 for five-day weeks on a
  seven-day operation; days off staggered evenly, so the scheduled count is
  floor(n·f) on the thinnest day) and p already net of vacation.
- **Little's law**: L = λ·W, and the rule of thumb "one technician per N orders
  in-house" read through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capsim.analytic.erlang import min_servers
from capsim.errors import ArgumentError


def halfin_whitt_delay(beta: float) -> float:
    """The limiting delay probability α(β) = 1 / (1 + β·Φ(β)/φ(β)) of c = a + β√a."""
    if beta <= 0:
        return 1.0
    from scipy import special  # (scipy's modules load where used: capsim start-up)

    # Φ(β)/φ(β) via the scaled complementary error function, stable for large β
    ratio = math.sqrt(math.pi / 2) * special.erfcx(-beta / math.sqrt(2))
    result: float = 1.0 / (1.0 + beta * ratio)
    return result


def halfin_whitt_beta(delay_probability: float) -> float:
    """The β for which the Halfin–Whitt delay probability equals the target (0 < target < 1)."""
    if not 0 < delay_probability < 1:
        raise ArgumentError(f"delay probability must be in (0, 1), got {delay_probability}")
    from scipy import optimize

    return float(optimize.brentq(lambda b: halfin_whitt_delay(b) - delay_probability,
                                 1e-12, 50.0, xtol=1e-14))


@dataclass(frozen=True)
class SquareRootStaffing:
    """Square-root staffing for an offered load and a delay-probability target."""

    load: float
    delay_probability: float
    beta: float
    servers: int  # ceil(a + β√a)
    exact_servers: int  # the Erlang C minimum

    @property
    def safety_servers(self) -> float:
        """β√a: the servers added above the offered load."""
        return self.beta * math.sqrt(self.load)


def sqrt_staffing(load: float, delay_probability: float) -> SquareRootStaffing:
    """C = ceil(a + β√a) with β from the Halfin–Whitt formula, and the exact Erlang C answer."""
    if not math.isfinite(load) or load < 0:
        raise ArgumentError(f"load must be a finite number >= 0, got {load}")
    beta = halfin_whitt_beta(delay_probability)
    servers = math.ceil(load + beta * math.sqrt(load) - 1e-12)
    exact = min_servers(load, 1.0, delay_probability, "delay-prob")
    return SquareRootStaffing(load, delay_probability, beta, servers, exact)


def presence_probability(daily_rate: float, last_minute_share: float = 0.0,
                         cover_probability: float = 0.0, vacation_share: float = 0.0) -> float:
    """The chance that a scheduled technician-day is worked.

    Not on vacation, and not absent (or absent with a day's notice and covered).
    """
    uncovered = daily_rate * (1.0 - (1.0 - last_minute_share) * cover_probability)
    return (1.0 - vacation_share) * (1.0 - uncovered)


def on_hand_at_least(roster: int, needed: int, presence: float,
                     scheduled_share: float = 1.0) -> float:
    """P(at least ``needed`` present) with floor(roster·scheduled_share) scheduled."""
    scheduled = math.floor(roster * scheduled_share + 1e-9)
    return binomial_at_least(needed, scheduled, presence)


def binomial_at_least(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed term by term.

    Every term is taken relative to the one at the mode and reached from it by the
    ratio of neighbours, out to where the terms underflow; the tail's sum over the
    whole sum is the answer (the terms sum to one), so nothing overflows and a sum of
    positive terms loses no digits: within 6e-15 of scipy's ``binom.sf(k - 1, n, p)`` on a
    grid up to n = 20,000 (tested to 1e-12 against mpmath and scipy in
    tests/test_analytic.py), without importing scipy.stats (0.4 s of start-up).
    """
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    mode = min(math.floor((n + 1) * p), n)
    odds = p / (1.0 - p)
    term = total = 1.0
    tail = 1.0 if mode >= k else 0.0
    for j in range(mode, n):  # term(j + 1) = term(j) (n - j) / (j + 1) odds
        term *= (n - j) / (j + 1) * odds
        if term == 0.0:
            break
        total += term
        tail += term if j + 1 >= k else 0.0
    term = 1.0
    for j in range(mode, 0, -1):  # term(j - 1) = term(j) j / (n - j + 1) / odds
        term *= j / (n - j + 1) / odds
        if term == 0.0:
            break
        total += term
        tail += term if j - 1 >= k else 0.0
    return tail / total


def absence_buffer(needed: int, presence: float, confidence: float,
                   scheduled_share: float = 1.0) -> int:
    """The fewest rostered technicians with P(on hand >= needed) >= confidence.

    Parameters
    ----------
    needed : int
        Technicians required on hand (k).
    presence : float
        Probability that a scheduled technician is present (see
        :func:`presence_probability`).
    confidence : float
        Required probability α of having at least ``needed``, in (0, 1).
    scheduled_share : float
        Share of the roster scheduled on a given day (5/7 for five-day weeks on a
        seven-day operation).
    """
    if not isinstance(needed, int) or needed < 0:
        raise ArgumentError(f"needed must be a whole number >= 0, got {needed!r}")
    if not 0 < presence <= 1:
        raise ArgumentError(f"presence must be in (0, 1], got {presence}")
    if not 0 < confidence < 1:
        raise ArgumentError(f"confidence must be in (0, 1), got {confidence}")
    if not 0 < scheduled_share <= 1:
        raise ArgumentError(f"scheduled share must be in (0, 1], got {scheduled_share}")
    if needed == 0:
        return 0
    roster = math.ceil(needed / scheduled_share - 1e-9)
    while on_hand_at_least(roster, needed, presence, scheduled_share) < confidence:
        roster += 1
    return roster


def littles_law(*, wip: float | None = None, throughput: float | None = None,
                lead_time: float | None = None) -> float:
    """Little's law L = λ·W: give any two of the three, get the third.

    ``wip`` is L, ``throughput`` λ and ``lead_time`` W, in consistent units.
    """
    given = {"wip": wip, "throughput": throughput, "lead_time": lead_time}
    missing = [k for k, v in given.items() if v is None]
    if len(missing) != 1:
        raise ArgumentError("give exactly two of wip, throughput and lead_time")
    if wip is None:
        return throughput * lead_time  # type: ignore[operator]
    if throughput is None:
        return wip / lead_time  # type: ignore[operator]
    return wip / throughput


@dataclass(frozen=True)
class RuleOfThumb:
    """'One technician per N orders in-house', read through Little's law.

    With lead time W hours, N orders in-house per technician means each completes
    N·24/W orders a day; spread over a shift of H hours that is N·24/(W·H) orders an
    hour of shift, i.e. 60·W·H/(24·N) minutes of touch time per order.
    """

    orders_in_house_per_technician: float = 100.0
    lead_time_hours: float = 24.0
    shift_hours: float = 8.0

    @property
    def orders_per_technician_day(self) -> float:
        """Orders one technician completes per day."""
        return self.orders_in_house_per_technician * 24.0 / self.lead_time_hours

    @property
    def orders_per_shift_hour(self) -> float:
        """Orders one technician completes per hour worked."""
        return self.orders_per_technician_day / self.shift_hours

    @property
    def touch_minutes(self) -> float:
        """Touch time per order implied by the rule."""
        return 60.0 / self.orders_per_shift_hour

    def technicians(self, orders_in_house: float) -> int:
        """The naive answer: orders in-house / N, rounded up."""
        return math.ceil(orders_in_house / self.orders_in_house_per_technician - 1e-9)
