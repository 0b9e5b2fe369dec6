"""The KPI registry is the one list of KPIs: every output lists exactly its entries."""

from __future__ import annotations

import csv
import json
import math

import jsonschema
import pytest

from capsim.cli import main
from capsim.experiment import run
from capsim.kpis import (
    BY_NAME,
    KPI_NAMES,
    KPIS,
    P_TARGET_MET,
    SHARE_KPIS,
    SIZABLE,
    SMALLER_IS_BETTER,
    interval_columns,
    kpi,
    kpis_schema,
)
from capsim.scenario import validate
from tests.conftest import mmc_data, mmc_toml

TINY = mmc_toml("tiny", horizon_days=4, rate=2.0, mean_minutes=30.0, promise=4.0,
                roster=2, replications=3)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def test_registry_entries_are_consistent():
    assert len(set(KPI_NAMES)) == len(KPI_NAMES)
    for k in KPIS:
        assert k.low < k.high
        assert k.aggregation == "mean"
        assert k.interval == "hall_t"
        # a share lives in [0, 1]; nothing else is bounded above
        assert (k.kind == "rate") == (k.high == 1.0)
    assert P_TARGET_MET.interval == "wilson"
    assert set(SHARE_KPIS) == {"on_time_rate", "wait_positive_share", "abandonment_rate",
                               "perfect_order_rate",
                               "service_level"}
    assert set(SHARE_KPIS) <= set(SIZABLE)
    assert "utilization" not in SIZABLE
    assert "on_time_rate" not in SMALLER_IS_BETTER
    assert "peak_wip" in SMALLER_IS_BETTER
    assert kpi("p_target_met") is P_TARGET_MET
    assert set(BY_NAME) == {*KPI_NAMES, "p_target_met"}
    with pytest.raises(KeyError, match="unknown KPI 'nope'; known: on_time_rate"):
        kpi("nope")


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("on_time_rate", 0.95123, "95.12 %"), ("peak_wip", 1234.56, "1,234.6"),
    ("lead_time_p95_hours", 3.14159, "3.142"), ("utilization", math.nan, "-"),
])
def test_display_formats_are_the_cli_tables(name, value, shown):
    assert kpi(name).format(value) == shown


def test_metrics_compute_exactly_the_registry():
    priced = mmc_data(2.0, 2.0, 2, 4.0, horizon_days=4, warmup_days=1,
                      costs={"wage_per_hour": 20.0, "late_per_order": 5.0})
    result = run(validate(priced), replications=2, seed=1, workers=1)
    for summary in result.summaries:
        assert list(summary.kpis) == list(KPI_NAMES)
    assert list(result.kpis) == list(KPI_NAMES)
    for k in KPIS:  # every interval is clipped to the registry's range
        interval = result.kpis[k.name]
        # no answer_within_hours, no [equipment], no supplies here: nothing to measure
        if k.name in ("service_level", "station_availability", "fill_rate"):
            assert math.isnan(interval.mean)
            continue
        assert k.low <= interval.ci_low <= interval.ci_high <= k.high


def test_run_outputs_list_exactly_the_registry(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--workers", "1", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    with (out / "replications.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["replication", *KPI_NAMES]
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["kpis"]) == list(KPI_NAMES)
    jsonschema.validate(summary["kpis"], kpis_schema())
    # the CLI table: one row per KPI that applies (no patience here: no abandonment), in
    # registry order, and nothing else after the header
    rows = table.split("% CI\n", 1)[1].split("\n\n")[0].splitlines()
    shown = [k.name for k in KPIS if k.feature is None]
    assert [row.split()[0] for row in rows] == shown
    assert len(shown) < len(KPI_NAMES)


def test_size_curve_lists_exactly_the_registry(tiny, tmp_path, capsys):
    out = tmp_path / "size"
    assert main(["size", str(tiny), "--workers", "1", "--target", "0.5", "--out", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for point in summary["curve"]:
        jsonschema.validate(point["kpis"], kpis_schema(with_target=True))
    with (out / "curve.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["roster", "meets", "replications", *interval_columns()]


def test_schema_refuses_a_kpi_the_registry_lacks():
    document = {name: {"mean": 1.0, "ci_low": 0.5, "ci_high": 1.5, "ci_level": 0.95}
                for name in (*KPI_NAMES, "made_up")}
    with pytest.raises(jsonschema.ValidationError, match="made_up"):
        jsonschema.validate(document, kpis_schema())
    del document["made_up"], document["peak_wip"]
    with pytest.raises(jsonschema.ValidationError, match="peak_wip"):
        jsonschema.validate(document, kpis_schema())


def test_run_summaries_follow_the_printed_schema(tiny, tmp_path, capsys):
    assert main(["schema", "--summary"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["kpis"]["required"] == list(KPI_NAMES)
    assert main(["run", str(tiny), "--workers", "1", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), schema)
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--workers", "1", "--out", str(out)]) == 0
    jsonschema.validate(json.loads((out / "summary.json").read_text()), schema)
