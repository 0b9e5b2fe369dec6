"""What breaks the plan beyond heads: the supply and equipment risks, a supplier stop.

Three parts of the report's stress section (:mod:`capsim.reporting.sections`), each
there only when the scenario has what it describes, so that a report without supplies
or workstations is the same as before them:

- **supply risk** (``[[supplies]]`` some class consumes): at the recommended roster, per
  supply, the share of seasons in which it ran short, the orders that waited for it,
  the hours of stock-out and the fill rate, with intervals (``summary.json``'s
  ``by_supply`` of that roster's curve point, and the totals from ``curve.csv``); then
  what the scenario assumes of each supply (policy, s/S/Q, review, lead time, backup,
  outages);
- **equipment risk** (``[equipment]``): station availability and the hours failures
  took from orders in hand, with intervals (``curve.csv``), the stations against the
  most technicians scheduled at once, and the repair crew;
- **a supplier stop** (a ``[[stress]]`` of kind ``supplier``): its supply's stock-outs
  and fill rate with and without it, on the same seasons (``stress/summary.json``,
  written from the stress runs the section already shows; nothing is simulated again).

Numbers from the results are facts (:class:`capsim.reporting.blocks.Fact`); what the
scenario says (a policy, a station count) is plain text, as in the assumptions section.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from capsim.attendance import schedule
from capsim.distributions import work_distribution
from capsim.reporting.blocks import Block, Code, Heading, Paragraph, Strong, Table, Text, text
from capsim.reporting.summary import Facts, stock_change
from capsim.scenario import Scenario, Supply
from capsim.scenario.orders import Duration

#: Per-supply columns of the supply-risk table: (key, header, format).
COLUMNS = (("seasons_short", "Seasons short", "pct0"),
           ("orders_delayed_by_stockout", "Orders delayed", "num1"),
           ("stockout_hours", "Stock-out hours", "num1"),
           ("fill_rate", "Fill rate", "pct1"))


def risks(f: Facts) -> list[Block]:
    """The supply and the equipment risk (empty without supplies and workstations)."""
    return [*supply_risk(f), *equipment_risk(f)]


def _curve_index(f: Facts, roster: int) -> int | None:
    for i, point in enumerate(f.b.summary["curve"]):
        if point["roster"] == roster:
            return i
    return None


def _range(fact: Any, low: Any, high: Any) -> Text:
    return text(fact, " [", low, ", ", high, "]")


def supply_risk(f: Facts) -> list[Block]:
    """Per supply at the recommended roster, and what was assumed of each."""
    b = f.b
    roster = b.roster
    if not b.scenario.has_supplies or roster is None or b.at(roster) is None:
        return []
    level = round(100 * b.ci_level)
    blocks: list[Block] = [Heading(3, "Supply risk", "supply-risk")]
    i = _curve_index(f, roster)
    per = [] if i is None else b.summary["curve"][i].get("by_supply", [])
    total = tuple(_range(f.curve(roster, f"{k}_mean", fmt), f.curve(roster, f"{k}_ci_low", fmt),
                         f.curve(roster, f"{k}_ci_high", fmt))
                  for k, _, fmt in COLUMNS[1:])
    if per and i is not None:
        blocks.append(Paragraph(text(
            "With ", f.summary("detail_roster", "int"), " technicians on the roster, over "
            "the simulated seasons without a stress event: ",
            *_sentences(f, i, per), " An order waits for stock in its place in the queue; "
            "one short of two supplies counts for both.")))
        rows = [(text(entry["supply"]),
                 *(_range(*(f.summary(f"curve.{i}.by_supply.{j}.{k}.{part}", fmt)
                            for part in ("mean", "ci_low", "ci_high"))) for k, _, fmt in COLUMNS))
                for j, entry in enumerate(per)]
        rows.append((text("All supplies"), text("-"), *total))
    else:
        blocks.append(Paragraph(text(
            "The results carry no per-supply figures (made by an engine or a capsim that "
            "does not report them), so these are all supplies together, with ",
            f.summary("detail_roster", "int"), " technicians on the roster.")))
        rows = [(text("All supplies"), text("-"), *total)]
    blocks.append(Table(("Supply", *(f"{h} [{level} % CI]" for _, h, _ in COLUMNS)),
                        tuple(rows), (False, True, True, True, True)))
    blocks.append(Paragraph(text("Seasons short: the share of seasons in which some order "
                                 "found the supply short; fill rate: the share of the "
                                 "demands for it that found the units on the shelf. What "
                                 "was assumed of each supply:")))
    blocks.append(_assumptions(b.scenario))
    return blocks


def _sentences(f: Facts, i: int, per: list[dict[str, Any]]) -> list[Any]:
    parts: list[Any] = []
    for j, entry in enumerate(per):
        at = f"curve.{i}.by_supply.{j}"
        parts += [*([" "] if j else []), Strong(entry["supply"]), " ran short in ",
                  f.summary(f"{at}.seasons_short.mean", "pct0"), " of seasons; ",
                  f.summary(f"{at}.orders_delayed_by_stockout.mean", "num1"),
                  " orders a season waited for it on average, and ",
                  f.summary(f"{at}.fill_rate.mean", "pct1"),
                  " of the demands for it were met from the shelf."]
    return parts


def _hours(spec: Duration) -> str:
    """A duration table's mean, in hours or days."""
    hours = work_distribution(spec).mean / 60.0
    return f"{hours / 24:.3g} days" if hours >= 48 else f"{hours:.3g} h"


def _outages(supply: Supply) -> str:
    o = supply.outages
    parts = []
    if o.rate_per_year > 0:
        assert o.duration is not None
        parts.append(f"{o.rate_per_year:g} a year, {_hours(o.duration)} on average")
    if o.scheduled:
        parts.append(f"{len(o.scheduled)} scheduled")
    return "; ".join(parts) or "none"


def _assumptions(scenario: Scenario) -> Table:
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:,.6g}"

    policy = {"base_stock": "base stock", "s_S": "(s, S)", "r_Q": "(R, Q)"}
    rows = tuple((text(s.name), text(policy[s.policy]), text(number(s.reorder_point)),
                  text(number(s.order_up_to)), text(number(s.quantity)),
                  text("continuous" if s.review_hours == 0 else f"every {s.review_hours:g} h"),
                  text(_hours(s.lead_time)),
                  text("no" if s.backup is None else f"yes, {_hours(s.backup.lead_time)}"),
                  text(_outages(s)))
                 for s in scenario.supplies)
    return Table(("Supply", "Policy", "s", "S", "Q", "Review", "Lead time (mean)", "Backup",
                  "Random outages"), rows, (False, False, True, True, True, False, True,
                                            False, False))


def most_scheduled(scenario: Scenario, roster: int) -> int:
    """The most technicians of ``roster`` scheduled at the same moment (the busiest shift)."""
    start, end = schedule(scenario, roster)
    kept = ~np.isnan(start)
    if not kept.any():
        return 0
    times = np.concatenate([start[kept], end[kept]])
    steps = np.concatenate([np.ones(int(kept.sum())), -np.ones(int(kept.sum()))])
    order = np.lexsort((steps, times))  # at a shared moment, ends before starts
    return int(np.cumsum(steps[order]).max())


def equipment_risk(f: Facts) -> list[Block]:
    """Station availability and hours lost, stations against people, the crew."""
    b = f.b
    equipment = b.scenario.equipment
    if equipment is None:
        return []
    words: list[Any] = ["Workstation failures ([equipment]) are part of every simulated "
                        "season, the baseline included. "]
    roster = b.roster
    if roster is not None and b.at(roster) is not None:
        level = round(100 * b.ci_level)

        def interval(kpi: str, fmt: str) -> Text:
            return text(f.curve(roster, f"{kpi}_mean", fmt), f" ({level} % CI ",
                        f.curve(roster, f"{kpi}_ci_low", fmt), " to ",
                        f.curve(roster, f"{kpi}_ci_high", fmt), ")")
        busiest = most_scheduled(b.scenario, roster)
        enough = ("fewer stations than people: some wait for one even when none has failed"
                  if equipment.stations < busiest else "a station for each of them while "
                  "none has failed")
        words += ["With ", f.summary("detail_roster", "int"), " technicians on the roster, "
                  "the stations are up ", *interval("station_availability", "pct1"),
                  " of the time (", Code("station_availability"), "), and failures take ",
                  *interval("hours_lost_to_downtime", "num1"), " technician-hours a season "
                  "from orders in hand (", Code("hours_lost_to_downtime"), "). ",
                  f"{equipment.stations} workstations serve up to {busiest} technicians "
                  f"scheduled at once on the busiest shift: {enough}. "]
    crew = ("every failed station is repaired at once (no crew limit)"
            if equipment.repair_crew is None else
            f"a repair crew of {equipment.repair_crew}, failed stations waiting for a "
            "free member in turn")
    words += [f"A station fails every {equipment.time_between_failures.mean_hours:g} h on "
              f"average and a repair takes {equipment.repair.mean_hours:g} h; {crew}; an "
              f"order on a failing station {equipment.on_failure}s on the next one up and "
              "free."]
    return [Heading(3, "Equipment risk", "equipment-risk"), Paragraph(text(*words))]


def supplier_stop(f: Facts, i: int) -> Paragraph | None:
    """A supplier stress event's own paragraph (None for other events, or no stock data)."""
    assert f.b.stress is not None
    event = f.b.stress["events"][i]
    if event["kind"] != "supplier" or "stock" not in event:
        return None
    p = f"events.{i}"
    return Paragraph(text(
        Strong(event["name"]), f" ({event['description']}): orders due during it are on "
        "time at ", f.stress(f"{p}.on_time_during.mean", "pct1"), " (without it ",
        f.stress(f"{p}.baseline_on_time_during.mean", "pct1"), "), in the next ",
        f.stress("after_days", "int"), " days at ", f.stress(f"{p}.on_time_after.mean", "pct1"),
        " (without it ", f.stress(f"{p}.baseline_on_time_after.mean", "pct1"), "). ",
        *stock_change(f, i)))
