"""The command line, in-process through main() and, for Ctrl-C, as a real process."""

from __future__ import annotations

import argparse
import csv
import json
import re
import signal
import subprocess
import sys

import pytest

from capsim import __version__
from capsim.cli import build_parser, main
from capsim.kpis import PER_CLASS
from capsim.metrics import DAILY_NAMES, KPI_NAMES, SERIES_NAMES
from tests.conftest import ROOT, STUTTERFLY, mmc_toml
from tests.processes import Child

SMALL = mmc_toml("tiny", horizon_days=4, rate=2.0, mean_minutes=30.0, promise=4.0,
                 roster=2, replications=100000)


README = (ROOT / "README.md").read_text()


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
    # Stutterfly has two order classes: each per-class KPI of each, after the totals
    per_class = [f"{k}__{c}" for c in ("prints", "photo books") for k in PER_CLASS]
    assert header == ["replication", *KPI_NAMES, *per_class]
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
    marked partial, with nothing half-written left behind. The signal goes once the child
    says that replications beyond the first five (which run in the parent) are done."""
    out = tmp_path / "out"
    child = Child("run", str(tiny), "--workers", workers, "--progress", "lines", "--out",
                  str(out))
    try:
        child.wait_for(r"capsim: ([6-9]|\d\d+) of 100000 replications")
        child.signal(signal.SIGINT)
        assert child.finish() == 130, child.stderr
    finally:
        child.close()
    assert "interrupted: kept" in child.stderr
    assert "Traceback" not in child.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["partial"] is True
    assert 5 < summary["replications"] < summary["replications_requested"] == 100000
    _, rows = read_csv(out / "replications.csv")
    assert len(rows) == summary["replications"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def _parsers(parser, path=("capsim",)):
    """Every parser under ``parser`` (itself first), with the words that reach it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def _options(parser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings if o.startswith("--")}


def _command(name):
    return dict(_parsers(build_parser()))[("capsim", name)]


def test_every_command_has_a_description_and_every_argument_a_help_text():
    missing = []
    for path, parser in _parsers(build_parser()):
        where = " ".join(path)
        if not parser.description:
            missing.append(f"{where}: no description")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                summaries = {a.dest: a.help for a in action._choices_actions}
                missing += [f"{where} {n}: no summary" for n in action.choices
                            if not summaries.get(n)]
            elif not action.help:
                missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}: "
                               "no help")
    assert not missing, missing


def _readme_commands() -> dict[str, str]:
    """The README's list of commands: each command's line(s), comments dropped."""
    section = README.split("## Running experiments", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        text = line.split("#", 1)[0]
        if text.startswith("capsim "):
            name = text.split()[1]
            commands[name] = text
        elif text.strip() and name:
            commands[name] += " " + text
    return commands


def test_the_readme_shows_each_command_with_the_options_it_takes():
    """Nothing promised that a command rejects (report took none of size's --kpi, --min),
    and every option of a simulating command's own in its line."""
    commands = _readme_commands()
    common = _options(_command("stress"))  # stress has only the options all share
    for name, text in commands.items():
        shown = set(re.findall(r"--[\w-]+", text))
        taken = _options(_command(name))
        assert shown <= taken, (name, shown - taken)
        assert "options]" not in text, (name, text)
        if common <= taken:
            assert taken - common <= shown, (name, taken - common - shown)


def test_the_readme_lists_the_options_every_simulating_command_takes():
    sentence = README.split("Every command that simulates also takes", 1)[1].split("\n\n")[0]
    assert _options(_command("stress")) - {"--help"} <= set(re.findall(r"--[\w-]+", sentence))


def test_a_value_error_from_a_bug_is_an_internal_error_not_bad_input(tiny, monkeypatch,
                                                                      capsys):
    """Only capsim's own errors about the input are bad input (exit 2); a ValueError is a
    bug: exit 1, and --debug shows where it came from."""
    def broken(*args, **kwargs):
        raise ValueError("'yerr' must not contain negative values")

    import capsim.reporting  # before size_staff is replaced: it imports it

    for target, argv in [("capsim.experiment.run", ["run", str(tiny)]),
                         ("capsim.staffing.size_staff", ["size", str(tiny)]),
                         ("capsim.reporting.report", ["report", str(tiny), "--out", "x"])]:
        with monkeypatch.context() as patch:
            patch.setattr(target, broken)
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert "internal error: ValueError: 'yerr' must not contain negative values" in err
            assert "please report it" in err
            with pytest.raises(ValueError, match="yerr"):
                main([*argv, "--debug"])
    assert capsim.reporting.size_staff is not broken


@pytest.mark.parametrize(("argv", "fragment"), [
    (["run", "--precision", "0.01", "--kpi", "on_time"], "unknown KPI 'on_time'"),
    (["run", "-r", "5", "--precision", "0.01", "--max-replications", "2"],
     "max_replications (2) is below replications (5)"),
    (["size", "--kpi", "utilization"], "cannot size on 'utilization'"),
    (["report", "--out", "{out}", "-r", "5", "--max-replications", "2"],
     "max_replications (2) is below replications (5)"),
])
def test_bad_search_settings_are_bad_input(tiny, tmp_path, capsys, argv, fragment):
    argv = [a.replace("{out}", str(tmp_path / "r")) for a in argv]
    assert main([argv[0], str(tiny), *argv[1:], "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
