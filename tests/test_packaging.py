"""What a pip-installed capsim has: the example scenarios, py.typed, the licence.

``capsim example stutterfly > my.toml`` must work without a checkout. The slow test
builds the real wheel (offline: no index, no build isolation, setuptools from the dev
extra) and installs it into a fresh virtual environment that sees only the wheel's
capsim and, for its dependencies, this environment's packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from email.parser import Parser

import pytest

from capsim import examples
from capsim.cli import main
from capsim.scenario import load_scenario, scenario_dict
from tests.conftest import ROOT, STUTTERFLY


def test_every_example_is_listed_and_loads(capsys):
    assert examples.names() == ["airport_thanksgiving", "help_desk", "rare_bad_seasons",
                                "stutterfly"]
    assert main(["example", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == examples.names()
    assert "Stutterfly prepress, holiday peak season" in lines[3]
    for name in examples.names():
        assert load_scenario(examples.path(name)).name


def test_example_prints_the_file_exactly(capsysbinary, tmp_path):
    assert main(["example", "stutterfly"]) == 0
    printed = capsysbinary.readouterr().out
    assert printed == examples.path("stutterfly").read_bytes()
    assert printed.startswith(b"# Stutterfly prepress")
    mine = tmp_path / "my.toml"
    mine.write_bytes(printed)
    assert scenario_dict(load_scenario(mine)) == scenario_dict(load_scenario(STUTTERFLY))
    assert main(["example", "stutterfly.toml"]) == 0
    assert capsysbinary.readouterr().out == printed


def test_an_unknown_example_exits_2_naming_those_there_are(capsys):
    assert main(["example", "stuterfly"]) == 2
    err = capsys.readouterr().err
    assert err == ("capsim: error: no example scenario 'stuterfly'; did you mean "
                   "'stutterfly'? (allowed: airport_thanksgiving, help_desk, rare_bad_seasons, "
                   "stutterfly)\n")


def test_experiments_point_at_the_one_packaged_copy():
    for name in examples.names():
        in_checkout = ROOT / "experiments" / f"{name}.toml"
        assert in_checkout.is_symlink()
        assert in_checkout.samefile(ROOT / "capsim" / "examples" / f"{name}.toml")


def _copy_source(to):
    """What the wheel is built from, copied, so that the build leaves the checkout clean."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, to / name)
    shutil.copytree(ROOT / "capsim", to / "capsim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_runs_the_example(tmp_path):
    source, dist, venv, work = (tmp_path / d for d in ("source", "dist", "venv", "work"))
    for folder in (source, work):
        folder.mkdir()
    _copy_source(source)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", str(source), "-w", str(dist), "--no-deps", "--no-index",
                    "--no-build-isolation", "-q"], check=True, env=env, capture_output=True)
    (wheel,) = dist.glob("capsim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
        (metadata,) = [n for n in files if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(metadata).decode())
    assert {"capsim/py.typed", "capsim/examples/stutterfly.toml",
            "capsim/examples/rare_bad_seasons.toml"} <= files
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in files)
    assert meta["License-Expression"] == "MIT"
    assert "tomli-w>=1.0" in meta.get_all("Requires-Dist")

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, env=env, capture_output=True)
    # the dependencies from this environment, capsim from the wheel only (a plain path in
    # a .pth file: the editable install's own .pth hook in there is not run)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                           "get_paths()['purelib'])"], check=True, capture_output=True,
                          text=True).stdout.strip()
    with open(os.path.join(site, "deps.pth"), "w") as pth:
        pth.write(sysconfig.get_paths()["purelib"] + "\n")

    def installed(*args):
        return subprocess.run([str(venv / "bin" / "capsim"), *args], cwd=work, env=env,
                              capture_output=True, timeout=120)

    where = subprocess.run([str(python), "-c", "import capsim; print(capsim.__file__)"],
                           cwd=work, env=env, check=True, capture_output=True, text=True)
    assert where.stdout.startswith(site), where.stdout
    done = installed("example", "stutterfly")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / "capsim" / "examples" / "stutterfly.toml").read_bytes()
    (work / "my.toml").write_bytes(done.stdout)
    checked = installed("validate", "my.toml")
    assert checked.returncode == 0, checked.stderr
    assert b"my.toml: ok" in checked.stdout
    listed = installed("example", "--list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.decode().startswith("airport_thanksgiving  An airline's check-in")
    assert tomllib.loads(done.stdout.decode())["name"] == "Stutterfly holiday peak"
