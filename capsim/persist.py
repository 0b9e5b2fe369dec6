"""Saving results to a folder and loading them back exactly: ``save``, :func:`load_result`.

A saved folder holds what the matching command writes with ``--out`` (``summary.json``
and the CSV files, for people and scripts) and two more files that make it loadable:

- ``result.json``: the kind of result (``run``, ``size``, ``sweep``, ``stress``), the
  capsim version, every setting of the result and of each run in it, and each run's
  scenario as resolved data (its source and the folder its data files are read from);
- ``arrays.npz``: each run's per-replication KPIs (per class too), hourly series, daily
  tables and lead-time counts, in their own dtypes.

Format 2 added the per-class KPIs (``by_class``) and a size result's targets
(``goals``); a format-1 folder still loads, its runs without per-class KPIs and its
size result with its one target. The per-supply KPIs (``by_supply``) are optional
arrays of format 2: a folder saved before them loads with none.

Loading rebuilds the very objects that were saved: every float bit for bit (numpy
arrays, and JSON numbers written as Python's shortest round-trip repr), every
aggregate recomputed from them identically. A scenario that names data files (a trace)
reads them again from where they were when it was saved.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from capsim._version import __version__
from capsim.analytic import RoughCut
from capsim.errors import CapsimError
from capsim.goals import Goal
from capsim.metrics import ReplicationSummary
from capsim.output.folder import write_folder
from capsim.output.run import run_files
from capsim.output.staffing import size_files
from capsim.output.stress import stress_files
from capsim.output.sweep import sweep_files
from capsim.results import RunResult
from capsim.scenario import Scenario
from capsim.staffing import SizeResult
from capsim.stress import StressOutcome, StressReport
from capsim.sweep import SweepResult, Vary

META = "result.json"
ARRAYS = "arrays.npz"
FORMAT = 2
#: The formats this capsim reads.
READABLE = (1, 2)
Result = RunResult | SizeResult | SweepResult | StressReport


def _scenario_meta(scenario: Scenario) -> dict[str, Any]:
    base = scenario.base_dir
    return {"data": scenario.as_data(), "source": scenario.source,
            "base_dir": None if base is None else str(base),
            "allow_outside_files": scenario.allow_outside_files}


def _scenario(meta: dict[str, Any]) -> Scenario:
    base = meta["base_dir"]
    return Scenario.from_data(meta["data"], source=meta["source"],
                              base_dir=None if base is None else Path(base),
                              allow_outside_files=meta["allow_outside_files"])


class _Writer:
    """Collects the arrays of every run under a prefix of its own."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.runs = 0

    def run(self, run: RunResult) -> dict[str, Any]:
        prefix, self.runs = f"run{self.runs}.", self.runs + 1
        first = run.summaries[0] if run.summaries else None
        hourly = list(first.hourly) if first else []
        daily = list(first.daily) if first else []
        kpis = list(first.kpis) if first else []
        classes = list(first.by_class) if first else []
        class_kpis = list(first.by_class[classes[0]]) if first and classes else []
        supplies = list(run.supply_names)
        supply_kpis = list(first.by_supply[supplies[0]]) if first and supplies else []
        s = run.summaries
        self.arrays |= {
            f"{prefix}replication": np.array([x.replication for x in s], dtype=np.int64),
            f"{prefix}kpis": np.array([[x.kpis[k] for k in kpis] for x in s], dtype=float),
            f"{prefix}lead_time_counts": np.array([x.lead_time_counts for x in s]),
            **{f"{prefix}hourly.{n}": np.array([x.hourly[n] for x in s]) for n in hourly},
            **{f"{prefix}daily.{n}": np.array([x.daily[n] for x in s]) for n in daily},
            **{f"{prefix}by_class.{j}": np.array([[x.by_class[c][k] for k in class_kpis]
                                                   for x in s], dtype=float)
               for j, c in enumerate(classes)},
            **{f"{prefix}by_supply.{j}": np.array([[x.by_supply[n][k] for k in supply_kpis]
                                                    for x in s], dtype=float)
               for j, n in enumerate(supplies)},
        }
        return {"arrays": prefix, "scenario": _scenario_meta(run.scenario), "seed": run.seed,
                "replications_requested": run.replications_requested, "engine": run.engine,
                "ci_level": run.ci_level, "elapsed_seconds": run.elapsed_seconds,
                "stopped_by": run.stopped_by,
                "precision": None if run.precision is None else list(run.precision),
                "kpis": kpis, "hourly": hourly, "daily": daily, "classes": classes,
                "class_kpis": class_kpis,
                **({"supplies": supplies, "supply_kpis": supply_kpis} if supplies else {})}

    def npz(self) -> bytes:
        buffer = io.BytesIO()
        arrays: dict[str, Any] = self.arrays  # (numpy's stubs reserve allow_pickle)
        np.savez(buffer, **arrays)
        return buffer.getvalue()


def _read_run(meta: dict[str, Any], arrays: Any) -> RunResult:
    p = meta["arrays"]
    replication, kpis = arrays[f"{p}replication"], arrays[f"{p}kpis"]
    lead = arrays[f"{p}lead_time_counts"]
    hourly = {n: arrays[f"{p}hourly.{n}"] for n in meta["hourly"]}
    daily = {n: arrays[f"{p}daily.{n}"] for n in meta["daily"]}
    classes, class_kpis = meta.get("classes", []), meta.get("class_kpis", [])  # format 1: none
    by_class = {c: arrays[f"{p}by_class.{j}"] for j, c in enumerate(classes)}
    supplies, supply_kpis = meta.get("supplies", []), meta.get("supply_kpis", [])
    by_supply = {n: arrays[f"{p}by_supply.{j}"] for j, n in enumerate(supplies)}
    summaries = tuple(ReplicationSummary(
        replication=int(replication[i]),
        kpis={k: float(kpis[i, j]) for j, k in enumerate(meta["kpis"])},
        hourly={n: values[i] for n, values in hourly.items()},
        daily={n: values[i] for n, values in daily.items()},
        lead_time_counts=lead[i],
        by_class={c: {k: float(values[i, j]) for j, k in enumerate(class_kpis)}
                  for c, values in by_class.items()},
        by_supply={n: {k: float(values[i, j]) for j, k in enumerate(supply_kpis)}
                   for n, values in by_supply.items()}) for i in range(replication.size))
    precision = meta["precision"]
    return RunResult(scenario=_scenario(meta["scenario"]), seed=meta["seed"],
                     replications_requested=meta["replications_requested"],
                     engine=meta["engine"], summaries=summaries, ci_level=meta["ci_level"],
                     elapsed_seconds=meta["elapsed_seconds"], stopped_by=meta["stopped_by"],
                     precision=None if precision is None else (precision[0], precision[1]))


def _describe(result: Result, w: _Writer) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The kind, the settings (runs' arrays go to ``w``) and the ``--out`` files."""
    if isinstance(result, RunResult):
        return "run", {"run": w.run(result)}, run_files(result, [])
    if isinstance(result, SizeResult):
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
                  if f.name not in ("scenario", "rough_cut", "evaluations", "notes", "goals")}
        return "size", {**fields, "scenario": _scenario_meta(result.scenario),
                        "goals": [[g.kpi, g.target, g.order_class] for g in result.goals],
                        "rough_cut": dataclasses.asdict(result.rough_cut),
                        "notes": list(result.notes),
                        "evaluations": [[n, w.run(r)] for n, r in result.evaluations.items()]
                        }, size_files(result, [])
    if isinstance(result, SweepResult):
        return "sweep", {
            "scenario": _scenario_meta(result.scenario),
            "varies": [{"path": v.path, "values": list(v.values)} for v in result.varies],
            "points": [[list(edit) for edit in point] for point in result.points],
            "results": [None if r is None else w.run(r) for r in result.results],
            "seed": result.seed, "replications": result.replications,
            "partial": result.partial, "elapsed_seconds": result.elapsed_seconds,
        }, sweep_files(result, [])
    events = list(result.scenario.stress)
    return "stress", {
        "scenario": _scenario_meta(result.scenario), "baseline": w.run(result.baseline),
        "outcomes": [{"event": events.index(o.event), "result": w.run(o.result)}
                     for o in result.outcomes],
        "partial": result.partial, "elapsed_seconds": result.elapsed_seconds,
    }, stress_files(result, [])


def save_result(result: Result, directory: Path) -> Path:
    """Write ``result`` as the folder ``directory`` (see the module docstring).

    The folder is written whole, as every capsim output folder is
    (:mod:`capsim.output.folder`): ``directory`` must be new, empty, or capsim's own.
    """
    writer = _Writer()
    kind, meta, files = _describe(result, writer)
    document = {"kind": kind, "format": FORMAT, "capsim_version": __version__, **meta}
    # NaN stays NaN (Python's JSON reads it back): this file is capsim's own, exactness first
    text = json.dumps(document, indent=1) + "\n"
    write_folder(directory, kind, lambda: {**files, META: text, ARRAYS: writer.npz()})
    return Path(directory)


def _read_size(meta: dict[str, Any], arrays: Any) -> SizeResult:
    cut = meta["rough_cut"]
    return SizeResult(
        scenario=_scenario(meta["scenario"]), criterion=meta["criterion"], kpi=meta["kpi"],
        target=meta["target"], confidence=meta["confidence"], seed=meta["seed"],
        replications=meta["replications"], max_replications=meta["max_replications"],
        rough_cut=RoughCut(**{**cut, "assumptions": tuple(cut["assumptions"])}),
        evaluations={n: _read_run(run, arrays) for n, run in meta["evaluations"]},
        recommended=meta["recommended"], partial=meta["partial"],
        elapsed_seconds=meta["elapsed_seconds"], notes=tuple(meta["notes"]),
        goals=tuple(Goal(kpi, target, order_class)  # format 1: the headline alone
                    for kpi, target, order_class in meta.get("goals", [])),
        objective=meta.get("objective", "headcount"), smallest=meta.get("smallest"))


def _read_sweep(meta: dict[str, Any], arrays: Any) -> SweepResult:
    return SweepResult(
        scenario=_scenario(meta["scenario"]),
        varies=tuple(Vary(v["path"], tuple(v["values"])) for v in meta["varies"]),
        points=tuple(tuple((path, value) for path, value in point) for point in meta["points"]),
        results=tuple(None if r is None else _read_run(r, arrays) for r in meta["results"]),
        seed=meta["seed"], replications=meta["replications"], partial=meta["partial"],
        elapsed_seconds=meta["elapsed_seconds"])


def _read_stress(meta: dict[str, Any], arrays: Any) -> StressReport:
    scenario = _scenario(meta["scenario"])
    baseline = _read_run(meta["baseline"], arrays)
    outcomes = tuple(StressOutcome(scenario.stress[o["event"]], _read_run(o["result"], arrays),
                                   baseline) for o in meta["outcomes"])
    return StressReport(scenario=scenario, baseline=baseline, outcomes=outcomes,
                        partial=meta["partial"], elapsed_seconds=meta["elapsed_seconds"])


def load_result(directory: str | Path) -> Result:
    """Read a result saved with ``result.save(directory)``: the same object, exactly.

    Raises
    ------
    CapsimError
        If the folder holds no saved result, or one of a newer format.
    """
    directory = Path(directory)
    try:
        meta = json.loads((directory / META).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError as exc:
        raise CapsimError(f"{directory}: not a saved capsim result (no {Path(exc.filename).name}"
                          "); save one with result.save(folder)") from None
    except (ValueError, OSError) as exc:
        raise CapsimError(f"{directory}: cannot read the saved result ({exc})") from None
    if meta.get("format") not in READABLE:
        raise CapsimError(f"{directory / META}: format {meta.get('format')!r}; this capsim "
                          f"({__version__}) reads formats {', '.join(map(str, READABLE))}")
    readers: dict[str, Callable[[], Result]] = {
               "run": lambda: _read_run(meta["run"], arrays),
               "size": lambda: _read_size(meta, arrays),
               "sweep": lambda: _read_sweep(meta, arrays),
               "stress": lambda: _read_stress(meta, arrays)}
    if meta.get("kind") not in readers:
        raise CapsimError(f"{directory / META}: unknown kind {meta.get('kind')!r}; allowed: "
                          f"{', '.join(readers)}")
    result: Result = readers[meta["kind"]]()
    return result
