"""The command line, in-process through main() and, for Ctrl-C, as a real process."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time

import pytest

from capsim import __version__
from capsim.cli import main
from capsim.metrics import DAILY_NAMES, KPI_NAMES, SERIES_NAMES
from tests.conftest import ROOT, STUTTERFLY, start_capsim

SMALL = """
name = "tiny"
horizon_days = 4
warmup_days = 1
[demand]
rate_per_hour = 2.0
[work]
distribution = "exponential"
mean_minutes = 30.0
promise_hours = 4.0
[workforce]
roster = 2
always_on = true
[experiment]
replications = 100000
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL)
    return path


def read_csv(path):
    with path.open() as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_run_writes_every_file_with_its_columns(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", str(STUTTERFLY), "-r", "3", "--seed", "5", "--workers", "1", "--out",
            str(out), "--set", "workforce.roster=15"]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        ".capsim-output", "daily.csv", "lead_time.csv", "replications.csv", "summary.json",
        "timeseries.csv", "timing.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["files"] == sorted(p.name for p in out.iterdir() if p.name[0] != ".")
    marker = json.loads((out / ".capsim-output").read_text())
    assert marker == {"written_by": "capsim", "kind": "run", "capsim_version": __version__,
                      "files": summary["files"]}
    # Timings only in timing.json: the other files are the same on every run.
    assert "elapsed_seconds" not in summary
    assert json.loads((out / "timing.json").read_text())["elapsed_seconds"] > 0
    assert summary["command"] == ["capsim", *argv]
    assert summary["seed"] == 5
    assert summary["replications"] == 3
    assert not summary["partial"]
    assert summary["resolved_scenario"]["workforce"]["roster"] == 15
    assert summary["capsim_version"] == __version__
    header, rows = read_csv(out / "replications.csv")
    assert header == ["replication", *KPI_NAMES]
    assert [r[0] for r in rows] == ["0", "1", "2"]
    header, rows = read_csv(out / "timeseries.csv")
    assert header == ["hour", *(f"{s}_{q}" for s in SERIES_NAMES
                                for q in ("mean", "p10", "p50", "p90"))]
    assert len(rows) == 56 * 24
    header, rows = read_csv(out / "daily.csv")
    assert header[:3] == ["day", "weekday", "warmup"]
    assert len(rows) == 56
    assert {f"{name}_mean" for name in DAILY_NAMES} <= set(header)
    header, rows = read_csv(out / "lead_time.csv")
    assert header == ["promises", "hours", "share_mean", "share_p10", "share_p50", "share_p90"]
    at_promise = next(r for r in rows if float(r[0]) == 1.0)
    assert float(at_promise[1]) == 24.0  # every Stutterfly class promises 24 h
    assert float(at_promise[2]) == pytest.approx(summary["kpis"]["on_time_rate"]["mean"],
                                                 rel=1e-12)
    # the summary's mean is the mean of the replication rows
    _, rows = read_csv(out / "replications.csv")
    on_time = [float(r[1]) for r in rows]
    assert summary["kpis"]["on_time_rate"]["mean"] == pytest.approx(sum(on_time) / 3, rel=1e-12)


def test_run_json_has_the_contract_keys(tiny, capsys):
    assert main(["run", str(tiny), "-r", "2", "--json", "--workers", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"scenario", "seed", "replications", "engine", "capsim_version", "partial",
            "kpis", "p_target_met", "on_hand_histogram"} <= set(data)
    assert data["scenario"] == "tiny"
    assert data["engine"] == "fast"  # auto picks the fast engine for FIFO scenarios
    assert set(data["kpis"]) == set(KPI_NAMES)
    for kpi in data["kpis"].values():
        assert set(kpi) == {"mean", "ci_low", "ci_high", "ci_level"}


def test_run_table_is_readable(tiny, capsys):
    assert main(["run", str(tiny), "-r", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "tiny: 2 replications, seed 0, engine fast" in out
    assert "on_time_rate" in out
    assert "95 % CI" in out


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["run", "--help"]) == 0
    assert "--replications" in capsys.readouterr().out


def test_python_m_capsim(tiny):
    done = subprocess.run([sys.executable, "-m", "capsim", "validate", str(tiny)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "ok" in done.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_keeps_completed_replications(tiny, tmp_path, workers):
    """A real SIGINT, as from Ctrl-C: exit 130, and the completed replications are written,
    marked partial, with nothing half-written left behind."""
    out = tmp_path / "out"
    process = start_capsim("run", str(tiny), "--workers", workers, "--out", str(out),
                           cwd=ROOT)
    time.sleep(6.0)  # imports, worker start-up, then replications of a few ms each
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted: kept" in stderr
    assert "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["partial"] is True
    assert 0 < summary["replications"] < summary["replications_requested"] == 100000
    _, rows = read_csv(out / "replications.csv")
    assert len(rows) == summary["replications"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
