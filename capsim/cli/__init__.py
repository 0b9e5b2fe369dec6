"""The ``capsim`` command line: a thin layer over the Python API.

``main(argv) -> int`` never raises for bad input: a :class:`CapsimError`
(bad scenario, bad ``--set``, bad ``--out``, an argument out of range) or a bad
argument prints one message and returns 2. Anything else is a bug in capsim: one
line that says so and returns 1 (with ``--debug``, the traceback).

The commands that simulate (run, size, sweep, stress, report) treat SIGTERM like
Ctrl-C (see :mod:`capsim.interrupts`): they keep and write what completed, marked
partial, and return 128 + the signal (130 for Ctrl-C, 143 for SIGTERM), also when the
signal came after the computing was done (the files are then complete). Each starts at
most one worker pool, shared by all its runs (:func:`capsim.placement.one_pool`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence

from capsim import interrupts
from capsim._version import __version__
from capsim.cli import (
    analytic_commands,
    app_command,
    example_command,
    report_command,
    run_commands,
    schedule_command,
    staffing_commands,
    verify_command,
)
from capsim.errors import CapsimError, warnings_to_stderr
from capsim.placement import one_pool

EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a tool cut off by `head`


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``capsim`` command."""
    parser = argparse.ArgumentParser(
        prog="capsim", description="Capacity planning by simulation: how many technicians to "
        "roster so that on-time delivery meets its target.")
    parser.add_argument("--version", action="version", version=f"capsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_commands.register(commands)
    staffing_commands.register(commands)
    analytic_commands.register(commands)
    verify_command.register(commands)
    report_command.register(commands)
    example_command.register(commands)
    app_command.register(commands)
    schedule_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``capsim`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad argument (argparse printed it)
        return int(exc.code or 0)
    args.argv = argv
    if not getattr(args, "keeps_partial", False):
        return _dispatch(args)
    with interrupts.handling_signals(), one_pool():  # one worker pool per command
        status = _dispatch(args)
        signum = interrupts.requested()
        if signum is None or status in (EXIT_INPUT, EXIT_INTERNAL):
            return status
        if status not in (EXIT_INTERRUPTED, interrupts.exit_status()):
            print(f"capsim: {signal.Signals(signum).name} came once the results were "
                  "complete: they are all there", file=sys.stderr)
        return interrupts.exit_status()


def _dispatch(args: argparse.Namespace) -> int:
    try:
        with warnings_to_stderr():
            result: int = args.handler(args)
            return result
    except CapsimError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"capsim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # a second signal, or Ctrl-C in a command without partial results
        print("capsim: interrupted", file=sys.stderr)
        return interrupts.exit_status()
    except BrokenPipeError:  # e.g. `capsim run ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if args.debug:
            raise
        print(f"capsim: internal error: {type(exc).__name__}: {exc} (run again with --debug "
              "for the traceback, and please report it)", file=sys.stderr)
        return EXIT_INTERNAL
