"""Waiting in line: M/M/1 and M/M/c simulated against Erlang C.

Orders arrive at random, one at a time (a Poisson stream with rate λ per hour),
and each takes a random amount of work, exponential with mean 1/μ hours. With c
technicians the utilization is ρ = λ/(cμ). Erlang's delay formula C(c, a), with
a = λ/μ, gives the chance that an order has to wait at all, and the mean wait is
C/(cμ − λ). Two lessons come out of the table. First, waits explode as ρ nears 1:
they grow like 1/(1 − ρ), so the last few percent of utilization are the most
expensive. Second, pooling: five technicians sharing one queue at the same
utilization as one technician alone make orders wait far less, because an idle
technician can always pick up the next order. The simulation (capsim's own model
with servers that never go off shift) matches the formula within its confidence
interval, which is what makes it trustworthy when the formulas run out.

Run: python experiments/learn_erlang_c.py [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from _learning import figure, options, save

import capsim
from capsim.analytic import MMc
from capsim.scenario import validate


def simulate(servers: int, rho: float, replications: int, seed: int) -> capsim.RunResult:
    scenario = validate({
        "name": f"M/M/{servers}", "horizon_days": 60, "warmup_days": 10,
        "demand": {"rate_per_hour": rho * servers},
        "work": {"distribution": "exponential", "mean_minutes": 60.0, "promise_hours": 2.0},
        "workforce": {"roster": servers, "always_on": True}})
    return capsim.run(scenario, replications, seed, progress=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = options(__doc__, argv)
    loads = (0.5, 0.8) if args.quick else (0.5, 0.7, 0.8, 0.9)
    replications = 10 if args.quick else 40
    print(f"{'c':>3} {'rho':>5} {'E[W] exact':>11} {'E[W] simulated (95% CI)':>28} "
          f"{'P(W>0) exact':>13} {'simulated':>10}")
    fig, (ax,) = figure()
    grid = np.linspace(0.3, 0.93, 60)
    for colour, servers in enumerate((1, 5)):
        ax.plot(grid, [MMc(r * servers, 1.0, servers).mean_wait for r in grid],
                color=f"C{colour}", label=f"Erlang C, c = {servers}")
        for rho in loads:
            exact = MMc(rho * servers, 1.0, servers)
            result = simulate(servers, rho, replications, args.seed)
            wait, delay = result.kpis["wait_mean_hours"], result.kpis["wait_positive_share"]
            print(f"{servers:>3} {rho:>5.2f} {exact.mean_wait:>11.3f} {wait.mean:>12.3f} "
                  f"[{wait.ci_low:6.3f}, {wait.ci_high:6.3f}] {exact.delay_probability:>13.3f} "
                  f"{delay.mean:>10.3f}")
            ax.errorbar(rho, wait.mean, yerr=wait.half_width, fmt="o", color=f"C{colour}",
                        capsize=3)
    ax.set(title="Mean wait: simulation (dots, 95 % CI) against Erlang C (lines)",
           xlabel="utilization ρ = λ / (c μ)", ylabel="mean wait (hours, mean work = 1 h)")
    ax.legend()
    save(fig, args.out, "erlang_c")
    return 0


if __name__ == "__main__":
    sys.exit(main())
