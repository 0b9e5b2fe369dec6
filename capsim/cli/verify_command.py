"""``capsim verify``: capsim's simulation against exact results, in front of the user."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from capsim.cli.args import add_debug, bounded

EXIT_FAILED = 1


def register(commands: Any) -> None:
    """Add the verify command."""
    p = commands.add_parser(
        "verify", help="check the simulation against exact queueing results",
        description="Simulate classical cases (M/M/1, M/M/c, a demand surge, staff on "
        "hand) and compare with the exact results; exit status 1 if any check is off by "
        "more than 4 standard errors.")
    p.add_argument("--quick", action="store_true", help="fewer replications (under 30 s)")
    p.add_argument("--seed", type=bounded(int, 0), default=1,
                   help="root seed of the simulations (default 1)")
    p.add_argument("--workers", type=bounded(int, 1), help="processes (default: all cores "
                   "when the runs are long enough to gain from them)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_debug(p)
    p.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from capsim.output import json_ready
    from capsim.verify import Z_LIMIT, verify

    began = time.perf_counter()
    checks = verify(args.quick, args.seed, args.workers)
    failed = [c for c in checks if not c.ok]
    if args.json:
        print(json.dumps(json_ready({"passed": not failed, "z_limit": Z_LIMIT, "checks": [
            {"case": c.case, "quantity": c.quantity, "exact": c.exact,
             "simulated": c.simulated, "std_error": c.std_error, "z": c.z, "ok": c.ok}
            for c in checks]}), indent=2))
        return EXIT_FAILED if failed else 0
    print(f"capsim verify: simulation against exact results (seed {args.seed}"
          f"{', quick' if args.quick else ''})\n")
    print(f"{'case':<28}{'quantity':<30}{'exact':>10}{'simulated':>11}{'std err':>10}"
          f"{'z':>7}")
    for c in checks:
        print(f"{c.case:<28}{c.quantity:<30}{c.exact:>10.4f}{c.simulated:>11.4f}"
              f"{c.std_error:>10.4f}{c.z:>7.2f}  {'ok' if c.ok else 'OUT OF TOLERANCE'}")
    elapsed = time.perf_counter() - began
    if failed:
        print(f"\n{len(failed)} of {len(checks)} checks beyond {Z_LIMIT:g} standard errors "
              f"({elapsed:.1f} s)")
        return EXIT_FAILED
    print(f"\nall {len(checks)} checks within {Z_LIMIT:g} standard errors ({elapsed:.1f} s)")
    return 0
