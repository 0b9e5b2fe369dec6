"""Per-class KPIs: computed from one class's orders alone, in every output.

Exact checks: counts per class add up to the totals; every per-class KPI recomputed by
brute force (a plain loop over the Records of that class, and for the perfect order's
KPIs over its jobs too: a rework pass belongs to its order's class, a repeat contact is
an order of its own class) equals the reported one, on both engines, and the fused path
gives the Records path's numbers bit for bit; the outputs (replications.csv,
summary.json, the tables, a saved result) carry the same numbers; a one-class scenario
reports none. The fused path's per-class numbers on randomised scenarios are in
tests/test_fused.py.
"""

from __future__ import annotations

import csv
import io
import json
import math

import jsonschema
import numpy as np
import pytest

import capsim
from capsim import engines
from capsim.followups import REMAKE, REWORK
from capsim.kpis import PER_CLASS, class_kpi_name
from capsim.metrics import summarize
from capsim.output.run import replications_csv, summary, summary_schema
from capsim.persist import load_result
from capsim.sampling import sample
from capsim.scenario import validate
from tests.conftest import mmc_data

CLASSES = [
    {"name": "express", "share": 0.3, "promise_hours": 1.0, "priority": 0},
    {"name": "standard", "share": 0.5, "promise_hours": 4.0, "priority": 1},
    {"name": "bulk", "share": 0.2, "promise_hours": 8.0, "priority": 1,
     "patience": {"distribution": "exponential", "mean_minutes": 30.0}},
]


@pytest.fixture(scope="module")
def three():
    """Three classes on 8 always-on servers near saturation: waits, lateness, abandons."""
    return validate(mmc_data(7.5, 1.0, 8, 2.0, horizon_days=6, warmup_days=1,
                             classes=CLASSES, dispatch="priority",
                             targets={"answer_within_hours": 0.25}))


@pytest.fixture(scope="module")
def rework():
    """The same floor with follow-ups: standard orders go wrong (rework, or a remake found
    by the customer), express ones come back as standard orders (which can go wrong too),
    bulk ones wait for the customer's answers (holds during the work)."""
    classes = [dict(c) for c in CLASSES]
    classes[1]["quality"] = {"right_first_time": 0.7, "found_by_customer": 0.5,
                             "remake_delay": {"distribution": "fixed", "mean_minutes": 90.0}}
    classes[0]["returns"] = {"probability": 0.3, "as_class": "standard",
                             "delay": {"distribution": "exponential", "mean_minutes": 120.0}}
    classes[2]["hold"] = {"share": 0.4, "due": "paused",  # bulk orders wait for answers
                          "response": {"distribution": "exponential", "mean_minutes": 180.0}}
    return validate(mmc_data(6.0, 1.0, 8, 2.0, horizon_days=6, warmup_days=1,
                             classes=classes, dispatch="priority",
                             targets={"answer_within_hours": 0.25}))


@pytest.fixture(scope="module")
def ran(three):
    return capsim.run(three, replications=6, seed=5, workers=1, engine="simpy")


def records(scenario, replication, engine="simpy"):
    real = sample(scenario, replication, seed=5)
    return engines.get(engine)(scenario, real), real


def brute_force(r, c, within, real):
    """The per-class KPIs of class index ``c``, by a plain loop over its orders."""
    counted = arrived = completed = abandoned = on_time = waited = 0
    gone_counted = met = late = 0
    waits, leads, lateness = [], [], []
    for k in range(r.arrival.size):
        if r.order_class[k] != c:
            continue
        a, d, s, f, g = r.arrival[k], r.due[k], r.start[k], r.finish[k], r.abandon[k]
        if a >= r.warmup:
            arrived += 1
            completed += not math.isnan(f)
            abandoned += not math.isnan(g)
        if not (a >= r.warmup and d <= r.horizon):
            continue
        counted += 1
        on_time += f <= d
        if not f <= d and math.isnan(g):  # late: finished after d, or unfinished
            late += 1
            lateness.append((r.horizon if math.isnan(f) else f) - d)
        waited += not (s <= a)
        gone_counted += not math.isnan(g)
        left = g if math.isnan(s) else s
        if not math.isnan(left):
            waits.append(left - a)
        met += (not math.isnan(left)) and left - a <= within and math.isnan(g)
        if not math.isnan(f):
            leads.append(f - a)
    # abandoned_short = "exclude": abandons within the threshold leave the denominator
    short = sum(1 for k in range(r.arrival.size) if r.order_class[k] == c
                and r.arrival[k] >= r.warmup and r.due[k] <= r.horizon
                and not math.isnan(r.abandon[k]) and r.abandon[k] - r.arrival[k] <= within)
    ratio = lambda top, bottom: top / bottom if bottom else math.nan  # noqa: E731
    return {
        "on_time_rate": ratio(on_time, counted),
        "lead_time_mean_hours": ratio(sum(leads), len(leads)),
        **{f"lead_time_p{p}_hours": float(np.percentile(leads, p)) if leads else math.nan
           for p in (50, 90, 95, 99)},
        "wait_mean_hours": ratio(sum(waits), len(waits)),
        "wait_positive_share": ratio(waited, counted),
        "service_level": ratio(met, counted - short),
        "orders_arrived": float(arrived), "orders_completed": float(completed),
        "orders_unfinished": float(arrived - completed - abandoned),
        "abandonment_rate": ratio(gone_counted, counted),
        "orders_abandoned": float(abandoned),
        "orders_late": float(late), "late_hours": float(sum(lateness)),
        **brute_force_quality(r, c, real), **brute_force_holds(r, c),
    }


def brute_force_holds(r, c):
    """Hours on hold and orders held among class ``c``'s orders arriving after the warm-up."""
    hours = held = 0.0
    for k in range(r.arrival.size):
        if r.order_class[k] == c and r.arrival[k] >= r.warmup and r.hold is not None:
            hours += r.hold[k]
            held += r.hold[k] > 0
    return {"hold_hours": hours, "orders_held": held}


def job_classes(real):
    """The class of the order each job serves, from the drawn chains alone: the class of
    the job that starts its order (an outside order's own; a repeat contact's own)."""
    n, follow = real.orders, real.follow_ups
    classes = np.concatenate([real.order_class, follow.order_class])
    owner = np.concatenate([np.arange(n), follow.owner])
    return classes[owner]


def brute_force_quality(r, c, real):
    """The perfect order's KPIs of class index ``c``: a plain loop over its orders and the
    jobs serving them (without follow-ups: right first time, no rework, no repeats)."""
    counted = perfect = judged = right_first = repeats = 0
    for k in range(r.arrival.size):
        if r.order_class[k] != c:
            continue
        right = True if r.right_first_time is None else bool(r.right_first_time[k])
        first = r.finish[k] if r.first_finish is None else r.first_finish[k]
        if r.arrival[k] >= r.warmup and r.repeat_contact is not None and r.repeat_contact[k]:
            repeats += 1
        if not (r.arrival[k] >= r.warmup and r.due[k] <= r.horizon):
            continue
        counted += 1
        perfect += bool(r.finish[k] <= r.due[k]) and right and math.isnan(r.abandon[k])
        if not math.isnan(first):
            judged += 1
            right_first += right
    rework = 0.0
    if r.jobs is not None:
        serves = job_classes(real)
        for j in range(r.jobs.work.size):
            if serves[j] == c and r.jobs.kind[j] in (REWORK, REMAKE) \
                    and r.jobs.start[j] >= r.warmup:
                rework += r.jobs.work[j]
    ratio = lambda top, bottom: top / bottom if bottom else math.nan  # noqa: E731
    return {"perfect_order_rate": ratio(perfect, counted),
            "right_first_time_rate": ratio(right_first, judged),
            "rework_hours": rework, "repeat_contacts": float(repeats)}


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_per_class_kpis_are_those_of_the_class_orders_alone(three, engine):
    """Every per-class KPI equals the brute-force loop over that class's Records (sums to
    1e-12 relative: the loop adds in the same order but as Python floats)."""
    for replication in (0, 1):
        r, real = records(three, replication, engine)
        got = summarize(r, replication).by_class
        assert list(got) == ["express", "standard", "bulk"]
        for c, name in enumerate(got):
            expected = brute_force(r, c, 0.25, real)
            assert set(got[name]) == set(PER_CLASS) == set(expected)
            for kpi in PER_CLASS:
                assert got[name][kpi] == pytest.approx(expected[kpi], rel=1e-12, nan_ok=True), \
                    (name, kpi)
        assert got["bulk"]["orders_abandoned"] > 0
        assert got["express"]["orders_abandoned"] == 0
        for name in got:  # nothing goes wrong: the perfect order is the on-time one
            assert got[name]["perfect_order_rate"] == got[name]["on_time_rate"]
            assert got[name]["rework_hours"] == got[name]["repeat_contacts"] == 0


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_per_class_perfect_order_kpis_are_those_of_the_class_orders_and_jobs(rework, engine):
    """With rework, remakes and repeat contacts, every per-class KPI equals the brute-force
    loop over that class's orders and the jobs serving them (1e-12 relative, as above);
    the class counts add up to the totals exactly, rework hours to 1e-12."""
    for replication in (0, 1):
        r, real = records(rework, replication, engine)
        summary = summarize(r, replication)
        got = summary.by_class
        for c, name in enumerate(got):
            expected = brute_force(r, c, 0.25, real)
            assert set(got[name]) == set(PER_CLASS) == set(expected)
            for kpi in PER_CLASS:
                assert got[name][kpi] == pytest.approx(expected[kpi], rel=1e-12, nan_ok=True), \
                    (name, kpi)
        # rework only in standard (its own orders and the repeat contacts it became),
        # repeat contacts only in standard (they come back as standard orders)
        assert got["standard"]["rework_hours"] > 0
        assert got["express"]["rework_hours"] == got["bulk"]["rework_hours"] == 0
        assert got["standard"]["repeat_contacts"] > 0
        assert got["express"]["repeat_contacts"] == got["bulk"]["repeat_contacts"] == 0
        assert got["express"]["right_first_time_rate"] < 1  # they came back
        assert got["bulk"]["right_first_time_rate"] == 1
        assert sum(got[c]["repeat_contacts"] for c in got) == summary.kpis["repeat_contacts"]
        assert sum(got[c]["rework_hours"] for c in got) == pytest.approx(
            summary.kpis["rework_hours"], rel=1e-12)


def test_the_fused_path_gives_the_per_class_perfect_order_bit_for_bit(rework):
    from capsim.engines import fused, vectorized
    from capsim.metrics import summarize_many
    from capsim.sampling import sample_many
    from tests.test_fused import assert_identical

    reals = sample_many(rework, [0, 1, 2], seed=5)
    expected = summarize_many(vectorized.simulate_many(rework, reals), [0, 1, 2])
    for one, two in zip(fused.summarize_many(rework, reals, [0, 1, 2]), expected, strict=True):
        assert_identical(one, two)
        assert one.by_class["standard"]["rework_hours"] > 0
        assert one.by_class["bulk"]["hold_hours"] > 0 == one.by_class["express"]["hold_hours"]


def test_class_counts_add_up_to_the_totals_exactly(ran):
    for s in ran.summaries:
        for kpi in ("orders_arrived", "orders_completed", "orders_unfinished",
                    "orders_abandoned"):
            assert sum(s.by_class[c][kpi] for c in s.by_class) == s.kpis[kpi], kpi


def test_a_class_rate_weighted_by_its_counted_orders_is_the_total(ran):
    """on_time_rate is on-time / counted: class on-time counts add up to the total's."""
    r, _ = records(ran.scenario, 0)
    counted = (r.arrival >= r.warmup) & (r.due <= r.horizon)
    s = ran.summaries[0]
    on_time = sum(s.by_class[name]["on_time_rate"] * np.sum(counted & (r.order_class == c))
                  for c, name in enumerate(ran.scenario.class_names))
    assert on_time == pytest.approx(s.kpis["on_time_rate"] * counted.sum(), rel=1e-12)


def test_results_expose_per_class_intervals(ran):
    express = ran.by_class["express"]["on_time_rate"]
    assert type(express) is type(ran.kpis["on_time_rate"])
    assert express.mean == pytest.approx(ran.class_column("on_time_rate", "express").mean())
    assert express.n == ran.replications
    assert ran.by_class["bulk"]["abandonment_rate"].mean > 0  # the only impatient class
    assert ran.by_class["express"]["abandonment_rate"].mean == 0


def test_files_carry_the_per_class_numbers(ran):
    rows = list(csv.DictReader(io.StringIO(replications_csv(ran))))
    assert len(rows) == ran.replications
    for row, s in zip(rows, ran.summaries, strict=True):
        for c in ran.class_names:
            for kpi in PER_CLASS:
                value = row[class_kpi_name(kpi, c)]
                expected = s.by_class[c][kpi]
                assert (value == "" and math.isnan(expected)) or float(value) == expected
    document = summary(ran)
    jsonschema.validate(document, summary_schema())
    assert list(document["kpis"]) == list(capsim.kpis.KPI_NAMES)  # unchanged
    assert document["by_class"]["standard"]["on_time_rate"] == \
        ran.by_class["standard"]["on_time_rate"].as_dict()
    table = capsim.output.format_table(ran)
    assert "per order class (means)" in table
    assert "express" in table
    frame = ran.tables.replications()
    assert frame["on_time_rate__bulk"].tolist() == ran.class_column("on_time_rate", "bulk").tolist()
    assert set(ran.tables.by_class()["order_class"]) == {"express", "standard", "bulk"}


def test_one_class_reports_no_per_class_numbers():
    one = validate(mmc_data(3.0, 1.0, 4, 2.0, horizon_days=3, warmup_days=1))
    result = capsim.run(one, replications=2, seed=1, workers=1)
    assert result.by_class == {}
    assert all(s.by_class == {} for s in result.summaries)
    assert summary(result)["by_class"] == {}
    assert "__" not in replications_csv(result).splitlines()[0]
    assert "per order class" not in capsim.output.format_table(result)


def test_per_class_numbers_round_trip_and_old_folders_still_load(ran, tmp_path):
    loaded = load_result(ran.save(tmp_path / "a"))
    for x, y in zip(ran.summaries, loaded.summaries, strict=True):
        assert x.by_class.keys() == y.by_class.keys()
        for c in x.by_class:
            assert np.array_equal(list(x.by_class[c].values()), list(y.by_class[c].values()),
                                  equal_nan=True)
    for c, per in ran.by_class.items():
        for kpi, interval in per.items():
            again = loaded.by_class[c][kpi]
            assert np.array_equal([interval.mean, interval.ci_low, interval.ci_high],
                                  [again.mean, again.ci_low, again.ci_high], equal_nan=True)
    # a folder of format 1 (before per-class KPIs): loads, without them
    meta_path = tmp_path / "a" / "result.json"
    meta = json.loads(meta_path.read_text())
    meta["format"] = 1
    for key in ("classes", "class_kpis"):
        meta["run"].pop(key)
    meta_path.write_text(json.dumps(meta))
    old = load_result(tmp_path / "a")
    assert old.by_class == {}
    assert old.kpis.keys() == ran.kpis.keys()


def test_only_order_level_kpis_are_per_class():
    from capsim.kpis import BY_NAME, KPIS

    whole_floor = {"utilization", "overtime_hours", "on_hand_mean", "on_hand_std",
                   "on_hand_min", "peak_wip", "float_call_ins", "agency_days",
                   # the stock is shared by the classes
                   "stockout_hours", "orders_delayed_by_stockout", "fill_rate",
                   # so are the workstations
                   "station_availability", "hours_lost_to_downtime",
                   *(name for name in BY_NAME if name.startswith("cost_"))}
    assert {k.name for k in KPIS if not k.per_class} == whole_floor
    assert all(BY_NAME[name].per_class for name in PER_CLASS)


def test_curve_and_sweep_files_carry_per_class_intervals(three):
    from capsim.output.staffing import curve_csv
    from capsim.output.sweep import sweep_csv, sweep_summary
    from capsim.staffing import size_staff
    from capsim.sweep import parse_vary, sweep

    grid = sweep(three, [parse_vary("workforce.roster=8,9")], replications=2, seed=1,
                 workers=1, progress=False)
    rows = list(csv.DictReader(io.StringIO(sweep_csv(grid))))
    assert [float(r["on_time_rate__bulk_mean"]) for r in rows] == [
        run.by_class["bulk"]["on_time_rate"].mean for run in grid.results]
    assert sweep_summary(grid)["points"][1]["by_class"]["express"]["orders_arrived"] == \
        grid.results[1].by_class["express"]["orders_arrived"].as_dict()
    sized = size_staff(three, 0.5, replications=2, seed=1, workers=1, progress=False)
    rows = list(csv.DictReader(io.StringIO(curve_csv(sized))))
    for row in rows:
        interval = sized.evaluations[int(row["roster"])].by_class["standard"]["wait_mean_hours"]
        assert float(row["wait_mean_hours__standard_ci_low"]) == interval.ci_low
