"""The JSON Schema of scenario files: valid Draft 2020-12, finite ranges, and it agrees with
the loader on the files the project ships and on values out of range."""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from typing import Any

import jsonschema
import pytest

from capsim.cli import main
from capsim.errors import ScenarioError
from capsim.scenario import json_schema, load_scenario, scenario_dict, validate
from tests.conftest import ROOT, STUTTERFLY, merge, mmc_data

VALIDATOR = jsonschema.Draft202012Validator(json_schema())
# Draft 2020-12 keywords (core, applicator, validation, meta-data, format annotation)
STANDARD = {
    "$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties", "patternProperties",
    "additionalProperties", "propertyNames", "items", "prefixItems", "contains", "type", "enum",
    "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains",
    "minContains", "maxProperties", "minProperties", "required", "dependentRequired",
    "dependentSchemas", "unevaluatedItems", "unevaluatedProperties", "title", "description",
    "default", "deprecated", "readOnly", "writeOnly", "examples", "format",
}
README_TOML = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))


def as_json(value: Any) -> Any:
    """TOML data as a JSON document: dates become ISO 8601 text, as an editor sees them."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def schema_errors(data: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(as_json(data))]


def subschemas(node: Any, where: str = "#"):
    """Every schema object in the schema, with where it is."""
    if isinstance(node, dict):
        if "type" in node or "anyOf" in node or "$ref" in node:
            yield where, node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, child in value.items():
                    yield from subschemas(child, f"{where}/{key}/{name}")
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                yield from subschemas(value, f"{where}/{key}")
            elif key in ("anyOf", "allOf", "oneOf", "prefixItems"):
                for i, child in enumerate(value):
                    yield from subschemas(child, f"{where}/{key}/{i}")


def test_schema_is_valid_draft_2020_12():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_uses_standard_keywords_only():
    odd = [(where, key) for where, node in subschemas(json_schema())
           for key in node if key not in STANDARD]
    assert not odd, odd


def test_every_number_has_a_finite_range():
    loose = []
    for where, node in subschemas(json_schema()):
        if node.get("type") in ("number", "integer"):
            low = node.get("minimum", node.get("exclusiveMinimum"))
            high = node.get("maximum", node.get("exclusiveMaximum"))
            if low is None or high is None:
                loose.append(where)
        if node.get("type") == "array" and "maxItems" not in node:
            loose.append(where)
        if node.get("type") == "string" and not {"maxLength", "enum", "format"} & set(node):
            loose.append(where)
    assert not loose, loose


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_validate_against_the_schema(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert schema_errors(data) == []
    load_scenario(path)


@pytest.mark.parametrize("body", README_TOML)
def test_readme_scenarios_validate_against_the_schema(body):
    assert schema_errors(tomllib.loads(body)) == []


def test_resolved_scenarios_validate_against_the_schema():
    """What capsim writes (every default filled in, None for unset) is a valid file too."""
    assert schema_errors(scenario_dict(load_scenario(STUTTERFLY))) == []
    assert schema_errors(scenario_dict(validate(mmc_data(2.0, 1.0, 3, 4.0)))) == []


def test_there_is_something_to_check():
    assert SHIPPED
    assert README_TOML


BASE = mmc_data(9.0, 1.0, 10, 2.0)
SHIFTS = {"workforce": {"always_on": False, "roster": 4, "shifts": [
    {"start_hour": 8, "length_hours": 8, "weekdays": ["mon", "Tuesday", " SUN ", 4]}]}}


@pytest.mark.parametrize("changes", [
    {"start_weekday": "mon"}, {"start_weekday": "Saturday"}, {"start_weekday": 6},
    {"start_weekday": " sun "}, SHIFTS, {"demand": {"forecast_cv": 2.0}},
    {"workforce": {"roster": 100_000}}, {"experiment": {"seed": 2**63 - 1}},
])
def test_schema_and_loader_both_accept(changes):
    data = merge(BASE, changes)
    assert schema_errors(data) == []
    validate(data)


@pytest.mark.parametrize("changes", [
    {"start_weekday": "someday"}, {"start_weekday": 7}, {"start_weekday": "mond"},
    {"workforce": {"always_on": False, "roster": 4, "shifts": [
        {"start_hour": 8, "length_hours": 8, "weekdays": ["mon", "xyz"]}]}},
    {"horizon_days": 0}, {"horizon_days": 10_000_000}, {"horizon_days": 10**12},
    {"demand": {"rate_per_hour": -1.0}}, {"demand": {"rate_per_hour": 1e7}},
    {"demand": {"rate_per_hour": True}}, {"demand": {"forecast_cv": 1e300}},
    {"demand": {"hour_profile": [1e39] * 24}},
    {"demand": {"surges": [{"start_hour": 0, "end_hour": 5, "multiplier": 1e39}]}},
    {"demand": {"batches": [{"at_hour": 1, "orders": 10**11}]}},
    {"work": {"distribution": "gamma", "cv": 1e-200}},
    {"work": {"distribution": "lognormal", "cv": 1e300}},
    {"work": {"mean_minutes": 1e300}}, {"work": {"promise_hours": 1e12}},
    {"workforce": {"roster": 10**30}}, {"workforce": {"always_on": "yes"}},
    {"experiment": {"replications": 10**9}}, {"experiment": {"seed": -1}},
    {"classes": [{"name": "a", "share": 1.0, "priority": 10**20}]},
    {"name": "bell\x07"}, {"name": "del\x7f"}, {"name": "x" * 201},
    {"absence": {"daily_rate": 1.5}},
    {"absence": {"outbreaks": [{"rate_per_30_days": 1e9, "share": 0.5, "duration_days": 2}]}},
    {"stress": [{"name": "s", "kind": "demand", "start_day": 1, "multiplier": 1e9}]},
])
def test_schema_and_loader_both_refuse(changes):
    data = merge(BASE, changes)
    assert schema_errors(data), "the schema accepts it"
    with pytest.raises(ScenarioError):
        validate(data)


def test_cli_schema_is_what_json_schema_returns(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
