"""Stopping on Ctrl-C (SIGINT) or SIGTERM without losing what is computed.

This module owns what a stop request means while capsim works. Inside
:func:`handling_signals` (the CLI's simulating commands enter it), SIGINT and SIGTERM
are handled alike:

- while replications run (inside :func:`interruptible`, which the experiment runner
  enters), the signal raises ``KeyboardInterrupt`` at once; the runner keeps the
  completed replications and returns them marked partial;
- anywhere else (between two rosters, while results are written or figures drawn),
  the signal is only recorded: the code in hand finishes, so nothing computed is lost
  and no file is left half-written, and the next run that would start returns at once
  with nothing (:func:`requested` says why).

A second signal while the first is pending raises ``KeyboardInterrupt`` wherever the
program is: a way out of a write that takes too long.

Inside :func:`deferred` every signal is only recorded, even within
:func:`interruptible`: for code that a ``KeyboardInterrupt`` must not cut half-way,
such as waiting on a worker pool (an exception raised inside
``concurrent.futures`` can leave one of its locks held or a submitted task
untracked, and the process then hangs on exit). Such code looks at
:func:`requested` when it wakes and raises ``KeyboardInterrupt`` itself, at a point
where it knows what is running. The command then exits with
128 + the first signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports
a program a signal stopped.

Outside :func:`handling_signals` nothing changes: Python's own Ctrl-C handling (a
``KeyboardInterrupt`` anywhere) and the default SIGTERM (the process ends).
Standard library only, so that every module can ask.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals treated as a request to stop.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.received: int | None = None  # the first signal's number
        self.interruptible = False
        self.deferred = False
        self.pending = False  # a KeyboardInterrupt held back by deferred()


_state = _State()


def requested() -> int | None:
    """The number of the signal that asked capsim to stop, or None."""
    return _state.received


def exit_status(default: int = 128 + signal.SIGINT) -> int:
    """128 + the signal received, as a shell reports it; ``default`` without one."""
    return default if _state.received is None else 128 + _state.received


def _handle(signum: int, _frame: FrameType | None) -> None:
    first = _state.received is None
    if first:
        _state.received = signum
    if _state.interruptible or not first:
        if _state.deferred:
            _state.pending = True
        else:
            raise KeyboardInterrupt


@contextmanager
def handling_signals() -> Iterator[None]:
    """Handle SIGINT and SIGTERM as described in the module docstring, then restore.

    Outside the main thread (where Python cannot install signal handlers) nothing is
    installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _handle) for number in SIGNALS}
    _state.reset()
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _state.reset()


@contextmanager
def interruptible() -> Iterator[None]:
    """Let a stop request raise ``KeyboardInterrupt`` here (at once, if one is pending).

    The caller catches it and keeps what completed.
    """
    before = _state.interruptible
    _state.interruptible = True
    try:
        if _state.received is not None:
            raise KeyboardInterrupt
        yield
    finally:
        _state.interruptible = before


@contextmanager
def deferred() -> Iterator[None]:
    """Hold back ``KeyboardInterrupt`` here (see the module docstring).

    A stop request that would have raised raises on leaving the outermost
    :func:`deferred`, or earlier where the code calls :func:`stop_point`.
    """
    before = _state.deferred
    _state.deferred = True
    try:
        yield
    finally:
        _state.deferred = before
    if not before:
        stop_point()


def stop_point() -> None:
    """Raise ``KeyboardInterrupt`` here if a stop request waits for one.

    That is one :func:`deferred` held back, or one that came while replications run
    (inside :func:`interruptible`) whose ``KeyboardInterrupt`` was lost: Python only
    prints an exception raised inside a finalizer or a callback, so the handler's
    exception can vanish while the request stays recorded. Long loops call this at
    points where stopping is safe (between tasks), so a stop is never missed.
    """
    if _state.pending or (_state.received is not None and _state.interruptible):
        _state.pending = False
        raise KeyboardInterrupt
