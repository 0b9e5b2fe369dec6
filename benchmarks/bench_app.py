"""How fast the what-if page answers: Stutterfly at 100 replications, driven headless.

The page is run by Streamlit's AppTest (the same script ``capsim app`` serves, without
the browser): the first answer (imports, numba loading its compiled loop, the run), then
three what-ifs a planner asks, each a change of one knob (a new run), then a return to
an answer seen before (the cache). Each time is the whole page run, as the planner
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
    for path, value in WHAT_IFS:
        at, seconds = timed(lambda a=at, p=path, v=value: turn(a, p, v))
        said = next(c.value for c in at.caption if "answered in" in c.value)
        print(f"{path} = {value}: {seconds:.1f} s, on time {at.metric[0].value} ({said})")
    assert not at.exception, at.exception


if __name__ == "__main__":
    main()
