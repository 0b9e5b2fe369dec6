"""Before anything is sampled, a run that cannot fit is refused with its estimate."""

from __future__ import annotations

import math

import pytest

from capsim import experiment, reuse
from capsim.cli import main
from capsim.errors import WorkloadError
from capsim.experiment import run
from capsim.sampling import sample
from capsim.scenario import load_scenario, validate
from capsim.workload import (
    ALLOW_ENV,
    GIB,
    MAX_TOTAL_ORDERS,
    SHARED_BYTES_PER_ORDER,
    check_workload,
    estimate,
    memory_budget,
)
from tests.conftest import STUTTERFLY, mmc_data


@pytest.fixture
def nothing_sampled(monkeypatch):
    """Fail the test if a replication is sampled."""
    def refuse(*args, **kwargs):
        raise AssertionError("sampled before the workload was checked")
    monkeypatch.setattr(experiment, "sample_many", refuse)
    monkeypatch.delenv(ALLOW_ENV, raising=False)


def test_orders_estimate_is_the_expected_count():
    """Without forecast error the count of a replication is Poisson around the rate's
    integral, plus the batch: the mean of 4 replications is within 4 standard errors."""
    s = load_scenario(STUTTERFLY, ["demand.forecast_cv=0"])
    expected = estimate(s, 1).orders_per_replication
    counts = [sample(s, r).orders for r in range(4)]
    se = math.sqrt((expected - 250) / len(counts))  # the batch of 250 is not random
    assert abs(sum(counts) / len(counts) - expected) < 4 * se


def test_forecast_error_raises_the_heavy_replication_only():
    plain = estimate(load_scenario(STUTTERFLY, ["demand.forecast_cv=0"]), 1)
    uncertain = estimate(load_scenario(STUTTERFLY), 1)
    assert uncertain.orders_per_replication == pytest.approx(plain.orders_per_replication)
    assert uncertain.peak_orders_per_replication > 1.3 * plain.peak_orders_per_replication


def test_the_stutterfly_season_fits():
    work = check_workload(load_scenario(STUTTERFLY), 100)
    assert work.memory_bytes < 1 * GIB
    assert work.memory_bytes < memory_budget()


def test_a_search_counts_the_draws_it_keeps(monkeypatch):
    """Inside a sharing scope the estimate adds what the store keeps: a replication's orders
    at SHARED_BYTES_PER_ORDER each, up to the store's budget (Stutterfly: about 0.8 MB)."""
    s = load_scenario(STUTTERFLY)
    alone = estimate(s, 100)
    per_replication = alone.orders_per_replication * SHARED_BYTES_PER_ORDER
    with reuse.sharing():
        shared = estimate(s, 100)
        monkeypatch.setattr(reuse, "BUDGET_BYTES", 10 * 2**20)
        capped = estimate(s, 100)
    assert shared.memory_bytes - alone.memory_bytes == pytest.approx(100 * per_replication)
    assert capped.memory_bytes - alone.memory_bytes == pytest.approx(10 * 2**20)


def test_a_billion_replications_are_refused_before_sampling(nothing_sampled):
    with pytest.raises(WorkloadError) as info:
        run(load_scenario(STUTTERFLY), replications=10**9, workers=1, progress=False)
    message = str(info.value)
    assert "stutterfly.toml: this run is too large" in message
    assert "GiB of memory" in message
    assert "1,000,000,000 replications" in message
    assert f"{ALLOW_ENV}=1" in message


def test_a_huge_demand_is_refused_with_what_to_change(nothing_sampled):
    s = validate(mmc_data(500_000.0, 1.0, 10, 2.0, horizon_days=56), source="big.toml")
    with pytest.raises(WorkloadError) as info:
        run(s, replications=10, workers=1, progress=False)
    message = str(info.value)
    assert "672,000,000 orders per replication" in message
    assert "horizon_days, the demand" in message


def test_too_many_orders_in_all_are_refused_even_when_memory_fits(nothing_sampled):
    s = validate(mmc_data(10_000.0, 1.0, 200, 2.0, horizon_days=1, warmup_days=0))
    work = estimate(s, 50_000)
    assert work.memory_bytes < memory_budget()
    assert work.total_orders > MAX_TOTAL_ORDERS
    with pytest.raises(WorkloadError, match="orders in all"):
        check_workload(s, 50_000)


def test_the_environment_variable_allows_a_large_run(monkeypatch):
    s = validate(mmc_data(500_000.0, 1.0, 10, 2.0, horizon_days=56))
    monkeypatch.setenv(ALLOW_ENV, "1")
    assert check_workload(s, 10).memory_bytes > memory_budget()


def test_sequential_runs_are_judged_by_their_cap(nothing_sampled):
    s = validate(mmc_data(10_000.0, 1.0, 200, 2.0, horizon_days=1, warmup_days=0))
    with pytest.raises(WorkloadError, match="100,000 replications"):
        run(s, replications=10_000, precision=1e-9, workers=1, progress=False)


def test_cli_refuses_with_exit_2_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    out = tmp_path / "out"
    argv = ["run", str(STUTTERFLY), "--set", "demand.rate_per_hour=100000", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "this run is too large" in err
    assert "Traceback" not in err
    assert not out.exists()
