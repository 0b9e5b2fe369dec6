"""Workstations and downtime: theory, hand-computed floors, crews, no change without them.

- One station per technician, exponential failures and repairs: the share of station-hours
  up after the warm-up is MTBF / (MTBF + MTTR) within 4 standard errors of the mean over
  replications (replications are independent, so the SE is the sample standard deviation
  over sqrt(R); 4 SE leaves a false alarm chance of about 6e-5; the warm-up of 2 days is
  about 30 / 0.6 time constants of the up/down chain, so the start with every station up
  leaves no bias).
- c stations, three technicians per station (always on), arrivals at twice c·μ, resume:
  every station up is busy, so the work finished per station-hour is the availability
  and the throughput is c × availability × μ. Estimator: work hours of the orders finished
  in the window / (c × window hours), against MTBF / (MTBF + MTTR), within 4 SE; per
  replication it equals the sampled availability up to the orders in progress at the
  window's two ends (at most c each).
- A floor worked by hand (fixed failures, repairs and work, dyadic hours so every time is
  exact): the starts, finishes and technicians under resume and restart, the
  interruptions and both KPIs.
- A repair crew of one and two stations failing together: the second repair waits, and the
  timeline follows by hand.
- Without ``[equipment]`` nothing is drawn and nothing changes; equipment that never fails
  with a station per technician gives every other KPI bit for bit.
- Bad input is refused naming the field, exit 2 from ``capsim validate``; the fast engine
  runs stations (the theory and hand-computed cases above run on both engines;
  tests/test_fast_equipment.py compares them order by order) but refuses them with an
  overtime policy, with its reason, and ``auto`` then runs SimPy.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import capsim
from capsim.cli import main
from capsim.engines import resolve, simpy_model, vectorized
from capsim.equipment import sample_downtime
from capsim.errors import CapsimWarning, ScenarioError
from capsim.kpis import KPI_NAMES
from capsim.metrics import summarize
from capsim.reporting.risks import equipment_risk
from capsim.reporting.summary import Facts
from capsim.sampling import sample
from capsim.scenario import load_scenario
from tests.conftest import STUTTERFLY, merge, mmc_data, scenario

EQUIPMENT = {"stations": 3, "time_between_failures": {"mean_hours": 10.0},
             "repair": {"mean_hours": 2.0}}


def _exponential(stations: int, roster: int, rate: float, **changes):
    return scenario(mmc_data(rate, 1.0, roster, 4.0, horizon_days=20, warmup_days=2,
                             equipment={**EQUIPMENT, "stations": stations, **changes}))


def _mean_and_se(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values)
    return float(array.mean()), float(array.std(ddof=1) / math.sqrt(array.size))


ENGINES = {"simpy": simpy_model.simulate, "fast": vectorized.simulate}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_station_availability_is_mtbf_over_mtbf_plus_mttr(engine):
    sc = _exponential(stations=3, roster=3, rate=1.0)
    values = []
    for r in range(40):
        records = ENGINES[engine](sc, sample(sc, r))
        values.append(summarize(records, r).kpis["station_availability"])
    mean, se = _mean_and_se(values)
    assert abs(mean - 10.0 / 12.0) < 4 * se


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_overload_throughput_is_stations_times_availability_times_rate(engine):
    c = 4
    sc = _exponential(stations=c, roster=3 * c, rate=2.0 * c)
    window = sc.horizon_hours - sc.warmup_hours
    throughput = []
    for r in range(30):
        real = sample(sc, r)
        records = ENGINES[engine](sc, real)
        done = (records.finish >= sc.warmup_hours) & (records.finish < sc.horizon_hours)
        served = float(records.work[done].sum()) / (c * window)  # per station-hour, = A·1
        throughput.append(served)
        availability = summarize(records, r).kpis["station_availability"]
        # every station up is busy: the work done per station-hour is the availability, up
        # to the orders in progress at the window's two ends
        edge = 2 * np.sort(records.work)[-c:].sum() / (c * window)
        assert abs(served - availability) <= edge
    mean, se = _mean_and_se(throughput)
    assert abs(mean - 10.0 / 12.0) < 4 * se  # orders per hour: c × A × μ, μ = 1


def _hand_floor(on_failure: str, at_hour: float = 0.5, orders: int = 3, roster: int = 2,
                repair: float = 1.0):
    """One station failing every 4 h up (repair 1 h: down [4, 5), [9, 10), [14, 15),
    [19, 20)); ``roster`` technicians always on; ``orders`` orders at ``at_hour``, 3 h of work."""
    return scenario({
        "name": "stations by hand", "horizon_days": 1,
        "demand": {"batches": [{"at_hour": at_hour, "orders": orders}]},
        "work": {"distribution": "fixed", "mean_minutes": 180.0, "promise_hours": 24.0},
        "workforce": {"roster": roster, "always_on": True},
        "equipment": {"stations": 1, "on_failure": on_failure,
                      "time_between_failures": {"distribution": "fixed", "mean_hours": 4.0},
                      "repair": {"distribution": "fixed", "mean_hours": repair}}})


# Technician 0 (lowest index) takes order 0 at 0.5 on the only station; technician 1
# waits for it. At 3.5 order 0 is done, and technician 1 (available since 0) takes order
# 1; the station fails at 4 with 0.5 h done. At 5 it is back: technician 1, interrupted,
# goes first (resume: 2.5 h left, done at 7.5; restart: 3 h, done at 8). Technician 0
# (waiting since 3.5) then takes order 2: resume 7.5-9 (1.5 h done), 10-11.5; restart
# 8-9 (1 h thrown away), 10-13. Hours lost: the waits 4-5 and 9-10, plus under restart the
# 0.5 h and 1 h thrown away.
HAND = {
    "resume": ([0.5, 3.5, 7.5], [3.5, 7.5, 11.5], [0.0, 0.0], 2.0),
    "restart": ([0.5, 3.5, 8.0], [3.5, 8.0, 13.0], [0.5, 1.0], 3.5),
}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("on_failure", sorted(HAND))
def test_a_floor_worked_by_hand(on_failure, engine):
    sc = _hand_floor(on_failure)
    real = sample(sc, 0)
    assert real.downtime is not None
    assert real.downtime.fail[0].tolist() == [4.0, 9.0, 14.0, 19.0]
    assert real.downtime.back[0].tolist() == [5.0, 10.0, 15.0, 20.0]
    records = ENGINES[engine](sc, real)
    start, finish, lost, hours = HAND[on_failure]
    assert records.start.tolist() == start
    assert records.finish.tolist() == finish
    assert records.technician.tolist() == [0, 1, 0]
    hits = records.interruptions
    assert hits is not None
    assert hits.at.tolist() == [4.0, 9.0]
    assert hits.resumed.tolist() == [5.0, 10.0]
    assert hits.lost.tolist() == lost
    assert hits.job.tolist() == [1, 2]
    kpis = summarize(records, 0).kpis
    assert kpis["hours_lost_to_downtime"] == hours
    assert kpis["station_availability"] == 20.0 / 24.0  # 4 hours down of 24


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_failure_as_the_work_ends_does_not_interrupt_it(engine):
    # one order at 1.0: 3 h of work end at 4.0, the moment the station fails
    sc = _hand_floor("restart", at_hour=1.0, orders=1, roster=1)
    records = ENGINES[engine](sc, sample(sc, 0))
    assert records.finish.tolist() == [4.0]
    assert records.interruptions is not None
    assert records.interruptions.at.size == 0


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_an_order_still_waiting_for_a_station_at_the_horizon(engine):
    # one technician, repairs of 10 h: down [4, 14) and [18, 28). Order 0 0.5-3.5; order 1
    # 3.5-4, waits 4-14, then 14-16.5; order 2 16.5-18, waits from 18 to the horizon (24)
    sc = _hand_floor("resume", orders=3, roster=1, repair=10.0)
    records = ENGINES[engine](sc, sample(sc, 0))
    assert records.start.tolist() == [0.5, 3.5, 16.5]
    assert records.finish[:2].tolist() == [3.5, 16.5]
    assert math.isnan(records.finish[2])
    hits = records.interruptions
    assert hits is not None
    assert hits.at.tolist() == [4.0, 18.0]
    assert hits.resumed[0] == 14.0
    assert math.isnan(hits.resumed[1])
    kpis = summarize(records, 0).kpis
    assert kpis["hours_lost_to_downtime"] == 10.0 + 6.0
    assert kpis["station_availability"] == 8.0 / 24.0
    assert kpis["orders_unfinished"] == 1.0


def test_a_crew_of_one_makes_the_second_repair_wait():
    data = {"name": "crew", "horizon_days": 1, "demand": {"rate_per_hour": 0.0},
            "work": {"mean_minutes": 60.0}, "workforce": {"roster": 0, "always_on": True},
            "equipment": {"stations": 2, "repair_crew": 1,
                          "time_between_failures": {"distribution": "fixed", "mean_hours": 4.0},
                          "repair": {"distribution": "fixed", "mean_hours": 1.0}}}
    down = sample_downtime(scenario(data), 0, 0)
    assert down is not None
    # both fail at 4; station 0 repaired 4-5, station 1 waits: 5-6. Then station 0 fails
    # at 9 (repair 9-10), station 1 at 10 (the crew is free at 10: 10-11), and so on.
    assert down.fail[0].tolist() == [4.0, 9.0, 14.0, 19.0]
    assert down.repair_start[0].tolist() == [4.0, 9.0, 14.0, 19.0]
    assert down.fail[1].tolist() == [4.0, 10.0, 15.0, 20.0]
    assert down.repair_start[1].tolist() == [5.0, 10.0, 15.0, 20.0]
    assert down.back[1].tolist() == [6.0, 11.0, 16.0, 21.0]
    unlimited = sample_downtime(scenario(merge(data, {"equipment": {"repair_crew": None}})),
                                0, 0)
    assert unlimited is not None
    assert unlimited.back[1].tolist() == [5.0, 10.0, 15.0, 20.0]


def test_station_draws_do_not_depend_on_the_stations_or_the_crew():
    few = sample_downtime(_exponential(stations=2, roster=2, rate=1.0), 0, 3)
    many = sample_downtime(_exponential(stations=5, roster=5, rate=1.0), 0, 3)
    assert few is not None
    assert many is not None
    for s in range(2):
        assert np.array_equal(few.fail[s], many.fail[s])
    crewed = sample_downtime(_exponential(stations=2, roster=2, rate=1.0, repair_crew=1), 0, 3)
    assert crewed is not None
    assert crewed.fail[0][0] == few.fail[0][0]  # the first failures come before any wait
    repairs = [few.back[s] - few.repair_start[s] for s in range(2)]
    waited = [crewed.back[s] - crewed.repair_start[s] for s in range(2)]
    for s in range(2):  # the k-th repair lasts the same, whether it waited or not
        k = min(repairs[s].size, waited[s].size)
        assert np.allclose(repairs[s][:k], waited[s][:k], rtol=1e-12)


def _stutterfly(**changes):
    """Stutterfly's first two weeks (its shifts, absences and rework; the surges and batch
    drops that come later are left out, with the loader's warning about them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapsimWarning)
        return load_scenario(STUTTERFLY).edit({"horizon_days": 14, "warmup_days": 2,
                                               **changes})


def test_without_equipment_nothing_is_drawn_and_nothing_changes():
    plain = _stutterfly()
    roster = plain.workforce.roster
    idle = _stutterfly(equipment={"stations": 10 * roster, "time_between_failures": {
        "distribution": "fixed", "mean_hours": 80_000.0}, "repair": {"mean_hours": 1.0}})
    for r in range(3):
        a, b = sample(plain, r), sample(idle, r)
        assert a.downtime is None
        for name in ("arrival", "order_class", "work", "status", "shift_start", "shift_end"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
        ka = summarize(simpy_model.simulate(plain, a), r).kpis
        kb = summarize(simpy_model.simulate(idle, b), r).kpis
        assert math.isnan(ka["station_availability"])
        assert ka["hours_lost_to_downtime"] == 0.0
        assert kb["station_availability"] == 1.0
        assert kb["hours_lost_to_downtime"] == 0.0
        same = [k for k in KPI_NAMES if k not in ("station_availability",
                                                  "hours_lost_to_downtime")]
        assert {k: ka[k] for k in same} == pytest.approx({k: kb[k] for k in same}, rel=0,
                                                         abs=0, nan_ok=True)


@pytest.mark.parametrize(("changes", "field"), [
    ({"stations": 0}, "equipment.stations"),
    ({"repair": {"distribution": "exponential"}}, "equipment.repair.mean_hours"),
    ({"time_between_failures": {"mean_hours": -3.0}},
     "equipment.time_between_failures.mean_hours"),
    ({"repair": {"mean_hours": 0.0}}, "equipment.repair.mean_hours"),
    ({"repair_crew": 0}, "equipment.repair_crew"),
    ({"repair": {"distribution": "lognormal", "mean_hours": 1.0}}, "equipment.repair.cv"),
    ({"on_failure": "pause"}, "equipment.on_failure"),
])
def test_bad_equipment_is_refused_naming_the_field(changes, field, tmp_path, capsys):
    data = mmc_data(1.0, 1.0, 3, 4.0, equipment={**EQUIPMENT, **changes})
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario(data, source="scenario.toml")
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in changes.items()
             if not isinstance(v, dict)]
    tables = {k: v for k, v in {**EQUIPMENT, **changes}.items() if isinstance(v, dict)}
    text = ["name = 'bad'", "horizon_days = 2", "[demand]", "rate_per_hour = 1.0",
            "[work]", "mean_minutes = 60.0", "[workforce]", "roster = 3", "always_on = true",
            "[equipment]",
            *[f"stations = {EQUIPMENT['stations']}"] * ("stations" not in changes), *lines]
    for name, table in tables.items():
        text += [f"[equipment.{name}]", *(f"{k} = {v!r}".replace("'", '"')
                                          for k, v in table.items())]
    path = tmp_path / "bad.toml"
    path.write_text("\n".join(text) + "\n")
    assert main(["validate", str(path)]) == 2
    assert f"bad.toml: {field}:" in capsys.readouterr().err


def test_zero_stations_without_a_roster_is_allowed():
    sc = scenario({"name": "empty", "horizon_days": 1, "demand": {"rate_per_hour": 0.0},
                   "work": {"mean_minutes": 60.0}, "workforce": {"roster": 0, "always_on": True},
                   "equipment": {**EQUIPMENT, "stations": 0}})
    assert sc.has_equipment


def test_the_fast_engine_runs_stations_with_or_without_overtime():
    sc = _exponential(stations=2, roster=2, rate=1.0)
    assert vectorized.unsupported(sc) is None
    assert resolve("auto", sc) == "fast"
    result = capsim.run(sc.edit({"horizon_days": 3, "warmup_days": 1}), replications=2,
                        workers=1, progress=False)
    assert result.engine == "fast"
    assert 0 < result.kpis["station_availability"].mean <= 1
    overtime = sc.edit({"workforce.always_on": False, "workforce.shifts": [
        {"start_hour": 8, "length_hours": 8}], "policies.overtime": {"max_hours": 1.0}})
    assert vectorized.unsupported(overtime) is None
    assert resolve("auto", overtime) == "fast"


def test_the_report_says_where_downtime_shows():
    """Without a roster's results the equipment risk still names the stations and crew;
    with them (tests/test_report_supplies.py) it gives the KPIs too."""
    with_stations = SimpleNamespace(scenario=_exponential(stations=2, roster=2, rate=1.0),
                                    roster=None)
    words = repr(equipment_risk(Facts(with_stations)))
    assert "Equipment risk" in words
    assert "every failed station is repaired at once" in words
    without = SimpleNamespace(scenario=scenario(mmc_data(1.0, 1.0, 2, 4.0)), roster=None)
    assert equipment_risk(Facts(without)) == []
