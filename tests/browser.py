"""A real headless Chromium, driven over the DevTools protocol on a pipe (no packages).

Chromium reads protocol messages on its fd 3 and writes on fd 4, each a JSON object
ended by a NUL byte (``--remote-debugging-pipe``). :func:`render` opens a page,
waits for it to load, collects what the console and the network complained about,
checks every image, and takes a full-page screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Flags for a sandbox-less machine with no outside network (as root in CI).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe")
TIMEOUT_S = 60.0


def find_chromium() -> str | None:
    """The Chromium binary: $CAPSIM_CHROMIUM, else chromium on the PATH."""
    named = os.environ.get("CAPSIM_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class Rendered:
    """What the browser saw."""

    errors: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    screenshot: bytes = b""
    height: int = 0


class Chromium:
    """One browser process; a context manager."""

    def __init__(self, binary: str):
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        self._profile = tempfile.mkdtemp(prefix="capsim-chromium-")
        args = [binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        # The browser wants the pipe on fds 3 and 4 exactly; bash puts it there.
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser, from_browser))
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Call a protocol method and return its result (events meanwhile are kept)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event of this kind (already received or the next to come)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._next()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _next(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_S
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise RuntimeError(f"chromium said nothing for {TIMEOUT_S:g} s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe (did it start?)")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)


def _complaints(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            found.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            found.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
    return found


IMAGES_JS = """JSON.stringify(Array.from(document.images).map(i => ({
  alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, width: i.width})))"""


def render(binary: str, page: Path, width: int = 1280) -> Rendered:
    """Open ``page`` (a local file), as a reader would, and report what it saw."""
    with Chromium(binary) as browser:
        targets = browser.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = browser.send("Target.attachToTarget",
                               {"targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1,
                      "mobile": False}, session=session)
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")

        def evaluate(expression: str) -> Any:
            return browser.send("Runtime.evaluate", {"expression": expression,
                                                     "returnByValue": True},
                                session=session)["result"]["value"]

        images = json.loads(evaluate(IMAGES_JS))
        height = int(evaluate("document.documentElement.scrollHeight"))
        shot = browser.send("Page.captureScreenshot",
                            {"format": "png", "captureBeyondViewport": True},
                            session=session)
        return Rendered(_complaints(browser.events), images, base64.b64decode(shot["data"]),
                        height)
