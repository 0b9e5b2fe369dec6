"""Fuzzing the loader and the CLI with documents built from the real schema's keys.

Each document starts from a small valid scenario and replaces some of its fields with
values drawn from the JSON Schema (``capsim schema``): values in range, at the edges,
just past them, and wild ones (NaN, huge numbers, wrong types, control characters,
nested lists, unknown keys). The loader must answer with a scenario or a
:class:`ScenarioError`, and the CLI with exit status 0 or 2, never an internal error.
Derandomized and without a database, so that it cannot flake.
"""

from __future__ import annotations

import copy
import io
import math
import warnings
from contextlib import redirect_stderr, redirect_stdout, suppress
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capsim import workload
from capsim.cli import main
from capsim.errors import CapsimWarning, ScenarioError
from capsim.scenario import json_schema, validate
from capsim.scenario.dump import toml_document
from tests.conftest import mmc_data

SCHEMA = json_schema()
BASE = mmc_data(3.0, 2.0, 2, 4.0, horizon_days=3, warmup_days=1)
# every list of tables has an entry, so that a redrawn field of it lands in a valid scenario
RICH = mmc_data(
    3.0, 2.0, 3, 4.0, horizon_days=4, warmup_days=1, start_weekday="fri", dispatch="fifo",
    demand={"rate_per_hour": 3.0, "forecast_cv": 0.1,
            "surges": [{"name": "s", "start_hour": 30, "end_hour": 40, "multiplier": 1.5}],
            "batches": [{"name": "b", "at_hour": 50, "orders": 5, "class": "a"}]},
    classes=[{"name": "a", "share": 0.5, "promise_hours": 3.0, "priority": 1,
              "work": {"distribution": "gamma", "mean_minutes": 20.0, "cv": 0.5}},
             {"name": "b", "share": 0.5,
              "work": {"distribution": "lognormal", "mean_minutes": 30.0, "cv": 0.8}}],
    absence={"daily_rate": 0.1, "last_minute_share": 0.5, "cover_probability": 0.5,
             "vacation": {"weeks_per_year": 2, "block_weeks": 1,
                          "blackouts": [{"start_day": 0, "end_day": 7}]},
             "outbreaks": [{"rate_per_30_days": 2.0, "share": 0.3, "duration_days": 2,
                            "duration_distribution": "geometric"}]},
    stress=[{"name": "flu", "kind": "absence", "start_day": 2, "days": 1, "technicians": 1,
             "enabled": True}],
    experiment={"replications": 2, "seed": 5}, targets={"on_time_rate": 0.9},
    workforce={"roster": 3, "always_on": False, "shifts": [
        {"name": "day", "start_hour": 6, "length_hours": 10, "weekdays": ["mon", "tue", 2, 3, 4,
                                                                          5, 6],
         "days_per_week": 5, "share": 1.0}]})
FILES = ["touch.csv", "trace.csv", "missing.csv", "../outside.csv", "/etc/passwd", "data"]
WILD = st.one_of(
    st.sampled_from([None, True, False, math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-300,
                     0, -1, 2**63, -(2**64), 10**30, "", "yes", "mon", "x" * 300,
                     "a\x00b", "\x1b[31m", "\x7f", [], {}, [[[[[]]]]], {"unknown": 1}]),
    st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
)
FUZZ = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, odds: int = 6
           ) -> st.SearchStrategy:
    """``good``, and one time in ``odds`` ``bad``."""
    return st.integers(0, odds - 1).flatmap(lambda k: bad if k == 0 else good)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def edges(node: dict[str, Any]) -> list[float]:
    low = node.get("minimum", node.get("exclusiveMinimum", -1e6))
    high = node.get("maximum", node.get("exclusiveMaximum", 1e6))
    return [low, high, low - 1, high + 1, low - 1e-9, high * 1.0001 + 1e-9, 0, 1, 0.5]


def values(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy:
    """Values for a schema node: mostly of its type, sometimes at or past its edges."""
    node = resolve(node)
    if "anyOf" in node:
        return st.one_of([values(arm, depth) for arm in node["anyOf"]])
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return tables(node, depth) if depth < 4 else WILD
    if kind == "number":
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        high = min(node.get("maximum", node.get("exclusiveMaximum", 1e6)), 1e6)
        inside = st.floats(low, high, allow_nan=False) if low < high else st.just(low)
        return mostly(inside, st.sampled_from(edges(node)), 3)
    if kind == "integer":
        low = node.get("minimum", 0)
        high = node.get("maximum", 10**6)
        return mostly(st.integers(low, min(high, low + 10)),
                      st.sampled_from([int(e) for e in edges(node)]), 4)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        if "enum" in node:
            return st.sampled_from(node["enum"])
        if node.get("format") == "path":
            return st.sampled_from(FILES)
        if node.get("format") == "date-time":
            return st.sampled_from(["2025-11-03T00:00", "2025-11-03T00:00+01:00", "soon"])
        if "pattern" in node and "Mm" in node["pattern"]:
            return st.sampled_from(["mon", "Sunday", " tue ", "someday"])
        return st.text(max_size=12)
    if kind == "array":
        items = values(node.get("items", {}), depth + 1)
        size = node.get("minItems", 0)
        if size and size == node.get("maxItems"):
            return st.one_of(st.lists(items, min_size=size, max_size=size),
                             st.lists(items, max_size=3))
        return st.lists(items, max_size=3)
    if kind == "null":
        return st.none()
    return WILD


def tables(node: dict[str, Any], depth: int) -> st.SearchStrategy:
    """A table: its required fields, some optional ones, now and then an unknown key."""
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    fields = {name: mostly(values(child, depth + 1), WILD, 10)
              for name, child in properties.items()}
    optional = sorted(set(fields) - required)
    return st.fixed_dictionaries(
        {name: fields[name] for name in sorted(required)},
        optional={name: fields[name] for name in optional}).flatmap(
            lambda table: mostly(st.just(table), st.just({**table, "unknown_key": 1}), 10))


def leaves(node: dict[str, Any], path: tuple = ()) -> list[tuple[tuple, dict[str, Any]]]:
    """Every field of the schema that holds a value, with its path (lists: their first entry)."""
    node = resolve(node)
    if "properties" in node:
        return [leaf for name, child in node["properties"].items()
                for leaf in leaves(child, (*path, name))]
    arms = [resolve(a) for a in node.get("anyOf", [])]
    tables = [a for a in arms if "properties" in a]
    if tables:
        return leaves(tables[0], path)
    if node.get("type") == "array" and "properties" in resolve(node.get("items", {})):
        return leaves(node["items"], (*path, 0))
    return [(path, node)]


LEAVES = leaves(SCHEMA)


def put(document: Any, path: tuple, value: Any) -> None:
    for depth, part in enumerate(path[:-1]):
        empty: Any = [] if isinstance(path[depth + 1], int) else {}
        if isinstance(part, int):
            while len(document) <= part:
                document.append(empty)
            document = document[part]
        else:
            document = document.setdefault(part, empty)
        if not isinstance(document, dict | list):
            return
    if isinstance(document, dict):
        document[path[-1]] = value


@st.composite
def tweaked(draw) -> dict[str, Any]:
    """The rich valid scenario with one or two of its fields (any leaf) redrawn."""
    document = copy.deepcopy(RICH)
    for path, node in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=2)):
        put(document, path, draw(mostly(values(node, 1), WILD, 10)))
    return document


@st.composite
def replaced(draw) -> dict[str, Any]:
    """The small valid scenario with a few whole top-level fields redrawn from the schema."""
    document = dict(BASE)
    properties = SCHEMA["properties"]
    for name in draw(st.lists(st.sampled_from(sorted(properties)), max_size=3, unique=True)):
        document[name] = draw(mostly(values(properties[name], 1), WILD, 10))
    return document


def documents() -> st.SearchStrategy:
    return mostly(tweaked(), replaced(), 4)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    (path / "touch.csv").write_text("minutes\n2\n4\n")
    (path / "trace.csv").write_text("arrival_hour,class\n1.5,default\n30,default\n")
    (path / "data").mkdir()
    (path.parent / "outside.csv").write_text("minutes\n1\n")
    return path


def loads(document: dict[str, Any], folder) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapsimWarning)
        with suppress(ScenarioError):
            validate(document, source="fuzz.toml", base_dir=folder)


@FUZZ
@given(document=documents())
def test_the_loader_answers_with_a_scenario_or_a_scenario_error(document, folder):
    loads(document, folder)


@settings(FUZZ, max_examples=60)
@given(document=documents())
def test_the_written_document_loads_the_same_way(document, folder):
    """What a user would write as TOML (and --set values): the same two outcomes."""
    path = folder / "fuzz.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    assert main(["validate", str(path)]) in (0, 2)


@settings(FUZZ, max_examples=80)
@given(document=documents())
def test_the_cli_runs_or_refuses(document, folder):
    path = folder / "fuzz.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    out, errors = io.StringIO(), io.StringIO()
    # keep each run short: a larger one is refused (exit 2) before it samples anything
    with (mock.patch.object(workload, "MAX_TOTAL_ORDERS", 20_000), redirect_stdout(out),
          redirect_stderr(errors)):
        status = main(["run", str(path), "-r", "1", "--workers", "1", "--json"])
    err = errors.getvalue()
    assert status in (0, 2), err
    assert "internal error" not in err
    assert "Traceback" not in err
