"""Shared helpers: small scenarios built from dicts, and the repository root."""

from __future__ import annotations

import copy
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from capsim.scenario import Scenario, validate
from tests import browser

ROOT = Path(__file__).resolve().parent.parent
# The suite runs numba's loops, the reference (and what tests of its cache inspect);
# tests/test_aot.py compares the loops built ahead of time with them, in children
# that set CAPSIM_AOT back. CAPSIM_AOT=1 pytest ... runs the tests on the built loops.
os.environ.setdefault("CAPSIM_AOT", "0")
STUTTERFLY = ROOT / "experiments" / "stutterfly.toml"


def start_capsim(*args: str, **kwargs: Any) -> subprocess.Popen:
    """``python -m capsim ARGS`` as a child that Ctrl-C (SIGINT) reaches.

    A shell's background job ignores SIGINT, and a child inherits that; Python then never
    installs its handler. The child gets the default back, as in a terminal.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "capsim", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs)


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``changes`` into a copy of ``base`` (tables merge, values replace)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def mmc_data(lam: float, mu: float, c: int, promise: float, **changes: Any) -> dict[str, Any]:
    """An M/M/c scenario: always-on servers, Poisson arrivals, exponential work."""
    base = {
        "name": f"M/M/{c}",
        "horizon_days": 60,
        "warmup_days": 5,
        "demand": {"rate_per_hour": lam},
        "work": {"distribution": "exponential", "mean_minutes": 60.0 / mu,
                 "promise_hours": promise},
        "workforce": {"roster": c, "always_on": True},
    }
    return merge(base, changes)


def mmc_toml(name: str, *, horizon_days: int, rate: float, mean_minutes: float,
             promise: float, roster: int, replications: int, warmup_days: int = 1) -> str:
    """An always-on M/M/c scenario file's text (for tests that run the CLI)."""
    return f"""
name = "{name}"
horizon_days = {horizon_days}
warmup_days = {warmup_days}
[demand]
rate_per_hour = {rate!r}
[work]
distribution = "exponential"
mean_minutes = {mean_minutes!r}
promise_hours = {promise!r}
[workforce]
roster = {roster}
always_on = true
[experiment]
replications = {replications}
"""


def scenario(data: dict[str, Any], **kwargs: Any) -> Scenario:
    return validate(data, **kwargs)


@pytest.fixture
def shifts_data() -> dict[str, Any]:
    """A small operation with shifts, days off, absences, vacations and an outbreak."""
    return {
        "name": "shifts",
        "horizon_days": 28,
        "warmup_days": 3,
        "demand": {"rate_per_hour": 6.0, "surges": [
            {"start_hour": 240, "end_hour": 336, "multiplier": 1.5}]},
        "work": {"distribution": "lognormal", "mean_minutes": 30.0, "cv": 0.7,
                 "promise_hours": 16.0},
        "workforce": {"roster": 8, "shifts": [
            {"name": "early", "start_hour": 6, "length_hours": 8, "days_per_week": 5,
             "share": 0.6},
            {"name": "late", "start_hour": 14, "length_hours": 8, "days_per_week": 5,
             "share": 0.4},
        ]},
        "absence": {
            "daily_rate": 0.05, "last_minute_share": 0.5, "cover_probability": 0.5,
            "vacation": {"weeks_per_year": 6, "block_weeks": 2},
            "outbreaks": [{"rate_per_30_days": 1.0, "share": 0.3, "duration_days": 3,
                           "duration_distribution": "geometric"}],
        },
    }


def same_numbers(a: dict[str, float], b: dict[str, float]) -> bool:
    """The same keys and values, NaN (a KPI with nothing to measure) equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


@pytest.fixture
def chromium() -> str:
    """The browser binary; skipped with its reason where there is none, failed in CI."""
    binary = browser.find_chromium()
    if binary is None:
        if os.environ.get("CAPSIM_REQUIRE_CHROMIUM"):
            pytest.fail("CAPSIM_REQUIRE_CHROMIUM is set but no chromium was found")
        pytest.skip("no Chromium on this machine (apt-get install chromium; CI installs it)")
    return binary
