"""The report's supply and equipment risks and its supplier stop (issue 15, item 5).

A small lab with paper and ink, workstations that fail and a paper-mill stop is
sized once for the module on the reference engine; the report is built from that search.
Every number the new parts show is checked against values computed here from the
replications' Records (re-simulated, reduced by hand: fill rate, orders delayed and
stock-out hours per supply) or from the run's result objects; a report without supplies
or workstations has none of the new parts and no new keys in its data.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from capsim.attendance import schedule
from capsim.engines import simpy_model
from capsim.persist import load_result
from capsim.reporting import report
from capsim.reporting.blocks import show
from capsim.reporting.bundle import load_bundle
from capsim.reporting.risks import most_scheduled, supply_risk
from capsim.reporting.summary import Facts
from capsim.sampling import sample
from capsim.scenario import load_scenario
from capsim.staffing import size_staff
from capsim.stats import mean_interval, wilson_interval
from tests.test_report import SECTIONS, Page, resolve

LAB = """name = "small lab with supplies"
horizon_days = 10
warmup_days = 2

[demand]
rate_per_hour = 2.0

[work]
promise_hours = 16.0

[[classes]]
name = "prints"
share = 0.7
work = { distribution = "lognormal", mean_minutes = 30.0, cv = 0.7 }
consumes = { paper = { mean = 4.0, distribution = "poisson" }, ink = 2.0 }

[[classes]]
name = "books"
share = 0.3
work = { distribution = "lognormal", mean_minutes = 45.0, cv = 0.6 }
consumes = { paper = { mean = 20.0, distribution = "poisson" } }

[[supplies]]
name = "paper"
initial_stock = 2500.0
policy = "s_S"
reorder_point = 1300.0
order_up_to = 2500.0
review_hours = 24.0
lead_time = { distribution = "lognormal", mean_minutes = 2880.0, cv = 0.3 }

[supplies.outages]
rate_per_year = 6.0
duration = { distribution = "exponential", mean_minutes = 4320.0 }

[[supplies]]
name = "ink"
initial_stock = 300.0
policy = "r_Q"
reorder_point = 100.0
quantity = 200.0
lead_time = { distribution = "fixed", mean_minutes = 1440.0 }
backup = { lead_time = { distribution = "fixed", mean_minutes = 720.0 } }

[equipment]
stations = 3
time_between_failures = { mean_hours = 60.0 }
repair = { mean_hours = 4.0 }
repair_crew = 1

[workforce]
roster = 8
shifts = [
  { name = "early", start_hour = 6, length_hours = 8, days_per_week = 5, share = 0.6 },
  { name = "late", start_hour = 14, length_hours = 8, days_per_week = 5, share = 0.4 },
]

[absence]
daily_rate = 0.05

[targets]
on_time_rate = 0.8

[experiment]
replications = 6
seed = 5

[[stress]]
name = "paper mill stops"
kind = "supplier"
supply = "paper"
start_day = 3
days = 4

[[stress]]
name = "flu"
kind = "absence"
start_day = 6
days = 2
technicians = 2
"""
#: The stress section of this report (no [costs], no --schedule: the usual numbering).
STRESS = SECTIONS[7]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "lab.toml"
    path.write_text(LAB)
    return path


@pytest.fixture(scope="module")
def sized(scenario_file):
    return size_staff(load_scenario(scenario_file), workers=1, engine="simpy", progress=False)


@pytest.fixture(scope="module")
def built(scenario_file, sized, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "lab"
    report(load_scenario(scenario_file), out, size=sized, workers=1, engine="simpy",
           progress=False)
    return out


def _union(begin: np.ndarray, end: np.ndarray, low: float, high: float) -> float:
    """Length of the union of [begin, end) within [low, high], on a sorted sweep."""
    total, reach = 0.0, low
    for b, e in sorted(zip(np.clip(begin, low, high), np.clip(end, low, high), strict=False)):
        if e > reach:
            total, reach = total + e - max(b, reach), e
    return total


def by_hand(scenario, replications: int, seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Per supply and replication, from the re-simulated Records: fill rate, orders
    delayed (arrived after the warm-up, found the supply short), stock-out hours."""
    values: dict[str, dict[str, list[float]]] = {}
    for r in range(replications):
        rec = simpy_model.simulate(scenario, sample(scenario, r, seed=seed))
        st = rec.stock
        window = rec.arrival >= rec.warmup
        left = np.where(~np.isnan(rec.start), rec.start,
                        np.where(~np.isnan(rec.abandon), rec.abandon, rec.horizon))
        for j, name in enumerate(st.names):
            uses = window & ~np.isnan(st.demand) & (st.need[:, j] > 0)
            short = st.short[:, j]
            v = values.setdefault(name, {"fill_rate": [], "orders_delayed_by_stockout": [],
                                         "stockout_hours": []})
            v["fill_rate"].append((uses & ~short).sum() / uses.sum())
            v["orders_delayed_by_stockout"].append(float((short & window).sum()))
            v["stockout_hours"].append(_union(st.demand[short], left[short], rec.warmup,
                                              rec.horizon))
    return {n: {k: np.array(x) for k, x in v.items()} for n, v in values.items()}


@pytest.fixture(scope="module")
def baseline(sized):
    roster = sized.recommended
    assert roster is not None
    at = sized.scenario.with_roster(roster)
    return by_hand(at, sized.evaluations[roster].replications, sized.seed)


@pytest.fixture(scope="module")
def stopped(sized):
    at = sized.scenario.with_roster(sized.recommended).replace(("stress", 0, "enabled"), True)
    return by_hand(at, sized.evaluations[sized.recommended].replications, sized.seed)


def _markdown_section(built: Path, title: str) -> str:
    markdown = (built / "report.md").read_text()
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_stress_section_gains_the_supply_and_equipment_risks(built):
    page = Page((built / "index.html").read_text())
    assert page.headings == SECTIONS  # the numbering is unchanged
    section = _markdown_section(built, STRESS)
    assert re.findall(r"^### (.*)$", section, re.M) == ["Supply risk", "Equipment risk",
                                                        "Stress events"]


def test_every_number_shown_is_the_one_in_its_data(built):
    page = Page((built / "index.html").read_text())
    for fact in page.facts:
        assert fact["text"] == show(resolve(built / "data", fact["source"]), fact["format"])


def _shown(built: Path) -> dict[str, float]:
    """Each fact of the stress section: source -> the value in the data."""
    page = Page((built / "index.html").read_text())
    return {f["source"]: resolve(built / "data", f["source"]) for f in page.facts
            if f["section"] == STRESS}


def test_the_supply_risk_is_each_supplys_kpis_from_the_records(built, sized, baseline):
    shown = _shown(built)
    summary = json.loads((built / "data" / "summary.json").read_text())
    roster = summary["detail_roster"]
    i = [p["roster"] for p in summary["curve"]].index(roster)
    level = sized.evaluations[roster].ci_level
    assert [e["supply"] for e in summary["curve"][i]["by_supply"]] == ["paper", "ink"]
    assert baseline["paper"]["orders_delayed_by_stockout"].sum() > 0  # paper does run short
    for j, name in enumerate(["paper", "ink"]):
        for kpi, values in baseline[name].items():
            bounds = (0.0, 1.0) if kpi == "fill_rate" else (0.0, np.inf)
            expected = mean_interval(values, level, bounds)
            for part in ("mean", "ci_low", "ci_high"):
                source = f"summary.json:curve.{i}.by_supply.{j}.{kpi}.{part}"
                assert shown[source] == pytest.approx(getattr(expected, part), abs=1e-9)
        short = baseline[name]["orders_delayed_by_stockout"] > 0
        seasons = wilson_interval(int(short.sum()), short.size, level)
        assert shown[f"summary.json:curve.{i}.by_supply.{j}.seasons_short.mean"] == \
            pytest.approx(seasons.mean)
    kpis = sized.evaluations[roster].kpis
    for kpi in ("stockout_hours", "orders_delayed_by_stockout", "fill_rate"):
        for part in ("mean", "ci_low", "ci_high"):
            source = f"curve.csv:roster={roster}:{kpi}_{part}"
            assert shown[source] == pytest.approx(getattr(kpis[kpi], part), abs=1e-12)


def test_the_supply_risk_says_what_it_means_and_what_was_assumed(built, baseline):
    section = _markdown_section(built, STRESS)
    share = np.mean(baseline["paper"]["orders_delayed_by_stockout"] > 0)
    waited = np.mean(baseline["paper"]["orders_delayed_by_stockout"])
    assert (f"**paper** ran short in {100 * share:.0f} % of seasons; {waited:,.1f} orders a "
            "season waited for it on average") in section
    assert ("| paper | (s, S) | 1,300 | 2,500 | - | every 24 h | 2 days | no | 6 a year, "
            "3 days on average |") in section
    assert "| ink | (R, Q) | 100 | - | 200 | continuous | 24 h | yes, 12 h | none |" in section


def test_without_per_supply_figures_the_report_shows_the_totals_and_says_so(built,
                                                                           scenario_file):
    b = load_bundle(built / "data", load_scenario(scenario_file))
    curve = [{k: v for k, v in p.items() if k != "by_supply"} for p in b.summary["curve"]]
    words = repr(supply_risk(Facts(dataclasses.replace(b, summary={**b.summary,
                                                                   "curve": curve}))))
    assert "carry no per-supply figures" in words
    assert "All supplies" in words
    assert "by_supply" not in words


def test_the_equipment_risk_shows_availability_and_hours_lost_and_the_busiest_shift(
        built, sized):
    shown = _shown(built)
    roster = sized.recommended
    kpis = sized.evaluations[roster].kpis
    for kpi in ("station_availability", "hours_lost_to_downtime"):
        for part in ("mean", "ci_low", "ci_high"):
            assert shown[f"curve.csv:roster={roster}:{kpi}_{part}"] == pytest.approx(
                getattr(kpis[kpi], part), abs=1e-12)
    # The most technicians on shift at once, by brute force over every half hour.
    start, end = schedule(sized.scenario, roster)
    grid = np.arange(0.0, 24.0 * sized.scenario.horizon_days, 0.5)
    on = ((start[..., None] <= grid) & (grid < end[..., None])).sum(axis=(0, 1))
    busiest = int(on.max())
    assert most_scheduled(sized.scenario, roster) == busiest
    section = _markdown_section(built, STRESS)
    assert f"3 workstations serve up to {busiest} technicians scheduled at once" in section
    assert "a repair crew of 1" in section


def test_the_supplier_stop_has_its_paragraph_with_and_without_it(built, sized, baseline,
                                                                 stopped):
    stress = json.loads((built / "data" / "stress" / "summary.json").read_text())
    event = stress["events"][0]
    assert event["name"] == "paper mill stops"
    assert event["supply"] == "paper"
    shown = _shown(built)
    for where, values in (("events.0.by_supply.0", stopped["paper"]),
                          ("baseline.by_supply.0", baseline["paper"])):
        for kpi in ("fill_rate", "stockout_hours", "orders_delayed_by_stockout"):
            assert shown[f"stress/summary.json:{where}.{kpi}.mean"] == pytest.approx(
                values[kpi].mean(), abs=1e-9)
    assert stopped["paper"]["fill_rate"].mean() < baseline["paper"]["fill_rate"].mean()
    section = _markdown_section(built, STRESS)
    assert "**paper mill stops** (paper supplier stopped from day 3, 4 days): orders due " \
           "during it are on time at" in section
    # Every event of a scenario with supplies carries the stock KPIs of its own run.
    flu = stress["events"][1]
    assert "stock" in event
    assert "supply" not in flu
    assert "stock" in flu


def test_the_executive_summary_names_the_supplier_stop_when_it_is_the_worst(built):
    page = Page((built / "index.html").read_text())
    words = page.section_text[SECTIONS[0]]
    stress = json.loads((built / "data" / "stress" / "summary.json").read_text())
    during = [e["on_time_during"]["mean"] for e in stress["events"]]
    assert during.index(min(during)) == 0  # the paper stop is the hardest here
    markdown = _markdown_section(built, SECTIONS[0])
    assert "the hardest is **paper mill stops**" in markdown
    assert "Of the orders due in the 7 days after it, " in markdown
    assert "Over the season, paper's fill rate is " in markdown
    assert "orders delayed by stock-outs" in markdown
    for fixed in ["per 100 orders", "9 seasons out of 10", "95 % confidence interval",
                  *(event["description"] for event in stress["events"])]:
        words = words.replace(fixed, "")
    assert not re.search(r"\d", words), words  # every number is a fact from the data


def test_per_supply_kpis_survive_saving_and_loading(sized, tmp_path):
    run = sized.evaluations[sized.recommended]
    loaded = load_result(run.save(tmp_path / "saved"))
    assert loaded.by_supply == run.by_supply
    assert [s.by_supply for s in loaded.summaries] == [s.by_supply for s in run.summaries]


def test_without_supplies_or_stations_the_new_parts_are_absent(scenario_file, tmp_path):
    plain = load_scenario(scenario_file).edit({
        "supplies": [], "equipment": None, "stress": [
            {"name": "flu", "kind": "absence", "start_day": 6, "days": 2, "technicians": 2}],
        "classes": [{"name": "prints", "share": 0.7, "work": {
            "distribution": "lognormal", "mean_minutes": 30.0, "cv": 0.7}},
            {"name": "books", "share": 0.3, "work": {
                "distribution": "lognormal", "mean_minutes": 45.0, "cv": 0.6}}],
        "experiment": {"replications": 3, "seed": 5}})
    assert not plain.has_supplies
    assert not plain.has_equipment
    out = tmp_path / "plain"
    report(plain, out, workers=1, engine="simpy", progress=False)
    section = _markdown_section(out, STRESS)
    assert "###" not in section
    assert "Supply risk" not in section
    assert "Equipment risk" not in section
    summary = json.loads((out / "data" / "summary.json").read_text())
    assert all("by_supply" not in p for p in summary["curve"])
    stress = json.loads((out / "data" / "stress" / "summary.json").read_text())
    assert all("stock" not in e and "by_supply" not in e for e in stress["events"])
    assert "stock" not in stress["baseline"]
