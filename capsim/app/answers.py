"""The answers the what-if page shows, computed by the same functions as the CLI.

- :func:`simulate` is :func:`capsim.run` with the scenario's own replications and seed,
  so the page's headline is ``capsim run`` with the same ``--set``, number for number.
  The page keeps one :class:`Session` for the server's life: one
  :class:`~capsim.experiment.Runner`, so the workers a long run starts serve every later
  what-if too, and the draws what-ifs share (:mod:`capsim.reuse`): a what-if on the staff
  side only (the roster, absences, policies, targets) draws no orders again, and one that
  leaves the absence rules alone no attendance (results do not depend on where
  replications ran, nor on what was shared).
- :func:`headline` and :func:`kpi_rows` read the :class:`~capsim.RunResult`.
- :func:`compare` sets a pinned baseline beside the current answer. Both ran on the
  same seed and replication indices, so replication r of each saw the same orders and
  the same attendance (common random numbers): the difference is the change's alone,
  and its interval is the interval of the mean of the paired differences. When the
  seeds or replications differ, the pairing is gone and the interval combines two
  independent ones (Welch), which the page says.
- :func:`size` is :func:`capsim.size_staff`; :func:`downloads` gives the edited
  scenario as TOML, the results as CSV and JSON, and :func:`report_zip` the report.

Nothing here knows of Streamlit.
"""

from __future__ import annotations

import contextlib
import io
import math
import shlex
import tempfile
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from capsim import reuse
from capsim.experiment import Runner, run
from capsim.kpis import KPI_NAMES, KPIS, SMALLER_IS_BETTER
from capsim.metrics import KPI_RANGES
from capsim.output import summary
from capsim.output.common import json_text
from capsim.output.run import replications_csv
from capsim.reporting import report
from capsim.results import RunResult, meets
from capsim.scenario import Scenario, scenario_toml
from capsim.staffing import SizeResult, size_staff
from capsim.stats import Interval, difference_interval

Progress = Callable[[int, int], None]
#: KPIs for which more is better (the rest of those with a better side are smaller-is-better;
#: utilization, counts and on-hand figures have none: the table says higher or lower).
BETTER_HIGHER = frozenset({"on_time_rate", "p_target_met"})
#: KPIs shown as percentages.
SHARES = frozenset({"on_time_rate", "wait_positive_share", "utilization", "p_target_met"})


def cache_key(scenario: Scenario) -> str:
    """What a run depends on: the canonical TOML (seed and replications are in it)."""
    return f"# base_dir {scenario.base_dir}\n{scenario_toml(scenario)}"


def simulate(scenario: Scenario, progress: Progress | None = None,
             runner: Runner | None = None) -> RunResult:
    """``capsim run`` of the scenario: its replications, its seed, engine ``auto``.

    With a ``runner``, on its executor (kept open for the next call); else on a new one.
    """
    if runner is None:
        return run(scenario, progress=progress or "none")
    return runner.run(scenario, progress=progress or "none")


class Session:
    """What the page keeps for the server's life: a Runner and a scope of shared draws.

    The scope (:func:`capsim.reuse.sharing` with ``evict``) keeps each replication's
    orders and attendance draws across what-ifs, within :func:`capsim.reuse.budget`,
    dropping the draws of the least recently used scenario sides when full. Runs take
    turns: a Runner serves one run at a time (two tabs wait for each other).
    """

    def __init__(self) -> None:
        self.runner = Runner()
        self._lock = threading.Lock()
        self._scope = contextlib.ExitStack()
        self._scope.enter_context(reuse.sharing(evict=True))

    def simulate(self, scenario: Scenario, progress: Progress | None = None) -> RunResult:
        """:func:`simulate` on this session's Runner, sharing its draws."""
        with self._lock:
            return simulate(scenario, progress, self.runner)

    def close(self) -> None:
        """End the scope (its draws are dropped) and release the Runner's workers."""
        self._scope.close()
        self.runner.close()


@dataclass(frozen=True)
class Headline:
    """The answer in two numbers: the on-time rate and the share of seasons meeting it."""

    on_time: Interval
    p_target_met: Interval
    target: float
    replications: int
    seed: int
    engine: str
    seconds: float

    @property
    def met(self) -> bool:
        """Whether the mean on-time rate meets the target."""
        return self.on_time.mean >= self.target


def headline(result: RunResult) -> Headline:
    """The headline of a run."""
    return Headline(result.kpis["on_time_rate"], result.p_target_met, result.target,
                    result.replications, result.seed, result.engine, result.elapsed_seconds)


def formatted(kpi: str, value: float) -> str:
    """A KPI's value as the page shows it (percentages for shares)."""
    if math.isnan(value):
        return "-"
    if kpi in SHARES:
        return f"{100 * value:.2f} %"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.3f}"


def kpi_rows(result: RunResult) -> list[dict[str, object]]:
    """One row per KPI: mean and interval (numbers), and how the page writes them."""
    rows = []
    for entry in KPIS:
        if not entry.applies_to(result.scenario):
            continue  # nothing to measure here (no patience, no service-level threshold)
        name, k = entry.name, result.kpis[entry.name]
        rows.append({"kpi": name, "mean": k.mean, "ci_low": k.ci_low, "ci_high": k.ci_high,
                     "shown": formatted(name, k.mean),
                     "interval": f"{formatted(name, k.ci_low)} to {formatted(name, k.ci_high)}"})
    return rows


@dataclass(frozen=True)
class Difference:
    """Current minus baseline for one KPI, with the interval of the difference."""

    kpi: str
    baseline: float
    current: float
    difference: Interval
    paired: bool

    @property
    def clearly(self) -> str:
        """What the interval says: ``higher`` or ``lower`` when it is clear of 0, else ``""``.

        For a KPI with a better side (:data:`BETTER_HIGHER`, and the smaller-is-better
        ones), ``better`` or ``worse`` instead.
        """
        low, high = self.difference.ci_low, self.difference.ci_high
        if not (low > 0 or high < 0):
            return ""
        up = low > 0
        if self.kpi in SMALLER_IS_BETTER:
            return "worse" if up else "better"
        if self.kpi in BETTER_HIGHER:
            return "better" if up else "worse"
        return "higher" if up else "lower"


def paired(baseline: RunResult, current: RunResult) -> bool:
    """Whether replication r of each saw the same draws: same seed, same replications."""
    return (baseline.seed == current.seed
            and [s.replication for s in baseline.summaries]
            == [s.replication for s in current.summaries])


def compare(baseline: RunResult, current: RunResult) -> list[Difference]:
    """Current minus baseline for the share of seasons meeting the target and every KPI."""
    same = paired(baseline, current)
    level = current.ci_level
    target = current.target
    met_a = meets("on_time_rate", baseline.column("on_time_rate"), baseline.target)
    met_b = meets("on_time_rate", current.column("on_time_rate"), target)
    rows = [Difference("p_target_met", baseline.p_target_met.mean, current.p_target_met.mean,
                       difference_interval(met_a.astype(float), met_b.astype(float),
                                           paired=same, level=level, bounds=(0.0, 1.0)),
                       same)]
    for name in KPI_NAMES:
        a, b = baseline.column(name), current.column(name)
        low, high = KPI_RANGES[name]
        bounds = (low, high) if math.isfinite(high) else (-math.inf, math.inf)
        rows.append(Difference(name, baseline.kpis[name].mean, current.kpis[name].mean,
                               difference_interval(a, b, paired=same, level=level,
                                                   bounds=bounds), same))
    return rows


def size(scenario: Scenario, criterion: str = "mean", confidence: float = 0.9,
         progress: Progress | None = None) -> SizeResult:
    """``capsim size`` of the scenario: its target, replications and seed."""
    return size_staff(scenario, criterion=criterion,  # type: ignore[arg-type]
                      confidence=confidence, progress=progress or "none")


def size_rows(result: SizeResult) -> list[dict[str, object]]:
    """The staffing curve: one row per roster evaluated, smallest first."""
    rows = []
    for roster in sorted(result.evaluations):
        evaluation = result.evaluations[roster]
        on_time, met = evaluation.kpis["on_time_rate"], result.p_met(roster)
        rows.append({"roster": roster, "on_time_rate": formatted("on_time_rate", on_time.mean),
                     "interval": f"{formatted('on_time_rate', on_time.ci_low)} to "
                     f"{formatted('on_time_rate', on_time.ci_high)}",
                     "seasons meeting the target": formatted("p_target_met", met.mean),
                     "meets": "yes" if result.verdict(roster) else "no",
                     "recommended": "<-" if roster == result.recommended else ""})
    return rows


def binding_text(result: SizeResult) -> str | None:
    """Which target sets the roster, with several targets (None with one)."""
    bind = result.binding
    if len(result.goals) < 2 or bind is None:
        return None
    need = result.needs()
    each = ", ".join(f"{g.text}: {'none' if need[g] is None else need[g]}"
                     for g in result.goals)
    verb = "is not met" if need[bind] is None else "sets the roster"
    return (f"The target {bind.text} {verb} (smallest evaluated roster meeting each target "
            f"alone: {each}).")


def scenario_file(scenario: Scenario, source: str, overrides: Sequence[str]) -> str:
    """The edited scenario as a TOML file that ``capsim run`` loads as it is."""
    lines = [f"{scenario.name}: written by capsim app from {source}"]
    lines += [f"  --set {text}" for text in overrides] or ["  (unchanged)"]
    return scenario_toml(scenario, header="\n".join(lines))


def file_name(scenario: Scenario) -> str:
    """The name of the edited scenario's file: its name, lower case, dashes for the rest."""
    stem = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-")
    return f"{stem or 'scenario'}.toml"


def downloads(result: RunResult, source: str, overrides: Sequence[str]) -> dict[str, str]:
    """The files the page offers: the scenario (TOML), the replications (CSV), the summary."""
    return {file_name(result.scenario): scenario_file(result.scenario, source, overrides),
            "replications.csv": replications_csv(result),
            "summary.json": json_text(summary(result))}


def report_zip(scenario: Scenario, progress: Progress | None = None) -> bytes:
    """The ``capsim report`` folder of the scenario, as a zip archive.

    The command it records runs the downloaded scenario file (:func:`file_name`).
    """
    with tempfile.TemporaryDirectory(prefix="capsim-app-") as work:
        folder = Path(work) / "report"
        report(scenario, folder, progress=progress or "none",
               command=["capsim", "report", file_name(scenario), "--out", "report"])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, Path("report") / path.relative_to(folder))
        return buffer.getvalue()


def equivalent_command(source_path: Path | None, source: str, overrides: Sequence[str],
                       folder: Path) -> str:
    """The ``capsim run`` command line that gives the page's numbers."""
    if source_path is None:
        where = "EDITED.toml  # the downloaded scenario"
        return f"capsim run {where}"
    if source.startswith("example "):
        name = source.removeprefix("example ")
        head = f"capsim example {name} > {name}.toml && capsim run {name}.toml"
    else:
        try:
            shown = source_path.resolve().relative_to(folder.resolve())
        except ValueError:
            shown = source_path
        head = f"capsim run {shown}"
    return " ".join([head, *(f"--set {shlex.quote(text)}" for text in overrides)])
