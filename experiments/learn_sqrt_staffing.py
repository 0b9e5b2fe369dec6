"""Square-root staffing: why big teams need proportionally fewer spare people.

To keep the chance of waiting at or below a target, a team serving an offered
load of a Erlangs (a technicians' worth of work on average) needs about
c = a + β√a technicians, where β depends only on the target (Halfin and Whitt,
1981): for P(wait > 0) <= 20 %, β ≈ 1.06. The safety margin grows like the square
root of the load, not in proportion to it, because random fluctuations of a
Poisson stream grow like √a. So a team of 1,000 needs only about 3 % spare
capacity where a team of 10 needs over 30 %: larger, pooled teams run at higher
utilization for the same service. The table compares the formula with the exact
Erlang C minimum (they agree within one technician from tiny to huge loads) and
checks the exact answer in simulation.

Run: python experiments/learn_sqrt_staffing.py [--quick]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import numpy as np
from _learning import figure, options, save

import capsim
from capsim.analytic import erlang_c, halfin_whitt_beta, sqrt_staffing
from capsim.scenario import validate

TARGET = 0.2  # P(wait > 0)


def simulated_delay(load: float, servers: int, replications: int, seed: int) -> float:
    scenario = validate({
        "name": f"a={load}", "horizon_days": 30, "warmup_days": 3,
        "demand": {"rate_per_hour": load},
        "work": {"distribution": "exponential", "mean_minutes": 60.0, "promise_hours": 1.0},
        "workforce": {"roster": servers, "always_on": True}})
    return capsim.run(scenario, replications, seed, progress=False).kpis[
        "wait_positive_share"].mean


def main(argv: Sequence[str] | None = None) -> int:
    args = options(__doc__, argv)
    beta = halfin_whitt_beta(TARGET)
    loads = [2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000]
    simulate = {5, 20} if args.quick else {5, 20, 100}
    print(f"target P(wait > 0) <= {TARGET}: beta = {beta:.4f}\n")
    print(f"{'load a':>7} {'a + b*sqrt(a)':>14} {'exact c':>8} {'spare':>7} {'utilization':>12} "
          f"{'P(W>0) exact':>13} {'simulated':>10}")
    rows = []
    for a in loads:
        s = sqrt_staffing(float(a), TARGET)
        c = s.exact_servers
        sim = (f"{simulated_delay(a, c, 6 if args.quick else 20, args.seed):>10.3f}"
               if a in simulate else f"{'':>10}")
        print(f"{a:>7} {s.servers:>14} {c:>8} {c - a:>7} {a / c:>12.1%} "
              f"{erlang_c(c, float(a)):>13.3f} {sim}")
        rows.append((a, c))
    fig, (left, right) = figure(2)
    loads_arr, exact = np.array(rows, dtype=float).T
    grid = np.geomspace(1, 10000, 200)
    left.plot(np.sqrt(grid), beta * np.sqrt(grid), label=f"β√a, β = {beta:.2f}")
    left.plot(np.sqrt(loads_arr), exact - loads_arr, "o", label="exact Erlang C: c − a")
    left.set(title="Safety staff grows like √a", xlabel="√(offered load)",
             ylabel="technicians above the load")
    left.legend()
    right.semilogx(loads_arr, loads_arr / exact, "o-")
    right.set(title="Utilization at the minimal team", xlabel="offered load a (Erlangs)",
              ylabel="utilization a / c", ylim=(0, 1))
    save(fig, args.out, "sqrt_staffing")
    assert all(abs(math.ceil(a + beta * math.sqrt(a)) - c) <= 1 for a, c in rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
