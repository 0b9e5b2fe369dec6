"""capsim.rng's streams are numpy's ``Generator(PCG64(SeedSequence(seed, spawn_key=key)))``.

capsim works out SeedSequence's hashing itself (with every key prefix's mixing kept),
so these tests compare its PCG64 states with numpy's own, bit for bit, on seeds and keys
of every size numpy splits into 32-bit words differently (0, below and above 2**32,
above the pool's 128 bits).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capsim import rng


def numpy_stream(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


sizes = st.sampled_from([1, 31, 32, 33, 64, 65, 128, 129, 200])
seeds = st.one_of(st.integers(0, 2**32), sizes.flatmap(lambda b: st.integers(0, 2**b - 1)))
elements = st.one_of(st.integers(0, 40), st.integers(0, 2**32),
                     sizes.flatmap(lambda b: st.integers(0, 2**b - 1)))


@settings(max_examples=500, deadline=None)
@given(seed=seeds, key=st.lists(elements, min_size=1, max_size=6).map(tuple))
def test_states_are_numpys(seed, key):
    ours, theirs = rng._generator(seed, key), numpy_stream(seed, key)
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert np.array_equal(ours.random(4), theirs.random(4))


def test_every_public_stream_is_numpys_seed_tree():
    seed = 20261122
    cases = [
        (rng.stream(seed, 3, "arrivals"), (3, rng.PURPOSES["arrivals"])),
        (rng.technician_stream(seed, 3, 7, "absence"),
         (3, rng.PURPOSES["technicians"], 7, rng.TECHNICIAN_PURPOSES["absence"])),
        (rng.order_stream(seed, 3, "quality", "batch", 2),
         (3, rng.PURPOSES["quality"], rng.ORDER_SOURCES["batch"], 2)),
        (rng.stress_stream(seed, 3, 1), (3, rng.PURPOSES["stress"], 1)),
        (rng.supply_stream(seed, 3, "lead_times", 0), (3, rng.PURPOSES["lead_times"], 0)),
        (rng.station_stream(seed, 3, 4, "station_repairs"),
         (3, rng.PURPOSES["station_repairs"], 4)),
    ]
    for ours, key in cases:
        assert ours.bit_generator.state == numpy_stream(seed, key).bit_generator.state
    # the module docstring's contract: replication r is SeedSequence(s).spawn(r + 1)[r],
    # and a purpose p its child p
    work = rng.PURPOSES["work"]
    child = np.random.SeedSequence(seed).spawn(4)[3].spawn(work + 1)[work]
    spawned = np.random.Generator(np.random.PCG64(child))
    assert rng.stream(seed, 3, "work").bit_generator.state == spawned.bit_generator.state


def test_prefixes_kept_in_any_order_give_the_same_states():
    """The prefix cache cannot leak one key's mixing into another's."""
    keys = [(r, 6, t, p) for r in (0, 1) for t in (2, 0, 1) for p in (2, 0)]
    first = [rng._generator(5, k).bit_generator.state for k in keys]
    rng._mixed.cache_clear()
    again = [rng._generator(5, k).bit_generator.state for k in reversed(keys)][::-1]
    assert first == again == [numpy_stream(5, k).bit_generator.state for k in keys]
    assert len({str(s) for s in first}) == len(keys)


def test_other_state_sizes_go_to_numpy():
    ours, theirs = rng._generator(9, (1, 2)), numpy_stream(9, (1, 2))
    for n_words, dtype in ((8, np.uint32), (4, np.uint32), (2, np.uint64)):
        assert np.array_equal(ours.bit_generator.seed_seq.generate_state(n_words, dtype),
                              theirs.bit_generator.seed_seq.generate_state(n_words, dtype))


def test_a_stream_pickles_and_goes_on_where_it_was():
    stream = rng.stream(11, 0, "work")
    stream.random(5)
    copy = pickle.loads(pickle.dumps(stream))
    assert np.array_equal(copy.random(3), stream.random(3))


def test_seeds_and_keys_longer_than_the_hash_table():
    seed, key = 2**2000 + 17, (3, 2**3000 + 5, 1)
    assert (rng._generator(seed, key).bit_generator.state
            == numpy_stream(seed, key).bit_generator.state)
    assert len(rng._HASH_A) == 257  # the shared table is left as it was


def test_numpy_integers_give_the_same_states_and_negatives_are_refused():
    key = (np.int64(3), np.int32(6), np.uint64(2**40), 1)
    assert (rng._generator(np.int64(2**40 + 3), key).bit_generator.state
            == numpy_stream(2**40 + 3, tuple(int(k) for k in key)).bit_generator.state)
    with pytest.raises(ValueError, match="non-negative"):
        rng._generator(5, (1, -1))
