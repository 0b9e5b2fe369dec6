"""The smallest roster meeting a target, found by simulation under common random numbers.

Every roster is evaluated on the same replications (same seed, same replication
indices): the same orders and, for technicians 1..n, the same attendance, so the
difference between two rosters is the rosters' alone. The search:

1. brackets the answer with the analytic rough cut (:mod:`capsim.analytic.rough_cut`):
   its lower bound (below it, capacity falls short on average) and its roster;
2. bisects between the largest roster known to fail and the smallest known to pass,
   assuming the bracket until a verdict contradicts it, then widening it (galloping
   by a quarter) where it was wrong; rosters on the KPI are monotone, so each
   verdict halves the interval;
3. evaluates the curve from answer − 3 to answer + 2 for the report, never a roster
   twice, and says so if the curve it saw is not monotone.

A roster must meet every target of the scenario at once (:mod:`capsim.goals`: the
headline ``on_time_rate``, or the KPI asked for, and every other ``[targets]`` and
``[targets.by_class.*]`` entry). Criteria: ``mean``, the smallest roster whose mean KPI
over replications meets each target (the lower confidence bound is reported beside
it); ``chance``, the smallest roster for which the share of replications (seasons)
meeting every target jointly is at least ``confidence``, judged on the Wilson interval:
its lower bound must reach it. The result says which target binds.

With ``max_replications`` above ``replications``, a roster whose confidence interval
still straddles a target gets more replications (doubling, same seeds) until every
interval clears its target or the cap is reached: effort goes where the verdict is close.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from capsim.analytic import RoughCut, rough_cut
from capsim.errors import ArgumentError
from capsim.experiment import Runner
from capsim.goals import (
    Goal,
    binding,
    bound_notes,
    check_goal,
    decision_rule,
    judge,
    needs,
    scenario_goals,
    unmet_notes,
)
from capsim.goals import share_meeting_all as _share_all
from capsim.kpis import relation
from capsim.objective import Objective, cheapest, check_objective
from capsim.options import RunOptions, resolve_options
from capsim.progress import ProgressOption, progress_callback
from capsim.results import (
    Criterion,
    RunResult,
    Savable,
    View,
    html_table,
    interval_text,
    short_repr,
)
from capsim.scenario import Scenario
from capsim.stats import Interval


@dataclass(frozen=True, eq=False)
class SizeResult(Savable):
    """What the staffing search found, and every evaluation behind it.

    ``kpi`` and ``target`` are the headline goal; ``goals`` all the targets met at once
    (the headline first; empty when built without: the headline alone).
    """

    scenario: Scenario
    criterion: Criterion
    kpi: str
    target: float
    confidence: float | None
    seed: int
    replications: int
    max_replications: int | None
    rough_cut: RoughCut
    evaluations: dict[int, RunResult]  # in the order evaluated
    recommended: int | None
    partial: bool = False
    elapsed_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    goals: tuple[Goal, ...] = field(default=())
    #: What the search minimised, and (objective ``cost``) the smallest roster meeting
    #: every target, from which the cheapest was sought.
    objective: str = "headcount"
    smallest: int | None = None

    tables = View("capsim.tables", "SizeTables")
    plot = View("capsim.reporting.plots", "SizePlots")

    def __repr__(self) -> str:
        return short_repr("SizeResult", {
            "scenario": repr(self.scenario.name), "recommended": self.recommended, "question":
            repr(f"{self.criterion} {self.kpi} {relation(self.kpi)} {self.target:g}"),
            "evaluated": sorted(self.evaluations), "replications": self.replications,
            "seed": self.seed, **({"partial": True} if self.partial else {})})

    def __post_init__(self) -> None:
        if not self.goals:
            object.__setattr__(self, "goals", (Goal(self.kpi, self.target),))

    def _repr_html_(self) -> str:
        runs = self.evaluations
        rows = [(n, self.verdict(n), interval_text(self.kpi, runs[n].kpis[self.kpi]), interval_text(
            "p_target_met", self.p_met(n))) for n in sorted(runs)]
        return html_table(f"{self.scenario.name}: recommended {self.recommended}",
                          ("roster", "meets", self.kpi, "p_target_met"), rows)

    def verdict(self, roster: int) -> bool:
        """Whether an evaluated roster meets every target under the criterion."""
        return judge(self.evaluations[roster], self.criterion, self.goals, self.confidence)

    def p_met(self, roster: int) -> Interval:
        """The share of the roster's replications meeting every target (Wilson interval)."""
        return _share_all(self.evaluations[roster], self.goals)

    def needs(self) -> dict[Goal, int | None]:
        """Each goal's smallest evaluated roster meeting it alone (None: none does)."""
        return needs(self.evaluations, self.criterion, self.goals, self.confidence)

    @property
    def binding(self) -> Goal | None:
        """The target that sets the roster: the one needing the largest (an unmet one)."""
        return binding(self.evaluations, self.criterion, self.goals, self.confidence)

    @property
    def curve(self) -> list[int]:
        """The evaluated rosters to report: answer − 3 to answer + 2 (all, if none)."""
        rosters = sorted(self.evaluations)
        if self.recommended is None:
            return rosters
        return [r for r in rosters if self.recommended - 3 <= r <= self.recommended + 2]

    def on_hand_at_peak(self) -> tuple[float, float] | None:
        """Technicians on hand on the busiest day with the recommended roster.

        Their mean and 10th percentile over replications.
        """
        if self.recommended is None:
            return None
        day = self.evaluations[self.recommended].daily("on_hand")[:, self.rough_cut.peak_day]
        return float(day.mean()), float(np.percentile(day, 10))


def check_request(kpi: str, target: float, criterion: str, confidence: float | None,
                  minimum: int, maximum: int | None) -> None:
    """Raise ArgumentError (a ValueError) for a request that makes no sense."""
    check_goal(kpi, target)
    if criterion not in ("mean", "chance"):
        raise ArgumentError(f"unknown criterion {criterion!r}; allowed: mean, chance")
    if criterion == "chance" and (confidence is None or not 0 < confidence < 1):
        raise ArgumentError(f"confidence must be in (0, 1), got {confidence}")
    if minimum < 1:
        raise ArgumentError(f"the smallest roster must be >= 1, got {minimum}")
    if maximum is not None and maximum < minimum:
        raise ArgumentError(f"min ({minimum}) is greater than max ({maximum})")


class _Search:
    """Bisection over rosters with a memo of verdicts (no roster evaluated twice)."""

    def __init__(self, evaluate: Callable[[int], bool], low: int, high: int):
        self.evaluate, self.low, self.high = evaluate, low, high
        self.verdicts: dict[int, bool] = {}

    def passes(self, roster: int) -> bool:
        if roster not in self.verdicts:
            self.verdicts[roster] = self.evaluate(roster)
        return self.verdicts[roster]

    def smallest_passing(self, guess_fail: int, guess_pass: int) -> int | None:
        """Bisect (guess_fail, guess_pass] for the smallest roster that passes.

        Then make sure the answer passes and the roster below it fails, widening the
        interval where a guess was wrong.
        """
        good = min(max(guess_pass, self.low), self.high)
        fail = min(max(guess_fail, self.low - 1), good - 1)
        while True:
            while good - fail > 1:
                middle = (fail + good) // 2
                if self.passes(middle):
                    good = middle
                else:
                    fail = middle
            if not self.passes(good):  # the upper guess was too low: gallop up
                if good >= self.high:
                    return None
                fail, good = good, min(self.high, good + max(1, math.ceil(good / 4)))
                continue
            if fail >= self.low and self.passes(fail):  # the lower guess was too high
                good, fail = fail, max(self.low - 1, fail - max(1, math.ceil(fail / 4)))
                continue
            return good


def _plan(search: _Search, minimum: int, high: int, cut: RoughCut,
          also: Sequence[int]) -> int | None:
    """The whole search: the answer, then the curve around it, then ``also``."""
    recommended = search.smallest_passing(max(minimum, cut.lower_bound) - 1,
                                          min(max(cut.roster, minimum), high))
    if recommended is not None:
        for roster in range(max(minimum, recommended - 3), min(high, recommended + 2) + 1):
            search.passes(roster)
    for roster in also:
        search.passes(roster)
    return recommended


def _expected_evaluations(search: _Search, plan: Callable[[_Search], object],
                          guess: int) -> int:
    """How many evaluations the whole search will take, as far as can be told now.

    A dry run of the plan on the verdicts known so far, taking as the answer the
    smallest roster known to pass, else ``guess`` (the rough cut) or the roster above
    the largest known to fail if that is higher: exact when that is the answer, about
    right otherwise (bisection takes about as many steps either way).
    """
    passing = [r for r, ok in search.verdicts.items() if ok]
    failing = [r for r, ok in search.verdicts.items() if not ok]
    answer = min(passing) if passing else max([guess, *(r + 1 for r in failing)])
    dry = _Search(lambda roster: roster >= answer, search.low, search.high)
    dry.verdicts = dict(search.verdicts)
    plan(dry)
    return len(dry.verdicts)


def _plan_note(scenario: Scenario) -> str | None:
    """Say how a count-only plan was sized (None for a plan with shares)."""
    if not scenario.workforce.counts_only:
        return None
    parts = " + ".join(f"{s.count} {s.name or f'pattern {i}'}"
                       for i, s in enumerate(scenario.workforce.shifts))
    return (f"every shift pattern is given by count ({parts}): rosters were sized by scaling "
            "the counts in proportion")


def size_staff(
    scenario: Scenario,
    target: float | None = None,
    *,
    criterion: Criterion = "mean",
    confidence: float | None = 0.9,
    kpi: str = "on_time_rate",
    minimum: int = 1,
    maximum: int | None = None,
    replications: int | None = None,
    max_replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    engine: str | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    ci_level: float | None = None,
    progress: ProgressOption = None,
    also: Sequence[int] = (),
    options: RunOptions | None = None,
    objective: Objective = "headcount",
) -> SizeResult:
    """Find the smallest roster meeting a target (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The operation; its roster is what varies.
    target : float, optional
        The target on ``kpi``; default the scenario's (``targets.on_time_rate``).
    criterion : {"mean", "chance"}
        Every target's mean KPI meets it, or the chance that a season meets all of them
        jointly is at least ``confidence`` (on the Wilson lower bound).
    kpi : str
        The headline KPI, one of :data:`capsim.kpis.SIZABLE` (smaller-is-better KPIs
        take the target as a ceiling): its target is ``target``, in place of the
        headline ``on_time_rate`` when another; the scenario's other targets still apply.
    minimum, maximum : int
        Rosters considered (default: 1 to four times the rough cut).
    replications, seed : int, optional
        Per roster; defaults from the scenario. The same seeds serve every roster.
    max_replications : int, optional
        Above ``replications``: add replications to a roster (doubling) until its
        verdict is clear at ``ci_level``, up to this many.
    workers, engine, executor, scheduler, ci_level, progress, options
        How to simulate (see :func:`capsim.run`); ``options`` gives them (and
        ``replications``, ``seed``, ``max_replications``) as one :class:`RunOptions`.
    also : sequence of int
        Rosters to evaluate besides those the search needs (a report adds the rule of
        thumb's), on the same seeds.
    objective : {"headcount", "cost"}
        The smallest roster meeting every target, or the cheapest (mean ``cost_total``;
        needs ``[costs]``; see :mod:`capsim.objective`), found by adding technicians to
        the smallest while the cost falls.

    Returns
    -------
    SizeResult
        ``recommended`` is None when no roster up to ``maximum`` meets every target;
        ``binding`` says which target sets the roster (or is not met).
        Ctrl-C stops the search, keeps the completed evaluations and marks it partial.
    """
    o = resolve_options(options, replications=replications, seed=seed, workers=workers,
                        engine=engine, executor=executor, scheduler=scheduler, ci_level=ci_level,
                        progress=progress, max_replications=max_replications)
    replications, seed, workers, scheduler = o.replications, o.seed, o.workers, o.scheduler
    engine, executor, ci_level, progress = o.engine, o.executor, o.ci_level, o.progress
    max_replications = o.max_replications
    confidence = confidence if criterion == "chance" else None
    check_objective(objective, scenario)
    goals = scenario_goals(scenario, kpi, target)
    target = goals[0].target
    check_request(kpi, target, criterion, confidence, minimum, maximum)
    if kpi == "on_time_rate":
        scenario = scenario.replace("targets.on_time_rate", target)
    replications = scenario.experiment.replications if replications is None else replications
    seed = scenario.experiment.seed if seed is None else seed
    if max_replications is not None and max_replications < replications:
        raise ArgumentError(f"max_replications ({max_replications}) is below replications "
                            f"({replications})")
    adaptive = max_replications is not None and max_replications > replications
    rule = decision_rule(criterion, goals, confidence, ci_level) if adaptive else None
    cut = rough_cut(scenario, target=target if kpi == "on_time_rate" else None)
    high = maximum if maximum is not None else max(4 * cut.roster, minimum)
    began = time.perf_counter()
    evaluations: dict[int, RunResult] = {}
    interrupted = False

    with Runner(workers=workers, executor=executor, scheduler=scheduler,
                planned_runs=6) as runner:  # a search evaluates about six rosters

        guess = min(max(cut.roster, minimum), high)

        def plan(search: _Search) -> int | None:
            return _plan(search, minimum, high, cut, also)

        def evaluate(roster: int) -> bool:
            nonlocal interrupted
            total = max_replications if max_replications is not None and adaptive else replications
            label = (f"roster {roster} ({len(evaluations) + 1} of about "
                     f"{_expected_evaluations(search, plan, guess)})")
            notify, close = progress_callback(progress, total, label=label)
            try:
                result = runner.run(scenario.with_roster(roster), replications, seed,
                                    engine=engine, ci_level=ci_level, progress=notify,
                                    rule=rule, max_replications=max_replications)
            finally:
                close()
            if not result.partial:
                evaluations[roster] = result
            if result.partial or runner.stop_requested:
                interrupted = True
                raise KeyboardInterrupt
            return judge(result, criterion, goals, confidence)

        search = _Search(evaluate, minimum, high)
        recommended = smallest = None
        try:
            recommended = smallest = plan(search)
            if objective == "cost" and smallest is not None:
                recommended = cheapest(smallest, high, search.passes, evaluations.__getitem__)
        except KeyboardInterrupt:
            interrupted = True
    result = SizeResult(
        scenario=scenario, criterion=criterion, kpi=kpi, target=target, confidence=confidence,
        seed=seed, replications=replications,
        max_replications=max_replications if adaptive else None, rough_cut=cut,
        evaluations=evaluations,
        recommended=None if interrupted else recommended, partial=interrupted,
        elapsed_seconds=time.perf_counter() - began, goals=goals, objective=objective,
        smallest=None if interrupted else smallest)
    return _with_notes(result)


def _with_notes(result: SizeResult) -> SizeResult:
    """Add plain-language notes: an undecided answer, a non-monotone curve."""
    notes = []
    rosters = sorted(result.evaluations)
    verdicts = [result.verdict(r) for r in rosters]
    if any(a and not b for a, b in itertools.pairwise(verdicts)):
        notes.append("the evaluated curve is not monotone in the roster: near the target, "
                     "more replications would settle it")
    if result.recommended is not None and result.criterion == "mean":
        notes += bound_notes(result.evaluations[result.recommended], result.goals)
    if result.recommended is None and not result.partial and rosters:
        notes += unmet_notes(result.scenario, result.evaluations, result.criterion,
                             result.goals, result.confidence)
    plan = _plan_note(result.scenario)
    if plan is not None:
        notes.append(plan)
    return SizeResult(**{**result.__dict__, "notes": tuple(notes)})
