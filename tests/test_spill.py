"""Series past a run's memory budget go to a temporary file and come back bit for bit."""

from __future__ import annotations

import pickle
import threading
import warnings
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from capsim import spill
from capsim.experiment import run
from capsim.persist import load_result
from capsim.spill import Kept, SpilledSeries, SpillFile
from tests.test_experiment import _same, small  # noqa: F401  (the fixture)

REPS = 9


@pytest.fixture(scope="module")
def in_memory(small):  # noqa: F811
    return run(small, replications=REPS, seed=3, workers=1, progress=False)


def _in_memory(result) -> list:
    """Its summaries with their series in memory (whatever the budget of the run)."""
    return [replace(s, hourly=dict(s.hourly), daily=dict(s.daily)) for s in result.summaries]


def _one_summary_of_series(result) -> int:
    first = result.summaries[0]
    return sum(a.nbytes for s in (first.hourly, first.daily) for a in s.values())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_spilled_run_is_the_run_kept_in_memory(small, in_memory, monkeypatch,  # noqa: F811
                                                 workers):
    # a budget of three replications' series: the other six go to the file
    budget = 3 * _one_summary_of_series(in_memory)
    monkeypatch.setattr(spill, "BUDGET_BYTES", budget)
    spilled = run(small, replications=REPS, seed=3, workers=workers, progress=False)
    kinds = [isinstance(s.hourly, SpilledSeries) and isinstance(s.daily, SpilledSeries)
             for s in spilled.summaries]
    assert sum(kinds) == REPS - 3
    _same(in_memory, spilled)
    for name in in_memory.summaries[0].hourly:
        np.testing.assert_array_equal(spilled.hourly(name), in_memory.hourly(name))
        assert spilled.hourly(name).dtype == in_memory.hourly(name).dtype
    for name in in_memory.summaries[0].daily:
        np.testing.assert_array_equal(spilled.daily(name), in_memory.daily(name))
    assert spilled.kpis == in_memory.kpis


def test_memory_held_stays_within_the_budget(in_memory):
    budget = 2 * _one_summary_of_series(in_memory) + 1
    kept = Kept(budget)
    for s in _in_memory(in_memory):
        kept[s.replication] = s
        assert kept.in_memory <= budget
    held = sum(a.nbytes for s in kept.values() for series in (s.hourly, s.daily)
               if not isinstance(series, SpilledSeries) for a in series.values())
    assert held == kept.in_memory == budget - 1


def test_spilled_results_pickle_save_and_load_as_before(small, in_memory, monkeypatch,  # noqa: F811
                                                        tmp_path):
    monkeypatch.setattr(spill, "BUDGET_BYTES", 0)  # every replication spilled
    spilled = run(small, replications=REPS, seed=3, workers=1, progress=False)
    assert all(isinstance(s.hourly, SpilledSeries) for s in spilled.summaries)
    copy = pickle.loads(pickle.dumps(spilled))
    assert all(type(s.hourly) is dict and type(s.daily) is dict for s in copy.summaries)
    _same(in_memory, copy)
    spilled.save(tmp_path / "saved")
    _same(in_memory, load_result(tmp_path / "saved"))
    _same(in_memory.first(4), spilled.first(4))  # the first replications read the file


def test_an_array_read_back_is_new_and_writable(in_memory):
    kept = Kept(0)
    original = _in_memory(in_memory)[0]
    kept[0] = original
    series = kept[0].hourly
    wip = series["wip"]
    wip[:] = -1.0
    np.testing.assert_array_equal(series["wip"], original.hourly["wip"])
    assert series["wip"] is not series["wip"]
    assert list(series) == list(original.hourly)
    assert len(series) == len(original.hourly)


def test_a_run_that_cannot_write_keeps_its_series_in_memory(small, in_memory,  # noqa: F811
                                                            monkeypatch):
    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SpillFile, "write", full_disk)
    monkeypatch.setattr(spill, "BUDGET_BYTES", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept_anyway = run(small, replications=REPS, seed=3, workers=1, progress=False)
    assert [str(w.message) for w in caught if "temporary file" in str(w.message)] == [
        "capsim could not write replications' series to a temporary file ([Errno 28] No "
        "space left on device); keeping them in memory"]  # once, not per replication
    assert not any(isinstance(s.hourly, SpilledSeries) for s in kept_anyway.summaries)
    _same(in_memory, kept_anyway)


arrays = st.dictionaries(
    st.text(min_size=1, max_size=8),
    hnp.arrays(st.sampled_from([np.float64, np.int64, np.int32, np.bool_, np.float32]),
               hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=40)),
    max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.lists(arrays, min_size=1, max_size=6))
def test_the_file_gives_back_every_array_bit_for_bit(groups):
    file = SpillFile()
    stored = [SpilledSeries(file, group) for group in groups]
    for group, series in zip(groups, stored, strict=True):
        assert list(series) == list(group)
        for name, array in group.items():
            back = series[name]
            assert (back.dtype, back.shape) == (array.dtype, array.shape)
            assert back.tobytes() == array.tobytes()  # NaN payloads and -0.0 included


def test_threads_read_one_file_at_once():
    file = SpillFile()
    rng = np.random.default_rng(7)
    blocks = [{"x": rng.random(500 + i)} for i in range(40)]
    stored = [SpilledSeries(file, b) for b in blocks]
    wrong: list[int] = []
    start = threading.Barrier(4)

    def reader(k: int) -> None:
        start.wait()
        for i in range(k, len(blocks) * 5, 4):
            j = i % len(blocks)
            if not np.array_equal(stored[j]["x"], blocks[j]["x"]):
                wrong.append(j)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
