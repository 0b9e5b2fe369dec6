"""The fast engine's compiled loop at any roster size: nanoseconds per order.

An always-on M/M/c pool at utilisation 0.9 with c = 10, 100, 1,000 and 10,000
technicians, and the same number of orders per replication at every size (100,000;
``--orders 1000000`` for the issue's million), so that the per-order cost shows how
server selection scales: with the technicians in a heap it grows like log c (goal:
roster 1,000 within 2x of roster 10). Then the dispatch rules at roster 15: EDD and
class priority against FIFO on the same orders (goal: within 1.5x).

Only the loop is timed (inputs built beforehand, the first call, which may compile or
load numba's cache, not counted; best of ``--repeat`` runs). Prints ratios; nothing
here is asserted.

Run: ``python benchmarks/bench_roster.py [--orders N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from capsim.engines import _kernel, vectorized


def pool(roster: int, orders: int, seed: int = 1) -> tuple:
    """Inputs of one replication of an always-on M/M/c pool at utilisation 0.9."""
    rng = np.random.default_rng(seed)
    mu = 1.0
    lam = 0.9 * roster * mu
    arrival = np.cumsum(rng.exponential(1 / lam, orders))
    work = rng.exponential(1 / mu, orders)
    begin = np.zeros((1, roster, 2))
    begin[:, :, 1] = np.inf
    end = np.full((1, roster, 2), np.inf)
    offsets = np.array([0, orders])
    return arrival, work, offsets, begin, end, float(arrival[-1] + 1.0)


def per_order_ns(args: tuple, keys: np.ndarray | None, repeat: int) -> float:
    """Best time of the compiled loop over ``repeat`` runs, per order, in ns."""
    vectorized._recursion(*args, keys)  # compile or load the cache
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        vectorized._recursion(*args, keys)
        best = min(best, time.perf_counter() - t)
    return best / args[0].size * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    if _kernel.compiled() is None:
        raise SystemExit("numba is needed: pip install 'capsim[fast]'")
    print(f"roster scaling, FIFO, {options.orders:,} orders per replication, rho = 0.9")
    base = None
    for roster in (10, 100, 1000, 10000):
        ns = per_order_ns(pool(roster, options.orders), None, options.repeat)
        base = base or ns
        print(f"  roster {roster:>6,}: {ns:8.1f} ns/order  ({ns / base:4.2f}x roster 10)")
    args = pool(15, options.orders)
    rng = np.random.default_rng(2)
    due = args[0] + rng.choice([4.0, 24.0, 48.0], args[0].size)
    priority = rng.integers(0, 3, args[0].size).astype(float)
    fifo = per_order_ns(args, None, options.repeat)
    print("dispatch rules at roster 15 (same orders)")
    for name, keys in (("fifo", None), ("edd", due), ("priority", priority)):
        ns = fifo if keys is None else per_order_ns(args, keys, options.repeat)
        print(f"  {name:>8}: {ns:8.1f} ns/order  ({ns / fifo:4.2f}x FIFO)")


if __name__ == "__main__":
    main()
