"""Time-varying demand: the load lags the surge, and staffing should follow the load.

When orders arrive faster for a few hours, the number of orders in progress does
not jump with them: each order stays for its work time, so the load builds up and
drains away over about one work time. For ample technicians (M_t/G/∞) the expected
number in progress is exactly the offered load m(t) = ∫ λ(u)·P(S > t − u) du, and
the simulation's mean work in progress follows it hour by hour. Staffing to the
arrival rate of the moment (the pointwise-stationary approximation, PSA) is
therefore too early on the way up and too late on the way down; staffing to m(t)
with a square-root margin (the modified offered load, MOL) tracks the real need.
Here each order takes two hours on average, so the lag is easy to see.

Run: python experiments/learn_surge.py [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from _learning import figure, options, save

import capsim
from capsim.analytic import mol_staffing, offered_load, psa_staffing
from capsim.demand import rate_at
from capsim.scenario import validate

DELAY = 0.1  # P(wait > 0) target for the staffing curves


def main(argv: Sequence[str] | None = None) -> int:
    args = options(__doc__, argv)
    scenario = validate({
        "name": "surge", "horizon_days": 2, "warmup_days": 0,
        "demand": {"rate_per_hour": 10.0,
                   "surges": [{"name": "promotion", "start_hour": 20, "end_hour": 26,
                               "multiplier": 3.0}]},
        "work": {"distribution": "lognormal", "mean_minutes": 120.0, "cv": 0.7},
        "workforce": {"roster": 400, "always_on": True}})
    result = capsim.run(scenario, 60 if args.quick else 400, args.seed, progress=False)
    hours = np.arange(48.0)
    load = offered_load(scenario, hours)
    wip = result.hourly("wip")
    mean, se = wip.mean(axis=0), wip.std(axis=0, ddof=1) / np.sqrt(wip.shape[0])
    mol, psa = mol_staffing(load, DELAY), psa_staffing(scenario, hours, DELAY)
    print(f"{'hour':>5} {'rate/h':>7} {'m(t)':>8} {'WIP sim':>8} {'z':>6} {'PSA':>5} {'MOL':>5}")
    for h in range(14, 40):
        z = (mean[h] - load[h]) / se[h] if se[h] > 0 else 0.0
        print(f"{h:>5} {rate_at(scenario, np.array([h + 0.5]))[0]:>7.1f} {load[h]:>8.2f} "
              f"{mean[h]:>8.2f} {z:>6.2f} {psa[h]:>5} {mol[h]:>5}")
    fig, (left, right) = figure(2)
    left.fill_between(hours, np.percentile(wip, 10, axis=0), np.percentile(wip, 90, axis=0),
                      alpha=0.25, color="C0", label="simulated WIP, p10-p90")
    left.plot(hours, mean, color="C0", label="simulated WIP, mean")
    left.plot(hours, load, "--", color="C1", label="offered load m(t)")
    left.axvspan(20, 26, color="0.85", zorder=0, label="surge (3x arrivals)")
    left.set(title="Orders in progress lag the surge", xlabel="hour", ylabel="orders")
    left.legend(fontsize=8)
    right.step(hours, psa, where="post", label="PSA: Erlang C at λ(t)")
    right.step(hours, mol, where="post", label="MOL: m(t) + β√m(t)")
    right.axvspan(20, 26, color="0.85", zorder=0)
    right.set(title=f"Technicians for P(wait > 0) <= {DELAY:g}", xlabel="hour",
              ylabel="technicians")
    right.legend(fontsize=8)
    save(fig, args.out, "surge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
