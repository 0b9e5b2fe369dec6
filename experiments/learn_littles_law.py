"""Little's law: work in progress = throughput × lead time, for any stable system.

Little's law, L = λW, says that the average number of orders in-house equals the
rate at which they arrive times the average time each spends inside. It needs no
assumption about arrival patterns, work contents, shifts or queue discipline, only
that the system neither fills up nor empties for good over the period measured. It
is also where the photo lab's rule of thumb comes from: 100 orders in-house per
technician with a 24-hour lead time means each technician finishes 100 orders a day
(4.8 minutes of work per order in an 8-hour shift). Below, capsim measures L (the
hourly count of orders in-house, averaged) and λ and W (from each order's arrival
and finish) separately, for a textbook queue and for the Stutterfly operation with
its shifts, surges and absences: the two sides agree.

Run: python experiments/learn_littles_law.py [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _learning import figure, options, save

import capsim
from capsim.analytic import RuleOfThumb
from capsim.scenario import validate

STUTTERFLY = Path(__file__).resolve().parent / "stutterfly.toml"


def sides(result: capsim.RunResult) -> tuple[float, float, float, float]:
    """L, λ, W and λ·W, each averaged over replications.

    L is the time-average WIP after warm-up, λ the arrivals per hour, W the mean lead time.

    λ·W is formed in each replication before averaging: Little's law holds season by
    season, and busy seasons have both more arrivals and longer lead times, so the
    product of the averages would fall short of the average product.
    """
    s = result.scenario
    wip = result.hourly("wip")[:, int(s.warmup_hours):].mean(axis=1)
    rate = result.column("orders_arrived") / (s.horizon_hours - s.warmup_hours)
    lead = result.column("lead_time_mean_hours")
    return float(wip.mean()), float(rate.mean()), float(lead.mean()), float((rate * lead).mean())


def main(argv: Sequence[str] | None = None) -> int:
    args = options(__doc__, argv)
    replications = 4 if args.quick else 20
    mm3 = validate({
        "name": "M/M/3, rho = 0.8", "horizon_days": 40, "warmup_days": 5,
        "demand": {"rate_per_hour": 2.4},
        "work": {"distribution": "exponential", "mean_minutes": 60.0},
        "workforce": {"roster": 3, "always_on": True}})
    stutterfly = capsim.load_scenario(STUTTERFLY, ["workforce.roster=16"])
    rule = RuleOfThumb()
    print(f"rule of thumb: {rule.orders_in_house_per_technician:g} in-house per technician, "
          f"{rule.lead_time_hours:g} h lead time -> {rule.orders_per_technician_day:g} orders "
          f"a day each, {rule.touch_minutes:.1f} min of work per order\n")
    print(f"{'system':<34} {'L (WIP)':>9} {'lambda/h':>9} {'W (h)':>7} {'lambda*W':>9}")
    rows = []
    for scenario in (mm3, stutterfly):
        wip, rate, lead, product = sides(capsim.run(scenario, replications, args.seed,
                                                    progress=False))
        rows.append((scenario.name, wip, product))
        print(f"{scenario.name:<34} {wip:>9.2f} {rate:>9.3f} {lead:>7.3f} {product:>9.2f}")
    fig, (ax,) = figure()
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r[1] for r in rows], width=0.4, label="L: average orders in-house")
    ax.bar(x + 0.2, [r[2] for r in rows], width=0.4, label="λ·W: arrival rate × lead time")
    ax.set_xticks(x, [r[0] for r in rows])
    ax.set(title="Little's law, L = λW", ylabel="orders")
    ax.legend()
    save(fig, args.out, "littles_law")
    return 0


if __name__ == "__main__":
    sys.exit(main())
