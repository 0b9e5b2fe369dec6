"""capsim: capacity planning by simulation.

How many people must we roster so that on-time delivery meets its target, with
what confidence, and what breaks it? capsim answers with a SimPy model of the
operation driven by Monte Carlo experiments.

The public API: :func:`load_scenario`, :func:`run`, :func:`size_staff`,
:func:`sweep`, :func:`stress_test`, :func:`report`, :func:`load_result`, and the modules
:mod:`capsim.scenario` and :mod:`capsim.analytic`. Heavy modules are imported on first use, so that
``import capsim`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capsim._version import __version__

if TYPE_CHECKING:
    from capsim.experiment import run
    from capsim.options import RunOptions
    from capsim.persist import load_result
    from capsim.reporting import ReportResult, report
    from capsim.results import RunResult
    from capsim.scenario import Scenario, load_scenario
    from capsim.staffing import SizeResult, size_staff
    from capsim.stress import StressReport, stress_test
    from capsim.sweep import SweepResult, sweep

__all__ = ["ReportResult", "RunOptions", "RunResult", "Scenario", "SizeResult", "StressReport",
           "SweepResult", "__version__", "analytic", "load_result", "load_scenario", "report",
           "run", "size_staff", "stress_test", "sweep"]

_LAZY = {
    "load_scenario": "capsim.scenario",
    "Scenario": "capsim.scenario",
    "run": "capsim.experiment",
    "RunResult": "capsim.results",
    "size_staff": "capsim.staffing",
    "SizeResult": "capsim.staffing",
    "sweep": "capsim.sweep",
    "SweepResult": "capsim.sweep",
    "stress_test": "capsim.stress",
    "StressReport": "capsim.stress",
    "report": "capsim.reporting",
    "load_result": "capsim.persist",
    "RunOptions": "capsim.options",
    "ReportResult": "capsim.reporting",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "analytic":
        return importlib.import_module("capsim.analytic")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'capsim' has no attribute {name!r}")
