"""``result.plot``: the report's figures drawn from a result in memory, as matplotlib Axes.

Each method draws with the very function the report uses
(:mod:`capsim.reporting.figures`), from the same data the report would write
(:func:`~capsim.reporting.bundle.bundle_of`), in the report's style, and returns the
figure's (first) Axes; ``ax.figure`` is the whole figure (in Jupyter, end a cell with
it to show it inline).

- ``size.plot``: ``curve()`` (on time by roster), ``chance()`` (share of seasons
  meeting the target), ``utilization()`` (utilization and overtime, two Axes), and, for
  the recommended roster (else the largest evaluated), ``in_house()``, ``on_hand()``,
  ``lead_time()``; ``stress(report)`` draws a stress report's events beside them.
- ``run.plot``: ``in_house()``, ``on_hand()``, ``lead_time()`` of that run;
- ``stress.plot``: ``events()``, the stress tests against their baseline.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from capsim.analytic import rough_cut
from capsim.reporting import figures
from capsim.reporting.bundle import Bundle, bundle_of
from capsim.results import RunResult
from capsim.staffing import SizeResult
from capsim.stress import StressReport

Draw = Callable[[Bundle], tuple[Figure, str]]


def _axes(draw: Draw, bundle: Bundle) -> Axes:
    with mpl.rc_context(figures.STYLE):
        figure, _ = draw(bundle)
    first: Axes = figure.axes[0]
    return first


class SizePlots:
    """The figures of a staffing search (``size.plot``)."""

    def __init__(self, result: SizeResult):
        self.result = result
        self._bundle: Bundle | None = None

    @property
    def bundle(self) -> Bundle:
        """What the figures are drawn from (made once)."""
        if self._bundle is None:
            self._bundle = bundle_of(self.result)
        return self._bundle

    def curve(self) -> Axes:
        """On-time delivery by roster with its intervals and the target (report §2)."""
        return _axes(figures.on_time_by_roster, self.bundle)

    def chance(self) -> Axes:
        """Share of seasons meeting the target by roster, Wilson intervals (report §3)."""
        return _axes(figures.target_chance_by_roster, self.bundle)

    def in_house(self) -> Axes:
        """Orders in-house over the season: median and 10–90 % band (report §4)."""
        return _axes(figures.orders_in_house, self.bundle)

    def on_hand(self) -> Axes:
        """Technicians on hand per day against the analytic expectation (report §5)."""
        return _axes(figures.on_hand_by_day, self.bundle)

    def lead_time(self) -> Axes:
        """The lead-time distribution against the promise (report §6)."""
        return _axes(figures.lead_time_cdf, self.bundle)

    def utilization(self) -> Axes:
        """Utilization (these Axes) and overtime (``ax.figure.axes[1]``) by roster (§7)."""
        return _axes(figures.utilization_and_overtime, self.bundle)

    def stress(self, report: StressReport) -> Axes:
        """The stress tests: on time during each event, and backlog recovery (report §8)."""
        return _axes(figures.stress_tests, bundle_of(self.result, report))


def _alone(result: RunResult) -> SizeResult:
    """One run as a search that evaluated its roster only (what the figures read)."""
    scenario = result.scenario
    return SizeResult(
        scenario=scenario, criterion="mean", kpi="on_time_rate", target=result.target,
        confidence=None, seed=result.seed, replications=result.replications,
        max_replications=None, rough_cut=rough_cut(scenario),
        evaluations={scenario.workforce.roster: result}, recommended=None,
        partial=result.partial)


class RunPlots:
    """The figures of one run (``run.plot``): the report's, for its roster."""

    def __init__(self, result: RunResult):
        self._size = SizePlots(_alone(result))

    def in_house(self) -> Axes:
        """Orders in-house over the season: median and 10–90 % band."""
        return self._size.in_house()

    def on_hand(self) -> Axes:
        """Technicians on hand per day against the analytic expectation."""
        return self._size.on_hand()

    def lead_time(self) -> Axes:
        """The lead-time distribution against the promise."""
        return self._size.lead_time()


class StressPlots:
    """The figure of stress tests (``stress.plot``): the report's section 8."""

    def __init__(self, result: StressReport):
        self.result = result

    def events(self) -> Axes:
        """On time during each event with and without it (these Axes), and recovery."""
        return SizePlots(_alone(self.result.baseline)).stress(self.result)
