"""Files capsim reads: confined to the scenario's folder, size-capped, text only, and never
quoted beyond the offending cell."""

from __future__ import annotations

import time

import pytest

from capsim.cli import main
from capsim.errors import ScenarioError
from capsim.scenario import files, load_scenario, validate, with_overrides
from capsim.scenario.load import ALLOW_OUTSIDE_ENV, MAX_SCENARIO_BYTES
from tests.conftest import merge, mmc_data

BASE = mmc_data(9.0, 1.0, 10, 2.0)
SECRET = "root:x:0:0:root:/root:/bin/bash\nsecret-second-line,hunter2\n"


@pytest.fixture(autouse=True)
def confined(monkeypatch):
    monkeypatch.delenv(ALLOW_OUTSIDE_ENV, raising=False)


def empirical(file: str) -> dict:
    data = merge(BASE, {"work": {"distribution": "empirical", "file": file}})
    del data["work"]["mean_minutes"]
    return data


def trace(file: str, **extra) -> dict:
    return merge(BASE, {"demand": {"rate_per_hour": 0.0, "trace": {"file": file, **extra}}})


def problem(data, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        validate(data, source="scenario.toml", **kwargs)
    return str(info.value)


@pytest.fixture
def folders(tmp_path):
    """A scenario folder with a data file, and a private file beside the folder."""
    (tmp_path / "private.csv").write_text(SECRET)
    scenario = tmp_path / "scenario"
    (scenario / "data").mkdir(parents=True)
    (scenario / "data" / "touch.csv").write_text("minutes\n2\n4\n")
    return scenario


def test_files_below_the_folder_are_read(folders):
    s = validate(empirical("data/touch.csv"), base_dir=folders)
    assert s.work.empirical_minutes.tolist() == [2.0, 4.0]


def test_a_symlink_that_stays_inside_is_followed(folders):
    (folders / "link.csv").symlink_to(folders / "data" / "touch.csv")
    assert validate(empirical("link.csv"), base_dir=folders).work.empirical_minutes.size == 2


@pytest.mark.parametrize(("name", "fragment"), [
    ("/etc/passwd", "is an absolute path"),
    ("../private.csv", "leads outside the scenario's folder"),
    ("data/../../private.csv", "leads outside the scenario's folder"),
    ("out.csv", "leads outside the scenario's folder"),  # a symbolic link to ../private.csv
])
def test_files_outside_the_folder_are_refused_without_reading_them(folders, name, fragment):
    (folders / "out.csv").symlink_to(folders.parent / "private.csv")
    for data in (empirical(name), trace(name)):
        message = problem(data, base_dir=folders)
        assert fragment in message, message
        assert "CAPSIM_ALLOW_OUTSIDE_FILES=1" in message
        assert "root:x" not in message
        assert "hunter2" not in message


def test_set_cannot_point_outside_either(folders):
    (folders / "s.toml").write_text(
        'name = "s"\nhorizon_days = 3\n[demand]\nrate_per_hour = 1.0\n'
        '[work]\ndistribution = "empirical"\nfile = "data/touch.csv"\n'
        '[workforce]\nroster = 1\nalways_on = true\n')
    assert load_scenario(folders / "s.toml").work.empirical_minutes.size == 2
    with pytest.raises(ScenarioError, match="absolute path"):
        load_scenario(folders / "s.toml", ['work.file="/etc/passwd"'])
    with pytest.raises(ScenarioError, match="leads outside"):
        with_overrides(load_scenario(folders / "s.toml"), ['work.file="../private.csv"'])


def test_allowing_outside_files_explicitly(folders, monkeypatch):
    outside = str(folders.parent / "private.csv")
    with pytest.raises(ScenarioError, match="no column 'minutes'"):
        validate(merge(empirical(outside), {"work": {"column": "minutes"}}), base_dir=folders,
                 allow_outside_files=True)
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")
    with pytest.raises(ScenarioError, match="no column 'minutes'"):
        validate(merge(empirical("../private.csv"), {"work": {"column": "minutes"}}),
                 base_dir=folders)


def test_messages_quote_the_cell_only(folders, monkeypatch):
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")
    message = problem(merge(empirical("../private.csv"), {"work": {"column": "minutes"}}),
                      base_dir=folders)
    assert "secret-second-line" not in message
    assert "hunter2" not in message
    assert "root:x:0:0:root:/root:/bin" in message  # the header cell, cut short
    assert "/bin/bash" not in message
    long_cell = "9" * 30 + "x" * 500
    (folders / "long.csv").write_text(f"minutes\n1\n{long_cell}\n")
    message = problem(empirical("long.csv"), base_dir=folders)
    assert "line 3" in message
    assert "x" * 60 not in message


def test_a_device_is_refused_at_once(folders, monkeypatch):
    """/dev/zero never ends; capsim must not read it (it did, until MemoryError)."""
    monkeypatch.setenv(ALLOW_OUTSIDE_ENV, "1")
    began = time.perf_counter()
    for data in (trace("/dev/zero"), empirical("/dev/zero")):
        assert "is not a regular file" in problem(data, base_dir=folders)
    assert time.perf_counter() - began < 5


def test_a_directory_is_refused(folders):
    assert "is a directory" in problem(trace("data"), base_dir=folders)


def test_a_large_file_is_refused(folders, monkeypatch):
    monkeypatch.setattr(files, "MAX_DATA_FILE_BYTES", 1000)
    (folders / "big.csv").write_text("minutes\n" + "3\n" * 1000)
    assert "is larger than 1,000 bytes" in problem(empirical("big.csv"), base_dir=folders)


def test_too_many_rows_are_refused(folders, monkeypatch):
    monkeypatch.setattr(files, "MAX_DATA_ROWS", 10)
    (folders / "rows.csv").write_text("minutes\n" + "3\n" * 11)
    assert "more than 10 rows" in problem(empirical("rows.csv"), base_dir=folders)
    (folders / "rows.csv").write_text("minutes\n" + "3\n" * 10)
    assert validate(empirical("rows.csv"), base_dir=folders).work.empirical_minutes.size == 10


@pytest.mark.parametrize(("stamps", "origin", "fragment"), [
    (["2025-11-03T08:00+01:00", "2025-11-03T09:00"], None, "mix time zones and naive"),
    (["2025-11-03T08:00", "2025-11-03T09:00"], "2025-11-03T00:00+00:00",
     "the timestamps have naive times but origin has a time zone"),
    (["2025-11-03T08:00Z", "2025-11-03T09:00Z"], "2025-11-03T00:00",
     "the timestamps have time zones but origin has naive (no time zone)"),
])
def test_time_zones_must_agree(folders, stamps, origin, fragment):
    (folders / "t.csv").write_text("timestamp\n" + "\n".join(stamps) + "\n")
    extra = {} if origin is None else {"origin": origin}
    assert fragment in problem(trace("t.csv", **extra), base_dir=folders)


def test_time_zones_that_agree_are_read(folders):
    (folders / "t.csv").write_text("timestamp\n2025-11-03T08:00Z\n2025-11-03T09:30+00:00\n")
    s = validate(trace("t.csv", origin="2025-11-03T00:00+00:00"), base_dir=folders)
    assert s.demand.trace.data.arrival_hour.tolist() == [8.0, 9.5]


# ----------------------------------------------------------------- the scenario file itself


def scenario_error(path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def test_scenario_file_that_is_a_device():
    assert "/dev/zero: is not a regular file" in scenario_error("/dev/zero")


def test_scenario_file_too_large(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("# padding\n" * (MAX_SCENARIO_BYTES // 10 + 1))
    assert "is larger than 1,048,576 bytes" in scenario_error(path)


def test_scenario_file_not_text(tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b'name = "\xff"\n')
    assert "is not UTF-8 text (byte 0xff" in scenario_error(path)


@pytest.mark.parametrize("depth", [20, 100_000])
def test_deeply_nested_toml(tmp_path, depth):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * depth + "]" * depth + "\n")
    assert "nested too deeply (at most 16 levels)" in scenario_error(path)


def test_deeply_nested_set(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\n')
    assert main(["validate", str(path), "--set", "name=" + "[" * 50_000 + "]" * 50_000]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_deeply_nested_data_from_python():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert "nested too deeply" in problem({**BASE, "description": deep})
