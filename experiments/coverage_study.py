"""How often does a "95 %" interval cover the true mean of a KPI? A coverage study.

A season's on-time rate is not bell-shaped: most seasons are nearly all on time and a
few, when an outbreak meets the peak, are far worse. Waits and lead times have the
mirror image, a long upper tail. On such skewed values the textbook Student t interval
for the mean sits too high or too low more often than its level says; capsim reports
Hall's skewness-corrected t interval instead (``capsim.stats``). This script measures
both, and the BCa bootstrap (``scipy.stats.bootstrap``) for comparison.

The method: simulate a large *population* of seasons of a scenario. Its mean is known
exactly, so we can run many small *experiments*, each drawing n seasons from the
population (as a Monte Carlo run draws seasons from the model), compute each method's
interval, and count how often it covers the population's mean. The coverage estimate
from E experiments has a standard error of about sqrt(0.95 · 0.05 / E).

Run ``python experiments/coverage_study.py`` (a few minutes) for the table the README
quotes; ``--quick`` runs a small version.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

import capsim
from capsim.stats import mean_interval, needed_replications, skewness, t_interval

HERE = Path(__file__).resolve().parent
KPIS = ("on_time_rate", "wait_mean_hours", "lead_time_p90_hours", "lead_time_p99_hours")


def populations(quick: bool, replications: int) -> dict[str, dict[str, np.ndarray]]:
    """Simulated seasons of Stutterfly at three rosters and of the small skewed scenario."""
    cases = [("rare bad seasons", HERE / "rare_bad_seasons.toml", [])]
    rosters = (15,) if quick else (14, 15, 16)
    cases += [(f"Stutterfly, roster {r}", HERE / "stutterfly.toml", [f"workforce.roster={r}"])
              for r in rosters]
    out = {}
    for label, path, overrides in cases:
        result = capsim.run(capsim.load_scenario(path, overrides), replications=replications,
                            seed=99, progress=False)
        out[label] = {kpi: result.column(kpi) for kpi in KPIS}
        print(f"  simulated {replications} seasons: {label}", file=sys.stderr)
    return out


def _coverage(samples: np.ndarray, truth: float, method) -> float:
    return float(np.mean([(iv := method(x)).ci_low <= truth <= iv.ci_high for x in samples]))


def _bca_coverage(samples: np.ndarray, truth: float, rng: np.random.Generator) -> float:
    hits = 0
    for x in samples:
        if np.ptp(x) == 0:
            hits += x[0] == truth
            continue
        ci = stats.bootstrap((x,), np.mean, n_resamples=999, method="BCa",
                             rng=rng).confidence_interval
        hits += ci.low <= truth <= ci.high
    return hits / len(samples)


def study(pops: dict[str, dict[str, np.ndarray]], sizes: tuple[int, ...], experiments: int,
          bca_experiments: int) -> list[str]:
    rng = np.random.default_rng(2026)
    lines = ["| population | KPI | skewness | n | t | BCa | capsim (Hall) | reliable |",
             "|---|---|---:|---:|---:|---:|---:|:---:|"]
    for label, kpis in pops.items():
        for kpi, values in kpis.items():
            values = values[~np.isnan(values)]
            g, truth = skewness(values), float(values.mean())
            for n in sizes:
                samples = rng.choice(values, (experiments, n), replace=True)
                t = _coverage(samples, truth, t_interval)
                hall = _coverage(samples, truth, mean_interval)
                bca = _bca_coverage(samples[:bca_experiments], truth, rng)
                ok = "yes" if n >= needed_replications(g) else ""
                lines.append(f"| {label} | `{kpi}` | {g:.1f} | {n} | {100 * t:.1f} | "
                             f"{100 * bca:.1f} | {100 * hall:.1f} | {ok} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version (seconds)")
    args = parser.parse_args(argv)
    replications = 200 if args.quick else 2000
    experiments = 200 if args.quick else 2000
    sizes = (20, 50) if args.quick else (20, 50, 100, 200)
    pops = populations(args.quick, replications)
    lines = study(pops, sizes, experiments, 100 if args.quick else 500)
    se = 100 * np.sqrt(0.95 * 0.05 / experiments)
    print(f"Coverage (%) of nominal 95 % intervals for the mean over {experiments} experiments "
          f"per row (BCa: {100 if args.quick else 500}); standard error about {se:.1f} "
          f"points. Populations of {replications} simulated seasons each.\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
