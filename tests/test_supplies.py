"""Supplies (issue 15, items 1 and 2): stock, reorder policies, suppliers and their outages.

- Base stock against theory: Poisson demand, one unit per order, lead time L (fixed, or
  exponential: Palm's theorem gives the same pipeline law), a roster so large that an
  order's demand moment is its arrival: the share of demands met from stock is
  P(Poisson(λL) <= S − 1).
- Conservation per supply and replication: consumed = received − (final − initial), and
  consumed = the units of the orders that started, exactly (integer units).
- Floors worked out by hand: an outage that delays a reorder to its end (or sends it to
  the backup), a stress event that stops the supplier like a scheduled outage, and an
  order blocked for stock that keeps its place while later orders start.
- A supply that nobody consumes, or that orders consume 0 units of, leaves every order's
  start and finish (and the other KPIs) as without the table; the fast engine models
  supplies too (``tests/test_fast_supplies.py``), and the closed form holds on both.
- Bad input: a clear message naming the field and value, and exit 2 from the CLI.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import poisson

from capsim.cli import main
from capsim.engines import get, resolve, simpy_model, vectorized
from capsim.errors import CapsimWarning, ScenarioError
from capsim.metrics import summarize
from capsim.sampling import sample
from capsim.stockouts import per_supply
from tests.conftest import merge, mmc_data, same_numbers, scenario

FIXED_LEAD = {"distribution": "fixed", "mean_minutes": 60.0}


def _base_stock(lead: dict, order_up_to: float) -> dict:
    """λ = 2 orders an hour, 10 min of work, 200 always-on technicians, one paper each."""
    return mmc_data(2.0, 6.0, 200, 24.0, horizon_days=30, warmup_days=1,
                    classes=[{"name": "all", "share": 1.0, "consumes": {"paper": 1.0}}],
                    supplies=[{"name": "paper", "initial_stock": order_up_to,
                               "policy": "base_stock", "order_up_to": order_up_to,
                               "lead_time": lead}])


@pytest.mark.parametrize("engine", ["simpy", "fast"])
@pytest.mark.parametrize(("lead", "order_up_to"), [
    (FIXED_LEAD, 3.0), ({"distribution": "exponential", "mean_minutes": 60.0}, 2.0)])
def test_base_stock_fill_rate_is_poisson(lead, order_up_to, engine):
    """Fill rate = P(Poisson(λ E[L]) <= S − 1) within 4 standard errors.

    With base stock the position stays at S, so a demand finds stock iff fewer than S
    units are in the pipeline, and the pipeline is the number of busy servers of an
    M/G/∞ queue fed by the demands: Poisson(λ E[L]) in steady state for any lead-time
    law. The replications are independent seasons, so their fill rates are iid and the
    standard error of their mean is their standard deviation / sqrt(R); 4 SE leaves a
    false alarm with probability about 6e-5. The first day is a warm-up (the pipeline
    starts empty). Each replication has about 1,400 demands, so the bias of a ratio
    estimate (order 1/n) is far below the SE.
    """
    s = scenario(_base_stock(lead, order_up_to))
    simulate = get(engine)
    fills = [summarize(simulate(s, sample(s, r, seed=3)), r).kpis["fill_rate"]
             for r in range(20)]
    expected = poisson.cdf(order_up_to - 1, 2.0 * 1.0)
    se = np.std(fills, ddof=1) / math.sqrt(len(fills))
    assert abs(np.mean(fills) - expected) <= 4 * se, (np.mean(fills), expected, se)


def _mixed(**changes) -> dict:
    """Shifts, two classes, three supplies under the three policies, random outages."""
    outages = {"rate_per_year": 20.0,
               "duration": {"distribution": "exponential", "mean_minutes": 2880.0},
               "scheduled": [{"start_day": 9, "days": 3}]}
    return merge({
        "name": "supplies mixed", "horizon_days": 21, "warmup_days": 2,
        "demand": {"rate_per_hour": 4.0, "batches": [{"at_hour": 100.0, "orders": 40}]},
        "work": {"distribution": "exponential", "mean_minutes": 12.0, "promise_hours": 24.0},
        "workforce": {"roster": 3, "shifts": [
            {"name": "day", "start_hour": 6, "length_hours": 10, "days_per_week": 6}]},
        "patience": {"distribution": "exponential", "mean_minutes": 4000.0},
        "classes": [
            {"name": "prints", "share": 0.7,
             "consumes": {"paper": {"mean": 2.0, "distribution": "poisson"}, "ink": 1.0}},
            {"name": "books", "share": 0.3, "consumes": {"paper": 5.0, "glue": 1.0}}],
        "supplies": [
            {"name": "paper", "initial_stock": 100.0, "policy": "s_S", "reorder_point": 60.0,
             "order_up_to": 200.0, "review_hours": 24.0,
             "lead_time": {"distribution": "lognormal", "mean_minutes": 1440.0, "cv": 0.5},
             "outages": outages},
            {"name": "ink", "initial_stock": 5.0, "policy": "r_Q", "reorder_point": 10.0,
             "quantity": 25.0,
             "lead_time": {"distribution": "exponential", "mean_minutes": 600.0},
             "backup": {"lead_time": {"distribution": "fixed", "mean_minutes": 120.0}},
             "outages": outages},
            {"name": "glue", "initial_stock": 3.0, "policy": "base_stock",
             "order_up_to": 4.0, "lead_time": {"distribution": "fixed", "mean_minutes": 300.0},
             "outages": outages}],
    }, changes)


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
def test_units_are_conserved(dispatch):
    s = scenario(_mixed(dispatch=dispatch))
    blocked_somewhere = 0
    for r in range(4):
        records = simpy_model.simulate(s, sample(s, r, seed=11))
        st = records.stock
        assert st is not None
        started = ~np.isnan(records.start)
        np.testing.assert_array_equal(st.consumed, st.received - (st.final - st.initial))
        np.testing.assert_array_equal(st.consumed, st.need[started].sum(axis=0))
        assert (st.final >= 0).all()
        # a blocked order started after its demand moment, the others at it
        with np.errstate(invalid="ignore"):
            assert (records.start[st.blocked & started] > st.demand[st.blocked & started]).all()
            assert (records.start[~st.blocked & started] == st.demand[~st.blocked & started]
                    ).all()
        assert (st.short.any(axis=1) == st.blocked).all()
        blocked_somewhere += int(st.blocked.sum())
        k = summarize(records, r).kpis
        window = records.arrival >= records.warmup
        assert k["orders_delayed_by_stockout"] == (st.blocked & window).sum()
        assert 0 <= k["fill_rate"] <= 1
        table = per_supply(records)
        assert set(table) == {"paper", "ink", "glue"}
        assert all(v["stockout_hours"] <= k["stockout_hours"] + 1e-9 for v in table.values())
    assert blocked_somewhere > 0  # the case exercises stock-outs


def _by_hand(**supply) -> dict:
    """One technician, 60 min orders: class 'a' uses one paper, 'b' none.

    Paper: 1 on the shelf, base stock S = 1, lead time 2 h, the supplier out on day 1
    (hours 24-48). Orders a at 0, 23, 24.5, 30 and b at 30.5.
    """
    at = [(0.0, "a"), (23.0, "a"), (24.5, "a"), (30.0, "a"), (30.5, "b")]
    return {
        "name": "supplies by hand", "horizon_days": 3,
        "demand": {"batches": [{"at_hour": h, "orders": 1, "class": c} for h, c in at]},
        "work": {"distribution": "fixed", "mean_minutes": 60.0, "promise_hours": 48.0},
        "workforce": {"roster": 1, "always_on": True},
        "classes": [{"name": "a", "share": 0.5, "consumes": {"paper": 1.0}},
                    {"name": "b", "share": 0.5}],
        "supplies": [merge({"name": "paper", "initial_stock": 1.0, "policy": "base_stock",
                            "order_up_to": 1.0,
                            "lead_time": {"distribution": "fixed", "mean_minutes": 120.0},
                            "outages": {"scheduled": [{"start_day": 1, "days": 1}]}},
                           supply)],
    }


def test_an_outage_worked_out_by_hand():
    """Reorders at 0 (arrives 2) and 23 (in transit when the outage starts at 24: arrives 25);
    the third a blocks at 24.5 and starts at that delivery, 25; its reorder, placed in the
    outage, arrives at its end + 2 h = 50, as does that of the fourth a (blocked at 30),
    which starts at 50. b needs nothing and starts at 30.5 while the fourth a waits."""
    s = scenario(_by_hand())
    records = simpy_model.simulate(s, sample(s, 0, seed=1))
    np.testing.assert_array_equal(records.start, [0.0, 23.0, 25.0, 50.0, 30.5])
    np.testing.assert_array_equal(records.finish, [1.0, 24.0, 26.0, 51.0, 31.5])
    st = records.stock
    np.testing.assert_array_equal(st.demand, [0.0, 23.0, 24.5, 30.0, np.nan])
    np.testing.assert_array_equal(st.blocked, [False, False, True, True, False])
    assert (st.placed[0], st.received[0], st.consumed[0], st.final[0]) == (4, 4.0, 4.0, 1.0)
    k = summarize(records, 0).kpis
    assert (k["stockout_hours"], k["orders_delayed_by_stockout"], k["fill_rate"]) == (
        20.5, 2.0, 0.5)


def test_the_backup_supplier_ships_during_the_outage():
    """With a backup (1 h): the reorder of 24.5 arrives at 25.5, so the fourth a finds stock
    at 30 and starts then; its reorder (backup) arrives at 31; b waits for the technician."""
    s = scenario(_by_hand(backup={"lead_time": {"distribution": "fixed",
                                                "mean_minutes": 60.0}}))
    records = simpy_model.simulate(s, sample(s, 0, seed=1))
    np.testing.assert_array_equal(records.start, [0.0, 23.0, 25.0, 30.0, 31.0])
    assert records.stock.blocked.tolist() == [False, False, True, False, False]
    assert records.stock.received[0] == 4.0  # 2, 25, 25.5, 31


def test_a_supplier_stress_event_is_an_outage():
    plain = _by_hand(outages={"scheduled": []})
    stressed = merge(plain, {"stress": [{"name": "quake", "kind": "supplier", "supply": "paper",
                                         "start_day": 1, "days": 1, "enabled": True}]})
    a, b, c = (simpy_model.simulate(s, sample(s, 0, seed=1))
               for s in map(scenario, (_by_hand(), stressed, plain)))
    np.testing.assert_array_equal(a.start, b.start)
    assert not np.array_equal(a.start, c.start)  # without the outage the reorders come on time
    disabled = scenario(merge(stressed, {"stress": [{**stressed["stress"][0],
                                                     "enabled": False}]}))
    np.testing.assert_array_equal(
        simpy_model.simulate(disabled, sample(disabled, 0, seed=1)).start, c.start)


def test_a_blocked_order_keeps_its_place():
    """Ink: none on the shelf, (R, Q) with s = 0, Q = 1, lead time 3 h: one unit ordered at 0
    and one at A's demand moment (position 0), both arriving at 3. A (needs ink) at 0 is
    blocked; B (0), C (0.5) and D (1.5) need nothing and start at 0, 1, 2 while A waits;
    at 3 the ink arrives and A, first in line, starts before E (arrived 2.5), which starts
    at 4."""
    at = [(0.0, "inked"), (0.0, "plain"), (0.5, "plain"), (1.5, "plain"), (2.5, "plain")]
    s = scenario({
        "name": "kept place", "horizon_days": 1,
        "demand": {"batches": [{"at_hour": h, "orders": 1, "class": c} for h, c in at]},
        "work": {"distribution": "fixed", "mean_minutes": 60.0, "promise_hours": 12.0},
        "workforce": {"roster": 1, "always_on": True},
        "classes": [{"name": "inked", "share": 0.5, "consumes": {"ink": 1.0}},
                    {"name": "plain", "share": 0.5}],
        "supplies": [{"name": "ink", "initial_stock": 0.0, "policy": "r_Q",
                      "reorder_point": 0.0, "quantity": 1.0,
                      "lead_time": {"distribution": "fixed", "mean_minutes": 180.0}}]})
    records = simpy_model.simulate(s, sample(s, 0, seed=1))
    np.testing.assert_array_equal(records.start, [3.0, 0.0, 1.0, 2.0, 4.0])
    assert (records.stock.placed[0], records.stock.final[0]) == (2, 1.0)
    k = summarize(records, 0).kpis
    assert (k["stockout_hours"], k["orders_delayed_by_stockout"], k["fill_rate"]) == (
        3.0, 1.0, 0.0)


@pytest.mark.parametrize("dispatch", ["fifo", "edd", "priority"])
def test_supplies_that_cost_nothing_change_nothing(dispatch):
    """Without supplies, with one nobody uses, and with one used 0 units at a time: the same
    orders, starts and finishes bit for bit, and the same KPIs but the supplies' own."""
    data = _mixed(dispatch=dispatch, patience={"mean_minutes": 600.0})
    bare = {k: v for k, v in data.items() if k != "supplies"}
    bare["classes"] = [{k: v for k, v in c.items() if k != "consumes"} for c in data["classes"]]
    with pytest.warns(CapsimWarning, match="supplies: no order class consumes any of them"):
        scenario(merge(bare, {"supplies": data["supplies"]}))
    unused = merge(bare, {"supplies": data["supplies"]})
    free = merge(data, {"classes": [{**c, "consumes": dict.fromkeys(c["consumes"], 0.0)}
                                    for c in data["classes"]]})
    runs = []
    for d in (bare, unused, free):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CapsimWarning)
            s = scenario(d)
        runs.append([simpy_model.simulate(s, sample(s, r, seed=5)) for r in range(2)])
    for bare_r, unused_r, free_r in zip(*runs, strict=True):
        assert unused_r.stock is None
        assert free_r.stock is not None
        for other in (unused_r, free_r):
            for column in ("arrival", "start", "finish", "technician", "abandon"):
                np.testing.assert_array_equal(getattr(bare_r, column), getattr(other, column))
        kb, ku, kf = (summarize(x, 0).kpis for x in (bare_r, unused_r, free_r))
        assert same_numbers(kb, ku)
        assert (kf["stockout_hours"], kf["orders_delayed_by_stockout"]) == (0.0, 0.0)
        assert math.isnan(kf["fill_rate"])  # no order demands a unit
        assert same_numbers({k: v for k, v in kb.items() if k != "fill_rate"},
                            {k: v for k, v in kf.items() if k != "fill_rate"})


def test_the_fast_engine_models_supplies():
    """Supplies no longer send ``auto`` to SimPy (``tests/test_fast_supplies.py``)."""
    s = scenario(_mixed())
    assert vectorized.unsupported(s) is None
    assert resolve("auto", s) == "fast"
    assert vectorized.unsupported(scenario(mmc_data(2.0, 1.0, 3, 4.0))) is None


def _problem(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario(data, source="supplies.toml")
    return str(info.value)


PAPER = {"name": "paper", "initial_stock": 10.0, "policy": "s_S", "reorder_point": 5.0,
         "order_up_to": 20.0, "lead_time": FIXED_LEAD}
CLASSES = [{"name": "all", "share": 1.0, "consumes": {"paper": 1.0}}]


@pytest.mark.parametrize(("supply", "classes", "field", "fragments"), [
    ({"initial_stock": -1.0}, CLASSES, "supplies[0].initial_stock", ["got -1.0", ">= 0"]),
    ({"lead_time": {"distribution": "fixed", "mean_minutes": -5.0}}, CLASSES,
     "supplies[0].lead_time.mean_minutes", ["got -5.0", "> 0"]),
    ({"lead_time": {"distribution": "lognormal"}}, CLASSES, "supplies[0].lead_time.cv",
     ["needs cv"]),
    ({"reorder_point": 30.0}, CLASSES, "supplies[0].reorder_point",
     ["must be below order_up_to (20)", "got 30.0"]),
    ({"policy": "r_Q"}, CLASSES, "supplies[0].quantity", ["policy 'r_Q' needs quantity"]),
    ({"policy": "base_stock"}, CLASSES, "supplies[0].reorder_point",
     ["does not apply to policy 'base_stock'"]),
    ({"outages": {"rate_per_year": 2.0}}, CLASSES, "supplies[0].outages.duration",
     ["need a duration table"]),
    ({}, [{"name": "all", "share": 1.0, "consumes": {"toner": 1.0}}],
     "classes[0].consumes.toner", ["names no supply", "allowed: 'paper'", "'toner'"]),
    ({}, [{"name": "all", "share": 1.0, "consumes": {"paper": -2.0}}],
     "classes[0].consumes.paper.mean", ["got -2.0", "greater than or equal to 0"]),
    ({}, [{"name": "all", "share": 1.0, "consumes": {"paper": {"mean": 1.0,
                                                               "distribution": "normal"}}}],
     "classes[0].consumes.paper.distribution", ["'fixed' or 'poisson'"]),
])
def test_bad_supplies_name_the_field(supply, classes, field, fragments):
    data = mmc_data(2.0, 1.0, 3, 4.0, classes=classes, supplies=[merge(PAPER, supply)])
    message = _problem(data)
    assert message.startswith(f"supplies.toml: {field}"), message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_fields_and_bad_stress_are_named():
    lacking = {k: v for k, v in PAPER.items() if k != "lead_time"}
    assert "supplies[0].lead_time: required field is missing" in _problem(
        mmc_data(2.0, 1.0, 3, 4.0, classes=CLASSES, supplies=[lacking]))
    stress = {"name": "quake", "kind": "supplier", "start_day": 1, "days": 2}
    message = _problem(mmc_data(2.0, 1.0, 3, 4.0, classes=CLASSES, supplies=[PAPER],
                                stress=[stress]))
    assert "stress[0].supply" in message
    assert "needs supply" in message
    message = _problem(mmc_data(2.0, 1.0, 3, 4.0, classes=CLASSES, supplies=[PAPER],
                                stress=[{**stress, "supply": "ink"}]))
    assert "stress[0].supply: names no supply; allowed: 'paper'" in message


def test_cli_validate_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("""
name = "bad supplies"
horizon_days = 5
[demand]
rate_per_hour = 1.0
[work]
mean_minutes = 30.0
[workforce]
roster = 2
always_on = true
[[classes]]
name = "all"
share = 1.0
consumes = {toner = 1.0}
[[supplies]]
name = "paper"
initial_stock = 10.0
policy = "base_stock"
order_up_to = 10.0
lead_time = {distribution = "fixed", mean_minutes = 60.0}
""")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err
    assert "classes[0].consumes.toner" in err
    assert "Traceback" not in err


def test_stutterfly_with_supplies_is_the_season_plus_paper_and_ink():
    """The same season as stutterfly.toml (which stays on the fast engine), plus supplies."""
    from capsim.scenario import load_scenario
    from tests.conftest import ROOT, STUTTERFLY

    plain = load_scenario(STUTTERFLY)
    stocked = load_scenario(ROOT / "experiments" / "stutterfly_supplies.toml")
    assert not plain.has_supplies
    assert resolve("auto", stocked) == "fast"  # both engines model stock
    assert [s.name for s in stocked.supplies] == ["paper", "ink"]
    assert [e.kind for e in stocked.stress] == ["absence", "demand", "closure", "supplier"]

    def season(s):
        data = s.as_data()
        for key in ("name", "description", "supplies", "stress"):
            data.pop(key)
        for order_class in data["classes"]:
            order_class.pop("consumes")
        return data

    assert season(plain) == season(stocked)


def test_capsim_stress_runs_a_supplier_event():
    """The stress test runs the season without and with a supplier stop, on the fast engine,
    on the same draws; six days without paper deliveries (paper reorders come every few days) bring
    more hours of stock-out on these seeds."""
    from capsim.stress import stress_test

    event = {"name": "mill stops", "kind": "supplier", "supply": "paper", "start_day": 4,
             "days": 6}
    s = scenario(_mixed(stress=[event]))
    assert s.stress[0].describe() == "paper supplier stopped from day 4, 6 days"
    report = stress_test(s, replications=2, seed=2, workers=1, progress=False)
    assert report.baseline.engine == "fast"
    (outcome,) = report.outcomes
    assert outcome.result.kpis["stockout_hours"].mean > report.baseline.kpis[
        "stockout_hours"].mean


def _periodic_review() -> dict:
    """The floor of :func:`test_periodic_review_orders_only_at_reviews`."""
    return merge(_by_hand(review_hours=10.0, order_up_to=2.0, initial_stock=2.0,
                          lead_time={"distribution": "fixed", "mean_minutes": 60.0},
                          outages={"scheduled": []}),
                 {"demand": {"batches": [{"at_hour": h, "orders": 1, "class": "a"}
                                         for h in (1.0, 2.0, 3.0)]},
                  "work": {"mean_minutes": 30.0}})


def test_periodic_review_orders_only_at_reviews():
    """Base stock S = 2 reviewed every 10 h, lead time 1 h, orders of one paper at 1, 2 and 3
    (30 min each). Nothing is ordered between reviews: the first two take the stock, the
    third blocks at 3 (position −1); the review at 10 orders up to S, 3 units, which arrive
    at 11, when the third starts; the review at 20 finds the position at S."""
    s = scenario(_periodic_review())
    records = simpy_model.simulate(s, sample(s, 0, seed=1))
    np.testing.assert_array_equal(records.start, [1.0, 2.0, 11.0])
    st = records.stock
    assert (st.placed[0], st.received[0], st.consumed[0], st.final[0]) == (1, 3.0, 3.0, 2.0)
