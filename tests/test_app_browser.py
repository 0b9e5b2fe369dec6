"""``capsim app`` in a real browser: Debian's Chromium driven by Playwright.

The test starts ``capsim app`` as a child on a port the OS picked, waits for the server's
health endpoint to answer (an event, not a fixed sleep), opens the page, turns a knob,
waits for the new answer and checks it against ``capsim run --set`` with the same value.
Playwright drives the installed Chromium (``executable_path``): nothing is downloaded.
Without a Chromium the tests skip, unless ``CAPSIM_REQUIRE_CHROMIUM`` is set (CI sets it
and installs one), when they fail.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from capsim.app import answers
from capsim.cli import main
from tests.conftest import ROOT, mmc_toml

SMALL = {"horizon_days": 8, "rate": 9.0, "mean_minutes": 60.0, "promise": 2.0, "roster": 10,
         "replications": 12}
START_S = 90.0  # the server imports numpy, numba, Streamlit: seconds, more on a loaded machine
ANSWER_MS = 120_000  # one simulation of the small scenario, with a margin for a loaded machine



def free_port() -> int:
    """A port nobody listens on now: the OS picks it, and we let it go at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, child: subprocess.Popen, log: Path, deadline_s: float) -> None:
    """Poll the health endpoint until it says ok; fail at once if the child died."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"capsim app exited with {child.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # between polls of an event, not instead of one
    pytest.fail(f"capsim app did not answer on {url} within {deadline_s:g} s")


@pytest.fixture
def served(tmp_path):
    """``capsim app small.toml`` in a fresh working folder; killed at the end, whatever happens."""
    (tmp_path / "small.toml").write_text(mmc_toml("small", **SMALL))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    log = tmp_path / "server.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "capsim", "app", "small.toml", "--port", str(port)],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, child, log, START_S)
        yield url, tmp_path
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def cli_headline(folder: Path, capsys, *sets: str) -> list[str]:
    """The two headline numbers as the page writes them, from ``capsim run --json``."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        capsys.readouterr()
        assert main(["run", "small.toml", *(a for s in sets for a in ("--set", s)),
                     "--json"]) == 0
        found = json.loads(capsys.readouterr().out)
    finally:
        os.chdir(here)
    return [answers.formatted("on_time_rate", found["kpis"]["on_time_rate"]["mean"]),
            answers.formatted("p_target_met", found["p_target_met"]["mean"])]


def test_the_page_answers_a_what_if_in_a_real_browser(served, chromium, capsys):
    url, folder = served
    before = cli_headline(folder, capsys)
    after = cli_headline(folder, capsys, "workforce.roster=12")
    assert before != after
    errors: list[str] = []
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=chromium, args=[
            "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = chrome.new_page(viewport={"width": 1400, "height": 2000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            values = page.get_by_test_id("stMetricValue")
            expect(values.first).to_have_text(before[0], timeout=ANSWER_MS)
            expect(values.nth(1)).to_have_text(before[1])

            roster = page.get_by_role("spinbutton", name="Roster (technicians)")
            roster.fill("12")
            roster.press("Enter")
            expect(values.first).to_have_text(after[0], timeout=ANSWER_MS)
            expect(values.nth(1)).to_have_text(after[1])
            expect(page.get_by_test_id("stCode").first).to_contain_text(
                "--set workforce.roster=12", timeout=ANSWER_MS)

            folder_shots = os.environ.get("CAPSIM_SCREENSHOT_DIR",
                                          ROOT / "reports" / "screenshots")
            shot = Path(folder_shots) / "app-what-if.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")

            rate = page.get_by_role("spinbutton", name="Absence rate (per technician-day)")
            rate.fill("1.5")
            rate.press("Enter")
            message = page.get_by_text("absence.daily_rate (from --set absence.daily_rate=1.5)")
            expect(message).to_be_visible(timeout=ANSWER_MS)
            expect(page.get_by_text("Traceback")).to_have_count(0)
        finally:
            chrome.close()
    assert errors == []
    assert shot.read_bytes().startswith(b"\x89PNG")
