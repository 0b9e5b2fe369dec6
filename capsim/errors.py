"""Errors that capsim reports to its users.

This module owns the exception types and their wording. Every error a user can
cause (a bad scenario file, a bad ``--set``, a bad argument) is a
:class:`CapsimError`; the CLI prints it as one message and exits with status 2.
Anything else reaching the CLI, a plain ``ValueError`` included, is a bug in capsim:
the CLI calls it an internal error (exit status 1, the traceback with ``--debug``).

Input that capsim accepts but that probably does not say what was meant (an event
after the horizon, say) gives a :class:`CapsimWarning` through Python's
:mod:`warnings`, naming the file and the field; the CLI prints each one once on
stderr as ``capsim: warning: ...`` (:func:`warnings_to_stderr`).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters escaped as Python writes them, safe on a terminal.

    Messages quote what users typed (a ``--set`` value, a file name); an escape
    sequence in it must show as text, not act on the terminal.
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class CapsimError(Exception):
    """An error caused by the user's input; the CLI prints it and exits with status 2."""


class ArgumentError(CapsimError, ValueError):
    """A bad argument to a capsim function, e.g. ``replications=0`` or an unknown KPI.

    Also a ``ValueError``, so that code calling the Python API can catch it as one.
    """


class CapsimWarning(UserWarning):
    """Input that is accepted but probably not what was meant; the message says why."""


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show every distinct :class:`CapsimWarning` once, as ``capsim: warning: ...`` on stderr.

    Other warnings keep Python's own display. A staffing search validates its scenario
    once per roster; the same warning is still shown once.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("default", CapsimWarning)
        original = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
            if issubclass(category, CapsimWarning):
                print(f"capsim: warning: {printable(str(message))}", file=sys.stderr)
            else:
                original(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


class WorkloadError(CapsimError):
    """A run too large for this machine, refused before anything is sampled."""


@dataclass(frozen=True)
class FieldProblem:
    """One bad value: where it is, what it was, and what is allowed.

    Parameters
    ----------
    field : str
        Dotted path of the field, e.g. ``demand.surges[0].multiplier``; empty for
        a problem with the whole file.
    problem : str
        What is wrong, in words.
    value : str | None
        The offending value as the user wrote it (already formatted), if any.
    allowed : str | None
        What would be accepted instead, if it can be said briefly.
    """

    field: str
    problem: str
    value: str | None = None
    allowed: str | None = None

    def render(self) -> str:
        """Return the problem as one line: ``field: problem (got v; allowed: a)``."""
        head = f"{self.field}: {self.problem}" if self.field else self.problem
        details = []
        if self.value is not None:
            details.append(f"got {self.value}")
        if self.allowed:
            details.append(f"allowed: {self.allowed}")
        return f"{head} ({'; '.join(details)})" if details else head


class ScenarioError(CapsimError):
    """A scenario that cannot be read or does not validate.

    Parameters
    ----------
    source : str
        Where the scenario came from: a file name, possibly with the ``--set``
        overrides applied to it.
    problems : list of FieldProblem
        Every problem found, in the order of the file.
    """

    def __init__(self, source: str, problems: list[FieldProblem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.problems) == 1:
            return printable(f"{self.source}: {self.problems[0].render()}")
        lines = [f"{self.source}: {len(self.problems)} problems"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(printable(line) for line in lines)
