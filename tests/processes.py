"""A capsim child process watched line by line, for the tests that send it signals.

A signal test must not guess with a sleep when the child has got far enough: it waits
for the line on stderr that says so (``--progress lines`` prints one as replications
complete), then signals, then waits for the output pipes to close, which happens only
when the child *and every worker process it started* are gone (they share them).
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import IO, Any

import psutil

from tests.conftest import ROOT, start_capsim

#: Seconds to wait for a line, or for the pipes to close after a signal. Generous: the
#: machine may be loaded; the tests wait for an event, so a fast machine is not slowed.
PATIENCE = 120.0


class Child:
    """``python -m capsim ARGS`` with its stdout and stderr read as they come."""

    def __init__(self, *args: str, **kwargs: Any):
        self.process = start_capsim(*args, cwd=ROOT, **kwargs)
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [self._read(self.process.stdout, self.out, None),
                         self._read(self.process.stderr, self.err, self._lines)]

    @staticmethod
    def _read(pipe: IO[str] | None, into: list[str],
              lines: queue.Queue[str | None] | None) -> threading.Thread:
        def run() -> None:
            assert pipe is not None
            for line in pipe:
                into.append(line)
                if lines is not None:
                    lines.put(line)
            if lines is not None:
                lines.put(None)  # end of stderr

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def wait_for(self, pattern: str, timeout: float = PATIENCE) -> re.Match[str]:
        """Block until a line of stderr matches ``pattern``; that line's match."""
        compiled = re.compile(pattern)
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no stderr line matched {pattern!r} in {timeout} s; "
                                     f"stderr so far:\n{''.join(self.err)}") from None
            if line is None:
                raise AssertionError(f"capsim ended before a line matched {pattern!r}; "
                                     f"stderr:\n{''.join(self.err)}")
            found = compiled.search(line)
            if found:
                return found

    def descendants(self) -> list[psutil.Process]:
        """The worker processes (and any helper) the child has started."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def signal(self, number: int) -> None:
        """Send a signal to the child itself (not to its workers)."""
        self.process.send_signal(number)

    def finish(self, timeout: float = PATIENCE) -> int:
        """Wait for the child to exit and for its output pipes to close; its exit status.

        Fails if the pipes stay open: some process (a worker) still holds them.
        """
        status = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
            assert not reader.is_alive(), "the output pipes are still held open"
        self._close_pipes()
        return status

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        """End the child and its workers if a failed test left them running."""
        if self.process.poll() is None:
            for process in self.descendants():
                process.kill()
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(PATIENCE)
        self._close_pipes()

    @property
    def stderr(self) -> str:
        """Everything the child wrote to stderr so far."""
        return "".join(self.err)

    @property
    def stdout(self) -> str:
        """Everything the child wrote to stdout so far."""
        return "".join(self.out)


def busy(path: str) -> int:
    """A worker task that says it started (its pid into ``path``), then takes an hour."""
    Path(path).write_text(str(os.getpid()))
    time.sleep(3600)
    return os.getpid()


def quick(_: object) -> int:
    """A worker task that returns at once: the worker's pid."""
    return os.getpid()


def wait_for_file(path: Path, timeout: float = PATIENCE) -> str:
    """Block until ``path`` exists with some text in it; that text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear in {timeout} s")
