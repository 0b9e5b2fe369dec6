"""The runs of a search share each replication's orders (capsim.reuse), and nothing changes.

Sharing is an optimisation only: every draw must be the one an unshared run makes,
for every roster, and a change to the order side must never be answered from the
store. The identity checks (``is``) prove that sharing happened at all, so the
equality checks are not vacuous.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from capsim import reuse
from capsim.cli import main
from capsim.errors import ArgumentError
from capsim.experiment import Runner
from capsim.sampling import Realization, sample_many
from capsim.scenario import load_scenario
from capsim.staffing import size_staff

SCENARIO = "experiments/stutterfly.toml"


@pytest.fixture(scope="module")
def stutterfly():
    return load_scenario(SCENARIO)  # batches, surges, remakes, absences: every source


def _arrays(real: Realization) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(real):
        value = getattr(real, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for g in dataclasses.fields(value):
                out[f"{f.name}.{g.name}"] = getattr(value, g.name)
        else:
            out[f.name] = value
    return out


def assert_same_realization(a: Realization, b: Realization) -> None:
    x, y = _arrays(a), _arrays(b)
    assert x.keys() == y.keys()
    for name, value in x.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == y[name].dtype, name
            assert np.array_equal(value, y[name], equal_nan=value.dtype.kind == "f"), name
        elif isinstance(value, tuple):  # downtime's per-station arrays
            assert len(value) == len(y[name]), name
            for p, q in zip(value, y[name], strict=True):
                assert np.array_equal(p, q, equal_nan=True), name
        elif value is not None:
            assert value == y[name], name


def test_rosters_share_the_orders_and_draw_what_unshared_runs_draw(stutterfly):
    reps = [0, 3, 7]
    small, large = stutterfly.with_roster(9), stutterfly.with_roster(14)
    alone = {r: sample_many(s, reps, seed=5) for r, s in ((9, small), (14, large))}
    with reuse.sharing():
        first = sample_many(small, reps, seed=5)
        second = sample_many(large, reps, seed=5)
        again = sample_many(small, reps, seed=5)
    for i in range(len(reps)):
        assert second[i].arrival is first[i].arrival  # shared, not drawn again
        assert again[i].follow_ups is first[i].follow_ups
        assert_same_realization(first[i], alone[9][i])
        assert_same_realization(again[i], alone[9][i])
        assert_same_realization(second[i], alone[14][i])


def test_a_change_on_the_order_side_is_drawn_anew(stutterfly):
    busier = stutterfly.edit({"demand.rate_per_hour": 30.0})
    other_seed = sample_many(stutterfly, [1], seed=6)[0]
    with reuse.sharing():
        base = sample_many(stutterfly, [1], seed=5)[0]
        changed = sample_many(busier, [1], seed=5)[0]
        reseeded = sample_many(stutterfly, [1], seed=6)[0]
    assert changed.arrival is not base.arrival
    assert_same_realization(changed, sample_many(busier, [1], seed=5)[0])
    assert_same_realization(reseeded, other_seed)


def test_kept_arrays_are_read_only_and_dropped_with_the_scope(stutterfly):
    with reuse.sharing():
        with reuse.sharing():  # nested scopes keep the store until the outermost ends
            kept = sample_many(stutterfly, [2], seed=5)[0]
        assert sample_many(stutterfly, [2], seed=5)[0].work is kept.work
        with pytest.raises(ValueError, match="read-only"):
            kept.work[0] = 1.0
    assert not reuse.active()
    assert sample_many(stutterfly, [2], seed=5)[0].work is not kept.work
    outside = sample_many(stutterfly, [2], seed=5)[0]
    outside.work[0] = 1.0  # an unshared draw is the caller's own


def test_over_the_budget_nothing_more_is_kept(stutterfly, monkeypatch):
    monkeypatch.setattr(reuse, "BUDGET_BYTES", 1)
    with reuse.sharing():
        one = sample_many(stutterfly, [4], seed=5)[0]
        two = sample_many(stutterfly, [4], seed=5)[0]
    assert two.arrival is not one.arrival
    assert_same_realization(one, two)


@pytest.fixture
def fresh_budget(monkeypatch):
    """The default budget worked out anew (it is read once per process), and again after."""
    monkeypatch.delenv(reuse.BUDGET_ENV, raising=False)
    reuse.default_budget.cache_clear()
    yield monkeypatch
    reuse.default_budget.cache_clear()


@pytest.mark.parametrize(("memory_gib", "budget_mib"), [
    (1, 256), (4, 256), (8, 512), (24, 1536), (32, 2048), (1024, 2048)])
def test_the_budget_is_a_sixteenth_of_the_memory_within_its_bounds(fresh_budget, memory_gib,
                                                                  budget_mib):
    fresh_budget.setattr(reuse, "machine_memory", lambda: memory_gib * 2**30)
    assert reuse.budget() == budget_mib * 2**20


def test_capsim_share_mb_sets_the_budget(stutterfly, fresh_budget):
    fresh_budget.setenv(reuse.BUDGET_ENV, "64")
    assert reuse.budget() == 64 * 2**20
    reuse.default_budget.cache_clear()
    fresh_budget.setenv(reuse.BUDGET_ENV, "0")  # keep nothing
    with reuse.sharing():
        one = sample_many(stutterfly, [4], seed=5)[0]
        two = sample_many(stutterfly, [4], seed=5)[0]
        assert reuse._STORE.bytes == 0
    assert two.arrival is not one.arrival
    assert_same_realization(one, two)


@pytest.mark.parametrize("value", ["lots", "-1", "1.5"])
def test_a_bad_capsim_share_mb_is_refused_before_anything_is_drawn(fresh_budget, value):
    fresh_budget.setenv(reuse.BUDGET_ENV, value)
    with pytest.raises(ArgumentError, match=rf"CAPSIM_SHARE_MB='{re.escape(value)}'.*"
                       "allowed: a whole number, 0 or more"), reuse.sharing():
        pytest.fail("the scope opened")  # pragma: no cover
    assert not reuse.active()


def test_the_cli_says_what_is_wrong_with_capsim_share_mb(fresh_budget, capsys):
    fresh_budget.setenv(reuse.BUDGET_ENV, "lots")
    assert main(["size", SCENARIO, "--replications", "2", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert "CAPSIM_SHARE_MB='lots'" in err
    assert "Traceback" not in err


def test_a_search_finds_what_it_finds_without_sharing(stutterfly, monkeypatch):
    """size_staff (a Runner planned for several runs: sharing on) against the same search
    with sharing switched off: the same rosters evaluated, the same summaries."""
    scenario = stutterfly.edit({"experiment.replications": 6})
    shared = size_staff(scenario, 0.9, workers=1, progress=False)
    monkeypatch.setattr(Runner, "__enter__", lambda self: self)
    unshared = size_staff(scenario, 0.9, workers=1, progress=False)
    assert shared.recommended == unshared.recommended
    assert shared.evaluations.keys() == unshared.evaluations.keys()
    for roster, result in shared.evaluations.items():
        for x, y in zip(result.summaries, unshared.evaluations[roster].summaries, strict=True):
            for name in x.kpis:
                assert np.array_equal(x.kpis[name], y.kpis[name], equal_nan=True), name
            for name in x.hourly:
                assert np.array_equal(x.hourly[name], y.hourly[name]), name


def test_stress_events_share_the_orders_unless_they_change_demand(stutterfly):
    """An absence or closure event leaves the orders alone; a demand event draws its own."""
    kinds = [e.kind for e in stutterfly.stress]
    flu, viral = kinds.index("absence"), kinds.index("demand")
    sick = stutterfly.replace(("stress", flu, "enabled"), True)
    busy = stutterfly.replace(("stress", viral, "enabled"), True)
    with reuse.sharing():
        base = sample_many(stutterfly, [0], seed=5)[0]
        shared = sample_many(sick, [0], seed=5)[0]
        spiked = sample_many(busy, [0], seed=5)[0]
    assert shared.arrival is base.arrival
    assert spiked.arrival is not base.arrival
    assert spiked.arrival.size > base.arrival.size
    assert_same_realization(shared, sample_many(sick, [0], seed=5)[0])
    assert_same_realization(spiked, sample_many(busy, [0], seed=5)[0])


@pytest.mark.parametrize("rosters", [(14, 9, 17), (9, 17, 14)])
def test_attendance_rows_are_shared_across_rosters_and_drawn_as_alone(stutterfly, rosters):
    """Each technician's vacations, outbreak illness and absences, whichever roster drew
    them first (a larger or a smaller one); the status tables equal unshared ones."""
    from capsim import attendance

    made = []
    real = attendance._table_draws

    def counting(scenario, seed, replication, techs, events):
        made.extend(techs)
        return real(scenario, seed, replication, techs, events)

    reps = [0, 5]
    alone = {n: sample_many(stutterfly.with_roster(n), reps, seed=5) for n in rosters}
    with reuse.sharing(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(attendance, "_table_draws", counting)
        shared = {n: sample_many(stutterfly.with_roster(n), reps, seed=5) for n in rosters}
    assert sorted(made) == sorted(list(range(max(rosters))) * len(reps))  # each once
    for n in rosters:
        for one, two in zip(shared[n], alone[n], strict=True):
            assert_same_realization(one, two)


def test_an_evicting_scope_drops_the_least_recently_used_side(stutterfly, monkeypatch):
    """The what-if page's scope: with the budget full, a new side pushes out the side used
    least recently, never one in use; every draw stays what an unshared run draws."""
    a = stutterfly
    b = stutterfly.edit({"demand.rate_per_hour": 30.0})
    c = stutterfly.edit({"demand.rate_per_hour": 20.0})
    with reuse.sharing(evict=True):
        first_a = sample_many(a, [1], seed=5)[0]
        held = reuse._STORE.bytes  # a's orders and the attendance rows
        orders = max(reuse._STORE.side_bytes.values())  # a's orders, the larger side
        monkeypatch.setattr(reuse, "BUDGET_BYTES", held + orders + orders // 2)
        first_b = sample_many(b, [1], seed=5)[0]  # fits beside a
        assert sample_many(a, [1], seed=5)[0].arrival is first_a.arrival  # a: used last
        first_c = sample_many(c, [1], seed=5)[0]  # no room: b, least recently used, goes
        assert sample_many(c, [1], seed=5)[0].arrival is first_c.arrival
        assert sample_many(a, [1], seed=5)[0].arrival is first_a.arrival
        again_b = sample_many(b, [1], seed=5)[0]
        assert reuse._STORE.bytes <= reuse.BUDGET_BYTES
    assert again_b.arrival is not first_b.arrival
    assert_same_realization(again_b, sample_many(b, [1], seed=5)[0])
    assert_same_realization(first_c, sample_many(c, [1], seed=5)[0])
