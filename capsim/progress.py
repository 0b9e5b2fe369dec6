"""How a run shows its progress: a bar, lines for a log, nothing, or a callback.

See :func:`progress_callback`; ``progress`` arguments across the API take the values
of :data:`PROGRESS_CHOICES` or a callable ``progress(done, total)``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

from capsim.errors import ArgumentError

Progress = Callable[[int, int], None]
#: What a ``progress`` argument may be besides a callable (see :func:`progress_callback`).
PROGRESS_CHOICES = (None, True, False, "auto", "bar", "lines", "none")
ProgressOption = bool | str | Progress | None
#: Seconds between two progress lines (``progress="lines"``).
LINE_SECONDS = 1.0


class _Lines:
    """Progress as lines on stderr, for a log or a pipe.

    The first update at once, then one per :data:`LINE_SECONDS` at most, and the last
    state on close.
    """

    def __init__(self, label: str, total: int):
        self.head = f"capsim: {label}: " if label else "capsim: "
        self.total, self.done, self.shown, self.last = total, 0, -1, -math.inf

    def update(self, done: int, _total: int) -> None:
        self.done = done
        if time.monotonic() - self.last >= LINE_SECONDS:
            self._show()

    def _show(self) -> None:
        self.shown, self.last = self.done, time.monotonic()
        print(f"{self.head}{self.done} of {self.total} replications", file=sys.stderr,
              flush=True)

    def close(self) -> None:
        if self.done != self.shown:
            self._show()


def progress_callback(progress: ProgressOption, total: int, unit: str = "rep", *,
                      label: str = "") -> tuple[Progress, Callable[[], None]]:
    """Turn a ``progress`` argument into a callback and a closer.

    ``"auto"`` or None shows a bar on stderr when it is a terminal; ``"bar"`` or True
    always; ``"lines"`` prints ``capsim: LABEL: DONE of TOTAL replications`` lines
    (the first at once, then at most one a second, and the last); ``"none"`` or False
    nothing; a callable is called as ``progress(done, total)``. ``label`` says what is
    being run (e.g. which roster, and how far the whole search is).
    """
    if callable(progress):
        return progress, lambda: None
    if progress not in PROGRESS_CHOICES:
        raise ArgumentError(f"progress must be a callable or one of "
                            f"{', '.join(map(repr, PROGRESS_CHOICES))}, got {progress!r}")
    mode = progress if isinstance(progress, str) else {None: "auto", True: "bar"}.get(
        progress, "none")
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "none"
    if mode == "none":
        return (lambda done, total: None), lambda: None
    if mode == "lines":
        lines = _Lines(label, total)
        return lines.update, lines.close
    from tqdm import tqdm

    bar = tqdm(total=total, unit=unit, desc=label or None, file=sys.stderr,
               dynamic_ncols=True, leave=False)

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update, bar.close
