"""The report's money and shift sections: the cost breakdown, the trade-off, the schedule.

- **Cost** (a scenario with ``[costs]``): each cost KPI of the roster the series
  describe, with its interval, and the trade-off of cost against on-time delivery over
  the rosters the staffing search evaluated (``curve.csv``: nothing is simulated again).
- **Recommended shift schedule** (``capsim report --schedule``): the cheapest mix of
  the scenario's shift patterns meeting every target (``data/schedule/``, as
  ``capsim schedule --out`` writes it), and technicians scheduled against required by
  hour of the week.
"""

from __future__ import annotations

from capsim.costs import COST_NAMES
from capsim.kpis import BY_NAME
from capsim.reporting.blocks import Block, Code, Figure, Heading, Paragraph, Table, Text, text
from capsim.reporting.summary import Facts
from capsim.scenario import WEEKDAY_NAMES


def _fmt(name: str) -> str:
    return "num2" if name == "cost_per_order" else BY_NAME[name].report_format


def _interval(f: Facts, roster: int, name: str) -> Text:
    fmt = _fmt(name)
    return text(f.curve(roster, f"{name}_mean", fmt), " [", f.curve(roster, f"{name}_ci_low", fmt),
                ", ", f.curve(roster, f"{name}_ci_high", fmt), "]")


def cost_section(f: Facts) -> list[Block]:
    """The cost breakdown at the detail roster and the trade-off curve (``[costs]`` only)."""
    b = f.b
    roster = b.roster
    if not b.scenario.has_costs or roster is None or b.at(roster) is None:
        return []
    level = round(100 * b.ci_level)
    rows = tuple((text(Code(name)), text(BY_NAME[name].description), _interval(f, roster, name))
                 for name in COST_NAMES if BY_NAME[name].applies_to(b.scenario))
    trade = []
    for n in b.curve["roster"].astype(int).tolist():
        mark = " (recommended)" if n == b.summary["recommended"] else ""
        trade.append((text(f.curve(n, "roster", "int"), mark),
                      text(f.curve(n, "on_time_rate_mean", "pct1")),
                      _interval(f, n, "cost_total"),
                      text(f.curve(n, "cost_per_order_mean", "num2"))))
    return [
        Heading(2, "8. Cost of the plan", "costs"),
        Paragraph(text("What the scenario's ", Code("[costs]"), " prices over the measured "
                       "part of a season, with ", f.summary("detail_roster", "int"),
                       f" technicians on the roster: the mean over the simulated seasons and "
                       f"its {level} % confidence interval. The cost per order is the total "
                       "over the orders that arrived.")),
        Table(("Cost", "What it is", f"Mean [{level} % CI]"), rows, (False, False, True)),
        Paragraph(text("Cost against on-time delivery, for every roster of the staffing "
                       "search (section 2; the same seasons, not simulated again): wages "
                       "grow with the roster, while what late orders and overtime cost "
                       "falls with it.")),
        Figure("cost_against_on_time", "Mean cost per season against the mean on-time rate, "
               "by roster; the dashed line is the target."),
        Table(("Roster", "On time, mean", f"Cost per season [{level} % CI]", "Cost per order"),
              tuple(trade), (True,) * 4),
    ]


def schedule_section(f: Facts) -> list[Block]:
    """The recommended shift schedule (when the report was asked for one)."""
    s = f.b.schedule
    if s is None:
        return []
    rows = []
    for i, pattern in enumerate(s["schedule"]):
        p = f"schedule.{i}"
        rows.append((text(pattern["pattern"]), text(f.schedule(f"{p}.start_hour", "num1")),
                     text(f.schedule(f"{p}.length_hours", "num1")),
                     text(" ".join(WEEKDAY_NAMES[d][:3] for d in pattern["weekdays"])),
                     text(f.schedule(f"{p}.days_per_week", "int")),
                     text(f.schedule(f"{p}.count", "int")),
                     text(f.schedule(f"{p}.warm_start", "int"))))
    verdict = ("meets every target" if s["meets"] else
               "is the best found, but does NOT meet every target")
    cost = (text("; mean cost per season ", f.schedule("costs.cost_total.mean", "num0"),
                 " [", f.schedule("costs.cost_total.ci_low", "num0"), ", ",
                 f.schedule("costs.cost_total.ci_high", "num0"), "]") if s["priced"] else
            text(" (no [costs]: the cheapest is the smallest headcount)"))
    return [
        Heading(2, "9. Recommended shift schedule", "schedule"),
        Paragraph(text("How many technicians on each of the scenario's shift patterns: a "
                       "mixed-integer cover of the requirements (the warm start: hour by hour, "
                       "or day by day when every promise is 8 hours or more and work can wait "
                       "for the next shift), then "
                       "simulation on the same seasons for every mix and local moves until "
                       "none is cheaper and still meets every target (", Code("capsim schedule"),
                       "). The mix below ", verdict, ", with ",
                       f.schedule("headcount", "int"), " technicians", *cost, "; ",
                       f.schedule("kpis.on_time_rate.mean", "pct1"), " on time [",
                       f.schedule("kpis.on_time_rate.ci_low", "pct1"), ", ",
                       f.schedule("kpis.on_time_rate.ci_high", "pct1"), "]. Its tightest "
                       "target: ", Code(s["binding"]["name"]), ".")),
        Table(("Pattern", "Starts (h)", "Hours", "Weekdays", "Days a week", "Technicians",
               "Warm start"), tuple(rows), (False, True, True, False, True, True, True)),
        Figure("staff_by_hour", "Technicians scheduled on duty (before absence) against "
               "those required hour by hour (load, buffer, absence), by hour of the week, "
               "averaged over the season's weeks. A daily cover lets work wait for the next "
               "shift, and the simulation may settle below the requirement."),
        Paragraph(text("Every mix simulated, with its cost and verdict, is in ",
                       Code("data/schedule/candidates.csv"), "; the chosen mix's KPIs in ",
                       Code("data/schedule/summary.json"), ".",
                       " Interrupted: the search stopped early; this is the best mix "
                       "simulated whole so far." if s["partial"] else "")),
    ]
