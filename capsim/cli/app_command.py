"""``capsim app``: the what-if page, a local web page over the same functions as the CLI.

The scenario named on the command line is checked first (it must lie in the working
folder, where the page reads files from, and validate), so a bad one is refused with
exit status 2 before any server starts. The page itself is :mod:`capsim.app`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

from capsim.cli.args import add_debug, bounded

DEFAULT_PORT = 8501


def register(commands: Any) -> None:
    """Add the app command."""
    p = commands.add_parser(
        "app", help="the what-if page: a local web page to turn the knobs (needs capsim[app])",
        description="Start the what-if page on this machine: choose a scenario, turn the "
        "knobs a planner turns, compare with a pinned baseline under common random numbers, "
        "size the roster, download the scenario, the results and the report. Binds to "
        "127.0.0.1 unless --host says otherwise; sends no usage statistics; needs no network.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO",
                   help="scenario file to open, in the working folder (default: the "
                   "packaged example stutterfly)")
    p.add_argument("--port", type=bounded(int, 1, 65535), default=DEFAULT_PORT,
                   help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    add_debug(p)
    p.set_defaults(handler=_app)


def _app(args: argparse.Namespace) -> int:
    from capsim.app import launch, sources
    from capsim.scenario import load_scenario

    if args.scenario is not None:
        path = sources.inside(args.scenario, Path.cwd())
        load_scenario(path)  # a bad file is said here, before the server starts
    if not _loopback(args.host):
        print(f"capsim: warning: --host {args.host}: the page will be reachable from other "
              "machines, and it runs simulations for whoever opens it", file=sys.stderr)
    launch.serve(args.scenario, args.host, args.port)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
