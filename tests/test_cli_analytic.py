"""``capsim analytic``, ``capsim quick`` and ``capsim verify`` from the command line."""

from __future__ import annotations

import json
import re

import pytest

from capsim import verify as verify_module
from capsim.analytic import ErlangA, MMc, MMcFeedback, erlang_b, rough_cut
from capsim.cli import main
from capsim.scenario import load_scenario
from tests.conftest import STUTTERFLY


def run_json(capsys, argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_erlang_b_and_c(capsys):
    data = run_json(capsys, ["analytic", "erlang-b", "--arrival-rate", "9", "--service-rate",
                             "1", "--servers", "10"])
    assert data["blocking_probability"] == pytest.approx(erlang_b(10, 9.0))
    data = run_json(capsys, ["analytic", "erlang-c", "--arrival-rate", "9", "--service-rate",
                             "1", "--servers", "10", "--within", "2"])
    q = MMc(9.0, 1.0, 10)
    assert data["delay_probability"] == pytest.approx(q.delay_probability)
    assert data["on_time"] == pytest.approx(q.sojourn_cdf(2.0))
    assert data["stable"] is True


def test_erlang_a_and_rework(capsys):
    data = run_json(capsys, ["analytic", "erlang-a", "--arrival-rate", "11", "--service-rate",
                             "1", "--servers", "10", "--patience-rate", "2", "--within", "3"])
    q = ErlangA(11.0, 1.0, 10, 2.0)
    assert data["abandon_probability"] == pytest.approx(q.abandon_probability)
    assert data["served_within"] == pytest.approx(q.served_within(3.0))
    assert data["on_time"] == pytest.approx(q.on_time_within(3.0))
    data = run_json(capsys, ["analytic", "feedback", "--arrival-rate", "7", "--service-rate",
                             "1", "--servers", "10", "--right-first-time", "0.8"])
    f = MMcFeedback(7.0, 1.0, 10, 0.8)
    assert data["pass_rate"] == pytest.approx(8.75)
    assert data["mean_wait_per_pass_hours"] == pytest.approx(MMc(8.75, 1.0, 10).mean_wait)
    assert data["mean_lead_time_hours"] == pytest.approx(f.mean_sojourn)
    assert main(["analytic", "feedback", "--arrival-rate", "7", "--service-rate", "1",
                 "--servers", "10", "--right-first-time", "1.2"]) == 2
    assert "right-first-time probability must be in (0, 1], got 1.2" in capsys.readouterr().err


def test_overload_is_infinite_not_a_number(capsys):
    data = run_json(capsys, ["analytic", "erlang-c", "--arrival-rate", "12", "--service-rate",
                             "1", "--servers", "10"])
    assert data["stable"] is False
    assert data["mean_wait_hours"] is None
    assert main(["analytic", "erlang-c", "--arrival-rate", "12", "--service-rate", "1",
                 "--servers", "10"]) == 0
    out = capsys.readouterr().out
    assert "UNSTABLE" in out
    assert re.search(r"mean wait \(h\)\s+inf", out)


def test_min_servers_sqrt_staffing_absence_buffer_erlang_a(capsys):
    data = run_json(capsys, ["analytic", "min-servers", "--arrival-rate", "9",
                             "--service-rate", "1", "--target", "0.9", "--metric", "on-time",
                             "--within", "3"])
    assert data["servers"] == 11
    data = run_json(capsys, ["analytic", "sqrt-staffing", "--load", "100", "--delay-prob",
                             "0.2"])
    assert data["servers"] == data["exact_servers"] == 111
    data = run_json(capsys, ["analytic", "absence-buffer", "--needed", "10", "--presence",
                             "0.95", "--confidence", "0.9"])
    assert data["roster"] >= 10
    assert data["probability"] >= 0.9
    data = run_json(capsys, ["analytic", "erlang-a", "--arrival-rate", "9", "--service-rate",
                             "1", "--servers", "10", "--patience-rate", "0.5", "--within", "1"])
    assert 0 < data["abandon_probability"] < data["delay_probability"] < 1


def test_offered_load_and_quick(capsys):
    data = run_json(capsys, ["analytic", "offered-load", str(STUTTERFLY)])
    assert len(data["offered_load"]) == 56 * 24
    assert all(m >= 0 for m in data["offered_load"])
    data = run_json(capsys, ["quick", str(STUTTERFLY), "--set", "workforce.roster=15"])
    cut = rough_cut(load_scenario(STUTTERFLY))
    assert data["roster"] == cut.roster
    assert data["lower_bound"] == cut.lower_bound
    assert data["lower_bound"] <= data["roster"]
    assert main(["quick", str(STUTTERFLY)]) == 0
    assert "assumptions:" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "fragment"), [
    (["analytic", "erlang-c", "--arrival-rate", "-1", "--service-rate", "1", "--servers", "2"],
     "allowed: >= 0"),
    (["analytic", "erlang-c", "--arrival-rate", "1", "--service-rate", "0", "--servers", "2"],
     "allowed: > 0"),
    (["analytic", "erlang-b", "--arrival-rate", "1", "--service-rate", "1", "--servers", "x"],
     "'x' is not a whole number"),
    (["analytic", "min-servers", "--arrival-rate", "9", "--service-rate", "1", "--target",
      "0.95", "--metric", "on-time", "--within", "2"], "out of reach"),
    (["analytic", "min-servers", "--arrival-rate", "9", "--service-rate", "1", "--target",
      "0.9", "--metric", "service-level"], "needs within"),
    (["analytic", "erlang-a", "--arrival-rate", "10", "--service-rate", "1", "--servers", "10",
      "--patience-rate", "0"], "grows without bound"),
    (["analytic", "sqrt-staffing", "--load", "10", "--delay-prob", "1.5"], "allowed"),
    (["analytic", "absence-buffer", "--needed", "3", "--presence", "0", "--confidence", "0.9"],
     "allowed: > 0"),
    (["quick", "nope.toml"], "file not found"),
])
def test_bad_arguments_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


# `capsim verify --quick` passing, with its exact output, is checked by tests/test_readme.py.


def test_verify_fails_loudly_when_a_check_is_off(capsys, monkeypatch):
    wrong = verify_module.Check("M/M/1", "mean wait (h)", 2.0, 2.5, 0.1)
    monkeypatch.setattr(verify_module, "verify", lambda *args: [wrong])
    assert main(["verify", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "OUT OF TOLERANCE" in out
    assert "1 of 1 checks beyond 4 standard errors" in out
