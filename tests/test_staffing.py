"""capsim size: known answers, common random numbers, the search's economy, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from capsim import staffing
from capsim.cli import main
from capsim.experiment import Runner
from capsim.staffing import size_staff
from tests.conftest import mmc_data, mmc_toml, scenario
from tests.processes import Child
from tests.theory import mmc_sojourn_cdf

# The exact on-time probability stays this far from the target at the answer and one
# below it, so that only a wrong verdict, not a close call, can change the answer.
MARGIN = 0.025


@pytest.mark.parametrize(("lam", "promise", "target", "days"), [
    pytest.param(9.0, 3.0, 0.90, 20, id="M/M/c, load 9"),
    pytest.param(45.0, 3.0, 0.87, 40, id="M/M/c, load 45"),
])
def test_size_finds_the_exact_minimal_servers(lam, promise, target, days, monkeypatch):
    """The exact answer from the M/M/c sojourn distribution (tests/theory.py).

    At large loads the on-time curve is steep only just above saturation (c = a + 1,
    ρ = 0.98 for a = 45), where one replication's on-time rate varies a lot. So each
    verdict is taken only when its 99.9 % interval clears the target, adding
    replications (10, 20, ... up to 640, same seeds) where it does not: with at most
    seven looks per roster, a correct model misjudges the answer or the roster below
    it with probability under 2 × 7 × 0.05 % = 0.7 %, whatever the seed.
    """
    expected = next(c for c in range(int(lam) + 1, 10 * int(lam))
                    if mmc_sojourn_cdf(lam, 1.0, c, promise) >= target)
    assert mmc_sojourn_cdf(lam, 1.0, expected, promise) >= target + MARGIN
    assert mmc_sojourn_cdf(lam, 1.0, expected - 1, promise) <= target - MARGIN

    calls = []
    original = Runner.run

    def counting(self, s, *args, **kwargs):
        calls.append(s.workforce.roster)
        return original(self, s, *args, **kwargs)

    monkeypatch.setattr(Runner, "run", counting)
    s = scenario(mmc_data(lam, 1.0, 1, promise, horizon_days=days, warmup_days=5))
    result = size_staff(s, target, replications=10, max_replications=640, ci_level=0.999,
                        seed=7, progress=False)
    assert result.recommended == expected
    assert len(calls) == len(set(calls)), f"a roster was evaluated twice: {calls}"
    assert list(result.evaluations) == calls
    assert result.curve == list(range(expected - 3, expected + 3))
    assert not result.notes


def test_the_curve_is_monotone_replication_by_replication():
    """One always-on FIFO pool with no absence: there, under common random numbers, no
    order starts later with more technicians (see tests/test_engine.py), so every
    replication's on-time rate rises with the roster, not just the mean."""
    s = scenario(mmc_data(9.0, 1.0, 1, 3.0, horizon_days=10, warmup_days=2))
    result = size_staff(s, 0.9, replications=12, seed=3, progress=False)
    rosters = sorted(result.evaluations)
    table = np.array([result.evaluations[r].column("on_time_rate") for r in rosters])
    assert np.all(np.diff(table, axis=0) >= 0)


def test_chance_criterion_uses_the_wilson_lower_bound():
    s = scenario(mmc_data(9.0, 1.0, 1, 3.0, horizon_days=10, warmup_days=2))
    result = size_staff(s, 0.9, criterion="chance", confidence=0.8, replications=20,
                        seed=7, progress=False)
    n = result.recommended
    assert result.evaluations[n].share_meeting("on_time_rate", 0.9).ci_low >= 0.8
    assert result.evaluations[n - 1].share_meeting("on_time_rate", 0.9).ci_low < 0.8


def test_a_smaller_is_better_kpi_takes_the_target_as_a_ceiling():
    """Size on the mean wait, a ceiling: Erlang C gives 0.215 h at 11 servers and 0.089 h
    at 12 (λ = 9, μ = 1), so a 0.15 h ceiling needs 12; verdicts as above."""
    from capsim.analytic import MMc

    expected = next(c for c in range(10, 30) if MMc(9.0, 1.0, c).mean_wait <= 0.15)
    assert MMc(9.0, 1.0, expected).mean_wait <= 0.15 * 0.7
    assert MMc(9.0, 1.0, expected - 1).mean_wait >= 0.15 * 1.3
    s = scenario(mmc_data(9.0, 1.0, 1, 3.0, horizon_days=20, warmup_days=5))
    result = size_staff(s, 0.15, kpi="wait_mean_hours", replications=10,
                        max_replications=640, ci_level=0.999, seed=7, progress=False)
    assert result.recommended == expected


def test_ctrl_c_keeps_the_completed_evaluations():
    s = scenario(mmc_data(9.0, 1.0, 1, 3.0, horizon_days=10, warmup_days=2))
    calls = []

    def interrupt_in_the_second_evaluation(done, total):
        calls.append(done)
        if calls.count(1) == 2:  # the second roster has just started
            raise KeyboardInterrupt

    result = size_staff(s, 0.9, replications=6, seed=7, workers=1,
                        progress=interrupt_in_the_second_evaluation)
    assert result.partial
    assert result.recommended is None
    assert len(result.evaluations) == 1
    assert next(iter(result.evaluations.values())).replications == 6


def test_when_no_roster_meets_the_target(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    assert main(["size", str(path), "--target", "0.95", "--max", "10", "-r", "4",
                 "--workers", "1", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["recommended"] is None
    assert data["met"] is False


SMALL = mmc_toml("small", horizon_days=8, rate=9.0, mean_minutes=60.0, promise=3.0,
                 roster=1, replications=8)


def test_size_cli_json_and_files(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    out = tmp_path / "out"
    assert main(["size", str(path), "--target", "0.9", "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"recommended", "criterion", "target", "confidence", "curve", "rule_of_thumb",
            "rough_cut", "evaluations", "replications"} <= set(data)
    assert data["recommended"] == 11
    assert data["criterion"] == "mean"
    first = data["curve"][0]
    assert {"roster", "kpis"} <= set(first)
    assert {"on_time_rate", "p_target_met", "utilization"} <= set(first["kpis"])
    assert set(first["kpis"]["on_time_rate"]) == {"mean", "ci_low", "ci_high", "ci_level"}
    assert sorted(p.name for p in out.iterdir()) == [
        ".capsim-output", "curve.csv", "daily.csv", "lead_time.csv", "summary.json",
        "timeseries.csv", "timing.json"]
    assert json.loads((out / "summary.json").read_text())["detail_roster"] == 11
    assert main(["size", str(path), "--target", "0.9"]) == 0
    table = capsys.readouterr().out
    assert "RECOMMENDED: 11 technicians" in table
    assert "rule of thumb" in table


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--target", "1.5"], "must be in (0, 1)"),
    (["--target", "0"], "allowed: > 0"),
    (["--min", "12", "--max", "10"], "min (12) is greater than max (10)"),
    (["--kpi", "utilization"], "cannot size on 'utilization'"),
    (["--criterion", "median"], "invalid choice"),
])
def test_size_bad_input_exits_2(capsys, tmp_path, argv, fragment):
    path = tmp_path / "s.toml"
    path.write_text(SMALL)
    assert main(["size", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_check_request_is_where_the_rules_live():
    with pytest.raises(ValueError, match="confidence"):
        staffing.check_request("on_time_rate", 0.9, "chance", 1.2, 1, None)


def test_ctrl_c_during_size_writes_what_it_has(tmp_path):
    """A real SIGINT through the CLI: exit 130, summary.json written and marked partial,
    with the completed evaluations in curve.csv. A roster here takes seconds (200
    replications of 30 days) and the search needs six; the signal goes as soon as the
    child says the first roster is done, so it lands mid-search whatever the load."""
    import signal

    path = tmp_path / "s.toml"
    path.write_text(SMALL.replace("horizon_days = 8", "horizon_days = 30"))
    out = tmp_path / "out"
    child = Child("size", str(path), "--target", "0.9", "-r", "200", "--workers", "1",
                  "--engine", "simpy", "--progress", "lines", "--out", str(out))
    try:
        child.wait_for(r"roster \d+ \(1 of about \d+\): 200 of 200 replications")
        child.signal(signal.SIGINT)
        assert child.finish() == 130, child.stderr
    finally:
        child.close()
    data = json.loads((out / "summary.json").read_text())
    assert data["partial"] is True
    assert data["recommended"] is None
    assert 1 <= len(data["evaluations"]) < 6
    rows = (out / "curve.csv").read_text().splitlines()
    assert len(rows) - 1 == len(data["evaluations"])
