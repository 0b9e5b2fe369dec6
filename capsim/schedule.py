"""The cheapest shift mix meeting every target: a MILP cover, then simulation under CRN.

How many technicians on each of the scenario's shift patterns (``[[workforce.shifts]]``;
their start, length, weekdays and days a week are given, the counts are chosen):

1. **Requirements.** For each hour after the warm-up, the offered load m(t) of the
   scenario's demand (:func:`capsim.analytic.offered_load`) and the modified-offered-load
   staffing ceil(m + β√m) for a delay probability of 0.2 (Halfin–Whitt β), divided by the
   expected presence (absence net of cover): technicians who must be on duty. When every
   promise is long (8 hours or more), work can wait for the next shift, so the cover is
   by day instead: each day's expected technician-hours on duty (presence included) must
   cover its offered work at 85 % utilization.
2. **Cover.** A mixed-integer program (scipy's ``milp``, the HiGHS solver, which ships
   with scipy: no new dependency) chooses counts n_p minimising Σ c_p n_p subject to
   Σ_p a_pt n_p >= r_t for every hour t, where a_pt is the expected share of pattern p's
   technicians on duty at t (days_per_week / weekdays where the shift covers t) and c_p
   the pattern's weekly pay (wage × length × days; headcount without ``[costs]``).
3. **Simulation.** That mix is simulated on the scenario's replications (the same seeds
   for every mix: common random numbers), then improved by local moves until none both
   meets every target (:mod:`capsim.goals`, mean or chance criterion) and lowers the
   cost: while the targets are missed, the +1 move (one more on a pattern) that meets
   them most cheaply, or else raises the headline KPI most per unit of cost; then the
   cheapest −1 move or swap (one technician from a pattern to another) that still meets
   them and costs less; when there is none, a walk of up to three swaps over mixes that
   still meet them at no more cost (each mix once) until one of them has such a move. The cost of a
   mix is its mean ``cost_total`` with ``[costs]``, else its headcount.

The answer is a local optimum of the simulated cost among the mixes the moves reach,
checked by the tests against an exhaustive search over small grids.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from capsim.analytic import offered_load
from capsim.analytic.offered_load import mol_staffing
from capsim.analytic.rough_cut import presence_on
from capsim.demand import rate_pieces
from capsim.errors import ArgumentError, FieldProblem, ScenarioError
from capsim.experiment import Runner
from capsim.goals import Goal, judge, scenario_goals
from capsim.kpis import SMALLER_IS_BETTER
from capsim.progress import ProgressOption, progress_callback
from capsim.results import Criterion, RunResult
from capsim.scenario import Scenario

#: The delay probability of the warm start's per-hour staffing.
WARM_DELAY_PROBABILITY = 0.2
#: Below this promise (hours, the shortest class's) the cover is hour by hour, else daily.
HOURLY_PROMISE_HOURS = 8.0
#: The daily cover's utilization: technician-hours on duty per hour of work.
DAILY_UTILIZATION = 0.85
#: How many swaps from a mix the walk over equal-cost mixes goes (each costs a few mixes).
PLATEAU_STEPS = 3
#: Most simulated mixes one search evaluates.
MAX_EVALUATIONS = 60


@dataclass(frozen=True)
class ScheduleResult:
    """The chosen shift mix, its simulated KPIs and cost, and every mix evaluated."""

    scenario: Scenario
    counts: tuple[int, ...]
    meets: bool
    cost: float
    warm_start: tuple[int, ...]
    goals: tuple[Goal, ...]
    evaluations: dict[tuple[int, ...], RunResult] = field(repr=False)
    elapsed_seconds: float = 0.0
    #: Ctrl-C stopped the search: the mix is the best met so far (or the last simulated).
    partial: bool = False
    criterion: Criterion = "mean"
    #: The chance criterion's required share (None under ``mean``).
    confidence: float | None = None

    @property
    def run(self) -> RunResult:
        """The simulation of the chosen mix."""
        return self.evaluations[self.counts]

    def cost_of(self, counts: tuple[int, ...]) -> float:
        """An evaluated mix's cost: mean ``cost_total`` with ``[costs]``, else headcount."""
        run = self.evaluations[counts]
        return run.kpis["cost_total"].mean if self.scenario.has_costs else float(sum(counts))

    def verdict(self, counts: tuple[int, ...]) -> bool:
        """Whether an evaluated mix meets every target (the search's criterion)."""
        return sum(counts) > 0 and judge(self.evaluations[counts], self.criterion, self.goals,
                                         self.confidence)

    def binding(self, counts: tuple[int, ...]) -> Goal:
        """The tightest target of an evaluated mix: the smallest margin to its target.

        The margin is the mean's distance past the target relative to it (negative when
        missed) under ``mean``; the share of seasons meeting the target alone under
        ``chance``. The first in goal order on a tie.
        """
        run = self.evaluations[counts]

        def margin(goal: Goal) -> float:
            if self.criterion == "chance":
                return float(np.mean(goal.met(goal.values(run))))
            sign = -1.0 if goal.kpi in SMALLER_IS_BETTER else 1.0
            gap = sign * (goal.interval(run).mean - goal.target) / abs(goal.target)
            return -math.inf if math.isnan(gap) else gap
        return min(self.goals, key=margin)

    @property
    def planned(self) -> Scenario:
        """The scenario with the chosen counts."""
        return with_counts(self.scenario, self.counts)


def with_counts(scenario: Scenario, counts: tuple[int, ...]) -> Scenario:
    """The scenario with ``counts[p]`` technicians on shift pattern p (a fixed plan)."""
    shifts = scenario.as_data()["workforce"]["shifts"]
    for shift, count in zip(shifts, counts, strict=True):
        shift["count"], shift["share"] = count, None
    return scenario.edit([("workforce.shifts", shifts), ("workforce.roster", sum(counts))],
                         flag="capsim.schedule")


def coverage(scenario: Scenario, hours: np.ndarray) -> np.ndarray:
    """a[p, t]: the expected share of pattern p's technicians on duty at each hour t."""
    shifts = scenario.workforce.shifts
    a = np.zeros((len(shifts), hours.size))
    for p, shift in enumerate(shifts):
        share = (shift.days_per_week or len(shift.weekdays)) / len(shift.weekdays)
        days = np.arange(-1, scenario.horizon_days)  # day -1: a night shift into day 0
        works = np.isin((scenario.start_weekday + days) % 7, list(shift.weekdays))
        for day in days[works]:
            begin = 24.0 * day + shift.start_hour
            a[p, (hours >= begin) & (hours < begin + shift.length_hours)] = share
    return a


def requirements(scenario: Scenario, hours: np.ndarray) -> np.ndarray:
    """r[t]: technicians to have on duty at each hour (offered load, buffer, absence).

    Only hours when orders arrive need someone: the work left at closing time is
    finished by those on duty (the order in hand), so it asks for no shift of its own.
    """
    load = np.where(_arriving(scenario, hours), offered_load(scenario, hours), 0.0)
    needed = mol_staffing(load, WARM_DELAY_PROBABILITY).astype(float)
    days = (hours // 24).astype(int)
    by_day = {d: presence_on(scenario, d) for d in np.unique(days).tolist()}
    presence = np.array([by_day[d] for d in days.tolist()])
    result: np.ndarray = np.where(load > 0, needed / np.maximum(presence, 1e-9), 0.0)
    return result


def staff_by_hour_of_week(scenario: Scenario, counts: tuple[int, ...]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours of the week (0: Monday 0:00), scheduled and required technicians on duty.

    Means over the season's hours after the warm-up that fall on each hour of the week:
    scheduled Σ_p :func:`coverage` × counts (before absence), required
    :func:`requirements` (after it).
    """
    hours = np.arange(scenario.warmup_hours, scenario.horizon_hours) + 0.5
    scheduled = np.asarray(counts, dtype=float) @ coverage(scenario, hours)
    required = requirements(scenario, hours)
    of_week = ((hours // 1).astype(int) + 24 * scenario.start_weekday) % 168
    seen = np.bincount(of_week, minlength=168)
    week = np.flatnonzero(seen)

    def mean(values: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.bincount(of_week, values, minlength=168)[week] / seen[week]
        return result
    return week, mean(scheduled), mean(required)


def _arriving(scenario: Scenario, hours: np.ndarray) -> np.ndarray:
    """Whether orders arrive at each hour (sampled arrivals, batches, a trace)."""
    if scenario.demand.trace is not None:
        arrivals = scenario.demand.trace.data.arrival_hour
        return np.isin(np.floor(hours), np.floor(arrivals))
    pieces = rate_pieces(scenario)
    piece = np.clip(np.searchsorted(pieces.edges, hours, side="right") - 1, 0,
                    pieces.rates.size - 1)
    batches = np.floor([b.at_hour for b in scenario.demand.batches])
    result: np.ndarray = (pieces.rates[piece] > 0) | np.isin(np.floor(hours), batches)
    return result


def weekly_pay(scenario: Scenario) -> np.ndarray:
    """c[p]: a technician's weekly pay on each pattern (1 each without ``[costs]``)."""
    shifts = scenario.workforce.shifts
    if scenario.costs is None:
        return np.ones(len(shifts))
    return np.array([(s.wage_per_hour if s.wage_per_hour is not None
                      else scenario.costs.wage_per_hour) * s.length_hours
                     * (s.days_per_week or len(s.weekdays)) for s in shifts])


def _by_day(hours: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``values`` (columns: hours) per day, and the days' start hours."""
    days = (hours // 24).astype(int)
    first = np.unique(days)
    return np.stack([values[..., days == d].sum(axis=-1) for d in first], axis=-1), 24.0 * first


def warm_start(scenario: Scenario) -> tuple[int, ...]:
    """The MILP cover of the requirements (steps 1 and 2 of the module docstring).

    Hour by hour when the shortest promise is under :data:`HOURLY_PROMISE_HOURS` (work
    must be done about when it comes: a contact centre); else day by day, with each
    day's technician-hours on duty covering its work at :data:`DAILY_UTILIZATION` (work
    may wait for the next shift: prepress with a 24-hour promise).

    Raises
    ------
    capsim.errors.ScenarioError
        If an hour (a day) with demand lies in no pattern's shifts: no mix can serve it.
    """
    hours = np.arange(scenario.warmup_hours, scenario.horizon_hours) + 0.5
    need = requirements(scenario, hours)
    a = coverage(scenario, hours)
    if min(c.promise_hours or 0.0 for c in scenario.order_classes) >= HOURLY_PROMISE_HOURS:
        load = offered_load(scenario, hours)
        work, starts = _by_day(hours, load / DAILY_UTILIZATION)
        presence = np.array([presence_on(scenario, int(h // 24)) for h in starts])
        a, _ = _by_day(hours, a)
        need, hours = work, starts + 0.5
        a = a * presence
    rows = need > 0
    uncovered = rows & (a.sum(axis=0) == 0)
    if uncovered.any():
        hour = float(hours[uncovered][0] - 0.5)
        raise ScenarioError(scenario.source, [FieldProblem(
            "workforce.shifts", f"no shift pattern covers hour {hour:g} (day "
            f"{int(hour // 24)}, {hour % 24:g}:00), which has demand",
            allowed="patterns whose shifts cover every hour with orders")])
    c = weekly_pay(scenario)
    if not rows.any():
        return tuple(0 for _ in c)
    # scipy.optimize costs about 0.4 s to import: only a schedule search loads it, not
    # every report or staffing search that imports this module
    from scipy.optimize import Bounds, LinearConstraint, milp

    solved = milp(c, constraints=LinearConstraint(a[:, rows].T, lb=need[rows]),
                  integrality=np.ones_like(c), bounds=Bounds(0, np.inf))
    if solved.x is None:
        raise ArgumentError(f"the cover of the requirements has no solution ({solved.message})")
    return tuple(round(float(x)) for x in solved.x)


def schedule(scenario: Scenario, *, criterion: Criterion = "mean",
             confidence: float | None = 0.9, replications: int | None = None,
             seed: int | None = None, workers: int | None = None, engine: str = "auto",
             progress: ProgressOption = None) -> ScheduleResult:
    """The cheapest shift mix meeting every target (see the module docstring).

    ``progress`` as for :func:`capsim.run`, mix by mix. Ctrl-C stops the search and
    returns the best mix simulated whole so far, marked ``partial``.

    Raises
    ------
    capsim.errors.ArgumentError
        If the scenario has no shift patterns to choose counts for (``always_on``).
    capsim.errors.ScenarioError
        If the patterns leave an hour with demand uncovered.
    """
    if scenario.workforce.always_on:
        raise ArgumentError(f"{scenario.source}: schedule chooses counts per shift pattern; "
                            "this scenario's workforce is always_on (use capsim size)")
    began = time.perf_counter()
    with Runner(workers=workers, planned_runs=20) as runner:  # one pool for every mix
        result = _search(scenario, runner, criterion, confidence, replications, seed, engine,
                         progress)
    return ScheduleResult(**{**result.__dict__, "elapsed_seconds": time.perf_counter() - began})


def _search(scenario: Scenario, runner: Runner, criterion: Criterion,
            confidence: float | None, replications: int | None, seed: int | None,
            engine: str, progress: ProgressOption) -> ScheduleResult:
    """The search of :func:`schedule`, every mix simulated by ``runner``."""
    goals = scenario_goals(scenario)
    reps = scenario.experiment.replications if replications is None else replications
    seed = scenario.experiment.seed if seed is None else seed
    confidence = confidence if criterion == "chance" else None
    evaluations: dict[tuple[int, ...], RunResult] = {}
    headline = goals[0]

    def evaluate(counts: tuple[int, ...]) -> RunResult:
        if counts not in evaluations:
            label = f"mix {counts} ({len(evaluations) + 1} of at most {MAX_EVALUATIONS})"
            notify, close = progress_callback(progress, reps, label=label)
            try:
                result = runner.run(with_counts(scenario, counts), reps, seed, engine=engine,
                                    progress=notify)
            finally:
                close()
            if result.partial or runner.stop_requested:
                raise KeyboardInterrupt  # stopped: keep only the mixes simulated whole
            evaluations[counts] = result
        return evaluations[counts]

    def meets(counts: tuple[int, ...]) -> bool:
        return sum(counts) > 0 and judge(evaluate(counts), criterion, goals, confidence)

    def cost(counts: tuple[int, ...]) -> float:
        return (evaluate(counts).kpis["cost_total"].mean if scenario.has_costs
                else float(sum(counts)))

    start = warm_start(scenario)
    current = start if sum(start) > 0 else tuple(1 for _ in start)
    try:
        current = _improve(current, evaluate, meets, cost, headline, evaluations)
    except KeyboardInterrupt:  # the best mix meeting every target so far, marked partial
        met = [c for c in evaluations if meets(c)]
        current = min(met, key=cost) if met else max(evaluations, key=sum, default=start)
        return ScheduleResult(scenario=scenario, counts=current,
                              meets=current in evaluations and meets(current),
                              cost=cost(current) if current in evaluations else math.nan,
                              warm_start=start, goals=goals, evaluations=evaluations,
                              partial=True, criterion=criterion, confidence=confidence)
    return ScheduleResult(scenario=scenario, counts=current, meets=meets(current),
                          cost=cost(current), warm_start=start, goals=goals,
                          evaluations=evaluations, criterion=criterion, confidence=confidence)


def _improve(current: tuple[int, ...], evaluate: Callable[[tuple[int, ...]], RunResult],
             meets: Callable[[tuple[int, ...]], bool], cost: Callable[[tuple[int, ...]], float],
             headline: Goal, evaluations: dict[tuple[int, ...], RunResult]) -> tuple[int, ...]:
    """Local moves from ``current`` (step 3 of the module docstring): the mix they reach."""
    while not meets(current) and len(evaluations) < MAX_EVALUATIONS:
        ups = [tuple(n + (q == p) for q, n in enumerate(current)) for p in range(len(current))]
        good = [u for u in ups if meets(u)]
        if good:
            current = min(good, key=cost)
            break
        gains = [_gain(headline, evaluate(current), evaluate(u), cost(u) - cost(current))
                 for u in ups]
        if max(gains) <= 0:
            break  # no pattern helps any more: the targets are out of these patterns' reach
        current = ups[int(np.argmax(gains))]
    improved, seen = meets(current), {current}
    while improved and len(evaluations) < MAX_EVALUATIONS:
        improved = False
        cheaper = [m for m in _fewer(current) if cost(m) < cost(current) and meets(m)]
        if cheaper:
            current, improved = min(cheaper, key=cost), True
            seen.add(current)
            continue
        # none one move away: walk the plateau of mixes that meet the targets at no more
        # cost (swaps, each mix once) until one has a cheaper move, or the walk ends
        frontier, steps = [current], 0
        while frontier and not improved and steps < PLATEAU_STEPS:
            steps += 1
            level = [m for f in frontier for m in _swaps(f) if m not in seen
                     and cost(m) <= cost(current) and meets(m)]
            seen.update(level)
            cheaper = [f for m in level for f in _fewer(m)
                       if cost(f) < cost(current) and meets(f)]
            if cheaper:
                current, improved = min(cheaper, key=cost), True
                seen.add(current)
            frontier = level
    return current


def _gain(goal: Goal, now: RunResult, then: RunResult, extra: float) -> float:
    """How much a move improves the goal's mean per unit of added cost."""
    sign = -1.0 if goal.kpi in SMALLER_IS_BETTER else 1.0
    return sign * (goal.interval(then).mean - goal.interval(now).mean) / max(extra, 1e-9)


def _fewer(counts: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every mix with one technician fewer on a pattern, or one moved to a cheaper one."""
    moves = [tuple(m - (q == p) for q, m in enumerate(counts))
             for p, n in enumerate(counts) if n > 0]
    return moves + _swaps(counts)


def _swaps(counts: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every mix with one technician moved from one pattern to another."""
    return [tuple(m - (r == p) + (r == q) for r, m in enumerate(counts))
            for p, q in itertools.permutations(range(len(counts)), 2) if counts[p] > 0]
