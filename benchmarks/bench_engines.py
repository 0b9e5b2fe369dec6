"""Engines against a plain SimPy model and Ciw, measured in one run on this machine.

M/M/10 Monte Carlo at ρ = 0.9 (1,000 replications × about 2,000 customers; --quick:
100): each contender runs as its own process, so start-up, imports, sampling,
simulation and results all count ("whole process"); ratios are against (a).

    (a) a plain, idiomatic SimPy M/M/c model (a process per customer, a Resource)
    (b) Ciw on the same model (pip install "capsim[bench]")
    (c) capsim with its SimPy engine
    (d) capsim with its fast engine: its loops built ahead of time (``python -m
        capsim.loops``; else numba's), and (d') with numba's (``CAPSIM_AOT=0``)
    (e) the same with numba switched off (CAPSIM_NO_NUMBA=1): numpy steps vectorised
        across replications, to show whether numba pays for its start-up

Then the fast engine's recursion alone, in process; the fixed costs that bound any
whole-process ratio, as whole processes that simulate nothing: (f) importing capsim and
validating the scenario, (g) the same plus one replication on the fast engine with
numba's loops (numba's import, its target registries and its cache loads), (h) with the
loops built ahead of time instead; each with the ratio it caps: (a)'s
time over it, what a process with free simulation would reach. Then the compute alone,
in one warm process (issue 11: within 3x of the bare recursion): the fast engine's CPU
for the replications, one worker, against the recursion's over the same orders. Then the
default Stutterfly staffing curve (capsim size) with each engine; peak memory of every
process; and the time to import capsim. Goals (issue 6): (d) >= 30x (a) whole process;
the Stutterfly size under 10 s with peak memory under 2 GB at 1,000 replications per
roster; import under 0.3 s.
(Issue 2's goal, capsim's SimPy engine no slower per customer than 1.5x the plain
model, is the (c)/(a) ratio.)

Run: ``python benchmarks/bench_engines.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAM, SERVERS, DAYS = 2000 / 216, 10, 9  # about 2,000 customers in 9 days
MU = LAM / (0.9 * SERVERS)

MEMORY = textwrap.dedent("""
    import resource, json
    def report(customers):
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(json.dumps({"customers": customers, "peak_mb": peak / 1024}))
""")

PLAIN = MEMORY + textwrap.dedent("""
    import numpy as np, simpy
    customers = 0
    for r in range(REPS):
        rng = np.random.default_rng(r)
        env = simpy.Environment()
        server = simpy.Resource(env, capacity=SERVERS)
        waits = []
        def customer(service):
            arrived = env.now
            with server.request() as request:
                yield request
                waits.append(env.now - arrived)
                yield env.timeout(service)
        def source():
            for _ in range(2000):
                yield env.timeout(rng.exponential(1 / LAM))
                env.process(customer(rng.exponential(1 / MU)))
        env.process(source())
        env.run()
        customers += len(waits)
    report(customers)
""")

CIW = MEMORY + textwrap.dedent("""
    import ciw
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(LAM)],
        service_distributions=[ciw.dists.Exponential(MU)],
        number_of_servers=[SERVERS])
    customers = 0
    for r in range(REPS):
        ciw.seed(r)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_customers(2000, method="Finish")
        customers += len(sim.get_all_records())
    report(customers)
""")

SCENARIO = """validate({"name": "M/M/10", "horizon_days": DAYS, "warmup_days": 0,
              "demand": {"rate_per_hour": LAM}, "work": {"mean_minutes": MINUTES},
              "workforce": {"roster": SERVERS, "always_on": True}})"""

CAPSIM = MEMORY + textwrap.dedent("""
    import capsim
    from capsim.scenario import validate
    if __name__ == "__main__":
        s = SCENARIO
        result = capsim.run(s, REPS, 1, engine="ENGINE", progress=False)
        report(int(result.column("orders_arrived").sum()))
""")

RECURSION = textwrap.dedent("""
    import time, json
    import numpy as np
    from capsim.scenario import validate
    from capsim.sampling import sample_many
    from capsim.engines import vectorized
    s = SCENARIO
    reals = sample_many(s, list(range(REPS)), seed=1)
    begin, end = vectorized._duty_table(reals)
    offsets = np.concatenate([[0], np.cumsum([r.orders for r in reals])])
    args = (np.concatenate([r.arrival for r in reals]), np.concatenate([r.work for r in reals]),
            offsets, begin, end, s.horizon_hours)
    vectorized._recursion(*args)  # compile or load the compiled loop
    best = min((lambda t: (vectorized._recursion(*args), time.perf_counter() - t)[1])(
        time.perf_counter()) for _ in range(3))
    print(json.dumps({"customers": int(offsets[-1]), "seconds": best}))
""")

FIXED = MEMORY + textwrap.dedent("""
    import capsim
    from capsim.scenario import validate
    if __name__ == "__main__":
        s = SCENARIO
        if REPS:
            capsim.run(s, REPS, 1, engine="fast", workers=1, progress=False)
        report(0)
""")

COMPUTE = textwrap.dedent("""
    import json, time
    import numpy as np
    import capsim
    from capsim.scenario import validate
    from capsim.sampling import sample_many
    from capsim.engines import vectorized
    s = SCENARIO
    capsim.run(s, 50, 1, engine="fast", workers=1, progress=False)  # load numba's cache
    pipeline = []
    for _ in range(3):
        began = time.process_time()
        capsim.run(s, REPS, 1, engine="fast", workers=1, progress=False)
        pipeline.append(time.process_time() - began)
    reals = sample_many(s, list(range(REPS)), seed=1)
    begin, end = vectorized._duty_table(reals)
    offsets = np.concatenate([[0], np.cumsum([r.orders for r in reals])])
    args = (np.concatenate([r.arrival for r in reals]), np.concatenate([r.work for r in reals]),
            offsets, begin, end, s.horizon_hours)
    vectorized._recursion(*args)
    recursion = []
    for _ in range(3):
        began = time.process_time()
        vectorized._recursion(*args)
        recursion.append(time.process_time() - began)
    print(json.dumps({"pipeline": min(pipeline), "recursion": min(recursion)}))
""")


def fill(code: str, reps: int, engine: str = "") -> str:
    """Put the model's numbers into a template."""
    for token, value in [("SCENARIO", SCENARIO), ("REPS", str(reps)), ("ENGINE", engine),
                         ("DAYS", str(DAYS)), ("MINUTES", repr(60 / MU)), ("LAM", repr(LAM)),
                         ("MU", repr(MU)), ("SERVERS", str(SERVERS))]:
        code = code.replace(token, value)
    return code


def _environment(numba: bool, aot: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CAPSIM_NO_NUMBA", "CAPSIM_AOT")}
    if not aot:
        env["CAPSIM_AOT"] = "0"
    return env if numba else {**env, "CAPSIM_NO_NUMBA": "1"}


def whole_process(code: str, numba: bool = True, aot: bool = True) -> tuple[float, dict]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False, env=_environment(numba, aot))
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def size(engine: str) -> tuple[float, dict]:
    code = MEMORY + textwrap.dedent(f"""
        import sys
        from capsim.cli import main
        if __name__ == "__main__":
            sys.argv = ["capsim"]
            main(["size", "experiments/stutterfly.toml", "--engine", "{engine}", "--json"])
            report(0)
    """)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False, env=_environment(True))
    seconds = time.perf_counter() - began
    lines = done.stdout.strip().splitlines()
    answer = json.loads("\n".join(lines[:-1]))
    return seconds, {**json.loads(lines[-1]), "recommended": answer["recommended"],
                     "evaluations": answer["evaluations"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 replications, no SimPy size")
    parser.add_argument("--no-simpy-size", action="store_true",
                        help="skip the SimPy engine's staffing curve (about 8 minutes)")
    args = parser.parse_args()
    quick = args.quick
    reps = 100 if quick else 1000
    print(f"M/M/{SERVERS} Monte Carlo, rho = 0.9: {reps} replications x about 2,000 customers "
          "(each contender a whole process)\n")
    rows = [("(a) plain SimPy M/M/c (reference)", fill(PLAIN, reps)),
            ("(b) Ciw", fill(CIW, reps)),
            ("(c) capsim, SimPy engine", fill(CAPSIM, reps, "simpy")),
            ("(d) capsim, fast engine", fill(CAPSIM, reps, "fast")),
            ("(d') the same, numba's loops", fill(CAPSIM, reps, "fast")),
            ("(e) capsim, fast engine without numba", fill(CAPSIM, reps, "fast"))]
    reference = None
    for label, code in rows:
        try:
            seconds, out = whole_process(code, numba=not label.startswith("(e)"),
                                         aot=not label.startswith("(d')"))
        except RuntimeError as exc:
            print(f"{label:<40} not run: {str(exc).strip().splitlines()[-1]}")
            continue
        rate = out["customers"] / seconds
        reference = reference or rate
        print(f"{label:<40}{seconds:8.2f} s {rate:>12,.0f} customers/s {rate / reference:8.1f}x"
              f"   peak {out['peak_mb']:6.0f} MB")
    _, alone = whole_process(fill(RECURSION, reps))
    rate = alone["customers"] / alone["seconds"]
    print(f"{'    fast engine recursion alone':<40}{alone['seconds']:8.2f} s {rate:>12,.0f} "
          f"customers/s {rate / (reference or rate):8.1f}x")
    plain = alone["customers"] / reference if reference else None
    print("\nfixed costs (whole processes that simulate nothing; the ratio each caps):")
    for label, fixed_reps, aot in (("(f) import capsim, validate", 0, True),
                                   ("(g) (f) + numba, 1 replication", 1, False),
                                   ("(h) (f) + the built loops, 1 replication", 1, True)):
        seconds, _ = whole_process(fill(FIXED, fixed_reps), aot=aot)
        cap = f"{plain / seconds:8.1f}x at most" if plain else ""
        print(f"{label:<40}{seconds:8.2f} s {cap}")
    _, compute = whole_process(fill(COMPUTE, reps))
    print(f"\ncompute alone (one warm process, CPU): the fast engine {compute['pipeline']:.3f} s, "
          f"its recursion {compute['recursion']:.3f} s: "
          f"{compute['pipeline'] / compute['recursion']:.1f}x the recursion")
    print("\nStutterfly staffing curve: capsim size experiments/stutterfly.toml\n")
    for engine in ["fast"] if quick or args.no_simpy_size else ["simpy", "fast"]:
        seconds, out = size(engine)
        print(f"engine {engine:<17}{seconds:8.1f} s   recommended {out['recommended']}, "
              f"{len(out['evaluations'])} rosters, peak {out['peak_mb']:6.0f} MB")
    began = time.perf_counter()
    subprocess.run([sys.executable, "-X", "importtime", "-c", "import capsim"],
                   capture_output=True, check=True)
    total = time.perf_counter() - began
    bare = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python = time.perf_counter() - bare
    print(f"\nimport capsim: {total - python:.3f} s over a bare interpreter start ({python:.3f} s)")


if __name__ == "__main__":
    main()
