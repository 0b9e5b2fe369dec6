"""The staffing report a planner hands to management: ``capsim report`` and :func:`report`.

A report is a folder::

    index.html          one self-contained page (figures embedded, no network needed)
    report.md           the same for a code-hosting site, figures as files
    figures/*.png|svg   every figure
    data/               the numbers behind them (see capsim.reporting.bundle)
    scenario.toml       the scenario as simulated, every default written out
    inputs/             copies of the data files the scenario names, if any
    command.txt         the command that rebuilds the report from this folder

The staffing search (plus the rule of thumb's roster, for comparison) and the
scenario's stress tests run first, at the recommended roster; or their results are
taken from a folder written earlier (``from_dir``). The data are written, read back,
and everything shown is made from what was read. The folder is assembled under a
temporary name beside ``out`` and renamed into place at the end: an interrupted or
failed report leaves nothing half-written, and a previous report at ``out`` is
replaced whole.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capsim.analytic import rough_cut
from capsim.errors import CapsimError
from capsim.output.common import atomic_write
from capsim.output.stress import write_stress
from capsim.reporting import bundle as data
from capsim.reporting.blocks import Paragraph, plain
from capsim.reporting.figures import draw_all
from capsim.reporting.render import to_html, to_markdown
from capsim.reporting.sections import document, reproduce_command, title
from capsim.reporting.summary import executive_summary
from capsim.scenario import (
    Scenario,
    data_files,
    scenario_dict,
    scenario_toml,
    with_overrides,
)
from capsim.staffing import size_staff
from capsim.stress import stress_test

MARKERS = ("index.html", "report.md", "data")


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


def _workspace(out: Path) -> Path:
    """Check ``out`` and make the temporary folder beside it (before any simulation)."""
    if out.exists() and not out.is_dir():
        raise CapsimError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not all((out / m).exists() for m in MARKERS):
        raise CapsimError(f"--out {out}: a directory that is not empty and holds no capsim "
                          "report; give a new or empty directory (capsim replaces only its "
                          "own reports)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise CapsimError(f"--out {out}: cannot write there ({exc.strerror})") from None


def _install(work: Path, out: Path) -> None:
    """Move the finished folder into place, replacing a previous report whole."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        out.rename(old / "report")
    work.rename(out)
    if old is not None:
        shutil.rmtree(old)


def _check_reuse(scenario: Scenario, summary: dict[str, Any], source: Path,
                 asked: dict[str, Any]) -> None:
    """Refuse results made from another scenario or with other settings."""
    ours = scenario_dict(with_overrides(scenario,
                                        [f"targets.on_time_rate={summary['target']}"]))
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


def _copy_data(source: Path, target: Path) -> None:
    target.mkdir()
    for name in (*data.REQUIRED, *data.DETAILS):
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)
    if (source / data.STRESS / "summary.json").is_file():
        shutil.copytree(source / data.STRESS, target / data.STRESS)


def _data_files(scenario: Scenario, work: Path) -> dict[str, str]:
    """Copy the data files the scenario names into ``inputs/``; their new paths."""
    named = data_files(scenario)
    files = {}
    base = scenario.base_dir or Path.cwd()
    for i, name in enumerate(named):
        copy = f"inputs/{i}-{Path(name).name}" if len(named) > 1 else f"inputs/{Path(name).name}"
        (work / "inputs").mkdir(exist_ok=True)
        shutil.copy2(base / name, work / copy)
        files[name] = copy
    return files


def report(scenario: Scenario, out: str | Path, *, from_dir: str | Path | None = None,
           target: float | None = None, criterion: str | None = None,
           confidence: float | None = None, replications: int | None = None,
           max_replications: int | None = None, seed: int | None = None,
           maximum: int | None = None, workers: int | None = None, engine: str = "auto",
           executor: str = "processes", scheduler: str | None = None, ci_level: float = 0.95,
           progress: Any = None, command: list[str] | None = None) -> ReportResult:
    """Write the staffing report of a scenario into the folder ``out``.

    Parameters
    ----------
    scenario : Scenario
        The operation (its ``[[stress]]`` events are the stress tests).
    out : path
        The report folder: new, empty, or a previous report (replaced).
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
    command : list of str, optional
        The command line to record (default: the equivalent ``capsim report`` call).

    Returns
    -------
    ReportResult
        ``partial`` when Ctrl-C stopped the simulation: the report shows what completed.
    """
    out = Path(out)
    work = _workspace(out)
    options = {"workers": workers, "engine": engine, "executor": executor,
               "scheduler": scheduler, "ci_level": ci_level, "progress": progress}
    folder = work / "data"
    try:
        if from_dir is not None:
            source = data.find_data(Path(from_dir))
            summary = data.read_json(source / "summary.json")
            if maximum is not None:
                raise CapsimError("--max applies to a new search; drop it with --from")
            _check_reuse(scenario, summary, Path(from_dir), {
                "target": target, "criterion": criterion,
                "confidence": confidence if summary.get("criterion") == "chance" else None,
                "seed": seed, "replications": replications,
                "max_replications": max_replications})
            _copy_data(source, folder)
            _expected_on_hand(scenario, folder)
        else:
            size = size_staff(scenario, target, criterion=criterion or "mean",
                              confidence=0.9 if confidence is None else confidence,
                              replications=replications, max_replications=max_replications,
                              seed=seed, maximum=maximum,
                              also=[rough_cut(scenario).rule_of_thumb], **options)
            argv = command or ["capsim", "report", str(scenario.source), "--out", str(out)]
            data.write_data(folder, size, argv)
            summary = data.read_json(folder / "summary.json")
        partial = bool(summary["partial"]) or _stress(scenario, summary, folder, options)
        return _render(scenario, folder, work, out, partial)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _expected_on_hand(scenario: Scenario, folder: Path) -> None:
    """Results from capsim size --out lack the analytic on-hand expectation: add it."""
    if (folder / "daily.csv").is_file() and not (folder / "on_hand_expected.csv").is_file():
        scheduled = data.read_table(folder / "daily.csv")["scheduled_mean"]
        atomic_write(folder / "on_hand_expected.csv",
                     data.expected_on_hand_csv(scenario, scheduled))


def _stress(scenario: Scenario, summary: dict[str, Any], folder: Path,
            options: dict[str, Any]) -> bool:
    """Run the stress tests at the recommended roster unless done; True if interrupted."""
    roster = summary["recommended"]
    if (not scenario.stress or roster is None or summary["partial"]
            or (folder / data.STRESS / "summary.json").is_file()):
        return False
    at = with_overrides(scenario, [f"workforce.roster={roster}"])
    result = stress_test(at, replications=summary["replications"], seed=summary["seed"],
                         **options)
    write_stress(result, folder / data.STRESS, summary.get("command", []))
    return result.partial


def _wrap(words: str) -> str:
    """Wrap at 88 columns, never between a number and its unit."""
    return textwrap.fill(words.replace(" %", "\u00a0%").replace(" h ", "\u00a0h "),
                         88).replace("\u00a0", " ")


def _render(scenario: Scenario, folder: Path, work: Path, out: Path,
            partial: bool) -> ReportResult:
    b = data.load_bundle(folder, scenario)
    drawn = {d.name: d for d in draw_all(b, work / "figures")}
    blocks = document(b)
    s = b.summary
    subtitle = (f"{scenario.description + ' · ' if scenario.description else ''}"
                f"target {s['target'] * 100:g} % on time · seed {s['seed']} · "
                f"capsim {s['capsim_version']}" + (" · PARTIAL RESULTS" if partial else ""))
    files = _data_files(scenario, work)
    header = (f"{scenario.name}: the scenario as simulated for this report, every default "
              "written out.\nRebuild the report: " + shlex.join(reproduce_command(s)))
    texts = {"index.html": to_html(title(b), subtitle, blocks, drawn),
             "report.md": to_markdown(title(b), subtitle, blocks, drawn),
             "scenario.toml": scenario_toml(scenario, header, files),
             "command.txt": shlex.join(reproduce_command(s)) + "\n"}
    for name, content in texts.items():
        atomic_write(work / name, content)
    _install(work, out)
    words = "\n\n".join(_wrap(plain(block.parts)) for block in executive_summary(b)
                         if isinstance(block, Paragraph))
    return ReportResult(out, s["recommended"], partial, f"{title(b)}\n\n{words}")
