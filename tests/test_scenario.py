"""Loading scenarios: files, defaults, overrides, schema."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from capsim.cli import main
from capsim.errors import ScenarioError
from capsim.scenario import (
    data_files,
    json_schema,
    load_scenario,
    parse_override,
    scenario_dict,
    scenario_toml,
    validate,
    with_overrides,
)
from capsim.scenario.dump import toml_document
from tests.conftest import STUTTERFLY, merge, mmc_data


def test_default_scenario_loads_with_its_calibration():
    s = load_scenario(STUTTERFLY)
    classes = s.order_classes
    mean_minutes = sum(c.share * c.work.mean_minutes for c in classes)
    assert mean_minutes == pytest.approx(4.8)  # the 1-per-100 rule (DESIGN §1)
    assert all(c.promise_hours == 24.0 for c in classes)
    assert s.workforce.roster == 10  # the naive answer the README starts from
    assert sum(s.demand.hour_profile) / 24 == pytest.approx(1.0)
    assert sum(s.demand.week_profile) / 7 == pytest.approx(1.0)


def test_resolved_scenario_round_trips():
    s = load_scenario(STUTTERFLY)
    again = validate(scenario_dict(s), base_dir=s.base_dir)
    assert scenario_dict(again) == scenario_dict(s)
    assert json.loads(json.dumps(scenario_dict(s)))["workforce"]["roster"] == 10


def test_written_toml_loads_back_to_the_same_scenario(tmp_path, shifts_data):
    """Every default written out, None left out, awkward strings escaped."""
    odd = merge(shifts_data, {"name": 'quote " backslash \\ é', "description": "a\nb\ttab",
                              "stress": [{"name": "flu", "kind": "absence", "start_day": 9,
                                          "days": 3, "share": 0.5}]})
    for s in (load_scenario(STUTTERFLY), validate(odd), validate(mmc_data(2.0, 1.0, 3, 4.0))):
        path = tmp_path / "written.toml"
        path.write_text(scenario_toml(s, header="line one\nline two"), encoding="utf-8")
        assert path.read_text(encoding="utf-8").startswith("# line one\n# line two\n")
        assert scenario_dict(load_scenario(path)) == scenario_dict(s)


def test_written_toml_points_at_copied_data_files(tmp_path):
    (tmp_path / "trace.csv").write_text("arrival_hour\n1.5\n")
    (tmp_path / "touch.csv").write_text("minutes\n2\n4\n")
    data = merge(mmc_data(0.0, 1.0, 2, 4.0), {"demand": {"trace": {"file": "trace.csv"}},
                                               "work": {"distribution": "empirical",
                                                        "file": "touch.csv"}})
    del data["work"]["mean_minutes"]
    s = validate(data, base_dir=tmp_path)
    assert data_files(s) == ["trace.csv", "touch.csv"]  # each once, however often named
    elsewhere = tmp_path / "copy"
    (elsewhere / "inputs").mkdir(parents=True)
    for name in ("trace.csv", "touch.csv"):
        (elsewhere / "inputs" / name).write_text((tmp_path / name).read_text())
    text = scenario_toml(s, files={"trace.csv": "inputs/trace.csv",
                                   "touch.csv": "inputs/touch.csv"})
    (elsewhere / "scenario.toml").write_text(text)
    again = load_scenario(elsewhere / "scenario.toml")
    assert again.demand.trace.data.arrival_hour.tolist() == [1.5]
    assert again.work.empirical_minutes.tolist() == [2.0, 4.0]


def test_single_class_defaults_come_from_work():
    s = validate(mmc_data(1.0, 1.0, 2, 5.0))
    (only,) = s.order_classes
    assert (only.name, only.share, only.promise_hours) == ("default", 1.0, 5.0)
    assert only.work == s.work


def test_class_overrides_promise_and_keeps_default_work():
    data = mmc_data(1.0, 1.0, 2, 5.0, classes=[
        {"name": "a", "share": 0.25, "promise_hours": 1.0},
        {"name": "b", "share": 0.75, "priority": 2},
    ])
    a, b = validate(data).order_classes
    assert (a.promise_hours, b.promise_hours, b.priority) == (1.0, 5.0, 2)
    assert a.work == b.work == validate(data).work


@pytest.mark.parametrize(("text", "expected"), [
    ("workforce.roster=12", (["workforce", "roster"], 12)),
    ("demand.rate_per_hour=2.5", (["demand", "rate_per_hour"], 2.5)),
    ("name=plain words", (["name"], "plain words")),
    ('name="quoted"', (["name"], "quoted")),
    ("demand.surges[0].multiplier=2", (["demand", "surges", 0, "multiplier"], 2)),
    ("demand.surges.1.end_hour=10", (["demand", "surges", 1, "end_hour"], 10)),
    ("absence.vacation.blackouts=[{start_day=1, end_day=3}]",
     (["absence", "vacation", "blackouts"], [{"start_day": 1, "end_day": 3}])),
    ("workforce.always_on=false", (["workforce", "always_on"], False)),
])
def test_parse_override(text, expected):
    assert parse_override(text) == expected


def test_overrides_apply_and_revalidate():
    s = load_scenario(STUTTERFLY, ["workforce.roster=17", "demand.surges[1].multiplier=2"])
    assert s.workforce.roster == 17
    assert s.demand.surges[1].multiplier == 2.0
    t = with_overrides(s, ["absence.daily_rate=0.1"])
    assert (t.absence.daily_rate, t.workforce.roster) == (0.1, 17)


def test_weekday_names_and_numbers():
    data = mmc_data(1.0, 1.0, 2, 5.0, start_weekday="Sat", workforce={"always_on": False,
        "shifts": [{"start_hour": 8, "length_hours": 8, "weekdays": ["mon", "Tuesday", 4]}]})
    s = validate(data)
    assert s.start_weekday == 5
    assert s.workforce.shifts[0].weekdays == (0, 1, 4)


def test_empirical_work_reads_csv(tmp_path):
    (tmp_path / "touch.csv").write_text("minutes\n2\n4\n6\n")
    data = mmc_data(1.0, 1.0, 2, 5.0, work={"distribution": "empirical", "file": "touch.csv",
                                             "mean_minutes": None})
    del data["work"]["mean_minutes"]
    s = validate(data, base_dir=tmp_path)
    assert s.work.empirical_minutes.tolist() == [2.0, 4.0, 6.0]


def test_json_schema_describes_the_vocabulary():
    schema = json_schema()
    assert {"name", "horizon_days", "demand", "work", "workforce", "absence"} <= set(
        schema["properties"])
    assert "rate_per_hour" in schema["$defs"]["Demand"]["properties"]


def test_cli_schema_prints_json(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "capsim scenario"


def test_cli_validate_ok(capsys):
    assert main(["validate", str(STUTTERFLY), "--set", "workforce.roster=15"]) == 0
    out = capsys.readouterr().out
    assert "ok" in out
    assert "roster 15" in out


CONTROLS = [chr(i) for i in [*range(0x20), 0x7F]]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_names_refuse_control_characters(char):
    """They reached the terminal raw and made the written scenario.toml unloadable."""
    for changes in ({"name": f"a{char}b"},
                    {"classes": [{"name": f"a{char}", "share": 1.0}]},
                    {"demand": {"surges": [{"name": f"a{char}", "start_hour": 1,
                                            "end_hour": 2, "multiplier": 2}]}},
                    {"stress": [{"name": f"a{char}", "kind": "closure", "start_day": 1}]}):
        with pytest.raises(ScenarioError, match="control character"):
            validate(merge(mmc_data(1.0, 1.0, 2, 5.0), changes))


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_descriptions_allow_tabs_and_line_breaks_only(char):
    data = mmc_data(1.0, 1.0, 2, 5.0, description=f"a{char}b")
    if char in "\t\n":
        assert validate(data).description == f"a{char}b"
    else:
        with pytest.raises(ScenarioError, match="control character"):
            validate(data)


def test_written_toml_escapes_every_control_character(tmp_path):
    every = "".join(chr(i) for i in range(0xA0))
    text = toml_document({"description": every, every: [every], "t": {"k": every}},
                         header=f"made by {every}\nsecond line")
    assert tomllib.loads(text) == {"description": every, every: [every], "t": {"k": every}}
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
