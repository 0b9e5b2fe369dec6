"""The staffing report a planner hands to management: ``capsim report`` and :func:`report`.

A report is a folder::

    index.html          one self-contained page (figures embedded, no network needed)
    report.md           the same for a code-hosting site, figures as files
    figures/*.png|svg   every figure
    data/               the numbers behind them (see capsim.reporting.bundle)
    scenario.toml       the scenario as simulated, every default written out
    inputs/             copies of the data files the scenario names, if any
    command.txt         the command that rebuilds the report from this folder
    .capsim-output      capsim's marker: the folder is capsim's, and what it wrote

The staffing search (plus the rule of thumb's roster, for comparison) and the
scenario's stress tests run first, at the recommended roster, then, when asked
(``schedule``, ``capsim report --schedule``), the shift schedule search
(:func:`capsim.schedule.schedule`, on the same seeds and replications); or their
results are taken from a folder written earlier (``from_dir``). The data are written, read back,
and everything shown is made from what was read. The folder is built beside ``out``
and swapped in whole at the end (:mod:`capsim.output.folder`): a failed report
leaves nothing half-written, and ``out`` is replaced only if capsim wrote it.

Ctrl-C during the search gives a report of the rosters evaluated. After the search,
it stops what is computing (the stress tests keep the events that completed; the
figures not yet drawn are left out) and the report of what completed is written,
marked partial. A Ctrl-C while files are written lets the writing finish; a second
one abandons the report (``out`` is then left as it was).
"""

from __future__ import annotations

import shlex
import shutil
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from capsim import interrupts, reuse
from capsim.analytic import rough_cut
from capsim.errors import ArgumentError, CapsimError
from capsim.options import RunOptions, resolve_options
from capsim.output.folder import Workspace, finish_despite_ctrl_c
from capsim.output.schedule import SCHEDULE_FILES, schedule_files
from capsim.output.stress import stress_files
from capsim.placement import one_pool
from capsim.reporting import bundle as data
from capsim.reporting.blocks import Paragraph, plain
from capsim.reporting.figures import Drawn, available, draw
from capsim.reporting.render import to_html, to_markdown
from capsim.reporting.sections import document, reproduce_command, title
from capsim.reporting.summary import executive_summary
from capsim.results import Criterion, RunResult
from capsim.scenario import (
    Scenario,
    data_files,
    scenario_dict,
    scenario_toml,
)
from capsim.schedule import schedule as schedule_search
from capsim.schedule import warm_start
from capsim.staffing import SizeResult, size_staff
from capsim.stress import StressReport, stress_test


@dataclass(frozen=True)
class ReportResult:
    """Where the report went and what it says."""

    path: Path
    recommended: int | None
    partial: bool
    summary: str  #: the executive summary as plain text, wrapped at 88 columns

    @property
    def index(self) -> Path:
        """The HTML page."""
        return self.path / "index.html"


def _check_reuse(scenario: Scenario, summary: dict[str, Any], source: Path,
                 asked: dict[str, Any]) -> None:
    """Refuse results made from another scenario or with other settings."""
    ours = scenario_dict(scenario.replace("targets.on_time_rate", summary["target"]))
    theirs = summary.get("resolved_scenario")
    if theirs != ours:
        fields = sorted(k for k in {*ours, *(theirs or {})}
                        if (theirs or {}).get(k) != ours.get(k))
        raise CapsimError(f"--from {source}: those results were made from a different "
                          f"scenario (differing: {', '.join(fields)}); run without --from")
    for key, value in asked.items():
        if value is not None and value != summary.get(key):
            raise CapsimError(f"--from {source}: those results have {key} = "
                              f"{summary.get(key)!r}, not {value!r}; drop --{key.replace('_', '-')}"
                              " or run without --from")
    if summary.get("kpi", "on_time_rate") != "on_time_rate":
        raise CapsimError(f"--from {source}: a report needs a search on on_time_rate, "
                          f"not {summary['kpi']}")


def _copy_data(scenario: Scenario, source: Path, work: Workspace) -> None:
    """Copy results written earlier into the data folder (files that follow the umask)."""
    names = [*data.REQUIRED, *data.DETAILS]
    if (source / data.STRESS / "summary.json").is_file():
        names += [f"{data.STRESS}/{name}" for name in data.STRESS_FILES]
    if (source / data.SCHEDULE / "summary.json").is_file():
        names += [f"{data.SCHEDULE}/{name}" for name in SCHEDULE_FILES]
    for name in names:
        if (source / name).is_file():
            (work.path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, work.path / "data" / name)
    _expected_on_hand(scenario, work)


def _inputs(scenario: Scenario) -> dict[str, str]:
    """Where the copies of the data files the scenario names go in the report."""
    named = data_files(scenario)
    return {name: f"inputs/{i}-{Path(name).name}" if len(named) > 1 else
            f"inputs/{Path(name).name}" for i, name in enumerate(named)}


def _copy_inputs(scenario: Scenario, copies: dict[str, str], work: Workspace) -> None:
    base = scenario.base_dir or Path.cwd()
    for name, copy in copies.items():
        (work.path / copy).parent.mkdir(exist_ok=True)
        shutil.copyfile(base / name, work.path / copy)


def report(scenario: Scenario, out: str | Path, *, from_dir: str | Path | None = None,
           target: float | None = None, criterion: str | None = None,
           confidence: float | None = None, replications: int | None = None,
           max_replications: int | None = None, seed: int | None = None,
           maximum: int | None = None, workers: int | None = None, engine: str | None = None,
           executor: str | None = None, scheduler: str | None = None,
           ci_level: float | None = None, progress: Any = None,
           command: list[str] | None = None, size: SizeResult | None = None,
           stress: StressReport | None = None, options: RunOptions | None = None,
           schedule: bool = False) -> ReportResult:
    """Write the staffing report of a scenario into the folder ``out``.

    Parameters
    ----------
    scenario : Scenario
        The operation (its ``[[stress]]`` events are the stress tests).
    out : path
        The report folder: new, empty, or one capsim wrote (replaced whole).
    from_dir : path, optional
        Reuse results written earlier: a report's folder or what ``capsim size --out``
        wrote (stress tests from its ``stress/`` if there, else run). They must come
        from the same scenario and settings.
    target, criterion, confidence, replications, max_replications, seed, maximum
        The staffing search (see :func:`capsim.size_staff`); criterion ``mean`` by
        default. With ``from_dir``, each one given must match the results (``maximum``,
        which they do not record, cannot be given).
    workers, engine, executor, scheduler, ci_level, progress
        How to simulate (see :func:`capsim.run`).
    options : RunOptions, optional
        These settings (and ``replications``, ``seed``, ``max_replications``) as one
        object (:mod:`capsim.options`); a keyword given, not None, wins over it.
    command : list of str, optional
        The command line to record (default: the equivalent ``capsim report`` call).
    size, stress : SizeResult, StressReport, optional
        Results in hand (fresh, or read back with :func:`capsim.load_result`): the report
        is made from them instead of a new search (and new stress tests at the
        recommended roster). A loaded result gives the same report, byte for byte.
    schedule : bool
        Also search the cheapest mix of the scenario's shift patterns meeting every
        target (:func:`capsim.schedule.schedule`, the search's criterion, seed and
        replications) and show it; results from ``from_dir`` that hold one show it too.

    Returns
    -------
    ReportResult
        ``partial`` when Ctrl-C stopped the search, the stress tests or the figures:
        the report shows what completed (see the module docstring).

    Raises
    ------
    CapsimError
        If ``out`` is a file, a folder capsim did not write (or holding files it did
        not write), or not writable; or ``schedule`` is asked of an always-on workforce
        or of patterns leaving an hour with demand uncovered: checked before anything
        runs.
    KeyboardInterrupt
        After the report was written whole, if Ctrl-C came while it was written.
    """
    out = Path(out)
    o = resolve_options(options, replications=replications, seed=seed, workers=workers,
                        engine=engine, executor=executor, scheduler=scheduler,
                        ci_level=ci_level, progress=progress, max_replications=max_replications)
    if size is not None and from_dir is not None:
        raise CapsimError("give the results in hand (size=) or a folder (from_dir=), not both")
    for given in (size, stress):  # stress tests run at the recommended roster
        if given is not None and scenario_dict(given.scenario) != scenario_dict(
                scenario.with_roster(given.scenario.workforce.roster)):
            raise CapsimError(f"{type(given).__name__} of another scenario "
                              f"({given.scenario.source}) given for {scenario.source}")
    evaluated: RunResult | None = None
    if schedule:
        _check_schedule(scenario)
    # one worker pool for the search, the stress tests and the schedule search, which
    # also share their orders (capsim.reuse); a bad --out is refused before any simulation
    with one_pool(), reuse.sharing(), Workspace(out, "report") as work:
        if from_dir is not None:
            source = data.find_data(Path(from_dir))
            summary = data.read_json(source / "summary.json")
            if maximum is not None:
                raise CapsimError("--max applies to a new search; drop it with --from")
            _check_reuse(scenario, summary, Path(from_dir), {
                "target": target, "criterion": criterion,
                "confidence": confidence if summary.get("criterion") == "chance" else None,
                "seed": o.seed, "replications": o.replications,
                "max_replications": o.max_replications})
            _, stopped = finish_despite_ctrl_c(lambda: _copy_data(scenario, source, work))
        else:
            if size is None:
                size = size_staff(scenario, target, criterion=_criterion(criterion),
                                  confidence=0.9 if confidence is None else confidence,
                                  maximum=maximum, also=[rough_cut(scenario).rule_of_thumb],
                                  options=o)
            found = size
            if found.recommended is not None:  # the stress baseline, already run
                evaluated = found.evaluations.get(found.recommended)
            argv = command or ["capsim", "report", str(scenario.source), "--out", str(out)]
            _, stopped = finish_despite_ctrl_c(
                lambda: work.write(data.size_data(found, argv), "data"))
            summary = data.read_json(work.path / "data" / "summary.json")
            if stress is not None:
                given = stress
                _, again = finish_despite_ctrl_c(lambda: work.write(
                    stress_files(given, summary.get("command", [])), f"data/{data.STRESS}"))
                stopped = stopped or again
        # under the CLI a signal after the search is only recorded (capsim.interrupts):
        # what is in hand finishes, and nothing new starts
        stopped = stopped or interrupts.requested() is not None
        missing: list[str] = []
        if _needs_stress(scenario, summary, work.path / "data"):
            written, stopped = ((False, True) if stopped else
                                _stress(scenario, summary, work, o, evaluated))
            if not written:
                missing.append("the stress tests")
        if schedule and not _schedule_done(work.path / "data"):
            written, stopped = ((False, True) if stopped else
                                _schedule(scenario, summary, work, o))
            if not written:
                missing.append("the shift schedule")
        result, interrupted = _render(scenario, work, out, stopped, missing)
        work.commit()
    if interrupted:  # while the last files were written: they were, and the report is whole
        raise KeyboardInterrupt
    return result


def _criterion(criterion: str | None) -> Criterion:
    """The search's criterion (``mean`` by default); anything else is refused."""
    if criterion not in (None, "mean", "chance"):
        raise ArgumentError(f"unknown criterion {criterion!r}; allowed: mean, chance")
    return "chance" if criterion == "chance" else "mean"


def _expected_on_hand(scenario: Scenario, work: Workspace) -> None:
    """Results from capsim size --out lack the analytic on-hand expectation: add it."""
    folder = work.path / "data"
    if (folder / "daily.csv").is_file() and not (folder / "on_hand_expected.csv").is_file():
        scheduled = data.read_table(folder / "daily.csv")["scheduled_mean"]
        work.write({"on_hand_expected.csv": data.expected_on_hand_csv(scenario, scheduled)},
                   "data")


def _stress_partial(folder: Path) -> bool:
    path = folder / data.STRESS / "summary.json"
    return path.is_file() and bool(data.read_json(path).get("partial"))


def _needs_stress(scenario: Scenario, summary: dict[str, Any], folder: Path) -> bool:
    """Stress tests to run: the scenario has some, a roster was recommended, none done."""
    done = (folder / data.STRESS / "summary.json").is_file() and not _stress_partial(folder)
    return (bool(scenario.stress) and summary["recommended"] is not None
            and not summary["partial"] and not done)


def _stress(scenario: Scenario, summary: dict[str, Any], work: Workspace,
            options: RunOptions, evaluated: RunResult | None = None) -> tuple[bool, bool]:
    """Run the stress tests at the recommended roster and write them.

    ``evaluated`` is the search's run of that roster: the baseline, when it matches
    (:func:`capsim.stress.stress_test`), so that it is not simulated twice. The tests
    run on the search's scenario (its target, which ``--target`` may have changed), so
    that the search's run matches.

    Returns whether they were written and whether Ctrl-C came. A Ctrl-C inside the
    runs leaves the events that completed, written and marked partial; one that escapes
    ``stress_test`` (while its workers start, say) leaves nothing to write.
    """
    at = scenario.replace("targets.on_time_rate", summary["target"]).with_roster(
        summary["recommended"])
    try:
        result: StressReport = stress_test(at, replications=summary["replications"],
                                           seed=summary["seed"], options=options,
                                           baseline=evaluated)
    except KeyboardInterrupt:
        return False, True
    _, again = finish_despite_ctrl_c(lambda: work.write(
        stress_files(result, summary.get("command", [])), f"data/{data.STRESS}"))
    return True, again or result.partial or interrupts.requested() is not None


def _check_schedule(scenario: Scenario) -> None:
    """Refuse a schedule search that cannot run, before the staffing search does."""
    if scenario.workforce.always_on:
        raise ArgumentError(f"{scenario.source}: --schedule chooses counts per shift "
                            "pattern; this scenario's workforce is always_on")
    warm_start(scenario)  # an hour with demand no pattern covers: ScenarioError


def _schedule_done(folder: Path) -> bool:
    path = folder / data.SCHEDULE / "summary.json"
    return path.is_file() and not data.read_json(path).get("partial")


def _schedule(scenario: Scenario, summary: dict[str, Any], work: Workspace,
              options: RunOptions) -> tuple[bool, bool]:
    """Search the shift schedule and write it; whether written, and whether Ctrl-C came."""
    confidence = summary.get("confidence")
    try:
        result = schedule_search(  # on the target the staffing search used
            scenario.replace("targets.on_time_rate", summary["target"]),
            criterion=_criterion(summary["criterion"]),
            confidence=0.9 if confidence is None else confidence,
            replications=summary["replications"], seed=summary["seed"],
            workers=options.workers, engine=options.engine, progress=options.progress)
    except KeyboardInterrupt:
        return False, True
    _, again = finish_despite_ctrl_c(lambda: work.write(
        schedule_files(result, summary.get("command", [])), f"data/{data.SCHEDULE}"))
    return True, again or result.partial or interrupts.requested() is not None


def _wrap(words: str) -> str:
    """Wrap at 88 columns, never between a number and its unit."""
    return textwrap.fill(words.replace(" %", "\u00a0%").replace(" h ", "\u00a0h "),
                         88).replace("\u00a0", " ")


def _draw(b: data.Bundle, stopped: bool) -> dict[str, Drawn]:
    """The figures, one by one; none after a Ctrl-C (those drawn are kept)."""
    drawn: dict[str, Drawn] = {}
    if not stopped:
        try:
            for name in available(b):
                drawn[name] = draw(b, name)
        except KeyboardInterrupt:
            pass
    return drawn


def _render(scenario: Scenario, work: Workspace, out: Path, stopped: bool,
            missing: list[str]) -> tuple[ReportResult, bool]:
    """Draw, render and write the pages; the result, and whether Ctrl-C came while writing."""
    b = data.load_bundle(work.path / "data", scenario)
    drawn = _draw(b, stopped)
    not_drawn = frozenset(available(b)) - set(drawn)
    b = replace(b, missing=(*missing, *(["the figures"] if not_drawn else [])))
    blocks = document(b)
    s = b.summary
    subtitle = (f"{scenario.description + ' · ' if scenario.description else ''}"
                f"target {s['target'] * 100:g} % on time · seed {s['seed']} · "
                f"capsim {s['capsim_version']}" + (" · PARTIAL RESULTS" if b.partial else ""))
    copies = _inputs(scenario)
    again = shlex.join(reproduce_command(s, schedule=b.schedule is not None))
    header = (f"{scenario.name}: the scenario as simulated for this report, every default "
              "written out.\nRebuild the report: " + again)

    def write() -> None:
        files: dict[str, str | bytes] = {
            "index.html": to_html(title(b), subtitle, blocks, drawn, not_drawn),
            "report.md": to_markdown(title(b), subtitle, blocks, drawn, not_drawn),
            "scenario.toml": scenario_toml(scenario, header, copies),
            "command.txt": again + "\n"}
        for d in drawn.values():
            files |= {f"figures/{d.name}.png": d.png, f"figures/{d.name}.svg": d.svg}
        work.write(files)
        _copy_inputs(scenario, copies, work)

    _, interrupted = finish_despite_ctrl_c(write)
    words = "\n\n".join(_wrap(plain(block.parts)) for block in executive_summary(b)
                         if isinstance(block, Paragraph))
    result = ReportResult(out, s["recommended"], b.partial, f"{title(b)}\n\n{words}")
    return result, interrupted
