"""Output folders (capsim.output.folder, capsim.output.ownership): the same files on every
run but timing.json; only capsim's own folders replaced, whole and at once; no write a
planted symlink can redirect; debris of a kill removed by the next run; the umask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from capsim.cli import main
from tests.conftest import ROOT, mmc_toml

SMALL = mmc_toml("tiny", horizon_days=4, rate=2.0, mean_minutes=30.0, promise=4.0,
                 roster=2, replications=3) + """[[stress]]
name = "flu"
kind = "absence"
start_day = 2
days = 1
technicians = 1
"""
COMMANDS = {
    "run": ["run"],
    "size": ["size", "--target", "0.5", "--max", "4"],
    "sweep": ["sweep", "--vary", "workforce.roster=1,2"],
    "stress": ["stress"],
}


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL)
    return path


def capsim(command: str, scenario: Path, out: Path, *extra: str) -> int:
    return main([*COMMANDS[command], str(scenario), "--workers", "1", "--engine", "simpy",
                 "--out", str(out), *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links too, as their target's name), by relative path."""
    files = {}
    for path in folder.rglob("*"):
        if path.is_symlink():
            files[path.relative_to(folder).as_posix()] = os.readlink(path).encode()
        elif path.is_file():
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def without_timing(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if Path(name).name != "timing.json"}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_second_run_gives_the_same_files_but_timing_json(tiny, tmp_path, capsys, command):
    out = tmp_path / "out"
    assert capsim(command, tiny, out) == 0
    first = snapshot(out)
    assert capsim(command, tiny, out) == 0  # replaces its own folder
    second = snapshot(out)
    assert without_timing(second) == without_timing(first)
    assert "timing.json" in second
    assert json.loads(second["timing.json"])["elapsed_seconds"] >= 0
    assert b"elapsed_seconds" not in second["summary.json"]
    marker = json.loads(second[".capsim-output"])
    assert marker["kind"] == command
    assert marker["files"] == sorted(n for n in second if n != ".capsim-output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.toml"]
    # --json on stdout keeps the timing
    capsys.readouterr()
    assert main([*COMMANDS[command], str(tiny), "--workers", "1", "--engine", "simpy",
                 "--json"]) == 0
    assert "elapsed_seconds" in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_capsim_did_not_write_is_refused_and_left_as_it_was(tiny, tmp_path, capsys,
                                                                    command):
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    (out / "summary.json").write_text("my own summary")
    (out / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    (out / "data" / "customers.csv").write_text("name\nAda\n")
    before = snapshot(out)
    assert capsim(command, tiny, out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"capsim: error: --out {out}: not empty and not written by capsim")
    assert "Traceback" not in err
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "tiny.toml"]


def test_a_capsim_folder_holding_a_users_file_is_refused_naming_it(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert capsim("run", tiny, out) == 0
    (out / "notes.txt").write_text("what I think of these numbers")
    (out / "mine").mkdir()
    before = snapshot(out)
    capsys.readouterr()
    assert capsim("run", tiny, out, "--seed", "7") == 2
    err = capsys.readouterr().err
    assert "written by capsim, but it also holds files capsim did not write (mine, " \
           "notes.txt)" in err
    assert snapshot(out) == before
    assert (out / "mine").is_dir()


def test_an_empty_folder_is_used_and_a_missing_one_made_with_its_parents(tiny, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert capsim("run", tiny, empty) == 0
    assert (empty / "summary.json").is_file()
    deep = tmp_path / "a" / "b" / "out"
    assert capsim("run", tiny, deep) == 0
    assert (deep / "summary.json").is_file()


def test_an_out_that_is_a_link_to_a_folder_is_written_where_it_points(tiny, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert capsim("run", tiny, link) == 0
    assert link.is_symlink()
    assert (real / "summary.json").is_file()


def test_nothing_is_created_when_the_run_is_stopped_before_results(tiny, tmp_path,
                                                                    monkeypatch):
    """Ctrl-C before anything completed: no empty --out is left behind."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("capsim.staffing.size_staff", interrupted)
    out = tmp_path / "new" / "out"
    assert capsim("size", tiny, out) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


def test_ctrl_c_while_the_files_are_written_finishes_them_first(tiny, tmp_path, monkeypatch):
    from capsim.output import run as output_run

    real = output_run.replications_csv
    calls = []

    def interrupted_once(result):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(result)

    monkeypatch.setattr(output_run, "replications_csv", interrupted_once)
    out = tmp_path / "out"
    assert capsim("run", tiny, out) == 130
    summary = json.loads((out / "summary.json").read_text())
    rows = (out / "replications.csv").read_text().splitlines()[1:]
    assert summary["replications"] == len(rows) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.toml"]


def test_a_planted_symlink_never_redirects_a_write(tiny, tmp_path, capsys):
    """Whoever can write to --out plants links at the names capsim once used for its
    temporary files (``.summary.json.PID.tmp``): they are not capsim's, so the folder is
    refused, and nothing is written through them."""
    out = tmp_path / "out"
    assert capsim("run", tiny, out) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in ("summary.json", "replications.csv", "timeseries.csv", "daily.csv",
                 "lead_time.csv", "timing.json"):
        (out / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    capsys.readouterr()
    assert capsim("run", tiny, out, "--seed", "9") == 2
    assert "capsim did not write (.daily.csv." in capsys.readouterr().err
    assert victim.read_text() == "precious"
    assert all(p.is_symlink() for p in out.glob(".*.tmp"))


def test_debris_cleaning_touches_only_capsims_own_temporary_folders(tiny, tmp_path):
    out = tmp_path / "out"
    # A link named like capsim's debris, to a folder that even holds a marker: not followed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".capsim-output").write_text(json.dumps({"written_by": "capsim",
                                                          "files": None}))
    (elsewhere / "keep.txt").write_text("keep")
    (tmp_path / ".out.capsim-link.tmp").symlink_to(elsewhere)
    # A folder named like debris without a marker: not provably capsim's.
    unmarked = tmp_path / ".out.capsim-unmarked.tmp"
    unmarked.mkdir()
    (unmarked / "keep.txt").write_text("keep")
    # Real debris: a marked folder from a killed write, and an empty one.
    killed = tmp_path / ".out.capsim-killed.tmp"
    killed.mkdir()
    (killed / ".capsim-output").write_text(json.dumps({"written_by": "capsim",
                                                       "files": None}))
    (killed / "summary.json").write_text("{}")
    (tmp_path / ".out.capsim-empty.tmp").mkdir()
    # Another target's debris is that target's business.
    other = tmp_path / ".other.capsim-killed.tmp"
    other.mkdir()
    (other / ".capsim-output").write_text(json.dumps({"written_by": "capsim", "files": None}))
    assert capsim("run", tiny, out) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".other.capsim-killed.tmp", ".out.capsim-link.tmp", ".out.capsim-unmarked.tmp",
        "elsewhere", "out", "tiny.toml"]
    assert (elsewhere / "keep.txt").read_text() == "keep"
    assert (unmarked / "keep.txt").read_text() == "keep"


def test_a_folder_another_capsim_is_still_building_is_not_debris(tmp_path):
    from capsim.output.folder import Workspace

    out = tmp_path / "out"
    with Workspace(out, "run") as first:
        first.write({"a.csv": "x\n"})
        with Workspace(out, "run") as second:  # cleans debris: must leave `first` alone
            second.write({"b.csv": "y\n"})
            assert (first.path / "a.csv").is_file()
            second.commit()
        first.commit()  # replaces what `second` put there: capsim's own
    assert sorted(p.name for p in out.iterdir()) == [".capsim-output", "a.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_folders_and_files_follow_the_umask(tiny, tmp_path, umask):
    out = tmp_path / "out"
    old = os.umask(umask)
    try:
        assert capsim("run", tiny, out) == 0
        assert capsim("run", tiny, out) == 0  # a replaced folder too
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


def exchanges(place: Path) -> bool:
    """Whether two folders in ``place`` can be swapped atomically."""
    from capsim.output import folder

    first, second = place / "exchange-a", place / "exchange-b"
    first.mkdir()
    second.mkdir()
    try:
        return folder._exchange(first, second)
    finally:
        first.rmdir()
        second.rmdir()


# A kill -9 at every step of the final write: the child stops dead (os._exit) just before
# its k-th change to the file system under the test's folder.
KILLER = r"""
import builtins, io, os, sys
root, kill_at = os.path.realpath(sys.argv[1]), int(sys.argv[2])
count = 0

def step(path):
    global count
    if isinstance(path, int):
        return
    if not os.path.realpath(os.fspath(path)).startswith(root + os.sep):
        return
    count += 1
    if count == kill_at:
        os._exit(137)

def wrap(module, name, changes=lambda *a, **k: True):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        if args and changes(*args, **kwargs):
            step(args[0])
        return real(*args, **kwargs)
    setattr(module, name, wrapper)

for name in ("mkdir", "rename", "replace", "rmdir", "unlink", "remove", "chmod"):
    wrap(os, name)
wrap(os, "open", lambda path, flags, *a, **k: flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
for module in (builtins, io):
    wrap(module, "open", lambda path, mode="r", *a, **k: any(c in mode for c in "wxa+"))
import capsim.output.folder as folder
wrap(folder, "_exchange")
from capsim.cli import main
status = main(sys.argv[3:])
print(count)
sys.exit(status)
"""


def test_a_kill_at_any_moment_of_the_final_write_leaves_one_whole_set(tiny, tmp_path,
                                                                     monkeypatch):
    """Run 1 wrote 2 replications; run 2 (5 replications) is killed at each step of its
    final write in turn. The folder then holds run 1's files or run 2's, never a mix,
    and the next run removes what the kill left beside it. (Two lanes, each its own
    folder with the same relative --out, so that two kills run at once.)"""
    argv = ["run", str(tiny), "--workers", "1", "--engine", "simpy", "--out", "out"]
    lanes = [tmp_path / "lane0", tmp_path / "lane1"]
    saved = tmp_path / "saved"
    saved.mkdir()
    monkeypatch.chdir(saved)
    assert main([*argv, "-r", "2"]) == 0
    old = without_timing(snapshot(saved / "out"))

    def child(lane: Path, kill_at: int) -> subprocess.Popen:
        subprocess.run(["rm", "-rf", str(lane)], check=True)
        lane.mkdir()
        subprocess.run(["cp", "-a", str(saved / "out"), str(lane / "out")], check=True)
        return subprocess.Popen([sys.executable, "-c", KILLER, str(lane), str(kill_at),
                                 *argv, "-r", "5"], cwd=lane, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})

    first = child(lanes[0], 0)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    steps = int(stdout.split()[-1])
    assert steps >= 10
    new = without_timing(snapshot(lanes[0] / "out"))
    assert json.loads(new["summary.json"])["replications"] == 5
    # Without an atomic exchange (not Linux, or a file system without it) the swap is two
    # renames, and a kill between them leaves no folder at all, as capsim documents.
    whole = [old, new] if exchanges(tmp_path) else [old, new, {}]
    for batch in range(1, steps + 1, len(lanes)):
        kills = list(zip(lanes, range(batch, min(batch + len(lanes), steps + 1)), strict=False))
        running = [(lane, k, child(lane, k)) for lane, k in kills]
        for lane, kill_at, process in running:
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 137, (kill_at, stderr)
            assert without_timing(snapshot(lane / "out")) in whole, kill_at
            # The next run cleans up: nothing is left beside the folder.
            monkeypatch.chdir(lane)
            assert main([*argv, "-r", "5"]) == 0
            assert [p.name for p in lane.iterdir()] == ["out"], kill_at
            assert without_timing(snapshot(lane / "out")) == new
