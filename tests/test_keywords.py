"""The seed and the replication index are both integers: no call may swap them silently."""

from __future__ import annotations

import pytest

from capsim.experiment import replicate, replicate_many
from capsim.sampling import sample, sample_many
from capsim.scenario import validate
from tests.conftest import mmc_data, same_numbers

SCENARIO = validate(mmc_data(2.0, 2.0, 2, 4.0, horizon_days=2, warmup_days=0))


@pytest.mark.parametrize("call", [
    lambda: sample(SCENARIO, 0, 7),
    lambda: sample_many(SCENARIO, [0], 7),
    lambda: replicate(SCENARIO, 7, 0),
    lambda: replicate_many(SCENARIO, 7, [0]),
])
def test_seed_and_replication_must_be_named(call):
    with pytest.raises(TypeError, match="positional argument"):
        call()


def test_named_arguments_agree_between_sampling_and_replicating():
    direct = sample(SCENARIO, 3, seed=7)
    assert (direct.seed, direct.replication) == (7, 3)
    again = sample_many(SCENARIO, [3], seed=7)[0]
    assert (direct.arrival == again.arrival).all()
    one = replicate(SCENARIO, seed=7, replication=3)
    many = replicate_many(SCENARIO, seed=7, indices=[3])[0]
    assert one.replication == many.replication == 3
    assert same_numbers(one.kpis, many.kpis)
