"""Wall time of the staffing answer for the default scenario (issue 3's goal).

Runs ``capsim size experiments/stutterfly.toml`` with the scenario's default
replications, as a user would, and prints wall time, evaluations and replications.
Goal with the SimPy engine: under 60 s on the 2-core development machine.
Run: ``python benchmarks/bench_size.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

from capsim import load_scenario, size_staff
from capsim.executors import cpu_count

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    scenario = load_scenario(ROOT / "experiments" / "stutterfly.toml")
    began = time.perf_counter()
    result = size_staff(scenario, progress=False)
    seconds = time.perf_counter() - began
    reps = sum(r.replications for r in result.evaluations.values())
    orders = sum(r.column("orders_arrived").sum() for r in result.evaluations.values())
    print(f"capsim size experiments/stutterfly.toml ({cpu_count()} cores): recommended "
          f"{result.recommended}")
    rosters = ", ".join(map(str, result.evaluations))
    print(f"  {len(result.evaluations)} rosters evaluated ({rosters}), {reps} replications, "
          f"{orders:,.0f} orders after warm-up")
    print(f"  wall time {seconds:.1f} s; goal < 60 s: {'met' if seconds < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
