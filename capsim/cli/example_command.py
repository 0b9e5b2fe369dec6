"""``capsim example``: print an example scenario that ships with capsim.

``capsim example stutterfly > my.toml`` gives a pip-installed capsim the demo's
scenario without a checkout; ``capsim example --list`` (or no name) lists them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from capsim import examples
from capsim.cli.args import add_debug


def register(commands: Any) -> None:
    """Add the example command."""
    p = commands.add_parser(
        "example", help="print an example scenario (capsim example stutterfly > my.toml)",
        description="Print an example scenario file that ships with capsim, comments "
        "included, to start from: capsim example stutterfly > my.toml. Without a name, or "
        "with --list, list the examples.")
    p.add_argument("name", nargs="?", metavar="NAME", help="the example, e.g. stutterfly")
    p.add_argument("--list", action="store_true", help="list the examples and what they are")
    add_debug(p)
    p.set_defaults(handler=_example)


def _example(args: argparse.Namespace) -> int:
    if args.list or args.name is None:
        width = max(len(n) for n in examples.names())
        for name in examples.names():
            print(f"{name:<{width}}  {examples.summary(name)}")
        return 0
    data = examples.path(args.name).read_bytes()  # the file exactly, whatever the locale
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0
