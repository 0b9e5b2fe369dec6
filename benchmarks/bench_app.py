"""How fast the what-if page answers: Stutterfly at 100 replications, driven headless.

The page is run by Streamlit's AppTest (the same script ``capsim app`` serves, without
the browser): the first answer (imports, numba loading its compiled loop, the run), the
Stutterfly question ("size it": the smallest roster meeting the target), then three
what-ifs a planner asks, each a change of one knob (a new run), then a return to an
answer seen before (the cache), and the total. Each time is the whole page run, as the planner
waits for it. Run: ``python benchmarks/bench_app.py`` (from the repository root).
"""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parent.parent / "capsim" / "app" / "page.py"
WHAT_IFS = [("workforce.roster", 14), ("absence.daily_rate", 0.07),
            ("demand.surges[1].multiplier", 1.8),
            ("demand.surges[1].multiplier", 1.5)]  # back to the answer before: the cache


def timed(step):
    began = time.perf_counter()
    at = step()
    return at, time.perf_counter() - began


def turn(at: AppTest, path: str, value: float) -> AppTest:
    key = next(n.key for n in at.number_input if n.key.endswith(f":{path}"))
    return at.number_input(key=key).set_value(value).run()


def main() -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=600)
    at, first = timed(at.run)
    print(f"first answer (example stutterfly, 100 replications): {first:.1f} s, "
          f"on time {at.metric[0].value}")
    total = first
    at, seconds = timed(lambda a=at: a.button(key="size").click().run())
    total += seconds
    answer = next(m.value for m in at.markdown if "Smallest roster" in m.value)
    print(f"size it: {seconds:.1f} s, {answer}")
    for path, value in WHAT_IFS:
        at, seconds = timed(lambda a=at, p=path, v=value: turn(a, p, v))
        said = next(c.value for c in at.caption if "answered in" in c.value)
        total += seconds
        print(f"{path} = {value}: {seconds:.1f} s, on time {at.metric[0].value} ({said})")
    print(f"total: {total:.1f} s")
    assert not at.exception, at.exception


if __name__ == "__main__":
    main()
