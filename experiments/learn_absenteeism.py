"""Absenteeism: how many to roster so that enough show up.

If each of n rostered technicians is absent on a given day with probability q,
independently, the number on hand is binomial: mean n(1 − q), variance nq(1 − q).
Ten needed and 8 % absence does not mean rostering 10 / 0.92 ≈ 11: with 11, fewer
than ten turn up on about one day in five. The absence buffer is the smallest n
with P(Binomial(n, 1 − q) >= k) >= α, and it grows with the confidence α asked
for. Days off add to it: on a seven-day operation with five-day weeks only 5/7 of
the roster is scheduled on any day. The simulation draws each technician-day
independently, and its on-hand distribution matches the binomial law bar by bar.

Run: python experiments/learn_absenteeism.py [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from _learning import figure, options, save
from scipy import stats

import capsim
from capsim.analytic import absence_buffer
from capsim.scenario import validate

ROSTER, Q, NEEDED = 12, 0.08, 10


def main(argv: Sequence[str] | None = None) -> int:
    args = options(__doc__, argv)
    scenario = validate({
        "name": "absence", "horizon_days": 100, "warmup_days": 0,
        "demand": {"rate_per_hour": 1.0},
        "work": {"distribution": "exponential", "mean_minutes": 30.0},
        "workforce": {"roster": ROSTER, "always_on": True},
        "absence": {"daily_rate": Q}})
    result = capsim.run(scenario, 5 if args.quick else 30, args.seed, progress=False)
    on_hand = result.daily("on_hand").ravel().astype(int)
    counts = np.bincount(on_hand, minlength=ROSTER + 1) / on_hand.size
    pmf = stats.binom.pmf(np.arange(ROSTER + 1), ROSTER, 1 - Q)
    print(f"roster {ROSTER}, daily absence {Q:.0%}: {on_hand.size} simulated days\n")
    print(f"{'on hand':>8} {'binomial':>9} {'simulated':>10}")
    for k in range(ROSTER - 5, ROSTER + 1):
        print(f"{k:>8} {pmf[k]:>9.4f} {counts[k]:>10.4f}")
    print(f"\nmean {on_hand.mean():.3f} (exact {ROSTER * (1 - Q):.3f}), variance "
          f"{on_hand.var(ddof=1):.3f} (exact {ROSTER * Q * (1 - Q):.3f})")
    print(f"\nroster needed for at least {NEEDED} on hand:")
    print(f"{'confidence':>11} {'every day on':>13} {'5 of 7 days':>12}")
    for alpha in (0.8, 0.9, 0.95, 0.99):
        print(f"{alpha:>11.0%} {absence_buffer(NEEDED, 1 - Q, alpha):>13} "
              f"{absence_buffer(NEEDED, 1 - Q, alpha, 5 / 7):>12}")
    fig, (ax,) = figure()
    k = np.arange(ROSTER + 1)
    ax.bar(k - 0.2, pmf, width=0.4, label="Binomial(n, 1 − q)")
    ax.bar(k + 0.2, counts, width=0.4, label="simulated days")
    ax.set(title=f"Technicians on hand: roster {ROSTER}, absence {Q:.0%} a day",
           xlabel="technicians on hand", ylabel="share of days", xlim=(ROSTER - 6.5, ROSTER + 0.5))
    ax.legend()
    save(fig, args.out, "absenteeism")
    return 0


if __name__ == "__main__":
    sys.exit(main())
