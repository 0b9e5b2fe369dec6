"""The teaching scripts in experiments/ run, print their comparison and save their figure."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "experiments").glob("learn_*.py"))


def test_there_are_teaching_scripts():
    assert {p.stem for p in SCRIPTS} >= {"learn_erlang_c", "learn_sqrt_staffing", "learn_surge",
                                         "learn_absenteeism", "learn_littles_law"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_runs_and_saves_its_figure(script, tmp_path):
    done = subprocess.run([sys.executable, str(script), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    figures = list(tmp_path.glob("*.png"))
    assert len(figures) == 1
    assert figures[0].stat().st_size > 10_000
    assert f"figure: {figures[0]}" in done.stdout
    # every script explains its idea to a student before any code
    assert len((script.read_text().split('"""')[1]).split()) > 80


def test_the_coverage_study_runs():
    """The README's table of interval coverage comes from this script (full run)."""
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "coverage_study.py"),
                           "--quick"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| population | KPI | skewness | n | t | BCa | capsim (Hall)")
    assert len(rows) == 1 + 2 * 4 * 2  # header + populations x KPIs x sizes
