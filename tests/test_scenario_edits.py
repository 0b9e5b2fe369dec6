"""Typed scenario edits: Scenario.replace, Scenario.edit, Scenario.with_roster.

Library code changes scenarios through them, not through ``--set`` strings; an edit is
validated again with the whole scenario and fails with the words ``--set`` uses.
"""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from capsim.errors import CapsimWarning, ScenarioError
from capsim.scenario import Surge, load_scenario, scenario_dict, validate, with_roster
from tests.conftest import ROOT, STUTTERFLY, merge, mmc_data

BASE = merge(mmc_data(2.0, 1.0, 3, 4.0), {"demand": {"surges": [
    {"name": "rush", "start_hour": 10, "end_hour": 20, "multiplier": 2.0},
    {"name": "late", "start_hour": 30, "end_hour": 40, "multiplier": 1.5}]}})


def base():
    return validate(BASE, source="base.toml")


@pytest.mark.parametrize("path", ["demand.surges[1].multiplier", "demand.surges.1.multiplier",
                                  ("demand", "surges", 1, "multiplier"),
                                  ["demand", "surges", 1, "multiplier"]])
def test_replace_a_list_element_by_text_or_parts(path):
    s = base()
    t = s.replace(path, 3.0)
    assert t.demand.surges[1].multiplier == 3.0
    assert s.demand.surges[1].multiplier == 1.5  # the original is unchanged
    assert scenario_dict(t) == scenario_dict(validate(merge(BASE, {"demand": {"surges": [
        BASE["demand"]["surges"][0], {**BASE["demand"]["surges"][1], "multiplier": 3.0}]}})))


def test_replace_whole_lists_and_tables():
    s = base()
    profile = [0.5] * 12 + [1.5] * 12
    t = s.replace("demand.hour_profile", profile)
    assert t.demand.hour_profile == tuple(profile)
    t = s.replace("absence.vacation", {"weeks_per_year": 4, "block_weeks": 2})
    assert (t.absence.vacation.weeks_per_year, t.absence.vacation.block_weeks) == (4, 2)
    t = s.replace("demand.surges", [])
    assert t.demand.surges == ()


def test_replace_takes_python_values_as_toml_would_give_them():
    """A scenario table, a tuple, numpy numbers: what a notebook has at hand."""
    s = base()
    surge = Surge(name="new", start_hour=50, end_hour=60, multiplier=1.2)
    t = s.replace("demand.surges[0]", surge)
    assert t.demand.surges[0] == surge
    t = s.replace("demand.week_profile", tuple(np.linspace(0.7, 1.3, 7)))
    assert t.demand.week_profile == pytest.approx(np.linspace(0.7, 1.3, 7))
    assert s.replace("workforce.roster", np.int64(7)).workforce.roster == 7
    assert s.replace("absence.daily_rate", np.float64(0.25)).absence.daily_rate == 0.25


def test_replace_keeps_source_base_dir_and_data_files(tmp_path):
    (tmp_path / "touch.csv").write_text("minutes\n2\n4\n")
    path = tmp_path / "s.toml"
    path.write_text('name = "files"\nhorizon_days = 10\n[demand]\nrate_per_hour = 1.0\n'
                    '[work]\ndistribution = "empirical"\nfile = "touch.csv"\n'
                    "[workforce]\nroster = 2\nalways_on = true\n")
    s = load_scenario(path)
    t = s.replace("workforce.roster", 5)
    assert (t.source, t.base_dir) == (s.source, s.base_dir) == (str(path), tmp_path)
    assert t.work.empirical_minutes.tolist() == [2.0, 4.0]
    assert t.replace("work.file", "touch.csv").work.empirical_minutes.tolist() == [2.0, 4.0]


def test_edit_applies_several_fields_before_validating():
    """A horizon of 3 days with a warm-up of 5 is invalid on its own; together it is fine."""
    s = base()
    with pytest.raises(ScenarioError, match="warmup_days"):
        s.replace("horizon_days", 3)
    t = s.edit({"horizon_days": 3, "warmup_days": 1})
    assert (t.horizon_days, t.warmup_days) == (3, 1)
    assert s.edit([("horizon_days", 3), (("warmup_days",), 1)]) == t


@pytest.mark.parametrize(("path", "value", "setting"), [
    ("demand.rat", 3, "demand.rat=3"),  # an unknown field
    ("workforce.roster", -1, "workforce.roster=-1"),  # a value out of range
    ("workforce.roster", "many", 'workforce.roster="many"'),  # a value of the wrong type
    ("dispatch", "warp", 'dispatch="warp"'),  # not one of the choices
    ("absence.vacation", {"weeks_per_year": 60}, "absence.vacation={weeks_per_year = 60}"),
    ("demand.surges[5].multiplier", 1.0, "demand.surges[5].multiplier=1.0"),  # no element
    ("demand.rate_per_hour.x", 1, "demand.rate_per_hour.x=1"),  # through a value
    ("workforce.shifts[0].start_hour", 1, "workforce.shifts[0].start_hour=1"),  # empty list
])
def test_a_bad_edit_is_worded_as_set_words_it(path, value, setting):
    with pytest.raises(ScenarioError) as typed:
        base().replace(path, value)
    with pytest.raises(ScenarioError) as cli:
        validate(BASE, source="base.toml", overrides=[setting])
    # the same message; the edit is quoted with its value as JSON writes it, --set as typed
    quoted = f"Scenario.replace {path}={json.dumps(value)}"
    assert str(typed.value) == str(cli.value).replace(f"--set {setting}", quoted)
    assert f"--set {setting}" in str(cli.value)


def test_a_bad_edit_names_the_file_the_field_the_value_and_what_is_allowed():
    with pytest.raises(ScenarioError) as info:
        base().replace("workforce.roster", -1)
    assert str(info.value) == (
        "base.toml: workforce.roster (from Scenario.replace workforce.roster=-1): Input "
        "should be greater than or equal to 0 (got -1; allowed: a whole number >= 0 and <= "
        "100,000)")
    with pytest.raises(ScenarioError) as info:
        base().replace("absence.vacation", {"weeks_per_year": 60})
    assert info.value.problems[0].field == (
        'absence.vacation.weeks_per_year (from Scenario.replace absence.vacation='
        '{"weeks_per_year": 60})')
    with pytest.raises(ScenarioError, match=r"did you mean 'rate_per_hour'\?"):
        base().replace("demand.rat", 3)
    with pytest.raises(ScenarioError, match=r"demand.surges\[5\]: no such list element "
                       r"\(allowed: indices 0 to 1\)"):
        base().replace(("demand", "surges", 5, "multiplier"), 1.0)


@pytest.mark.parametrize("path", ["a..b", "", "demand surges", (), ("demand", True),
                                  ("demand", "surges", -1), ("demand.rate_per_hour",),
                                  (0, "x"), ("demand", 1.5)])
def test_a_path_that_is_not_a_field_path_is_refused(path):
    with pytest.raises(ScenarioError, match="field path"):
        base().replace(path, 1)


def test_an_edit_that_cannot_take_effect_warns_naming_the_edit():
    with pytest.warns(CapsimWarning, match=r"base.toml: demand.surges\[0\].start_hour \(from "
                      r"Scenario.replace demand.surges\[0\].start_hour=5000\): starts at hour "
                      "5,?000"):
        base().edit({"demand.surges[0].start_hour": 5000, "demand.surges[0].end_hour": 5001})


def test_with_roster_is_the_method_and_the_function():
    s = load_scenario(STUTTERFLY)
    assert s.with_roster(14).workforce.roster == 14
    assert scenario_dict(with_roster(s, 14)) == scenario_dict(s.with_roster(14))
    with pytest.raises(ScenarioError, match=r"workforce.roster \(from Scenario.with_roster "
                       r"workforce.roster=-2\)"):
        s.with_roster(-2)


def test_library_code_edits_scenarios_with_typed_edits_not_set_strings():
    """``--set`` strings are the command line's: the library calls replace/edit/with_roster."""
    allowed = {ROOT / "capsim" / "scenario", ROOT / "capsim" / "cli"}
    users = []
    for path in (ROOT / "capsim").rglob("*.py"):
        if any(path.is_relative_to(folder) for folder in allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = {getattr(node, "id", None), getattr(node, "attr", None)}
            if names & {"with_overrides", "apply_overrides", "parse_override"}:
                users.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not users, users
