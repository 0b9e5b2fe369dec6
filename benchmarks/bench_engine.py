"""Orders simulated per second: capsim's SimPy engine against a plain SimPy M/M/c model.

Everything is measured in this one run, on this machine, so the ratios compare like
with like. The reference (a) is the idiomatic SimPy M/M/c model: a source process, one
process per customer, a ``simpy.Resource`` with c servers, waits recorded in a list.

    (a) plain SimPy M/M/10, rho = 0.9
    (b) capsim engine only (simulate) on the same M/M/10
    (c) capsim full replication (sample + simulate + records + metrics) on M/M/10
    (d) capsim full replication on the default Stutterfly scenario

Goal (issue 2): capsim's engine no slower per order than 1.5x the plain model,
i.e. ratio (b)/(a) >= 0.67. Run: ``python benchmarks/bench_engine.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import simpy

from capsim.engines.simpy_model import simulate
from capsim.experiment import replicate
from capsim.sampling import sample
from capsim.scenario import load_scenario, validate

ROOT = Path(__file__).resolve().parent.parent
LAM, MU, C = 9.0, 1.0, 10
DAYS = 100  # about 21,600 customers per replication


def plain_simpy_mmc(customers: int, seed: int) -> list[float]:
    """The idiomatic SimPy M/M/c model (the reference)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=C)
    waits: list[float] = []

    def customer(service: float):
        arrived = env.now
        with server.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        for _ in range(customers):
            yield env.timeout(rng.exponential(1 / LAM))
            env.process(customer(rng.exponential(1 / MU)))

    env.process(source())
    env.run()
    return waits


def best_rate(label: str, work, orders: int, repeat: int) -> float:
    """Orders per second, best of ``repeat`` runs (least disturbed by the machine)."""
    times = []
    for i in range(repeat):
        began = time.perf_counter()
        work(i)
        times.append(time.perf_counter() - began)
    rate = orders / min(times)
    print(f"{label:<58}{orders:>9,} orders {min(times):8.3f} s {rate:>12,.0f} orders/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    mmc = validate({
        "name": "M/M/10", "horizon_days": DAYS, "warmup_days": 0,
        "demand": {"rate_per_hour": LAM},
        "work": {"distribution": "exponential", "mean_minutes": 60 / MU, "promise_hours": 2},
        "workforce": {"roster": C, "always_on": True},
    })
    realizations = [sample(mmc, r, 1) for r in range(repeat)]
    orders = realizations[0].orders
    print(f"M/M/{C}, rho = {LAM / (C * MU):.2f}, {DAYS} days; best of {repeat}\n")
    plain = best_rate("(a) plain SimPy M/M/c (reference)",
                      lambda i: plain_simpy_mmc(orders, i), orders, repeat)
    engine = best_rate("(b) capsim SimPy engine only",
                       lambda i: simulate(mmc, realizations[i]), orders, repeat)
    full = best_rate("(c) capsim full replication (sample+engine+metrics)",
                     lambda i: replicate(mmc, 1, i), orders, repeat)

    stutterfly = load_scenario(ROOT / "experiments" / "stutterfly.toml",
                               ["workforce.roster=16"])
    stutter_orders = sample(stutterfly, 0).orders
    default = best_rate("(d) capsim full replication, Stutterfly (roster 16)",
                        lambda i: replicate(stutterfly, stutterfly.experiment.seed, 0),
                        stutter_orders, repeat)

    print("\nratios against (a), per order (higher is faster):")
    for label, rate in [("(b) engine only", engine), ("(c) full replication", full),
                        ("(d) Stutterfly replication", default)]:
        print(f"  {label:<30}{rate / plain:6.2f}x")
    verdict = "met" if engine / plain >= 1 / 1.5 else "NOT met"
    print(f"\ngoal (b)/(a) >= {1 / 1.5:.2f} (no slower than 1.5x the plain model): {verdict}")


if __name__ == "__main__":
    main()
