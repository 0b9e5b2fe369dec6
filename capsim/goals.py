"""Targets as goals a roster must meet: all at once, under the mean or the chance criterion.

A :class:`Goal` is one target on one KPI, of the whole floor or of one order class
(``[targets]`` and ``[targets.by_class.<class>]``, :mod:`capsim.scenario.targets`). A
staffing search meets every goal of the scenario at once:

- ``mean``: every goal's mean over the replications meets its target;
- ``chance``: the share of replications (seasons) in which *every* goal is met, jointly,
  has a Wilson lower bound of at least the confidence. A replication whose KPI is
  undefined (NaN: nothing to measure) does not meet that goal.

Which goal *binds*: for each goal, the smallest evaluated roster meeting that goal alone
(under the same criterion: its mean, or the share of replications meeting it); the
binding goal is the one that needs the largest such roster (the first in goal order on a
tie), and a goal no evaluated roster meets is the one that makes the search fail.

``--kpi K --target T`` (``size_staff(kpi=..., target=...)``) sets the headline goal:
K's whole-floor target is T, in place of the default headline ``on_time_rate`` when K is
another KPI; every other target of the scenario still applies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from capsim.analytic import reach
from capsim.analytic.reach import abandonment_floor
from capsim.errors import ArgumentError
from capsim.experiment import StopRule
from capsim.kpis import BY_NAME, SHARE_KPIS, SIZABLE, class_kpi_name, relation
from capsim.metrics import ReplicationSummary
from capsim.results import Criterion, RunResult, meets
from capsim.scenario import Scenario
from capsim.stats import Interval, mean_interval, wilson_interval


@dataclass(frozen=True)
class Goal:
    """One target: ``kpi`` meets ``target`` (at least, or at most if smaller is better).

    ``order_class`` None: the whole floor's KPI; else that class's own.
    """

    kpi: str
    target: float
    order_class: str | None = None

    @property
    def name(self) -> str:
        """``on_time_rate``, or ``on_time_rate__express`` for a class's goal."""
        return self.kpi if self.order_class is None else class_kpi_name(self.kpi, self.order_class)

    def shown(self, value: float) -> str:
        """A value of the KPI as the staffing answer shows it."""
        if math.isnan(value):
            return "-"
        if self.kpi in SHARE_KPIS:
            return f"{100 * value:.2f} %"
        return f"{value:.4g}" + (" h" if self.kpi.endswith("hours") else "")

    @property
    def text(self) -> str:
        """``service_level >= 80.00 %``, ``on_time_rate [express] >= 99.00 %``."""
        where = "" if self.order_class is None else f" [{self.order_class}]"
        return f"{self.kpi}{where} {relation(self.kpi)} {self.shown(self.target)}"

    def of(self, summary: ReplicationSummary) -> float:
        """The goal's KPI in one replication."""
        if self.order_class is None:
            return summary.kpis[self.kpi]
        return summary.by_class[self.order_class][self.kpi]

    def values(self, run: RunResult) -> np.ndarray:
        """The goal's KPI across a run's replications."""
        if self.order_class is None:
            return run.column(self.kpi)
        return run.class_column(self.kpi, self.order_class)

    def interval(self, run: RunResult) -> Interval:
        """The goal's KPI over a run: mean and interval."""
        if self.order_class is None:
            return run.kpis[self.kpi]
        return run.by_class[self.order_class][self.kpi]

    def met(self, values: np.ndarray) -> np.ndarray:
        """Which values meet the target (NaN never does)."""
        return meets(self.kpi, values, self.target)

    def as_dict(self) -> dict[str, object]:
        """As JSON writes it."""
        return {"kpi": self.kpi, "order_class": self.order_class, "target": self.target,
                "relation": relation(self.kpi), "name": self.name}


def check_goal(kpi: str, target: float) -> None:
    """Raise ArgumentError for a target no roster can be sized on."""
    if kpi not in SIZABLE:
        raise ArgumentError(f"cannot size on {kpi!r}; allowed: {', '.join(SIZABLE)}")
    if kpi in SHARE_KPIS and not 0 < target < 1:
        raise ArgumentError(f"target for {kpi} must be in (0, 1), got {target}")
    if kpi not in SHARE_KPIS and not target > 0:
        raise ArgumentError(f"target for {kpi} must be > 0, got {target}")


def scenario_goals(scenario: Scenario, kpi: str = "on_time_rate",
                   target: float | None = None) -> tuple[Goal, ...]:
    """Every goal of the scenario, the headline (``kpi``) first (see the module docstring).

    ``target`` None: the scenario's target on ``kpi``, which it must set.
    """
    if kpi not in SIZABLE:
        raise ArgumentError(f"cannot size on {kpi!r}; allowed: {', '.join(SIZABLE)}")
    whole = scenario.targets.set_targets()
    if target is None:
        if kpi not in whole:
            field = kpi if kpi == "on_time_rate" else f"targets.{_field(kpi)}"
            raise ArgumentError(f"no target on {kpi}: give one (--target) or set {field} in "
                                "the scenario")
        target = whole[kpi]
    check_goal(kpi, target)
    if kpi != "on_time_rate":
        whole.pop("on_time_rate")  # the headline's place
    whole.pop(kpi, None)
    goals = [Goal(kpi, target), *(Goal(k, v) for k, v in whole.items())]
    for name, per in scenario.targets.by_class.items():
        goals += [Goal(k, v, name) for k, v in per.set_targets().items()]
    return tuple(goals)


def _field(kpi: str) -> str:
    return f"{kpi}_max" if BY_NAME[kpi].smaller_is_better else kpi


def joint_met(run: RunResult, goals: Sequence[Goal]) -> np.ndarray:
    """Per replication: whether every goal is met in it."""
    met = np.ones(run.replications, dtype=bool)
    for goal in goals:
        met &= goal.met(goal.values(run))
    return met


def share_meeting_all(run: RunResult, goals: Sequence[Goal]) -> Interval:
    """The share of replications meeting every goal jointly (Wilson interval)."""
    met = joint_met(run, goals)
    return wilson_interval(int(met.sum()), met.size, run.ci_level)


def judge(run: RunResult, criterion: Criterion, goals: Sequence[Goal],
          confidence: float | None) -> bool:
    """The verdict on one evaluated roster: every goal met (see the module docstring)."""
    if criterion == "mean":
        return all(bool(g.met(np.asarray(g.interval(run).mean))) for g in goals)
    assert confidence is not None
    return share_meeting_all(run, goals).ci_low >= confidence


def meets_alone(run: RunResult, criterion: Criterion, goal: Goal,
                confidence: float | None) -> bool:
    """Whether one goal alone is met (its mean, or the share of replications meeting it)."""
    return judge(run, criterion, [goal], confidence)


def needs(evaluations: dict[int, RunResult], criterion: Criterion, goals: Sequence[Goal],
          confidence: float | None) -> dict[Goal, int | None]:
    """For each goal, the smallest evaluated roster meeting it alone (None: none does)."""
    return {g: min((n for n, run in evaluations.items()
                    if meets_alone(run, criterion, g, confidence)), default=None)
            for g in goals}


def binding(evaluations: dict[int, RunResult], criterion: Criterion, goals: Sequence[Goal],
            confidence: float | None) -> Goal | None:
    """The goal that needs the largest roster (an unmet one first); None: nothing evaluated."""
    if not evaluations or not goals:
        return None
    need = needs(evaluations, criterion, goals, confidence)
    return max(goals, key=lambda g: (need[g] is None, need[g] or 0, -goals.index(g)))


def decision_rule(criterion: Criterion, goals: Sequence[Goal], confidence: float | None,
                  level: float) -> StopRule:
    """Enough replications once every goal's verdict is clear of its target.

    Mean: each goal's interval lies on one side of its target (and is reliable); chance:
    the joint share's Wilson interval lies on one side of the confidence.
    """

    def undecided_mean(summaries: list[ReplicationSummary]) -> bool:
        for goal in goals:
            interval = mean_interval(np.array([goal.of(s) for s in summaries], dtype=float),
                                     level)
            if (interval.n < 2 or not interval.reliable
                    or interval.ci_low <= goal.target <= interval.ci_high):
                return True
        return False

    def more(summaries: list[ReplicationSummary]) -> int | None:
        if criterion == "mean":
            undecided = undecided_mean(summaries)
        else:
            met = np.ones(len(summaries), dtype=bool)
            for goal in goals:
                met &= goal.met(np.array([goal.of(s) for s in summaries], dtype=float))
            interval = wilson_interval(int(met.sum()), met.size, level)
            undecided = interval.ci_low < (confidence or 0.0) <= interval.ci_high
        return 2 * len(summaries) if undecided else None

    return StopRule("decided", more)


def bound_notes(run: RunResult, goals: Sequence[Goal]) -> list[str]:
    """A note for each goal whose mean meets its target but whose confidence bound does not."""
    notes = []
    for goal in goals:
        interval = goal.interval(run)
        bound = interval.ci_high if relation(goal.kpi) == "<=" else interval.ci_low
        if not goal.met(np.asarray(bound)):
            notes.append(f"the mean meets {goal.text} but its confidence bound "
                         f"({goal.shown(bound)}) does not: more replications would settle it")
    return notes


def unmet_notes(scenario: Scenario, evaluations: dict[int, RunResult], criterion: Criterion,
                goals: Sequence[Goal], confidence: float | None) -> list[str]:
    """Which targets no evaluated roster meets, the best value reached, the likely cause."""
    need = needs(evaluations, criterion, goals, confidence)
    largest, notes = max(evaluations), []
    for goal in (g for g in goals if need[g] is None):
        means = {n: goal.interval(run).mean for n, run in evaluations.items()}
        finite = {n: v for n, v in means.items() if not math.isnan(v)} or means
        pick = min if relation(goal.kpi) == "<=" else max
        best = pick(finite, key=lambda n: (finite[n], -n))
        value = (f"P(a season has {goal.text}) >= {confidence:g}" if criterion == "chance"
                 else f"mean {goal.text}")
        notes.append(f"no roster up to {largest} meets {value}: the best mean is "
                     f"{goal.shown(means[best])}, at roster {best}")
        if goal.kpi == "on_time_rate" and goal.order_class is None:
            bound = reach(scenario)
            if bound.on_time_rate < goal.target:
                days = ", ".join(bound.worst_days()[:3])
                notes.append(f"likely cause: at most {100 * bound.on_time_rate:.1f} % of orders "
                             "can be on time with any roster, because the rest arrive when no "
                             f"shift runs before their promise runs out (mostly on {days}); add "
                             "a shift then, or lengthen the promise")
        if goal.kpi == "abandonment_rate" and goal.order_class is None:
            floor = abandonment_floor(scenario)
            if floor > goal.target:
                notes.append(f"likely cause: at least {100 * floor:.1f} % of orders abandon with "
                             "any roster, because they arrive when no shift runs and give up "
                             "before the next one starts; add a shift then, or raise the "
                             "target")
    if not notes:
        notes.append(f"each target is met by some roster up to {largest}, but none meets all "
                     "of them at once" + (" in enough seasons" if criterion == "chance" else ""))
    return notes
