"""Speed of the closed forms, against the goals of issue 4.

Goal: the Erlang C minimal-servers search for an offered load of 10,000 Erlangs in
under 10 ms. Also shown: Erlang B at 10,000 servers, the offered load m(t) of the
Stutterfly season hour by hour, and the whole rough cut (``capsim quick``).
Run: ``python benchmarks/bench_analytic.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from capsim.analytic import erlang_b, min_servers, offered_load, rough_cut
from capsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def best_ms(work: Callable[[], object], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return 1000 * min(times)


def main() -> None:
    scenario = load_scenario(ROOT / "experiments" / "stutterfly.toml")
    hours = np.arange(0.0, scenario.horizon_hours)
    cases = [
        ("min_servers, 10,000 Erlangs, P(wait > 0) <= 0.2",
         lambda: min_servers(10_000.0, 1.0, 0.2), 10.0),
        ("min_servers, 10,000 Erlangs, on-time within 2 h >= 0.8",
         lambda: min_servers(10_000.0, 1.0, 0.8, "on-time", 2.0), 10.0),
        ("erlang_b(10,000 servers, 9,900 Erlangs)", lambda: erlang_b(10_000, 9_900.0), None),
        ("offered load m(t), Stutterfly, 1,344 hours", lambda: offered_load(scenario, hours),
         None),
        ("rough cut (capsim quick), Stutterfly", lambda: rough_cut(scenario), None),
    ]
    print(f"{'':<58}{'best of 20':>12}  goal")
    for label, work, goal in cases:
        ms = best_ms(work)
        verdict = "" if goal is None else f"< {goal:g} ms: {'met' if ms < goal else 'NOT met'}"
        print(f"{label:<58}{ms:>9.2f} ms  {verdict}")


if __name__ == "__main__":
    main()
