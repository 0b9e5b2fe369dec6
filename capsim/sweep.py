"""What-if grids: run a scenario at every combination of one or two varied fields.

``--vary PATH=V1,V2,...`` lists values (each read as a TOML literal, else as text);
``--vary PATH=START:STOP:STEP`` spans numbers from START to STOP inclusive (when STOP
falls on the grid); a grid has at most :data:`MAX_GRID_POINTS` points, and a span's
numbers must be finite. Every grid point runs on the same replication seeds, so the
differences between points are the changes' alone. Grid expansion is a pure function
(:func:`grid`), checked before anything runs: a bad path or value fails at once.

Any scenario field can be varied, policies included: ``policies.float_pool.size=0,1,2``
(size 0 is no pool) or ``policies.agency.max_per_day=1,2,3`` work on a scenario without
that table, which the first varied field starts (a field it still requires is then
named in the error); a list of tables is varied whole, e.g.
``absence.vacation.blackouts=[],[{start_day=21,end_day=56}]`` (no blackout against one).

The text of ``--vary`` is parsed here, at the command line's boundary; a grid point is
a list of typed edits (path, value), applied with :meth:`Scenario.edit`, and errors
name the edit as ``--vary PATH=VALUE``.
"""

from __future__ import annotations

import itertools
import json
import math
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from capsim.errors import CapsimError
from capsim.experiment import Runner
from capsim.options import RunOptions, resolve_options
from capsim.progress import ProgressOption, progress_callback
from capsim.results import RunResult, Savable, View, html_table, interval_text, short_repr
from capsim.scenario import Scenario
from capsim.scenario.load import format_path, parse_path

#: A grid point: the varied fields and their values, as (path, value) pairs.
Point = tuple[tuple[str, Any], ...]

MAX_DIMENSIONS = 2
#: Most points in a grid (each point is a whole Monte Carlo run).
MAX_GRID_POINTS = 1000


@dataclass(frozen=True)
class Vary:
    """One varied field and its values."""

    path: str
    values: tuple[Any, ...]


def _split(text: str) -> list[str]:
    """Split at commas outside brackets, braces and quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def _value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _span(text: str, raw: str) -> tuple[Any, ...]:
    numbers = [_value(p.strip()) for p in text.split(":")]
    if len(numbers) != 3 or not all(isinstance(n, int | float) and not isinstance(n, bool)
                                    for n in numbers):
        raise CapsimError(f"--vary {raw}: expected START:STOP:STEP with three numbers")
    if not all(math.isfinite(n) for n in numbers):
        raise CapsimError(f"--vary {raw}: START, STOP and STEP must be finite numbers")
    start, stop, step = numbers
    if not step > 0 or stop < start:
        raise CapsimError(f"--vary {raw}: needs STEP > 0 and STOP >= START")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_GRID_POINTS:
        raise CapsimError(f"--vary {raw}: spans {count:,} values; allowed: at most "
                          f"{MAX_GRID_POINTS:,} grid points (use a larger STEP)")
    whole = all(isinstance(n, int) for n in numbers)
    return tuple(start + i * step if whole else round(start + i * step, 12)
                 for i in range(count))


def parse_vary(text: str) -> Vary:
    """Parse ``PATH=V1,V2,...`` or ``PATH=START:STOP:STEP``."""
    if "=" not in text:
        raise CapsimError(f"--vary {text}: expected PATH=VALUES")
    path, values = (s.strip() for s in text.split("=", 1))
    try:
        path = format_path(parse_path(path))
    except ValueError as exc:
        raise CapsimError(f"--vary {text}: {exc}") from None
    if not values:
        raise CapsimError(f"--vary {text}: no values")
    if ":" in values and "," not in values and not values.startswith(("[", "{", '"', "'")):
        return Vary(path, _span(values, text))
    parsed = tuple(_value(v.strip()) for v in _split(values) if v.strip())
    if not parsed:
        raise CapsimError(f"--vary {text}: no values")
    return Vary(path, parsed)


def grid(varies: Sequence[Vary]) -> list[Point]:
    """Every combination of the varied values, as (path, value) edits, first field slowest."""
    if not 1 <= len(varies) <= MAX_DIMENSIONS:
        raise CapsimError(f"--vary: give one or two fields, not {len(varies)}")
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise CapsimError(f"--vary: a field is varied twice ({', '.join(paths)})")
    size = math.prod(len(v.values) for v in varies)
    if size > MAX_GRID_POINTS:
        raise CapsimError(f"--vary: the grid has {size:,} points; allowed: at most "
                          f"{MAX_GRID_POINTS:,} (fewer values, or a larger STEP)")
    return [tuple((v.path, x) for v, x in zip(varies, combo, strict=True))
            for combo in itertools.product(*(v.values for v in varies))]


def _label(point: Point) -> str:
    """A grid point as progress shows it: ``workforce.roster=7, absence.daily_rate=0.1``."""
    return ", ".join(f"{path}={json.dumps(value, ensure_ascii=False)}" for path, value in point)


@dataclass(frozen=True, eq=False)
class SweepResult(Savable):
    """The runs of a what-if grid, in grid order (None for points not reached)."""

    scenario: Scenario
    varies: tuple[Vary, ...]
    points: tuple[Point, ...]
    results: tuple[RunResult | None, ...]
    seed: int
    replications: int
    partial: bool = False
    elapsed_seconds: float = 0.0

    tables = View("capsim.tables", "SweepTables")

    def __repr__(self) -> str:
        done = sum(r is not None for r in self.results)
        return short_repr("SweepResult", {
            "scenario": repr(self.scenario.name), "vary": [v.path for v in self.varies],
            "points": f"{done} of {len(self.results)}", "replications": self.replications,
            "seed": self.seed, **({"partial": True} if self.partial else {})})

    def _repr_html_(self) -> str:
        rows = [(*self.values(i), "not run" if run is None else
                 interval_text("on_time_rate", run.kpis["on_time_rate"]),
                 "" if run is None else interval_text("p_target_met", run.p_target_met))
                for i, run in enumerate(self.results)]
        return html_table(f"{self.scenario.name}: what-if grid",
                          (*(v.path for v in self.varies), "on_time_rate", "p_target_met"),
                          rows)

    def values(self, index: int) -> tuple[Any, ...]:
        """The varied values of grid point ``index``."""
        combos = list(itertools.product(*(v.values for v in self.varies)))
        return combos[index]


def sweep(scenario: Scenario, varies: Sequence[Vary], *, replications: int | None = None,
          seed: int | None = None, workers: int | None = None, engine: str | None = None,
          executor: str | None = None, scheduler: str | None = None,
          ci_level: float | None = None, progress: ProgressOption = None,
          options: RunOptions | None = None) -> SweepResult:
    """Run the scenario at every grid point, on the same seeds.

    Every point is validated before the first runs. Ctrl-C stops the sweep and keeps
    the points completed, marked partial.
    """
    o = resolve_options(options, replications=replications, seed=seed, workers=workers,
                        engine=engine, executor=executor, scheduler=scheduler,
                        ci_level=ci_level, progress=progress)
    replications, seed, workers, scheduler = o.replications, o.seed, o.workers, o.scheduler
    engine, executor, ci_level, progress = o.engine, o.executor, o.ci_level, o.progress
    points = grid(varies)
    scenarios = [scenario.edit(point, flag="--vary") for point in points]
    replications = scenario.experiment.replications if replications is None else replications
    seed = scenario.experiment.seed if seed is None else seed
    began = time.perf_counter()
    results: list[RunResult | None] = [None] * len(points)
    partial = False
    with Runner(workers=workers, executor=executor, scheduler=scheduler,
                planned_runs=len(points)) as runner:
        for index, (edits, point) in enumerate(zip(points, scenarios, strict=True)):
            label = f"point {index + 1} of {len(points)} ({_label(edits)})"
            notify, close = progress_callback(progress, replications, label=label)
            try:
                result = runner.run(point, replications, seed, engine=engine,
                                    ci_level=ci_level, progress=notify)
            finally:
                close()
            if not result.partial:
                results[index] = result
            if result.partial or runner.stop_requested:
                partial = True
                break
    return SweepResult(scenario=scenario, varies=tuple(varies), points=tuple(points),
                       results=tuple(results), seed=seed, replications=replications,
                       partial=partial, elapsed_seconds=time.perf_counter() - began)
