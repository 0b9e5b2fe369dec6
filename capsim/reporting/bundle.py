"""The data behind a report: written once as files, then read back for every number.

A report's ``data/`` folder holds what ``capsim size --out`` writes (``summary.json``,
``curve.csv``, and the recommended roster's ``timeseries.csv``, ``daily.csv`` and
``lead_time.csv``; how long the search took in ``timing.json``),
``on_hand_expected.csv`` (the analytic expectation of technicians on hand per day),
and, when the scenario has stress events, ``stress/`` with what ``capsim stress
--out`` writes (``summary.json``, ``stress.csv``, ``timing.json``), and, when the
report was asked for the shift schedule (``capsim report --schedule``), ``schedule/``
with what ``capsim schedule --out`` writes (:mod:`capsim.output.schedule`). Figures, tables
and sentences are made from a :class:`Bundle` read from those files only, so every
number a report shows can be found in its data.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from capsim.analytic.rough_cut import presence_on
from capsim.errors import CapsimError
from capsim.output.common import TIMING, csv_text
from capsim.output.staffing import detail_roster, size_files
from capsim.output.stress import stress_files
from capsim.scenario import Scenario
from capsim.staffing import SizeResult
from capsim.stress import StressReport

#: Files every data folder has (the detail files exist when a roster was evaluated).
REQUIRED = ("summary.json", "curve.csv")
DETAILS = ("timeseries.csv", "daily.csv", "lead_time.csv", "on_hand_expected.csv", TIMING)
STRESS = "stress"
STRESS_FILES = ("summary.json", "stress.csv", TIMING)
SCHEDULE = "schedule"


class Table:
    """A CSV file as columns: numbers as float arrays (empty cells NaN), else text."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[str]], source: str):
        self.source = source
        self.columns: dict[str, np.ndarray] = {}
        for i, name in enumerate(header):
            cells = [row[i] for row in rows]
            try:
                self.columns[name] = np.array([float(c) if c != "" else math.nan
                                               for c in cells])
            except ValueError:
                self.columns[name] = np.array(cells, dtype=object)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.columns:
            raise CapsimError(f"{self.source}: no column {name!r}")
        return self.columns[name]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), ()))

    def row(self, column: str, value: float) -> dict[str, Any] | None:
        """The first row whose ``column`` equals ``value`` (None if there is none)."""
        where = np.flatnonzero(self[column] == value)
        if where.size == 0:
            return None
        return {name: values[where[0]] for name, values in self.columns.items()}


def read_table(path: Path) -> Table:
    """Read a CSV file written by capsim."""
    with path.open(newline="", encoding="utf-8") as handle:
        return parse_table(handle.read(), str(path))


def parse_table(content: str, source: str) -> Table:
    """A CSV text written by capsim as a :class:`Table` (``source`` names it in errors)."""
    rows = list(csv.reader(io.StringIO(content, newline="")))
    if not rows:
        raise CapsimError(f"{source}: empty file, expected a header row")
    return Table(rows[0], rows[1:], source)


@dataclass(frozen=True, eq=False)
class Bundle:
    """Everything a report shows, as read from its data folder."""

    directory: Path
    scenario: Scenario
    summary: dict[str, Any]
    curve: Table
    timeseries: Table | None
    daily: Table | None
    lead_time: Table | None
    expected: Table | None
    stress: dict[str, Any] | None
    stress_table: Table | None
    #: What a Ctrl-C after the search left undone ("the stress tests", "the figures").
    missing: tuple[str, ...] = field(default=())
    #: The shift schedule's summary.json and tables (``schedule/``), when one was made.
    schedule: dict[str, Any] | None = None
    candidates: Table | None = None
    staff_by_hour: Table | None = None

    @property
    def partial(self) -> bool:
        """Whether anything was cut short: the search, the stress tests, or what follows."""
        return (bool(self.summary.get("partial")) or bool(self.missing)
                or bool(self.stress is not None and self.stress.get("partial"))
                or bool(self.schedule is not None and self.schedule.get("partial")))

    @property
    def roster(self) -> int | None:
        """The roster the series and distributions describe (the recommended one)."""
        return self.summary.get("detail_roster")

    @property
    def ci_level(self) -> float:
        """The confidence level of every interval."""
        curve = self.summary["curve"]
        return curve[0]["kpis"]["on_time_rate"]["ci_level"] if curve else 0.95

    def at(self, roster: int) -> dict[str, Any] | None:
        """The curve row of an evaluated roster (None if it was not evaluated)."""
        return self.curve.row("roster", roster)


def expected_on_hand_csv(scenario: Scenario, daily_scheduled: np.ndarray) -> str:
    """Per day: scheduled technicians, the chance a scheduled one works, their product."""
    rows = []
    for day, scheduled in enumerate(daily_scheduled):
        presence = presence_on(scenario, day)
        rows.append([day, float(scheduled), presence, float(scheduled) * presence])
    return csv_text(["day", "scheduled", "presence", "expected_on_hand"], rows)


def size_data(size: SizeResult, command: Sequence[str]) -> dict[str, str]:
    """The files of a report's data folder from a fresh staffing search, as text."""
    files = size_files(size, command)
    roster = detail_roster(size)
    if roster is not None:
        scheduled = size.evaluations[roster].daily("scheduled").mean(axis=0)
        files["on_hand_expected.csv"] = expected_on_hand_csv(size.scenario, scheduled)
    return files


def bundle_of(size: SizeResult, stress: StressReport | None = None) -> Bundle:
    """The bundle a report of these results reads, made in memory (for ``result.plot``).

    The same files as a report's data folder (:func:`size_data`, ``stress/``), parsed as
    :func:`load_bundle` parses them: the figures see exactly what the report's see.
    """
    files = size_data(size, [])
    if stress is not None:
        files |= {f"{STRESS}/{name}": text for name, text in stress_files(stress, []).items()}
    where = Path("<memory>")

    def table(name: str) -> Table | None:
        return parse_table(files[name], name) if name in files else None

    curve = table("curve.csv")
    assert curve is not None
    return Bundle(
        directory=where, scenario=size.scenario, summary=json.loads(files["summary.json"]),
        curve=curve, timeseries=table("timeseries.csv"), daily=table("daily.csv"),
        lead_time=table("lead_time.csv"), expected=table("on_hand_expected.csv"),
        stress=None if stress is None else json.loads(files[f"{STRESS}/summary.json"]),
        stress_table=table(f"{STRESS}/stress.csv"))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file capsim wrote (a clear error if it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CapsimError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise CapsimError(f"{path}: expected a JSON object")
    return data


def find_data(directory: Path) -> Path:
    """The data folder in ``directory``.

    A report's ``data/``, or ``directory`` itself when it holds what ``capsim size
    --out`` writes.
    """
    for candidate in (directory / "data", directory):
        if all((candidate / name).is_file() for name in REQUIRED):
            return candidate
    raise CapsimError(f"--from {directory}: no staffing results there (expected "
                      f"{' and '.join(REQUIRED)}, as written by capsim size --out or "
                      "capsim report)")


def load_bundle(directory: Path, scenario: Scenario) -> Bundle:
    """Read a data folder (see the module docstring)."""
    summary = read_json(directory / "summary.json")
    if "recommended" not in summary or "curve" not in summary:
        raise CapsimError(f"{directory / 'summary.json'}: not the summary of a staffing "
                          "search (capsim size)")

    def optional(name: str) -> Table | None:
        path = directory / name
        return read_table(path) if path.is_file() else None

    stress_dir = directory / STRESS
    has_stress = (stress_dir / "summary.json").is_file()
    plan = directory / SCHEDULE
    has_plan = (plan / "summary.json").is_file()
    return Bundle(
        directory=directory, scenario=scenario, summary=summary,
        curve=read_table(directory / "curve.csv"), timeseries=optional("timeseries.csv"),
        daily=optional("daily.csv"), lead_time=optional("lead_time.csv"),
        expected=optional("on_hand_expected.csv"),
        stress=read_json(stress_dir / "summary.json") if has_stress else None,
        stress_table=read_table(stress_dir / "stress.csv") if has_stress else None,
        schedule=read_json(plan / "summary.json") if has_plan else None,
        candidates=read_table(plan / "candidates.csv") if has_plan else None,
        staff_by_hour=read_table(plan / "staff_by_hour.csv") if has_plan else None)
